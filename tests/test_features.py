"""Feature extraction and nearest neighbours (Figure 4), against independent numpy references."""
import numpy as np
import pytest
import torch
from torch import nn

from alexnet_repro.analysis import features
from alexnet_repro.analysis.features import (
    extract_features,
    last_linear,
    nearest_neighbours,
)


def brute_force(queries, database, k, exclude_self=False):
    """float64 numpy reference: every distance by explicit differences, stable sort."""
    q = np.asarray(queries, dtype=np.float64)
    d = np.asarray(database, dtype=np.float64)
    dist = np.sqrt(((q[:, None, :] - d[None, :, :]) ** 2).sum(-1))
    if exclude_self:
        dist[np.arange(len(q)), np.arange(len(q))] = np.inf
    idx = np.argsort(dist, axis=1, kind="stable")[:, :k]
    return idx, np.take_along_axis(dist, idx, 1)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("chunk", [1, 7, 64])
def test_neighbours_match_brute_force(dtype, chunk):
    g = torch.Generator().manual_seed(0)
    database = torch.randn(300, 40, generator=g, dtype=dtype)
    queries = torch.randn(23, 40, generator=g, dtype=dtype)
    idx, dist = nearest_neighbours(queries, database, k=6, chunk=chunk)
    ref_idx, ref_dist = brute_force(queries.numpy(), database.numpy(), 6)
    assert idx.shape == (23, 6) and dist.shape == (23, 6)
    np.testing.assert_array_equal(idx, ref_idx)
    np.testing.assert_allclose(dist, ref_dist, rtol=1e-9, atol=1e-9)


def test_neighbours_large_offset_features_keep_float64_accuracy():
    # ReLU features are non-negative with a large common component: the expansion
    # |q|^2 - 2q.d + |d|^2 would lose the small differences in float32.
    rng = np.random.default_rng(1)
    database = 1000.0 + rng.random((200, 16))
    queries = 1000.0 + rng.random((10, 16))
    idx, dist = nearest_neighbours(queries.astype(np.float32), database.astype(np.float32), k=5)
    ref_idx, ref_dist = brute_force(queries.astype(np.float32), database.astype(np.float32), 5)
    np.testing.assert_array_equal(idx, ref_idx)
    np.testing.assert_allclose(dist, ref_dist, rtol=1e-6)


def test_ties_broken_by_lower_index_and_exact_match_is_first():
    database = np.array([[3.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [-1.0, 0.0]])
    queries = np.array([[0.0, 0.0], [1.0, 0.0]])
    idx, dist = nearest_neighbours(queries, database, k=4)
    # query 0: rows 1, 2, 3, 4 all at distance 1, row 0 at 3 -> index order among ties
    np.testing.assert_array_equal(idx[0], [1, 2, 3, 4])
    np.testing.assert_allclose(dist[0], [1, 1, 1, 1])
    # query 1: its duplicates rows 1 and 3 at distance 0, then row 2 (sqrt 2), then 0 and 4 (2)
    np.testing.assert_array_equal(idx[1], [1, 3, 2, 0])
    np.testing.assert_allclose(dist[1], [0, 0, np.sqrt(2), 2])


def test_exclude_self():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(50, 8))
    idx, dist = nearest_neighbours(x, x, k=3, exclude_self=True, chunk=16)
    ref_idx, ref_dist = brute_force(x, x, 3, exclude_self=True)
    np.testing.assert_array_equal(idx, ref_idx)
    np.testing.assert_allclose(dist, ref_dist, rtol=1e-9)
    assert not (idx == np.arange(50)[:, None]).any()


def test_neighbour_arguments_are_checked():
    x = np.zeros((4, 3))
    with pytest.raises(ValueError, match="same D"):
        nearest_neighbours(x, np.zeros((4, 2)))
    with pytest.raises(ValueError, match="k=5"):
        nearest_neighbours(x, x, k=5)
    with pytest.raises(ValueError, match="k=4"):
        nearest_neighbours(x, x, k=4, exclude_self=True)


def small_net():
    torch.manual_seed(0)
    return nn.Sequential(nn.Flatten(), nn.Linear(12, 8), nn.ReLU(), nn.Dropout(0.5),
                         nn.Linear(8, 3))


def test_last_hidden_layer_is_relu_of_penultimate_linear():
    net = small_net()
    net.train()   # extract_features must switch dropout off and restore the mode
    images = torch.rand(10, 3, 2, 2)
    feats = extract_features(net, images, batch_size=4)
    w = net[1].weight.detach().double().numpy()
    b = net[1].bias.detach().double().numpy()
    ref = np.maximum(images.reshape(10, 12).double().numpy() @ w.T + b, 0.0)
    assert feats.shape == (10, 8) and feats.dtype == torch.float32
    np.testing.assert_allclose(feats.numpy(), ref, rtol=1e-5, atol=1e-6)
    assert net.training
    assert last_linear(net)[0] == "4"


def test_named_layer_and_dataset_input():
    net = small_net()
    images = torch.rand(5, 3, 2, 2)
    dataset = [(images[i], i % 3) for i in range(5)]
    feats = extract_features(net, dataset, layer="1", batch_size=2)
    w = net[1].weight.detach().double().numpy()
    b = net[1].bias.detach().double().numpy()
    ref = images.reshape(5, 12).double().numpy() @ w.T + b   # before the ReLU
    np.testing.assert_allclose(feats.numpy(), ref, rtol=1e-5, atol=1e-6)


def test_transform_is_applied_before_the_forward_pass():
    net = small_net()
    images = torch.rand(4, 3, 2, 2)
    shifted = extract_features(net, images, transform=lambda x: x - 0.5)
    direct = extract_features(net, images - 0.5)
    torch.testing.assert_close(shifted, direct)


def test_unreadable_images_give_nan_rows_that_are_never_neighbours():
    from alexnet_repro.data.images import BadImage

    net = small_net()
    images = torch.rand(6, 3, 2, 2)
    dataset = [(images[i], 0) for i in range(6)]
    dataset[2] = BadImage("broken.jpg", "truncated")
    feats = extract_features(net, dataset, batch_size=4)
    assert torch.isnan(feats[2]).all() and not torch.isnan(feats[[0, 1, 3, 4, 5]]).any()
    good = extract_features(net, images[[0, 1, 3, 4, 5]])
    torch.testing.assert_close(feats[[0, 1, 3, 4, 5]], good)
    idx, dist = nearest_neighbours(feats[[0]], feats, k=6)
    assert idx[0, -1] == 2 and np.isinf(dist[0, -1]) and np.isfinite(dist[0, :-1]).all()


def test_model_without_linear_needs_a_layer_name():
    with pytest.raises(ValueError, match="layer="):
        extract_features(nn.Sequential(nn.Conv2d(1, 1, 1)), torch.rand(1, 1, 2, 2))


def test_worker_processes_keep_the_order():
    net = small_net()
    images = torch.rand(9, 3, 2, 2)
    dataset = torch.utils.data.TensorDataset(images, torch.zeros(9, dtype=torch.long))
    with_workers = extract_features(net, dataset, batch_size=4, num_workers=2)
    torch.testing.assert_close(with_workers, extract_features(net, images))


# ----------------------------------------------------------------------------- Figure 4 of a run

def _line_data():
    """Training images on a line (pixel values t, t), labels by position; classes by hand."""
    from types import SimpleNamespace
    train = [(torch.full((1, 1, 2), float(t)), t // 3) for t in range(9)]       # classes 0,0,0,1,1,1,2,2,2
    val = [(torch.full((1, 1, 2), 0.9), 0), (torch.full((1, 1, 2), 1.2), 0),
           (torch.full((1, 1, 2), 7.1), 2), (torch.full((1, 1, 2), 4.4), 1)]
    return SimpleNamespace(train=train, val=val, classes=["a", "b", "c"])


def test_class_examples_takes_the_first_readable_item_of_each_class():
    from alexnet_repro.data.images import BadImage
    x = torch.zeros(1, 2, 2)
    items = [(x, 1), (x, 1), BadImage("p", "broken"), (x, 0), (x, 2)]
    assert features.class_examples(items, 2) == [0, 3]
    assert features.class_examples(items, 10) == [0, 3, 4]


def test_figure4_neighbours_by_hand():
    data = _line_data()
    model = nn.Sequential(nn.Flatten(), nn.Linear(2, 3))   # features = the two pixel values
    found = features.figure4_neighbours(model, data, transform=lambda b: b, n_queries=2, k=2)
    # queries: val 0 (class a, 0.9) and val 2 (class c, 7.1): nearest t are 1, 0 and 7, 8
    assert found["queries"] == [0, 2] and found["query_labels"] == ["a", "c"]
    assert found["idx"].tolist() == [[1, 0], [7, 8]]
    assert found["dist"][0] == pytest.approx([0.1 * 2 ** 0.5, 0.9 * 2 ** 0.5])
    assert found["neighbour_labels"] == [["a", "a"], ["c", "c"]] and found["same_class"] == 1.0
    assert found["feature_dim"] == 2 and found["pool"] == 9
    sub = features.figure4_neighbours(model, data, transform=lambda b: b - 1.0, n_queries=1, k=1, pool=4)
    assert sub["pool"] == 4 and len(sub["pool_idx"]) == 4 and list(sub["pool_idx"]) == sorted(sub["pool_idx"])
    nearest = int(sub["pool_idx"][sub["idx"][0][0]])       # of the 4 searched, the one closest to 0.9
    assert nearest == min(sub["pool_idx"], key=lambda t: abs(t - 0.9))


def test_plot_neighbours_shows_each_query_and_its_neighbours():
    import matplotlib
    matplotlib.use("Agg")
    from alexnet_repro.viz import drawings

    data = _line_data()
    found = features.figure4_neighbours(nn.Sequential(nn.Flatten(), nn.Linear(2, 3)), data,
                                        transform=lambda b: b, n_queries=3, k=2)
    fig = drawings.plot_neighbours(data, found)
    assert len(fig.axes) == 3 * 3
    # rows in validation order: a (0.9), c (7.1), b (4.4); the nearest of 4.4 is 4, at 0.4 √2
    assert fig.axes[3].get_title() == "query\nc" and fig.axes[6].get_title() == "query\nb"
    assert fig.axes[7].get_title() == "b\nd=0.566"
