"""The result of :func:`mpi.identification.curves.targeting_curve`: :class:`TargetingCurveResult`."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.labels import text
from mpi._common.result import ResultBase, column_label
from mpi.identification.evaluate_inputs import CELLS
from mpi.identification.evaluate_result import RATES, SHARES, confusion_table
from mpi.identification.intervals import DesignIntervals

__all__ = ["CURVE", "SCALARS", "TargetingCurveResult"]

#: The curves, along the dim ``threshold``.
CURVE = ("tpr", "fpr", "precision", "listed_fraction", "listed_count")
#: The summary numbers of the ranking, always present.
SCALARS = ("auc", "average_precision", "poor_share")
#: The numbers of the list at the budget (with ``top`` or ``share``).
BUDGET = ("cut_score", "n_listed", *(r for r in RATES if r != "poor_share"))


class TargetingCurveResult(DesignIntervals, ResultBase):
    """How well a continuous score ranks the poor: ROC and PR curves, AUC, errors at a budget.

    Made by :func:`mpi.identification.curves.targeting_curve`. :meth:`to_dataset` holds the
    curves ``tpr``, ``fpr``, ``precision``, ``listed_fraction`` and ``listed_count`` along
    the dim ``threshold`` (descending scores, ``+inf`` first), the scalars ``auc``,
    ``average_precision``, ``poor_share``, ``n_units``, and with a budget (``top`` or
    ``share``) ``cut_score``, ``n_listed``, the targeting rates of :func:`mpi.targeting`
    (``inclusion_error``, ``exclusion_error``, ``leakage``, ``undercoverage``, ...) and the
    weighted confusion totals of the listed units. With ``by`` every variable but
    ``cut_score`` has one dimension per group variable (:meth:`by_group`). With a design
    :attr:`se` and :meth:`ci` cover ``auc`` and the budget's rates and totals.
    :meth:`to_frame` gives the scalars by default; ``to_frame(["fpr", "tpr"])`` the ROC curve
    in long form and :meth:`curve` in wide form.

    Parameters
    ----------
    data
        The result's Dataset.
    se
        Standard errors (``auc`` and the budget's rates and totals), or None without a
        design.
    by
        The group variables.
    design
        The variance method as a catalogue key and its fields, or None without a design.
    """

    title = "Targeting by a score: ROC and precision-recall curves, errors at a budget"
    call = "mpi.targeting_curve"
    interval_shares = ("auc", *SHARES)

    def __init__(
        self,
        data: xr.Dataset,
        se: xr.Dataset | None = None,
        by: list[str] | None = None,
        design: tuple[str, dict] | None = None,
    ) -> None:
        self._ds = data
        self._se = se
        self._by = list(by or [])
        self._design = design

    @property
    def has_budget(self) -> bool:
        """True when the call gave ``top`` or ``share`` (the budget's errors are in the result)."""
        return "cut_score" in self._ds

    @property
    def by(self) -> list[str]:
        """The group variables of the call (empty without ``by``)."""
        return list(self._by)

    def curve(self) -> pd.DataFrame:
        """The curves in wide form: one row per threshold (and group).

        Returns
        -------
        pandas.DataFrame
            Index ``threshold`` (descending, ``+inf`` first: nobody listed), followed by the
            group variables with ``by``, and the columns ``tpr``, ``fpr``, ``precision``,
            ``listed_fraction`` and ``listed_count``; the ROC curve is (``fpr``, ``tpr``),
            the precision-recall curve (``tpr``, ``precision``).
        """
        return self._ds[list(CURVE)].to_dataframe()[list(CURVE)].copy()

    def _data(self) -> xr.Dataset:
        return self._ds

    def _standard_errors(self) -> xr.Dataset | None:
        return None if self._se is None else self._se.copy(deep=True)

    def _grouped(self) -> xr.Dataset | None:
        return self._ds if self._by else None

    def _frame_variables(self) -> list[str]:
        names = [*SCALARS, "n_units"]
        if self.has_budget:
            names += [*BUDGET, *CELLS]
        return names

    def _title(self, lang: str) -> str:
        return text("curves.title", lang)

    def _var_label(self, name: str, lang: str) -> str:
        key = f"targeting.var.{name}" if name in RATES or name in CELLS else f"curves.var.{name}"
        return text(key, lang)

    def _header(self, lang: str) -> list[tuple[str, str]]:
        a = self._ds.attrs
        none = text("curves.header.none", lang)
        lines = [
            (text("curves.header.score", lang), str(a["score"])),
            (text("curves.header.poor", lang), str(a["poor"])),
            (text("curves.header.weight", lang), str(a["weight"] or none)),
            (text("curves.header.groups", lang), ", ".join(self._by) or none),
            (text("curves.header.units", lang), f"{a['n_units']:,}"),
            (text("curves.header.dropped", lang), f"{a['n_dropped']:,}"),
        ]
        if self.has_budget:
            lines.append((text("curves.header.budget", lang), str(a["budget"])))
        if self._design is not None:
            key, fields = self._design
            lines.append((text("curves.header.design", lang), text(key, lang, **fields)))
        return lines

    def _column(self, names: tuple[str, ...] | list[str], lang: str) -> pd.DataFrame:
        ds = self._ds
        table = pd.DataFrame({column_label("estimate", lang): [ds[n].item() for n in names]})
        if self._se is not None:
            ci = self.ci(0.95)
            table[column_label("se", lang)] = [
                self._se[n].item() if n in self._se else np.nan for n in names
            ]
            for bound in ("lower", "upper"):
                table[column_label(bound, lang)] = [
                    ci[n].sel(bound=bound).item() if n in ci else np.nan for n in names
                ]
        table.index = pd.Index([self._var_label(n, lang) for n in names])
        return table

    def _by_table(self, source: xr.Dataset, names: list[str], lang: str) -> pd.DataFrame:
        frame = source[names].to_dataframe()[names]
        frame.columns = [self._var_label(n, lang) for n in names]
        frame.index = frame.index.set_names([column_label(n, lang) for n in frame.index.names])
        return frame

    def _tables(self, lang: str) -> list[tuple[str, pd.DataFrame]]:
        ds = self._ds
        if not self._by:
            out = [(text("curves.table.ranking", lang), self._column(SCALARS, lang))]
            if self.has_budget:
                out.append((text("curves.table.budget", lang), self._column(BUDGET, lang)))
                out.append(
                    (text("targeting.table.confusion", lang), confusion_table(self._ds, lang))
                )
            return out
        scalars = [*SCALARS, "n_units"]
        out = [(text("curves.table.ranking", lang), self._by_table(ds, scalars, lang))]
        if self.has_budget:
            names = [n for n in BUDGET if n != "cut_score"]
            out.append((text("curves.table.budget", lang), self._by_table(ds, names, lang)))
            out.append(
                (text("targeting.table.confusion", lang), self._by_table(ds, list(CELLS), lang))
            )
        if self._se is not None:
            names = [n for n in self._frame_variables() if n in self._se]
            out.append((text("curves.table.se", lang), self._by_table(self._se, names, lang)))
        return out

    def _undefined_groups(self, mask: np.ndarray) -> str:
        """The groups where ``mask`` holds, as ``"region=A, year=2020; ..."``."""
        if not self._by:
            return ""
        out = []
        for idx in zip(*np.nonzero(mask), strict=True):
            parts = [f"{b}={self._ds[b].values[i]}" for b, i in zip(self._by, idx, strict=True)]
            out.append(", ".join(parts))
        return "; ".join(out)

    def _notes(self, lang: str) -> list[str]:
        ds = self._ds
        notes = [text("curves.note.definitions", lang)]
        if self.has_budget:
            extra = int(ds.attrs["n_tied_extra"])
            total = int(ds.attrs["n_listed_total"])
            notes.append(
                text(
                    "curves.note.ties" if extra else "curves.note.cut",
                    lang,
                    budget=ds.attrs["budget"],
                    n=total,
                    extra=extra,
                    cut=float(ds["cut_score"]),
                )
            )
            if self._by:
                notes.append(text("curves.note.national", lang, by=", ".join(self._by)))
        auc = np.asarray(ds["auc"].values)
        if np.isnan(auc).any():
            no_poor = np.asarray(ds["tpr"].isnull().all("threshold").values) & np.isnan(auc)
            no_nonpoor = np.isnan(auc) & ~no_poor
            for key, mask in (("no_poor", no_poor), ("no_nonpoor", no_nonpoor)):
                if mask.any():
                    where = self._undefined_groups(mask)
                    name = f"curves.note.{key}" + ("_groups" if where else "")
                    notes.append(text(name, lang, groups=where))
        if ds.attrs["n_dropped"]:
            notes.append(text("curves.note.dropped", lang, n=int(ds.attrs["n_dropped"])))
        if ds.attrs.get("n_missing_group", 0):
            notes.append(
                text("curves.note.missing_group", lang, n=int(ds.attrs["n_missing_group"]))
            )
        if self._se is not None:
            notes.append(text("curves.note.design", lang))
        return notes

    def __repr__(self) -> str:
        ds = self._ds
        a = ds.attrs
        if self._by:
            shape = " x ".join(f"{b}: {ds.sizes[b]}" for b in self._by)
            head = (
                f"<mpi.TargetingCurveResult score={a['score']!r} poor={a['poor']!r} by {shape}, "
                f"{a['n_units']:,} units"
            )
            if self.has_budget:
                head += f"; {a['budget']} ({int(a['n_listed_total']):,} listed nationally)"
            return head + ">"
        head = (
            f"<mpi.TargetingCurveResult score={a['score']!r} poor={a['poor']!r}: "
            f"auc={ds['auc'].item():.4f}, {a['n_units']:,} units"
        )
        if not self.has_budget:
            return head + ">"
        return (
            f"{head}; {a['budget']} ({int(ds['n_listed']):,} listed): "
            f"inclusion_error={ds['inclusion_error'].item():.4f}, "
            f"exclusion_error={ds['exclusion_error'].item():.4f}>"
        )
