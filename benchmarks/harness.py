"""Run every workload under ember and torch (and bare NumPy where a workload has that baseline), each
in its own process, alternating the libraries' order round by round; gather medians, peak memory and
the cross-library check; write ``results.json`` and ``RESULTS.md``."""
from __future__ import annotations

import importlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from . import WORKLOADS

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

# Issue 7's targets: median time ratio ember/torch (deep_chain: peak memory ratio).
TARGETS = {"himmelblau": 0.5, "scalar_loop": 1.0, "hessian": 1.0, "mlp": 1.2, "matmul_chain": 1.1,
           "lenet": 1.5, "elementwise": 1.3, "deep_chain": 1.2}
THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
               "NUMEXPR_NUM_THREADS")


def clock_for(threads: int) -> str:
    """CPU time of the process with one thread (robust to other load on the machine); wall time with
    more, since CPU time would add up the threads' times."""
    return "cpu" if threads == 1 else "wall"


def _child_env(threads: int, memory: bool) -> dict:
    env = dict(os.environ)
    for var in THREAD_VARS:
        env[var] = str(threads)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    if memory:
        # A fixed mmap threshold: glibc otherwise raises it after the first large free and keeps freed
        # blocks in the heap, so RSS would show the allocator's cache rather than live memory. Both
        # libraries allocate large buffers through malloc, so both are measured the same way.
        env["MALLOC_MMAP_THRESHOLD_"] = str(128 * 1024)
    return env


def _run_child(lib, name, mode, quick, threads, blocks=None):
    cmd = [sys.executable, "-m", "benchmarks._child", lib, name, mode, "--threads", str(threads),
           "--clock", clock_for(threads)]
    if blocks is not None:
        cmd += ["--blocks", str(blocks)]
    if quick:
        cmd.append("--quick")
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=False,
                          env=_child_env(threads, mode == "memory"))
    if proc.returncode != 0:
        raise RuntimeError(f"{lib} {name} {mode} failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_workload(name: str, quick: bool, threads: int, rounds: int, log=print, blocks=None) -> dict:
    """Time one workload: ``rounds`` rounds, each running every library once in its own process
    (back to back, the order alternating between rounds). The ratio is the median over rounds of
    ember's median over torch's in the same round: a shared machine that slows down for a while
    slows both sides of a pair, which a ratio of pooled medians would not cancel."""
    wl = importlib.import_module(f"benchmarks.{name}")
    libs = ["ember", "torch"] + (["numpy"] if hasattr(wl, "numpy_step") else [])
    samples = {lib: [] for lib in libs}
    walls = {lib: [] for lib in libs}
    round_ratios = []
    checks = {}
    for r in range(rounds):
        order = libs if r % 2 == 0 else libs[::-1]  # alternate who goes first
        medians = {}
        for lib in order:
            res = _run_child(lib, name, "time", quick, threads, blocks)
            samples[lib] += res["samples"]
            walls[lib] += res["wall_samples"]
            medians[lib] = statistics.median(res["samples"])
            checks[lib] = np.asarray(res["check"])
        round_ratios.append(medians["ember"] / medians["torch"])
    entry = {"name": name, "description": wl.DESCRIPTION, "kind": wl.KIND, "target": TARGETS.get(name)}
    for lib in libs:
        entry[f"{lib}_median_s"] = statistics.median(samples[lib])
        entry[f"{lib}_samples_s"] = samples[lib]
        entry[f"{lib}_wall_median_s"] = statistics.median(walls[lib])
    entry["round_ratios"] = round_ratios
    entry["time_ratio"] = statistics.median(round_ratios)
    if "numpy" in libs:
        entry["ember_over_numpy"] = entry["ember_median_s"] / entry["numpy_median_s"]
    e, t = checks["ember"], checks["torch"]
    same = e.shape == t.shape and bool(np.allclose(e, t, rtol=wl.RTOL, atol=wl.ATOL))
    entry["check_ok"] = same
    entry["check_max_abs_diff"] = float(np.max(np.abs(e - t))) if e.shape == t.shape and e.size else None
    if not quick or wl.KIND == "memory":
        for lib in ("ember", "torch"):
            res = _run_child(lib, name, "memory", quick, threads)
            entry[f"{lib}_peak_bytes"] = res["peak_bytes"]
            entry["peak_method"] = res["peak_method"]
        entry["memory_ratio"] = entry["ember_peak_bytes"] / max(entry["torch_peak_bytes"], 1)
    ratio = entry["memory_ratio"] if wl.KIND == "memory" else entry["time_ratio"]
    entry["met"] = entry["target"] is None or ratio <= entry["target"]
    log(_line(entry))
    return entry


def _fmt_time(s: float) -> str:
    if s < 1e-3:
        return f"{s * 1e6:.1f} us"
    if s < 1:
        return f"{s * 1e3:.2f} ms"
    return f"{s:.2f} s"


def _fmt_mem(b) -> str:
    return "-" if b is None else f"{b / 2 ** 20:.1f} MiB"


def _line(e: dict) -> str:
    mem = f"  mem {e['memory_ratio']:.2f}x" if "memory_ratio" in e else ""
    return (f"{e['name']:<13} ember {_fmt_time(e['ember_median_s']):>10}  torch "
            f"{_fmt_time(e['torch_median_s']):>10}  ratio {e['time_ratio']:.2f}{mem}  "
            f"check {'ok' if e['check_ok'] else 'MISMATCH'}  target {'met' if e['met'] else 'MISSED'}")


def machine() -> dict:
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    import torch  # only the parent's description needs it; never imported by ember
    blas = "unknown"
    try:
        cfg = np.show_config(mode="dicts")
        info = cfg["Build Dependencies"]["blas"]
        blas = f"{info.get('name')} {info.get('version')}"
    except (KeyError, TypeError, AttributeError):  # show_config's layout varies across versions
        blas = "unknown"
    return {"platform": platform.platform(), "cpu": cpu, "logical_cpus": os.cpu_count(),
            "python": platform.python_version(), "numpy": np.__version__, "numpy_blas": blas,
            "torch": torch.__version__}


def write_results(entries, out_dir: Path, command: str, threads: int, quick: bool, wall: float) -> None:
    info = machine()
    data = {"command": command, "threads": threads, "clock": clock_for(threads),
            "load_average": os.getloadavg(), "quick": quick, "wall_s": wall, "machine": info,
            "workloads": entries}
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "results.json").write_text(json.dumps(data, indent=1) + "\n")
    clock = "process CPU" if clock_for(threads) == "cpu" else "wall"
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    lines = [
        "# ember vs torch benchmarks",
        "",
        (f"Produced by `{command}` ({'quick' if quick else 'full'} run, {wall:.0f} s), {threads} "
         f"thread(s) for both libraries ({', '.join(THREAD_VARS[:3])} and torch.set_num_threads)."),
        "",
        (f"Machine: {info['cpu']}, {info['logical_cpus']} logical CPUs, {info['platform']}; Python "
         f"{info['python']}, NumPy {info['numpy']} ({info['numpy_blas']}), torch {info['torch']}. "
         f"Load average at the end: {load}."),
        "",
        (f"Times are medians of per-call {clock} times over timed blocks (after a warm-up block) from "
         "separate processes per library, alternating (results.json also has the wall times). Ratio "
         "(lower is better) = the median over rounds of ember / torch, where each round runs both "
         "libraries back to back, so that a slower spell of a shared machine weighs on both sides of "
         "a pair (results.json has every round's ratio). Peak memory is the process's peak RSS during one step above "
         "its RSS just before (VmHWM reset through /proc/self/clear_refs; fixed glibc mmap threshold so "
         "freed blocks leave the RSS). Check: both libraries' results agree within the workload's "
         "tolerance."),
        "",
        "| workload | ember | torch | ratio | target | met | ember peak | torch peak | mem ratio | check |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for e in entries:
        if "error" in e:
            lines.append(f"| {e['name']} | failed (see results.json) |" + " |" * 8)
            continue
        target = "-" if e["target"] is None else (
            f"mem <= {e['target']}" if e["kind"] == "memory" else f"<= {e['target']}")
        mr = f"{e['memory_ratio']:.2f}" if "memory_ratio" in e else "-"
        lines.append(
            f"| {e['name']} | {_fmt_time(e['ember_median_s'])} | {_fmt_time(e['torch_median_s'])} | "
            f"{e['time_ratio']:.2f} | {target} | {'yes' if e['met'] else 'NO'} | "
            f"{_fmt_mem(e.get('ember_peak_bytes'))} | {_fmt_mem(e.get('torch_peak_bytes'))} | {mr} | "
            f"{'ok' if e['check_ok'] else 'MISMATCH'} |")
    lines += ["", "Workloads:", ""]
    lines += [f"- **{e['name']}**: {e['description']}" for e in entries if "error" not in e]
    np_rows = [e for e in entries if "numpy_median_s" in e]
    if np_rows:
        lines += ["", "Bare-NumPy floor (the same matmuls and masks, no autograd):", ""]
        lines += [f"- {e['name']}: NumPy {_fmt_time(e['numpy_median_s'])}, ember / NumPy = "
                  f"{e['ember_over_numpy']:.2f}" for e in np_rows]
    (out_dir / "RESULTS.md").write_text("\n".join(lines) + "\n")


def main(quick: bool, only, threads: int, out_dir: Path, command: str, log=print) -> list:
    names = list(WORKLOADS)
    if only:
        unknown = [n for n in only if n not in WORKLOADS]
        if unknown:
            raise SystemExit(f"unknown workload(s) {unknown}; choose from {list(WORKLOADS)}")
        names = [n for n in names if n in only]
    rounds, blocks = (2, 2) if quick else (5, 3)  # short rounds, so pairs run close in time
    t0 = time.perf_counter()
    entries = []
    for n in names:
        try:
            entries.append(run_workload(n, quick, threads, rounds, log, blocks))
        except RuntimeError as exc:  # one broken workload must not hide the others' numbers
            log(f"{n:<13} FAILED: {exc}")
            entries.append({"name": n, "error": str(exc)[-2000:]})
    write_results(entries, out_dir, command, threads, quick, time.perf_counter() - t0)
    return entries
