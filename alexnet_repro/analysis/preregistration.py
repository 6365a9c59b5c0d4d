"""How each measured claim is judged: metric, unit, direction, the
paper's effect and the dataset it belongs to (:data:`CLAIM_TESTS`). The paper's numbers come
from :mod:`alexnet_repro.quoted.paper`; targets and seeds are the chapters' parameters
(``book/profiles.yml``).
"""
from __future__ import annotations

from alexnet_repro.quoted.paper import CLAIMS

#: How each measured claim is judged (issue 10; what was set or changed after outcomes had been
#: seen is in :mod:`alexnet_repro.analysis.design_log`): the metric, its unit
#: (``"points"`` of error, or ``"log ratio"`` for speed-ups), the side of zero the paper claims,
#: and the paper's effect in those units with the setting it belongs to. ``size_in`` names the
#: dataset on which the paper's number is judged in size (``"any"``: the paper states it as a
#: property of the method; ``None``: the paper gives no number). Elsewhere only the direction is
#: judged and the number is shown beside ours. Targets and seeds are in ``book/profiles.yml``.
#: ``paper_effect`` is ``(scale, number)`` or ``(scale, number, words)`` with words a key of
#: :data:`READINGS` ("about", "roughly", "over"): how the paper's wording is read.
#: Numbers here are the paper's (or the released notes', where ``paper_source`` says so).
CLAIM_TESTS: dict = {
    "relu_speedup": {
        "text": CLAIMS["relu_speedup"]["text"], "source": CLAIMS["relu_speedup"]["source"],
        "metric": "log of (tanh's steps / ReLU's steps) to a training error as hard for this network "
                  "as 25% was on CIFAR-10 (fixed from pilot seeds), per seed",
        "unit": "log ratio", "direction": "greater",
        "paper_effect": ("log", CLAIMS["relu_speedup"]["factor"]), "size_in": "cifar10",
        "size_target": CLAIMS["relu_speedup"]["target_train_error_pct"] / 100,
        "paper_text": "6× at 25% training error (CIFAR-10, four-layer CNN)",
    },
    "relu_speedup_cuda_convnet": {
        "text": CLAIMS["relu_speedup"]["text"], "source": CLAIMS["relu_speedup"]["source"],
        "metric": "log of (tanh's steps / ReLU's steps) to a training error as hard for this network "
                  "as 25% was on CIFAR-10 (fixed from pilot seeds), per seed, in the regime of "
                  "cuda-convnet's layers-18pct (its init, normalizations, raw pixels)",
        "unit": "log ratio", "direction": "greater",
        "paper_effect": ("log", CLAIMS["relu_speedup"]["factor"]), "size_in": "cifar10",
        "size_target": CLAIMS["relu_speedup"]["target_train_error_pct"] / 100,
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
        "paper_effect": ("log", CLAIMS["dropout"]["iterations_factor"], "roughly"), "size_in": "any",
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
                  "second regime (default: each normalization layer at gain 45, the activities that "
                  "inputs times 45 would give it, the rest of the network at the first regime's scale; "
                  "chosen on pilot seeds so that the normalizer acts and both networks learn, each at "
                  "its own rate)",
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
        "paper_effect": ("value", CLAIMS["pca_color"]["top1_reduction_pct_at_least"], "over"),
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
        "paper_effect": ("value", CLAIMS["depth"]["top1_loss_pct"], "about"), "size_in": "imagenet",
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

#: How the words around a paper's number are read when its size is judged (issue 23): "about x"
#: is x ± 25%; "roughly k times" is k divided or multiplied by 4/3 (the same reading on a log
#: scale); "over x" is at least x. Fixed with the words on 2026-12-06, after earlier builds'
#: outcomes had been seen (the design log says so for the three claims they touch).
READINGS: dict = {"about": 0.25, "roughly": 4 / 3, "over": None}

#: The smallest effect that matters, in points of error, for a claim the paper gives no number
#: for: the margin of the equivalence test ("no effect as large as the smallest that matters").
#: Declared on 2026-12-06, after earlier builds' outcomes had been seen (the design log says so).
SMALLEST_EFFECT_POINTS = 1.0

#: Figure 1 at the paper's difficulty (issue 24): the judged target must be one the ReLU network
#: reaches only after at least this many epochs and steps in every seed (the paper's took roughly
#: 5 to 6 epochs of CIFAR-10), and the runs' horizon at least the paper's factor (6) times
#: ReLU's median steps to it. Targets were then fixed per regime from pilot seeds 200-202
#: (``benchmarks/figure1_pilots.py``); set on 2026-12-06, after earlier builds' outcomes at 25%.
FIGURE1_DIFFICULTY: dict = {"min_epochs": 2, "min_steps": 300}
#: The targets that rule fixed, per dataset and regime of the relu_vs_tanh chapter, and the pilot
#: seeds it read (``book/profiles.yml``'s default profile uses them; a test checks they agree).
FIGURE1_TARGETS: dict = {"fashion-mnist": {"first": 0.14, "second": 0.18}}
FIGURE1_PILOT_SEEDS = (200, 201, 202)

#: LRN is judged only where it acts and both networks learn (issue 24): the neighbours' term
#: alpha * sum(a^2) must be at least this share of k (median over units, mean over the trained
#: networks, in the LRN layer where it is largest; in pixels in [0, 1] it is about 5e-5, at raw
#: pixel values about 1), and every run, with LRN and without, must end with a validation error
#: below ``LEARNS_BELOW`` of the chance level. Set on 2026-12-06, after earlier builds had judged
#: both regimes (the design log says so).
LRN_MIN_SHARE = 0.01
#: A run has learned when its final validation error is below this share of the chance error.
LEARNS_BELOW = 0.5


def chance_error_pct(classes: int) -> float:
    """The top-1 error of guessing, in percent, with ``classes`` classes."""
    return 100 * (1 - 1 / classes)


def learned_below_pct(classes: int) -> float:
    """The final validation error (percent) a run must end below to count as having learned."""
    return LEARNS_BELOW * chance_error_pct(classes)

#: PCA lighting can act on colour only where the pixels' colours vary along more than one axis:
#: the claim is judged only where the second eigenvalue of the pixel-colour covariance is at
#: least this share of the first (ImageNet's: about 0.09; grey images: 0). Set on 2026-12-06,
#: after earlier builds had judged it on grey images (the design log says so).
COLOUR_MIN_SHARE = 1e-3

#: Seed counts come from a power calculation (issue 23): each chapter was first run on these
#: pilot seeds, kept apart from every seed a chapter reports, sweeps or pilots elsewhere
#: (``benchmarks/power_pilots.py``), and each claim's spread of per-seed effects read there.
POWER_PILOT_SEEDS = (400, 401, 402, 403)
#: The most seeds each chapter's seed list can have within the default build's 20 minutes, per
#: (chapter, parameter): the counts the chapters had before the power calculation.
SEED_BUDGET: dict = {("relu_vs_tanh", "seeds"): 5, ("dropout", "seeds"): 5, ("lrn_pooling", "seeds"): 10,
                     ("lrn_pooling", "second_seeds"): 5, ("augmentation", "seeds"): 20,
                     ("training_details", "seeds"): 10, ("full_training", "seeds"): 5}
#: The seed list a claim is judged on, where it is not its chapter's ``seeds``.
SEED_PARAMETER: dict = {("lrn_pooling", "lrn_second_regime"): "second_seeds"}
#: What the pilots found under the default profile: per chapter and claim, the standard
#: deviation of the per-seed effects over the pilot seeds (``sd``, in the claim's units), their
#: number and the margin, and the seeds that detect the margin with 80% power at that spread
#: (``seeds_needed``; None: more than 1,000). Claims the pilot found not testable at this scale
#: are left out: they are not judged, so no power is planned for them. Four seeds give a rough
#: spread (3 degrees of freedom); the plan is that rough too, and the pages say how many pilot
#: seeds it rests on. Run with ``benchmarks/power_pilots.py`` on the tree of the commit named
#: here (the script itself was committed right after, unchanged). lrn_pooling was run again on
#: 1c84d36, after its second regime moved to inputs times 45 with rates tuned per network: the
#: first regime's spreads came out the same, and the second regime was not testable in the
#: pilot (one of four runs without LRN did not learn at its tuned rate), so it had no plan. Its
#: row comes from a third run on d027cde, after the regime moved to a normalization gain of 45
#: (the first regime's rows came out the same again): it needs 6 seeds, one over its budget.
POWER_PILOTS: dict = {"commit": "7584975", "date": "2026-12-06", "claims": {
    "relu_vs_tanh": {
        "relu_speedup": {"sd": 0.1408, "n": 4, "margin": 1.792, "resolution": 0.00472, "seeds_needed": 3},
        "relu_speedup_cuda_convnet": {"sd": 0.1081, "n": 4, "margin": 1.792, "resolution": 0.00464, "seeds_needed": 3},
    },
    "dropout": {
        "dropout_overfitting": {"sd": 4.224, "n": 4, "margin": 1, "resolution": 0, "seeds_needed": 142},
        "dropout_iterations": {"sd": 0.1159, "n": 4, "margin": 0.4055, "resolution": 0.115, "seeds_needed": 4},
        "dropout_test_scale": {"sd": 0.6872, "n": 4, "margin": 1, "resolution": 0, "seeds_needed": 6},
    },
    "lrn_pooling": {
        "overlap_pool": {"sd": 0.2646, "n": 4, "margin": 0.4, "resolution": 0, "seeds_needed": 6},
        "overlap_pool_overfit": {"sd": 1.013, "n": 4, "margin": 1, "resolution": 0, "seeds_needed": 11},
        "lrn_second_regime": {"sd": 0.8524, "n": 4, "margin": 1.4, "resolution": 0, "seeds_needed": 6},
    },
    "augmentation": {
        "augmentation_overfitting": {"sd": 2.726, "n": 4, "margin": 1, "resolution": 0, "seeds_needed": 61},
        "augmentation_val_error": {"sd": 2.306, "n": 4, "margin": 1, "resolution": 0, "seeds_needed": 44},
        "ten_patch_test": {"sd": 0.4435, "n": 4, "margin": 1, "resolution": 0, "seeds_needed": 4},
    },
    "training_details": {
        "two_gpu": {"sd": 5.549, "n": 4, "margin": 1.7, "resolution": 0, "seeds_needed": 86},
        "depth": {"sd": 3.272, "n": 4, "margin": 2, "resolution": 0, "seeds_needed": 24},
        "weight_decay_train": {"sd": 1.19, "n": 4, "margin": 1, "resolution": 0, "seeds_needed": 14},
    },
    "full_training": {
        "ten_patch_test": {"sd": 0.2295, "n": 4, "margin": 1, "resolution": 0, "seeds_needed": 3},
    },
}}


def planned_seeds(chapter: str, parameter: str = "seeds") -> int:
    """How many seeds a chapter's seed list gets: the most any of its claims needs for 80%
    power at the pilots' spread (:data:`POWER_PILOTS`), within the budget (:data:`SEED_BUDGET`)
    and never fewer than 3. A claim whose need exceeds the budget gets the budget and says so."""
    budget = SEED_BUDGET[(chapter, parameter)]
    needs = [row["seeds_needed"] for key, row in POWER_PILOTS["claims"].get(chapter, {}).items()
             if SEED_PARAMETER.get((chapter, key), "seeds") == parameter]
    if not needs:
        return budget
    return min(budget, max(3, *(budget if n is None else n for n in needs)))


def power_plan(chapter: str, claim: str) -> dict | None:
    """The power calculation behind one claim's seeds: the pilots' ``sd``, ``n`` and
    ``seeds_needed``, the ``margin``, the seeds the claim's list ``planned`` and its ``budget``;
    None where the pilots did not plan this claim."""
    row = POWER_PILOTS["claims"].get(chapter, {}).get(claim)
    if row is None:
        return None
    parameter = SEED_PARAMETER.get((chapter, claim), "seeds")
    return {**row, "planned": planned_seeds(chapter, parameter),
            "budget": SEED_BUDGET[(chapter, parameter)], "pilot_seeds": list(POWER_PILOT_SEEDS)}


#: Each claim in a few words, as the first screen of a chapter and the results table name it.
TITLES: dict = {
    "relu_speedup": "ReLUs train faster than tanh units (book's regime)",
    "relu_speedup_cuda_convnet": "ReLUs train faster than tanh units (cuda-convnet's regime)",
    "dropout_overfitting": "Dropout curbs overfitting",
    "dropout_iterations": "Dropout doubles the steps to converge",
    "dropout_test_scale": "Halving the outputs at test time matches training",
    "lrn": "Response normalization lowers the error (pixels in [0, 1])",
    "lrn_second_regime": "Response normalization lowers the error (second regime)",
    "overlap_pool": "Overlapping pooling lowers the error",
    "overlap_pool_overfit": "Overlapping pooling overfits less",
    "augmentation_overfitting": "Crops and flips curb overfitting",
    "augmentation_val_error": "Crops and flips lower the held-out error",
    "pca_color": "PCA lighting lowers the error",
    "two_gpu": "Two towers beat one tower with half the kernels",
    "depth": "Removing a middle layer costs about 2 points",
    "weight_decay_train": "Weight decay helps the network learn",
    "bias_init": "Biases of 1 speed up early learning",
    "ten_patch_test": "Ten test patches beat the centre crop",
    # claims checked exactly or quoted without a measurement (architecture, the paper's CLAIMS)
    "parameters": "The network has 60 million parameters",
    "input_size": "conv1 turns a 224-pixel input into 55×55 maps",
    "neurons_conv1": "conv1 has 253,440 neurons",
    "augmentation_factor": "Crops and flips enlarge the training set 2048-fold",
    "fall2009": "Results on the Fall 2009 ImageNet",
    "dropout": "Dropout reduces overfitting",
}
