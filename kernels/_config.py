"""Compilation and chunking policy shared by every kernel.

``XMPI_NUMBA_CACHE`` (default ``1``) keeps compiled kernels on disk next to the source, so a
new process does not pay the JIT cost again; set it to ``0`` on read-only installs. numba
checks a cache entry against its own source file only: a kernel calling a helper of this
module keeps its old compiled helper after the helper changes, until its own file changes
(``touch kernels/*.py`` after editing a helper here).
``XMPI_NUMBA_PARALLEL`` (default ``1``) runs the unit loop on all threads; set it to ``0``
inside thread pools that are unsafe for numba's threading layer.
``XMPI_TASK_THREADS`` (default ``1``) is the number of numba threads a kernel uses inside a
dask task (:func:`task_threads`): dask already runs one task per core (its threaded scheduler
has one thread per core; a ``dask.distributed`` cluster has workers x threads per worker
slots, one per core by default), so numba threads x dask workers stays within the cores.
Raise it only when dask runs fewer tasks at once than there are cores (e.g. one worker
process with one thread on a many-core machine); ``NUMBA_NUM_THREADS`` caps it.

The first run compiles the kernels, which takes minutes on a slow machine; while numba
really compiles one of them (a miss of its disk cache), :data:`NOTICE` is written once per
process to stderr, when stderr is a terminal or ``XMPI_PROGRESS=1`` (never with
``XMPI_PROGRESS=0``, the switch of the package's progress bars too). numba's event API
announces a compilation (``"numba:compile"``) only after its disk cache missed, so loading
cached kernels prints nothing.

Every kernel is compiled by :func:`kernel` (``numba.njit`` with the options they share).

The parallel kernels split the units into contiguous chunks, each with private sums merged
in chunk order at the end. The chunks depend on the data only (:func:`fixed_chunks`,
:func:`cap_chunks`), never on the number of threads, so every result has the same bits on
any machine and for any ``numba.set_num_threads``. The loop helpers below spell that
pattern once::

    n_chunks = cap_chunks(n_chunks, n, (n_cells + PAD) * bytes_per_cell)
    sums = private_sums(n_chunks, n_cells, (k,), np.float64)    # zeroed, padded
    for c in nb.prange(n_chunks):
        lo, hi = chunk_range(n, n_chunks, c)
        for i in range(lo, hi):
            if weight_missing(weight[i]):
                ...  # count the unit as dropped
                continue
            sums[c, cell[i], ...] += ...
    out = merge_chunks(sums, n_cells)                           # in chunk order
"""

from __future__ import annotations

import os
import sys
import threading
from typing import Any

import numba as nb
import numpy as np
from numba.core import event

CACHE = os.environ.get("XMPI_NUMBA_CACHE", "1") != "0"
PARALLEL = os.environ.get("XMPI_NUMBA_PARALLEL", "1") != "0"

#: numba threads per kernel call inside a dask task (see :func:`task_threads`).
TASK_THREADS = os.environ.get("XMPI_TASK_THREADS", "1")

#: Extra cells after each parallel chunk's private sums, so that two threads never write to
#: one cache line (with a single group a chunk's sums fit in a few lines, and threads
#: updating neighbouring lines run slower than one thread alone).
PAD = 16

#: Most chunks a kernel splits its units into. Chunks are fixed by the data size alone and
#: their private sums are merged in chunk order, so results carry the same bits for any
#: thread count; ``prange`` spreads the chunks over whatever threads exist.
MAX_CHUNKS = 64
#: The chunks' private sums together take at most one byte per ``UNITS_PER_PRIVATE_BYTE``
#: units and at most ``CHUNK_BUDGET`` bytes; a kernel with larger private sums (many cells,
#: pattern tables) uses fewer chunks, but never fewer than two. Fresh memory is not free:
#: zeroing it faults its pages in (about 1.5 ns per byte on a VM, measured), which at one
#: byte per 4 units stays within about 2% of the cheapest kernel's time per unit.
UNITS_PER_PRIVATE_BYTE = 4
CHUNK_BUDGET = 64 << 20


#: The line written to stderr while numba compiles a kernel (once per process).
NOTICE = "xmpi: compiling numba kernels (first run only; cached afterwards)…"
#: The same notice when the disk cache is off (``XMPI_NUMBA_CACHE=0``): every process compiles.
NOTICE_UNCACHED = "xmpi: compiling numba kernels (XMPI_NUMBA_CACHE=0: every run compiles)…"
#: The package whose kernels announce their compilation (``mpi.kernels``).
PACKAGE = __name__.rpartition(".")[0]


def notice_wanted(stream: Any = None) -> bool:
    """Whether the compile notice may be written to ``stream`` (default ``sys.stderr``).

    ``XMPI_PROGRESS=0``: never; ``XMPI_PROGRESS=1``: always; otherwise only when the
    stream is a terminal (not a pipe, a file or a notebook), as the progress bars.

    Parameters
    ----------
    stream : file-like, optional
        The stream the notice would go to.

    Returns
    -------
    bool
        Whether to write the notice.
    """
    switch = os.environ.get("XMPI_PROGRESS", "").strip()
    if switch in ("0", "1"):
        return switch == "1"
    stream = sys.stderr if stream is None else stream
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):  # no isatty, or a closed stream
        return False


class CompileNotice(event.Listener):
    """Listener of numba's ``"numba:compile"`` event: writes :data:`NOTICE` to stderr the
    first time one of the package's kernels is really compiled in this process.

    numba's dispatcher (``Dispatcher.compile``) looks the signature up in its disk cache
    first and triggers the event only on a miss, around the compilation itself; numba's own
    helpers compiled on the way (overloads of builtins) are not the package's and say
    nothing.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.shown = False

    @staticmethod
    def ours(data: Any) -> bool:
        """Whether the event's dispatcher compiles a function of :data:`PACKAGE`."""
        func = getattr((data or {}).get("dispatcher"), "py_func", None)
        module = getattr(func, "__module__", None) or ""
        return module == PACKAGE or module.startswith(PACKAGE + ".")

    def on_start(self, ev: Any) -> None:
        """Write the notice (once) when one of the package's kernels starts compiling."""
        if self.shown or not self.ours(ev.data) or not notice_wanted():
            return
        with self.lock:
            if self.shown:
                return
            self.shown = True
        try:
            print(NOTICE if CACHE else NOTICE_UNCACHED, file=sys.stderr, flush=True)
        except (AttributeError, ValueError, OSError):  # no stderr, or a closed one
            pass

    def on_end(self, ev: Any) -> None:
        """Nothing to do when a compilation ends."""


#: The one listener of this process, registered when the kernels are imported.
COMPILE_NOTICE = CompileNotice()
event.register("numba:compile", COMPILE_NOTICE)


def task_thread_count(setting: str | int | None = None) -> int:
    """The numba threads of one dask task: ``XMPI_TASK_THREADS`` (default 1), at most
    ``numba.config.NUMBA_NUM_THREADS`` (the process's pool; the cores by default).

    Parameters
    ----------
    setting : str or int, optional
        The requested count (default :data:`TASK_THREADS`, the environment variable).

    Returns
    -------
    int
        Between 1 and ``NUMBA_NUM_THREADS``.
    """
    raw = TASK_THREADS if setting is None else setting
    try:
        n = int(raw)
    except (TypeError, ValueError):
        raise ValueError(
            f"XMPI_TASK_THREADS={raw!r} is not a whole number; set it to the numba threads of "
            "one dask task, e.g. 1"
        ) from None
    if n < 1:
        raise ValueError(f"XMPI_TASK_THREADS={raw!r} must be at least 1")
    return min(n, int(nb.config.NUMBA_NUM_THREADS))


class TaskThreads:
    """Context manager of :func:`task_threads`: numba's thread count for the calling thread
    set on entry and restored on exit."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.before = 0

    def __enter__(self) -> int:
        self.before = nb.get_num_threads()
        nb.set_num_threads(self.n)
        return self.n

    def __exit__(self, *exc: Any) -> None:
        nb.set_num_threads(self.before)


def task_threads(n: int | None = None) -> TaskThreads:
    """numba threads of the kernels called in a ``with`` block limited to ``n`` (default
    :func:`task_thread_count`), restored afterwards: the block is one dask task.

    ``numba.set_num_threads`` is thread-local, so the limit holds for the calling thread
    (the dask worker thread running the task) only; other tasks and the caller's own
    thread keep theirs. The results do not change: the kernels' chunks depend on the data
    only (:func:`fixed_chunks`), never on the thread count.

    Parameters
    ----------
    n : int, optional
        The threads; default ``XMPI_TASK_THREADS`` (1), capped at ``NUMBA_NUM_THREADS``.

    Returns
    -------
    TaskThreads
        A context manager; ``with task_threads() as n:`` gives the count in force.
    """
    return TaskThreads(task_thread_count(n))


def fixed_chunks(n: int, per: int) -> int:
    """Number of contiguous chunks for ``n`` units of at least ``per`` units each.

    ``n // per`` capped at :data:`MAX_CHUNKS` and rounded down to a power of two (equal
    shares for 1, 2, 4, ... threads); 1 below ``2 * per`` units. A function of the data size
    only, never of the thread count: with the chunks' sums merged in chunk order, the
    results are bit-identical on any machine.

    >>> fixed_chunks(100_000, 4096), fixed_chunks(5000, 4096), fixed_chunks(10**9, 4096)
    (16, 1, 64)
    """
    k = min(MAX_CHUNKS, int(n) // max(1, int(per)))
    return 1 << (k.bit_length() - 1) if k > 1 else 1


def kernel(fn: Any = None, /, *, parallel: bool = False, **options: Any) -> Any:
    """The numba decorator of every kernel: ``numba.njit(cache=CACHE, nogil=True, ...)``.

    Use it bare (``@kernel``) or with options (``@kernel(inline="always")``,
    ``@kernel(parallel=True, error_model="numpy")``).

    Parameters
    ----------
    fn : callable, optional
        The function to compile (given when used bare, ``@kernel``).
    parallel : bool
        Whether the function has ``prange`` loops: compiled with ``parallel=PARALLEL`` (off
        under ``XMPI_NUMBA_PARALLEL=0``).
    **options
        Further ``numba.njit`` options (``inline``, ``error_model``, ...).

    Returns
    -------
    numba dispatcher or decorator
        The compiled function (bare use) or a decorator that compiles one.

    Notes
    -----
    The on-disk cache is used only when the kernels are imported as ``mpi.kernels``: code
    compiled while ``kernels/`` is imported as a top-level package (a script or a test run
    from the repository root) names that package, and loading it later as ``mpi.kernels``
    would fail (``No module named 'kernels'``).
    """
    if parallel:
        options["parallel"] = PARALLEL

    def compile_(f: Any) -> Any:
        cache = CACHE and f.__module__.startswith("mpi.")
        return nb.njit(cache=cache, nogil=True, **options)(f)

    return compile_ if fn is None else compile_(fn)


@kernel
def cap_chunks(n_chunks, n, private):
    """``n_chunks`` halved until ``n_chunks`` private sums of ``private`` bytes each fit
    ``min(CHUNK_BUDGET, n // UNITS_PER_PRIVATE_BYTE)`` bytes, but not below 2 (nor raised).

    Depends on the data (``n`` units, the size of the private sums) only, like
    :func:`fixed_chunks`: more chunks than their memory, its page faults and the final merge
    are worth (many cells, few units) would only cost time.
    """
    limit = min(CHUNK_BUDGET, n // UNITS_PER_PRIVATE_BYTE)
    while n_chunks > 2 and n_chunks * private > limit:
        n_chunks = max(2, n_chunks // 2)
    return n_chunks


@kernel
def chunk_range(n, n_chunks, c):
    """Units ``lo .. hi - 1`` of chunk ``c`` when ``n`` units are cut into ``n_chunks``
    contiguous chunks of ``ceil(n / n_chunks)`` units (the last ones may be shorter or
    empty).

    Called once per chunk inside ``prange`` loops, and deliberately not ``inline="always"``:
    inlined there, the transitions kernel measured 3.5% slower (same-run A/B).
    """
    per = (n + n_chunks - 1) // n_chunks
    return min(n, c * per), min(n, (c + 1) * per)


@kernel
def share_range(n, parts, t):
    """Items ``lo .. hi - 1`` of part ``t`` when ``n`` items are shared out as evenly as
    possible between ``parts`` parts (sizes differ by at most one)."""
    return t * n // parts, (t + 1) * n // parts


@kernel(inline="always")
def weight_missing(w):
    """Whether a unit's weight is missing (NaN): the kernels drop such a unit (and count
    it). Every other value, zero included, is summed."""
    return w != w


@kernel(inline="always")
def private_sums(n_chunks, n_rows, shape, dtype):
    """Zeroed private sums of every chunk, ``(n_chunks, n_rows + PAD) + shape`` of
    ``dtype``: ``n_rows`` rows (cells) per chunk plus :data:`PAD` spare rows, so that two
    threads never write to one cache line. :func:`merge_chunks` adds them up."""
    return np.zeros((n_chunks, n_rows + PAD) + shape, dtype)


@kernel
def merge_chunks(private, n_rows):
    """``private[:, :n_rows]`` (C-contiguous, chunks first) summed over the chunks, adding
    them in chunk order, so the sums carry the same bits for any number of threads.

    A plain loop in a function of its own: in a ``parallel=True`` kernel every array
    expression (``out += private[c]``) is a parallel region, which costs microseconds on an
    idle machine and a scheduler time slice on a busy one, once per chunk.
    """
    k = private.shape[0]
    flat = private.reshape((k, -1))
    m = n_rows * (flat.shape[1] // max(private.shape[1], 1))
    out = np.zeros(m, private.dtype)
    for c in range(k):
        row = flat[c]
        for j in range(m):
            out[j] += row[j]
    return out.reshape((n_rows,) + private.shape[2:])
