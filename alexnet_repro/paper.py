"""Numbers quoted from publications, each labelled with its source.

Nothing here is computed: these are the values *as printed* in Krizhevsky, Sutskever & Hinton
(2012) and in the documentation of later re-implementations. Chapters compare what they measure
against these. Error rates and accuracies are kept in percent, as printed (keys end in ``_pct``);
results records store fractions, so multiply by 100 before comparing.

``READING_NOTE_ERRORS`` lists the claims of the reading note the book started from that
disagree with the paper, so that chapters can point at them.
"""
from __future__ import annotations

CITATION = ("A. Krizhevsky, I. Sutskever, G. E. Hinton. ImageNet Classification with Deep "
            "Convolutional Neural Networks. NIPS 25, 2012.")

#: The paper's own numbers, grouped by topic. Every group names the section it is quoted from.
PAPER: dict = {
    "data": {
        "source": "paper §2",
        "imagenet_images": 15_000_000,            # "over 15 million labeled high-resolution images"
        "imagenet_categories": 22_000,            # "roughly 22,000 categories"
        "ilsvrc_classes": 1000,
        "ilsvrc_train_images": 1_200_000,         # "roughly 1.2 million training images"
        "ilsvrc_val_images": 50_000,
        "ilsvrc_test_images": 150_000,
        "rescale_to": 256,                        # shorter side to 256, central 256x256 crop
        "preprocessing": "subtract the mean activity over the training set from each pixel",
    },
    "architecture": {
        "source": "paper §3.5 and Figure 2",
        "input_size_as_printed": 224,             # "filters the 224x224x3 input image"
        "input_channels": 3,
        "input_dimension": 150_528,               # "The network's input is 150,528-dimensional"
        # "the number of neurons in the network's remaining layers is given by ..."
        "neurons_per_layer": (253_440, 186_624, 64_896, 64_896, 43_264, 4096, 4096, 1000),
        "conv_kernels": (96, 256, 384, 384, 256),
        "conv_kernel_size": (11, 5, 3, 3, 3),
        "conv_kernel_depth": (3, 48, 256, 192, 192),   # "11x11x3", "5x5x48", "3x3x256", "3x3x192" x2
        "conv1_stride": 4,
        "fc_neurons": (4096, 4096, 1000),
        "learned_layers": 8,                      # "five convolutional and three fully-connected"
        "parameters": 60_000_000,                 # "60 million parameters" (abstract, §3, §4)
        "neurons": 650_000,                       # "650,000 neurons" (abstract)
        "gpus": 2,
        "cross_gpu_layers": ("conv3", "fc6", "fc7", "fc8"),  # take input from both GPUs
        "same_gpu_layers": ("conv2", "conv4", "conv5"),      # see only their own GPU's maps
    },
    "relu": {"source": "paper §3.1", "formula": "f(x) = max(0, x)"},
    "lrn": {
        "source": "paper §3.3",
        "k": 2.0, "n": 5, "alpha": 1e-4, "beta": 0.75,
        "after": ("conv1", "conv2"),              # "Response-normalization layers follow the first
                                                  #  and second convolutional layers" (§3.5)
        "after_relu": True,                       # "We applied this normalization after applying the
                                                  #  ReLU nonlinearity in certain layers." (§3.3)
        "formula": r"b^i_{x,y} = a^i_{x,y} \big/ \left(k + \alpha \sum_{j=\max(0, i-n/2)}"
                   r"^{\min(N-1, i+n/2)} (a^j_{x,y})^2\right)^{\beta}",
    },
    "pooling": {
        "source": "paper §3.4",
        "s": 2, "z": 3,                           # stride s=2, neighbourhood z=3 (overlapping)
        "non_overlapping_s": 2, "non_overlapping_z": 2,
        "after": ("conv1", "conv2", "conv5"),     # §3.5
    },
    "augmentation": {
        "source": "paper §4.1",
        "crop": 224,                              # "random 224x224 patches" from 256x256 images
        "factor": 2048,                           # "increases the size of our training set by a factor of 2048"
        "test_patches": 10,                       # four corners + centre, and their reflections
        "pca_alpha_std": 0.1,                     # alpha_i ~ N(0, 0.1)
    },
    "dropout": {
        "source": "paper §4.2",
        "p_drop": 0.5,                            # "setting to zero the output of each hidden neuron with probability 0.5"
        "test_scale": 0.5,                        # "multiply their outputs by 0.5" at test time
        "layers": ("fc6", "fc7"),                 # "the first two fully-connected layers"
    },
    "training": {
        "source": "paper §5",
        "batch_size": 128,
        "momentum": 0.9,
        "weight_decay": 0.0005,
        "lr_initial": 0.01,
        "lr_divisor": 10,                         # "divide the learning rate by 10 when the
                                                  #  validation error rate stopped improving"
        "lr_drops": 3,                            # "reduced three times prior to termination"
        "epochs": 90,                             # "roughly 90 cycles through the training set"
        "days": (5, 6),                           # "five to six days"
        "hardware": "two NVIDIA GTX 580 3GB GPUs",
        "update_rule": "v <- 0.9 v - 0.0005 eps w - eps <dL/dw>_batch ; w <- w + v",
    },
    "init": {
        "source": "paper §5",
        "weight_std": 0.01,                       # zero-mean Gaussian, standard deviation 0.01
        "bias_one": ("conv2", "conv4", "conv5", "fc6", "fc7"),
        "bias_zero": ("conv1", "conv3", "fc8"),
    },
}

#: Table 1: comparison of results on the ILSVRC-2010 test set (percent error).
TABLE1: dict = {
    "source": "paper Table 1 (§6, ILSVRC-2010 test set)",
    "rows": [
        {"model": "Sparse coding [2]", "top1_pct": 47.1, "top5_pct": 28.2},
        {"model": "SIFT + FVs [24]", "top1_pct": 45.7, "top5_pct": 25.7},
        {"model": "CNN", "top1_pct": 37.5, "top5_pct": 17.0},
    ],
}

#: Table 2: ILSVRC-2012 validation and test error (percent); None = not reported ("—").
#: ``*`` models were pre-trained on the whole ImageNet Fall 2011 release, then fine-tuned.
TABLE2: dict = {
    "source": "paper Table 2 (§6, ILSVRC-2012)",
    "rows": [
        {"model": "SIFT + FVs [7]", "val_top1_pct": None, "val_top5_pct": None,
         "test_top5_pct": 26.2, "pretrained_fall2011": False},
        {"model": "1 CNN", "val_top1_pct": 40.7, "val_top5_pct": 18.2,
         "test_top5_pct": None, "pretrained_fall2011": False},
        {"model": "5 CNNs", "val_top1_pct": 38.1, "val_top5_pct": 16.4,
         "test_top5_pct": 16.4, "pretrained_fall2011": False},
        {"model": "1 CNN*", "val_top1_pct": 39.0, "val_top5_pct": 16.6,
         "test_top5_pct": None, "pretrained_fall2011": True},
        {"model": "7 CNNs*", "val_top1_pct": 36.7, "val_top5_pct": 15.4,
         "test_top5_pct": 15.3, "pretrained_fall2011": True},
    ],
}

#: Ablation and other claims of the paper, with the numbers they state.
CLAIMS: dict = {
    "relu_speedup": {
        "source": "paper §3.1, Figure 1",
        "text": "A four-layer convolutional neural network with ReLUs reaches a 25% training error "
                "rate on CIFAR-10 six times faster than an equivalent network with tanh neurons.",
        "factor": 6, "target_train_error_pct": 25.0, "dataset": "CIFAR-10",
        "network": "four-layer CNN", "regularization": "none",
        "learning_rates": "chosen independently for each network to make training as fast as possible",
        "caption_caveat": "The magnitude of the effect demonstrated here varies with network "
                          "architecture, but networks with ReLUs consistently learn several times "
                          "faster than equivalents with saturating neurons.",
    },
    "lrn": {
        "source": "paper §3.3",
        "text": "Response normalization reduces our top-1 and top-5 error rates by 1.4% and 1.2%.",
        "top1_reduction_pct": 1.4, "top5_reduction_pct": 1.2,
        "cifar10_four_layer_test_error_without_pct": 13.0,
        "cifar10_four_layer_test_error_with_pct": 11.0,
    },
    "overlap_pool": {
        "source": "paper §3.4",
        "text": "Overlapping pooling (s=2, z=3) reduces the top-1 and top-5 error rates by 0.4% and "
                "0.3% compared with s=2, z=2, which produces output of equivalent dimensions.",
        "top1_reduction_pct": 0.4, "top5_reduction_pct": 0.3,
        "also": "models with overlapping pooling find it slightly more difficult to overfit",
    },
    "two_gpu": {
        "source": "paper §3.2",
        "text": "The two-GPU scheme reduces top-1 and top-5 error rates by 1.7% and 1.2% compared "
                "with a net with half as many kernels in each convolutional layer trained on one "
                "GPU; the two-GPU net takes slightly less time to train.",
        "top1_reduction_pct": 1.7, "top5_reduction_pct": 1.2,
        "footnote": "The one-GPU net has the same number of kernels as the two-GPU net in the "
                    "final convolutional layer.",
    },
    "pca_color": {
        "source": "paper §4.1",
        "text": "This scheme reduces the top-1 error rate by over 1%.",
        "top1_reduction_pct_at_least": 1.0,
    },
    "augmentation_factor": {
        "source": "paper §4.1",
        "text": "Random 224x224 patches and their reflections increase the training set by a "
                "factor of 2048.",
        "factor": 2048,
    },
    "augmentation_overfitting": {
        "source": "paper §4.1",
        "text": "Without this scheme [crops and reflections], our network suffers from substantial "
                "overfitting, which would have forced us to use much smaller networks.",
    },
    "ten_patch_test": {
        "source": "paper §4.1",
        "text": "At test time the network averages its softmax over ten 224x224 patches: the four "
                "corner patches, the centre patch, and their horizontal reflections.",
        "patches": 10,
    },
    "dropout": {
        "source": "paper §4.2",
        "text": "Without dropout the network exhibits substantial overfitting. Dropout roughly "
                "doubles the number of iterations required to converge. At test time all neurons "
                "are used and their outputs multiplied by 0.5.",
        "iterations_factor": 2.0, "test_scale": 0.5,
    },
    "depth": {
        "source": "paper §7",
        "text": "Removing any middle layer results in a loss of about 2% for the top-1 "
                "performance of the network.",
        "top1_loss_pct": 2.0,
    },
    "fall2009": {
        "source": "paper §6",
        "text": "On the Fall 2009 ImageNet (10,184 categories, 8.9 million images), top-1 and top-5 "
                "error 67.4% and 40.9%, against 78.1% and 60.9% for the best published result.",
        "top1_pct": 67.4, "top5_pct": 40.9, "best_published_top1_pct": 78.1,
        "best_published_top5_pct": 60.9,
    },
}

#: Later re-implementations, with the numbers their own documentation states.
REIMPLEMENTATIONS: dict = {
    "torchvision": {
        "source": "torchvision documentation, models.alexnet, AlexNet_Weights.IMAGENET1K_V1",
        "top1_acc_pct": 56.522, "top5_acc_pct": 79.066, "parameters": 61_100_840,
        "evaluation": "ImageNet-1K validation, single centre crop 224 from 256",
        "differences": "single-column 'one weird trick' (Krizhevsky 2014) variant: conv channels "
                       "64-192-384-256-256, conv1 padding 2, no LRN, dropout before fc6/fc7, "
                       "adaptive average pooling to 6x6",
        "input_size": 224, "conv1_padding": 2,
    },
    "caffe": {
        "source": "Caffe model zoo, models/bvlc_alexnet/readme.md",
        "top1_acc_pct": 57.1, "top5_acc_pct": 80.2,
        "evaluation": "ILSVRC-2012 validation, centre crop only",
        "input_size": 227,                        # deploy.prototxt: input_dim 227
        "differences": "no PCA (relighting) augmentation; Caffe's LRN divides alpha by n and uses "
                       "k=1 (train_val.prototxt: local_size 5, alpha 1e-4, beta 0.75)",
        "lrn_k": 1.0,
    },
    "d2l": {
        "source": "Dive into Deep Learning (d2l.ai), §7.1 AlexNet, PyTorch output",
        "dataset": "Fashion-MNIST upsampled to 224x224",
        "epochs": 10, "lr": 0.01, "batch_size": 128,
        "test_acc": 0.884, "train_acc": 0.879,
        "examples_per_s": 4186, "examples_per_s_device": "the GPU of the d2l build",
        "differences": "1 input channel, conv1 padding 1, no LRN, no grouped convolutions, "
                       "inverted dropout, Xavier initialisation, plain SGD without momentum",
        "note": "The d2l page prints a different examples/s in every build; this figure was not "
                "re-checked offline.",
    },
}

#: Numbers the reading note states, for chapters that check them (right or wrong).
READING_NOTE: dict = {
    "source": "the reading note this book started from (shared/seed, 2025-07-22, in Chinese)",
    "input_size": 224,                                  # "输入：224×224×3 → 输出：55×55×96"
    "receptive_fields": (11, 51, 99, 131, 163),         # conv1..conv5, "AlexNet 各层感受野"
    "results_table": {"top1_pct": 37.5, "top5_pct": 15.3,
                      "runner_up_top5_pct": 26.2,
                      "traditional_top1_pct": 47.0, "traditional_top5_pct": 28.0},
    "relu_speedup": 6,
}

#: Claims of the reading note (``shared/seed``) that disagree with the paper: what the note says,
#: what the paper says instead, and the chapter (topic) that shows it.
READING_NOTE_ERRORS: dict = {
    "input_224": {
        "note_says": "conv1 input 224x224x3 -> output 55x55x96 (stride 4, padding 0)",
        "paper_says": "The paper prints 224 too (§3.5), but (224 - 11)/4 + 1 is not an "
                      "integer: 55x55 outputs need a 227x227 input (or padding).",
        "topic": "architecture",
    },
    "results_table": {
        "note_says": "'ImageNet 2012 results: AlexNet 37.5% top-1, 15.3% top-5'",
        "paper_says": "37.5% top-1 is Table 1 (one CNN, ILSVRC-2010 test, 17.0% top-5); 15.3% "
                      "top-5 is Table 2 (seven CNNs, pre-trained on Fall 2011, ILSVRC-2012 test). "
                      "The '~47% / ~28%' row is Table 1's sparse coding on ILSVRC-2010.",
        "topic": "intro",
    },
    "dropout_formula": {
        "note_says": "y = x/p with probability p, 0 with probability 1-p; and at test time "
                     "outputs are multiplied by 0.5",
        "paper_says": "Outputs are zeroed with probability 0.5 and NOT rescaled during training; "
                      "at test time all are kept and multiplied by 0.5. Rescaling by 1/p in "
                      "training (inverted dropout) and also by 0.5 at test scales twice.",
        "topic": "dropout",
    },
    "relu_six_times": {
        "note_says": "ReLU trains 6x faster than sigmoid/tanh",
        "paper_says": "Six times fewer iterations to reach 25% training error, for a four-layer "
                      "CNN on CIFAR-10, against tanh only (Figure 1).",
        "topic": "relu_vs_tanh",
    },
    "bias_init": {
        "note_says": "biases of conv2, conv4, conv5 and the fully-connected layers are 1",
        "paper_says": "Only the fully-connected *hidden* layers (fc6, fc7) get bias 1; fc8's "
                      "bias is 0.",
        "topic": "architecture",
    },
    "relu_half_active": {
        "note_says": "about 50% of the neurons are active",
        "paper_says": "The paper makes no such claim.",
        "topic": "relu_vs_tanh",
    },
}

#: The authors' released 2012 source (published by the Computer History Museum with Google in 2025,
#: licence (c) 2023 Google LLC; mirrored as the
#: repository yrmo/AlexNet-Source-Code, commit 8b4ab737). Copies of the configuration files with the
#: release's licence are in ``reference/alexnet-2012-source/`` (a file's name there is its path in
#: the release with ``/`` replaced by ``_``). Every value below is read from the file named in its
#: group's ``source``; ``tests/test_paper.py`` re-reads the files and fails if a value drifts.
RELEASED_2012: dict = {
    "network": {
        "source": "layers/layers-145.cfg (one [section] per layer and GPU: conv1a on GPU 0, conv1b on GPU 1)",
        # per tower: filters, filterSize, stride, padding, initW (weight std), initB (bias; 0 if absent)
        "conv": {
            "conv1": {"filters": 48, "size": 11, "stride": 4, "padding": 0, "init_w": 0.01, "init_b": 0.0},
            "conv2": {"filters": 128, "size": 5, "stride": 1, "padding": 2, "init_w": 0.01, "init_b": 1.0},
            "conv3": {"filters": 192, "size": 3, "stride": 1, "padding": 1, "init_w": 0.03, "init_b": 0.0},
            "conv4": {"filters": 192, "size": 3, "stride": 1, "padding": 1, "init_w": 0.03, "init_b": 1.0},
            "conv5": {"filters": 128, "size": 3, "stride": 1, "padding": 1, "init_w": 0.03, "init_b": 1.0},
        },
        "fc": {
            "fc6": {"outputs_per_tower": 2048, "init_w": 0.01, "init_b": 1.0, "reads_both_towers": True},
            "fc7": {"outputs_per_tower": 2048, "init_w": 0.01, "init_b": 1.0, "reads_both_towers": True},
            "fc8": {"outputs": 1000, "init_w": 0.01, "init_b": 0.0},
        },
        "dropout_keep": 0.5,                         # [hs1a] ... type=hs, keep=0.5 after fc6 and fc7
        # The order of operations in layers 1, 2 and 5, as the [section]s chain them:
        "layer1_order": ("conv1 (no neuron: linear)", "rnorm1 (cross-map)", "pool1 (max, 3/2, neuron=relu)"),
        "layer2_order": ("conv2 (neuron=relu)", "rnorm2 (cross-map)", "cnorm2 (within-map)", "pool2 (max, 3/2)"),
        "layer5_order": ("conv5 (no neuron)", "pool3 (max, 3/2, neuron=relu)"),
        "pool": {"size": 3, "stride": 2},
    },
    "cross_map_norm": {
        "source": "layers/layers-145.cfg [rnorm1a] ... size=5; layers/layer-params-145.cfg [rnorm1a] ...",
        "type": "cmrnorm", "size": 5, "scale": 0.0001, "pow": 0.75, "min_div": 2.0,
        # layer.py, NormLayerParser.add_params: scale /= size for cross-map normalization, so the
        # kernel computes min_div + (scale / size) * sum of squares over `size` adjacent maps.
        "scale_divided_by": "size",
    },
    "within_map_norm": {
        "source": "layers/layers-145.cfg [cnorm2a]; layers/layer-params-145.cfg [cnorm2a]",
        "type": "rnorm", "size": 5, "scale": 0.001, "pow": 0.75,
        # layer.py, NormLayerParser.add_params: scale /= size**2 for (within-map) response
        # normalization; minDiv is read for cross-map layers only, and the kernel adds 1 (cuda-convnet
        # src/cudaconv2/conv_util.cu: denominator 1 + addScale * sum over a size x size window).
        "scale_divided_by": "size**2", "min_div": 1.0,
    },
    "learning": {
        "source": "layers/layer-params-145.cfg (values of the file as released, i.e. at the end of the run)",
        "momentum": 0.9, "weight_decay": 0.0005,
        "eps_b": 0.02,                               # bias learning rate, every layer but conv1
        "eps_w_final": 0.00001,                      # weight learning rate when the run ended
        "eps_w_conv1_final": 0.0,                    # conv1's weights frozen
    },
    "schedule": {
        "source": "layers/layer-params-145.cfg, notes at the end of the file",
        "eps_w_initial": 0.01,                       # "epoch 25: set epsw to 0.001 from 0.01"
        # (epoch, weight learning rate from that epoch on, note)
        "steps": ((25, 0.001, "all layers"), (51, 0.0001, "all layers"),
                  (67, 0.00001, "conv1 only; colour noise 0.1 -> 0"),
                  (72, 0.0, "conv1 only"), (79, 0.00001, "all other layers")),
        "killed_at_epoch": 91,
        "color_noise": 0.1,
    },
    "errors": {
        "source": "layers/layer-params-145.cfg, line 'logprob: 1.741473, 0.406640, 0.182100' after "
                  "'epoch 91: killed'",
        "logprob": 1.741473, "top1": 0.406640, "top5": 0.182100,
        "note": "The file does not say on which images or with which views these were measured; "
                "they equal the paper's one-CNN validation errors (Table 2: 40.7% / 18.2%) to the "
                "printed precision.",
    },
    "errors_multiview": {
        "source": "layers/layer-params-145.cfg, 'multiview test:' line at the end of the file, after "
                  "a continued run ('pushing learning rate back up', killed at epoch 135)",
        "logprob": 1.725738, "top1": 0.402500, "top5": 0.179940,
    },
    "data_provider": {
        "source": "convdata.py (ImageNet data provider of the release; not copied here)",
        "crop_chunk": 32,                            # "This many images will be cropped in the same way"
        "test_views": 10,                            # four corners, centre, and their reflections
        "color_noise_rescale": "image / (1 + color_noise)",
    },
}

#: cuda-convnet's CIFAR-10 networks in the same release (``layers-cifar/``).
RELEASED_CIFAR: dict = {
    "18pct": {
        "source": "layers-cifar/layers-18pct.cfg and layers-cifar/layer-params-18pct-noisylr.cfg",
        "title": "18% error on CIFAR-10 in 20 minutes",
        "conv_filters": (32, 32, 64), "conv_size": 5, "conv_padding": 2,
        "init_w": (0.0001, 0.01, 0.01, 0.01),        # conv1, conv2, conv3, fc10
        "pools": ("max", "avg", "avg"), "pool_size": 3, "pool_stride": 2,
        "within_map_norm": {"size": 3, "scale": 0.00005, "pow": 0.75},
        "eps_w": 0.001, "eps_b": 0.002, "momentum": 0.9,
        "weight_decay": (0.004, 0.004, 0.004, 1.0),  # conv1, conv2, conv3, fc10 (wc)
    },
}


#: How each measured claim is judged, fixed before any run (issue 10): the metric, its unit
#: (``"points"`` of error, or ``"log ratio"`` for speed-ups), the side of zero the paper claims,
#: and the paper's effect in those units with the setting it belongs to. ``size_in`` names the
#: dataset on which the paper's number is judged in size (``"any"``: the paper states it as a
#: property of the method; ``None``: the paper gives no number). Elsewhere only the direction is
#: judged and the number is shown beside ours. Targets and seeds are in ``book/profiles.yml``.
#: Numbers here are the paper's (or the released notes', where ``paper_source`` says so).
CLAIM_TESTS: dict = {
    "relu_speedup": {
        "text": CLAIMS["relu_speedup"]["text"], "source": CLAIMS["relu_speedup"]["source"],
        "metric": "log of (tanh's steps / ReLU's steps) to the paper's 25% training error, per seed",
        "unit": "log ratio", "direction": "greater",
        "paper_effect": ("log", CLAIMS["relu_speedup"]["factor"]), "size_in": "cifar10",
        "paper_text": "6× at 25% training error (CIFAR-10, four-layer CNN)",
    },
    "relu_speedup_cuda_convnet": {
        "text": CLAIMS["relu_speedup"]["text"], "source": CLAIMS["relu_speedup"]["source"],
        "metric": "log of (tanh's steps / ReLU's steps) to the paper's 25% training error, per seed, "
                  "in the regime of cuda-convnet's layers-18pct (its init, normalizations, raw pixels)",
        "unit": "log ratio", "direction": "greater",
        "paper_effect": ("log", CLAIMS["relu_speedup"]["factor"]), "size_in": "cifar10",
        "paper_text": "6× at 25% training error (CIFAR-10, four-layer CNN)",
    },
    "dropout_overfitting": {
        "text": "Without dropout, the network exhibits substantial overfitting.",
        "source": CLAIMS["dropout"]["source"],
        "metric": "overfitting gap (validation error - eval-mode training error) without dropout "
                  "minus with dropout, points",
        "unit": "points", "direction": "greater", "paper_effect": None, "size_in": None,
        "paper_text": "no number",
    },
    "dropout_iterations": {
        "text": "Dropout roughly doubles the number of iterations required to converge.",
        "source": CLAIMS["dropout"]["source"],
        "metric": "log of (steps with dropout / steps without) to the target training error, "
                  "both measured in eval mode (masks off), per seed",
        "unit": "log ratio", "direction": "greater",
        "paper_effect": ("log", CLAIMS["dropout"]["iterations_factor"]), "size_in": "any",
        "paper_text": "roughly 2× (stated of dropout, not of one dataset)",
    },
    "dropout_test_scale": {
        "text": "At test time all neurons are used and their outputs multiplied by 0.5.",
        "source": CLAIMS["dropout"]["source"],
        "metric": "validation error without any test-time scaling minus with the paper's rule, points",
        "unit": "points", "direction": "greater", "paper_effect": None, "size_in": None,
        "paper_text": "no number",
    },
    "lrn": {
        "text": CLAIMS["lrn"]["text"], "source": CLAIMS["lrn"]["source"],
        "metric": "final validation top-1 error without LRN minus with, points",
        "unit": "points", "direction": "greater",
        "paper_effect": ("value", CLAIMS["lrn"]["top1_reduction_pct"]), "size_in": "imagenet",
        "paper_text": "1.4 points top-1 (ImageNet)",
    },
    "lrn_second_regime": {
        "text": CLAIMS["lrn"]["text"], "source": CLAIMS["lrn"]["source"],
        "metric": "final validation top-1 error without LRN minus with, points, in the chapter's "
                  "second regime (default: the paper's raw pixel scale, 0-255 less the mean image)",
        "unit": "points", "direction": "greater",
        "paper_effect": ("value", CLAIMS["lrn"]["top1_reduction_pct"]), "size_in": "imagenet",
        "paper_text": "1.4 points top-1 (ImageNet)",
    },
    "overlap_pool": {
        "text": CLAIMS["overlap_pool"]["text"], "source": CLAIMS["overlap_pool"]["source"],
        "metric": "final validation top-1 error with 2x2 pooling minus with 3x3 stride 2, points",
        "unit": "points", "direction": "greater",
        "paper_effect": ("value", CLAIMS["overlap_pool"]["top1_reduction_pct"]), "size_in": "imagenet",
        "paper_text": "0.4 points top-1 (ImageNet)",
    },
    "overlap_pool_overfit": {
        "text": "Models with overlapping pooling find it slightly more difficult to overfit.",
        "source": CLAIMS["overlap_pool"]["source"],
        "metric": "overfitting gap (validation - training error) with 2x2 pooling minus with "
                  "overlapping pooling, points",
        "unit": "points", "direction": "greater", "paper_effect": None, "size_in": None,
        "paper_text": "no number",
    },
    "augmentation_overfitting": {
        "text": CLAIMS["augmentation_overfitting"]["text"],
        "source": CLAIMS["augmentation_overfitting"]["source"],
        "metric": "overfitting gap (validation error - training error on un-augmented centre "
                  "crops) without augmentation minus with, points",
        "unit": "points", "direction": "greater", "paper_effect": None, "size_in": None,
        "paper_text": "no number",
    },
    "augmentation_val_error": {
        "text": "Crops and reflections lower the error on held-out images.",
        "source": CLAIMS["augmentation_overfitting"]["source"] + " (implied)",
        "metric": "final validation top-1 error without augmentation minus with, points",
        "unit": "points", "direction": "greater", "paper_effect": None, "size_in": None,
        "paper_text": "no number",
    },
    "pca_color": {
        "text": CLAIMS["pca_color"]["text"], "source": CLAIMS["pca_color"]["source"],
        "metric": "final validation top-1 error with crops and reflections only minus with PCA "
                  "lighting added, points",
        "unit": "points", "direction": "greater",
        "paper_effect": ("value", CLAIMS["pca_color"]["top1_reduction_pct_at_least"]),
        "size_in": "imagenet",
        "paper_text": "over 1 point top-1 (ImageNet)",
    },
    "two_gpu": {
        "text": CLAIMS["two_gpu"]["text"], "source": CLAIMS["two_gpu"]["source"],
        "metric": "final validation top-1 error of the one-tower net with half the kernels in "
                  "conv1-conv4 (conv5 and the fc layers as wide) minus of the two-tower net, points",
        "unit": "points", "direction": "greater",
        "paper_effect": ("value", CLAIMS["two_gpu"]["top1_reduction_pct"]), "size_in": "imagenet",
        "paper_text": "1.7 points top-1 (ImageNet)",
    },
    "depth": {
        "text": CLAIMS["depth"]["text"], "source": CLAIMS["depth"]["source"],
        "metric": "final validation top-1 error without conv4 (the middle layer fixed in advance) "
                  "minus with all five convolutional layers, points",
        "unit": "points", "direction": "greater",
        "paper_effect": ("value", CLAIMS["depth"]["top1_loss_pct"]), "size_in": "imagenet",
        "paper_text": "about 2 points top-1 (ImageNet)",
    },
    "weight_decay_train": {
        "text": "We found that this small amount of weight decay was important for the model to "
                "learn. In other words, weight decay here is not merely a regularizer: it reduces "
                "the model's training error.",
        "source": "paper §5",
        "metric": "final training top-1 error (evaluation mode, un-augmented centre patches) with "
                  "weight decay 0 minus with 0.0005, points",
        "unit": "points", "direction": "greater", "paper_effect": None, "size_in": None,
        "paper_text": "no number",
    },
    "bias_init": {
        "text": "We initialized the neuron biases in the second, fourth, and fifth convolutional "
                "layers, as well as in the fully-connected hidden layers, with the constant 1. This "
                "initialization accelerates the early stages of learning by providing the ReLUs "
                "with positive inputs.",
        "source": "paper §5",
        "metric": "training top-1 error on the batches as trained, trailing mean of the logged "
                  "errors ending at step N (N and the window fixed in advance), with all biases 0 "
                  "minus with biases 1 in conv2, conv4, conv5, fc6, fc7, points",
        "unit": "points", "direction": "greater", "paper_effect": None, "size_in": None,
        "paper_text": "no number",
    },
    "ten_patch_test": {
        "text": CLAIMS["ten_patch_test"]["text"] + " (It lowers the error.)",
        "source": CLAIMS["ten_patch_test"]["source"],
        "metric": "validation top-1 error of the centre crop minus of the ten-patch average, points",
        "unit": "points", "direction": "greater", "paper_effect": None, "size_in": None,
        "paper_text": "no number (the released notes' 'multiview test' line comes from a run "
                      "trained 44 epochs longer, so it does not isolate the ten patches)",
    },
}
