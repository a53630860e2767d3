"""python -m ember: the command-line entry point (``python -m ember --help``)."""
from __future__ import annotations

import argparse
import sys


def demo(steps: int = 200) -> None:
    """Linear regression from scratch (d2l 3.2): autograd, no_grad updates, and the learned weights."""
    import ember as torch

    torch.manual_seed(0)
    true_w, true_b = torch.tensor([2.0, -3.4]), 4.2
    X = torch.randn(1000, 2)
    y = X @ true_w + true_b + 0.01 * torch.randn(1000)

    w = torch.zeros(2, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    lr, batch = 0.03, 10
    for step in range(steps):
        idx = torch.randint(0, 1000, (batch,))
        loss = ((X[idx] @ w + b - y[idx]) ** 2 / 2).mean()
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
            w.grad.zero_()
            b.grad.zero_()
        if step % 50 == 0 or step == steps - 1:
            with torch.no_grad():
                full = ((X @ w + b - y) ** 2 / 2).mean()
            print(f"step {step:4d}  loss {full.item():.6f}")
    print("learned w:", w)
    print("learned b:", b)
    print("error in w:", true_w - w.detach())
    print("error in b:", true_b - b.detach())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ember", description="ember: PyTorch's API over NumPy")
    sub = parser.add_subparsers(dest="command")
    p_demo = sub.add_parser("demo", help="train a small model from scratch and print what it learned")
    p_demo.add_argument("--steps", type=int, default=200)
    args = parser.parse_args(argv)
    if args.command == "demo":
        demo(args.steps)
        return 0
    parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
