"""Shape and movement ops: view/reshape, squeeze, expand, permute/transpose, flip/roll, tril/triu, narrow.

Most of these are views: the output shares memory (and the version counter) with the input, which the
``view=True`` flag on the primitive records. Their forwards never copy; their backwards move the
gradient back into the input's shape with other movement ops, so double backward works. Joining and
splitting (cat, stack, split, chunk, unbind, ...) live in ``_join.py`` and are re-exported from here.
"""
from __future__ import annotations

import warnings

from . import _join
from ._join import *  # cat, stack, split, ... are part of this family
from ._registry import _legacy_name, primitive
from ._utils import broadcast_shapes, normalize_dim, normalize_dims

__all__ = [
    "broadcast_tensors", "broadcast_to", "contiguous", "diagonal", "expand", "expand_as", "flatten",
    "flip", "fliplr", "flipud", "moveaxis", "movedim", "narrow", "permute", "reshape", "roll",
    "squeeze", "swapaxes", "swapdims", "t", "transpose", "tril", "triu", "unflatten", "unsqueeze",
] + _join.__all__


# --------------------------------------------------------------------------- shapes and strides
def _sizes(sizes):
    """f(2, 3), f((2, 3)), f([2, 3]) and f(Size) all mean the same shape, as in torch."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    return tuple(int(s) for s in sizes)


def _fmt(shape) -> str:
    return f"[{', '.join(map(str, shape))}]"


def _infer_shape(shape, numel):
    """Fill in the one ``-1`` of a requested shape, with torch's errors for impossible shapes."""
    shape = list(shape)
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for i, s in enumerate(shape):
        if s != -1:
            if s < 0:
                raise RuntimeError(f"invalid shape dimension {s} at index {i} of shape {_fmt(shape)}")
            known *= s
    if neg:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{_fmt(shape)}' is invalid for input of size {numel}")
        shape[neg[0]] = numel // known
    elif known != numel:
        raise RuntimeError(f"shape '{_fmt(shape)}' is invalid for input of size {numel}")
    return tuple(shape)


def _view_strides(shape, strides, new_shape):
    """The strides a view of ``new_shape`` would need, or None when no view can express it.

    The input's dims are grouped into chunks whose elements lie at one regular step in memory
    (dim i-1's stride equals dim i's stride times its size). A view can merge or split dims only
    inside a chunk; a new dim that would span two chunks needs a copy. Size-1 dims fit anywhere.
    """
    numel = 1
    for s in shape:
        numel *= s
    if numel == 0 or not shape:
        return _contiguous_strides(new_shape)
    new_strides = [0] * len(new_shape)
    view_d = len(new_shape) - 1
    chunk_stride = strides[-1]   # the step of the innermost dim of the current chunk
    tensor_numel = view_numel = 1
    for d in range(len(shape) - 1, -1, -1):
        tensor_numel *= shape[d]
        chunk_ends = d == 0 or (shape[d - 1] != 1 and strides[d - 1] != tensor_numel * chunk_stride)
        if chunk_ends:
            while view_d >= 0 and (view_numel < tensor_numel or new_shape[view_d] == 1):
                new_strides[view_d] = view_numel * chunk_stride
                view_numel *= new_shape[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return None
            if d > 0:
                chunk_stride = strides[d - 1]
                tensor_numel = view_numel = 1
    return tuple(new_strides) if view_d == -1 else None


def _contiguous_strides(shape):
    out, step = [], 1
    for s in reversed(shape):
        out.append(step)
        step *= max(s, 1)
    return tuple(reversed(out))


# --------------------------------------------------------------------------- view / reshape
@primitive(view=True, saves=())
class View:
    jvp = "linear"
    array_backward = True  # (its backward's grad.reshape runs on arrays too)
    def forward(xp, x, shape, in_shape=None):
        return x.reshape(shape)  # NumPy returns a view whenever the strides allow (checked before)

    def backward(grad, x, shape, in_shape=None):
        return grad.reshape(in_shape)


@primitive(view=True, saves=())
class ReshapeAlias(View.cls):
    """reshape of a non-contiguous tensor that a view can still express (torch's _reshape_alias)."""


@primitive(saves=())
class UnsafeView(View.cls):
    """reshape of the contiguous copy that reshape makes when no view is possible."""


@primitive(saves=())
class Contiguous:
    grad_fn = "CloneBackward0"
    jvp = "linear"
    array_backward = True

    def forward(xp, x):
        return x.copy(order="C")

    def backward(grad, x):
        return grad


@primitive(view=True)
class ViewDtype:
    def forward(xp, x, dtype):
        return x.view(dtype)


def _view(input, *shape):
    """Tensor.view(*shape) or Tensor.view(dtype): a tensor sharing memory with ``input``."""
    from .._dtype import dtype as _dt
    from .._dtype import to_dtype
    if len(shape) == 1 and (isinstance(shape[0], _dt) or shape[0] in (float, int, bool)):
        return _view_dtype(input, to_dtype(shape[0]))
    new = _infer_shape(_sizes(shape), input.numel())
    if _view_strides(tuple(input.shape), input.stride(), new) is None:
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one dimension "
            "spans across two contiguous subspaces). Use .reshape(...) instead.")
    return View.apply(input, shape=new, in_shape=tuple(input.shape))


def _view_dtype(input, dt):
    old, new = input.dtype.itemsize, dt.itemsize
    if old != new and input.ndim:
        n = input.shape[-1]
        if new > old and n % (new // old):
            raise RuntimeError(
                f"self.size(-1) must be divisible by {new // old} to view {_legacy_name(input.dtype)} as "
                f"{_legacy_name(dt)} (different element sizes), but got {n}")
        if input.stride(-1) != 1:
            raise RuntimeError("self.stride(-1) must be 1 to view "
                               f"{_legacy_name(input.dtype)} as {_legacy_name(dt)} (different element "
                               "sizes), but got " + str(input.stride(-1)))
    elif old != new:
        raise RuntimeError(f"self.dim() cannot be 0 to view {_legacy_name(input.dtype)} as "
                           f"{_legacy_name(dt)} (different element sizes)")
    return ViewDtype.apply(input, dtype=dt.np)


def reshape(input, *shape):
    """A tensor of ``shape`` with input's elements: a view when the strides allow, else a copy."""
    new = _infer_shape(_sizes(shape), input.numel())
    in_shape = tuple(input.shape)
    if input.is_contiguous():
        return View.apply(input, shape=new, in_shape=in_shape)
    if _view_strides(in_shape, input.stride(), new) is not None:
        return ReshapeAlias.apply(input, shape=new, in_shape=in_shape)
    return UnsafeView.apply(Contiguous.apply(input), shape=new, in_shape=in_shape)


def flatten(input, start_dim: int = 0, end_dim: int = -1):
    """Merge dims ``start_dim..end_dim`` into one (a view when possible, like reshape)."""
    if input.ndim == 0:
        return reshape(input, 1)
    start, end = normalize_dim(start_dim, input.ndim), normalize_dim(end_dim, input.ndim)
    if start > end:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if start == end:
        return input  # torch returns the tensor itself
    shape = tuple(input.shape)
    n = 1
    for s in shape[start:end + 1]:
        n *= s
    return reshape(input, shape[:start] + (n,) + shape[end + 1:])


def unflatten(input, dim: int, sizes):
    """Split dim ``dim`` into ``sizes`` (one of which may be -1)."""
    d = normalize_dim(dim, input.ndim)
    sizes = tuple(int(s) for s in sizes)
    n = input.shape[d]
    known = 1
    for s in sizes:
        if s != -1:
            known *= s
    if (-1 in sizes and (known == 0 or n % known)) or (-1 not in sizes and known != n):
        raise RuntimeError(f"unflatten: Provided sizes {_fmt(sizes)} don't multiply up to the size of "
                           f"dim {dim} ({n}) in the input tensor")
    shape = tuple(input.shape)
    return _view(input, shape[:d] + sizes + shape[d + 1:])


def contiguous(input, memory_format=None):
    """``input`` itself when already contiguous, else a contiguous copy (CloneBackward0)."""
    return input if input.is_contiguous() else Contiguous.apply(input)


# --------------------------------------------------------------------------- squeeze / unsqueeze
def _squeeze_name(x, shape, in_shape, dims):
    return "SqueezeBackward0" if dims is None else (
        "SqueezeBackward1" if isinstance(dims, int) else "SqueezeBackward2")


@primitive(view=True, saves=())
class Squeeze:
    grad_fn = staticmethod(_squeeze_name)
    jvp = "linear"
    array_backward = True

    def forward(xp, x, shape, in_shape, dims):
        return x.reshape(shape)  # only size-1 dims go, so this is always a view

    def backward(grad, x, shape, in_shape, dims):
        return grad.reshape(in_shape)


def squeeze(input, dim=None):
    """Remove size-1 dims: all of them, or those among ``dim`` (an int or a tuple)."""
    shape = tuple(input.shape)
    if dim is None:
        keep = [s for s in shape if s != 1]
        tag = None
    else:
        dims = normalize_dims(dim, input.ndim)
        keep = [s for i, s in enumerate(shape) if not (i in dims and s == 1)]
        tag = dim if isinstance(dim, int) else tuple(dims)
    return Squeeze.apply(input, shape=tuple(keep), in_shape=shape, dims=tag)


@primitive(view=True, saves=())
class Unsqueeze:
    jvp = "linear"
    array_backward = True
    def forward(xp, x, dim):
        return xp.expand_dims(x, dim)

    def backward(grad, x, dim):
        return grad.squeeze(dim)


def unsqueeze(input, dim: int):
    """Insert a size-1 dim at ``dim``."""
    return Unsqueeze.apply(input, dim=normalize_dim(dim, input.ndim + 1))


# --------------------------------------------------------------------------- expand / repeat
@primitive(view=True, saves=())
class Expand:
    jvp = "linear"
    array_backward = True
    def forward(xp, x, shape):
        return xp.broadcast_to(x, shape)  # read-only in NumPy: expanded tensors are not written to

    def backward(grad, x, shape):
        return grad  # summed back to x's shape by the registry


def expand(input, *sizes):
    """A view with size-1 dims stretched (stride 0) to ``sizes``; -1 keeps a dim's size."""
    sizes = _sizes(sizes)
    shape = tuple(input.shape)
    if len(sizes) < len(shape):
        raise RuntimeError(
            f"expand(torch.{_legacy_name(input.dtype)}Tensor{{{_fmt(shape)}}}, size={_fmt(sizes)}): the "
            f"number of sizes provided ({len(sizes)}) must be greater or equal to the number of "
            f"dimensions in the tensor ({len(shape)})")
    lead = len(sizes) - len(shape)
    out = []
    for i in reversed(range(len(sizes))):  # torch checks from the last dim and names the first failure
        s = sizes[i]
        if i < lead:
            if s < 0:
                raise RuntimeError(f"The expanded size of the tensor ({s}) isn't allowed in a leading, "
                                   f"non-existing dimension {i}")
            out.append(s)
            continue
        have = shape[i - lead]
        if s == -1:
            s = have
        elif have != 1 and s != have:
            raise RuntimeError(
                f"The expanded size of the tensor ({s}) must match the existing size ({have}) at "
                f"non-singleton dimension {i}.  Target sizes: {_fmt(sizes)}.  Tensor sizes: {_fmt(shape)}")
        out.append(s)
    return Expand.apply(input, shape=tuple(reversed(out)))


def expand_as(input, other):
    return expand(input, tuple(other.shape))


def broadcast_to(input, size):
    """torch.broadcast_to: expand to ``size``."""
    return expand(input, tuple(size))


def broadcast_tensors(*tensors):
    """Expand every tensor to their common broadcast shape (tensors already of that shape are kept)."""
    if len(tensors) == 1 and isinstance(tensors[0], (tuple, list)):
        tensors = tuple(tensors[0])
    shape = broadcast_shapes(*(tuple(t.shape) for t in tensors))
    return tuple(t if tuple(t.shape) == shape else Expand.apply(t, shape=shape) for t in tensors)


@primitive(saves=())
class Repeat:
    jvp = "linear"
    def forward(xp, x, repeats, in_shape):
        return xp.tile(x, repeats)

    def backward(grad, x, repeats, in_shape):
        # split each output dim into (repeat, size) and sum over the repeat halves
        shape = (1,) * (len(repeats) - len(in_shape)) + tuple(in_shape)
        split = []
        for r, s in zip(repeats, shape):
            split += [r, s]
        g = grad.reshape(split).sum(dim=tuple(range(0, len(split), 2)))
        return g.reshape(in_shape)


def _repeat(input, *repeats):
    """Tensor.repeat(*repeats): tile the tensor ``repeats[i]`` times along dim i (a copy)."""
    repeats = _sizes(repeats)
    if len(repeats) < input.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of "
                           "dimensions of tensor")
    shape = (1,) * (len(repeats) - input.ndim) + tuple(input.shape)
    out = [r * s for r, s in zip(repeats, shape)]
    if any(r < 0 for r in repeats):
        raise RuntimeError(f"Trying to create tensor with negative dimension "
                           f"{min(o for o in out)}: {_fmt(out)}")
    return Repeat.apply(input, repeats=repeats, in_shape=tuple(input.shape))


# --------------------------------------------------------------------------- transpose / permute
@primitive(view=True, saves=())
class Transpose:
    jvp = "linear"
    def forward(xp, x, dim0, dim1):
        return xp.swapaxes(x, dim0, dim1)

    def backward(grad, x, dim0, dim1):
        return transpose(grad, dim0, dim1)

    @staticmethod
    def array_backward(grad, x, dim0, dim1):  # backward's numbers on arrays
        return grad.swapaxes(dim0, dim1)


@primitive(view=True, saves=())
class T:
    grad_fn = "TBackward0"
    jvp = "linear"

    def forward(xp, x):
        return x.T

    def backward(grad, x):
        return t(grad)

    @staticmethod
    def array_backward(grad, x):
        return grad.T


@primitive(view=True, saves=())
class Permute:
    jvp = "linear"
    def forward(xp, x, dims):
        return xp.transpose(x, dims)

    def backward(grad, x, dims):
        inverse = [0] * len(dims)
        for i, d in enumerate(dims):
            inverse[d] = i
        return grad.permute(inverse)


def transpose(input, dim0: int, dim1: int):
    """Swap two dims (a view)."""
    n = input.ndim
    return Transpose.apply(input, dim0=normalize_dim(dim0, n), dim1=normalize_dim(dim1, n))


swapaxes = swapdims = transpose


def t(input):
    """Transpose a 2-D tensor; 0-D and 1-D tensors come back as (views of) themselves."""
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input.ndim}D")
    return T.apply(input)


def permute(input, *dims):
    """Reorder the dims (a view): ``dims[i]`` is the input dim that becomes dim i."""
    dims = _sizes(dims)
    if len(dims) != input.ndim:
        raise RuntimeError(
            "permute(sparse_coo): number of dimensions in the tensor input does not match the length of "
            f"the desired ordering of dimensions i.e. input.dim() = {input.ndim} is not equal to "
            f"len(dims) = {len(dims)}")
    dims = tuple(normalize_dim(d, input.ndim) for d in dims)
    if len(set(dims)) != len(dims):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return Permute.apply(input, dims=dims)


def movedim(input, source, destination):
    """Move dims ``source`` to positions ``destination`` (ints or sequences); the rest keep order."""
    src = (source,) if isinstance(source, int) else tuple(source)
    dst = (destination,) if isinstance(destination, int) else tuple(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} dims) "
                           f"should contain the same number of dims as destination ({list(dst)} dims)")
    n = input.ndim
    src = [normalize_dim(d, n) for d in src]
    dst = [normalize_dim(d, n) for d in dst]
    order = [None] * n
    for s, d in zip(src, dst):
        order[d] = s
    rest = iter(d for d in range(n) if d not in src)
    order = [o if o is not None else next(rest) for o in order]
    return Permute.apply(input, dims=tuple(order))


moveaxis = movedim


def _T(self):
    if self.ndim != 2:
        warnings.warn("The use of `x.T` on tensors of dimension other than 2 to reverse their shape is "
                      "deprecated and it will throw an error in a future release. Consider `x.mT` to "
                      "transpose batches of matrices or `x.permute(*torch.arange(x.ndim - 1, -1, -1))` "
                      "to reverse the dimensions of a tensor.", UserWarning, stacklevel=2)
    return Permute.apply(self, dims=tuple(range(self.ndim - 1, -1, -1)))


def _mT(self):
    if self.ndim < 2:
        raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. Got "
                           f"{self.ndim}-D tensor.")
    return transpose(self, -2, -1)


# --------------------------------------------------------------------------- narrow / diagonal
@primitive(view=True, saves=())
class Slice:
    jvp = "linear"
    def forward(xp, x, dim, start, length, in_size):
        return x[(slice(None),) * dim + (slice(start, start + length),)]

    def backward(grad, x, dim, start, length, in_size):
        return SliceScatter.apply(grad, dim=dim, start=start, length=length, in_size=in_size)


@primitive(saves=())
class SliceScatter:
    """Backward of a slice: the gradient placed into zeros of the input's shape."""
    grad_fn = "SliceBackwardBackward0"
    jvp = "linear"

    def forward(xp, g, dim, start, length, in_size):
        shape = list(g.shape)
        shape[dim] = in_size
        out = xp.zeros(shape, dtype=g.dtype)
        out[(slice(None),) * dim + (slice(start, start + length),)] = g
        return out

    def backward(grad, g, dim, start, length, in_size):
        return Slice.apply(grad, dim=dim, start=start, length=length, in_size=in_size)


def narrow(input, dim: int, start, length: int):
    """A view of ``length`` elements of dim ``dim`` from ``start`` (SliceBackward0)."""
    if input.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = normalize_dim(dim, input.ndim)
    size = input.shape[d]
    start = int(start)
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], but got "
                         f"{start})")
    if start < 0:
        start += size
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return Slice.apply(input, dim=d, start=start, length=int(length), in_size=size)


@primitive(view=True, saves=())
class Diagonal:
    jvp = "linear"
    def forward(xp, x, offset, dim1, dim2, in_shape):
        d = xp.diagonal(x, offset, dim1, dim2)
        d.flags.writeable = True  # NumPy marks diagonals read-only; torch's are ordinary views
        return d

    def backward(grad, x, offset, dim1, dim2, in_shape):
        return DiagonalScatter.apply(grad, offset=offset, dim1=dim1, dim2=dim2, in_shape=in_shape)


@primitive(saves=())
class DiagonalScatter:
    """Backward of diagonal: the gradient written on the diagonal of zeros of the input's shape."""
    grad_fn = "DiagonalBackwardBackward0"
    jvp = "linear"

    def forward(xp, g, offset, dim1, dim2, in_shape):
        out = xp.zeros(in_shape, dtype=g.dtype)
        d = xp.diagonal(out, offset, dim1, dim2)
        d.flags.writeable = True
        d[...] = g
        return out

    def backward(grad, g, offset, dim1, dim2, in_shape):
        return Diagonal.apply(grad, offset=offset, dim1=dim1, dim2=dim2, in_shape=in_shape)


def diagonal(input, offset: int = 0, dim1: int = 0, dim2: int = 1):
    """A view of the diagonal at ``offset`` of the planes spanned by ``dim1`` and ``dim2``."""
    n = input.ndim
    d1, d2 = normalize_dim(dim1, n), normalize_dim(dim2, n)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return Diagonal.apply(input, offset=offset, dim1=d1, dim2=d2, in_shape=tuple(input.shape))


# --------------------------------------------------------------------------- flip / roll / tril / triu
@primitive(saves=())
class Flip:
    jvp = "linear"
    def forward(xp, x, dims):
        return xp.flip(x, dims).copy()  # torch's flip is a copy, not a negative-stride view

    def backward(grad, x, dims):
        return flip(grad, dims)


def flip(input, *dims):
    """Reverse the order of elements along ``dims`` (a copy); x.flip(0, 1) or flip(x, (0, 1))."""
    if not dims:
        raise TypeError('flip() missing 1 required positional arguments: "dims"')
    dims = normalize_dims(_sizes(dims), input.ndim)
    return Flip.apply(input, dims=dims)


def fliplr(input):
    if input.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, (1,))


def flipud(input):
    if input.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, (0,))


@primitive(saves=())
class Roll:
    jvp = "linear"
    def forward(xp, x, shifts, dims):
        if dims is None:  # roll the flattened tensor, then restore the shape
            return xp.roll(x.reshape(-1), shifts[0]).reshape(x.shape)
        return xp.roll(x, shifts, dims)

    def backward(grad, x, shifts, dims):
        return Roll.apply(grad, shifts=tuple(-s for s in shifts), dims=dims)


def roll(input, shifts, dims=None):
    """Shift elements cyclically by ``shifts`` along ``dims`` (all elements, flattened, if None)."""
    shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:0")
        return Roll.apply(input, shifts=shifts, dims=None)
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}")
    return Roll.apply(input, shifts=shifts, dims=tuple(normalize_dim(d, input.ndim) for d in dims))


@primitive(saves=())
class Tril:
    jvp = "linear"
    def forward(xp, x, diagonal):
        return xp.tril(x, diagonal)

    def backward(grad, x, diagonal):
        return tril(grad, diagonal)


@primitive(saves=())
class Triu:
    jvp = "linear"
    def forward(xp, x, diagonal):
        return xp.triu(x, diagonal)

    def backward(grad, x, diagonal):
        return triu(grad, diagonal)


def tril(input, diagonal: int = 0):
    """The lower triangle of the last two dims (on and below ``diagonal``), zeros elsewhere."""
    if input.ndim < 2:
        raise RuntimeError("tril: input tensor must have at least 2 dimensions")
    return Tril.apply(input, diagonal=diagonal)


def triu(input, diagonal: int = 0):
    """The upper triangle of the last two dims (on and above ``diagonal``), zeros elsewhere."""
    if input.ndim < 2:
        raise RuntimeError("triu: input tensor must have at least 2 dimensions")
    return Triu.apply(input, diagonal=diagonal)


# --------------------------------------------------------------------------- Tensor methods
def bind(Tensor) -> None:
    """Method-only names and properties (no torch.view / torch.repeat functions exist)."""
    Tensor.view = _view
    Tensor.view_as = lambda self, other: _view(self, tuple(other.shape))
    Tensor.reshape_as = lambda self, other: reshape(self, tuple(other.shape))
    Tensor.repeat = _repeat
    Tensor.T = property(_T)
    Tensor.mT = property(_mT)
    Tensor.H = property(_T)   # real tensors only: the conjugate is the tensor itself
    Tensor.mH = property(_mT)
