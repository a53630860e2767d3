"""One benchmark run in its own process: ``python -m benchmarks._child LIB WORKLOAD MODE [--quick]``.

Prints one JSON object on stdout. The parent (harness.py) sets the thread-count environment
variables before this process starts, since BLAS and OpenMP read them once, at load time.

mode "time": setup, the check steps (whose result is compared across libraries), a calibration call,
one warm-up block, then timed blocks; each block's time divided by its call count is one sample.
mode "memory": setup, then the peak resident set size of one step above the RSS just before it
(see ``_peak_rss_delta`` for why RSS and not tracemalloc).
"""
from __future__ import annotations

import argparse
import gc
import importlib
import json
import os
import resource
import sys
import time


def _current_rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _hwm() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise OSError("no VmHWM")


def _peak_rss_delta(fn) -> tuple[int, str]:
    """Bytes the process's resident set grew to above its size just before ``fn()`` ran.

    tracemalloc sees only allocations made through Python's allocator (NumPy's arrays), not torch's
    C++ allocations, so it would compare different things; RSS counts both. On Linux the peak (VmHWM)
    is reset to the current RSS by writing 5 to /proc/self/clear_refs, so the peak of just this call
    is read. Elsewhere getrusage's ru_maxrss (the peak since the process started) is used, relative to
    the RSS before the call, which is exact only if imports and setup peaked below it.
    """
    gc.collect()
    base = _current_rss()
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        fn()
        return _hwm() - base, "VmHWM after clear_refs"
    except OSError:
        fn()
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - base, "ru_maxrss"


def _load_library(lib: str, threads: int):
    if lib == "ember":
        import ember
        return ember
    if lib == "torch":
        import torch
        torch.set_num_threads(threads)
        return torch
    return None  # bare numpy


def main(argv=None) -> None:
    p = argparse.ArgumentParser()
    p.add_argument("lib", choices=("ember", "torch", "numpy"))
    p.add_argument("workload")
    p.add_argument("mode", choices=("time", "memory"))
    p.add_argument("--quick", action="store_true")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--clock", choices=("cpu", "wall"), default="cpu")
    p.add_argument("--blocks", type=int, default=None, help="timed blocks (default 3 quick, 7 full)")
    args = p.parse_args(argv)

    wl = importlib.import_module(f"benchmarks.{args.workload}")
    lib = _load_library(args.lib, args.threads)
    from ._common import to_numpy
    if args.lib == "numpy":
        setup, step, result = (lambda: wl.numpy_setup(args.quick)), wl.numpy_step, wl.numpy_result
    else:
        setup, step, result = (lambda: wl.setup(lib, args.quick)), wl.step, wl.result
    state = setup()
    out = {"lib": args.lib, "workload": args.workload, "mode": args.mode}

    if args.mode == "memory":
        out["peak_bytes"], out["peak_method"] = _peak_rss_delta(lambda: step(state))
        print(json.dumps(out))
        return

    for _ in range(wl.CHECK_STEPS):
        step(state)
    out["check"] = to_numpy(result(state)).tolist()

    # With one thread, the process's CPU time is the clock: it leaves out the time the process waits
    # for a core on a busy machine, which wall time would charge to whichever library ran then.
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    target = 0.05 if args.quick else 0.25  # seconds per timed block
    blocks = args.blocks if args.blocks is not None else (3 if args.quick else 7)
    t0 = clock()
    step(state)
    one = clock() - t0
    calls = max(1, int(target / max(one, 1e-6)))
    samples, wall = [], []
    for b in range(blocks + 1):  # the first block is the warm-up
        w0 = time.perf_counter()
        t0 = clock()
        for _ in range(calls):
            step(state)
        dt = (clock() - t0) / calls
        if b:
            samples.append(dt)
            wall.append((time.perf_counter() - w0) / calls)
    out["calls_per_block"] = calls
    out["clock"] = args.clock
    out["samples"] = samples
    out["wall_samples"] = wall
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1:])
