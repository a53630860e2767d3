"""Floating-point sums that round like torch's CPU kernels.

Float addition is not associative, so the order of the additions decides the last bits of a sum.
NumPy sums pairwise; torch's CPU sum is a *cascade* sum whose order depends on the tensor's memory
layout, its SIMD width and how the work is split across threads. About a third of float32 sums then
differ in the last bit, which shows whenever a learner prints ``loss.item()`` or a softmax row sum.

This module replays torch's order with whole-array NumPy operations (the only Python loops run over
a handful of cascade levels, SIMD lanes or blocks of 16):

* the input is walked the way torch's TensorIterator walks it: size-1 dims dropped, reduced dims
  moved to the front (sorted by input stride), kept dims after them (sorted by output stride), and
  neighbouring dims merged where memory allows. Dim 0 of that walk is reduced by one of the kernels
  below; the other reduced dims are accumulated into the output one partial sum after another.
* ``_cascade_k``: blocks of 16 (more for huge rows) summed in order, block sums gathered in up to
  three further levels, so the rounding error grows like log(n) without pairwise recursion.
* ``_row_sum_k``: four interleaved cascades (instruction-level parallelism), then the leftovers.
* ``_inner_sum``: a contiguous row read as SIMD vectors of ``lanes`` elements; each lane is a
  ``_row_sum`` over the vectors, then the scalar tail and the lanes are added in order.
* the sequential sums at the bottom of all of these are ``_seq``/``_seq_k``: NumPy's
  ``add.reduce`` over an axis that is *not* its innermost loop adds in index order (NumPy sums
  pairwise only along the innermost one), so the kernels lay data out as ``(..., n, K)`` with
  the K independent sums innermost, and each step is one vectorised add of K contiguous values.
* large inputs (``GRAIN`` elements or more) are split across ``get_num_threads()`` threads as torch
  does.

``nll_sum`` replays nll_loss's own 8-level cascade and ``softmax_sum`` the SIMD row sums of torch's
softmax kernels. The widths, orders and float16 roundings here were checked bit for bit against
torch 2.x on an AVX-512 CPU (tests/ops/test_cascade_sum.py).

Replaying costs 2.5-10x NumPy's ``sum`` (10-20 microseconds for a batch's bias gradient or loss,
the layouts' analysis cached per shape and strides), so it is done for inputs up to ``SMALL``
elements (what learners print); larger ones take NumPy's pairwise sum, which is as accurate but
may differ from torch in the last bit.
"""
from __future__ import annotations

import functools
import itertools

from .._config import get_num_threads

SMALL = 1 << 16
GRAIN = 32768  # torch's internal GRAIN_SIZE: below it a reduction runs on one thread
VECTOR_BYTES = 32  # torch builds its sum kernel for AVX2 (8 float lanes), even on AVX-512 CPUs


def _seq(xp, y):
    """Sum along the last axis strictly left to right, starting from +0.0 as torch's accumulators
    do. NumPy's ``sum`` adds pairwise only when the summed axis is its innermost loop, so the
    axis is kept out of it: ``add.reduce`` over an outer axis adds one whole block of independent
    sums at a time, in index order. A single row takes ``cumsum``, sequential by definition.

    The result is never -0.0 (+0 + -0 is +0), which lets callers skip adding empty parts."""
    k = y.shape[-1]
    if k <= 1:
        return y[..., 0] + 0 if k else xp.zeros(y.shape[:-1], y.dtype)
    if k <= 3:  # a NumPy reduction costs more to set up than two adds (the +0 turns -0.0 to +0.0)
        acc = y[..., 0] + y[..., 1]
        return (acc + y[..., 2] if k == 3 else acc) + 0
    if y.size == k:  # one row: no other axis that could be the inner loop
        return y.reshape(-1).cumsum()[-1:].reshape(y.shape[:-1]) + 0
    # NumPy's iterator makes the smallest-stride axis its inner loop (where it would sum pairwise)
    # and reverses negative-stride axes: the summed axis needs a positive stride above another's
    shape, strides = y.shape, y.strides
    last = strides[-1]
    ok, inner = last > 0, last
    for n, st in zip(shape[:-1], strides[:-1]):
        if n > 1:
            ok = ok and st > 0
            inner = min(inner, st)
    t = y.transpose(_last_first(y.ndim))
    if not ok or inner >= last:
        t = xp.ascontiguousarray(t)
    return xp.add.reduce(t, axis=0, initial=0)


@functools.cache
def _last_first(nd):
    """The transpose that moves the last of ``nd`` axes to the front."""
    return (nd - 1,) + tuple(range(nd - 1))


def _groups(xp, y, step):
    """Split the last axis into full groups of ``step`` (shape ``(..., g, step)``) and the rest."""
    g = y.shape[-1] // step
    return y[..., :g * step].reshape(y.shape[:-1] + (g, step)), y[..., g * step:]


def _cascade(xp, x):
    """torch's multi_row_sum along the last axis (``_cascade_k`` with one column)."""
    return _cascade_k(xp, x[..., None])[..., 0]


def _row_sum(xp, x):
    """torch's row_sum along the last axis (``_row_sum_k`` with one column)."""
    return _row_sum_k(xp, x[..., None])[..., 0]


def _inner_sum(xp, x, lanes, halves):
    """torch's vectorized_inner_sum: each SIMD lane ``_row_sum``s its column of vectors; then the
    scalar tail and the lanes are added in order to a zero accumulator."""
    vecs, tail = _groups(xp, x, lanes)
    if halves:  # a float16 vector loads as two float32 vectors that are added at once
        vecs = vecs[..., :lanes // 2] + vecs[..., lanes // 2:]
    per_lane = _row_sum_k(xp, vecs)  # vecs is (..., vectors, lanes): the lanes are columns
    if not tail.shape[-1]:
        return _seq(xp, per_lane)
    return _seq(xp, xp.concatenate((tail, per_lane), axis=-1))


# The kernels work on the "(..., n, K)" layout: the sum runs along axis -2 for each of K columns.
# When the column axis is the innermost in memory (torch's outer sums and SIMD lanes have exactly
# this shape), NumPy's reduction adds whole rows of K at a time, in order, with no transposes.

def _seq_k(xp, x):
    """``_seq`` along axis -2 of a ``(..., n, K)`` array."""
    st = x.strides
    if x.shape[-1] > 1 and 0 < st[-1] < st[-2] and min(st) > 0 and x.shape[-2] > 1:
        return xp.add.reduce(x, axis=-2, initial=0)
    return _seq(xp, x.swapaxes(-1, -2))


def _split_k(x, step):
    """``_groups`` along axis -2: full groups ``(..., g, step, K)`` and the rest ``(..., r, K)``."""
    g = x.shape[-2] // step
    return x[..., :g * step, :].reshape(x.shape[:-2] + (g, step, x.shape[-1])), x[..., g * step:, :]


def _cascade_k(xp, x):
    """torch's multi_row_sum along axis -2 of a ``(..., n, K)`` array: a 4-level cascade of
    sequential blocks.

    Level 0 sums blocks of ``step`` elements; each level passes its running sum up every ``step``
    entries; the top level keeps everything. The end result is ``((l0 + l1) + l2) + l3``, l0 being
    the last, partial block (empty parts are +0 and are skipped: adding +0 changes nothing)."""
    n = x.shape[-2]
    step = 1 << max(4, (n - 1).bit_length() // 4)
    if n < step:
        return _seq_k(xp, x)
    full, tail = _split_k(x, step)
    level = _seq_k(xp, full)
    total = _seq_k(xp, tail) if tail.shape[-2] else None
    for _ in range(2):
        if level.shape[-2] < step:
            break  # this level never fills: the levels above stay at 0
        full, rest = _split_k(level, step)
        if rest.shape[-2]:
            part = _seq_k(xp, rest)
            total = part if total is None else total + part
        level = _seq_k(xp, full)
    top = _seq_k(xp, level)
    return top if total is None else total + top


def _row_sum_k(xp, x):
    """torch's row_sum along axis -2 of a ``(..., n, K)`` array: four interleaved cascades (element
    i feeds cascade i % 4), then the n % 4 leftovers into the first, then the other three. Cascade
    c of column k takes rows 4j + c: column (c, k) of the rows reshaped to ``(n // 4, 4 * K)``."""
    n, k = x.shape[-2], x.shape[-1]
    if n < 4:
        return _seq_k(xp, x)
    m = n - n % 4
    acc = _cascade_k(xp, x[..., :m, :].reshape(x.shape[:-2] + (m // 4, 4 * k)))
    acc = acc.reshape(acc.shape[:-1] + (4, k))
    if m == n:
        return _seq_k(xp, acc)
    return _seq_k(xp, xp.concatenate((acc[..., :1, :], x[..., m:, :], acc[..., 1:, :]), axis=-2))


def _walk(shape, strides, reduced):
    """TensorIterator's order: (dims as lists of original axes, fastest first), after coalescing."""
    dims = [d for d in range(len(shape)) if shape[d] != 1]
    out_strides, size = {}, 1
    for d in reversed(range(len(shape))):  # the output is contiguous over the kept dims
        if d not in reduced:
            out_strides[d] = size
            size *= shape[d]
    ops = [{d: (0 if d in reduced else out_strides[d]) for d in dims}, dict(zip(range(len(shape)), strides))]

    def swap(d0, d1):  # torch's should_swap: > 0 when d1 must run faster than d0
        for i, st in enumerate(ops):
            s0, s1 = st[d0], st[d1]
            if i == 0 and (s0 == 0) != (s1 == 0):
                return 1 if s1 == 0 else -1
            if s0 == 0 or s1 == 0:
                continue
            if s0 != s1:
                return -1 if s0 < s1 else 1
            if shape[d0] > shape[d1]:
                return 1
        return 0

    perm = dims[::-1]
    for i in range(1, len(perm)):  # insertion sort that tolerates ties, as torch's
        d1 = i
        for d0 in range(i - 1, -1, -1):
            c = swap(perm[d0], perm[d1])
            if c > 0:
                perm[d0], perm[d1] = perm[d1], perm[d0]
                d1 = d0
            elif c < 0:
                break
    groups = []
    for d in perm:
        if groups:
            last = groups[-1]
            ok = all(st[last[-1]] * shape[last[-1]] == st[d] for st in ops)
            if ok:
                last.append(d)
                continue
        groups.append([d])
    return groups, ops


def torch_sum(xp, a, axis=None, keepdims=False, dtype=None):
    """``a.sum(axis)`` rounded as torch's CPU kernel rounds it (float16/32/64; others via NumPy).

    ``dtype`` is the result dtype (torch's ``dtype=``). Inputs over ``SMALL`` elements, non-float
    dtypes and non-NumPy arrays fall back to ``xp.sum``.
    """
    out_dt = xp.dtype(dtype) if dtype is not None else a.dtype
    if (out_dt.kind != "f" or a.dtype.kind not in "fiub" or a.size > SMALL or a.size == 0
            or type(a).__module__ != "numpy"):
        return xp.sum(a, axis=axis, keepdims=keepdims, dtype=dtype)
    nd = a.ndim
    if axis is None:
        axes = frozenset(range(nd))
    else:
        axes = frozenset(ax % nd for ax in ((axis,) if isinstance(axis, int) else axis))
    out = _sum_kept_last(xp, a, axes, out_dt, keepdims)
    return out if type(out) is xp.ndarray else xp.asarray(out)


def torch_mean(xp, a, axis=None, keepdims=False, dtype=None):
    """``a.mean(axis)`` as torch's CPU computes it: the sum (float32 for float16) divided by the count."""
    out_dt = xp.dtype(dtype) if dtype is not None else a.dtype
    if out_dt.kind != "f" or a.size == 0:
        return xp.mean(a, axis=axis, keepdims=keepdims, dtype=dtype)
    acc_dt = xp.dtype(xp.float32) if out_dt == xp.float16 else out_dt
    total = torch_sum(xp, a, axis, keepdims, acc_dt)
    count = a.size // max(total.size, 1)
    return (total / acc_dt.type(count)).astype(out_dt)


def _sum_kept_last(xp, a, reduced, out_dt, keepdims=False):
    """The sum over the dims in the frozenset ``reduced``, shaped like the kept dims (or like ``a``
    with 1s for the reduced dims when ``keepdims``)."""
    if a.dtype != out_dt:  # torch casts the input to the result dtype before reducing
        a = a.astype(out_dt)
    if min(a.strides, default=0) < 0:  # torch's flip copies: it never walks memory backwards
        a = xp.ascontiguousarray(a)
    acc_dt = xp.float32 if out_dt == xp.float16 else out_dt
    groups, ops, order, vshape, n_red, kept_shape, kept_dims_shape = _plan(a.shape, a.strides, reduced)
    out_shape = kept_dims_shape if keepdims else kept_shape
    if not n_red:  # nothing to reduce: torch adds to a zero output
        return (a.astype(acc_dt) + 0).astype(out_dt).reshape(out_shape)
    v = a.transpose(order).reshape(vshape)
    threads = get_num_threads() if a.size >= GRAIN else 1
    if _size(kept_shape, range(len(kept_shape))) == 1:
        return _two_pass(xp, v, groups, ops, a.itemsize, acc_dt, out_dt, threads).reshape(out_shape)
    if threads == 1:
        parts = _reduce_dim0(xp, v, groups, ops, a.itemsize, acc_dt)
        return _accumulate(xp, parts, n_red - 1, out_dt).reshape(out_shape)
    return _chunk(xp, v, n_red, groups, ops, a.itemsize, acc_dt, out_dt, threads).reshape(out_shape)


@functools.lru_cache(maxsize=512)
def _plan(shape, strides, reduced):
    """What ``_sum_kept_last`` needs to know about a layout, computed once per (shape, strides,
    reduced dims): the walk's dims and strides, the transpose and shape that give V (the walk as an
    array whose last axis is walk dim 0 and whose axes run slowest first), the number of reduced
    walk dims (0: nothing to reduce), and the result's shape without and with keepdims. Callers
    must not mutate it."""
    kept_shape = tuple(shape[d] for d in range(len(shape)) if d not in reduced)
    kept_dims_shape = tuple(1 if d in reduced else shape[d] for d in range(len(shape)))
    groups, ops = _walk(shape, strides, reduced)
    if not groups or ops[0][groups[0][0]] != 0:
        return groups, ops, None, None, 0, kept_shape, kept_dims_shape
    order = [d for d in range(len(shape)) if shape[d] == 1] + [d for g in reversed(groups) for d in reversed(g)]
    vshape = tuple(_size(shape, g) for g in reversed(groups))
    n_red = sum(1 for g in groups if ops[0][g[0]] == 0)
    return groups, ops, tuple(order), vshape, n_red, kept_shape, kept_dims_shape


def _size(shape, dims):
    n = 1
    for d in dims:
        n *= shape[d]
    return n


def _reduce_dim0(xp, v, groups, ops, itemsize, acc_dt, split=None):
    """Partial sums over walk dim 0 (v's last axis) for every index of the other walk dims.

    Picks the kernel torch's cascade_sum picks from the strides of walk dims 0 and 1; ``split``
    lists where the threads' shares of walk dim 1 begin (it restarts the column groups of 4 vectors or
    4 scalars that get a plain cascade instead of ``_row_sum``).
    """
    halves = v.dtype.itemsize == 2
    lanes = VECTOR_BYTES // v.dtype.itemsize
    in0 = ops[1][groups[0][0]]
    in1 = ops[1][groups[1][0]] if len(groups) > 1 else 0
    size0 = v.shape[-1]
    size1 = v.shape[-2] if v.ndim > 1 else 1
    x = v.astype(acc_dt, copy=False)
    if in0 == itemsize and size0 >= lanes:
        return _inner_sum(xp, x, lanes, halves)
    if in1 == itemsize and size1 >= lanes and len(groups) > 1:
        width = 4 * (VECTOR_BYTES // xp.dtype(acc_dt).itemsize)
    elif in0 < in1 or len(groups) == 1:
        return _row_sum(xp, x)
    else:
        width = 4
    # outer sums: columns (walk dim 1) in groups of `width` get a plain cascade, the rest row_sum;
    # adjacent columns (in memory) are summed as the (..., n, K) layout
    if in1 == itemsize:
        x, cascade, row_sum = x.swapaxes(-1, -2), _cascade_k, _row_sum_k
    else:
        cascade, row_sum = _cascade, _row_sum
    if not split:  # one share: all cascade or all row_sum unless size1 is not a multiple of width
        cut = size1 // width * width
        if cut in (0, size1):
            return cascade(xp, x) if cut else row_sum(xp, x)
    res = xp.empty(v.shape[:-1], acc_dt)
    bounds = [0, *(split or ()), size1]
    for b, e in itertools.pairwise(bounds):
        cut = b + (e - b) // width * width
        if in1 == itemsize:
            res[..., b:cut] = cascade(xp, x[..., b:cut])
            res[..., cut:e] = row_sum(xp, x[..., cut:e])
        else:
            res[..., b:cut] = cascade(xp, x[..., b:cut, :])
            res[..., cut:e] = row_sum(xp, x[..., cut:e, :])
    return res


def _accumulate(xp, parts, n_red_outer, out_dt):
    """Add the partial sums of the outer reduced walk dims into a zero output, one at a time."""
    if not n_red_outer:  # adding to the zero output changes nothing: the kernels never give -0.0
        return parts.astype(out_dt, copy=False)
    flat = parts.reshape(parts.shape[:parts.ndim - n_red_outer] + (-1,))
    return _seq(xp, flat).astype(out_dt, copy=False)


def _chunk(xp, v, n_red, groups, ops, itemsize, acc_dt, out_dt, threads):
    """Serial walk (one thread, or threads that split a kept dim): sums in walk order of kept dims."""
    split = None
    if threads > 1:
        split = _dim_split(groups, ops, v.shape, threads, itemsize)
    parts = _reduce_dim0(xp, v, groups, ops, itemsize, acc_dt, split)
    return _accumulate(xp, parts, n_red - 1, out_dt)


def _dim_split(groups, ops, vshape, threads, itemsize):
    """Where the threads' shares of walk dim 1 start when torch splits that dim (else None)."""
    kept = [i for i, g in enumerate(groups) if ops[0][g[0]] != 0]
    sizes = [vshape[len(groups) - 1 - i] for i in range(len(groups))]
    best = len(groups) - 1
    for i in range(len(groups) - 1, -1, -1):
        if i not in kept:
            break
        if sizes[i] > sizes[best]:
            best = i
    if best != 1:
        return None
    cols = sizes[1]
    per = 128 // itemsize if ops[0][groups[1][0]] == 1 else 1  # adjacent outputs: 128-byte splits
    chunk = -(-cols // min(threads, cols))
    cuts = {t * chunk - t * chunk % per for t in range(1, threads)}
    return sorted(c for c in cuts if 0 < c < cols) or None


def _two_pass(xp, v, groups, ops, itemsize, acc_dt, out_dt, threads):
    """A full reduction: torch gives each thread a slice of the walk's flat index range, sums each
    slice into that thread's slot of a zeroed buffer, then sums the buffer."""
    s0 = v.shape[-1]
    s1 = v.shape[-2] if v.ndim > 1 else 1
    n = v.size
    if threads == 1 or n < GRAIN:
        parts = _reduce_dim0(xp, v, groups, ops, itemsize, acc_dt)
        return _accumulate(xp, parts, v.ndim - 1, out_dt)
    rows = v.reshape(-1, s0)

    def kernel(piece):
        return _reduce_dim0(xp, piece, groups, ops, itemsize, acc_dt).reshape(-1)

    tasks = min(threads, -(-n // GRAIN))  # OpenMP's parallel_for: at least GRAIN per task
    chunk = -(-n // tasks)
    buf = xp.zeros(threads, acc_dt)  # idle threads leave their +0
    for t in range(tasks):
        b, e, parts = t * chunk, min(n, (t + 1) * chunk), []
        while b < e:  # the 2-D steps torch's DimCounter takes through [b, e)
            r, c = divmod(b, s0)
            if c or e - b < s0:  # part of a row: a call of its own
                k = min(s0 - c, e - b)
                parts.append(kernel(rows[r:r + 1, c:c + k]))
                b += k
            elif r % s1 or (e - b) < s0 * s1:  # whole rows, up to the end of this run of dim 1
                cnt = min(s1 - r % s1, (e - b) // s0)
                parts.append(kernel(rows[r:r + cnt]))
                b += cnt * s0
            else:  # whole runs of dim 1, one call each, replayed together
                runs = (e - b) // (s0 * s1)
                parts.append(kernel(rows[r:r + runs * s1].reshape(runs, s1, s0)))
                b += runs * s1 * s0
        buf[t] = _seq(xp, xp.concatenate(parts))
        if len(groups) == 1:  # measured: float16 slices of a flat walk are rounded to float16 here
            buf[t] = buf[t].astype(out_dt)
    lanes = VECTOR_BYTES // buf.dtype.itemsize
    total = _inner_sum(xp, buf, lanes, False) if threads >= lanes else _row_sum(xp, buf)
    return total.astype(out_dt)


def _nll_levels(xp, y, step):
    """One level of nll_loss's cascade: (sums flushed to the next level, what stays at this one).

    Entry 0 is flushed alone, then every run of ``step`` entries (torch tests ``index % step == 0``
    after adding ``index``)."""
    n = y.shape[0]
    runs = (n - 1) // step
    rest = y[1 + runs * step:]
    stay = _seq(xp, rest) if rest.shape[0] else None  # None: nothing stays (+0)
    if not runs:
        return y[:1], stay
    flushed = _seq(xp, y[1:1 + runs * step].reshape(runs, step))
    return xp.concatenate([y[:1], flushed]), stay


def nll_sum(xp, values):
    """The sum of a flat array as torch's nll_loss forward accumulates it: its own 8-level cascade
    (distinct from ``sum``'s) over the batch (and spatial) positions in memory order."""
    values = values.reshape(-1)
    n = values.shape[0]
    if n == 0 or n > SMALL or type(values).__module__ != "numpy":
        return xp.sum(values)
    power = max(4, (n - 1).bit_length() // 8) if n > 1 else 4
    total = values.dtype.type(0)
    level = values
    for _ in range(7):  # levels 0..6 flush upwards; level 7 keeps everything it receives
        if level.shape[0] == 1:  # a lone entry 0 is only passed up: the levels above add +0s
            break
        level, stay = _nll_levels(xp, level, 1 << power)
        if stay is not None:  # adding +0 to a sum that cannot be -0 changes nothing
            total = total + stay
    return total + _seq(xp, level)


SOFTMAX_LANES_BYTES = 64  # torch's softmax kernels are also built for AVX-512: 16 float lanes


def softmax_sum(xp, e, axis):
    """Row sums of ``e`` along ``axis`` (kept) in the order torch's softmax / log_softmax kernels add.

    Along the last dim torch keeps one SIMD vector of partial sums, adds the row's vectors into it
    in order (a short tail into its first lanes), then folds the lanes in halves (8+8, 4+4, 2+2,
    1+1). Along another dim it walks the dim one slice at a time, so the sum is sequential.
    """
    if e.dtype.kind != "f" or e.dtype.itemsize < 4 or e.size > SMALL or type(e).__module__ != "numpy":
        return xp.sum(e, axis=axis, keepdims=True)
    axis %= e.ndim
    if axis != e.ndim - 1:
        return xp.expand_dims(_seq(xp, xp.moveaxis(e, axis, -1)), axis)
    if e.dtype != xp.float32:  # float64 rows: torch's order there is not replayed (yet)
        return xp.sum(e, axis=axis, keepdims=True)
    lanes = SOFTMAX_LANES_BYTES // e.dtype.itemsize
    n = e.shape[-1]
    if n < lanes:
        return _seq(xp, e)[..., None]
    vecs, tail = _groups(xp, e, lanes)
    acc = vecs[..., 0, :]
    for k in range(1, vecs.shape[-2]) if vecs.shape[-2] <= 16 else ():
        acc = acc + vecs[..., k, :]
    if vecs.shape[-2] > 16:  # the same left-to-right order, lane by lane
        acc = xp.cumsum(vecs, axis=-2)[..., -1, :]
    acc = xp.concatenate([acc[..., :tail.shape[-1]] + tail, acc[..., tail.shape[-1]:]], axis=-1)
    while acc.shape[-1] > 1:
        half = acc.shape[-1] // 2
        acc = acc[..., :half] + acc[..., half:]
    return acc
