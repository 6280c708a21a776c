""":func:`mpi.measure` on a dask-backed Dataset, block by block of units.

The kernel's per-bucket sums (:meth:`mpi.measurement.prepare.Prepared.run_raw`) are additive
over units, so the Dataset is cut along its unit dimension (:mod:`mpi._common.chunked`): each
block is encoded and measured by the in-memory code into the sums of its *rows* (group cells,
(PSU, group) pairs, or cells per replicate weight), the blocks' sums are added in a tree of
dask tasks (:func:`~mpi._common.chunked.add_aligned`, rows keyed by their global code), and
the totals go through the in-memory finishing steps (:meth:`Prepared.stats`,
:meth:`Prepared.finish`, :func:`~mpi.measurement.design_pass.design_inference`,
:func:`~mpi.measurement.design_pass.replicate_inference`). Nothing here is a formula.

What the blocks must share is fixed first, by one lazy pass over the few variables that
need it (:func:`distinct_values`): the labels of the ``by`` groups (encoded by
:func:`mpi._common.table.encode_groups` on the table of the distinct combinations, so the
groups are those of the whole data), the distinct values of indicators with category rules
(encoded once, so a category absent from a block is not reported, and one absent from the
data is reported once), and the first stage of a design (strata, PSUs and fpc encoded by
:func:`mpi.survey.encode_design` on the distinct (stratum, PSU, fpc, round) combinations,
which it encodes exactly as it does the units: PSUs may span blocks).

A dask-backed panel (:func:`measure_panel_blocks`) is measured the same way, each block of
units first flattened in memory into its unit-waves by
:func:`~mpi.measurement.panel_measure.flatten_panel` (the balance rule is per unit), with the
groups of the in-memory panel (the ``by`` variables, the wave last, dense layout).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.chunked import add_aligned, reduce_blocks, unit_blocks
from mpi._common.panel_layout import check_panel
from mpi._common.table import Groups, Table, as_table, encode_groups, readonly
from mpi.errors import DataError
from mpi.measurement.design_pass import (
    design_inference,
    replicate_inference,
    replicate_sample,
    replicate_weight,
    replicate_weight_error,
)
from mpi.measurement.encode import encode_indicator
from mpi.measurement.panel_measure import ROW_DIM, flatten_panel, warn_excluded
from mpi.measurement.prepare import Prepared, check_arguments, prepare_inputs
from mpi.measurement.spec import Indicator, Spec
from mpi.survey.design import BootstrapDesign, Design, EncodedDesign, ReplicateDesign, encode_design

__all__ = ["measure_blocks", "measure_panel_blocks", "distinct_values"]

#: Rows of a block's statistics: global codes of group cells or (PSU, group) pairs.
ROW = "row"
#: The position of each unit along the unit dimension (a design whose PSUs are the units).
POSITION = "__mpi_unit_position__"
#: The kernel's per-bucket sums (:meth:`Prepared.run_raw`), in order; the two reweighting
#: corrections are empty without ``missing="reweight"``.
RAW = ("BSTAT", "BDEP", "BMISSW", "BCADJ", "NDROP_", "NMISS_")
_REWEIGHT_ONLY = ("BMISSW", "BCADJ")


def distinct_values(
    data: xr.Dataset,
    dim: Hashable,
    frames: dict[str, list[Hashable]],
    columns: list[Hashable],
    *,
    flatten: Callable[[xr.Dataset], xr.Dataset] | None = None,
    variables: Sequence[Hashable] | None = None,
) -> tuple[dict[str, pd.DataFrame], dict[Hashable, pd.Index]]:
    """Distinct values of some variables of a dask-backed Dataset, in one lazy pass.

    Parameters
    ----------
    data : xarray.Dataset
        Chunked along ``dim``.
    dim : hashable
        The unit dimension.
    frames : dict
        Name -> variables whose distinct *combinations* are wanted (``by`` variables, a
        design's first stage).
    columns : list
        Variables whose distinct values are wanted one by one.
    flatten : callable, optional
        A block of a panel -> its flat table of unit-waves (one dimension), whose rows are
        read instead of the block's units (the kept rows of the balance rule).
    variables : sequence of hashable, optional
        The variables ``flatten`` reads (default: those of ``frames`` and ``columns``).

    Returns
    -------
    tuple of dict
        The distinct combinations (a DataFrame per name, in order of first occurrence) and
        the distinct values of each column (a :class:`pandas.Index`, missing values once).
    """
    names = list(dict.fromkeys([*(v for vs in frames.values() for v in vs), *columns]))

    def block_values(block: xr.Dataset) -> tuple[dict, dict]:
        rows = dim
        if flatten is not None:
            block = flatten(block)
            (rows,) = block.dims
        table = Table(block, "xarray", rows, block.sizes[rows])
        combos = {
            key: _distinct_rows({v: table.column(v, role="by") for v in vs})
            for key, vs in frames.items()
        }
        single = {v: pd.Index(table.column(v, role="indicator")).unique() for v in columns}
        return combos, single

    def combine(a: tuple[dict, dict], b: tuple[dict, dict]) -> tuple[dict, dict]:
        combos = {
            key: pd.concat([a[0][key], b[0][key]], ignore_index=True).drop_duplicates()
            for key in a[0]
        }
        single = {v: a[1][v].append(b[1][v]).unique() for v in a[1]}
        return combos, single

    read = names if variables is None else list(variables)
    combos, single = reduce_blocks(block_values, data, dim, combine=combine, variables=read)
    return {k: f.reset_index(drop=True) for k, f in combos.items()}, single


def _distinct_rows(columns: dict[Hashable, pd.Series]) -> pd.DataFrame:
    """The distinct rows of some columns (missing values kept as values), through one int64
    key per row (mixed radix of the columns' codes) rather than a hash of whole rows."""
    key: np.ndarray | None = None
    uniques, sizes, space = [], [], 1
    for s in columns.values():
        codes, uniq = pd.factorize(s, use_na_sentinel=False)
        space *= max(len(uniq), 1)
        if space >= 1 << 62:  # too many combinations for one int64 key
            return pd.DataFrame(columns).drop_duplicates()
        uniques.append(uniq)
        sizes.append(max(len(uniq), 1))
        if key is None:
            key = np.asarray(codes, np.int64)
        else:
            key *= sizes[-1]
            key += codes
    assert key is not None
    distinct = np.unique(key)
    out = {}
    names = list(columns)[::-1]
    for name, uniq, size in zip(names, uniques[::-1], sizes[::-1], strict=True):
        out[name] = uniq.take(distinct % size)
        distinct //= size
    return pd.DataFrame({name: out[name] for name in columns})


def _row_lookup(frame: pd.DataFrame) -> Callable[[pd.DataFrame], np.ndarray]:
    """``lookup(rows)``: the row of ``frame`` (distinct combinations) holding each of
    ``rows`` (values compared as :class:`pandas.Index` does: missing values are equal)."""
    cols = list(frame.columns)
    index = {c: pd.Index(frame[c]).unique() for c in cols}
    sizes = [len(index[c]) for c in cols]
    radix = int(np.prod(sizes, dtype=object))  # a Python int: no overflow

    def keys_of(rows: pd.DataFrame) -> Any:
        if radix >= 1 << 62:  # too many combinations for one int64 key
            return pd.MultiIndex.from_arrays([index[c].get_indexer(rows[c]) for c in cols])
        key = np.asarray(index[cols[0]].get_indexer(rows[cols[0]]), np.int64)
        for c, size in zip(cols[1:], sizes[1:], strict=True):
            key *= size  # mixed radix: one int64 per row, built in place
            key += index[c].get_indexer(rows[c])
        return key

    frame_keys = keys_of(frame)
    first = ~pd.Index(frame_keys).duplicated()  # None and NaN rows of a label are one row
    rows = np.flatnonzero(first)
    table = None
    if radix <= 4 * len(frame) + (1 << 20):  # a direct table of the keys
        table = np.full(radix, -1, np.int64)
        table[np.asarray(frame_keys)[first]] = rows
    unique_keys = pd.Index(frame_keys[first])

    def lookup(block: pd.DataFrame) -> np.ndarray:
        bkeys = keys_of(block)
        if table is not None:
            pos = table[bkeys]
        else:
            found = unique_keys.get_indexer(bkeys)
            pos = np.where(found < 0, -1, rows[found])
        if (pos < 0).any():  # the distinct values come from these very blocks
            raise RuntimeError("internal error: a block holds values its Dataset did not")
        return np.asarray(pos, np.int64)

    return lookup


def _category_rule(ind: Indicator, dtype: np.dtype) -> bool:
    """Whether an indicator's column is encoded value by value (a category rule, or text):
    those are encoded once on the distinct values of the whole data."""
    if ind.cutoff is None:
        return False
    return dtype.kind not in "iufb" or ind.deprived_if == "in" or isinstance(ind.cutoff, str)


def _block_encoder(spec: Spec, values: dict[Hashable, pd.Index]) -> Callable[..., tuple]:
    """An ``encode`` for :func:`~mpi.measurement.prepare.prepare_inputs` on a block: the
    indicators whose variables are in ``values`` are encoded once on those distinct values
    (errors and :class:`~mpi.CategoryWarning` raised here, for the whole data), then looked
    up per block; the others by :func:`~mpi.measurement.encode.encode_indicator`."""
    table = {}
    for ind in spec:
        if ind.variable in values:
            index = values[ind.variable]
            enc, rule, cut = encode_indicator(pd.Series(np.asarray(index), dtype=index.dtype), ind)
            table[ind.name] = (index, np.asarray(enc, np.float64), rule, cut)

    def encode(s: pd.Series, ind: Indicator, *, narrow: bool = False) -> tuple:
        if ind.name not in table:
            return encode_indicator(s, ind, narrow=narrow)
        index, enc, rule, cut = table[ind.name]
        return readonly(enc[index.get_indexer(s)]), rule, cut

    return encode


def _raw_dataset(raw: tuple, keys: np.ndarray, lead: Sequence[str] = ()) -> xr.Dataset:
    """The kernel's per-bucket sums as a Dataset along ``ROW`` (labelled by ``keys``)."""
    data = {}
    for name, arr in zip(RAW, raw, strict=True):
        if name in _REWEIGHT_ONLY and arr.shape[len(lead)] == 0:
            continue
        rest = tuple(f"{name}_{i}" for i in range(arr.ndim - 1 - len(lead)))
        data[name] = ((*lead, ROW, *rest), arr)
    return xr.Dataset(data, coords={ROW: keys})


def _raw_tuple(ds: xr.Dataset, keys: np.ndarray, like: xr.Dataset | None = None) -> tuple:
    """The per-bucket sums of ``ds`` on rows ``keys`` (0 for rows no unit holds)."""
    ds = ds.reindex({ROW: keys}, fill_value=0)
    out = []
    for name in RAW:
        if name in ds:
            out.append(np.ascontiguousarray(ds[name].transpose(ROW, ...).values, np.float64))
        else:  # no reweighting corrections: the kernel's empty arrays
            nb, d = ds["BDEP"].shape[-2:]
            out.append(np.zeros((0, nb, d)))
    return tuple(out)


@dataclasses.dataclass
class _Plan:
    """What every block shares: the global groups and design encoding."""

    groups: Groups | None
    group_rows: Callable[[pd.DataFrame], np.ndarray] | None
    encoded: EncodedDesign | None
    design_rows: Callable[[pd.DataFrame], np.ndarray] | None
    design_vars: list[Hashable]

    @property
    def n_cells(self) -> int:
        return self.groups.n_cells if self.groups is not None else 1

    def cells(self, table: Table, by: list[str]) -> np.ndarray | None:
        """Group cell (``0 .. n_cells - 1``) of every unit of a block (None: no groups)."""
        if self.groups is None:
            return None
        assert self.group_rows is not None
        frame = pd.DataFrame({b: table.column(b, role="by") for b in by})
        g = self.groups
        cell = np.asarray(g.codes, np.int64)[self.group_rows(frame)]
        cell -= g.offset
        return cell

    def psus(self, table: Table) -> np.ndarray:
        """PSU number of every unit of a block."""
        assert self.encoded is not None and self.design_rows is not None
        frame = pd.DataFrame({v: table.column(v, role="design") for v in self.design_vars})
        return np.asarray(self.encoded.psu, np.int64)[self.design_rows(frame)]


def measure_blocks(
    data: xr.Dataset,
    spec: Spec,
    *,
    weight: str | None,
    by: Any,
    k: Any,
    missing: str,
    design: Design | BootstrapDesign | ReplicateDesign | None,
) -> tuple[Prepared, xr.Dataset, Any]:
    """The statistics of :func:`mpi.measure` on a dask-backed Dataset, block by block.

    Parameters
    ----------
    data : xarray.Dataset
        Dask-backed, one unit dimension (chunked along it); never loaded whole.
    spec, weight, by, k, missing, design
        As :func:`mpi.measure` (``weight`` already the design's when a design is given).

    Returns
    -------
    tuple
        ``(prep, cell_stats, inference)``: the inputs of the whole data (for
        :meth:`Prepared.finish`), the statistics along ``cell`` and the design's inference
        (None without a design), exactly as the in-memory path has them.
    """
    ks, k_dim, by_names = check_arguments(spec, weight=weight, by=by, k=k, missing=missing)
    extra = list(design.variables) if design is not None else []
    weights = [weight] if weight is not None else []
    needed = list(dict.fromkeys([*spec.variables, *weights, *by_names, *extra]))
    table = as_table(data, needed)
    for name in needed:
        if not table.has(name):
            table.column(name, role="variable")  # raises the in-memory path's DataError
    if table.n == 0:
        raise DataError("data has no units (0 rows); nothing to measure")
    dim, n = table.unit_dim, table.n
    base = design.design if isinstance(design, BootstrapDesign) else design
    first_stage: list[Hashable] = []
    if isinstance(base, Design):
        if base.psu is None:  # every unit its own PSU: PSUs are positions
            chunks = [b.stop - b.start for b in unit_blocks(data, dim, needed)]
            import dask.array as da

            data = data.assign({POSITION: (dim, da.arange(n, chunks=(tuple(chunks),)))})
            base = dataclasses.replace(base, psu=POSITION, nest=False)
        first_stage = [v for v in (base.strata, base.psu, base.fpc, base.rounds) if v is not None]
    categorical = [
        ind.variable for ind in spec if _category_rule(ind, np.dtype(data[ind.variable].dtype))
    ]
    frames = {"by": by_names} if by_names else {}
    if first_stage:
        frames["design"] = first_stage
    combos, values = (
        distinct_values(data, dim, frames, list(dict.fromkeys(categorical)))
        if frames or categorical
        else ({}, {})
    )
    encode = _block_encoder(spec, values)
    plan = _Plan(None, None, None, None, first_stage)
    if by_names:
        dist = combos["by"]
        plan.groups = encode_groups(Table(dist, "pandas", "unit", len(dist)), by_names, sparse=True)
        plan.group_rows = _row_lookup(dist)
    if first_stage:
        dist = combos["design"]
        plan.encoded = encode_design(Table(dist, "pandas", "unit", len(dist)), base)
        plan.design_rows = _row_lookup(dist)
    reps = list(design.replicate_weights) if isinstance(design, ReplicateDesign) else []
    variables = [*needed, *([POSITION] if POSITION in data else [])]

    def block_stats(block: xr.Dataset) -> xr.Dataset:
        prep = prepare_inputs(
            block, spec, weight=weight, by=None, k=k, missing=missing, use_patterns=None,
            extra=extra, encode=encode,
        )  # fmt: skip
        cell = plan.cells(prep.table, by_names)  # None: every unit in the one cell
        if plan.encoded is not None:  # (PSU, group) pairs
            psu = plan.psus(prep.table)
            if cell is not None:
                psu *= plan.n_cells
                psu += cell
            cell = psu
            del psu
        keys, rows = _block_rows(cell, plan.encoded is not None)
        del cell  # one array of codes per unit alive at a time
        out = _raw_dataset(prep.run_raw(prep.sweight, rows, 0, len(keys)), keys)
        out["NW"] = prep.weight_missing()
        for i, name in enumerate(reps):
            w = replicate_weight(prep, name)
            out[f"REPNAN{i}"] = int(np.isnan(w).sum())
            raw = prep.run_raw(replicate_sample(prep, w), rows, 0, len(keys))
            for var, part in _raw_dataset(raw, keys).data_vars.items():
                out[f"REP{i}_{var}"] = part
        return out

    total = reduce_blocks(block_stats, data, dim, combine=add_aligned, variables=variables)
    prep = _whole_prep(
        spec, Table(data, "xarray", dim, n), ks, k_dim, by_names, weight, plan.groups, missing,
        int(total["NW"]),
    )  # fmt: skip
    for i, name in enumerate(reps):
        if int(total[f"REPNAN{i}"]):
            raise replicate_weight_error(name, int(total[f"REPNAN{i}"]))
    n_cells = plan.n_cells
    if plan.encoded is None:
        main = prep.stats(_raw_tuple(total[list(_present(total, ""))], np.arange(n_cells)))
        if not isinstance(design, ReplicateDesign):
            return prep, main, None
        rep_stats = [
            prep.stats(_raw_tuple(_renamed(total, f"REP{i}_"), np.arange(n_cells)))
            for i in range(len(reps))
        ]
        return prep, *replicate_inference(prep, design, main, rep_stats, n_cells)
    keys = np.sort(np.asarray(total[ROW].values, np.int64))
    raw = _raw_tuple(total[list(_present(total, ""))], keys)
    assert isinstance(design, Design | BootstrapDesign)
    cell_stats, inference = design_inference(
        prep, design, plan.encoded, raw, keys // n_cells, keys % n_cells
    )
    return prep, cell_stats, inference


def _whole_prep(
    spec: Spec, table: Table, ks: list, k_dim: bool, by_names: list[str], weight: str | None,
    groups: Groups | None, missing: str, n_weight_missing: int,
) -> Prepared:  # fmt: skip
    """The whole data's inputs: the kernel never runs on them (no columns, rules or weights);
    the statistics are finished with the groups and the counts of the whole data."""
    return Prepared(
        spec=spec,
        table=table,
        cols=None,
        rules=np.empty(0, np.int64),
        cutoffs=np.empty(0),
        cardinal=np.empty(0, np.bool_),
        ks=ks,
        k_dim=k_dim,
        by_names=by_names,
        weight=weight,
        sweight=np.empty(0),
        groups=groups,
        missing=missing,
        use_patterns=None,
        n_weight_missing=n_weight_missing,
    )


def _block_rows(cell: np.ndarray | None, pairs: bool) -> tuple:
    """The rows of a block's statistics: the codes that occur (``keys``, sorted) and each
    unit's row among them (an empty array when every unit is in the one row)."""
    if cell is None:
        return np.zeros(1, np.int64), np.empty(0, np.int64)
    space = int(cell.max()) + 1 if len(cell) else 1
    if pairs and space > 4 * len(cell) + 1024:  # sparse (PSU, group) codes: sort them
        keys, rows = np.unique(cell, return_inverse=True)
        return keys, np.ascontiguousarray(rows.reshape(-1), np.int64)
    counts = np.bincount(cell)
    used = counts > 0
    renumber = np.cumsum(used) - 1
    return np.flatnonzero(used), renumber[cell]


def _present(total: xr.Dataset, prefix: str) -> list[str]:
    """The per-bucket sums named ``prefix + RAW`` that ``total`` holds."""
    return [prefix + name for name in RAW if prefix + name in total]


def _renamed(total: xr.Dataset, prefix: str) -> xr.Dataset:
    """A replicate's per-bucket sums under the names of :data:`RAW`."""
    names = _present(total, prefix)
    return total[names].rename({v: v[len(prefix) :] for v in names})


#: Per-block counts of a panel: units excluded by the balance rule, unit-waves kept.
PANEL_COUNTS = ("NEXCL", "NROWS")


def measure_panel_blocks(
    data: xr.Dataset,
    spec: Spec,
    *,
    weight: str | None,
    by: Any,
    k: Any,
    missing: str,
    time: Hashable,
    unit: Hashable,
    balance: str,
) -> tuple[Prepared, xr.Dataset, dict]:
    """The statistics of :func:`mpi.measure` on a dask-backed panel, block by block of units.

    Each block of units is flattened in memory into its unit-waves by
    :func:`~mpi.measurement.panel_measure.flatten_panel` (the balance rule is per unit, so
    the blocks' flat tables are the whole flat table cut along its units), then measured as
    a block of a cross-section: the groups (the ``by`` variables, then the wave, in the
    dense layout of the in-memory panel) are fixed first for the whole panel, from the
    distinct ``by`` values with every wave, or, when the balance rule may exclude units or
    an indicator is encoded by category, from one lazy pass over the flattened blocks.

    Parameters
    ----------
    data : xarray.Dataset
        A dask-backed panel (dims ``unit`` and ``time``, chunked along ``unit``); never
        loaded whole.
    spec, weight, by, k, missing, time, unit, balance
        As :func:`mpi.measure`.

    Returns
    -------
    tuple
        ``(prep, cell_stats, notes)``: the inputs of the whole flat table (for
        :meth:`Prepared.finish`, its ``keep`` the wave), the statistics along ``cell``, and
        the panel's notes (``n_excluded`` the total over the blocks; not yet reported, see
        :func:`~mpi.measurement.panel_measure.warn_excluded`).
    """
    ks, k_dim, by_names = check_arguments(spec, weight=weight, by=by, k=k, missing=missing)
    layout = check_panel(data, unit=unit, time=time)
    args = dict(weight=weight, by=by, time=time, unit=unit, balance=balance, missing=missing)
    # every check of the in-memory path, on no unit at all (dims, static weight and groups)
    _, by_all, _ = flatten_panel(data.isel({unit: slice(0, 0)}).load(), spec, **args)
    needed = list(dict.fromkeys([*spec.variables, *([weight] if weight else []), *by_names]))

    def flatten(block: xr.Dataset) -> xr.Dataset:
        return flatten_panel(block, spec, **args)[0]

    categorical = [
        ind.variable for ind in spec if _category_rule(ind, np.dtype(data[ind.variable].dtype))
    ]
    values: dict[Hashable, pd.Index] = {}
    if categorical or (balance == "balanced" and missing != "raise"):
        # the labels and categories of the kept unit-waves only, as in memory
        combos, values = distinct_values(
            data, unit, {"by": by_all}, list(dict.fromkeys(categorical)), flatten=flatten,
            variables=needed,
        )  # fmt: skip
        dist = combos["by"]
        if not len(dist):  # every unit excluded: reported, then raised, as in memory
            warn_excluded(layout.n_units, layout.n_units, stacklevel=3)
            raise DataError("data has no units (0 rows); nothing to measure")
    else:  # every unit-wave kept: the units' distinct groups with every wave
        waves = pd.DataFrame({by_all[-1]: np.asarray(layout.times)})
        dist = (
            distinct_values(data, unit, {"by": by_names}, [])[0]["by"].merge(waves, how="cross")
            if by_names
            else waves
        )
    encode = _block_encoder(spec, values)
    plan = _Plan(None, None, None, None, [])
    plan.groups = encode_groups(Table(dist, "pandas", "unit", len(dist)), by_all)
    plan.group_rows = _row_lookup(dist)

    def block_stats(block: xr.Dataset) -> xr.Dataset:
        flat, _, notes = flatten_panel(block, spec, **args)
        n_rows = flat.sizes[ROW_DIM]
        counts = xr.Dataset({"NEXCL": notes["n_excluded"], "NROWS": n_rows})
        if not n_rows:  # every unit of the block excluded
            return counts
        prep = prepare_inputs(
            flat, spec, weight=weight, by=None, k=k, missing=missing, use_patterns=None,
            encode=encode,
        )  # fmt: skip
        keys, rows = _block_rows(plan.cells(prep.table, by_all), False)
        out = _raw_dataset(prep.run_raw(prep.sweight, rows, 0, len(keys)), keys)
        out["NW"] = prep.weight_missing()
        return out.assign(counts)

    total = reduce_blocks(block_stats, data, unit, combine=_add_panel_blocks, variables=needed)
    notes = {
        "balance": balance,
        "n_excluded": int(total["NEXCL"]),
        "panel_units": layout.n_units,
        "panel_waves": layout.n_waves,
    }
    if "BDEP" not in total:  # a panel of no units
        raise DataError("data has no units (0 rows); nothing to measure")
    n_rows = int(total["NROWS"])
    prep = _whole_prep(
        spec, Table(data, "xarray", ROW_DIM, n_rows), ks, k_dim, by_all, weight, plan.groups,
        missing, int(total["NW"]),
    )  # fmt: skip
    prep.keep = by_all[-1]
    cells = np.arange(plan.n_cells)
    return prep, prep.stats(_raw_tuple(total[list(_present(total, ""))], cells)), notes


def _add_panel_blocks(a: xr.Dataset, b: xr.Dataset) -> xr.Dataset:
    """:func:`~mpi._common.chunked.add_aligned` for the statistics of panel blocks, one of
    which may hold only counts (a block whose every unit the balance rule excluded)."""
    if "BDEP" in a and "BDEP" in b:
        return add_aligned(a, b)
    full, other = (a, b) if "BDEP" in a else (b, a)
    return full.assign({v: full[v] + other[v] for v in PANEL_COUNTS})
