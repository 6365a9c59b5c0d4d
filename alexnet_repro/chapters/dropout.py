"""Dropout conventions for where the 1/(1-p) factor goes: the maths the dropout chapter checks.

The layer itself (:class:`~alexnet_repro.nn.layers.Dropout`, the functional
:func:`~alexnet_repro.nn.layers.dropout` and the table of conventions) lives in
:mod:`alexnet_repro.nn.layers`; the names are re-exported here for the chapter.

The paper (Section 4.2) sets each hidden neuron's output to zero with probability ``p = 0.5``
while training and, at test time, uses all neurons but "multiplies their outputs by 0.5".
The now usual *inverted* dropout (``torch.nn.Dropout``) scales the kept outputs by ``1/(1-p)``
while training and does nothing at test time. Both keep the test output equal to the expected
training output. Mixing them does not:

* ``"note"``: the reading note's version, training ``x/(1-p)`` on kept units (its ``x/p``
  "with probability p", p being the keep probability there) *and* test ``x*(1-p)``:
  test outputs are ``(1-p)`` times (0.5x at p = 0.5) what training produced on average.
* ``"unscaled"``: training with the paper's plain masking and testing with the inverted rule
  (identity): test outputs are ``1/(1-p)`` times (2x at p = 0.5) the training average.

Here ``p`` is always the probability of *dropping* a unit, as in the paper and in PyTorch.

The dropout chapter's measurements live here too: the Monte-Carlo check of the conventions
(:func:`convention_check`), the test-time rules applied to trained networks
(:func:`rule_factors`, :func:`evaluate_with_factors`, :func:`measured_eval_over_train`); the
chapter judges its claims with :mod:`alexnet_repro.analysis.judging`.
"""
from __future__ import annotations

import math

import torch

from alexnet_repro.analysis.probes import evaluate_split, model_inputs, train_mode_means
from alexnet_repro.nn.dropout import eval_over_train, monte_carlo_mean, with_test_factor
from alexnet_repro.nn.layers import CONVENTIONS, Dropout

# ------------------------------------------------------------------------ what the chapter measures

def convention_check(p: float, units: int, samples: int, *, seed: int = 0, mc_seed: int = 1,
                     high: float = 3.0) -> list[dict]:
    """The Monte-Carlo check of every convention of :data:`CONVENTIONS` with the library's own
    layer: ``units`` activations drawn uniformly in ``[0, high)`` (float64, non-negative like
    ReLU outputs; generator seeded with ``seed``), each dropped ``samples`` times (seed
    ``mc_seed``). One row per convention: its ``s_train``/``s_test``, the analytic and measured
    training mean over ``x``, the largest deviation of a unit's Monte-Carlo mean from
    ``(1-p) s_train x`` in standard errors ``s_train x sqrt(p(1-p)/samples)``, and the test
    output over the measured training mean (1 for a consistent convention)."""
    gen = torch.Generator().manual_seed(seed)
    x = high * torch.rand(units, generator=gen, dtype=torch.float64)
    rows = []
    for name, conv in CONVENTIONS.items():
        s_train, s_test = conv.scales(p)
        mc = monte_carlo_mean(x, p, name, samples, seed=mc_seed)       # training-mode average
        expected = (1 - p) * s_train * x                                  # E[m] s_train x
        stderr = s_train * x * math.sqrt(p * (1 - p) / samples)
        at_test = Dropout(p, name).eval()(x)
        rows.append({"convention": name, "s_train": s_train, "s_test": s_test,
                     "train mean / x (analytic)": (1 - p) * s_train,
                     "train mean / x (Monte Carlo)": (mc.sum() / x.sum()).item(),
                     "largest |MC - analytic| / stderr": ((mc - expected).abs() / stderr).max().item(),
                     "test / train mean": (at_test.sum() / mc.sum()).item()})
    return rows


def rule_factors(p: float, test_scale: float) -> dict[str, float]:
    """The three test-time rules the chapter compares on trained networks, as the factor by which
    the next layer's test input differs from its training average: the paper's rule (1), the
    reading note's double scaling (``eval_over_train(p, "note")``) and no test-time scaling
    (``eval_over_train(p, "unscaled")``). Keys are the table's column labels."""
    return {f"paper's rule (×{test_scale:g})": 1.0,
            f"reading note (×{test_scale:g} twice)": eval_over_train(p, "note"),
            "not scaled at test": eval_over_train(p, "unscaled")}


def evaluate_with_factors(runs, factors: dict[str, float], split: str = "val") -> tuple[dict, dict]:
    """Each run (a sweep's ``Run`` with its model) evaluated on ``split`` with every dropout layer
    handing on ``factor`` times its correct test output (:func:`with_test_factor`; factor 1: the
    model as trained). Returns ``(top-1 errors in %, losses)``, each ``{name: [value per run]}``."""
    errors = {name: [] for name in factors}
    losses = {name: [] for name in factors}
    for run in runs:
        for name, factor in factors.items():
            net = run.model if factor == 1.0 else with_test_factor(run.model, factor)
            ev = evaluate_split(run, split, model=net)
            errors[name].append(100 * ev["top1_error"])
            losses[name].append(ev["loss"])
    return errors, losses


def measured_eval_over_train(runs, layers, images: int, passes: int) -> dict[str, list[float]]:
    """Per dropout layer (short names, e.g. ``"drop6"``) and per run: the summed test-time output
    over the summed mean of ``passes`` training-mode outputs (fresh masks each pass,
    :func:`~alexnet_repro.analysis.probes.train_mode_means`) on ``images`` validation images. 1 in
    expectation when the layer's input is deterministic; ``{layer: [ratio per run]}``."""
    out = {layer: [] for layer in layers}
    for run in runs:
        x_val, _ = model_inputs(run, "val", images)
        for layer, (mc, ev) in train_mode_means(run.model, x_val, list(layers), passes).items():
            out[layer].append((ev.double().sum() / mc.sum()).item())
    return out
