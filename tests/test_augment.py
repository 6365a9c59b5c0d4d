"""Tests of alexnet_repro.data.augment: PCA against known covariances (numpy float64), crop windows
against direct slicing, crop/flip/lighting statistics against their exact distributions."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import stats

from alexnet_repro.data import augment as A
from alexnet_repro.data import stats as data_stats
from alexnet_repro.data.registry import load_dataset
from alexnet_repro.quoted.paper import PAPER
from alexnet_repro.viz import tables as viz_tables


def _known_pca(seed=0):
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    lam = np.array([0.05, 0.01, 0.002])
    cov = q @ np.diag(lam) @ q.T
    return cov, rng


def _coordinate_batch(n: int, size: int) -> torch.Tensor:
    """(n, 1, size, size) float64 images whose pixel value is row * size + col."""
    grid = torch.arange(size * size, dtype=torch.float64).view(1, 1, size, size)
    return grid.expand(n, 1, size, size).clone()


def _decode(patches: torch.Tensor, size: int):
    """Recover (top, left, flipped) of crops of a coordinate image; checks the content too."""
    first = patches[:, 0, 0, 0]
    step = patches[:, 0, 0, 1] - patches[:, 0, 0, 0]
    flipped = step < 0
    crop = patches.shape[-1]
    top = torch.div(first, size, rounding_mode="floor").long()
    left = (first % size).long() - torch.where(flipped, crop - 1, 0)
    rows = top[:, None] + torch.arange(crop)
    cols = left[:, None] + torch.arange(crop)
    cols = torch.where(flipped[:, None], cols.flip(1), cols)
    expected = rows[:, :, None] * size + cols[:, None, :]
    assert torch.equal(patches[:, 0].long(), expected), "a patch is not a contiguous window of the image"
    return top, left, flipped


# ------------------------------------------------------------------ counts

def test_translation_count_paper_and_exact():
    aug = PAPER["augmentation"]
    assert A.translation_count(PAPER["data"]["rescale_to"], aug["crop"]) == aug["factor"]
    for stored, crop in ((10, 7), (9, 9), (12, 3)):
        windows = {(t, l, f) for t in range(stored - crop + 1) for l in range(stored - crop + 1) for f in (0, 1)}
        assert A.translation_count(stored, crop, exact=True) == len(windows)
        assert A.translation_count(stored, crop, exact=True, flips=False) == len(windows) // 2
    assert A.translation_count(256, 227, exact=True) == 30 * 30 * 2
    with pytest.raises(ValueError):
        A.translation_count(32, 40)
    assert A.scaled_crop_size(256) == 227 and A.scaled_crop_size(36) == round(36 * 227 / 256)


# ------------------------------------------------------------------ PCA

def test_rgb_pca_recovers_known_covariance():
    cov, rng = _known_pca()
    pixels = rng.multivariate_normal([0.4, 0.5, 0.6], cov, size=64 * 32 * 32)
    images = torch.from_numpy(pixels.reshape(64, 32, 32, 3).transpose(0, 3, 1, 2).copy())
    # the covariance of this very sample, by numpy
    np.testing.assert_allclose(data_stats.pixel_covariance(images).numpy(), np.cov(pixels.T), rtol=1e-10, atol=1e-14)
    pca = data_stats.rgb_pca(images)
    lam_ref, vec_ref = np.linalg.eigh(cov)
    lam_ref, vec_ref = lam_ref[::-1], vec_ref[:, ::-1]
    np.testing.assert_allclose(pca.eigenvalues.numpy(), lam_ref, rtol=0.03)
    dots = np.abs(np.sum(pca.eigenvectors.numpy() * vec_ref, axis=0))
    assert np.all(dots > 0.995), dots
    np.testing.assert_allclose(pca.eigenvectors.numpy().T @ pca.eigenvectors.numpy(), np.eye(3), atol=1e-12)


def test_eig_pca_exact_on_a_given_matrix():
    cov, _ = _known_pca(1)
    pca = data_stats.eig_pca(torch.from_numpy(cov))
    lam_ref = np.sort(np.linalg.eigvalsh(cov))[::-1]
    np.testing.assert_allclose(pca.eigenvalues.numpy(), lam_ref, rtol=1e-12)
    np.testing.assert_allclose(pca.covariance.numpy(), cov, atol=1e-15)
    p = pca.eigenvectors.numpy()
    assert np.all(p[np.abs(p).argmax(0), range(3)] > 0)   # sign convention


def test_training_stats_match_numpy_and_are_cached(tmp_path):
    bundle = load_dataset("synthetic", limit=50, val_limit=5, image_size=12, seed=2)
    x = torch.stack([bundle.train[i][0] for i in range(50)]).double().numpy()
    st = data_stats.training_stats(bundle, cache_dir=tmp_path)
    np.testing.assert_allclose(st.mean_image.numpy(), x.mean(0), atol=1e-6)
    np.testing.assert_allclose(st.channel_mean.numpy(), x.mean((0, 2, 3)), atol=1e-6)
    cov_ref = np.cov(x.transpose(1, 0, 2, 3).reshape(3, -1))
    np.testing.assert_allclose(st.pca.covariance.numpy(), cov_ref, rtol=1e-8, atol=1e-12)
    assert st.images == 50
    files = list(tmp_path.glob("*.pt"))
    assert len(files) == 1
    again = data_stats.training_stats(bundle, cache_dir=tmp_path)
    assert torch.equal(again.mean_image, st.mean_image)
    files[0].write_bytes(b"garbage")           # a corrupt cache is recomputed
    third = data_stats.training_stats(bundle, cache_dir=tmp_path)
    assert torch.allclose(third.pca.eigenvalues, st.pca.eigenvalues)
    sub = data_stats.training_stats(bundle, max_images=20, seed=1, cache_dir=None)
    assert sub.images == 20


def test_one_channel_pca_is_the_variance():
    torch.manual_seed(0)
    images = torch.rand(20, 1, 8, 8)
    pca = data_stats.rgb_pca(images)
    assert pca.eigenvectors.item() == 1.0
    assert abs(pca.eigenvalues.item() - np.var(images.double().numpy(), ddof=1)) < 1e-12


# ------------------------------------------------------------------ lighting

@pytest.mark.parametrize("mode", ["paper", "sqrt"])
def test_batched_lighting_covariance(mode):
    cov, _ = _known_pca(2)
    pca = data_stats.eig_pca(torch.from_numpy(cov))
    lam, p = np.linalg.eigh(cov)
    weights = lam ** 2 if mode == "paper" else lam
    expected = 0.1 ** 2 * (p * weights) @ p.T          # Σ σ² w_i p_i p_iᵀ
    n = 40000
    aug = A.BatchAugment(4, random_crop=False, flip=False, pca=pca, lighting=mode,
                         generator=torch.Generator().manual_seed(0))
    out = aug(torch.zeros(n, 3, 4, 4, dtype=torch.float64))
    shift = out[:, :, 0, 0]
    assert torch.equal(out, shift[:, :, None, None].expand_as(out))   # one shift per image
    emp = np.cov(shift.numpy().T)
    assert np.linalg.norm(emp - expected) / np.linalg.norm(expected) < 0.05
    assert abs(shift.mean(0)).max().item() < 5 * np.sqrt(expected.diagonal().max() / n)


def test_per_image_lighting_covariance():
    cov, _ = _known_pca(3)
    pca = data_stats.eig_pca(torch.from_numpy(cov))
    lam, p = np.linalg.eigh(cov)
    expected = 0.01 * (p * lam ** 2) @ p.T
    light = A.PCALighting(pca, generator=torch.Generator().manual_seed(1))
    shifts = np.stack([light(torch.zeros(3, 2, 2, dtype=torch.float64))[:, 0, 0].numpy() for _ in range(20000)])
    emp = np.cov(shifts.T)
    assert np.linalg.norm(emp - expected) / np.linalg.norm(expected) < 0.05
    with pytest.raises(ValueError, match="channels"):
        light(torch.zeros(1, 2, 2))
    with pytest.raises(ValueError, match="lighting mode"):
        A.PCALighting(pca, mode="gamma")


# ------------------------------------------------------------------ crops and flips

def test_batched_crops_are_uniform_windows_and_flips_fair():
    size, crop, n = 8, 5, 20000
    aug = A.BatchAugment(crop, generator=torch.Generator().manual_seed(0))
    out = aug(_coordinate_batch(n, size))
    top, left, flipped = _decode(out, size)
    assert torch.equal(top, aug.last_draw["top"]) and torch.equal(flipped, aug.last_draw["flip"])
    positions = size - crop + 1
    counts = np.bincount((top * positions + left).numpy(), minlength=positions ** 2)
    assert stats.chisquare(counts).pvalue > 1e-3
    k = int(flipped.sum())
    assert abs(k - n / 2) < 4 * np.sqrt(n) / 2
    # flips independent of position: flip rate per row of the window grid
    table = np.array([[int(((top == t) & flipped).sum()), int(((top == t) & ~flipped).sum())] for t in range(positions)])
    assert stats.chi2_contingency(table).pvalue > 1e-3


def test_per_image_and_batched_paths_agree_in_distribution():
    size, crop, n = 7, 4, 4000
    torch.manual_seed(0)
    per_image = A.PaperAugment(crop)
    img = _coordinate_batch(1, size)[0]
    pi_top, pi_left, pi_flip = _decode(torch.stack([per_image(img) for _ in range(n)]), size)
    b_top, b_left, b_flip = _decode(A.BatchAugment(crop, generator=torch.Generator().manual_seed(1))(
        _coordinate_batch(n, size)), size)
    positions = size - crop + 1
    table = np.stack([np.bincount((t * positions + l).numpy(), minlength=positions ** 2)
                      for t, l in ((pi_top, pi_left), (b_top, b_left))])
    assert stats.chi2_contingency(table).pvalue > 1e-3
    flips = np.array([[int(pi_flip.sum()), n - int(pi_flip.sum())], [int(b_flip.sum()), n - int(b_flip.sum())]])
    assert stats.chi2_contingency(flips).pvalue > 1e-3


def test_generator_makes_batches_reproducible():
    x = torch.rand(16, 3, 10, 10)
    a = A.make_batch_augment("crop_flip", 10, 8, generator=torch.Generator().manual_seed(5))(x)
    b = A.make_batch_augment("crop_flip", 10, 8, generator=torch.Generator().manual_seed(5))(x)
    c = A.make_batch_augment("crop_flip", 10, 8, generator=torch.Generator().manual_seed(6))(x)
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_named_augments_and_mean_subtraction():
    size, crop = 9, 6
    x = torch.rand(32, 3, size, size, dtype=torch.float64)
    mean = torch.rand(3, size, size, dtype=torch.float64)
    start = int(round((size - crop) / 2))
    centre = (x - mean)[:, :, start:start + crop, start:start + crop]
    g = torch.Generator().manual_seed(0)
    none = A.make_batch_augment("none", size, crop, mean=mean, generator=g)
    assert torch.allclose(none(x), centre, atol=1e-12)
    flip = A.make_batch_augment("flip", size, crop, mean=mean, generator=g)
    out = flip(x)
    f = flip.last_draw["flip"]
    assert 0 < int(f.sum()) < 32
    assert torch.allclose(out[~f], centre[~f]) and torch.allclose(out[f], centre[f].flip(-1))
    channel = A.make_batch_augment("none", size, crop, mean=mean.mean((1, 2)), generator=g)
    assert torch.allclose(channel(x), (x - mean.mean((1, 2)).view(3, 1, 1))[:, :, start:start + crop, start:start + crop])
    assert torch.allclose(none.eval(x), centre)
    with pytest.raises(ValueError, match="pca="):
        A.make_batch_augment("paper", size, crop)
    with pytest.raises(ValueError, match="crop_flip"):
        A.make_batch_augment("random", size, crop)
    with pytest.raises(ValueError, match="crop_size"):
        A.make_batch_augment("none", 8, 9)


# ------------------------------------------------------------------ ten crops

def test_ten_crop_windows_coordinates():
    w = A.ten_crop_windows(9, 5)
    assert [(d["top"], d["left"]) for d in w[:5]] == [(0, 0), (0, 4), (4, 0), (4, 4), (2, 2)]
    assert [d["flipped"] for d in w] == [False] * 5 + [True] * 5
    centre = A.ten_crop_windows(256, 227)[4]
    assert abs(centre["top"] - (256 - 227) / 2) <= 0.5 and centre["top"] == centre["left"]
    far = A.ten_crop_windows(256, 227)[3]
    assert (far["top"], far["left"]) == (29, 29)


@pytest.mark.parametrize("size,crop", [(9, 5), (10, 7), (12, 12)])
def test_ten_crop_content_equals_slicing(size, crop):
    x = torch.rand(4, 3, size, size)
    patches = A.ten_crop(x, crop)
    assert patches.shape == (10, 4, 3, crop, crop)
    for k, d in enumerate(A.ten_crop_windows(size, crop)):
        ref = x[:, :, d["top"]:d["top"] + crop, d["left"]:d["left"] + crop]
        assert torch.equal(patches[k], ref.flip(-1) if d["flipped"] else ref)
    assert torch.equal(A.center_crop(x, crop), patches[4])


def test_ten_crop_same_set_as_torchvision_tencrop():
    x = torch.rand(3, 11, 11)
    ours = A.ten_crop(x.unsqueeze(0), 7)[:, 0]
    theirs = A.PaperAugment(7).eval_ten(x)
    key = lambda t: tuple(t.flatten().tolist())   # noqa: E731
    assert sorted(map(key, ours)) == sorted(map(key, theirs))


# ------------------------------------------------------------------ the chapter's numbers (hand values)

def test_translation_counts_by_hand():
    # 256 - 224 = 32 offsets (the paper's count) or 33 positions; 256 - 227 = 29 or 30; × 2 flips
    assert A.translation_counts(256, [224, 227]) == {
        "count_224": 32 * 32 * 2, "exact_224": 33 * 33 * 2, "count_227": 29 * 29 * 2, "exact_227": 30 * 30 * 2}
    assert list(A.translation_counts(256, [224, 227])) == ["count_224", "exact_224", "count_227", "exact_227"]


def test_lighting_scale_by_hand():
    pca = data_stats.PCA(torch.tensor([0.04, 0.01, 0.0], dtype=torch.float64), torch.eye(3, dtype=torch.float64))
    s = A.lighting_scale(pca, 0.1)
    assert s["lambda1"] == pytest.approx(0.04) and s["share"] == pytest.approx(0.8)
    assert s["levels"] == pytest.approx(1.02)            # 0.1 × 0.04 × 255
    assert s["levels_255"] == pytest.approx(260.1)       # 0.1 × 0.04 × 255²
    assert s["levels_sqrt"] == pytest.approx(5.1)        # 0.1 × √0.04 × 255


def test_pca_table_shows_each_component():
    p = torch.tensor([[0.6, -0.8, 0.0], [0.8, 0.6, 0.0], [0.0, 0.0, 1.0]], dtype=torch.float64)
    table = viz_tables.pca_table(data_stats.PCA(torch.tensor([0.03, 0.01, 0.0], dtype=torch.float64), p))
    assert table.count("<tr>") == 1 + 3                 # header and three components
    assert "<td>0.0300</td><td>75.0%</td><td>+0.600</td><td>+0.800</td><td>+0.000</td>" in table
    assert "<td>0.0100</td><td>25.0%</td><td>-0.800</td><td>+0.600</td>" in table
    assert "<th>pᵢ R</th><th>G</th><th>B</th>" in table
    one = viz_tables.pca_table(data_stats.PCA(torch.tensor([0.02], dtype=torch.float64), torch.ones(1, 1, dtype=torch.float64)))
    assert "<td>0.0200</td><td>100.0%</td><td>+1.000</td>" in one


def test_check_variants_names_what_is_wrong():
    A.check_variants(["none", "crop_flip", "paper"])
    with pytest.raises(ValueError, match="unknown: \\['crops'\\]"):
        A.check_variants(["none", "paper", "crops"])
    with pytest.raises(ValueError, match="must include 'none' and 'paper'"):
        A.check_variants(["none", "flip"])


def test_batched_crops_equal_torchvisions_for_odd_and_even_margins():
    """augment.center_crop / ten_crop cut by slicing (the engine does not import torchvision);
    torchvision's center_crop, five_crop and hflip are the reference, margins odd and even."""
    import torchvision.transforms.functional as TF

    from alexnet_repro.data.augment import center_crop, ten_crop
    g = torch.Generator().manual_seed(3)
    for h, w, crop in ((36, 36, 32), (37, 37, 32), (67, 67, 59), (28, 28, 28), (40, 37, 33), (9, 12, 4)):
        x = torch.rand(2, 3, h, w, generator=g)
        assert torch.equal(center_crop(x, crop), TF.center_crop(x, [crop, crop]))
        five = TF.five_crop(x, [crop, crop])
        assert torch.equal(ten_crop(x, crop), torch.stack(list(five) + [TF.hflip(p) for p in five]))
    with pytest.raises(ValueError, match="crop"):
        center_crop(torch.zeros(1, 1, 8, 8), 9)


def _toy_pca():
    vec = torch.linalg.qr(torch.randn(3, 3, generator=torch.Generator().manual_seed(5), dtype=torch.float64))[0]
    return data_stats.PCA(torch.tensor([0.5, 0.2, 0.1], dtype=torch.float64), vec)


def test_lighting_draws_from_its_own_stream_so_crops_and_flips_stay_paired():
    """The "no lighting" and "lighting" arms of one seed see the same crops and flips in every
    batch, not only the first (issue 23: before, lighting shared the crops' generator)."""
    images = torch.rand(8, 3, 20, 20, generator=torch.Generator().manual_seed(1))
    plain = A.make_batch_augment("crop_flip", 20, 16, generator=torch.Generator().manual_seed(3))
    lit = A.make_batch_augment("paper", 20, 16, pca=_toy_pca(), generator=torch.Generator().manual_seed(3),
                               lighting_generator=torch.Generator().manual_seed(4))
    reference = torch.Generator().manual_seed(4)
    for _ in range(3):
        plain(images), lit(images)
        for key in ("top", "left", "flip"):
            assert torch.equal(plain.last_draw[key], lit.last_draw[key])
        # the alphas are the lighting stream's own normal draws, scaled by the paper's 0.1
        expected = torch.randn(8, 3, generator=reference) * PAPER["augmentation"]["pca_alpha_std"]
        assert torch.equal(lit.last_draw["alpha"], expected)


def test_without_its_own_stream_lighting_would_shift_the_crops_of_the_next_batch():
    """The defect the own stream removes, shown on the same inputs: sharing one generator, the
    second batch's crops differ between the arms."""
    images = torch.rand(8, 3, 20, 20, generator=torch.Generator().manual_seed(1))
    plain = A.make_batch_augment("crop_flip", 20, 16, generator=torch.Generator().manual_seed(3))
    shared = A.make_batch_augment("paper", 20, 16, pca=_toy_pca(), generator=torch.Generator().manual_seed(3))
    plain(images), shared(images)
    assert torch.equal(plain.last_draw["top"], shared.last_draw["top"])
    plain(images), shared(images)
    assert not torch.equal(torch.stack([plain.last_draw["top"], plain.last_draw["left"]]),
                           torch.stack([shared.last_draw["top"], shared.last_draw["left"]]))


def test_the_engine_gives_lighting_a_stream_of_its_own(monkeypatch):
    from alexnet_repro.engine import loop
    from alexnet_repro.engine.config import TrainConfig

    seen = {}

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return A.make_batch_augment(*args, **kwargs)

    monkeypatch.setattr(loop, "make_batch_augment", spy)
    loop.train(TrainConfig(dataset="synthetic", limit=64, val_limit=32, image_size=36, crop_size=32,
                           model="small_cnn", model_kwargs={"init": "kaiming", "width": 0.25}, augment="paper",
                           epochs=1, batch_size=32, progress=False, ten_crop_eval=False, device="cpu"))
    assert seen["lighting_generator"] is not None and seen["lighting_generator"] is not seen["generator"]
    assert seen["lighting_generator"].initial_seed() == 0 + loop.LIGHTING_SEED_OFFSET
