"""AlexNet, SmallCNN and the layer table, checked against hand arithmetic from the paper."""
import math
from fractions import Fraction

import pytest
import torch
from torch import nn

from alexnet_repro.nn.introspect import (
    conv_output_size,
    count_parameters,
    layer_outputs,
    layer_table,
    named_layers,
    weight_layers_text,
)
from alexnet_repro.nn.layers import LocalResponseNorm
from alexnet_repro.nn.model import AlexNet, SmallCNN, build_model
from alexnet_repro.quoted.paper import PAPER
from alexnet_repro.quoted.released_2012 import RELEASED_2012
from alexnet_repro.viz.tables import layer_table_html


def expected_params(towers: int, classes: int = 1000) -> int:
    """Weights + biases from the paper's kernel shapes (§3.5); kernel depth halves in the
    layers that only see their own GPU (conv2, conv4, conv5) when towers=2."""
    g = towers
    conv = [(96, 3 * 11 * 11), (256, 96 // g * 5 * 5), (384, 256 * 3 * 3),
            (384, 384 // g * 3 * 3), (256, 384 // g * 3 * 3)]
    fc = [(4096, 256 * 6 * 6), (4096, 4096), (classes, 4096)]
    return sum(o * (i + 1) for o, i in conv + fc)


def test_parameter_counts_exact():
    assert expected_params(2) == 60_965_224 and expected_params(1) == 62_378_344
    assert count_parameters(AlexNet(towers=2)) == 60_965_224
    assert count_parameters(AlexNet(towers=1)) == 62_378_344
    assert count_parameters(AlexNet(towers=2, num_classes=10)) == expected_params(2, 10)


@pytest.mark.parametrize("towers", [1, 2])
def test_shapes_at_227(towers):
    rows = {r["name"]: r for r in layer_table(AlexNet(towers=towers), 227)}
    want = {"conv1": (96, 55, 55), "conv2": (256, 27, 27), "conv3": (384, 13, 13),
            "conv4": (384, 13, 13), "conv5": (256, 13, 13), "pool5": (256, 6, 6),
            "fc6": (4096,), "fc7": (4096,), "fc8": (1000,)}
    for name, shape in want.items():
        assert rows[name]["out_shape"] == shape, name
    # the paper's neuron counts for conv2..conv5 (§3.5) are the products of these shapes
    assert [math.prod(rows[n]["out_shape"]) for n in ("conv2", "conv3", "conv4", "conv5")] == \
        [186_624, 64_896, 64_896, 43_264]


def test_forward_output_and_grouping():
    m = AlexNet(towers=2, num_classes=7, width=0.25, input_size=67).eval()
    y = m(torch.rand(3, 3, 67, 67))
    assert y.shape == (3, 7)
    layers = named_layers(m)
    assert [layers[n].groups for n in ("conv1", "conv2", "conv3", "conv4", "conv5")] == [1, 2, 1, 2, 2]
    assert layers["norm1"].groups == 2


def test_receptive_fields_and_jumps():
    rows = {r["name"]: r for r in layer_table(AlexNet(), 227)}
    # r_out = r_in + (k - 1) * jump_in, jump_out = jump_in * stride, through the pools too
    assert [rows[f"conv{i}"]["rf"] for i in range(1, 6)] == [11, 51, 99, 131, 163]
    assert [rows[f"conv{i}"]["jump"] for i in range(1, 6)] == [4, 8, 16, 16, 16]
    assert rows["fc6"]["rf"] is None


def test_multiply_adds_and_layer_params():
    rows = {r["name"]: r for r in layer_table(AlexNet(towers=2), 227)}
    assert rows["conv1"]["macs"] == 55 * 55 * 96 * 11 * 11 * 3
    assert rows["conv2"]["macs"] == 27 * 27 * 256 * 5 * 5 * 48
    assert rows["conv4"]["macs"] == 13 * 13 * 384 * 3 * 3 * 192
    assert rows["fc6"]["macs"] == 9216 * 4096
    assert rows["fc6"]["params"] == 9216 * 4096 + 4096
    assert sum(r["params"] for r in rows.values()) == 60_965_224


def test_layer_order_matches_paper():
    names = [r["name"] for r in layer_table(AlexNet(width=0.125), 227)]
    assert names == ["conv1", "act1", "norm1", "pool1", "conv2", "act2", "norm2", "pool2",
                     "conv3", "act3", "conv4", "act4", "conv5", "act5", "pool5",
                     "fc6", "act6", "drop6", "fc7", "act7", "drop7", "fc8"]
    names = [r["name"] for r in layer_table(AlexNet(lrn=False, width=0.125), 227)]
    assert "norm1" not in names and "norm2" not in names


def test_paper_init_statistics():
    torch.manual_seed(0)
    m = AlexNet(towers=2, width=0.25, input_size=67, num_classes=10)
    layers = named_layers(m)
    for name in ("conv1", "conv2", "conv3", "conv4", "conv5", "fc6", "fc7", "fc8"):
        w = layers[name].weight.detach().double()
        n = w.numel()
        # sample std of n N(0, 0.01^2) draws: standard error ~ 0.01 / sqrt(2n); allow 6 of them
        assert abs(w.std().item() - 0.01) < 6 * 0.01 / math.sqrt(2 * n), name
        assert abs(w.mean().item()) < 6 * 0.01 / math.sqrt(n), name
        bias = layers[name].bias.detach()
        want = 1.0 if name in ("conv2", "conv4", "conv5", "fc6", "fc7") else 0.0
        assert torch.all(bias == want), name


def test_kaiming_init_option():
    torch.manual_seed(0)
    m = AlexNet(width=0.25, input_size=67, init="kaiming")
    w = named_layers(m)["conv3"].weight.detach().double()
    fan_in = w.shape[1] * 9
    assert abs(w.std().item() - math.sqrt(2 / fan_in)) < 6 * math.sqrt(2 / fan_in) / math.sqrt(2 * w.numel())
    assert torch.all(named_layers(m)["conv2"].bias == 0)


def test_input_scale_multiplies_the_input():
    torch.manual_seed(0)
    m = AlexNet(width=0.25, input_size=67).eval()
    x = torch.rand(2, 3, 67, 67)
    reference = m(x * 255.0)
    m.input_scale = 255.0
    torch.testing.assert_close(m(x), reference)
    assert AlexNet(width=0.25, input_size=67, input_scale=255).input_scale == 255.0


def test_tanh_and_dropout_options():
    m = AlexNet(activation="tanh", width=0.25, input_size=67, dropout_convention="inverted")
    layers = named_layers(m)
    assert isinstance(layers["act1"], nn.Tanh) and isinstance(layers["act6"], nn.Tanh)
    assert layers["drop6"].convention == "inverted" and layers["drop6"].p == 0.5
    assert named_layers(AlexNet(width=0.25, input_size=67))["drop7"].convention == "paper"
    x = torch.ones(1, 3, 67, 67)
    # paper convention at test time: fc7's input is act6 * 0.5
    m = AlexNet(width=0.25, input_size=67).eval()
    outs = layer_outputs(m, x, names=["act6", "drop6"])
    torch.testing.assert_close(outs["drop6"], outs["act6"] * 0.5)
    assert isinstance(layers["norm1"], LocalResponseNorm)


def test_pooling_option_output_sizes():
    def pool_out(n, z, s):
        return (n - z) // s + 1

    # at 227 both schemes give equal dimensions, as the paper says (§3.4)
    for overlap, z in ((True, 3), (False, 2)):
        rows = {r["name"]: r for r in layer_table(AlexNet(overlap_pool=overlap, width=0.125), 227)}
        assert rows["pool1"]["out_shape"][1] == pool_out(55, z, 2) == 27
        assert rows["pool5"]["out_shape"][1] == pool_out(13, z, 2) == 6
        assert rows["pool1"]["kernel"] == z
    # at 231 conv1 gives 56x56: 3/2 pooling -> 27, 2/2 pooling -> 28
    a = {r["name"]: r for r in layer_table(AlexNet(overlap_pool=True, input_size=231, width=0.125))}
    b = {r["name"]: r for r in layer_table(AlexNet(overlap_pool=False, input_size=231, width=0.125))}
    assert a["conv1"]["out_shape"][1] == 56
    assert a["pool1"]["out_shape"][1] == 27 and b["pool1"]["out_shape"][1] == 28


def test_small_inputs_and_too_small_error():
    # pool5 needs conv5 >= 3, i.e. pool2 out >= 3, conv2 = pool1 out >= 7, conv1 out >= 15,
    # so input >= 11 + 14 * 4 = 67
    for size in (67, 70, 99):
        m = AlexNet(width=0.125, input_size=size, in_channels=1, num_classes=10).eval()
        assert m(torch.rand(2, 1, size, size)).shape == (2, 10)
    with pytest.raises(ValueError, match=r"too small.*input_size >= 67"):
        AlexNet(input_size=66)
    with pytest.raises(ValueError, match=r"built for inputs \(N, 3, 227, 227\)"):
        AlexNet(width=0.125)(torch.rand(1, 3, 224, 224))


def test_bad_arguments_are_clear():
    with pytest.raises(ValueError, match="activation"):
        AlexNet(activation="sigmoid")
    with pytest.raises(ValueError, match="towers"):
        AlexNet(towers=3)
    with pytest.raises(ValueError, match="dropout_convention"):
        AlexNet(dropout_convention="gaussian")
    with pytest.raises(ValueError, match="unknown model"):
        build_model("vgg")
    with pytest.raises(ValueError, match="unknown argument.*colour"):
        build_model("alexnet", colour=True)


def test_build_model():
    m = build_model("alexnet", towers=2, width=0.25, input_size=67, num_classes=10)
    assert isinstance(m, AlexNet) and m.towers == 2
    s = build_model("small_cnn", activation="tanh", in_channels=1, input_size=28)
    assert isinstance(s, SmallCNN)
    assert s(torch.rand(4, 1, 28, 28)).shape == (4, 10)


def test_small_cnn_layout():
    s = SmallCNN(lrn=True)
    rows = {r["name"]: r for r in layer_table(s, 32)}
    # cuda-convnet pooling rounds up: 32 -> 16 -> 8 -> 4
    assert [rows[p]["out_shape"][1] for p in ("pool1", "pool2", "pool3")] == [16, 8, 4]
    assert rows["fc4"]["params"] == 64 * 4 * 4 * 10 + 10
    n_conv = sum(isinstance(m, nn.Conv2d) for m in s.modules())
    n_fc = sum(isinstance(m, nn.Linear) for m in s.modules())
    assert (n_conv, n_fc) == (3, 1)                       # "four-layer" net
    assert "norm1" in rows and "norm1" not in {r["name"] for r in layer_table(SmallCNN(), 32)}


def test_conv_output_size_arithmetic():
    assert conv_output_size(224, 11, 4) == Fraction(217, 4)    # 54.25: does not tile
    assert float(conv_output_size(224, 11, 4)) == 54.25
    assert conv_output_size(227, 11, 4) == 55


def test_layer_outputs_and_html():
    m = AlexNet(width=0.25, input_size=67).eval()
    outs = layer_outputs(m, torch.rand(1, 3, 67, 67), names=["conv1", "fc8"])
    assert list(outs) == ["conv1", "fc8"] and outs["fc8"].shape == (1, 1000)
    with pytest.raises(ValueError, match="no layer"):
        layer_outputs(m, torch.rand(1, 3, 67, 67), names=["conv9"])
    html = layer_table_html(layer_table(AlexNet(), 227))
    assert "<table" in html and "55&times;55&times;96" in html and "37,752,832" in html


def test_architecture_figure_follows_connectivity():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch, Rectangle

    from alexnet_repro.viz import drawings

    def arrows(fig):
        ps = [p for p in fig.axes[0].patches if isinstance(p, FancyArrowPatch)]
        dashed = [p for p in ps if p.get_linestyle() not in ("-", "solid")]
        return len(ps), len(dashed)

    two = drawings.plot_architecture(AlexNet(towers=2, width=0.125))
    one = drawings.plot_architecture(AlexNet(towers=1, width=0.125))
    boxes = lambda f: sum(isinstance(p, Rectangle) for p in f.axes[0].patches)
    # input + 7 layers x 2 towers + a single fc8; one tower: input + 8 layers
    assert boxes(two) == 1 + 7 * 2 + 1 and boxes(one) == 1 + 8
    # two towers: 2 + 2 + 4 (conv3 reads both) + 2 + 2 + 4 + 4 + 2 arrows; cross arrows in
    # conv3, fc6, fc7 (2 each) and both arrows into the single fc8
    assert arrows(two) == (22, 2 + 2 + 2 + 2)
    assert arrows(one) == (8, 0)
    rf = drawings.plot_receptive_fields(layer_table(AlexNet(width=0.125), 227),
                                     image=torch.rand(227, 227, 3).numpy())
    squares = [p for p in rf.axes[1].patches if isinstance(p, Rectangle)]
    assert sorted(p.get_width() for p in squares) == [11, 51, 99, 131, 163]
    bars = drawings.plot_layer_bars({"a": layer_table(AlexNet(width=0.125), 227)}, key="macs")
    assert len(bars.axes[0].patches) == 8
    plt.close("all")


def test_lrn_alpha_over_n_reading_matches_pytorchs_layer():
    # PyTorch's nn.LocalResponseNorm divides alpha by n: fed the paper's alpha it is the alpha/n
    # reading, which lrn_alpha = alpha / n must reproduce (large activations so the sum matters)
    L = PAPER["lrn"]
    model = AlexNet(width=0.125, lrn_alpha=L["alpha"] / L["n"])
    a = torch.rand(2, 12, 9, 9, dtype=torch.float64) * 300
    ref = torch.nn.LocalResponseNorm(L["n"], L["alpha"], L["beta"], L["k"])(a)
    ours = named_layers(model)["norm1"].double()(a)
    assert torch.allclose(ours, ref, rtol=1e-10, atol=0)
    printed = named_layers(AlexNet(width=0.125))["norm1"].double()(a)
    assert (printed - ref).abs().max() > 1e-3          # the two readings differ at this scale
    with pytest.raises(ValueError, match="lrn_alpha"):
        AlexNet(lrn_alpha=-1.0)


def test_norm_gain_is_the_paper_layer_on_scaled_activities():
    # every normalization layer at gain g computes the paper's layer on g times its input, divided
    # by g: checked against PyTorch's layer (alpha * n: the printed formula) on 45 * a, and for the
    # released within-map normalization against its own layer at gain 1
    L, g = PAPER["lrn"], 45.0
    a = torch.rand(2, 12, 9, 9, dtype=torch.float64)
    model = AlexNet(width=0.125, norm_gain=g, recipe="released-2012")
    ref = torch.nn.LocalResponseNorm(L["n"], RELEASED_2012["cross_map_norm"]["scale"], L["beta"], L["k"])(g * a) / g
    assert torch.allclose(named_layers(model)["norm1"].double()(a), ref, rtol=1e-12, atol=0)
    plain = named_layers(AlexNet(width=0.125, recipe="released-2012"))["wnorm2"].double()
    assert torch.allclose(named_layers(model)["wnorm2"].double()(a), plain(g * a) / g, rtol=1e-12, atol=0)
    assert named_layers(AlexNet(width=0.125, norm_gain=g))["norm2"].alpha == pytest.approx(L["alpha"] * g * g)
    for bad in (0.0, -2.0, float("nan"), "45"):
        with pytest.raises(ValueError, match="norm_gain must be a positive number"):
            AlexNet(norm_gain=bad)


# --- recipes: the printed paper and the released 2012 configuration -----------------------------
import configparser  # noqa: E402
from pathlib import Path  # noqa: E402

from alexnet_repro.nn.layers import WithinMapNorm  # noqa: E402

RELEASED_CFG = Path(__file__).resolve().parents[1] / "reference" / "alexnet-2012-source" / "layers_layers-145.cfg"


def _released_cfg():
    parser = configparser.ConfigParser()
    parser.read_string(RELEASED_CFG.read_text())
    return parser


def test_both_recipes_have_the_papers_parameter_count():
    for towers, want in ((2, 60_965_224), (1, 62_378_344)):
        for recipe in ("paper", "released-2012"):
            assert count_parameters(AlexNet(towers=towers, recipe=recipe)) == want, (towers, recipe)


def test_released_recipe_normalizes_before_the_activation_in_layer_1():
    """The order in which modules run, seen by forward hooks (not by the definition order)."""
    def run_order(model):
        order = []
        for name, m in named_layers(model).items():
            m.register_forward_hook(lambda mod, inp, out, name=name: order.append(name))
        model(torch.rand(1, 3, 67, 67))
        return order

    paper = run_order(AlexNet(width=0.125, input_size=67))
    released = run_order(AlexNet(width=0.125, input_size=67, recipe="released-2012"))
    assert paper[:4] == ["conv1", "act1", "norm1", "pool1"]
    assert released[:4] == ["conv1", "norm1", "pool1", "act1"]
    assert released[4:9] == ["conv2", "act2", "norm2", "wnorm2", "pool2"]
    # the cfg chains them the same way: conv1a -> rnorm1a -> pool1a (neuron=relu)
    cfg = _released_cfg()
    assert cfg["rnorm1a"]["inputs"] == "conv1a" and "neuron" not in cfg["conv1a"]
    assert cfg["pool1a"]["inputs"] == "rnorm1a" and cfg["pool1a"]["neuron"] == "relu"
    assert cfg["cnorm2a"]["inputs"] == "rnorm2a" and cfg["pool2a"]["inputs"] == "cnorm2a"


def test_released_recipe_layers_use_the_files_constants():
    cfg = _released_cfg()
    layers = named_layers(AlexNet(towers=2, width=0.25, input_size=67, recipe="released-2012"))
    params = configparser.ConfigParser()
    params.read_string((RELEASED_CFG.parent / "layers_layer-params-145.cfg").read_text())
    size, scale = int(cfg["rnorm1a"]["size"]), float(params["rnorm1a"]["scale"])
    norm1 = layers["norm1"]
    assert (norm1.size, norm1.k, norm1.beta, norm1.groups) == (size, float(params["rnorm1a"]["minDiv"]),
                                                             float(params["rnorm1a"]["pow"]), 2)
    assert norm1.alpha == pytest.approx(scale / size, rel=1e-15)   # layer.py: scale /= size
    wnorm = layers["wnorm2"]
    assert isinstance(wnorm, WithinMapNorm)
    assert (wnorm.size, wnorm.scale, wnorm.power, wnorm.k) == (
        int(cfg["cnorm2a"]["size"]), float(params["cnorm2a"]["scale"]), float(params["cnorm2a"]["pow"]), 1.0)
    assert "wnorm2" not in named_layers(AlexNet(width=0.25, input_size=67))


def test_released_recipe_init_statistics_follow_the_file():
    cfg = _released_cfg()
    torch.manual_seed(1)
    layers = named_layers(AlexNet(towers=2, width=0.25, input_size=67, num_classes=10,
                                  recipe="released-2012"))
    sections = {"conv1": "conv1a", "conv2": "conv2a", "conv3": "conv3a", "conv4": "conv4a",
                "conv5": "conv5a", "fc6": "fc2048a", "fc7": "fc2048ba", "fc8": "fc1000"}
    for name, section in sections.items():
        std = float(cfg[section]["initW"].split(",")[0])
        bias = float(cfg[section].get("initB", "0"))
        w = layers[name].weight.detach().double()
        n = w.numel()
        assert abs(w.std().item() - std) < 6 * std / math.sqrt(2 * n), (name, w.std().item(), std)
        assert torch.all(layers[name].bias == bias), name
    assert {float(cfg[s]["initW"].split(",")[0]) for s in ("conv3a", "conv4a", "conv5a")} == {0.03}


def test_every_knob_works_on_the_released_recipe():
    m = AlexNet(recipe="released-2012", lrn=False, towers=1, width=0.125, input_size=67,
                init="kaiming", activation="tanh", overlap_pool=False, dropout=0.0)
    names = list(named_layers(m))
    assert "norm1" not in names and "wnorm2" not in names and names[:3] == ["conv1", "pool1", "act1"]
    assert m(torch.rand(2, 3, 67, 67)).shape == (2, 1000)
    assert AlexNet(recipe="released-2012", lrn_alpha=1e-4, width=0.125, input_size=67).features.norm1.alpha == 1e-4
    with pytest.raises(ValueError, match="recipe"):
        AlexNet(recipe="caffe")


def test_small_cnn_cuda_convnet_18pct_recipe():
    ref = RELEASED_CFG.parent
    cfg = configparser.ConfigParser()
    cfg.read_string((ref / "layers-cifar_layers-18pct.cfg").read_text())
    params = configparser.ConfigParser()
    params.read_string((ref / "layers-cifar_layer-params-18pct-noisylr.cfg").read_text())
    torch.manual_seed(2)
    m = SmallCNN(recipe="cuda-convnet-18pct", input_scale=255.0)
    layers = named_layers(m)
    assert list(layers)[:8] == ["conv1", "act1", "pool1", "norm1", "conv2", "act2", "pool2", "norm2"]
    for name in ("norm1", "norm2"):
        section = "r" + name
        assert isinstance(layers[name], WithinMapNorm)
        assert layers[name].size == int(cfg[section]["size"])
        assert layers[name].scale == float(params[section]["scale"])
    for name, section in (("conv1", "conv1"), ("conv2", "conv2"), ("conv3", "conv3"), ("fc4", "fc10")):
        std = float(cfg[section]["initW"])
        w = layers[name].weight.detach().double()
        assert abs(w.std().item() - std) < 6 * std / math.sqrt(2 * w.numel()), name
        assert torch.all(layers[name].bias == 0)
    x = torch.rand(1, 3, 32, 32)
    with torch.no_grad():
        scaled = m(x)
        m.input_scale = 1.0
        assert torch.allclose(scaled, m(x * 255.0))   # input_scale multiplies the input first
    # the book's recipe is unchanged: no normalization unless asked, paper init
    assert "norm1" not in named_layers(SmallCNN())


def test_weight_layers_text_names_each_learned_layer():
    # width 0.25 of cuda-convnet's 32-32-64 channels: 8, 8, 16; 5x5 kernels; fc4 to 7 classes
    net = SmallCNN(activation="tanh", in_channels=1, num_classes=7, width=0.25, input_size=28)
    assert weight_layers_text(net) == "conv1 8×5×5, conv2 8×5×5, conv3 16×5×5, fc4 → 7"
