"""d2l 3.6: softmax regression from scratch on Fashion-MNIST, trained with d2l.train (train_ch3).

Usage:
    python fashion_mnist_softmax.py --data DIR [--epochs 10] [--batch-size 256] [--lr 0.1]
    python fashion_mnist_softmax.py --quick          # 1 epoch; without --data, generated stand-in

DIR holds the Fashion-MNIST IDX files (train-images-idx3-ubyte[.gz], ...; also DIR/FashionMNIST/raw/).
With --download they are fetched there first (network needed). With --quick and no --data, a small
generated data set in the same IDX format stands in for Fashion-MNIST, so the script runs offline.
"""
import argparse
import os
import tempfile

import numpy as np

import ember as torch
from ember import d2l
from ember.datasets import write_idx


def write_stand_in(root, n_train=600, n_test=200, seed=0):
    """Fashion-MNIST-shaped IDX files: each class is a noisy copy of its own random 28x28 template."""
    rng = np.random.default_rng(seed)
    templates = rng.integers(0, 256, size=(10, 28, 28))
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        labels = rng.integers(0, 10, size=n).astype(np.uint8)
        noise = rng.normal(0, 60, size=(n, 28, 28))
        images = np.clip(templates[labels] + noise, 0, 255).astype(np.uint8)
        write_idx(os.path.join(root, f"{prefix}-images-idx3-ubyte.gz"), images)
        write_idx(os.path.join(root, f"{prefix}-labels-idx1-ubyte.gz"), labels)


parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--data", help="directory with the Fashion-MNIST IDX files")
parser.add_argument("--download", action="store_true", help="download the files into --data")
parser.add_argument("--epochs", type=int, default=10)
parser.add_argument("--batch-size", type=int, default=256)
parser.add_argument("--lr", type=float, default=0.1)
parser.add_argument("--quick", action="store_true", help="one epoch (stand-in data without --data)")
parser.add_argument("--plot", default=False, help="save the training curves to this PNG")
parser.add_argument("--no-progress", action="store_true", help="no tqdm progress bar")
args = parser.parse_args()
if args.data is None and not args.quick:
    parser.error("--data DIR is required (or --quick to run on generated stand-in data)")
num_epochs = 1 if args.quick else args.epochs
torch.manual_seed(0)

with tempfile.TemporaryDirectory() as tmp:
    root = args.data
    if root is None:
        root = tmp
        write_stand_in(root)
        print(f"--quick without --data: using a generated stand-in in {root}")
    train_iter, test_iter = d2l.load_data_fashion_mnist(args.batch_size, root=root,
                                                        download=args.download)

    X, y = next(iter(train_iter))
    print(X.shape, X.dtype, y.shape, y.dtype)
    print(d2l.get_fashion_mnist_labels(y[:6]))

    num_inputs, num_outputs = 784, 10
    W = torch.normal(0, 0.01, size=(num_inputs, num_outputs), requires_grad=True)
    b = torch.zeros(num_outputs, requires_grad=True)

    def softmax(X):
        X_exp = torch.exp(X)
        partition = X_exp.sum(1, keepdim=True)
        return X_exp / partition  # broadcasting

    def net(X):
        return softmax(torch.matmul(X.reshape((-1, W.shape[0])), W) + b)

    def cross_entropy(y_hat, y):
        return - torch.log(y_hat[range(len(y_hat)), y])

    def updater(batch_size):
        return d2l.sgd([W, b], args.lr, batch_size)

    print(f"accuracy before training: {d2l.evaluate_accuracy(net, test_iter):.3f}")
    train_loss, train_acc, test_acc = d2l.train(
        net, train_iter, test_iter, cross_entropy, num_epochs, updater,
        plot=bool(args.plot), save_path=args.plot or False, progress=not args.no_progress)
    print(f"train loss {train_loss:.3f}, train acc {train_acc:.3f}, test acc {test_acc:.3f}")
