"""The result of :func:`mpi.targeting` (:class:`TargetingResult`) and the targeting rates.

Every rate is a function of the four weighted totals of the listed x poor table
(:data:`~mpi.identification.evaluate_inputs.CELLS`), written once (:func:`rates`) for plain
arrays and for :class:`~mpi.survey.estimate.Estimate` objects, so that the design-based
variance of each rate is the linearisation (or the replication) of that same formula.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.labels import text
from mpi._common.result import ResultBase, column_label
from mpi.errors import ValidationError
from mpi.identification.evaluate_change import (
    DEFAULT_VARIABLES,
    TargetingChangeResult,
    targeting_change,
)
from mpi.identification.evaluate_inputs import CELLS
from mpi.identification.intervals import DesignIntervals
from mpi.survey.estimate import Estimate
from mpi.survey.hypothesis import WaldTest, pairwise, wald_test

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
#: The rates that are shares (in [0, 1]): logit intervals by default.
SHARES = (
    *(r for r in RATES if r not in ("cgh_indicator", "targeting_differential")),
    "decile_coverage",
    "decile_incidence",
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


class TargetingResult(DesignIntervals, ResultBase):
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
    call = "mpi.targeting"
    interval_shares = SHARES

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
        if "rank" in a:
            order = "descending" if a["descending"] else "ascending"
            lines.append(
                (
                    text("targeting.header.rank", lang),
                    text(f"targeting.header.rank_{order}", lang, rank=a["rank"]),
                )
            )
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
            return out + self._decile_tables(lang)
        parts = [("targeting.table.rates", ds, RATES), ("targeting.table.confusion", ds, TOTALS)]
        if self._se is not None:
            parts.insert(1, ("targeting.table.se", self._se, RATES))
        for key, source, names in parts:
            frame = source[list(names)].to_dataframe()[list(names)]
            frame.columns = [self._var_label(r, lang) for r in names]
            frame.index = frame.index.set_names([column_label(n, lang) for n in frame.index.names])
            out.append((text(key, lang), frame))
        return out + self._decile_tables(lang)

    def _decile_tables(self, lang: str) -> list[tuple[str, pd.DataFrame]]:
        """Coverage and incidence by decile of ``rank`` (with ``rank=`` only), and their SEs."""
        if "decile_coverage" not in self._ds:
            return []
        names = ["decile_coverage", "decile_incidence"]
        parts = [("targeting.table.deciles", self._ds)]
        if self._se is not None:
            parts.append(("targeting.table.deciles_se", self._se))
        out = []
        for key, source in parts:
            frame = source[names].to_dataframe()[names]
            frame.columns = [self._var_label(n, lang) for n in names]
            frame.index = frame.index.set_names(
                [self._var_label(n, lang) if n == "decile" else column_label(n, lang)
                 for n in frame.index.names]
            )  # fmt: skip
            out.append((text(key, lang, rank=self._ds.attrs["rank"]), frame))
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
        if "rank" in self._ds.attrs:
            notes.append(text("targeting.note.deciles", lang, rank=self._ds.attrs["rank"]))
        return notes

    # -- contrasts between groups and changes over time ------------------------------------
    def estimate(self, name: str) -> Estimate:
        """One rate or total as an :class:`~mpi.survey.estimate.Estimate` (its value with
        its influence PSU totals or replicate values), for contrasts with correct standard
        errors.

        Parameters
        ----------
        name : str
            A rate (``inclusion_error``, ``exclusion_error``, ``leakage``, ``undercoverage``,
            ``coverage``, ``listed_share``, ``poor_share``, ``cgh_indicator``,
            ``targeting_differential``) or a total (``listed_poor``, ``listed_nonpoor``,
            ``unlisted_poor``, ``unlisted_nonpoor``).

        Returns
        -------
        Estimate
            Dims as in :meth:`to_dataset` (one per ``by`` variable). Arithmetic keeps the
            design covariance between groups: ``e.sel(year=2021) - e.sel(year=2019)``.

        Raises
        ------
        ValidationError
            Without a survey design, or for a name that is not a rate or total.

        Examples
        --------
        >>> import numpy as np, pandas as pd, mpi
        >>> df = pd.DataFrame({"listed": [1, 1, 0, 0, 1, 0, 1, 0], "poor": [1, 0, 1, 0, 1, 1, 0, 0],
        ...                    "year": [1, 1, 1, 1, 2, 2, 2, 2], "psu": [1, 2, 3, 4] * 2, "w": 1.0})
        >>> res = mpi.targeting(df, listed="listed", poor="poor", by="year",
        ...                     design=mpi.Design("w", psu="psu"))
        >>> e = res.estimate("coverage")
        >>> float((e.sel(year=2) - e.sel(year=1)).value)
        0.0
        """
        if self._estimates is None:
            raise ValidationError(
                "this TargetingResult has no survey design, so no estimates with standard "
                "errors; pass design=mpi.Design(weight, strata=..., psu=...) to mpi.targeting"
            )
        if name not in self._estimates:
            raise ValidationError(
                f"name={name!r} is not a rate or total of mpi.targeting; choose from "
                f"{', '.join(self._estimates)}"
            )
        return self._estimates[name]

    def _compared(self, variable: str, over: str | None, select: dict) -> tuple[str, Estimate]:
        """The dimension compared (default: the first ``by`` variable) and the estimate
        with the other dimensions fixed by ``select``."""
        est = self.estimate(variable)
        dims = list(est.dims)
        if not dims:
            raise ValidationError(
                "comparisons need groups: call mpi.targeting(..., by='region') (or by=['year'])"
            )
        over = (self._by[0] if self._by else dims[0]) if over is None else over
        if over not in dims:
            raise ValidationError(
                f"over={over!r} is not a by variable (or dimension) of {variable!r}; choose "
                f"from {dims}"
            )
        bad = [k for k in select if k not in dims or k == over]
        if bad:
            raise ValidationError(
                f"{bad} cannot be fixed: give values of the other dimensions "
                f"{[d for d in dims if d != over]}, e.g. region='north'"
            )
        try:
            return over, est.sel(**select) if select else est
        except KeyError as err:
            raise ValidationError(
                f"{select!r} does not pick values of the by variables: {err.args[0]}"
            ) from None

    def pairwise(
        self,
        variable: str = "inclusion_error",
        over: str | None = None,
        labels: Sequence[Any] | None = None,
        *,
        level: float = 0.95,
        **select: Any,
    ) -> pd.DataFrame:
        """Pairwise differences of a rate between groups, with SE, t, p and a CI.

        Uses :func:`mpi.survey.hypothesis.pairwise` (``mpi.pairwise``) on
        :meth:`estimate`: the difference of two groups' rates has the variance
        :math:`V_{aa} + V_{bb} - 2V_{ab}` from the same linearisation (or replicates) as the
        rates, so groups or rounds that share PSUs are compared correctly.

        Parameters
        ----------
        variable : str
            A rate or total (see :meth:`estimate`).
        over : str, optional
            The ``by`` variable compared (default: the first), or another dimension of
            ``variable`` (``decile`` for the rates by decile).
        labels : sequence, optional
            Values of ``over`` compared (default: all); the differences are ``a - b`` for
            ``a`` before ``b`` in this order.
        level : float
            Confidence level of the t intervals (design degrees of freedom).
        **select
            Values of the other ``by`` variables to fix (default: every cell of them).

        Returns
        -------
        pandas.DataFrame
            One row per pair (and cell of the other ``by`` variables): ``a``, ``b``,
            ``difference``, ``se``, ``t``, ``p_value``, ``lower``, ``upper``.

        Raises
        ------
        ValidationError
            Without a design or groups, or for an unknown variable, group or label.
        """
        over, est = self._compared(variable, over, select)
        return pairwise(est, over, labels, level=level)

    def wald_test(
        self,
        variable: str = "inclusion_error",
        over: str | None = None,
        labels: Sequence[Any] | None = None,
        *,
        method: Literal["F", "adjusted", "chi2"] = "F",
        **select: Any,
    ) -> WaldTest:
        """Wald test that a rate is equal across the values of a ``by`` variable.

        The restrictions :math:`\\theta_g - \\theta_{g_0} = 0` for every other value *g*
        (and every cell of the remaining ``by`` variables, jointly) are tested with the
        design covariance (:func:`mpi.survey.hypothesis.wald_test`, ``mpi.wald_test``).

        Parameters
        ----------
        variable : str
            A rate or total (see :meth:`estimate`).
        over : str, optional
            The ``by`` variable compared (default: the first), or another dimension of
            ``variable`` (``decile`` for the rates by decile).
        labels : sequence, optional
            Values of ``over`` compared (default: all).
        method : {"F", "adjusted", "chi2"}
            Reference distribution (see :func:`mpi.wald_test`).
        **select
            Values of the other ``by`` variables to fix.

        Returns
        -------
        WaldTest
            The statistic, its degrees of freedom, the p-value and the contrasts.

        Raises
        ------
        ValidationError
            Without a design or groups, or for an unknown variable, group or label.
        """
        over, est = self._compared(variable, over, select)
        return wald_test(est, over, labels, method=method)

    def change(
        self,
        over: str,
        *,
        kind: Literal["total", "insequence"] = "total",
        variables: Sequence[str] = DEFAULT_VARIABLES,
        rounds: Sequence[Hashable] | None = None,
    ) -> TargetingChangeResult:
        """Changes over time of the targeting rates (later minus earlier round), with SEs.

        Evaluate the pooled rounds with ``mpi.targeting(pooled, ..., by=["year"],
        design=mpi.Design(...))`` (or ``by=["year", "county"]`` for changes per county).

        Parameters
        ----------
        over : str
            The round variable (one of the ``by`` variables).
        kind : {"total", "insequence"}
            First to last round, or every consecutive pair.
        variables : sequence of str
            Rates (or totals) changed.
        rounds : sequence, optional
            The values of ``over`` to use, in time order (default: all, in sorted order);
            give it for round labels that do not sort in time order, e.g.
            ``["baseline", "midline", "endline"]``.

        Returns
        -------
        TargetingChangeResult
            ``to_dataset()`` holds the changes (dims ``period`` and the other ``by``
            variables), ``se`` and ``ci()`` their standard errors and t intervals.

        Raises
        ------
        ValidationError
            When ``over`` is not a ``by`` variable, has fewer than two rounds, or for an
            unknown variable, round or kind.

        Notes
        -----
        :math:`\\Delta = \\hat R_b - \\hat R_a` for the earlier round *a* and the later *b*;
        with a design :math:`\\widehat V(\\Delta) = \\widehat V(\\hat R_a) + \\widehat
        V(\\hat R_b) - 2\\widehat{\\operatorname{Cov}}(\\hat R_a, \\hat R_b)`, the variance of
        the difference of the two :meth:`estimate` objects: the same linearisation (ratios
        of totals from PSU totals, the rounds as domains) or replicates as the rates, so the
        covariance of rounds that share PSUs (a panel) is counted. Without a design the
        changes are point estimates and their standard errors NaN (a note says so), as
        the point comparison of two lists is often wanted where no design is known.
        """
        df = -1
        if self._estimates is not None:
            df = int(next(iter(self._estimates.values())).engine.df)
        info = {"listed": self._ds.attrs["listed"], "poor": self._ds.attrs["poor"],
                "design": self._design}  # fmt: skip
        return targeting_change(
            self._ds, self._estimates, self._by, over, kind=kind, variables=variables,
            rounds=rounds, df=df, info=info,
        )  # fmt: skip

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
