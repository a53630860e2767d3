"""``python -m ember demo``: train a small MLP on a 3-class spiral, written as a PyTorch user writes it.

The training code below uses only the torch-shaped API (``import ember as torch``, ``torch.nn``,
``torch.optim``, ``torch.utils.data``): swap the import and it runs under PyTorch unchanged. Around it,
the demo shows progress with tqdm, plots the learning curves and the decision regions with matplotlib,
and draws the autograd graph of one training step with ember.viz (Graphviz). Those three packages are
optional extras: ``pip install "ember[demo]"``.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

import ember as torch
from ember import nn
from ember.utils.data import DataLoader, TensorDataset
from ember.viz import draw_graph, optional_import

__all__ = ["DemoResult", "SpiralNet", "make_spiral", "run_demo"]


def make_spiral(n_per_class: int = 300, n_classes: int = 3, noise: float = 0.2):
    """Points on ``n_classes`` interleaved spiral arms (CS231n's toy data set), generated, no download.

    Returns ``(X, y)``: float32 coordinates of shape (n_per_class * n_classes, 2) and int64 labels.
    Uses the global generator: call ``torch.manual_seed`` first for a reproducible set.
    """
    xs, ys = [], []
    radius = torch.linspace(0.0, 1.0, n_per_class)
    for c in range(n_classes):
        # each arm turns through 4 radians, starting where the previous one started plus 4
        theta = torch.linspace(c * 4.0, (c + 1) * 4.0, n_per_class) + noise * torch.randn(n_per_class)
        xs.append(torch.stack([radius * torch.sin(theta), radius * torch.cos(theta)], dim=1))
        ys.append(torch.full((n_per_class,), c, dtype=torch.long))
    return torch.cat(xs), torch.cat(ys)


class SpiralNet(nn.Module):
    """A two-hidden-layer MLP: 2 -> hidden -> hidden -> n_classes, with ReLU activations."""

    def __init__(self, hidden: int = 64, n_classes: int = 3) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(2, hidden), nn.ReLU(),
            nn.Linear(hidden, hidden), nn.ReLU(),
            nn.Linear(hidden, n_classes),
        )

    def forward(self, x):
        return self.net(x)


@dataclass
class DemoResult:
    """What the demo measured and where it wrote its files."""

    losses: list = field(default_factory=list)      # mean training loss per epoch
    accuracies: list = field(default_factory=list)  # training accuracy per epoch (0..1)
    final_accuracy: float = 0.0                     # on the whole training set, after training
    seconds: float = 0.0                            # training time
    files: dict = field(default_factory=dict)       # what -> path
    notes: list = field(default_factory=list)       # e.g. "dot missing: wrote the .dot source"


def _accuracy(logits, y) -> float:
    return (logits.argmax(dim=1) == y).float().mean().item()


def train(model, loader, epochs: int, lr: float, progress: bool = True, X=None, y=None) -> DemoResult:
    """The training loop: Adam on cross-entropy; one tqdm bar over epochs showing loss and accuracy."""
    tqdm = optional_import("tqdm", "demo", "The demo's progress bar").tqdm
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    # decay the step size to 0 over the run: large steps early, a smooth finish
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    result = DemoResult()
    start = time.perf_counter()
    bar = tqdm(range(epochs), desc="training", unit="epoch", disable=not progress, dynamic_ncols=True)
    for _ in bar:
        model.train()
        total_loss, correct, seen = 0.0, 0, 0
        for xb, yb in loader:
            optimizer.zero_grad()
            logits = model(xb)
            loss = criterion(logits, yb)
            loss.backward()
            optimizer.step()
            total_loss += loss.item() * len(yb)
            correct += (logits.argmax(dim=1) == yb).sum().item()
            seen += len(yb)
        scheduler.step()
        result.losses.append(total_loss / seen)
        result.accuracies.append(correct / seen)
        bar.set_postfix(loss=f"{result.losses[-1]:.4f}", acc=f"{result.accuracies[-1]:.1%}")
    bar.close()
    result.seconds = time.perf_counter() - start
    if X is not None:
        model.eval()
        with torch.no_grad():
            result.final_accuracy = _accuracy(model(X), y)
    return result


# --------------------------------------------------------------------------- pictures
def _pyplot():
    matplotlib = optional_import("matplotlib", "demo", "The demo's plots")
    matplotlib.use("Agg")  # files only: no window, works without a display
    import matplotlib.pyplot as plt
    return plt


def plot_curves(result: DemoResult, path: str) -> None:
    """Loss and accuracy per epoch, side by side, as a PNG."""
    plt = _pyplot()
    epochs = range(1, len(result.losses) + 1)
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    ax_loss.plot(epochs, result.losses, color="tab:red")
    ax_loss.set(title="training loss (cross-entropy)", xlabel="epoch", ylabel="loss")
    ax_loss.set_yscale("log")
    ax_acc.plot(epochs, [100 * a for a in result.accuracies], color="tab:blue")
    ax_acc.set(title="training accuracy", xlabel="epoch", ylabel="accuracy (%)", ylim=(0, 100))
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_decision_regions(model, X, y, path: str, resolution: int = 200) -> None:
    """The class the model predicts at every point of a grid, with the training points on top."""
    plt = _pyplot()
    lo, hi = X.min().item() - 0.1, X.max().item() + 0.1
    axis = torch.linspace(lo, hi, resolution)
    # the grid's x and y coordinates (torch.meshgrid(axis, axis, indexing="xy"), by broadcasting)
    gx = axis.reshape(1, -1).expand(resolution, resolution)
    gy = axis.reshape(-1, 1).expand(resolution, resolution)
    grid = torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=1)
    model.eval()
    with torch.no_grad():
        pred = model(grid).argmax(dim=1).reshape(resolution, resolution)
    fig, ax = plt.subplots(figsize=(6, 6))
    n_classes = int(y.max().item()) + 1
    from matplotlib.colors import ListedColormap
    cmap = ListedColormap(plt.get_cmap("tab10").colors[:n_classes])
    levels = [c - 0.5 for c in range(n_classes + 1)]  # one filled band per class
    ax.contourf(gx.numpy(), gy.numpy(), pred.numpy(), levels=levels, cmap=cmap, alpha=0.25)
    ax.scatter(X[:, 0].numpy(), X[:, 1].numpy(), c=y.numpy(), cmap=cmap, vmin=-0.5,
               vmax=n_classes - 0.5, s=12, edgecolors="white", linewidths=0.3)
    ax.set(title="learned decision regions", xlabel="$x_1$", ylabel="$x_2$", aspect="equal")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def draw_training_step(model, xb, yb, out_dir: str) -> tuple[str, str | None]:
    """Draw the autograd graph of one training step (forward, loss, backward) to an SVG.

    Returns ``(path, note)``: the .svg, or the .dot source with a note when Graphviz's `dot` is missing.
    """
    model.zero_grad()
    loss = nn.CrossEntropyLoss()(model(xb), yb)
    loss.backward(retain_graph=True)  # keep the saved tensors so the drawing can show them
    graph = draw_graph(loss, params=model, show_saved=True, show_grads=True)
    model.zero_grad()
    base = os.path.join(out_dir, "autograd_graph")
    try:
        graph.render(base, format="svg", cleanup=True)
        return base + ".svg", None
    except graph.DotNotFoundError:
        path = graph.save(base + ".dot")
        return path, ("Graphviz's `dot` program is missing, so the autograd graph was written as DOT "
                      "source; install Graphviz (e.g. `apt-get install graphviz`) and run "
                      f"`dot -Tsvg {path} -o {base}.svg`")


def run_demo(epochs: int | None = None, out: str = "ember-demo", quick: bool = False, seed: int = 0,
             progress: bool = True, verbose: bool = True) -> DemoResult:
    """Train on the spiral, then write the curves, the decision regions and the graph into ``out``.

    ``quick`` trains a smaller set for fewer epochs (a smoke test: it does not aim for 95%).
    """
    # Fail before training, not after it, when an optional package is missing.
    optional_import("tqdm", "demo", "The demo's progress bar")
    _pyplot()
    optional_import("graphviz", "demo", "The demo's autograd-graph drawing")
    n_per_class = 100 if quick else 300
    if epochs is None:
        epochs = 5 if quick else 120
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1, got {epochs}")

    torch.manual_seed(seed)
    X, y = make_spiral(n_per_class)
    loader = DataLoader(TensorDataset(X, y), batch_size=64, shuffle=True)
    model = SpiralNet(hidden=64)
    if verbose:
        n_params = sum(p.numel() for p in model.parameters())
        print(f"ember demo: {len(X)} spiral points in 3 classes, an MLP with {n_params} parameters, "
              f"{epochs} epochs of Adam")
    result = train(model, loader, epochs, lr=0.01, progress=progress, X=X, y=y)

    os.makedirs(out, exist_ok=True)
    result.files["curves"] = os.path.join(out, "loss_accuracy.png")
    plot_curves(result, result.files["curves"])
    result.files["regions"] = os.path.join(out, "decision_regions.png")
    plot_decision_regions(model, X, y, result.files["regions"])
    result.files["graph"], note = draw_training_step(model, X[:8], y[:8], out)
    if note:
        result.notes.append(note)

    if verbose:
        print(summary(result, epochs))
    return result


def summary(result: DemoResult, epochs: int) -> str:
    """The text printed at the end of the demo."""
    lines = [
        f"trained {epochs} epochs in {result.seconds:.1f} s ({result.seconds / epochs * 1000:.0f} ms/epoch)",
        f"final loss {result.losses[-1]:.4f}",
        f"training accuracy {result.final_accuracy:.1%}",
        "wrote:",
        f"  {result.files['curves']}  (loss and accuracy per epoch)",
        f"  {result.files['regions']}  (the class predicted at each point of the plane)",
        f"  {result.files['graph']}  (the autograd graph of one training step)",
    ]
    lines += [f"note: {n}" for n in result.notes]
    return "\n".join(lines)
