"""Changes over time between survey rounds, with design-based standard errors.

Rounds are pooled in one data set with a round variable and measured with
``mpi.measure(pooled, spec, by=[round, ...], design=...)``. Declare how they were sampled:

* separate samples drawn in the same strata, some clusters revisited (DHS-style rounds):
  ``mpi.Design(weight, strata=, psu=, rounds=round)`` -- each round keeps its own design
  (its SEs are those of analysing it alone) and the revisited clusters give the covariance;
* one sample of PSUs followed over time (a panel of clusters or households), or a pooled
  file analysed as one sample: ``mpi.Design(weight, strata=, psu=)`` -- rounds are domains
  of the one design (R ``svyby`` on the pooled design).
:func:`change` then gives, for every pair of rounds, the changes of Alkire, Roche and Vaz
(2017) with delta-method SEs that treat *both* rounds as random, and the decomposition of
the change in M0 into a headcount part and an intensity part (Shapley) and into indicator
parts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.dist import t_ppf
from mpi._common.labels import text
from mpi._common.result import BOUND, ResultBase, check_level, label_table
from mpi.errors import ValidationError
from mpi.survey.estimate import Estimate, stack

__all__ = ["change", "ChangeResult", "CHANGES", "MeasuredRounds"]

#: Kinds of change, in output order.
CHANGES = ("absolute", "relative", "annualized_absolute", "annualized_relative")

_CHANGE_ATTRS = {
    "absolute": "X2 - X1",
    "relative": "100 (X2 - X1) / X1 (percent)",
    "annualized_absolute": "(X2 - X1) / (y2 - y1) (per year)",
    "annualized_relative": "100 [(X2 / X1)^(1/(y2 - y1)) - 1] (compound percent per year)",
}


class MeasuredRounds(Protocol):
    """What :func:`change` reads of its input (an :class:`mpi.MeasureResult`).

    A protocol rather than the class, so that this module does not import the result module
    (which imports this one).
    """

    by: list[str]
    history: str
    weight: str | None

    @property
    def spec(self) -> Any: ...

    @property
    def has_design(self) -> bool: ...

    @property
    def statistics(self) -> xr.Dataset: ...

    @property
    def df(self) -> int: ...

    def estimate(self, name: str) -> Estimate: ...


def _years(labels: Sequence[Any], years: Mapping[Any, float] | None, over: str) -> np.ndarray:
    if years is not None:
        missing = [lab for lab in labels if lab not in years]
        if missing:
            raise ValidationError(f"years has no entry for round(s) {missing!r} of {over!r}")
        out = np.array([float(years[lab]) for lab in labels])
    else:
        try:
            out = np.array([float(lab) for lab in labels])
        except (TypeError, ValueError):
            raise ValidationError(
                f"the values of {over!r} ({list(labels)!r}) are not years; pass "
                "years={round: year, ...} (decimals allowed, e.g. 2017.5)"
            ) from None
    if len(np.unique(out)) != len(out):
        raise ValidationError(f"rounds of {over!r} must have distinct years; got {out.tolist()}")
    return out


def _fill(e: Estimate) -> Estimate:
    """NaN -> 0 (intensity of a round where nobody is poor, in the Shapley split)."""
    return e.fillna(0.0)


@dataclass
class ChangeResult(ResultBase):
    """Changes between rounds with standard errors (from :func:`change`).

    ``to_dataset()`` holds one variable per measure with dims ``(period, change, ...)``;
    ``se`` the standard errors; ``ci()`` t intervals with the design df;
    ``decomposition()`` the split of ΔM0; ``by_group()`` the changes with the group
    dimensions first (when the rounds were measured by groups as well).

    Attributes
    ----------
    estimates : dict of str to Estimate
        The changes of each measure (dims ``period``, ``change`` and the groups).
    parts : dict of str to Estimate
        ``delta_M0``, ``H_part``, ``A_part`` and ``indicator_part`` (see
        :meth:`decomposition`).
    over : str
        The round variable.
    periods : pandas.DataFrame
        One row per period: ``period``, ``start``, ``end``, ``start_year``, ``end_year``.
    df : int
        Design degrees of freedom (of the t intervals).
    history : str
        The history of the measured result.
    by : tuple of str
        The other ``by`` variables of the measured result (the group dimensions).
    spec_name : str
        Name of the spec the rounds were measured with (``""`` for an unnamed spec).
    sampling_weight : str
        The sampling weight variable of the measured result (``""`` when unweighted).
    """

    estimates: dict[str, Estimate]
    parts: dict[str, Estimate]
    over: str
    periods: pd.DataFrame
    df: int
    history: str
    by: tuple[str, ...] = ()
    spec_name: str = ""
    sampling_weight: str = ""

    title = "Changes over time in multidimensional poverty"
    call = "mpi.change"

    def _dataset(self, what: str) -> xr.Dataset:
        data = {}
        for name, e in self.estimates.items():
            data[name] = e.value if what == "value" else e.se
            data[name].attrs.update(
                long_name=f"Change in {name}" + (" (standard error)" if what == "se" else ""),
            )
        ds = xr.Dataset(data)
        ds["change"].attrs["description"] = "; ".join(f"{k}: {v}" for k, v in _CHANGE_ATTRS.items())
        ds.attrs.update(
            title="Changes over time in multidimensional poverty",
            references="Alkire, S., Roche, J. M. and Vaz, A. (2017). Changes over time in "
            "multidimensional poverty: methodology and results for 34 countries. World "
            "Development 94, 232-249.",
            over=self.over,
            design_df=str(self.df),
            history=self.history,
            spec=self.spec_name,
            sampling_weight=self.sampling_weight,
        )
        return ds

    # -- ResultBase hooks ------------------------------------------------------------------
    def _data(self) -> xr.Dataset:
        return self._dataset("value")

    def _standard_errors(self) -> xr.Dataset:
        return self._dataset("se")

    def _grouped(self) -> xr.Dataset | None:
        if not self.by:
            return None
        return self._data().transpose(*self.by, ...)

    def _header(self, lang: str) -> list[tuple[str, str]]:
        rounds = ", ".join(
            text("result.value.round", lang, name=r, year=y)
            for r, y in zip(self.periods["start"], self.periods["start_year"], strict=True)
        )
        last = text(
            "result.value.round",
            lang,
            name=self.periods["end"].iloc[-1],
            year=self.periods["end_year"].iloc[-1],
        )
        return [
            (text("result.header.rounds", lang, over=self.over), f"{rounds}, {last}"),
            (text("result.header.design_df", lang), str(self.df)),
        ]

    def _tables(self, lang: str) -> list[tuple[str, pd.DataFrame]]:
        frame = self.to_frame()
        keys = [c for c in frame.columns if c not in ("estimate", "se", "lower", "upper")]
        table = label_table(frame.set_index(keys), lang, cells=True)
        return [(text("result.table.changes", lang), table)]

    # -- the interface -----------------------------------------------------------------------
    def ci(self, level: float = 0.95, method: Literal["wald", "log"] = "wald") -> xr.Dataset:
        """t intervals with a ``bound`` dim.

        Parameters
        ----------
        level
            Confidence level, strictly between 0 and 1.
        method
            ``"wald"``: ``change ± t_{df} se`` (Stata ``nlcom``/R ``svycontrast``).
            ``"log"``: the same for absolute changes, but relative changes get the interval
            of :math:`\\log(1 + \\delta/100)` mapped back, so it never crosses -100 %.

        Returns
        -------
        xarray.Dataset
            The changes' variables with a leading ``bound`` dim (``lower``, ``upper``).
        """
        level = check_level(level)
        if method not in ("wald", "log"):
            raise ValidationError(f"method must be 'wald' or 'log'; got {method!r}")
        t = t_ppf(0.5 + level / 2, self.df) if self.df > 0 else np.nan
        est, se = self.to_dataset(), self.se
        lo, hi = est - t * se, est + t * se
        if method == "log":
            rel = xr.DataArray(
                [c in ("relative", "annualized_relative") for c in est["change"].values],
                dims="change",
                coords={"change": est["change"]},
            )
            with np.errstate(divide="ignore", invalid="ignore"):
                q = 1 + est / 100
                half = t * (se / 100) / q
                lo = xr.where(rel, 100 * (np.exp(np.log(q) - half) - 1), lo)
                hi = xr.where(rel, 100 * (np.exp(np.log(q) + half) - 1), hi)
        bound = pd.Index(["lower", "upper"], name=BOUND)
        return xr.concat([lo, hi], dim=bound)

    def decomposition(self) -> xr.Dataset:
        """ΔM0 split into ``H_part + A_part`` (Shapley) and ``indicator_part``.

        Returns
        -------
        xarray.Dataset
            ``delta_M0``, ``H_part``, ``A_part`` and ``indicator_part`` (along
            ``indicator``: :math:`w_j \\Delta h_j`), each with ``*_se``.
        """
        data = {}
        for name, e in self.parts.items():
            data[name] = e.value
            data[f"{name}_se"] = e.se
        ds = xr.Dataset(data)
        ds["H_part"].attrs["description"] = "(A1 + A2)/2 * (H2 - H1)"
        ds["A_part"].attrs["description"] = "(H1 + H2)/2 * (A2 - A1)"
        ds["indicator_part"].attrs["description"] = (
            "w_j (h_j2 - h_j1), with effective weights under missing='reweight'; sums to ΔM0"
        )
        ds.attrs.update(
            title="Decomposition of the change in M0",
            references="Alkire et al. (2015), Multidimensional Poverty Measurement and "
            "Analysis, OUP, ch. 9 (Shapley split of dM0 = A dH + H dA).",
        )
        return ds

    def to_frame(
        self, level: float = 0.95, *, variables: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """Tidy table: one row per change.

        Parameters
        ----------
        level
            Confidence level of ``lower`` and ``upper`` (t intervals, as :meth:`ci`).
        variables
            Measures to include (default: all).

        Returns
        -------
        pandas.DataFrame
            Columns ``measure``, ``period``, ``change``, the groups…, ``estimate``, ``se``,
            ``lower``, ``upper``.
        """
        return super().to_frame(variables, level=level)

    def __repr__(self) -> str:
        m0 = self.estimates.get("M0")
        head = ""
        if m0 is not None:
            v = m0.value.sel(change="absolute").isel(period=-1)
            if v.ndim == 0:
                se = float(m0.sel(change="absolute").isel(period=-1).se)
                head = f", last dM0={float(v):+.4f} (se {se:.4f})"
        return (
            f"<mpi.ChangeResult over={self.over!r}, {len(self.periods)} period(s), "
            f"measures={list(self.estimates)}{head}>"
        )


def change(
    result: MeasuredRounds,
    over: str,
    *,
    years: Mapping[Any, float] | None = None,
    kind: Literal["total", "insequence"] = "total",
    variables: Sequence[str] = ("M0", "H", "A"),
) -> ChangeResult:
    """Changes over time between rounds, with design-based standard errors.

    Parameters
    ----------
    result : MeasureResult
        From ``mpi.measure(pooled, spec, by=[over, ...], design=...)``: the rounds pooled
        in one data set, ``over`` among the ``by`` variables. Other ``by`` variables give
        changes by group. For rounds that are separate samples revisiting some clusters,
        give the design ``rounds=over`` (see the module notes).
    over : str
        The round variable.
    years : mapping, optional
        Calendar year of each round (decimals allowed, e.g. ``{"DHS-2017": 2017.5}``);
        default: the round values themselves.
    kind : {"total", "insequence"}
        First to last round, or every consecutive pair.
    variables : sequence of str
        Estimands to compare (any of :attr:`MeasureResult.se`'s variables).

    Returns
    -------
    ChangeResult

    Notes
    -----
    For a quantity *X* in rounds 1 and 2 with years :math:`y_1 < y_2`: absolute change
    :math:`\\Delta = X_2 - X_1`; relative :math:`100\\,\\Delta/X_1`; annualised absolute
    :math:`\\Delta/(y_2-y_1)`; annualised relative (compound)
    :math:`100[(X_2/X_1)^{1/(y_2-y_1)} - 1]`. Standard errors come from the linearised
    covariance of :math:`(X_1, X_2)` (or the replicates), so both rounds are random and
    shared PSUs are accounted for. The Shapley split is
    :math:`\\Delta M_0 = \\tfrac{A_1+A_2}{2}\\Delta H + \\tfrac{H_1+H_2}{2}\\Delta A`; the
    indicator split is :math:`\\Delta M_0 = \\sum_j w_j \\Delta h_j`.

    References
    ----------
    Alkire, S., Roche, J. M. and Vaz, A. (2017). Changes over time in multidimensional
    poverty. *World Development* 94, 232-249.
    """
    if not result.has_design:
        raise ValidationError(
            "change() needs standard errors: measure the pooled rounds with design=mpi.Design(...)"
        )
    if over not in result.by:
        raise ValidationError(
            f"over={over!r} must be one of the result's by variables {result.by}; measure with "
            f"by=[{over!r}, ...]"
        )
    if getattr(result, "sparse", False):
        raise ValidationError(
            f"change() needs the rounds {over!r} as a dimension, but this result's groups "
            f"{result.by} are a sparse table (one 'cell' dim: the cross-classification is "
            "too large to lay out in full); use .marginal(over).change(over), or measure "
            "by fewer or coarser variables"
        )
    if kind not in ("total", "insequence"):
        raise ValidationError(f"kind must be 'total' or 'insequence'; got {kind!r}")
    labels = list(result.statistics[over].values)
    if len(labels) < 2:
        raise ValidationError(f"{over!r} has a single round ({labels!r}); need two or more")
    yrs = _years(labels, years, over)
    order = np.argsort(yrs)
    labels = [labels[i] for i in order]
    yrs = yrs[order]
    if kind == "total":
        pairs = [(0, len(labels) - 1)]
    else:
        pairs = [(i, i + 1) for i in range(len(labels) - 1)]
    periods = pd.DataFrame(
        {
            "period": [f"{labels[a]}-{labels[b]}" for a, b in pairs],
            "start": [labels[a] for a, _ in pairs],
            "end": [labels[b] for _, b in pairs],
            "start_year": [yrs[a] for a, _ in pairs],
            "end_year": [yrs[b] for _, b in pairs],
        }
    )
    pidx = pd.Index(periods["period"], name="period")
    cidx = pd.Index(list(CHANGES), name="change")

    def at(e: Estimate, lab: Any) -> Estimate:
        return e.sel(**{over: lab}).drop_coords([over])

    estimates: dict[str, Estimate] = {}
    for name in variables:
        e = result.estimate(name)
        per_period = []
        for a, b in pairs:
            x1, x2 = at(e, labels[a]), at(e, labels[b])
            span = float(yrs[b] - yrs[a])
            diff = x2 - x1
            kinds = [
                diff,
                diff / x1 * 100.0,
                diff * (1.0 / span),
                ((x2 / x1) ** (1.0 / span) - 1.0) * 100.0,
            ]
            per_period.append(stack(kinds, cidx))
        estimates[name] = stack(per_period, pidx)
    parts: dict[str, list[Estimate]] = {
        "delta_M0": [],
        "H_part": [],
        "A_part": [],
        "indicator_part": [],
    }
    h, a_, m0 = result.estimate("H"), result.estimate("A"), result.estimate("M0")
    absolute = result.estimate("absolute_contribution")
    for a, b in pairs:
        h1, h2 = at(h, labels[a]), at(h, labels[b])
        a1, a2 = _fill(at(a_, labels[a])), _fill(at(a_, labels[b]))
        parts["delta_M0"].append(at(m0, labels[b]) - at(m0, labels[a]))
        parts["H_part"].append((a1 + a2) * 0.5 * (h2 - h1))
        parts["A_part"].append((h1 + h2) * 0.5 * (a2 - a1))
        parts["indicator_part"].append(at(absolute, labels[b]) - at(absolute, labels[a]))
    stacked = {n: stack(v, pidx) for n, v in parts.items()}
    extra = {
        c: ("period", periods[c].to_numpy()) for c in ("start", "end", "start_year", "end_year")
    }
    estimates = {n: e.assign_coords(**extra) for n, e in estimates.items()}
    stacked = {n: e.assign_coords(**extra) for n, e in stacked.items()}
    groups = tuple(b for b in result.by if b != over)
    return ChangeResult(
        estimates, stacked, over, periods, result.df, result.history, groups,
        spec_name=result.spec.name or "", sampling_weight=result.weight or "",
    )  # fmt: skip
