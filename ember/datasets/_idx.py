"""Reading and writing IDX files, the format MNIST and Fashion-MNIST are published in.

An IDX file is a 4-byte magic number ``0x00 0x00 <type code> <ndim>``, then ``ndim`` big-endian
int32 sizes, then the values, big-endian, in C order. The whole payload is read with one
``numpy.frombuffer``: no Python loop over values.
"""
from __future__ import annotations

import gzip
import os
import struct
import zlib

import numpy as np

__all__ = ["read_idx", "write_idx"]

# type code -> big-endian NumPy dtype
_IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES = {dt.newbyteorder("=").kind + str(dt.itemsize): code for code, dt in _IDX_DTYPES.items()}


def _read_bytes(path: str) -> bytes:
    """The file's bytes, gunzipped when the name ends in ``.gz``."""
    if str(path).endswith(".gz"):
        try:
            with gzip.open(path, "rb") as f:
                return f.read()
        # a cut-off or damaged download shows up here, before the IDX checks can see it
        except (EOFError, OSError, zlib.error) as exc:
            raise ValueError(f"{path}: not a valid gzip file (truncated or corrupt): {exc}") from exc
    with open(path, "rb") as f:
        return f.read()


def read_idx(path: str | os.PathLike, ndim: int | None = None) -> np.ndarray:
    """Read an IDX file (optionally ``.gz``) into a native-endian NumPy array.

    Args:
        path: the file; gzip-compressed when its name ends in ``.gz``.
        ndim: when given, the number of dimensions the file must have (3 for images, 1 for labels).

    Raises:
        ValueError: naming the file, for a wrong magic number, a truncated header or payload,
            trailing bytes, or an unexpected number of dimensions.
    """
    path = os.fspath(path)
    raw = _read_bytes(path)
    if len(raw) < 4:
        raise ValueError(f"{path}: truncated IDX file: {len(raw)} bytes, too short for the magic number")
    zero, code, file_ndim = struct.unpack(">HBB", raw[:4])
    magic = int.from_bytes(raw[:4], "big")
    if zero != 0 or code not in _IDX_DTYPES:
        raise ValueError(f"{path}: wrong magic number 0x{magic:08x}: not an IDX file (expected "
                         f"0x0000TTDD with type code TT in {sorted(hex(c) for c in _IDX_DTYPES)})")
    if ndim is not None and file_ndim != ndim:
        raise ValueError(f"{path}: expected an IDX file with {ndim} dimension(s), "
                         f"got {file_ndim} (magic number 0x{magic:08x})")
    header_end = 4 + 4 * file_ndim
    if len(raw) < header_end:
        raise ValueError(f"{path}: truncated IDX file: the header needs {header_end} bytes, "
                         f"the file has {len(raw)}")
    shape = struct.unpack(f">{file_ndim}i", raw[4:header_end])
    if any(s < 0 for s in shape):
        raise ValueError(f"{path}: negative dimension in IDX header: {shape}")
    dtype = _IDX_DTYPES[code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    found = len(raw) - header_end
    if found < expected:
        raise ValueError(f"{path}: truncated IDX file: shape {tuple(shape)} needs {expected} bytes "
                         f"of data, found {found}")
    if found > expected:
        raise ValueError(f"{path}: IDX file has {found - expected} unexpected trailing bytes after "
                         f"the {expected} bytes of data for shape {tuple(shape)}")
    values = np.frombuffer(raw, dtype=dtype, count=expected // dtype.itemsize, offset=header_end)
    # astype copies into a writable, native-endian array (tensors made from it own their memory)
    return values.astype(dtype.newbyteorder("="), copy=True).reshape(shape)


def write_idx(path: str | os.PathLike, array) -> None:
    """Write ``array`` (uint8, int8, int16, int32, float32 or float64) as an IDX file.

    The file is gzip-compressed when ``path`` ends in ``.gz``. Useful to build small stand-ins for
    MNIST-style data sets.
    """
    path = os.fspath(path)
    array = np.asarray(array)
    key = array.dtype.kind + str(array.dtype.itemsize)
    if key not in _CODES:
        raise TypeError(f"write_idx: dtype {array.dtype} has no IDX type code")
    code = _CODES[key]
    header = struct.pack(">HBB", 0, code, array.ndim) + struct.pack(f">{array.ndim}i", *array.shape)
    payload = header + np.ascontiguousarray(array, dtype=_IDX_DTYPES[code]).tobytes()
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "wb") as f:
        f.write(payload)
