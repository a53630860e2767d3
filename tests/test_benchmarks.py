"""Smoke test of the benchmark harness: ``--quick`` on the smallest workload, no timing assertions."""
import json
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
ROOT = Path(__file__).resolve().parents[1]


def test_quick_run_writes_results(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--only", "scalar_loop", "--out", str(tmp_path)],
        cwd=ROOT, check=False, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["quick"] is True and data["threads"] == 1
    assert "python -m benchmarks --quick --only scalar_loop" in data["command"]
    (entry,) = data["workloads"]
    assert entry["name"] == "scalar_loop"
    assert entry["check_ok"] is True  # ember and torch computed the same gradient
    assert entry["ember_median_s"] > 0 and entry["torch_median_s"] > 0
    ratios = entry["round_ratios"]
    assert len(ratios) == 2 and all(r > 0 for r in ratios)  # --quick: two rounds of both libraries
    assert entry["time_ratio"] == pytest.approx(statistics.median(ratios))
    md = (tmp_path / "RESULTS.md").read_text()
    assert "| scalar_loop |" in md and data["machine"]["cpu"] in md


def test_unknown_workload_is_refused(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--only", "nope", "--out", str(tmp_path)],
        cwd=ROOT, check=False, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "unknown workload" in proc.stderr
    assert not (tmp_path / "results.json").exists()


def test_peak_rss_delta_sees_an_allocation():
    from benchmarks._child import _peak_rss_delta
    np = pytest.importorskip("numpy")
    small, _ = _peak_rss_delta(lambda: None)
    big, _ = _peak_rss_delta(lambda: np.ones(64 * 2 ** 20 // 8).sum())  # 64 MiB, touched, freed
    assert big - small > 32 * 2 ** 20
