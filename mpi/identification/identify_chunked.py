"""``mpi.identify`` on a dask-backed Dataset: bigger than memory, block by block.

A cross-section chunked along its unit dimension, or a panel (unit x time) chunked along
units, is identified one block of units at a time by the in-memory code
(:func:`mpi.identification.identify.prepare_units`,
:func:`mpi.identification.identify_core.identify_units`,
:func:`mpi.identification.identify.unit_dataset`): a unit's identification reads only its
own row (its own waves), so the blocks' outputs are the whole data's outputs cut into
blocks, bit for bit.

Two passes, both through the one chunk driver (:mod:`mpi._common.chunked`):

* at the call, :func:`~mpi._common.chunked.reduce_blocks` identifies every block and keeps
  only its additive totals (:func:`mpi.identification.identify_result.unit_totals`: weighted
  counts of poor, vulnerable and severe units, the measured weight, units poor and dropped,
  plus the missing values per indicator and the rows), summed in a tree of dask tasks. The
  counts, the :class:`~mpi.MissingDataWarning` and any :class:`~mpi.DataError` (invalid
  flags, negative weights, ``missing="raise"``) therefore come at the call, as in memory;
  ``summary()``, ``shares()`` and ``repr`` read these totals only;
* the per-unit outputs (``score``, the exact numerator and denominator, ``poor``,
  ``vulnerable``, ``severe``, ``deprived``, ``censored``, ``missing``,
  ``n_missing_indicators``, ``sampling_weight``) are
  :func:`~mpi._common.chunked.map_unit_blocks` of the same block function: dask-backed,
  chunked like the input along the units, computed only when asked (each computation
  reads the data again).

The errors are the whole data's: the blocks run ``missing="raise"`` as ``"drop"`` and
report their first invalid 0/1 value (per indicator) and first negative, infinite or
missing weight by position in the whole data (:data:`ROW`); the call then raises once,
in the in-memory order, with the in-memory message: the whole data's missing counts, the
global row of a negative weight, the first invalid value, the unit id of a bad panel
weight (:func:`mpi.identification.identify_core.missing_error`,
:func:`~mpi.identification.identify_core.bad_weight_error`,
:class:`~mpi.identification.identify_core.FlagError`,
:func:`mpi._common.panel_layout.unit_weights`).

Differences from the in-memory path: a categorical (string) indicator's check for cutoff
categories that never occur (:class:`~mpi.CategoryWarning`) runs block by block; unit ids
given as a dask-backed variable are refused (make them the unit dimension's coordinate,
which xarray keeps in memory).
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable
from fractions import Fraction
from typing import NamedTuple

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.chunked import add_aligned, map_unit_blocks, reduce_blocks
from mpi._common.panel_layout import PanelLayout, check_panel, unit_table, unit_weights
from mpi._common.table import as_table, encode_weight
from mpi.errors import ValidationError
from mpi.identification.identify_core import (
    FlagError,
    bad_weight_error,
    first_bad_weight,
    identify_units,
    missing_error,
)
from mpi.identification.identify_layout import (
    check_units,
    dataset_index,
    needed_variables,
    panel_index,
    prepare_units,
    result_attrs,
    unit_dataset,
    warn_dropped,
)
from mpi.identification.identify_result import IdentificationResult, unit_totals
from mpi.measurement.panel_measure import is_panel
from mpi.measurement.spec import Spec

__all__ = ["identify_chunked"]

#: The positions of the units in the whole data, a variable of the totals pass only.
ROW = "__mpi_row__"

#: The variables of :func:`~mpi.identification.identify_result.unit_totals` kept by the
#: result (the others are the warning's counts).
_TOTALS = ("poor", "vulnerable", "severe", "weight", "n_poor", "n_dropped")


class _Blocks:
    """Identification of one in-memory block of units (a cross-section block, or a block of
    panel units with all their waves) by the in-memory code."""

    def __init__(
        self,
        spec: Spec,
        ks: list[Fraction],
        k_dim: bool,
        *,
        weight: Hashable | None,
        missing: str,
        dim: Hashable,
        time: Hashable,
        panel: bool,
        keep_unit_coord: bool,
    ) -> None:
        self.spec, self.ks, self.k_dim = spec, ks, k_dim
        # missing="raise" runs the blocks as "drop" and raises once for the whole data
        self.weight, self.missing = weight, "drop" if missing == "raise" else missing
        self.dim, self.time, self.panel = dim, time, panel
        self.keep_unit_coord = keep_unit_coord

    def identify(self, block: xr.Dataset) -> tuple[xr.Dataset, np.ndarray, int, int, np.ndarray]:
        """``(outputs, missing values per indicator, missing weights, rows, sampling
        weights)`` of a block."""
        units = prepare_units(
            block,
            self.spec,
            weight=self.weight,
            missing=self.missing,
            unit=self.dim if self.panel else None,
            time=self.time,
        )
        st = identify_units(
            units.table, self.spec, self.ks, weight=self.weight, missing=self.missing,
            check_weights=False,
        )  # fmt: skip
        out = unit_dataset(
            st, self.spec, self.ks, self.k_dim, units.dims, units.shape, units.coords,
            weighted=self.weight is not None,
        )  # fmt: skip
        if units.time_dim is not None:
            out.attrs["time_dim"] = units.time_dim
        if not self.keep_unit_coord:  # positions of the block, not of the data: set at the end
            out = out.drop_vars(str(self.dim))
        n_weight_missing = int(np.isnan(st.sweight).sum()) if self.weight is not None else 0
        return out, st.missing_by_indicator, n_weight_missing, units.table.n, st.sweight

    def outputs(self, block: xr.Dataset) -> xr.Dataset:
        """The per-unit outputs of a block (the function of ``map_unit_blocks``)."""
        out = self.identify(block)[0]
        out.attrs = {}
        return out

    def totals(self, block: xr.Dataset) -> tuple[xr.Dataset | None, dict[str, _First]]:
        """The additive totals of a block (the function of ``reduce_blocks``) and its first
        bad weights, by position in the whole data (:data:`ROW` holds the units' positions).
        A panel block with a negative or infinite weight has no totals: the call raises."""
        start = int(block[ROW].values[0]) if block.sizes[self.dim] else 0
        block = block.drop_vars(ROW)
        first: dict[str, _First] = {}
        if self.panel and self.weight is not None:  # panel weights: one per unit, by unit id
            sw = self.unit_weights(block)
            where = first_bad_weight(sw)
            if where is not None:
                return None, {"panel_weight": _First(start + where, float(sw[where]), 1)}
            nan = np.flatnonzero(np.isnan(sw))
            if len(nan):
                first["panel_no_weight"] = _First(start + int(nan[0]), np.nan, len(nan))
        try:
            out, by_indicator, n_weight_missing, n, sweight = self.identify(block)
        except FlagError as err:  # kinds sort by indicator: the first indicator's wins
            first[f"flags:{err.indicator:06d}"] = _First(start, err.value, 1)
            return None, first
        if not self.panel and self.weight is not None:
            where = first_bad_weight(sweight)
            if where is not None:
                first["weight"] = _First(start + where, float(sweight[where]), 1)
        tot = unit_totals(out)
        tot["missing_by_indicator"] = ("indicator", by_indicator.astype(np.int64))
        tot["n_weight_missing"] = n_weight_missing
        tot["n"] = n
        return tot, first

    def unit_weights(self, block: xr.Dataset) -> np.ndarray:
        """The panel weight of each unit of a panel block (encoded, not checked)."""
        layout = check_panel(block, unit=self.dim, time=self.time)
        table = unit_table(block, layout)
        return encode_weight(table.column(self.weight, role="weight"), self.weight)


class _First(NamedTuple):
    """The first bad weight of a set of blocks: its position (unit or row) in the whole
    data, its value and how many there are."""

    position: int
    value: float
    count: int


def _combine(
    a: tuple[xr.Dataset | None, dict[str, _First]], b: tuple[xr.Dataset | None, dict[str, _First]]
) -> tuple[xr.Dataset | None, dict[str, _First]]:
    """Totals of two sets of blocks added; their first bad weights, the earlier kept."""
    (ta, fa), (tb, fb) = a, b
    tot = tb if ta is None else ta if tb is None else add_aligned(ta, tb)
    first = {}
    for kind in {*fa, *fb}:
        x, y = fa.get(kind), fb.get(kind)
        if x is None or y is None:
            first[kind] = x or y
        else:
            keep = x if x.position <= y.position else y
            first[kind] = _First(keep.position, keep.value, x.count + y.count)
    return tot, first


def _raise_bad_weights(
    first: dict[str, _First],
    totals: xr.Dataset,
    spec: Spec,
    *,
    weight: Hashable | None,
    missing: str,
    layout: PanelLayout | None,
) -> None:
    """Raise what the in-memory path raises for the whole data, in its order: a negative or
    infinite panel weight (the first unit's id), with ``missing="raise"`` the missing
    weights of a panel (counted over all blocks), the first invalid value of the first 0/1
    indicator holding one, a negative or infinite weight (the first row), and with
    ``missing="raise"`` the missing values of all blocks, counted in total."""
    if layout is not None and "panel_weight" in first:
        bad = first["panel_weight"]
        _panel_weights(weight, layout, bad, [bad.value], allow_missing=True)
    if layout is not None and missing == "raise" and "panel_no_weight" in first:
        nan = first["panel_no_weight"]
        _panel_weights(weight, layout, nan, [np.nan] * nan.count, allow_missing=False)
    flags = sorted(kind for kind in first if kind.startswith("flags:"))
    if flags:
        raise FlagError(spec, int(flags[0].split(":")[1]), first[flags[0]].value)
    if "weight" in first:
        raise bad_weight_error(weight, first["weight"].value, first["weight"].position)
    n_dropped = int(totals["n_dropped"])
    if missing == "raise" and n_dropped:
        raise missing_error(
            spec, weight, totals["missing_by_indicator"].values,
            int(totals["n_weight_missing"]), n_dropped,
        )  # fmt: skip


def _panel_weights(
    weight: Hashable | None,
    layout: PanelLayout,
    first: _First,
    values: list[float],
    *,
    allow_missing: bool,
) -> None:
    """Raise the in-memory path's error for the panel weights ``values``, the first of them
    the weight of the unit at ``first.position`` (:func:`~mpi._common.panel_layout.
    unit_weights` builds the message: the unit's id, the value, the count)."""
    uid = layout.units[first.position : first.position + 1]
    units = np.repeat(uid, len(values))
    dim = layout.unit_dim
    some = PanelLayout(dim, layout.time_dim, units, layout.times, layout.years)
    unit_weights(
        xr.Dataset({weight: (dim, np.asarray(values, np.float64))}), weight, some,
        allow_missing=allow_missing,
    )  # fmt: skip


def _unit_chunked(data: xr.Dataset, variables: list[Hashable], dim: Hashable) -> xr.Dataset:
    """The variables read, as data variables chunked alike along ``dim`` and whole along
    every other dimension (a unit's waves stay in its block); lazy."""
    sub = data[variables].reset_coords()[variables]
    return sub.chunk({d: -1 for d in sub.dims if d != dim}).unify_chunks()


def _template(proto: xr.Dataset, sub: xr.Dataset, dim: Hashable) -> xr.Dataset:
    """The lazy output of ``map_unit_blocks``: ``proto`` (the outputs of zero units) grown
    to every unit, chunked like ``sub`` along ``dim``."""
    import dask.array as da  # only on dask input: import mpi does not load dask

    n, unit_chunks = sub.sizes[dim], sub.chunksizes[dim]
    variables = {}
    for name, v in proto.data_vars.items():
        shape = tuple(n if d == dim else proto.sizes[d] for d in v.dims)
        chunks = tuple(unit_chunks if d == dim else (proto.sizes[d],) for d in v.dims)
        variables[name] = (v.dims, da.empty(shape, dtype=v.dtype, chunks=chunks))
    coords = {c: proto[c] for c in proto.coords if dim not in proto[c].dims}
    if dim in sub.coords:
        coords[str(dim)] = sub[dim]
    return xr.Dataset(variables).assign_coords(coords)  # dims in the order of the variables


def identify_chunked(
    data: xr.Dataset,
    spec: Spec,
    ks: list[Fraction],
    k_dim: bool,
    *,
    weight: Hashable | None,
    missing: str,
    unit: Hashable | None,
    time: Hashable,
) -> IdentificationResult:
    """:func:`mpi.identify` of a dask-backed Dataset (see the module docstring).

    Parameters
    ----------
    data : xarray.Dataset
        Indicator (and weight) variables as dask arrays chunked along the unit dimension: a
        cross-section, or a panel (unit x time) whose waves may be chunked too (each block
        of units is taken with all its waves).
    spec : mpi.Spec
        The specification (validated by :func:`mpi.identify`).
    ks : list of Fraction
        The poverty cutoffs; ``k_dim`` whether they form a ``k`` dimension.
    k_dim : bool
        Whether the result has a ``k`` dimension.
    weight, missing, unit, time
        As in :func:`mpi.identify`.

    Returns
    -------
    IdentificationResult
        Equal to the in-memory result (values bit for bit, same ``n_dropped``, same
        warning), with dask-backed per-unit variables chunked like ``data`` along the units
        and the totals of ``summary()`` computed at the call.

    Raises
    ------
    ValidationError
        For ``unit=`` naming a dask-backed variable, or unit ids the in-memory path refuses.
    DataError
        For data the in-memory path refuses, with its message for the whole data (raised
        at the call).
    """
    variables = needed_variables(spec, weight)
    panel = is_panel(data, spec, time)
    if panel:
        dim: Hashable = "unit" if unit is None else unit
        layout: PanelLayout | None = check_panel(data, unit=dim, time=time)  # coordinates only
        index: pd.Index = panel_index(layout, dim, time)
        coords = {str(dim): layout.units}
        n_rows = layout.n_units * layout.n_waves
    else:
        layout = None
        dim = as_table(data, variables).unit_dim  # dims only: nothing is loaded
        if unit is not None and unit != dim and unit in data.variables and data[unit].chunks:
            raise ValidationError(
                f"unit={unit!r} is a dask-backed variable; the unit ids of a lazy result are "
                f"kept in memory: make them the coordinate of {dim!r} "
                f"(data.assign_coords({dim}=data[{unit!r}].values)) or pass unit=None"
            )
        index = dataset_index(data, dim, unit)
        coords = {str(index.name): index.to_numpy()}
        n_rows = data.sizes[dim]
    check_units(n_rows)
    sub = _unit_chunked(data, variables, dim)
    blocks = _Blocks(
        spec, ks, k_dim, weight=weight, missing=missing, dim=dim, time=time, panel=panel,
        keep_unit_coord=dim in sub.coords,
    )  # fmt: skip
    import dask.array as da  # only on dask input: import mpi does not load dask

    rows = da.arange(sub.sizes[dim], chunks=(sub.chunksizes[dim],), dtype=np.int64)
    totals, first = reduce_blocks(
        blocks.totals, sub.assign({ROW: (dim, rows)}), dim, combine=_combine
    )
    _raise_bad_weights(
        first, totals, spec, weight=weight, missing=missing, layout=layout if panel else None
    )
    n_dropped = int(totals["n_dropped"])
    warn_dropped(
        spec, missing, weight, n_dropped=n_dropped, n=int(totals["n"]),
        missing_by_indicator=totals["missing_by_indicator"].values,
        weight_missing=int(totals["n_weight_missing"]) > 0, stacklevel=4,
    )  # fmt: skip
    # the outputs of zero units give the variables, dims, dtypes and other coordinates
    empty = sub.isel({dim: slice(0, 0)})
    empty = empty.copy(data={v: np.zeros(empty[v].shape, empty[v].dtype) for v in empty.data_vars})
    with warnings.catch_warnings():  # no values: the category checks of no units say nothing
        warnings.simplefilter("ignore")
        proto = blocks.outputs(empty)
    template = _template(proto, sub, dim)
    out = map_unit_blocks(blocks.outputs, sub, dim, template)
    # the dims in the order of the variables (unit first), as in memory
    out = xr.Dataset({v: out[v].variable for v in template.data_vars}).assign_coords(out.coords)
    name = next(iter(coords))
    if name != dim:
        out = out.rename({dim: name})
    if name not in out.coords:
        out = out.assign_coords(coords)
    out.attrs = result_attrs(
        spec, ks, k_dim, weight, missing, n_dropped, str(time) if panel else None
    )
    return IdentificationResult(out, index=index, k_dim=k_dim, totals=totals[list(_TOTALS)])
