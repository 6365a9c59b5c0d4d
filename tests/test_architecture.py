"""The architecture chapter's measurements of the built network (``alexnet_repro.chapters.architecture``).

References are hand counts from the paper's layer sizes (kernel × kernel × depth × maps + biases,
output side × side × maps × fan-in), the receptive-field recursion done by hand, and the LRN
formula evaluated with explicit float64 loops — never values read back from the code under test.
"""
import numpy as np
import pytest
import torch

from alexnet_repro.analysis.paper_vs_released import differences
from alexnet_repro.analysis.verdicts import (
    OUTCOME_LARGER,
    OUTCOME_REPRODUCED,
    OUTCOME_SMALLER,
)
from alexnet_repro.chapters import architecture as arch
from alexnet_repro.nn.introspect import layer_table, named_layers
from alexnet_repro.nn.model import AlexNet

# (maps, kernel side, depth each kernel sees) of the paper's two-tower network (§3.5)
CONV = {"conv1": (96, 11, 3), "conv2": (256, 5, 48), "conv3": (384, 3, 256),
        "conv4": (384, 3, 192), "conv5": (256, 3, 192)}
SIDE = {"conv1": 55, "conv2": 27, "conv3": 13, "conv4": 13, "conv5": 13}
FC = {"fc6": (6 * 6 * 256, 4096), "fc7": (4096, 4096), "fc8": (4096, 1000)}


@pytest.fixture(scope="module")
def nets():
    torch.manual_seed(0)
    net2, net1 = AlexNet(towers=2), AlexNet(towers=1)
    return net2, net1, layer_table(net2)


def test_text_helpers():
    assert arch.and_join(["conv2"]) == "conv2"
    assert arch.and_join(["a", "b", "c"]) == "a, b and c"
    assert arch.shape_text((96, 55, 54)) == "55×54×96"
    assert arch.shape_text((96, 55, 55), " × ") == "55 × 55 × 96"


def test_figure2_facts_by_hand(nets):
    net2, _, rows = nets
    f = arch.figure2_facts(net2, rows)
    assert (f["paper_layers"], f["n_conv"], f["n_fc"]) == (8, 5, 3)
    assert f["same_tower"] == "conv2, conv4 and conv5"
    assert f["both_towers"] == "conv3, fc6, fc7 and fc8"
    for name, (maps, _, _) in CONV.items():
        assert f[f"{name}_out"] == f"{SIDE[name]}×{SIDE[name]}×{maps}"
    assert f["pool5_out"] == "6×6×256" and f["fc6_in"] == 9216
    assert f["our_conv1_neurons"] == 55 * 55 * 96
    assert f["paper_conv1_neurons"] == 253440 and f["paper_conv2_neurons"] == 27 * 27 * 256


def test_input_size_arithmetic_by_hand(nets):
    net2, _, _ = nets
    f = arch.input_size_facts(net2)
    assert f["eq_printed"] == "(224 − 11) / 4 + 1 = 54.25"
    assert f["eq_227"] == "(227 − 11) / 4 + 1 = 55"
    assert f["floor_printed"] == 54
    assert f["unread"] == 224 - (53 * 4 + 11)           # the last row/column never read: 1
    # 224 -> conv1 54 -> pool 26 -> conv2 26 -> pool 12 -> conv3..5 12 -> pool 5
    assert f["pool5_224"] == "5×5×256" and f["fc6_in_224"] == 5 * 5 * 256
    assert f["tv_eq"] == "(224 + 2·2 − 11) / 4 + 1 = 55.25"
    assert f["dim_224"] == 224 * 224 * 3 == f["dim_paper"]


def _params(name):
    if name in CONV:
        maps, k, depth = CONV[name]
        return maps * depth * k * k + maps
    fan_in, out = FC[name]
    return fan_in * out + out


def test_cost_facts_by_hand(nets):
    net2, _, rows = nets
    total = sum(_params(n) for n in [*CONV, *FC])
    fc = sum(_params(n) for n in FC)
    conv_macs = sum(SIDE[n] ** 2 * CONV[n][0] * CONV[n][2] * CONV[n][1] ** 2 for n in CONV)
    fc_macs = sum(a * b for a, b in FC.values())
    f = arch.cost_facts(net2, rows)
    assert f["params2"] == total
    assert f["fc_share"] == pytest.approx(100 * fc / total)
    assert f["fc6_share"] == pytest.approx(100 * _params("fc6") / total)
    assert f["conv_mac_share"] == pytest.approx(100 * conv_macs / (conv_macs + fc_macs))
    assert f["macs_g"] == pytest.approx((conv_macs + fc_macs) / 1e9)
    assert f["paper_params_m"] == 60


def test_one_tower_has_the_grouped_kernels_twice(nets):
    net2, net1, _ = nets
    f = arch.tower_facts(net2, net1)
    halves = sum(CONV[n][0] * CONV[n][2] * CONV[n][1] ** 2 for n in ("conv2", "conv4", "conv5"))
    assert f["params_diff"] == halves
    assert f["params1"] == sum(_params(n) for n in [*CONV, *FC]) + halves
    assert (f["conv2_depth"], f["conv2_depth1"]) == (48, 96)
    assert f["paper_conv2_kernel"] == "5×5×48"


def test_receptive_fields_by_hand(nets):
    net2, _, rows = nets
    # rf += (k - 1) * jump; jump *= stride: conv1 11/4, pool 19/8, conv2 51/8, pool 67/16,
    # conv3 99, conv4 131, conv5 163 (jump 16)
    f = arch.receptive_field_facts(net2, rows)
    assert f["rfs"] == "11, 51, 99, 131, 163"
    assert f["rf5"] == 163 and f["jump5"] == 16
    assert arch.record_extra(net2, net2, rows)["receptive_fields"] == {
        "conv1": 11, "conv2": 51, "conv3": 99, "conv4": 131, "conv5": 163}


def test_init_facts(nets):
    net2, _, _ = nets
    f = arch.init_facts(net2)
    assert f["bias_one"] == "conv2, conv4, conv5, fc6 and fc7"
    assert (f["bias_hi"], f["bias_lo"], f["last"]) == (1, 0, "fc8")
    n = sum(_params(x) for x in [*CONV, *FC]) - sum(CONV[c][0] for c in CONV) \
        - sum(o for _, o in FC.values())
    assert f["init_n"] == n
    # sample std of n draws of N(0, 0.01²): standard error 0.01 / sqrt(2n), far below 1e-5
    assert f["init_std"] == pytest.approx(0.01, abs=1e-5)


def test_output_spread_scale_is_the_input_multiplied():
    torch.manual_seed(1)
    net = AlexNet(towers=1, width=0.25, num_classes=10)
    batch = torch.rand(3, 3, 227, 227) - 0.5
    a = arch.output_spread(net, batch, scales=(1.0, 255.0))
    net.input_scale = 1.0
    b = arch.output_spread(net, 255.0 * batch, scales=(1.0,))
    assert a[255.0] == pytest.approx(b[1.0], rel=1e-4)
    assert a[255.0] > a[1.0]
    assert net.input_scale == 1.0 and not net.training


def _paper_lrn(a, n, alpha, beta, k):
    a = np.asarray(a, dtype=np.float64)
    out = []
    for i in range(len(a)):
        window = a[max(0, i - n // 2):min(len(a) - 1, i + n // 2) + 1]
        out.append(a[i] / (k + alpha * np.sum(window ** 2)) ** beta)
    return np.array(out)


def test_lrn_conventions_against_the_formula():
    a = torch.tensor(arch.LRN_EXAMPLE, dtype=torch.float64).view(1, -1, 1, 1)
    cols = arch.lrn_conventions(a)
    assert list(cols)[:4] == ["a", arch.OURS, arch.TORCH, arch.TORCH_AN]
    np.testing.assert_allclose(cols[arch.OURS].numpy(),
                               _paper_lrn(arch.LRN_EXAMPLE, 5, 1e-4, 0.75, 2.0), rtol=1e-12)
    np.testing.assert_allclose(cols[arch.TORCH_AN].numpy(),
                               _paper_lrn(arch.LRN_EXAMPLE, 5, 1e-4, 0.75, 2.0), rtol=1e-12)
    # PyTorch divides alpha by n
    np.testing.assert_allclose(cols[arch.TORCH].numpy(),
                               _paper_lrn(arch.LRN_EXAMPLE, 5, 1e-4 / 5, 0.75, 2.0), rtol=1e-12)
    html = arch.lrn_table(cols)
    assert html.count("<tr>") == len(arch.LRN_EXAMPLE) + 1 and "Caffe" in html


def test_lrn_share_against_explicit_window_sums(nets):
    net2, _, _ = nets
    torch.manual_seed(2)
    image = torch.rand(3, 227, 227)
    a = torch.tensor(arch.LRN_EXAMPLE, dtype=torch.float64).view(1, -1, 1, 1)
    cols = arch.lrn_conventions(a)
    f = arch.lrn_facts(cols, net2, image)
    assert f["lrn_kbeta"] == pytest.approx(2.0 ** 0.75)
    assert f["lrn_same"] < 1e-12 and f["lrn_torch_rel"] > 0
    conv1 = named_layers(net2)["conv1"]
    centred = image - image.mean(dim=(1, 2), keepdim=True)
    for scale, key in ((1.0, "lrn_share_01"), (255.0, "lrn_share_255")):
        pixels = (scale * centred).double()        # scaled in float32, as the chapter's image
        act = torch.relu(torch.nn.functional.conv2d(
            pixels[None], conv1.weight.double(), conv1.bias.double(),
            stride=4)).detach().numpy()[0]
        shares = []
        for g in range(2):                        # each tower normalized on its own
            grp = act[48 * g:48 * (g + 1)]
            sq = grp ** 2
            for i in range(48):
                s = sq[max(0, i - 2):min(47, i + 2) + 1].sum(0)
                pos = grp[i] > 0
                shares.append(1e-4 * s[pos] / 2.0)
        values = np.sort(np.concatenate(shares))
        lower_median = values[(len(values) - 1) // 2]     # torch.median's convention
        # the library back-solves the share from the layer's output ((x / y) ** (1 / beta) - k):
        # float64 cancellation leaves ~1e-9 relative error when the share is ~1e-7 of k
        assert f[key] == pytest.approx(100 * float(lower_median), rel=1e-6)


def test_claims_outcomes(nets):
    net2, net1, rows = nets
    claims = {c["key"]: c for c in arch.claims(net2, net1, rows)}
    total = sum(_params(n) for n in [*CONV, *FC])          # hand count from the paper's kernel shapes
    assert abs(total - 60_000_000) / 60_000_000 < 0.05
    assert claims["parameters"]["outcome"] == OUTCOME_REPRODUCED
    assert claims["parameters"]["estimate"] == total
    # (224 - 11) / 4 + 1 = 54.25 outputs per side: fewer than the 55 the paper's maps have
    assert claims["input_size"]["outcome"] == OUTCOME_SMALLER
    assert claims["input_size"]["estimate"] == 54.25 and claims["input_size"]["paper_effect"] == 55
    # 55 * 55 * 96 = 290,400 neurons against the printed 253,440
    assert claims["neurons_conv1"]["outcome"] == OUTCOME_LARGER
    assert (claims["neurons_conv1"]["estimate"], claims["neurons_conv1"]["paper_effect"]) == (55 * 55 * 96, 253440)
    assert all(c["unit"] == "exact" for c in claims.values())


def test_a_model_that_contradicts_the_prose_is_a_clear_error():
    torch.manual_seed(0)
    one = AlexNet(towers=1)            # no grouped convolutions: the tower split does not hold
    with pytest.raises(arch.ProseMismatch, match="architecture chapter says"):
        arch.figure2_facts(one, layer_table(one))


def test_photo_batch_is_mean_free(nets):
    net2, _, _ = nets
    batch = arch.photo_batch(net2, ("chelsea", "coffee"))
    assert batch.shape == (2, 3, 227, 227)
    assert batch.mean(dim=(0, 2, 3)).abs().max() < 1e-6
    with pytest.raises(ValueError, match="chelsea, astronaut, coffee"):
        arch.photo_batch(net2, ("rocket",))


def test_output_shapes_one_line_per_layer_as_the_paper_writes_them():
    outputs = {"conv1": torch.zeros(1, 96, 55, 54), "pool5": torch.zeros(1, 256, 6, 6),
               "fc8": torch.zeros(1, 1000)}
    assert arch.output_shapes(outputs).splitlines() == [
        "conv1  55 × 54 × 96",        # name padded to six columns, then H × W × C
        "pool5  6 × 6 × 256",
        "fc8    1000",                # a vector: its length
    ]


def test_photo_facts_name_the_stored_size_and_the_class_scores():
    image = torch.zeros(300, 451, 3)                    # H × W × C, as photograph() returns it
    facts = arch.photo_facts(image, "coffee", {"fc8": torch.zeros(1, 17)})
    assert facts == {"photo_shape": "300×451", "photo_name": "coffee", "n_outputs": 17}


def test_released_facts_quote_the_cfg_line_to_two_decimals():
    # layer-params-145.cfg: 'logprob: 1.741473, 0.406640, 0.182100' -> 40.66% and 18.21%
    assert arch.released_facts() == {"rel_top1": "40.66%", "rel_top5": "18.21%"}


def test_released_table_has_the_six_columns_and_one_row_per_difference():
    html = arch.released_table()
    headers = ["aspect", "the paper&#x27;s text", "where", "layers-145 as run", "where",
               "what it amounts to"]
    assert "<thead><tr>" + "".join(f"<th>{h}</th>" for h in headers) + "</tr></thead>" in html
    assert html.count("<tr>") - 1 == len(differences())        # the header row aside
    assert "overflow-x" in html                                 # a wide table scrolls sideways


def test_layer_table_box_scrolls_sideways(nets):
    html = arch.layer_table_box(nets[2])
    assert html.startswith('<div style="overflow-x:auto">') and html.endswith("</div>")
    assert html.count("<table") == 1 and "conv5" in html and "white-space: nowrap" in html


def test_border_share_of_hand_made_maps():
    flat_inside = torch.ones(2, 9, 9)
    flat_inside[:, 0, :] = 0.0                        # only the top row differs
    assert arch.border_share(flat_inside) == 0.0
    ramp = torch.arange(9.0).repeat(9, 1)[None]       # the same slope inside and out
    inner = torch.arange(3.0, 6.0)                    # columns 3..5 inside a 3-ring border
    expected = (inner - inner.mean()).pow(2).mean().sqrt() / (torch.arange(9.0) - 4).pow(2).mean().sqrt()
    assert arch.border_share(ramp) == pytest.approx(float(expected))
    assert arch.border_share(torch.full((1, 9, 9), 2.0)) == 1.0      # no variation at all


def test_padding_facts_name_the_layers_that_vary_only_at_their_borders():
    torch.manual_seed(0)
    net = AlexNet(towers=2, width=0.25)
    inside = torch.rand(1, 4, 13, 13)
    edge = torch.ones(1, 4, 13, 13)
    edge[..., 0, :] = 5.0
    conv2 = torch.full((1, 4, 27, 27), 2.0)
    conv2[0, 0, 13, 13] = 2.5                     # a bump in the middle: varies inside
    outputs = {"conv1": inside, "conv2": conv2, "conv3": edge, "conv4": edge, "conv5": inside}
    f = arch.padding_facts(outputs, net)
    assert f["pad_layers"] == "conv3 and conv4" and f["pad_share_max"] == 0.0
    values = conv2.flatten()
    assert f["conv2_var"] == pytest.approx(100 * float(values.std() / values.mean()))
    assert f["padding_sentence"].startswith("From conv3 on,") and "conv3 and conv4" in f["padding_sentence"]
    none = arch.padding_facts({**outputs, "conv3": inside, "conv4": inside}, net)
    assert none["pad_layers"] == "" and "as well as at their borders" in none["padding_sentence"]


def test_answer_rows_give_titles_sentences_and_the_papers_numbers(nets):
    net2, net1, rows = nets
    claims = arch.claims(net2, net1, rows)
    answer = {r["key"]: r for r in arch.answer_rows(claims, net2)}
    assert set(answer) == {"About 60 million parameters", "A 224-pixel input", "The neurons of conv1"}
    params = answer["About 60 million parameters"]
    total = sum(p.numel() for p in net2.parameters())
    assert params["measured"].startswith(f"{total:,} parameters") and params["paper"] == "60 million"
    assert f"{100 * (total / 60e6 - 1):+.1f}%" in params["measured"]
    assert "(224 − 11) / 4 + 1 = 54.25" in answer["A 224-pixel input"]["measured"]
    assert answer["A 224-pixel input"]["paper"] == "55×55 maps from a 224×224 input"
    assert answer["The neurons of conv1"]["measured"].startswith(f"{55 * 55 * 96:,} neurons")
    assert all(r["setting"] == "" for r in answer.values())
    assert params["source"] == "§4, abstract" and answer["The neurons of conv1"]["source"] == "§3.5"
    assert [c["key"] for c in claims] == ["parameters", "input_size", "neurons_conv1"]   # rows untouched


@pytest.mark.parametrize("seconds, words", [(3.2, "under a minute"), (61, "about 1 minute"),
                                            (400, "about 7 minutes"), (9000, "about 2.5 hours")])
def test_try_it_cost_in_words(seconds, words):
    assert arch.try_it_facts(seconds) == {"try_cost": words}
