"""paper.py: every quoted number carries its source, and the paper's numbers agree with each
other where the paper itself relates them (a typo in one of them breaks a relation)."""
import math

from alexnet_repro.paper import (CLAIMS, PAPER, READING_NOTE, READING_NOTE_ERRORS,
                                 REIMPLEMENTATIONS, TABLE1, TABLE2)


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
