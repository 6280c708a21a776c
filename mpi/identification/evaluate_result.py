"""The result of :func:`mpi.targeting` (:class:`TargetingResult`) and the targeting rates.

Every rate is a function of the four weighted totals of the listed x poor table
(:data:`~mpi.identification.evaluate_inputs.CELLS`), written once (:func:`rates`) for plain
arrays and for :class:`~mpi.survey.estimate.Estimate` objects, so that the design-based
variance of each rate is the linearisation (or the replication) of that same formula.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.labels import text
from mpi._common.result import ResultBase, column_label
from mpi.identification.evaluate_inputs import CELLS

__all__ = ["RATES", "TOTALS", "TargetingResult", "rates", "undefined", "confusion_table"]

#: The rates of :func:`rates`, in the order of the result.
RATES = (
    "inclusion_error",
    "exclusion_error",
    "leakage",
    "undercoverage",
    "coverage",
    "listed_share",
    "poor_share",
    "cgh_indicator",
    "targeting_differential",
)
#: The weighted totals of the result (the confusion table).
TOTALS = CELLS

#: Which denominator leaves which rates undefined (NaN).
_DENOMINATORS = {
    "no_listed": ("inclusion_error", "leakage", "cgh_indicator"),
    "no_poor": (
        "exclusion_error", "undercoverage", "coverage", "cgh_indicator",
        "targeting_differential",
    ),
    "no_nonpoor": ("targeting_differential",),
    "no_units": ("listed_share", "poor_share"),
}  # fmt: skip


def rates(t: dict[str, Any], div: Callable[[Any, Any], Any]) -> dict[str, Any]:
    """The targeting rates from the four weighted totals.

    With :math:`T_{lp}, T_{ln}, T_{up}, T_{un}` the weighted totals of listed poor, listed
    non-poor, unlisted poor and unlisted non-poor units, :math:`L = T_{lp} + T_{ln}`,
    :math:`P = T_{lp} + T_{up}`, :math:`Q = T_{ln} + T_{un}` and :math:`N = P + Q`:

    * ``inclusion_error`` :math:`= T_{ln} / L` and ``leakage`` (the same ratio);
    * ``exclusion_error`` :math:`= T_{up} / P` and ``undercoverage`` (the same ratio);
    * ``coverage`` :math:`= T_{lp} / P`; ``listed_share`` :math:`= L / N`;
      ``poor_share`` :math:`= P / N`;
    * ``cgh_indicator`` :math:`= (T_{lp} / L) / (P / N)`;
    * ``targeting_differential`` :math:`= T_{lp} / P - T_{ln} / Q`.

    Parameters
    ----------
    t
        The totals by name (:data:`CELLS`): arrays or estimates.
    div
        Division with NaN where the denominator is 0 (:func:`mpi._common.ratio.ratio` for
        arrays, ``/`` for estimates).

    Returns
    -------
    dict
        The rates of :data:`RATES`.
    """
    lp, ln, up, un = (t[c] for c in CELLS)
    listed, poor, nonpoor = lp + ln, lp + up, ln + un
    total = poor + nonpoor
    inclusion, exclusion = div(ln, listed), div(up, poor)
    coverage = div(lp, poor)
    return {
        "inclusion_error": inclusion,
        "exclusion_error": exclusion,
        "leakage": div(ln, listed),
        "undercoverage": div(up, poor),
        "coverage": coverage,
        "listed_share": div(listed, total),
        "poor_share": div(poor, total),
        "cgh_indicator": div(div(lp, listed), div(poor, total)),
        "targeting_differential": coverage - div(ln, nonpoor),
    }


def undefined(point: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Where each reason for an undefined rate holds (boolean arrays of the groups' shape).

    Parameters
    ----------
    point
        The four weighted totals.

    Returns
    -------
    dict
        ``{"no_listed": ..., "no_poor": ..., "no_nonpoor": ..., "no_units": ...}``.
    """
    lp, ln, up, un = (np.asarray(point[c]) for c in CELLS)
    return {
        "no_listed": lp + ln == 0,
        "no_poor": lp + up == 0,
        "no_nonpoor": ln + un == 0,
        "no_units": lp + ln + up + un == 0,
    }


def _group_names(mask: np.ndarray, ds: xr.Dataset, by: list[str], limit: int = 5) -> str:
    """The groups where ``mask`` holds, as ``"region=A, year=2020; ..."``."""
    if not by:
        return ""
    out = []
    for idx in zip(*np.nonzero(mask), strict=True):
        out.append(", ".join(f"{b}={ds[b].values[i]}" for b, i in zip(by, idx, strict=True)))
    more = f"; … ({len(out) - limit} more)" if len(out) > limit else ""
    return "; ".join(out[:limit]) + more


def confusion_table(ds: xr.Dataset, lang: str) -> pd.DataFrame:
    """The 2 x 2 weighted confusion table (listed/not listed x poor/not poor) of a dataset
    holding the scalar totals ``listed_poor``, ``listed_nonpoor``, ``unlisted_poor`` and
    ``unlisted_nonpoor``, with headers in ``lang``.

    Parameters
    ----------
    ds
        The totals (scalars).
    lang
        ``"en"`` or ``"zh"``.

    Returns
    -------
    pandas.DataFrame
    """
    return pd.DataFrame(
        [
            [ds["listed_poor"].item(), ds["listed_nonpoor"].item()],
            [ds["unlisted_poor"].item(), ds["unlisted_nonpoor"].item()],
        ],
        index=[text("targeting.cell.listed", lang), text("targeting.cell.unlisted", lang)],
        columns=[text("targeting.cell.poor", lang), text("targeting.cell.nonpoor", lang)],
    )


class TargetingResult(ResultBase):
    """How well a list (``listed``) matches a reference poverty status (``poor``).

    Made by :func:`mpi.targeting`. :meth:`to_dataset` holds the rates
    (``inclusion_error``, ``exclusion_error``, ``leakage``, ``undercoverage``, ``coverage``,
    ``listed_share``, ``poor_share``, ``cgh_indicator``, ``targeting_differential``), the
    weighted confusion totals (``listed_poor``, ``listed_nonpoor``, ``unlisted_poor``,
    ``unlisted_nonpoor``) and the unweighted number of units (``n_units``), each with one
    dimension per ``by`` variable. With a design :attr:`se` and :meth:`ci` cover the rates
    and the totals.

    Parameters
    ----------
    data
        The result's Dataset.
    se
        Standard errors of the rates and totals, or None without a design.
    reasons
        Why rates are NaN: ``{reason: mask}`` (see :func:`undefined`).
    by
        The group variables.
    design
        The variance method as a catalogue key and its fields, or None without a design.
    estimates
        With a design: the rates and totals as :class:`~mpi.survey.estimate.Estimate`
        objects (their PSU totals or replicates), for contrasts between groups.
    """

    title = "Targeting evaluation"
    call = "mpi.identification"

    def __init__(
        self,
        data: xr.Dataset,
        se: xr.Dataset | None,
        reasons: dict[str, np.ndarray],
        by: list[str],
        design: tuple[str, dict] | None = None,
        estimates: dict[str, Any] | None = None,
    ) -> None:
        self._design = design
        self._estimates = estimates
        self._ds = data
        self._se = se
        self._reasons = reasons
        self._by = list(by)

    def _data(self) -> xr.Dataset:
        return self._ds

    def _standard_errors(self) -> xr.Dataset | None:
        return None if self._se is None else self._se.copy(deep=True)

    def _grouped(self) -> xr.Dataset | None:
        return self._ds if self._by else None

    def _frame_variables(self) -> list[str]:
        return list(RATES)

    def _title(self, lang: str) -> str:
        return text("targeting.title", lang)

    def _header(self, lang: str) -> list[tuple[str, str]]:
        a = self._ds.attrs
        none = text("targeting.header.none", lang)
        lines = [
            (text("targeting.header.listed", lang), str(a["listed"])),
            (text("targeting.header.poor", lang), str(a["poor"])),
            (text("targeting.header.weight", lang), str(a["weight"] or none)),
            (text("targeting.header.groups", lang), ", ".join(self._by) or none),
            (text("targeting.header.units", lang), f"{a['n_units']:,}"),
            (text("targeting.header.dropped", lang), f"{a['n_dropped']:,}"),
        ]
        if self._design is not None:
            key, fields = self._design
            lines.append((text("targeting.header.design", lang), text(key, lang, **fields)))
        return lines

    def _var_label(self, name: str, lang: str) -> str:
        return text(f"targeting.var.{name}", lang)

    def _tables(self, lang: str) -> list[tuple[str, pd.DataFrame]]:
        ds = self._ds
        out: list[tuple[str, pd.DataFrame]] = []
        if not self._by:
            table = pd.DataFrame({column_label("estimate", lang): [ds[r].item() for r in RATES]})
            if self._se is not None:
                ci = self.ci(0.95)
                table[column_label("se", lang)] = [self._se[r].item() for r in RATES]
                table[column_label("lower", lang)] = [
                    ci[r].sel(bound="lower").item() for r in RATES
                ]
                table[column_label("upper", lang)] = [
                    ci[r].sel(bound="upper").item() for r in RATES
                ]
            table.index = pd.Index([self._var_label(r, lang) for r in RATES])
            out.append((text("targeting.table.rates", lang), table))
            out.append((text("targeting.table.confusion", lang), confusion_table(ds, lang)))
            return out
        parts = [("targeting.table.rates", ds, RATES), ("targeting.table.confusion", ds, TOTALS)]
        if self._se is not None:
            parts.insert(1, ("targeting.table.se", self._se, RATES))
        for key, source, names in parts:
            frame = source[list(names)].to_dataframe()[list(names)]
            frame.columns = [self._var_label(r, lang) for r in names]
            frame.index = frame.index.set_names([column_label(n, lang) for n in frame.index.names])
            out.append((text(key, lang), frame))
        return out

    def _notes(self, lang: str) -> list[str]:
        notes = [text("targeting.note.definitions", lang)]
        for reason, mask in self._reasons.items():
            if not np.any(mask):
                continue
            names = ", ".join(self._var_label(r, lang) for r in _DENOMINATORS[reason])
            where = _group_names(np.asarray(mask), self._ds, self._by)
            key = f"targeting.note.{reason}" + ("_groups" if where else "")
            notes.append(text(key, lang, variables=names, groups=where))
        if self._ds.attrs["n_dropped"]:
            notes.append(text("targeting.note.dropped", lang, n=int(self._ds.attrs["n_dropped"])))
        return notes

    def __repr__(self) -> str:
        ds = self._ds
        if self._by:
            shape = " x ".join(f"{b}: {ds.sizes[b]}" for b in self._by)
            return (
                f"<mpi.TargetingResult listed={ds.attrs['listed']!r} poor={ds.attrs['poor']!r} "
                f"by {shape}, {ds.attrs['n_units']:,} units>"
            )
        return (
            f"<mpi.TargetingResult listed={ds.attrs['listed']!r} poor={ds.attrs['poor']!r}: "
            f"inclusion_error={ds['inclusion_error'].item():.4f}, "
            f"exclusion_error={ds['exclusion_error'].item():.4f}, "
            f"{ds.attrs['n_units']:,} units>"
        )


def reason_attr(reasons: dict[str, np.ndarray], ds: xr.Dataset, by: list[str]) -> str:
    """The reasons for NaN rates in English, for the Dataset's ``undefined`` attribute.

    Parameters
    ----------
    reasons
        ``{reason: mask}`` (:func:`undefined`).
    ds
        The result's Dataset (its group coordinates).
    by
        The group variables.

    Returns
    -------
    str
        ``""`` when every rate is defined.
    """
    parts = []
    for reason, mask in reasons.items():
        if np.any(mask):
            names = ", ".join(_DENOMINATORS[reason])
            where = _group_names(np.asarray(mask), ds, by)
            key = f"targeting.note.{reason}" + ("_groups" if where else "")
            parts.append(text(key, "en", variables=names, groups=where))
    return " ".join(parts)
