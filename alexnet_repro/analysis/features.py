"""Last-hidden-layer features and nearest neighbours in feature space (the paper's Figure 4).

§6.1 of the paper: "Another way to probe the network's visual knowledge is to consider the
feature activations induced by an image at the last, 4096-dimensional hidden layer. If two
images produce feature activation vectors with a small Euclidean separation, we can say that
the higher levels of the neural network consider them to be similar." Figure 4 (right) shows
five test images and, for each, the six training images whose feature vectors are closest.

The last hidden layer is whatever feeds the final ``nn.Linear`` of a network (fc7 after its
ReLU in AlexNet; dropout is the identity in eval mode): ``extract_features`` hooks the *input*
of that module, so it works for every model of this project and for torchvision's AlexNet
without knowing their attribute names. ``nearest_neighbours`` is an exact Euclidean search,
computed in float64 in chunks so that it fits in memory for the full training set.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from alexnet_repro.nn.introspect import activations


def last_linear(model: nn.Module) -> tuple[str, nn.Linear]:
    """The final ``nn.Linear`` of ``model`` in registration order (AlexNet's fc8), with its name."""
    found = None
    for name, module in model.named_modules():
        if isinstance(module, nn.Linear):
            found = (name, module)
    if found is None:
        raise ValueError(
            f"{type(model).__name__} has no nn.Linear layer: name the layer whose output to use "
            "with layer=...")
    return found


def _image_of(item, i) -> torch.Tensor | None:
    """The image tensor of a dataset item; None for an unreadable one (``data.BadImage``)."""
    if isinstance(item, (tuple, list)):
        item = item[0]
    if isinstance(item, torch.Tensor):
        return item
    if hasattr(item, "path") and hasattr(item, "error"):
        return None
    raise TypeError(f"item {i} is a {type(item).__name__}, not an image tensor")


def _stack(items: list) -> tuple[torch.Tensor, torch.Tensor]:
    """Stack images; unreadable ones become zero images, flagged in the returned mask."""
    good = next((x for x in items if x is not None), None)
    if good is None:
        raise ValueError(f"none of the {len(items)} images of a batch could be read")
    bad = torch.tensor([x is None for x in items])
    return torch.stack([torch.zeros_like(good) if x is None else x for x in items]), bad


def _collate(items) -> tuple[torch.Tensor, torch.Tensor]:
    return _stack([_image_of(item, i) for i, item in enumerate(items)])


def _batches(images, batch_size: int, num_workers: int = 0):
    """``(batch, bad_mask)`` pairs, in order, from a tensor, a list of tensors or a Dataset of
    ``(image, label)``; ``num_workers > 0`` decodes a Dataset's items in worker processes."""
    if isinstance(images, torch.Tensor):
        for i in range(0, len(images), batch_size):
            chunk = images[i:i + batch_size]
            yield chunk, torch.zeros(len(chunk), dtype=torch.bool)
        return
    if num_workers > 0 and isinstance(images, torch.utils.data.Dataset):
        yield from torch.utils.data.DataLoader(images, batch_size=batch_size, shuffle=False,
                                               num_workers=num_workers, collate_fn=_collate)
        return
    batch = []
    for i in range(len(images)):
        batch.append(_image_of(images[i], i))
        if len(batch) == batch_size:
            yield _stack(batch)
            batch = []
    if batch:
        yield _stack(batch)


@torch.no_grad()
def extract_features(model: nn.Module, images, *, layer: str | None = None,
                     batch_size: int = 256, device: str | torch.device | None = None,
                     transform=None, num_workers: int = 0) -> torch.Tensor:
    """Features of ``images`` (N, D) float32 on the CPU.

    ``images``: a tensor (N, C, H, W), a list of (C, H, W) tensors, or a Dataset whose items
    are ``(image, label)``; an unreadable item (``data.BadImage``) gives a row of NaN, which
    :func:`nearest_neighbours` never returns as a neighbour. ``layer=None`` takes the input of the last ``nn.Linear`` (the last
    hidden layer); otherwise the *output* of the named submodule (``model.get_submodule``),
    flattened. ``transform`` (optional) maps a batch before the forward pass, e.g. the
    mean subtraction or centre crop the network was trained with. ``num_workers > 0`` reads a
    Dataset's items in that many worker processes (JPEG decoding). The model is run in eval
    mode and put back in the mode it was in.
    """
    if device is None:
        try:
            device = next(model.parameters()).device
        except StopIteration:
            device = torch.device("cpu")
    if layer is None:
        name, module = last_linear(model)
    else:
        name, module = layer, model.get_submodule(layer)
    captured: list[torch.Tensor] = []
    for batch, bad in _batches(images, batch_size, num_workers):
        batch = batch.to(device)
        if transform is not None:
            batch = transform(batch)
        got = activations(model, batch, {name: module}, inputs=layer is None, eval_mode=True)
        if name not in got:
            raise RuntimeError("the hooked layer did not run in the forward pass; "
                               "name the layer explicitly with layer=...")
        captured.append(got[name].flatten(1).float().cpu())
        if bad.any():
            captured[-1][bad] = float("nan")
    if not captured:
        return torch.empty(0, 0)
    return torch.cat(captured)


def nearest_neighbours(queries, database, k: int = 5, *, chunk: int = 64,
                       exclude_self: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Exact Euclidean k nearest neighbours: ``(indices (Q, k) int64, distances (Q, k) float64)``.

    ``queries`` (Q, D) and ``database`` (N, D) are tensors or arrays. Distances are computed in
    float64 as ``|q|^2 - 2 q.d + |d|^2`` (clamped at 0, square-rooted), a chunk of queries at a
    time; neighbours are sorted by distance, ties broken by the lower database index. Database
    rows containing NaN (unreadable images) come last, at distance inf.
    ``exclude_self`` drops database row i for query i (queries taken from the database itself).
    """
    q = torch.as_tensor(np.asarray(queries) if not isinstance(queries, torch.Tensor) else queries)
    d = torch.as_tensor(np.asarray(database) if not isinstance(database, torch.Tensor) else database)
    if q.ndim != 2 or d.ndim != 2 or q.shape[1] != d.shape[1]:
        raise ValueError(f"queries {tuple(q.shape)} and database {tuple(d.shape)} must be "
                         "(Q, D) and (N, D) with the same D")
    n = d.shape[0] - (1 if exclude_self else 0)
    if not 1 <= k <= n:
        raise ValueError(f"k={k} must be between 1 and the number of candidates ({n})")
    if exclude_self and q.shape[0] > d.shape[0]:
        raise ValueError("exclude_self needs query i to be database row i")
    d64 = d.to(torch.float64)
    d_sq = (d64 * d64).sum(1)
    out_idx, out_dist = [], []
    for start in range(0, q.shape[0], chunk):
        qc = q[start:start + chunk].to(torch.float64)
        dist2 = (qc * qc).sum(1, keepdim=True) - 2.0 * qc @ d64.T + d_sq
        dist2.clamp_(min=0.0)
        dist2.nan_to_num_(nan=float("inf"))   # NaN rows (unreadable images) are never near
        if exclude_self:
            rows = torch.arange(qc.shape[0])
            dist2[rows, rows + start] = float("inf")
        order = torch.sort(dist2, dim=1, stable=True).indices[:, :k]
        out_idx.append(order)
        out_dist.append(dist2.gather(1, order).sqrt())
    return torch.cat(out_idx).numpy(), torch.cat(out_dist).numpy()


# ----------------------------------------------------------------------------- Figure 4 of a trained run

def class_examples(dataset, n: int) -> list[int]:
    """Indices of the first readable item of each class, in dataset order, for the first ``n``
    classes met (items are ``(image, label)``; a ``data.BadImage`` is skipped)."""
    picked, seen = [], set()
    for i in range(len(dataset)):
        item = dataset[i]
        if not isinstance(item, tuple) or item[1] in seen:
            continue
        seen.add(item[1])
        picked.append(i)
        if len(picked) == n:
            break
    return picked


def figure4_neighbours(model: nn.Module, data, *, transform, n_queries: int = 5, k: int = 6,
                       pool: int | None = None, num_workers: int = 0, seed: int = 0) -> dict:
    """The paper's Figure 4 experiment on a trained run: one validation image of each of the first
    ``n_queries`` classes (:func:`class_examples`) and its ``k`` nearest training images in the
    last hidden layer (:func:`extract_features`, :func:`nearest_neighbours`).

    ``data``: the run's ``data.DataBundle``; ``transform``: what the network saw (mean
    subtraction and centre crop). ``pool``: search a seeded random subset of that many training
    images (``None``: all). Returns ``{"queries"`` (validation indices), ``"query_labels"``,
    ``"pool_idx"`` (training indices searched), ``"idx"``/``"dist"`` (neighbours as rows of
    ``pool_idx`` positions and their distances), ``"neighbour_labels"``, ``"same_class"`` (share of
    neighbours of their query's class), ``"feature_dim"``, ``"pool"`` (its size)``}``.
    """
    n_train = len(data.train)
    pool_n = n_train if pool is None else min(pool, n_train)
    pool_idx = np.sort(np.random.default_rng(seed).choice(n_train, pool_n, replace=False)) \
        if pool_n < n_train else np.arange(n_train)
    subset = torch.utils.data.Subset(data.train, pool_idx.tolist())
    train_feats = extract_features(model, subset, transform=transform, batch_size=256, num_workers=num_workers)
    queries = class_examples(data.val, n_queries)
    query_labels = [data.classes[data.val[i][1]] for i in queries]
    query_feats = extract_features(model, torch.stack([data.val[i][0] for i in queries]), transform=transform)
    idx, dist = nearest_neighbours(query_feats, train_feats, k=k)
    labels = [[data.classes[data.train[int(pool_idx[j])][1]] for j in row] for row in idx]
    same = float(np.mean([[lab == q for lab in row] for q, row in zip(query_labels, labels)]))
    return {"queries": queries, "query_labels": query_labels, "pool_idx": pool_idx, "idx": idx, "dist": dist,
            "neighbour_labels": labels, "same_class": same, "feature_dim": int(train_feats.shape[1]),
            "pool": pool_n}


