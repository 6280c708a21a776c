"""Variance-based sensitivity analysis: the Saltelli design and the Sobol index estimators.

Generic numpy code, used by :func:`mpi.composites.uncertainty.uncertainty` but independent of
composite indices: a model with ``d`` independent factors is run on the rows of
:func:`saltelli_sample` (uniforms in ``[0, 1)``, mapped to the factors' values by the caller) and
:func:`sobol_indices` turns the outputs into first-order and total indices.

Design (Saltelli et al. 2010, section 3): two independent base matrices ``A`` and ``B`` of ``N``
rows and, for each factor ``i``, the matrix ``A_B^(i)``: ``A`` with the columns of factor ``i``
taken from ``B``. The sample stacks ``A``, ``B``, ``A_B^(1)``, ..., ``A_B^(d)``:
``N (d + 2)`` rows. A factor may own several columns (a *group*, e.g. one noise per weight):
its ``A_B^(i)`` takes all of them from ``B`` and its indices are the group's indices.

Estimators, with ``f_A``, ``f_B``, ``f_ABi`` the outputs on the rows of each block and
``V = Var(Y)`` the sample variance (``ddof=1``) of the ``2N`` runs of ``A`` and ``B``:

* first order (Saltelli et al. 2010, eq. (b) of table 2):
  ``S_i = mean(f_B (f_ABi - f_A)) / V``, an estimate of ``Var(E[Y | X_i]) / Var(Y)``, computed
  on the centred output ``f_B - f0`` (``f0`` the mean of the ``2N`` runs of ``A`` and ``B``):
  the expectation is the same (``f_ABi - f_A`` has mean 0) and the Monte Carlo error no longer
  grows with the output's mean (ranks of about 1,000 with a spread of tens);
* total (Jansen 1999): ``ST_i = mean((f_A - f_ABi)^2) / (2 V)``, an estimate of
  ``E[Var(Y | X_~i)] / Var(Y)``.

Both are vectorised over any number of outputs (``y`` of shape ``(runs, outputs)``). An output
that does not vary (``V = 0``) has NaN indices. Confidence intervals are bootstrap percentile
intervals over the ``N`` base rows (a resampled row brings its ``A``, ``B`` and every
``A_B^(i)`` run; ``V`` is recomputed on each resample).

References
----------
Saltelli, A., Annoni, P., Azzini, I., Campolongo, F., Ratto, M. and Tarantola, S. (2010).
Variance based sensitivity analysis of model output. Design and estimator for the total
sensitivity index. *Computer Physics Communications* 181(2), 259-270.

Jansen, M. J. W. (1999). Analysis of variance designs for model output. *Computer Physics
Communications* 117(1-2), 35-43.

Saltelli, A. et al. (2008). *Global Sensitivity Analysis: The Primer*. Wiley (groups of
factors: section 4.6).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral
from typing import Any

import numpy as np

from mpi.errors import ValidationError

__all__ = ["SobolIndices", "saltelli_sample", "factor_columns", "sobol_indices"]


def _positive_int(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or int(value) < minimum:
        raise ValidationError(f"{name} must be an integer >= {minimum}; got {value!r}")
    return int(value)


def _sizes(sizes: int | Sequence[int]) -> tuple[int, ...]:
    """Column counts of the factors: ``d`` (one column each) or one count per factor."""
    if isinstance(sizes, Integral) and not isinstance(sizes, bool):
        return (1,) * _positive_int(sizes, "sizes (the number of factors)", 1)
    if isinstance(sizes, str | bytes) or not isinstance(sizes, Sequence) or not sizes:
        raise ValidationError(
            "sizes must be the number of factors or a non-empty list of each factor's number "
            f"of columns; got {sizes!r}"
        )
    return tuple(_positive_int(s, "each entry of sizes", 1) for s in sizes)


def factor_columns(sizes: int | Sequence[int]) -> list[slice]:
    """The columns of each factor in a :func:`saltelli_sample`.

    Parameters
    ----------
    sizes
        The number of factors ``d`` (one column each) or each factor's number of columns.

    Returns
    -------
    list of slice
        ``d`` consecutive column slices.
    """
    out, start = [], 0
    for s in _sizes(sizes):
        out.append(slice(start, start + s))
        start += s
    return out


def saltelli_sample(n: int, sizes: int | Sequence[int], rng: np.random.Generator) -> np.ndarray:
    """The Saltelli (2010) design: ``A``, ``B`` and every ``A_B^(i)``, stacked.

    Parameters
    ----------
    n
        ``N``, the number of base rows (at least 2).
    sizes
        The number of factors ``d`` (one column each) or each factor's number of columns
        (a factor with several columns is a group: its columns move together).
    rng
        The random generator (seeded by the caller).

    Returns
    -------
    numpy.ndarray
        ``(N (d + 2), k)`` uniforms in ``[0, 1)``, ``k`` the total number of columns: rows
        ``[0, N)`` are ``A``, ``[N, 2N)`` are ``B`` and ``[(2 + i) N, (3 + i) N)`` are
        ``A_B^(i)``, ``A`` with the columns of factor ``i`` (:func:`factor_columns`) from
        ``B``. ``A`` and ``B`` are the two halves of one ``(N, 2k)`` draw of ``rng.random``.
    """
    n = _positive_int(n, "n (the number of base rows)", 2)
    cols = factor_columns(sizes)
    if not isinstance(rng, np.random.Generator):
        raise ValidationError(
            f"rng must be a numpy.random.Generator (np.random.default_rng(seed)); got {rng!r}"
        )
    k = cols[-1].stop
    base = rng.random((n, 2 * k))
    a, b = base[:, :k], base[:, k:]
    out = np.empty(((len(cols) + 2) * n, k))
    out[:n], out[n : 2 * n] = a, b
    for i, c in enumerate(cols):
        block = out[(2 + i) * n : (3 + i) * n]
        block[:] = a
        block[:, c] = b[:, c]
    return out


@dataclass(frozen=True)
class SobolIndices:
    """First-order and total Sobol indices of ``d`` factors for one or many outputs.

    Parameters
    ----------
    first
        ``(d, *outputs)`` first-order indices ``S_i`` (Saltelli et al. 2010).
    total
        ``(d, *outputs)`` total indices ``ST_i`` (Jansen 1999).
    variance
        ``outputs`` shape: ``Var(Y)`` over the ``A`` and ``B`` runs (``ddof=1``).
    first_ci, total_ci
        ``(2, d, *outputs)`` bootstrap percentile bounds (lower, upper), or None without a
        bootstrap.
    level
        Confidence level of the intervals.
    n_bootstrap
        Bootstrap resamples (0: none).
    """

    first: np.ndarray
    total: np.ndarray
    variance: np.ndarray
    first_ci: np.ndarray | None
    total_ci: np.ndarray | None
    level: float
    n_bootstrap: int


def _estimate(ya: np.ndarray, yb: np.ndarray, yab: np.ndarray) -> tuple[np.ndarray, ...]:
    """``S``, ``ST`` ``(d, q)`` and ``V`` ``(q,)`` from blocks ``(N, q)``, ``(d, N, q)``."""
    both = np.concatenate([ya, yb])
    var = np.var(both, axis=0, ddof=1)
    centred = yb - both.mean(axis=0)
    s_num = np.mean(centred[None] * (yab - ya[None]), axis=1)
    st_num = np.mean((ya[None] - yab) ** 2, axis=1) / 2
    ok = var > 0
    s = np.full_like(s_num, np.nan)
    st = np.full_like(st_num, np.nan)
    np.divide(s_num, var, out=s, where=ok[None])
    np.divide(st_num, var, out=st, where=ok[None])
    return s, st, var


def sobol_indices(
    y: np.ndarray,
    n: int,
    d: int,
    *,
    bootstrap: int = 0,
    level: float = 0.90,
    rng: np.random.Generator | int | None = None,
) -> SobolIndices:
    """First-order (Saltelli 2010) and total (Jansen 1999) Sobol indices from a Saltelli design.

    Parameters
    ----------
    y
        Outputs of the ``N (d + 2)`` runs in the row order of :func:`saltelli_sample`:
        shape ``(runs,)`` or ``(runs, *outputs)`` (e.g. every unit's rank); float.
    n
        ``N``, the number of base rows.
    d
        The number of factors (or groups).
    bootstrap
        Bootstrap resamples of the ``N`` base rows for percentile intervals (0: none).
    level
        Confidence level of the intervals (0.90: the 5 % and 95 % percentiles).
    rng
        Generator (or seed) of the bootstrap; needed when ``bootstrap > 0``.

    Returns
    -------
    SobolIndices
        ``S_i = mean((f_B - f0) (f_ABi - f_A)) / V`` and
        ``ST_i = mean((f_A - f_ABi)^2) / (2 V)``, ``f0`` the mean and ``V`` the variance
        (``ddof=1``) of the ``2N`` ``A`` and ``B`` runs; NaN for an output with ``V = 0``
        (or a NaN run). Shapes ``(d, *outputs)``.

    Raises
    ------
    ValidationError
        When ``y`` does not have ``N (d + 2)`` rows, or for a bad ``bootstrap``/``level``/``rng``.
    """
    n = _positive_int(n, "n (the number of base rows)", 2)
    d = _positive_int(d, "d (the number of factors)", 1)
    bootstrap = _positive_int(bootstrap, "bootstrap", 0)
    if isinstance(level, bool) or not isinstance(level, int | float) or not 0 < level < 1:
        raise ValidationError(f"level must be a number strictly between 0 and 1; got {level!r}")
    arr = np.asarray(y, dtype=np.float64)
    if arr.ndim == 0 or arr.shape[0] != n * (d + 2):
        raise ValidationError(
            f"y must have N (d + 2) = {n} x {d + 2} = {n * (d + 2)} rows (the runs of "
            f"saltelli_sample in its order); got shape {arr.shape}"
        )
    out_shape = arr.shape[1:]
    flat = arr.reshape(arr.shape[0], -1)
    ya, yb = flat[:n], flat[n : 2 * n]
    yab = flat[2 * n :].reshape(d, n, flat.shape[1])
    s, st, var = _estimate(ya, yb, yab)
    s_ci = st_ci = None
    if bootstrap:
        if not isinstance(rng, np.random.Generator):
            if rng is None:
                raise ValidationError(
                    "sobol_indices(bootstrap>0) needs rng: a numpy Generator or an integer seed"
                )
            rng = np.random.default_rng(rng)
        s_boot = np.empty((bootstrap, *s.shape))
        st_boot = np.empty_like(s_boot)
        for b in range(bootstrap):
            rows = rng.integers(0, n, size=n)
            s_boot[b], st_boot[b], _ = _estimate(ya[rows], yb[rows], yab[:, rows])
        probs = [(1 - level) / 2, (1 + level) / 2]
        s_ci = np.quantile(s_boot, probs, axis=0).reshape(2, d, *out_shape)
        st_ci = np.quantile(st_boot, probs, axis=0).reshape(2, d, *out_shape)
    return SobolIndices(
        first=s.reshape(d, *out_shape),
        total=st.reshape(d, *out_shape),
        variance=var.reshape(out_shape),
        first_ci=s_ci,
        total_ci=st_ci,
        level=float(level),
        n_bootstrap=bootstrap,
    )
