"""The helpers of *Dive into Deep Learning* (d2l.ai), preliminaries and linear networks, on ember.

``from ember import d2l`` stands in for ``from d2l import torch as d2l``: the same names, with the
book's semantics, working on ember tensors. Plotting needs matplotlib and the progress bar of
``train`` needs tqdm; both are imported only when used (``pip install "ember[d2l]"``).

Outside Jupyter, matplotlib is switched to the non-interactive Agg backend (unless ``MPLBACKEND``
is set or pyplot was already imported), so figures are saved with ``d2l.plt.savefig`` rather than
shown, and ``Animator`` writes its frames to an image file.
"""
from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

import ember

__all__ = [
    "Accumulator", "Animator", "Timer", "accuracy", "evaluate_accuracy", "get_fashion_mnist_labels",
    "linreg", "load_array", "load_data_fashion_mnist", "plot", "set_axes", "set_figsize", "sgd",
    "squared_loss", "synthetic_data", "train", "train_ch3", "train_epoch", "train_epoch_ch3",
    "use_svg_display",
]

_EXTRA = 'pip install "ember[d2l]"'


# ----------------------------------------------------------------------------- optional imports

def _in_notebook() -> bool:
    """True inside a Jupyter kernel (where figures are displayed inline)."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


def _pyplot():
    """matplotlib.pyplot, imported on first use (Agg outside Jupyter)."""
    try:
        import matplotlib
    except ImportError as exc:
        raise ImportError(f"ember.d2l's plotting helpers need matplotlib: {_EXTRA} "
                          f"(or pip install matplotlib)") from exc
    if ("matplotlib.pyplot" not in sys.modules and not _in_notebook()
            and not os.environ.get("MPLBACKEND")):
        # no display to show on in scripts and CI: render to files instead
        matplotlib.use("Agg")
    from matplotlib import pyplot
    return pyplot


def _tqdm():
    try:
        from tqdm.auto import tqdm
    except ImportError as exc:
        raise ImportError(f"ember.d2l.train's progress bar needs tqdm: {_EXTRA} (or pip install tqdm), "
                          f"or pass progress=False") from exc
    return tqdm


def __getattr__(name: str) -> Any:
    # `d2l.plt` is pyplot, as in the book, without importing matplotlib when the module loads
    # (not in __all__, so a star import does not need matplotlib either)
    if name == "plt":
        return _pyplot()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _as_plottable(values: Any) -> Any:
    """ember tensors become NumPy arrays (detached); anything else is left to matplotlib."""
    if isinstance(values, ember.Tensor):
        return values.detach().numpy()
    return values


# ----------------------------------------------------------------------------- plotting (2.4)

def use_svg_display() -> None:
    """Show plots as SVG in Jupyter (nothing to do elsewhere: scripts save files)."""
    if _in_notebook():
        from matplotlib_inline import backend_inline
        backend_inline.set_matplotlib_formats("svg")


def set_figsize(figsize: tuple[float, float] = (3.5, 2.5)) -> None:
    """Set the default figure size (inches) for the figures created from now on."""
    use_svg_display()
    _pyplot().rcParams["figure.figsize"] = figsize


def set_axes(axes: Any, xlabel: str | None, ylabel: str | None, xlim: Any, ylim: Any, xscale: str,
             yscale: str, legend: Sequence[str] | None) -> None:
    """Label, scale and limit ``axes``, add the legend (when given) and a grid."""
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.set_xscale(xscale)
    axes.set_yscale(yscale)
    axes.set_xlim(xlim)
    axes.set_ylim(ylim)
    if legend:
        axes.legend(legend)
    axes.grid()


def _has_one_axis(values: Any) -> bool:
    # one curve: a 1-d array/tensor, or a flat list of numbers
    if hasattr(values, "ndim"):
        return values.ndim == 1
    return isinstance(values, list) and len(values) > 0 and not hasattr(values[0], "__len__")


def plot(X: Any, Y: Any = None, xlabel: str | None = None, ylabel: str | None = None,
         legend: Sequence[str] | None = None, xlim: Any = None, ylim: Any = None,
         xscale: str = "linear", yscale: str = "linear",
         fmts: Sequence[str] = ("-", "m--", "g-.", "r:"), figsize: tuple[float, float] = (3.5, 2.5),
         axes: Any = None) -> None:
    """Plot one or several curves, the book's way.

    ``X`` and ``Y`` are each one curve (1-d) or a list of curves. With ``Y=None``, ``X`` holds the
    y values and each is plotted against its index. A single ``X`` is shared by all curves of
    ``Y``. Curve ``i`` is drawn with ``fmts[i]`` on ``axes`` (default: the current axes, cleared).
    """
    if legend is None:
        legend = []
    set_figsize(figsize)
    axes = axes if axes else _pyplot().gca()
    if _has_one_axis(X):
        X = [X]
    if Y is None:
        X, Y = [[]] * len(X), X
    elif _has_one_axis(Y):
        Y = [Y]
    if len(X) != len(Y):
        X = X * len(Y)
    axes.cla()
    for x, y, fmt in zip(X, Y, fmts):
        x, y = _as_plottable(x), _as_plottable(y)
        if len(x):
            axes.plot(x, y, fmt)
        else:
            axes.plot(y, fmt)
    set_axes(axes, xlabel, ylabel, xlim, ylim, xscale, yscale, legend)


# ----------------------------------------------------------------------------- small utilities

class Timer:
    """Record several running times (seconds)."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.start()

    def start(self) -> None:
        """Start the timer."""
        self.tik = time.perf_counter()

    def stop(self) -> float:
        """Stop the timer, record the time since ``start`` and return it."""
        self.times.append(time.perf_counter() - self.tik)
        return self.times[-1]

    def avg(self) -> float:
        """The average recorded time."""
        return sum(self.times) / len(self.times)

    def sum(self) -> float:
        """The total recorded time."""
        return sum(self.times)

    def cumsum(self) -> list[float]:
        """The running total after each recorded time."""
        return np.cumsum(self.times).tolist()


class Accumulator:
    """Running sums of ``n`` quantities (e.g. loss, correct predictions, examples)."""

    def __init__(self, n: int) -> None:
        self.data = [0.0] * n

    def add(self, *args: float) -> None:
        self.data = [a + float(b) for a, b in zip(self.data, args)]

    def reset(self) -> None:
        self.data = [0.0] * len(self.data)

    def __getitem__(self, idx: int) -> float:
        return self.data[idx]


class Animator:
    """Plot data that arrive one point at a time (e.g. metrics per epoch).

    In Jupyter the figure is redrawn in place after each ``add``. Elsewhere each frame is saved to
    ``save_path`` (default ``'animator.png'`` in the working directory, overwritten, so it always
    shows the latest state); a ``save_path`` containing ``{frame}`` keeps every frame
    (``'frames/{frame:03d}.png'``), and ``save_path=False`` saves nothing.
    """

    def __init__(self, xlabel: str | None = None, ylabel: str | None = None,
                 legend: Sequence[str] | None = None, xlim: Any = None, ylim: Any = None,
                 xscale: str = "linear", yscale: str = "linear",
                 fmts: Sequence[str] = ("-", "m--", "g-.", "r:"), nrows: int = 1, ncols: int = 1,
                 figsize: tuple[float, float] = (3.5, 2.5), save_path: str | bool | None = None) -> None:
        if legend is None:
            legend = []
        use_svg_display()
        self.fig, axes = _pyplot().subplots(nrows, ncols, figsize=figsize)
        self.axes = [axes] if nrows * ncols == 1 else list(np.ravel(axes))
        self.config_axes = lambda: set_axes(self.axes[0], xlabel, ylabel, xlim, ylim, xscale, yscale,
                                            legend)
        self.X: list[list[float]] | None = None
        self.Y: list[list[float]] | None = None
        self.fmts = fmts
        self.frame = 0
        self.save_path = "animator.png" if save_path is None else save_path

    def add(self, x: Any, y: Any) -> None:
        """Append point ``x`` to every curve, with ``y[i]`` for curve ``i`` (None skips a curve)."""
        if not hasattr(y, "__len__"):
            y = [y]
        n = len(y)
        if not hasattr(x, "__len__"):
            x = [x] * n
        if not self.X:
            self.X = [[] for _ in range(n)]
        if not self.Y:
            self.Y = [[] for _ in range(n)]
        for i, (a, b) in enumerate(zip(x, y)):
            if a is not None and b is not None:
                self.X[i].append(float(a))
                self.Y[i].append(float(b))
        self.axes[0].cla()
        for xs, ys, fmt in zip(self.X, self.Y, self.fmts):
            self.axes[0].plot(xs, ys, fmt)
        self.config_axes()
        self.frame += 1
        self._show()

    def _show(self) -> None:
        if _in_notebook():
            from IPython import display
            display.display(self.fig)
            display.clear_output(wait=True)
        elif self.save_path:
            path = self.save_path.format(frame=self.frame) if "{frame" in self.save_path else self.save_path
            folder = os.path.dirname(path)
            if folder:
                os.makedirs(folder, exist_ok=True)
            self.fig.savefig(path)


# ----------------------------------------------------------------------------- linear regression (3.2)

def synthetic_data(w: Any, b: Any, num_examples: int) -> tuple[ember.Tensor, ember.Tensor]:
    """``y = Xw + b + noise`` (noise std 0.01): returns ``(X, y)`` with ``y`` of shape ``(n, 1)``."""
    from .datasets import synthetic_data as make
    return make(w, b, num_examples).tensors


def load_array(data_arrays: Sequence[ember.Tensor], batch_size: int,
               is_train: bool = True) -> ember.utils.data.DataLoader:
    """A DataLoader over ``TensorDataset(*data_arrays)``, shuffled when ``is_train``."""
    dataset = ember.utils.data.TensorDataset(*data_arrays)
    return ember.utils.data.DataLoader(dataset, batch_size, shuffle=is_train)


def linreg(X: ember.Tensor, w: ember.Tensor, b: ember.Tensor) -> ember.Tensor:
    """The linear regression model ``Xw + b``."""
    return ember.matmul(X, w) + b


def squared_loss(y_hat: ember.Tensor, y: ember.Tensor) -> ember.Tensor:
    """Half the squared error, per example (``y`` is reshaped to ``y_hat``'s shape)."""
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def sgd(params: Iterable[ember.Tensor], lr: float, batch_size: int) -> None:
    """Minibatch SGD on summed losses: ``p -= lr * p.grad / batch_size``, then zero the grads."""
    with ember.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()


# ----------------------------------------------------------------------------- classification (3.5-3.6)

_FASHION_MNIST_LABELS = ["t-shirt", "trouser", "pullover", "dress", "coat",
                         "sandal", "shirt", "sneaker", "bag", "ankle boot"]


def get_fashion_mnist_labels(labels: Iterable[Any]) -> list[str]:
    """The text labels of Fashion-MNIST class indices."""
    return [_FASHION_MNIST_LABELS[int(i)] for i in labels]


def load_data_fashion_mnist(batch_size: int, resize: int | Sequence[int] | None = None,
                            root: str = "../data", download: bool = True
                            ) -> tuple[ember.utils.data.DataLoader, ember.utils.data.DataLoader]:
    """Fashion-MNIST as ``(train_iter, test_iter)`` DataLoaders of ``(X, y)`` batches.

    ``X`` is float32 ``(batch, 1, 28, 28)`` in [0, 1] (or ``resize``-d bilinearly), ``y`` int64.
    The files are read from ``root`` (see ``ember.datasets.FashionMNIST``) or downloaded there.
    The images are converted once, as whole tensors, rather than one by one per batch.
    """
    from .datasets import FashionMNIST
    from .datasets.transforms import resize_bilinear

    def as_dataset(train: bool) -> ember.utils.data.TensorDataset:
        ds = FashionMNIST(root=root, train=train, download=download)
        images = ds.data.unsqueeze(1).to(ember.float32) / 255
        return ember.utils.data.TensorDataset(images, ds.targets)

    collate = None
    if resize is not None:
        # resizing every image up front could need gigabytes (60000 x 224 x 224); do it per batch
        def collate(samples):
            X, y = ember.utils.data.default_collate(samples)
            return [resize_bilinear(X, resize), y]
    loader = ember.utils.data.DataLoader
    return (loader(as_dataset(True), batch_size, shuffle=True, collate_fn=collate),
            loader(as_dataset(False), batch_size, shuffle=False, collate_fn=collate))


def accuracy(y_hat: ember.Tensor, y: ember.Tensor) -> float:
    """The number of correct predictions (class scores ``y_hat`` or predicted labels)."""
    if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(axis=1)
    cmp = y_hat.type(y.dtype) == y
    return float(cmp.type(y.dtype).sum())


def evaluate_accuracy(net: Callable, data_iter: Iterable) -> float:
    """The accuracy of ``net`` over ``data_iter`` (in eval mode, without gradients)."""
    if isinstance(net, ember.nn.Module):
        net.eval()
    metric = Accumulator(2)  # correct predictions, predictions
    with ember.no_grad():
        for X, y in data_iter:
            metric.add(accuracy(net(X), y), y.numel())
    return metric[0] / metric[1]


def train_epoch(net: Callable, train_iter: Iterable, loss: Callable, updater: Any,
                progress_bar: Any = None) -> tuple[float, float]:
    """One epoch of training; returns the mean training loss and accuracy.

    ``updater`` is an ``ember.optim.Optimizer`` (the loss is averaged before ``backward``) or a
    function of the batch size such as ``lambda n: d2l.sgd(params, lr, n)`` (the loss is summed).
    ``loss`` may return per-example losses (``reduction='none'``, as in the book) or their mean.
    ``progress_bar``, when given, gets ``update(1)`` after every batch.
    """
    if isinstance(net, ember.nn.Module):
        net.train()
    metric = Accumulator(3)  # summed loss, correct predictions, examples
    for X, y in train_iter:
        y_hat = net(X)
        losses = loss(y_hat, y)
        n = y.numel()
        # a loss already reduced to its mean stands for n examples
        total = losses * n if losses.dim() == 0 else losses.sum()
        if isinstance(updater, ember.optim.Optimizer):
            updater.zero_grad()
            (total / n).backward()
            updater.step()
        else:
            total.backward()
            updater(X.shape[0])
        metric.add(float(total.detach()), accuracy(y_hat, y), n)
        if progress_bar is not None:
            progress_bar.update(1)
    return metric[0] / metric[2], metric[1] / metric[2]


def train(net: Callable, train_iter: Any, test_iter: Any, loss: Callable, num_epochs: int,
          updater: Any, *, plot: bool = True, progress: bool = True,
          save_path: str | bool | None = None) -> tuple[float, float, float]:
    """Train for ``num_epochs`` (the book's ``train_ch3``); returns the last (loss, train acc, test acc).

    With ``plot``, an ``Animator`` draws the three curves per epoch (saved to ``save_path`` outside
    Jupyter; see ``Animator``). With ``progress``, a tqdm bar counts the batches. Unlike the book,
    the final metrics are returned rather than asserted to be good.
    """
    if num_epochs < 1:
        raise ValueError(f"train: num_epochs must be at least 1, got {num_epochs}")
    animator = None
    if plot:
        # (a one-epoch xlim [1, 1] would be singular: let matplotlib choose then)
        animator = Animator(xlabel="epoch", xlim=[1, num_epochs] if num_epochs > 1 else None,
                            ylim=[0.3, 0.9],
                            legend=["train loss", "train acc", "test acc"], save_path=save_path)
    bar = None
    if progress:
        total = num_epochs * len(train_iter) if hasattr(train_iter, "__len__") else None
        bar = _tqdm()(total=total, unit="batch")
    try:
        for epoch in range(num_epochs):
            if bar is not None:
                bar.set_description(f"epoch {epoch + 1}/{num_epochs}")
            train_loss, train_acc = train_epoch(net, train_iter, loss, updater, progress_bar=bar)
            test_acc = evaluate_accuracy(net, test_iter)
            if animator is not None:
                animator.add(epoch + 1, (train_loss, train_acc, test_acc))
            if bar is not None:
                bar.set_postfix(loss=f"{train_loss:.3f}", train_acc=f"{train_acc:.3f}",
                                test_acc=f"{test_acc:.3f}")
    finally:
        if bar is not None:
            bar.close()
    return train_loss, train_acc, test_acc


# the book's chapter-suffixed names
train_epoch_ch3 = train_epoch
train_ch3 = train
