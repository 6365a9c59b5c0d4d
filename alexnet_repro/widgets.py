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
"""
from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from alexnet_repro.model import activations

# Widget state (all pictures, base64-encoded as in a notebook's metadata) allowed per explorer.
STATE_BUDGET_BYTES = 1_500_000

# Feature-map grid geometry (pixels).
TILE = 96          # a map is enlarged by an integer factor to at most TILE × TILE
GAP = 4            # space between tiles
LABEL_H = 12       # space above each tile for its channel label
# Palette of the feature-map PNGs (8-bit indexed): map values use LEVELS viridis colours,
# index 0 = the map's own minimum, LEVELS - 1 = its own maximum.
LEVELS = 250
BACKGROUND = LEVELS      # palette index of the background (white)
INK = LEVELS + 1         # palette index of the label text (dark grey)

# conv1 kernel grid (Figure 3)
KERNEL_SCALE = 4   # each kernel pixel shown as KERNEL_SCALE × KERNEL_SCALE
KERNEL_GAP = 2
THUMB = 112        # size of the input thumbnail

DEFAULT_LAYERS = ("conv1", "conv2", "conv3", "conv4", "conv5")
PHOTOGRAPHS = ("chelsea", "astronaut", "coffee", "rocket")


# --------------------------------------------------------------------------- images in

def to_float_image(image, name: str = "image") -> torch.Tensor:
    """Return ``image`` as a float32 tensor C×H×W in [0, 1].

    Accepts a NumPy array or tensor H×W or H×W×C of dtype uint8 (C = 1, 3 or 4; alpha dropped),
    a float tensor/array C×H×W with values in [0, 1] (the library's convention), or a PIL image.
    """
    try:
        from PIL import Image as PILImage
        if isinstance(image, PILImage.Image):
            image = np.asarray(image.convert("RGB"))
    except ImportError:  # pragma: no cover - pillow is a dependency
        pass
    if isinstance(image, np.ndarray):
        t = torch.from_numpy(np.array(image))  # a copy: the caller keeps its array
    elif isinstance(image, torch.Tensor):
        t = image.detach().cpu()
    else:
        raise TypeError(f"{name}: expected a NumPy array, a torch tensor or a PIL image, "
                        f"got {type(image).__name__}")
    if t.dtype == torch.uint8:
        if t.ndim == 2:
            t = t[:, :, None]
        if t.ndim != 3 or t.shape[2] not in (1, 3, 4):
            raise ValueError(f"{name}: a uint8 image must be H×W or H×W×C with C in (1, 3, 4), "
                             f"got shape {tuple(t.shape)}")
        t = t[:, :, :3].permute(2, 0, 1).float() / 255.0
    elif t.is_floating_point():
        if t.ndim == 2:
            t = t[None]
        if t.ndim != 3 or t.shape[0] not in (1, 3):
            raise ValueError(f"{name}: a float image must be C×H×W with C in (1, 3) (the library's "
                             f"convention), got shape {tuple(t.shape)}; pass H×W×C images as uint8")
        lo, hi = float(t.min()), float(t.max())
        if lo < 0.0 or hi > 1.0:
            raise ValueError(f"{name}: float image values must lie in [0, 1], found [{lo:.3g}, "
                             f"{hi:.3g}]; pass the image before mean subtraction/normalisation "
                             f"and give that step as `preprocess=`")
        t = t.float()
    else:
        raise TypeError(f"{name}: unsupported dtype {t.dtype}; use uint8 (H×W×C) or float (C×H×W)")
    if min(t.shape[1:]) < 2:
        raise ValueError(f"{name}: image of size {tuple(t.shape[1:])} is too small")
    return t


def network_view(image: torch.Tensor, channels: int, size: int) -> torch.Tensor:
    """The image as the network sees it: central square crop, resized to ``size``, and converted
    to ``channels`` channels (grey repeated to RGB; RGB to grey by ITU-R 601 luma)."""
    c, h, w = image.shape
    s = min(h, w)
    top, left = (h - s) // 2, (w - s) // 2
    x = image[:, top:top + s, left:left + s]
    if s != size:
        x = F.interpolate(x[None], size=(size, size), mode="bilinear", align_corners=False,
                          antialias=s > size)[0].clamp(0, 1)
    if c == channels:
        return x
    if c == 1:
        return x.expand(channels, -1, -1).clone()
    if channels == 1:
        luma = torch.tensor([0.299, 0.587, 0.114]).view(3, 1, 1)
        return (x * luma).sum(0, keepdim=True)
    raise ValueError(f"cannot convert a {c}-channel image for a network with {channels} input "
                     f"channels; pass images with {channels} channels")


def example_images(bundle=None, count: int = 2,
                   photographs: Sequence[str] = PHOTOGRAPHS) -> dict[str, torch.Tensor]:
    """Real photographs shipped with scikit-image, plus the first ``count`` validation images of a
    ``data.DataBundle`` (named by class), as float tensors C×H×W in [0, 1]."""
    import skimage.data

    out: dict[str, torch.Tensor] = {}
    for name in photographs:
        loader = getattr(skimage.data, name, None)
        if loader is None:
            raise ValueError(f"skimage.data has no photograph {name!r}; try one of "
                             f"{', '.join(PHOTOGRAPHS)}")
        out[name] = to_float_image(loader(), name)
    if bundle is not None:
        for i in range(min(count, len(bundle.val))):
            item = bundle.val[i]
            if not isinstance(item, tuple):  # a BadImage
                continue
            x, label = item
            out[f"{bundle.name} {i}: {bundle.classes[label]}"] = to_float_image(x)
    return out


# --------------------------------------------------------------------------- pictures

def _palette() -> list[int]:
    from matplotlib import colormaps

    rgb = (colormaps["viridis"](np.linspace(0, 1, LEVELS))[:, :3] * 255).round().astype(np.uint8)
    pal = np.zeros((256, 3), np.uint8)
    pal[:LEVELS] = rgb
    pal[BACKGROUND] = (255, 255, 255)
    pal[INK] = (40, 40, 40)
    return pal.reshape(-1).tolist()


def quantize(maps: torch.Tensor) -> np.ndarray:
    """Palette indices of feature maps (k×h×w): each map scaled from its own minimum (index 0)
    to its own maximum (index LEVELS - 1); a constant map is all 0."""
    m = maps.float()
    lo = m.flatten(1).amin(1).view(-1, 1, 1)
    span = (m.flatten(1).amax(1).view(-1, 1, 1) - lo).clamp(min=1e-12)
    return torch.round((m - lo) / span * (LEVELS - 1)).to(torch.uint8).numpy()


def grid_boxes(k: int, h: int, w: int) -> tuple[list[tuple[int, int, int, int]], int, int, int]:
    """Tile boxes (x0, y0, x1, y1) of a grid of ``k`` maps of size h×w, the enlargement factor,
    and the grid's width and height."""
    scale = max(1, TILE // max(h, w))
    th, tw = h * scale, w * scale
    cols = math.ceil(math.sqrt(k))
    rows = math.ceil(k / cols)
    boxes = []
    for i in range(k):
        r, c = divmod(i, cols)
        x0 = GAP + c * (tw + GAP)
        y0 = GAP + LABEL_H + r * (th + LABEL_H + GAP)
        boxes.append((x0, y0, x0 + tw, y0 + th))
    width = GAP + cols * (tw + GAP)
    height = GAP + rows * (th + LABEL_H + GAP)
    return boxes, scale, width, height


def feature_grid_png(maps: torch.Tensor, channels: Sequence[int]) -> bytes:
    """An indexed PNG of the maps (k×h×w) in a grid, each tile labelled 'ch N'."""
    from PIL import Image, ImageDraw, ImageFont

    k, h, w = maps.shape
    boxes, scale, width, height = grid_boxes(k, h, w)
    canvas = np.full((height, width), BACKGROUND, np.uint8)
    q = quantize(maps)
    for (x0, y0, x1, y1), tile in zip(boxes, q):
        canvas[y0:y1, x0:x1] = np.kron(tile, np.ones((scale, scale), np.uint8))
    img = Image.fromarray(canvas)   # "L"; putpalette makes it "P" with these indices
    img.putpalette(_palette())
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default()
    for (x0, y0, _, _), ch in zip(boxes, channels):
        draw.text((x0, y0 - LABEL_H), f"ch {ch}", fill=INK, font=font)
    return _png(img)


def kernel_grid(weight: torch.Tensor) -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
    """The kernels of a conv layer (out × in × kh × kw) as one image grid (H×W×3 or H×W uint8),
    one tile per kernel, all kernels on one common scale (mid-grey = 0), and the tile boxes."""
    n, cin, kh, kw = weight.shape
    wt = weight.detach().float().cpu()
    if cin not in (1, 3):
        wt = wt.mean(1, keepdim=True)
        cin = 1
    peak = float(wt.abs().max()) or 1.0
    tiles = ((wt / peak * 0.5 + 0.5).clamp(0, 1) * 255).round().to(torch.uint8)
    cols = 16 if n % 16 == 0 and n >= 32 else math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    th, tw = kh * KERNEL_SCALE, kw * KERNEL_SCALE
    height = KERNEL_GAP + rows * (th + KERNEL_GAP)
    width = KERNEL_GAP + cols * (tw + KERNEL_GAP)
    canvas = np.full((height, width, cin), 255, np.uint8)
    boxes = []
    up = np.ones((KERNEL_SCALE, KERNEL_SCALE, 1), np.uint8)
    for i in range(n):
        r, c = divmod(i, cols)
        x0, y0 = KERNEL_GAP + c * (tw + KERNEL_GAP), KERNEL_GAP + r * (th + KERNEL_GAP)
        canvas[y0:y0 + th, x0:x0 + tw] = np.kron(tiles[i].permute(1, 2, 0).numpy(), up)
        boxes.append((x0, y0, x0 + tw, y0 + th))
    return (canvas[:, :, 0] if cin == 1 else canvas), boxes


def _png(img) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def _natural_size_image(png: bytes):
    """An Image widget shown at the PNG's own size (a flex box would stretch it and blur the
    pixels), shrinking only to fit a narrow page."""
    import ipywidgets as W
    from PIL import Image

    width, height = Image.open(io.BytesIO(png)).size
    return W.Image(value=png, format="png",
                   layout=W.Layout(width=f"{width}px", max_width="100%", height="auto",
                                   object_fit="contain"))


def _jpeg(x: torch.Tensor, size: int) -> bytes:
    from PIL import Image

    arr = (x.clamp(0, 1) * 255).round().to(torch.uint8).permute(1, 2, 0).numpy()
    img = Image.fromarray(arr[:, :, 0] if arr.shape[2] == 1 else arr)
    img = img.resize((size, size), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=85)
    return buf.getvalue()


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

        thumb = W.Image(value=_jpeg(self.inputs[name], THUMB), format="jpeg",
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
        return W.VBox([caption, _natural_size_image(_png(Image.fromarray(grid)))])

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
