"""ember.distributed without a process group, and the launcher's command line (no MPI job needed)."""
import pytest

import ember
import ember.distributed as dist
from ember.nn.parallel import DistributedDataParallel

from .mpi_helpers import mpi_or_skip

torch = pytest.importorskip("torch")
tdist = pytest.importorskip("torch.distributed")


def _error(fn, *args):
    with pytest.raises(Exception) as info:
        fn(*args)
    return info.type, str(info.value)


@pytest.mark.parametrize("name", ["get_rank", "get_world_size", "barrier", "all_reduce", "broadcast"])
def test_calls_before_init_process_group_raise_like_torch(name):
    args = {"all_reduce": (ember.ones(2),), "broadcast": (ember.ones(2), 0)}.get(name, ())
    targs = {"all_reduce": (torch.ones(2),), "broadcast": (torch.ones(2), 0)}.get(name, ())
    assert _error(getattr(dist, name), *args) == _error(getattr(tdist, name), *targs)
    assert "Default process group has not been initialized" in _error(getattr(dist, name), *args)[1]


def test_state_before_init():
    assert dist.is_initialized() is False
    assert dist.is_available() == dist.is_mpi_available()
    assert dist.group.WORLD is None
    assert [op.name for op in (dist.ReduceOp.SUM, dist.ReduceOp.AVG, dist.ReduceOp.MAX,
                               dist.ReduceOp.MIN, dist.ReduceOp.PRODUCT)] == \
        ["SUM", "AVG", "MAX", "MIN", "PRODUCT"]
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        DistributedDataParallel(ember.nn.Linear(2, 2))
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        ember.utils.data.DistributedSampler(range(10))
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        dist.destroy_process_group()


def test_init_rejects_other_backends_and_bad_timeout():
    with pytest.raises(RuntimeError, match="NCCL"):
        dist.init_process_group("nccl")
    with pytest.raises(ValueError, match="Invalid backend"):
        dist.init_process_group("tcp")
    with pytest.raises(TypeError, match="timedelta"):
        dist.init_process_group("mpi", timeout=5)
    assert not dist.is_initialized()


def test_launcher_command_line():
    mpi_or_skip()
    import sys

    from ember.distributed.run import build_command
    cmd = build_command(["-n", "4", "train.py", "--lr", "0.1"])
    assert cmd[1:3] == ["-n", "4"] and cmd[0].endswith(("mpiexec", "mpirun"))
    assert cmd[-7:] == [sys.executable, "-m", "ember.distributed.run", "--worker", "train.py", "--lr",
                        "0.1"]
    cmd = build_command(["--nproc-per-node", "2", "--hostfile", "hosts", "-m", "pkg.train"])
    assert "hosts" in cmd and cmd[-2:] == ["-m", "pkg.train"]
    with pytest.raises(SystemExit):
        build_command(["-n", "0", "train.py"])
