"""The process group: MPI's COMM_WORLD behind torch.distributed's init/rank/size API, and Work handles.

MPI is the transport. Processes are started by ``mpiexec`` (or ``python -m ember.distributed.run``),
which also does the rendezvous, so ``init_process_group`` only has to pick up ``COMM_WORLD``.

Every collective is issued as a *non-blocking* MPI call (``Iallreduce``, ``Ibcast``, ...) and then
waited on by polling ``MPI_Test`` with a deadline. Blocking MPI calls cannot time out: if a peer dies
or exits, a blocking ``MPI_Allreduce`` spins forever. Polling lets a rank notice that the group's
``timeout`` has passed, raise, and (through the hook installed by ``init_process_group``) call
``MPI_Abort``, which makes ``mpiexec`` end every rank with an error instead of hanging.
"""
from __future__ import annotations

import enum
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from datetime import timedelta

import numpy as np

__all__ = [
    "DistBackendError",
    "GroupMember",
    "ProcessGroup",
    "ReduceOp",
    "Work",
    "default_pg_timeout",
    "destroy_process_group",
    "get_backend",
    "get_rank",
    "get_world_size",
    "group",
    "init_process_group",
    "is_available",
    "is_initialized",
    "is_mpi_available",
]

default_pg_timeout = timedelta(minutes=30)  # torch's default for CPU backends

_NOT_INITIALIZED = ("Default process group has not been initialized, please make sure to call "
                    "init_process_group.")


class DistBackendError(RuntimeError):
    """A failure inside the communication backend (a timeout, a dead peer, an MPI error)."""

    __module__ = "ember.distributed"


class ReduceOp(enum.Enum):
    """How ``all_reduce``/``reduce``/``reduce_scatter`` combine the ranks' tensors."""

    SUM = 0
    AVG = 1
    PRODUCT = 2
    MIN = 3
    MAX = 4
    BAND = 5
    BOR = 6
    BXOR = 7

    def __repr__(self) -> str:
        return f"<RedOpType.{self.name}: {self.value}>"


def is_mpi_available() -> bool:
    """Whether mpi4py can be imported (it brings MPI with it, or binds to the system's)."""
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return False
    return True


def is_available() -> bool:
    """Whether ``ember.distributed`` can be used: true when an MPI (through mpi4py) is present."""
    return is_mpi_available()


def _mpi():
    from mpi4py import MPI  # importing initialises MPI, so it is done only when a group is made
    return MPI


class ProcessGroup:
    """A set of ranks sharing an MPI communicator, with the timeout its waits use."""

    def __init__(self, comm, timeout: timedelta, backend: str = "mpi") -> None:
        self.comm = comm
        self.timeout = timeout
        self._backend = backend
        self._rank = comm.Get_rank()
        self._size = comm.Get_size()
        self._seq = 0  # collective sequence number, reported in error messages

    def rank(self) -> int:
        return self._rank

    def size(self) -> int:
        return self._size

    def name(self) -> str:
        return self._backend

    def __repr__(self) -> str:
        return f"ProcessGroup(backend={self._backend!r}, rank={self._rank}, size={self._size})"


class _Default:
    pg: ProcessGroup | None = None
    prev_excepthook: Callable | None = None


class GroupMember:
    """``group.WORLD`` is the default group once it exists (``None`` before, as in torch)."""

    NON_GROUP_MEMBER = -100

    @property
    def WORLD(self) -> ProcessGroup | None:  # torch's name
        return _Default.pg


group = GroupMember()


def _get_default_group() -> ProcessGroup:
    if _Default.pg is None:
        raise ValueError(_NOT_INITIALIZED)
    return _Default.pg


def _resolve(grp) -> ProcessGroup:
    pg = _get_default_group()
    if grp is None or grp is pg:
        return pg
    if isinstance(grp, ProcessGroup):
        return grp
    raise TypeError(f"group must be a ProcessGroup or None, got {type(grp).__name__}")


def _abort_on_uncaught(exc_type, exc, tb) -> None:
    """Print the traceback as usual, then take the whole job down so no peer waits on this rank."""
    hook = _Default.prev_excepthook or sys.__excepthook__
    if hook is sys.__excepthook__:
        # one write, so that mpiexec forwards the whole traceback before the abort tears it down
        sys.stderr.write("".join(traceback.format_exception(exc_type, exc, tb)))
    else:
        hook(exc_type, exc, tb)
    pg = _Default.pg
    if pg is not None and pg.size() > 1:
        sys.stderr.flush()
        time.sleep(0.2)  # give mpiexec a moment to forward it
        pg.comm.Abort(1)


def init_process_group(backend: str | None = None, init_method: str | None = None,
                       timeout: timedelta | None = None, world_size: int = -1, rank: int = -1,
                       store=None, group_name: str = "", pg_options=None, device_id=None) -> None:
    """Join the default process group: every process started by ``mpiexec`` becomes one rank.

    ``backend`` may be ``"mpi"`` (or None); ``"gloo"`` is accepted too, so that CPU code written for
    torch runs unchanged, and is served by MPI. ``init_method``/``store`` are not needed (mpiexec did
    the rendezvous) and are ignored; ``world_size``/``rank``, when given, must agree with MPI's.
    Once initialised, an exception that escapes the script on any rank calls ``MPI_Abort`` so the
    other ranks exit instead of waiting for it.
    """
    if _Default.pg is not None:
        raise ValueError("trying to initialize the default process group twice!")
    name = (backend or "mpi").lower()
    name = name.removeprefix("cpu:")
    if name == "nccl":
        raise RuntimeError("Distributed package doesn't have NCCL built in")
    if name not in ("mpi", "gloo"):
        raise ValueError(f"Invalid backend: '{backend}'; ember.distributed supports 'mpi' (and 'gloo', "
                         "served by MPI)")
    if not is_mpi_available():
        raise RuntimeError("Distributed package doesn't have MPI built in. MPI is only included if you "
                           "build PyTorch from source on a host that has MPI installed.")
    if timeout is None:
        timeout = default_pg_timeout
    elif not isinstance(timeout, timedelta):
        raise TypeError(f"Expected timeout argument to be of type datetime.timedelta, got {timeout}")
    comm = _mpi().COMM_WORLD
    size, me = comm.Get_size(), comm.Get_rank()
    if world_size not in (-1, size):
        raise ValueError(f"world_size={world_size} does not match the {size} processes MPI started")
    if rank not in (-1, me):
        raise ValueError(f"rank={rank} does not match MPI's rank {me} for this process")
    _Default.pg = ProcessGroup(comm, timeout, name)
    if sys.excepthook is not _abort_on_uncaught:
        _Default.prev_excepthook = sys.excepthook
        sys.excepthook = _abort_on_uncaught


def is_initialized() -> bool:
    """Whether ``init_process_group`` has been called (and not undone)."""
    return _Default.pg is not None


def destroy_process_group(group=None) -> None:
    """Leave the default group. MPI itself stays up until the interpreter exits."""
    pg = _get_default_group()
    if group is not None and group is not pg:
        return
    _Default.pg = None
    if sys.excepthook is _abort_on_uncaught:
        sys.excepthook = _Default.prev_excepthook or sys.__excepthook__


def get_rank(group=None) -> int:
    """This process's rank in ``group`` (default: the world), 0 .. world_size - 1."""
    return _resolve(group).rank()


def get_world_size(group=None) -> int:
    """How many processes are in ``group`` (default: the world)."""
    return _resolve(group).size()


def get_backend(group=None) -> str:
    """The backend's name (``"mpi"``, or ``"gloo"`` when asked for by that name)."""
    return _resolve(group).name()


def _timeout_seconds(pg: ProcessGroup, timeout) -> float:
    if timeout is None:
        timeout = pg.timeout
    return timeout.total_seconds() if isinstance(timeout, timedelta) else float(timeout)


class Work:
    """The handle of an operation in flight (``async_op=True``): ``wait()`` finishes it.

    ``finish`` runs once, after the MPI requests complete: it copies results out of staging buffers
    and applies AVG's division, so the caller's tensors hold the result only after ``wait()``.
    """

    __slots__ = ("_done", "_error", "_finish", "_keep", "_name", "_pg", "_requests", "_status")

    def __init__(self, pg: ProcessGroup, name: str, requests: Sequence, finish: Callable | None = None,
                 keep: tuple = (), status=None) -> None:
        self._pg = pg
        self._name = name
        self._requests = list(requests)
        self._finish = finish
        self._keep = keep  # buffers MPI reads or writes until the requests complete
        self._status = status
        self._done = False
        self._error: BaseException | None = None

    def _complete(self) -> None:
        self._done = True
        self._requests = []
        if self._finish is not None:
            finish, self._finish = self._finish, None
            finish()
        self._keep = ()

    def _test(self) -> bool:
        MPI = _mpi()
        try:
            if self._status is not None:
                done = MPI.Request.Testall(self._requests, [self._status])
            else:
                done = MPI.Request.Testall(self._requests)
        except MPI.Exception as e:
            self._error = DistBackendError(f"{self._name} failed in MPI: {e.Get_error_string()}")
            self._done = True
            raise self._error from e
        return done

    def is_completed(self) -> bool:
        """Whether the operation has finished (never blocks; also drives MPI's progress)."""
        if not self._done and self._test():
            self._complete()
        return self._done

    def is_success(self) -> bool:
        return self.is_completed() and self._error is None

    def exception(self):
        return self._error

    def wait(self, timeout: timedelta | None = None) -> bool:
        """Block until the operation completes; a DistBackendError if it takes longer than the timeout.

        The wait polls rather than blocking inside MPI. For the first 10 ms it yields the CPU between
        polls (``sleep(0)``): oversubscribed ranks (more ranks than cores) then let their peers run,
        which is faster than MPI's own busy wait; after that it sleeps up to 1 ms between polls.
        """
        if self._error is not None:
            raise self._error
        if self._done:
            return True
        limit = _timeout_seconds(self._pg, timeout)
        start = time.monotonic()
        while not self._test():
            waited = time.monotonic() - start
            if waited > limit:
                self._error = DistBackendError(
                    f"[Rank {self._pg.rank()}] {self._name} timed out after {waited:.1f} seconds "
                    f"(timeout={limit:g} s): a peer rank may have died or is not calling the same "
                    "collective.")
                raise self._error
            time.sleep(0.0 if waited < 0.01 else min(1e-3, waited / 100))
        self._complete()
        return True

    def source_rank(self) -> int:
        """For a completed ``irecv``: the rank the message came from."""
        if not self._done:
            raise RuntimeError("source_rank() is only available on a completed irecv")
        if self._status is None:
            raise RuntimeError("source_rank() is only available on recv work")
        return self._status.Get_source()

    def __repr__(self) -> str:
        return f"<Work {self._name} completed={self._done}>"


def _as_numpy(arr) -> np.ndarray:
    if not isinstance(arr, np.ndarray):
        raise TypeError("ember.distributed's MPI backend handles CPU tensors only")
    return arr
