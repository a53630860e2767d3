"""``python -m benchmarks [--quick] [--only NAME[,NAME...]] [--threads N] [--out DIR]``."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import WORKLOADS
from .harness import HERE, main

parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
parser.add_argument("--quick", action="store_true", help="fewer, shorter blocks (under two minutes)")
parser.add_argument("--only", action="append", default=[],
                    help=f"run only these workloads (repeat or comma-separate): {', '.join(WORKLOADS)}")
parser.add_argument("--threads", type=int, default=1, help="threads for both libraries (default 1)")
parser.add_argument("--out", type=Path, default=HERE, help="where RESULTS.md and results.json go")
args = parser.parse_args()
only = [n for item in args.only for n in item.split(",") if n]
entries = main(args.quick, only, args.threads, args.out, " ".join(["python -m benchmarks", *sys.argv[1:]]))
sys.exit(0 if all(e.get("check_ok") for e in entries) else 1)
