"""The result of :func:`mpi.screening.evaluate_screening`: :class:`ScreeningEvaluation`."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.labels import has_text, text
from mpi._common.result import BOUND, ResultBase, check_level, label_table
from mpi.errors import ValidationError

__all__ = ["ScreeningEvaluation", "MEASURES", "INTERVALS", "GROUP_MEASURES"]

#: Per screen, in :meth:`ScreeningEvaluation.to_frame` (``budget`` too with a subsidy).
MEASURES = (
    "flagged_share", "n_flagged", "inclusion_error", "exclusion_error", "coverage", "auc",
)  # fmt: skip
#: The measures with bootstrap intervals.
INTERVALS = ("inclusion_error", "exclusion_error", "auc")
#: Per screen and group (:meth:`ScreeningEvaluation.by_group`), from :func:`mpi.targeting`.
GROUP_MEASURES = (
    "inclusion_error", "exclusion_error", "coverage", "listed_share", "poor_share", "n_units",
)  # fmt: skip
#: Derived per group: the share of the students not in hardship who are flagged, and counts.
GROUP_EXTRA = ("false_positive_rate", "n_listed", "n_poor")


def _var_label(name: str) -> str:
    key = f"screening.eval.var.{name}"
    if has_text(key):
        return text(key, "en")
    if has_text(f"targeting.var.{name}"):
        return text(f"targeting.var.{name}", "en")
    return text(f"curves.var.{name}", "en") if has_text(f"curves.var.{name}") else name


class ScreeningEvaluation(ResultBase):
    """Screening rules and scores against a hardship status, at one flagged share.

    Made by :func:`mpi.screening.evaluate_screening`. :meth:`to_dataset` holds along the dim
    ``rule`` (the screens, in the order given; coordinate ``kind``: ``"rule"`` or
    ``"score"``) ``flagged_share``, ``n_flagged``, ``inclusion_error``, ``exclusion_error``,
    ``coverage``, ``auc``, ``cut_score``, ``n_tied_extra`` and, with a subsidy, ``budget``
    (yuan). :meth:`ci` gives bootstrap percentile intervals of ``inclusion_error``,
    ``exclusion_error`` and ``auc`` and :attr:`se` the replicates' standard deviations
    (:meth:`replicates` the replicates themselves); :meth:`by_group` the errors along
    ``(rule, group)``, the dim ``group`` with the coordinates ``group_variable`` and
    ``group_value``.

    Parameters
    ----------
    data
        The result's Dataset.
    replicates
        Bootstrap replicates along ``(rule, replicate)``, or None without a bootstrap.
    groups
        The errors per group, or None without groups.
    """

    title = text("screening.eval.title", "en")
    call = "mpi.screening.evaluate_screening"

    def __init__(
        self, data: xr.Dataset, replicates: xr.Dataset | None, groups: xr.Dataset | None
    ) -> None:
        self._ds = data
        self._reps = replicates
        self._groups = groups

    @classmethod
    def build(
        cls,
        names: list[str],
        rules: list[bool],
        per: dict[str, list[float]],
        group_rows: list[list[tuple[str, str, dict[str, float]]]],
        reps: np.ndarray | None,
        info: dict[str, Any],
    ) -> ScreeningEvaluation:
        """Assemble the result from the numbers of :func:`~mpi.screening.evaluate_screening`.

        Parameters
        ----------
        names, rules
            The screens and whether each is a rule.
        per
            Per measure, one value per screen.
        group_rows
            Per screen, ``(variable, value, {measure: value})`` rows.
        reps
            Replicates, shape ``(3, screens, B)`` (:data:`INTERVALS` order), or None.
        info
            The attributes.

        Returns
        -------
        ScreeningEvaluation
        """
        kinds = ["rule" if r else "score" for r in rules]
        ds = xr.Dataset(coords={"rule": names, "kind": ("rule", kinds)})
        for name, values in per.items():
            arr = np.asarray(values, np.float64)
            if name in ("n_flagged", "n_tied_extra"):
                arr = arr.astype(np.int64)
            ds[name] = ("rule", arr)
        if not math.isnan(info["subsidy"]):
            ds["budget"] = ("rule", ds["n_flagged"].values * info["subsidy"] * info["months"])
            ds["budget"].attrs.update(units="yuan")
        for name in ds.data_vars:
            ds[name].attrs.setdefault("units", "1" if name != "n_flagged" else "count")
            ds[name].attrs.update(long_name=_var_label(str(name)))
        ds.attrs.update(info)
        replicates = None
        if reps is not None:
            replicates = xr.Dataset(
                {m: (("rule", "replicate"), reps[j]) for j, m in enumerate(INTERVALS)},
                coords={"rule": names, "replicate": np.arange(reps.shape[2])},
            )
        groups = None
        if group_rows:
            first = group_rows[0]
            measures = [*GROUP_MEASURES, *GROUP_EXTRA]
            groups = xr.Dataset(
                coords={
                    "rule": names,
                    "group_variable": ("group", [r[0] for r in first]),
                    "group_value": ("group", [r[1] for r in first]),
                }
            )
            for m in measures:
                arr = np.array([[row[2][m] for row in rows] for rows in group_rows])
                groups[m] = (("rule", "group"), arr)
        return cls(ds, replicates, groups)

    # -- inference -------------------------------------------------------------------------
    def replicates(self) -> xr.Dataset:
        """The bootstrap replicates of ``inclusion_error``, ``exclusion_error`` and ``auc``.

        Returns
        -------
        xarray.Dataset
            Along ``(rule, replicate)`` (a copy); NaN where a resample left a rate
            undefined.

        Raises
        ------
        ValidationError
            When the call had ``bootstrap=0``.
        """
        if self._reps is None:
            raise ValidationError(self._no_inference_message())
        return self._reps.copy(deep=True)

    def _no_inference_message(self) -> str:
        return (
            "this ScreeningEvaluation has no intervals: call "
            "mpi.screening.evaluate_screening(..., bootstrap=200) (bootstrap=0 was given)"
        )

    def _standard_errors(self) -> xr.Dataset | None:
        if self._reps is None:
            return None
        out = xr.Dataset(coords={"rule": self._reps["rule"].values})
        for m in INTERVALS:
            r = self._reps[m].values
            ok = np.isfinite(r).sum(axis=1)
            sd = np.full(r.shape[0], np.nan)
            for i in np.flatnonzero(ok > 1):
                sd[i] = float(np.std(r[i][np.isfinite(r[i])], ddof=1))
            out[m] = ("rule", sd)
        return out

    def ci(self, level: float = 0.95) -> xr.Dataset:
        """Bootstrap percentile intervals of the errors and the AUC.

        Parameters
        ----------
        level
            Confidence level, strictly between 0 and 1.

        Returns
        -------
        xarray.Dataset
            ``inclusion_error``, ``exclusion_error`` and ``auc`` with a leading ``bound`` dim
            (``lower``, ``upper``): the ``(1 - level)/2`` and ``(1 + level)/2`` quantiles of
            the finite replicates (numpy's linear interpolation); NaN when none is finite.

        Raises
        ------
        ValidationError
            For a bad ``level``, or without a bootstrap.
        """
        level = check_level(level)
        if self._reps is None:
            raise ValidationError(self._no_inference_message())
        q = [100 * (1 - level) / 2, 100 * (1 + level) / 2]
        out = xr.Dataset(coords={BOUND: ["lower", "upper"], "rule": self._reps["rule"].values})
        for m in INTERVALS:
            r = self._reps[m].values
            bounds = np.full((2, r.shape[0]), np.nan)
            for i in range(r.shape[0]):
                finite = r[i][np.isfinite(r[i])]
                if finite.size:
                    bounds[:, i] = np.percentile(finite, q)
            out[m] = ((BOUND, "rule"), bounds)
        out.attrs.update(confidence_level=level, interval="bootstrap percentile")
        return out

    # -- ResultBase hooks ------------------------------------------------------------------
    def _data(self) -> xr.Dataset:
        return self._ds

    def _frame_variables(self) -> list[str]:
        return [*MEASURES, *(["budget"] if "budget" in self._ds else [])]

    def _grouped(self) -> xr.Dataset | None:
        return self._groups

    def by_group(self) -> xr.Dataset:
        """The errors of every screen per group (the fairness check).

        Returns
        -------
        xarray.Dataset
            Along ``(rule, group)``: ``inclusion_error``, ``exclusion_error``, ``coverage``,
            ``listed_share``, ``poor_share`` and ``n_units`` of :func:`mpi.targeting` with
            ``by=`` each group column, ``false_positive_rate`` (the share of the students not
            in hardship who are flagged), ``n_listed`` and ``n_poor``; the dim ``group``
            has the coordinates ``group_variable`` and ``group_value`` (a copy).

        Raises
        ------
        ValidationError
            When the call had no ``groups``.
        """
        if self._groups is None:
            raise ValidationError(
                "by_group() needs groups; call mpi.screening.evaluate_screening(..., "
                "groups=<DataFrame of college, grade, sex ...>)"
            )
        return self._groups.copy(deep=True)

    def _title(self, lang: str) -> str:
        return text("screening.eval.title", lang)

    def _header(self, lang: str) -> list[tuple[str, str]]:
        a = self._ds.attrs
        none = text("screening.eval.header.none", lang)

        def h(key: str, value: str) -> tuple[str, str]:
            return text(f"screening.eval.header.{key}", lang), value

        src = a["share_source"]
        if src == "share":
            share = text("screening.eval.share_given", lang, share=a["common_share"])
        elif src == "n":
            share = text("screening.eval.share_n", lang, share=a["common_share"],
                         n=a["common_n"])  # fmt: skip
        else:
            share = text("screening.eval.share_rule", lang, share=a["common_share"],
                         n=a["common_n"], rule=src)  # fmt: skip
        boot = (
            text("screening.eval.bootstrap", lang, b=a["bootstrap"], seed=a["seed"])
            if a["bootstrap"]
            else text("screening.eval.no_bootstrap", lang)
        )
        subsidy = (
            none
            if math.isnan(a["subsidy"])
            else text("screening.eval.subsidy", lang, subsidy=a["subsidy"], months=a["months"])
        )
        return [
            h("units", f"{a['n_units']:,}"),
            h("poor", f"{a['n_poor']:,}"),
            h("dropped", f"{a['n_dropped']:,}"),
            h("share", share),
            h("bootstrap", boot),
            h("subsidy", subsidy),
            h("groups", a["groups"] or none),
        ]

    def _tables(self, lang: str) -> list[tuple[str, pd.DataFrame]]:
        ds = self._ds
        cols = ["kind", *MEASURES, *(["budget"] if "budget" in ds else [])]
        table = pd.DataFrame({c: ds[c].values for c in cols}, index=pd.Index(
            ds["rule"].values, name="screen"))  # fmt: skip
        out = [(text("screening.eval.table.rates", lang), label_table(table, lang))]
        if self.has_inference:
            ci = self.ci()
            rows = []
            for i, rule in enumerate(ds["rule"].values):
                for m in INTERVALS:
                    rows.append((rule, m, float(ds[m].values[i]),
                                 float(ci[m].values[0, i]), float(ci[m].values[1, i])))  # fmt: skip
            t = pd.DataFrame(rows, columns=["screen", "measure", "estimate", "lower", "upper"])
            title = text("screening.eval.table.intervals", lang, level=95)
            out.append((title, label_table(t.set_index(["screen", "measure"]), lang)))
        if self._groups is not None:
            g = self._groups
            for var in dict.fromkeys(g["group_variable"].values):
                sel = np.flatnonzero(g["group_variable"].values == var)
                rows = []
                for i, rule in enumerate(g["rule"].values):
                    for j in sel:
                        rows.append({
                            "screen": rule, str(var): g["group_value"].values[j],
                            **{m: float(g[m].values[i, j]) for m in (
                                "inclusion_error", "exclusion_error", "false_positive_rate")},
                            "n_units": int(g["n_units"].values[i, j]),
                        })  # fmt: skip
                t = pd.DataFrame(rows).set_index(["screen", str(var)])
                title = text("screening.eval.table.groups", lang, by=var)
                out.append((title, label_table(t, lang)))
        return out

    def _notes(self, lang: str) -> list[str]:
        a = self._ds.attrs
        ds = self._ds
        notes = [text("screening.eval.note.same_share", lang)]
        for i, rule in enumerate(ds["rule"].values):
            if ds["kind"].values[i] == "rule" and rule != a["share_source"]:
                share = float(ds["flagged_share"].values[i])
                if abs(share - a["common_share"]) > 1e-12:
                    notes.append(text("screening.eval.note.rule_share", lang, rule=rule,
                                      share=share))  # fmt: skip
        notes.append(text("screening.eval.note.definitions", lang))
        if a["bootstrap"]:
            notes.append(text("screening.eval.note.bootstrap", lang, b=a["bootstrap"]))
        if a["n_dropped"]:
            notes.append(text("screening.eval.note.dropped", lang, n=a["n_dropped"]))
        if "budget" in ds:
            notes.append(text("screening.eval.note.budget", lang, subsidy=a["subsidy"],
                              months=a["months"]))  # fmt: skip
        return notes
