"""The activation explorer: right maps, right wiring for the static HTML, bounded page weight.

References are computed here independently of the explorer: feature maps by running the model's
own layers directly (no hooks) or by explicit convolutions, the ranking by a float64 argsort, the
pictures by decoding the PNGs stored in the widget state.
"""
from __future__ import annotations

import base64
import datetime
import io
import json

import ipywidgets
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from ipywidgets.widgets.widget import _instances
from PIL import Image
from torch import nn

from alexnet_repro.nn.model import AlexNet
from alexnet_repro.viz import explorer as wmod
from alexnet_repro.viz import pictures
from alexnet_repro.viz.explorer import ActivationExplorer


class Tiny(nn.Module):
    """Three bare convolutions (ReLU applied functionally, like a network whose conv modules
    are followed by a separate activation)."""

    def __init__(self, cin=3):
        super().__init__()
        self.input_size = 32
        self.conv1 = nn.Conv2d(cin, 10, 5, stride=2)
        self.conv2 = nn.Conv2d(10, 12, 3, padding=1)
        self.conv3 = nn.Conv2d(12, 7, 3)
        self.fc = nn.Linear(7 * 12 * 12, 3)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.relu(self.conv3(x))
        return self.fc(x.flatten(1))


def photos():
    rng = np.random.default_rng(0)
    return {
        "noise": rng.integers(0, 256, (40, 50, 3), dtype=np.uint8),
        "ramp": np.tile(np.linspace(0, 255, 45).astype(np.uint8)[None, :, None], (45, 1, 3)),
        "blob": (np.hypot(*np.mgrid[-20:20, -20:20]) < 9).astype(np.uint8) * 200,  # H×W grey
    }


def new_widgets(make):
    """Call ``make()`` and return (its result, every widget it created)."""
    before = set(_instances)
    out = make()
    return out, [_instances[i] for i in set(_instances) - before]


def notebook_state(created):
    """The widget state as nbclient stores it in a notebook (full state, buffers base64)."""
    state = ipywidgets.Widget.get_manager_state(drop_defaults=False, widgets=created)
    return json.loads(json.dumps(state))["state"]


def ref(text):
    assert text.startswith("IPY_MODEL_"), text
    return text[len("IPY_MODEL_"):]


def png_of(model_state):
    """Decode the PNG held by an Image widget's state (base64 buffer)."""
    (buf,) = [b for b in model_state["buffers"] if b["path"] == ["value"]]
    assert buf["encoding"] == "base64"
    return Image.open(io.BytesIO(base64.b64decode(buf["data"])))


def tiny_reference(model, x):
    """Rectified outputs of Tiny's three convs by explicit F.conv2d calls, float64."""
    m = {k: v.double() for k, v in model.state_dict().items()}
    a1 = F.relu(F.conv2d(x.double()[None], m["conv1.weight"], m["conv1.bias"], stride=2))
    a2 = F.relu(F.conv2d(a1, m["conv2.weight"], m["conv2.bias"], padding=1))
    a3 = F.relu(F.conv2d(a2, m["conv3.weight"], m["conv3.bias"]))
    return {"conv1": a1[0], "conv2": a2[0], "conv3": a3[0]}


def alexnet_prefix(model, layer, x):
    """Run AlexNet's own ``features`` Sequential directly up to ``layer`` (no hook), then ReLU."""
    names = [n for n, _ in model.features.named_children()]
    upto = model.features[: names.index(layer) + 1]
    with torch.no_grad():
        return F.relu(upto(x[None]))[0]


def expected_indices(maps):
    """Independent min-max quantisation to palette indices 0..LEVELS-1 (float64)."""
    m = maps.double().numpy()
    lo = m.reshape(len(m), -1).min(1)[:, None, None]
    hi = m.reshape(len(m), -1).max(1)[:, None, None]
    return np.round((m - lo) / np.maximum(hi - lo, 1e-12) * (pictures.LEVELS - 1))


def tile_blocks(img_indices, k, h, w):
    """Cut the k tiles out of a decoded feature grid and undo the integer enlargement."""
    boxes, scale, width, height = pictures.grid_boxes(k, h, w)
    assert img_indices.shape == (height, width)
    out = []
    for x0, y0, x1, y1 in boxes:
        tile = img_indices[y0:y1, x0:x1]
        assert tile.shape == (h * scale, w * scale)
        blocks = tile.reshape(h, scale, w, scale)
        # nearest-neighbour enlargement: every block constant
        assert (blocks == blocks[:, :1, :, :1]).all()
        out.append(blocks[:, 0, :, 0].astype(float))
    return out


# ----------------------------------------------------------------------------- the right maps

def test_top_k_channels_and_pictures_match_explicit_convolutions():
    torch.manual_seed(1)
    model = Tiny()
    ex = ActivationExplorer(model, photos(), layers=("conv1", "conv2", "conv3"), top_k=4)
    assert ex.image_names == ["noise", "ramp", "blob"]
    for name in ex.image_names:
        reference = tiny_reference(model, ex.inputs[name])
        for layer, acts in reference.items():
            view = ex.views[(name, layer)]
            means = acts.flatten(1).mean(1).numpy()
            order = np.argsort(-means, kind="stable")[:4].tolist()
            assert view.channels == order, (name, layer)
            assert view.shape == tuple(acts.shape)
            np.testing.assert_allclose(view.maps.numpy(), acts[order].numpy(), rtol=1e-4, atol=1e-5)
            # the picture shows those maps, in that order
            img = Image.open(io.BytesIO(view.png))
            assert img.mode == "P"
            shown = tile_blocks(np.asarray(img), 4, *acts.shape[1:])
            for got, want in zip(shown, expected_indices(acts[order])):
                assert np.abs(got - want).max() <= 1
                assert (got == want).mean() > 0.99


def test_fewer_channels_than_top_k_shows_all():
    model = Tiny()
    ex = ActivationExplorer(model, {"ramp": photos()["ramp"]}, layers=("conv3",), top_k=50)
    assert sorted(ex.views[("ramp", "conv3")].channels) == list(range(7))


@pytest.mark.parametrize("layer", ["conv1", "conv3", "conv5"])
def test_alexnet_top_k_against_its_own_layers_run_directly(layer):
    torch.manual_seed(0)
    model = AlexNet(num_classes=10, width=0.25)
    model.train()  # the explorer must evaluate in eval mode and restore the mode
    ex = ActivationExplorer(model, {"ramp": photos()["ramp"]}, layers=(layer,), top_k=8)
    assert model.training
    model.eval()
    acts = alexnet_prefix(model, layer, ex.inputs["ramp"])
    order = torch.argsort(acts.double().flatten(1).mean(1), descending=True)[:8].tolist()
    view = ex.views[("ramp", layer)]
    assert view.channels == order
    np.testing.assert_allclose(view.maps.numpy(), acts[order].numpy(), rtol=1e-4, atol=1e-6)


def test_network_view_crops_the_centre_and_converts_channels():
    img = np.zeros((100, 160, 3), np.uint8)
    img[:, 30:130] = 200          # exactly the central 100×100 square
    img[:, 30:130, 0] = 100
    x = pictures.network_view(pictures.to_float_image(img), channels=3, size=100)
    assert x.shape == (3, 100, 100)
    np.testing.assert_allclose(x[0].numpy(), 100 / 255, atol=1e-6)
    np.testing.assert_allclose(x[1].numpy(), 200 / 255, atol=1e-6)
    grey = pictures.network_view(pictures.to_float_image(img), channels=1, size=100)
    luma = (0.299 * 100 + 0.587 * 200 + 0.114 * 200) / 255   # ITU-R BT.601
    np.testing.assert_allclose(grey.numpy(), luma, atol=1e-6)
    # a grey image for an RGB network: the same plane three times
    g = pictures.network_view(torch.full((1, 50, 50), 0.25), channels=3, size=25)
    np.testing.assert_allclose(g.numpy(), 0.25, atol=1e-6)


# ----------------------------------------------------------------------------- the wiring

def test_widget_state_links_buttons_to_stacks_and_holds_the_right_pictures():
    torch.manual_seed(2)
    model = Tiny()
    layers = ("conv1", "conv2", "conv3")
    ex = ActivationExplorer(model, photos(), layers=layers, top_k=4)
    box, created = new_widgets(ex.widget)
    assert ex.widget() is box  # built once
    state = notebook_state(created)

    def by_class(cls):
        found = [k for k, v in state.items() if cls in v["state"].get("_dom_classes", [])]
        assert len(found) == 1, cls
        return found[0]

    image_buttons, layer_buttons, outer = (by_class("explorer-images"),
                                           by_class("explorer-layers"), by_class("explorer-maps"))
    assert state[image_buttons]["state"]["_options_labels"] == list(photos())
    assert state[layer_buttons]["state"]["_options_labels"] == list(layers)
    assert state[outer]["model_name"] == "StackModel"

    links = [v["state"] for v in state.values() if v["model_name"] == "LinkModel"]
    pairs = {(ref(l["source"][0]), l["source"][1], ref(l["target"][0]), l["target"][1])
             for l in links}
    assert (image_buttons, "index", outer, "selected_index") in pairs

    panels = [ref(c) for c in state[outer]["state"]["children"]]
    assert len(panels) == len(photos())
    stack_children = 0
    for name, panel in zip(photos(), panels):
        inner = [ref(c) for c in state[panel]["state"]["children"]
                 if state[ref(c)]["model_name"] == "StackModel"]
        assert len(inner) == 1
        inner = inner[0]
        assert (layer_buttons, "index", inner, "selected_index") in pairs
        children = [ref(c) for c in state[inner]["state"]["children"]]
        stack_children += len(children)
        reference = tiny_reference(model, ex.inputs[name])
        for layer, child in zip(layers, children):
            parts = [ref(c) for c in state[child]["state"]["children"]]
            html = [state[p]["state"]["value"] for p in parts if state[p]["model_name"] == "HTMLModel"]
            assert html and html[0].startswith(f"<b>{layer}</b>")
            (image,) = [p for p in parts if state[p]["model_name"] == "ImageModel"]
            # the stored picture is the strongest-4 grid of *this* image at *this* layer
            acts = reference[layer]
            order = torch.argsort(acts.flatten(1).mean(1), descending=True)[:4]
            shown = tile_blocks(np.asarray(png_of(state[image])), 4, *acts.shape[1:])
            for got, want in zip(shown, expected_indices(acts[order])):
                assert np.abs(got - want).max() <= 1
    assert stack_children == len(photos()) * len(layers)
    assert len(links) == 1 + len(photos())


def test_conv1_kernel_grid_has_one_tile_per_kernel():
    torch.manual_seed(3)
    for cin in (3, 1):
        model = AlexNet(num_classes=10, in_channels=cin)
        ex = ActivationExplorer(model, {"ramp": photos()["ramp"]}, layers=("conv1",), top_k=2)
        _, created = new_widgets(ex.widget)
        state = notebook_state(created)
        images = [png_of(v) for v in state.values() if v["model_name"] == "ImageModel"]
        grids = [im for im in images if im.mode in ("RGB", "L")
                 and im.size[0] > 500]  # the feature grid is indexed ("P"), the thumbnail small
        assert len(grids) == 1
        grid = np.asarray(grids[0]).astype(int)
        if grid.ndim == 2:
            grid = grid[:, :, None]
        assert grid.shape[2] == cin
        white = (grid == 255).all(axis=2)
        col_band = ~white.all(axis=0)
        row_band = ~white.all(axis=1)

        def runs(mask):
            edges = np.flatnonzero(np.diff(np.r_[0, mask.astype(int), 0]))
            return list(zip(edges[::2], edges[1::2]))

        cells = [(r, c) for r in runs(row_band) for c in runs(col_band)
                 if not white[r[0]:r[1], c[0]:c[1]].all()]
        weight = model.features.conv1.weight.detach()
        assert len(cells) == weight.shape[0] == 96
        # tile i shows kernel i: an increasing affine image of the weights
        for i, ((r0, r1), (c0, c1)) in enumerate(cells):
            tile = grid[r0:r1:pictures.KERNEL_SCALE, c0:c1:pictures.KERNEL_SCALE]
            kernel = weight[i].permute(1, 2, 0).numpy()
            assert tile.shape == kernel.shape
            corr = np.corrcoef(tile.ravel(), kernel.ravel())[0, 1]
            assert corr > 0.99, (i, corr)


# ----------------------------------------------------------------------------- page weight

def test_state_of_a_chapter_sized_explorer_is_under_the_budget():
    from alexnet_repro.data.registry import load_dataset

    torch.manual_seed(4)
    fashion = load_dataset("fashion-mnist", limit=10, val_limit=2)
    images = pictures.example_images(fashion, count=2)
    assert len(images) == len(pictures.PHOTOGRAPHS) + 2
    for cin in (3, 1):
        ex = ActivationExplorer(AlexNet(num_classes=10, in_channels=cin), images, top_k=16)
        box, created = new_widgets(ex.widget)
        size = len(json.dumps(ipywidgets.Widget.get_manager_state(
            drop_defaults=False, widgets=created), separators=(",", ":")).encode())
        assert size <= wmod.STATE_BUDGET_BYTES, size
        # and every picture of every image × layer is in it
        state = notebook_state(created)
        n_pictures = sum(v["model_name"] == "ImageModel" for v in state.values())
        assert n_pictures == len(images) * (len(wmod.DEFAULT_LAYERS) + 1) + 1


def test_over_budget_is_a_clear_error(monkeypatch):
    ex = ActivationExplorer(Tiny(), photos(), layers=("conv1", "conv2"), top_k=4)
    pictures = sum(len(v.png) for v in ex.views.values())
    message = r"over the budget .* fewer images \(3\) or layers \(2\)"
    # pictures alone over the budget: refused before any widget is created
    monkeypatch.setattr(wmod, "STATE_BUDGET_BYTES", pictures)
    before = set(_instances)
    with pytest.raises(ValueError, match=message):
        ex.widget()
    assert set(_instances) == before
    # pictures fit, but not with the widgets' own state: refused after measuring
    monkeypatch.setattr(wmod, "STATE_BUDGET_BYTES", pictures * 2)
    with pytest.raises(ValueError, match=message):
        ex.widget()
    monkeypatch.setattr(wmod, "STATE_BUDGET_BYTES", 10**7)
    assert ex.widget() is not None


# ----------------------------------------------------------------------------- live kernel

def test_add_image_extends_the_built_widget():
    model = Tiny()
    ex = ActivationExplorer(model, {"noise": photos()["noise"]}, layers=("conv1", "conv2"), top_k=3)
    ex.widget()
    ex.add_image(photos()["ramp"], "ramp")
    assert ex._image_buttons.options == ("noise", "ramp")
    assert ex._image_buttons.index == 1
    assert len(ex._outer.children) == 2
    reference = tiny_reference(model, ex.inputs["ramp"])["conv2"]
    order = torch.argsort(reference.flatten(1).mean(1), descending=True)[:3].tolist()
    assert ex.views[("ramp", "conv2")].channels == order
    assert len(ex.links) == 3
    with pytest.raises(ValueError, match="already in the explorer"):
        ex.add_image(photos()["ramp"], "ramp")


def test_upload_adds_the_uploaded_file():
    ex = ActivationExplorer(Tiny(), {"noise": photos()["noise"]}, layers=("conv1",), top_k=2)
    ex.widget()
    box = ex.upload_widget()
    upload, status = box.children
    buf = io.BytesIO()
    Image.fromarray(photos()["ramp"]).save(buf, format="PNG")
    upload.value = ({"name": "mine.png", "type": "image/png", "size": len(buf.getvalue()),
                     "content": memoryview(buf.getvalue()),
                     "last_modified": datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)},)
    assert ex.image_names == ["noise", "mine.png"]
    assert "added" in status.value


# ----------------------------------------------------------------------------- bad input

def test_bad_input_errors_say_what_to_do():
    model = Tiny()
    with pytest.raises(ValueError, match=r"no layer named 'conv9'.*conv1, conv2, conv3, fc"):
        ActivationExplorer(model, photos(), layers=("conv9",))
    with pytest.raises(ValueError, match=r"must lie in \[0, 1\].*preprocess="):
        ActivationExplorer(model, {"x": torch.full((3, 20, 20), 2.0)}, layers=("conv1",))
    with pytest.raises(ValueError, match=r"H×W×C with C in \(1, 3, 4\)"):
        ActivationExplorer(model, {"x": np.zeros((20, 20, 5), np.uint8)}, layers=("conv1",))
    with pytest.raises(ValueError, match="images is empty"):
        ActivationExplorer(model, {}, layers=("conv1",))
    with pytest.raises(ValueError, match="top_k must be a positive integer"):
        ActivationExplorer(model, photos(), layers=("conv1",), top_k=0)
    with pytest.raises(TypeError, match="torch.nn.Module"):
        ActivationExplorer("alexnet", photos())
    with pytest.raises(ValueError, match="shows 4-D"):
        ActivationExplorer(model, photos(), layers=("fc",))
    # AlexNet's layers live in model.features: short names resolve, full names too
    net = AlexNet(num_classes=10, width=0.25)
    assert wmod.find_layer(net, "conv2") is net.features.conv2
    assert wmod.find_layer(net, "features.conv2") is net.features.conv2
