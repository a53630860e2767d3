"""ember.save / ember.load: round trips, torch <-> ember checkpoints, and files that must not load."""
from __future__ import annotations

import collections
import io
import os
import pathlib
import pickle
import struct
import zipfile

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

DTYPES = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"]


def _same(e, t):
    """ember value e equals torch value t: same structure, dtypes, shapes, values, requires_grad."""
    if isinstance(t, torch.Tensor):
        assert isinstance(e, ember.Tensor), type(e)
        assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
        assert tuple(e.shape) == tuple(t.shape)
        assert e.requires_grad == t.requires_grad
        assert isinstance(e, ember.nn.Parameter) == isinstance(t, torch.nn.Parameter)
        np.testing.assert_array_equal(e.detach().numpy(), t.detach().numpy())
    elif isinstance(t, dict):
        assert type(e) is type(t) and list(e) == list(t)
        for k in t:
            _same(e[k], t[k])
    elif isinstance(t, (list, tuple)):
        assert type(e) is type(t) and len(e) == len(t)
        for a, b in zip(e, t):
            _same(a, b)
    else:
        assert e == t and type(e) is type(t)


def _sample(L):
    """The same checkpoint-like object built with ember or with torch."""
    base = L.arange(24.0).reshape(4, 6)
    return {
        "weights": collections.OrderedDict([("w", base), ("b", L.linspace(-1, 1, 6))]),
        "view": base[1:3, 2:5],
        "transposed": base.t(),
        "strided": base[::2, 1::3],
        "expanded": L.ones(1, 4).expand(3, 4),
        "flipped": L.arange(6.0).flip(0),
        "scalar": L.tensor(3.5, dtype=L.float64),
        "empty": L.zeros(0, 3),
        "grad": L.ones(3, requires_grad=True),
        "param": L.nn.Parameter(L.full((2, 2), 0.25)),
        "ints": [L.tensor([-3, 7], dtype=L.int16), L.tensor([250], dtype=L.uint8)],
        "flags": (L.tensor([True, False]), None, "text", 7, 2.5, b"raw"),
        "nested": {"epoch": 3, "lr": [0.1, 0.01], "set": {1, 2}},
    }


def _save_bytes(save, obj) -> io.BytesIO:
    buf = io.BytesIO()
    save(obj, buf)
    buf.seek(0)
    return buf


# ------------------------------------------------------------------------------ round trips
@pytest.mark.parametrize("dtype", DTYPES)
def test_round_trip_every_dtype(dtype):
    dt = getattr(ember, dtype)
    x = ember.tensor([[0, 1, 2], [3, 4, 5]]).to(dt)
    y = ember.load(_save_bytes(ember.save, x))
    assert y.dtype is dt and y.shape == x.shape
    np.testing.assert_array_equal(y.numpy(), x.numpy())


def test_round_trip_structure_paths_and_sharing(tmp_path):
    obj = _sample(ember)
    for target in (str(tmp_path / "a.pt"), tmp_path / "b.pt"):
        ember.save(obj, target)
        back = ember.load(target)
        _same_ember(back, obj)
    back = ember.load(_save_bytes(ember.save, obj))
    _same_ember(back, obj)
    # views of one storage come back sharing memory: writing through one is seen by the other
    back["weights"]["w"][1, 2] = -100.0
    assert back["view"][0, 0].item() == -100.0 and back["transposed"][2, 1].item() == -100.0
    assert isinstance(back["param"], ember.nn.Parameter) and back["param"].requires_grad
    assert back["grad"].requires_grad and back["grad"].is_leaf


def _same_ember(e, o):
    if isinstance(o, ember.Tensor):
        assert isinstance(e, ember.Tensor) and e.dtype is o.dtype and e.shape == o.shape
        assert e.requires_grad == o.requires_grad and type(e) is type(o)
        np.testing.assert_array_equal(e.detach().numpy(), o.detach().numpy())
    elif isinstance(o, dict):
        assert type(e) is type(o) and list(e) == list(o)
        for k in o:
            _same_ember(e[k], o[k])
    elif isinstance(o, (list, tuple)):
        assert type(e) is type(o) and len(e) == len(o)
        for a, b in zip(e, o):
            _same_ember(a, b)
    else:
        assert e == o and type(e) is type(o)


def test_same_tensor_twice_is_one_object():
    x = ember.ones(3)
    a, b = ember.load(_save_bytes(ember.save, [x, x]))
    assert a is b


def test_dtype_size_and_device_round_trip():
    obj = {"dt": ember.float16, "size": ember.Size([2, 3]), "dev": ember.device("cpu")}
    back = ember.load(_save_bytes(ember.save, obj))
    assert back["dt"] is ember.float16 and back["size"] == ember.Size([2, 3])
    assert isinstance(back["size"], ember.Size) and str(back["dev"]) == "cpu"
    t = torch.load(_save_bytes(ember.save, obj), weights_only=True)
    assert t == {"dt": torch.float16, "size": torch.Size([2, 3]), "dev": torch.device("cpu")}


# ------------------------------------------------------------------------------ torch -> ember
def test_torch_save_then_ember_load(tmp_path):
    path = tmp_path / "torch.pt"
    torch.save(_sample(torch), path)
    _same(ember.load(path), torch.load(path, weights_only=True))
    back = ember.load(str(path))
    back["weights"]["w"][1, 2] = -100.0  # torch's views share their storage: so do ember's
    assert back["view"][0, 0].item() == -100.0


@pytest.mark.parametrize("dtype", DTYPES)
def test_torch_dtypes_load(dtype):
    t = (torch.arange(-3, 9).reshape(3, 4) % 5).to(getattr(torch, dtype))
    _same(ember.load(_save_bytes(torch.save, t)), t)


def test_torch_linear_state_dict():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    sd = model.state_dict()
    back = ember.load(_save_bytes(torch.save, sd))
    assert isinstance(back, collections.OrderedDict) and list(back) == list(sd)
    for k in sd:
        _same(back[k], sd[k])
    # parameters themselves (not detached) keep their class and requires_grad
    params = ember.load(_save_bytes(torch.save, list(model.parameters())))
    _same(params, list(model.parameters()))


def test_torch_bfloat16_loads_as_float32():
    t = torch.tensor([1.5, -2.25, 3e38], dtype=torch.bfloat16)
    with pytest.warns(UserWarning, match="bfloat16"):
        back = ember.load(_save_bytes(torch.save, t))
    assert back.dtype is ember.float32
    np.testing.assert_array_equal(back.numpy(), t.float().numpy())


def test_torch_legacy_format():
    obj = {"a": torch.arange(6.0).reshape(2, 3), "n": 5, "i": torch.tensor([1, 2], dtype=torch.int32)}
    buf = io.BytesIO()
    torch.save(obj, buf, _use_new_zipfile_serialization=False)
    buf.seek(0)
    _same(ember.load(buf), obj)


def test_map_location():
    buf = _save_bytes(torch.save, torch.ones(2))
    for loc in ("cpu", ember.device("cpu"), {"cpu": "cpu"}, lambda storage, location: storage):
        buf.seek(0)
        np.testing.assert_array_equal(ember.load(buf, map_location=loc).numpy(), [1.0, 1.0])


# ------------------------------------------------------------------------------ ember -> torch
def test_ember_save_then_torch_load(tmp_path):
    path = tmp_path / "ember.pt"
    obj = _sample(ember)
    ember.save(obj, path)
    assert zipfile.is_zipfile(path)
    loaded = torch.load(path, weights_only=True)
    _same(obj, loaded)
    # views were written as views of one storage, so torch sees them share memory too
    assert loaded["view"].untyped_storage().data_ptr() == loaded["weights"]["w"].untyped_storage().data_ptr()
    loaded["weights"]["w"][1, 2] = -100.0
    assert loaded["view"][0, 0].item() == -100.0


def test_storages_are_64_byte_aligned_for_mmap(tmp_path):
    path = tmp_path / "aligned.pt"
    ember.save({"a": ember.ones(3, 5), "b": ember.arange(7), "c": ember.tensor([1], dtype=ember.int8)}, path)
    raw = path.read_bytes()
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            if "/data/" in info.filename:
                name_len, extra_len = struct.unpack("<HH", raw[info.header_offset + 26:info.header_offset + 30])
                assert (info.header_offset + 30 + name_len + extra_len) % 64 == 0, info.filename
    loaded = torch.load(path, mmap=True, weights_only=True)
    assert loaded["b"].tolist() == list(range(7)) and loaded["a"].sum().item() == 15.0


def test_ember_state_dict_into_torch_module():
    torch.manual_seed(1)
    model = torch.nn.Linear(5, 2)
    sd = {k: ember.tensor(v.detach().numpy() + 1.0) for k, v in model.state_dict().items()}
    model.load_state_dict(torch.load(_save_bytes(ember.save, sd), weights_only=True))
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), sd[k].numpy())


# ------------------------------------------------------------------------------ errors
def test_save_needs_existing_parent_directory(tmp_path):
    with pytest.raises(RuntimeError, match="Parent directory .* does not exist"):
        ember.save(ember.ones(1), tmp_path / "missing" / "x.pt")
    assert not (tmp_path / "missing").exists()


def test_missing_file():
    with pytest.raises(FileNotFoundError):
        ember.load("/nonexistent/dir/file.pt")


class _Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_hostile_pickles_run_nothing(tmp_path):
    marker = tmp_path / "pwned"
    evil = _Evil(marker)
    files = {
        "torch zip": _save_bytes(torch.save, {"w": torch.ones(2), "x": evil}),
        "bare pickle": io.BytesIO(pickle.dumps(evil, protocol=2)),
        "bare pickle p4": io.BytesIO(pickle.dumps({"x": [evil]}, protocol=4)),
        "eval": io.BytesIO(pickle.dumps(_Reducer(eval, ("print('hi')",)), protocol=2)),
    }
    for name, buf in files.items():
        with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
            ember.load(buf)
        assert not marker.exists(), name
    # the torch-format file really is hostile: unrestricted unpickling would have created it
    with zipfile.ZipFile(files["torch zip"]) as z:
        pickle_bytes = z.read(z.namelist()[0])
    assert b"system" in pickle_bytes


class _Reducer:
    def __init__(self, fn, args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return (self.fn, self.args)


def test_ember_rejects_unknown_classes_even_when_weights_only_false():
    buf = io.BytesIO(pickle.dumps(collections.Counter("aab"), protocol=2))
    with pytest.raises(pickle.UnpicklingError, match="collections.Counter"):
        ember.load(buf, weights_only=False)


def _zip_with(records: dict) -> io.BytesIO:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for k, v in records.items():
            z.writestr(k, v)
    buf.seek(0)
    return buf


def test_corrupt_and_truncated_files():
    good = _save_bytes(ember.save, {"w": ember.arange(10.0)}).getvalue()
    with pytest.raises(RuntimeError, match="failed finding central directory"):
        ember.load(io.BytesIO(good[: len(good) // 2]))
    with pytest.raises(EOFError):
        ember.load(io.BytesIO(b""))
    with pytest.raises(pickle.UnpicklingError):
        ember.load(io.BytesIO(b"definitely not a checkpoint"))
    with zipfile.ZipFile(io.BytesIO(good)) as z:
        records = {n: z.read(n) for n in z.namelist()}
    with pytest.raises(RuntimeError, match="data.pkl"):
        ember.load(_zip_with({k: v for k, v in records.items() if not k.endswith("data.pkl")}))
    with pytest.raises(RuntimeError, match="data/0"):
        ember.load(_zip_with({k: v for k, v in records.items() if not k.endswith("data/0")}))
    short = dict(records)
    short["archive/data/0"] = records["archive/data/0"][:12]
    with pytest.raises(RuntimeError, match="corrupt or truncated"):
        ember.load(_zip_with(short))
    cut = dict(records)
    cut["archive/data.pkl"] = records["archive/data.pkl"][:-5]
    with pytest.raises(pickle.UnpicklingError):
        ember.load(_zip_with(cut))


def test_out_of_bounds_layout_is_refused():
    # a well-formed pickle whose tensor claims more elements than its storage holds
    buf = _save_bytes(torch.save, torch.arange(4.0))
    with zipfile.ZipFile(buf) as z:
        records = {n: z.read(n) for n in z.namelist()}
    name = next(n for n in records if n.endswith("data.pkl"))
    pkl = records[name]
    assert pkl.count(b"K\x04\x85") == 1  # the size tuple (4,) as BININT1 4, TUPLE1
    records[name] = pkl.replace(b"K\x04\x85", b"K\x40\x85")
    with pytest.raises(RuntimeError, match="does not fit in its storage"):
        ember.load(_zip_with(records))


def test_accepts_pathlib_and_file_objects(tmp_path):
    p = pathlib.Path(tmp_path) / "x.pt"
    ember.save([1, ember.ones(2)], p)
    with open(p, "rb") as f:
        assert ember.load(f)[0] == 1
    with open(p, "wb") as f:
        ember.save({"k": ember.zeros(1)}, f)
    assert list(ember.load(p)) == ["k"]


@pytest.mark.parametrize("fmt", ["torch zip", "torch legacy", "ember"])
def test_damaged_files_raise_only_clear_errors(fmt):
    """Random byte flips and cuts: every failure is RuntimeError, UnpicklingError or EOFError."""
    obj = {"w": torch.arange(12.0).reshape(3, 4), "l": [1, "x", (2.5, None)]}
    if fmt == "ember":
        raw = _save_bytes(ember.save, {"w": ember.arange(12.0).reshape(3, 4), "l": [1, "x"]}).getvalue()
    else:
        buf = io.BytesIO()
        torch.save(obj, buf, _use_new_zipfile_serialization=(fmt == "torch zip"))
        raw = buf.getvalue()
    rng = np.random.default_rng(0)
    for _ in range(300):
        damaged = bytearray(raw)
        for pos in rng.integers(0, len(raw), size=rng.integers(1, 5)):
            damaged[pos] = int(rng.integers(0, 256))
        if rng.random() < 0.2:
            damaged = damaged[: int(rng.integers(0, len(raw)))]
        try:
            ember.load(io.BytesIO(bytes(damaged)))
        except (RuntimeError, pickle.UnpicklingError, EOFError):
            pass
