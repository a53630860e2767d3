"""ember.utils.data against torch.utils.data: datasets, samplers, collation, DataLoader, seeded orders.

The shuffling tests compare exact orders with torch's for the same seed: ember's generator reproduces
torch's stream, and the samplers and loader draw from it exactly as torch's do.
"""
from __future__ import annotations

import collections

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
from ember.utils import data as edata

torch = pytest.importorskip("torch")
tdata = torch.utils.data

def _same(e, t):
    """Same structure, types, dtypes and values (ember tensors vs torch tensors)."""
    if isinstance(t, torch.Tensor):
        assert isinstance(e, ember.Tensor), type(e)
        assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
        assert tuple(e.shape) == tuple(t.shape)
        np.testing.assert_array_equal(e.numpy(), t.numpy())
    elif isinstance(t, dict):
        assert type(e) is type(t) and list(e) == list(t)
        for k in t:
            _same(e[k], t[k])
    elif isinstance(t, (list, tuple)):
        assert type(e).__name__ == type(t).__name__ and len(e) == len(t)
        for a, b in zip(e, t):
            _same(a, b)
    else:
        assert e == t and type(e) is type(t)


def _pair(make):
    """The same dataset built in ember and in torch: make(lib) -> (X, y)."""
    return make(ember), make(torch)


# ------------------------------------------------------------------------------ datasets
def test_tensor_dataset_items_and_len():
    X = ember.arange(12.).reshape(6, 2)
    y = ember.arange(6)
    ds = edata.TensorDataset(X, y)
    assert len(ds) == 6
    a, b = ds[4]
    assert a.tolist() == [8.0, 9.0] and b.item() == 4
    assert [r.tolist() for r in ds[1:3]] == [[[2.0, 3.0], [4.0, 5.0]], [1, 2]]


def test_tensor_dataset_size_mismatch():
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        edata.TensorDataset(ember.zeros(3, 2), ember.zeros(4))
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        tdata.TensorDataset(torch.zeros(3, 2), torch.zeros(4))


def test_concat_and_subset():
    a = edata.TensorDataset(ember.arange(3))
    b = edata.TensorDataset(ember.arange(10, 15))
    c = edata.ConcatDataset([a, b])
    assert len(c) == 8 and c.cumulative_sizes == [3, 8]
    assert [c[i][0].item() for i in range(8)] == [0, 1, 2, 10, 11, 12, 13, 14]
    assert c[-1][0].item() == 14 and c[-8][0].item() == 0
    with pytest.raises(ValueError, match="should not exceed dataset length"):
        c[-9]
    with pytest.raises(IndexError):
        c[8]
    assert len(a + b) == 8
    s = edata.Subset(c, [7, 0, 4])
    assert len(s) == 3 and [s[i][0].item() for i in range(3)] == [14, 0, 11]
    with pytest.raises(AssertionError, match="empty iterable"):
        edata.ConcatDataset([])


def test_stack_and_chain_datasets():
    s = edata.StackDataset(edata.TensorDataset(ember.arange(3)), [10, 20, 30])
    assert s[1][1] == 20 and len(s) == 3
    d = edata.StackDataset(x=[1, 2], y=["a", "b"])
    assert d[1] == {"x": 2, "y": "b"}
    with pytest.raises(ValueError, match="Size mismatch between datasets"):
        edata.StackDataset([1], [1, 2])

    class Count(edata.IterableDataset):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter(range(self.n))

        def __len__(self):
            return self.n

    chain = Count(2) + Count(3)
    assert list(chain) == [0, 1, 0, 1, 2] and len(chain) == 5


def test_base_dataset_errors():
    with pytest.raises(NotImplementedError):
        edata.Dataset()[0]
    with pytest.raises(TypeError):
        len(edata.Dataset())


# ------------------------------------------------------------------------------ random_split
def test_random_split_lengths_and_fractions():
    parts = edata.random_split(range(10), [3, 7], generator=ember.Generator().manual_seed(1))
    assert [len(p) for p in parts] == [3, 7]
    assert sorted(list(parts[0]) + list(parts[1])) == list(range(10))
    parts = edata.random_split(range(11), [0.3, 0.3, 0.4])
    # floor(3.3), floor(3.3), floor(4.4) = 3, 3, 4, and the one left over goes to the first split
    assert [len(p) for p in parts] == [4, 3, 4]
    with pytest.raises(ValueError, match="Sum of input lengths does not equal"):
        edata.random_split(range(10), [3, 3])
    with pytest.raises(ValueError, match="Fraction at index 0 is not between 0 and 1"):
        edata.random_split(range(10), [1.5, -0.5])
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        edata.random_split(range(2), [1.0, 0.0])


@pytest.mark.parametrize("lengths", [[3, 7], [0.2, 0.5, 0.3]])
def test_random_split_matches_torch(lengths):
    e = edata.random_split(range(10), lengths, generator=ember.Generator().manual_seed(42))
    t = tdata.random_split(range(10), lengths, generator=torch.Generator().manual_seed(42))
    assert [list(p) for p in e] == [list(p) for p in t]
    ember.manual_seed(3)
    torch.manual_seed(3)
    assert [p.indices for p in edata.random_split(range(6), [2, 4])] == \
        [p.indices for p in tdata.random_split(range(6), [2, 4])]


# ------------------------------------------------------------------------------ samplers
def test_sequential_and_batch_sampler():
    assert list(edata.SequentialSampler(range(4))) == [0, 1, 2, 3]
    for drop_last in (False, True):
        e = edata.BatchSampler(edata.SequentialSampler(range(10)), 3, drop_last)
        t = tdata.BatchSampler(tdata.SequentialSampler(range(10)), 3, drop_last)
        assert list(e) == list(t) and len(e) == len(t)
    with pytest.raises(ValueError, match="batch_size should be a positive integer value"):
        edata.BatchSampler(range(3), 0, False)
    with pytest.raises(ValueError, match="drop_last should be a boolean value"):
        edata.BatchSampler(range(3), 2, 1)


def test_random_sampler_is_a_permutation_each_pass():
    g = ember.Generator().manual_seed(0)
    s = edata.RandomSampler(range(20), generator=g)
    a, b = list(s), list(s)
    assert sorted(a) == sorted(b) == list(range(20)) and a != b
    r = edata.RandomSampler(range(5), replacement=True, num_samples=70, generator=g)
    drawn = list(r)
    assert len(drawn) == len(r) == 70 and set(drawn) <= set(range(5))
    more = list(edata.RandomSampler(range(4), num_samples=10, generator=g))
    assert len(more) == 10 and sorted(more[:4]) == list(range(4))
    with pytest.raises(ValueError, match="num_samples should be a positive integer value"):
        edata.RandomSampler([])
    with pytest.raises(TypeError, match="replacement should be a boolean value"):
        edata.RandomSampler(range(3), replacement=1)


@pytest.mark.parametrize("kw", [{}, {"replacement": True, "num_samples": 45}, {"num_samples": 13}])
def test_random_sampler_matches_torch(kw):
    e = edata.RandomSampler(range(7), generator=ember.Generator().manual_seed(5), **kw)
    t = tdata.RandomSampler(range(7), generator=torch.Generator().manual_seed(5), **kw)
    assert list(e) == list(t) and list(e) == list(t)
    ember.manual_seed(11)
    torch.manual_seed(11)
    assert list(edata.RandomSampler(range(9), **kw)) == list(tdata.RandomSampler(range(9), **kw))


def test_subset_random_sampler_matches_torch():
    idx = [3, 9, 4, 12, 7]
    e = edata.SubsetRandomSampler(idx, generator=ember.Generator().manual_seed(2))
    t = tdata.SubsetRandomSampler(idx, generator=torch.Generator().manual_seed(2))
    assert list(e) == list(t) and len(e) == 5


def test_weighted_random_sampler_checks():
    with pytest.raises(ValueError, match="num_samples should be a positive integer value"):
        edata.WeightedRandomSampler([0.5, 0.5], 0)
    with pytest.raises(ValueError, match="weights should be a 1d sequence"):
        edata.WeightedRandomSampler([[0.5, 0.5]], 2)
    with pytest.raises(ValueError, match="replacement should be a boolean value"):
        edata.WeightedRandomSampler([0.5, 0.5], 2, replacement=None)


def test_weighted_random_sampler_matches_torch():
    w = [0.1, 0.5, 0.0, 2.0]
    e = edata.WeightedRandomSampler(w, 12, generator=ember.Generator().manual_seed(9))
    t = tdata.WeightedRandomSampler(w, 12, generator=torch.Generator().manual_seed(9))
    assert list(e) == list(t)


# ------------------------------------------------------------------------------ collate
Point = collections.namedtuple("Point", "x y")


@pytest.mark.parametrize("make", [
    lambda L: [L.tensor([1.0, 2.0]), L.tensor([3.0, 4.0])],
    lambda L: [1.5, 2.5],
    lambda L: [1, 2, 3],
    lambda L: [True, False],
    lambda L: ["a", "b"],
    lambda L: [(L.ones(2), 1), (L.zeros(2), 2)],
    lambda L: [[1.0, 2], [3.0, 4]],
    lambda L: [{"x": L.ones(1), "n": 2.0, "s": "a"}, {"x": L.zeros(1), "n": 3.0, "s": "b"}],
    lambda L: [collections.OrderedDict(a=1), collections.OrderedDict(a=2)],
    lambda L: [Point(1.0, L.ones(2)), Point(2.0, L.zeros(2))],
    lambda L: [np.arange(3, dtype=np.float32), np.ones(3, dtype=np.float32)],
    lambda L: [np.int32(3), np.int32(4)],
    lambda L: [np.float64(0.5), np.float64(1.5)],
    lambda L: [{"a": (np.zeros(2), [1, 2])}, {"a": (np.ones(2), [3, 4])}],
])
def test_default_collate_matches_torch(make):
    _same(edata.default_collate(make(ember)), tdata.default_collate(make(torch)))


def test_default_collate_errors():
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        edata.default_collate([[1, 2], [3]])
    with pytest.raises(TypeError, match="default_collate: batch must contain tensors"):
        edata.default_collate([object(), object()])
    with pytest.raises(TypeError, match="default_collate: batch must contain tensors"):
        edata.default_collate([np.array(["a"]), np.array(["b"])])


@pytest.mark.parametrize("make", [
    lambda L: np.arange(3),
    lambda L: (np.float32(2.0), "x"),
    lambda L: {"a": np.ones(2), "b": [np.zeros(1)]},
    lambda L: 3,
])
def test_default_convert_matches_torch(make):
    _same(edata.default_convert(make(ember)), tdata.default_convert(make(torch)))


# ------------------------------------------------------------------------------ DataLoader
def _tensor_ds(L, n=10):
    return L.utils.data.TensorDataset(L.arange(2.0 * n).reshape(n, 2), L.arange(n))


@pytest.mark.parametrize("batch_size,drop_last", [(1, False), (3, False), (3, True), (10, False),
                                                  (4, True), (None, False)])
def test_loader_sequential_matches_torch(batch_size, drop_last):
    e = edata.DataLoader(_tensor_ds(ember), batch_size=batch_size, drop_last=drop_last)
    t = tdata.DataLoader(_tensor_ds(torch), batch_size=batch_size, drop_last=drop_last)
    assert len(e) == len(t)
    eb, tb = list(e), list(t)
    assert len(eb) == len(tb)
    for a, b in zip(eb, tb):
        _same(a, b)
    _same(list(e), tb)  # a second pass gives the same batches


def test_loader_custom_dataset_collate_fn_and_samplers():
    class Squares(edata.Dataset):
        def __len__(self):
            return 7

        def __getitem__(self, i):
            return {"x": float(i), "sq": ember.tensor([i * i])}

    batches = list(edata.DataLoader(Squares(), batch_size=3))
    assert batches[0]["x"].dtype == ember.float64 and batches[0]["x"].tolist() == [0.0, 1.0, 2.0]
    assert batches[2]["sq"].tolist() == [[36]]
    sizes = [len(b) for b in edata.DataLoader(Squares(), batch_size=3, collate_fn=lambda b: b)]
    assert sizes == [3, 3, 1]
    dl = edata.DataLoader(Squares(), sampler=[6, 0, 3], batch_size=2)
    assert [b["x"].tolist() for b in dl] == [[6.0, 0.0], [3.0]]
    dl = edata.DataLoader(Squares(), batch_sampler=[[1, 2], [5]])
    assert [b["x"].tolist() for b in dl] == [[1.0, 2.0], [5.0]] and len(dl) == 2
    assert edata.DataLoader(Squares(), batch_size=3, num_workers=2).batch_size == 3


def test_loader_subset_and_concat():
    base = _tensor_ds(ember)
    dl = edata.DataLoader(edata.Subset(base, [9, 1, 5]), batch_size=2)
    assert [b[1].tolist() for b in dl] == [[9, 1], [5]]
    dl = edata.DataLoader(edata.ConcatDataset([base, base]), batch_size=8)
    assert [len(b[1]) for b in dl] == [8, 8, 4]


def test_loader_iterable_dataset():
    class Stream(edata.IterableDataset):
        def __iter__(self):
            return iter(range(7))

        def __len__(self):
            return 7

    assert [b.tolist() for b in edata.DataLoader(Stream(), batch_size=3)] == [[0, 1, 2], [3, 4, 5], [6]]
    assert len(edata.DataLoader(Stream(), batch_size=3)) == 3
    dl = edata.DataLoader(Stream(), batch_size=3, drop_last=True)
    assert [b.tolist() for b in dl] == [[0, 1, 2], [3, 4, 5]] and len(dl) == 2
    assert list(edata.DataLoader(Stream(), batch_size=None)) == list(range(7))  # ints stay ints
    with pytest.raises(ValueError, match="expected unspecified shuffle option"):
        edata.DataLoader(Stream(), shuffle=True)
    with pytest.raises(ValueError, match="expected unspecified sampler option"):
        edata.DataLoader(Stream(), sampler=[0])


def test_loader_argument_errors():
    ds = _tensor_ds(ember)
    with pytest.raises(ValueError, match="sampler option is mutually exclusive with shuffle"):
        edata.DataLoader(ds, sampler=[0], shuffle=True)
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
        edata.DataLoader(ds, batch_sampler=[[0]], batch_size=2)
    with pytest.raises(ValueError, match="mutually exclusive with drop_last"):
        edata.DataLoader(ds, batch_size=None, drop_last=True)
    with pytest.raises(ValueError, match="num_workers option should be non-negative"):
        edata.DataLoader(ds, num_workers=-1)
    with pytest.raises(ValueError, match="prefetch_factor option could only be specified"):
        edata.DataLoader(ds, prefetch_factor=2)
    with pytest.raises(ValueError, match="persistent_workers option needs num_workers > 0"):
        edata.DataLoader(ds, persistent_workers=True)


def test_loader_shuffle_visits_everything_once():
    dl = edata.DataLoader(_tensor_ds(ember, 23), batch_size=5, shuffle=True,
                          generator=ember.Generator().manual_seed(0))
    seen = [i for b in dl for i in b[1].tolist()]
    assert sorted(seen) == list(range(23)) and len(dl) == 5
    x_rows = [r for b in dl for r in b[0].tolist()]
    ys = [i for b in dl for i in b[1].tolist()]
    assert sorted(x_rows) != x_rows or ys == sorted(ys)  # rows travel with their labels
    assert {tuple(r) for r in x_rows} == {(2.0 * i, 2.0 * i + 1) for i in range(23)}


@pytest.mark.parametrize("batch_size,drop_last", [(3, False), (4, True), (1, False)])
def test_loader_shuffle_matches_torch_global_seed(batch_size, drop_last):
    ember.manual_seed(0)
    torch.manual_seed(0)
    e = edata.DataLoader(_tensor_ds(ember), batch_size=batch_size, shuffle=True, drop_last=drop_last)
    t = tdata.DataLoader(_tensor_ds(torch), batch_size=batch_size, shuffle=True, drop_last=drop_last)
    for _ in range(2):  # two epochs: different orders, the same in both libraries
        _same(list(e), list(t))
    # the loaders consumed the global stream exactly as torch's did (two int64 draws per epoch)
    np.testing.assert_array_equal(ember.rand(3).numpy(), torch.rand(3).numpy())


def test_loader_shuffle_matches_torch_generator():
    e = edata.DataLoader(_tensor_ds(ember), batch_size=4, shuffle=True,
                         generator=ember.Generator().manual_seed(5))
    t = tdata.DataLoader(_tensor_ds(torch), batch_size=4, shuffle=True,
                         generator=torch.Generator().manual_seed(5))
    _same(list(e), list(t))
    _same(list(e), list(t))


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 30), batch_size=st.integers(1, 8), drop_last=st.booleans())
def test_loader_batches_hypothesis(n, batch_size, drop_last):
    e = edata.DataLoader(_tensor_ds(ember, n), batch_size=batch_size, drop_last=drop_last)
    t = tdata.DataLoader(_tensor_ds(torch, n), batch_size=batch_size, drop_last=drop_last)
    assert len(e) == len(t)
    _same(list(e), list(t))
