"""Indexing ops: ``x[...]`` and ``x[...] = v``, gather/scatter, index_select, masked ops, sort/topk.

``x[key]`` is done the way torch does it: the basic part of the key (ints, slices, None, ``...``) is one
view of x (shared memory and version counter), then any advanced part (integer lists/tensors, bool
masks) is one copying gather on that view. Every backward here scatters into zeros through another
primitive of this file whose own backward gathers again, so double backward works.
"""
from __future__ import annotations

import operator

import numpy as np

from .. import return_types
from .._backend import get_array_module
from .._dtype import int64
from .._tensor import Tensor
from ..autograd import grad_mode
from ..autograd.forward_ad import STATE as _FW
from ._registry import apply_inplace, primitive
from ._utils import broadcast_shapes, normalize_dim

__all__ = ["argsort", "gather", "index_add", "index_fill", "index_select", "masked_fill",
           "masked_select", "nonzero", "scatter", "scatter_add", "sort", "take", "topk"]


_sort_t = return_types.sort
_topk_t = return_types.topk


def _xp(t):
    return get_array_module(t._data)


def _name(*args, name="IndexBackward0", **params):
    return name


# --------------------------------------------------------------------------- primitives
@primitive(view=True, saves=())
class _Basic:
    """x[key] for a key of ints / slices / None only: a view of x."""
    grad_fn = staticmethod(_name)
    jvp = "linear"

    def forward(xp, x, key, shape, name):
        return x[key + (Ellipsis,)]  # the trailing ... keeps x[0, 0] a 0-d view, not a scalar copy

    def backward(grad, x, key, shape, name):
        return _BasicScatter.apply(grad, key=key, shape=shape)

    @staticmethod
    def array_backward(grad, x, key, shape, name):  # backward's numbers on arrays
        return _BasicScatter.forward(np, grad, key, shape)


@primitive(view=True, saves=())
class _Select(_Basic.cls):
    """x[i]: _Basic with its node's name fixed (looked up once, not per call)."""
    grad_fn = "SelectBackward0"


@primitive(saves=())
class _BasicScatter:
    """Zeros of ``shape`` with grad written at a basic key (the backward of a view by indexing)."""
    grad_fn = "SliceScatterBackward0"
    jvp = "linear"

    def forward(xp, grad, key, shape):
        out = xp.zeros(shape, dtype=grad.dtype)
        out[key + (Ellipsis,)] = grad
        return out

    def backward(grad, g, key, shape):
        return _Basic.apply(grad, key=key, shape=tuple(grad.shape), name="SliceBackward0")


@primitive(saves=())
class _Index:
    """x[key] for a key of index arrays and full slices (numpy and torch place the result dims alike)."""
    grad_fn = staticmethod(_name)
    jvp = "linear"

    def forward(xp, x, key, shape, name="IndexBackward0"):
        return x[key]

    def backward(grad, x, key, shape, name="IndexBackward0"):
        return _IndexPutAcc.apply(grad, key=key, shape=shape)


@primitive(saves=())
class _IndexPutAcc:
    """Zeros of ``shape`` with grad added at an advanced key; repeated indices accumulate."""
    grad_fn = "IndexPutBackward0"
    jvp = "linear"

    def forward(xp, grad, key, shape):
        out = xp.zeros(shape, dtype=grad.dtype)
        xp.add.at(out, key, grad)
        return out

    def backward(grad, g, key, shape):
        return _Index.apply(grad, key=key, shape=tuple(grad.shape))


def _put_name(x, value, basic, adv):
    return "CopySlices" if not adv else "IndexPutBackward0"


@primitive(saves=("value",))
class _IndexPut:
    """A copy of x with value written at x[basic][adv]; what ``x[key] = value`` runs under autograd."""
    grad_fn = staticmethod(_put_name)

    def forward(xp, x, value, basic, adv):
        out = x.copy()
        target = out[basic + (Ellipsis,)]
        target[adv if adv else Ellipsis] = value
        return out

    def backward(grad, x, value, basic, adv):
        gx = _IndexPut.apply(grad, 0, basic=basic, adv=adv)
        gv = None
        if isinstance(value, Tensor):
            gv = _Basic.apply(grad, key=basic, shape=tuple(grad.shape), name="SliceBackward0")
            if adv:
                gv = _Index.apply(gv, key=adv, shape=tuple(gv.shape))
        return gx, gv

    def jvp(tangents, x, value, basic, adv):
        # linear in (x, value) when value is a tensor; a number written in has tangent 0
        tx, tv = tangents
        if tv is None:
            tv = value * 0 if isinstance(value, Tensor) else 0
        return _IndexPut.apply(x * 0 if tx is None else tx, tv, basic=basic, adv=adv)


def _along(xp, index, dim):
    """The full index tuple addressing x[i][j][index[i][j][k]] for gather/scatter along ``dim``."""
    key = []
    for d, n in enumerate(index.shape):
        if d == dim:
            key.append(index)
        else:
            shape = [1] * index.ndim
            shape[d] = n
            key.append(xp.arange(n).reshape(shape))
    return tuple(key)


def _check_bounds(xp, index, size, dim):
    bad = (index < 0) | (index >= size)
    if bad.any():
        raise RuntimeError(f"index {int(index[bad][0])} is out of bounds for dimension {dim} with size {size}")


@primitive(saves=("index",))
class _Gather:
    """x gathered along dim at index (gather, and sort/topk values through their indices)."""
    grad_fn = staticmethod(_name)
    jvp = "linear"

    def forward(xp, x, index, dim, shape, name):
        if x.ndim == 0:
            return x.copy()
        _check_bounds(xp, index, x.shape[dim], dim)
        return x[_along(xp, index, dim)]

    def backward(grad, x, index, dim, shape, name):
        from .._creation import zeros
        return _ScatterAdd.apply(zeros(shape, dtype=grad.dtype), index, grad, dim=dim)


def _pad_to(t, shape):
    """t (a leading block of ``shape``) written into zeros of ``shape``, differentiably."""
    if tuple(t.shape) == tuple(shape):
        return t
    return _BasicScatter.apply(t, key=tuple(slice(0, n) for n in t.shape), shape=tuple(shape))


def _scatter_name(x, index, src, dim, reduce=None):
    if reduce is not None:
        return "NotImplemented"
    return "ScatterBackward1" if not hasattr(src, "_data") else "ScatterBackward0"


@primitive(saves=("index", "src"))
class _Scatter:
    grad_fn = staticmethod(_scatter_name)

    def forward(xp, x, index, src, dim, reduce=None):
        out = x.copy()
        if out.ndim == 0:
            out[...] = src if not hasattr(src, "ndim") or src.ndim == 0 else src.reshape(-1)[0]
            return out
        _check_bounds(xp, index, x.shape[dim], dim)
        if hasattr(src, "ndim") and src.ndim:
            src = src[tuple(slice(0, n) for n in index.shape)]
        key = _along(xp, index, dim)
        if reduce is None:
            out[key] = src
        else:
            (xp.add if reduce == "add" else xp.multiply).at(out, key, src)
        return out

    def backward(grad, x, index, src, dim, reduce=None):
        if reduce is not None:
            raise RuntimeError("the derivative for 'scatter' with reduce is not implemented.")
        gx = _Scatter.apply(grad, index, 0, dim=dim)
        gs = None
        if isinstance(src, Tensor):
            gs = _pad_to(_Gather.apply(grad, index, dim=dim, shape=tuple(grad.shape),
                                       name="GatherBackward0"), src.shape)
        return gx, None, gs

    def jvp(tangents, x, index, src, dim, reduce=None):
        if reduce is not None:
            raise RuntimeError("the derivative for 'scatter' with reduce is not implemented.")
        tx, _, ts = tangents
        if ts is None:
            ts = src * 0 if isinstance(src, Tensor) else 0
        return _Scatter.apply(x * 0 if tx is None else tx, index, ts, dim=dim)


@primitive(saves=("index", "src"))
class _ScatterAdd:
    grad_fn = "ScatterAddBackward0"
    jvp = "linear"

    def forward(xp, x, index, src, dim):
        out = x.copy()
        if out.ndim == 0:
            return out + src.reshape(-1)[:index.size].sum()
        _check_bounds(xp, index, x.shape[dim], dim)
        xp.add.at(out, _along(xp, index, dim), src[tuple(slice(0, n) for n in index.shape)])
        return out

    def backward(grad, x, index, src, dim):
        g = _Gather.apply(grad, index, dim=dim, shape=tuple(grad.shape), name="GatherBackward0")
        return grad, None, _pad_to(g, src.shape)


@primitive(saves=("index",))
class _IndexSelect:
    grad_fn = "IndexSelectBackward0"
    jvp = "linear"

    def forward(xp, x, index, dim, shape):
        if x.ndim == 0:
            return x.copy()
        bad = (index < 0) | (index >= x.shape[dim])
        if bad.any():
            if dim != 1:  # torch's dim-1 kernel has its own message (and error type)
                raise IndexError("index out of range in self")
            raise RuntimeError(f"INDICES element is out of DATA bounds, id={int(index[bad][0])} "
                               f"axis_dim={x.shape[dim]}")
        return xp.take(x, index, axis=dim)

    def backward(grad, x, index, dim, shape):
        from .._creation import zeros
        return _IndexAdd.apply(zeros(shape, dtype=grad.dtype), index, grad, dim=dim)


@primitive(saves=("index",))
class _IndexAdd:
    grad_fn = "IndexAddBackward0"
    jvp = "linear"

    def forward(xp, x, index, src, dim, alpha=1):
        out = x.copy()
        if out.ndim == 0:
            return out + src * alpha
        # moveaxis gives a view, so add.at on it writes into out
        xp.add.at(xp.moveaxis(out, dim, 0), index.reshape(-1),
                  xp.moveaxis(src if alpha == 1 else src * alpha, dim, 0))
        return out

    def backward(grad, x, index, src, dim, alpha=1):
        g = _IndexSelect.apply(grad, index, dim=dim, shape=tuple(grad.shape))
        return grad, None, (g if alpha == 1 else g * alpha)


@primitive(saves=("index",))
class _IndexFill:
    grad_fn = "IndexFillBackward0"

    def forward(xp, x, index, dim, value):
        out = x.copy()
        if out.ndim == 0:
            out[...] = value
        else:
            xp.moveaxis(out, dim, 0)[index.reshape(-1)] = value
        return out

    def backward(grad, x, index, dim, value):
        return _IndexFill.apply(grad, index, dim=dim, value=0), None

    def jvp(tangents, x, index, dim, value):
        return _IndexFill.apply(tangents[0], index, dim=dim, value=0)


def _masked_fill_name(x, mask, value):
    return "MaskedFillBackward1" if hasattr(value, "_data") else "MaskedFillBackward0"


@primitive(saves=("mask", "value"))
class _MaskedFill:
    grad_fn = staticmethod(_masked_fill_name)
    no_edge = (1,)  # the mask; a Python-number value has none either
    scalar_edges = False

    def forward(xp, x, mask, value):
        return xp.where(mask, xp.asarray(value).astype(x.dtype), x)

    def backward(grad, x, mask, value):
        from .pointwise import where
        gv = where(mask, grad, 0.0).sum() if isinstance(value, Tensor) else None
        return where(mask, 0.0, grad), None, gv

    def jvp(tangents, x, mask, value):
        from .pointwise import where
        tx, _, tv = tangents
        if tv is None:
            tv = value * 0 if isinstance(value, Tensor) else 0.0
        return where(mask, tv, x * 0 if tx is None else tx)


# --------------------------------------------------------------------------- x[key]
def _as_index_array(xp, obj):
    """A list / ndarray / Tensor used as an index -> ('mask', bool array) or ('adv', int64 array)."""
    arr = obj._data if isinstance(obj, Tensor) else xp.asarray(obj)
    if arr.dtype.kind in "bu" and (arr.dtype.kind == "b" or isinstance(obj, Tensor)):
        return ("mask", arr.astype(bool))
    if arr.dtype.kind == "i" or (arr.size == 0 and not isinstance(obj, Tensor)):
        return ("adv", arr.astype("int64"))
    raise IndexError("tensors used as indices must be long, int, byte or bool tensors")


def _items(xp, index):
    """The key as a list of ints, slices, None, Ellipsis, ('bool', b), ('mask', a), ('adv', a)."""
    if type(index) is not tuple:
        seqlike = isinstance(index, list) and any(
            isinstance(e, (list, tuple, slice, Tensor)) or e is None or e is Ellipsis for e in index)
        index = tuple(index) if seqlike else (index,)  # torch's legacy reading of x[[0, slice]]
    out = []
    for e in index:
        if e is None or e is Ellipsis:
            out.append(e)
        elif isinstance(e, bool):
            out.append(("bool", e))
        elif isinstance(e, Tensor):
            if e.ndim == 0 and e.dtype.name == "bool":
                out.append(("bool", bool(e.item())))
            elif e.ndim == 0 and not e.dtype.is_floating_point and e.dtype.name != "uint8":
                out.append(int(e.item()))  # a 0-d integer tensor acts as an int (a view, not a copy)
            else:
                out.append(_as_index_array(xp, e))
        elif isinstance(e, slice):
            start, stop, step = (None if v is None else operator.index(v) for v in (e.start, e.stop, e.step))
            if step is not None and step <= 0:
                raise ValueError("step must be greater than zero")
            out.append(slice(start, stop, step))
        elif isinstance(e, (list, tuple, range)) or hasattr(e, "__array__"):
            out.append(_as_index_array(xp, e))
        elif hasattr(e, "__index__"):
            out.append(operator.index(e))
        else:
            raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                             f"Variables are valid indices (got {type(e).__name__})")
    return out


def _parse(xp, shape, index):
    """Split a key into (basic key, name of its last op, advanced entries [(dim in the view, item)])."""
    items = _items(xp, index)
    ndim = len(shape)
    # an int, slice or integer index array uses one dim; a boolean mask uses as many dims as it has
    used = sum(1 if isinstance(e, (int, slice)) else (e[1].ndim if e[0] == "mask" else 1)
               if type(e) is tuple and e[0] != "bool" else 0 for e in items)
    if ndim == 0 and any(isinstance(e, int) for e in items):
        raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                         "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
    if used > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    basic, adv, name = [], [], None
    d_in = d_out = 0
    seen_ellipsis = False
    for e in items:
        if e is Ellipsis:
            n = 0 if seen_ellipsis else ndim - used
            seen_ellipsis = True
            basic.extend([slice(None)] * n)
            d_in += n
            d_out += n
        elif e is None:
            basic.append(None)
            name = "UnsqueezeBackward0"
            d_out += 1
        elif isinstance(e, int):
            size = shape[d_in]
            if not -size <= e < size:
                raise IndexError(f"index {e} is out of bounds for dimension {d_in} with size {size}")
            basic.append(e)
            name = "SelectBackward0"
            d_in += 1
        elif isinstance(e, slice):
            basic.append(e)
            name = "SliceBackward0"
            d_in += 1
            d_out += 1
        elif e[0] == "bool":  # x[True] is x[None][[0]], x[False] is x[None][[]]
            basic.append(None)
            name = "UnsqueezeBackward0"
            adv.append((d_out, ("adv", xp.asarray([0] if e[1] else [], dtype="int64"))))
            d_out += 1
        else:
            k = 1 if e[0] == "adv" else e[1].ndim
            basic.extend([slice(None)] * k)
            adv.append((d_out, e))
            d_in += k
            d_out += k
    return tuple(basic), name, adv


def _adv_key(shape, adv):
    """The advanced entries as one numpy key on a view of ``shape``, checked as torch checks them."""
    key = [slice(None)] * len(shape)
    arrays = []
    for d, (kind, a) in adv:
        if kind == "mask":
            for j, n in enumerate(a.shape):
                if n != shape[d + j]:
                    raise IndexError(f"The shape of the mask {list(a.shape)} at index {j} does not match "
                                     f"the shape of the indexed tensor {list(shape)} at index {d + j}")
            for j, nz in enumerate(a.nonzero()):
                key[d + j] = nz
                arrays.append(nz)
        else:
            size = shape[d]
            bad = (a < -size) | (a >= size)
            if bad.any():
                raise IndexError(f"index {int(a[bad][0])} is out of bounds for dimension {d} with size {size}")
            key[d] = a
            arrays.append(a)
    try:
        broadcast_shapes(*(a.shape for a in arrays))
    except RuntimeError:
        shapes = ", ".join(str(list(a.shape)) for a in arrays)
        raise IndexError(f"shape mismatch: indexing tensors could not be broadcast together with shapes "
                         f"{shapes}") from None
    while key and type(key[-1]) is slice:  # trailing full slices change nothing
        key.pop()
    return tuple(key)


def _trivial(basic):
    return all(type(k) is slice and k == slice(None) for k in basic)


def _getitem(self, index):
    """``x[index]`` with torch's semantics: basic indices give a view, advanced ones a copy."""
    if type(index) is int:  # x[i], the most common key, without the general parse
        shape = self._data.shape
        if shape and -shape[0] <= index < shape[0]:
            return _Select.apply(self, key=(index,), shape=shape, name="SelectBackward0")
    shape = tuple(self.shape)
    basic, name, adv = _parse(_xp(self), shape, index)
    x = self
    if not adv or not _trivial(basic):
        x = _Basic.apply(self, key=basic, shape=shape, name=name or "AliasBackward0")
    if not adv:
        return x
    vshape = tuple(x.shape)
    return _Index.apply(x, key=_adv_key(vshape, adv), shape=vshape)


def _setitem(self, index, value) -> None:
    """``x[index] = value``: writes into x's memory; under autograd an in-place op (CopySlices)."""
    from .._creation import tensor
    basic, _, adv = _parse(_xp(self), tuple(self.shape), index)
    target_shape = self._data[basic + (Ellipsis,)].shape
    key = _adv_key(target_shape, adv) if adv else ()
    if not isinstance(value, Tensor) and (isinstance(value, (list, tuple)) or hasattr(value, "__array__")):
        value = tensor(value, dtype=self.dtype)
    if isinstance(value, Tensor) and value.dtype is not self.dtype and adv and not (
            len(adv) == 1 and adv[0][1][0] == "mask"):  # torch casts only for a lone mask
        from ._registry import _legacy_name
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                           f"{_legacy_name(self.dtype)} for the destination and "
                           f"{_legacy_name(value.dtype)} for the source.")
    if isinstance(value, Tensor):
        value = _check_value(value, self._data[basic + (Ellipsis,)][key].shape if adv else target_shape,
                             bool(adv))
    record = grad_mode.STATE.enabled and (
        self._requires_grad or (isinstance(value, Tensor) and value._requires_grad))
    if record or (_FW.active and _has_tangent(self, value)):  # forward AD needs the op to run
        if record and self.grad_fn is None and self._requires_grad:
            view = "a view of " if not _trivial(basic) else ""
            raise RuntimeError(f"{view}a leaf Variable that requires grad is being used in an in-place "
                               "operation.")
        apply_inplace(lambda x, v: _IndexPut.apply(x, v, basic=basic, adv=key), self, value)
        return
    arr = value._data if isinstance(value, Tensor) else value
    target = self._data[basic + (Ellipsis,)]
    target[key if adv else Ellipsis] = arr
    self._version_counter[0] += 1


def _has_tangent(*tensors) -> bool:
    from ..autograd.forward_ad import get_tangent
    return any(isinstance(t, Tensor) and get_tangent(t) is not None for t in tensors)


def _check_value(value, shape, advanced):
    """torch drops a value's leading size-1 dims, then it must broadcast to the indexed shape."""
    vshape = tuple(value.shape)
    k = 0
    while k < len(vshape) and vshape[k] == 1 and len(vshape) - k > len(shape):
        k += 1
    if k:
        value = value.reshape(vshape[k:])
        vshape = vshape[k:]
    fmt = ", ".join
    ok = len(vshape) <= len(shape) and all(
        v in (1, s) for v, s in zip(vshape[::-1], shape[::-1]))
    if not ok:
        if advanced:
            raise RuntimeError(f"shape mismatch: value tensor of shape [{fmt(map(str, vshape))}] cannot be "
                               f"broadcast to indexing result of shape [{fmt(map(str, shape))}]")
        if len(vshape) > len(shape):
            raise RuntimeError(
                f"expand(torch.FloatTensor{{[{fmt(map(str, vshape))}]}}, size=[{fmt(map(str, shape))}]): "
                f"the number of sizes provided ({len(shape)}) must be greater or equal to the number "
                f"of dimensions in the tensor ({len(vshape)})")
        for i in range(1, len(vshape) + 1):
            if vshape[-i] not in (1, shape[-i]):
                raise RuntimeError(
                    f"The expanded size of the tensor ({shape[-i]}) must match the existing size "
                    f"({vshape[-i]}) at non-singleton dimension {len(shape) - i}.  Target sizes: "
                    f"[{fmt(map(str, shape))}].  Tensor sizes: [{fmt(map(str, vshape))}]")
    return value


# --------------------------------------------------------------------------- gather / scatter / index_*
def _check_index(fn, index, dtypes=("int64",)):
    if index.dtype.name not in dtypes:
        raise RuntimeError(f"{fn}(): Expected dtype int64 for index")


def _check_sizes(input, dim, index, src=None, fn="gather"):
    """torch's rule: index may be smaller than input (and src) in every dim but ``dim``."""
    if index.ndim != input.ndim and input.ndim and index.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as "
                           f"{'input' if fn == 'gather' else 'self'} tensor")
    ish, xsh = list(index.shape), list(input.shape)
    for d, n in enumerate(ish):
        if d == dim or not xsh:
            continue
        if n > xsh[d]:
            if fn == "gather":
                raise RuntimeError(f"Size does not match at dimension {d} expected index {ish} to be no "
                                   f"larger than self {xsh} apart from dimension {dim}")
            raise RuntimeError(f"Expected index {ish} to be no larger than self {xsh} apart from "
                               f"dimension {dim}" + (f" and to be no larger size than src "
                                                     f"{list(src.shape)}" if src is not None else ""))
    if src is not None and src.ndim and any(n > s for n, s in zip(ish, src.shape)):
        raise RuntimeError(f"Expected index {ish} to be no larger than self {xsh} apart from dimension "
                           f"{dim} and to be no larger size than src {list(src.shape)}")


def gather(input, dim, index, *, sparse_grad=False, out=None):
    """out[i][j] = input[i][index[i][j]] (for dim=1): values picked along ``dim``."""
    dim = normalize_dim(dim, input.ndim)
    _check_index("gather", index)
    _check_sizes(input, dim, index)
    return _Gather.apply(input, index, dim=dim, shape=tuple(input.shape), name="GatherBackward0")


def scatter(input, dim, index, src=None, *, value=None, reduce=None, out=None):
    """A copy of input with src (a tensor or a number) written at index along ``dim``."""
    if src is None:
        src = value
    dim = normalize_dim(dim, input.ndim)
    _check_index("scatter", index)
    if reduce is not None and reduce not in ("add", "multiply"):
        raise RuntimeError("reduce argument must be either add or multiply.")
    if isinstance(src, Tensor):
        if src.dtype is not input.dtype:
            raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
        _check_sizes(input, dim, index, src, fn="scatter")
    else:
        _check_sizes(input, dim, index, fn="scatter")
    return _Scatter.apply(input, index, src, dim=dim, reduce=reduce)


def scatter_add(input, dim, index, src):
    """A copy of input with src added at index along ``dim`` (repeated indices accumulate)."""
    dim = normalize_dim(dim, input.ndim)
    _check_index("scatter_add", index)
    if src.dtype is not input.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    _check_sizes(input, dim, index, src, fn="scatter")
    return _ScatterAdd.apply(input, index, src, dim=dim)


def _vector_index(fn, input, index):
    if index.dtype.name not in ("int64", "int32"):
        raise RuntimeError(f"{fn}(): Expected dtype int32 or int64 for index")
    if index.ndim > 1:
        raise IndexError(f"{fn}(): Index is supposed to be a vector")
    if input.ndim == 0 and index.numel() != 1:
        raise RuntimeError(f"{fn}(): Index to scalar can have only 1 value, got {index.numel()} value(s)")
    return index.reshape(-1) if index.ndim == 0 else index


def index_select(input, dim, index, *, out=None):
    """The slices of input at ``index`` (a vector) along ``dim``."""
    dim = normalize_dim(dim, input.ndim)
    index = _vector_index("index_select", input, index)
    return _IndexSelect.apply(input, index, dim=dim, shape=tuple(input.shape))


def index_add(input, dim, index, source, *, alpha=1, out=None):
    """A copy of input with ``alpha * source`` added at ``index`` along ``dim``."""
    dim = normalize_dim(dim, input.ndim)
    index = _vector_index("index_add_", input, index)
    n = source.shape[dim] if source.ndim else 1
    if index.numel() != n:
        raise RuntimeError(f"index_add_(): Number of indices ({index.numel()}) should be equal to "
                           f"source.size(dim): ({n}), for dim: {dim}")
    return _IndexAdd.apply(input, index, source, dim=dim, alpha=alpha)


def index_fill(input, dim, index, value):
    """A copy of input with ``value`` written at ``index`` along ``dim``."""
    dim = normalize_dim(dim, input.ndim)
    index = _vector_index("index_fill_", input, index)
    if hasattr(value, "_data"):
        value = value.item()
    return _IndexFill.apply(input, index, dim=dim, value=value)


def masked_fill(input, mask, value):
    """A copy of input with ``value`` where mask (broadcast) is True."""
    if mask.dtype.name != "bool":
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{_dtype_word(mask)}")
    if isinstance(value, Tensor) and value.ndim:
        raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor "
                           f"with {value.ndim} dimension(s).")
    broadcast_shapes(tuple(mask.shape), tuple(input.shape))
    return _MaskedFill.apply(input, mask, value)


def _dtype_word(t):
    return {"float32": "float", "float64": "double", "int64": "long", "int32": "int",
            "uint8": "unsigned char", "float16": "c10::Half"}.get(t.dtype.name, t.dtype.name)


def masked_select(input, mask, *, out=None):
    """The elements of input where mask (both broadcast) is True, as a 1-D tensor."""
    if mask.dtype.name != "bool":
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    shape = broadcast_shapes(tuple(input.shape), tuple(mask.shape))
    x = input if tuple(input.shape) == shape else input.expand(shape)
    m = _xp(mask).broadcast_to(mask._data, shape)
    if not shape:  # nonzero needs at least one dim
        x, m, shape = x.reshape(1), m.reshape(1), (1,)
    return _Index.apply(x, key=m.nonzero(), shape=shape, name="MaskedSelectBackward0")


def take(input, index):
    """input flattened, read at ``index``; the result has index's shape."""
    n = input.numel()
    bad = (index._data < -n) | (index._data >= n)
    if bad.any():
        raise IndexError(f"out of range: tried to access index {int(index._data[bad][0])} on a tensor of "
                         f"{n} elements.")
    return _Index.apply(input.reshape(-1), key=(index._data,), shape=(n,), name="TakeBackward0")



# --------------------------------------------------------------------------- sort / topk / nonzero
def _sort_indices(xp, a, dim, descending):
    """Stable argsort along dim; descending keeps equal elements in order and puts NaN first."""
    if a.dtype.kind == "b":
        a = a.astype("int8")
    if not descending:
        return xp.argsort(a, axis=dim, kind="stable")
    flipped = xp.flip(a, axis=dim)
    idx = xp.flip(xp.argsort(flipped, axis=dim, kind="stable"), axis=dim)
    return a.shape[dim] - 1 - idx


def sort(input, dim=-1, descending=False, stable=False, *, out=None):
    """(values, indices) of input sorted along ``dim`` (stable; NaN sorts as the largest)."""
    xp = _xp(input)
    dim = normalize_dim(dim, input.ndim)
    if input.ndim == 0:
        idx = xp.zeros((), dtype=xp.int64)
    else:
        idx = _sort_indices(xp, input._data, dim, descending).astype(xp.int64)
    index = Tensor._wrap(idx, int64)
    values = _Gather.apply(input, index, dim=dim, shape=tuple(input.shape), name="SortBackward0")
    return _sort_t(values, index)


def argsort(input, dim=-1, descending=False, stable=False):
    """The indices that sort input along ``dim``."""
    return sort(input, dim, descending, stable).indices


def topk(input, k, dim=-1, largest=True, sorted=True, *, out=None):
    """The k largest (or smallest) elements along ``dim`` and their indices."""
    xp = _xp(input)
    dim = normalize_dim(dim, input.ndim)
    n = input.shape[dim] if input.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError("selected index k out of range")
    if input.ndim == 0:
        idx = xp.zeros((), dtype=xp.int64)
    else:
        idx = _sort_indices(xp, input._data, dim, largest).astype(xp.int64)
        idx = xp.ascontiguousarray(idx[(slice(None),) * dim + (slice(0, k),)])
    index = Tensor._wrap(idx, int64)
    values = _Gather.apply(input, index, dim=dim, shape=tuple(input.shape), name="TopkBackward0")
    return _topk_t(values, index)


def nonzero(input, *, out=None, as_tuple=False):
    """Indices of the non-zero elements: an (n, ndim) tensor, or one 1-D tensor per dim."""
    xp = _xp(input)
    a = input._data
    if a.ndim == 0:
        hits = xp.zeros((1 if a else 0,), dtype=xp.int64)
        if as_tuple:
            return (Tensor._wrap(hits, int64),)
        return Tensor._wrap(xp.zeros((hits.size, 0), dtype=xp.int64), int64)
    nz = [i.astype(xp.int64) for i in a.nonzero()]
    if as_tuple:
        return tuple(Tensor._wrap(i, int64) for i in nz)
    return Tensor._wrap(xp.stack(nz, axis=1), int64)


# --------------------------------------------------------------------------- methods
def bind(T) -> None:
    """x[key], x[key] = v and the in-place forms."""
    T.__getitem__ = _getitem
    T.__setitem__ = _setitem
    T.masked_fill_ = lambda self, mask, value: apply_inplace(masked_fill, self, mask, value)
    T.scatter_ = lambda self, dim, index, src=None, *, value=None, reduce=None: apply_inplace(
        scatter, self, dim, index, src, value=value, reduce=reduce)
    T.scatter_add_ = lambda self, dim, index, src: apply_inplace(scatter_add, self, dim, index, src)
    T.index_fill_ = lambda self, dim, index, value: apply_inplace(index_fill, self, dim, index, value)
    T.index_add_ = lambda self, dim, index, source, *, alpha=1: apply_inplace(
        index_add, self, dim, index, source, alpha=alpha)
