"""repr/str of ember tensors against torch's, on generated and hand-picked tensors.

Each case builds one NumPy array and makes both tensors from it, so the only difference allowed
is that ``torch.`` is spelt ``ember.``.
"""
import math

import numpy as np
import pytest

import ember
from ember import _printing

torch = pytest.importorskip("torch")

# the public names, once ember/__init__.py re-exports them; the module's own until then
set_printoptions = getattr(ember, "set_printoptions", _printing.set_printoptions)
get_printoptions = getattr(ember, "get_printoptions", _printing.get_printoptions)
printoptions = getattr(ember, "printoptions", _printing.printoptions)

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
FLOATS = ["float16", "float32", "float64"]


def expected(t) -> str:
    return repr(t).replace("torch.", "ember.")


def make_pair(arr: np.ndarray, grad: str | None = None):
    """ember and torch tensors from ``arr``; ``grad`` is None, 'leaf', 'mul' or 'add'."""
    e, t = ember.tensor(arr), torch.tensor(arr)
    if grad is not None:
        e.requires_grad_()
        t.requires_grad_()
        if grad == "mul":
            e, t = e * 2, t * 2
        elif grad == "add":
            e, t = e + 1, t + 1
    return e, t


def check(arr: np.ndarray, grad: str | None = None) -> None:
    e, t = make_pair(arr, grad)
    want = expected(t)
    got = repr(e)
    assert got == want, f"\n--- ember\n{got}\n--- torch\n{want}"
    assert str(e) == got


# ------------------------------------------------------------------------------ generated cases
def random_shape(rng: np.random.Generator) -> tuple:
    ndim = int(rng.integers(0, 5))
    while True:
        shape = tuple(int(rng.integers(1, 14)) for _ in range(ndim))
        if ndim == 1 and rng.random() < 0.3:
            shape = (int(rng.integers(1, 2001)),)
        if ndim == 2 and rng.random() < 0.3:
            shape = (int(rng.integers(1, 45)), int(rng.integers(1, 45)))
        if math.prod(shape) <= 2000:
            return shape


def random_floats(rng: np.random.Generator, shape: tuple, dtype: str) -> np.ndarray:
    n = math.prod(shape)
    kind = rng.choice(["wide", "narrow", "ints", "small", "big", "unit", "zeros"])
    if kind == "wide":  # magnitudes spanning 1e-8 .. 1e10
        vals = 10.0 ** rng.uniform(-8, 10, n)
    elif kind == "narrow":  # a random decade, ratio < 1000 so fixed-point is likely
        vals = 10.0 ** rng.uniform(-1, 1.5, n) * 10.0 ** rng.integers(-6, 9)
    elif kind == "ints":
        vals = rng.integers(-1000, 1000, n).astype(np.float64) * 10.0 ** rng.integers(0, 7)
    elif kind == "small":
        vals = rng.uniform(0, 1e-3, n)
    elif kind == "big":
        vals = rng.uniform(1e7, 1e9, n)
    elif kind == "unit":
        vals = rng.standard_normal(n)
    else:
        vals = np.zeros(n)
    vals = np.where(rng.random(n) < 0.3, -vals, vals)
    for special, p in ((np.nan, 0.03), (np.inf, 0.03), (-np.inf, 0.03), (-0.0, 0.05), (0.0, 0.05)):
        if rng.random() < 0.3:
            vals = np.where(rng.random(n) < p, special, vals)
    if dtype == "float16":
        vals = np.clip(vals, -6e4, 6e4)  # stay in range: overflow to inf is tested separately
    return vals.astype(dtype).reshape(shape)


def random_ints(rng: np.random.Generator, shape: tuple, dtype: str) -> np.ndarray:
    if dtype == "bool":
        return (rng.random(shape) < rng.random()).reshape(shape)
    info = np.iinfo(dtype)
    hi = info.max if rng.random() < 0.3 else min(info.max, 10 ** int(rng.integers(1, 6)))
    lo = max(info.min, -hi)
    return rng.integers(lo, hi, size=shape, dtype=dtype, endpoint=True)


def random_case(seed: int) -> tuple[np.ndarray, str | None]:
    rng = np.random.default_rng(seed)
    dtype = DTYPES[seed % len(DTYPES)]
    shape = random_shape(rng)
    if dtype in FLOATS:
        arr = random_floats(rng, shape, dtype)
        grad = rng.choice([None, None, "leaf", "mul", "add"])
        return arr, grad
    return random_ints(rng, shape, dtype), None


@pytest.mark.parametrize("seed", range(360))
def test_generated(seed):
    arr, grad = random_case(seed)
    check(arr, grad)


# ------------------------------------------------------------------------------ hand-picked cases
TRICKY = [
    0.1, 0.30000001, 2.5e-5, 123456.789, 1e10, 1e8, 99999999.0, 1e-4, 9.9999e-5, 0.00015,
    0.12345, 0.12355, 0.99995, 0.99994999, 1.00005, 2.00005, 1234.56785, 65504.0, 1 / 3, 2 / 3,
    -0.0, 0.0, 1.5, -2.5, 1e-45, 3.4e38, 5e-324,
]
SPECIAL = [
    [], [0.0], [-0.0], [0.0, -0.0], [np.nan], [np.inf, -np.inf], [np.nan, 1.0], [np.nan, 1.5],
    [1e-8, 1.0], [1e10, np.inf], [1.0, 1e3], [1.0, 1001.0], [1.0, 1e8], [1.0, 1.0000001e8],
    [0.5, 600.0], [1e-4, 1.0], [0.5, 0.0001], [-1e10, 1e-8, np.nan, -0.0], [123456789.0],
    [12345678.0], [0.1, 0.2, 0.30000001],
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("value", TRICKY)
def test_tricky_scalars(dtype, value):
    with np.errstate(over="ignore"):
        arr = np.array(value, dtype=dtype)
    check(arr)
    check(arr.reshape(1))
    check(np.array([value, 1.0], dtype=dtype))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("values", SPECIAL, ids=str)
def test_special_values(dtype, values):
    with np.errstate(over="ignore"):
        check(np.array(values, dtype=dtype))


def test_rounding_boundaries():
    # decimal halves that are just above/below in binary: Python's exact rounding decides
    rng = np.random.default_rng(0)
    base = rng.integers(0, 10**6, 200) / 10**4 + 0.00005
    for dtype in FLOATS:
        for chunk in np.array_split(base, 10):
            check(chunk.astype(dtype))
            check(np.nextafter(chunk, 0).astype(dtype))


@pytest.mark.parametrize("shape", [(0,), (0, 3), (2, 0), (3, 0, 2), (0, 0, 0, 1)])
@pytest.mark.parametrize("dtype", DTYPES)
def test_empty(shape, dtype):
    check(np.zeros(shape, dtype=dtype))


def test_empty_requires_grad():
    check(np.zeros((0,), np.float32), "leaf")
    check(np.zeros((0, 2), np.float64), "mul")


@pytest.mark.parametrize("dtype", DTYPES)
def test_scalars_and_summaries(dtype):
    check(np.array(1, dtype=dtype))
    check(np.arange(1001).astype(dtype))
    check(np.arange(2000).reshape(20, 100).astype(dtype))
    check(np.arange(1200).reshape(2, 3, 200).astype(dtype))
    check(np.arange(1296).reshape(6, 6, 6, 6).astype(dtype))
    check(np.arange(2000).reshape(5, 400).astype(dtype))


def test_summary_of_huge_tensor_formats_only_edges():
    arr = np.full((3000, 3000), 0.5, np.float32)
    arr[0, 0], arr[-1, -1] = 1e-9, 7.0
    arr[1500, 1500] = 1e20  # hidden by summarisation: must not force scientific notation
    check(arr)


def test_non_contiguous_and_edge_specials():
    arr = np.arange(3000, dtype=np.float32).reshape(60, 50) / 3
    arr[0, 0], arr[-1, -1], arr[0, -1] = np.nan, -np.inf, -0.0
    check(arr.T)
    check(arr[::7, ::3])
    check(np.arange(24, dtype=np.int32).reshape(2, 3, 4).transpose(2, 0, 1))


def test_long_rows_wrap():
    # with no finite nonzero value the formatter width stays 1: that sets how many fit a row
    for dtype in FLOATS:
        check(np.zeros(100, dtype=dtype))
        check(np.array([np.nan, -0.0, np.inf, 0.0] * 30, dtype=dtype).reshape(2, 60))
    for n in (7, 13, 31, 200):
        check(np.linspace(-1e5, 1e5, n).astype(np.float64))
        check(np.linspace(-1e5, 1e5, n * 4).reshape(2, 2, n).astype(np.float32))
        check(np.arange(n * 3, dtype=np.int64).reshape(3, n) * 10**12)


# ------------------------------------------------------------------------------ print options
@pytest.fixture
def restore_options():
    yield
    set_printoptions(profile="default")
    torch.set_printoptions(profile="default")


OPTIONS = [
    {"precision": 2}, {"precision": 0}, {"precision": 8}, {"sci_mode": True},
    {"sci_mode": False}, {"precision": 2, "sci_mode": True}, {"threshold": 5},
    {"threshold": 10, "edgeitems": 1}, {"linewidth": 40}, {"linewidth": 20}, {"linewidth": 120},
    {"edgeitems": 2}, {"edgeitems": 0}, {"edgeitems": 0, "threshold": 5}, {"threshold": 0},
    {"profile": "short"}, {"profile": "full"}, {"profile": "short", "precision": 6},
]
OPTION_ARRAYS = [
    np.array(3.25, np.float32), np.array([1e-8, 1.0, -2.5], np.float32),
    np.array([1.0, 2.0, 1e9], np.float64), np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 7,
    np.arange(64, dtype=np.int32).reshape(8, 8), np.linspace(-3, 3, 40).astype(np.float16),
    np.array([True, False] * 6), np.arange(1500, dtype=np.float64) * 1.5,
    np.zeros((0, 3), np.float32), np.array([np.nan, np.inf, -0.0, 0.123456789], np.float64),
]


@pytest.mark.parametrize("opts", OPTIONS, ids=str)
def test_printoptions(opts, restore_options):
    set_printoptions(**opts)
    torch.set_printoptions(**opts)
    assert get_printoptions() == torch._tensor_str.get_printoptions()
    for i, arr in enumerate(OPTION_ARRAYS):
        check(arr, "mul" if i in (1, 3) else None)


@pytest.mark.parametrize("linewidth", range(20, 60))
def test_suffix_wrapping(linewidth, restore_options):
    set_printoptions(linewidth=linewidth)
    torch.set_printoptions(linewidth=linewidth)
    for n in (1, 2, 3, 5, 8):
        check(np.arange(n, dtype=np.float64), "mul")
        check(np.arange(n * 2, dtype=np.float64).reshape(2, n), "leaf")
        check(np.arange(n, dtype=np.int16))
        check(np.array(n, dtype=np.int16), None)


def test_set_printoptions_resets_sci_mode(restore_options):
    set_printoptions(sci_mode=True)
    set_printoptions(precision=2)  # like torch, omitting sci_mode sets it back to None
    assert get_printoptions()["sci_mode"] is None
    assert repr(ember.tensor([1.5])) == "tensor([1.50])"


def test_printoptions_context_manager(restore_options):
    with printoptions(precision=1, sci_mode=True):
        assert repr(ember.tensor([1.5])) == "tensor([1.5e+00])"
    assert repr(ember.tensor([1.5])) == "tensor([1.5000])"


def test_invalid_profile():
    with pytest.raises(ValueError):
        set_printoptions(profile="nope")


@pytest.fixture
def float64_default():
    ember.set_default_dtype(ember.float64)
    torch.set_default_dtype(torch.float64)
    yield
    ember.set_default_dtype(ember.float32)
    torch.set_default_dtype(torch.float32)


def test_default_dtype_float64(float64_default):
    for dtype in FLOATS:
        check(np.array([1.5, 2.0], dtype=dtype))
        check(np.array(0.1, dtype=dtype))
        check(np.zeros((0,), dtype=dtype))
        check(np.zeros((0, 2), dtype=dtype))
        check(np.array([1.5, 2.0], dtype=dtype), "mul")
    check(np.array([1, 2], dtype=np.int64))


def test_format_of_0d():
    assert f"{ember.tensor(2.5)}" == f"{torch.tensor(2.5)}"
    assert f"{ember.tensor([1.0, 2.0])}" == "tensor([1., 2.])"
