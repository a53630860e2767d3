"""DistributedSampler yields torch's indices, rank by rank and epoch by epoch."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ember.utils.data import DistributedSampler

torch = pytest.importorskip("torch")
from torch.utils.data import DistributedSampler as TorchSampler


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 40), replicas=st.integers(1, 5), shuffle=st.booleans(), seed=st.integers(0, 99),
       drop_last=st.booleans(), epoch=st.integers(0, 3), data=st.data())
def test_indices_match_torch(n, replicas, shuffle, seed, drop_last, epoch, data):
    if drop_last and n < replicas:
        return  # torch would give every rank zero samples; nothing to compare
    rank = data.draw(st.integers(0, replicas - 1))
    ours = DistributedSampler(range(n), num_replicas=replicas, rank=rank, shuffle=shuffle, seed=seed,
                              drop_last=drop_last)
    theirs = TorchSampler(range(n), num_replicas=replicas, rank=rank, shuffle=shuffle, seed=seed,
                          drop_last=drop_last)
    ours.set_epoch(epoch)
    theirs.set_epoch(epoch)
    assert list(ours) == list(theirs)
    assert len(ours) == len(theirs) and ours.total_size == theirs.total_size


def test_ranks_cover_the_dataset_and_epochs_differ():
    shards = [list(DistributedSampler(range(10), num_replicas=3, rank=r, seed=1)) for r in range(3)]
    assert {i for s in shards for i in s} == set(range(10))
    assert sum(len(s) for s in shards) == 12  # padded by repeating to a multiple of 3
    s = DistributedSampler(range(10), num_replicas=2, rank=0)
    first = list(s)
    s.set_epoch(1)
    assert list(s) != first


def test_invalid_rank():
    with pytest.raises(ValueError, match=r"Invalid rank 2, rank should be in the interval \[0, 1\]"):
        DistributedSampler(range(4), num_replicas=2, rank=2)
