"""Errors of the training engine that several of its modules raise (the command line turns
each into a one-line message and an exit status, never a traceback)."""


class ConfigError(ValueError):
    """A training configuration with an unknown key or an invalid value."""


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite; the message says at which step and what to try."""
