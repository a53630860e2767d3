"""python -m ember: the command-line entry point (``python -m ember --help``)."""
from __future__ import annotations

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    """The CLI: ``demo`` (train a spiral classifier and write pictures) and ``version``."""
    parser = argparse.ArgumentParser(
        prog="python -m ember",
        description="ember: PyTorch's tensor, autograd, nn and optim API in readable Python over NumPy.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p_demo = sub.add_parser(
        "demo", help="train an MLP on a 3-class spiral; write curves, decision regions, autograd graph",
        description="Train a small MLP on a generated 3-class spiral data set (no download) with Adam, "
                    "showing a progress bar, then write to OUT: the loss and accuracy curves "
                    "(loss_accuracy.png), the learned decision regions (decision_regions.png) and the "
                    "autograd graph of one training step (autograd_graph.svg). "
                    "Needs the optional extras: pip install \"ember[demo]\".")
    p_demo.add_argument("--epochs", type=int, default=None,
                        help="training epochs (default: 120, or 5 with --quick)")
    p_demo.add_argument("--out", default="ember-demo", help="output folder (default: ./ember-demo)")
    p_demo.add_argument("--quick", action="store_true",
                        help="a fast smoke run: fewer points and epochs (does not reach full accuracy)")
    p_demo.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p_demo.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    sub.add_parser("version", help="print ember's version")
    return parser


def main(argv=None) -> int:
    """Run the CLI with ``argv`` (default: sys.argv[1:]); returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "demo":
        from ._demo import run_demo
        try:
            run_demo(epochs=args.epochs, out=args.out, quick=args.quick, seed=args.seed,
                     progress=not args.no_progress)
        except ImportError as e:  # an optional extra is missing: say which, without a traceback
            print(f"error: {e}", file=sys.stderr)
            return 1
        return 0
    if args.command == "version":
        import ember
        print(f"ember {ember.__version__}")
        return 0
    parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
