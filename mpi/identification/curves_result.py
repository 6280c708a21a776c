"""The result of :func:`mpi.identification.curves.targeting_curve`: :class:`TargetingCurveResult`."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.labels import text
from mpi._common.result import ResultBase, column_label
from mpi.identification.evaluate_inputs import CELLS
from mpi.identification.evaluate_result import RATES, confusion_table

__all__ = ["CURVE", "SCALARS", "TargetingCurveResult"]

#: The curves, along the dim ``threshold``.
CURVE = ("tpr", "fpr", "precision", "listed_fraction", "listed_count")
#: The summary numbers of the ranking, always present.
SCALARS = ("auc", "average_precision", "poor_share")
#: The numbers of the list at the budget (with ``top`` or ``share``).
BUDGET = ("cut_score", "n_listed", *(r for r in RATES if r != "poor_share"))


class TargetingCurveResult(ResultBase):
    """How well a continuous score ranks the poor: ROC and PR curves, AUC, errors at a budget.

    Made by :func:`mpi.identification.curves.targeting_curve`. :meth:`to_dataset` holds the
    curves ``tpr``, ``fpr``, ``precision``, ``listed_fraction`` and ``listed_count`` along
    the dim ``threshold`` (descending scores, ``+inf`` first), the scalars ``auc``,
    ``average_precision``, ``poor_share``, ``n_units``, and with a budget (``top`` or
    ``share``) ``cut_score``, ``n_listed``, the targeting rates of :func:`mpi.targeting`
    (``inclusion_error``, ``exclusion_error``, ``leakage``, ``undercoverage``, ...) and the
    weighted confusion totals of the listed units. :meth:`to_frame` gives the scalars by
    default; ``to_frame(["fpr", "tpr"])`` the ROC curve in long form and :meth:`curve` in
    wide form.

    Parameters
    ----------
    data
        The result's Dataset.
    """

    title = "Targeting by a score: ROC and precision-recall curves, errors at a budget"
    call = "mpi.targeting_curve"
    takes_groups = False

    def __init__(self, data: xr.Dataset) -> None:
        self._ds = data

    @property
    def has_budget(self) -> bool:
        """True when the call gave ``top`` or ``share`` (the budget's errors are in the result)."""
        return "cut_score" in self._ds

    def curve(self) -> pd.DataFrame:
        """The curves in wide form: one row per threshold.

        Returns
        -------
        pandas.DataFrame
            Index ``threshold`` (descending, ``+inf`` first: nobody listed) and the columns
            ``tpr``, ``fpr``, ``precision``, ``listed_fraction`` and ``listed_count``; the ROC
            curve is (``fpr``, ``tpr``), the precision-recall curve (``tpr``, ``precision``).
        """
        return self._ds[list(CURVE)].to_dataframe()[list(CURVE)].copy()

    def _data(self) -> xr.Dataset:
        return self._ds

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
            (text("curves.header.units", lang), f"{a['n_units']:,}"),
            (text("curves.header.dropped", lang), f"{a['n_dropped']:,}"),
        ]
        if self.has_budget:
            lines.append((text("curves.header.budget", lang), str(a["budget"])))
        return lines

    def _column(self, names: tuple[str, ...] | list[str], lang: str) -> pd.DataFrame:
        ds = self._ds
        return pd.DataFrame(
            {column_label("estimate", lang): [ds[n].item() for n in names]},
            index=pd.Index([self._var_label(n, lang) for n in names]),
        )

    def _tables(self, lang: str) -> list[tuple[str, pd.DataFrame]]:
        out = [(text("curves.table.ranking", lang), self._column(SCALARS, lang))]
        if self.has_budget:
            out.append((text("curves.table.budget", lang), self._column(BUDGET, lang)))
            out.append((text("targeting.table.confusion", lang), confusion_table(self._ds, lang)))
        return out

    def _notes(self, lang: str) -> list[str]:
        ds = self._ds
        notes = [text("curves.note.definitions", lang)]
        if self.has_budget:
            extra = int(ds.attrs["n_tied_extra"])
            notes.append(
                text(
                    "curves.note.ties" if extra else "curves.note.cut",
                    lang,
                    budget=ds.attrs["budget"],
                    n=int(ds["n_listed"]),
                    extra=extra,
                    cut=float(ds["cut_score"]),
                )
            )
        if np.isnan(ds["auc"].item()):
            no_poor = ds["tpr"].isnull().all().item()
            notes.append(text("curves.note.no_poor" if no_poor else "curves.note.no_nonpoor", lang))
        if ds.attrs["n_dropped"]:
            notes.append(text("curves.note.dropped", lang, n=int(ds.attrs["n_dropped"])))
        return notes

    def __repr__(self) -> str:
        ds = self._ds
        a = ds.attrs
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
