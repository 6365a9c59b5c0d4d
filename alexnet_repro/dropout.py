"""Dropout conventions for where the 1/(1-p) factor goes: the maths the dropout chapter checks.

The layer itself (:class:`~alexnet_repro.layers.Dropout`, the functional
:func:`~alexnet_repro.layers.dropout` and the table of conventions) lives in
:mod:`alexnet_repro.layers`; the names are re-exported here for the chapter.

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
chapter judges its claims with :mod:`alexnet_repro.judging`.
"""
from __future__ import annotations

import copy
import math

import torch
from torch import nn

from alexnet_repro.layers import (CONVENTIONS, Dropout, check_dropout_p, dropout,  # noqa: F401
                                  dropout_convention)
from alexnet_repro.probes import evaluate_split, model_inputs, train_mode_means

__all__ = [
    "CONVENTIONS", "Dropout", "dropout",   # re-exported from alexnet_repro.layers
    "expected_train_output",
    "eval_output",
    "eval_over_train",
    "monte_carlo_mean",
    "set_dropout_convention",
    "with_test_factor",
    "convention_check",
    "rule_factors",
    "evaluate_with_factors",
    "measured_eval_over_train",
]


def expected_train_output(x, p: float, convention: str) -> torch.Tensor:
    """Analytic expectation of the training output, E[mask * scale] * x, in float64."""
    check_dropout_p(p)
    train_scale, _ = dropout_convention(convention).scales(p)
    return torch.as_tensor(x, dtype=torch.float64) * ((1.0 - p) * train_scale)


def eval_output(x, p: float, convention: str) -> torch.Tensor:
    """The (deterministic) test-time output, in float64."""
    check_dropout_p(p)
    _, test_scale = dropout_convention(convention).scales(p)
    return torch.as_tensor(x, dtype=torch.float64) * test_scale


def eval_over_train(p: float, convention: str) -> float:
    """Test output divided by the expected training output: 1 for a consistent convention."""
    check_dropout_p(p)
    train_scale, test_scale = dropout_convention(convention).scales(p)
    return test_scale / ((1.0 - p) * train_scale)


def monte_carlo_mean(x: torch.Tensor, p: float, convention: str, samples: int,
                     seed: int = 0, chunk: int = 4096) -> torch.Tensor:
    """Mean of ``samples`` independent training-mode dropout draws of ``x`` (float64 sums)."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.as_tensor(x, dtype=torch.float64)
    total = torch.zeros_like(x)
    done = 0
    while done < samples:
        n = min(chunk, samples - done)
        draws = dropout(x.expand(n, *x.shape), p, convention, True, gen)
        total += draws.sum(dim=0)
        done += n
    return total / samples


def set_dropout_convention(model: nn.Module, convention: str) -> nn.Module:
    """Replace every ``nn.Dropout`` / ``Dropout`` in ``model`` (in place) by a ``Dropout`` with
    the same ``p`` and the given convention; returns the model."""
    for name, child in list(model.named_children()):
        if isinstance(child, (nn.Dropout, Dropout)):
            setattr(model, name, Dropout(child.p, convention))
        else:
            set_dropout_convention(child, convention)
    return model


def with_test_factor(model: nn.Module, factor: float) -> nn.Module:
    """A copy of ``model`` whose every :class:`Dropout` hands on ``factor`` times its correct
    test-time output: what the next layer sees at test is then ``factor`` times what it saw on
    average in training (0.5: the reading note's mix; 2: the opposite mix)."""
    twin = copy.deepcopy(model)
    found = 0
    for m in twin.modules():
        if isinstance(m, Dropout):
            m.test_factor = float(factor)
            found += 1
    if not found:
        raise ValueError("the model has no alexnet_repro.layers.Dropout layer")
    return twin


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
    :func:`~alexnet_repro.probes.train_mode_means`) on ``images`` validation images. 1 in
    expectation when the layer's input is deterministic; ``{layer: [ratio per run]}``."""
    out = {layer: [] for layer in layers}
    for run in runs:
        x_val, _ = model_inputs(run, "val", images)
        for layer, (mc, ev) in train_mode_means(run.model, x_val, list(layers), passes).items():
            out[layer].append((ev.double().sum() / mc.sum()).item())
    return out
