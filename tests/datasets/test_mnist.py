"""MNIST / FashionMNIST from small IDX files the tests write (and 'download' from file:// URLs)."""
from __future__ import annotations

import gzip
import hashlib
import struct

import numpy as np
import pytest

import ember
from ember.datasets import MNIST, FashionMNIST, transforms
from ember.utils.data import DataLoader, Dataset

FILES = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte",
         "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]


def idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}i", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def fake_split(n: int, seed: int):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 28, 28)).astype(np.uint8), rng.integers(0, 10, n).astype(np.uint8)


def write_files(folder, gz: bool, n_train: int = 12, n_test: int = 5):
    """Write the four files; returns {name: (images, labels)}."""
    folder.mkdir(parents=True, exist_ok=True)
    splits = {"train": fake_split(n_train, 0), "t10k": fake_split(n_test, 1)}
    for prefix, (images, labels) in splits.items():
        for kind, arr in (("images-idx3", images), ("labels-idx1", labels)):
            data = idx_bytes(arr)
            name = f"{prefix}-{kind}-ubyte"
            if gz:
                (folder / (name + ".gz")).write_bytes(gzip.compress(data))
            else:
                (folder / name).write_bytes(data)
    return splits


@pytest.mark.parametrize("layout", ["torchvision", "class_dir", "flat"])
@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("cls", [MNIST, FashionMNIST])
def test_loads_from_local_dir(tmp_path, layout, gz, cls):
    folder = {"torchvision": tmp_path / cls.__name__ / "raw", "class_dir": tmp_path / cls.__name__,
              "flat": tmp_path}[layout]
    splits = write_files(folder, gz)
    for train, prefix in ((True, "train"), (False, "t10k")):
        ds = cls(str(tmp_path), train=train)
        images, labels = splits[prefix]
        assert isinstance(ds, Dataset) and len(ds) == len(labels)
        assert ds.data.dtype == ember.uint8 and ds.data.shape == images.shape
        assert ds.targets.dtype == ember.int64
        np.testing.assert_array_equal(ds.data.numpy(), images)
        np.testing.assert_array_equal(ds.targets.numpy(), labels)
        img, target = ds[3]
        assert type(target) is int and target == labels[3]
        np.testing.assert_array_equal(img.numpy(), images[3])


def test_transforms_and_dataloader(tmp_path):
    images, labels = write_files(tmp_path, gz=True)["train"]
    ds = FashionMNIST(tmp_path, transform=transforms.ToTensor(), target_transform=lambda t: t + 100)
    img, target = ds[0]
    assert img.shape == (1, 28, 28) and img.dtype == ember.float32 and target == labels[0] + 100
    np.testing.assert_allclose(img.numpy()[0], images[0] / 255, rtol=1e-6)
    X, y = next(iter(DataLoader(ds, batch_size=5)))
    assert X.shape == (5, 1, 28, 28) and y.tolist() == (labels[:5] + 100).tolist()
    assert ds.classes[0] == "T-shirt/top" and ds.class_to_idx["Ankle boot"] == 9
    assert MNIST.classes[3] == "3 - three"
    assert "Number of datapoints: 12" in repr(ds) and "Split: Train" in repr(ds)


def test_not_found(tmp_path):
    with pytest.raises(RuntimeError, match="Dataset not found. You can use download=True"):
        MNIST(tmp_path)
    write_files(tmp_path, gz=False)
    (tmp_path / "t10k-labels-idx1-ubyte").unlink()
    MNIST(tmp_path, train=True)  # the training split is complete
    with pytest.raises(RuntimeError, match="t10k-labels-idx1-ubyte"):
        MNIST(tmp_path, train=False)


def test_mismatched_counts(tmp_path):
    write_files(tmp_path, gz=False)
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(idx_bytes(np.zeros(7, np.uint8)))
    with pytest.raises(RuntimeError, match=r"mismatched counts: .*train-images-idx3-ubyte holds 12 "
                                           r"images but .*train-labels-idx1-ubyte holds 7 labels"):
        MNIST(tmp_path)


def test_damaged_files_are_named(tmp_path):
    write_files(tmp_path, gz=False)
    images = tmp_path / "train-images-idx3-ubyte"
    good = images.read_bytes()
    images.write_bytes(good[:-10])
    with pytest.raises(ValueError, match="train-images-idx3-ubyte: truncated IDX file"):
        MNIST(tmp_path)
    images.write_bytes(b"\x00\x00\x08\x01" + good[4:])  # labels' magic on the images file
    with pytest.raises(ValueError, match="train-images-idx3-ubyte: expected an IDX file with 3 dim"):
        MNIST(tmp_path)
    images.write_bytes(b"\x12\x34" + good[2:])
    with pytest.raises(ValueError, match="train-images-idx3-ubyte: wrong magic number"):
        MNIST(tmp_path)


def make_mirror(tmp_path, cls, corrupt: str | None = None):
    """A file:// mirror with the four .gz files, and a subclass whose checksums are theirs."""
    mirror = tmp_path / "mirror"
    write_files(mirror, gz=True)
    resources = []
    for name in FILES:
        data = (mirror / (name + ".gz")).read_bytes()
        md5 = hashlib.md5(data).hexdigest()
        resources.append((name + ".gz", "0" * 32 if name == corrupt else md5))

    class Mirrored(cls):
        pass
    Mirrored.mirrors = [(tmp_path / "missing").as_uri() + "/", mirror.as_uri() + "/"]  # first fails
    Mirrored.resources = resources
    Mirrored.__name__ = cls.__name__
    return Mirrored


def test_download_from_mirror(tmp_path):
    Mirrored = make_mirror(tmp_path, FashionMNIST)
    root = tmp_path / "data"
    ds = Mirrored(root, train=False, download=True)
    assert len(ds) == 5
    assert sorted(p.name for p in (root / "FashionMNIST" / "raw").iterdir()) == sorted(
        f + ".gz" for f in FILES)
    # present files are not fetched again: the mirror can disappear
    Mirrored.mirrors = [(tmp_path / "gone").as_uri() + "/"]
    assert len(Mirrored(root, train=True, download=True)) == 12


def test_download_checksum_mismatch(tmp_path):
    Mirrored = make_mirror(tmp_path, MNIST, corrupt="t10k-images-idx3-ubyte")
    root = tmp_path / "data"
    with pytest.raises(RuntimeError, match=r"Error downloading t10k-images-idx3-ubyte\.gz(.|\n)*"
                                           r"checksum mismatch"):
        Mirrored(root, download=True)
    raw = root / "MNIST" / "raw"
    assert not (raw / "t10k-images-idx3-ubyte.gz").exists()
    assert not list(raw.glob("*.part"))
    assert (raw / "train-images-idx3-ubyte.gz").exists()  # the good ones before it were kept


def test_to_tensor_and_normalize():
    img = ember.tensor(np.arange(12, dtype=np.uint8).reshape(3, 4))
    out = transforms.ToTensor()(img)
    assert out.shape == (1, 3, 4) and out.dtype == ember.float32
    np.testing.assert_allclose(out.numpy()[0], np.arange(12).reshape(3, 4) / 255, rtol=1e-6)
    hwc = np.arange(24, dtype=np.uint8).reshape(2, 4, 3)
    np.testing.assert_allclose(transforms.ToTensor()(hwc).numpy(), hwc.transpose(2, 0, 1) / 255,
                               rtol=1e-6)
    floats = np.full((2, 2), 3.0, dtype=np.float32)
    assert transforms.ToTensor()(floats).numpy().max() == 3.0  # non-byte input is not scaled
    with pytest.raises(ValueError, match="pic should be 2/3 dimensional"):
        transforms.ToTensor()(np.zeros((1, 1, 1, 1), np.uint8))
    norm = transforms.Compose([transforms.ToTensor(), transforms.Normalize([0.5], [0.25])])
    np.testing.assert_allclose(norm(img).numpy(), (out.numpy() - 0.5) / 0.25, rtol=1e-6)
    with pytest.raises(ValueError, match="division by zero"):
        transforms.Normalize([0.0], [0.0])(out)
    assert transforms.Lambda(lambda x: x * 2)(3) == 6
    with pytest.raises(TypeError, match="should be callable"):
        transforms.Lambda(3)


@pytest.mark.parametrize("size", [(9, 13), (2, 3), 28, (5, 5)])
def test_resize_bilinear_matches_torch_interpolate(size):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).normal(size=(2, 1, 6, 7)).astype(np.float32)
    expected = torch.nn.functional.interpolate(torch.from_numpy(x), size=size, mode="bilinear",
                                               align_corners=False)
    got = transforms.Resize(size)(ember.from_numpy(x))
    assert got.dtype == ember.float32
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-5, atol=1e-6)
