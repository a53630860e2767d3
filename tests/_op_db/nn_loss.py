"""op_db entries for the losses of ember.nn.functional.

Targets that are class indices are int64 (``int_args``); weights are passed as float arrays that do
not take gradients (``grad=``), since torch refuses gradients for them.
"""
import numpy as np

from tests.op_db import OpInfo, Sample, arr

RED = ("mean", "sum", "none")


def _F(lib):
    return lib.nn.functional


def _idx(shape, n_classes, seed=0, ignore=None):
    t = np.random.default_rng(seed).integers(0, n_classes, size=shape)
    if ignore is not None:
        t.reshape(-1)[::3] = ignore
    return t


def pair_samples(low=-2.0, high=2.0, t_low=-2.0, t_high=2.0):
    def make():
        s = [Sample((arr(3, 4, low=low, high=high), arr(3, 4, low=t_low, high=t_high, seed=1)),
                    {"reduction": r}) for r in RED]
        s.append(Sample((arr(2, 3, 2, low=low, high=high, seed=2),
                         arr(2, 3, 2, low=t_low, high=t_high, seed=3))))
        s.append(Sample((np.array(0.3 * (high - low) + low), np.array(t_low + 0.2)), name="0d"))
        return s
    return make


def prob_pair_samples():
    """Probabilities in (0.05, 0.95) and soft targets in [0, 1]."""
    def make():
        s = [Sample((arr(3, 4, low=0.05, high=0.95), arr(3, 4, low=0, high=1, seed=1)),
                    {"reduction": r}) for r in RED]
        s.append(Sample((arr(5, low=0.05, high=0.95, seed=2), arr(5, low=0, high=1, seed=3),
                         arr(5, low=0.5, high=2, seed=4)), {"reduction": "mean"}, grad=(0, 1), name="weight"))
        s.append(Sample((arr(2, 3, low=0.05, high=0.95, seed=2), arr(2, 3, low=0, high=1, seed=3),
                         arr(3, low=0.5, high=2, seed=4)), {"reduction": "sum"}, grad=(0, 1),
                        name="weight-bcast"))
        return s
    return make


def logit_pair_samples():
    def make():
        s = [Sample((arr(3, 4, low=-4, high=4), arr(3, 4, low=0, high=1, seed=1)), {"reduction": r})
             for r in RED]
        s.append(Sample((arr(3, 4, low=-4, high=4, seed=2), arr(3, 4, low=0, high=1, seed=3),
                         arr(4, low=0.5, high=2, seed=4)), {"reduction": "mean"}, grad=(0, 1), name="weight"))
        s.append(Sample((arr(3, 4, low=-4, high=4, seed=5), arr(3, 4, low=0, high=1, seed=6), None,
                         arr(4, low=0.5, high=3, seed=7)), {"reduction": "sum"}, grad=(0, 1),
                        name="pos_weight"))
        s.append(Sample((arr(2, 3, low=-1e4, high=1e4, seed=8), (arr(2, 3, seed=9) > 0).astype(float)),
                        name="extreme"))
        return s
    return make


def class_samples(ignore_index=-100):
    """(logits or log-probs, int target[, weight]) over 1-d, 2-d and N-d inputs, all reductions."""
    def make():
        s = []
        for r in RED:
            s.append(Sample((arr(4, 5), _idx(4, 5)), {"reduction": r}, int_args=(1,)))
        s += [Sample((arr(5, seed=1), np.array(3)), int_args=(1,), name="1d"),
              Sample((arr(2, 3, 4, seed=2), _idx((2, 4), 3, seed=3)), {"reduction": "mean"}, int_args=(1,),
                     name="3d"),
              Sample((arr(2, 3, 2, 2, seed=4), _idx((2, 2, 2), 3, seed=5)), {"reduction": "none"},
                     int_args=(1,), name="4d"),
              Sample((arr(4, 5, seed=6), _idx(4, 5, seed=7), arr(5, low=0.2, high=2, seed=8)),
                     {"reduction": "mean"}, int_args=(1,), grad=(0,), name="weight"),
              Sample((arr(4, 5, seed=6), _idx(4, 5, seed=7), arr(5, low=0.2, high=2, seed=8)),
                     {"reduction": "none"}, int_args=(1,), grad=(0,), name="weight-none"),
              Sample((arr(6, 5, seed=9), _idx(6, 5, seed=10, ignore=ignore_index)),
                     {"reduction": "mean", "ignore_index": ignore_index}, int_args=(1,), name="ignore"),
              Sample((arr(6, 5, seed=9), _idx(6, 5, seed=10, ignore=1), arr(5, low=0.2, high=2, seed=8)),
                     {"reduction": "mean", "ignore_index": 1}, int_args=(1,), grad=(0,),
                     name="ignore-in-range-weight"),
]
        return s
    return make


def all_ignored_samples():
    """Every target ignored: 'mean' is 0/0 = nan, the gradient is 0 (torch's answer for both)."""
    return lambda: [Sample((arr(3, 5, seed=11), np.full(3, -100)), {"reduction": r}, int_args=(1,))
                    for r in RED] + [
        Sample((arr(2, 3, 2, seed=12), np.full((2, 2), 1), arr(3, low=0.5, high=1, seed=3)),
               {"ignore_index": 1}, int_args=(1,), grad=(0,), name="3d-weight")]


def smoothing_samples():
    def make():
        return [Sample((arr(4, 5), _idx(4, 5)), {"label_smoothing": 0.1, "reduction": r}, int_args=(1,))
                for r in RED] + [
            Sample((arr(6, 5, seed=9), _idx(6, 5, seed=10, ignore=-100), arr(5, low=0.2, high=2, seed=8)),
                   {"label_smoothing": 0.2}, int_args=(1,), grad=(0,), name="weight-ignore"),
            Sample((arr(2, 3, 4, seed=2), _idx((2, 4), 3, seed=3)), {"label_smoothing": 0.3}, int_args=(1,),
                   name="3d")]
    return make


def prob_target_samples():
    def make():
        def probs(*shape, seed, axis):
            p = arr(*shape, low=0.1, high=1, seed=seed)
            return p / p.sum(axis=axis, keepdims=True)
        s = [Sample((arr(4, 5), probs(4, 5, seed=1, axis=1)), {"reduction": r}) for r in RED]
        s += [Sample((arr(2, 3, 4, seed=2), probs(2, 3, 4, seed=3, axis=1)), {"label_smoothing": 0.2},
                     name="3d-smooth"),
              Sample((arr(4, 5, seed=4), probs(4, 5, seed=5, axis=1), arr(5, low=0.2, high=2, seed=6)),
                     {"reduction": "mean"}, grad=(0, 1), name="weight"),
              Sample((arr(5, seed=7), probs(5, seed=8, axis=0)), name="1d")]
        return s
    return make


def _ce(lib, x, t, w=None, **kw):
    return _F(lib).cross_entropy(x, t, weight=w, **kw)


def _nll(lib, x, t, w=None, **kw):
    return _F(lib).nll_loss(x, t, weight=w, **kw)


def _bce(lib, x, t, w=None, **kw):
    return _F(lib).binary_cross_entropy(x, t, weight=w, **kw)


def _bcel(lib, x, t, w=None, pw=None, **kw):
    return _F(lib).binary_cross_entropy_with_logits(x, t, weight=w, pos_weight=pw, **kw)


def _kl_samples():
    def make():
        logp = np.log(arr(3, 4, low=0.1, high=1))
        t = arr(3, 4, low=0.1, high=1, seed=1)
        t0 = t.copy()
        t0[0, 1] = 0.0
        return [Sample((logp, t), {"reduction": r}) for r in ("sum", "none", "batchmean")] + [
            Sample((logp, t0), {"reduction": "sum"}, grad=(0,), name="zero-target"),
            Sample((logp, np.log(t)), {"reduction": "batchmean", "log_target": True}, name="log_target")]
    return make


def _margin_samples():
    def make():
        sign = np.where(arr(3, 4, seed=3) > 0, 1.0, -1.0)
        return [Sample((arr(3, 4), arr(3, 4, seed=1), sign), {"reduction": r, "margin": 0.3}, grad=(0, 1))
                for r in RED]
    return make


def _signed_samples(fn_margin=True):
    def make():
        sign = np.where(arr(3, 4, seed=3) > 0, 1.0, -1.0)
        return [Sample((arr(3, 4, low=-3, high=3), sign), {"reduction": r}, grad=(0,)) for r in RED]
    return make


OPS = [
    OpInfo("F.mse_loss", lambda lib, x, t, **kw: _F(lib).mse_loss(x, t, **kw), pair_samples()),
    OpInfo("F.mse_loss_weight", lambda lib, x, t, w: _F(lib).mse_loss(x, t, weight=w),
           lambda: [Sample((arr(3, 4), arr(3, 4, seed=1), arr(3, 4, low=0.1, high=1, seed=2)), grad=(0, 1))]),
    # l1's second derivative is zero, which torch returns as a ZeroTensor the shared gradgrad check
    # cannot read: the entries feed tanh(x) so that the second derivative is a real tensor
    OpInfo("F.l1_loss", lambda lib, x, t, **kw: _F(lib).l1_loss(lib.tanh(x), t, **kw), pair_samples()),
    OpInfo("F.smooth_l1_loss", lambda lib, x, t, **kw: _F(lib).smooth_l1_loss(x, t, **kw), pair_samples()),
    OpInfo("F.smooth_l1_loss_beta", lambda lib, x, t, **kw: _F(lib).smooth_l1_loss(x, t, beta=0.5, **kw),
           pair_samples()),
    OpInfo("F.smooth_l1_loss_beta0",
           lambda lib, x, t, **kw: _F(lib).smooth_l1_loss(lib.tanh(x), t, beta=0.0, **kw), pair_samples()),
    OpInfo("F.huber_loss", lambda lib, x, t, **kw: _F(lib).huber_loss(x, t, delta=0.7, **kw), pair_samples()),
    OpInfo("F.binary_cross_entropy", _bce, prob_pair_samples()),
    OpInfo("F.binary_cross_entropy_with_logits", _bcel, logit_pair_samples()),
    OpInfo("F.soft_margin_loss", lambda lib, x, t, **kw: _F(lib).soft_margin_loss(x, t, **kw),
           _signed_samples()),
    OpInfo("F.hinge_embedding_loss", lambda lib, x, t, **kw: _F(lib).hinge_embedding_loss(x, t, margin=0.5, **kw),
           _signed_samples()),
    OpInfo("F.margin_ranking_loss", lambda lib, a, b, t, **kw: _F(lib).margin_ranking_loss(a, b, t, **kw),
           _margin_samples()),
    OpInfo("F.nll_loss", _nll, class_samples()),
    OpInfo("F.cross_entropy", _ce, class_samples()),
    OpInfo("F.nll_loss_all_ignored", _nll, all_ignored_samples(), gradcheck=False),
    OpInfo("F.cross_entropy_all_ignored", _ce, all_ignored_samples(), gradcheck=False),
    OpInfo("F.cross_entropy_ignore0", _ce, class_samples(ignore_index=0)),
    OpInfo("F.cross_entropy_smoothing", _ce, smoothing_samples()),
    OpInfo("F.cross_entropy_probs", _ce, prob_target_samples()),
    OpInfo("F.kl_div", lambda lib, x, t, **kw: _F(lib).kl_div(x, t, **kw), _kl_samples()),
    OpInfo("F.poisson_nll_loss", lambda lib, x, t, **kw: _F(lib).poisson_nll_loss(x, t, **kw),
           lambda: [Sample((arr(3, 4), arr(3, 4, low=0, high=3, seed=1)), {"reduction": r}) for r in RED] + [
               Sample((arr(3, 4, low=0.2, high=2), arr(3, 4, low=0, high=3, seed=1)),
                      {"log_input": False, "full": True}, name="full")]),
    OpInfo("F.triplet_margin_loss",
           lambda lib, a, pos, neg, **kw: _F(lib).triplet_margin_loss(a, pos, neg, margin=0.5, **kw),
           lambda: [Sample((arr(4, 3), arr(4, 3, seed=1), arr(4, 3, seed=2)), {"reduction": r}) for r in RED]
           + [Sample((arr(4, 3), arr(4, 3, seed=1), arr(4, 3, seed=2)), {"swap": True, "p": 1.5}, name="swap")]),
    OpInfo("F.cosine_similarity", lambda lib, a, b, **kw: _F(lib).cosine_similarity(a, b, **kw),
           lambda: [Sample((arr(4, 3), arr(4, 3, seed=1))),
                    Sample((arr(2, 3, 4, seed=2), arr(3, 1, seed=3)), {"dim": 1}, name="broadcast"),
                    Sample((arr(5, seed=4), arr(5, seed=5)), {"dim": 0})]),
    OpInfo("F.pairwise_distance", lambda lib, a, b, **kw: _F(lib).pairwise_distance(a, b, **kw),
           lambda: [Sample((arr(4, 3), arr(4, 3, seed=1))),
                    Sample((arr(4, 3, seed=2), arr(3, seed=3)), {"p": 1.0, "keepdim": True}),
                    Sample((arr(5, seed=4), arr(5, seed=5)), {"p": 3.0})]),
]
