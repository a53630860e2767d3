"""gradcheck / gradgradcheck: pass on correct gradients, fail (like torch) on wrong ones."""
from __future__ import annotations

import importlib

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def make_wrong(lib):
    class WrongGrad(lib.autograd.Function):
        """Backward off by a factor of 2."""

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * x

    class WrongSecond(lib.autograd.Function):
        """Right first derivative of x**3, but its backward uses a detached x: wrong second order."""

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x.detach() ** 2

    return WrongGrad, WrongSecond


def _gradcheck_error(lib):
    """torch keeps GradcheckError in the torch.autograd.gradcheck module (shadowed by the function)."""
    return importlib.import_module(lib.__name__ + ".autograd.gradcheck").GradcheckError


EW, ES = make_wrong(ember)
TW, TS = make_wrong(torch)
X = np.array([[0.3, -1.2, 0.8], [1.5, 0.2, -0.4]])


def _inputs(lib):
    a = lib.tensor(X, dtype=lib.float64, requires_grad=True)
    b = lib.tensor(X[:, ::-1].copy() + 2, dtype=lib.float64, requires_grad=True)
    return a, b


FUNCS = {
    "composite": lambda lib: lambda a, b: ((a * b).sin() / (1 + b * b)).sum(1),
    "two_outputs": lambda lib: lambda a, b: (a @ b.t(), (a - b).exp()),
    "reductions": lambda lib: lambda a, b: (a.max(1).values, b.softmax(0) if hasattr(b, "softmax")
                                            else b.exp() / b.exp().sum(0)),
    "indexing": lambda lib: lambda a, b: a[:, 1:] * b[0, :2],
}


@pytest.mark.parametrize("name", sorted(FUNCS))
def test_gradcheck_and_gradgradcheck_pass(name):
    for lib in (ember, torch):
        fn = FUNCS[name](lib)
        assert lib.autograd.gradcheck(fn, _inputs(lib))
        assert lib.autograd.gradgradcheck(fn, _inputs(lib))


def test_gradcheck_error_exported():
    assert ember.autograd.GradcheckError is _gradcheck_error(ember)
    assert issubclass(ember.autograd.GradcheckError, RuntimeError)


def test_gradcheck_failure_message_like_torch():
    msgs = []
    for lib, wrong in ((ember, EW), (torch, TW)):
        x = lib.tensor([0.5, 2.0], dtype=lib.float64, requires_grad=True)
        with pytest.raises(RuntimeError) as info:
            lib.autograd.gradcheck(wrong.apply, (x,))
        assert type(info.value).__name__ == "GradcheckError"
        assert isinstance(info.value, _gradcheck_error(lib))
        msgs.append(str(info.value))
        assert lib.autograd.gradcheck(wrong.apply, (x,), raise_exception=False) is False
    e_msg, t_msg = msgs
    head = "Jacobian mismatch for output 0 with respect to input 0,\nnumerical:"
    assert e_msg.startswith(head) and t_msg.startswith(head)
    assert "\nanalytical:" in e_msg
    num = e_msg.split("numerical:")[1].split("\nanalytical:")[0]
    assert "1.0000" in num and "4.0000" in num  # 2x on the diagonal, like torch's


def test_gradgradcheck_catches_wrong_second_derivative():
    for lib, wrong in ((ember, ES), (torch, TS)):
        x = lib.tensor([0.5, 2.0], dtype=lib.float64, requires_grad=True)
        assert lib.autograd.gradcheck(wrong.apply, (x,))
        assert not lib.autograd.gradgradcheck(wrong.apply, (x,), raise_exception=False)
        with pytest.raises(_gradcheck_error(lib), match="Jacobian mismatch"):
            lib.autograd.gradgradcheck(wrong.apply, (x,))


def test_gradcheck_arguments_and_input_checks():
    for lib in (ember, torch):
        x = lib.tensor([0.5, 2.0], dtype=lib.float64, requires_grad=True)
        assert lib.autograd.gradcheck(lambda t: t.exp(), x, eps=1e-6, atol=1e-5, rtol=1e-3,
                                      fast_mode=True, check_undefined_grad=True)
        v = lib.tensor([1.0, -1.0], dtype=lib.float64, requires_grad=True)
        assert lib.autograd.gradgradcheck(lambda t: t.exp() * t, (x,), (v,))
        with pytest.raises(ValueError, match="at least one input tensor to require gradient"):
            lib.autograd.gradcheck(lambda t: t.exp(), (lib.ones(2, dtype=lib.float64),))
        with pytest.warns(UserWarning, match="is not a double precision floating point"):
            lib.autograd.gradcheck(lambda t: t * 2, (lib.ones(2, requires_grad=True),),
                                   raise_exception=False)


def test_gradcheck_non_differentiable_output_with_wrong_zero_grad():
    for lib in (ember, torch):
        x = lib.tensor([0.5, 2.0], dtype=lib.float64, requires_grad=True)
        assert not lib.autograd.gradcheck(lambda t: t * t.detach(), (x,), raise_exception=False)
