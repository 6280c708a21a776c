"""Panels (``unit`` x ``time`` xarray Datasets) and their per unit-wave poverty states.

Every dynamic estimator (:func:`mpi.transitions`, :func:`mpi.spells`, :func:`mpi.chronic`,
:func:`mpi.decompose_change`) starts from :func:`panel_states`: one kernel pass over the
panel that gives each unit-wave its exact score, deprivation pattern and state. The
estimators' kernels then loop over units with time inside and emit additive statistics
per group, so chunking a panel along units and summing the statistics is exact.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numba
import numpy as np
import pandas as pd
import xarray as xr

from mpi import kernels
from mpi._common.panel_layout import (
    BALANCE,
    PanelLayout,
    check_panel,
    flat_column,
    parallel_chunks,
    unit_groups,
    unit_weights,
)
from mpi._common.table import Groups, caller_level, readonly
from mpi.errors import CategoryWarning, DataError, ValidationError
from mpi.measurement.encode import encode_indicator
from mpi.measurement.spec import Spec

__all__ = ["PanelStates", "panel_states", "check_panel", "BALANCE", "STATE_NAMES", "BAND_NAMES"]

#: State labels of ``states="poverty"`` and ``states="bands"``.
STATE_NAMES = ("nonpoor", "poor")
BAND_NAMES = ("nonpoor", "vulnerable", "poor", "severe")












@dataclass(frozen=True)
class PanelStates:
    """Per unit-wave states of a panel (arrays ``(unit, time)``) plus unit weights and groups.

    ``num`` is the exact score numerator over ``denom`` (-1 for an unobserved unit-wave),
    ``pattern`` the deprivation bits, ``state`` the code of :mod:`mpi.kernels.panel`
    (-1 unobserved, 0 nonpoor, 1 vulnerable, 2 poor, 3 severe). ``weight`` is float64 per
    unit (1 without a weight variable; NaN marks a unit without a weight, which every
    estimator drops and counts). ``cell`` holds the group code of each unit (``groups``)
    or is empty without ``by``.
    """

    spec: Spec
    k: Fraction
    layout: PanelLayout
    num: np.ndarray
    pattern: np.ndarray
    state: np.ndarray
    denom: int
    weight: np.ndarray
    weight_name: str | None
    groups: Groups | None
    by: list[str] = field(default_factory=list)

    @property
    def cell(self) -> np.ndarray:
        g = self.groups
        if g is None:
            return readonly(np.zeros(self.layout.n_units, np.int64))
        return readonly(np.asarray(g.codes, np.int64) - g.offset)

    @property
    def n_cells(self) -> int:
        return 1 if self.groups is None else self.groups.n_cells

    @property
    def wint(self) -> np.ndarray:
        return self.spec.integer_weights[0]

    @property
    def score(self) -> np.ndarray:
        """Deprivation scores ``c_it`` as floats (NaN when unobserved)."""
        out = self.num / float(self.denom)
        out[self.num < 0] = np.nan
        return out

    @property
    def n_unobserved(self) -> int:
        """Unit-waves without a state (a missing indicator value)."""
        return int((self.state < 0).sum())

    def reuse(
        self, *, spec: Spec | None, k: Any, weight: str | None, by: Any, min_waves: int
    ) -> PanelStates:
        """These states for another estimator: the arguments, when given, must match the
        ones the states were computed with (a new weight, ``by`` or ``k`` needs new states)."""
        given_by = None if by is None else ([by] if isinstance(by, str) else list(by))
        checks = [
            ("spec", spec, self.spec, spec is not None and spec != self.spec),
            ("k", k, self.k, k is not None and self.spec.cutoff_fraction(k) != self.k),
            ("weight", weight, self.weight_name, weight is not None and weight != self.weight_name),
            ("by", by, self.by, given_by is not None and given_by != self.by),
        ]
        for name, got, have, differs in checks:
            if differs:
                raise ValidationError(
                    f"{name}={got!r} differs from the {name} the PanelStates were computed with "
                    f"({have!r}); compute new states with mpi.panel_states(panel, spec, "
                    f"{name}=...) or leave {name} out"
                )
        if self.layout.n_waves < min_waves:
            raise DataError(
                f"the panel has {self.layout.n_waves} wave(s); this estimator needs at least "
                f"{min_waves}"
            )
        return self

    def __repr__(self) -> str:
        lay = self.layout
        return (
            f"<mpi.PanelStates spec={self.spec.name or 'custom'!r} k={self.k} "
            f"units={lay.n_units:,} waves={lay.n_waves} weight={self.weight_name!r} "
            f"by={self.by} unobserved={self.n_unobserved:,}>"
        )

    def group_values(self) -> dict[str, pd.Categorical]:
        """Each unit's label per ``by`` variable, as a categorical (missing: NaN)."""
        g = self.groups
        if g is None:
            return {}
        idx = np.unravel_index(np.asarray(g.codes, np.int64) - g.offset, g.ext_shape)
        out = {}
        for name, lab, ix in zip(g.names, g.labels, idx, strict=True):
            codes = np.where(ix == len(lab), -1, ix)  # the missing slot -> NaN
            out[name] = pd.Categorical.from_codes(codes, categories=pd.Index(lab))
        return out

    def group_coords(self) -> dict[str, np.ndarray]:
        """Labels per ``by`` variable (known groups only)."""
        if self.groups is None:
            return {}
        return {
            b: np.asarray(lab) for b, lab in zip(self.groups.names, self.groups.labels, strict=True)
        }

    def split_cells(self, arr: np.ndarray, dims: Sequence[str]) -> xr.DataArray:
        """An array with the cells as first axis -> DataArray with one dim per ``by``
        variable (known labels only; units with a missing group stay in the totals)."""
        if self.groups is None:
            return xr.DataArray(arr[0], dims=list(dims))
        g = self.groups
        shaped = arr.reshape(g.ext_shape + arr.shape[1:])
        known = shaped[tuple(slice(0, n) for n in g.shape)]
        return xr.DataArray(known, dims=[*g.names, *dims], coords=self.group_coords())


def panel_states(
    panel: Any,
    spec: Spec | None = None,
    *,
    k: Any = None,
    weight: str | None = None,
    by: str | Sequence[str] | None = None,
    unit: Hashable = "unit",
    time: Hashable = "time",
    min_waves: int = 2,
) -> PanelStates:
    """Validate a panel and compute the state of every unit-wave in one kernel pass.

    Every panel estimator calls this first; compute the states once and pass them instead
    of the panel (``mpi.transitions(states)``, ``mpi.chronic(states, tau=...)``) to analyse
    one panel several ways with one pass over its data.

    Parameters
    ----------
    panel : xarray.Dataset or PanelStates
        Dims ``unit`` and ``time``: indicator variables over both, ``weight`` and ``by``
        over ``unit``, calendar years (numbers, decimals allowed) as the ``time``
        coordinate, sorted. Dask-backed panels are scored one chunk of units at a time.
    spec : mpi.Spec
        The specification (optional when ``panel`` already is a :class:`PanelStates`).
    k : optional
        Poverty cutoff overriding ``spec.k``.
    weight : str, optional
        Fixed panel weight over ``unit`` (e.g. the baseline weight); NaN drops the unit.
    by : str or list of str, optional
        Time-invariant group variables over ``unit``.
    unit, time : str
        Dimension names.
    min_waves : int
        Fewest waves the estimator needs.

    Returns
    -------
    PanelStates
        Per unit-wave exact score numerators, deprivation patterns and states
        (-1 unobserved, 0 nonpoor, 1 vulnerable, 2 poor, 3 severe).

    Notes
    -----
    A unit-wave with a missing indicator value is *unobserved* (a gap): panel estimators
    never impute a state; each one documents how it treats gaps (its ``balance`` policy).
    Identification is exact: with integer weights :math:`W_j` over the common denominator
    :math:`D`, the unit-wave is poor when :math:`\\sum_j W_j g_{ijt} \\cdot k_d \\ge k_n D`
    for :math:`k = k_n / k_d`.

    References
    ----------
    Alkire, S. and Foster, J. (2011). Counting and multidimensional poverty measurement.
    *Journal of Public Economics* 95(7-8), 476-487.

    Examples
    --------
    >>> import mpi
    >>> panel = mpi.datasets.load("registry_panel", format="xarray")
    >>> states = mpi.panel_states(panel, mpi.presets.china_2b3g(), weight="weight")
    >>> states.state.shape
    (5000, 8)
    >>> tr = mpi.transitions(states, balance="pairs")
    """
    if isinstance(panel, PanelStates):
        return panel.reuse(spec=spec, k=k, weight=weight, by=by, min_waves=min_waves)
    if not isinstance(spec, Spec):
        raise ValidationError(
            f"spec must be an mpi.Spec (e.g. mpi.presets.china_2b3g()); got {type(spec).__name__}"
            + (
                ". It may be omitted only when the first argument is an mpi.PanelStates"
                if spec is None
                else ""
            )
        )
    if len(spec) > kernels.panel.MAX_D:
        raise ValidationError(
            f"panel estimators handle at most {kernels.panel.MAX_D} indicators; the spec has "
            f"{len(spec)}"
        )
    kk = spec.cutoff_fraction(k) if k is not None else spec.k
    layout = check_panel(panel, unit=unit, time=time, min_waves=min_waves)
    if layout.n_units == 0:
        raise DataError("panel has no units; nothing to measure")
    by_names, groups = unit_groups(panel, by, layout)
    sw = unit_weights(panel, weight, layout)
    n, T = layout.n_units, layout.n_waves
    # the narrowest integers that hold a score numerator and a pattern: less memory
    # traffic for every estimator that reads them
    num = np.empty(n * T, np.int16 if spec.denominator < 2**15 else np.int32)
    d = len(spec)
    pattern = np.empty(n * T, np.int16 if d <= 15 else np.int32 if d <= 31 else np.int64)
    state = np.empty(n * T, np.int8)
    # dask-backed panels are scored one chunk of units at a time (bounded memory); units
    # are independent, so the states do not depend on the chunking
    blocks = _unit_blocks(panel, spec, layout)
    absent: dict[str, set] = {}  # per indicator: categories absent from every block so far
    for i, (a, b) in enumerate(blocks):
        whole = (a, b) == (0, n)
        sub = (
            layout
            if whole
            else PanelLayout(
                layout.unit_dim, layout.time_dim, layout.units[a:b], layout.times, layout.years
            )
        )
        block = panel if whole else panel.isel({layout.unit_dim: slice(a, b)})
        rows = slice(a * T, b * T)
        if len(blocks) == 1:
            _score_block(block, spec, kk, sub, num[rows], pattern[rows], state[rows])
            continue
        with warnings.catch_warnings(record=True) as caught:  # a category may be in one block
            warnings.simplefilter("always", CategoryWarning)
            _score_block(block, spec, kk, sub, num[rows], pattern[rows], state[rows])
        _merge_absent(absent, caught, first=i == 0)
    _warn_absent_blocks(absent, spec)
    shape = (n, T)
    num, pattern, state = num.reshape(shape), pattern.reshape(shape), state.reshape(shape)
    return PanelStates(
        spec=spec,
        k=kk,
        layout=layout,
        num=readonly(num),
        pattern=readonly(pattern),
        state=readonly(state),
        denom=int(spec.integer_weights[1]),
        weight=readonly(sw),
        weight_name=weight,
        groups=groups,
        by=by_names,
    )












def _merge_absent(absent: dict[str, set], caught: list, *, first: bool) -> None:
    """Keep, per indicator, the categories absent from every block scored so far (re-issue
    any other warning a block raised)."""
    seen: dict[str, set] = {}
    for w in caught:
        if isinstance(w.message, CategoryWarning) and w.message.indicator is not None:
            seen.setdefault(w.message.indicator, set()).update(w.message.absent)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if first:
        absent.update(seen)
        return
    for name in list(absent):
        absent[name] &= seen.get(name, set())


def _warn_absent_blocks(absent: dict[str, set], spec: Spec) -> None:
    """One :class:`CategoryWarning` per indicator whose categories occur in no block."""
    for name, cats in absent.items():
        if not cats:
            continue
        ind = spec[name]
        listed = [c for c in (ind.cutoff if ind.deprived_if == "in" else [ind.cutoff]) if c in cats]
        warnings.warn(
            CategoryWarning(
                f"indicator {name!r}: the categories {listed!r} never occur in variable "
                f"{ind.variable!r}. A misspelt category lowers the deprivation count "
                "silently: check the categories (spelling and case); if one is simply absent "
                "from these data, ignore this warning (mpi.CategoryWarning)",
                name,
                tuple(listed),
            ),
            stacklevel=caller_level(),
        )


def _unit_blocks(panel: xr.Dataset, spec: Spec, layout: PanelLayout) -> list[tuple[int, int]]:
    """Unit ranges to score at once: the dask chunks along ``unit`` of the first chunked
    indicator variable, or the whole panel for in-memory data."""
    for v in spec.variables:
        chunks = panel[v].chunksizes.get(layout.unit_dim) if v in panel.variables else None
        if chunks:
            edges = np.concatenate([[0], np.cumsum(chunks)])
            return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:], strict=True)]
    return [(0, layout.n_units)]


def _score_block(
    panel: xr.Dataset,
    spec: Spec,
    kk: Fraction,
    layout: PanelLayout,
    num: np.ndarray,
    pattern: np.ndarray,
    state: np.ndarray,
) -> None:
    """Kernel pass over one block of units, written into the flat output slices."""
    cols = numba.typed.List()
    rules = np.empty(len(spec), np.int64)
    cutoffs = np.empty(len(spec), np.float64)
    for j, ind in enumerate(spec):
        values, rule, cut = encode_indicator(
            flat_column(panel, ind.variable, layout, "indicator"), ind
        )
        cols.append(readonly(np.asarray(values, np.float64)))
        rules[j] = kernels.RULE_CODES[rule]
        cutoffs[j] = cut
    wint, denom = spec.integer_weights
    n_chunks = parallel_chunks(layout.n_units)
    err = kernels.panel.panel_scores(
        cols,
        rules,
        cutoffs,
        wint,
        denom,
        layout.n_waves,
        kk.numerator,
        kk.denominator,
        spec.vulnerable.numerator,
        spec.vulnerable.denominator,
        spec.severe.numerator,
        spec.severe.denominator,
        n_chunks,
        num,
        pattern,
        state,
    )
    if err[:, 0].any():
        row = err[np.flatnonzero(err[:, 0])[0]]
        ind = spec.indicators[int(row[1])]
        raise DataError(
            f"variable {ind.variable!r} of indicator {ind.name!r} must hold 0/1 (1 = deprived) "
            f"because the indicator has no cutoff; found the value {row[2]:g}. Give the "
            "indicator a cutoff and deprived_if, or recode the variable"
        )




