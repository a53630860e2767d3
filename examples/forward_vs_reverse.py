"""Forward versus reverse accumulation (seed 004, "基于计算图的两种自动求导方式").

The note's lesson: a computational graph can be differentiated in two directions.
- Forward accumulation (正向累积) pushes a derivative from one input through the whole graph: one pass
  gives one column of the Jacobian, so an n-input function needs n passes; nothing has to be stored
  (memory O(1) in the depth of the graph).
- Reverse accumulation (反向累积, backpropagation) runs the graph once, keeps every intermediate
  value, then walks back from one output: one pass gives one row of the Jacobian, so an m-output
  function needs m passes; the stored intermediates cost memory O(depth).
Each pass costs about as much as evaluating the function. So for f: R^n -> R^m, forward mode wins when
n < m, reverse mode when m < n, and a loss (m = 1) with millions of parameters is why deep learning
trains with reverse mode.

Below, the same Jacobian is built both ways: with the library's jacfwd / jacrev, and by hand from
single jvp / vjp passes so the passes can be counted. Run with ember (``import ember as torch``) or,
changing that line, with PyTorch.
"""
import time

import ember as torch
from ember.func import jacfwd, jacrev, jvp, vjp

torch.manual_seed(0)
HIDDEN = 16


def make_f(n, m):
    """A small two-layer network f: R^n -> R^m with fixed weights."""
    w1 = torch.randn(HIDDEN, n) / n ** 0.5
    w2 = torch.randn(m, HIDDEN) / HIDDEN ** 0.5

    def f(x):
        return torch.tanh(w2 @ torch.tanh(w1 @ x))
    return f


def by_forward_passes(f, x):
    """Jacobian column by column: one jvp (forward pass with a tangent) per input."""
    columns = []
    for i in range(x.numel()):
        e_i = torch.zeros_like(x)
        e_i[i] = 1.0
        columns.append(jvp(f, (x,), (e_i,))[1])
    return torch.stack(columns, dim=1), len(columns)


def by_reverse_passes(f, x):
    """Jacobian row by row: one forward pass, then one vjp (backward pass) per output."""
    out, vjp_fn = vjp(f, x)
    rows = []
    for j in range(out.numel()):
        e_j = torch.zeros_like(out)
        e_j[j] = 1.0
        rows.append(vjp_fn(e_j)[0])
    return torch.stack(rows, dim=0), len(rows)


def timed(fn, *args, repeat=3):
    """(result, best wall time in ms over a few runs: the least disturbed by everything else)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn(*args)
        best = min(best, time.perf_counter() - start)
    return result, best * 1000


jacfwd(torch.sin)(torch.ones(2)), jacrev(torch.sin)(torch.ones(2))  # warm-up: first calls set things up


print("f: R^n -> R^m, a 2-layer tanh network; J has shape (m, n)")
print(f"{'n':>4} {'m':>4} | {'fwd passes':>10} {'jacfwd ms':>10} | {'rev passes':>10} {'jacrev ms':>10} |"
      f" {'faster':>7} | agree")
for n in (1, 10, 100):
    for m in (1, 10, 100):
        f = make_f(n, m)
        x = torch.randn(n)
        j_fwd, t_fwd = timed(jacfwd(f), x)
        j_rev, t_rev = timed(jacrev(f), x)
        j_cols, fwd_passes = by_forward_passes(f, x)
        j_rows, rev_passes = by_reverse_passes(f, x)
        agree = all(torch.allclose(j_fwd, other, atol=1e-5) for other in (j_rev, j_cols, j_rows))
        faster = "forward" if t_fwd < t_rev else "reverse"
        print(f"{n:>4} {m:>4} | {fwd_passes:>10} {t_fwd:>10.2f} | {rev_passes:>10} {t_rev:>10.2f} |"
              f" {faster:>7} | {agree}")

print("forward passes = n (one per input), reverse passes = m (one per output): pick the smaller.")
print("(PyTorch's jacfwd/jacrev batch their passes with vmap, so there the times grow more slowly.)")
