"""Panels (``unit`` x ``time`` xarray Datasets) and their per unit-wave poverty states.

Every dynamic estimator (:func:`mpi.transitions`, :func:`mpi.spells`, :func:`mpi.chronic`,
:func:`mpi.decompose_change`) starts from :func:`panel_states`: one kernel pass over the
panel that gives each unit-wave its exact score, deprivation pattern and state. The
estimators' kernels then loop over units with time inside and emit additive statistics
per group, so chunking a panel along units and summing the statistics is exact.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from mpi import kernels
from mpi._common.chunked import is_lazy
from mpi._common.exact import fraction_text
from mpi._common.labels import text
from mpi._common.panel_layout import (
    BALANCE,
    PanelLayout,
    check_panel,
    unit_groups,
    unit_weights,
)
from mpi._common.result import ResultBase, label_table
from mpi._common.table import Groups, readonly
from mpi.dynamics._scoring import score_panel
from mpi.dynamics.states_chunked import block_sums, is_lazy_states, lazy_states
from mpi.errors import DataError, ValidationError
from mpi.measurement.spec import Spec

__all__ = [
    "PanelStates",
    "panel_states",
    "check_panel",
    "BALANCE",
    "STATE_NAMES",
    "BAND_NAMES",
    "STATE_CODES",
    "none_value",
    "spec_value",
]

#: State labels of ``states="poverty"`` and ``states="bands"``.
STATE_NAMES = ("nonpoor", "poor")
BAND_NAMES = ("nonpoor", "vulnerable", "poor", "severe")
#: Codes of :attr:`PanelStates.state` and their labels.
STATE_CODES = {-1: "unobserved", 0: "nonpoor", 1: "vulnerable", 2: "poor", 3: "severe"}


def none_value(value: object, lang: str) -> str:
    """An attribute's value for a summary line, with ``"none"`` and ``"n/a"`` in ``lang``.

    Parameters
    ----------
    value
        A Dataset attribute (``"none"``, ``"n/a"``, a variable name, a number ...).
    lang
        ``"en"`` or ``"zh"``.

    Returns
    -------
    str
        The catalogue's word for ``"none"`` or ``"n/a"``; any other value as a string.
    """
    words = {"none": "result.value.none", "n/a": "result.value.not_applicable"}
    return text(words[value], lang) if value in words else str(value)  # type: ignore[index]


def spec_value(attrs: Mapping[str, Any], lang: str) -> str:
    """The spec line of a panel result's summary (``"china_2b3g (k=1/7)"``).

    Parameters
    ----------
    attrs
        The result's Dataset attributes (``spec``, ``k`` and, when the poverty status came
        from a variable instead of a spec, ``status_variable``).
    lang
        ``"en"`` or ``"zh"``.

    Returns
    -------
    str
        The spec's name, or the status variable used instead, with the poverty cutoff.
    """
    spec = attrs.get("spec", "custom")
    if "status_variable" in attrs:
        spec = text("result.value.spec_status", lang, status=attrs["status_variable"])
    elif spec == "none (status)":
        spec = text("result.value.spec_status_unnamed", lang)
    elif spec == "custom":
        spec = text("result.value.custom", lang)
    k = none_value(attrs.get("k", "?"), lang)
    return text("result.value.spec_k", lang, name=spec, k=k)


@dataclass(frozen=True)
class PanelStates(ResultBase):
    """Per unit-wave states of a panel (arrays ``(unit, time)``) plus unit weights and groups.

    ``num`` is the exact score numerator over ``denom`` (-1 for an unobserved unit-wave),
    ``pattern`` the deprivation bits, ``state`` the code of :mod:`mpi.kernels.panel`
    (-1 unobserved, 0 nonpoor, 1 vulnerable, 2 poor, 3 severe). ``weight`` is float64 per
    unit (1 without a weight variable; NaN marks a unit without a weight, which every
    estimator drops and counts). ``cell`` holds the group code of each unit (``groups``)
    or is empty without ``by``.

    A result like the estimators' (:class:`~mpi._common.result.ResultBase`):
    :meth:`to_dataset` gives the states, scores, patterns and weights as a Dataset,
    :meth:`summary` the unit-waves per state and wave, :meth:`by_group` the same per
    ``by`` group.
    """

    title = "Panel states"
    call = "mpi.panel_states"

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
    def lazy(self) -> bool:
        """True when the states are dask arrays (computed block by block on demand)."""
        return is_lazy_states(self)

    @property
    def cell(self) -> np.ndarray:
        """Group cell of each unit as the kernels number them (zeros without ``by``)."""
        g = self.groups
        if self.lazy:
            import dask.array as da

            chunks = self.state.chunks[0]
            if g is None:
                return da.zeros(self.layout.n_units, np.int64, chunks=chunks)
            return g.codes.astype(np.int64) - g.offset
        if g is None:
            return readonly(np.zeros(self.layout.n_units, np.int64))
        return readonly(np.asarray(g.codes, np.int64) - g.offset)

    @property
    def n_cells(self) -> int:
        """Number of group cells (1 without ``by``)."""
        return 1 if self.groups is None else self.groups.n_cells

    @property
    def wint(self) -> np.ndarray:
        """Integer indicator weights over the common denominator :attr:`denom`."""
        return self.spec.integer_weights[0]

    @property
    def score(self) -> np.ndarray:
        """Deprivation scores ``c_it`` as floats (NaN when unobserved)."""
        return np.where(self.num < 0, np.nan, self.num / float(self.denom))

    @property
    def n_unobserved(self) -> int:
        """Unit-waves without a state (a missing indicator value)."""
        return int((self.state < 0).sum())

    def reuse(
        self, *, spec: Spec | None, k: Any, weight: str | None, by: Any, min_waves: int
    ) -> PanelStates:
        """These states for another estimator.

        The arguments, when given, must match the ones the states were computed with (a
        new weight, ``by`` or ``k`` needs new states).

        Parameters
        ----------
        spec, k, weight, by
            The estimator's arguments (None: not given).
        min_waves
            Fewest waves the estimator needs.

        Returns
        -------
        PanelStates
            ``self``.
        """
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
            f"by={self.by} "
            + ("lazy (dask)>" if self.lazy else f"unobserved={self.n_unobserved:,}>")
        )

    def group_values(self) -> dict[str, pd.Categorical]:
        """Each unit's label per ``by`` variable, as a categorical (missing: NaN).

        Returns
        -------
        dict of str to pandas.Categorical
            One categorical of length ``n_units`` per ``by`` variable (empty without ``by``).
        """
        g = self.groups
        if g is None:
            return {}
        if self.lazy:
            raise DataError(
                "the group labels of every unit of a dask panel would be loaded at once; "
                "use to_dataset() (lazy, the by variables as coordinates), by_group() or "
                "unit_group_values(rows)"
            )
        return self._categoricals(np.asarray(g.codes, np.int64))

    def unit_group_values(self, rows: np.ndarray) -> dict[str, pd.Categorical]:
        """The labels per ``by`` variable of the units at positions ``rows`` (for lazy
        states only those units' group codes are computed).

        Parameters
        ----------
        rows
            Integer positions of units in the panel.

        Returns
        -------
        dict of str to pandas.Categorical
            One categorical of ``len(rows)`` labels per ``by`` variable (missing: NaN).
        """
        g = self.groups
        if g is None:
            return {}
        return self._categoricals(np.asarray(g.codes[np.asarray(rows, np.int64)], np.int64))

    def _categoricals(self, codes: np.ndarray) -> dict[str, pd.Categorical]:
        g = self.groups
        idx = np.unravel_index(codes - g.offset, g.ext_shape)
        out = {}
        for name, lab, ix in zip(g.names, g.labels, idx, strict=True):
            codes = np.where(ix == len(lab), -1, ix)  # the missing slot -> NaN
            out[name] = pd.Categorical.from_codes(codes, categories=pd.Index(lab))
        return out

    def group_coords(self) -> dict[str, np.ndarray]:
        """Labels per ``by`` variable (known groups only).

        Returns
        -------
        dict of str to numpy.ndarray
            The labels of each ``by`` variable (empty without ``by``).
        """
        if self.groups is None:
            return {}
        return {
            b: np.asarray(lab) for b, lab in zip(self.groups.names, self.groups.labels, strict=True)
        }

    def split_cells(self, arr: np.ndarray, dims: Sequence[str]) -> xr.DataArray:
        """An array with the cells as first axis -> DataArray with one dim per ``by`` variable.

        Known labels only: units with a missing group stay in the totals.

        Parameters
        ----------
        arr
            Array ``[cell, ...]``.
        dims
            Names of the dims after the cell axis.

        Returns
        -------
        xarray.DataArray
            Dims ``(*by, *dims)`` with the group labels as coordinates (``dims`` only
            without ``by``).
        """
        if self.groups is None:
            return xr.DataArray(arr[0], dims=list(dims))
        g = self.groups
        shaped = arr.reshape(g.ext_shape + arr.shape[1:])
        known = shaped[tuple(slice(0, n) for n in g.shape)]
        return xr.DataArray(known, dims=[*g.names, *dims], coords=self.group_coords())

    # -- the result interface ------------------------------------------------------------
    def _data(self) -> xr.Dataset:
        return self._dataset

    @cached_property
    def _dataset(self) -> xr.Dataset:
        lay = self.layout
        u, t = lay.unit_dim, lay.time_dim
        ut = (u, t)
        state = xr.Variable(ut, self.state, _state_attrs(self.spec is not None))
        data: dict[Hashable, Any] = {"state": state}
        if self.spec is not None:
            data["score"] = xr.Variable(
                ut, self.score, {"long_name": "deprivation score c_it (NaN: unobserved)"}
            )
            data["deprivation_pattern"] = xr.Variable(
                ut,
                self.pattern,
                {
                    "long_name": "deprivation pattern: bit j set when deprived in indicator j",
                    "indicators": ", ".join(self.spec.names),
                },
            )
        data["weight"] = xr.Variable(
            (u,), self.weight, {"long_name": "panel weight (NaN: missing, unit dropped)"}
        )
        coords: dict[Hashable, Any] = {u: lay.units, t: lay.times}
        if self.lazy:
            coords.update({b: (u, self._lazy_group_values(b)) for b in self.by})
        else:
            coords.update({b: (u, np.asarray(v)) for b, v in self.group_values().items()})
        return xr.Dataset(data, coords=coords, attrs=self._attrs())

    def _attrs(self) -> dict[str, Any]:
        lay = self.layout
        return {
            "title": "Poverty states of the unit-waves of a panel",
            "spec": "none (status)" if self.spec is None else (self.spec.name or "custom"),
            "k": "n/a" if self.k is None else fraction_text(self.k),
            "weight": self.weight_name or "none",
            "by": ", ".join(self.by) or "none",
            "n_units": lay.n_units,
            "n_waves": lay.n_waves,
            "waves": ", ".join(f"{y:g}" for y in lay.years),
            "n_unobserved": self.n_unobserved,
        }

    def _frame_variables(self) -> list[str]:
        return ["state", "score"] if self.spec is not None else ["state"]

    def _header(self, lang: str) -> list[tuple[str, str]]:
        a = self._attrs()
        return [
            (text("result.header.spec", lang), spec_value(a, lang)),
            (text("result.header.waves", lang), a["waves"]),
            (text("result.header.units", lang), f"{a['n_units']:,}"),
            (text("result.header.panel_weight", lang), none_value(a["weight"], lang)),
            (text("result.header.groups", lang), none_value(a["by"], lang)),
            (text("result.header.unobserved", lang), f"{a['n_unobserved']:,}"),
        ]

    def _lazy_group_values(self, name: str) -> Any:
        """The labels of ``by`` variable ``name`` per unit, as a dask array."""
        g = self.groups
        i = g.names.index(name)
        lab = np.append(np.asarray(g.labels[i], dtype=object), np.nan)  # the missing slot
        after = int(np.prod(g.ext_shape[i + 1 :], dtype=np.int64))
        pos = (g.codes - g.offset) // after % g.ext_shape[i]
        return pos.map_blocks(lambda p: lab[p], dtype=object)

    def _tables(self, lang: str) -> list[tuple[str, pd.DataFrame]]:
        counts = self._state_counts(grouped=False)
        table = label_table(counts["count"].isel(cell=0).to_pandas(), lang, cells=True)
        return [(text("result.table.state_counts", lang), table)]

    def _grouped(self) -> xr.Dataset | None:
        if self.groups is None:
            return None
        return self._state_counts(grouped=True)

    def state_count_sums(self, grouped: bool) -> tuple[np.ndarray, np.ndarray]:
        """Unit-waves and their weights per cell, wave and state code (additive).

        Parameters
        ----------
        grouped
            Per group cell (else one cell: all units).

        Returns
        -------
        tuple of numpy.ndarray
            ``count`` (int64) and ``weighted`` (float64), each ``[cell, wave, state + 1]``;
            units without a weight count 0 in ``weighted``.
        """
        lay = self.layout
        T, S = lay.n_waves, len(STATE_CODES)
        n_cells = self.n_cells if grouped else 1
        cell = self.cell if grouped else np.zeros(lay.n_units, np.int64)
        key = (cell[:, None] * T + np.arange(T)[None, :]) * S + (self.state + 1)
        size = n_cells * T * S
        count = np.bincount(key.ravel(), minlength=size).reshape(n_cells, T, S)
        w = np.broadcast_to(np.nan_to_num(self.weight)[:, None], key.shape)
        weighted = np.bincount(key.ravel(), w.ravel(), minlength=size).reshape(n_cells, T, S)
        return count, weighted

    def _state_counts(self, *, grouped: bool) -> xr.Dataset:
        """Unit-waves (``count``) and their weights (``weighted_count``, units without a
        weight left out) per cell, wave and state."""
        lay = self.layout
        split = grouped
        count, weighted = block_sums(self, lambda ps: ps.state_count_sums(grouped))
        dims = [str(lay.time_dim), "state"]
        coords = {dims[0]: lay.times, "state": list(STATE_CODES.values())}
        if split:
            parts = {
                "count": self.split_cells(count, dims),
                "weighted_count": self.split_cells(weighted, dims),
            }
        else:
            parts = {
                "count": xr.DataArray(count, dims=["cell", *dims]),
                "weighted_count": xr.DataArray(weighted, dims=["cell", *dims]),
            }
        out = xr.Dataset(parts).assign_coords(coords)
        out["count"].attrs = {"long_name": "unit-waves in the state (unweighted)", "units": "1"}
        out["weighted_count"].attrs = {
            "long_name": "sum of the panel weights of the unit-waves in the state",
            "units": "1",
        }
        out.attrs = self._attrs()
        return out


def _state_attrs(bands: bool) -> dict[str, Any]:
    """CF flag attributes of the ``state`` variable."""
    codes = STATE_CODES if bands else {c: n for c, n in STATE_CODES.items() if c in (-1, 0, 2)}
    return {
        "long_name": "poverty state of the unit-wave",
        "flag_values": np.array(list(codes), np.int8),
        "flag_meanings": " ".join(codes.values()),
    }


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
    if is_lazy(panel, spec.variables):  # a dask panel: states scored block by block
        fields = lazy_states(panel, spec, kk, layout, weight, by)
        return PanelStates(
            spec=spec,
            k=kk,
            layout=layout,
            denom=int(spec.integer_weights[1]),
            weight_name=weight,
            **fields,
        )
    by_names, groups = unit_groups(panel, by, layout)
    sw = unit_weights(panel, weight, layout)
    num, pattern, state = score_panel(panel, spec, kk, layout)
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
