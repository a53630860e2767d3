"""A catalogue of functions built from the ops, each written once for a module ``T`` (ember or torch).

Every case: (name, make(T) -> f, inputs as float64 numpy arrays, argnums, scalar?). ``scalar`` marks
functions returning a one-element tensor (usable with grad / hessian / hvp).
"""
from __future__ import annotations

import numpy as np

_rng = np.random.default_rng(0)


def _r(*shape):
    return _rng.uniform(0.5, 1.5, size=shape)


def _poly_loop(T):
    def f(x):
        y = x
        while y.norm() < 20:  # control flow on a value: how many times depends on x
            y = y * 2 + x.sin()
        return y
    return f


def _branch(T):
    def f(x):
        if x.sum() > 0:
            return (x ** 3).sum()
        return (x ** 2).sum()
    return f


def _mlp(T):
    def f(w, b, x):
        return T.tanh(x @ w + b).sum()
    return f


CASES = [
    ("sin_mul", lambda T: lambda x: T.sin(x) * x, (_r(4),), 0, False),
    ("exp_sum", lambda T: lambda x: x.exp().sum(), (_r(3),), 0, True),
    ("log_sigmoid", lambda T: lambda x: T.sigmoid(x).log(), (_r(2, 3),), 0, False),
    ("broadcast_add_mul", lambda T: lambda x, y: (x + y) * y, (_r(3, 1), _r(4)), (0, 1), False),
    ("matmul", lambda T: lambda a, b: a @ b, (_r(2, 3), _r(3, 2)), (0, 1), False),
    ("matvec_scalar", lambda T: lambda a, v: (a @ v).pow(2).sum(), (_r(3, 3), _r(3)), (0, 1), True),
    ("second_arg_only", lambda T: lambda a, b: (a * b.cos()).sum(), (_r(3), _r(3)), 1, True),
    ("argnums_neg", lambda T: lambda a, b: (a.tanh() * b).sum(), (_r(3), _r(3)), -1, True),
    ("while_loop", _poly_loop, (_r(3),), 0, False),
    ("if_branch", _branch, (_r(3) - 1.2,), 0, True),
    ("softmax", lambda T: lambda x: T.softmax(x, dim=-1), (_r(2, 3),), 0, False),
    ("logsumexp", lambda T: lambda x: T.logsumexp(x, dim=0).sum(), (_r(3, 2),), 0, True),
    ("multi_out", lambda T: lambda x, y: (x * y, (x - y).sum(0)), (_r(2, 2), _r(2, 2)), (0, 1), False),
    ("dict_out", lambda T: lambda x: {"a": x.sqrt(), "b": x.mean()}, (_r(3),), 0, False),
    ("reduction_dim", lambda T: lambda x: x.prod(dim=1) + x.amax(dim=1), (_r(3, 2),), 0, False),
    ("cat_stack", lambda T: lambda x, y: T.cat([x, T.stack([y, y * 2])]), (_r(1, 3), _r(3)), (0, 1), False),
    ("indexing", lambda T: lambda x: x[1:, ::2] * x[0, 0], (_r(3, 4),), 0, False),
    ("where_relu", lambda T: lambda x: T.where(x > 1.0, x * x, T.relu(x - 0.5)), (_r(5),), 0, False),
    ("mlp", _mlp, (_r(3, 2), _r(2), _r(4, 3)), (0, 1), True),
    ("pow_div", lambda T: lambda x, y: (x ** y / (1 + y)).sum(), (_r(3), _r(3)), (0, 1), True),
    ("norm", lambda T: lambda x: x.norm(), (_r(4),), 0, True),
    ("transpose_reshape", lambda T: lambda x: (x.t() @ x).reshape(-1), (_r(3, 2),), 0, False),
    ("scalar_input", lambda T: lambda x: T.stack([x.sin(), x.cos(), x * x]), (np.array(0.7),), 0, False),
]
