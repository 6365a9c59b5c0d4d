"""Dropout and its conventions for where the 1/(1-p) factor goes.

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

from dataclasses import dataclass

import torch
from torch import nn

__all__ = [
    "CONVENTIONS",
    "Convention",
    "Dropout",
    "dropout",
    "expected_train_output",
    "eval_output",
    "eval_over_train",
    "monte_carlo_mean",
    "set_dropout_convention",
    "with_test_factor",
    "train_mode_means",
]


@dataclass(frozen=True)
class Convention:
    """Where the scale goes: kept units are multiplied by ``train_scale(p)`` while training,
    all units by ``test_scale(p)`` at test time."""
    name: str
    description: str
    train_kept_scale: str   # "1" or "1/(1-p)"
    test_scale: str         # "1" or "1-p"

    def scales(self, p: float) -> tuple[float, float]:
        keep = 1.0 - p
        train = 1.0 if self.train_kept_scale == "1" else 1.0 / keep
        test = 1.0 if self.test_scale == "1" else keep
        return train, test


CONVENTIONS: dict[str, Convention] = {
    "paper": Convention("paper", "drop with probability p while training, multiply by 1-p at test "
                        "(the paper's rule, 1-p = 0.5)", "1", "1-p"),
    "inverted": Convention("inverted", "multiply kept units by 1/(1-p) while training, identity at "
                           "test (torch.nn.Dropout)", "1/(1-p)", "1"),
    "note": Convention("note", "the reading note: kept units scaled by 1/(1-p) while training AND "
                       "outputs multiplied by 1-p at test", "1/(1-p)", "1-p"),
    "unscaled": Convention("unscaled", "the opposite mix: plain masking while training, identity "
                           "at test", "1", "1"),
}


def _convention(name: str) -> Convention:
    try:
        return CONVENTIONS[name]
    except KeyError:
        raise ValueError(f"unknown dropout convention {name!r}; choose one of "
                         f"{sorted(CONVENTIONS)}") from None


def _check_p(p: float) -> None:
    if not 0.0 <= p < 1.0:
        raise ValueError(f"dropout probability must be in [0, 1), got {p}")


def dropout(x: torch.Tensor, p: float = 0.5, convention: str = "paper", training: bool = True,
            generator: torch.Generator | None = None) -> torch.Tensor:
    """Dropout of ``x`` with drop probability ``p`` under ``convention``."""
    _check_p(p)
    train_scale, test_scale = _convention(convention).scales(p)
    if not training:
        return x * test_scale if test_scale != 1.0 else x
    if p == 0.0:
        return x
    keep = torch.rand(x.shape, generator=generator, device=x.device, dtype=torch.float64) >= p
    return x * keep.to(x.dtype) * train_scale


class Dropout(nn.Module):
    """``nn.Dropout`` with an explicit convention (``"paper"`` by default).

    ``test_factor`` (1 unless changed, see :func:`with_test_factor`) multiplies the test-time
    output on top of the convention's rule: a deliberate mismatch, for demonstrations.
    """

    def __init__(self, p: float = 0.5, convention: str = "paper"):
        super().__init__()
        _check_p(p)
        _convention(convention)
        self.p = p
        self.convention = convention
        self.test_factor = 1.0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = dropout(x, self.p, self.convention, self.training)
        if not self.training and self.test_factor != 1.0:
            out = out * self.test_factor
        return out

    def extra_repr(self) -> str:
        extra = f", test_factor={self.test_factor:g}" if self.test_factor != 1.0 else ""
        return f"p={self.p}, convention={self.convention!r}{extra}"


def expected_train_output(x, p: float, convention: str) -> torch.Tensor:
    """Analytic expectation of the training output, E[mask * scale] * x, in float64."""
    _check_p(p)
    train_scale, _ = _convention(convention).scales(p)
    return torch.as_tensor(x, dtype=torch.float64) * ((1.0 - p) * train_scale)


def eval_output(x, p: float, convention: str) -> torch.Tensor:
    """The (deterministic) test-time output, in float64."""
    _check_p(p)
    _, test_scale = _convention(convention).scales(p)
    return torch.as_tensor(x, dtype=torch.float64) * test_scale


def eval_over_train(p: float, convention: str) -> float:
    """Test output divided by the expected training output: 1 for a consistent convention."""
    _check_p(p)
    train_scale, test_scale = _convention(convention).scales(p)
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
    import copy

    twin = copy.deepcopy(model)
    found = 0
    for m in twin.modules():
        if isinstance(m, Dropout):
            m.test_factor = float(factor)
            found += 1
    if not found:
        raise ValueError("the model has no alexnet_repro.dropout.Dropout layer")
    return twin


@torch.no_grad()
def train_mode_means(model: nn.Module, x: torch.Tensor, names, samples: int,
                     seed: int = 0) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """For each layer in ``names`` (short names, e.g. ``"fc7"``): the mean of its output over
    ``samples`` training-mode passes of ``x`` (fresh dropout masks each pass, float64 sums) and
    its evaluation-mode output. The global RNG is left as it was; the model's mode is restored.
    ``{name: (train_mean, eval_output)}``."""
    from alexnet_repro.model import layer_outputs

    was_training = model.training
    try:
        model.eval()
        ev = layer_outputs(model, x, names)
        sums = {n: torch.zeros_like(v, dtype=torch.float64) for n, v in ev.items()}
        model.train()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            for _ in range(samples):
                for n, v in layer_outputs(model, x, names).items():
                    sums[n] += v.double()
    finally:
        model.train(was_training)
    return {n: (sums[n] / samples, ev[n]) for n in ev}
