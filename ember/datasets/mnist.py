"""MNIST and Fashion-MNIST, read from the official IDX files.

The signature is torchvision's, ``MNIST(root, train=True, transform=None, target_transform=None,
download=False)``. Files are looked for (plain or ``.gz``) in ``root/<ClassName>/raw`` (torchvision's
layout), ``root/<ClassName>`` and ``root`` itself. ``download=True`` fetches the missing ``.gz`` files
from the official mirrors and checks their MD5 before keeping them.

One difference from torchvision: with no transform, an image is a ``(28, 28)`` uint8 ember Tensor,
not a PIL image. ``ember.datasets.transforms.ToTensor()`` turns it into a ``(1, 28, 28)`` float32
tensor in [0, 1], as torchvision's ToTensor does for the PIL image.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import urllib.request
from collections.abc import Callable
from typing import Any, ClassVar

from .._creation import from_numpy
from ..utils.data import Dataset
from ._idx import read_idx

__all__ = ["MNIST", "FashionMNIST", "download_url"]


def _md5(path: str) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download_url(url: str, path: str, md5: str | None = None, timeout: float = 60.0) -> None:
    """Download ``url`` to ``path``; with ``md5``, keep the file only if its checksum matches.

    The data goes to ``path + '.part'`` first, so an interrupted download never looks complete.

    Raises:
        RuntimeError: the checksum does not match (the partial file is removed).
        OSError / urllib.error.URLError: the download failed.
    """
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    part = path + ".part"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, open(part, "wb") as out:
            shutil.copyfileobj(response, out)
        if md5 is not None:
            got = _md5(part)
            if got != md5:
                raise RuntimeError(f"{url}: checksum mismatch, md5 {got} != expected {md5}")
        os.replace(part, path)
    finally:
        if os.path.exists(part):
            os.remove(part)


class MNIST(Dataset):
    """The MNIST digits: 60,000 training and 10,000 test images of 28x28 pixels, labels 0-9.

    Attributes:
        data: a ``(N, 28, 28)`` uint8 Tensor of all the images of the split.
        targets: a ``(N,)`` int64 Tensor of their labels.
        classes: the class names, indexed by label.

    Raises:
        RuntimeError: the files are not found (and ``download`` is False), a download fails, or the
            image and label files disagree on the number of examples.
        ValueError: a file is not a valid IDX file of the expected shape (the message names it).
    """

    mirrors: ClassVar[list[str]] = [
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ]
    # (file name, md5 of the .gz file) as published
    resources: ClassVar[list[tuple[str, str]]] = [
        ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
        ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
        ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
    ]
    classes: ClassVar[list[str]] = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four",
               "5 - five", "6 - six", "7 - seven", "8 - eight", "9 - nine"]

    def __init__(self, root: str | os.PathLike, train: bool = True, transform: Callable | None = None,
                 target_transform: Callable | None = None, download: bool = False) -> None:
        self.root = os.path.expanduser(os.fspath(root))
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        if download:
            self.download()
        prefix = "train" if train else "t10k"
        images_file = self._find(f"{prefix}-images-idx3-ubyte")
        labels_file = self._find(f"{prefix}-labels-idx1-ubyte")
        if images_file is None or labels_file is None:
            raise RuntimeError(f"Dataset not found. You can use download=True to download it "
                               f"(looked for {prefix}-images-idx3-ubyte[.gz] and "
                               f"{prefix}-labels-idx1-ubyte[.gz] in {self._search_dirs()})")
        images = read_idx(images_file, ndim=3)
        labels = read_idx(labels_file, ndim=1)
        if images.shape[0] != labels.shape[0]:
            raise RuntimeError(f"mismatched counts: {images_file} holds {images.shape[0]} images "
                               f"but {labels_file} holds {labels.shape[0]} labels")
        if images.dtype.kind != "u" or labels.dtype.kind != "u":
            raise ValueError(f"{images_file} / {labels_file}: expected unsigned byte (0x08) IDX data, "
                             f"got {images.dtype} images and {labels.dtype} labels")
        self.data = from_numpy(images)
        self.targets = from_numpy(labels.astype("int64"))

    @property
    def raw_folder(self) -> str:
        return os.path.join(self.root, type(self).__name__, "raw")

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.classes)}

    def _search_dirs(self) -> list[str]:
        return [self.raw_folder, os.path.join(self.root, type(self).__name__), self.root]

    def _find(self, base: str) -> str | None:
        for folder in self._search_dirs():
            for name in (base, base + ".gz"):
                path = os.path.join(folder, name)
                if os.path.isfile(path):
                    return path
        return None

    def _check_exists(self) -> bool:
        return all(self._find(name[: -len(".gz")]) is not None for name, _ in self.resources)

    def download(self) -> None:
        """Fetch the missing files into ``raw_folder``, trying each mirror in turn."""
        if self._check_exists():
            return
        os.makedirs(self.raw_folder, exist_ok=True)
        for filename, md5 in self.resources:
            if self._find(filename[: -len(".gz")]) is not None:
                continue
            errors = []
            for mirror in self.mirrors:
                try:
                    download_url(mirror + filename, os.path.join(self.raw_folder, filename), md5)
                    break
                except (OSError, RuntimeError) as exc:  # URLError is an OSError
                    errors.append(f"{mirror + filename}: {exc}")
            else:
                raise RuntimeError(f"Error downloading {filename}:\n" + "\n".join(errors))

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        img, target = self.data[index], int(self.targets[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self) -> int:
        return len(self.data)

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train else 'Test'}"

    def __repr__(self) -> str:
        lines = [f"Number of datapoints: {len(self)}", f"Root location: {self.root}", self.extra_repr()]
        if self.transform is not None:
            lines.append(f"Transform: {self.transform!r}")
        if self.target_transform is not None:
            lines.append(f"Target transform: {self.target_transform!r}")
        return "\n".join([f"Dataset {type(self).__name__}"] + ["    " + line for line in lines])


class FashionMNIST(MNIST):
    """Fashion-MNIST (Zalando): MNIST's format and sizes, ten kinds of clothing instead of digits."""

    mirrors: ClassVar[list[str]] = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources: ClassVar[list[tuple[str, str]]] = [
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    ]
    classes: ClassVar[list[str]] = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

