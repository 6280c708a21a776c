"""Result object of :func:`mpi.measure`, backed by additive statistics."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.exact import fraction_text
from mpi._common.labels import spec_text, text
from mpi._common.result import ResultBase, label_table
from mpi._version import __version__
from mpi.measurement.cell_totals import scatter_sum
from mpi.measurement.finalize import CELL_DIM, VARIABLE_ATTRS, finalize
from mpi.measurement.formulas import dimension_membership
from mpi.measurement.groups import (
    group_names,
    missing_group_counts,
    sparse_position_name,
    unit_counts,
)
from mpi.measurement.result_inference import InferenceMixin
from mpi.survey.design import BootstrapDesign, ReplicateDesign

if TYPE_CHECKING:
    from mpi.measurement.cell_totals import Inference
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


class MeasureResult(InferenceMixin, ResultBase):
    """Alkire-Foster measures for one specification, possibly by group and over several k.

    The result keeps the additive sufficient statistics (:attr:`statistics`) and derives
    every measure from them, so aggregating groups (:attr:`overall`, :meth:`marginal`) is
    exact. It has the interface of every result (:class:`mpi._common.result.ResultBase`):
    :meth:`to_dataset`, :meth:`to_frame`, :meth:`summary`, :meth:`by_group`, and with a
    survey design :attr:`se` and :meth:`ci`.

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

    title = "Alkire-Foster multidimensional poverty measures"
    call = "mpi.measure"

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
    def missing_group_statistics(self) -> xr.Dataset | None:
        """The additive statistics of the units with a missing value in some ``by``
        variable (counted in :attr:`overall` only; per wave for a panel), or None when
        there is none."""
        return self._missing_group

    @property
    def inference(self) -> Inference | None:
        """What the design-based standard errors are computed from (the design's encoding,
        its variance engine and the per-PSU or per-replicate statistics), or None when
        :func:`mpi.measure` had no ``design``."""
        return self._inference

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
    def group_dims(self) -> list[str]:
        """The dims of :attr:`statistics` that index groups (not a panel's waves): the
        ``by`` variables, or ``cell`` for a sparse table."""
        return [CELL_DIM] if self.sparse else self.groups

    @property
    def cell_dims(self) -> list[str]:
        """The dims of :attr:`statistics` that index cells: :attr:`group_dims` and a
        panel's waves."""
        return [CELL_DIM] if self.sparse else self.by

    @cached_property
    def overall(self) -> MeasureResult:
        """The whole population (group dimensions summed out, units with a missing group
        included). For a panel, per wave."""
        if not self.groups:
            return self
        total = self._stats.sum(self.group_dims)
        if self._missing_group is not None:
            total = total + self._missing_group
        return self._child(total, [self.time] if self.time else [], None)

    def marginal(self, name: str) -> MeasureResult:
        """Result by one of several ``by`` variables (others summed out).

        Parameters
        ----------
        name
            One of the ``by`` variables (not a panel's wave dim).

        Returns
        -------
        MeasureResult
            The measures by ``name``'s groups; units whose other ``by`` variables are
            missing belong to this margin too.
        """
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
            v: ((name, *da.dims[1:]), scatter_sum(pos, da.values, n + 1))
            for v, da in ext.data_vars.items()
        }
        common = {c: ext[c].values for c in ("k", "indicator")}
        full = xr.Dataset(data, coords=common)
        stats = full.isel({name: slice(0, n)}).assign_coords({name: ext[name].values})
        missing = full.isel({name: n}, drop=True)
        return self._child(stats, [name], missing, full)

    # -- measures --------------------------------------------------------------------
    @property
    def above_severe(self) -> np.ndarray | None:
        """Per cutoff (compared as exact fractions): whether ``k`` is above the severity
        cutoff, where the severe share is the headcount ratio; a 0-d array without a ``k``
        dim, None when no cutoff is above it."""
        above = np.array([k > self.spec.severe for k in self.ks])
        if not above.any():
            return None
        return above if self.k_dim else above[:1].reshape(())

    @cached_property
    def _dataset(self) -> xr.Dataset:
        spec = self.spec
        # every measure, the group shares included, from the one formula table
        ds = finalize(
            self._stats,
            dimension_membership(spec),
            self.above_severe,
            group_dims=self.group_dims if self.groups else None,
            missing_group=self._missing_group,
        )
        if self.groups:
            ds["empty"] = (self._stats["SUMW"] == 0).variable
            total, per = self._missing_counts
            ds["n_missing_group"] = total
            if per is not None:
                ds["n_missing_group_by"] = per
            for name in (
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

        Returns
        -------
        xarray.Dataset
            A deep copy: changing it never changes the result.
        """
        return super().to_dataset()

    # -- the ResultBase hooks ------------------------------------------------------------
    def _data(self) -> xr.Dataset:
        return self._dataset

    def _grouped(self) -> xr.Dataset | None:
        """The measures by group (the group dims lead every variable), None without ``by``
        (a panel's waves alone are not groups)."""
        return self._dataset if self.groups else None

    @property
    def has_inference(self) -> bool:
        """True when :func:`mpi.measure` had a survey ``design`` (:attr:`se` and :meth:`ci`
        are then available)."""
        return self.has_design

    def _standard_errors(self) -> xr.Dataset | None:
        return self.se if self.has_design else None

    def _frame_variables(self) -> list[str]:
        return [str(n) for n in self._dataset.data_vars if n not in NOT_IN_FRAME]

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
    def to_frame(
        self, variables: Sequence[str] | None = None, *, level: float = 0.95
    ) -> pd.DataFrame:
        """Tidy long table: one row per (measure, indicator or dimension, group, k).

        Parameters
        ----------
        variables
            Names of the variables to include (default: every measure; not ``empty`` nor
            ``n_missing_group_by``, whose dims are not columns of the table).
        level
            Confidence level of ``lower`` and ``upper`` with a design.

        Returns
        -------
        pandas.DataFrame
            Columns ``measure, indicator, dimension, <by variables…>, k, estimate``; entries
            that do not apply (e.g. ``indicator`` for H) are missing. With a survey design,
            also ``se`` and the logit confidence interval ``lower``, ``upper`` (see
            :meth:`ci`).
        """
        out = super().to_frame(variables, level=level)
        extra = ["se", "lower", "upper"] if self.has_inference else []
        cols = ["measure", "indicator", "dimension", *self.by, "k", "estimate", *extra]
        for c in cols:
            if c not in out:
                out[c] = float(self.ks[0]) if c == "k" else pd.NA
        out = out[cols]
        if out["k"].isna().any():
            out["k"] = out["k"].fillna(float(self.ks[0]) if not self.k_dim else np.nan)
        return out

    def _headline_frame(self, which: str = "estimate", lang: str = "en") -> pd.DataFrame:
        """Headline measures overall and by group (``which="se"``: their standard errors)."""
        cols = HEADLINE + (["n_obs", "n_dropped"] if which == "estimate" else [])
        overall_label = text("common.overall", lang)

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

        ds = self._dataset if which == "estimate" else self.se
        if self.sparse:  # the first cells only (see summary)
            ds = ds.isel({CELL_DIM: slice(0, SUMMARY_CELLS)})
        index = ["group", *([self.time] if self.time else []), *(["k"] if self.k_dim else [])]
        if not self.groups:
            out = frame(ds, None)
            out.insert(0, "group", overall_label)
            return out.set_index(index)
        overall = self.overall
        parts = [frame(overall._dataset if which == "estimate" else overall.se, overall_label)]
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

    def _header(self, lang: str) -> list[tuple[str, str]]:
        overall = self.overall._dataset
        none = text("result.value.none", lang)

        def span(values: xr.DataArray) -> str:
            # a panel's counts vary by wave under balance="observed": show their range
            lo, hi = int(values.min()), int(values.max())
            return f"{hi:,}" if lo == hi else f"{lo:,}-{hi:,}"

        def count(name: str) -> str:
            return span(overall[name])

        def label(key: str) -> str:
            return text(f"result.header.{key}", lang)

        n_obs, n_drop = count("n_obs"), count("n_dropped")
        panel = (
            [
                (
                    label("waves"),
                    text(
                        "result.value.waves_along", lang, n=overall.sizes[self.time], time=self.time
                    ),
                ),
                (label("balance"), str(self.notes.get("balance", ""))),
                (label("units_excluded_gaps"), f"{self.notes.get('n_excluded', 0):,}"),
            ]
            if self.time
            else []
        )
        spec = spec_text(self.spec.name, len(self.spec), len(self.spec.dimensions), lang)
        return [
            (label("spec"), spec),
            (text("common.k", lang), ", ".join(fraction_text(f) for f in self.ks)),
            (label("sampling_weight"), self.weight or none),
            (label("groups"), ", ".join(self.groups) or none),
            *panel,
            (label("units_used_per_wave" if self.time else "units_used"), n_obs),
            (
                label("units_dropped_missing"),
                text("result.value.dropped_rule", lang, n=n_drop, rule=self.missing),
            ),
            *self._group_header(span, lang),
            *self._design_lines(lang),
        ]

    def _group_header(
        self, span: Callable[[xr.DataArray], str], lang: str
    ) -> list[tuple[str, str]]:
        """Summary lines on units with a missing group and on empty groups (when any)."""
        if not self.groups:
            return []
        out = []
        total, per = self._missing_counts
        if int(total.sum()):
            detail = (
                text(
                    "result.value.missing_group_detail",
                    lang,
                    detail=", ".join(
                        text(
                            "result.value.name_count",
                            lang,
                            name=b,
                            count=span(per.sel(group_variable=b)),
                        )
                        for b in self.groups
                    ),
                )
                if per is not None
                else ""
            )
            out.append((text("result.header.units_missing_group", lang), f"{span(total)}{detail}"))
        empty = (self._stats["SUMW"] == 0) & (unit_counts(self._stats) > 0)
        if bool(empty.any()):
            names = group_names(empty)
            shown = ", ".join(names[:5]) + (", …" if len(names) > 5 else "")
            out.append(
                (
                    text("result.header.empty_groups", lang),
                    text("result.value.empty_groups", lang, n=len(names), names=shown),
                )
            )
        return out

    def _design_lines(self, lang: str) -> list[tuple[str, str]]:
        """Summary lines describing the survey design and its variance method (none without
        a design)."""
        inf = self.inference
        if inf is None:
            return []
        design = inf.design
        if isinstance(design, BootstrapDesign):
            method = text(
                "result.value.variance_bootstrap",
                lang,
                replicates=design.replicates,
                seed=design.seed,
            )
        elif isinstance(design, ReplicateDesign):
            method = text(
                "result.value.variance_replicate",
                lang,
                type=design.type,
                n=len(design.replicate_weights),
            )
        else:
            method = text("result.value.variance_taylor", lang)
        enc = inf.encoded
        layout = (
            text("result.value.design_strata", lang, strata=enc.n_strata, psu=enc.n_psu)
            if enc is not None
            else text("result.value.design_replicate", lang)
        )
        return [
            (text("result.header.survey_design", lang), layout),
            (
                text("result.header.variance", lang),
                text("result.value.variance", lang, method=method, df=inf.engine.df),
            ),
        ]

    def _tables(self, lang: str) -> list[tuple[str, pd.DataFrame]]:
        """Headline measures (overall and by group), their standard errors with a design,
        and the indicators of the whole population."""
        tables = [
            (
                text("result.table.headline_measures", lang),
                label_table(self._headline_frame(lang=lang), lang),
            )
        ]
        if self.has_inference:
            tables.append(
                (
                    text("result.table.standard_errors", lang),
                    label_table(self._headline_frame("se", lang), lang),
                )
            )
        tables.append(
            (text("result.table.indicators", lang), label_table(self._indicator_frame(), lang))
        )
        return tables

    def _notes(self, lang: str) -> list[str]:
        """Lines under the summary's tables: how many groups a large sparse table shows."""
        n_cells = self._stats.sizes.get(CELL_DIM, 0)
        if n_cells <= SUMMARY_CELLS:
            return []
        return [text("result.note.cells_shown", lang, shown=SUMMARY_CELLS, n=n_cells)]

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
