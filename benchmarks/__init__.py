"""ember vs torch benchmarks: ``python -m benchmarks [--quick] [--only NAME]``.

Each workload is a module here with ``setup(torch, quick)`` and ``step(state)``; the harness
(``harness.py``) runs it under each library in its own process (``_child.py``) and writes
``RESULTS.md`` and ``results.json``.
"""

WORKLOADS = (
    "himmelblau",
    "scalar_loop",
    "mlp",
    "matmul_chain",
    "elementwise",
    "deep_chain",
    "hessian",
    "lenet",
)
