"""Unit-level Alkire-Foster identification on a flat table of units (the engine of
:func:`mpi.identification.identify.identify`).

The indicator columns are encoded by :func:`mpi.measurement.encode.encode_indicator` and
their deprivation rules evaluated by the AF kernel's own rule evaluator
(:func:`mpi.kernels.rules.evaluate`, through :func:`mpi.kernels.identify.column_flags`), so a
unit is deprived here exactly when :func:`mpi.measure` counts it deprived. Scores are integer
numerators over integer denominators; a unit is poor iff ``numerator * k_den >= k_num *
denominator`` (:func:`mpi.kernels.identify.classify`).

Missing values follow :func:`mpi.measure`: ``drop`` (listwise), ``reweight`` (the OPHI rule:
a missing indicator's weight is re-spread over the observed indicators of its dimension,
scores over the denominator ``L * lcm(b_q)``, by the AF kernel's own
:func:`mpi.kernels.reweight.reweighted_score`) and ``raise``. A unit with a
missing sampling weight is dropped, as :func:`mpi.measure` drops it.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from mpi import kernels
from mpi._common.table import Table, encode_weight, readonly
from mpi.errors import DataError
from mpi.kernels.identify import classify, column_flags
from mpi.kernels.reweight import reweight_rows
from mpi.measurement.encode import encode_indicator
from mpi.measurement.spec import Spec

__all__ = [
    "UnitStates",
    "FlagError",
    "identify_units",
    "first_bad_weight",
    "bad_weight_error",
    "missing_error",
]


class FlagError(DataError):
    """A 0/1 indicator (one without a cutoff) holding another value.

    Parameters
    ----------
    spec : mpi.Spec
        The specification.
    indicator : int
        The indicator's position in ``spec`` (the first indicator with such a value).
    value : float
        The first such value of its variable.
    """

    def __init__(self, spec: Spec, indicator: int, value: float) -> None:
        ind = list(spec)[indicator]
        super().__init__(
            f"variable {ind.variable!r} of indicator {ind.name!r} must hold 0/1 (1 = "
            f"deprived) because the indicator has no cutoff; found the value {value:g}. "
            "Give the indicator a cutoff and deprived_if, or recode the variable"
        )
        self.indicator = indicator
        self.value = value

    def __reduce__(self) -> tuple:  # pickled (another process): a plain DataError
        return (DataError, (str(self),))


@dataclass
class UnitStates:
    """Per-unit identification arrays (length ``n`` unless stated).

    ``numerator``, ``denominator`` (int64): the exact score ``numerator / denominator``
    (``0 / 0`` for a dropped unit). ``score`` (float64, NaN when dropped). ``poor``,
    ``vulnerable``, ``severe`` (bool, ``n x K``). ``deprived_t`` (bool, ``d x n``: indicator
    major, so ``deprived_t.T`` is the ``n x d`` matrix without a copy). ``dropped`` (bool),
    ``n_missing`` (int16: missing indicator values). ``sweight`` (float64 or empty).
    """

    numerator: np.ndarray
    denominator: np.ndarray
    score: np.ndarray
    poor: np.ndarray
    vulnerable: np.ndarray
    severe: np.ndarray
    deprived_t: np.ndarray
    dropped: np.ndarray
    n_missing: np.ndarray
    sweight: np.ndarray
    missing_by_indicator: np.ndarray


def _deprivations(table: Table, spec: Spec) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(deprived (d, n) uint8, missing (d, n) uint8, numerator int32[n])`` from the kernel's
    rule evaluator, one indicator at a time (:func:`mpi.kernels.identify.column_flags`: its
    scratch is one block, not O(n))."""
    wint, _ = spec.integer_weights
    n, d = table.n, len(spec)
    dep = np.zeros((d, n), np.uint8)
    miss = np.zeros((d, n), np.uint8)
    num = np.zeros(n, np.int32)
    for j, ind in enumerate(spec):
        values, rule, cut = encode_indicator(
            table.column(ind.variable, role="indicator"), ind, narrow=True
        )
        if ind.cardinal and cut <= 0:
            raise DataError(f"indicator {ind.name!r}: cardinal cutoff must be positive")
        # int8 or float64, C-contiguous and read-only: one specialisation per dtype
        dtype = np.int8 if values.dtype == np.int8 else np.float64
        values = readonly(np.ascontiguousarray(values, dtype=dtype))
        bad = column_flags(
            values, kernels.RULE_CODES[rule], float(cut), np.int32(wint[j]),
            bool(ind.cardinal), dep[j], miss[j], num,
        )  # fmt: skip
        if bad:
            x = np.asarray(values, np.float64)
            raise FlagError(spec, j, float(x[(x == x) & (x != 0.0) & (x != 1.0)][0]))
    return dep, miss, num


def identify_units(
    table: Table,
    spec: Spec,
    ks: list[Fraction],
    *,
    weight: Any,
    missing: str,
    check_weights: bool = True,
) -> UnitStates:
    """Identify every unit of ``table`` for the cutoffs ``ks`` (see the module docstring).

    ``check_weights=False`` leaves negative or infinite sampling weights to the caller
    (:func:`first_bad_weight` on the returned ``sweight``, then :func:`bad_weight_error`):
    the blocks of a dask input report them for the whole data at once.

    Raises
    ------
    DataError
        For a missing value with ``missing="raise"``, invalid 0/1 flags, negative or infinite
        sampling weights.
    """
    wint, denom = spec.integer_weights
    n = table.n
    dep, miss, num = _deprivations(table, spec)
    n_missing = miss.sum(axis=0, dtype=np.int16)
    numerator = num.astype(np.int64)
    denominator = np.full(n, denom, np.int64)
    dropped = n_missing > 0
    sweight = np.empty(0)
    if weight is not None:
        sweight = encode_weight(table.column(weight, role="weight"), weight)
        where = first_bad_weight(sweight)
        if check_weights and where is not None:
            raise bad_weight_error(weight, float(sweight[where]), where)
    weight_missing = np.isnan(sweight) if weight is not None else np.zeros(n, bool)
    if missing == "raise" and (dropped.any() or weight_missing.any()):
        raise missing_error(
            spec, weight, miss.sum(axis=1), int(weight_missing.sum()),
            int((dropped | weight_missing).sum()),
        )  # fmt: skip
    if missing == "reweight" and dropped.any():
        # the OPHI rule, the AF kernel's own formula (mpi.kernels.reweight)
        rows = np.flatnonzero(dropped & ~weight_missing)
        big = reweight_rows(
            wint, spec.dimension_index.astype(np.int64), np.int64(denom), dep, miss, rows,
            numerator, denominator, dropped,
        )  # fmt: skip
        if big:
            raise DataError(
                "missing='reweight' produced reweighted shares whose common denominator "
                f"({int(big)}) is too large for exact identification; use missing='drop'"
            )
    dropped |= weight_missing
    numerator[dropped] = 0
    denominator[dropped] = 0
    vul, sev = spec.vulnerable, spec.severe
    n_k = len(ks)
    score = np.empty(n)
    poor = np.empty((n, n_k), bool)
    vulnerable = np.empty((n, n_k), bool)
    severe = np.empty((n, n_k), bool)
    classify(  # inputs read-only: one specialisation
        readonly(numerator), readonly(denominator), readonly(dropped),
        readonly(np.array([f.numerator for f in ks], np.int64)),
        readonly(np.array([f.denominator for f in ks], np.int64)),
        readonly(np.array([vul.numerator, vul.denominator], np.int64)),
        readonly(np.array([sev.numerator, sev.denominator], np.int64)),
        score, poor, vulnerable, severe,
    )  # fmt: skip
    return UnitStates(
        numerator,
        denominator,
        score,
        poor,
        vulnerable,
        severe,
        dep.view(np.bool_),
        dropped,
        n_missing,
        sweight,
        miss.sum(axis=1),
    )


def first_bad_weight(sweight: np.ndarray) -> int | None:
    """The first row whose sampling weight is negative or infinite (None when none is).

    Parameters
    ----------
    sweight : numpy.ndarray
        The encoded sampling weights (float64, NaN = missing).

    Returns
    -------
    int or None
        The row's position in ``sweight``.
    """
    bad = (sweight < 0) | np.isinf(sweight)
    return int(np.flatnonzero(bad)[0]) if bad.any() else None


def bad_weight_error(weight: Any, value: float, row: int) -> DataError:
    """The error for a negative or infinite sampling weight.

    Parameters
    ----------
    weight : hashable
        The weight variable.
    value : float
        The first bad weight.
    row : int
        Its row in the whole data (:func:`first_bad_weight`).

    Returns
    -------
    DataError
        The error to raise, naming the variable, the value, the row and the fix.
    """
    return DataError(
        f"weight variable {weight!r} must be non-negative and finite; found "
        f"{value:g} (row {row}). Fix or drop those rows before identifying"
    )


def missing_error(
    spec: Spec,
    weight: Any,
    missing_by_indicator: np.ndarray,
    n_weight_missing: int,
    n_units: int,
) -> DataError:
    """The error of ``missing="raise"`` when values are missing.

    Parameters
    ----------
    spec : mpi.Spec
        The specification (the indicators' variables name the counts).
    weight : hashable or None
        The weight variable.
    missing_by_indicator : numpy.ndarray
        Missing values per indicator (in the spec's order) over the whole data.
    n_weight_missing : int
        Rows with a missing sampling weight.
    n_units : int
        Rows with a missing indicator value or a missing weight.

    Returns
    -------
    DataError
        The error to raise, with the counts per variable and the fixes.
    """
    per = ", ".join(
        f"{ind.variable}: {int(c)}" for ind, c in zip(spec, missing_by_indicator, strict=True) if c
    )
    if n_weight_missing:
        per += (", " if per else "") + f"{weight} (weight): {int(n_weight_missing)}"
    return DataError(
        f"missing values in {int(n_units)} unit(s) with "
        f"missing='raise': missing values per variable: {per}. Use missing='drop' "
        "(listwise) or missing='reweight' (OPHI rule), or impute first"
    )
