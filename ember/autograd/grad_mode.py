"""Grad mode: whether ops record the graph. Thread-local, like torch's.

no_grad, enable_grad and set_grad_enabled work as context managers and as decorators;
set_grad_enabled also works as a plain function call.
"""
from __future__ import annotations

import functools
import inspect
import threading

__all__ = [
    "enable_grad",
    "inference_mode",
    "is_grad_enabled",
    "is_inference_mode_enabled",
    "no_grad",
    "set_grad_enabled",
]


class _State(threading.local):
    enabled = True
    inference = False


STATE = _State()


def is_grad_enabled() -> bool:
    return STATE.enabled


class _DecoratorContext:
    """A context manager that also decorates functions (and generator functions)."""

    def __call__(self, func):
        if inspect.isclass(func):
            raise RuntimeError(f"{type(self).__name__} cannot decorate a class")
        if inspect.isgeneratorfunction(func):
            @functools.wraps(func)
            def gen_wrapper(*args, **kwargs):
                gen = func(*args, **kwargs)
                with self.clone():
                    response = gen.send(None)
                while True:
                    try:
                        with self.clone():
                            request = yield response
                            response = gen.send(request)
                    except StopIteration as e:
                        return e.value
            return gen_wrapper

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.clone():
                return func(*args, **kwargs)
        return wrapper

    def clone(self):
        return type(self)()


class no_grad(_DecoratorContext):
    """Ops run inside record no graph: results have requires_grad=False."""

    def __init__(self, orig_func=None):
        self.prev = []
        self._func = orig_func

    def __new__(cls, orig_func=None):
        if orig_func is None or not callable(orig_func):
            return super().__new__(cls)
        return cls()(orig_func)  # used as @no_grad without parentheses

    def __enter__(self):
        self.prev.append(STATE.enabled)
        STATE.enabled = False

    def __exit__(self, *exc):
        STATE.enabled = self.prev.pop()
        return False


class enable_grad(_DecoratorContext):
    """Turns recording back on inside a no_grad region."""

    def __init__(self, orig_func=None):
        self.prev = []

    def __new__(cls, orig_func=None):
        if orig_func is None or not callable(orig_func):
            return super().__new__(cls)
        return cls()(orig_func)

    def __enter__(self):
        self.prev.append(STATE.enabled)
        STATE.enabled = True

    def __exit__(self, *exc):
        STATE.enabled = self.prev.pop()
        return False


class set_grad_enabled(_DecoratorContext):
    """set_grad_enabled(mode): takes effect at once, and restores the old mode when used with `with`."""

    def __init__(self, mode: bool):
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled(): argument 'mode' must be bool, not {type(mode).__name__}")
        self.prev = STATE.enabled
        self.mode = mode
        STATE.enabled = mode

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        STATE.enabled = self.prev
        return False

    def clone(self):
        return set_grad_enabled(self.mode)

    def __call__(self, func):
        STATE.enabled = self.prev  # as a decorator it only applies inside the function
        return super().__call__(func)


class inference_mode(_DecoratorContext):
    """Like no_grad; tensors made inside report is_inference()."""

    def __init__(self, mode: bool = True):
        self.mode = mode
        self.prev = []

    def __new__(cls, mode=True):
        if isinstance(mode, bool):
            return super().__new__(cls)
        return cls()(mode)

    def __enter__(self):
        self.prev.append((STATE.enabled, STATE.inference))
        if self.mode:
            STATE.enabled = False
            STATE.inference = True

    def __exit__(self, *exc):
        STATE.enabled, STATE.inference = self.prev.pop()
        return False

    def clone(self):
        return inference_mode(self.mode)


def is_inference_mode_enabled() -> bool:
    return STATE.inference
