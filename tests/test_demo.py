"""python -m ember demo / --help / version, and the demo's pieces (data, training, files written)."""
import os
import shutil
import subprocess
import sys
import types

import numpy as np
import pytest

import ember
from ember import __main__ as cli

pytest.importorskip("tqdm")
pytest.importorskip("matplotlib")
pytest.importorskip("graphviz")
from ember import _demo  # needs the optional packages above

HAVE_DOT = shutil.which("dot") is not None
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def with_lib(fn, lib):
    """``fn`` from the demo module, with ``torch`` and ``nn`` bound to ``lib`` (ember or torch)."""
    return types.FunctionType(fn.__code__, dict(fn.__globals__, torch=lib, nn=lib.nn), fn.__name__,
                              fn.__defaults__)


def run_cli(*args, cwd):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "ember", *args], cwd=cwd, env=env, check=False,
                          capture_output=True, text=True, timeout=120)


def test_help_lists_commands_and_options(tmp_path):
    top = run_cli("--help", cwd=tmp_path)
    assert top.returncode == 0 and "demo" in top.stdout and "version" in top.stdout
    assert run_cli(cwd=tmp_path).stdout == top.stdout  # no command: the same help
    demo = run_cli("demo", "--help", cwd=tmp_path)
    for option in ("--epochs", "--out", "--quick", "--seed"):
        assert option in demo.stdout
    assert run_cli("version", cwd=tmp_path).stdout.strip() == f"ember {ember.__version__}"
    bad = run_cli("demo", "--epochs", "many", cwd=tmp_path)
    assert bad.returncode == 2 and "invalid int value" in bad.stderr


def test_quick_demo_from_the_command_line_writes_three_files(tmp_path):
    proc = run_cli("demo", "--quick", "--epochs", "3", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "ember-demo"  # the default folder, relative to where it runs
    assert (out / "loss_accuracy.png").read_bytes().startswith(PNG_MAGIC)
    assert (out / "decision_regions.png").read_bytes().startswith(PNG_MAGIC)
    graph = out / ("autograd_graph.svg" if HAVE_DOT else "autograd_graph.dot")
    assert graph.exists()
    assert "trained 3 epochs" in proc.stdout and "training accuracy" in proc.stdout
    assert "3/3" in proc.stderr and "acc=" in proc.stderr and "loss=" in proc.stderr  # the tqdm bar


def test_quick_demo_api(tmp_path, capsys):
    assert cli.main(["demo", "--quick", "--out", str(tmp_path / "d"), "--seed", "3", "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "trained 5 epochs" in printed
    files = sorted(os.listdir(tmp_path / "d"))
    assert files == ["autograd_graph." + ("svg" if HAVE_DOT else "dot"), "decision_regions.png",
                     "loss_accuracy.png"]
    if HAVE_DOT:
        svg = (tmp_path / "d" / "autograd_graph.svg").read_text()
        assert "<svg" in svg and "net.0.weight" in svg and "grad norm" in svg and "AddmmBackward0" in svg


def test_full_demo_reaches_95_percent_quickly(tmp_path):
    result = _demo.run_demo(out=str(tmp_path), progress=False, verbose=False)
    assert result.final_accuracy >= 0.95
    assert result.seconds < 60
    assert len(result.losses) == len(result.accuracies) == 120
    assert result.losses[-1] < result.losses[0] / 10


def test_missing_dot_writes_dot_source_and_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    result = _demo.run_demo(epochs=1, out=str(tmp_path / "d"), quick=True, progress=False)
    assert result.files["graph"].endswith("autograd_graph.dot")
    with open(result.files["graph"]) as f:
        assert f.read().startswith("digraph")
    assert not os.path.exists(tmp_path / "d" / "autograd_graph.svg")
    assert "dot` program is missing" in capsys.readouterr().out


def test_missing_extra_is_named(monkeypatch, capsys, tmp_path):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    assert cli.main(["demo", "--quick", "--out", str(tmp_path / "d")]) == 1
    err = capsys.readouterr().err
    assert 'pip install "ember[demo]"' in err and "tqdm" in err
    assert not os.path.exists(tmp_path / "d")  # it stopped before training


def test_spiral_data_is_what_torch_makes():
    torch = pytest.importorskip("torch")
    ember.manual_seed(5)
    X, y = _demo.make_spiral(50)
    # the same function, run with torch as its `torch`: the demo really is torch code
    torch.manual_seed(5)
    X_t, y_t = with_lib(_demo.make_spiral, torch)(50)
    assert X.shape == (150, 2) and X.dtype == ember.float32 and y.dtype == ember.int64
    np.testing.assert_allclose(X.numpy(), X_t.numpy(), atol=1e-6)
    np.testing.assert_array_equal(y.numpy(), y_t.numpy())
    assert sorted(np.bincount(y.numpy())) == [50, 50, 50]


def test_training_loop_matches_torch():
    torch = pytest.importorskip("torch")
    results = []
    for lib in (ember, torch):
        lib.manual_seed(1)
        X, y = with_lib(_demo.make_spiral, lib)(40)
        lib.manual_seed(2)
        model = lib.nn.Sequential(lib.nn.Linear(2, 16), lib.nn.ReLU(), lib.nn.Linear(16, 3))
        loader = lib.utils.data.DataLoader(lib.utils.data.TensorDataset(X, y), batch_size=32, shuffle=True)
        results.append(with_lib(_demo.train, lib)(model, loader, 4, 0.01, False, X, y))
    np.testing.assert_allclose(results[0].losses, results[1].losses, rtol=1e-4)
    assert results[0].final_accuracy == pytest.approx(results[1].final_accuracy, abs=1e-6)
