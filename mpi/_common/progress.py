"""Progress bars on long work: one helper on :mod:`tqdm`, on stderr, off unless watched.

Every long-running public call of the package (dataset generation at large sizes, bootstrap
replicates, panel builds from many sources, early-warning fits) takes
``progress: bool | None = None`` and hands it to :func:`progress`:

* ``None`` (automatic): a bar only when stderr is a terminal -- never in a pipe, a log file,
  a notebook or a test run -- and the environment variable ``XMPI_PROGRESS`` is not ``"0"``
  (``XMPI_PROGRESS=1`` shows bars even when stderr is not a terminal);
* ``True``: always a bar; ``False``: never.

Bars go to stderr, never to stdout (a command's output stays clean for pipes), appear only
after :data:`DELAY` seconds (quick work shows nothing), redraw at most every
:data:`MININTERVAL` seconds and erase themselves when the work ends (``leave=False``). A bar
never touches the computation: results are bit-identical with progress on or off.

>>> from mpi._common.progress import progress
>>> sum(x for x in progress(range(4), total=4, desc="adding", enabled=False))
6
>>> with progress(total=10, desc="rows", enabled=False) as bar:
...     bar.update(10)
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from typing import Any

import numpy as np
from tqdm import tqdm

from mpi.errors import ValidationError

__all__ = ["progress", "progress_enabled", "check_progress", "ENV", "DELAY", "MININTERVAL"]

#: Environment variable switching the automatic mode: ``"0"`` off, ``"1"`` on.
ENV = "XMPI_PROGRESS"
#: Seconds before a bar first appears: work done sooner leaves no trace.
DELAY = 0.5
#: Least seconds between two redraws of a bar.
MININTERVAL = 0.5


def check_progress(value: Any, argument: str = "progress") -> bool | None:
    """``value`` if it is a valid ``progress`` argument (None, True or False), else an error.

    Public calls check their ``progress`` argument up front with this, so a bad value fails
    before any long work starts.

    Parameters
    ----------
    value
        The argument to check.
    argument : str, default "progress"
        Its name, for the message.

    Returns
    -------
    bool or None
        ``value`` (a numpy bool as a Python bool).

    Raises
    ------
    mpi.errors.ValidationError
        If ``value`` is not None, True or False.

    Examples
    --------
    >>> check_progress(None), check_progress(False)
    (None, False)
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    raise ValidationError(
        f"{argument} must be None (a progress bar when stderr is a terminal), True (always) "
        f"or False (never); got {value!r}"
    )


def progress_enabled(enabled: bool | None = None, *, stream: Any = None) -> bool:
    """Whether a bar is shown for ``enabled`` (the ``progress`` argument of a call).

    Parameters
    ----------
    enabled : bool or None
        ``True``: yes; ``False``: no; ``None``: yes when the environment variable
        :data:`ENV` (``XMPI_PROGRESS``) is ``"1"``, no when it is ``"0"``, otherwise when
        ``stream`` is a terminal.
    stream : file-like, optional
        The stream the bar would go to (default: ``sys.stderr`` at the time of the call).

    Returns
    -------
    bool
        Whether to show the bar.

    Examples
    --------
    >>> progress_enabled(True), progress_enabled(False)
    (True, False)
    """
    enabled = check_progress(enabled)
    if enabled is not None:
        return enabled
    switch = os.environ.get(ENV, "").strip()
    if switch in ("0", "1"):
        return switch == "1"
    stream = sys.stderr if stream is None else stream
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):  # no isatty (None), or a closed stream
        return False


def progress(
    iterable: Iterable[Any] | None = None,
    *,
    total: float | None = None,
    desc: str,
    unit: str = "it",
    unit_scale: bool = False,
    enabled: bool | None = None,
) -> tqdm:
    """A progress bar on stderr (a :class:`tqdm.tqdm`), shown as ``enabled`` says.

    Wrap an iterable (``for x in progress(items, total=n, desc=...)``) or use it as a
    context manager and call ``update(n)`` after each piece of work (``with progress(
    total=rows, desc=..., unit="rows") as bar: ... bar.update(block)``). A disabled bar is
    tqdm's own disabled bar: it yields the iterable's items unchanged and its ``update`` does
    nothing, so the caller's code is the same either way.

    Parameters
    ----------
    iterable : iterable, optional
        Items to yield while counting them.
    total : int or float, optional
        Expected count (the iterable's length when it has one).
    desc : str
        What is being done, shown before the bar (e.g. ``"bootstrap replicates"``).
    unit : str, default "it"
        Name of one counted item (``"rows"``, ``"replicates"``).
    unit_scale : bool, default False
        Show large counts with SI prefixes (``1.2M rows``).
    enabled : bool or None, default None
        ``True``: show; ``False``: never; ``None``: automatic (:func:`progress_enabled`: when
        stderr is a terminal, or ``XMPI_PROGRESS=1``; never with ``XMPI_PROGRESS=0``).

    Returns
    -------
    tqdm.tqdm
        The bar (iterable and context manager), writing to ``sys.stderr`` after
        :data:`DELAY` seconds, at most every :data:`MININTERVAL` seconds, erased when closed.

    Raises
    ------
    mpi.errors.ValidationError
        If ``enabled`` is not None, True or False.

    Examples
    --------
    >>> [x * 2 for x in progress([1, 2, 3], desc="doubling", enabled=False)]
    [2, 4, 6]
    """
    stream = sys.stderr
    show = progress_enabled(enabled, stream=stream) and stream is not None
    return tqdm(
        iterable,
        total=total,
        desc=desc,
        unit=f" {unit}" if unit_scale else unit,  # "1.2k rows/s", not "1.2krows/s"
        unit_scale=unit_scale,
        disable=not show,
        file=stream,
        leave=False,
        delay=DELAY,
        mininterval=MININTERVAL,
        dynamic_ncols=True,
    )
