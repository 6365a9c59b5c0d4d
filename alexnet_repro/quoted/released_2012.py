"""The authors' released 2012 source: the ImageNet configuration ``layers-145`` (the paper's
one-CNN errors) and the CIFAR-10 ``layers-18pct`` configuration, as written in the files
(copies in ``reference/alexnet-2012-source/``, read by the tests), each value with its file.
"""
from __future__ import annotations

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
