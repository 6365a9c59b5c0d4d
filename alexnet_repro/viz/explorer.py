"""Activation explorer: what each layer of a network responds to, for a handful of images.

``ActivationExplorer(model, images).widget()`` is an ipywidgets container that lets the reader pick
an image and a layer and see that layer's strongest feature maps (the ``top_k`` channels with the
largest mean activation on that image, each labelled with its channel index), next to the image
as the network sees it, and the first convolutional layer's kernels as an image grid (the paper's
Figure 3).

It works in the built HTML book with no kernel: every (image, layer) picture is computed in
advance and the choice is made by ``jslink`` links between the selection buttons and ``Stack``
widgets, which the browser runs by itself (Python callbacks do not run in static HTML):

    image buttons.index  <->  outer Stack.selected_index      (one child per image)
    layer buttons.index  <->  inner Stack.selected_index      (one inner Stack per image,
                                                                one child per layer)

All the pictures are inlined in the page as widget state, so their size is bounded:
``STATE_BUDGET_BYTES`` per explorer (``widget()`` raises if a configuration exceeds it).

In a live notebook (a kernel is running) ``add_image(array, name)`` computes the pictures for an
image of your own and adds it to the buttons, and ``upload_widget()`` returns a file-upload button
that does the same for a file from your computer. Neither does anything in the static HTML book.

The images in and the pictures (PNG grids, kernel grid) are made by :mod:`alexnet_repro.viz.pictures`.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

import numpy as np
import torch
from torch import nn

from alexnet_repro.nn.introspect import activations

from alexnet_repro.viz.pictures import (
    feature_grid_png,
    jpeg_bytes,
    kernel_grid,
    network_view,
    png_bytes,
    to_float_image,
)


# Widget state (all pictures, base64-encoded as in a notebook's metadata) allowed per explorer.
STATE_BUDGET_BYTES = 1_500_000
THUMB = 112        # size of the input thumbnail
DEFAULT_LAYERS = ("conv1", "conv2", "conv3", "conv4", "conv5")


def _natural_size_image(png: bytes):
    """An Image widget shown at the PNG's own size (a flex box would stretch it and blur the
    pixels), shrinking only to fit a narrow page."""
    import ipywidgets as W
    from PIL import Image

    width, height = Image.open(io.BytesIO(png)).size
    return W.Image(value=png, format="png",
                   layout=W.Layout(width=f"{width}px", max_width="100%", height="auto",
                                   object_fit="contain"))


# --------------------------------------------------------------------------- the explorer

@dataclass
class LayerView:
    """What the explorer shows for one (image, layer)."""
    image: str
    layer: str
    shape: tuple[int, int, int]   # C, h, w of the layer's (rectified) output
    means: torch.Tensor           # mean activation of every channel
    channels: list[int]           # the top-k channels shown, strongest first
    maps: torch.Tensor            # their maps, k × h × w
    png: bytes = field(repr=False)


class ActivationExplorer:
    """Pick an image and a layer, see the layer's strongest feature maps; and the conv1 kernels.

    model: a module whose layers are found by name in ``model.named_modules()``.
    images: ``{name: image}``; an image is a uint8 array H×W×C / H×W or a float tensor C×H×W in
        [0, 1]. It is centre-cropped to a square, resized to ``input_size`` (default: the model's
        ``input_size`` attribute, else 227) and converted to the network's number of input
        channels (that of its first convolution).
    layers: names of the layers whose outputs are shown: a full name of ``model.named_modules()``
        (e.g. "features.conv1") or its last part when that is unique ("conv1").
    rectify: apply a ReLU to the layer's output, so that a bare convolution followed by a ReLU
        shows its neurons' outputs (idempotent when the module already ends in a ReLU). Set False
        for a tanh network.
    top_k: how many maps per layer (the channels with the largest mean activation on the image).
    preprocess: applied to the network's view (C×H×W in [0, 1]) before the forward pass, e.g. the
        mean subtraction the model was trained with. Default: none.
    kernel_layer: the layer whose kernels are drawn (Figure 3); None for no kernel grid.
    """

    def __init__(self, model: nn.Module, images: Mapping[str, object],
                 layers: Sequence[str] = DEFAULT_LAYERS, top_k: int = 16,
                 input_size: int | None = None,
                 preprocess: Callable[[torch.Tensor], torch.Tensor] | None = None,
                 kernel_layer: str | None = "conv1", rectify: bool = True,
                 title: str | None = None):
        if not isinstance(model, nn.Module):
            raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
        layers = list(layers)
        if not layers:
            raise ValueError("layers is empty: name at least one layer, e.g. layers=('conv1',)")
        if len(set(layers)) != len(layers):
            raise ValueError(f"layers has duplicates: {layers}")
        if not isinstance(top_k, int) or top_k < 1:
            raise ValueError(f"top_k must be a positive integer, got {top_k!r}")
        if input_size is None:
            input_size = int(getattr(model, "input_size", 227))
        if not isinstance(input_size, int) or input_size < 8:
            raise ValueError(f"input_size must be an integer ≥ 8, got {input_size!r}")
        if not images:
            raise ValueError("images is empty: give at least one {name: image}")
        first_conv = next((m for m in model.modules() if isinstance(m, nn.Conv2d)), None)
        if first_conv is None:
            raise ValueError("model has no nn.Conv2d: the explorer shows convolutional feature maps")
        self.model = model
        self.modules = {name: find_layer(model, name) for name in layers}
        self.kernel_module = find_layer(model, kernel_layer) if kernel_layer else None
        self.layers = layers
        self.top_k = top_k
        self.input_size = input_size
        self.in_channels = first_conv.in_channels
        self.preprocess = preprocess
        self.kernel_layer = kernel_layer
        self.rectify = rectify
        self.title = title
        self.views: dict[tuple[str, str], LayerView] = {}
        self.inputs: dict[str, torch.Tensor] = {}
        self._widget = None
        for name, image in images.items():
            self._compute(str(name), image)

    # ---------------------------------------------------------------- computation
    @property
    def image_names(self) -> list[str]:
        return list(self.inputs)

    def activations(self, image) -> dict[str, torch.Tensor]:
        """The rectified outputs (C×h×w) of ``self.layers`` for one image (any accepted form)."""
        x = network_view(to_float_image(image), self.in_channels, self.input_size)
        return self._forward(x)

    def _forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        if self.preprocess is not None:
            x = self.preprocess(x)
        param = next(self.model.parameters(), None)
        device = param.device if param is not None else torch.device("cpu")
        dtype = param.dtype if param is not None and param.is_floating_point() else torch.float32
        got = activations(self.model, x[None].to(device=device, dtype=dtype),
                          {n: self.modules[n] for n in self.layers}, eval_mode=True)
        for name in self.layers:
            output = got[name]
            if not isinstance(output, torch.Tensor) or output.ndim != 4:
                raise ValueError(f"layer {name!r} outputs {type(output).__name__} of shape "
                                 f"{tuple(getattr(output, 'shape', ()))}; the explorer "
                                 f"shows 4-D (N, C, H, W) feature maps: choose conv layers")
            out = output[0].float().cpu()
            got[name] = out.clamp(min=0) if self.rectify else out
        return {n: got[n] for n in self.layers}

    def _compute(self, name: str, image) -> None:
        if name in self.inputs:
            raise ValueError(f"an image named {name!r} is already in the explorer; choose "
                             f"another name")
        x = network_view(to_float_image(image, name), self.in_channels, self.input_size)
        acts = self._forward(x)
        self.inputs[name] = x
        for layer, a in acts.items():
            means = a.flatten(1).mean(1)
            k = min(self.top_k, a.shape[0])
            channels = torch.topk(means, k).indices.tolist()
            maps = a[channels]
            self.views[(name, layer)] = LayerView(name, layer, tuple(a.shape), means, channels,
                                                  maps, feature_grid_png(maps, channels))

    def kernel_weight(self) -> torch.Tensor:
        """The kernels of ``kernel_layer`` (out × in × kh × kw): its own weight when it is a
        convolution, else the weights of the convolutions inside it (e.g. two towers), stacked."""
        module = self.kernel_module
        convs = [module] if isinstance(module, nn.Conv2d) else \
            [m for m in module.modules() if isinstance(m, nn.Conv2d)]
        if not convs:
            raise ValueError(f"layer {self.kernel_layer!r} holds no nn.Conv2d to draw kernels of")
        return torch.cat([c.weight.detach() for c in convs], 0)

    # ---------------------------------------------------------------- widgets
    def widget(self):
        """The ipywidgets container to display (built once; the same object afterwards)."""
        if self._widget is not None:
            return self._widget
        import ipywidgets as W
        from ipywidgets.widgets.widget import _instances

        # A lower bound first (the pictures, base64-encoded), so that an explorer far over the
        # budget fails before any widget exists: a kernel's widgets all end up in the notebook.
        pictures = sum(len(v.png) for v in self.views.values())
        if pictures * 4 // 3 > STATE_BUDGET_BYTES:
            self._over_budget(pictures * 4 // 3)
        before = set(_instances)
        self._image_buttons = W.ToggleButtons(options=self.image_names, index=0,
                                              description="image", style={"button_width": "auto"})
        self._layer_buttons = W.ToggleButtons(options=self.layers, index=0,
                                              description="layer", style={"button_width": "auto"})
        self._image_buttons.add_class("explorer-images")
        self._layer_buttons.add_class("explorer-layers")
        self.links = []
        self._outer = W.Stack(children=[self._image_panel(n) for n in self.image_names],
                              selected_index=0)
        self._outer.add_class("explorer-maps")
        self.links.insert(0, W.jslink((self._image_buttons, "index"),
                                      (self._outer, "selected_index")))
        parts = []
        if self.title:
            parts.append(W.HTML(f"<b>{self.title}</b>"))
        parts += [self._image_buttons, self._layer_buttons, self._outer]
        if self.kernel_layer:
            parts.append(self._kernel_panel())
        box = W.VBox(parts)
        box.add_class("alexnet-explorer")
        self._widget = box
        created = [_instances[i] for i in set(_instances) - before if i in _instances]
        size = state_size(created)
        if size > STATE_BUDGET_BYTES:
            for w in created:
                w.close()
            self._widget = None
            self._over_budget(size)
        self.state_bytes = size
        return box

    def _over_budget(self, size: int):
        raise ValueError(
            f"the explorer's widget state would be {size / 1e6:.2f} MB, over the budget of "
            f"{STATE_BUDGET_BYTES / 1e6:.2f} MB per explorer: use fewer images "
            f"({len(self.image_names)}) or layers ({len(self.layers)}), or a smaller top_k "
            f"({self.top_k})")

    def _image_panel(self, name: str):
        import ipywidgets as W

        thumb = W.Image(value=jpeg_bytes(self.inputs[name], THUMB), format="jpeg",
                        layout=W.Layout(width=f"{THUMB}px", height=f"{THUMB}px"))
        x = self.inputs[name]
        caption = W.HTML(f"<b>{name}</b><br>network input {x.shape[0]}×{x.shape[1]}×"
                         f"{x.shape[2]}", layout=W.Layout(width=f"{THUMB + 8}px"))
        inner = W.Stack(children=[self._layer_panel(self.views[(name, layer)])
                                  for layer in self.layers],
                        selected_index=self._layer_buttons.index or 0)
        self.links.append(W.jslink((self._layer_buttons, "index"), (inner, "selected_index")))
        left = W.VBox([thumb, caption], layout=W.Layout(flex="0 0 auto", margin="0 12px 0 0"))
        return W.HBox([left, inner])

    def _layer_panel(self, view: LayerView):
        import ipywidgets as W

        c, h, w = view.shape
        caption = W.HTML(
            f"<b>{view.layer}</b>: {c} feature maps of {h}×{w}; shown: the {len(view.channels)} "
            f"with the largest mean activation on this image, each scaled from its own minimum "
            f"(dark) to its maximum (bright).")
        return W.VBox([caption, _natural_size_image(view.png)])

    def _kernel_panel(self):
        import ipywidgets as W
        from PIL import Image

        weight = self.kernel_weight()
        grid, _ = kernel_grid(weight)
        n, cin, kh, kw = weight.shape
        caption = W.HTML(f"<b>{self.kernel_layer} kernels</b> (cf. the paper's Figure 3): {n} "
                         f"kernels of {kh}×{kw}×{cin}, on one common scale (grey = 0).")
        return W.VBox([caption, _natural_size_image(png_bytes(Image.fromarray(grid)))])

    # ---------------------------------------------------------------- live kernel only
    def add_image(self, image, name: str) -> None:
        """Compute the pictures for one more image and add it to the explorer (live notebook:
        the buttons update at once; in the static HTML book only images added before the page
        was built are there)."""
        name = str(name)
        self._compute(name, image)
        if self._widget is None:
            return
        panel = self._image_panel(name)
        self._outer.children = tuple(self._outer.children) + (panel,)
        self._image_buttons.options = self.image_names
        self._image_buttons.index = len(self.image_names) - 1

    def upload_widget(self):
        """A file-upload button that adds the uploaded image(s) to the explorer. Needs a running
        kernel (it does nothing in the static HTML book)."""
        import ipywidgets as W
        from PIL import Image

        up = W.FileUpload(accept="image/*", multiple=True, description="add image")
        status = W.HTML()

        def on_upload(change):
            for f in change["new"]:
                try:
                    img = Image.open(io.BytesIO(bytes(f["content"]))).convert("RGB")
                    name = f["name"]
                    while name in self.inputs:
                        name += "'"
                    self.add_image(np.asarray(img), name)
                    status.value = f"added {name}"
                except Exception as exc:  # shown to the reader, not raised into the void
                    status.value = f"could not add {f.get('name')}: {exc}"

        up.observe(on_upload, names="value")
        return W.HBox([up, status])


def find_layer(model: nn.Module, name: str) -> nn.Module:
    """The module called ``name`` in ``model.named_modules()``, or the one whose name ends in
    ``.name`` when there is exactly one."""
    modules = dict(model.named_modules())
    if name in modules and name:
        return modules[name]
    matches = [full for full in modules if full.endswith("." + name)]
    if len(matches) == 1:
        return modules[matches[0]]
    names = [n for n, m in modules.items() if n and isinstance(m, (nn.Conv2d, nn.Linear))]
    if matches:
        raise ValueError(f"layer name {name!r} is ambiguous in {type(model).__name__}: "
                         f"{', '.join(matches)}; give the full name")
    raise ValueError(f"model {type(model).__name__} has no layer named {name!r}; its conv/linear "
                     f"layers are: {', '.join(names) or '(none)'}")


def state_size(widgets) -> int:
    """Bytes of the widget state of ``widgets`` serialised as a notebook stores it (JSON, binary
    buffers base64-encoded)."""
    import json

    from ipywidgets import Widget

    state = Widget.get_manager_state(drop_defaults=False, widgets=list(widgets))
    return len(json.dumps(state, separators=(",", ":")).encode())
