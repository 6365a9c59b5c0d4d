"""alexnet_repro: an executable reproduction of Krizhevsky, Sutskever & Hinton (2012)."""

__version__ = "0.1.0"
