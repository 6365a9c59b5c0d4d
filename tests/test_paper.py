"""paper.py: every quoted number carries its source, and the paper's numbers agree with each
other where the paper itself relates them (a typo in one of them breaks a relation)."""
import math

from alexnet_repro.quoted.paper import CLAIMS, PAPER, TABLE1, TABLE2
from alexnet_repro.quoted.reading_note import READING_NOTE, READING_NOTE_ERRORS
from alexnet_repro.quoted.reimplementations import REIMPLEMENTATIONS


def test_every_group_names_its_source():
    for group in (*PAPER.values(), *CLAIMS.values(), *REIMPLEMENTATIONS.values(), TABLE1, TABLE2,
                  READING_NOTE):
        assert isinstance(group.get("source"), str) and group["source"], group
    for claim in CLAIMS.values():
        assert claim["text"]
    for err in READING_NOTE_ERRORS.values():
        assert err["note_says"] and err["paper_says"] and err["topic"]


def test_percentages_are_percentages():
    for table in (TABLE1, TABLE2):
        for row in table["rows"]:
            for key, v in row.items():
                if key.endswith("_pct") and v is not None:
                    assert 0 < v < 100, (row, key)
    for top1, top5 in ((r["top1_pct"], r["top5_pct"]) for r in TABLE1["rows"]):
        assert top5 < top1
    for r in TABLE2["rows"]:
        if r["val_top1_pct"] is not None:
            assert r["val_top5_pct"] < r["val_top1_pct"]


def test_relations_the_paper_states():
    arch, aug, data = PAPER["architecture"], PAPER["augmentation"], PAPER["data"]
    # "150,528-dimensional" input = 224 x 224 x 3
    assert arch["input_dimension"] == arch["input_size_as_printed"] ** 2 * arch["input_channels"]
    # 2048 = (256 - 224)^2 x 2 reflections
    assert aug["factor"] == (data["rescale_to"] - aug["crop"]) ** 2 * 2
    assert CLAIMS["augmentation_factor"]["factor"] == aug["factor"]
    # five conv + three fc learned layers; kernel depths follow the two-GPU split (§3.5)
    assert len(arch["conv_kernels"]) + len(arch["fc_neurons"]) == arch["learned_layers"]
    k = arch["conv_kernels"]
    assert arch["conv_kernel_depth"] == (arch["input_channels"], k[0] // 2, k[1], k[2] // 2, k[3] // 2)
    # neurons per layer: the entries after conv1 are the products of the Figure 2 shapes
    shapes = [(27, 27, 256), (13, 13, 384), (13, 13, 384), (13, 13, 256)]
    assert list(arch["neurons_per_layer"][1:5]) == [math.prod(s) for s in shapes]
    assert arch["neurons_per_layer"][5:] == arch["fc_neurons"]
    # layers named in the split / init / LRN / pooling lists exist and partition as stated
    names = {f"conv{i}" for i in range(1, 6)} | {"fc6", "fc7", "fc8"}
    init = PAPER["init"]
    assert set(init["bias_one"]) | set(init["bias_zero"]) == names
    assert not set(init["bias_one"]) & set(init["bias_zero"])
    assert set(arch["same_gpu_layers"]) | set(arch["cross_gpu_layers"]) == names - {"conv1"}
    assert PAPER["dropout"]["test_scale"] == 1 - PAPER["dropout"]["p_drop"]


def test_table2_ensembles_and_headline():
    rows = {r["model"]: r for r in TABLE2["rows"]}
    # ensembles beat single nets; the 15.3% headline is the best test entry; runner-up 26.2%
    assert rows["5 CNNs"]["val_top5_pct"] < rows["1 CNN"]["val_top5_pct"]
    assert rows["7 CNNs*"]["val_top5_pct"] < rows["1 CNN*"]["val_top5_pct"]
    tested = [r for r in TABLE2["rows"] if r["test_top5_pct"] is not None]
    assert min(tested, key=lambda r: r["test_top5_pct"])["model"] == "7 CNNs*"
    assert {r["model"] for r in TABLE2["rows"] if r["pretrained_fall2011"]} == {"1 CNN*", "7 CNNs*"}


def test_reading_note_mixes_tables():
    """The note's (37.5% top-1, 15.3% top-5) pair comes from two different tables."""
    note = READING_NOTE["results_table"]
    t1 = [r for r in TABLE1["rows"] if r["top1_pct"] == note["top1_pct"]]
    t2 = [r for r in TABLE2["rows"] if r["test_top5_pct"] == note["top5_pct"]]
    assert [r["model"] for r in t1] == ["CNN"] and [r["model"] for r in t2] == ["7 CNNs*"]
    assert t1[0]["top5_pct"] != note["top5_pct"]


# --- the released 2012 configuration, re-read from the reference files ---------------------------
import configparser  # noqa: E402
import re  # noqa: E402
from pathlib import Path  # noqa: E402

from alexnet_repro.quoted.released_2012 import RELEASED_2012, RELEASED_CIFAR  # noqa: E402

REFERENCE = Path(__file__).resolve().parents[1] / "reference" / "alexnet-2012-source"


def _cfg(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(inline_comment_prefixes=None)
    parser.read_string((REFERENCE / name).read_text())
    return parser


def _floats(text: str) -> list[float]:
    return [float(v) for v in text.split(",")]


def test_reference_files_and_licence_are_in_the_repository():
    for name in ("LICENSE", "layers_layers-145.cfg", "layers_layer-params-145.cfg",
                 "layers-cifar_layers-18pct.cfg", "layers-cifar_layer-params-18pct-noisylr.cfg"):
        assert (REFERENCE / name).is_file(), name
    assert "Redistribution and use" in (REFERENCE / "LICENSE").read_text()


def test_released_network_matches_layers_145():
    net, cfg = RELEASED_2012["network"], _cfg("layers_layers-145.cfg")
    for layer, want in net["conv"].items():
        for tower in "ab":
            s = cfg[layer + tower]
            assert s["type"] == "conv"
            assert _floats(s["filters"]) == [want["filters"]] * len(_floats(s["filters"]))
            assert int(_floats(s["filterSize"])[0]) == want["size"]
            assert int(_floats(s["stride"])[0]) == want["stride"]
            assert int(_floats(s["padding"])[0]) == want["padding"]
            assert set(_floats(s["initW"])) == {want["init_w"]}
            assert float(s.get("initB", "0")) == want["init_b"]
    # only conv2..conv4 carry their own ReLU; conv1 and conv5 get it from the following pool
    assert "neuron" not in cfg["conv1a"] and "neuron" not in cfg["conv5a"]
    assert cfg["conv2a"]["neuron"] == cfg["conv3a"]["neuron"] == cfg["conv4a"]["neuron"] == "relu"
    assert cfg["pool1a"]["neuron"] == cfg["pool3a"]["neuron"] == "relu" and "neuron" not in cfg["pool2a"]
    # the chain of layer 1 and layer 2: conv1 -> rnorm1 -> pool1; conv2 -> rnorm2 -> cnorm2 -> pool2
    assert (cfg["rnorm1a"]["inputs"], cfg["pool1a"]["inputs"]) == ("conv1a", "rnorm1a")
    assert (cfg["rnorm2a"]["inputs"], cfg["cnorm2a"]["inputs"], cfg["pool2a"]["inputs"]) == \
        ("conv2a", "rnorm2a", "cnorm2a")
    assert cfg["rnorm1a"]["type"] == "cmrnorm" and cfg["cnorm2a"]["type"] == "rnorm"
    for name, key in (("fc2048a", "fc6"), ("fc2048ba", "fc7")):
        s, want = cfg[name], net["fc"][key]
        assert int(s["outputs"]) == want["outputs_per_tower"]
        assert len(s["inputs"].split(",")) == 2 and want["reads_both_towers"]
        assert set(_floats(s["initW"])) == {want["init_w"]} and float(s["initB"]) == want["init_b"]
    assert int(cfg["fc1000"]["outputs"]) == net["fc"]["fc8"]["outputs"]
    assert float(cfg["fc1000"].get("initB", "0")) == net["fc"]["fc8"]["init_b"]
    assert float(cfg["hs1a"]["keep"]) == net["dropout_keep"]
    assert (int(cfg["pool1a"]["sizeX"]), int(cfg["pool1a"]["stride"])) == \
        (net["pool"]["size"], net["pool"]["stride"])


def test_released_normalization_and_learning_match_layer_params_145():
    layers, params = _cfg("layers_layers-145.cfg"), _cfg("layers_layer-params-145.cfg")
    cm, wm = RELEASED_2012["cross_map_norm"], RELEASED_2012["within_map_norm"]
    for name in ("rnorm1a", "rnorm1b", "rnorm2a", "rnorm2b"):
        assert int(layers[name]["size"]) == cm["size"]
        p = params[name]
        assert (float(p["scale"]), float(p["pow"]), float(p["minDiv"])) == \
            (cm["scale"], cm["pow"], cm["min_div"])
    for name in ("cnorm2a", "cnorm2b"):
        assert int(layers[name]["size"]) == wm["size"]
        assert (float(params[name]["scale"]), float(params[name]["pow"])) == (wm["scale"], wm["pow"])
        assert "minDiv" not in params[name]
    learn = RELEASED_2012["learning"]
    for name in ("conv2a", "conv3a", "conv4b", "conv5a", "fc2048a", "fc2048bb", "fc1000"):
        p = params[name]
        assert set(_floats(p["epsW"])) == {learn["eps_w_final"]}
        assert float(p["epsB"]) == learn["eps_b"]
        assert set(_floats(p["momW"])) == {learn["momentum"]}
        assert set(_floats(p["wc"])) == {learn["weight_decay"]}
    assert float(params["conv1a"]["epsW"]) == learn["eps_w_conv1_final"]


def test_released_notes_schedule_and_errors():
    text = (REFERENCE / "layers_layer-params-145.cfg").read_text()
    sched = RELEASED_2012["schedule"]
    assert f"epoch 25: set epsw to 0.001 from {sched['eps_w_initial']}" in text
    found = {int(e): float(v) for e, v in re.findall(r"# epoch (\d+): set epsw to ([0-9.]+)", text)}
    for epoch, lr, _ in sched["steps"]:
        assert epoch in found or f"epoch {epoch}: set epsw to 0 on conv1" in text, epoch
        if epoch in found and epoch != 72:
            assert found[epoch] == lr, (epoch, found[epoch], lr)
    assert f"# epoch {sched['killed_at_epoch']}: killed" in text
    assert f"set color noise to 0 from {sched['color_noise']}" in text
    logprobs = re.findall(r"# logprob:\s+([0-9.]+), ([0-9.]+), ([0-9.]+)", text)
    first, multiview = ([float(v) for v in row] for row in logprobs)
    e, m = RELEASED_2012["errors"], RELEASED_2012["errors_multiview"]
    assert first == [e["logprob"], e["top1"], e["top5"]]
    assert multiview == [m["logprob"], m["top1"], m["top5"]]
    # the file's one-net errors are the paper's Table 2 one-CNN validation errors, as printed
    one_cnn = next(r for r in TABLE2["rows"] if r["model"] == "1 CNN")
    assert round(100 * e["top1"], 1) == one_cnn["val_top1_pct"]
    assert round(100 * e["top5"], 1) == one_cnn["val_top5_pct"]


def test_released_cifar_18pct_matches_its_files():
    want, cfg = RELEASED_CIFAR["18pct"], _cfg("layers-cifar_layers-18pct.cfg")
    params = _cfg("layers-cifar_layer-params-18pct-noisylr.cfg")
    convs = ("conv1", "conv2", "conv3")
    assert tuple(int(cfg[c]["filters"]) for c in convs) == want["conv_filters"]
    assert {int(cfg[c]["filterSize"]) for c in convs} == {want["conv_size"]}
    assert {int(cfg[c]["padding"]) for c in convs} == {want["conv_padding"]}
    assert tuple(float(cfg[c]["initW"]) for c in (*convs, "fc10")) == want["init_w"]
    assert tuple(cfg[p]["pool"] for p in ("pool1", "pool2", "pool3")) == want["pools"]
    assert int(cfg["rnorm1"]["size"]) == want["within_map_norm"]["size"]
    assert float(params["rnorm1"]["scale"]) == want["within_map_norm"]["scale"]
    assert tuple(float(params[c]["wc"]) for c in (*convs, "fc10")) == want["weight_decay"]
    assert {float(params[c]["epsW"]) for c in convs} == {want["eps_w"]}
    assert {float(params[c]["epsB"]) for c in convs} == {want["eps_b"]}


def test_differences_table_computes_what_the_files_say():
    from alexnet_repro.analysis import paper_vs_released as released
    rows = {r["aspect"]: r for r in released.differences()}
    assert len(rows) == 9 and all(r["paper_source"] and r["released_source"] for r in rows.values())
    # α: 1e-4 as printed vs scale 1e-4 / size 5 = 2e-5 per term (hand arithmetic)
    assert "2.0e-05" in rows["α of the cross-map normalization"]["computed"]
    assert "5× smaller" in rows["α of the cross-map normalization"]["computed"]
    assert "60,965,224 (paper) vs 60,965,224 (released)" in rows["fc6 and fc7"]["computed"]
    assert "3× the paper" in rows["Weight init of conv3–conv5"]["computed"]
    assert "2× the initial" in rows["Bias learning rate"]["computed"]
    assert "conv1 frozen from epoch 72" in rows["Learning-rate schedule"]["computed"]
    stds = released.init_stds("released-2012")
    for name, want in (("conv1", 0.01), ("conv3", 0.03), ("conv5", 0.03), ("fc6", 0.01)):
        assert abs(stds[name] - want) < 0.1 * want, (name, stds[name])
