"""RNN, LSTM, GRU and their cells against torch's: parameter names/shapes, seeded default init, outputs
and gradients (backprop through time) with weights copied via state_dict, unbatched inputs, dropout
between layers, error types and messages, repr."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
from ember.nn.modules import rnn as rnn_m

torch = pytest.importorskip("torch")

# (ember class, torch class, extra constructor kwargs)
KINDS = {
    "rnn_tanh": (rnn_m.RNN, "RNN", {}),
    "rnn_relu": (rnn_m.RNN, "RNN", {"nonlinearity": "relu"}),
    "lstm": (rnn_m.LSTM, "LSTM", {}),
    "gru": (rnn_m.GRU, "GRU", {}),
}
CELLS = {
    "rnn_tanh": (rnn_m.RNNCell, "RNNCell", {}),
    "rnn_relu": (rnn_m.RNNCell, "RNNCell", {"nonlinearity": "relu"}),
    "lstm": (rnn_m.LSTMCell, "LSTMCell", {}),
    "gru": (rnn_m.GRUCell, "GRUCell", {}),
}


def _pair(kind, *args, table=KINDS, **kwargs):
    """A torch module and an ember one holding the same weights (copied through state_dict)."""
    ecls, tname, extra = table[kind]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # dropout with one layer
        tm = getattr(torch.nn, tname)(*args, **extra, **kwargs)
        em = ecls(*args, **extra, **kwargs)
    em.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    return em, tm


def _both(arr, requires_grad=True):
    return (ember.tensor(arr, requires_grad=requires_grad), torch.tensor(arr, requires_grad=requires_grad))


def _close(e, t, tol):
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=tol, atol=tol)


def _flat(out):
    """output, h_n (, c_n) as a flat list, whatever the module returned."""
    output, hidden = out if isinstance(out, tuple) and len(out) == 2 and not isinstance(out[0], tuple) \
        else (out, ())
    if isinstance(hidden, tuple):
        return [output, *hidden]
    return [output, hidden]


def _check_against_torch(em, tm, x, hx, tol):
    """Forward values, then gradients of a weighted sum of every output w.r.t. input, states, params."""
    ex, tx = _both(x)
    ehx = thx = None
    if hx is not None:
        pairs = [_both(h) for h in hx]
        ehx = tuple(p[0] for p in pairs)
        thx = tuple(p[1] for p in pairs)
        if len(hx) == 1:
            ehx, thx = ehx[0], thx[0]
    eouts, touts = _flat(em(ex, ehx)), _flat(tm(tx, thx))
    assert len(eouts) == len(touts)
    rng = np.random.default_rng(0)
    eloss, tloss = 0, 0
    for e, t in zip(eouts, touts):
        assert tuple(e.shape) == tuple(t.shape)
        _close(e, t, tol)
        w = rng.standard_normal(tuple(t.shape)).astype(x.dtype)
        eloss = eloss + (e * ember.tensor(w)).sum()
        tloss = tloss + (t * torch.tensor(w)).sum()
    eloss.backward()
    tloss.backward()
    _close(ex.grad, tx.grad, tol)
    if hx is not None:
        for e, t in zip(ehx if isinstance(ehx, tuple) else (ehx,), thx if isinstance(thx, tuple) else (thx,)):
            _close(e.grad, t.grad, tol)
    for (en, ep), (tn, tp) in zip(em.named_parameters(), tm.named_parameters()):
        assert en == tn
        _close(ep.grad, tp.grad, tol)


def _states(kind, shape, proj=0, rng=None):
    rng = rng or np.random.default_rng(1)
    if kind == "lstm":
        hshape = shape[:-1] + (proj,) if proj else shape
        return (rng.standard_normal(hshape).astype(np.float32), rng.standard_normal(shape).astype(np.float32))
    return (rng.standard_normal(shape).astype(np.float32),)


# --------------------------------------------------------------------------- sequences
@pytest.mark.parametrize("with_hx", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("kind", list(KINDS))
def test_forward_backward_match_torch(kind, num_layers, bidirectional, batch_first, with_hx):
    em, tm = _pair(kind, 4, 5, num_layers=num_layers, bidirectional=bidirectional, batch_first=batch_first)
    seq, batch = 6, 3
    rng = np.random.default_rng(42)
    x = rng.standard_normal((batch, seq, 4) if batch_first else (seq, batch, 4)).astype(np.float32)
    hx = _states(kind, (num_layers * (2 if bidirectional else 1), batch, 5)) if with_hx else None
    _check_against_torch(em, tm, x, hx, 1e-5)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("with_hx", [False, True])
@pytest.mark.parametrize("kind", list(KINDS))
def test_unbatched_input(kind, with_hx, batch_first):
    em, tm = _pair(kind, 3, 4, num_layers=2, bidirectional=True, batch_first=batch_first)
    x = np.random.default_rng(2).standard_normal((5, 3)).astype(np.float32)
    hx = _states(kind, (4, 4)) if with_hx else None
    _check_against_torch(em, tm, x, hx, 1e-5)
    eout = _flat(em(ember.tensor(x)))
    assert [tuple(t.shape) for t in eout[1:]] == [(4, 4)] * (len(eout) - 1)


@pytest.mark.parametrize("kind", list(KINDS))
def test_no_bias(kind):
    em, tm = _pair(kind, 3, 4, num_layers=2, bias=False)
    assert [n for n, _ in em.named_parameters()] == ["weight_ih_l0", "weight_hh_l0", "weight_ih_l1", "weight_hh_l1"]
    x = np.random.default_rng(3).standard_normal((4, 2, 3)).astype(np.float32)
    _check_against_torch(em, tm, x, None, 1e-5)


@pytest.mark.parametrize("with_hx", [False, True])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_lstm_proj_size(bidirectional, with_hx):
    em, tm = _pair("lstm", 4, 6, num_layers=2, proj_size=3, bidirectional=bidirectional)
    d = 2 if bidirectional else 1
    x = np.random.default_rng(4).standard_normal((5, 2, 4)).astype(np.float32)
    hx = _states("lstm", (2 * d, 2, 6), proj=3) if with_hx else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch: projections not supported with oneDNN
        _check_against_torch(em, tm, x, hx, 1e-5)
    out, (h, c) = em(ember.tensor(x))
    assert tuple(out.shape) == (5, 2, 3 * d) and tuple(h.shape) == (2 * d, 2, 3) and tuple(c.shape) == (2 * d, 2, 6)


@pytest.mark.parametrize("kind", list(KINDS))
def test_float64_matches_torch_tightly(kind):
    em, tm = _pair(kind, 3, 4, num_layers=2, bidirectional=True)
    em.double()
    tm.double()
    x = np.random.default_rng(5).standard_normal((7, 2, 3))
    out = _flat(em(ember.tensor(x)))
    assert out[0].dtype == ember.float64
    _check_against_torch(em, tm, x, None, 1e-10)


@settings(max_examples=15, deadline=None)
@given(kind=st.sampled_from(list(KINDS)), seq=st.integers(1, 5), batch=st.integers(1, 4),
       input_size=st.integers(1, 4), hidden=st.integers(1, 5), layers=st.integers(1, 3),
       bidirectional=st.booleans())
def test_shapes_vary(kind, seq, batch, input_size, hidden, layers, bidirectional):
    em, tm = _pair(kind, input_size, hidden, num_layers=layers, bidirectional=bidirectional)
    x = np.random.default_rng(seq * 7 + batch).standard_normal((seq, batch, input_size)).astype(np.float32)
    _check_against_torch(em, tm, x, None, 2e-5)


def test_dropout_between_layers_matches_torch_and_is_off_in_eval():
    em, tm = _pair("gru", 4, 5, num_layers=3, dropout=0.5)
    x = np.random.default_rng(6).standard_normal((6, 3, 4)).astype(np.float32)
    torch.manual_seed(7)
    ember.manual_seed(7)
    _check_against_torch(em, tm, x, None, 1e-5)  # same seed, same masks
    em.eval()
    a = em(ember.tensor(x))[0]
    b = em(ember.tensor(x))[0]
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    tm.eval()
    _close(a, tm(torch.tensor(x))[0], 1e-5)


def test_default_init_matches_torch_with_same_seed():
    for ecls, tname, extra in KINDS.values():
        torch.manual_seed(11)
        ember.manual_seed(11)
        tm = getattr(torch.nn, tname)(3, 5, num_layers=2, bidirectional=True, **extra)
        em = ecls(3, 5, num_layers=2, bidirectional=True, **extra)
        for ep, tp in zip(em.parameters(), tm.parameters()):
            np.testing.assert_array_equal(ep.detach().numpy(), tp.detach().numpy())
        bound = 1 / np.sqrt(5)
        assert all(float(p.abs().max()) <= bound for p in em.parameters())
        assert all(isinstance(p, ember.nn.Parameter) and p.requires_grad for p in em.parameters())


_COMMON = [{}, {"num_layers": 2}, {"bidirectional": True, "num_layers": 3}, {"bias": False, "bidirectional": True}]
_PROJ = [{"proj_size": 2, "num_layers": 2, "bidirectional": True}, {"proj_size": 2, "bias": False}]


@pytest.mark.parametrize(("kind", "kwargs"), [(k, kw) for k in ("rnn_tanh", "lstm", "gru") for kw in _COMMON]
                         + [("lstm", kw) for kw in _PROJ])
def test_parameter_names_and_shapes(kind, kwargs):
    em, tm = _pair(kind, 3, 5, **kwargs)
    assert list(em.state_dict()) == list(tm.state_dict())
    assert [tuple(v.shape) for v in em.state_dict().values()] == [tuple(v.shape) for v in tm.state_dict().values()]
    assert [[tuple(p.shape) for p in g] for g in em.all_weights] == \
        [[tuple(p.shape) for p in g] for g in tm.all_weights]
    assert em._flat_weights_names == tm._flat_weights_names


def test_repr_matches_torch():
    cases = [
        ("lstm", (10, 20), {"num_layers": 2}),
        ("lstm", (10, 20), {"num_layers": 2, "dropout": 0.5, "bidirectional": True, "batch_first": True,
                            "proj_size": 5, "bias": False}),
        ("rnn_relu", (3, 4), {"num_layers": 2}),
        ("gru", (3, 4), {}),
    ]
    for kind, args, kwargs in cases:
        em, tm = _pair(kind, *args, **kwargs)
        assert repr(em) == repr(tm)
    for kind in CELLS:
        for bias in (True, False):
            em, tm = _pair(kind, 3, 4, bias=bias, table=CELLS)
            assert repr(em) == repr(tm)
    assert repr(rnn_m.RNN(3, 4, 2, "relu")) == "RNN(3, 4, num_layers=2)"
    assert rnn_m.RNN(3, 4, 2, "relu").mode == "RNN_RELU"


def test_lstm_state_is_threaded_through_calls():
    # feeding the final state back in equals running the concatenated sequence at once
    em, _ = _pair("lstm", 3, 4, num_layers=2)
    x = ember.randn(8, 2, 3)
    full, (h, c) = em(x)
    first, state = em(x[:5])
    second, (h2, c2) = em(x[5:], state)
    np.testing.assert_allclose(ember.cat([first, second]).detach().numpy(), full.detach().numpy(), atol=1e-6)
    np.testing.assert_allclose(h2.detach().numpy(), h.detach().numpy(), atol=1e-6)
    np.testing.assert_allclose(c2.detach().numpy(), c.detach().numpy(), atol=1e-6)


# --------------------------------------------------------------------------- errors
def _same_error(fn_e, fn_t, phrase):
    with pytest.raises(Exception) as te:
        fn_t()
    with pytest.raises(type(te.value), match=phrase):
        fn_e()


@pytest.mark.parametrize("kind", list(KINDS))
def test_sequence_errors(kind):
    em, tm = _pair(kind, 10, 20)
    lstm = kind == "lstm"

    def call(mod, lib, shape, hshape=None, dtype=None):
        x = lib.randn(*shape) if dtype is None else lib.randn(*shape, dtype=dtype)
        if hshape is None:
            return mod(x)
        return mod(x, (lib.randn(*hshape), lib.randn(*hshape)) if lstm else lib.randn(*hshape))

    for shape, hshape, phrase in [
        ((4, 3, 5), None, r"input.size\(-1\) must be equal to input_size. Expected 10, got 5"),
        ((4, 3, 10), (1, 2, 20), r"Expected hidden(\[0\])? size \(1, 3, 20\), got \[1, 2, 20\]"),
        ((4, 3, 10), (3, 20), "For batched 3-D input, hx"),
        ((3, 10), (1, 3, 20), "For unbatched 2-D input, hx"),
        ((3,), None, "Expected input to be 2D or 3D, got 1D"),
    ]:
        _same_error(lambda s=shape, h=hshape: call(em, ember, s, h),
                    lambda s=shape, h=hshape: call(tm, torch, s, h), phrase)
    _same_error(lambda: call(em, ember, (4, 3, 10), dtype=ember.float64),
                lambda: call(tm, torch, (4, 3, 10), dtype=torch.float64), "does not match weight dtype")
    if lstm:
        _same_error(lambda: em(ember.randn(4, 3, 10), (ember.randn(1, 3, 20), ember.randn(1, 3, 2))),
                    lambda: tm(torch.randn(4, 3, 10), (torch.randn(1, 3, 20), torch.randn(1, 3, 2))),
                    r"Expected hidden\[1\] size \(1, 3, 20\), got \[1, 3, 2\]")


def test_constructor_errors():
    cases = [
        (("RNN", 10, 20), {"nonlinearity": "sig"}, "Unknown nonlinearity 'sig'"),
        (("GRU", 10, 20), {"proj_size": 2}, "proj_size argument is only supported for LSTM"),
        (("LSTM", 10, 20), {"proj_size": 20}, "proj_size has to be smaller than hidden_size"),
        (("LSTM", 10, 20), {"dropout": 1.5}, "dropout should be a number in range"),
        (("LSTM", 0, 20), {}, "input_size must be greater than zero"),
        (("LSTM", 10, 20), {"num_layers": 0}, "num_layers must be greater than zero"),
        (("GRU", 10.0, 20), {}, "input_size should be of type int"),
        (("GRU", 10, 20), {"bias": 1}, "bias should be of type bool"),
    ]
    for (name, *args), kwargs, phrase in cases:
        _same_error(lambda n=name, a=args, k=kwargs: getattr(rnn_m, n)(*a, **k),
                    lambda n=name, a=args, k=kwargs: getattr(torch.nn, n)(*a, **k), phrase)
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        rnn_m.GRU(3, 4, dropout=0.2)


# --------------------------------------------------------------------------- cells
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("with_hx", [False, True])
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("kind", list(CELLS))
def test_cells_match_torch(kind, batched, with_hx, bias):
    em, tm = _pair(kind, 4, 5, bias=bias, table=CELLS)
    rng = np.random.default_rng(8)
    x = rng.standard_normal((3, 4) if batched else (4,)).astype(np.float32)
    hx = _states(kind, (3, 5) if batched else (5,), rng=rng) if with_hx else None
    ex, tx = _both(x)
    if hx is None:
        eh = th = None
    else:
        pairs = [_both(h) for h in hx]
        eh = tuple(p[0] for p in pairs) if kind == "lstm" else pairs[0][0]
        th = tuple(p[1] for p in pairs) if kind == "lstm" else pairs[0][1]
    eo, to = em(ex, eh), tm(tx, th)
    eo = list(eo) if isinstance(eo, tuple) else [eo]
    to = list(to) if isinstance(to, tuple) else [to]
    for e, t in zip(eo, to):
        assert tuple(e.shape) == tuple(t.shape)
        _close(e, t, 1e-5)
    sum(((i + 1) * e).sum() for i, e in enumerate(eo)).backward()
    sum(((i + 1) * t).sum() for i, t in enumerate(to)).backward()
    _close(ex.grad, tx.grad, 1e-5)
    if hx is not None:
        for e, t in zip(eh if kind == "lstm" else (eh,), th if kind == "lstm" else (th,)):
            _close(e.grad, t.grad, 1e-5)
    for (en, ep), (tn, tp) in zip(em.named_parameters(), tm.named_parameters()):
        assert en == tn
        _close(ep.grad, tp.grad, 1e-5)


def test_cell_default_init_and_names():
    for ecls, tname, extra in CELLS.values():
        torch.manual_seed(5)
        ember.manual_seed(5)
        tm = getattr(torch.nn, tname)(3, 4, **extra)
        em = ecls(3, 4, **extra)
        assert list(em.state_dict()) == list(tm.state_dict())
        for ep, tp in zip(em.parameters(), tm.parameters()):
            np.testing.assert_array_equal(ep.detach().numpy(), tp.detach().numpy())
    cell = rnn_m.GRUCell(3, 4, bias=False)
    assert cell.bias_ih is None and cell.bias_hh is None


@pytest.mark.parametrize("kind", list(CELLS))
def test_cell_errors(kind):
    em, tm = _pair(kind, 10, 20, table=CELLS)
    lstm = kind == "lstm"

    def call(mod, lib, shape, hshapes=None):
        if hshapes is None:
            return mod(lib.randn(*shape))
        hs = tuple(lib.randn(*s) for s in hshapes)
        return mod(lib.randn(*shape), hs if lstm else hs[0])

    cases = [
        ((3, 5), None, "input has inconsistent input_size: got 5 expected 10"),
        ((3, 10), [(2, 20), (3, 20)], "Input batch size 3 doesn't match hidden0 batch size 2"),
        ((3, 10), [(3, 21), (3, 20)], "hidden0 has inconsistent hidden_size: got 21, expected 20"),
        ((2, 3, 10), None, "Expected input to be 1D or 2D, got 3D instead"),
        ((3, 10), [(1, 3, 20), (3, 20)], "to be 1D or 2D, got 3D instead"),
    ]
    if lstm:
        cases.append(((3, 10), [(3, 20), (3, 21)], "hidden1 has inconsistent hidden_size: got 21, expected 20"))
    for shape, hshapes, phrase in cases:
        _same_error(lambda s=shape, h=hshapes: call(em, ember, s, h),
                    lambda s=shape, h=hshapes: call(tm, torch, s, h), phrase)
