"""Result object of :func:`mpi.measure`, backed by additive statistics."""

from __future__ import annotations

import html
from fractions import Fraction
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.exact import fraction_text
from mpi._version import __version__
from mpi.measurement.finalize import CELL_DIM, VARIABLE_ATTRS, finalize
from mpi.measurement.inference import _scatter_sum
from mpi.measurement.result_inference import InferenceMixin

if TYPE_CHECKING:
    from mpi.measurement.inference import Inference
    from mpi.measurement.spec import Spec

__all__ = ["MeasureResult", "missing_group_counts", "group_names", "sparse_position_name"]

REFERENCES = (
    "Alkire, S. and Foster, J. (2011). Counting and multidimensional poverty measurement. "
    "Journal of Public Economics 95(7-8), 476-487."
)
HEADLINE = ["H", "A", "M0", "M1", "M2", "vulnerable", "severe"]
#: Variables of the Dataset that :meth:`MeasureResult.to_frame` leaves out: flags and counts
#: along dims that are not columns of the table (see the Dataset).
NOT_IN_FRAME = ("empty", "n_missing_group_by")
#: Groups of a sparse table shown in :meth:`MeasureResult.summary` (it may have one per unit).
SUMMARY_CELLS = 50


def sparse_position_name(name: str) -> str:
    """Coordinate of a sparse extended table holding each cell's label position in ``by``
    variable ``name`` (its label count for the missing slot)."""
    return f"_position_{name}"


def _units(ds: xr.Dataset) -> xr.DataArray:
    """Units in each cell, used or dropped."""
    return ds["NOBS"] + ds["NDROP"]


def missing_group_counts(
    missing_group: xr.Dataset | None, ext: xr.Dataset | None, names: list[str], time: str | None
) -> tuple[xr.DataArray, xr.DataArray | None]:
    """Units with a missing value in at least one ``by`` variable (``missing_group``'s units;
    per wave for a panel) and per variable (``group_variable`` dim, from the extended table;
    None when there is none and several variables)."""
    keep = [time] if time else []
    if missing_group is None:
        total = xr.DataArray(0) if not time else xr.zeros_like(ext[time], dtype=np.int64)
    else:
        total = _units(missing_group)
    total = total.astype(np.int64)
    if not names:
        return total, None
    if ext is None:
        return total, (total.expand_dims(group_variable=names) if len(names) == 1 else None)
    units = _units(ext)
    per = []
    for b in names:
        if CELL_DIM in units.dims:  # sparse: the cells whose position is the missing slot
            pos = ext[sparse_position_name(b)]
            per.append(units.where(pos == ext.sizes[b], 0).sum(CELL_DIM))
            continue
        others = [d for d in units.dims if d not in (b, *keep)]
        count = units.isel({b: -1}, drop=True).sum(others)
        if time:  # the wave's missing slot holds no unit: drop it, label the waves
            count = count.isel({time: slice(0, total.sizes[time])}).assign_coords(
                {time: total[time].values}
            )
        per.append(count)
    out = xr.concat(per, dim="group_variable").astype(np.int64)
    return total, out.assign_coords(group_variable=np.asarray(names, dtype=object))


def group_names(mask: xr.DataArray) -> list[str]:
    """Labels (``"a / b"`` over the group dims) of the True entries of ``mask``."""
    flat = mask.stack(_entry=list(mask.dims)) if mask.ndim > 1 else mask
    dim = flat.dims[0]
    hits = np.flatnonzero(flat.values)
    if not len(hits):
        return []
    keys = flat.indexes[dim][hits] if dim in flat.indexes else pd.Index(hits)
    return [" / ".join(map(str, k)) if isinstance(k, tuple) else str(k) for k in keys]


class MeasureResult(InferenceMixin):
    """Alkire-Foster measures for one specification, possibly by group and over several k.

    The result keeps the additive sufficient statistics (:attr:`statistics`) and derives
    every measure from them, so aggregating groups (:attr:`overall`, :meth:`marginal`) is
    exact.

    Examples
    --------
    >>> import warnings, mpi
    >>> warnings.simplefilter("ignore", mpi.MissingDataWarning)  # 493 units lack a value
    >>> df = mpi.datasets.load("mpi_survey")
    >>> res = mpi.measure(df, mpi.presets.global_mpi_2018(), weight="weight", by="region")
    >>> ds = res.to_dataset()              # measures by region
    >>> national = res.overall.to_dataset()  # whole population, same call
    >>> bool(abs(float((ds.population_share * ds.M0).sum()) - float(national.M0)) < 1e-12)
    True
    """

    def __init__(
        self,
        stats: xr.Dataset,
        *,
        spec: Spec,
        ks: list[Fraction],
        k_dim: bool,
        by: list[str],
        missing_group: xr.Dataset | None,
        weight: str | None,
        missing: str,
        history: str,
        inference: Inference | None = None,
        extended: xr.Dataset | None = None,
        time: str | None = None,
        notes: dict | None = None,
    ) -> None:
        self._stats = stats
        self._inference = inference
        # statistics by group with a trailing missing slot per by variable (for marginals)
        self._extended = extended
        self.spec = spec
        self.ks = list(ks)
        self.k_dim = k_dim
        self.by = list(by)
        self._missing_group = missing_group
        self.weight = weight
        self.missing = missing
        self.history = history
        # panels: the wave dimension is the last ``by`` dim but is never summed over
        self.time = time
        self.notes = dict(notes or {})

    # -- statistics ------------------------------------------------------------------
    @property
    def statistics(self) -> xr.Dataset:
        """The additive sufficient statistics (weighted sums) behind every measure."""
        return self._stats

    @property
    def k(self) -> Fraction | list[Fraction]:
        """The poverty cutoff(s), exact."""
        return self.ks if self.k_dim else self.ks[0]

    def _child(
        self, stats: xr.Dataset, by: list[str], missing_group, extended: xr.Dataset | None = None
    ) -> MeasureResult:
        return MeasureResult(
            stats,
            spec=self.spec,
            ks=self.ks,
            k_dim=self.k_dim,
            by=by,
            missing_group=missing_group,
            weight=self.weight,
            missing=self.missing,
            history=self.history,
            inference=self._inference,
            extended=extended,
            time=self.time,
            notes=self.notes,
        )

    @property
    def groups(self) -> list[str]:
        """The ``by`` variables that are population groups (all but a panel's wave dim)."""
        return [b for b in self.by if b != self.time]

    @property
    def sparse(self) -> bool:
        """Whether the groups are the occurring combinations of the ``by`` variables along
        one ``cell`` dimension (a MultiIndex of the variables), not one dimension per
        variable: :func:`mpi.measure` chooses this layout for a cross-classification whose
        full table would be large and mostly empty (see ``mpi._common.table.DENSE_CELLS``)."""
        return CELL_DIM in self._stats.dims

    @property
    def _group_dims(self) -> list[str]:
        """The statistics' dims that index groups (not a panel's waves)."""
        return [CELL_DIM] if self.sparse else self.groups

    @property
    def _cell_dims(self) -> list[str]:
        """The statistics' dims that index cells: the group dims and a panel's waves."""
        return [CELL_DIM] if self.sparse else self.by

    @cached_property
    def overall(self) -> MeasureResult:
        """The whole population (group dimensions summed out, units with a missing group
        included). For a panel, per wave."""
        if not self.groups:
            return self
        total = self._stats.sum(self._group_dims)
        if self._missing_group is not None:
            total = total + self._missing_group
        return self._child(total, [self.time] if self.time else [], None)

    def marginal(self, name: str) -> MeasureResult:
        """Result by one of several ``by`` variables (others summed out)."""
        if name not in self.by:
            raise KeyError(f"{name!r} is not a grouping variable of this result; by={self.by}")
        if name == self.time:
            raise KeyError(f"{name!r} is the panel's wave dimension; select waves with .sel()")
        if self.sparse:
            return self._sparse_marginal(name)
        others = [b for b in self.by if b not in (name, self.time)]
        if self._extended is None:  # no unit has a missing group
            keep = [name, self.time] if self.time else [name]
            return self._child(self._stats.sum(others), keep, self._missing_group)
        # units whose other group variables are missing still belong to this margin
        ext = self._extended.sum(others)
        keep = [name]
        if self.time:  # the wave dim has no missing slot worth keeping: drop it, label it
            nt = self._stats.sizes[self.time]
            ext = ext.isel({self.time: slice(0, nt)}).assign_coords(
                {self.time: self._stats[self.time].values}
            )
            keep.append(self.time)
        n = self._stats.sizes[name]
        stats = ext.isel({name: slice(0, n)}).assign_coords({name: self._stats[name].values})
        missing = ext.isel({name: n}, drop=True)
        return self._child(stats, keep, missing, ext)

    def _sparse_marginal(self, name: str) -> MeasureResult:
        """:meth:`marginal` of a sparse table: the cells' statistics summed by their label
        of ``name`` (every cell, missing slots of the others included), one dim."""
        ext = self._extended
        assert ext is not None
        n = ext.sizes[name]
        pos = ext[sparse_position_name(name)].values
        data = {
            v: ((name, *da.dims[1:]), _scatter_sum(pos, da.values, n + 1))
            for v, da in ext.data_vars.items()
        }
        common = {c: ext[c].values for c in ("k", "indicator")}
        full = xr.Dataset(data, coords=common)
        stats = full.isel({name: slice(0, n)}).assign_coords({name: ext[name].values})
        missing = full.isel({name: n}, drop=True)
        return self._child(stats, [name], missing, full)

    # -- measures --------------------------------------------------------------------
    @property
    def _above_severe(self) -> np.ndarray | None:
        """Per cutoff (exact fractions): ``k`` above the severity cutoff, where the severe
        share is the headcount ratio (``None`` when no cutoff is)."""
        above = np.array([k > self.spec.severe for k in self.ks])
        if not above.any():
            return None
        return above if self.k_dim else above[:1].reshape(())

    @cached_property
    def _dataset(self) -> xr.Dataset:
        spec = self.spec
        dims = spec.dimensions
        membership = xr.DataArray(
            np.array([[1.0 if spec.dimension_of(i) == d else 0.0 for i in spec] for d in dims]),
            dims=("dimension", "indicator"),
            coords={"dimension": dims, "indicator": spec.names},
        )
        ds = finalize(self._stats, membership, self._above_severe)
        if self.groups:
            # shares are among units with a known group; contributions are to the overall M0
            sumw_known = self._stats["SUMW"].sum(self._group_dims)
            sumw_all, cp_all = sumw_known, self._stats["CP"].sum(self._group_dims)
            if self._missing_group is not None:
                sumw_all = sumw_all + self._missing_group["SUMW"]
                cp_all = cp_all + self._missing_group["CP"]
            # assigned as Variables: the group coordinates are ds's already (and a sparse
            # table's MultiIndex must not be merged level by level)
            with np.errstate(divide="ignore", invalid="ignore"):
                ds["population_share"] = (
                    (self._stats["SUMW"] / sumw_known).where(sumw_known != 0).variable
                )
                ds["group_contribution"] = (
                    (self._stats["CP"] * sumw_all / (sumw_known * cp_all))
                    .where((sumw_known != 0) & (cp_all != 0))
                    .variable
                )
            ds["empty"] = (self._stats["SUMW"] == 0).variable
            total, per = self._missing_counts
            ds["n_missing_group"] = total
            if per is not None:
                ds["n_missing_group_by"] = per
            for name in (
                "population_share",
                "group_contribution",
                "empty",
                "n_missing_group",
                "n_missing_group_by",
            ):
                if name in ds:
                    ds[name].attrs.update(VARIABLE_ATTRS[name])
            for b in self.groups:
                ds[b].attrs.setdefault("long_name", f"Group: {b}")
        if self.time:
            ds[self.time].attrs.setdefault("long_name", "Wave (calendar year)")
        ds = ds.assign_coords(
            indicator_weight=("indicator", spec.weights),
            indicator_dimension=("indicator", [spec.dimension_of(i) for i in spec]),
        )
        ds["indicator_weight"].attrs.update(long_name="Nested indicator weight w_j", units="1")
        ds["k"].attrs.update(long_name="Poverty cutoff k (share of weighted indicators)", units="1")
        if not self.k_dim:
            ds = ds.squeeze("k")
        labels = [i.label or i.name for i in spec]
        ds = ds.assign_coords(indicator_label=("indicator", labels))
        ds.attrs.update(
            title=f"Alkire-Foster multidimensional poverty measures: {spec.name or 'custom spec'}",
            Conventions="CF-1.11",
            institution="xmpi",
            source=f"xmpi {__version__}",
            spec=spec.name or "custom",
            spec_title=spec.title or "",
            k=", ".join(fraction_text(f) for f in self.ks),
            vulnerable_cutoff=fraction_text(spec.vulnerable),
            severe_cutoff=fraction_text(spec.severe),
            weights=spec.describe(),
            sampling_weight=self.weight or "none (equal weights)",
            missing=self.missing,
            cell_methods=f"unit: mean (weighted by {self.weight or 'equal weights'})",
            references=REFERENCES + (f" Spec: {spec.source.strip()}" if spec.source else ""),
            history=self.history,
        )
        ds.attrs.update({k: v for k, v in self.notes.items()})
        return ds

    @cached_property
    def _missing_counts(self) -> tuple[xr.DataArray, xr.DataArray | None]:
        """Units with a missing group value: in total and per ``by`` variable."""
        return missing_group_counts(self._missing_group, self._extended, self.groups, self.time)

    def to_dataset(self) -> xr.Dataset:
        """All measures as an :class:`xarray.Dataset` with CF-style attributes (a copy).

        With groups it also holds ``empty`` (groups without measurable weight, whose
        measures are NaN), ``n_missing_group`` (units with a missing value in some ``by``
        variable, left out of the group table but counted in the overall) and
        ``n_missing_group_by`` (the same per ``by`` variable, dim ``group_variable``). A
        sparse cross-classification (:attr:`sparse`) has one ``cell`` dim with a MultiIndex
        of the ``by`` variables (``.reset_index("cell")`` before writing it to netCDF).
        """
        return self._dataset.copy(deep=True)

    def __getitem__(self, name: str) -> xr.DataArray:
        return self._dataset[name].copy(deep=True)

    @property
    def H(self) -> xr.DataArray:
        """Headcount ratio."""
        return self["H"]

    @property
    def A(self) -> xr.DataArray:
        """Intensity among the poor."""
        return self["A"]

    @property
    def M0(self) -> xr.DataArray:
        """Adjusted headcount ratio."""
        return self["M0"]

    # -- tables ----------------------------------------------------------------------
    def to_frame(self) -> pd.DataFrame:
        """Tidy long table: one row per (measure, indicator or dimension, group, k).

        Columns: ``measure, indicator, dimension, <by variables…>, k, value``; entries that do
        not apply (e.g. ``indicator`` for H) are missing. With a survey design, also ``se``
        and the 95% logit confidence interval ``lower``, ``upper`` (see :meth:`ci`).
        """
        ds = self._dataset
        extra: dict[str, xr.Dataset] = {}
        if self.has_design:
            ci = self.ci()
            extra = {
                "se": self._se,
                "lower": ci.sel(bound="lower", drop=True),
                "upper": ci.sel(bound="upper", drop=True),
            }
        frames = []
        for name, da in ds.data_vars.items():
            if name in NOT_IN_FRAME:
                continue
            da = da.reset_coords(drop=True)
            parts = {"value": da}
            for col, src in extra.items():
                parts[col] = (
                    src[name].reset_coords(drop=True).transpose(*da.dims)
                    if name in src
                    else xr.full_like(da, np.nan, dtype=float)
                )
            if da.ndim == 0:
                df = pd.DataFrame({c: [v.item()] for c, v in parts.items()})
            else:
                df = xr.Dataset(parts).to_dataframe().reset_index()
            df.insert(0, "measure", name)
            frames.append(df)
        out = pd.concat(frames, ignore_index=True)
        cols = ["measure", "indicator", "dimension", *self.by, "k", "value", *extra]
        for c in cols:
            if c not in out:
                out[c] = float(self.ks[0]) if c == "k" else pd.NA
        out = out[cols]
        if out["k"].isna().any():
            out["k"] = out["k"].fillna(float(self.ks[0]) if not self.k_dim else np.nan)
        return out

    def _headline_frame(self, which: str = "estimate") -> pd.DataFrame:
        """Headline measures overall and by group (``which="se"``: their standard errors)."""
        cols = HEADLINE + (["n_obs", "n_dropped"] if which == "estimate" else [])

        def frame(ds: xr.Dataset, label: str | None) -> pd.DataFrame:
            rows = ds[cols].reset_coords(drop=True)
            df = (
                rows.to_dataframe().reset_index()
                if rows["H"].ndim
                else pd.DataFrame({v: [rows[v].item()] for v in rows.data_vars})
            )
            if label is not None:
                df.insert(0, "group", label)
            return df

        ds = self._dataset if which == "estimate" else self._se
        if self.sparse:  # the first cells only (see summary)
            ds = ds.isel({CELL_DIM: slice(0, SUMMARY_CELLS)})
        index = ["group", *([self.time] if self.time else []), *(["k"] if self.k_dim else [])]
        if not self.groups:
            out = frame(ds, None)
            out.insert(0, "group", "Overall")
            return out.set_index(index)
        overall = self.overall
        parts = [frame(overall._dataset if which == "estimate" else overall._se, "Overall")]
        body = frame(ds, None)
        body.insert(0, "group", body[self.groups].astype(str).agg(" / ".join, axis=1))
        body = body.drop(columns=self.groups)
        parts.append(body)
        out = pd.concat(parts, ignore_index=True)
        return out.set_index(index)

    def _indicator_frame(self) -> pd.DataFrame:
        ds = self.overall._dataset
        cols = ["uncensored_headcount", "censored_headcount", "contribution"]
        sub = ds[cols].reset_coords(["indicator_dimension", "indicator_weight"])
        df = sub.to_dataframe().reset_index()
        df = df.drop(columns=[c for c in df.columns if c == "indicator_label"], errors="ignore")
        keep = ["indicator", "indicator_dimension", "indicator_weight"]
        keep += [self.time] if self.time else []
        keep += ["k"] if self.k_dim else []
        df = df[keep + cols].rename(
            columns={"indicator_dimension": "dimension", "indicator_weight": "weight"}
        )
        return df.set_index(["indicator", *keep[3:]])

    def _header(self) -> list[tuple[str, str]]:
        overall = self.overall._dataset

        def span(values: xr.DataArray) -> str:
            # a panel's counts vary by wave under balance="observed": show their range
            lo, hi = int(values.min()), int(values.max())
            return f"{hi:,}" if lo == hi else f"{lo:,}-{hi:,}"

        def count(name: str) -> str:
            return span(overall[name])

        n_obs, n_drop = count("n_obs"), count("n_dropped")
        panel = (
            [
                ("Waves", f"{overall.sizes[self.time]} along {self.time!r}"),
                ("Balance policy", str(self.notes.get("balance", ""))),
                ("Units excluded (gaps)", f"{self.notes.get('n_excluded', 0):,}"),
            ]
            if self.time
            else []
        )
        return [
            (
                "Spec",
                f"{self.spec.name or 'custom'} ({len(self.spec)} indicators, "
                f"{len(self.spec.dimensions)} dimensions)",
            ),
            ("Poverty cutoff k", ", ".join(fraction_text(f) for f in self.ks)),
            ("Sampling weight", self.weight or "none"),
            ("Groups", ", ".join(self.groups) or "none"),
            *panel,
            ("Units used" + (" per wave" if self.time else ""), n_obs),
            ("Units dropped (missing)", f"{n_drop} (rule: {self.missing})"),
            *self._group_header(span),
            *self._design_header(),
        ]

    def _group_header(self, span) -> list[tuple[str, str]]:
        """Summary lines on units with a missing group and on empty groups (when any)."""
        if not self.groups:
            return []
        out = []
        total, per = self._missing_counts
        if int(total.sum()):
            detail = (
                " (" + ", ".join(f"{b}: {span(per.sel(group_variable=b))}" for b in self.groups)
                + ")"
                if per is not None
                else ""
            )
            out.append(("Units with a missing group", f"{span(total)}{detail}"))
        empty = (self._stats["SUMW"] == 0) & (_units(self._stats) > 0)
        if bool(empty.any()):
            names = group_names(empty)
            shown = ", ".join(names[:5]) + (", …" if len(names) > 5 else "")
            out.append(
                ("Empty groups", f"{len(names)} with units but no weight (NaN): {shown}")
            )
        return out

    def summary(self, *, precision: int = 4) -> str:
        """Text summary: header, headline measures (overall and by group), indicators."""
        lines = ["Alkire-Foster multidimensional poverty measures", "=" * 48]
        header = self._header()
        width = max(24, *(len(k) + 1 for k, _ in header))  # labels never run into values
        lines += [f"{k:<{width}}{v}" for k, v in header]
        with pd.option_context("display.width", 120, "display.max_columns", 20):
            lines += ["", "Headline measures", "-" * 17]
            lines.append(
                self._headline_frame().to_string(float_format=f"{{:.{precision}f}}".format)
            )
            n_cells = self._stats.sizes.get(CELL_DIM, 0)
            if n_cells > SUMMARY_CELLS:
                lines.append(
                    f"… first {SUMMARY_CELLS} of {n_cells:,} groups shown; all are in "
                    "to_dataset() and to_frame()"
                )
            if self.has_design:
                lines += ["", "Standard errors (design-based)", "-" * 30]
                lines.append(
                    self._headline_frame("se").to_string(float_format=f"{{:.{precision}f}}".format)
                )
            lines += ["", "Indicators (whole population)", "-" * 29]
            lines.append(
                self._indicator_frame().to_string(float_format=f"{{:.{precision}f}}".format)
            )
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
            for k, v in self._header()
        )
        fmt = "{:.4f}".format
        return (
            "<div><strong>Alkire-Foster multidimensional poverty measures</strong>"
            f"<table>{head}</table><p><em>Headline measures</em></p>"
            f"{self._headline_frame().to_html(float_format=fmt)}"
            + (
                "<p><em>Standard errors (design-based)</em></p>"
                + self._headline_frame("se").to_html(float_format=fmt)
                if self.has_design
                else ""
            )
            + "<p><em>Indicators (whole population)</em></p>"
            + f"{self._indicator_frame().to_html(float_format=fmt)}</div>"
        )

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        ov = self.overall._dataset
        if self.time:
            head = f"k={', '.join(fraction_text(f) for f in self.ks)}, {ov.sizes[self.time]} waves"
        elif self.k_dim:
            ks = ", ".join(
                f"k={fraction_text(f)}: M0={float(ov.M0.sel(k=float(f))):.4f}" for f in self.ks
            )
            head = ks
        else:
            head = (
                f"k={fraction_text(self.ks[0])}: H={float(ov.H):.4f} A={float(ov.A):.4f} "
                f"M0={float(ov.M0):.4f}"
            )
        groups = f", by={self.groups}" if self.groups else ""
        return (
            f"<mpi.MeasureResult spec={self.spec.name or 'custom'!r}{groups}, "
            f"n={int(ov.n_obs.max()):,}, {head}>"
        )
