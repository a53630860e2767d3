"""ember.d2l: the book's helpers, checked on the figures they draw and against the book's code on torch."""
from __future__ import annotations

import sys
import time
import warnings

import numpy as np
import pytest

import ember
from ember import d2l
from ember.utils.data import DataLoader, TensorDataset

torch = pytest.importorskip("torch")


@pytest.fixture
def plt():
    pytest.importorskip("matplotlib")
    pyplot = d2l.plt
    pyplot.close("all")
    yield pyplot
    pyplot.close("all")


def f(x):
    return 3 * x ** 2 - 4 * x


def lines_of(axes):
    return [(line.get_xdata(), line.get_ydata()) for line in axes.get_lines()]


def test_plt_is_pyplot_with_agg_backend(plt):
    import matplotlib
    assert plt is sys.modules["matplotlib.pyplot"]
    assert matplotlib.get_backend().lower() == "agg"


def test_seed000_tangent_line_plot(plt):
    x = np.arange(0, 3, 0.1)
    d2l.plot(x, [f(x), 2 * x - 3], 'x', 'f(x)', legend=['f(x)', 'Tangent line (x=1)'])
    axes = plt.gca()
    lines = axes.get_lines()
    assert len(lines) == 2
    (x0, y0), (x1, y1) = lines_of(axes)
    np.testing.assert_allclose(x0, x)
    np.testing.assert_allclose(y0, 3 * x ** 2 - 4 * x)
    np.testing.assert_allclose(x1, x)
    np.testing.assert_allclose(y1, 2 * x - 3)
    # the tangent touches the curve at x = 1 (f(1) = -1, f'(1) = 2)
    i = int(np.argmin(np.abs(x - 1)))
    assert y0[i] == pytest.approx(y1[i]) == pytest.approx(-1)
    assert [line.get_linestyle() for line in lines] == ["-", "--"]
    assert lines[1].get_color() == "m"
    assert axes.get_xlabel() == "x" and axes.get_ylabel() == "f(x)"
    assert [t.get_text() for t in axes.get_legend().get_texts()] == ["f(x)", "Tangent line (x=1)"]
    assert tuple(plt.rcParams["figure.figsize"]) == (3.5, 2.5)


# Seed 000's plotting code as written (the helpers redefined, then used), with only the import changed
SEED000_PLOTTING = """
import numpy as np
from matplotlib_inline import backend_inline
from ember import d2l


def f(x):
    return 3 * x ** 2 - 4 * x


def use_svg_display():  #@save
    backend_inline.set_matplotlib_formats('svg')


def set_figsize(figsize=(3.5, 2.5)):  #@save
    use_svg_display()
    d2l.plt.rcParams['figure.figsize'] = figsize


def set_axes(axes, xlabel, ylabel, xlim, ylim, xscale, yscale, legend):
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.set_xscale(xscale)
    axes.set_yscale(yscale)
    axes.set_xlim(xlim)
    axes.set_ylim(ylim)
    if legend:
        axes.legend(legend)
    axes.grid()


def plot(X, Y=None, xlabel=None, ylabel=None, legend=None, xlim=None, ylim=None,
         xscale='linear', yscale='linear', fmts=('-', 'm--', 'g-.', 'r:'),
         figsize=(3.5, 2.5), axes=None):
    if legend is None:
        legend = []

    set_figsize(figsize)
    axes = axes if axes else d2l.plt.gca()

    def has_one_axis(X):
        return (hasattr(X, "ndim") and X.ndim == 1 or isinstance(X, list)
                and not hasattr(X[0], "__len__"))

    if has_one_axis(X):
        X = [X]
    if Y is None:
        X, Y = [[]] * len(X), X
    elif has_one_axis(Y):
        Y = [Y]
    if len(X) != len(Y):
        X = X * len(Y)
    axes.cla()
    for x, y, fmt in zip(X, Y, fmts):
        if len(x):
            axes.plot(x, y, fmt)
        else:
            axes.plot(y, fmt)
    set_axes(axes, xlabel, ylabel, xlim, ylim, xscale, yscale, legend)


x = np.arange(0, 3, 0.1)
plot(x, [f(x), 2 * x - 3], 'x', 'f(x)', legend=['f(x)', 'Tangent line (x=1)'])

d2l.plt.show()
"""


def test_seed000_code_as_written_runs_with_ember_d2l(plt):
    pytest.importorskip("matplotlib_inline")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # show() on the non-interactive Agg backend warns
        exec(compile(SEED000_PLOTTING, "seed000", "exec"), {})  # noqa: S102  (the seed's own code)
    ours = lines_of(plt.gca())
    plt.close("all")
    x = np.arange(0, 3, 0.1)
    d2l.plot(x, [f(x), 2 * x - 3], 'x', 'f(x)', legend=['f(x)', 'Tangent line (x=1)'])
    for (xa, ya), (xb, yb) in zip(ours, lines_of(plt.gca()), strict=True):
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)


def test_plot_accepts_ember_tensors_and_lists(plt):
    x = ember.arange(0, 3, 0.5, requires_grad=True)  # detached for plotting
    d2l.plot(x, f(x), figsize=(4, 3))
    (xs, ys), = lines_of(plt.gca())
    np.testing.assert_allclose(xs, np.arange(0, 3, 0.5))
    np.testing.assert_allclose(ys, f(np.arange(0, 3, 0.5)), rtol=1e-6)
    assert tuple(plt.rcParams["figure.figsize"]) == (4, 3)
    # Y=None: each curve against its index; a flat list is one curve
    d2l.plot([1.0, 4.0, 9.0])
    (xs, ys), = lines_of(plt.gca())
    np.testing.assert_array_equal(xs, [0, 1, 2])
    np.testing.assert_array_equal(ys, [1, 4, 9])
    d2l.plot([ember.tensor([1.0, 2.0]), ember.tensor([3.0, 5.0])])
    assert [list(y) for _, y in lines_of(plt.gca())] == [[1, 2], [3, 5]]


def test_plot_on_given_axes_with_scales_and_limits(plt):
    _, (ax0, ax1) = plt.subplots(1, 2)
    x = np.linspace(1, 10, 5)
    d2l.plot([x, x], [x, x ** 2, x ** 3], axes=ax1, xscale="log", yscale="log", xlim=[1, 10],
             ylim=(1, 1000), fmts=("-", "r:"))
    assert len(ax0.get_lines()) == 0
    lines = ax1.get_lines()
    # two x's for three y's: X is repeated to len(Y) only when the counts differ, zip stops at fmts
    assert len(lines) == 2
    np.testing.assert_allclose(lines[1].get_ydata(), x ** 2)
    assert ax1.get_xscale() == "log" and ax1.get_yscale() == "log"
    assert ax1.get_xlim() == pytest.approx((1, 10)) and ax1.get_ylim() == pytest.approx((1, 1000))
    assert ax1.get_legend() is None
    d2l.plot(x, [x], axes=ax1)  # axes are cleared first
    assert len(ax1.get_lines()) == 1


def test_set_axes(plt):
    _, ax = plt.subplots()
    ax.plot([1, 2], [3, 4])
    d2l.set_axes(ax, "a", "b", (0, 5), (1, 6), "linear", "log", ["curve"])
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_yscale()) == ("a", "b", "log")
    assert ax.get_xlim() == (0, 5) and ax.get_ylim() == pytest.approx((1, 6))
    assert ax.get_legend().get_texts()[0].get_text() == "curve"


def test_animator_saves_frames(plt, tmp_path):
    anim = d2l.Animator(xlabel="epoch", xlim=[1, 3], legend=["a", "b"],
                        save_path=str(tmp_path / "frames" / "{frame:02d}.png"))
    for epoch in range(1, 4):
        anim.add(epoch, (epoch * 0.5, None if epoch == 2 else epoch * 2.0))
    assert sorted(p.name for p in (tmp_path / "frames").iterdir()) == ["01.png", "02.png", "03.png"]
    (xa, ya), (xb, yb) = lines_of(anim.axes[0])
    assert list(xa) == [1, 2, 3] and list(ya) == [0.5, 1.0, 1.5]
    assert list(xb) == [1, 3] and list(yb) == [2.0, 6.0]  # None skips a point
    assert anim.axes[0].get_xlabel() == "epoch"
    single = d2l.Animator(save_path=str(tmp_path / "latest.png"), nrows=2)
    single.add([1, 2], [3, 4])
    single.add(2, 5.0)
    assert (tmp_path / "latest.png").exists() and single.frame == 2 and len(single.axes) == 2
    assert d2l.Animator(save_path=False).save_path is False


def test_timer_and_accumulator(monkeypatch):
    clock = iter([10.0, 10.5, 20.0, 21.5])
    monkeypatch.setattr(time, "perf_counter", lambda: next(clock))
    timer = d2l.Timer()
    assert timer.stop() == 0.5
    timer.start()
    assert timer.stop() == 1.5
    assert timer.sum() == 2.0 and timer.avg() == 1.0 and timer.cumsum() == [0.5, 2.0]
    acc = d2l.Accumulator(3)
    acc.add(1, 2.5, ember.tensor(3.0))
    acc.add(1, 0.5, 1)
    assert acc.data == [2.0, 3.0, 4.0] and acc[1] == 3.0
    acc.reset()
    assert acc.data == [0.0, 0.0, 0.0]


def test_linear_regression_helpers_match_the_book_on_torch():
    torch.manual_seed(4)
    ember.manual_seed(4)
    X_t, y_t = torch.normal(0, 1, (8, 2)), torch.normal(0, 1, (8, 1))
    X, y = ember.tensor(X_t.numpy()), ember.tensor(y_t.numpy())
    w_t, b_t = torch.tensor([[0.5], [-1.0]], requires_grad=True), torch.tensor([0.2], requires_grad=True)
    w, b = ember.tensor([[0.5], [-1.0]], requires_grad=True), ember.tensor([0.2], requires_grad=True)
    # the book's code on torch
    l_t = (torch.matmul(X_t, w_t) + b_t - y_t.reshape(8, 1)) ** 2 / 2
    l_t.sum().backward()
    with torch.no_grad():
        for p in (w_t, b_t):
            p -= 0.1 * p.grad / 8
            p.grad.zero_()
    l = d2l.squared_loss(d2l.linreg(X, w, b), y.reshape(-1))
    np.testing.assert_allclose(l.detach().numpy(), l_t.detach().numpy(), rtol=1e-6)
    l.sum().backward()
    d2l.sgd([w, b], 0.1, 8)
    np.testing.assert_allclose(w.detach().numpy(), w_t.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(b.detach().numpy(), b_t.detach().numpy(), rtol=1e-6)
    assert w.grad.abs().sum().item() == 0 and w.requires_grad


def test_synthetic_data_and_load_array():
    torch.manual_seed(0)
    X_t = torch.normal(0, 1, (30, 2))
    y_t = (torch.matmul(X_t, torch.tensor([2, -3.4])) + 4.2)
    y_t += torch.normal(0, 0.01, y_t.shape)
    ember.manual_seed(0)
    X, y = d2l.synthetic_data(ember.tensor([2, -3.4]), 4.2, 30)
    np.testing.assert_array_equal(X.numpy(), X_t.numpy())
    np.testing.assert_allclose(y.numpy(), y_t.reshape(-1, 1).numpy(), rtol=1e-6)
    ordered = list(d2l.load_array((X, y), 7, is_train=False))
    assert [len(xb) for xb, _ in ordered] == [7, 7, 7, 7, 2]
    assert ember.equal(ordered[0][0], X[:7])
    shuffled = ember.cat([xb for xb, _ in d2l.load_array((X, y), 7)])
    assert not ember.equal(shuffled, X)
    assert sorted(shuffled[:, 0].tolist()) == sorted(X[:, 0].tolist())


def test_accuracy_and_labels():
    y_hat = ember.tensor([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5], [0.9, 0.05, 0.05]])
    y = ember.tensor([0, 2, 0])
    assert d2l.accuracy(y_hat, y) == 2.0
    assert d2l.accuracy(ember.tensor([2, 2, 1]), y) == 1.0  # predicted labels as they are
    assert d2l.get_fashion_mnist_labels(ember.tensor([0, 9, 5])) == ["t-shirt", "ankle boot", "sandal"]
    loader = DataLoader(TensorDataset(ember.eye(3)[[0, 1, 2, 1]], ember.tensor([0, 1, 1, 1])),
                        batch_size=3)
    assert d2l.evaluate_accuracy(lambda X: X, loader) == 0.75
    net = ember.nn.Linear(3, 3)
    net.train()
    d2l.evaluate_accuracy(net, loader)
    assert not net.training


def make_pair(seed=0):
    """The same softmax classifier and data in ember and torch."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(40, 1, 2, 3)).astype(np.float32)
    y = rng.integers(0, 4, 40)
    net_t = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(6, 4))
    net = ember.nn.Sequential(ember.nn.Flatten(), ember.nn.Linear(6, 4))
    with ember.no_grad():
        net[1].weight.copy_(ember.tensor(net_t[1].weight.detach().numpy()))
        net[1].bias.copy_(ember.tensor(net_t[1].bias.detach().numpy()))
    data = ([ember.tensor(X[i:i + 16]), ember.tensor(y[i:i + 16])] for i in range(0, 40, 16))
    data_t = ([torch.tensor(X[i:i + 16]), torch.tensor(y[i:i + 16])] for i in range(0, 40, 16))
    return net, list(data), net_t, list(data_t)


def book_train_epoch_on_torch(net, train_iter, loss, updater):
    """d2l 3.6's train_epoch_ch3 on torch."""
    net.train()
    total, correct, count = 0.0, 0.0, 0
    for X, y in train_iter:
        y_hat = net(X)
        l = loss(y_hat, y)
        if isinstance(updater, torch.optim.Optimizer):
            updater.zero_grad()
            l.mean().backward()
            updater.step()
        else:
            l.sum().backward()
            updater(X.shape[0])
        total += float(l.sum().detach())
        correct += float((y_hat.argmax(axis=1).type(y.dtype) == y).type(y.dtype).sum())
        count += y.numel()
    return total / count, correct / count


@pytest.mark.parametrize("kind", ["optimizer", "function", "mean_loss"])
def test_train_epoch_matches_the_book_on_torch(kind):
    net, data, net_t, data_t = make_pair()
    reduction = "mean" if kind == "mean_loss" else "none"
    loss = ember.nn.CrossEntropyLoss(reduction=reduction)
    loss_t = torch.nn.CrossEntropyLoss(reduction="none")
    if kind == "function":
        def updater(n):
            d2l.sgd(net.parameters(), 0.5, n)

        def updater_t(n):
            with torch.no_grad():
                for p in net_t.parameters():
                    p -= 0.5 * p.grad / n
                    p.grad.zero_()
    else:
        updater, updater_t = ember.optim.SGD(net.parameters(), 0.5), torch.optim.SGD(net_t.parameters(), 0.5)
    for _ in range(2):
        got = d2l.train_epoch(net, data, loss, updater)
        expected = book_train_epoch_on_torch(net_t, data_t, loss_t, updater_t)
        np.testing.assert_allclose(got, expected, rtol=1e-5)
    np.testing.assert_allclose(net[1].weight.detach().numpy(), net_t[1].weight.detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    assert d2l.train_epoch_ch3 is d2l.train_epoch and d2l.train_ch3 is d2l.train


def test_train_with_progress_and_animator(plt, tmp_path, capsys):
    pytest.importorskip("tqdm")
    net, data, _, _ = make_pair(1)
    loss = ember.nn.CrossEntropyLoss(reduction="none")
    updater = ember.optim.SGD(net.parameters(), 0.3)
    before = d2l.evaluate_accuracy(net, data)
    frames = tmp_path / "f{frame}.png"
    train_loss, train_acc, test_acc = d2l.train(net, data, data, loss, 5, updater, save_path=str(frames))
    assert train_loss < 1.4 and test_acc > before and 0 <= train_acc <= 1
    assert test_acc == d2l.evaluate_accuracy(net, data)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"f{i}.png" for i in range(1, 6)]
    assert "15/15" in capsys.readouterr().err  # 5 epochs x 3 batches on the bar
    with pytest.raises(ValueError, match="num_epochs must be at least 1"):
        d2l.train(net, data, data, loss, 0, updater)


def test_missing_optional_dependencies_are_named(monkeypatch):
    net, data, _, _ = make_pair()
    loss = ember.nn.CrossEntropyLoss(reduction="none")
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    with pytest.raises(ImportError, match=r'needs tqdm: pip install "ember\[d2l\]"'):
        d2l.train(net, data, data, loss, 1, ember.optim.SGD(net.parameters(), 0.1), plot=False)
    # without the bar and the plot, neither is needed
    d2l.train(net, data, data, loss, 1, ember.optim.SGD(net.parameters(), 0.1), plot=False,
              progress=False)
    monkeypatch.delitem(sys.modules, "matplotlib.pyplot", raising=False)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r'need matplotlib: pip install "ember\[d2l\]"'):
        d2l.plt  # noqa: B018
    with pytest.raises(AttributeError, match="has no attribute 'nothing'"):
        d2l.nothing  # noqa: B018


def test_load_data_fashion_mnist_from_local_dir(tmp_path):
    from ember.datasets import write_idx
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 10), ("t10k", 6)):
        write_idx(tmp_path / f"{prefix}-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 28, 28)).astype(np.uint8))
        write_idx(tmp_path / f"{prefix}-labels-idx1-ubyte.gz", rng.integers(0, 10, n).astype(np.uint8))
    train_iter, test_iter = d2l.load_data_fashion_mnist(4, root=str(tmp_path), download=False)
    X, y = next(iter(test_iter))
    assert X.shape == (4, 1, 28, 28) and X.dtype == ember.float32 and y.dtype == ember.int64
    raw = ember.datasets.FashionMNIST(tmp_path, train=False)
    np.testing.assert_allclose(X.numpy()[:, 0], raw.data[:4].numpy() / 255, rtol=1e-6)
    assert ember.equal(y, raw.targets[:4])
    assert sum(len(yb) for _, yb in train_iter) == 10 and len(train_iter) == 3
    train_iter, _ = d2l.load_data_fashion_mnist(3, resize=(32, 40), root=str(tmp_path), download=False)
    X, y = next(iter(train_iter))
    assert X.shape == (3, 1, 32, 40) and y.shape == (3,)
