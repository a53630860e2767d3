"""op_db entries for ember/ops/conv.py and ember/nn/_layers.py (convolution, pooling, normalisation,
embedding, padding, linear maps).

Inputs stay small: the shared suite checks every float64 gradient by central finite differences.
Random uniform inputs give max pooling no ties.
"""
import numpy as np

from tests.op_db import OpInfo, Sample, arr


def F(lib):
    return lib.nn.functional


def _conv_samples():
    return [
        Sample((arr(1, 3, 5, 4), arr(4, 3, 3, 2, seed=1), arr(4, seed=2)), name="bias"),
        Sample((arr(1, 4, 7, 7), arr(6, 2, 3, 3, seed=1), None),
               {"stride": 2, "padding": 1, "dilation": (1, 2), "groups": 2}, name="groups"),
        Sample((arr(2, 2, 5, 5), arr(3, 2, 2, 2, seed=1), arr(3, seed=2)), {"padding": "same"},
               name="same-even"),
        Sample((arr(2, 2, 5, 6), arr(3, 2, 3, 3, seed=1), None), {"padding": "valid", "stride": (1, 2)}),
        Sample((arr(2, 5, 5), arr(3, 2, 3, 3, seed=1), arr(3, seed=2)), {"padding": 1}, name="unbatched"),
    ]


def _conv1d_samples():
    return [
        Sample((arr(2, 3, 9), arr(4, 3, 3, seed=1), arr(4, seed=2)), {"stride": 2, "padding": 1}),
        Sample((arr(2, 4, 8), arr(4, 1, 3, seed=1), None), {"groups": 4, "dilation": 2}, name="depthwise"),
        Sample((arr(3, 7), arr(2, 3, 4, seed=1), None), {"padding": "same"}, name="unbatched-same"),
    ]


def _pool_samples(with_dilation=True):
    s = [
        Sample((arr(1, 3, 6, 6),), {"kernel_size": 2}),
        Sample((arr(1, 2, 7, 6, seed=1),), {"kernel_size": 3, "stride": 2, "padding": 1}),
        Sample((arr(1, 2, 7, 7, seed=2),), {"kernel_size": 3, "stride": 2, "ceil_mode": True}),
        Sample((arr(2, 5, 6, seed=3),), {"kernel_size": (2, 3), "stride": (1, 2)}, name="unbatched"),
    ]
    if with_dilation:
        s.append(Sample((arr(1, 2, 8, 7, seed=4),), {"kernel_size": 3, "padding": 1, "dilation": 2,
                                                   "stride": 1}))
    return s


def _avg_samples():
    return _pool_samples(False) + [
        Sample((arr(1, 2, 7, 6, seed=5),), {"kernel_size": 3, "stride": 2, "padding": 1,
                                           "count_include_pad": False, "ceil_mode": True}),
        Sample((arr(1, 2, 6, 6, seed=6),), {"kernel_size": 3, "padding": 1, "divisor_override": 4}),
    ]


def _pool1d_samples():
    return [
        Sample((arr(2, 3, 9),), {"kernel_size": 2}),
        Sample((arr(2, 3, 10, seed=1),), {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}),
        Sample((arr(3, 8, seed=2),), {"kernel_size": 4, "stride": 3}, name="unbatched"),
    ]


def _max_pool2d_indices(lib, x, **kw):
    return F(lib).max_pool2d(x, return_indices=True, **kw)


def _batch_norm(lib, x, w, b, training, eval_stats=False):
    c = x.shape[1]
    rm = rv = None
    if eval_stats or training:
        g = np.random.default_rng(3)
        rm = lib.tensor(g.uniform(-1, 1, c), dtype=x.dtype)
        rv = lib.tensor(g.uniform(0.5, 2, c), dtype=x.dtype)
    out = F(lib).batch_norm(x, rm, rv, w, b, training=training, momentum=0.3, eps=1e-4)
    return (out, rm, rv) if training else out


def _embedding(lib, w, idx, **kw):
    return F(lib).embedding(idx, w, **kw)


_IDX = np.array([[1, 4, 4, 0], [3, 2, 1, 4]])

OPS = [
    OpInfo("nn.functional.conv2d", lambda lib, x, w, b, **kw: F(lib).conv2d(x, w, b, **kw), _conv_samples,
           rtol=1e-4, atol=1e-5, grad_rtol=1e-3, grad_atol=1e-4),
    OpInfo("nn.functional.conv1d", lambda lib, x, w, b, **kw: F(lib).conv1d(x, w, b, **kw),
           _conv1d_samples, rtol=1e-4, atol=1e-5, grad_rtol=1e-3, grad_atol=1e-4),
    OpInfo("nn.functional.conv3d", lambda lib, x, w: F(lib).conv3d(x, w, stride=(1, 2, 1), padding=1),
           lambda: [Sample((arr(1, 2, 3, 4, 3), arr(2, 2, 2, 2, 2, seed=1)))],
           rtol=1e-4, atol=1e-5, grad_rtol=1e-3, grad_atol=1e-4),
    OpInfo("nn.functional.max_pool2d", lambda lib, x, **kw: F(lib).max_pool2d(x, **kw), _pool_samples),
    OpInfo("nn.functional.max_pool2d_with_indices", _max_pool2d_indices,
           lambda: _pool_samples()[:3]),
    OpInfo("nn.functional.max_pool1d", lambda lib, x, **kw: F(lib).max_pool1d(x, **kw), _pool1d_samples),
    OpInfo("nn.functional.avg_pool2d", lambda lib, x, **kw: F(lib).avg_pool2d(x, **kw), _avg_samples),
    OpInfo("nn.functional.avg_pool1d", lambda lib, x, **kw: F(lib).avg_pool1d(x, **kw), _pool1d_samples),
    OpInfo("nn.functional.adaptive_avg_pool2d",
           lambda lib, x, size: F(lib).adaptive_avg_pool2d(x, size),
           lambda: [Sample((arr(1, 3, 7, 5), (3, 2))), Sample((arr(1, 2, 6, 6, seed=1), 4)),
                    Sample((arr(1, 2, 5, 4, seed=2), (None, 3))), Sample((arr(2, 5, 5, seed=3), 1)),
                    Sample((arr(1, 2, 3, 4, seed=4), (5, 6)), name="upsample")]),
    OpInfo("nn.functional.adaptive_avg_pool1d",
           lambda lib, x, size: F(lib).adaptive_avg_pool1d(x, size),
           lambda: [Sample((arr(2, 3, 10), 4)), Sample((arr(3, 7, seed=1), 3))]),
    OpInfo("nn.functional.adaptive_max_pool2d",
           lambda lib, x, size: F(lib).adaptive_max_pool2d(x, size, return_indices=True),
           lambda: [Sample((arr(1, 3, 7, 5), (3, 2))), Sample((arr(1, 2, 6, 6, seed=1), 4)),
                    Sample((arr(2, 5, 5, seed=3), (None, 2)), name="unbatched")]),
    OpInfo("nn.functional.adaptive_max_pool1d",
           lambda lib, x, size: F(lib).adaptive_max_pool1d(x, size),
           lambda: [Sample((arr(2, 3, 10), 4)), Sample((arr(3, 7, seed=1), 3))]),
    OpInfo("nn.functional.unfold", lambda lib, x, **kw: F(lib).unfold(x, **kw),
           lambda: [Sample((arr(1, 3, 5, 4),), {"kernel_size": 2}),
                    Sample((arr(1, 2, 6, 5, seed=1),), {"kernel_size": (2, 3), "stride": 2, "padding": 1,
                                                       "dilation": (1, 2)})]),
    OpInfo("nn.functional.fold", lambda lib, x, **kw: F(lib).fold(x, **kw),
           lambda: [Sample((arr(1, 12, 12),), {"output_size": (4, 5), "kernel_size": 2}),
                    Sample((arr(1, 18, 9, seed=1),), {"output_size": 5, "kernel_size": (2, 3), "stride": 2,
                                                     "padding": 1})]),
    OpInfo("nn.functional.interpolate", lambda lib, x, **kw: F(lib).interpolate(x, **kw),
           lambda: [Sample((arr(1, 3, 4, 5),), {"scale_factor": 2}),
                    Sample((arr(1, 2, 5, 4, seed=1),), {"size": (7, 3)}),
                    Sample((arr(1, 2, 6, seed=2),), {"size": 9, "mode": "nearest-exact"}),
                    Sample((arr(1, 2, 3, 2, 2, seed=3),), {"scale_factor": (1.5, 2, 1)})]),
    OpInfo("nn.functional.batch_norm", lambda lib, x, w, b, **kw: _batch_norm(lib, x, w, b, **kw),
           lambda: [Sample((arr(4, 3, 3, 2), arr(3, seed=1), arr(3, seed=2)), {"training": True}),
                    Sample((arr(5, 3), None, None), {"training": True}, name="2d-noaffine"),
                    Sample((arr(3, 2, 4, seed=3), arr(2, seed=1), arr(2, seed=2)),
                           {"training": False, "eval_stats": True}, name="eval")],
           rtol=1e-4, atol=1e-5, grad_rtol=1e-3, grad_atol=1e-4),
    OpInfo("nn.functional.layer_norm", lambda lib, x, shape, w, b: F(lib).layer_norm(x, shape, w, b),
           lambda: [Sample((arr(2, 3, 4), (4,), arr(4, seed=1), arr(4, seed=2))),
                    Sample((arr(2, 3, 4, seed=3), (3, 4), None, None), name="2dims"),
                    Sample((arr(5, seed=4), [5], arr(5, seed=1), None), name="1d")],
           rtol=1e-4, atol=1e-5, grad_rtol=1e-3, grad_atol=1e-4),
    OpInfo("nn.functional.group_norm", lambda lib, x, g, w, b: F(lib).group_norm(x, g, w, b),
           lambda: [Sample((arr(2, 4, 3, 2), 2, arr(4, seed=1), arr(4, seed=2))),
                    Sample((arr(3, 6, 4, seed=3), 3, None, None)),
                    Sample((arr(2, 4, seed=4), 2, arr(4, seed=1), None), name="2d")],
           rtol=1e-4, atol=1e-5, grad_rtol=1e-3, grad_atol=1e-4),
    OpInfo("nn.functional.embedding", _embedding,
           lambda: [Sample((arr(5, 3), _IDX), int_args=(1,)),
                    Sample((arr(5, 3, seed=3), _IDX[0]), int_args=(1,))]),
    # padding_idx's row gets no gradient by design (not the true derivative): torch checks only
    OpInfo("nn.functional.embedding_padding_idx", _embedding,
           lambda: [Sample((arr(5, 3, seed=1), _IDX), {"padding_idx": 4}, int_args=(1,), name="pad"),
                    Sample((arr(5, 3, seed=2), _IDX[0]), {"padding_idx": -5}, int_args=(1,))],
           gradcheck=False),
    OpInfo("nn.functional.pad", lambda lib, x, p, **kw: F(lib).pad(x, p, **kw),
           lambda: [Sample((arr(2, 3, 4), (1, 2))),
                    Sample((arr(2, 3, 4, seed=1), (1, -1, 2, 0)), {"value": 0.5}, name="crop"),
                    Sample((arr(1, 2, 4, 5, seed=2), (2, 1, 3, 0)), {"mode": "reflect"}),
                    Sample((arr(2, 5, seed=3), (3, 4)), {"mode": "reflect"}, name="1d"),
                    Sample((arr(1, 2, 4, 5, seed=4), (2, 1, 3, 0)), {"mode": "replicate"}),
                    Sample((arr(1, 2, 3, 3, 2, seed=5), (1, 1, 0, 2, 1, 0)), {"mode": "replicate"}),
                    Sample((arr(1, 2, 4, 5, seed=6), (2, 1, 3, 0)), {"mode": "circular"})]),
    OpInfo("nn.functional.linear", lambda lib, x, w, b: F(lib).linear(x, w, b),
           lambda: [Sample((arr(3, 4), arr(2, 4, seed=1), arr(2, seed=2))),
                    Sample((arr(2, 3, 4), arr(2, 4, seed=1), None), name="3d-nobias"),
                    Sample((arr(2, 3, 4), arr(2, 4, seed=1), arr(2, seed=2)), name="3d"),
                    Sample((arr(4), arr(2, 4, seed=1), arr(2, seed=2)), name="1d")]),
    OpInfo("nn.functional.bilinear", lambda lib, x, y, w, b: F(lib).bilinear(x, y, w, b),
           lambda: [Sample((arr(3, 4), arr(3, 2, seed=1), arr(5, 4, 2, seed=2), arr(5, seed=3))),
                    Sample((arr(2, 3, 4), arr(2, 3, 2, seed=1), arr(5, 4, 2, seed=2), None))]),
    OpInfo("nn.functional.normalize", lambda lib, x, **kw: F(lib).normalize(x, **kw),
           lambda: [Sample((arr(3, 4),)), Sample((arr(2, 3, 4, seed=1),), {"p": 1, "dim": -1}),
                    Sample((arr(2, 3, seed=2),), {"p": 3.0, "dim": 0})]),
    OpInfo("nn.functional.one_hot", lambda lib, x, n=-1: F(lib).one_hot(x, n),
           lambda: [Sample((np.array([0, 3, 1, 3]),)), Sample((np.array([[0, 2], [1, 1]]), 4))],
           differentiable=False),
]
