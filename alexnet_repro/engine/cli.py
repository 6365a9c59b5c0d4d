"""The command line of the training engine: ``python -m alexnet_repro train|evaluate ...``.

Every ``train`` option maps to one field of :class:`~alexnet_repro.engine.loop.TrainConfig` (model
options to ``model_kwargs``); options not given keep TrainConfig's defaults, with two
conveniences for small runs, both printed: ``--limit N`` also limits the validation set to
``N // 4`` images unless ``--val-limit`` says otherwise, and AlexNet on a dataset whose images
are smaller than it can take (Fashion-MNIST, CIFAR-10) and no ``--image-size`` (an error
otherwise) gets ``SMALL_IMAGE_SIZE`` and ``SMALL_IMAGE_MODEL`` wherever the options leave them open. ``--resume`` continues the run the checkpoint in ``--out`` describes,
with its saved settings; only settings that may safely change (``checkpoint.RESUMABLE_CHANGES``,
such as ``--epochs``) may be given again. Errors end in one ``error: ...`` line, not a traceback.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from alexnet_repro.common.errors import ConfigError, TrainingDiverged
from alexnet_repro.data.images import BadImageError
from alexnet_repro.data.registry import REGISTRY, DatasetNotFound, describe_datasets
from alexnet_repro.engine.checkpoint import (
    CHECKPOINT,
    RESUMABLE_CHANGES,
    ResumeError,
    load_checkpoint,
)
from alexnet_repro.engine.config import TrainConfig
from alexnet_repro.engine.evaluate import evaluate_checkpoint
from alexnet_repro.engine.loop import RECORD, train
from alexnet_repro.engine.schedule import schedule_names

# command-line name -> model_kwargs key (each is a real argument of the models)
MODEL_FLAGS = {"width": "width", "activation": "activation", "lrn": "lrn", "dropout": "dropout",
               "towers": "towers", "init": "init", "dropout_style": "dropout_convention"}
# Settings for AlexNet on datasets whose images are smaller than it accepts (each only where not given):
SMALL_IMAGE_SIZE = 76       # stored side whose 67-px crop is the smallest input AlexNet accepts
SMALL_IMAGE_MODEL = {"width": 0.25, "init": "kaiming"}   # trains in a minute on 2 CPU cores


def _parser() -> argparse.ArgumentParser:
    S = argparse.SUPPRESS     # only options given on the command line override the defaults
    p = argparse.ArgumentParser(
        prog="python -m alexnet_repro train", argument_default=S,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Train a model with the project's one training engine. Every option "
                    "defaults to TrainConfig's default (the paper's settings where it has them).\n"
                    "Several GPUs: torchrun --nproc_per_node N -m alexnet_repro train ...\n\n"
                    f"datasets:\n{describe_datasets()}")
    _data_options(p.add_argument_group("data"))
    _model_options(p.add_argument_group("model"))
    _optimisation_options(p.add_argument_group("optimisation"))
    _run_options(p.add_argument_group("run"))
    defaults = TrainConfig().to_dict()
    for action in p._actions:   # show TrainConfig's defaults in --help
        if action.dest in defaults and action.nargs != 0:
            action.help = (action.help + " " if action.help else "") + f"(default: {defaults[action.dest]})"
    return p


def _data_options(d) -> None:
    d.add_argument("--config", help="JSON file of TrainConfig fields; options given here override it")
    d.add_argument("--dataset", choices=tuple(REGISTRY), help="see 'datasets' above")
    d.add_argument("--data-root", dest="data_root", help="folder the dataset is read from")
    d.add_argument("--download", action="store_true", help="download the dataset if missing (needs internet)")
    d.add_argument("--limit", type=int, help="class-balanced subset of the training set (also limits "
                                             "the validation set to limit // 4 unless --val-limit)")
    d.add_argument("--val-limit", dest="val_limit", type=int, help="subset of the validation set")
    d.add_argument("--image-size", dest="image_size", type=int, help="stored image side (the paper's 256)")
    d.add_argument("--crop-size", dest="crop_size", type=int,
                   help="network input side; None = round(image_size*227/256)")
    d.add_argument("--augment", help="none | flip | crop_flip | paper")
    d.add_argument("--on-bad-image", dest="on_bad_image", help="skip (count them) | fail")
    d.add_argument("--num-workers", dest="num_workers", type=int, help="data loading processes")


def _model_options(m) -> None:
    m.add_argument("--model", help="alexnet | small_cnn")
    m.add_argument("--width", type=float, help="width multiplier of every hidden layer")
    m.add_argument("--activation", help="relu | tanh")
    m.add_argument("--lrn", dest="lrn", action="store_true", help="local response normalization on")
    m.add_argument("--no-lrn", dest="lrn", action="store_false", help="local response normalization off")
    m.add_argument("--pool", choices=("overlap", "plain"), help="overlapping (3/2) or plain (2/2) pooling")
    m.add_argument("--dropout", type=float, help="drop probability of fc6/fc7")
    m.add_argument("--dropout-style", dest="dropout_style",
                   help="where dropout's scale goes: paper | inverted | note | unscaled (model "
                        "argument dropout_convention)")
    m.add_argument("--towers", type=int, help="1, or 2 for the paper's two-GPU connectivity")
    m.add_argument("--init", help="paper | kaiming")
    m.add_argument("--model-arg", dest="model_arg", action="append", metavar="KEY=VALUE",
                   help="any other model argument (VALUE as JSON, e.g. --model-arg width=0.5)")


def _optimisation_options(t) -> None:
    t.add_argument("--epochs", type=int)
    t.add_argument("--batch-size", dest="batch_size", type=int, help="global batch size")
    t.add_argument("--lr", type=float, help="initial learning rate")
    t.add_argument("--momentum", type=float)
    t.add_argument("--weight-decay", dest="weight_decay", type=float)
    t.add_argument("--schedule", help=schedule_names())
    t.add_argument("--plateau-patience", dest="plateau_patience", type=int)
    t.add_argument("--max-lr-drops", dest="max_lr_drops", type=int)
    t.add_argument("--seed", type=int)


def _run_options(r) -> None:
    r.add_argument("--out", dest="out_dir", help="run folder: checkpoint.pt and record.json")
    r.add_argument("--resume", action="store_true",
                   help="continue the run in --out with its saved settings (only settings such as "
                        "--epochs may be given again)")
    r.add_argument("--checkpoint-every-steps", dest="checkpoint_every_steps", type=int,
                   help="also checkpoint every N steps (0 = every epoch only)")
    r.add_argument("--log-every", dest="log_every", type=int, help="record training error every N steps")
    r.add_argument("--eval-train-every", dest="eval_train_every", type=int,
                   help="also record the training error in evaluation mode every N steps (a multiple of "
                        "--log-every), on --eval-train-images training images")
    r.add_argument("--eval-train-images", dest="eval_train_images", type=int)
    r.add_argument("--device", help="auto | cpu | cuda | cuda:N | mps")
    r.add_argument("--amp", help="auto (bf16 on CUDA) | bf16 | off")
    r.add_argument("--channels-last", dest="channels_last", action="store_true")
    r.add_argument("--no-channels-last", dest="channels_last", action="store_false")
    r.add_argument("--compile", action="store_true", help="torch.compile the model")
    r.add_argument("--no-ten-crop", dest="ten_crop_eval", action="store_false",
                   help="skip the final ten-crop evaluation")
    r.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bars")
    r.add_argument("--profile", help="book profile to record")


def _given_settings(ns: dict) -> dict:
    """TrainConfig fields the options in ``ns`` set (``--config`` file first, options over it)."""
    base = {}
    if "config" in ns:
        try:
            base = json.loads(Path(ns.pop("config")).read_text())
        except (OSError, json.JSONDecodeError) as e:
            raise ConfigError(f"cannot read --config: {e}") from None
    model_kwargs = dict(base.get("model_kwargs", {}))
    for item in ns.pop("model_arg", []):
        key, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(f"--model-arg expects KEY=VALUE, got {item!r}")
        try:
            model_kwargs[key] = json.loads(value)
        except json.JSONDecodeError:
            model_kwargs[key] = value
    if "pool" in ns:
        model_kwargs["overlap_pool"] = ns.pop("pool") == "overlap"
    for flag, key in MODEL_FLAGS.items():
        if flag in ns:
            model_kwargs[key] = ns.pop(flag)
    given = {**base, **ns}
    if model_kwargs:
        given["model_kwargs"] = model_kwargs
    return given


def _resume_settings(given: dict, notes: list[str]) -> dict:
    """With ``--resume``: the checkpoint's own settings, with only the options given over them."""
    path = Path(given["out_dir"]) / CHECKPOINT
    if not path.exists():
        return given
    saved = load_checkpoint(path)["config"]
    changed = sorted(k for k in RESUMABLE_CHANGES & set(given) - {"resume"} if given[k] != saved.get(k))
    notes.append(f"resuming the run in {given['out_dir']} with its saved settings"
                 + (f"; changed: {', '.join(f'{k}={given[k]!r}' for k in changed)}" if changed else ""))
    settings = {**saved, **given}
    if "model_kwargs" in given:   # model options given again add to the saved ones
        settings["model_kwargs"] = {**saved.get("model_kwargs", {}), **given["model_kwargs"]}
    return settings


def _small_run_defaults(given: dict, notes: list[str]) -> dict:
    """``--limit`` bounds the validation set; AlexNet gets images large enough for it."""
    out = dict(given)
    if out.get("limit") is not None and "val_limit" not in out:
        out["val_limit"] = max(1, out["limit"] // 4)
        notes.append(f"--limit {out['limit']} also limits the validation set to {out['val_limit']} "
                     "images (--val-limit N to choose)")
    dataset = out.get("dataset", TrainConfig.dataset)
    native = REGISTRY[dataset].native_size if dataset in REGISTRY else None
    if (out.get("model", TrainConfig.model) != "alexnet" or "image_size" in out or native is None
            or native >= SMALL_IMAGE_SIZE):
        return out
    # AlexNet cannot take these images at their own size (an error before): small-image settings
    kwargs = dict(out.get("model_kwargs", {}))
    out["image_size"] = SMALL_IMAGE_SIZE
    chosen = [f"image_size={SMALL_IMAGE_SIZE}"]
    for key, value in SMALL_IMAGE_MODEL.items():
        chosen.append(f"{key}={kwargs.setdefault(key, value)}")
    out["model_kwargs"] = kwargs
    notes.append(f"{dataset}'s images are {native} px, too small for AlexNet: training with "
                 f"{', '.join(chosen)} (67-px crops, the smallest AlexNet takes; a CPU-sized network). "
                 "Give --image-size to choose your own settings.")
    return out


def train_config(argv: list[str]) -> tuple[TrainConfig, list[str]]:
    """The ``TrainConfig`` the ``train`` command line describes, and notes on what was chosen."""
    given, notes = _given_settings(vars(_parser().parse_args(argv))), []
    if given.get("resume") and given.get("out_dir"):
        settings = _resume_settings(given, notes)
        if settings is not given:
            return TrainConfig.from_dict(settings), notes
    return TrainConfig.from_dict(_small_run_defaults(given, notes)), notes


def config_from_args(argv: list[str]) -> TrainConfig:
    """The ``TrainConfig`` the ``train`` command line describes."""
    return train_config(argv)[0]


def _print_result(result, config: TrainConfig) -> None:
    rec, fin = result.record, result.record["final"]
    top5 = "" if fin["val_top5_error"] is None else f", top-5 {100 * fin['val_top5_error']:.2f}%"
    print(f"trained {fin['epochs']} epochs ({fin['steps']} steps, {rec['wall_time_s']:.1f} s): "
          f"validation top-1 error {100 * fin['val_top1_error']:.2f}%{top5} (centre crop, "
          f"{fin['val_images']} images)")
    if fin.get("val_top1_error_ten_crop") is not None:
        t5 = fin.get("val_top5_error_ten_crop")
        print(f"  ten crops: top-1 {100 * fin['val_top1_error_ten_crop']:.2f}%"
              + ("" if t5 is None else f", top-5 {100 * t5:.2f}%"))
    if config.out_dir:
        print(f"record: {Path(config.out_dir) / (RECORD + '.json')}")


def _train_main(argv: list[str]) -> int:
    config, notes = train_config(argv)
    main_rank = int(os.environ.get("RANK", "0")) == 0
    for note in notes if main_rank else []:
        print(f"note: {note}", file=sys.stderr)
    result = train(config)
    if main_rank:
        _print_result(result, config)
    return 0


def _evaluate_main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m alexnet_repro evaluate",
                                description="Centre-crop and ten-crop validation errors of a checkpoint.")
    p.add_argument("--checkpoint", required=True, help="run folder (holding checkpoint.pt) or checkpoint file")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda | mps")
    p.add_argument("--data-root", help="read the dataset from here instead of the recorded place")
    p.add_argument("--batch-size", type=int)
    p.add_argument("--no-ten-crop", dest="ten_crop", action="store_false")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    a = p.parse_args(argv)
    res = evaluate_checkpoint(a.checkpoint, device=a.device, data_root=a.data_root,
                              batch_size=a.batch_size, ten_crop=a.ten_crop, progress=not a.json)
    if a.json:
        print(json.dumps(res))
        return 0

    def pct(v):
        return "n/a (fewer than 6 classes)" if v is None else f"{100 * v:.2f}%"

    print(f"{res['checkpoint']}: epoch {res['epoch']}, step {res['steps']}, {res['images']} validation images")
    print(f"  centre crop: top-1 error {pct(res['top1_error'])}, top-5 error {pct(res['top5_error'])}")
    if a.ten_crop:
        print(f"  ten crops:   top-1 error {pct(res['top1_error_ten_crop'])}, "
              f"top-5 error {pct(res['top5_error_ten_crop'])}")
    return 0


COMMANDS = {"train": _train_main, "evaluate": _evaluate_main}


def main(argv: list[str] | None = None) -> int:
    """``train ...`` or ``evaluate ...`` (argv[0]); see ``--help`` of each."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS:
        print(f"usage: python -m alexnet_repro {{{','.join(COMMANDS)}}} [options]", file=sys.stderr)
        return 2
    try:
        return COMMANDS[argv[0]](argv[1:])
    except KeyboardInterrupt as e:
        print(f"\n{e or 'interrupted'}", file=sys.stderr)
        return 130
    except TrainingDiverged as e:
        print(f"error: {e}", file=sys.stderr)
        return 3
    except (ValueError, ResumeError, DatasetNotFound, BadImageError, OSError) as e:
        # ConfigError is a ValueError; CheckpointWriteError and FileNotFoundError are OSErrors
        print(f"error: {e}", file=sys.stderr)
        return 2
