"""DistributedDataParallel: one model replica per rank, gradients averaged in buckets during backward.

How a step goes:
1. At construction, the ranks check that they hold the same model (count, shapes, dtypes of the
   parameters) and rank 0's parameters and buffers are broadcast to every rank.
2. The parameters are split into buckets of about ``bucket_cap_mb`` (the first one small, 1 MiB, so
   communication starts early), in reverse registration order: backward produces the gradients of the
   last layers first.
3. Each parameter carries a post-accumulate-grad hook. When the last gradient of a bucket has been
   accumulated, the hook copies the bucket's gradients into one flat array and starts a non-blocking
   ``MPI_Iallreduce`` on it, then backward carries on with the earlier layers while the sum travels.
   Later hooks also poke MPI (``MPI_Test``) so the transfers progress while backward computes.
4. The hook that launches the last bucket waits for all of them, divides by the world size and writes
   the averages back into each ``param.grad``.

Why wait in the last hook: ember's engine has no ``queue_callback`` (torch's way to run something
when backward ends). But DDP knows exactly how many gradients it expects, so the moment the last
one is accumulated *is* the end of the part of backward that DDP cares about: every parameter's
``.grad`` is final by then, and what backward still has to run touches no parameter. Waiting there
means ``loss.backward()`` returns with averaged gradients, as in torch, with no extra call.

A parameter that gets no gradient would leave its bucket waiting forever, so as in torch the next
forward raises unless ``find_unused_parameters=True``, which walks the autograd graph after forward
and counts the parameters it does not reach as ready (their share of the bucket is zeros).
"""
from __future__ import annotations

import contextlib
import zlib
from collections.abc import Iterator
from typing import Any

import numpy as np

from ...autograd import grad_mode
from ...distributed._group import Work, _mpi, _resolve
from ..modules.module import Module

__all__ = ["DistributedDataParallel"]

_FIRST_BUCKET_BYTES = 1024 * 1024  # torch's dist._DEFAULT_FIRST_BUCKET_BYTES
_UNFINISHED = (
    "Expected to have finished reduction in the prior iteration before starting a new one. This error "
    "indicates that your module has parameters that were not used in producing loss. You can enable "
    "unused parameter detection by passing the keyword argument `find_unused_parameters=True` to "
    "`torch.nn.parallel.DistributedDataParallel`, and by making sure all `forward` function outputs "
    "participate in calculating loss.")


class _Bucket:
    """Parameters whose gradients travel together in one flat array."""

    __slots__ = ("flat", "offsets", "params", "ready", "work")

    def __init__(self, params: list) -> None:
        self.params = params
        sizes = [p._data.size for p in params]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        self.flat = np.empty(int(self.offsets[-1]), dtype=params[0]._data.dtype)
        self.ready = 0
        self.work: Work | None = None


def _make_buckets(params: list, cap_bytes: int) -> list[_Bucket]:
    """Group ``params`` (already in reverse order) into buckets of one dtype and about cap_bytes."""
    buckets, open_ = [], {}  # dtype -> (params, bytes) of the bucket being filled
    first_cap = min(_FIRST_BUCKET_BYTES, cap_bytes)
    for p in params:
        key = p._data.dtype
        members, nbytes = open_.get(key, ([], 0))
        members.append(p)
        nbytes += p._data.nbytes
        limit = first_cap if not buckets else cap_bytes
        if nbytes >= limit:
            buckets.append(_Bucket(members))
            members, nbytes = [], 0
        open_[key] = (members, nbytes)
    buckets.extend(_Bucket(members) for members, _ in open_.values() if members)
    return buckets


class DistributedDataParallel(Module):
    """Data parallelism over the ranks of a process group: wrap the model, train as usual.

    ``forward`` calls ``module``; ``loss.backward()`` returns with every parameter's ``.grad`` averaged
    over the ranks. ``no_sync()`` skips the averaging (gradients keep accumulating locally) until
    the first backward outside it. Only CPU tensors; ``device_ids``, ``output_device``, ``dim``,
    ``static_graph``, ``check_reduction`` and ``gradient_as_bucket_view`` are accepted for
    compatibility and change nothing here (the last is a memory saving in torch, not a result).
    """

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0,
                 broadcast_buffers: bool = True, init_sync: bool = True, process_group=None,
                 bucket_cap_mb: float | None = None, find_unused_parameters: bool = False,
                 check_reduction: bool = False, gradient_as_bucket_view: bool = False,
                 static_graph: bool = False, **kwargs: Any) -> None:
        super().__init__()
        self.module = module
        self.process_group = _resolve(process_group)
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.static_graph = static_graph
        self.dim = dim
        self.device_ids = device_ids
        self.output_device = output_device
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        self._params = [p for p in module.parameters() if p.requires_grad]
        if not self._params:
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't have any "
                               "parameter that requires a gradient.")
        self._verify_same_model()
        if init_sync:
            self._broadcast([p._data for p in module.parameters()]
                            + [b._data for b in module.buffers()], "parameter broadcast")
        cap = 25.0 if bucket_cap_mb is None else float(bucket_cap_mb)
        self.bucket_bytes_cap = int(cap * 1024 * 1024)
        self._buckets = _make_buckets(self._params[::-1], self.bucket_bytes_cap)
        self._where = {}  # id(param) -> (bucket, position in it)
        for bucket in self._buckets:
            for i, p in enumerate(bucket.params):
                self._where[id(p)] = (bucket, i)
        self._marked = np.zeros(len(self._params), dtype=bool)
        self._index = {id(p): i for i, p in enumerate(self._params)}
        self._launched = 0
        self._unused: list = []
        self._hook_handles = [p.register_post_accumulate_grad_hook(self._grad_ready)
                              for p in self._params]

    # ------------------------------------------------------------------ setup
    def _verify_same_model(self) -> None:
        pg = self.process_group
        if pg.size() == 1:
            return
        layout = ";".join(f"{tuple(p.shape)}:{p.dtype}" for p in self._params).encode()
        mine = np.array([len(self._params), zlib.crc32(layout)], dtype=np.int64)
        table = np.empty((pg.size(), 2), dtype=np.int64)
        MPI = _mpi()
        req = pg.comm.Iallgather([mine, MPI.INT64_T], [table, MPI.INT64_T])
        Work(pg, "DDP model check", [req], keep=(mine, table)).wait()
        for r in range(pg.size()):
            if table[r, 0] != table[0, 0]:
                raise RuntimeError(f"DDP expects same model across all ranks, but Rank {r} has "
                                   f"{table[r, 0]} params, while rank 0 has inferred {table[0, 0]} params.")
            if table[r, 1] != table[0, 1]:
                raise RuntimeError(f"DDP expects same model across all ranks, but the shapes or dtypes of "
                                   f"the parameters of rank {r} differ from those of rank 0.")

    def _broadcast(self, arrays: list, name: str) -> None:
        """Overwrite ``arrays`` with rank 0's, all transfers in flight at once."""
        pg = self.process_group
        if pg.size() == 1 or not arrays:
            return
        from ...distributed.collectives import _buf
        staged = [a if a.flags.c_contiguous else np.ascontiguousarray(a) for a in arrays]
        reqs = [pg.comm.Ibcast(_buf(s), root=0) for s in staged]
        Work(pg, name, reqs, keep=tuple(staged)).wait()
        for a, s in zip(arrays, staged):
            if a is not s:
                a[...] = s

    # ------------------------------------------------------------------ forward
    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        if self._launched or self._marked.any():
            raise RuntimeError(_UNFINISHED)
        if self.broadcast_buffers and self.require_forward_param_sync:
            self._broadcast([b._data for b in self.module.buffers()], "buffer broadcast")
        output = self.module(*inputs, **kwargs)
        self._unused = []
        if self.find_unused_parameters and grad_mode.STATE.enabled and self.require_backward_grad_sync:
            reached = _reachable_leaves(output)
            self._unused = [p for p in self._params if id(p) not in reached]
        return output

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Inside this block backward only accumulates gradients locally (for gradient accumulation);
        the first backward after it averages everything accumulated."""
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old

    # ------------------------------------------------------------------ backward
    def _mark(self, p) -> None:
        i = self._index[id(p)]
        if self._marked[i]:
            raise RuntimeError(
                f"Expected to mark a variable ready only once. Parameter at index {i} has been marked "
                "as ready twice. This means that multiple autograd engine hooks have fired for this "
                "particular parameter during this iteration.")
        self._marked[i] = True
        bucket, _ = self._where[id(p)]
        bucket.ready += 1
        if bucket.ready == len(bucket.params):
            self._launch(bucket)

    def _grad_ready(self, p) -> None:
        """Post-accumulate-grad hook: p.grad is final for this backward."""
        if not self.require_backward_grad_sync or self.process_group.size() == 1:
            return
        if self._unused and not self._marked.any():
            for q in self._unused:  # first gradient of this backward: the unused ones are ready too
                self._mark(q)
        self._mark(p)
        if self._launched == len(self._buckets):
            self._finish()
        else:
            for bucket in self._buckets:  # let MPI move the buckets in flight along
                if bucket.work is not None and not bucket.work.is_completed():
                    break

    def _launch(self, bucket: _Bucket) -> None:
        flat, offs = bucket.flat, bucket.offsets
        for i, p in enumerate(bucket.params):
            g = p.grad
            if g is None:
                flat[offs[i]:offs[i + 1]] = 0
            else:
                flat[offs[i]:offs[i + 1]] = g._data.reshape(-1)
        pg = self.process_group
        MPI = _mpi()
        from ...distributed.collectives import _buf
        req = pg.comm.Iallreduce(MPI.IN_PLACE, _buf(flat), MPI.SUM)
        bucket.work = Work(pg, "DDP gradient all_reduce", [req], keep=(flat,))
        self._launched += 1

    def _finish(self) -> None:
        size = self.process_group.size()
        for bucket in self._buckets:
            bucket.work.wait()
            flat, offs = bucket.flat, bucket.offsets
            flat /= size
            for i, p in enumerate(bucket.params):
                g = p.grad
                if g is not None:  # an unused parameter keeps grad None, as in torch
                    g._data[...] = flat[offs[i]:offs[i + 1]].reshape(g._data.shape)
            bucket.work = None
            bucket.ready = 0
        self._launched = 0
        self._marked[:] = False
        self._unused = []


def _reachable_leaves(output) -> set[int]:
    """ids of the leaf tensors whose AccumulateGrad nodes the graph of ``output`` reaches."""
    from ..._tensor import Tensor
    stack, seen, leaves = [], set(), set()
    todo = [output]
    while todo:  # flatten tensors out of tuples, lists and dicts
        obj = todo.pop()
        if isinstance(obj, Tensor):
            if obj.grad_fn is not None:
                stack.append(obj.grad_fn)
            elif obj.requires_grad:
                leaves.add(id(obj))
        elif isinstance(obj, (list, tuple)):
            todo.extend(obj)
        elif isinstance(obj, dict):
            todo.extend(obj.values())
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        variable = getattr(node, "variable", None)
        if variable is not None:
            leaves.add(id(variable))
        stack.extend(n for n, _ in node.next_functions if n is not None)
    return leaves

