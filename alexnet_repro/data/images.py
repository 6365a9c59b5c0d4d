"""Image files: decoding with the paper's preprocessing, folders of class sub-folders, and the
record of an image that could not be decoded (:class:`BadImage`)."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import torch

from alexnet_repro.quoted.paper import PAPER

PAPER_STORED_SIZE = PAPER["data"]["rescale_to"]  # the paper rescales to 256×256 before cropping
IMAGE_EXTENSIONS = (".jpeg", ".jpg", ".png", ".bmp", ".ppm", ".webp")


class BadImageError(RuntimeError):
    """An image could not be decoded and ``on_bad_image="fail"`` was asked for."""


@dataclass(frozen=True)
class BadImage:
    """A dataset item whose file could not be read or decoded."""
    path: str
    error: str


class FolderImages(torch.utils.data.Dataset):
    """``root/<class>/*.JPEG`` decoded with PIL: shorter side to ``size``, central ``size`` crop, RGB.

    An unreadable image is returned as :class:`BadImage` (``on_bad_image="skip"``) or raises
    :class:`BadImageError` naming the file (``"fail"``).
    """

    def __init__(self, files: list[str], labels: list[int], size: int, on_bad_image: str = "skip"):
        self.files, self.labels, self.size, self.on_bad_image = files, torch.tensor(labels, dtype=torch.long), size, on_bad_image

    def __len__(self) -> int:
        return len(self.files)

    def fingerprint(self) -> str:
        """Hash of the file names below their split folder, their sizes, labels and ``size``
        (the folder itself may move: ``data_root`` is a resumable setting)."""
        h = hashlib.sha256(str(self.size).encode())
        for f, label in zip(self.files, self.labels.tolist()):
            p = Path(f)
            h.update(f"{p.parent.name}/{p.name}:{p.stat().st_size if p.exists() else -1}:{label};".encode())
        return h.hexdigest()[:16]

    def __getitem__(self, i: int):
        path = self.files[i]
        try:
            return load_image(path, self.size), int(self.labels[i])
        except Exception as err:  # noqa: BLE001 - any decode failure becomes a BadImage
            bad = BadImage(path, f"{type(err).__name__}: {err}")
            if self.on_bad_image == "fail":
                raise BadImageError(
                    f"cannot decode image {path} ({bad.error}). Replace or delete the file, or pass "
                    "on_bad_image='skip' to count such images and go on.") from err
            return bad


def load_image(path: str | Path, size: int = PAPER_STORED_SIZE) -> torch.Tensor:
    """Decode an image file to RGB float (3, size, size): shorter side to ``size``, central crop."""
    import torchvision.transforms.functional as TF
    from PIL import Image
    with Image.open(path) as img:
        img.load()
        img = img.convert("RGB")
    return preprocess(TF.pil_to_tensor(img), size)


def preprocess(image: torch.Tensor, size: int = PAPER_STORED_SIZE) -> torch.Tensor:
    """The paper's preprocessing: rescale the shorter side to ``size``, crop the central ``size``×``size``.

    ``image``: uint8 or float (C, H, W); returns float in [0, 1].
    """
    import torchvision.transforms.functional as TF
    x = image.float() / 255.0 if image.dtype == torch.uint8 else image.float()
    x = TF.resize(x, size, interpolation=TF.InterpolationMode.BILINEAR, antialias=True)
    return TF.center_crop(x, [size, size]).clamp_(0.0, 1.0)


def scan_folder(split_dir: Path) -> tuple[list[str], list[int], list[str]]:
    classes = sorted(d.name for d in split_dir.iterdir() if d.is_dir())
    files, labels = [], []
    for k, cls in enumerate(classes):
        for f in sorted((split_dir / cls).iterdir()):
            if f.suffix.lower() in IMAGE_EXTENSIONS:
                files.append(str(f))
                labels.append(k)
    return files, labels, classes
