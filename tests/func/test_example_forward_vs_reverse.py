"""examples/forward_vs_reverse.py runs on ember: every Jacobian agrees and the pass counts are n and m."""
from __future__ import annotations

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_forward_vs_reverse_example():
    env = dict(os.environ, PYTHONPATH=ROOT, PYTHONIOENCODING="utf-8")
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "forward_vs_reverse.py")],
                          capture_output=True, text=True, env=env, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = [line.split("|") for line in proc.stdout.splitlines() if line.count("|") == 4][1:]
    assert len(rows) == 9
    for cells in rows:
        n, m = map(int, cells[0].split())
        assert int(cells[1].split()[0]) == n and int(cells[2].split()[0]) == m
        assert cells[4].strip() == "True"
