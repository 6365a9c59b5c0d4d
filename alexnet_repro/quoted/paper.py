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
        # Read off Figure 1's plot, not printed as numbers: the solid (ReLU) curve crosses 25%
        # at roughly epoch 5 to 6, the dashed (tanh) one near the end of its 35-epoch axis.
        "relu_epochs_read": "roughly 5 to 6", "train_images": 50_000,
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
