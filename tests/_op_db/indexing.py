"""op_db entries for ember/ops/indexing.py: each indexing form, gather/scatter, masked ops, sort/topk."""
import numpy as np

from tests.op_db import OpInfo, Sample, arr


def _x(*shape, seed=0):
    return lambda: [Sample((arr(*shape, seed=seed),))]


def _getitem(name, key, shape=(3, 4, 5)):
    return OpInfo(f"getitem_{name}", lambda lib, x: x[key(lib) if callable(key) else key], _x(*shape))


def _idx(*shape, high, seed=0):
    return np.random.default_rng(seed).integers(0, high, size=shape)


def _gather_samples():
    return [Sample((arr(3, 4), 1, _idx(3, 6, high=4)), int_args=(2,)),
            Sample((arr(3, 4), 0, _idx(2, 4, high=3)), int_args=(2,)),
            Sample((arr(4, 5), -1, _idx(2, 3, high=5)), int_args=(2,), name="smaller"),
            Sample((np.array(1.5), 0, np.array(0)), int_args=(2,), name="0d")]


def _scatter_samples():
    # unique positions along dim, so plain scatter is deterministic
    perm = np.stack([np.random.default_rng(i).permutation(5)[:3] for i in range(3)])
    return [Sample((arr(3, 5), 1, perm, arr(3, 3, seed=1)), int_args=(2,)),
            Sample((arr(3, 5), 0, np.array([[2], [0], [1]]), arr(3, 1, seed=2)), int_args=(2,))]


def _scatter_smaller_samples():
    # src larger than index: torch's own backward fails on this shape, so forward only
    perm = np.stack([np.random.default_rng(i).permutation(5)[:2] for i in range(2)])
    return [Sample((arr(3, 5), 1, perm, arr(3, 4, seed=2)), int_args=(2,))]


def _scatter_add_samples():
    return [Sample((arr(3, 5), 1, _idx(3, 6, high=5), arr(3, 6, seed=1)), int_args=(2,)),
            Sample((arr(4, 2), 0, _idx(6, 2, high=4), arr(6, 2, seed=2)), int_args=(2,))]


def _index_select_samples():
    return [Sample((arr(4, 3), 0, np.array([3, 0, 3])), int_args=(2,)),
            Sample((arr(2, 5), 1, np.array([4, 1])), int_args=(2,)),
            Sample((arr(2, 5), -1, np.array(2)), int_args=(2,), name="0d-index")]


def _mask_samples():
    return [Sample((arr(3, 4), arr(3, 4, seed=4) > 0), bool_args=(1,)),
            Sample((arr(3, 4), arr(4, seed=5) > 0), bool_args=(1,), name="broadcast-mask"),
            Sample((arr(4), arr(2, 4, seed=6) > 0), bool_args=(1,), name="broadcast-input"),
            Sample((np.array(0.7), np.array(True)), bool_args=(1,), name="0d")]


def _sort_samples():
    return [Sample((arr(3, 5),), {}), Sample((arr(3, 5),), {"dim": 0, "descending": True}),
            Sample((arr(6),), {"descending": True}), Sample((np.array(0.3),), {}, name="0d")]


def _topk_samples():
    return [Sample((arr(3, 5), 2)), Sample((arr(4, 3), 3), {"dim": 0, "largest": False}),
            Sample((arr(6), 6)), Sample((arr(2, 3), 0), name="k0")]


def _values_and_indices(out):
    return [out.values, out.indices]


def _set(key, value_shape):
    """x * 1 with x[key] = value: gradients reach x's untouched elements and the value."""
    def make():
        return [Sample((arr(3, 4, 5), arr(*value_shape, seed=9)))]

    def fn(lib, x, v):
        y = x * 1
        y[key(lib) if callable(key) else key] = v
        return y
    return make, fn


def _setitem(name, key, value_shape):
    make, fn = _set(key, value_shape)
    return OpInfo(f"setitem_{name}", fn, make)


OPS = [
    _getitem("int", 1),
    _getitem("neg_int", -1),
    _getitem("int_int", (0, 2)),
    _getitem("colon_int", (slice(None), 0)),
    _getitem("slice", slice(1, 3)),
    _getitem("slice_step", (slice(None), slice(0, None, 2))),
    _getitem("full_slice", slice(None)),
    _getitem("ellipsis_int", (Ellipsis, 1)),
    _getitem("none", (None, 0, None)),
    _getitem("all_ints_0d", (1, 2, 3)),
    _getitem("list", [0, 2, 0]),
    _getitem("list_dup", ([2, 2, 1],)),
    _getitem("lists_pair", ([0, 2], [1, 1])),
    _getitem("tensor_index", lambda lib: lib.tensor([[0, 1], [2, 2]])),
    _getitem("tensor_0d_index", lambda lib: lib.tensor(1)),
    _getitem("mixed", (slice(1, 3), [0, 3], slice(None, None, 2))),
    _getitem("int_list_split", ([0, 1], slice(None), 0)),
    _getitem("mask", lambda lib: lib.tensor(np.array([True, False, True]))),
    _getitem("mask_2d", lambda lib: lib.tensor(arr(3, 4, seed=3) > 0)),
    _getitem("bool_true", True),
    _getitem("bool_false", (False, 0)),
    OpInfo("getitem_0d_input", lambda lib, x: x[None], lambda: [Sample((np.array(1.25),))]),
    _setitem("int", (1, 2), (5,)),
    _setitem("slice_broadcast", (slice(0, 2), slice(None), 1), (1, 4)),
    _setitem("value_leading_ones", 0, (1, 1, 4, 5)),
    _setitem("list", ([0, 2],), (4, 5)),
    _setitem("mixed", (slice(None), [1, 3], 0), (2,)),
    _setitem("mask", lambda lib: lib.tensor(arr(3, 4, 5, seed=3) > 0), ()),
    OpInfo("gather", lambda lib, x, d, i: lib.gather(x, d, i), _gather_samples),
    OpInfo("scatter", lambda lib, x, d, i, s: lib.scatter(x, d, i, s), _scatter_samples),
    OpInfo("scatter_smaller", lambda lib, x, d, i, s: lib.scatter(x, d, i, s), _scatter_smaller_samples,
           differentiable=False),
    OpInfo("scatter_value", lambda lib, x, d, i, s: x.scatter(d, i, 2.5), _scatter_samples),
    OpInfo("scatter_add", lambda lib, x, d, i, s: lib.scatter_add(x, d, i, s), _scatter_add_samples),
    OpInfo("index_select", lambda lib, x, d, i: lib.index_select(x, d, i), _index_select_samples),
    OpInfo("index_add", lambda lib, x, d, i: x.index_add(d, i, x.index_select(d, i) * 2, alpha=3),
           _index_select_samples),
    OpInfo("index_fill", lambda lib, x, d, i: x.index_fill(d, i, -1.5), _index_select_samples),
    OpInfo("masked_fill", lambda lib, x, m: x.masked_fill(m, -2.0), _mask_samples),
    OpInfo("masked_fill_tensor", lambda lib, x, m: x.masked_fill(m, x.sum() * 0 + lib.tensor(0.5)),
           _mask_samples),
    OpInfo("masked_select", lambda lib, x, m: lib.masked_select(x, m), _mask_samples),
    OpInfo("take", lambda lib, x: lib.take(x, lib.tensor([[0, 11], [5, 5]])), _x(3, 4)),
    OpInfo("sort", lambda lib, x, **kw: _values_and_indices(lib.sort(x, **kw)), _sort_samples),
    OpInfo("argsort", lambda lib, x, **kw: lib.argsort(x, **kw), _sort_samples, differentiable=False),
    OpInfo("topk", lambda lib, x, k, **kw: _values_and_indices(lib.topk(x, k, **kw)), _topk_samples),
    OpInfo("nonzero", lambda lib, x: lib.nonzero(x > 0), lambda: [Sample((arr(3, 4),)),
                                                                  Sample((np.array(1.0),))],
           differentiable=False),
    OpInfo("nonzero_tuple", lambda lib, x: list(lib.nonzero(x > 0, as_tuple=True)),
           lambda: [Sample((arr(3, 4),)), Sample((np.array(1.0),))], differentiable=False),
]
