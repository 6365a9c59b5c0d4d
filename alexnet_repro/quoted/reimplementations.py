"""Numbers of later re-implementations of AlexNet (torchvision, Caffe's bvlc_alexnet, ...), each
labelled with its source: what a one-network reproduction reaches at full scale.
"""
from __future__ import annotations

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
