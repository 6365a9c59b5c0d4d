"""Dropout conventions for where the 1/(1-p) factor goes: the maths the dropout chapter checks.

The layer itself (:class:`~alexnet_repro.nn.layers.Dropout`, the functional
:func:`~alexnet_repro.nn.layers.dropout` and the table of conventions) lives in
:mod:`alexnet_repro.nn.layers`; the dropout chapter's measurements live in
:mod:`alexnet_repro.chapters.dropout`.

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
"""
from __future__ import annotations

import copy

import torch
from torch import nn

from alexnet_repro.nn.layers import (
    Dropout,
    check_dropout_p,
    dropout,
    dropout_convention,
)


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
        raise ValueError("the model has no alexnet_repro.nn.layers.Dropout layer")
    return twin
