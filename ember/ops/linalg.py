"""Matrix products: matmul (the ``@`` operator) and the ops it is built from, outer/inner, einsum.

``matmul`` follows torch's dispatch, so that results print the same ``grad_fn``: 1-D·1-D is ``dot``,
2-D·1-D ``mv``, 2-D·2-D ``mm``; an N-D operand against a matrix or vector is folded into one big 2-D
product, and the general batched case is a ``bmm`` over the broadcast batch.

Every gradient is itself a matrix product (``dA = dC @ Bᵀ``, ``dB = Aᵀ @ dC``) written in ember ops,
so double backward works. The small private primitives at the top (transpose of the last two dims,
reshape, expand, clone) let this file stand on its own and carry torch's grad_fn names.
"""
from __future__ import annotations

from ._registry import primitive
from ._utils import broadcast_shapes, cpp_name

__all__ = [
    "addmm",
    "baddbmm",
    "bmm",
    "dot",
    "einsum",
    "ger",
    "inner",
    "matmul",
    "mm",
    "mv",
    "outer",
    "vdot",
]

# torch's legacy spelling of a dtype in error messages (its C++ names: _utils.cpp_name)
_LEGACY = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
           "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
           "bool": "Bool"}


def _legacy(t) -> str:
    return _LEGACY.get(t.dtype.name, t.dtype.name)


def _dims(shape) -> str:
    return "x".join(str(s) for s in shape)


# --------------------------------------------------------------------------- private shape helpers
def _swap(a):
    """An array's mT (the array twin of _mT, for the backward formulas that run on arrays)."""
    return a.swapaxes(-1, -2)


@primitive(saves=())
class _SwapLast:
    """x.mT: swap the last two dims (a view in NumPy)."""
    grad_fn = "TransposeBackward0"
    jvp = "linear"

    def forward(xp, x):
        return xp.swapaxes(x, -1, -2)

    def backward(grad, x):
        return _mT(grad)


@primitive(saves=())
class _Reshape:
    """A reshape carrying the grad_fn name torch's matmul shows at that point (UnsafeView, Squeeze)."""
    grad_fn = staticmethod(lambda x, shape, src, name: name)
    jvp = "linear"

    def forward(xp, x, shape, src, name):
        return x.reshape(shape)

    def backward(grad, x, shape, src, name):
        return _reshape(grad, src)


@primitive(saves=())
class _Expand:
    grad_fn = "ExpandBackward0"
    jvp = "linear"

    def forward(xp, x, shape):
        return xp.broadcast_to(x, shape)

    def backward(grad, x, shape):
        return grad  # the registry sums the broadcast dims back to x's shape


@primitive(saves=())
class _Clone:
    grad_fn = "CloneBackward0"
    jvp = "linear"

    def forward(xp, x):
        return xp.ascontiguousarray(x).copy()

    def backward(grad, x):
        return grad


def _mT(x):
    return _SwapLast.apply(x)


def _reshape(x, shape, name="ViewBackward0", force=False):
    shape = tuple(shape)
    if tuple(x.shape) == shape and not force:
        return x
    return _Reshape.apply(x, shape=shape, src=tuple(x.shape), name=name)


def _prod(shape) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


# --------------------------------------------------------------------------- the products
_FEEDS_OTHER = {"x": ("y",), "y": ("x",)}  # each factor is saved only for the other's gradient


@primitive
class Dot:
    jvp = "multilinear"
    needed_for = _FEEDS_OTHER

    def forward(xp, x, y):
        return xp.dot(x, y)

    def backward(grad, x, y):
        return (None if y is None else grad * y), (None if x is None else grad * x)


class _VdotCls(Dot.cls):
    grad_fn = "VdotBackward0"  # for real tensors vdot is dot; only the name differs


Vdot = primitive(_VdotCls)


@primitive
class Mv:
    jvp = "multilinear"
    needed_for = _FEEDS_OTHER

    def forward(xp, x, y):
        return x @ y

    def backward(grad, x, y):
        # dA[i, j] = grad[i] * v[j] (an outer product, as a broadcast multiply); dv = Aᵀ @ grad
        gx = None if y is None else _reshape(grad, (grad.shape[0], 1)) * y
        gy = None if x is None else Mv.apply(_mT(x), grad)
        return gx, gy

    @staticmethod
    def array_backward(grad, x, y):  # backward's numbers on arrays (no graph to build)
        return (None if y is None else grad.reshape(grad.shape[0], 1) * y), (
            None if x is None else _swap(x) @ grad)


@primitive
class Mm:
    jvp = "multilinear"
    needed_for = _FEEDS_OTHER

    def forward(xp, x, y):
        return x @ y

    def backward(grad, x, y):
        return (None if y is None else _mm_grad_x(grad, y)), (None if x is None else _mm_grad_y(grad, x))

    @staticmethod
    def array_backward(grad, x, y):
        return (None if y is None else grad @ _swap(y)), (None if x is None else _swap(x) @ grad)


def _column_major(t) -> bool:
    s = t.stride()
    return s[0] == 1 and s[1] != 1


def _mm_grad_x(grad, y):
    """grad @ yᵀ, laid out like x: column-major when x is (a transposed view), as torch does, so it
    reaches x (its transpose's grad, a parameter's .grad) without a transposing copy."""
    return Mm.apply(grad, _mT(y))


def _mm_grad_y(grad, x, y_column_major=False):
    """xᵀ @ grad; for a column-major y (``x @ W.t()`` in Linear) as (gradᵀ @ x)ᵀ, so that W.grad
    comes out row-major like W (torch's mm_mat2_backward makes the same choice)."""
    if y_column_major:
        return _mT(Mm.apply(_mT(grad), x))
    return Mm.apply(_mT(x), grad)


@primitive
class Bmm:
    jvp = "multilinear"
    needed_for = _FEEDS_OTHER

    def forward(xp, x, y):
        return x @ y

    def backward(grad, x, y):
        return (None if y is None else Bmm.apply(grad, _mT(y))), (
            None if x is None else Bmm.apply(_mT(x), grad))

    array_backward = Mm.cls.array_backward


def _check_dot(name, input, other):
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {other.ndim}D tensors")
    if input.dtype is not other.dtype:
        raise RuntimeError(f"{name} : expected both vectors to have same dtype, but found "
                           f"{_legacy(input)} and {_legacy(other)}")
    if input.shape[0] != other.shape[0]:
        n, m = input.shape[0], other.shape[0]
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{n}] and src [{m}] to have the "
                           f"same number of elements, but got {n} and {m} elements respectively")


def dot(input, other):
    """Inner product of two 1-D tensors of the same dtype and length (``torch.dot``)."""
    _check_dot("dot", input, other)
    return Dot.apply(input, other)


def vdot(input, other):
    """``torch.vdot``: for real tensors the same as ``dot``."""
    _check_dot("dot", input, other)
    return Vdot.apply(input, other)


def mm(input, mat2):
    """Matrix product of two 2-D tensors (``torch.mm``); no broadcasting."""
    if input.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    _check_mm(input, mat2)
    return Mm.apply(input, mat2)


def _check_mm(a, b):
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({_dims(a.shape)} and "
                           f"{_dims(b.shape)})")
    if a.dtype is not b.dtype:
        raise RuntimeError("expected m1 and m2 to have the same dtype, but got: "
                           f"{cpp_name(a.dtype)} != {cpp_name(b.dtype)}")
    if a.dtype.name == "bool":
        raise NotImplementedError("\"addmm_impl_cpu_\" not implemented for 'Bool'")


def mv(input, vec):
    """Matrix-vector product: a 2-D tensor times a 1-D tensor (``torch.mv``)."""
    if input.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {input.ndim}, {vec.ndim}")
    if input.dtype is not vec.dtype:
        raise RuntimeError("addmv input tensors must have the same dtype, but got "
                           f"{_legacy(vec)}, {_legacy(input)}, and {_legacy(vec)}")
    if input.shape[1] != vec.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({input.shape[0]}), mat ({_dims(input.shape)}), "
                           f"vec ({vec.shape[0]})")
    return Mv.apply(input, vec)


def bmm(input, mat2):
    """Batched matrix product of two 3-D tensors with the same batch size (``torch.bmm``)."""
    if input.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if mat2.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    _check_bmm(input, mat2)
    return Bmm.apply(input, mat2)


def _check_bmm(a, b):
    if a.dtype is not b.dtype:
        raise RuntimeError(f"expected scalar type {_legacy(a)} but found {_legacy(b)}")
    if b.shape[0] != a.shape[0] or b.shape[1] != a.shape[2]:
        raise RuntimeError("Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{a.shape[0]}, {a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}].")


def matmul(input, other):
    """Matrix product with torch's rules for 1-D operands and broadcast batch dims (``torch.matmul``).

    1-D·1-D is ``dot``; 2-D·1-D is ``mv``; a 1-D first operand is treated as a row (and the added
    dim removed again); N-D operands broadcast their batch dims (all but the last two).
    """
    a, b = input, other
    da, db = a.ndim, b.ndim
    if da == 0 or db == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {da}D and {db}D")
    if da == 1 and db == 1:
        return dot(a, b)
    if da == 2 and db == 1:
        return mv(a, b)
    if da == 1 and db == 2:
        row = _reshape(a, (1, a.shape[0]), "UnsqueezeBackward0")
        return _reshape(mm(row, b), (b.shape[1],), "SqueezeBackward4")
    if da == 2 and db == 2:
        return mm(a, b)

    a_batch = a.shape[:-2] if da >= 2 else ()
    b_batch = b.shape[:-2] if db >= 2 else ()
    batch = broadcast_shapes(a_batch, b_batch)
    out_shape = batch + ((a.shape[-2],) if da >= 2 else ()) + ((b.shape[-1],) if db >= 2 else ())

    if da >= 3 and _prod(b_batch) == 1 and _prod(batch) == _prod(a_batch):
        # Fold: (..., n, k) against one matrix or vector is a single (batch*n, k) product
        flat = _reshape(a, (_prod(a.shape[:-1]), a.shape[-1]))
        mat = b if db <= 2 else _reshape(b, b.shape[-2:])
        prod = mv(flat, mat) if db == 1 else mm(flat, mat)
        return _reshape(prod, out_shape, "UnsafeViewBackward0")

    if db >= 3 and _prod(a_batch) == 1 and _prod(batch) == _prod(b_batch):
        # Fold the other way: (a @ b)ᵀ = bᵀ @ aᵀ, with bᵀ flattened to (batch*m, k)
        if da >= 3:
            a = _reshape(a, a.shape[-2:])
            da = 2
        k = a.shape[-1]
        if b.shape[-2] != k:
            raise RuntimeError("Expected size for first two dimensions of batch2 tensor to be: "
                               f"[{_prod(batch)}, {k}] but got: [{_prod(batch)}, {b.shape[-2]}].")
        b_t = _reshape(_mT(b), (_prod(b_batch) * b.shape[-1], b.shape[-2]))
        if da == 1:
            return _reshape(mv(b_t, a), out_shape, "UnsafeViewBackward0")
        prod = _reshape(mm(b_t, _mT(a)), b_batch + (b.shape[-1], a.shape[-2]), "UnsafeViewBackward0")
        return _reshape(_Clone.apply(_mT(prod)), out_shape, "UnsafeViewBackward0")

    # General case: broadcast both batches, flatten them to one, and bmm
    a3 = _reshape(a, (1, a.shape[0]), "UnsqueezeBackward0") if da == 1 else a
    b3 = _reshape(b, (b.shape[0], 1), "UnsqueezeBackward0") if db == 1 else b
    n, k, m = a3.shape[-2], a3.shape[-1], b3.shape[-1]
    if tuple(a3.shape[:-2]) != batch:
        a3 = _Expand.apply(a3, shape=batch + (n, k))
    if tuple(b3.shape[:-2]) != batch:
        b3 = _Expand.apply(b3, shape=batch + (b3.shape[-2], m))
    B = _prod(batch)
    prod = bmm(_reshape(a3, (B, n, k)), _reshape(b3, (B, b3.shape[-2], m)))
    return _reshape(prod, out_shape, "UnsafeViewBackward0", force=True)


def outer(input, vec2):
    """Outer product of two 1-D tensors; torch computes it as a broadcast multiply (MulBackward0)."""
    if input.ndim != 1:
        raise RuntimeError(f"outer: Expected 1-D argument self, but got {input.ndim}-D")
    if vec2.ndim != 1:
        raise RuntimeError(f"outer: Expected 1-D argument vec2, but got {vec2.ndim}-D")
    return _reshape(input, (input.shape[0], 1)) * vec2


ger = outer


def inner(input, other):
    """Sum of products over the last dim of both tensors; a 0-d operand multiplies (``torch.inner``)."""
    if input.ndim == 0 or other.ndim == 0:
        return input * other
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError("inner() the last dimension must match on both input tensors but got shapes "
                           f"[{', '.join(map(str, input.shape))}] and [{', '.join(map(str, other.shape))}]")
    letters = "abcdefghijklmnopqrstuvwxy"
    la, lb = letters[:input.ndim - 1], letters[input.ndim - 1:input.ndim + other.ndim - 2]
    return einsum(f"{la}z,{lb}z->{la}{lb}", input, other)


# --------------------------------------------------------------------------- addmm / baddbmm
@primitive
class Addmm:
    needed_for = _FEEDS_OTHER  # a layer's input data needs no gradient: W alone is not kept for it

    def forward(xp, input, x, y, beta=1, alpha=1, y_column_major=False):
        # y_column_major (whether y is a transposed view, as W.t() in Linear) only steers backward
        if y_column_major and x.shape[1] >= 512 and y.shape[1] >= 128 and x.flags.c_contiguous:
            # Linear's x @ W.t() with a long inner dim: OpenBLAS computes (W @ xᵀ)ᵀ (the same dot
            # products) faster, by up to a third for 1024x1024 weights, even with the copy back
            prod = xp.ascontiguousarray((y.T @ x.T).T)
        else:
            prod = x @ y
        if alpha != 1:
            prod = prod * alpha
        if beta == 0:  # as in torch, input is ignored (its nan/inf do not propagate)
            return prod
        b = input if beta == 1 else input * beta
        if b.dtype == prod.dtype and b.shape == prod.shape[prod.ndim - b.ndim:]:
            return xp.add(prod, b, out=prod)  # into the product (no second output buffer)
        return b + prod

    def backward(grad, input, x, y, beta=1, alpha=1, y_column_major=False):
        g = grad if alpha == 1 else grad * alpha
        return ((grad if beta == 1 else grad * beta), (None if y is None else _mm_grad_x(g, y)),
                (None if x is None else _mm_grad_y(g, x, y_column_major)))

    @staticmethod
    def array_backward(grad, input, x, y, beta=1, alpha=1, y_column_major=False):
        g = grad if alpha == 1 else grad * alpha
        gy = None
        if x is not None:
            gy = _swap(_swap(g) @ x) if y_column_major else _swap(x) @ g
        return (grad if beta == 1 else grad * beta), (None if y is None else g @ _swap(y)), gy

    def jvp(tangents, input, x, y, beta=1, alpha=1, y_column_major=False):
        return _affine_jvp(Mm, tangents, input, x, y, beta, alpha)


@primitive
class Baddbmm:
    def forward(xp, input, x, y, beta=1, alpha=1):
        return Addmm.forward(xp, input, x, y, beta, alpha)

    def backward(grad, input, x, y, beta=1, alpha=1):
        g = grad if alpha == 1 else grad * alpha
        return grad * beta, Bmm.apply(g, _mT(y)), Bmm.apply(_mT(x), g)

    def jvp(tangents, input, x, y, beta=1, alpha=1):
        return _affine_jvp(Bmm, tangents, input, x, y, beta, alpha)


def _affine_jvp(product, tangents, input, x, y, beta, alpha):
    """beta * t_input + alpha * (t_x @ y + x @ t_y): addmm is affine in input, bilinear in (x, y)."""
    t_in, t_x, t_y = tangents
    out = None
    if t_x is not None:
        out = product.apply(t_x, y)
    if t_y is not None:
        term = product.apply(x, t_y)
        out = term if out is None else out + term
    if out is not None and alpha != 1:
        out = out * alpha
    if t_in is not None and beta != 0:
        term = t_in if beta == 1 else t_in * beta
        out = term if out is None else out + term  # broadcast to the result's shape on attach
    return out


def _check_add_input(input, out_shape):
    """input must broadcast to the product's shape, with torch's expand error otherwise."""
    shape = tuple(input.shape)
    bad = next((i for i in range(1, len(shape) + 1)
                if i > len(out_shape) or shape[-i] not in (1, out_shape[-i])), None)
    if bad is not None and bad <= len(out_shape):
        raise RuntimeError(
            f"The expanded size of the tensor ({out_shape[-bad]}) must match the existing size "
            f"({shape[-bad]}) at non-singleton dimension {len(out_shape) - bad}.  Target sizes: "
            f"[{', '.join(map(str, out_shape))}].  Tensor sizes: [{', '.join(map(str, shape))}]")
    if bad is not None:
        raise RuntimeError(f"The number of sizes provided ({len(out_shape)}) must be greater or equal to "
                           f"the number of dimensions in the tensor ({len(shape)})")


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """``beta * input + alpha * (mat1 @ mat2)`` with 2-D mat1, mat2 (``torch.addmm``)."""
    if mat1.ndim != 2:
        raise RuntimeError(f"mat1 must be a matrix, got {mat1.ndim}-D tensor")
    if mat2.ndim != 2:
        raise RuntimeError(f"mat2 must be a matrix, got {mat2.ndim}-D tensor")
    if input.dtype is not mat2.dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got {_legacy(input)} and "
                           f"{_legacy(mat2)}")
    _check_mm(mat1, mat2)
    _check_add_input(input, (mat1.shape[0], mat2.shape[1]))
    if _column_major(mat2):
        return Addmm.apply(input, mat1, mat2, beta=beta, alpha=alpha, y_column_major=True)
    return Addmm.apply(input, mat1, mat2, beta=beta, alpha=alpha)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """``beta * input + alpha * bmm(batch1, batch2)`` (``torch.baddbmm``)."""
    if batch1.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if batch2.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if input.dtype is not batch1.dtype:
        raise RuntimeError(f"expected scalar type {_legacy(batch1)} but found {_legacy(input)}")
    _check_bmm(batch1, batch2)
    _check_add_input(input, (batch1.shape[0], batch1.shape[1], batch2.shape[2]))
    return Baddbmm.apply(input, batch1, batch2, beta=beta, alpha=alpha)


# --------------------------------------------------------------------------- einsum
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _parse_einsum(equation, operands):
    """Validate the equation and spell it out with a letter for every dim (ellipses expanded).

    Returns (input terms, output term, size of each letter).
    """
    lhs, arrow, rhs = equation.partition("->")
    for i, c in enumerate(equation):
        if not (c in _LETTERS or c in ".,- >" or c.isspace()):
            raise RuntimeError(f"einsum(): invalid subscript given at index {i} in the equation string, "
                               "subscripts must be in [a-zA-Z]")
    terms = ["".join(t.split()) for t in lhs.split(",")]
    rhs = "".join(rhs.split())
    if len(terms) > len(operands):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
    if len(terms) < len(operands):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    used = set("".join(terms) + rhs)
    spare = [c for c in _LETTERS if c not in used]  # letters for the dims an ellipsis covers
    n_ell = []
    for i, (t, op) in enumerate(zip(terms, operands)):
        named = len(t.replace("...", ""))
        if "..." in t:
            if named > op.ndim:
                raise RuntimeError(f"einsum(): the number of subscripts in the equation ({named}) is more "
                                   f"than the number of dimensions ({op.ndim}) for operand {i}")
            n_ell.append(op.ndim - named)
        else:
            if named != op.ndim:
                raise RuntimeError(f"einsum(): the number of subscripts in the equation ({named}) does not "
                                   f"match the number of dimensions ({op.ndim}) for operand {i} and no "
                                   "ellipsis was given")
            n_ell.append(0)
    ell = "".join(spare[:max(n_ell, default=0)])
    terms = [t.replace("...", ell[len(ell) - e:]) for t, e in zip(terms, n_ell)]

    sizes = {}
    for i, (t, op) in enumerate(zip(terms, operands)):
        mine = {}
        for d, (c, n) in enumerate(zip(t, op.shape)):
            if c in mine and mine[c] != n:
                raise RuntimeError(f"einsum(): subscript {c} is repeated for operand {i} but the sizes "
                                   f"don't match, {mine[c]} != {n}")
            mine[c] = n
            seen = sizes.get(c, 1)
            if n != 1 and seen != 1 and n != seen:
                if c in ell:
                    raise RuntimeError(
                        f"einsum(): dimension {d} covered by ellipsis in operand {i}has size {n} which "
                        f"does not broadcast with previously seen ellipsis with size {seen} for the "
                        "respective dimension")
                raise RuntimeError(f"einsum(): subscript {c} has size {n} for operand {i} which does not "
                                   f"broadcast with previously seen size {seen}")
            if seen == 1:
                sizes[c] = n

    if arrow:
        out = rhs.replace("...", ell)
        for c in out:
            if c not in sizes:
                raise RuntimeError(f"einsum(): output subscript {c} does not appear in the equation for "
                                   "any input operand")
            if out.count(c) > 1:
                raise RuntimeError(f"einsum(): output subscript {c} appears more than once in the output")
    else:  # implicit output: the ellipsis dims, then the letters used once, in alphabetical order
        joined = "".join(terms)
        out = ell + "".join(sorted(c for c in set(joined) if joined.count(c) == 1 and c not in ell))
    return terms, out, sizes


def _einsum_name(terms, out):
    """The grad_fn torch's einsum leaves on its result (it reduces to permute/sum/mul/bmm+view)."""
    summed = any(c not in out for t in terms for c in t)
    if len(terms) == 1:
        return "SumBackward1" if summed else "PermuteBackward0"
    return "ViewBackward0" if summed else "MulBackward0"


@primitive
class Einsum:
    grad_fn = staticmethod(lambda *ops, terms, out, sizes, name: name)
    jvp = "multilinear"

    def forward(xp, *ops, terms, out, sizes, name):
        # torch broadcasts size-1 dims against the other operands; NumPy's einsum does not
        arrays = [op if op.shape == tuple(sizes[c] for c in t) else
                  xp.broadcast_to(op, tuple(sizes[c] for c in t)) for op, t in zip(ops, terms)]
        return xp.einsum(",".join(terms) + "->" + out, *arrays, optimize=len(arrays) > 1)

    def backward(grad, *ops, terms, out, sizes, name):
        """d/d(operand k) is an einsum of grad with the other operands, into operand k's subscripts.

        Two wrinkles: a letter repeated in operand k (a diagonal) is renamed and tied back with an
        identity matrix, and a letter found nowhere else (summed over in forward) is broadcast back
        with a vector of ones.
        """
        from .._creation import eye, ones
        grads = []
        for k, op in enumerate(ops):
            if op is None or not op.requires_grad:
                grads.append(None)
                continue
            spare = iter(c for c in _LETTERS if c not in sizes)
            target, extra_terms, extra_ops = "", [], []
            for c in terms[k]:
                if c in target:
                    fresh = next(spare)
                    target += fresh
                    extra_terms.append(c + fresh)
                    extra_ops.append(eye(sizes[c], dtype=grad.dtype))
                else:
                    target += c
            others = [t for j, t in enumerate(terms) if j != k]
            present = set(out + "".join(others) + "".join(extra_terms))
            for c in dict.fromkeys(target):
                if c not in present:
                    extra_terms.append(c)
                    extra_ops.append(ones(sizes[c], dtype=grad.dtype))
            eq = ",".join([out] + others + extra_terms) + "->" + target
            # size-1 dims of the other operands that broadcast in forward are expanded here, so
            # that operand k's gradient comes out at the broadcast size (the registry sums it back)
            full = [o if tuple(o.shape) == tuple(sizes[c] for c in t) else
                    _Expand.apply(o, shape=tuple(sizes[c] for c in t))
                    for j, (o, t) in enumerate(zip(ops, terms)) if j != k]
            grads.append(einsum(eq, grad, *full, *extra_ops))
        return tuple(grads)


# The registry sizes its per-input saving rules from forward's named parameters; einsum's inputs are
# *varargs, so give it a rule ("always save") for any number of operands.


def einsum(equation: str, *operands):
    """Sum of products over the subscripts an equation names, e.g. ``einsum("ij,jk->ik", a, b)``.

    Operands come as varargs or as one list. Supports implicit output, ``...`` for leading dims,
    repeated subscripts (diagonals) and size-1 dims that broadcast.
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise RuntimeError("einsum(): must provide at least one operand")
    terms, out, sizes = _parse_einsum(equation, operands)
    first = operands[0]
    for op in operands[1:]:
        if op.dtype is not first.dtype:
            raise RuntimeError(f"expected scalar type {_legacy(first)} but found {_legacy(op)}")
    return Einsum.apply(*operands, terms=tuple(terms), out=out, sizes=sizes,
                        name=_einsum_name(terms, out))


def bind(T) -> None:
    """The ``@`` operator. Like torch, only Tensors are accepted on the other side."""
    from .._tensor import Tensor

    def __matmul__(self, other):
        return matmul(self, other) if isinstance(other, Tensor) else NotImplemented

    def __rmatmul__(self, other):
        return matmul(other, self) if isinstance(other, Tensor) else NotImplemented

    T.__matmul__ = __matmul__
    T.__rmatmul__ = __rmatmul__
