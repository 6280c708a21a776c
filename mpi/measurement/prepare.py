"""The kernel driver of :func:`mpi.measure`: validated, encoded inputs (:class:`Prepared`)
and the kernel pass that turns them into additive statistics along a ``cell`` axis, then into
the statistics of the ``by`` groups (with the missing-value and missing-group reports).

:func:`mpi.measure` builds a :class:`Prepared` once; the plain call runs it once with the
groups as cells, a survey design (:func:`mpi.measurement.design_pass.run_design`) with
(group, PSU) or replicate cells.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from mpi import kernels
from mpi._common.table import Groups, as_table, encode_groups, encode_weight, readonly
from mpi.errors import DataError, MissingDataWarning, ValidationError
from mpi.measurement.encode import encode_indicator
from mpi.measurement.finalize import CELL_DIM
from mpi.measurement.groups import group_names, missing_group_counts, sparse_position_name
from mpi.measurement.spec import Spec

__all__ = [
    "Prepared",
    "MISSING_RULES",
    "MAX_PATTERN_TABLE",
    "cutoff_list",
    "by_variable_names",
    "patterns_pay",
    "check_arguments",
    "prepare_inputs",
]

#: The ``missing`` rules of :func:`mpi.measure`.
MISSING_RULES = ("drop", "reweight", "raise")


def cutoff_list(spec: Spec, k: Any) -> tuple[list[Fraction], bool]:
    """Validated poverty cutoffs and whether a ``k`` dimension is wanted.

    Parameters
    ----------
    spec
        The specification (its ``k`` when ``k`` is None).
    k
        None, one cutoff, or a sequence of distinct cutoffs.

    Returns
    -------
    tuple
        The cutoffs as exact fractions, and whether ``k`` was a sequence.
    """
    if k is None:
        return [spec.k], False
    if isinstance(k, str | Fraction | int | float | np.number):
        return [spec.cutoff_fraction(k)], False
    try:
        ks = list(k)
    except TypeError:
        raise ValidationError(
            f"k must be a number in (0, 1] or a sequence of them; got {k!r}"
        ) from None
    if not ks:
        raise ValidationError("k is an empty sequence; give at least one cutoff in (0, 1]")
    fr = [spec.cutoff_fraction(v) for v in ks]
    if len(set(fr)) != len(fr):
        raise ValidationError(f"k has repeated values {ks!r}; give each cutoff once")
    return fr, True


def by_variable_names(by: Any) -> list[str]:
    """The ``by`` argument of :func:`mpi.measure` as a list of distinct variable names.

    Parameters
    ----------
    by
        None, a name or a sequence of names.

    Returns
    -------
    list of str
        The names (empty for None).

    Raises
    ------
    ValidationError
        For a name that is not hashable, a repeated name, or a name of a result dim.
    """
    if by is None:
        return []
    names = [by] if isinstance(by, str) else list(by)
    for b in names:
        if not isinstance(b, Hashable) or isinstance(b, list | tuple):
            raise ValidationError(f"by must be a variable name or a list of names; got {by!r}")
    if len(set(names)) != len(names):
        raise ValidationError(f"by names a variable twice: {names!r}")
    reserved = {"k", "indicator", "dimension", "cell"} & set(names)
    if reserved:
        raise ValidationError(
            f"by variable(s) {sorted(reserved)} clash with result dimensions; rename them"
        )
    return names


@dataclass
class Prepared:
    """Validated inputs, encoded once; :meth:`run` calls the kernel for given cells/weights."""

    spec: Spec
    table: Any
    cols: Any
    rules: np.ndarray
    cutoffs: np.ndarray
    cardinal: np.ndarray
    ks: list[Fraction]
    k_dim: bool
    by_names: list[str]
    weight: str | None
    sweight: np.ndarray
    groups: Groups | None
    missing: str
    use_patterns: bool | int | None
    #: A ``by`` variable (the last one) kept in the totals of the units with a missing group,
    #: e.g. a panel's wave: those totals are then per wave.
    keep: str | None = None
    #: Units whose sampling weight is missing, when not read from ``sweight`` (the
    #: statistics of a bigger-than-memory Dataset, summed over its blocks).
    n_weight_missing: int | None = None

    def run(self, sweight: np.ndarray, cell: np.ndarray, offset: int, n_cells: int) -> xr.Dataset:
        """Statistics along ``cell`` for the units' cell codes (``cell - offset``)."""
        return self.stats(self.run_raw(sweight, cell, offset, n_cells))

    @property
    def wflt(self) -> np.ndarray:
        """Indicator weights as floats (``w_j``)."""
        wint, denom = self.spec.integer_weights
        return wint / denom

    def stats(self, raw: tuple) -> xr.Dataset:
        """The kernel's per-bucket sums (:meth:`run_raw`, or sums of them over cells) as
        additive statistics per cutoff, along ``cell``."""
        spec, ks = self.spec, self.ks
        wint, denom = spec.integer_weights
        order = sorted(range(len(ks)), key=ks.__getitem__)
        position = np.argsort(order)  # user's k order from the sorted order
        return _stats_dataset(*raw, wint / denom, position, spec, ks)

    def run_raw(
        self,
        sweight: np.ndarray,
        cell: np.ndarray,
        offset: int,
        n_cells: int,
        cell_block: int = 0,
        cell_major: np.ndarray | None = None,
        n_minor: int = 0,
        blocks_sorted: bool = False,
    ) -> tuple:
        """The kernel pass: per-bucket sums ``(bstat, bdep, bmissw, bcadj, ndrop, nmiss)``
        per cell (see :func:`mpi.kernels.af_statistics`, also for ``cell_block``,
        ``cell_major``, ``n_minor`` and ``blocks_sorted``); raises on bad data."""
        spec, ks = self.spec, self.ks
        wint, denom = spec.integer_weights
        order = sorted(range(len(ks)), key=ks.__getitem__)
        ks_sorted = [ks[i] for i in order]
        n_chunks = kernels.af.chunk_count(self.table.n)  # not the threads: same bits anywhere
        patterns = self.use_patterns
        ident = kernels.Identification(
            self.rules,
            self.cutoffs,
            self.cardinal,
            wint,
            spec.dimension_index,
            len(spec.dimensions),
            denom,
            np.array([f.numerator for f in ks_sorted], np.int64),
            np.array([f.denominator for f in ks_sorted], np.int64),
            spec.vulnerable.numerator,
            spec.vulnerable.denominator,
            spec.severe.numerator,
            spec.severe.denominator,
            self.missing == "reweight",
            int(patterns) if patterns is not None else patterns_pay(len(spec), n_cells),
        )
        out = kernels.af_statistics(
            self.cols,
            ident,
            sweight,
            cell,
            offset,
            n_cells,
            n_chunks,
            cell_block,
            cell_major,
            n_minor,
            blocks_sorted,
            n_units=self.table.n,
        )
        _raise_kernel_error(out[-1], spec, self.weight)
        return out[:-1]

    def run_groups(self) -> xr.Dataset:
        """One kernel pass with the ``by`` groups as cells (sampling weights as given)."""
        g = self.groups
        if g is None:
            return self.run(self.sweight, readonly(np.empty(0, np.int64)), 0, 1)
        return self.run(self.sweight, g.codes, g.offset, g.n_cells)

    def finish(
        self, stats: xr.Dataset, stacklevel: int = 4
    ) -> tuple[xr.Dataset, xr.Dataset | None, xr.Dataset | None]:
        """Missing-value report, then split the ``cell`` axis into the ``by`` dims.

        Raises when nothing can be measured (no unit left, or sampling weights summing to
        0); warns about units with a missing group and about groups without measurable
        weight."""
        spec, table, missing = self.spec, self.table, self.missing
        n_dropped = int(stats["NDROP"].sum())
        if missing == "raise" and (n_dropped or int(stats["NMISS"].sum())):
            raise DataError(
                f"missing values in {n_dropped} unit(s) with missing='raise': "
                + _missing_report(stats, spec, self.weight, self.weight_missing())
                + ". Use missing='drop' (listwise) or missing='reweight' (OPHI rule), or "
                "impute first"
            )
        self._check_total_weight(stats, n_dropped)
        if n_dropped:
            warnings.warn(
                f"{n_dropped} of {table.n} units dropped for missing values ({missing!r} rule): "
                + _missing_report(stats, spec, self.weight, self.weight_missing())
                + ". They are counted in the result's n_dropped",
                MissingDataWarning,
                stacklevel=stacklevel,
            )
        if self.groups is None:
            return stats.isel(cell=0, drop=True), None, None
        known, missing_group, ext = self.split(stats)
        self._warn_missing_groups(missing_group, ext, stacklevel + 1)
        self._warn_empty_groups(known, stacklevel + 1)
        return known, missing_group, ext

    def weight_missing(self) -> int:
        """Number of units whose sampling weight is missing (NaN)."""
        if self.n_weight_missing is not None:
            return self.n_weight_missing
        if self.weight is None or not self.sweight.size:
            return 0
        return int(np.isnan(self.sweight).sum())

    def _check_total_weight(self, stats: xr.Dataset, n_dropped: int) -> None:
        """A DataError when units were measured but their sampling weights sum to 0 (every
        measure 0/0). No unit measured at all (every one dropped for missing values) is
        reported by the missing-value warning and the result's counts instead."""
        n_obs = int(stats["NOBS"].sum())
        if self.weight is None or n_obs == 0 or float(stats["SUMW"].sum()) > 0:
            return
        dropped = f" (after dropping {n_dropped} with missing values)" if n_dropped else ""
        raise DataError(
            f"the sampling weights (weight variable {self.weight!r}) sum to 0 over the "
            f"{n_obs} units measured{dropped}, so every measure would be 0/0. Check that "
            f"{self.weight!r} is the sampling weight (not all zeros, not a 0/1 flag of "
            "excluded units), or measure without weight="
        )

    def _warn_missing_groups(
        self, missing_group: xr.Dataset | None, ext: xr.Dataset, stacklevel: int
    ) -> None:
        """Warn that units with a missing group value left the group table (and where they
        are counted)."""
        assert self.groups is not None
        if missing_group is None or not (
            missing_group["NOBS"].values.any() or missing_group["NDROP"].values.any()
        ):  # no unit with a missing group (numpy: this runs on every call)
            return
        names = [b for b in self.groups.names if b != self.keep]
        total, per = missing_group_counts(missing_group, ext, names, self.keep)
        n_total = int(total.sum())
        if not n_total:
            return
        units = "unit-waves" if self.keep else "units"
        if len(names) == 1:
            text = (
                f"{n_total} of {self.table.n} {units} have a missing value in the by variable "
                f"{names[0]!r}: they are left out of its groups but kept in the overall "
                "figures. They are counted in the result's n_missing_group"
            )
        else:
            counts = ", ".join(
                f"{b!r}: {int(per.sel(group_variable=b).sum())}" for b in names
            )
            text = (
                f"{n_total} of {self.table.n} {units} have a missing value in a by variable "
                f"({counts}): each is left out of the groups of the variable it lacks but kept "
                "in the overall figures and in the margins (MeasureResult.marginal) of the "
                "by variables it has. They are counted in the result's n_missing_group (per "
                "variable: n_missing_group_by)"
            )
        warnings.warn(text, MissingDataWarning, stacklevel=stacklevel)

    def _warn_empty_groups(self, known: xr.Dataset, stacklevel: int) -> None:
        """Warn about groups that have units but no measurable weight (NaN measures)."""
        sumw = known["SUMW"].values
        units = known["NOBS"].values + known["NDROP"].values
        if not ((sumw == 0) & (units > 0)).any():  # numpy: this runs on every call
            return
        empty = (known["SUMW"] == 0) & (known["NOBS"] + known["NDROP"] > 0)
        labels = group_names(empty)
        more = f", … ({len(labels) - 10} more)" if len(labels) > 10 else ""
        shown = ", ".join(labels[:10]) + more
        warnings.warn(
            f"{len(labels)} group(s) have units but no measurable weight (their sampling "
            "weights sum to 0, or every unit was dropped for missing values): "
            f"{shown}. Their measures are NaN; the result flags them in its empty variable",
            MissingDataWarning,
            stacklevel=stacklevel,
        )

    def split(self, stats: xr.Dataset) -> tuple[xr.Dataset, xr.Dataset, xr.Dataset]:
        """``cell`` axis -> (known groups with labels, units with any missing group, the
        extended table with a trailing missing slot per variable). Numpy slicing, one
        Dataset each (this runs on every call)."""
        groups = self.groups
        assert groups is not None
        if groups.sparse:
            return self._split_sparse(stats)
        names = groups.names
        shape = groups.ext_shape
        # the Variables, not DataArrays: building 16 DataArrays costs milliseconds per call
        var = {v: stats.variables[v] for v in stats.data_vars}
        arrays = {v: x.values.reshape(shape + x.shape[1:]) for v, x in var.items()}
        vdims = {v: x.dims[1:] for v, x in var.items()}
        labels = list(groups.labels)
        if groups.prune:  # drop integer labels no unit carries (keep the missing slot)
            n = len(labels[0])
            used = (arrays["NOBS"] + arrays["NDROP"])[:n] > 0
            keep = np.concatenate([used, [True]])
            arrays = {v: a[keep] for v, a in arrays.items()}
            labels = [labels[0][used]]
        sizes = [len(lab) for lab in labels]
        known_idx = tuple(slice(0, n) for n in sizes)
        mask = np.ones(tuple(n + 1 for n in sizes), bool)
        mask[known_idx] = False  # cells with a missing slot in some variable
        ax = tuple(range(len(sizes)))
        common = {c: stats[c].values for c in ("k", "indicator")}
        known = xr.Dataset(
            {v: ((*names, *vdims[v]), a[known_idx]) for v, a in arrays.items()},
            coords={**{b: np.asarray(lab) for b, lab in zip(names, labels, strict=True)}, **common},
        )
        if self.keep is None:
            missing_group = xr.Dataset(
                {
                    v: (
                        vdims[v],
                        a[mask].sum(axis=0) if mask.any() else np.zeros(a.shape[len(ax) :]),
                    )
                    for v, a in arrays.items()
                },
                coords=common,
            )
        else:  # per known label of the kept (last) variable, the others' missing slots summed
            assert names[-1] == self.keep
            other = mask[..., 0]  # a missing slot in some other variable
            nk = sizes[-1]
            missing_group = (
                None
                if len(sizes) == 1
                else xr.Dataset(
                    {
                        v: ((self.keep, *vdims[v]), a[other][:, :nk].sum(axis=0))
                        for v, a in arrays.items()
                    },
                    coords={**common, self.keep: np.asarray(labels[-1])},
                )
            )
        ext = xr.Dataset({v: ((*names, *vdims[v]), a) for v, a in arrays.items()}, coords=common)
        return known, missing_group, ext

    def _split_sparse(self, stats: xr.Dataset) -> tuple[xr.Dataset, xr.Dataset, xr.Dataset]:
        """:meth:`split` of a sparse table: the known cells along ``CELL_DIM`` with a
        MultiIndex of the ``by`` variables; the extended table is every cell, with each
        variable's labels (on their own dim) and each cell's positions in them (coordinate
        ``sparse_position_name(b)``, the label count for the missing slot)."""
        groups = self.groups
        assert groups is not None and groups.cells is not None and self.keep is None
        names, nk, cells = groups.names, groups.n_known, groups.cells
        common = {c: stats[c].values for c in ("k", "indicator")}
        arrays = {v: stats[v].values for v in stats.data_vars}
        vdims = {v: stats[v].dims[1:] for v in stats.data_vars}
        index = pd.MultiIndex(
            levels=[pd.Index(lab) for lab in groups.labels],
            codes=[cells[:nk, b] for b in range(len(names))],
            names=names,
            verify_integrity=False,
        )
        known = xr.Dataset(
            {v: ((CELL_DIM, *vdims[v]), a[:nk]) for v, a in arrays.items()},
            coords=xr.Coordinates.from_pandas_multiindex(index, CELL_DIM),
        ).assign_coords(common)
        missing_group = xr.Dataset(
            {v: (vdims[v], a[nk:].sum(axis=0)) for v, a in arrays.items()}, coords=common
        )
        coords: dict[Any, Any] = dict(common)
        for b, (name, lab) in enumerate(zip(names, groups.labels, strict=True)):
            coords[name] = np.asarray(lab)
            coords[sparse_position_name(name)] = (CELL_DIM, np.asarray(cells[:, b]))
        ext = xr.Dataset(
            {v: ((CELL_DIM, *vdims[v]), a) for v, a in arrays.items()}, coords=coords
        )
        return known, missing_group, ext


def check_arguments(
    spec: Spec, *, weight: Any, by: Any, k: Any, missing: str
) -> tuple[list[Fraction], bool, list[str]]:
    """:func:`mpi.measure`'s cheap argument checks (no data read).

    Parameters
    ----------
    spec, weight, by, k, missing
        As :func:`mpi.measure`.

    Returns
    -------
    tuple
        The cutoffs as exact fractions, whether ``k`` was a sequence, and the ``by`` names.
    """
    if not isinstance(spec, Spec):
        raise ValidationError(
            f"spec must be an mpi.Spec (e.g. mpi.presets.global_mpi_2018()); got "
            f"{type(spec).__name__}"
        )
    if missing not in MISSING_RULES:
        raise ValidationError(
            f"missing must be one of {', '.join(MISSING_RULES)}; got {missing!r}"
        )
    ks, k_dim = cutoff_list(spec, k)
    by_names = by_variable_names(by)
    if weight is not None and not isinstance(weight, Hashable | str):
        raise ValidationError(f"weight must be the name of a variable; got {weight!r}")
    return ks, k_dim, by_names


def prepare_inputs(
    data: Any,
    spec: Spec,
    *,
    weight: str | None,
    by: Any,
    k: Any,
    missing: str,
    use_patterns: bool | int | None,
    extra: Sequence[Hashable] = (),
    sparse_groups: bool = False,
    encode: Callable[..., tuple[np.ndarray, str, float]] = encode_indicator,
) -> Prepared:
    """:func:`mpi.measure`'s arguments validated and encoded for the kernel (indicator
    columns, rules and cutoffs, sampling weights, ``by`` groups); ``extra`` names further
    variables to read (a design's), ``sparse_groups`` allows the sparse group layout,
    ``encode`` encodes one indicator column (:func:`~mpi.measurement.encode.encode_indicator`;
    a block of a bigger-than-memory Dataset passes one that knows the whole data's
    categories)."""
    ks, k_dim, by_names = check_arguments(spec, weight=weight, by=by, k=k, missing=missing)
    needed = [*spec.variables, *([weight] if weight is not None else []), *by_names, *extra]
    table = as_table(data, list(dict.fromkeys(needed)))
    if table.n == 0:
        raise DataError("data has no units (0 rows); nothing to measure")

    encoded = []
    rules = np.empty(len(spec), np.int64)
    cutoffs = np.empty(len(spec), np.float64)
    cardinal = np.empty(len(spec), np.bool_)
    for j, ind in enumerate(spec):
        values, rule, cut = encode(
            table.column(ind.variable, role="indicator"), ind, narrow=True
        )
        if ind.cardinal and cut <= 0:
            raise DataError(f"indicator {ind.name!r}: cardinal cutoff must be positive")
        encoded.append(values)
        rules[j] = kernels.RULE_CODES[rule]
        cutoffs[j] = cut
        cardinal[j] = ind.cardinal
    # one column dtype for the kernel: int8 (views of 0/1 flags and small integer codes)
    # when every column allows it, else float64 (the int8 ones widened one at a time)
    narrow = all(v.dtype == np.int8 for v in encoded)
    columns = []
    while encoded:  # each int8 column is released once widened
        values = encoded.pop(0)
        if not (narrow or values.dtype == np.float64):
            values = readonly(values.astype(np.float64))
        columns.append(readonly(values))
    # the AF kernel reads them through their addresses (kernels.columns.ColumnTable)
    cols = columns
    sweight = (
        encode_weight(table.column(weight, role="weight"), weight)
        if weight is not None
        else readonly(np.empty(0, np.float64))
    )
    # sparse_groups: a large, sparsely filled cross-classification may be encoded over the
    # combinations that occur (mpi._common.table.Groups); the result then has one stacked dim
    groups = encode_groups(table, by_names, sparse=sparse_groups) if by_names else None
    return Prepared(
        spec,
        table,
        cols,
        rules,
        cutoffs,
        cardinal,
        ks,
        k_dim,
        by_names,
        weight,
        sweight,
        groups,
        missing,
        use_patterns,
    )


#: Largest pattern table (cells x 2**d entries per thread) for pattern accumulation: 128k
#: entries (1 MB) stay in the L2 cache.
MAX_PATTERN_TABLE = 1 << 17


def patterns_pay(d: int, n_cells: int) -> int:
    """Kernel accumulation mode: a pattern table when it fits the cache, else lean patterns
    summed per unit (``d <= 15``), else unit by unit."""
    if d > 15:
        return kernels.af.UNITS
    if n_cells * (1 << d) <= MAX_PATTERN_TABLE:
        return kernels.af.PATTERNS
    return kernels.af.DIRECT


def _stats_dataset(
    bstat, bdep, bmissw, bcadj, ndrop, nmiss, wflt, position, spec: Spec, ks: list[Fraction]
) -> xr.Dataset:
    """Per-bucket kernel output -> additive statistics per cutoff (user's k order), in one
    numba pass (:func:`mpi.kernels.bucket_statistics`)."""
    (sumw, nobs, severe, score, obs, dep, poor, cp, c2p, vuln, m1, m2, cdep, contrib) = (
        kernels.bucket_statistics(
            bstat, bdep, bmissw, bcadj, np.asarray(wflt, np.float64), position.astype(np.int64)
        )
    )
    cell, ck, cki = ("cell",), ("cell", "k"), ("cell", "k", "indicator")
    data = {
        "SUMW": (cell, sumw),
        "NOBS": (cell, nobs),
        "NDROP": (cell, ndrop),
        "SEVERE": (cell, severe),
        "SCORE": (cell, score),
        "OBS": (("cell", "indicator"), obs),
        "DEP": (("cell", "indicator"), dep),
        "NMISS": (("cell", "indicator"), nmiss),
        "POOR": (ck, poor),
        "CP": (ck, cp),
        "C2P": (ck, c2p),
        "VULN": (ck, vuln),
        "M1": (ck, m1),
        "M2": (ck, m2),
        "CDEP": (cki, cdep),
        "CONTRIB": (cki, contrib),
    }
    coords = {"indicator": spec.names, "k": [float(f) for f in ks]}
    return xr.Dataset(data, coords=coords)


def _missing_report(stats: xr.Dataset, spec: Spec, weight: str | None, nw: int) -> str:
    nmiss = stats["NMISS"].sum([d for d in stats["NMISS"].dims if d != "indicator"])
    parts = [f"{ind.variable}: {int(v)}" for ind, v in zip(spec, nmiss.values, strict=True) if v]
    if weight is not None and nw:
        parts.append(f"{weight} (weight): {nw}")
    return "missing values per variable: " + (", ".join(parts) if parts else "none")


def _raise_kernel_error(err: np.ndarray, spec: Spec, weight: str | None) -> None:
    codes = err[:, 0]
    if not codes.any():
        return
    row = err[np.flatnonzero(codes)[0]]
    code, where, value = int(row[0]), int(row[1]), row[2]
    af = kernels.af
    if code == af.ERR_FLAG_VALUE:
        ind = spec.indicators[where]
        raise DataError(
            f"variable {ind.variable!r} of indicator {ind.name!r} must hold 0/1 (1 = deprived) "
            f"because the indicator has no cutoff; found the value {value:g}. Give the "
            "indicator a cutoff and deprived_if, or recode the variable"
        )
    if code == af.ERR_NEG_WEIGHT:
        raise DataError(
            f"weight variable {weight!r} must be non-negative and finite; found {value:g} "
            f"(row {where}). Fix or drop those rows before measuring"
        )
    if code == af.ERR_DENOMINATOR:
        raise DataError(
            "missing='reweight' produced reweighted shares whose common denominator "
            f"({value:.0f}) is too large for exact identification; use missing='drop'"
        )
    if code == af.ERR_CELL:  # cell codes come from mpi's own encoding: a bug, not the data
        raise RuntimeError(
            f"internal error: unit {where} has the cell code {value:g}, outside the cells of "
            "its part of the data; please report it with the design and the by variables"
        )
    raise DataError(f"kernel error code {code}")  # pragma: no cover
