"""DataLoader: batches from a dataset, in the order a sampler gives, collated into tensors.

Loading always happens in the main process: ``num_workers > 0`` is accepted (so torch scripts run
unchanged) and gives the same batches in the same order, just without worker processes. The random
draws per epoch match torch's: creating the iterator draws one int64 "base seed" from the loader's
generator (torch hands it to worker processes), and a shuffling RandomSampler then draws its own
seed when the first batch is asked for. Keeping both draws keeps ``import ember as torch`` scripts
on torch's random stream.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

import numpy as np

from ._collate import default_collate, default_convert
from .dataset import Dataset, IterableDataset, TensorDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler, _random_seed

__all__ = ["DataLoader", "get_worker_info"]


def get_worker_info() -> None:
    """Always None: ember loads data in the main process only."""
    return


class _InfiniteConstantSampler(Sampler):
    """For iterable datasets: an endless stream of None (the dataset itself decides the order)."""

    def __iter__(self):
        while True:
            yield None

T_co = TypeVar("T_co", covariant=True)


class DataLoader(Generic[T_co]):
    """Iterate over ``dataset`` in batches of ``batch_size`` (``None``: one sample at a time).

    Args follow torch: ``shuffle`` uses a RandomSampler, ``sampler``/``batch_sampler`` choose the
    order yourself, ``drop_last`` drops a short final batch, ``collate_fn`` builds a batch from a
    list of samples (default: ``default_collate``), ``generator`` drives the shuffling.
    """

    def __init__(self, dataset: Dataset, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler: Sampler | Iterable | None = None,
                 batch_sampler: Sampler | Iterable | None = None, num_workers: int = 0,
                 collate_fn: Callable[[list], Any] | None = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0, worker_init_fn: Callable | None = None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor: int | None = None,
                 persistent_workers: bool = False, pin_memory_device: str = "",
                 in_order: bool = True) -> None:
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; "
                             "use num_workers=0 to disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError(
                "prefetch_factor option could only be specified in multiprocessing."
                "let num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")

        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.in_order = in_order
        self.persistent_workers = persistent_workers

        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if shuffle not in {False, None}:
                raise ValueError("DataLoader with IterableDataset: expected unspecified shuffle option, "
                                 f"but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified sampler option, "
                                 f"but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified "
                                 f"batch_sampler option, but got batch_sampler={batch_sampler}")
        else:
            shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")

        if sampler is None:
            if self._iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def __iter__(self):
        return _SingleProcessIter(self)

    def __len__(self) -> int:
        if self._iterable:
            length = len(self.dataset)
            if self.batch_size is not None:
                if self.drop_last:
                    return length // self.batch_size
                return (length + self.batch_size - 1) // self.batch_size
            return length
        return len(self._index_sampler)


class _SingleProcessIter:
    """One pass over a DataLoader."""

    def __init__(self, loader: DataLoader) -> None:
        self._loader = loader
        self._collate = loader.collate_fn
        self._auto = loader._auto_collation
        self._sampler_iter = iter(loader._index_sampler)
        # torch draws this for its worker processes even when there are none; drawing it too keeps
        # the global random stream where torch leaves it.
        self._base_seed = _random_seed(loader.generator)
        self._dataset_iter = iter(loader.dataset) if loader._iterable else None
        # A TensorDataset batch is one fancy-index per tensor instead of len(batch) row tensors
        # stacked together: same values, no per-sample Python work.
        self._fast_tensors = (type(loader.dataset) is TensorDataset and self._auto
                              and self._collate is default_collate)
        self._num_yielded = 0

    def __iter__(self):
        return self

    def __len__(self) -> int:
        return len(self._loader)

    def __next__(self):
        index = next(self._sampler_iter)  # StopIteration ends the epoch
        self._num_yielded += 1
        if self._dataset_iter is not None:
            return self._next_iterable(index)
        dataset = self._loader.dataset
        if not self._auto:
            return self._collate(dataset[index])
        if self._fast_tensors:
            rows = np.asarray(index, dtype=np.int64)
            return [t[rows] for t in dataset.tensors]
        getitems = getattr(dataset, "__getitems__", None)
        samples = getitems(index) if callable(getitems) else [dataset[i] for i in index]
        return self._collate(samples)

    def _next_iterable(self, index):
        if not self._auto:
            return self._collate(next(self._dataset_iter))
        samples = []
        for _ in index:
            try:
                samples.append(next(self._dataset_iter))
            except StopIteration:
                break
        if not samples or (self._loader.drop_last and len(samples) < len(index)):
            raise StopIteration
        return self._collate(samples)
