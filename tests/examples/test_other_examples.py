"""Every example script that is not a seed comparison runs (in quick mode where it trains).

Scripts compared line by line with torch live in test_seed_examples.SCRIPTS; all the others found
in examples/ are run here in a fresh process, with the arguments listed in ARGS, and their output
checked where the script promises something.
"""
from __future__ import annotations

import os
import re
import runpy
import subprocess
import sys

import numpy as np
import pytest

from tests.examples.test_seed_examples import SCRIPTS as SEED_SCRIPTS

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLES = os.path.join(ROOT, "examples")

OTHER = sorted(name for name in os.listdir(EXAMPLES)
               if name.endswith(".py") and name not in SEED_SCRIPTS)
# script -> (command-line arguments, modules it needs); {tmp} is the test's temporary directory
ARGS = {
    "seed000_plotting.py": (["{tmp}/tangent.png"], ["matplotlib"]),
    "linear_regression_scratch.py": ([], []),
    "fashion_mnist_softmax.py": (["--quick", "--plot", "{tmp}/curves.png"], ["matplotlib", "tqdm"]),
}


def run_example(name: str, tmp_path) -> str:
    args, needs = ARGS.get(name, ([], []))
    for module in needs:
        pytest.importorskip(module)
    argv = [a.format(tmp=tmp_path) for a in args]
    env = dict(os.environ, PYTHONPATH=ROOT, PYTHONIOENCODING="utf-8", MPLBACKEND="Agg")
    proc = subprocess.run([sys.executable, os.path.join(EXAMPLES, name), *argv], capture_output=True,
                          text=True, env=env, cwd=str(tmp_path), timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_the_other_examples_are_found():
    assert {"seed000_plotting.py", "linear_regression_scratch.py", "fashion_mnist_softmax.py"} <= set(OTHER)
    assert not set(OTHER) & set(SEED_SCRIPTS)


@pytest.mark.parametrize("name", OTHER)
def test_example_runs(name, tmp_path):
    out = run_example(name, tmp_path)
    if name == "seed000_plotting.py":
        assert "h=0.00001,numerical limit=2.00003" in out
        image = pytest.importorskip("matplotlib.image").imread(str(tmp_path / "tangent.png"))
        assert image.ndim == 3 and image.shape[0] > 100 and image.std() > 0  # a drawn figure
    elif name == "linear_regression_scratch.py":
        losses = [float(v) for v in re.findall(r"epoch \d+, loss ([0-9.]+)", out)]
        assert len(losses) == 3 and losses[-1] < 1e-3 and losses[0] > losses[-1]
        w_err = re.search(r"error in estimating w: tensor\(\[([^\]]+)\]", out).group(1)
        assert all(abs(float(v)) < 0.05 for v in w_err.split(","))
    elif name == "fashion_mnist_softmax.py":
        assert "generated stand-in" in out
        assert "ember.Size([256, 1, 28, 28]) ember.float32 ember.Size([256]) ember.int64" in out
        test_acc = float(re.search(r"test acc ([0-9.]+)", out).group(1))
        assert test_acc > 0.2  # ten classes: chance is 0.1
        assert (tmp_path / "curves.png").exists()


def test_seed000_plotting_draws_the_tangent_line(tmp_path, monkeypatch):
    """Run the example in this process and read the curves back from the figure it drew."""
    pytest.importorskip("matplotlib")
    from ember import d2l
    d2l.plt.close("all")
    monkeypatch.setattr(sys, "argv", ["seed000_plotting.py", str(tmp_path / "t.png")])
    runpy.run_path(os.path.join(EXAMPLES, "seed000_plotting.py"), run_name="__main__")
    (x0, y0), (x1, y1) = [(ln.get_xdata(), ln.get_ydata()) for ln in d2l.plt.gca().get_lines()]
    x = np.arange(0, 3, 0.1)
    np.testing.assert_allclose(x0, x)
    np.testing.assert_allclose(y0, 3 * x ** 2 - 4 * x)
    np.testing.assert_allclose(x1, x)
    np.testing.assert_allclose(y1, 2 * x - 3)
    assert (tmp_path / "t.png").exists()
    d2l.plt.close("all")


def test_fashion_mnist_needs_data_without_quick(tmp_path):
    env = dict(os.environ, PYTHONPATH=ROOT)
    proc = subprocess.run([sys.executable, os.path.join(EXAMPLES, "fashion_mnist_softmax.py")],
                          capture_output=True, text=True, env=env, cwd=str(tmp_path), timeout=120,
                          check=False)
    assert proc.returncode == 2 and "--data DIR is required" in proc.stderr
