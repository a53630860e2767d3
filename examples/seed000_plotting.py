"""Seed 000 (d2l 2.4 calculus): the tangent line of f(x) = 3x^2 - 4x at x = 1, plotted with ember.d2l.

The book's plotting helpers (use_svg_display, set_figsize, set_axes, plot) are marked #@save there,
so they are used from `d2l` here rather than defined again. Outside Jupyter the figure is written
to a PNG (default seed000_tangent.png; pass another path as the first argument).
"""
import sys

import numpy as np

from ember import d2l


def f(x):
    return 3 * x ** 2 - 4 * x


def numerical_lim(f, x, h):
    return (f(x + h) - f(x)) / h


h = 0.1
for i in range(5):
    print(f'h={h:.5f},numerical limit={numerical_lim(f, 1, h):.5f}')
    h *= 0.1

x = np.arange(0, 3, 0.1)
d2l.plot(x, [f(x), 2 * x - 3], 'x', 'f(x)', legend=['f(x)', 'Tangent line (x=1)'])

out = sys.argv[1] if len(sys.argv) > 1 else "seed000_tangent.png"
d2l.plt.savefig(out, bbox_inches="tight")  # instead of d2l.plt.show(): scripts have no window to show it in
print(f"saved {out}")
