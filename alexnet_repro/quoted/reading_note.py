"""The reading note the book started from (``shared/seed``): what it says, and where it disagrees
with the paper or the released code, each entry with its source, so that chapters can point at them.
"""
from __future__ import annotations

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
        "paper_says": "Biases of 1 in conv2, conv4, conv5 and the fully-connected *hidden* layers "
                      "(fc6, fc7) (§5); the output layer fc8, like conv1 and conv3, starts at 0.",
        "topic": "architecture",
    },
    "relu_half_active": {
        "note_says": "about 50% of the neurons are active",
        "paper_says": "The paper makes no such claim.",
        "topic": "relu_vs_tanh",
    },
}
