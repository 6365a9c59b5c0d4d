"""The architecture read off a built network, for the architecture chapter (§3.2–3.5, §5).

``model.py`` builds the network; this module measures what the paper says about it, from the
built model and its :func:`~alexnet_repro.nn.model.layer_table` rows: which layers read one tower
or both (:func:`figure2_facts`), the input-size arithmetic (:func:`input_size_facts`), where the
parameters and multiply-adds are (:func:`cost_facts`), one tower against two
(:func:`tower_facts`), receptive fields (:func:`receptive_field_facts`), the initialization
(:func:`init_facts`, :func:`spread_facts`), the LRN conventions of the paper, PyTorch and Caffe
(:func:`lrn_conventions`, :func:`lrn_facts`), a photograph's way through the network
(:func:`output_shapes`, :func:`photo_facts`), the authors' released configuration against the
paper (:func:`released_facts`, :func:`released_table`), and the chapter's claims (:func:`claims`).

The ``*_facts`` functions return ``{name: value}`` dicts of the numbers the chapter's prose
quotes (``chapter.glue_all(facts, prefix="arch_")``). Where the prose states a fact about the
model (e.g. "the paper's neuron list disagrees only for conv1"), the function checks it and
raises :class:`ProseMismatch` when the model says otherwise.
"""
from __future__ import annotations

import copy
import math
from typing import Mapping

import torch
from torch import nn

from alexnet_repro.analysis.judging import exact_claim
from alexnet_repro.analysis.paper_vs_released import differences
from alexnet_repro.analysis.probes import lrn_share
from alexnet_repro.common.html import html_table
from alexnet_repro.common.text import duration_words, join_words, plural
from alexnet_repro.nn.introspect import (
    conv_output_size,
    count_parameters,
    layer_table,
    named_layers,
)
from alexnet_repro.nn.layers import LocalResponseNorm
from alexnet_repro.nn.model import AlexNet
from alexnet_repro.quoted.paper import CLAIMS, PAPER
from alexnet_repro.quoted.reading_note import READING_NOTE
from alexnet_repro.quoted.reimplementations import REIMPLEMENTATIONS
from alexnet_repro.quoted.released_2012 import RELEASED_2012
from alexnet_repro.viz.pictures import paper_test_view, photograph
from alexnet_repro.viz.tables import layer_table_html

ARCH = PAPER["architecture"]
#: Photographs shipped inside scikit-image that the chapter may push through the network.
PHOTOS = ("chelsea", "astronaut", "coffee")
#: Activities of seven neighbouring maps at one position, for the LRN comparison.
LRN_EXAMPLE = (20., 40., 60., 80., 100., 80., 60.)
#: Tolerance on the parameter count: "60 million" is a round figure.
PARAMETERS_TOLERANCE = 0.05

__all__ = ["PHOTOS", "LRN_EXAMPLE", "ProseMismatch", "and_join", "shape_text", "weight_layers",
           "figure2_facts", "input_size_facts", "cost_facts", "tower_facts",
           "receptive_field_facts", "init_facts", "photo_batch", "output_spread", "spread_facts",
           "lrn_constants", "lrn_conventions", "lrn_table", "lrn_facts", "output_shapes",
           "photo_facts", "released_facts", "RELEASED_COLUMNS", "released_table", "claims", "record_extra",
           "layer_table_box", "PADDING_BORDER", "border_share", "padding_facts", "answer_rows",
           "try_it_facts"]


class ProseMismatch(AssertionError):
    """The built model contradicts a sentence of the architecture chapter."""


def _holds(condition: bool, what: str) -> None:
    if not condition:
        raise ProseMismatch(f"the architecture chapter says {what}, and the built model does "
                            "not: change the model or the chapter's text")


def and_join(names) -> str:
    """``"a, b and c"``."""
    names = list(names)
    return ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]


def shape_text(shape, sep: str = "×") -> str:
    """A (C, H, W) shape as the paper writes it: ``"H×W×C"`` (``sep`` between the sides)."""
    c, h, w = shape
    return f"{h}{sep}{w}{sep}{c}"


def weight_layers(model: nn.Module) -> tuple[list[str], list[str]]:
    """The names of the convolutional and of the fully connected layers, in order."""
    layers = named_layers(model)
    return ([n for n, m in layers.items() if isinstance(m, nn.Conv2d)],
            [n for n, m in layers.items() if isinstance(m, nn.Linear)])


def _tower_split(model: nn.Module) -> tuple[list[str], list[str]]:
    """Layers that read only their own tower (grouped convolutions) and those that read both."""
    layers = named_layers(model)
    convs, fcs = weight_layers(model)
    same = [n for n in convs if layers[n].groups == 2]
    both = [n for n in convs if layers[n].groups == 1 and n != "conv1"] + fcs
    return same, both


def _neurons(rows, names) -> list[int]:
    row = {r["name"]: r for r in rows}
    return [int(math.prod(row[n]["out_shape"])) for n in names]


def figure2_facts(model: nn.Module, rows) -> dict:
    """Learned layers, the tower split and every layer's output shape (Figure 2), and the
    paper's neuron count of conv1 next to the model's."""
    layers = named_layers(model)
    convs, fcs = weight_layers(model)
    same, both = _tower_split(model)
    _holds(len(convs) + len(fcs) == ARCH["learned_layers"], "the network has "
           f"{ARCH['learned_layers']} learned layers")
    _holds(tuple(same) == ARCH["same_gpu_layers"] and tuple(both) == ARCH["cross_gpu_layers"],
           "which layers read one tower and which read both, as the paper lists them")
    row = {r["name"]: r for r in rows}
    paper_neurons, ours = ARCH["neurons_per_layer"], _neurons(rows, convs + fcs)
    mismatch = [n for n, a, b in zip(convs + fcs, paper_neurons, ours) if a != b]
    _holds(mismatch == ["conv1"], f"only conv1's neuron count differs from the paper's list "
           f"(differing: {mismatch})")
    return {
        "paper_layers": ARCH["learned_layers"], "n_conv": len(convs), "n_fc": len(fcs),
        "same_tower": and_join(same), "both_towers": and_join(both),
        **{f"{n}_out": shape_text(row[n]["out_shape"]) for n in convs},
        "pool5_out": shape_text(row["pool5"]["out_shape"]), "fc6_in": layers["fc6"].in_features,
        "paper_conv1_neurons": paper_neurons[0], "our_conv1_neurons": ours[0],
        "paper_conv2_neurons": paper_neurons[1],
    }


def _conv1_arithmetic(model: nn.Module) -> dict:
    conv1 = named_layers(model)["conv1"]
    k1, s1 = conv1.kernel_size[0], conv1.stride[0]
    printed = ARCH["input_size_as_printed"]
    return {"k1": k1, "s1": s1, "printed": printed,
            "out_printed": conv_output_size(printed, k1, s1),
            "out_227": conv_output_size(227, k1, s1)}


def input_size_facts(model: nn.Module) -> dict:
    """The printed input side (224) against the one conv1's arithmetic needs (227), what a
    flooring framework does with 224, and torchvision's padding; builds a 224-pixel twin of
    ``model`` (this draws its initial weights from the global RNG)."""
    a = _conv1_arithmetic(model)
    k1, s1, printed, out_printed, out_227 = (a[k] for k in ("k1", "s1", "printed", "out_printed",
                                                            "out_227"))
    _holds(out_printed.denominator != 1 and out_227.denominator == 1,
           f"({printed} − {k1}) / {s1} + 1 is a fraction and (227 − {k1}) / {s1} + 1 is not")
    tv = REIMPLEMENTATIONS["torchvision"]
    _holds(tv["input_size"] == printed, f"torchvision keeps the printed {printed}")
    out_tv = conv_output_size(printed, k1, s1, tv["conv1_padding"])
    net224 = AlexNet(towers=2, input_size=printed)
    r224 = {r["name"]: r for r in layer_table(net224)}
    return {
        "printed": printed, "dim_paper": ARCH["input_dimension"],
        "dim_224": printed * printed * ARCH["input_channels"],
        "eq_printed": f"({printed} − {k1}) / {s1} + 1 = {float(out_printed):g}",
        "eq_227": f"(227 − {k1}) / {s1} + 1 = {int(out_227)}",
        "floor_printed": int(out_printed),
        "unread": printed - ((int(out_printed) - 1) * s1 + k1),   # what flooring never reads
        "tv_eq": f"({printed} + 2·{tv['conv1_padding']} − {k1}) / {s1} + 1 = {float(out_tv):g}",
        "pool5_224": shape_text(r224["pool5"]["out_shape"]),
        "fc6_in_224": named_layers(net224)["fc6"].in_features,
        "note_input": READING_NOTE["input_size"], "k1": k1, "s1": s1,
        "in_c": ARCH["input_channels"], "227": model.input_size, "c1_side": int(out_227),
        "stored": PAPER["data"]["rescale_to"], "tv_pad": tv["conv1_padding"],
        "caffe_input": REIMPLEMENTATIONS["caffe"]["input_size"],
    }


def cost_facts(model: nn.Module, rows) -> dict:
    """The parameter count, the fully connected layers' share of it (fc6's alone), and the
    convolutions' share of the multiply-adds per image (percent)."""
    total = count_parameters(model)
    fc_params = sum(r["params"] for r in rows if r["kind"] == "fc")
    conv_macs = sum(r["macs"] for r in rows if r["kind"] == "conv")
    all_macs = sum(r["macs"] for r in rows)
    fc6 = next(r for r in rows if r["name"] == "fc6")
    return {"params2": total, "paper_params_m": ARCH["parameters"] // 10**6,
            "fc_share": 100 * fc_params / total, "fc6_share": 100 * fc6["params"] / total,
            "conv_mac_share": 100 * conv_macs / all_macs, "macs_g": all_macs / 1e9}


def tower_facts(net2: nn.Module, net1: nn.Module) -> dict:
    """Two towers against one column: the parameters saved (exactly the halved kernels of the
    grouped convolutions), conv2's kernel depth, and the paper's two-GPU numbers (§3.2)."""
    total1, total2 = count_parameters(net1), count_parameters(net2)
    layers2, layers1 = named_layers(net2), named_layers(net1)
    same, _ = _tower_split(net2)
    saved = sum(layers1[n].weight.numel() - layers2[n].weight.numel() for n in same)
    _holds(saved == total1 - total2, "the one-column net's extra parameters are exactly those of "
           "the grouped convolutions")
    ks, depth = ARCH["conv_kernel_size"][1], ARCH["conv_kernel_depth"][1]
    _holds(depth == layers2["conv2"].weight.shape[1], f"a conv2 kernel is {depth} maps deep")
    return {"params1": total1, "params_diff": total1 - total2,
            "conv2_depth": layers2["conv2"].weight.shape[1],
            "conv2_depth1": layers1["conv2"].weight.shape[1],
            "paper_conv2_kernel": f"{ks}×{ks}×{depth}",
            "twogpu_top1": CLAIMS["two_gpu"]["top1_reduction_pct"],
            "twogpu_top5": CLAIMS["two_gpu"]["top5_reduction_pct"],
            "tv_params": REIMPLEMENTATIONS["torchvision"]["parameters"]}


def _receptive_fields(model: nn.Module, rows) -> dict[str, int]:
    convs, _ = weight_layers(model)
    row = {r["name"]: r for r in rows}
    return {n: row[n]["rf"] for n in convs}


def receptive_field_facts(model: nn.Module, rows) -> dict:
    """The receptive-field sides of conv1 … conv5, conv5's jump, and whether the reading note's
    values agree."""
    rfs = tuple(_receptive_fields(model, rows).values())
    jump5 = next(r["jump"] for r in rows if r["name"] == "conv5")
    return {"rfs": ", ".join(map(str, rfs)), "rf5": rfs[-1], "jump5": jump5,
            "note_rf_verdict": "agree with" if rfs == READING_NOTE["receptive_fields"]
            else "differ from"}


def init_facts(model: nn.Module) -> dict:
    """The initial weights' sample standard deviation (float64, all conv and fc weights) against
    the paper's, and which layers start with a bias of one (§5)."""
    layers = named_layers(model)
    convs, fcs = weight_layers(model)
    bias_one = [n for n in convs + fcs if bool((layers[n].bias == 1).all())]
    _holds(tuple(bias_one) == PAPER["init"]["bias_one"], "which layers start with a bias of one")
    w = torch.cat([layers[n].weight.detach().flatten() for n in convs + fcs]).double()
    return {"init_std_paper": PAPER["init"]["weight_std"], "init_std": w.std().item(),
            "init_n": w.numel(), "bias_one": and_join(bias_one), "last": fcs[-1],
            "bias_hi": int(layers[bias_one[0]].bias[0].item()),
            "bias_lo": int(layers[fcs[-1]].bias[0].item())}


def photo_batch(model: nn.Module, photos=PHOTOS) -> torch.Tensor:
    """The ``photos`` cut as the paper cuts its test images, less their mean colour (per
    channel over the batch): (N, 3, S, S) with S the model's input size."""
    batch = torch.stack([paper_test_view(photograph(p, PHOTOS), model.input_size) for p in photos])
    return batch - batch.mean(dim=(0, 2, 3), keepdim=True)


def output_spread(model: nn.Module, batch: torch.Tensor, scales=(1.0, 255.0)) -> dict:
    """For each input scale (``model.input_scale``; 255 = raw 8-bit pixels as in the paper): the
    spread of the output scores across the images of ``batch`` (standard deviation over the
    images, averaged over the classes), in evaluation mode. The model's scale is restored and
    it is left in evaluation mode."""
    model.eval()
    spread, before = {}, model.input_scale
    try:
        for scale in scales:
            model.input_scale = scale
            with torch.no_grad():
                spread[scale] = model(batch).std(dim=0).mean().item()
    finally:
        model.input_scale = before
    return spread


def spread_facts(model: nn.Module, photos=PHOTOS) -> dict:
    """:func:`output_spread` of the photographs at this library's pixel scale and the paper's."""
    spread = output_spread(model, photo_batch(model, photos))
    return {"n_photos": len(photos), "spread_01": spread[1.0], "spread_255": spread[255.0],
            "spread_ratio": spread[255.0] / spread[1.0]}


def lrn_constants() -> dict:
    """The paper's LRN constants and the k of Caffe's ``bvlc_alexnet``."""
    lrn = PAPER["lrn"]
    return {"lrn_k": lrn["k"], "lrn_n": lrn["n"], "lrn_alpha": lrn["alpha"],
            "lrn_beta": lrn["beta"], "caffe_k": REIMPLEMENTATIONS["caffe"]["lrn_k"]}


OURS, TORCH, TORCH_AN = ("paper (ours)", "nn.LocalResponseNorm(n, α, β, k)",
                         "nn.LocalResponseNorm(n, α·n, β, k)")


def lrn_conventions(a: torch.Tensor) -> dict[str, torch.Tensor]:
    """The activities ``a`` (1, C, 1, 1) and their normalization by the paper's layer (ours),
    by ``nn.LocalResponseNorm`` with the paper's α, with α·n, and as Caffe's ``bvlc_alexnet``
    sets it: ``{column name: 1-D tensor}``."""
    lrn = PAPER["lrn"]
    n, alpha, beta, k = lrn["n"], lrn["alpha"], lrn["beta"], lrn["k"]
    caffe_k = REIMPLEMENTATIONS["caffe"]["lrn_k"]
    variants = {
        OURS: LocalResponseNorm(n, alpha, beta, k),
        TORCH: nn.LocalResponseNorm(n, alpha, beta, k),
        TORCH_AN: nn.LocalResponseNorm(n, alpha * n, beta, k),
        f"Caffe: nn.LocalResponseNorm(n, α, β, {caffe_k:g})": nn.LocalResponseNorm(n, alpha, beta,
                                                                                      caffe_k),
    }
    return {"a": a.flatten(), **{name: layer(a).flatten() for name, layer in variants.items()}}


def lrn_table(columns: dict[str, torch.Tensor]) -> str:
    """HTML table of :func:`lrn_conventions`: one row per map, one column per convention."""
    n = len(next(iter(columns.values())))
    rows = [{name: float(v[i]) for name, v in columns.items()} for i in range(n)]
    return html_table(rows, [(name, name) for name in columns], float_format=".4g")


def lrn_facts(columns: dict[str, torch.Tensor], model: nn.Module, image: torch.Tensor) -> dict:
    """How the conventions of :func:`lrn_conventions` differ, and how much the paper's LRN
    normalizes at initialization: the median neighbours' term over k
    (:func:`~alexnet_repro.analysis.probes.lrn_share`) of ``model``'s conv1 outputs (float64, ReLU) for
    ``image`` less its mean, at this library's pixel scale and at raw 8-bit values (percent)."""
    ours = columns[OURS]
    same = (ours - columns[TORCH_AN]).abs().max().item()
    torch_rel = ((columns[TORCH] - ours) / ours).max().item()
    _holds(same < 1e-12 and torch_rel > 0, "the paper's layer equals nn.LocalResponseNorm with "
           "α·n and is smaller than it with α")
    lrn = PAPER["lrn"]
    layer = LocalResponseNorm(lrn["n"], lrn["alpha"], lrn["beta"], lrn["k"], groups=2)
    conv1 = copy.deepcopy(named_layers(model)["conv1"]).double()
    centred = image - image.mean(dim=(1, 2), keepdim=True)

    def share(pixels):
        with torch.no_grad():
            act = torch.relu(conv1(pixels.double()[None]))
        return 100 * lrn_share(layer, act).median().item()

    return {"lrn_same": same, "lrn_torch_rel": 100 * torch_rel, "lrn_share_01": share(centred),
            "lrn_share_255": share(255 * centred), "lrn_kbeta": lrn["k"] ** lrn["beta"]}


def output_shapes(outputs: dict[str, torch.Tensor]) -> str:
    """What every layer hands on (``introspect.layer_outputs`` of one image), one line per layer:
    its name in six columns, then its shape as the paper writes it (a map as ``"H × W × C"``, a
    vector as its length)."""
    lines = []
    for name, out in outputs.items():
        shape = tuple(out.shape[1:])
        lines.append(f"{name:6s} {shape_text(shape, ' × ') if len(shape) == 3 else shape[0]}")
    return "\n".join(lines)


def photo_facts(image: torch.Tensor, photo: str, outputs: dict[str, torch.Tensor]) -> dict:
    """The photograph pushed through the network: its stored size (``image`` is H × W × C), its
    name, and the number of class scores it leaves as (fc8's width)."""
    return {"photo_shape": f"{image.shape[0]}×{image.shape[1]}", "photo_name": photo,
            "n_outputs": outputs["fc8"].shape[1]}


def released_facts() -> dict:
    """The top-1 and top-5 errors of the note of the authors' released ``layers-145.cfg``
    (percent, two decimals, as the chapter quotes them)."""
    errors = RELEASED_2012["errors"]
    return {"rel_top1": f"{100 * errors['top1']:.2f}%", "rel_top5": f"{100 * errors['top5']:.2f}%"}


#: The columns of :func:`released_table`: (key of ``paper_vs_released.differences()``, heading).
RELEASED_COLUMNS = [("aspect", "aspect"), ("paper", "the paper's text"), ("paper_source", "where"),
                    ("released", "layers-145 as run"), ("released_source", "where"),
                    ("computed", "what it amounts to")]


def released_table() -> str:
    """HTML table (scrolling): where the released ``layers-145`` differs from the paper's text,
    with both sources and what each difference amounts to."""
    return html_table(differences(), RELEASED_COLUMNS, scroll=True)


def claims(net2: nn.Module, net1: nn.Module, rows) -> list[dict]:
    """The chapter's claims (``judging.exact_claim`` rows: facts checked exactly, no seeds): the
    parameter count (reproduced within :data:`PARAMETERS_TOLERANCE`), the printed input size, and
    the neuron count of conv1."""
    total2, total1 = count_parameters(net2), count_parameters(net1)
    a = _conv1_arithmetic(net2)
    printed, out_printed, out_227 = a["printed"], a["out_printed"], a["out_227"]
    convs, fcs = weight_layers(net2)
    paper_n, ours_n = ARCH["neurons_per_layer"][0], _neurons(rows, convs + fcs)[0]
    conv1_shape = next(r["out_shape"] for r in rows if r["name"] == "conv1")
    return [
        exact_claim("parameters", total2, ARCH["parameters"],
                    statement=f"The network has {ARCH['parameters'] // 10**6} million parameters.",
                    source="paper §4, abstract", paper=f"{ARCH['parameters']:,}",
                    measured=f"{total2:,} (two towers), {total1:,} (one tower)",
                    setting="counted on the built model; reproduced if within "
                            f"{PARAMETERS_TOLERANCE:.0%} of the paper's round number",
                    tolerance=PARAMETERS_TOLERANCE * ARCH["parameters"]),
        exact_claim("input_size", float(out_printed), int(out_227), statement=(
                        f"conv1 filters the {printed}×{printed}×{ARCH['input_channels']} input with "
                        f"stride {ARCH['conv1_stride']} into {int(out_227)}×{int(out_227)} maps."),
                    source="paper §3.5, Figure 2", paper=f"{int(out_227)} outputs per side from {printed}",
                    measured=(f"{float(out_printed):g} outputs per side at {printed}; "
                              f"{int(out_227)} at {net2.input_size}"),
                    setting=f"conv1 arithmetic (n − {a['k1']})/{a['s1']} + 1, no padding"),
        exact_claim("neurons_conv1", ours_n, paper_n,
                    statement=f"conv1 has {paper_n:,} neurons (the list of §3.5).",
                    source="paper §3.5", paper=f"{paper_n:,}",
                    measured=f"{ours_n:,} (= {shape_text(conv1_shape)})",
                    setting="the other layers of the list match the model"),
    ]


def record_extra(net2: nn.Module, net1: nn.Module, rows) -> dict:
    """What the chapter's record keeps besides its claims: both parameter counts and the
    receptive fields of the convolutions."""
    return {"parameters": {"two_towers": count_parameters(net2),
                           "one_tower": count_parameters(net1)},
            "receptive_fields": _receptive_fields(net2, rows)}


def layer_table_box(rows) -> str:
    """The layer table (``viz.tables.layer_table_html``) in a box that scrolls sideways, so that
    its eleven columns never spill out of the text column, with room between the columns."""
    gaps = ("<style>.layer-table th, .layer-table td {padding: 0.1em 0.7em; white-space: nowrap}"
            "</style>")
    return f'<div style="overflow-x:auto">{gaps}{layer_table_html(rows)}</div>'


#: Rings of units at the border of a conv3-conv5 map that can see their zero padding (1 pixel each).
PADDING_BORDER = 3


def border_share(maps: torch.Tensor, border: int = PADDING_BORDER) -> float:
    """How much of the spatial variation of ``maps`` (C × H × W, rectified) is left inside the
    border: the root-mean-square deviation of each map from its own mean over the interior
    (``border`` rings cut off), divided by the same over the whole map. Near 0: the maps vary
    only at their borders; about 1: as much inside as at the edges."""
    def spread(m):
        return (m - m.mean(dim=(1, 2), keepdim=True)).pow(2).mean().sqrt()
    inner = maps[:, border:-border, border:-border]
    whole = spread(maps)
    return float(spread(inner) / whole) if whole > 0 else 1.0


def padding_facts(outputs: Mapping[str, torch.Tensor], model: nn.Module, *, share: float = 0.05) -> dict:
    """What the explorer's text says of the untrained maps (``outputs``: ``layer_outputs`` of one
    image): the convolutions whose maps vary only at the border (:func:`border_share` below
    ``share``), the largest such share (percent), and how much conv2's rectified outputs vary
    against their mean (percent), with the sentence that says it (``padding_sentence``)."""
    convs, _ = weight_layers(model)
    shares = {n: border_share(outputs[n][0].clamp(min=0)) for n in convs}
    flat = [n for n in convs if shares[n] < share]
    conv2 = outputs["conv2"][0].clamp(min=0)
    conv2_var = 100 * float(conv2.std() / conv2.mean())
    sentence = "Every layer's maps vary inside as well as at their borders."
    if flat:
        sentence = (f"From {flat[0]} on, the maps show little but the zero padding: leaving out their "
                    f"outer {plural(PADDING_BORDER, 'ring')} of units, {join_words(flat)} vary at most "
                    f"{100 * max(shares[n] for n in flat):.1f}% as much as over the whole map. The "
                    f"biases of 1 in conv2 swamp what the small initial weights pass on from the image "
                    f"(its outputs vary by {conv2_var:.1f}% of their mean), so the next layers see an "
                    "almost constant field, which a convolution changes only where the padding's "
                    "zeros come in.")
    return {"pad_layers": join_words(flat), "pad_share_max": 100 * max((shares[n] for n in flat), default=0),
            "conv2_var": conv2_var, "padding_sentence": sentence}


#: The answer block's title of each claim of the chapter.
_ANSWER_TITLES = {"parameters": "About 60 million parameters", "input_size": "A 224-pixel input",
                  "neurons_conv1": "The neurons of conv1"}


def answer_rows(rows, model: nn.Module) -> list[dict]:
    """The chapter's claim rows (:func:`claims`) reworded for the answer block
    (``viz.answer.answer_block``): a title in place of the key, the measurement in a sentence,
    the paper's number as the paper gives it, its section without the word "paper" (the block
    says "The paper (§3.5)"), no setting (these are counts on the built model, not runs). The
    rows themselves, and the record, are unchanged."""
    a = _conv1_arithmetic(model)
    out = []
    for r in rows:
        est, paper = r["estimate"], r["paper_effect"]
        if r["key"] == "parameters":
            measured = (f"{est:,.0f} parameters in the two-tower network, {100 * (est / paper - 1):+.1f}% "
                        f"from {paper / 1e6:.0f} million (reproduced within {100 * r['tolerance'] / paper:.0f}%)")
            paper_words = f"{paper / 1e6:.0f} million"
        elif r["key"] == "input_size":
            measured = (f"({a['printed']} − {a['k1']}) / {a['s1']} + 1 = {est:g} outputs per side, not a whole "
                        f"number; {model.input_size} pixels give {paper:.0f}, so the network's input is "
                        f"{model.input_size}×{model.input_size}")
            paper_words = f"{paper:.0f}×{paper:.0f} maps from a {a['printed']}×{a['printed']} input"
        else:
            measured = (f"{est:,.0f} neurons, the size of the maps Figure 2 draws; the paper's counts of "
                        "the other layers match")
            paper_words = f"{paper:,.0f}"
        out.append({**r, "key": _ANSWER_TITLES.get(r["key"], r["key"]), "measured": measured,
                    "paper": paper_words, "setting": "", "source": r["source"].removeprefix("paper ")})
    return out


def try_it_facts(seconds: float) -> dict:
    """The time one rebuild of the chapter takes (this build's ``seconds``), for Try it."""
    return {"try_cost": duration_words(seconds)}
