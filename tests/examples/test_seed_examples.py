"""Each seed example prints with ember exactly what the same code prints with torch 2.13.

The script is run twice in fresh processes: as written (``import ember as torch``) and with that line
changed to ``import torch``. torch's output is compared with 'torch' spelled 'ember' (the names are the
only allowed difference). ember's random streams equal torch's, so nothing is masked; a script
may list regexes for output that legitimately differs.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

pytest.importorskip("torch")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLES = os.path.join(ROOT, "examples")

# script -> regexes for output that depends on random numbers
SCRIPTS = {
    "seed000_calculus_autograd.py": [],
    "seed003_autograd.py": [],
    "seed001_autograd_gd.py": [],
    "seed002_gradient_descent.py": [],
    "seed004_data_ops.py": [],
    "seed004_linear_algebra.py": [],
    "seed004_autograd.py": [],
    "seed004_pandas.py": [],
}


def run_script(path: str, use_torch: bool, tmp_path) -> str:
    with open(path, encoding="utf-8") as f:
        code = f.read()
    if use_torch:
        assert "import ember as torch" in code
        code = re.sub(r"^(\s*)(import|from) ember\b", r"\1\2 torch", code, flags=re.MULTILINE)
    script = tmp_path / ("torch_" if use_torch else "ember_") / os.path.basename(path)
    script.parent.mkdir(exist_ok=True)
    script.write_text(code, encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=ROOT, PYTHONIOENCODING="utf-8")
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env,
                          cwd=str(script.parent), timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def normalise(text: str, masks) -> str:
    for pattern in masks:
        text = re.sub(pattern, "<random>", text, flags=re.DOTALL)
    return text


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_example_prints_like_torch(name, tmp_path):
    if name.endswith("pandas.py"):
        pytest.importorskip("pandas")
    path = os.path.join(EXAMPLES, name)
    ours = normalise(run_script(path, False, tmp_path), SCRIPTS[name])
    theirs = normalise(run_script(path, True, tmp_path).replace("torch", "ember"), SCRIPTS[name])
    ours_lines, theirs_lines = ours.splitlines(), theirs.splitlines()
    for i, (a, b) in enumerate(zip(ours_lines, theirs_lines)):
        assert a == b, f"line {i + 1} differs:\n ember: {a!r}\n torch: {b!r}"
    assert len(ours_lines) == len(theirs_lines)
