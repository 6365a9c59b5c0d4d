"""The data augmentation chapter (§4.1): its numbers, its claims and its record.

The augmentation itself (random patches and reflections, the PCA lighting, the ten test
patches) lives in :mod:`alexnet_repro.data.augment`, the pixel PCA in
:mod:`alexnet_repro.data.stats`. Here is what the chapter says about them: the values its prose
quotes (one dict per ``glue_all`` call), the sentences whose words depend on a result, the
captions of its tables and figures, the three (or four) judged claims of its experiment and the
record it saves, and what each "Try it" command costs on the machine that built the page.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch

from alexnet_repro.analysis.judging import (
    chapter_record,
    design_sentence,
    format_error_pct,
    judge,
    points,
    ten_crop_claim,
)
from alexnet_repro.analysis.run_metrics import (
    final_error,
    overfit_gap,
    paired,
    runs_digest,
)
from alexnet_repro.analysis.setting import setting_text
from alexnet_repro.common.html import html_table
from alexnet_repro.common.text import dataset_name, duration_words, plural
from alexnet_repro.data.augment import (
    PAPER_CROP_ARITHMETIC,
    PAPER_STORED,
    lighting_scale,
)
from alexnet_repro.data.images import PAPER_STORED_SIZE
from alexnet_repro.quoted.paper import CLAIMS, PAPER
from alexnet_repro.viz.pictures import photograph

#: Line colours of the training curves, per ``augment`` variant.
COLOURS = {"none": "tab:red", "flip": "tab:purple", "crop_flip": "tab:blue", "paper": "tab:green"}

#: The columns of the table of final errors (``final_errors_table``): key, header.
FINAL_ERROR_COLUMNS = [
    ("augment", "augment"), ("train", "training error (last epoch, as trained)"),
    ("train_eval", "training error (centre patch, after training)"), ("val", "validation error (centre)"),
    ("gap", "gap (validation − training, centre patch)"), ("ten_crop", "validation error (ten patches)")]

#: The columns of the table of the ten test windows (``ten_crop_windows``): key, header.
WINDOW_COLUMNS = [("name", "window"), ("top", "top"), ("left", "left"), ("size", "side"),
                  ("flipped", "reflected")]

#: How the prose names the experiment's networks and datasets.
MODEL_NAMES = {"small_cnn": "the book's four-layer CNN", "alexnet": "AlexNet"}


# ------------------------------------------------------------------------ the paper's numbers

def paper_numbers() -> dict:
    """The paper's augmentation numbers the prose quotes (``aug_`` glue): the stored side, the
    printed and the arithmetic crop, the lighting's σ, the number of test patches and the PCA
    lighting's claimed gain. Checks that the stored side is the one ``preprocess`` uses."""
    aug = PAPER["augmentation"]
    if PAPER_STORED != PAPER_STORED_SIZE:
        raise ValueError(f"the paper's stored side {PAPER_STORED} is not preprocess's {PAPER_STORED_SIZE}")
    return {"stored": PAPER_STORED, "printed_crop": aug["crop"], "crop": PAPER_CROP_ARITHMETIC,
            "alpha_std": aug["pca_alpha_std"], "test_patches": aug["test_patches"],
            "pca_claim": CLAIMS["pca_color"]["top1_reduction_pct_at_least"]}


def photographs(names: Sequence[str]) -> dict[str, torch.Tensor]:
    """The scikit-image photographs ``names`` as uint8 (3, H, W) tensors, by name."""
    return {name: torch.from_numpy(photograph(name, names)).permute(2, 0, 1) for name in names}


def photo_index(names: Sequence[str], wanted: str) -> int:
    """Index of the photograph ``wanted`` among ``names``; the first one when it is absent."""
    return list(names).index(wanted) if wanted in names else 0


# ------------------------------------------------------------------------ translations and reflections

def translation_glue(count: Mapping[str, int], stored: int = PAPER_STORED) -> dict:
    """The translation counts the prose quotes (``aug_`` glue): ``count``
    (:func:`~alexnet_repro.data.augment.translation_counts`) with thousands commas, the paper's
    factor, the span and the number of offsets of the printed crop, and the two formulas."""
    crop = PAPER["augmentation"]["crop"]
    return {**{key: f"{value:,}" for key, value in count.items()},
            "paper_factor": f"{PAPER['augmentation']['factor']:,}",
            "span_224": stored - crop, "positions_224": stored - crop + 1,
            "formula_224": f"({stored} − {crop})² × 2",
            "formula_227_exact": f"({stored} − {PAPER_CROP_ARITHMETIC} + 1)² × 2"}


def translation_table(count: Mapping[str, int]) -> str:
    """HTML table of ``count`` (keys ``"count_<side>"`` and ``"exact_<side>"``): one row per
    patch side, the paper's count and the exact number of distinct patches."""
    sides = sorted({int(key.split("_")[1]) for key in count})
    rows = [{"side": side, "count": f"{count[f'count_{side}']:,}", "exact": f"{count[f'exact_{side}']:,}"}
            for side in sides]
    return html_table(rows, [("side", "patch side"), ("count", "the paper's count: (S − c)² × 2"),
                             ("exact", "distinct patches: (S − c + 1)² × 2")],
                      caption=f"Patches of a {PAPER_STORED}×{PAPER_STORED} image")


# ------------------------------------------------------------------------ PCA lighting

def p1_kind(p1: Sequence[float]) -> str:
    """What the first principal component of the pixel colours does to an image: the same
    sign in every channel is a change of brightness, mixed signs a change of hue."""
    if all(float(v) > 0 for v in p1):
        return "all of one sign: lighter or darker in every channel at once"
    return "of mixed signs: a change of hue as much as of brightness"


def lighting_glue(pca, sigma: float) -> dict:
    """The PCA lighting numbers the prose quotes (``aug_`` glue): λ₁, its share of the variance,
    the shift of one standard deviation ``sigma`` in grey levels three ways
    (:func:`~alexnet_repro.data.augment.lighting_scale`), p₁ and :func:`p1_kind`."""
    scale, p1 = lighting_scale(pca, sigma), pca.eigenvectors[:, 0]
    return {"lambda1": f"{scale['lambda1']:.4f}", "share1": f"{scale['share']:.0%}",
            "shift_levels": f"{scale['levels']:.1f}", "shift_levels_255": f"{scale['levels_255']:.0f}",
            "shift_levels_sqrt": f"{scale['levels_sqrt']:.1f}",
            "p1": "(" + ", ".join(f"{v:+.2f}" for v in p1) + ")", "p1_kind": p1_kind(p1.tolist())}


def lighting_settings(sigma: float) -> list[tuple[str, float, str]]:
    """The rows of the lighting figure: ``(lighting mode, σ, title)``: as printed, with √λ, and
    with √λ at five times σ."""
    return [("paper", sigma, f"as printed: λ, σ = {sigma}"),
            ("sqrt", sigma, f"√λ, σ = {sigma}"),
            ("sqrt", 5 * sigma, f"√λ, σ = {5 * sigma:g} (exaggerated)")]


# ------------------------------------------------------------------------ the test-time patches

def window_table(windows: Sequence[Mapping]) -> str:
    """HTML table of the test windows (:data:`WINDOW_COLUMNS`), "yes"/"no" for a reflection."""
    rows = [{**w, "flipped": "yes" if w["flipped"] else "no"} for w in windows]
    return html_table(rows, WINDOW_COLUMNS)


def window_glue(windows: Sequence[Mapping]) -> dict:
    """The offsets of the test windows (``aug_`` glue): where the centre window starts and
    how far the corner windows reach. Checks that there are as many as the paper's patches."""
    if len(windows) != PAPER["augmentation"]["test_patches"]:
        raise ValueError(f"{len(windows)} test windows, the paper has {PAPER['augmentation']['test_patches']}")
    centre = next(w for w in windows if w["name"] == "centre")
    return {"centre_offset": centre["top"], "corner_offset": max(w["top"] for w in windows)}


# ------------------------------------------------------------------------ the experiment

def described(runs: Mapping[str, Sequence]) -> dict:
    """The dataset block of the first run (every seed's subset has these sizes)."""
    return next(iter(runs.values()))[0]["dataset"]


def experiment_glue(runs: Mapping[str, Sequence], base, seeds: Sequence[int]) -> dict:
    """The setting of the experiment the prose quotes (``aug_exp_`` glue): dataset and its sizes,
    network, epochs, seeds, runs and the minutes of training they took together; in words
    (``*_text``): the dataset and network by name, the seeds and epochs with their nouns."""
    data = described(runs)
    minutes = sum(r["wall_time_s"] for rs in runs.values() for r in rs) / 60
    return {"dataset": data["name"], "train": data["train_images"], "val": data["val_images"],
            "stored": data["image_size"], "crop": data["crop_size"], "model": base.model, "epochs": base.epochs,
            "seeds": len(seeds), "runs": len(seeds) * len(runs), "minutes": f"{minutes:.1f}",
            "dataset_text": dataset_name(data["name"]),
            "model_text": MODEL_NAMES.get(base.model, base.model),
            "seeds_text": plural(len(seeds), "seed"), "epochs_text": plural(base.epochs, "epoch")}


def final_error_glue(table: Mapping[str, Mapping]) -> dict:
    """The final errors the prose quotes (``aug_`` glue) from ``final_errors``: per variant
    ``none`` and ``paper`` the training errors and the validation error (mean ± standard deviation
    over seeds, in percent), the gap and what the ten patches change (in points)."""
    out = {f"{v}_{k}": format_error_pct(table[v][k]) for v in ("none", "paper")
           for k in ("train", "train_eval", "val")}
    out.update({f"{v}_{k}": format_error_pct(table[v][k], " points")
                for v in ("none", "paper") for k in ("gap", "ten_minus_centre")})
    return out


def claim_setting(runs: Mapping[str, Sequence], base, seeds: Sequence[int]) -> str:
    """The setting of the experiment's claims (:func:`~alexnet_repro.analysis.setting.setting_text`)."""
    data = described(runs)
    return setting_text(base, train_images=data["train_images"], seeds=len(seeds),
                        val_images=data["val_images"], crop=data["crop_size"])


def pca_setting(setting: str, channels: int) -> str:
    """The PCA lighting claim's setting: on one-channel images the lighting is brightness noise."""
    return setting + ("; 1 channel: brightness noise" if channels == 1 else "")


def judge_claims(runs: Mapping[str, Sequence], base, seeds: Sequence[int]) -> list[dict]:
    """The experiment's claims, each judged on per-seed paired effects in points: augmentation
    curbs overfitting (the gap without minus with), lowers the validation error, the ten patches
    lower the augmented network's error, and, when ``crop_flip`` ran, the PCA lighting helps."""
    setting, dataset = claim_setting(runs, base, seeds), base.dataset
    claims = [
        judge("augmentation_overfitting", paired(runs, "none", "paper", overfit_gap),   # points already
              dataset=dataset, setting=setting),
        judge("augmentation_val_error", points(paired(runs, "none", "paper", final_error)),
              dataset=dataset, setting=setting),
        ten_crop_claim([r.record for r in runs["paper"]], setting=setting + "; network trained with augmentation"),
    ]
    if "crop_flip" in runs:
        claims.append(judge("pca_color", points(paired(runs, "crop_flip", "paper", final_error)),
                            dataset=dataset, setting=pca_setting(setting, described(runs)["channels"])))
    return claims


def claims_glue(claims: Sequence[Mapping]) -> dict:
    """The claims' outcomes and measured texts the prose quotes (``aug_`` glue:
    ``<key>_outcome``, ``<key>_measured``) and the design sentence."""
    return {"design": design_sentence(claims),
            **{f"{c['key']}_{k}": c[k] for c in claims for k in ("outcome", "measured")}}


def try_glue(chapter_seconds: float, train_seconds: float, *, variants: int, seeds: int, limit: int,
             try_variants: int, try_seeds: int, try_limit: int) -> dict[str, str]:
    """What the "Try it" commands cost on the machine that built the page (``aug_`` glue): the
    page's time ``chapter_seconds`` with its training time ``train_seconds`` scaled by the number
    of variants (``try_variants``), of seeds (``try_seeds``) or of training images per run
    (``try_limit``: the steps per epoch), the rest of the page unchanged."""
    def cost(factor: float) -> str:
        return duration_words(chapter_seconds + train_seconds * (factor - 1))
    return {"try_variants": cost(try_variants / variants), "try_seeds": cost(try_seeds / seeds),
            "try_limit": cost(try_limit / limit)}


def augmentation_record(profile: str, claims: Sequence[Mapping], runs: Mapping[str, Sequence], base,
                        seeds: Sequence[int], table: Mapping, count: Mapping, photos: Sequence[str], pca) -> dict:
    """The chapter record: the claims, the setting, the final errors per variant, every run's
    digest, the translation counts and the photographs' pixel PCA."""
    data = described(runs)
    return chapter_record("augmentation", profile, claims, extra={
        "dataset": data, "crop_size": data["crop_size"], "model": base.model,
        "model_kwargs": base.model_kwargs, "epochs": base.epochs, "seeds": list(seeds), "variants": table,
        "runs": runs_digest(runs), "translation_counts": count,
        "photo_pca": {"photos": photos, "eigenvalues": pca.eigenvalues.tolist(),
                      "eigenvectors": pca.eigenvectors.tolist()}})
