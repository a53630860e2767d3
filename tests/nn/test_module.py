"""nn.Module and nn.Parameter against torch: registration, iteration, state_dict, modes, hooks, repr."""
import copy
import pickle

import numpy as np
import pytest

import ember
import ember.nn as enn

torch = pytest.importorskip("torch")
tnn = torch.nn


def _tt(t):
    """An ember tensor as a torch tensor (copy)."""
    return torch.tensor(np.array(t.detach().numpy()))


def _copy_from_torch(emod, tmod):
    emod.load_state_dict({k: ember.tensor(v.detach().numpy().copy()) for k, v in tmod.state_dict().items()})


def _msg(exc_info) -> str:
    return str(exc_info.value).replace("ember.", "torch.")


def _raises_like(fn_e, fn_t):
    """Both raise the same exception type with the same message (modulo the package name)."""
    with pytest.raises(Exception) as et:
        fn_t()
    with pytest.raises(type(et.value)) as ee:
        fn_e()
    assert _msg(ee) == str(et.value)


def _build(nn):
    """The same small model in either library (no random init needed: Linear is replaced below)."""

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.ones(3, 3) if nn is tnn else ember.ones(3, 3))
            self.register_buffer("running", (torch if nn is tnn else ember).zeros(3))
            self.register_buffer("tmp", (torch if nn is tnn else ember).zeros(1), persistent=False)
            self.act = nn.ReLU()

        def forward(self, x):
            return self.act(x @ self.w)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.first = Block()
            self.second = Block()
            self.shared = self.first  # the same module twice: listed once
            self.head = nn.Sequential(nn.Identity(), nn.Flatten())
            self.scale = nn.Parameter((torch if nn is tnn else ember).tensor(2.0))
            self.register_parameter("bias", None)

        def forward(self, x):
            return self.head(self.second(self.first(x))) * self.scale

    return Net()


# ---------------------------------------------------------------------------- Parameter
def test_parameter_is_a_tensor_sharing_memory():
    t = ember.ones(2)
    p = enn.Parameter(t)
    assert isinstance(p, ember.Tensor) and isinstance(p, enn.Parameter)
    assert p.requires_grad and p.is_leaf
    assert p.data_ptr() == t.data_ptr()
    t.add_(1)
    assert p.tolist() == [2.0, 2.0] and p._version == t._version
    assert type(p.data) is ember.Tensor
    for r in (p * 2, p.clone(), p.detach(), p[0], p.to(ember.float64)):
        assert type(r) is ember.Tensor
    (p * p).sum().backward()
    assert p.grad.tolist() == [4.0, 4.0]


def test_parameter_repr_matches_torch():
    cases = [((), {}), (([1.5, -2.0],), {}), (([[1.0, 2.0]],), {"requires_grad": False})]
    for args, kw in cases:
        e = enn.Parameter(ember.tensor(*args), **kw) if args else enn.Parameter()
        t = tnn.Parameter(torch.tensor(*args), **kw) if args else tnn.Parameter()
        assert repr(e) == repr(t)
        assert str(e) == str(t)


def test_parameter_errors_and_copies():
    with pytest.raises(RuntimeError, match="Only Tensors of floating point and complex dtype"):
        enn.Parameter(ember.ones(2, dtype=ember.int64))
    assert not enn.Parameter(ember.ones(2, dtype=ember.int64), requires_grad=False).requires_grad
    p = enn.Parameter(ember.tensor([1.0, 2.0]))
    d = copy.deepcopy(p)
    assert type(d) is enn.Parameter and d.requires_grad and d.data_ptr() != p.data_ptr()
    assert d.tolist() == p.tolist()
    c = copy.copy(p)
    assert type(c) is enn.Parameter and c.data_ptr() == p.data_ptr()
    r = pickle.loads(pickle.dumps(p))
    assert type(r) is enn.Parameter and r.tolist() == [1.0, 2.0] and r.requires_grad
    # Parameter of a non-leaf is a new leaf
    x = ember.ones(2, requires_grad=True) * 3
    q = enn.Parameter(x)
    assert q.is_leaf and q.grad_fn is None


# ---------------------------------------------------------------------------- registration
def test_setattr_registers_like_torch():
    for nn, lib in ((enn, ember), (tnn, torch)):
        m = _build(nn)
        assert list(m._parameters) == ["scale", "bias"]
        assert list(m._modules) == ["first", "second", "shared", "head"]
        assert list(m.first._buffers) == ["running", "tmp"]
        assert m.bias is None
    e, t = _build(enn), _build(tnn)
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [n for n, _ in e.named_parameters(remove_duplicate=False)] == \
        [n for n, _ in t.named_parameters(remove_duplicate=False)]
    assert [n for n, _ in e.named_parameters(prefix="model", recurse=False)] == \
        [n for n, _ in t.named_parameters(prefix="model", recurse=False)]
    assert [n for n, _ in e.named_buffers()] == [n for n, _ in t.named_buffers()]
    assert [n for n, _ in e.named_modules()] == [n for n, _ in t.named_modules()]
    assert [n for n, _ in e.named_modules(remove_duplicate=False)] == \
        [n for n, _ in t.named_modules(remove_duplicate=False)]
    assert [n for n, _ in e.named_children()] == [n for n, _ in t.named_children()]
    assert len(list(e.parameters())) == len(list(t.parameters())) == 3
    assert sum(p.numel() for p in e.parameters()) == sum(p.numel() for p in t.parameters())
    assert len(list(e.children())) == len(list(t.children()))
    assert len(list(e.modules())) == len(list(t.modules()))


def test_reassign_and_delete():
    for nn, lib in ((enn, ember), (tnn, torch)):
        m = nn.Module()
        m.p = nn.Parameter(lib.ones(1))
        m.p = None
        assert "p" in m._parameters and m.p is None
        del m.p
        m.p = 3  # no longer a parameter name once deleted
        assert "p" not in m._parameters and m.p == 3
        m.register_buffer("b", lib.ones(1))
        m.b = lib.zeros(2)  # a tensor assigned to a buffer name stays a buffer
        assert m._buffers["b"].shape == (2,)
        del m.b
        assert "b" not in m._buffers
        m.sub = nn.ReLU()
        m.sub = nn.Tanh()
        assert isinstance(m._modules["sub"], nn.Tanh)
        m.sub = nn.Parameter(lib.ones(1))  # a parameter replaces a module of the same name
        assert "sub" not in m._modules and "sub" in m._parameters
        del m.sub
        with pytest.raises(AttributeError):
            del m.nothing


def test_buffer_class_registers():
    m = enn.Module()
    m.b = enn.Buffer(ember.ones(2))
    m.c = enn.Buffer(ember.ones(1), persistent=False)
    assert list(m._buffers) == ["b", "c"] and type(m.b) is ember.Tensor
    assert list(m.state_dict()) == ["b"]


def test_registration_errors_match_torch():
    def make(nn, lib):
        m = nn.Module()
        m.p = nn.Parameter(lib.ones(1))
        m.sub = nn.ReLU()
        m.attr = 1
        return m

    em, tm = make(enn, ember), make(tnn, torch)
    cases = [
        (lambda m, nn, lib: setattr(m, "p", lib.ones(1))),
        (lambda m, nn, lib: setattr(m, "sub", 3)),
        (lambda m, nn, lib: m.register_buffer("attr", lib.ones(1))),
        (lambda m, nn, lib: m.register_buffer("a.b", lib.ones(1))),
        (lambda m, nn, lib: m.register_buffer("", lib.ones(1))),
        (lambda m, nn, lib: m.register_buffer("x", 3)),
        (lambda m, nn, lib: m.register_buffer(3, lib.ones(1))),
        (lambda m, nn, lib: m.register_parameter("attr", None)),
        (lambda m, nn, lib: m.register_parameter("a.b", None)),
        (lambda m, nn, lib: m.register_parameter("", None)),
        (lambda m, nn, lib: m.register_parameter("q", lib.ones(1))),
        (lambda m, nn, lib: m.register_parameter("q", nn.Parameter(lib.ones(1)) * 2)),
        (lambda m, nn, lib: m.add_module("attr", nn.ReLU())),
        (lambda m, nn, lib: m.add_module("x.y", nn.ReLU())),
        (lambda m, nn, lib: m.add_module("", nn.ReLU())),
        (lambda m, nn, lib: m.add_module("x", 3)),
        (lambda m, nn, lib: m.missing),
    ]
    for case in cases:
        _raises_like(lambda c=case: c(em, enn, ember), lambda c=case: c(tm, tnn, torch))


def test_assign_before_init_errors():
    for nn, lib in ((enn, ember), (tnn, torch)):
        class Bad(nn.Module):
            def __init__(self, what, nn=nn, lib=lib):
                if what == "param":
                    self.p = nn.Parameter(lib.ones(1))
                else:
                    self.m = nn.ReLU()

        with pytest.raises(AttributeError, match="cannot assign parameters before Module.__init__"):
            Bad("param")
        with pytest.raises(AttributeError, match="cannot assign module before Module.__init__"):
            Bad("module")


def test_forward_unimplemented():
    with pytest.raises(NotImplementedError, match='Module \\[Module\\] is missing the required "forward"'):
        enn.Module()(1)


# ---------------------------------------------------------------------------- state_dict
def test_state_dict_keys_and_values():
    e, t = _build(enn), _build(tnn)
    sd_e, sd_t = e.state_dict(), t.state_dict()
    assert type(sd_e).__name__ == "OrderedDict"
    assert list(sd_e) == list(sd_t)
    for k in sd_t:
        assert tuple(sd_e[k].shape) == tuple(sd_t[k].shape)
        assert type(sd_e[k]) is ember.Tensor and not sd_e[k].requires_grad
    assert sd_e["scale"].data_ptr() == e.scale.data_ptr()
    kv = e.state_dict(keep_vars=True)
    assert kv["scale"] is e.scale
    assert list(e.state_dict(prefix="m.")) == list(t.state_dict(prefix="m."))


def test_load_state_dict_success_and_values():
    e = _build(enn)
    sd = {k: ember.full(v.shape, 7.0) for k, v in e.state_dict().items()}
    res = e.load_state_dict(sd)
    assert repr(res) == "<All keys matched successfully>"
    assert res.missing_keys == [] and res.unexpected_keys == []
    assert e.first.w.tolist() == [[7.0] * 3] * 3 and e.first.w.requires_grad
    assert e.scale.item() == 7.0


def test_load_state_dict_errors_match_torch():
    e, t = _build(enn), _build(tnn)

    def edit(sd, lib):
        sd = dict(sd)
        del sd["second.running"]
        sd["first.w"] = lib.zeros(2, 3)
        sd["extra"] = lib.zeros(1)
        sd["first.junk"] = lib.zeros(1)
        sd["nothere.x"] = lib.zeros(1)
        return sd

    sd_e, sd_t = edit(e.state_dict(), ember), edit(t.state_dict(), torch)
    _raises_like(lambda: e.load_state_dict(sd_e), lambda: t.load_state_dict(sd_t))
    # strict=False still refuses a size mismatch
    _raises_like(lambda: e.load_state_dict(sd_e, strict=False), lambda: t.load_state_dict(sd_t, strict=False))
    del sd_e["first.w"], sd_t["first.w"]
    re, rt = e.load_state_dict(sd_e, strict=False), t.load_state_dict(sd_t, strict=False)
    assert re.missing_keys == rt.missing_keys and re.unexpected_keys == rt.unexpected_keys
    assert repr(re) == repr(rt).replace("_IncompatibleKeys", "_IncompatibleKeys")
    sd_e["first.running"], sd_t["first.running"] = 5, 5
    _raises_like(lambda: e.load_state_dict(sd_e, strict=False), lambda: t.load_state_dict(sd_t, strict=False))
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like"):
        e.load_state_dict([1])


def test_load_state_dict_linear_message():
    e = enn.Linear.__new__(enn.Linear)
    enn.Module.__init__(e)
    e.weight = enn.Parameter(ember.zeros(3, 2))
    e.bias = enn.Parameter(ember.zeros(3))
    t = tnn.Linear(2, 3)
    _raises_like(lambda: e.load_state_dict({"weight": ember.zeros(2, 2), "bias": ember.zeros(3)}),
                 lambda: t.load_state_dict({"weight": torch.zeros(2, 2), "bias": torch.zeros(3)}))


def test_load_state_dict_assign():
    e = _build(enn)
    new = ember.full((3, 3), 4.0)
    e.first.load_state_dict({**e.first.state_dict(), "w": new}, assign=True)
    assert isinstance(e.first.w, enn.Parameter) and e.first.w.requires_grad
    assert e.first.w.data_ptr() == new.data_ptr()


# ---------------------------------------------------------------------------- modes, grads, dtypes
def test_train_eval_requires_grad_zero_grad():
    e = _build(enn)
    assert e.training and e.first.act.training
    assert e.eval() is e
    assert not any(m.training for m in e.modules())
    e.train()
    assert all(m.training for m in e.modules())
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        e.train(1)
    e.requires_grad_(False)
    assert not any(p.requires_grad for p in e.parameters())
    e.requires_grad_()
    e(ember.ones(1, 3)).sum().backward()
    assert all(p.grad is not None for p in e.parameters())
    e.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.any() for p in e.parameters())
    e.zero_grad()
    assert all(p.grad is None for p in e.parameters())


def test_to_and_casts_keep_parameter_objects():
    e = _build(enn)
    e.first.register_buffer("count", ember.tensor(3))
    params = list(e.parameters())
    e(ember.ones(1, 3)).sum().backward()
    assert e.double() is e
    assert list(e.parameters()) == params and all(isinstance(p, enn.Parameter) for p in params)
    assert all(p.dtype is ember.float64 and p.grad.dtype is ember.float64 for p in params)
    assert e.first.running.dtype is ember.float64 and e.first.count.dtype is ember.int64
    e.to(ember.float32)
    assert all(p.dtype is ember.float32 for p in e.parameters())
    e.half()
    assert e.scale.dtype is ember.float16
    e.float().to("cpu").to(ember.ones(1, dtype=ember.float64))
    assert e.scale.dtype is ember.float64
    assert e.cpu() is e
    with pytest.raises(TypeError, match="nn.Module.to only accepts floating point or complex dtypes"):
        e.to(ember.int64)
    with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
        e.cuda()


def test_apply_order_matches_torch():
    seen_e, seen_t = [], []
    _build(enn).apply(lambda m: seen_e.append(type(m).__name__))
    _build(tnn).apply(lambda m: seen_t.append(type(m).__name__))
    assert seen_e == seen_t


def test_deepcopy_module():
    e = _build(enn)
    d = copy.deepcopy(e)
    assert d.shared is d.first
    assert d.first.w is not e.first.w and isinstance(d.first.w, enn.Parameter)
    d.first.w.data.fill_(0.0)
    assert e.first.w.sum().item() == 9.0


# ---------------------------------------------------------------------------- hooks
def test_forward_hooks_match_torch():
    def run(nn, lib):
        log = []
        m = nn.ReLU()
        h1 = m.register_forward_pre_hook(lambda mod, args: (args[0] - 1,))
        h2 = m.register_forward_hook(lambda mod, args, out: out * 10)
        m.register_forward_hook(lambda mod, args, out: log.append("first"), prepend=True)
        m.register_forward_hook(lambda mod, args, out: log.append(out.tolist()))
        m.register_forward_pre_hook(lambda mod, args, kwargs: log.append(sorted(kwargs)), with_kwargs=True)
        m.register_forward_hook(lambda mod, args, kwargs, out: log.append(("kw", args[0].tolist())),
                                with_kwargs=True)
        x = lib.tensor([0.5, 2.0, 3.0])
        log.append(m(x).tolist())
        h1.remove()
        with h2:
            log.append(m(x).tolist())
        log.append(m(x).tolist())
        return log

    assert run(enn, ember) == run(tnn, torch)


def test_forward_pre_hook_single_value_and_errors():
    m = enn.Identity()
    m.register_forward_pre_hook(lambda mod, args: args[0] + 1)  # a non-tuple is wrapped
    assert m(ember.tensor(1.0)).item() == 2.0
    m2 = enn.Identity()
    m2.register_forward_pre_hook(lambda mod, args, kwargs: 5, with_kwargs=True)
    with pytest.raises(RuntimeError, match="forward pre-hook must return None or a tuple"):
        m2(ember.tensor(1.0))


# ---------------------------------------------------------------------------- repr, dir, lookup
def _custom(nn):
    class Custom(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.ReLU(), nn.ModuleList([nn.Tanh(), nn.Tanh(), nn.Sigmoid()]))
            self.none = None
            self.register_module("gone", None)

        def extra_repr(self):
            return "line one\nline two"

    class Single(nn.Module):
        def extra_repr(self):
            return "k=3"

    return Custom(), Single(), nn.Sequential(Single(), nn.Sequential()), nn.ModuleDict({"a": Single()})


def test_repr_matches_torch():
    for e, t in zip(_custom(enn), _custom(tnn)):
        assert repr(e) == repr(t)


def test_dir_and_lookup_match_torch():
    e, t = _build(enn), _build(tnn)
    de, dt = set(dir(e)), set(dir(t))
    for name in ("first", "scale", "head", "forward", "training", "state_dict"):
        assert name in de and name in dt
    assert e.get_submodule("head.1") is e.head[1]
    assert e.get_submodule("") is e
    assert e.get_parameter("first.w") is e.first.w
    assert e.get_buffer("second.running") is e.second.running
    for target in ("first.nope", "scale.x", "first.w.y"):
        _raises_like(lambda s=target: e.get_submodule(s), lambda s=target: t.get_submodule(s))
    for target in ("first.nope", "first.running", "first.act"):
        _raises_like(lambda s=target: e.get_parameter(s), lambda s=target: t.get_parameter(s))
    for target in ("first.nope", "first.w"):
        _raises_like(lambda s=target: e.get_buffer(s), lambda s=target: t.get_buffer(s))


def test_full_backward_hooks_match_torch():
    def run(nn, lib):
        log = []

        class Two(nn.Module):
            def forward(self, a, b, k):
                return a * b * k, a + 1

        m = Two()
        m.register_full_backward_pre_hook(lambda mod, go: log.append(("pre", [g.tolist() for g in go])))
        m.register_full_backward_hook(lambda mod, gi, go: log.append(
            ("full", [None if g is None else g.tolist() for g in gi], [g.tolist() for g in go])))
        m.register_full_backward_hook(lambda mod, gi, go: (gi[0] * 10, gi[1], None))
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        b = lib.tensor([3.0, -1.0])
        out, extra = m(a, b, 2.0)
        log.append(type(out.grad_fn).__name__)
        (out.sum() + 3 * extra.sum()).backward()
        log.append(a.grad.tolist())
        return log

    assert run(enn, ember) == run(tnn, torch)


def test_full_backward_hook_without_input_grads_and_removal():
    def run(nn, lib):
        log = []
        m = nn.Linear(2, 1) if nn is tnn else enn.Linear.__new__(enn.Linear)
        if nn is enn:
            enn.Module.__init__(m)
            m.weight = enn.Parameter(ember.ones(1, 2))
            m.bias = enn.Parameter(ember.zeros(1))
        else:
            with torch.no_grad():
                m.weight.fill_(1.0)
                m.bias.zero_()
        h = m.register_full_backward_hook(lambda mod, gi, go: log.append((gi, go[0].tolist())))
        with pytest.warns(UserWarning, match="Full backward hook is firing"):
            m(lib.ones(1, 2)).sum().backward()
        h.remove()
        m(lib.ones(1, 2, requires_grad=True)).sum().backward()
        return log

    assert run(enn, ember) == run(tnn, torch)
