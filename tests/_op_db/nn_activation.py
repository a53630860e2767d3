"""op_db entries for the activations of ember.nn.functional and ember.softmax / log_softmax.

``lib.nn.functional`` is torch.nn.functional or ember.nn.functional, so one lambda serves both.
Samples avoid the kinks of piecewise ops (relu6 at 0 and 6, hardswish at +-3, ...) by construction,
so finite differences are meaningful.
"""
import numpy as np

from tests.op_db import OpInfo, Sample, arr


def _F(lib):
    return lib.nn.functional


def unary(low=-3.0, high=3.0, kinks=()):
    """Inputs in [low, high), nudged away from any kink so finite differences stay one-sided."""
    def fix(a):
        for k in kinks:
            near = np.abs(a - k) < 1e-3
            a = np.where(near, a + 2e-3, a)
        return a

    def make():
        return [Sample((fix(arr(3, 4, low=low, high=high)),)),
                Sample((fix(arr(5, low=low, high=high, seed=1)),)),
                Sample((fix(np.array(arr(1, low=low, high=high, seed=2)[0])),), name="0d"),
                Sample((fix(arr(2, 3, 4, low=low, high=high, seed=3)),))]
    return make


def dim_samples():
    def make():
        return [Sample((arr(3, 4),), {"dim": 1}),
                Sample((arr(3, 4, seed=1),), {"dim": 0}),
                Sample((arr(2, 3, 4, seed=2),), {"dim": -2}),
                Sample((arr(5, seed=3),), {"dim": -1}),
                Sample((np.array(1.5),), {"dim": 0}, name="0d"),
                Sample((arr(2, 3, low=-1e4, high=1e4, seed=4),), {"dim": 1}, name="extreme")]
    return make


def _u(name, fn, low=-3.0, high=3.0, kinks=(), **kw):
    return OpInfo(name, fn, unary(low, high, kinks), **kw)


OPS = [
    _u("F.relu", lambda lib, x: _F(lib).relu(x), kinks=(0,)),
    _u("F.relu6", lambda lib, x: _F(lib).relu6(x * 3), kinks=(0, 2)),
    _u("F.leaky_relu", lambda lib, x: _F(lib).leaky_relu(x, 0.2), kinks=(0,)),
    _u("F.hardtanh", lambda lib, x: _F(lib).hardtanh(x, -0.5, 1.5), kinks=(-0.5, 1.5)),
    _u("F.elu", lambda lib, x: _F(lib).elu(x, alpha=0.7), kinks=(0,)),
    _u("F.selu", lambda lib, x: _F(lib).selu(x), kinks=(0,)),
    _u("F.celu", lambda lib, x: _F(lib).celu(x, alpha=1.5), kinks=(0,)),
    _u("F.gelu", lambda lib, x: _F(lib).gelu(x)),
    _u("F.gelu_tanh", lambda lib, x: _F(lib).gelu(x, approximate="tanh")),
    _u("F.silu", lambda lib, x: _F(lib).silu(x)),
    _u("F.mish", lambda lib, x: _F(lib).mish(x)),
    _u("F.softplus", lambda lib, x: _F(lib).softplus(x)),
    _u("F.softplus_beta", lambda lib, x: _F(lib).softplus(x, beta=2.0, threshold=3.0), kinks=(1.5,)),
    _u("F.sigmoid", lambda lib, x: _F(lib).sigmoid(x)),
    _u("F.tanh", lambda lib, x: _F(lib).tanh(x)),
    # torch has no second derivative for hardsigmoid, so the shared (gradgrad) checks cannot run on
    # it: its gradients are compared in tests/nn/test_functional_activation.py instead
    _u("F.hardsigmoid", lambda lib, x: _F(lib).hardsigmoid(x * 2), kinks=(-1.5, 1.5), differentiable=False),
    _u("F.hardswish", lambda lib, x: _F(lib).hardswish(x * 2), kinks=(-1.5, 1.5)),
    _u("F.logsigmoid", lambda lib, x: _F(lib).logsigmoid(x)),
    _u("F.softsign", lambda lib, x: _F(lib).softsign(x), kinks=(0,)),
    _u("F.tanhshrink", lambda lib, x: _F(lib).tanhshrink(x)),
    _u("F.threshold", lambda lib, x: _F(lib).threshold(x, 0.5, -2.0), kinks=(0.5,)),
    OpInfo("F.glu", lambda lib, x, dim: _F(lib).glu(x, dim),
           lambda: [Sample((arr(3, 4), -1)), Sample((arr(4, 3, seed=1), 0)),
                    Sample((arr(2, 6, 2, seed=2), 1))]),
    OpInfo("softmax", lambda lib, x, dim: lib.softmax(x, dim), dim_samples()),
    OpInfo("log_softmax", lambda lib, x, dim: lib.log_softmax(x, dim), dim_samples()),
    OpInfo("Tensor.softmax", lambda lib, x, dim: x.softmax(dim), dim_samples()),
    OpInfo("F.softmax", lambda lib, x, dim: _F(lib).softmax(x, dim=dim), dim_samples()),
    OpInfo("F.log_softmax", lambda lib, x, dim: _F(lib).log_softmax(x, dim=dim), dim_samples()),
    OpInfo("F.softmin", lambda lib, x, dim: _F(lib).softmin(x, dim=dim), dim_samples()),
    OpInfo("F.softmax_dtype", lambda lib, x, dim: _F(lib).softmax(x, dim, dtype=lib.float64),
           lambda: dim_samples()()[:3], exact_dtype=True),
]
