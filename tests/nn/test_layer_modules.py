"""Conv, pooling, normalisation, embedding and dropout modules against torch's: repr, parameter and
buffer names, default initialisation, outputs and gradients with copied weights, train/eval."""
from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.nn.modules import conv as conv_m
from ember.nn.modules import dropout as dropout_m
from ember.nn.modules import normalization as norm_m
from ember.nn.modules import pooling as pool_m
from ember.nn.modules import sparse as sparse_m

torch = pytest.importorskip("torch")

MODULES = {cls.__name__: cls for m in (conv_m, dropout_m, norm_m, pool_m, sparse_m)
           for cls in (getattr(m, n) for n in m.__all__)}

CASES = [
    ("Conv1d", (3, 4, 3), {}, (2, 3, 10)),
    ("Conv1d", (4, 4, 3), {"groups": 2, "padding": "same", "padding_mode": "circular"}, (2, 4, 9)),
    ("Conv2d", (1, 6, 5), {}, (2, 1, 12, 12)),
    ("Conv2d", (4, 6, 3), {"stride": 2, "padding": 1, "groups": 2, "bias": False}, (2, 4, 7, 7)),
    ("Conv2d", (2, 3, (3, 2)), {"padding": (1, 2), "dilation": 2, "padding_mode": "reflect"}, (1, 2, 6, 6)),
    ("Conv2d", (2, 3, 4), {"padding": "same", "padding_mode": "replicate"}, (1, 2, 6, 5)),
    ("Conv3d", (2, 2, 2), {"stride": (1, 2, 1)}, (1, 2, 3, 4, 3)),
    ("MaxPool1d", (3,), {"stride": 2, "padding": 1}, (2, 3, 9)),
    ("MaxPool2d", (2,), {}, (2, 3, 8, 8)),
    ("MaxPool2d", (3, 2, 1), {"ceil_mode": True, "dilation": 1}, (1, 2, 9, 8)),
    ("AvgPool1d", (2,), {}, (2, 3, 9)),
    ("AvgPool2d", ((2, 3),), {"padding": 1, "count_include_pad": False}, (2, 3, 7, 8)),
    ("AvgPool2d", (3,), {"stride": 2, "ceil_mode": True, "divisor_override": 5}, (1, 2, 8, 8)),
    ("AdaptiveAvgPool1d", (4,), {}, (2, 3, 10)),
    ("AdaptiveAvgPool2d", ((3, None),), {}, (2, 3, 7, 5)),
    ("AdaptiveAvgPool2d", (1,), {}, (2, 3, 7, 5)),
    ("BatchNorm1d", (3,), {}, (5, 3)),
    ("BatchNorm1d", (3,), {"affine": False, "momentum": None}, (4, 3, 6)),
    ("BatchNorm2d", (3,), {"eps": 1e-3, "momentum": 0.3}, (4, 3, 5, 5)),
    ("BatchNorm2d", (3,), {"track_running_stats": False, "bias": False}, (4, 3, 2, 2)),
    ("LayerNorm", ((4, 5),), {}, (2, 3, 4, 5)),
    ("LayerNorm", (5,), {"elementwise_affine": False}, (3, 5)),
    ("LayerNorm", (5,), {"bias": False}, (3, 5)),
    ("GroupNorm", (2, 6), {}, (2, 6, 3, 3)),
    ("GroupNorm", (3, 6), {"affine": False, "eps": 1e-4}, (2, 6, 4)),
    ("Dropout", (), {}, (4, 5)),
    ("Dropout", (0.3, True), {}, (4, 5)),
    ("Dropout1d", (0.2,), {}, (2, 3, 4)),
    ("Dropout2d", (), {"p": 0.1}, (2, 3, 4, 4)),
]


def _ids(case):
    return f"{case[0]}-{case[1]}-{case[2]}"


def _pair(case):
    name, args, kwargs, _ = case
    return MODULES[name](*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)


def _copy_state(e_mod, t_mod):
    """Give the ember module torch's parameters and buffers (the ember data, written in place)."""
    t_state = t_mod.state_dict()
    for k, v in e_mod.state_dict().items():
        v._data[...] = t_state[k].numpy()


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_repr_and_state_names_match_torch(case):
    e_mod, t_mod = _pair(case)
    assert repr(e_mod) == repr(t_mod)
    e_state, t_state = e_mod.state_dict(), t_mod.state_dict()
    assert list(e_state) == list(t_state)
    for k in t_state:
        assert tuple(e_state[k].shape) == tuple(t_state[k].shape)
        assert str(e_state[k].dtype).split(".")[-1] == str(t_state[k].dtype).split(".")[-1]
    assert [n for n, _ in e_mod.named_parameters()] == [n for n, _ in t_mod.named_parameters()]


@pytest.mark.parametrize("case", [c for c in CASES if not c[0].startswith("Dropout")],
                         ids=[_ids(c) for c in CASES if not c[0].startswith("Dropout")])
@pytest.mark.parametrize("mode", ["train", "eval"])
def test_forward_backward_match_torch_with_copied_weights(case, mode):
    e_mod, t_mod = _pair(case)
    e_mod.double()
    t_mod.double()
    _copy_state(e_mod, t_mod)
    getattr(e_mod, mode)()
    getattr(t_mod, mode)()
    x = np.random.default_rng(0).standard_normal(case[3])
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    for _ in range(2):  # twice: running statistics feed the second step
        ye, yt = e_mod(xe), t_mod(xt)
        np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=1e-7, atol=1e-9)
    w = np.cos(np.arange(yt.numel())).reshape(tuple(yt.shape))
    (ye * ember.tensor(w)).sum().backward()
    (yt * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=1e-7, atol=1e-9)
    t_params = dict(t_mod.named_parameters())
    for name, p in e_mod.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), t_params[name].grad.numpy(), rtol=1e-7, atol=1e-9)
    t_state = t_mod.state_dict()
    for k, v in e_mod.state_dict().items():  # running stats and num_batches_tracked
        np.testing.assert_allclose(v.numpy(), t_state[k].numpy(), rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("name, args", [("Conv2d", (3, 6, 5)), ("Conv1d", (4, 2, 3)),
                                        ("Conv2d", (4, 6, 3)), ("Embedding", (7, 3)),
                                        ("LayerNorm", (4,)), ("BatchNorm2d", (3,))])
def test_default_init_matches_torch_after_manual_seed(name, args):
    ember.manual_seed(3)
    torch.manual_seed(3)
    e_mod, t_mod = MODULES[name](*args), getattr(torch.nn, name)(*args)
    t_state = t_mod.state_dict()
    for k, v in e_mod.state_dict().items():
        np.testing.assert_allclose(v.numpy(), t_state[k].numpy(), rtol=1e-6, atol=1e-7)


def test_conv_init_bounds():
    m = conv_m.Conv2d(4, 8, 3, groups=2)
    bound = 1 / np.sqrt(2 * 9)  # fan_in = in_channels / groups * kernel taps
    assert np.abs(m.weight.detach().numpy()).max() <= bound
    assert np.abs(m.bias.detach().numpy()).max() <= bound
    assert np.abs(m.weight.detach().numpy()).max() > bound / 2


def test_conv_module_errors_match_torch():
    for kwargs in [{"groups": 3}, {"padding": "same", "stride": 2}, {"padding_mode": "zero"}]:
        with pytest.raises(ValueError) as t_err:
            torch.nn.Conv2d(4, 6, 3, **kwargs)
        with pytest.raises(ValueError) as e_err:
            conv_m.Conv2d(4, 6, 3, **kwargs)
        # torch lists the padding modes from a set (its order varies): compare the lead phrase
        assert str(e_err.value)[:28] == str(t_err.value)[:28]
    with pytest.raises(ValueError, match="expected 4D input"):
        norm_m.BatchNorm2d(3)(ember.zeros(2, 3))
    with pytest.raises(ValueError, match="expected 2D or 3D input"):
        norm_m.BatchNorm1d(3)(ember.zeros(2, 3, 4, 4))
    with pytest.raises(ValueError, match="num_channels must be divisible by num_groups"):
        norm_m.GroupNorm(4, 6)


def test_batch_norm_momentum_none_is_a_cumulative_average():
    e_mod, t_mod = norm_m.BatchNorm1d(2, momentum=None), torch.nn.BatchNorm1d(2, momentum=None)
    for step in range(4):
        x = np.random.default_rng(step).standard_normal((6, 2)).astype(np.float32) + step
        e_mod(ember.tensor(x))
        t_mod(torch.tensor(x))
    assert int(e_mod.num_batches_tracked) == 4
    np.testing.assert_allclose(e_mod.running_mean.numpy(), t_mod.running_mean.numpy(), rtol=1e-5)
    np.testing.assert_allclose(e_mod.running_var.numpy(), t_mod.running_var.numpy(), rtol=1e-5)


def test_embedding_padding_row_and_from_pretrained():
    m = sparse_m.Embedding(5, 3, padding_idx=1)
    np.testing.assert_array_equal(m.weight.detach().numpy()[1], np.zeros(3, np.float32))
    m(ember.tensor([[1, 2], [1, 4]])).sum().backward()
    g = m.weight.grad.numpy()
    np.testing.assert_array_equal(g[1], np.zeros(3))
    np.testing.assert_array_equal(g[2], np.ones(3))
    w = ember.tensor([[1.0, 2.0], [3.0, 4.0]])
    frozen = sparse_m.Embedding.from_pretrained(w)
    assert not frozen.weight.requires_grad
    assert repr(frozen) == repr(torch.nn.Embedding.from_pretrained(torch.tensor([[1.0, 2.0], [3.0, 4.0]])))
    np.testing.assert_array_equal(frozen(ember.tensor([1, 0])).numpy(), [[3.0, 4.0], [1.0, 2.0]])
    assert sparse_m.Embedding.from_pretrained(w, freeze=False).weight.requires_grad


def test_dropout_module_train_and_eval():
    m = dropout_m.Dropout(0.5)
    x = ember.ones(100, 100)
    m.eval()
    assert m(x) is x
    m.train()
    y = m(x).numpy()
    assert 0.4 < (y == 0).mean() < 0.6
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
        dropout_m.Dropout(-0.1)
