"""Sequential, ModuleList, ModuleDict, ParameterList and ParameterDict against torch."""
from collections import OrderedDict

import numpy as np
import pytest

import ember
import ember.nn as enn

torch = pytest.importorskip("torch")
tnn = torch.nn


def _layers(nn):
    return [nn.ReLU(), nn.Tanh(), nn.Sigmoid(), nn.Flatten(), nn.Identity()]


def _names(m):
    return [type(c).__name__ for c in m]


def _same_error(fe, ft):
    with pytest.raises(Exception) as et:
        ft()
    with pytest.raises(type(et.value)) as ee:
        fe()
    assert str(ee.value).replace("ember.", "torch.") == str(et.value)


def test_sequential_indexing_and_editing():
    e, t = enn.Sequential(*_layers(enn)), tnn.Sequential(*_layers(tnn))
    assert repr(e) == repr(t)
    assert len(e) == len(t) == 5
    assert type(e[1]).__name__ == "Tanh" and type(e[-1]).__name__ == "Identity"
    assert isinstance(e[1:3], enn.Sequential) and repr(e[1:3]) == repr(t[1:3])
    assert repr(e[::-2]) == repr(t[::-2])
    _same_error(lambda: e[7], lambda: t[7])
    for m, nn in ((e, enn), (t, tnn)):
        del m[1]
        m.append(nn.ReLU6())
        m.insert(1, nn.GELU())
        m.insert(-1, nn.SiLU())
        m[0] = nn.ELU()
        m.pop(2)
        m.extend([nn.Softsign()])
        del m[1:3]
    assert repr(e) == repr(t)
    assert list(e._modules) == list(t._modules)
    _same_error(lambda: e.insert(99, enn.ReLU()), lambda: t.insert(99, tnn.ReLU()))


def test_sequential_arithmetic_and_named():
    e, t = enn.Sequential(enn.ReLU(), enn.Tanh()), tnn.Sequential(tnn.ReLU(), tnn.Tanh())
    assert repr(e + e) == repr(t + t)
    assert repr(e * 2) == repr(t * 2)
    assert repr(2 * e) == repr(2 * t)
    e2, t2 = enn.Sequential(enn.ReLU()), tnn.Sequential(tnn.ReLU())
    e2 += e
    t2 += t
    e2 *= 2
    t2 *= 2
    assert repr(e2) == repr(t2)
    _same_error(lambda: e * 0, lambda: t * 0)
    _same_error(lambda: e + 1, lambda: t + 1)
    od_e = enn.Sequential(OrderedDict([("act", enn.ReLU()), ("out", enn.Sigmoid())]))
    od_t = tnn.Sequential(OrderedDict([("act", tnn.ReLU()), ("out", tnn.Sigmoid())]))
    assert repr(od_e) == repr(od_t)
    assert od_e.act is od_e[0]


def test_sequential_forward_matches_torch():
    e = enn.Sequential(enn.Flatten(), enn.Tanh(), enn.Sigmoid())
    t = tnn.Sequential(tnn.Flatten(), tnn.Tanh(), tnn.Sigmoid())
    x = [[[0.5, -1.0], [2.0, 3.0]]]
    np.testing.assert_allclose(e(ember.tensor(x)).numpy(), t(torch.tensor(x)).numpy(), rtol=1e-6)


def test_module_list():
    e, t = enn.ModuleList(_layers(enn)), tnn.ModuleList(_layers(tnn))
    assert repr(e) == repr(t)
    assert len(e) == 5 and _names(e) == _names(t)
    assert repr(e[1:4]) == repr(t[1:4]) and isinstance(e[1:4], enn.ModuleList)
    for m, nn in ((e, enn), (t, tnn)):
        m.append(nn.ReLU())
        m.insert(0, nn.Tanh())
        m.extend([nn.ReLU(), nn.ReLU()])
        m += [nn.Tanh()]
        m[1] = nn.ReLU()
        del m[2]
        m.pop(-1)
        del m[0:1]
    assert repr(e) == repr(t) and list(e._modules) == list(t._modules)
    assert repr(e + e) == repr(t + t)
    assert repr(enn.ModuleList()) == repr(tnn.ModuleList())
    _same_error(lambda: e[20], lambda: t[20])
    _same_error(lambda: e.extend(3), lambda: t.extend(3))
    with pytest.raises(NotImplementedError):
        e(ember.ones(1))


def test_module_list_repeated_block_repr():
    def make(nn):
        blocks = [nn.Sequential(nn.ReLU(), nn.Flatten(0)) for _ in range(3)]
        return nn.ModuleList(blocks + [nn.Tanh(), nn.Tanh(), nn.ReLU()])

    assert repr(make(enn)) == repr(make(tnn))


def test_module_dict():
    def make(nn):
        d = nn.ModuleDict({"b": nn.ReLU(), "a": nn.Tanh()})
        d["c"] = nn.Sigmoid()
        d.update([("z", nn.Identity())])
        d.update(OrderedDict(y=nn.Flatten()))
        return d

    e, t = make(enn), make(tnn)
    assert repr(e) == repr(t)
    assert list(e.keys()) == list(t.keys()) and list(e) == list(t)
    assert _names(e.values()) == _names(t.values())
    assert "a" in e and "q" not in e and len(e) == len(t)
    assert type(e.pop("a")).__name__ == "Tanh"
    del e["b"]
    assert list(e.keys()) == ["c", "z", "y"]
    _same_error(lambda: e.update(3), lambda: t.update(3))
    _same_error(lambda: e.update([("a", enn.ReLU(), 1)]), lambda: t.update([("a", tnn.ReLU(), 1)]))
    e.clear()
    assert len(e) == 0


def _params(lib):
    return [lib.ones(2), lib.zeros(2, 3, dtype=lib.float64), lib.ones(1)]


def test_parameter_list():
    e, t = enn.ParameterList(_params(ember)), tnn.ParameterList(_params(torch))
    assert repr(e) == repr(t).replace("torch.", "ember.")
    assert all(isinstance(p, enn.Parameter) for p in e)
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    e.append(ember.ones(4))
    t.append(torch.ones(4))
    e[0] = ember.zeros(5)
    t[0] = torch.zeros(5)
    assert repr(e) == repr(t).replace("torch.", "ember.")
    assert len(e) == len(t) == 4 and e[-1].shape == (4,)
    assert isinstance(e[1:], enn.ParameterList) and len(e[1:]) == 3
    one_e, one_t = enn.ParameterList([ember.ones(1)]), tnn.ParameterList([torch.ones(1)])
    assert repr(one_e) == repr(one_t).replace("torch.", "ember.")
    assert [tuple(p.shape) for p in e.parameters()] == [tuple(p.shape) for p in t.parameters()]
    _same_error(lambda: e[9], lambda: t[9])


def test_parameter_dict():
    def make(nn, lib):
        d = nn.ParameterDict({"w": lib.ones(2, 2), "b": nn.Parameter(lib.zeros(2))})
        d["x"] = lib.ones(3)
        d.update([("y", lib.ones(1))])
        return d

    e, t = make(enn, ember), make(tnn, torch)
    assert repr(e) == repr(t).replace("torch.", "ember.")
    assert list(e.keys()) == list(t.keys())
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert all(isinstance(v, enn.Parameter) for v in e.values())
    assert e.get("nope", 3) == 3 and "w" in e
    e.pop("w")
    t.pop("w")
    assert list(e.keys()) == list(t.keys()) and list(e.state_dict()) == list(t.state_dict())
    assert e.setdefault("z", ember.ones(1)).shape == (1,)
    assert list((e | enn.ParameterDict({"q": ember.ones(1)})).keys())[-1] == "q"
    e.clear()
    assert len(e) == 0
