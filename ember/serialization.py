"""ember.save / ember.load: torch's checkpoint format, read and written without running pickled code.

The format (torch's "zip" serialization) is a zip archive of uncompressed records::

    archive/data.pkl        a pickle of the object; each tensor in it is
                              torch._utils._rebuild_tensor_v2(storage, offset, size, stride, grad, {})
                            and each storage a persistent id
                              ('storage', torch.FloatStorage, '0', 'cpu', numel)
    archive/data/0, 1, ...  the raw bytes of each storage (in the byteorder record's order)
    archive/byteorder, archive/version, archive/.format_version, archive/.storage_alignment

So ``torch.load(path, weights_only=True)`` reads what ``ember.save`` writes, and ``ember.load`` reads
torch's checkpoints. Writing names torch's functions (``torch._utils._rebuild_tensor_v2``) without
importing torch: a small pure-Python pickler writes those GLOBAL opcodes itself.

Loading never runs code from the file: the unpickler resolves only an allow-list of names (containers,
tensor and parameter rebuilders, storage types, dtypes, Size) to ember's own functions, and refuses
everything else (``os.system``, arbitrary classes) with ``pickle.UnpicklingError``. Shapes, strides and
offsets are checked against the storage before any view is made, so a corrupt file cannot read
outside its own data.
"""
from __future__ import annotations

import collections
import io
import os
import pickle
import struct
import sys
import warnings
import zipfile
from typing import Any, BinaryIO, ClassVar

import numpy as np

from . import _dtype
from ._backend import device as _device
from ._dtype import from_numpy_dtype
from ._tensor import Size, Tensor

__all__ = ["load", "save"]

FileLike = str | os.PathLike | BinaryIO

# torch's typed storage names <-> NumPy element types (what a storage record's bytes hold)
_STORAGE_NP = {
    "FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
    "LongStorage": np.int64, "IntStorage": np.int32, "ShortStorage": np.int16,
    "CharStorage": np.int8, "ByteStorage": np.uint8, "BoolStorage": np.bool_,
}
_NP_STORAGE = {np.dtype(v): k for k, v in _STORAGE_NP.items()}
_UNSUPPORTED_STORAGE = ("ComplexFloatStorage", "ComplexDoubleStorage", "QInt8Storage",
                        "QUInt8Storage", "QInt32Storage", "QUInt4x2Storage", "QUInt2x4Storage",
                        "UInt16Storage", "UInt32Storage", "UInt64Storage", "Float8_e4m3fnStorage",
                        "Float8_e5m2Storage")
_TORCH_DTYPES = {"float32": _dtype.float32, "float": _dtype.float32, "float64": _dtype.float64,
                 "double": _dtype.float64, "float16": _dtype.float16, "half": _dtype.float16,
                 "int64": _dtype.int64, "long": _dtype.int64, "int32": _dtype.int32,
                 "int": _dtype.int32, "int16": _dtype.int16, "short": _dtype.int16,
                 "int8": _dtype.int8, "uint8": _dtype.uint8, "bool": _dtype.bool}


# ---------------------------------------------------------------------------------------- saving
class _Global:
    """Stands for a name in another module (``torch._utils._rebuild_tensor_v2``) inside a pickle."""

    __slots__ = ("module", "name")

    def __init__(self, module: str, name: str):
        self.module, self.name = module, name

    def __call__(self, *args):
        # the pickler insists that a reduce function be callable; this one is only ever written
        raise TypeError(f"{self.module}.{self.name} is a name in a checkpoint, not a function")


_REBUILD_TENSOR = _Global("torch._utils", "_rebuild_tensor_v2")
_REBUILD_PARAMETER = _Global("torch._utils", "_rebuild_parameter")
_TORCH_SIZE = _Global("torch", "Size")
_TORCH_DEVICE = _Global("torch", "device")
_STORAGE_CLASSES = {name: _Global("torch", name) for name in _STORAGE_NP}


class _StorageRef:
    """One storage to write: its key, its flat array, and its typed class."""

    __slots__ = ("array", "key", "storage_class")

    def __init__(self, key: str, array: np.ndarray):
        self.key, self.array = key, array
        self.storage_class = _STORAGE_CLASSES[_NP_STORAGE[array.dtype]]


def _root_array(arr: np.ndarray) -> np.ndarray:
    """The array that owns the memory arr views."""
    while isinstance(arr.base, np.ndarray):
        arr = arr.base
    return arr


def _storage_layout(arr: np.ndarray):
    """(root, offset, strides) in elements if arr can be written as a view of its root, else None.

    Views keep sharing memory through save and load; anything whose memory torch's layout cannot
    describe (negative strides, a reinterpreted dtype, a non-contiguous owner) is written as a copy.
    """
    root = _root_array(arr)
    item = arr.itemsize
    if root.dtype != arr.dtype or not root.flags.c_contiguous or arr.size == 0:
        return None
    start = arr.__array_interface__["data"][0] - root.__array_interface__["data"][0]
    if start < 0 or start % item or any(s < 0 or s % item for s in arr.strides):
        return None
    strides = tuple(s // item for s in arr.strides)
    last = start // item + sum((n - 1) * s for n, s in zip(arr.shape, strides))
    if last >= root.size:
        return None
    return root, start // item, strides


class _Pickler(pickle._Pickler):
    """Pickles ember tensors the way torch does, naming torch's rebuild functions.

    The pure-Python pickler is used because it lets a GLOBAL opcode be written for a name whose module
    (torch) is not imported; the C pickler would import the module to check the name.
    """

    dispatch: ClassVar[dict] = dict(pickle._Pickler.dispatch)

    def __init__(self, file, protocol: int):
        super().__init__(file, protocol)
        self.storages: dict[int, _StorageRef] = {}  # id(owning array) -> storage
        self._keep_alive: list = []  # ids above stay valid while the owners live

    def _save_global_ref(self, obj: _Global) -> None:
        self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode("ascii"))
        self.memoize(obj)

    dispatch[_Global] = _save_global_ref

    def persistent_id(self, obj):
        if isinstance(obj, _StorageRef):
            return ("storage", obj.storage_class, obj.key, "cpu", obj.array.size)
        return None

    def _storage_for(self, root: np.ndarray) -> _StorageRef:
        ref = self.storages.get(id(root))
        if ref is None:
            ref = _StorageRef(str(len(self.storages)), root.reshape(-1))
            self.storages[id(root)] = ref
            self._keep_alive.append(root)
        return ref

    def _save_dtype(self, obj) -> None:
        self.write(pickle.GLOBAL + f"torch\n{obj.name}\n".encode("ascii"))
        self.memoize(obj)

    dispatch[_dtype.dtype] = _save_dtype

    def reducer_override(self, obj):
        if isinstance(obj, Size):
            return (_TORCH_SIZE, (tuple(obj),))
        if isinstance(obj, _device):
            return (_TORCH_DEVICE, (str(obj),))
        if not isinstance(obj, Tensor):
            return NotImplemented
        arr = np.asarray(obj._data)  # a CuPy array would come back to host here
        if arr.dtype not in _NP_STORAGE:
            raise pickle.PicklingError(f"ember.save cannot write dtype {obj.dtype}")
        layout = _storage_layout(arr)
        if layout is None:
            root, offset = np.ascontiguousarray(arr).copy(), 0
            strides = tuple(s // arr.itemsize for s in root.strides)
        else:
            root, offset, strides = layout
        tensor_args = (self._storage_for(root), offset, tuple(arr.shape), strides,
                       bool(obj._requires_grad) and not _is_parameter(obj), collections.OrderedDict())
        if _is_parameter(obj):
            # torch pickles a Parameter as _rebuild_parameter(<the tensor>, requires_grad, hooks)
            inner = _TensorArgs(tensor_args)
            return (_REBUILD_PARAMETER, (inner, bool(obj._requires_grad), collections.OrderedDict()))
        return (_REBUILD_TENSOR, tensor_args)

    def save_tensor_args(self, obj: _TensorArgs) -> None:
        self.save_reduce(_REBUILD_TENSOR, obj.args, obj=obj)


class _TensorArgs:
    """The inner tensor of a Parameter, pickled as a plain _rebuild_tensor_v2 call."""

    __slots__ = ("__weakref__", "args")

    def __init__(self, args):
        self.args = args


_Pickler.dispatch[_TensorArgs] = _Pickler.save_tensor_args


def _is_parameter(t: Tensor) -> bool:
    nn = sys.modules.get("ember.nn.parameter")
    return nn is not None and isinstance(t, nn.Parameter)


def _check_save_target(f) -> None:
    if isinstance(f, (str, os.PathLike)):
        parent = os.path.dirname(os.path.abspath(os.fspath(f)))
        if not os.path.isdir(parent):
            raise RuntimeError(f"Parent directory {parent} does not exist.")


_ALIGNMENT = 64  # torch starts each storage's bytes on a 64-byte boundary (so it can mmap them)


def _write_record(z: zipfile.ZipFile, name: str, data, align: bool = False) -> None:
    """One uncompressed record; with align, padded so its bytes start on an _ALIGNMENT boundary."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))  # fixed: same object, same file
    info.compress_type = zipfile.ZIP_STORED
    if align:
        # the local header is 30 bytes + name + extra fields (+ 20 for a zip64 size field)
        start = z.fp.tell() + 30 + len(name.encode("utf-8")) + 4
        if len(data) > zipfile.ZIP64_LIMIT:
            start += 20
        pad = -start % _ALIGNMENT
        info.extra = b"FB" + struct.pack("<H", pad) + b"Z" * pad
    z.writestr(info, data)


def save(obj: Any, f: FileLike, pickle_module: Any = None, pickle_protocol: int = 2,
         _use_new_zipfile_serialization: bool = True, _disable_byteorder_record: bool = False) -> None:
    """Write ``obj`` (tensors, state_dicts, nested containers, numbers, strings) to ``f``.

    ``f`` is a path (str or os.PathLike) or a writable binary file object. The file is in torch's zip
    format: ``torch.load(f, weights_only=True)`` reads it, and so does ``ember.load``.
    """
    if not _use_new_zipfile_serialization:
        raise NotImplementedError("ember.save writes only the zip format (torch's default)")
    if pickle_protocol < 2:
        raise ValueError("ember.save needs pickle protocol 2 or higher")
    _check_save_target(f)
    buf = io.BytesIO()
    pickler = _Pickler(buf, pickle_protocol)
    pickler.dump(obj)
    opened = isinstance(f, (str, os.PathLike))
    out = open(f, "wb") if opened else f  # noqa: SIM115 (closed below)
    try:
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as z:
            _write_record(z, "archive/data.pkl", buf.getvalue())
            _write_record(z, "archive/.format_version", b"1")
            _write_record(z, "archive/.storage_alignment", b"%d" % _ALIGNMENT)
            if not _disable_byteorder_record:
                _write_record(z, "archive/byteorder", sys.byteorder.encode("ascii"))
            for ref in pickler.storages.values():
                data = memoryview(np.ascontiguousarray(ref.array)).cast("B")
                _write_record(z, f"archive/data/{ref.key}", data, align=True)
            _write_record(z, "archive/version", b"3\n")
    finally:
        if opened:
            out.close()


# ---------------------------------------------------------------------------------------- loading
_HELP = ("Check the documentation of torch.load to learn more about types accepted by default with "
         "weights_only https://pytorch.org/docs/stable/generated/torch.load.html.")


def _refuse(what: str) -> pickle.UnpicklingError:
    return pickle.UnpicklingError(
        "Weights only load failed. ember.load never runs code from a file, so it only rebuilds "
        "tensors, parameters and plain containers (dict, OrderedDict, list, tuple, set, numbers, "
        f"strings).\n\n{what}\n\n{_HELP}")


class _StorageType:
    """What ``torch.FloatStorage`` and friends resolve to: the element type of a storage record."""

    __slots__ = ("name", "np")

    def __init__(self, name: str):
        self.name = name
        self.np = np.dtype(np.float32 if name == "BFloat16Storage" else _STORAGE_NP[name])


def _check_layout(storage: np.ndarray, offset, size, stride) -> None:
    """Refuse any size/stride/offset that would read outside the storage (corrupt or hostile file)."""
    ok_ints = all(isinstance(v, int) and not isinstance(v, bool) for v in (offset, *size, *stride))
    if not ok_ints or len(size) != len(stride):
        raise RuntimeError(f"ember.load: invalid tensor layout (size={size}, stride={stride}, "
                           f"offset={offset}) in the checkpoint")
    if offset < 0 or any(n < 0 for n in size) or any(s < 0 for s in stride):
        raise RuntimeError(f"ember.load: negative size, stride or offset in the checkpoint "
                           f"(size={size}, stride={stride}, offset={offset})")
    if 0 in size:
        return
    last = offset + sum((n - 1) * s for n, s in zip(size, stride))
    if last >= storage.size:
        raise RuntimeError(
            f"ember.load: a tensor of size {list(size)} with stride {list(stride)} at offset {offset} "
            f"does not fit in its storage of {storage.size} elements (corrupt checkpoint)")


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False,
                       backward_hooks=None, metadata=None) -> Tensor:
    """A tensor viewing ``storage`` (shared memory, as in the checkpoint)."""
    if not isinstance(storage, np.ndarray):
        raise pickle.UnpicklingError("ember.load: a tensor's storage is not a storage record")
    size, stride = tuple(size), tuple(stride)
    _check_layout(storage, storage_offset, size, stride)
    item = storage.itemsize
    # an ndarray over the storage's buffer keeps storage as its .base, so ember sees the tensors of
    # one storage as sharing it (storage_offset, untyped_storage, saving them again as views)
    arr = np.ndarray(size, dtype=storage.dtype, buffer=storage,
                     offset=storage_offset * item if 0 not in size else 0,
                     strides=tuple(s * item for s in stride))
    t = Tensor._wrap(arr, from_numpy_dtype(arr.dtype))
    if requires_grad:
        t.requires_grad_(True)
    return t


def _rebuild_tensor(storage, storage_offset, size, stride) -> Tensor:
    return _rebuild_tensor_v2(storage, storage_offset, size, stride)


def _rebuild_parameter(data, requires_grad, backward_hooks=None, *args) -> Tensor:
    try:
        from .nn.parameter import Parameter
    except ImportError:  # nn not importable: a leaf tensor that requires grad is the next best thing
        return data.detach().requires_grad_(requires_grad)
    return Parameter(data, requires_grad)


def _encode(text, encoding="utf-8", errors="strict"):
    """``_codecs.encode``: protocol-2 pickles store bytes as latin-1 text run through it."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1", "utf-8", "utf8", "ascii"):
        raise _refuse(f"Unsupported call: _codecs.encode with encoding {encoding!r}")
    return text.encode(encoding, errors)


_ALLOWED = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch", "Size"): Size,
    ("builtins", "set"): set,
    ("builtins", "frozenset"): frozenset,
    ("builtins", "bytearray"): bytearray,
    ("builtins", "complex"): complex,
    ("builtins", "slice"): slice,
    ("__builtin__", "set"): set,
    ("_codecs", "encode"): _encode,
}


class _Unpickler(pickle.Unpickler):
    """An unpickler that knows only the allow-list above; storages come from the archive."""

    def __init__(self, file, load_storage, map_location):
        super().__init__(file, encoding="utf-8")
        self._load_storage = load_storage
        self._map_location = map_location
        self._storages: dict[str, np.ndarray] = {}

    def find_class(self, module: str, name: str):
        fn = _ALLOWED.get((module, name))
        if fn is not None:
            return fn
        if module == "torch":
            if name in _STORAGE_NP or name == "BFloat16Storage":
                return _StorageType(name)
            if name in _UNSUPPORTED_STORAGE:
                raise RuntimeError(f"ember.load: ember has no dtype for torch.{name}")
            if name in _TORCH_DTYPES:
                return _TORCH_DTYPES[name]
            if name == "device":
                return _device
        raise _refuse(f"Trying to load unsupported GLOBAL {module}.{name}: it is not on ember's "
                      "allow-list, and running it could execute arbitrary code.")

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"
                and isinstance(pid[1], _StorageType) and isinstance(pid[2], str)
                and isinstance(pid[4], int) and pid[4] >= 0):
            raise pickle.UnpicklingError(f"ember.load: unsupported persistent id {pid!r}")
        _, stype, key, location, numel = pid
        arr = self._storages.get(key)
        if arr is None:
            arr = self._load_storage(key, stype, numel)
            if stype.name == "BFloat16Storage":
                warnings.warn("ember has no bfloat16 dtype: bfloat16 tensors are loaded as float32",
                              stacklevel=4)
            arr = _map_storage(arr, location, self._map_location)
            self._storages[key] = arr
        if arr.dtype != stype.np:
            raise pickle.UnpicklingError(f"ember.load: storage {key} is read with two dtypes")
        return arr


def _map_storage(arr: np.ndarray, location, map_location) -> np.ndarray:
    """Apply map_location: ember keeps every storage on the CPU, so only 'cpu' targets are valid."""
    from ._backend import as_device
    target = map_location
    if isinstance(map_location, dict):
        target = map_location.get(location, location)
    elif callable(map_location) and not isinstance(map_location, str):
        result = map_location(Tensor._wrap(arr, from_numpy_dtype(arr.dtype)), location)
        return arr if result is None else np.asarray(result._data if isinstance(result, Tensor)
                                                     else result).reshape(-1)
    if target is None:
        target = location
    as_device(target)
    return arr


def _read_record(stream, nbytes: int, what: str) -> bytes:
    data = stream.read(nbytes)
    if len(data) != nbytes:
        raise RuntimeError(f"ember.load: {what} is truncated ({len(data)} of {nbytes} bytes)")
    return data


def _load_zip(z: zipfile.ZipFile, map_location) -> Any:
    names = z.namelist()
    pkl = [n for n in names if n.endswith("data.pkl") and n.count("/") == 1]
    if not pkl:
        raise RuntimeError("PytorchStreamReader failed locating file data.pkl: file not found")
    prefix = pkl[0][: -len("data.pkl")]
    byteorder = sys.byteorder
    if prefix + "byteorder" in names:
        byteorder = z.read(prefix + "byteorder").decode("ascii", "replace").strip()
        if byteorder not in ("little", "big"):
            raise RuntimeError(f"ember.load: unknown byteorder {byteorder!r} in the checkpoint")

    def load_storage(key: str, stype: _StorageType, numel: int) -> np.ndarray:
        name = f"{prefix}data/{key}"
        try:
            info = z.getinfo(name)
        except KeyError:
            raise RuntimeError(f"PytorchStreamReader failed locating file data/{key}: file not found")
        src = np.dtype(np.uint16 if stype.name == "BFloat16Storage" else stype.np)
        src = src.newbyteorder("<" if byteorder == "little" else ">")
        if info.file_size != numel * src.itemsize:
            raise RuntimeError(f"ember.load: storage record data/{key} holds {info.file_size} bytes, "
                               f"expected {numel * src.itemsize} (corrupt or truncated checkpoint)")
        with z.open(info) as stream:
            arr = np.frombuffer(bytearray(_read_record(stream, info.file_size, name)), dtype=src)
        if stype.name == "BFloat16Storage":  # bfloat16 is the top half of a float32
            return (arr.astype(np.uint32) << 16).view(np.float32)
        return arr.astype(arr.dtype.newbyteorder("="), copy=False)

    try:
        data = z.read(pkl[0])
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as e:
        raise RuntimeError(f"ember.load: corrupt checkpoint ({e})") from e
    return _unpickle(io.BytesIO(data), load_storage, map_location)


def _unpickle(stream, load_storage, map_location) -> Any:
    try:
        return _Unpickler(stream, load_storage, map_location).load()
    except (pickle.UnpicklingError, RuntimeError):
        raise
    except (EOFError, *_CORRUPTION_ERRORS) as e:
        raise pickle.UnpicklingError(f"ember.load: corrupt or unsupported checkpoint "
                                     f"({type(e).__name__}: {e})") from e


# The legacy (pre-1.6, non-zip) format: pickled magic number, protocol, sys info, the object, the
# list of storage keys, then for each key an int64 element count and the raw bytes.
_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C


def _load_legacy(f: BinaryIO, map_location) -> Any:
    def header():
        return _unpickle(f, None, None)

    if header() != _LEGACY_MAGIC:
        raise RuntimeError("Invalid magic number; corrupt file?")
    if header() != 1001:
        raise RuntimeError("ember.load: unsupported legacy protocol version")
    header()  # sys_info: little_endian, type sizes
    pending: dict[str, tuple] = {}
    remaining = None
    if f.seekable():
        here = f.tell()
        remaining = f.seek(0, io.SEEK_END) - here
        f.seek(here)

    def remember(key, stype, numel):
        # the object pickle comes before the data, so storages are filled in afterwards; refuse
        # sizes the rest of the file cannot hold before allocating them
        if remaining is not None and numel * stype.np.itemsize > remaining:
            raise RuntimeError(f"ember.load: storage {key} claims {numel} elements, more than the "
                               "file holds (corrupt or truncated checkpoint)")
        arr = np.empty(numel, dtype=stype.np)
        pending[key] = (arr, stype)
        return arr

    class _LegacyUnpickler(_Unpickler):
        def persistent_load(self, pid):
            if isinstance(pid, tuple) and len(pid) == 6 and pid[0] == "storage" and pid[5] is None:
                return super().persistent_load(pid[:5])
            raise pickle.UnpicklingError("ember.load: legacy views of storages are not supported")

    try:
        obj = _LegacyUnpickler(f, remember, map_location).load()
    except (EOFError, ValueError, TypeError, KeyError, IndexError, AttributeError) as e:
        raise pickle.UnpicklingError(f"ember.load: corrupt legacy checkpoint ({e})") from e
    keys = header()
    if not isinstance(keys, list):
        raise pickle.UnpicklingError("ember.load: corrupt legacy checkpoint (storage key list)")
    for key in keys:
        if key not in pending:
            raise RuntimeError(f"ember.load: corrupt legacy checkpoint (unknown storage {key!r})")
        arr, stype = pending[key]
        count = int(np.frombuffer(_read_record(f, 8, "a storage header"), dtype="<i8")[0])
        if count != arr.size:
            raise RuntimeError("ember.load: corrupt legacy checkpoint (storage size mismatch)")
        src = np.dtype(np.uint16) if stype.name == "BFloat16Storage" else stype.np
        raw = np.frombuffer(_read_record(f, count * src.itemsize, f"storage {key}"), dtype=src)
        arr[...] = (raw.astype(np.uint32) << 16).view(np.float32) if src == np.uint16 else raw
    return obj


# What a damaged file can make zipfile, struct or NumPy raise; load turns them into one clear error
_CORRUPTION_ERRORS = (zipfile.BadZipFile, ValueError, OverflowError, OSError, TypeError, KeyError,
                      IndexError, AttributeError, struct.error, MemoryError)


def _load_stream(stream: BinaryIO, head: bytes, map_location) -> Any:
    try:
        if head[:2] != b"PK":
            return _load_legacy(stream, map_location)
        try:
            z = zipfile.ZipFile(stream)
        except _CORRUPTION_ERRORS as e:
            raise RuntimeError("PytorchStreamReader failed reading zip archive: failed finding "
                               f"central directory ({e})") from e
        with z:
            return _load_zip(z, map_location)
    except (pickle.UnpicklingError, RuntimeError, EOFError):
        raise  # these already say what was wrong
    except _CORRUPTION_ERRORS as e:
        raise RuntimeError(f"ember.load: corrupt or truncated checkpoint ({type(e).__name__}: {e})") from e


def load(f: FileLike, map_location: Any = None, pickle_module: Any = None, *,
         weights_only: bool | None = None, mmap: bool | None = None, **pickle_load_args: Any) -> Any:
    """Read an object written by ``ember.save`` or ``torch.save`` (zip or legacy format).

    Tensors come back as ember Tensors (parameters as ``ember.nn.Parameter``), sharing memory where
    the file's tensors shared a storage. Only tensors and plain containers are rebuilt, whatever
    ``weights_only`` says: a file naming any other global raises ``pickle.UnpicklingError`` and runs
    nothing. ``map_location`` may name the CPU (str, device, dict or callable); other devices raise.
    """
    opened = isinstance(f, (str, os.PathLike))
    stream = open(f, "rb") if opened else f  # noqa: SIM115 (closed below)
    try:
        start = stream.tell() if stream.seekable() else 0
        head = stream.read(4)
        if not stream.seekable():  # zipfile needs to seek: read it all
            stream = io.BytesIO(head + stream.read())
            start = 0
        stream.seek(start)
        if not head:
            raise EOFError("Ran out of input")
        return _load_stream(stream, head, map_location)
    finally:
        if opened:
            stream.close()
