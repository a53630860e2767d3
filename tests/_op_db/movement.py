"""op_db entries for ember/ops/movement.py (and _join.py)."""
import numpy as np

from tests.op_db import OpInfo, Sample, arr


def _s(*shapes, **kw):
    """Samples of one array each, shapes as given (kwargs go to every call)."""
    def make():
        return [Sample((arr(*s, seed=i),), dict(kw)) for i, s in enumerate(shapes)]
    return make


def _one(*samples):
    def make():
        return list(samples)
    return make


def _op(name, fn, samples, **kw):
    return OpInfo(name, fn, samples, **kw)


def _cat_samples():
    return [Sample(([arr(2, 3), arr(1, 3, seed=1), arr(4, 3, seed=2)],)),
            Sample(([arr(2, 3), arr(2, 1, seed=1)], 1), name="dim1"),
            Sample(([arr(2, 3), arr(2, 2, seed=1)], -1), name="neg"),
            Sample(([arr(2, 3), np.zeros(0)],), name="legacy-empty"),
            Sample(([arr(3)],), name="one")]


def _stack_samples():
    return [Sample(([arr(2, 3), arr(2, 3, seed=1), arr(2, 3, seed=2)],)),
            Sample(([arr(2, 3), arr(2, 3, seed=1)], 2), name="last"),
            Sample(([arr(2, 3), arr(2, 3, seed=1)], -2), name="neg"),
            Sample(([arr(4), arr(4, seed=1)], 1), name="1d")]


OPS = [
    _op("view", lambda lib, x: x.view(3, 2), _s((2, 3), (6,), (3, 1, 2))),
    _op("view_infer", lambda lib, x: x.view(-1), _s((2, 3), (1,), (2, 1, 3))),
    _op("view_transposed", lambda lib, x: x.t().view(1, 3, 2), _s((2, 3))),
    _op("view_as", lambda lib, x: x.view_as(lib.ones(3, 2)), _s((2, 3))),
    _op("reshape", lambda lib, x: lib.reshape(x, (3, -1)), _s((2, 3), (6,), (1, 6))),
    _op("reshape_copy", lambda lib, x: x.t().reshape(-1), _s((2, 3), (4, 1))),
    _op("reshape_alias", lambda lib, x: x.t().reshape(1, 3, 2), _s((2, 3))),
    _op("reshape_0d", lambda lib, x: x.reshape(1, 1), _one(Sample((np.array(1.5),)))),
    _op("reshape_as", lambda lib, x: x.reshape_as(lib.ones(6)), _s((2, 3))),
    _op("flatten", lambda lib, x: lib.flatten(x), _s((2, 3, 4), (5,))),
    _op("flatten_dims", lambda lib, x: x.flatten(1, -1), _s((2, 3, 4))),
    _op("flatten_transposed", lambda lib, x: x.transpose(0, 2).flatten(0, 1), _s((2, 3, 4))),
    _op("flatten_0d", lambda lib, x: x.flatten(), _one(Sample((np.array(2.0),)))),
    _op("unflatten", lambda lib, x: x.unflatten(1, (2, -1)), _s((3, 4), (1, 6, 2))),
    _op("squeeze", lambda lib, x: x.squeeze(), _s((2, 1, 3, 1), (1,), (3,))),
    _op("squeeze_dim", lambda lib, x: lib.squeeze(x, -1), _s((2, 1, 3, 1), (2, 3))),
    _op("squeeze_dims", lambda lib, x: x.squeeze((0, 1)), _s((1, 1, 3), (2, 1, 3))),
    _op("unsqueeze", lambda lib, x: lib.unsqueeze(x, 1), _s((2, 3), (4,))),
    _op("unsqueeze_neg", lambda lib, x: x.unsqueeze(-1), _s((2, 3), (4,))),
    _op("expand", lambda lib, x: x.expand(2, 3, 4), _s((3, 1), (1, 4), (3, 4))),
    _op("expand_keep", lambda lib, x: x.expand(4, -1, -1), _s((1, 3, 2))),
    _op("expand_as", lambda lib, x: x.expand_as(lib.ones(2, 3)), _s((3,), (2, 1))),
    _op("broadcast_to", lambda lib, x: lib.broadcast_to(x, (2, 2, 3)), _s((3,), (2, 1, 1))),
    _op("broadcast_tensors", lambda lib, x, y: lib.broadcast_tensors(x, y),
        _one(Sample((arr(3, 1), arr(4, seed=1))), Sample((arr(2, 3), arr(2, 3, seed=1))))),
    _op("repeat", lambda lib, x: x.repeat(2, 3), _s((2, 3), (4,))),
    _op("repeat_new_dims", lambda lib, x: x.repeat(2, 1, 3), _s((2, 3), (3,))),
    _op("transpose", lambda lib, x: lib.transpose(x, 0, -1), _s((2, 3), (2, 3, 4))),
    _op("swapaxes", lambda lib, x: lib.swapaxes(x, 0, 1), _s((2, 3, 4))),
    _op("swapdims", lambda lib, x: x.swapdims(1, 2), _s((2, 3, 4))),
    _op("permute", lambda lib, x: x.permute(2, 0, 1), _s((2, 3, 4))),
    _op("permute_fn", lambda lib, x: lib.permute(x, (1, 0)), _s((2, 3))),
    _op("t", lambda lib, x: lib.t(x), _s((2, 3), (4,))),
    _op("T", lambda lib, x: x.T, _s((2, 3))),
    _op("mT", lambda lib, x: x.mT, _s((2, 3), (4, 2, 3))),
    _op("movedim", lambda lib, x: lib.movedim(x, 0, -1), _s((2, 3, 4))),
    _op("movedim_seq", lambda lib, x: x.movedim((0, 1), (2, 0)), _s((2, 3, 4))),
    _op("narrow", lambda lib, x: x.narrow(1, 1, 2), _s((3, 4), (2, 4, 2))),
    _op("narrow_neg", lambda lib, x: lib.narrow(x, -1, -3, 2), _s((3, 4))),
    _op("contiguous", lambda lib, x: x.t().contiguous(), _s((2, 3))),
    _op("contiguous_self", lambda lib, x: x.contiguous(), _s((2, 3))),
    _op("cat", lambda lib, xs, dim=0: lib.cat(xs, dim), _cat_samples),
    _op("concat", lambda lib, xs, dim=0: lib.concat(xs, dim=dim), _cat_samples),
    _op("stack", lambda lib, xs, dim=0: lib.stack(xs, dim), _stack_samples),
    _op("hstack", lambda lib, xs: lib.hstack(xs),
        _one(Sample(([arr(2, 3), arr(2, 1, seed=1)],)), Sample(([arr(3), arr(2, seed=1)],)))),
    _op("vstack", lambda lib, xs: lib.vstack(xs),
        _one(Sample(([arr(2, 3), arr(1, 3, seed=1)],)), Sample(([arr(3), arr(3, seed=1)],)))),
    _op("split", lambda lib, x: lib.split(x, 2), _s((5, 3), (4,))),
    _op("split_dim", lambda lib, x: x.split(2, dim=1), _s((3, 5))),
    _op("split_sizes", lambda lib, x: x.split([1, 3, 1]), _s((5, 2))),
    _op("split_one", lambda lib, x: x.split(3), _s((2, 3))),
    _op("split_partial_use", lambda lib, x: x.split(2)[1], _s((5, 3))),
    _op("chunk", lambda lib, x: lib.chunk(x, 3), _s((5, 2), (6,), (2, 3))),
    _op("chunk_dim", lambda lib, x: x.chunk(2, -1), _s((3, 5))),
    _op("unbind", lambda lib, x: lib.unbind(x), _s((3, 2), (4,))),
    _op("unbind_dim", lambda lib, x: x.unbind(1), _s((3, 2, 2))),
    _op("unbind_partial_use", lambda lib, x: x.unbind(0)[0] * 2, _s((3, 2))),
    _op("iter", lambda lib, x: list(x), _s((3, 2))),
    _op("flip", lambda lib, x: lib.flip(x, (0, 1)), _s((2, 3), (2, 3, 4))),
    _op("flip_method", lambda lib, x: x.flip(-1), _s((2, 3), (4,))),
    _op("fliplr", lambda lib, x: lib.fliplr(x), _s((2, 3))),
    _op("flipud", lambda lib, x: lib.flipud(x), _s((2, 3))),
    _op("roll", lambda lib, x: lib.roll(x, 1), _s((2, 3), (5,))),
    _op("roll_dims", lambda lib, x: x.roll((1, -2), (0, 1)), _s((3, 4))),
    _op("roll_dim", lambda lib, x: x.roll(-1, 1), _s((3, 4))),
    _op("tril", lambda lib, x: lib.tril(x), _s((3, 3), (3, 4), (2, 3, 4))),
    _op("tril_diag", lambda lib, x: x.tril(-1), _s((3, 4))),
    _op("triu", lambda lib, x: lib.triu(x), _s((3, 3), (4, 3), (2, 3, 4))),
    _op("triu_diag", lambda lib, x: x.triu(1), _s((3, 4))),
    _op("diagonal", lambda lib, x: lib.diagonal(x), _s((3, 3), (3, 4))),
    _op("diagonal_offset", lambda lib, x: x.diagonal(1), _s((3, 4), (4, 3))),
    _op("diagonal_dims", lambda lib, x: x.diagonal(-1, 2, 0), _s((3, 2, 4))),
    _op("atleast_1d", lambda lib, x: lib.atleast_1d(x), _one(Sample((np.array(1.5),)), Sample((arr(3),)))),
    _op("atleast_2d", lambda lib, x: lib.atleast_2d(x), _s((3,), (2, 3))),
    _op("atleast_3d", lambda lib, x: lib.atleast_3d(x), _s((3,), (2, 3), (2, 3, 4))),
]
