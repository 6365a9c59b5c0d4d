"""The book's pre-registration log: for every judged claim (each key of
:data:`alexnet_repro.analysis.preregistration.CLAIM_TESTS`), each design choice with the commit
that fixed its current value and whether it was set or changed after outcomes had been seen.

:data:`DESIGN_LOG` maps a claim to its entries, one per choice of :data:`CHOICES`: ``choice``,
``value``, ``commit``, ``date``, ``after_outcomes`` and, for the latter, ``changed`` and ``why``.

``value`` is the default profile's (the full profile is named where it differs in a way that
matters). ``after_outcomes`` is True where the current value was set, or changed, after outcomes
of the claim or of its chapter's runs had been seen (builds, pilot runs, trial runs), and also
where the history cannot tell; then ``changed`` says what changed and ``why`` why. A value that
was fixed in a chapter's first version and never changed counts as set before outcomes, even
where its wording entered the pre-registration later. Found by reading the git history of
``book/profiles.yml``, of the chapters' parameters cells and of the pre-registration.

:func:`changed_after` lists a claim's choices changed after outcomes, :func:`chapter_of` the
chapter whose runs judge it, :func:`anchor` the HTML id of that chapter's section of the
appendix page :data:`SECTION`.
"""
from __future__ import annotations

from alexnet_repro.analysis.preregistration import CLAIM_TESTS

#: The design choices a claim can have, in the order they are listed. "data": images per run and
#: how they are drawn; "regime": network, initialisation, input scale, normalisations, biases;
#: "grid": the learning-rate grid where a chapter tunes a rate per arm; "target": the error a
#: speed-up is read at, or the step and window of a trailing-mean claim; "reading": how the
#: paper's words around its number are read ("about", "roughly", "over"); "margin": the effect
#: an equivalence test rules out ("no effect as large as ...").
CHOICES = ("metric", "target", "seeds", "grid", "epochs", "regime", "learning rate", "data",
           "reading", "margin")

#: The appendix page that tells each chapter's design history (``book/how_made.md``).
SECTION = "how_made"

#: The chapter whose runs judge each claim under the default profile (see :func:`chapter_of`).
CHAPTERS = {
    "relu_speedup": "relu_vs_tanh", "relu_speedup_cuda_convnet": "relu_vs_tanh",
    "dropout_overfitting": "dropout", "dropout_iterations": "dropout", "dropout_test_scale": "dropout",
    "lrn": "lrn_pooling", "lrn_second_regime": "lrn_pooling", "overlap_pool": "lrn_pooling",
    "overlap_pool_overfit": "lrn_pooling",
    "augmentation_overfitting": "augmentation", "augmentation_val_error": "augmentation",
    # Judged twice under the default profile, in augmentation and full_training (its entries:
    # OTHER_JUDGEMENTS below). The augmentation section explains its design.
    "ten_patch_test": "augmentation",
    # Judged in training_details under the default profile (augmentation judges it only when its
    # variants include crop_flip, as in the full profile).
    "pca_color": "training_details",
    "two_gpu": "training_details", "depth": "training_details",
    "weight_decay_train": "training_details", "bias_init": "training_details",
}


def _before(choice: str, value: str, commit: str, date: str, why: str = "") -> dict:
    """An entry whose current value was fixed before outcomes had been seen."""
    return {"choice": choice, "value": value, "commit": commit, "date": date,
            "after_outcomes": False, "why": why}


def _after(choice: str, value: str, commit: str, date: str, changed: str, why: str) -> dict:
    """An entry whose current value was set or changed after outcomes had been seen."""
    return {"choice": choice, "value": value, "commit": commit, "date": date,
            "after_outcomes": True, "changed": changed, "why": why}


def _log(*entries: dict) -> list[dict]:
    """A claim's entries, copied (claims of one chapter share most of them)."""
    return [dict(e) for e in entries]


# ------------------------------------------------------------------------------ relu_vs_tanh

def _relu_target(pct: str, pilot: str) -> dict:
    """The judged target of one regime, fixed from pilot seeds (issue 24)."""
    return _after(
        "target", f"{pct} training error, read on a trailing mean of the last 8 steps (the error "
        "logged at every step); fixed from ReLU runs on pilot seeds 200-202, kept apart from every "
        f"reported and sweep seed: {pilot}", "3e163bd", "2026-12-06",
        "the paper's 25% -> a target as hard for this network as 25% was for the paper's (a mean "
        "of 2 readings 4 steps apart -> of 8 readings every step, on 2026-12-02)",
        "at 25% every run crossed within its first epoch (issue 24): the speed of the "
        "initialisation, not of training. The rule (of the candidates 25, 20, 18, 16, 15, 14, 13, "
        "... %, the easiest that ReLU at every rate of the grid took at least 2 epochs and 300 "
        "steps to reach in every pilot seed) was written after earlier builds' outcomes at 25% "
        "had been seen, but before any run at the new target (benchmarks/figure1_pilots.py)")


_RELU_EPOCHS = _after(
    "epochs", "a horizon of 24 epochs (3,768 steps of 32 images) at a constant learning rate; every "
    "run stops once it reaches its judged target", "2cfb81b", "2026-12-06",
    "1 -> 3 -> 2 -> 18 -> 24 epochs, runs stopped at the target",
    "raised to 3 (2026-11-29) after runs had stopped short of 25%, cut to 2 for the build's time "
    "(2026-12-02). 18 (commit 3e163bd) was the issue's rule applied to the pilots: at least 6 "
    "times ReLU's median steps to the target at its fastest pilot rate (426 steps in both "
    "regimes). The first build at the new targets found ReLU's median at 504 steps in the book's "
    "regime, 5.6 times short of the horizon, so it was raised to 24 (7.5 times); no reported run "
    "had been censored, so no outcome could move")

_RELU_SHARED = (
    _after("seeds", "3 seeds (0-2), each drawing its own subset, as many as 80% power asks at the "
           "spread of pilot seeds 400-403; the rates picked on sweep seeds 100-102, not reported",
           "b865335", "2026-12-06", "3 -> 5 (0060b0e) -> 3 seeds",
           "5 when the chapter was redesigned around one judged claim, after builds with 3 seeds had "
           "been seen; then 3 by the power calculation of issue 23, run after every earlier build"),
    _RELU_EPOCHS,
    _after("data", "5,000 Fashion-MNIST training images per run (class-balanced, drawn with the "
           "seed), 256 validation images", "440ffaa", "2026-12-02",
           "4,096 images shared by every run -> 10,000 -> 7,000 drawn per seed -> 5,000",
           "raised to 10,000 (2026-11-29) so that no run was censored at 25%, then drawn per seed "
           "in the redesign and cut for the build's time when the second regime was added"),
)

_RELU_METRIC = ("log of tanh's steps over ReLU's steps to the target, per paired seed",
                "the paper's own measure (Figure 1), judged from the chapter's first version; its "
                "wording entered the pre-registration on 2026-12-02")

_RELU_TUNING = (
    "per network, the rate reaching the judged target in the fewest steps, median over sweep seeds "
    "100-102; a pick at the edge of the grid adds up to two rates beyond it, for either network; "
    "sweep runs first train at most 6 epochs, a network no rate of which reaches the target by then "
    "is swept again to the horizon", "7584975", "2026-12-06",
    "one sweep seed, no rule for a pick at the edge -> three sweep seeds (median) and an edge rule "
    "(5c2ad7f) -> the same with a first pass of 6 epochs",
    "on one sweep seed the pick was noise (issue 23), and the second regime's grid had been extended "
    "by hand after a pick at its edge; set after every earlier build's outcomes. The first pass, for "
    "the build's 20 minutes, cannot change a pick (a median not reached in 6 epochs cannot beat one "
    "that is); the next build's picks and effects were those of the build before")

_RELU_FIRST = _log(
    _before("metric", _RELU_METRIC[0], "4af7a31", "2026-11-28", _RELU_METRIC[1]),
    _relu_target("14%", "at 15% a pilot run at rate 0.1 crossed after 247 steps; at 14% the fastest "
                 "rate (0.03) took 414 to 492 steps (2.6 to 3.1 epochs of 157 steps)"),
    *_RELU_SHARED,
    _before("grid", "0.01, 0.03 and 0.1 for each network", "4af7a31", "2026-11-28"),
    _before("regime", "the book's four-layer CNN at half its channels, He initialisation, pixels "
            "in [0, 1]", "4af7a31", "2026-11-28"),
    _after("learning rate", _RELU_TUNING[0], *_RELU_TUNING[1:]),
)

_RELU_SECOND = _log(
    _before("metric", _RELU_METRIC[0] + ", in the second regime", "4af7a31", "2026-11-28",
            _RELU_METRIC[1]),
    _relu_target("18%", "at 20% a pilot run at rate 0.003 crossed after 229 steps; at 18% the "
                 "fastest rate (0.003) took 414 to 492 steps, and 0.03 and 0.1 never reached it "
                 "in 10 epochs"),
    *_RELU_SHARED,
    _after("grid", "0.001, 0.003, 0.01, 0.03 and 0.1 for each network", "43bc818", "2026-12-02",
           "0.003-0.1 -> 0.001-0.1",
           "on sweep seed 100, ReLU's pick was 0.003, the lowest rate of the grid; 0.001 was added "
           "after that pick had been seen, and no rule for a pick at the edge was written down "
           "before"),
    _before("regime", "cuda-convnet's layers-18pct as released: its initialisation, within-map "
            "normalisations and pools, raw pixel values less the mean image", "a4afdfc",
            "2026-12-02", "the authors' released configuration, taken as released (issue 11)"),
    _after("learning rate", _RELU_TUNING[0] + " (the grid changed: see grid)", *_RELU_TUNING[1:]),
)

# ------------------------------------------------------------------------------------ dropout

_DROPOUT_SHARED = (
    _after("seeds", "5 seeds (0-4), each drawing its own subset", "f9d3710", "2026-12-02",
           "3 -> 5 seeds",
           "raised to judge each claim on five paired seeds, after builds with 3 seeds had been "
           "seen; the runs were shortened to pay for it"),
    _after("epochs", "24 epochs at a constant learning rate", "f9d3710", "2026-12-02",
           "40 -> 24 epochs",
           "shortened to afford five seeds in the chapter's time budget, after 40-epoch builds "
           "had been seen"),
    _before("regime", "AlexNet at a quarter of its widths, He initialisation, pixels in [0, 1], no "
            "augmentation; dropout 0.5 in the two hidden fully-connected layers, the paper's "
            "test-time rule", "b2a625d", "2026-11-28"),
    _before("learning rate", "0.01, constant, batches of 32", "b2a625d", "2026-11-28"),
    _after("data", "500 Fashion-MNIST training and 300 validation images per run at 67 pixels, "
           "drawn with the seed", "f9d3710", "2026-12-02",
           "one subset shared by every seed -> a subset drawn per seed",
           "made in the same redesign, after builds on one shared subset had been seen"),
)

_DROPOUT_OVERFITTING = _log(
    _before("metric", "overfitting gap (validation error minus training error, both in evaluation "
            "mode) without dropout minus with, points, per paired seed", "b2a625d", "2026-11-28"),
    *_DROPOUT_SHARED,
)

_DROPOUT_ITERATIONS = _log(
    _after("metric", "log of the dropout network's steps over the other's to the target, the "
           "training error of both measured in evaluation mode (masks off) on 100 training "
           "images every 8 steps, per paired seed", "f28ab6b", "2026-12-02",
           "training error as logged during training (masks on) -> in evaluation mode",
           "the error with the masks on makes the dropout network look worse and would lean "
           "toward the paper; changed after builds had been seen"),
    _after("target", "25% training error in evaluation mode, trailing mean of 2 readings",
           "f9d3710", "2026-12-02", "10% training error with the masks on -> 25% in evaluation mode",
           "set from pilot runs, two per network (seeds 100 and 101, not reported), which showed "
           "that both networks reach it within 24 epochs: the pilots' outcome shaped the target"),
    *_DROPOUT_SHARED,
)

_DROPOUT_TEST_SCALE = _log(
    _before("metric", "validation error with no test-time scaling minus with the paper's halving, "
            "points, on each seed's trained dropout network", "b2a625d", "2026-11-28"),
    *_DROPOUT_SHARED,
)

# -------------------------------------------------------------------------------- lrn_pooling

_LRN_RUNS = (
    _after("epochs", "20 epochs, the learning rate divided by 10 after epoch 15", "d8194a8", "2026-12-02",
           "10 -> 25 epochs at a constant rate -> 20 with a drop after 15 -> 16, drop after 12 -> 20, after 15",
           "the drop was added because the validation error kept wandering at a constant rate; "
           "at 16 epochs the overlapping-pooling overfitting claim flipped between a build on one "
           "thread per run and one on two, so the runs went back to 20"),
    _after("data", "1,000 Fashion-MNIST training and 1,000 validation images per run at 67 "
           "pixels, drawn with the seed", "eb88e5e", "2026-12-02", "one subset shared by every seed -> a subset drawn per seed",
           "made when the claims moved to the rule over seeds, after builds on one shared subset "
           "had been seen"),
)

_LRN_FIRST_SHARED = (
    _after("seeds", "10 seeds (0-9) in this regime (the full profile: 5 paper-scale runs)",
           "3b794ba", "2026-12-02", "3 -> 5 -> 10 seeds",
           "raised to 5 (2026-11-29) after three outcomes flipped under rounding-level changes, "
           "and to 10 after a change that alters only float rounding moved the normalization "
           "claim between 'opposite' and 'inconclusive' (its MDE was above the paper's 1.4 points)"),
    *_LRN_RUNS,
    _before("regime", "AlexNet at an eighth of its widths, He initialisation, pixels in [0, 1], "
            "no augmentation", "b2a625d", "2026-11-28"),
    _before("learning rate", "0.01", "b2a625d", "2026-11-28"),
)

_LRN_GATE = ("; judged only where the neighbours' term reaches 1% of k in an LRN layer and every run "
             "with and without LRN ends below half of chance (else 'not testable at this scale')")
_LRN_GATE_WHY = (
    "the first regime tested a constant division (the term is about 0.005% of k there) and the "
    "second mostly whether the network without LRN trains at all (issue 24); set after both had "
    "been judged in earlier builds ('opposite' and 'same direction')")


_LRN_SECOND = _log(
    _after("metric", "final validation top-1 error without response normalization minus with, "
           "points, per paired seed, in the second regime" + _LRN_GATE, "672c614", "2026-12-06",
           "the first regime's measure, fixed with the chapter (b2a625d) -> with the gate",
           _LRN_GATE_WHY),
    _after("seeds", "5 seeds (0-4) in this regime", "3b794ba", "2026-12-02", "3 -> 5 seeds for the "
           "chapter (before this regime existed); kept at 5 here when the first regime went to 10",
           "kept at 5, after this regime's outcome had been seen; the power plan (pilot seeds 400-403) asks for 6"),
    *_LRN_RUNS,
    _after("grid", "0.01, 0.03 and 0.1 for each network", "d027cde", "2026-12-06", "one rate for both -> "
           "0.0003 to 0.01 (1c84d36) -> this grid", "the gain keeps the network at the first regime's "
           "scale, whose rate is 0.01; on pilot seeds 510-514 0.003 was the worst rate for both networks"),
    _after("regime", "AlexNet at an eighth of its widths, pixels in [0, 1], He initialisation, each "
           "normalization layer at gain 45 (it works on its input times 45 and divides by 45 again)", "d027cde",
           "2026-12-06", "the paper's initialisation and raw pixel values -> He (a4afdfc) -> inputs times 45 "
           "(1c84d36) -> gain 45 on the normalization layers only",
           "at inputs times 45 everything after the layers starts 45 times larger; in the build of 1c84d36 "
           "1 of 5 runs with LRN and 4 of 5 without ended near chance (trainability, not normalization). "
           "With the gain, every run of both learned on pilot seeds 510-514 (benchmarks/lrn_pilots.py --gains) "
           "at gains 32, 45, 64 and rates 0.003-0.03, the term 3-14% of k; 45 kept, the x45 init check dropped"),
    _after("learning rate", "each network's own: the lowest median final validation error over sweep "
           "seeds 100-102, the edge rule as Figure 1's", "1c84d36", "2026-12-06",
           "0.01 -> 0.001 for both (a4afdfc, on two pilot seeds) -> tuned per network",
           "set after every earlier build and the pilots had been seen"),
)


def _lrn_first(metric: str, gated: bool = False) -> list[dict]:
    """A claim of the first regime: its metric (``gated``: with issue 24's gate) and the shared runs."""
    entry = (_after("metric", metric + _LRN_GATE, "672c614", "2026-12-06",
                    "judged whatever the layer did -> judged only where it acts and both arms learn",
                    _LRN_GATE_WHY) if gated else _before("metric", metric, "b2a625d", "2026-11-28"))
    return _log(entry, *_LRN_FIRST_SHARED)


# ------------------------------------------------------------------------------- augmentation

_AUG_SHARED = (
    _after("seeds", "20 seeds (0-19), each drawing its own subset", "3b794ba", "2026-12-02",
           "2 -> 5 -> 10 -> 20 seeds",
           "5 in the redesign of 2026-12-02; 10 after builds on one thread and on two per run "
           "disagreed on the validation-error claim; 20 after two builds a few hours apart called "
           "it 'inconclusive' and 'opposite'"),
    _after("epochs", "18 epochs, the learning rate divided by 10 after epoch 12", "4498e0c",
           "2026-12-02", "30 epochs with a drop after 20 -> 18 with a drop after 12",
           "shorter runs paid for more seeds, in a redesign made after 2-seed builds had been seen"),
    _before("regime", "the book's four-layer CNN, He initialisation, pixels in [0, 1]; crops, "
            "flips and PCA lighting against the centre patch only", "0409e3a", "2026-11-28"),
    _before("learning rate", "0.05, batches of 32", "0409e3a", "2026-11-28"),
    _after("data", "400 Fashion-MNIST training and 500 validation images per run, stored at 36 "
           "pixels, 32-pixel patches, drawn with the seed", "4498e0c", "2026-12-02",
           "500 training and 1,000 validation images shared by every seed -> 400 and 500 drawn "
           "per seed",
           "fewer images paid for more seeds, in the same redesign"),
)

_TEN_PATCH = _log(
    _before("metric", "validation top-1 error of the centre patch minus of the ten-patch "
            "average, points, per seed, for the network trained with augmentation", "0409e3a",
            "2026-11-28"),
    *_AUG_SHARED,
)
_TEN_PATCH[1]["value"] += " (the full-training chapter judges this claim again on 5 seeds)"

# ---------------------------------------------------------------------------- training_details

_TD_SHARED = (
    _after("seeds", "10 seeds (10-19)", "8e5ad45", "2026-12-02",
           "5 seeds (0-4) -> 5 (10-14) -> 10 (10-19)",
           "seed 0 had run the trial runs and was replaced; the count was doubled after builds on "
           "one thread and on two per run disagreed on the two-tower claim, whose interval "
           "touched zero"),
    _before("epochs", "12 epochs, the learning rate divided by 10 after epoch 9", "8a14255",
            "2026-12-02", "set in the chapter's first version; the trial runs set the biases and "
            "the rate only"),
    _after("regime", "AlexNet at an eighth of its widths, He initialisation with all biases 0 in "
           "the base network (the paper's biases of 1 are the bias claim's variant), pixels in "
           "[0, 1], crops, flips and PCA lighting (the full profile: the paper's biases)",
           "796ccbc", "2026-12-02", "base network with the paper's biases of 1 -> all biases 0",
           "trial runs on seed 0 showed biases of 1 stalling these networks: the bias claim is "
           "tested in a regime picked knowing its likely outcome, and the other claims are judged "
           "on a base without the paper's biases"),
    _after("learning rate", "0.02, batches of 32 (the full profile: 0.01)", "796ccbc",
           "2026-12-02", "0.01 -> 0.02", "chosen from the same trial runs on seed 0"),
)

_TD_DATA = _after("data", "700 Fashion-MNIST training and 500 validation images per run, stored "
                  "at 76 pixels, random 67-pixel patches, drawn with the seed", "a4afdfc",
                  "2026-12-02", "1,000 training and 1,000 validation images -> 700 and 500",
                  "cut for the build's time, after the chapter's builds had been seen")


def _td(metric: str | dict, commit: str = "d58997a", date: str = "2026-12-02", *more: dict) -> list[dict]:
    """A claim of training_details: its metric (a text fixed before outcomes, at ``commit``, or a
    ready entry), ``more`` entries, the shared runs' entries for the choices ``more`` does not
    make, the data."""
    data = [e for e in more if e["choice"] == "data"] or [_TD_DATA]
    rest = [e for e in more if e["choice"] != "data"]
    own = {e["choice"] for e in rest}
    first = _before("metric", metric, commit, date) if isinstance(metric, str) else metric
    return _log(first, *rest, *[e for e in _TD_SHARED if e["choice"] not in own], *data)


# PCA lighting judged only where the data's colours can show it (issue 24, commit 70b07f2): on grey
# Fashion-MNIST it had been judged in several builds before this rule was written.
_PCA_METRIC = _after(
    "metric", "final validation top-1 error with crops and flips only minus with PCA lighting added, "
    "points, per paired seed; judged only where the second eigenvalue of the pixel-colour covariance "
    "is at least 0.001 of the first (else 'not testable on this dataset')", "70b07f2", "2026-12-06",
    "judged on any data -> judged only where the colours vary along more than one axis",
    "on grey images the lighting is a brightness jitter; set after builds had judged it there")


_BIAS_TARGET = _after(
    "target", "step 64 (about 3 of the 12 epochs), mean of the last 4 logged errors (steps 49-64)",
    "8a14255", "2026-12-02",
    "unchanged at step 64, but when the subset went from 1,000 to 700 images it moved from about 2 "
    "to about 3 of the 12 epochs",
    "set in the chapter's first version, which the history cannot order against the trial runs on "
    "seed 0 that showed biases of 1 stalling; the later cut of the subset moved where step 64 falls")

_BIAS_REGIME = _after(
    "regime", "the paper's start: AlexNet at an eighth of its widths with N(0, 0.01²) weights on raw "
    "pixel values (times 255, less the mean image), lr 0.01, the paper's other choices; judged only "
    "where both bias arms learn there on probe seeds 300-301 (validation error under half of chance "
    "in every seed), else 'not testable at this scale' and the chapter's He-initialised arms are "
    "described", "34632ab", "2026-12-06",
    "He initialisation, pixels in [0, 1], the chapter's shared arms -> the paper's initialisation "
    "on raw pixels, probed first",
    "issue 24: with He weights a bias of 1 is tested where the paper's argument does not apply; set "
    "after the claim had read 'opposite' in earlier builds. Pilots on seeds 300-301 "
    "(benchmarks/bias_pilots.py) found no size that learns in the budget: at widths 0.125 and 0.25 "
    "neither arm left chance (90%) at lr 0.01 or 0.05, with the text's or the released "
    "configuration's weights; at width 0.5 and lr 0.05 with the released weights only the arm "
    "with biases 0 learned")

_PCA_DATA = _after(
    "data", "700 Fashion-MNIST training and 500 validation images per run, drawn with the seed; "
    "the two arms of a seed share their crops and flips in every batch", "37324b0", "2026-12-06",
    "1,000 and 1,000 images -> 700 and 500; crops and flips shared in the first batch only -> in "
    "every batch",
    "the cut was for the build's time; the pairing was repaired (lighting drawn from its own "
    "generator) after a review found it broken, when this claim's outcomes had been seen")

#: Each judged claim's design choices (see the module docstring).
DESIGN_LOG: dict[str, list[dict]] = {
    "relu_speedup": _RELU_FIRST,
    "relu_speedup_cuda_convnet": _RELU_SECOND,
    "dropout_overfitting": _DROPOUT_OVERFITTING,
    "dropout_iterations": _DROPOUT_ITERATIONS,
    "dropout_test_scale": _DROPOUT_TEST_SCALE,
    "lrn": _lrn_first("final validation top-1 error without response normalization minus with, "
                      "points, per paired seed", gated=True),
    "lrn_second_regime": _LRN_SECOND,
    "overlap_pool": _lrn_first("final validation top-1 error with 2x2 pooling minus with 3x3 "
                               "pooling of stride 2, points, per paired seed"),
    "overlap_pool_overfit": _lrn_first("overfitting gap (validation minus training error, both in "
                                       "evaluation mode) with 2x2 pooling minus with overlapping "
                                       "pooling, points, per paired seed"),
    "augmentation_overfitting": _log(
        _after("metric", "overfitting gap (validation error minus the error on the training "
               "images, both after training in evaluation mode on the centre patch) without "
               "augmentation minus with, points, per paired seed", "f28ab6b", "2026-12-02",
               "training error logged during the last epoch (augmented patches for one arm, plain "
               "images for the other) -> both in evaluation mode on the centre patch",
               "the old gap compared the arms on unequal terms; changed after builds had been "
               "seen"),
        *_AUG_SHARED),
    "augmentation_val_error": _log(
        _before("metric", "final validation top-1 error (centre patch) without augmentation minus "
                "with, points, per paired seed", "0409e3a", "2026-11-28"),
        *_AUG_SHARED),
    "ten_patch_test": _TEN_PATCH,
    "pca_color": _td(_PCA_METRIC, "70b07f2", "2026-12-06", _PCA_DATA),
    "two_gpu": _td("final validation top-1 error of one tower with half the kernels in conv1-conv4 "
                   "minus of the two-tower net, points, per paired seed"),
    "depth": _td("final validation top-1 error without conv4 (the layer chosen before the runs) "
                 "minus with all five convolutional layers, points, per paired seed"),
    "weight_decay_train": _td("final training top-1 error (evaluation mode, centre patches) with "
                              "weight decay 0 minus with 0.0005, points, per paired seed"),
    "bias_init": _td("training top-1 error on the batches as trained, mean of the logged errors "
                     "up to a fixed step, all biases 0 minus biases of 1 in conv2, conv4, conv5, "
                     "fc6 and fc7, points, per paired seed", "d58997a", "2026-12-02", _BIAS_TARGET,
                     _BIAS_REGIME),
}

#: Claims judged a second time by another chapter under the default profile: claim -> chapter ->
#: that chapter's entries (the metric is the claim's own, in :data:`DESIGN_LOG`).
OTHER_JUDGEMENTS: dict[str, dict[str, list[dict]]] = {
    "ten_patch_test": {"full_training": _log(
        _after("seeds", "3 seeds (0-2), as many as 80% power asks at the spread of pilot seeds "
               "400-403 (the full profile: 1 run, so no interval)", "b865335", "2026-12-06",
               "1 run -> 3 -> 5 seeds (7462475) -> 3 seeds",
               "5 when the headline and this claim moved to intervals over seeds, after one-run "
               "builds had been seen; then 3 by the power calculation of issue 23"),
        _after("epochs", "12 epochs", "7462475", "2026-12-02", "8 -> 6 -> 15 -> 12 epochs",
               "set by measured build times and, once (15 epochs, 2026-11-29), by the error a "
               "build had reached"),
        _before("regime", "AlexNet at a quarter of its widths, two towers, He initialisation, "
                "pixels in [0, 1], crops, flips and PCA lighting", "b89db3c", "2026-11-28"),
        _after("learning rate", "0.01, divided by 10 when the validation error has not improved "
               "for 1 epoch", "71b6730", "2026-12-02",
               "on the validation error -> at the released configuration's epochs -> on the "
               "validation error with a patience of 1 epoch",
               "picked by a benchmark (3 seeds of 4,000 images for 12 epochs) whose decision rule "
               "was written down before it ran; its runs are pilots whose outcome chose the rule, "
               "and earlier builds of the chapter had run both rules"),
        _after("data", "4,000 Fashion-MNIST training and 1,200 validation images per run at 76 "
               "pixels, drawn with the seed", "a4afdfc", "2026-12-02",
               "10,000 -> 8,000 -> 20,000 -> 8,000 -> 6,000 -> 4,000 training images",
               "sizes set by measured build times and once by a build's error; the last cut kept "
               "the build within its time budget"),
    )},
}


# The rule of issue 23 (commit 6214588) came after every earlier build's outcomes had been seen.
# It reads "about", "roughly" and "over" as ranges and bounds (READINGS in the pre-registration)
# and gives every claim judged in direction only a margin for its equivalence test.
_RULE = ("6214588", "2026-12-06")
_READINGS = {
    "depth": ("about 2 points: 1.5 to 2.5 points", "2 points read as exact -> 2 ± 25%"),
    "dropout_iterations": ("roughly 2×: 1.5× to 2.67×", "2× read as exact -> 2× divided or multiplied by 4/3"),
    "pca_color": ("over 1 point: at least 1 point", "1 point read as exact -> a lower bound"),
}
_WHY_RULE = ("the rule that judges size against the interval for one new run was written after "
             "every earlier build's outcomes had been seen")
for _key, (_value, _changed) in _READINGS.items():
    DESIGN_LOG[_key].append(_after("reading", _value, *_RULE, _changed, _WHY_RULE))
for _key in DESIGN_LOG:
    if CLAIM_TESTS[_key]["size_in"] == "any":    # judged in size here: its margin is the paper's
        continue
    _paper = CLAIM_TESTS[_key]["paper_effect"] is not None
    DESIGN_LOG[_key].append(_after(
        "margin", "the paper's number (from its own setting)" if _paper else "1 point of error, "
        "the smallest effect that matters", *_RULE, "no equivalence test -> one with this margin",
        _WHY_RULE))


def changed_after(key: str) -> list[str]:
    """The choices of claim ``key`` set or changed after outcomes had been seen, in
    :data:`CHOICES` order, each once."""
    flagged = {e["choice"] for e in DESIGN_LOG[key] if e["after_outcomes"]}
    return [c for c in CHOICES if c in flagged]


def chapter_of(key: str) -> str:
    """The chapter whose runs judge claim ``key`` under the default profile (for
    ``ten_patch_test``, judged in two, the one whose appendix section explains its design)."""
    if key not in CHAPTERS:
        raise KeyError(f"{key!r} is not a judged claim; known: {', '.join(CHAPTERS)}")
    return CHAPTERS[key]


def anchor(key: str) -> str:
    """The HTML id of the section of :data:`SECTION` that tells claim ``key``'s design history.

    The page labels each section ``(how-made-<chapter>)=``; Sphinx gives the target the id
    docutils' ``nodes.make_id`` makes of it: lower case, each run of characters other than a-z and
    0-9 (underscores included) one hyphen (sphinx-doc/sphinx issue 2574; checked with myst-parser
    3.0.1 on docutils 0.21.2: ``(how-made-relu_vs_tanh)=`` reads ``id="how-made-relu-vs-tanh"``)."""
    return "how-made-" + chapter_of(key).replace("_", "-")
