"""``mpi.measure``: Alkire-Foster measures in one exact, fused pass."""

from __future__ import annotations

import datetime as _dt
import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

import numba
import numpy as np
import pandas as pd
import xarray as xr

from mpi import kernels
from mpi._common.exact import fraction_text
from mpi._common.table import Groups, as_table, encode_groups, encode_weight, readonly
from mpi._version import __version__
from mpi.errors import DataError, MissingDataWarning, ValidationError
from mpi.measurement.encode import encode_indicator
from mpi.measurement.finalize import CELL_DIM
from mpi.measurement.inference import _check_design_type, run_design
from mpi.measurement.result import (
    MeasureResult,
    group_names,
    missing_group_counts,
    sparse_position_name,
)
from mpi.measurement.spec import Spec
from mpi.survey.design import BootstrapDesign, Design, ReplicateDesign

__all__ = ["measure", "compute_statistics"]

_MISSING = ("drop", "reweight", "raise")


def _k_list(spec: Spec, k: Any) -> tuple[list[Fraction], bool]:
    """Validated cutoffs and whether a ``k`` dimension is wanted."""
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


def _as_names(by: Any) -> list[str]:
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
class _Prepared:
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
            int(patterns) if patterns is not None else _patterns_pay(len(spec), n_cells),
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
                + _missing_report(stats, spec, self.weight, self.sweight)
                + ". Use missing='drop' (listwise) or missing='reweight' (OPHI rule), or "
                "impute first"
            )
        self._check_total_weight(stats, n_dropped)
        if n_dropped:
            warnings.warn(
                f"{n_dropped} of {table.n} units dropped for missing values ({missing!r} rule): "
                + _missing_report(stats, spec, self.weight, self.sweight)
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
        units = known["NOBS"] + known["NDROP"]
        empty = (known["SUMW"] == 0) & (units > 0)
        if not bool(empty.any()):
            return
        labels = group_names(empty)
        shown = ", ".join(labels[:10]) + (f", … ({len(labels) - 10} more)" if len(labels) > 10 else "")
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
        arrays = {v: stats[v].values.reshape(shape + stats[v].shape[1:]) for v in stats.data_vars}
        vdims = {v: stats[v].dims[1:] for v in stats.data_vars}
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


def _prepare(
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
) -> _Prepared:
    if not isinstance(spec, Spec):
        raise ValidationError(
            f"spec must be an mpi.Spec (e.g. mpi.presets.global_mpi_2018()); got "
            f"{type(spec).__name__}"
        )
    if missing not in _MISSING:
        raise ValidationError(f"missing must be one of {', '.join(_MISSING)}; got {missing!r}")
    ks, k_dim = _k_list(spec, k)
    by_names = _as_names(by)
    if weight is not None and not isinstance(weight, Hashable | str):
        raise ValidationError(f"weight must be the name of a variable; got {weight!r}")
    needed = [*spec.variables, *([weight] if weight is not None else []), *by_names, *extra]
    table = as_table(data, list(dict.fromkeys(needed)))
    if table.n == 0:
        raise DataError("data has no units (0 rows); nothing to measure")

    encoded = []
    rules = np.empty(len(spec), np.int64)
    cutoffs = np.empty(len(spec), np.float64)
    cardinal = np.empty(len(spec), np.bool_)
    for j, ind in enumerate(spec):
        values, rule, cut = encode_indicator(
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
    cols = numba.typed.List()
    while encoded:  # each int8 column is released once widened
        values = encoded.pop(0)
        if not (narrow or values.dtype == np.float64):
            values = readonly(values.astype(np.float64))
        cols.append(values)
    sweight = (
        encode_weight(table.column(weight, role="weight"), weight)
        if weight is not None
        else readonly(np.empty(0, np.float64))
    )
    # sparse_groups: a large, sparsely filled cross-classification may be encoded over the
    # combinations that occur (mpi._common.table.Groups); the result then has one stacked dim
    groups = encode_groups(table, by_names, sparse=sparse_groups) if by_names else None
    return _Prepared(
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


def compute_statistics(
    data: Any,
    spec: Spec,
    *,
    weight: str | None = None,
    by: str | Sequence[str] | None = None,
    k: Any = None,
    missing: Literal["drop", "reweight", "raise"] = "drop",
    use_patterns: bool | int | None = None,
) -> tuple[xr.Dataset, xr.Dataset | None, Groups | None, list[Fraction], bool]:
    """Run the kernel and return the additive statistics (see :mod:`mpi.kernels.af`).

    Returns ``(stats, missing_group_stats, groups, ks, k_dim)`` where ``stats`` has the
    group dimensions (if any), ``k`` and ``indicator``. ``use_patterns`` forces the kernel's
    accumulation mode (``None``: by :func:`_patterns_pay`; ``True``/``False`` or a mode of
    :mod:`mpi.kernels.af`: ``UNITS``, ``PATTERNS``, ``DIRECT``); all give the same statistics.
    """
    prep = _prepare(
        data, spec, weight=weight, by=by, k=k, missing=missing, use_patterns=use_patterns
    )
    stats, missing_group, _ = prep.finish(prep.run_groups(), stacklevel=4)
    return stats, missing_group, prep.groups, prep.ks, prep.k_dim


#: Largest pattern table (cells x 2**d entries per thread) for pattern accumulation: 128k
#: entries (1 MB) stay in the L2 cache.
MAX_PATTERN_TABLE = 1 << 17


def _patterns_pay(d: int, n_cells: int) -> int:
    """Kernel accumulation mode: a pattern table when it fits the cache, else lean patterns
    summed per unit (``d <= 15``), else unit by unit."""
    if d > 15:
        return kernels.af.UNITS
    if n_cells * (1 << d) <= MAX_PATTERN_TABLE:
        return kernels.af.PATTERNS
    return kernels.af.DIRECT


def _split_cells(stats: xr.Dataset, groups: Groups) -> xr.Dataset:
    """Reshape the ``cell`` axis into one dimension per ``by`` variable, each with its
    labels' positions plus a trailing missing slot (no label coordinates)."""
    data = {}
    for name, da in stats.data_vars.items():
        arr = da.values.reshape(groups.ext_shape + da.shape[1:])
        data[name] = ((*groups.names, *da.dims[1:]), arr)
    coords = {c: stats[c].values for c in ("k", "indicator")}
    return xr.Dataset(data, coords=coords)


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


def _missing_report(stats: xr.Dataset, spec: Spec, weight: str | None, sweight) -> str:
    nmiss = stats["NMISS"].sum([d for d in stats["NMISS"].dims if d != "indicator"])
    parts = [f"{ind.variable}: {int(v)}" for ind, v in zip(spec, nmiss.values, strict=True) if v]
    if weight is not None and sweight.size:
        nw = int(np.isnan(sweight).sum())
        if nw:
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


def measure(
    data: Any,
    spec: Spec,
    *,
    weight: str | None = None,
    by: str | Sequence[str] | None = None,
    k: Any = None,
    missing: Literal["drop", "reweight", "raise"] = "drop",
    design: Design | BootstrapDesign | ReplicateDesign | None = None,
    time: Hashable = "time",
    unit: Hashable = "unit",
    balance: Literal["balanced", "observed"] = "balanced",
) -> MeasureResult:
    """Alkire-Foster multidimensional poverty measures.

    One fused pass over the units computes, for every group and every ``k``, the
    headcount ratio H, intensity A, adjusted headcount ratio M0, M1, M2, the vulnerable and
    severe shares, inequality among the poor, and uncensored and censored headcount ratios
    with percentage contributions by indicator and by dimension.

    Parameters
    ----------
    data : pandas.DataFrame or xarray.Dataset
        One row (or one element along a single unit dimension) per unit, with a column for
        every indicator's ``variable``; or a *panel*: a Dataset with dims ``unit`` and
        ``time`` (indicators over both, weight and groups over ``unit``), measured wave by
        wave in one kernel pass, the result gaining the ``time`` dimension. Never modified.
    spec : mpi.Spec
        Indicators, deprivation cutoffs, nested weights and the poverty cutoff.
    weight : str, optional
        Name of the sampling-weight variable (non-negative). For person-level measures from
        household data use household weight times household size.
    by : str or list of str, optional
        Grouping variable(s). A list gives the cross-classification; use
        :meth:`MeasureResult.marginal` for one variable's own table and
        :attr:`MeasureResult.overall` for the whole population. The result has one
        dimension per variable, unless the full cross table would be large and mostly
        empty (over 65,536 cells and over 4 per combination that occurs): then only the
        occurring combinations are groups, along one ``cell`` dimension labelled by a
        MultiIndex of the variables (as pandas ``groupby``; :attr:`MeasureResult.sparse`).
        Units with a missing value in a ``by`` variable are left out of that variable's
        groups but kept in the overall figures (and in the other variables' margins); they
        are counted (``n_missing_group``, ``n_missing_group_by``) and reported with a
        :class:`~mpi.MissingDataWarning`. A group whose units have no measurable weight
        (zero weights, or all dropped) has NaN measures, is flagged in ``empty`` and named
        in a warning.
    k : float, str, Fraction or sequence, optional
        Poverty cutoff(s) overriding ``spec.k``. A sequence adds a ``k`` dimension and is
        computed in the same pass.
    missing : {"drop", "reweight", "raise"}
        ``"drop"``: listwise deletion; every dropped unit is counted (``n_dropped``) and a
        :class:`~mpi.MissingDataWarning` names the variables. ``"reweight"``: the OPHI
        rule; a unit's missing indicator's weight is re-spread over the observed indicators
        of the same dimension; a unit missing a whole dimension is dropped and counted.
        ``"raise"``: a :class:`~mpi.DataError` on any missing value.
    design : mpi.Design, Design.bootstrap(...) or mpi.ReplicateDesign, optional
        The survey design, for design-based standard errors of every estimate
        (:attr:`MeasureResult.se`, :meth:`~MeasureResult.ci`, :meth:`~MeasureResult.vcov`).
        Its weight is the sampling weight (do not pass ``weight`` as well). Groups are
        estimated as domains of the whole design, never by subsetting it.
    time, unit : str
        Panels only: names of the wave and unit dimensions.
    balance : {"balanced", "observed"}
        Panels only. ``"balanced"`` (default): the units with a measurable state (no value
        missing under ``missing``) in every wave, so that changes between waves compare the
        same population; the others are excluded and counted (``n_excluded`` in the
        result's attributes, with a :class:`~mpi.MissingDataWarning`). ``"observed"``: each
        wave measures every unit observed in it (repeated cross-sections of an unbalanced
        panel; units missing in a wave are counted in that wave's ``n_dropped``).

    Returns
    -------
    MeasureResult
        ``.to_dataset()`` gives the measures as an :class:`xarray.Dataset`.

    Raises
    ------
    DataError
        Among others, when the sampling weights sum to 0 over the units measured (nothing
        can be estimated).

    Notes
    -----
    With deprivation :math:`g_{ij}\\in\\{0,1\\}`, nested weights :math:`w_j`
    (:math:`\\sum_j w_j = 1`) and score :math:`c_i = \\sum_j w_j g_{ij}`, unit *i* is poor
    when :math:`c_i \\ge k` (Alkire and Foster 2011). Identification is exact: weights and
    *k* are rational numbers over a common denominator, so a score of exactly *k* is poor
    whatever the floating-point rounding of the weights. With sampling weights
    :math:`s_i`,

    .. math::

        H = \\frac{\\sum_i s_i p_i}{\\sum_i s_i}, \\quad
        M_0 = \\frac{\\sum_i s_i c_i p_i}{\\sum_i s_i} = H A = \\sum_j w_j h_j, \\quad
        M_\\alpha = \\frac{\\sum_i s_i p_i \\sum_j w_j \\gamma_{ij}^{\\alpha}}{\\sum_i s_i}

    where :math:`h_j` is the censored headcount ratio and :math:`\\gamma_{ij}` the
    normalised gap (1 for a deprived non-cardinal indicator).

    References
    ----------
    Alkire, S. and Foster, J. (2011). Counting and multidimensional poverty measurement.
    *Journal of Public Economics* 95(7-8), 476-487.
    Alkire, S., Foster, J., Seth, S., Santos, M. E., Roche, J. M. and Ballon, P. (2015).
    *Multidimensional Poverty Measurement and Analysis*. Oxford University Press, ch. 5.

    Examples
    --------
    >>> import pandas as pd, mpi
    >>> spec = mpi.Spec.from_dimensions({"a": ["a1", "a2"], "b": ["b1", "b2"]}, k=0.5)
    >>> df = pd.DataFrame({"a1": [0, 1, 1, 0], "a2": [0, 0, 1, 1],
    ...                    "b1": [0, 0, 1, 0], "b2": [0, 1, 1, 0]})
    >>> res = mpi.measure(df, spec)
    >>> float(res["M0"]), float(res["H"]), float(res["A"])
    (0.375, 0.5, 0.75)
    """
    inference = None
    notes: dict = {}
    panel_time = None
    if _is_panel(data, spec, time):
        if design is not None:
            raise ValidationError(
                "design= is not supported for panels yet; measure one wave at a time "
                "(mpi.measure(panel.sel(time=year), spec, design=...)) or pool the waves with "
                "mpi.Design(..., rounds=...) on a long table"
            )
        data, by, notes = _flatten_panel(
            data,
            spec,
            weight=weight,
            by=by,
            time=time,
            unit=unit,
            balance=balance,
            missing=missing,
        )
        panel_time = str(time)
    if design is not None:
        _check_design_type(design)
        if weight is not None and weight != design.weight:
            raise ValidationError(
                f"weight={weight!r} differs from the design's weight {design.weight!r}; give the "
                "weight only in mpi.Design(...)"
            )
        weight = design.weight
    prep = _prepare(
        data,
        spec,
        weight=weight,
        by=by,
        k=k,
        missing=missing,
        use_patterns=None,
        extra=design.variables if design is not None else (),
        sparse_groups=panel_time is None,  # panels keep the dense (unit, wave) layout
    )
    prep.keep = panel_time
    if design is None:
        stats, missing_group, extended = prep.finish(prep.run_groups(), stacklevel=3)
    else:
        cell_stats, inference = run_design(prep, design)
        stats, missing_group, extended = prep.finish(cell_stats, stacklevel=3)
    groups, ks, k_dim = prep.groups, prep.ks, prep.k_dim
    call = (
        f"mpi.measure(data, spec={spec.name or 'custom'!r}, weight={weight!r}, "
        f"by={groups.names if groups else None!r}, "
        f"k={[fraction_text(f) for f in ks] if k_dim else fraction_text(ks[0])}, "
        f"missing={missing!r}"
        + (f", design={design!r}" if design is not None else "")
        + (f", balance={balance!r}" if panel_time else "")
        + ")"
    )
    history = (
        f"{_dt.datetime.now(_dt.UTC).isoformat(timespec='seconds')}: {call} [xmpi {__version__}]"
    )
    return MeasureResult(
        stats,
        spec=spec,
        ks=ks,
        k_dim=k_dim,
        by=groups.names if groups else [],
        missing_group=missing_group,
        weight=weight,
        missing=missing,
        history=history,
        inference=inference,
        extended=extended,
        time=panel_time,
        notes=notes,
    )


def _is_panel(data: Any, spec: Spec, time: Hashable) -> bool:
    """Whether ``data`` is a panel Dataset: indicator variables vary along ``time``."""
    if not isinstance(data, xr.Dataset) or time not in data.dims:
        return False
    return any(v in data.variables and time in data[v].dims for v in spec.variables)


def _flatten_panel(
    panel: xr.Dataset,
    spec: Spec,
    *,
    weight: Any,
    by: Any,
    time: Hashable,
    unit: Hashable,
    balance: str,
    missing: str,
) -> tuple[xr.Dataset, list[str], dict]:
    """A panel as a flat table of unit-waves (row ``i * T + t``, views where possible) with
    the wave as the last ``by`` variable; ``balance="balanced"`` keeps the units measurable
    in every wave."""
    from mpi._common.panel_layout import (
        check_balance,
        check_panel,
        flat_column,
        static_column,
        unit_weights,
    )

    check_balance(balance)
    layout = check_panel(panel, unit=unit, time=time)
    if weight is not None:  # a bad weight is reported by unit id, as in mpi.transitions
        unit_weights(panel, weight, layout, allow_missing=missing != "raise")
    by_names = _as_names(by)
    if str(time) in by_names:
        raise ValidationError(f"by={by!r} names the wave dimension {time!r}; it is added anyway")
    n, T = layout.n_units, layout.n_waves
    flat: dict[Hashable, Any] = {}
    for v in dict.fromkeys(spec.variables):
        flat[v] = ("_row", flat_column(panel, v, layout, "indicator").to_numpy())
    for v, role in [(weight, "weight")] + [(b, "by") for b in by_names]:
        if v is None:
            continue
        static_column(panel, v, layout, role)
        flat[v] = ("_row", np.repeat(panel[v].values, T))
    flat[str(time)] = ("_row", np.tile(np.asarray(layout.times), n))
    notes = {"balance": balance, "n_excluded": 0, "panel_units": n, "panel_waves": T}
    if balance == "balanced" and missing != "raise":
        usable = _measurable(flat, spec, missing).reshape(n, T)
        complete = usable.all(axis=1)
        n_excluded = int(n - complete.sum())
        notes["n_excluded"] = n_excluded
        if n_excluded:
            keep = np.repeat(complete, T)
            flat = {k: ("_row", v[1][keep]) for k, v in flat.items()}
            warnings.warn(
                f"{n_excluded} of {n} panel units excluded: not measurable in every wave "
                f"(balance='balanced'); they are counted in the result's n_excluded attribute. "
                "Use balance='observed' to measure each wave's observed units",
                MissingDataWarning,
                stacklevel=4,
            )
    return xr.Dataset(flat), [*by_names, str(time)], notes


def _measurable(flat: dict, spec: Spec, missing: str) -> np.ndarray:
    """Rows whose AF state is defined: every indicator observed (``drop``), or at least one
    observed indicator in every dimension (``reweight``, the OPHI rule)."""
    import pandas as pd

    n_rows = len(next(iter(flat.values()))[1])
    observed = {}
    for ind in spec:
        x = flat[ind.variable][1]
        observed[ind.name] = ~(np.isnan(x) if x.dtype.kind == "f" else pd.isna(x))
    if missing != "reweight":
        out = np.ones(n_rows, bool)
        for o in observed.values():
            out &= o
        return out
    out = np.ones(n_rows, bool)
    for dim in spec.dimensions:
        any_obs = np.zeros(n_rows, bool)
        for ind in spec:
            if spec.dimension_of(ind) == dim:
                any_obs |= observed[ind.name]
        out &= any_obs
    return out
