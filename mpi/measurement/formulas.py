"""The one table of Alkire-Foster formulas, evaluated on arrays or on linearised estimates.

The measures follow flox's ``Aggregation`` blueprint *chunk -> combine -> finalize*:

* **chunk**: the kernel sums additive statistics per cell (``SUMW``, ``POOR``, ``CP`` ...;
  :data:`mpi.measurement.finalize.STAT_VARS`), per group, PSU or replicate;
* **combine**: statistics add up, so aggregating cells is a sum; the group shares also read
  the sums over the groups (``SUMW_KNOWN``: units with a known group) and over all units
  (``SUMW_ALL``, ``CP_ALL``: units with a missing group included);
* **finalize**: every measure is a function of those sums, written *once* in
  :data:`FORMULAS` as ``fn(t, ops)``: ``t`` gives the statistics (and the other formulas'
  values) by name, ``ops`` the few operations that differ between the two evaluations:

  - :class:`ArrayOps`: numpy arrays with named dims (:class:`Labeled`), for the point
    estimates of :func:`mpi.measurement.finalize.finalize`;
  - :class:`EstimateOps`: :class:`~mpi.Estimate` values (linearised influence values or
    replicate estimates), for the standard errors of
    :func:`mpi.measurement.estimands.estimates`.

Both evaluate the same table, so a measure's standard error is always the linearisation (or
replication) of the published number. Arithmetic (``+ - *``) is the values' own; a ratio is
:func:`mpi._common.ratio.ratio` (NaN where the denominator is 0) on arrays and the
:class:`~mpi.Estimate` division (same rule, with its derivative) on estimates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import xarray as xr

from mpi._common.ratio import ratio

__all__ = [
    "Formula",
    "FORMULAS",
    "COMBINED",
    "Ops",
    "ArrayOps",
    "EstimateOps",
    "Labeled",
    "aligned",
    "Terms",
    "evaluate",
    "formula_names",
    "dimension_membership",
]

#: Sums over the groups that the group formulas read (the *combine* step): ``SUMW_KNOWN``
#: over the units with a known group, ``SUMW_ALL`` and ``CP_ALL`` over all units.
COMBINED = ("SUMW_KNOWN", "SUMW_ALL", "CP_ALL")


class Ops(Protocol):
    """The operations a formula needs beyond ``+``, ``-`` and ``*``."""

    def ratio(self, num: Any, den: Any) -> Any:
        """``num / den``, NaN where ``den`` is 0."""

    def clip_lower(self, x: Any, lo: float) -> Any:
        """``max(x, lo)`` (NaN stays NaN)."""

    def select(self, mask: np.ndarray, if_true: Any, if_false: Any) -> Any:
        """``if_true`` where the boolean ``mask`` along ``k`` holds, else ``if_false``."""

    def dot(self, x: Any, matrix: xr.DataArray, dim: str) -> Any:
        """Matrix product of ``x`` with ``matrix`` over their shared ``dim``."""


@dataclass(frozen=True)
class Formula:
    """One measure as a function of the additive statistics.

    Parameters
    ----------
    name : str
        The variable's name (in :meth:`mpi.MeasureResult.to_dataset` and as an estimand).
    needs : tuple of str
        What ``fn`` reads from ``t``: statistics, :data:`COMBINED` sums, ``above_severe`` or
        other formulas (documentation, and checked by the tests).
    fn : callable
        ``fn(t, ops)``: the measure from the :class:`Terms` ``t`` with the :class:`Ops`.
    groups : bool
        A share among groups: only evaluated when the result has groups.
    in_dataset : bool
        A variable of the result's Dataset (``absolute_contribution`` is an estimand only).
    proportion : bool
        Bounded by [0, 1], so logit confidence intervals apply.
    """

    name: str
    needs: tuple[str, ...]
    fn: Callable[[Terms, Ops], Any]
    groups: bool = False
    in_dataset: bool = True
    proportion: bool = True


class Labeled:
    """A numpy array with named dims; ``+``, ``-`` and ``*`` broadcast by dim name.

    The point evaluation's value (a light :class:`xarray.Variable`: formulas run on every
    :meth:`mpi.MeasureResult.to_dataset`, so no xarray machinery per operation). The result
    of an operation has the dims of the left operand, then the right one's others.
    """

    __slots__ = ("dims", "values")

    def __init__(self, dims: tuple[str, ...], values: np.ndarray) -> None:
        self.dims = tuple(dims)
        self.values = values

    @classmethod
    def of(cls, var: xr.Variable | xr.DataArray) -> Labeled:
        """The array of an xarray Variable or DataArray (no copy)."""
        return cls(tuple(var.dims), var.values)

    def variable(self) -> xr.Variable:
        """As an :class:`xarray.Variable`."""
        return xr.Variable(self.dims, self.values)

    def _op(self, other: Any, op: Callable[[Any, Any], Any], reflected: bool = False) -> Labeled:
        if not isinstance(other, Labeled):
            other = Labeled((), np.asarray(other))
        left, right = (other, self) if reflected else (self, other)
        dims, (a, b) = aligned(left, right)
        return Labeled(dims, op(a, b))

    def __add__(self, other: Any) -> Labeled:
        return self._op(other, np.add)

    def __radd__(self, other: Any) -> Labeled:
        return self._op(other, np.add, reflected=True)

    def __sub__(self, other: Any) -> Labeled:
        return self._op(other, np.subtract)

    def __rsub__(self, other: Any) -> Labeled:
        return self._op(other, np.subtract, reflected=True)

    def __mul__(self, other: Any) -> Labeled:
        return self._op(other, np.multiply)

    def __rmul__(self, other: Any) -> Labeled:
        return self._op(other, np.multiply, reflected=True)


def aligned(*arrays: Labeled) -> tuple[tuple[str, ...], list[np.ndarray]]:
    """The union of the arrays' dims (in order of first appearance) and each array as a
    view on it: its axes in that order, size-1 axes for the dims it lacks (numpy then
    broadcasts them)."""
    dims: list[str] = []
    for arr in arrays:
        dims += [d for d in arr.dims if d not in dims]
    out = []
    for arr in arrays:
        values = arr.values
        if arr.dims != tuple(dims):
            own = [d for d in dims if d in arr.dims]
            values = np.transpose(values, [arr.dims.index(d) for d in own])
            shape = [values.shape[own.index(d)] if d in own else 1 for d in dims]
            values = values.reshape(shape)
        out.append(values)
    return tuple(dims), out


class ArrayOps:
    """Point evaluation: values are :class:`Labeled` numpy arrays, broadcast by dim name as
    the :class:`~mpi.Estimate` algebra does."""

    kind = "array"

    def ratio(self, num: Labeled, den: Labeled) -> Labeled:
        """:func:`mpi._common.ratio.ratio` of the broadcast values (dims in ``num``'s order,
        then ``den``'s others)."""
        dims, (a, b) = aligned(num, den)
        return Labeled(dims, ratio(a, b))

    def clip_lower(self, x: Labeled, lo: float) -> Labeled:
        """``numpy.maximum(x, lo)`` (NaN propagates)."""
        return Labeled(x.dims, np.maximum(x.values, lo))

    def select(self, mask: np.ndarray, if_true: Labeled, if_false: Labeled) -> Labeled:
        """``numpy.where`` with the mask along ``k``."""
        m = Labeled(("k",), np.asarray(mask, bool))
        dims, (a, b, w) = aligned(if_true, if_false, m)
        return Labeled(dims, np.where(w, a, b))

    def dot(self, x: Labeled, matrix: xr.DataArray, dim: str) -> Labeled:
        """``x @ matrix`` over ``dim`` (moved last in ``x``, first in ``matrix``)."""
        (other,) = [d for d in matrix.dims if d != dim]
        rest = tuple(d for d in x.dims if d != dim)
        values = np.moveaxis(x.values, x.dims.index(dim), -1)
        return Labeled((*rest, other), values @ matrix.transpose(dim, other).values)


class EstimateOps:
    """Evaluation on :class:`~mpi.Estimate` values: every operation carries the
    linearisation (chain rule) or the replicate recomputation."""

    kind = "estimate"

    def ratio(self, num: Any, den: Any) -> Any:
        """The :class:`~mpi.Estimate` division (NaN where the denominator is 0)."""
        return num / den

    def clip_lower(self, x: Any, lo: float) -> Any:
        """:meth:`mpi.Estimate.clip_lower` (derivative passed through)."""
        return x.clip_lower(lo)

    def select(self, mask: np.ndarray, if_true: Any, if_false: Any) -> Any:
        """``if_false * (1 - m) + if_true * m`` with ``m`` the 0/1 mask along ``k``."""
        m = xr.DataArray(np.asarray(mask).astype(np.float64), dims="k")
        return if_false * (1.0 - m) + if_true * m

    def dot(self, x: Any, matrix: xr.DataArray, dim: str) -> Any:
        """:meth:`mpi.Estimate.dot`."""
        return x.dot(matrix, dim)


class Terms:
    """What the formulas read, by name (``t.POOR`` or ``t["POOR"]``), each computed once.

    A formula's name evaluates that formula (so ``intensity_variance`` reads ``t.A``); any
    other name is a statistic or :data:`COMBINED` sum, from ``fetch(name, terms)`` in the
    ops' kind of value. :meth:`stat` reads a statistic whose name is also a formula's
    (``M1``, ``M2``).

    Parameters
    ----------
    fetch : callable
        ``fetch(name, terms)``: a statistic (or combined sum) as the ops' kind of value.
    ops : Ops
        The operations of the evaluation.
    membership : xarray.DataArray
        0/1 matrix ``(dimension, indicator)``: which indicator is in which dimension.
    above_severe : numpy.ndarray or None
        Booleans along ``k`` (0-d for one cutoff): the cutoff lies above the severity cutoff
        (see :func:`mpi.measurement.finalize.finalize`); None when no cutoff does.
    table : dict, optional
        The formulas (default :data:`FORMULAS`, read when the Terms is made).
    """

    def __init__(
        self,
        fetch: Callable[[str, Terms], Any],
        ops: Ops,
        *,
        membership: xr.DataArray,
        above_severe: np.ndarray | None,
        table: dict[str, Formula] | None = None,
    ) -> None:
        self.fetch = fetch
        self.ops = ops
        self.membership = membership
        self.above_severe = above_severe
        self.table = FORMULAS if table is None else table
        self._values: dict[str, Any] = {}
        self._stats: dict[str, Any] = {}

    def stat(self, name: str) -> Any:
        """Statistic (or :data:`COMBINED` sum) ``name``, fetched once."""
        if name not in self._stats:
            self._stats[name] = self.fetch(name, self)
        return self._stats[name]

    def __getitem__(self, name: str) -> Any:
        formula = self.table.get(name)
        if formula is None:
            return self.stat(name)
        if name not in self._values:
            self._values[name] = formula.fn(self, self.ops)
        return self._values[name]

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return self[name]


def formula_names(*, groups: bool, table: dict[str, Formula] | None = None) -> list[str]:
    """Names of the formulas to evaluate: all of them, or those that need no groups.

    Parameters
    ----------
    groups : bool
        Whether the result has groups (the group shares apply).
    table : dict, optional
        The formulas (default :data:`FORMULAS`).

    Returns
    -------
    list of str
        Formula names in table order.
    """
    table = FORMULAS if table is None else table
    return [n for n, f in table.items() if groups or not f.groups]


def evaluate(terms: Terms, names: Iterable[str]) -> dict[str, Any]:
    """The formulas ``names`` evaluated on ``terms``, in that order.

    Parameters
    ----------
    terms : Terms
        Statistics and operations of one evaluation (arrays or estimates).
    names : iterable of str
        Formula names (see :func:`formula_names`).

    Returns
    -------
    dict
        ``name -> value`` (:class:`Labeled` array or :class:`~mpi.Estimate`).
    """
    return {name: terms[name] for name in names}


def dimension_membership(spec: Any) -> xr.DataArray:
    """0/1 matrix ``(dimension, indicator)`` of a spec: which indicator is in which dimension.

    Parameters
    ----------
    spec : mpi.Spec
        The specification.

    Returns
    -------
    xarray.DataArray
        Float64 matrix with ``dimension`` and ``indicator`` coordinates.
    """
    return xr.DataArray(
        np.array(
            [[1.0 if spec.dimension_of(i) == d else 0.0 for i in spec] for d in spec.dimensions]
        ),
        dims=("dimension", "indicator"),
        coords={"dimension": spec.dimensions, "indicator": spec.names},
    )


# -- the formulas ---------------------------------------------------------------------------


def _severe_count(t: Terms, ops: Ops) -> Any:
    """Weight of the severely poor, ``c >= max(severe, k)``: the kernel's ``c >= severe``
    sum where ``k`` is at most the severity cutoff, the poor's where it lies above (there
    every poor unit is severely poor)."""
    above = t.above_severe
    if above is None or not np.any(above):
        return t.SEVERE
    if np.ndim(above) == 0:  # one cutoff, above severe
        return t.POOR
    return ops.select(above, t.POOR, t.SEVERE)


def _intensity_variance(t: Terms, ops: Ops) -> Any:
    """Population variance of ``c`` among the poor, ``E[c^2] - A^2`` (clipped at 0: it can
    dip below by rounding)."""
    return ops.clip_lower(ops.ratio(t.C2P, t.POOR) - t.A * t.A, 0.0)


def _group_contribution(t: Terms, ops: Ops) -> Any:
    """``population_share * M0_group / M0_overall = CP SUMW_ALL / (SUMW_KNOWN CP_ALL)``."""
    return ops.ratio(t.CP * t.SUMW_ALL, t.SUMW_KNOWN * t.CP_ALL)


def _table(*formulas: Formula) -> dict[str, Formula]:
    return {f.name: f for f in formulas}


#: Every AF measure, once: ``name -> Formula``. Order = order of the Dataset and estimands.
FORMULAS: dict[str, Formula] = _table(
    Formula("H", ("POOR", "SUMW"), lambda t, ops: ops.ratio(t.POOR, t.SUMW)),
    Formula("A", ("CP", "POOR"), lambda t, ops: ops.ratio(t.CP, t.POOR)),
    Formula("M0", ("CP", "SUMW"), lambda t, ops: ops.ratio(t.CP, t.SUMW)),
    Formula("M1", ("M1", "SUMW"), lambda t, ops: ops.ratio(t.stat("M1"), t.SUMW)),
    Formula("M2", ("M2", "SUMW"), lambda t, ops: ops.ratio(t.stat("M2"), t.SUMW)),
    Formula("vulnerable", ("VULN", "SUMW"), lambda t, ops: ops.ratio(t.VULN, t.SUMW)),
    Formula(
        "severe",
        ("SEVERE", "POOR", "SUMW", "above_severe"),
        lambda t, ops: ops.ratio(_severe_count(t, ops), t.SUMW),
    ),
    Formula("intensity_variance", ("C2P", "POOR", "A"), _intensity_variance, proportion=False),
    Formula("uncensored_headcount", ("DEP", "OBS"), lambda t, ops: ops.ratio(t.DEP, t.OBS)),
    Formula("censored_headcount", ("CDEP", "OBS"), lambda t, ops: ops.ratio(t.CDEP, t.OBS)),
    Formula("contribution", ("CONTRIB", "CP"), lambda t, ops: ops.ratio(t.CONTRIB, t.CP)),
    # w_j h_j (effective weights under reweighting): sums to M0 over indicators
    Formula(
        "absolute_contribution",
        ("CONTRIB", "SUMW"),
        lambda t, ops: ops.ratio(t.CONTRIB, t.SUMW),
        in_dataset=False,
    ),
    Formula(
        "dimension_contribution",
        ("CONTRIB", "CP", "membership"),
        lambda t, ops: ops.ratio(ops.dot(t.CONTRIB, t.membership, "indicator"), t.CP),
    ),
    Formula(
        "population_share",
        ("SUMW", "SUMW_KNOWN"),
        lambda t, ops: ops.ratio(t.SUMW, t.SUMW_KNOWN),
        groups=True,
    ),
    Formula(
        "group_contribution",
        ("CP", "SUMW_ALL", "SUMW_KNOWN", "CP_ALL"),
        _group_contribution,
        groups=True,
    ),
)
