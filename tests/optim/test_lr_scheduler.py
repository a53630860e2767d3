"""ember.optim.lr_scheduler against torch.optim.lr_scheduler: learning rates, training, warnings."""
import warnings

import numpy as np
import pytest

import ember
from ember.optim import _kernels

torch = pytest.importorskip("torch")


@pytest.fixture(autouse=True)
def _torch_rounded_sqrt(monkeypatch):
    """torch's CPU sqrt is not correctly rounded (MKL); with it swapped in, Adam is bit-exact too."""
    def sqrt(a, out=None):
        r = torch.from_numpy(np.ascontiguousarray(a)).sqrt().numpy()
        if out is None:
            return r
        out[...] = r
        return out
    monkeypatch.setattr(_kernels, "sqrt", sqrt)

_rng = np.random.default_rng(1)
_INIT = [(_rng.standard_normal((3, 4)) * 0.5).astype(np.float32),
         (_rng.standard_normal(4) * 0.1).astype(np.float32)]
_X = _rng.standard_normal((8, 3)).astype(np.float32)
_Y = _rng.standard_normal((8, 4)).astype(np.float32)


def _grads(arrays):
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    ((torch.tanh(torch.from_numpy(_X) @ ts[0] + ts[1]) - torch.from_numpy(_Y)) ** 2).mean().backward()
    return [t.grad.numpy().copy() for t in ts]


def _opt(lib, opt_name="SGD", groups=False, **kw):
    ps = [lib.tensor(a.copy(), requires_grad=True) for a in _INIT]
    cls = getattr(lib.optim, opt_name)
    kw.setdefault("lr", 0.1)
    if groups:
        return ps, cls([{"params": ps[:1]}, {"params": ps[1:], "lr": kw["lr"] * 3}], **kw)
    return ps, cls(ps, **kw)


def _sched(lib, opt, name, kwargs):
    mod = lib.optim.lr_scheduler
    if name == "SequentialLR":
        return mod.SequentialLR(opt, [mod.LinearLR(opt, start_factor=0.1, total_iters=5),
                                      mod.ExponentialLR(opt, gamma=0.9)], milestones=[5])
    if name == "ChainedScheduler":
        return mod.ChainedScheduler([mod.ConstantLR(opt, factor=0.5, total_iters=3),
                                     mod.ExponentialLR(opt, gamma=0.95)])
    if name in ("LambdaLR", "MultiplicativeLR"):
        fn = (lambda e: 1 / (1 + 0.1 * e)) if name == "LambdaLR" else (lambda e: 0.97)
        return getattr(mod, name)(opt, fn)
    return getattr(mod, name)(opt, **kwargs)


SCHEDULES = [
    ("StepLR", {"step_size": 7, "gamma": 0.5}, {}),
    ("MultiStepLR", {"milestones": [3, 10, 10, 25], "gamma": 0.3}, {"groups": True}),
    ("ExponentialLR", {"gamma": 0.93}, {}),
    ("CosineAnnealingLR", {"T_max": 12, "eta_min": 0.001}, {}),
    ("CosineAnnealingLR", {"T_max": 7}, {"groups": True, "momentum": 0.9}),
    ("LambdaLR", {}, {"groups": True}),
    ("MultiplicativeLR", {}, {}),
    ("LinearLR", {"start_factor": 0.25, "end_factor": 0.9, "total_iters": 9}, {}),
    ("ConstantLR", {"factor": 0.3, "total_iters": 4}, {}),
    ("PolynomialLR", {"total_iters": 15, "power": 2.0}, {}),
    ("CosineAnnealingWarmRestarts", {"T_0": 5, "T_mult": 2, "eta_min": 0.01}, {}),
    ("CosineAnnealingWarmRestarts", {"T_0": 4}, {"groups": True}),
    ("OneCycleLR", {"max_lr": 0.5, "total_steps": 41}, {"momentum": 0.9}),
    ("OneCycleLR", {"max_lr": [0.5, 0.2], "total_steps": 41, "anneal_strategy": "linear",
                        "three_phase": True}, {"momentum": 0.9, "groups": True}),
    ("OneCycleLR", {"max_lr": 0.05, "epochs": 4, "steps_per_epoch": 10, "pct_start": 0.4},
     {"opt_name": "Adam", "lr": 0.01}),
    ("SequentialLR", {}, {}),
    ("ChainedScheduler", {}, {"groups": True}),
]


@pytest.mark.parametrize("name,kwargs,opt_kw", SCHEDULES,
                         ids=[f"{s[0]}-{i}" for i, s in enumerate(SCHEDULES)])
def test_schedule_and_training_equal_torch(name, kwargs, opt_kw):
    """Every lr and (SGD/Adam are bit-exact given the same gradients) the trained parameters match."""
    runs = []
    for lib in (ember, torch):
        ps, opt = _opt(lib, **dict(opt_kw))
        sched = _sched(lib, opt, name, kwargs)
        lrs = [sched.get_last_lr()]
        momenta = []
        for _ in range(40):
            for p, g in zip(ps, _grads([p.detach().numpy() for p in ps])):
                p.grad = lib.tensor(g)
            opt.step()
            sched.step()
            lrs.append(list(sched.get_last_lr()))
            momenta.append([g.get("momentum", g.get("betas")) for g in opt.param_groups])
        runs.append((lrs, momenta, [p.detach().numpy().copy() for p in ps],
                     [g["lr"] for g in opt.param_groups]))
    (e_lrs, e_m, e_ps, e_group), (t_lrs, t_m, t_ps, t_group) = runs
    assert e_lrs == t_lrs
    assert e_m == t_m
    assert e_group == t_group
    for a, b in zip(e_ps, t_ps):
        np.testing.assert_array_equal(a, b)


def test_reduce_lr_on_plateau_matches_torch():
    metrics = [1.0, 0.9, 0.9, 0.95, 0.91, 0.9, 0.89999, 0.95, 0.96, 0.97, 0.8, 0.8, 0.8, 0.8, 0.8,
               0.8, 0.8, 0.8, 0.79, 0.5] * 2
    for kw in ({"patience": 2}, {"mode": "max", "factor": 0.5, "patience": 1, "threshold_mode": "abs",
                                        "threshold": 0.01, "cooldown": 2, "min_lr": [0.01, 0.02]},
               {"patience": 0, "threshold": 0.1, "min_lr": 0.004, "eps": 1e-3}):
        out = []
        for lib in (ember, torch):
            _, opt = _opt(lib, groups=True)
            sched = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, **kw)
            trace = []
            for m in metrics:
                opt.step()
                sched.step(lib.tensor(m))
                trace.append((list(sched.get_last_lr()), sched.num_bad_epochs, sched.best,
                              sched.cooldown_counter))
            out.append(trace)
        assert out[0] == out[1]


def test_warns_when_scheduler_steps_before_optimizer():
    for lib in (ember, torch):
        _, opt = _opt(lib)
        sched = lib.optim.lr_scheduler.StepLR(opt, step_size=2)
        with pytest.warns(UserWarning, match=r"Detected call of `lr_scheduler.step\(\)` before "
                                             r"`optimizer.step\(\)`"):
            sched.step()
        _, opt = _opt(lib)
        sched = lib.optim.lr_scheduler.StepLR(opt, step_size=2)
        opt.step()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            sched.step()
        with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
            sched.get_lr()


def test_overridden_optimizer_step_warns():
    _, opt = _opt(ember)
    sched = ember.optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
    opt.step = lambda closure=None: None
    with pytest.warns(UserWarning, match="has been overridden after learning rate scheduler"):
        sched.step()


def test_step_with_epoch_uses_closed_form_and_warns():
    out = []
    for lib in (ember, torch):
        _, opt = _opt(lib)
        sched = lib.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
        opt.step()
        with pytest.warns(UserWarning, match="The epoch parameter in `scheduler.step\\(\\)`"):
            sched.step(7)
        out.append(sched.get_last_lr())
    assert out[0] == out[1] == [0.025]


def test_warm_restarts_fractional_epochs():
    out = []
    for lib in (ember, torch):
        _, opt = _opt(lib)
        sched = lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2)
        lrs = []
        for epoch in range(10):
            for i in range(4):
                opt.step()
                sched.step(epoch + i / 4)
                lrs.append(sched.get_last_lr()[0])
        out.append(lrs)
    assert out[0] == out[1]


def test_state_dict_and_resume():
    def run(lib, resume):
        _, opt = _opt(lib)
        sched = lib.optim.lr_scheduler.MultiStepLR(opt, milestones=[2, 5], gamma=0.1)
        for i in range(8):
            if resume and i == 3:
                sd, osd = sched.state_dict(), opt.state_dict()
                _, opt = _opt(lib)
                opt.load_state_dict(osd)
                sched = lib.optim.lr_scheduler.MultiStepLR(opt, milestones=[1], last_epoch=-1)
                sched.load_state_dict(sd)
            opt.step()
            sched.step()
        return sched.get_last_lr(), sched.last_epoch, sorted(sched.state_dict())
    assert run(ember, True) == run(ember, False) == run(torch, True)


def test_lambda_state_dict_skips_functions():
    _, opt = _opt(ember)
    sched = ember.optim.lr_scheduler.LambdaLR(opt, lambda e: 0.5 ** e)
    assert sched.state_dict()["lr_lambdas"] == [None]
    assert "optimizer" not in sched.state_dict()


def test_errors_like_torch():
    for lib in (ember, torch):
        mod = lib.optim.lr_scheduler
        _, opt = _opt(lib)
        with pytest.raises(TypeError, match="is not an Optimizer"):
            mod.StepLR(object(), step_size=1)
        with pytest.raises(KeyError, match="initial_lr"):
            mod.StepLR(opt, step_size=1, last_epoch=3)
        with pytest.raises(ValueError, match="Factor should be < 1.0."):
            mod.ReduceLROnPlateau(opt, factor=1.0)
        with pytest.raises(ValueError, match="You must define either total_steps OR"):
            mod.OneCycleLR(opt, max_lr=0.1)
        with pytest.raises(ValueError, match="Expected positive integer T_0, but got 0"):
            mod.CosineAnnealingWarmRestarts(opt, T_0=0)
        with pytest.raises(ValueError, match="Constant multiplicative factor"):
            mod.ConstantLR(opt, factor=2)
        with pytest.raises(ValueError, match="Expected 1 lr_lambdas, but got 2"):
            mod.LambdaLR(opt, [lambda e: 1, lambda e: 1])
        sched = mod.OneCycleLR(opt, max_lr=0.1, total_steps=2)
        opt.step()
        sched.step()
        sched.step()
        with pytest.raises(ValueError, match="Tried to step 3 times"):
            sched.step()
