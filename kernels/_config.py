"""Compilation and chunking policy shared by every kernel.

**The disk cache.** ``XMPI_NUMBA_CACHE`` (default ``1``) keeps compiled kernels on disk, so a
new process loads them instead of compiling again (``0``: never read or write the cache).
The cache lives in one folder per version of the kernels (:func:`cache_dir`):

- ``$NUMBA_CACHE_DIR/xmpi`` when numba's ``NUMBA_CACHE_DIR`` is set (read-only installs,
  containers, CI caches: point it at any writable folder);
- else ``$XMPI_CACHE_DIR`` when set;
- else the user's cache folder (``~/.cache/xmpi/numba`` on Linux, ``~/Library/Caches/xmpi``
  on macOS, ``%LOCALAPPDATA%\\xmpi\\Cache`` on Windows): never the installed package
  itself, so a read-only install caches too and a reinstall of the same version finds its
  kernels already compiled.

Inside it, a sub-folder named by the numba and Python versions, the parallel switch and a
hash of *all* kernel sources (:data:`KERNELS_STAMP`) holds the entries: an edit of any kernel
module (a helper here included) invalidates every kernel compiled against it, which numba's
own per-file check would miss, and clones or virtual environments with the same kernels share
one compiled copy. Old sub-folders are never used again and may be deleted
(:func:`cache_dir` gives the folder in use).

``XMPI_NUMBA_PARALLEL`` (default ``1``) runs the unit loop on all threads; set it to ``0``
inside thread pools that are unsafe for numba's threading layer.
``XMPI_TASK_THREADS`` (default ``1``) is the number of numba threads a kernel uses inside a
dask task (:func:`task_threads`): dask already runs one task per core (its threaded scheduler
has one thread per core; a ``dask.distributed`` cluster has workers x threads per worker
slots, one per core by default), so numba threads x dask workers stays within the cores.
Raise it only when dask runs fewer tasks at once than there are cores (e.g. one worker
process with one thread on a many-core machine); ``NUMBA_NUM_THREADS`` caps it.

The first run compiles the kernels a call needs (seconds; see ``benchmarks/README.md``); while
numba really compiles one of them (a miss of its disk cache), :data:`NOTICE` is written once per
process to stderr when stderr is a terminal or a notebook's, or when ``XMPI_PROGRESS=1``
(never with ``XMPI_PROGRESS=0``, the switch of the package's progress bars too), and logged
(level INFO, logger ``mpi``) in every case. numba's event API announces a compilation
(``"numba:compile"``) only after its disk cache missed, so loading cached kernels prints
nothing.

Every kernel is compiled by :func:`kernel` (``numba.njit`` with the options they share).

The parallel kernels split the units into contiguous chunks, each with private sums merged
in chunk order at the end. The chunks depend on the data only (:func:`fixed_chunks`,
:func:`cap_chunks`), never on the number of threads, so every result has the same bits on
any machine and for any ``numba.set_num_threads``. The helpers below spell that pattern
once: the sums are allocated and merged in Python, and the ``parallel=True`` kernel holds only
the ``prange`` loop calling a serial body per chunk (numba's parfor passes on a big function
cost more to compile than the function itself)::

    n_chunks = cap_chunks.py_func(n_chunks, n, (n_cells + PAD) * bytes_per_cell)
    sums = private_sums(n_chunks, n_cells, (k,), np.float64)    # zeroed, padded (numpy)
    _par(..., sums)                                             # below, compiled

    @kernel(parallel=True)
    def _par(..., sums):
        for c in nb.prange(n_chunks):
            lo, hi = chunk_range(n, n_chunks, c)
            _chunk(..., lo, hi, sums[c])                        # serial @kernel body

    out = merge_chunks(sums, n_cells)                           # in chunk order (numpy)
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import threading
from pathlib import Path
from typing import Any

import numba as nb
import numpy as np
from numba.core import event
from numba.core.caching import CompileResultCacheImpl, FunctionCache, _CacheLocator
from numba.misc.appdirs import AppDirs

CACHE = os.environ.get("XMPI_NUMBA_CACHE", "1") != "0"
PARALLEL = os.environ.get("XMPI_NUMBA_PARALLEL", "1") != "0"

#: The folder of the kernel sources (``mpi.kernels``).
SOURCE_DIR = Path(__file__).resolve().parent


def kernels_stamp(folder: Path = SOURCE_DIR) -> str:
    """SHA-256 of every kernel module's source (``*.py`` of ``folder``, by name), with the
    numba and Python versions and the parallel switch: the version of the compiled code.

    Parameters
    ----------
    folder : pathlib.Path
        The kernels' folder.

    Returns
    -------
    str
        64 hexadecimal digits.
    """
    digest = hashlib.sha256()
    digest.update(f"numba {nb.__version__} py {sys.version_info[:2]} {PARALLEL}".encode())
    for path in sorted(folder.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


#: :func:`kernels_stamp` of the kernels of this process (read once, at import).
KERNELS_STAMP = kernels_stamp()


def cache_root() -> Path:
    """The folder holding xmpi's compiled kernels: ``$NUMBA_CACHE_DIR/xmpi``, else
    ``$XMPI_CACHE_DIR``, else the user's cache folder (``~/.cache/xmpi/numba`` on Linux).

    Returns
    -------
    pathlib.Path
        The folder (not created here).
    """
    numba_dir = os.environ.get("NUMBA_CACHE_DIR", "").strip()
    if numba_dir:
        return Path(numba_dir).expanduser() / "xmpi"
    own = os.environ.get("XMPI_CACHE_DIR", "").strip()
    if own:
        return Path(own).expanduser()
    return Path(AppDirs("xmpi", appauthor=False).user_cache_dir) / "numba"


def cache_dir() -> Path:
    """The folder of this version of the kernels inside :func:`cache_root`: named by the
    numba and Python versions, the parallel switch and the first 16 digits of
    :data:`KERNELS_STAMP`.

    Returns
    -------
    pathlib.Path
        The folder (created on the first compilation).
    """
    py = f"py{sys.version_info[0]}{sys.version_info[1]}"
    mode = "parallel" if PARALLEL else "serial"
    return cache_root() / f"numba{nb.__version__}-{py}-{mode}-{KERNELS_STAMP[:16]}"


class KernelCacheLocator(_CacheLocator):
    """numba cache locator of the package's kernels: every kernel in :func:`cache_dir`,
    checked against :data:`KERNELS_STAMP` (the sources of all kernels, not only the
    kernel's own file)."""

    def __init__(self, py_func: Any, py_file: str) -> None:
        self._py_file = py_file
        self._lineno = py_func.__code__.co_firstlineno
        self._cache_path = str(cache_dir())

    def get_cache_path(self) -> str:
        """The folder of the entries."""
        return self._cache_path

    def get_source_stamp(self) -> str:
        """The version of the sources an entry was compiled from."""
        return KERNELS_STAMP

    def get_disambiguator(self) -> str:
        """Tells apart functions of one name in one module (their first line)."""
        return str(self._lineno)

    @classmethod
    def from_function(cls, py_func: Any, py_file: str) -> KernelCacheLocator | None:
        """The locator of ``py_func``, or None when the folder cannot be written (numba
        then tries its own locators: next to the source, then its user-wide folder)."""
        self = cls(py_func, py_file)
        try:
            self.ensure_cache_path()
        except OSError:
            return None
        return self


class KernelCacheImpl(CompileResultCacheImpl):
    """numba's cache of compile results, located by :class:`KernelCacheLocator` first."""

    _locator_classes = [KernelCacheLocator, *CompileResultCacheImpl._locator_classes]


class KernelCache(FunctionCache):
    """The disk cache of one kernel (numba's ``FunctionCache`` with our locator)."""

    _impl_class = KernelCacheImpl


def enable_cache(dispatcher: Any) -> bool:
    """Give ``dispatcher`` the package's disk cache (what ``njit(cache=True)`` does with
    numba's own locator); False, and no cache, when no folder at all can be written.

    Parameters
    ----------
    dispatcher : numba dispatcher
        A kernel compiled by :func:`kernel`.

    Returns
    -------
    bool
        Whether the kernel is cached on disk.
    """
    try:
        dispatcher._cache = KernelCache(dispatcher.py_func)
    except RuntimeError:  # numba: "cannot cache function ...: no locator available"
        logging.getLogger("mpi").warning(
            "xmpi: no writable folder for the compiled kernels (tried %s); every process "
            "compiles them. Set NUMBA_CACHE_DIR to a writable folder.",
            cache_root(),
        )
        return False
    return True


#: How numba's OpenMP threads wait for work, unless the user chose (``OMP_WAIT_POLICY``):
#: ``PASSIVE``, they sleep instead of spinning. Set before numba starts its threads (the first
#: parallel kernel). With spinning (the OpenMP default for a while after each region), a
#: machine whose cores are busy with other work (another process, the other workers of a test
#: runner or a dask cluster) made ``mpi.measure`` slower with two threads than with one
#: (144 ms against 80 ms at 4e6 units, one of two cores busy; ``benchmarks/busy_cores.py``);
#: sleeping costs a few microseconds to wake the threads once per parallel region.
OMP_WAIT_POLICY = os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


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

    ``XMPI_PROGRESS=0``: never; ``XMPI_PROGRESS=1``: always; otherwise when the stream is a
    terminal or a Jupyter notebook's stderr (an ``ipykernel`` stream), not a pipe or a file,
    as the progress bars.

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
    if type(stream).__module__.startswith("ipykernel"):  # a notebook shows its stderr
        return True
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
        """Log the notice, and write it to stderr when :func:`notice_wanted`, once, when
        one of the package's kernels starts compiling."""
        if self.shown or not self.ours(ev.data):
            return
        with self.lock:
            if self.shown:
                return
            self.shown = True
        text = NOTICE if CACHE else NOTICE_UNCACHED
        logging.getLogger("mpi").info("%s (cache: %s)", text, cache_dir() if CACHE else "off")
        if not notice_wanted():
            return
        try:
            print(text, file=sys.stderr, flush=True)
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
    """The numba decorator of every kernel: ``numba.njit(nogil=True, ...)`` with the
    package's disk cache (:class:`KernelCache`, in :func:`cache_dir`) unless
    ``XMPI_NUMBA_CACHE=0``.

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
        dispatcher = nb.njit(cache=False, nogil=True, **options)(f)
        if CACHE and f.__module__.startswith("mpi."):
            enable_cache(dispatcher)
        return dispatcher

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


def private_sums(n_chunks: int, n_rows: int, shape: tuple, dtype: Any) -> np.ndarray:
    """Zeroed private sums of every chunk, ``(n_chunks, n_rows + PAD) + shape`` of
    ``dtype``, allocated in Python (the kernels then compile no ``np.zeros`` of their own):
    ``n_rows`` rows (cells) per chunk plus :data:`PAD` spare rows, so that two threads never
    write to one cache line. :func:`merge_chunks` adds them up.

    Parameters
    ----------
    n_chunks, n_rows : int
        Chunks, and rows (cells) per chunk.
    shape : tuple of int
        Trailing shape of each row.
    dtype : numpy dtype
        float64 or int64.

    Returns
    -------
    numpy.ndarray
        C-contiguous zeros.
    """
    return np.zeros((n_chunks, n_rows + PAD, *shape), dtype)


def merge_chunks(private: np.ndarray, n_rows: int) -> np.ndarray:
    """``private[:, :n_rows]`` summed over the chunks, added in chunk order from zero, so the
    sums carry the same bits for any number of threads (numpy, outside the kernels: one
    addition per chunk, no parallel region).

    Parameters
    ----------
    private : numpy.ndarray
        Sums of :func:`private_sums` filled by a kernel.
    n_rows : int
        The rows to keep.

    Returns
    -------
    numpy.ndarray
        ``(n_rows,) + private.shape[2:]``, C-contiguous.
    """
    out = np.zeros((n_rows, *private.shape[2:]), private.dtype)
    for c in range(private.shape[0]):
        out += private[c, :n_rows]
    return out
