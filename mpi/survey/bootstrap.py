"""The one bootstrap of the package: resampling factors for replicate estimates.

Every bootstrap estimator multiplies each unit's weight by a *factor* per replicate and
recomputes its sums; this module draws those factors and nothing else (no design object,
no measure), so any layer above the survey layer can use it:

* :func:`rao_wu_factors` -- the Rao-Wu rescaling bootstrap of a stratified cluster design
  (``replicates x PSUs``; Rao, Wu and Yue 1992), the bootstrap of :meth:`mpi.Design.bootstrap`:
  per stratum ``n_h - 1`` of its ``n_h`` PSUs are drawn with replacement and a PSU drawn
  ``m`` times gets the factor ``1 - lambda_h + lambda_h * m * n_h / (n_h - 1)`` with
  ``lambda_h = sqrt(1 - f_h)``; a stratum with one PSU keeps factor 1 (certainty);
* :func:`unit_bootstrap_factors` / :func:`iter_unit_bootstrap_factors` -- the naive
  bootstrap of units (one stratum, every unit its own PSU, ``n`` of ``n`` units drawn, no
  rescaling): the factor of a unit is the number of times it was drawn, a multinomial
  frequency (used by :func:`mpi.relapse`'s unit-cluster bootstrap).

Both take ``seed`` as :func:`numpy.random.default_rng` does (an int, None, or a
``numpy.random.Generator`` that is used, and advanced, as is), so a given seed always gives
the same replicates, and ``progress`` (a bar on stderr, :func:`mpi._common.progress.progress`:
``None`` when stderr is a terminal, ``True`` always, ``False`` never), which never changes a
draw.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from mpi._common.progress import check_progress
from mpi._common.progress import progress as progress_bar

__all__ = ["rao_wu_factors", "unit_bootstrap_factors", "iter_unit_bootstrap_factors"]


def _generator(seed: Any) -> np.random.Generator:
    """``seed`` itself when it is a Generator, else ``numpy.random.default_rng(seed)``."""
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def rao_wu_factors(
    n_h: Any,
    starts: Any,
    fpc_factor: Any,
    replicates: int,
    seed: Any = None,
    *,
    n_psu: int | None = None,
    progress: bool | None = None,
) -> np.ndarray:
    """Rao-Wu rescaling bootstrap factors, ``replicates x PSUs``.

    PSUs are numbered ``0 .. n_psu - 1`` with each stratum's PSUs contiguous (stratum ``h``
    holds PSUs ``starts[h] .. starts[h] + n_h[h] - 1``, as in
    :class:`mpi.survey.design.EncodedDesign`). For every stratum with at least two PSUs, in
    stratum order, one ``rng.integers(0, n_h, size=(replicates, n_h - 1))`` call draws
    ``n_h - 1`` PSUs per replicate with replacement; a PSU drawn ``m`` times gets the factor
    ``1 - lam + lam * m * n_h / (n_h - 1)``, ``lam = sqrt(fpc_factor[h])``. A stratum with a
    single PSU draws nothing and keeps factor 1 (it contributes no variance).

    Parameters
    ----------
    n_h : array_like of int
        PSUs per stratum.
    starts : array_like of int
        First PSU number of each stratum.
    fpc_factor : array_like of float
        ``1 - f_h`` per stratum (1 without a finite population correction).
    replicates : int
        Number of bootstrap replicates (rows of the result).
    seed : int, None or numpy.random.Generator
        Seed of :func:`numpy.random.default_rng`, or a Generator used as is.
    n_psu : int, optional
        Number of PSUs (columns); default ``sum(n_h)``.
    progress : bool or None, default None
        A progress bar over the strata drawn, on stderr: ``None`` when stderr is a
        terminal (and ``XMPI_PROGRESS`` is not ``"0"``), ``True`` always, ``False`` never.
        The factors are the same either way.

    Returns
    -------
    numpy.ndarray
        Float64 factors of shape ``(replicates, n_psu)``; a replicate's weight of a unit is
        its weight times the factor of its PSU.

    Examples
    --------
    >>> f = rao_wu_factors([3, 1], [0, 3], [1.0, 1.0], replicates=4, seed=1)
    >>> f.shape, f[:, 3].tolist()  # the lone PSU of the second stratum keeps factor 1
    ((4, 4), [1.0, 1.0, 1.0, 1.0])
    >>> bool(abs(f[:, :3].sum(axis=1) - 3).max() < 1e-12)  # factors of a stratum sum to n_h
    True
    """
    check_progress(progress)
    n_h = np.asarray(n_h, np.int64)
    starts = np.asarray(starts, np.int64)
    fpc_factor = np.asarray(fpc_factor, np.float64)
    rng = _generator(seed)
    out = np.ones((replicates, int(n_h.sum()) if n_psu is None else n_psu))
    rows = np.arange(replicates)[:, None]
    strata = progress_bar(
        range(len(n_h)), total=len(n_h), desc="bootstrap", unit="strata", enabled=progress
    )
    for h in strata:
        lo, n = int(starts[h]), int(n_h[h])
        if n < 2:
            continue  # a lone PSU contributes no variance (certainty)
        draws = rng.integers(0, n, size=(replicates, n - 1))
        counts = np.zeros((replicates, n))
        np.add.at(counts, (rows, draws), 1.0)
        lam = np.sqrt(fpc_factor[h])
        out[:, lo : lo + n] = 1.0 - lam + lam * counts * n / (n - 1)
    return out


def iter_unit_bootstrap_factors(
    n_units: int, replicates: int, seed: Any = None, *, progress: bool | None = None
) -> Iterator[np.ndarray]:
    """Unit bootstrap factors one replicate at a time (memory: one row).

    Replicate ``b`` is ``numpy.bincount(rng.integers(0, n_units, n_units),
    minlength=n_units)`` as float64: the number of times each unit is drawn when ``n_units``
    units are drawn with replacement (multinomial frequencies, summing to ``n_units``).

    Parameters
    ----------
    n_units : int
        Units that can be drawn (e.g. those with a known weight).
    replicates : int
        Number of replicates yielded.
    seed : int, None or numpy.random.Generator
        Seed of :func:`numpy.random.default_rng`, or a Generator used (and advanced) as is.
    progress : bool or None, default None
        A progress bar over the replicates (advanced as each one is yielded, so it counts
        the caller's work on the replicate too), on stderr: ``None`` when stderr is a
        terminal (and ``XMPI_PROGRESS`` is not ``"0"``), ``True`` always, ``False`` never.
        The factors are the same either way; a bad value raises at the first replicate.

    Yields
    ------
    numpy.ndarray
        Float64 factors of shape ``(n_units,)`` per replicate.
    """
    check_progress(progress)
    rng = _generator(seed)
    bar = progress_bar(
        range(replicates), total=replicates, desc="bootstrap", unit="replicates", enabled=progress
    )
    for _ in bar:
        draws = rng.integers(0, n_units, n_units)
        yield np.bincount(draws, minlength=n_units).astype(np.float64)


def unit_bootstrap_factors(
    n_units: int, replicates: int, seed: Any = None, *, progress: bool | None = None
) -> np.ndarray:
    """Unit bootstrap factors, ``replicates x units``: how often each unit is drawn.

    The naive (Efron) bootstrap of units: one stratum, every unit its own PSU, ``n_units``
    draws with replacement per replicate and no rescaling. The rows are those of
    :func:`iter_unit_bootstrap_factors` (same generator calls, same numbers); use that for
    many units and replicates.

    Parameters
    ----------
    n_units : int
        Units that can be drawn (e.g. those with a known weight).
    replicates : int
        Number of replicates (rows of the result).
    seed : int, None or numpy.random.Generator
        Seed of :func:`numpy.random.default_rng`, or a Generator used (and advanced) as is.
    progress : bool or None, default None
        A progress bar over the replicates, as in :func:`iter_unit_bootstrap_factors`.

    Returns
    -------
    numpy.ndarray
        Float64 factors of shape ``(replicates, n_units)``; each row sums to ``n_units``.

    Examples
    --------
    >>> f = unit_bootstrap_factors(5, replicates=3, seed=0)
    >>> f.shape, f.sum(axis=1).tolist()
    ((3, 5), [5.0, 5.0, 5.0])
    """
    out = np.empty((replicates, n_units))
    rows = iter_unit_bootstrap_factors(n_units, replicates, seed, progress=progress)
    for b, row in enumerate(rows):
        out[b] = row
    return out
