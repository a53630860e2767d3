"""IDX parsing: round trips, gzip, and clear errors for damaged files (written by the tests)."""
from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ember.datasets import read_idx, write_idx

CODES = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C, np.float32: 0x0D,
         np.float64: 0x0E}


def idx_bytes(array: np.ndarray, code: int | None = None) -> bytes:
    """Build an IDX file by hand (independent of write_idx)."""
    if code is None:
        code = CODES[array.dtype.type]
    header = bytes([0, 0, code, array.ndim]) + b"".join(struct.pack(">i", s) for s in array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


@pytest.mark.parametrize("dtype", list(CODES))
@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_all_types(tmp_path, dtype, gz):
    rng = np.random.default_rng(0)
    arr = (rng.normal(size=(3, 4, 5)) * 50).astype(dtype)
    path = tmp_path / ("a.idx.gz" if gz else "a.idx")
    data = idx_bytes(arr)
    path.write_bytes(gzip.compress(data) if gz else data)
    got = read_idx(path)
    assert got.dtype == np.dtype(dtype) and got.dtype.isnative
    np.testing.assert_array_equal(got, arr)
    got[0, 0, 0] = 1  # writable: tensors made from it own their memory


@settings(max_examples=25, deadline=None)
@given(shape=st.lists(st.integers(0, 4), min_size=0, max_size=4),
       dtype=st.sampled_from(list(CODES)), gz=st.booleans())
def test_write_read_round_trip(tmp_path_factory, shape, dtype, gz):
    arr = np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape).astype(dtype)
    path = tmp_path_factory.mktemp("idx") / ("x.gz" if gz else "x")
    write_idx(path, arr)
    raw = gzip.decompress(path.read_bytes()) if gz else path.read_bytes()
    assert raw == idx_bytes(arr)  # the exact bytes of the format
    got = read_idx(path)
    assert got.shape == tuple(shape)
    np.testing.assert_array_equal(got, arr)


def test_write_idx_rejects_unsupported_dtype(tmp_path):
    with pytest.raises(TypeError, match="no IDX type code"):
        write_idx(tmp_path / "x", np.zeros(3, dtype=np.int64))


def test_wrong_magic_number(tmp_path):
    path = tmp_path / "bad-magic"
    good = idx_bytes(np.zeros((2, 3), np.uint8))
    path.write_bytes(b"\x01\x02" + good[2:])
    with pytest.raises(ValueError, match=r"bad-magic.*wrong magic number 0x01020802"):
        read_idx(path)
    path.write_bytes(idx_bytes(np.zeros(3, np.uint8), code=0x07))  # unknown type code
    with pytest.raises(ValueError, match="wrong magic number 0x00000701"):
        read_idx(path)


def test_png_is_not_idx(tmp_path):
    path = tmp_path / "picture.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 20)
    with pytest.raises(ValueError, match="picture.png.*wrong magic number"):
        read_idx(path)


@pytest.mark.parametrize("gz", [False, True])
def test_truncated_payload(tmp_path, gz):
    data = idx_bytes(np.ones((10, 28, 28), np.uint8))[:-100]
    path = tmp_path / ("cut.gz" if gz else "cut")
    path.write_bytes(gzip.compress(data) if gz else data)
    with pytest.raises(ValueError, match=r"cut(\.gz)?: truncated IDX file.*7840 bytes.*found 7740"):
        read_idx(path)


def test_truncated_header_and_tiny_file(tmp_path):
    path = tmp_path / "short"
    path.write_bytes(idx_bytes(np.ones((10, 28, 28), np.uint8))[:9])  # magic + 1.25 sizes
    with pytest.raises(ValueError, match="short: truncated IDX file: the header needs 16 bytes"):
        read_idx(path)
    path.write_bytes(b"\0\0")
    with pytest.raises(ValueError, match="short: truncated IDX file: 2 bytes"):
        read_idx(path)


def test_trailing_bytes(tmp_path):
    path = tmp_path / "long"
    path.write_bytes(idx_bytes(np.ones(5, np.uint8)) + b"xyz")
    with pytest.raises(ValueError, match="long: IDX file has 3 unexpected trailing bytes"):
        read_idx(path)


def test_truncated_gzip_stream(tmp_path):
    path = tmp_path / "broken.gz"
    path.write_bytes(gzip.compress(idx_bytes(np.arange(200, dtype=np.uint8)))[:-12])
    with pytest.raises(ValueError, match=r"broken\.gz: not a valid gzip file"):
        read_idx(path)


def test_expected_ndim(tmp_path):
    path = tmp_path / "labels"
    path.write_bytes(idx_bytes(np.zeros((4, 2), np.uint8)))
    with pytest.raises(ValueError, match="labels: expected an IDX file with 1 dimension"):
        read_idx(path, ndim=1)
    assert read_idx(path, ndim=2).shape == (4, 2)
