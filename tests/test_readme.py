"""The README's ten-line example prints what its comment says (and what torch prints)."""
from __future__ import annotations

import contextlib
import io
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_readme_example_prints_its_comment():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        text = f.read()
    code = re.search(r"```python\n(.*?)```", text, re.DOTALL).group(1)
    expected = re.search(r"print\(loss\)\s+# (tensor\(.*?\))", code).group(1)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {})  # noqa: S102  (the README's own example)
    assert out.getvalue().strip() == expected
