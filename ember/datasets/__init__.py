"""ember.datasets: MNIST and Fashion-MNIST from IDX files, and small generated data sets.

Everything here returns ember Datasets (``ember.utils.data.Dataset`` / ``TensorDataset``), ready
for a DataLoader.
"""
from . import transforms
from ._idx import read_idx, write_idx
from .mnist import MNIST, FashionMNIST, download_url
from .synthetic import make_spiral, synthetic_data

__all__ = [
    "MNIST",
    "FashionMNIST",
    "download_url",
    "make_spiral",
    "read_idx",
    "synthetic_data",
    "transforms",
    "write_idx",
]
