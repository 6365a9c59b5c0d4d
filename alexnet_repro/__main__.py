"""Command line: ``python -m alexnet_repro {book,train,evaluate,prepare} ...``."""
from __future__ import annotations

import sys

USAGE = """usage: python -m alexnet_repro COMMAND [options]

commands:
  book      execute chapters with papermill under a profile and build the HTML book
  train     train a model with the one training engine (resumable)
  evaluate  evaluate a checkpoint (centre crop and ten-crop)
  prepare   preprocess a dataset once into shards (256x256 JPEGs, mean image, PCA)

Run 'python -m alexnet_repro COMMAND --help' for the options of a command.
"""


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE)
        return 0
    command, rest = argv[0], argv[1:]
    # each command's module is imported only when asked for (``book`` does not need torch)
    if command == "book":
        from alexnet_repro.bookrun.runner import main as run
    elif command in ("train", "evaluate"):
        from alexnet_repro.engine.cli import main as run
        rest = [command] + rest
    elif command == "prepare":
        from alexnet_repro.data.prepare import main as run
    else:
        print(f"error: unknown command {command!r}\n\n{USAGE}", file=sys.stderr)
        return 2
    return int(run(rest) or 0)


if __name__ == "__main__":
    sys.exit(main())
