"""Learning-rate schedules: one small object per rule, chosen by ``TrainConfig.schedule``.

The loop calls ``lr = schedule.step(step, epoch)`` before every SGD step (a per-step hook:
warm-up or cosine decay live there) and ``schedule.end_epoch(epoch, val_error)`` after each
epoch's validation (the paper's rule lives there). ``state_dict``/``load_state_dict`` make a
resumed run continue the schedule exactly.

Rules (``SCHEDULES``): ``"plateau"``, the paper's §5 rule automated (divide by 10 when the
validation top-1 error has not improved for ``plateau_patience`` epochs, at most
``max_lr_drops`` times); ``"fixed"``; ``"step:E1,E2"`` divides by 10 after epochs E1, E2;
``"cosine"`` decays from ``lr`` to 0 over the run's steps (half a cosine); ``"released"`` is the
authors' released schedule (layers-145) scaled to the run's length (:func:`released_drop_epochs`).
Adding a rule is one class and one line in ``SCHEDULES``.
"""
from __future__ import annotations

import math

from alexnet_repro.common.errors import ConfigError
from alexnet_repro.quoted.paper import PAPER
from alexnet_repro.quoted.released_2012 import RELEASED_2012

LR_DIVISOR = PAPER["training"]["lr_divisor"]   # 10
#: Epochs after which the released run (layers-145) divided every layer's weight learning rate
#: by 10, and the epoch it was stopped at: (25, 51, 79) of 91.
RELEASED_DROPS = tuple(e for e, _, note in RELEASED_2012["schedule"]["steps"]
                       if note in ("all layers", "all other layers"))
RELEASED_EPOCHS = RELEASED_2012["schedule"]["killed_at_epoch"]


class Schedule:
    """A constant learning rate ("fixed"); the base of every rule. ``uses_length``: whether the
    rule reads the run's length (then a shorter run is not the start of a longer one)."""

    uses_length = False

    def __init__(self, config, total_steps: int | None = None):
        self.lr = config.lr

    def step(self, step: int, epoch: int) -> float:
        """The learning rate for global step ``step`` (0-based) of epoch ``epoch`` (0-based)."""
        return self.lr

    def end_epoch(self, epoch: int, val_error: float) -> float | None:
        """Called after epoch ``epoch`` (1-based); returns the new lr after a drop, else None."""
        return None

    def _drop(self) -> float:
        self.lr /= LR_DIVISOR
        return self.lr

    def state_dict(self) -> dict:
        return dict(vars(self))

    def load_state_dict(self, state: dict) -> None:
        vars(self).update(state)


class Plateau(Schedule):
    """Divide by 10 when the validation error has not improved for ``plateau_patience`` epochs."""

    def __init__(self, config, total_steps=None):
        super().__init__(config)
        self.patience, self.max_drops = config.plateau_patience, config.max_lr_drops
        self.best, self.bad_epochs, self.drops = math.inf, 0, 0

    def end_epoch(self, epoch, val_error):
        if val_error < self.best:
            self.best, self.bad_epochs = val_error, 0
            return None
        self.bad_epochs += 1
        if self.bad_epochs < self.patience or self.drops >= self.max_drops:
            return None
        self.bad_epochs, self.drops = 0, self.drops + 1
        return self._drop()


class StepDrops(Schedule):
    """Divide by 10 after each epoch of ``milestones`` ("step:E1,E2,...")."""

    def __init__(self, config, total_steps=None):
        super().__init__(config)
        self.milestones = list(parse_schedule(config.schedule)[1])

    def end_epoch(self, epoch, val_error):
        return self._drop() if epoch in self.milestones else None


def released_drop_epochs(epochs: int) -> tuple[int, ...]:
    """Epochs (1-based) after which the ``"released"`` rule divides the learning rate by 10 in a
    run of ``epochs`` epochs: ``round(epochs * d / 91)`` for each drop ``d`` of the released run
    (25, 51, 79 of its 91 epochs), kept within 1 .. ``epochs - 1`` (a drop after the last epoch
    would change nothing), duplicates collapsed. 90 epochs: (25, 50, 78); 15: (4, 8, 13); 3: (1, 2)."""
    drops = (min(max(1, math.floor(epochs * d / RELEASED_EPOCHS + 0.5)), epochs - 1) for d in RELEASED_DROPS)
    return tuple(sorted({e for e in drops if e >= 1}))


class Released(StepDrops):
    """The released configuration's schedule scaled to this run: divide by 10 after each epoch of
    :func:`released_drop_epochs` (``config.epochs``), whatever the validation error does; does
    not depend on ``max_lr_drops`` or ``plateau_patience``. A resumed run keeps the drop epochs
    of the run it continues (they are part of the checkpointed state)."""

    uses_length = True

    def __init__(self, config, total_steps=None):
        Schedule.__init__(self, config)
        self.milestones = list(released_drop_epochs(int(config.epochs)))


class Cosine(Schedule):
    """``lr * (1 + cos(pi * step / total_steps)) / 2``: from ``lr`` at step 0 towards 0."""

    uses_length = True

    def __init__(self, config, total_steps=None):
        super().__init__(config)
        self.base, self.total = config.lr, max(1, int(total_steps or 1))

    def step(self, step, epoch):
        self.lr = self.base * (1 + math.cos(math.pi * min(step, self.total) / self.total)) / 2
        return self.lr

    def load_state_dict(self, state):
        self.lr = state["lr"]   # the horizon is this run's: a resumed run may have more epochs


SCHEDULES = {"fixed": Schedule, "plateau": Plateau, "step": StepDrops, "cosine": Cosine, "released": Released}


def schedule_names() -> str:
    """The rules as ``TrainConfig.schedule`` spells them (for help texts and errors)."""
    return " | ".join("step:E1,E2,..." if name == "step" else name for name in SCHEDULES)


def parse_schedule(schedule: str) -> tuple[str, tuple[int, ...]]:
    """``"plateau"`` | ``"fixed"`` | ``"cosine"`` | ``"released"`` | ``"step:E1,E2,..."`` -> (name, epochs)."""
    if isinstance(schedule, str) and schedule in SCHEDULES and schedule != "step":
        return schedule, ()
    if isinstance(schedule, str) and schedule.startswith("step:"):
        try:
            epochs = tuple(int(e) for e in schedule[5:].split(","))
        except ValueError:
            epochs = ()
        if epochs and all(e >= 1 for e in epochs) and list(epochs) == sorted(set(epochs)):
            return "step", epochs
    raise ConfigError(f"schedule must be one of {schedule_names()} (step epochs increasing, >= 1); "
                      f"got {schedule!r}")


def prefix_of_longer(schedule: str) -> bool:
    """Whether a run under ``schedule`` is, step for step, the start of the same run with more
    epochs (true of "fixed", "plateau" and "step:..."; not of "cosine" or "released", which read
    the run's length)."""
    return not SCHEDULES[parse_schedule(schedule)[0]].uses_length


def make_schedule(config, total_steps: int | None = None) -> Schedule:
    """The schedule object ``config.schedule`` names (``total_steps``: the run's SGD steps)."""
    return SCHEDULES[parse_schedule(config.schedule)[0]](config, total_steps)
