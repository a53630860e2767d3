"""Collectives and point-to-point messages on tensors, through mpi4py.

Each call hands MPI the tensor's own NumPy array (``Tensor._data``) as the buffer, so a contiguous
tensor is sent and received in place with no copy. Lists of tensors (``all_gather``, ``gather``,
``scatter``, ``reduce_scatter``) go through one staging array, because MPI wants a single buffer.

Before a collective, the ranks exchange a 16-number fingerprint (which collective, dtype, op, root,
shape) with one small allgather. If the fingerprints differ, every rank sees the same table and raises
the same RuntimeError, where MPI itself would hang or silently read the wrong number of bytes.
"""
from __future__ import annotations

import functools

import numpy as np

from .. import _dtype
from .._tensor import Tensor
from ._group import ProcessGroup, ReduceOp, Work, _as_numpy, _mpi, _resolve

__all__ = [
    "all_gather",
    "all_gather_into_tensor",
    "all_reduce",
    "barrier",
    "broadcast",
    "gather",
    "irecv",
    "isend",
    "recv",
    "reduce",
    "reduce_scatter",
    "reduce_scatter_tensor",
    "scatter",
    "send",
]

_KINDS = ("all_reduce", "broadcast", "all_gather", "all_gather_into_tensor", "reduce_scatter",
          "reduce_scatter_tensor", "reduce", "gather", "scatter")
_MAX_DIMS = 10


# --------------------------------------------------------------------------- argument checks
def _array(t, name: str = "tensor") -> np.ndarray:
    """The tensor's array, as the buffer MPI will read or write."""
    if not isinstance(t, Tensor):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type torch.Tensor "
                        f"but got {type(t)} instead.")
    arr = _as_numpy(t._data)
    if not arr.flags.c_contiguous:
        raise RuntimeError("input tensor has to be contiguous")
    return arr


def _tensor_list(ts, name: str) -> list[np.ndarray]:
    if not isinstance(ts, (list, tuple)) or not all(isinstance(t, Tensor) for t in ts):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type "
                        "List[torch.Tensor] but got " f"{type(ts)} instead.")
    return [_array(t, name) for t in ts]


def _check_list(arrays: list[np.ndarray], like: np.ndarray, size: int, what: str) -> None:
    if len(arrays) != size:
        raise ValueError(f"{what} must contain world_size ({size}) tensors, got {len(arrays)}")
    for a in arrays:
        if a.shape != like.shape or a.dtype != like.dtype:
            raise ValueError(f"every tensor in {what} must have the shape {list(like.shape)} and dtype "
                             f"{_dtype.from_numpy_dtype(like.dtype)} of the input, got "
                             f"{list(a.shape)} and {_dtype.from_numpy_dtype(a.dtype)}")


def _root(pg: ProcessGroup, rank, group_rank, what: str) -> int:
    if rank is not None and group_rank is not None:
        raise ValueError(f"Can not specify both {what} and group_{what}")
    r = group_rank if group_rank is not None else rank
    if r is None:
        raise ValueError(f"Either {what} or group_{what} must be specified")
    r = int(r)
    if not 0 <= r < pg.size():
        raise ValueError(f"Invalid {what} rank {r}: it must be in [0, {pg.size()})")
    return r


def _finish(work: Work, async_op: bool):
    if async_op:
        return work
    work.wait()
    return None


# --------------------------------------------------------------------------- MPI datatypes and ops
@functools.cache
def _native_type(dtype: np.dtype):
    """MPI's datatype for a NumPy dtype, or None (e.g. float16 on an MPI without MPIX_C_FLOAT16)."""
    MPI = _mpi()
    try:
        datatype = MPI.Datatype.fromcode(np.dtype(dtype).char)
    except (KeyError, ValueError):
        return None
    return None if datatype == MPI.DATATYPE_NULL else datatype


_USE_NATIVE = True  # tests switch this off to exercise the NumPy-implemented ops


def _ufunc(op: ReduceOp, is_bool: bool):
    if is_bool:
        return {ReduceOp.SUM: np.logical_or, ReduceOp.MAX: np.logical_or, ReduceOp.BOR: np.logical_or,
                ReduceOp.MIN: np.logical_and, ReduceOp.PRODUCT: np.logical_and,
                ReduceOp.BAND: np.logical_and, ReduceOp.BXOR: np.logical_xor}[op]
    return {ReduceOp.SUM: np.add, ReduceOp.AVG: np.add, ReduceOp.PRODUCT: np.multiply,
            ReduceOp.MIN: np.minimum, ReduceOp.MAX: np.maximum, ReduceOp.BAND: np.bitwise_and,
            ReduceOp.BOR: np.bitwise_or, ReduceOp.BXOR: np.bitwise_xor}[op]


@functools.cache
def _user_op(dtype: np.dtype, op: ReduceOp):
    """A (datatype, op) pair computing ``op`` with NumPy, for dtypes MPI has no reduction for."""
    MPI = _mpi()
    ufunc = _ufunc(op, dtype == np.bool_)

    def combine(inbuf, outbuf, datatype):
        a = np.frombuffer(inbuf, dtype=dtype)
        b = np.frombuffer(outbuf, dtype=dtype)
        ufunc(a, b, out=b)

    datatype = MPI.BYTE.Create_contiguous(dtype.itemsize).Commit()
    return datatype, MPI.Op.Create(combine, commute=True)


def _reduce_spec(arr: np.ndarray, op) -> tuple[list, object]:
    """([buffer, count, datatype], MPI op) for reducing ``arr`` with ``op``."""
    if not isinstance(op, ReduceOp):
        raise TypeError(f"op must be an ember.distributed.ReduceOp, got {op!r}")
    kind = arr.dtype.kind
    if op is ReduceOp.AVG and kind not in "fc":
        raise ValueError(f"ReduceOp.AVG needs a floating point tensor, got "
                         f"{_dtype.from_numpy_dtype(arr.dtype)}")
    if op in (ReduceOp.BAND, ReduceOp.BOR, ReduceOp.BXOR) and kind not in "biu":
        raise ValueError(f"ReduceOp.{op.name} needs an integer or bool tensor")
    if kind == "c" and op in (ReduceOp.MIN, ReduceOp.MAX):
        raise ValueError(f"ReduceOp.{op.name} is not supported for complex tensors")
    MPI = _mpi()
    native = _native_type(arr.dtype) if _USE_NATIVE else None
    if native is not None:
        if kind == "b":  # MPI defines only logical ops on C_BOOL; map as torch's bool results come out
            mpi_op = {ufn: o for ufn, o in ((np.logical_or, MPI.LOR), (np.logical_and, MPI.LAND),
                                           (np.logical_xor, MPI.LXOR))}[_ufunc(op, True)]
        else:
            mpi_op = {ReduceOp.SUM: MPI.SUM, ReduceOp.AVG: MPI.SUM, ReduceOp.PRODUCT: MPI.PROD,
                      ReduceOp.MIN: MPI.MIN, ReduceOp.MAX: MPI.MAX, ReduceOp.BAND: MPI.BAND,
                      ReduceOp.BOR: MPI.BOR, ReduceOp.BXOR: MPI.BXOR}[op]
        return native, mpi_op
    datatype, mpi_op = _user_op(arr.dtype, op)
    return datatype, mpi_op


def _buf(arr: np.ndarray, datatype=None):
    """The buffer spec mpi4py takes: the array itself when MPI knows its dtype, else raw bytes."""
    if datatype is None:
        datatype = _native_type(arr.dtype) if _USE_NATIVE else None
    if datatype is None:
        return [arr.reshape(-1).view(np.uint8), _mpi().BYTE]
    if datatype.Get_size() != arr.dtype.itemsize:  # a contiguous user type covering one element
        return [arr.reshape(-1).view(np.uint8), datatype]
    return [arr, datatype]  # mpi4py counts the elements itself (per rank, for the *_block calls)


def _averager(arr: np.ndarray, size: int, op):
    if op is not ReduceOp.AVG:
        return None

    def divide():
        np.divide(arr, size, out=arr, casting="unsafe")
    return divide


# --------------------------------------------------------------------------- fingerprint check
def _describe(row: np.ndarray) -> str:
    kind = _KINDS[row[0]]
    dt = _dtype.ALL_DTYPES[row[1]] if 0 <= row[1] < len(_dtype.ALL_DTYPES) else "?"
    ndim = int(row[4])
    shape = [int(s) for s in row[5:5 + min(ndim, _MAX_DIMS)]]
    text = f"{kind}(shape={shape}, dtype={dt}"
    if row[2] >= 0:
        text += f", op={ReduceOp(int(row[2])).name}"
    if row[3] >= 0:
        text += f", root={int(row[3])}"
    return text + ")"


def _fingerprint(kind: str, arr: np.ndarray, op=None, root: int = -1) -> np.ndarray:
    row = np.full(16, -1, dtype=np.int64)
    row[0] = _KINDS.index(kind)
    row[1] = _dtype.ALL_DTYPES.index(_dtype.from_numpy_dtype(arr.dtype))
    row[2] = op.value if isinstance(op, ReduceOp) else -1
    row[3] = root
    row[4] = arr.ndim
    dims = arr.shape[:_MAX_DIMS]
    row[5:5 + len(dims)] = dims
    row[15] = arr.size
    return row


def _check_same(pg: ProcessGroup, kind: str, arr: np.ndarray, op=None, root: int = -1) -> None:
    """Raise the same RuntimeError on every rank if the ranks are not calling the same collective."""
    pg._seq += 1
    if pg.size() == 1:
        return
    mine = _fingerprint(kind, arr, op, root)
    table = np.empty((pg.size(), 16), dtype=np.int64)
    req = pg.comm.Iallgather([mine, _mpi().INT64_T], [table, _mpi().INT64_T])
    Work(pg, f"{kind} (shape check)", [req], keep=(mine, table)).wait()
    bad = np.nonzero((table != table[0]).any(axis=1))[0]
    if bad.size:
        r = int(bad[0])
        raise RuntimeError(
            f"Detected mismatch between collectives on ranks. Rank 0 is running collective "
            f"{_describe(table[0])}, but Rank {r} is running collective {_describe(table[r])} "
            f"(collective number {pg._seq}).")


# --------------------------------------------------------------------------- collectives
def all_reduce(tensor: Tensor, op: ReduceOp = ReduceOp.SUM, group=None, async_op: bool = False):
    """Reduce ``tensor`` across all ranks with ``op``; every rank ends with the result, in place."""
    pg = _resolve(group)
    arr = _array(tensor)
    datatype, mpi_op = _reduce_spec(arr, op)
    _check_same(pg, "all_reduce", arr, op)
    req = pg.comm.Iallreduce(_mpi().IN_PLACE, _buf(arr, datatype), mpi_op)
    return _finish(Work(pg, "all_reduce", [req], _averager(arr, pg.size(), op), keep=(arr,)), async_op)


def broadcast(tensor: Tensor, src: int | None = None, group=None, async_op: bool = False,
              group_src: int | None = None):
    """Copy ``tensor`` from rank ``src`` into ``tensor`` on every other rank."""
    pg = _resolve(group)
    root = _root(pg, src, group_src, "src")
    arr = _array(tensor)
    _check_same(pg, "broadcast", arr, None, root)
    req = pg.comm.Ibcast(_buf(arr), root=root)
    return _finish(Work(pg, "broadcast", [req], keep=(arr,)), async_op)


def all_gather(tensor_list: list[Tensor], tensor: Tensor, group=None, async_op: bool = False):
    """Fill ``tensor_list[r]`` with rank r's ``tensor``, on every rank."""
    pg = _resolve(group)
    arr = _array(tensor)
    outs = _tensor_list(tensor_list, "tensor_list")
    _check_list(outs, arr, pg.size(), "tensor_list")
    _check_same(pg, "all_gather", arr)
    stage = np.empty((pg.size(), *arr.shape), dtype=arr.dtype)
    req = pg.comm.Iallgather(_buf(arr), _buf(stage))

    def unpack():
        for r, out in enumerate(outs):
            out[...] = stage[r]
    return _finish(Work(pg, "all_gather", [req], unpack, keep=(arr, stage)), async_op)


def all_gather_into_tensor(output_tensor: Tensor, input_tensor: Tensor, group=None,
                           async_op: bool = False):
    """Rank r's input lands in the r-th block of ``output_tensor`` (concatenated or stacked on dim 0)."""
    pg = _resolve(group)
    inp = _array(input_tensor, "input_tensor")
    out = _array(output_tensor, "output_tensor")
    if out.dtype != inp.dtype:
        raise TypeError("output tensor must have the same type as input tensor")
    if out.size != inp.size * pg.size():
        raise ValueError("output tensor size must be equal to world_size times input tensor size")
    _check_same(pg, "all_gather_into_tensor", inp)
    req = pg.comm.Iallgather(_buf(inp), _buf(out))
    return _finish(Work(pg, "all_gather_into_tensor", [req], keep=(inp, out)), async_op)


def reduce_scatter_tensor(output: Tensor, input: Tensor, op: ReduceOp = ReduceOp.SUM, group=None,
                          async_op: bool = False):
    """Reduce ``input`` across ranks; rank r keeps the r-th of world_size equal blocks in ``output``."""
    pg = _resolve(group)
    inp = _array(input, "input")
    out = _array(output, "output")
    if out.dtype != inp.dtype:
        raise TypeError("input tensor must be the same type as the output tensor.")
    if inp.size != out.size * pg.size():
        raise ValueError("input tensor must be the same size as output size times world size")
    datatype, mpi_op = _reduce_spec(inp, op)
    _check_same(pg, "reduce_scatter_tensor", inp, op)
    req = pg.comm.Ireduce_scatter_block(_buf(inp, datatype), _buf(out, datatype), mpi_op)
    return _finish(Work(pg, "reduce_scatter_tensor", [req], _averager(out, pg.size(), op),
                        keep=(inp, out)), async_op)


def reduce_scatter(output: Tensor, input_list: list[Tensor], op: ReduceOp = ReduceOp.SUM, group=None,
                   async_op: bool = False):
    """Reduce ``input_list[r]`` across ranks into ``output`` on rank r."""
    pg = _resolve(group)
    out = _array(output, "output")
    ins = _tensor_list(input_list, "input_list")
    _check_list(ins, out, pg.size(), "input_list")
    datatype, mpi_op = _reduce_spec(out, op)
    stage = np.stack(ins) if ins else np.empty((0,), out.dtype)
    _check_same(pg, "reduce_scatter", stage, op)
    req = pg.comm.Ireduce_scatter_block(_buf(stage, datatype), _buf(out, datatype), mpi_op)
    return _finish(Work(pg, "reduce_scatter", [req], _averager(out, pg.size(), op),
                        keep=(stage, out)), async_op)


def reduce(tensor: Tensor, dst: int | None = None, op: ReduceOp = ReduceOp.SUM, group=None,
           async_op: bool = False, group_dst: int | None = None):
    """Reduce ``tensor`` across ranks into ``tensor`` on rank ``dst`` (the others keep theirs)."""
    pg = _resolve(group)
    root = _root(pg, dst, group_dst, "dst")
    arr = _array(tensor)
    datatype, mpi_op = _reduce_spec(arr, op)
    _check_same(pg, "reduce", arr, op, root)
    if pg.rank() == root:
        req = pg.comm.Ireduce(_mpi().IN_PLACE, _buf(arr, datatype), mpi_op, root=root)
        finish = _averager(arr, pg.size(), op)
    else:
        req = pg.comm.Ireduce(_buf(arr, datatype), None, mpi_op, root=root)
        finish = None
    return _finish(Work(pg, "reduce", [req], finish, keep=(arr,)), async_op)


def gather(tensor: Tensor, gather_list: list[Tensor] | None = None, dst: int | None = None, group=None,
           async_op: bool = False, group_dst: int | None = None):
    """Collect every rank's ``tensor`` into ``gather_list`` on rank ``dst``."""
    pg = _resolve(group)
    root = 0 if dst is None and group_dst is None else _root(pg, dst, group_dst, "dst")
    arr = _array(tensor)
    if pg.rank() == root:
        if not gather_list:
            raise ValueError("Argument ``gather_list`` must be specified on destination rank.")
        outs = _tensor_list(gather_list, "gather_list")
        _check_list(outs, arr, pg.size(), "gather_list")
    elif gather_list:
        raise ValueError("Argument ``gather_list`` must NOT be specified on non-destination ranks.")
    _check_same(pg, "gather", arr, None, root)
    if pg.rank() != root:
        req = pg.comm.Igather(_buf(arr), None, root=root)
        return _finish(Work(pg, "gather", [req], keep=(arr,)), async_op)
    stage = np.empty((pg.size(), *arr.shape), dtype=arr.dtype)
    req = pg.comm.Igather(_buf(arr), _buf(stage), root=root)

    def unpack():
        for r, out in enumerate(outs):
            out[...] = stage[r]
    return _finish(Work(pg, "gather", [req], unpack, keep=(arr, stage)), async_op)


def scatter(tensor: Tensor, scatter_list: list[Tensor] | None = None, src: int | None = None, group=None,
            async_op: bool = False, group_src: int | None = None):
    """Rank ``src`` sends ``scatter_list[r]`` to rank r, which receives it into ``tensor``."""
    pg = _resolve(group)
    root = 0 if src is None and group_src is None else _root(pg, src, group_src, "src")
    arr = _array(tensor)
    stage = None
    if pg.rank() == root:
        if not scatter_list:
            raise ValueError("Argument ``scatter_list`` must be specified on source rank.")
        ins = _tensor_list(scatter_list, "scatter_list")
        _check_list(ins, arr, pg.size(), "scatter_list")
        stage = np.stack(ins)
    elif scatter_list:
        raise ValueError("Argument ``scatter_list`` must NOT be specified on non-source ranks.")
    _check_same(pg, "scatter", arr, None, root)
    req = pg.comm.Iscatter(None if stage is None else _buf(stage), _buf(arr), root=root)
    return _finish(Work(pg, "scatter", [req], keep=(arr, stage)), async_op)


def barrier(group=None, async_op: bool = False, device_ids=None, timeout=None):
    """Wait until every rank has reached the barrier (within ``timeout`` or the group's timeout)."""
    pg = _resolve(group)
    work = Work(pg, "barrier", [pg.comm.Ibarrier()])
    if async_op:
        return work
    work.wait(timeout)
    return None


# --------------------------------------------------------------------------- point to point
def _peer(pg: ProcessGroup, rank, group_rank, what: str) -> int:
    r = _root(pg, rank, group_rank, what)
    if r == pg.rank():
        kind = "destination" if what == "dst" else "source"
        raise ValueError(f"Invalid {kind} rank: {kind} rank should not be the same as the rank of the "
                         "current process.")
    return r


def isend(tensor: Tensor, dst: int | None = None, group=None, tag: int = 0,
          group_dst: int | None = None) -> Work:
    """Start sending ``tensor`` to rank ``dst``; the Work completes once the buffer may be reused."""
    pg = _resolve(group)
    arr = _array(tensor)
    peer = _peer(pg, dst, group_dst, "dst")
    return Work(pg, "send", [pg.comm.Isend(_buf(arr), dest=peer, tag=tag)], keep=(arr,))


def irecv(tensor: Tensor, src: int | None = None, group=None, tag: int = 0,
          group_src: int | None = None) -> Work:
    """Start receiving into ``tensor`` from rank ``src`` (any rank when None)."""
    pg = _resolve(group)
    arr = _array(tensor)
    MPI = _mpi()
    peer = MPI.ANY_SOURCE if src is None and group_src is None else _peer(pg, src, group_src, "src")
    status = MPI.Status()
    req = pg.comm.Irecv(_buf(arr), source=peer, tag=tag)
    return Work(pg, "recv", [req], keep=(arr,), status=status)


def send(tensor: Tensor, dst: int | None = None, group=None, tag: int = 0,
         group_dst: int | None = None) -> None:
    """Send ``tensor`` to rank ``dst`` and wait until it is sent."""
    isend(tensor, dst, group, tag, group_dst).wait()


def recv(tensor: Tensor, src: int | None = None, group=None, tag: int = 0,
         group_src: int | None = None) -> int:
    """Receive into ``tensor`` from ``src`` (any rank when None); returns the sender's rank."""
    work = irecv(tensor, src, group, tag, group_src)
    work.wait()
    return work.source_rank()
