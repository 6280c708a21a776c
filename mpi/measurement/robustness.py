"""Robustness of comparisons to k and to indicator weights, and first-order dominance.

Both work on pairs of groups or rounds (the values of one ``by`` variable) and use the
design-based covariance, so a comparison counts only when it is statistically significant.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.dist import t_ppf, t_sf
from mpi._common.labels import text
from mpi._common.result import BOUND, ResultBase, check_level, label_table, tidy_frame
from mpi.errors import ValidationError
from mpi.measurement.spec import Spec

__all__ = ["robustness", "RobustnessResult", "dominance", "attainable_scores"]


def attainable_scores(spec: Spec) -> list[Fraction]:
    """Every deprivation score a unit can have (positive), exactly, ascending.

    Parameters
    ----------
    spec
        The specification (its integer weights).

    Returns
    -------
    list of fractions.Fraction
    """
    wint, denom = spec.integer_weights
    sums = {0}
    for w in wint:
        sums |= {s + int(w) for s in sums}
    return [Fraction(s, int(denom)) for s in sorted(sums) if s > 0]


def _pairs(labels: list[Any], pairs: Sequence[tuple[Any, Any]] | None) -> list[tuple[Any, Any]]:
    if pairs is None:
        return [(a, b) for i, a in enumerate(labels) for b in labels[i + 1 :]]
    out = []
    for p in pairs:
        a, b = p
        for x in (a, b):
            if x not in labels:
                raise ValidationError(
                    f"pairs: {x!r} is not a value of the group; choose from {labels!r}"
                )
        out.append((a, b))
    return out


def _pair_table(res: Any, variable: str, over: str, pairs, level: float) -> pd.DataFrame:
    """Differences a - b along the result's remaining dims, with SE, t and p."""
    est = res.estimate(variable)
    d = float(res.df)
    rows = []
    for a, b in pairs:
        diff = est.sel(**{over: a}) - est.sel(**{over: b})
        ds = xr.Dataset({"difference": diff.value, "se": diff.se}).reset_coords(drop=True)
        fr = (
            ds.to_dataframe().reset_index()
            if diff.value.ndim
            else pd.DataFrame({"difference": [float(diff.value)], "se": [float(diff.se)]})
        )
        fr.insert(0, "b", b)
        fr.insert(0, "a", a)
        rows.append(fr)
    out = pd.concat(rows, ignore_index=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = out["difference"] / out["se"]
    out["p_value"] = 2 * t_sf(np.abs(t), d) if d > 0 else np.nan
    out["significant"] = out["p_value"] < level
    return out


#: Variables of :meth:`RobustnessResult.to_dataset` along ``(pair, spec, k)`` (the
#: comparisons' ``robust`` column is ``robust_in_setting`` there).
SETTING_VARIABLES = {
    "difference": "difference",
    "se": "se",
    "p_value": "p_value",
    "significant": "significant",
    "same_direction": "same_direction",
    "robust": "robust_in_setting",
}
#: Variables of :meth:`RobustnessResult.to_dataset` along ``pair`` (the pairs' columns).
PAIR_VARIABLES = (
    "baseline_difference",
    "baseline_se",
    "baseline_significant",
    "robust_share",
    "robust",
)
REFERENCES = (
    "Alkire, S. and Santos, M. E. (2014). Measuring acute poverty in the developing world: "
    "robustness and scope of the Multidimensional Poverty Index. World Development 59, 251-274."
)


@dataclass
class RobustnessResult(ResultBase):
    """Pairwise robustness (Alkire and Santos) over a grid of k and weight vectors.

    ``to_dataset()`` holds the comparisons along ``(pair, spec, k)`` and the verdicts along
    ``pair``; ``to_frame()`` the differences as a tidy table with ``se``, t intervals and
    p-values; ``se`` and ``ci()`` the standard errors and t intervals (design df) of the
    differences.

    Attributes
    ----------
    comparisons : pandas.DataFrame
        One row per pair and setting (``spec``, ``k``): difference, se, p-value,
        ``significant``, ``same_direction`` (as in the baseline setting).
    pairs : pandas.DataFrame
        One row per pair: baseline difference and significance, ``robust_share`` (share of
        settings where the pair keeps the baseline direction and is significant) and
        ``robust`` (all settings do).
    variable : str
        The estimand compared.
    over : str
        The variable whose values are compared.
    level : float
        Significance level of the tests.
    dataset : xarray.Dataset
        The same as :meth:`to_dataset` (use that: it returns a copy).
    """

    comparisons: pd.DataFrame
    pairs: pd.DataFrame
    variable: str
    over: str
    level: float
    dataset: xr.Dataset

    title = "Pairwise robustness"
    call = "mpi.robustness"

    @property
    def share_robust(self) -> float:
        """Share of baseline-significant pairs that are robust in every setting
        (the Alkire-Santos pairwise robustness statistic)."""
        sig = self.pairs[self.pairs["baseline_significant"]]
        return float(sig["robust"].mean()) if len(sig) else float("nan")

    # -- ResultBase hooks ------------------------------------------------------------------
    def _data(self) -> xr.Dataset:
        return self.dataset

    def _standard_errors(self) -> xr.Dataset:
        se = self.dataset[["se", "baseline_se"]].copy(deep=True)
        return se.rename(se="difference", baseline_se="baseline_difference")

    def _frame_variables(self) -> list[str]:
        return ["difference"]

    def _header(self, lang: str) -> list[tuple[str, str]]:
        ds = self.dataset
        n_specs, n_ks = ds.sizes["spec"], ds.sizes["k"]
        return [
            (
                text("result.header.compared", lang),
                text("result.value.compared", lang, variable=self.variable, over=self.over),
            ),
            (
                text("result.header.significance_level", lang),
                text("result.value.significance_level", lang, level=self.level),
            ),
            (
                text("result.header.settings", lang),
                text("result.value.settings", lang, n=n_specs * n_ks, specs=n_specs, ks=n_ks),
            ),
            (
                text("result.header.share_robust", lang),
                text("result.value.share_robust", lang, share=self.share_robust),
            ),
        ]

    def _tables(self, lang: str) -> list[tuple[str, pd.DataFrame]]:
        table = label_table(self.pairs.set_index(["a", "b"]), lang)
        return [(text("result.table.pairs", lang), table)]

    # -- the interface -----------------------------------------------------------------------
    def ci(self, level: float = 0.95) -> xr.Dataset:
        """t intervals of the differences, on each specification's design df.

        Parameters
        ----------
        level
            Confidence level, strictly between 0 and 1 (``1 - level`` of :func:`robustness`
            gives intervals that exclude 0 exactly when the difference is significant).

        Returns
        -------
        xarray.Dataset
            ``difference`` and ``baseline_difference`` with a leading ``bound`` dim.
        """
        level = check_level(level)
        ds = self.dataset
        est = ds[["difference", "baseline_difference"]]
        df = ds["design_df"].to_numpy()
        quantile = np.where(df > 0, t_ppf(0.5 + level / 2, np.where(df > 0, df, 1.0)), np.nan)
        t = xr.DataArray(quantile, dims="spec", coords={"spec": ds["spec"]})
        half = xr.Dataset(
            {
                "difference": t * ds["se"],
                "baseline_difference": t.isel(spec=0, drop=True) * ds["baseline_se"],
            }
        )
        out = xr.concat([est - half, est + half], dim=BOUND)
        out = out.assign_coords({BOUND: ["lower", "upper"]})
        out.attrs.update(confidence_level=level, interval="estimate ± t(design df) se")
        return out

    def to_frame(self, level: float | None = None) -> pd.DataFrame:
        """Tidy table of the differences: one row per pair and setting.

        Parameters
        ----------
        level
            Confidence level of ``lower`` and ``upper``; default ``1 - `` the significance
            level of the tests, so that an interval excludes 0 exactly when the difference is
            ``significant``.

        Returns
        -------
        pandas.DataFrame
            Columns ``measure`` (``"difference"``), ``pair``, ``spec``, ``k``, ``estimate``
            (the difference ``a - b``), ``se``, ``lower``, ``upper``, ``p_value`` and
            ``significant``.
        """
        ci = self.ci(1 - self.level if level is None else level)
        ds = self.dataset
        extra = {
            "se": ds[["se"]].rename(se="difference"),
            "lower": ci.sel({BOUND: "lower"}, drop=True),
            "upper": ci.sel({BOUND: "upper"}, drop=True),
            "p_value": ds[["p_value"]].rename(p_value="difference"),
            "significant": ds[["significant"]].rename(significant="difference"),
        }
        return tidy_frame(ds, ["difference"], extra)

    def by_group(self) -> xr.Dataset:
        """Not available: robustness compares the values of ``over`` pair by pair.

        Returns
        -------
        xarray.Dataset
            Never: the comparisons are in :meth:`to_dataset` along ``pair``.

        Raises
        ------
        ValidationError
            Always.
        """
        raise ValidationError(
            f"by_group() has no groups to give: {self.call} compares the values of "
            f"{self.over!r} pair by pair; see to_dataset() (dim 'pair')"
        )

    def _title(self, lang: str) -> str:
        return text("result.title.RobustnessResult", lang, variable=self.variable, over=self.over)

    def __repr__(self) -> str:
        return (
            f"<mpi.RobustnessResult {self.variable} by {self.over}: {len(self.pairs)} pairs, "
            f"share robust = {self.share_robust:.3f}>"
        )


def robustness(
    data: Any,
    spec: Spec,
    *,
    over: str,
    design: Any,
    k: Sequence[Any] | None = None,
    alternatives: Sequence[Spec] = (),
    variable: str = "M0",
    pairs: Sequence[tuple[Any, Any]] | None = None,
    level: float = 0.05,
    missing: str = "drop",
) -> RobustnessResult:
    """Do comparisons between groups (or rounds) survive other k and other weights?

    Parameters
    ----------
    data, spec, design, missing
        As in :func:`mpi.measure`; ``spec`` gives the baseline weights and ``spec.k`` the
        baseline cutoff.
    over : str
        Variable whose values are compared pairwise (region, round …).
    k : sequence, optional
        Grid of poverty cutoffs (default: the baseline only). The baseline ``spec.k`` is
        added if missing.
    alternatives : sequence of Spec
        Other specifications (e.g. other weight vectors) with the same variables.
    variable : str
        Estimand compared (``"M0"``, ``"H"`` …).
    pairs : sequence of (a, b), optional
        Pairs to compare (default: all).
    level : float
        Significance level of the two-sided t test of each difference (design df).

    Returns
    -------
    RobustnessResult
        The comparisons per pair and setting and the verdict per pair.

    References
    ----------
    Alkire, S. and Santos, M. E. (2014). Measuring acute poverty in the developing world:
    robustness and scope of the Multidimensional Poverty Index. *World Development* 59,
    251-274.
    """
    from mpi.measurement.measure import measure

    if not 0 < level < 1:
        raise ValidationError(f"level must be in (0, 1); got {level!r}")
    ks = [spec.k] + [
        spec.cutoff_fraction(x) for x in (k or []) if spec.cutoff_fraction(x) != spec.k
    ]
    frames, dfs = [], []
    for i, sp in enumerate([spec, *alternatives]):
        if not isinstance(sp, Spec):
            raise ValidationError(f"alternatives must be mpi.Spec objects; got {type(sp).__name__}")
        res = measure(data, sp, by=over, k=ks, design=design, missing=missing)  # type: ignore[arg-type]
        labels = list(res.statistics[over].values)
        prs = _pairs(labels, pairs)
        tab = _pair_table(res, variable, over, prs, level)
        dfs.append(float(res.df))
        tab.insert(2, "spec", sp.name or f"alternative {i}" if i else (sp.name or "baseline"))
        tab["spec_index"] = i
        frames.append(tab)
    comp = pd.concat(frames, ignore_index=True)
    base = comp[(comp["spec_index"] == 0) & np.isclose(comp["k"], float(spec.k))]
    base = base.set_index(["a", "b"])
    sign0 = np.sign(base["difference"])
    key = list(zip(comp["a"], comp["b"], strict=True))
    comp["same_direction"] = np.sign(comp["difference"].to_numpy()) == sign0.loc[key].to_numpy()
    comp["robust"] = comp["same_direction"] & comp["significant"]
    grp = comp.groupby(["a", "b"], sort=False)
    out = pd.DataFrame(
        {
            "baseline_difference": base["difference"],
            "baseline_se": base["se"],
            "baseline_significant": base["significant"],
            "robust_share": grp["robust"].mean(),
            "robust": grp["robust"].all(),
        }
    ).reset_index()
    ds = _robustness_dataset(comp, out, dfs, variable, over, level)
    comp = comp.drop(columns=["spec_index"])
    return RobustnessResult(comp, out, variable, over, level, ds)


def _unique_labels(labels: list[str]) -> list[str]:
    """Spec labels, a repeated one suffixed with its position (``"alt (2)"``)."""
    return [lab if labels.count(lab) == 1 else f"{lab} ({i})" for i, lab in enumerate(labels)]


def _robustness_dataset(
    comp: pd.DataFrame,
    pairs: pd.DataFrame,
    dfs: list[float],
    variable: str,
    over: str,
    level: float,
) -> xr.Dataset:
    """The comparisons along ``(pair, spec, k)`` and the verdicts along ``pair``."""
    labels = _unique_labels(comp.drop_duplicates("spec_index")["spec"].tolist())
    pair = comp["a"].astype(str) + " vs " + comp["b"].astype(str)
    order = list(dict.fromkeys(pair))
    long = comp.assign(pair=pair, spec=np.asarray(labels, dtype=object)[comp["spec_index"]])
    ds = long.set_index(["pair", "spec", "k"])[list(SETTING_VARIABLES)].to_xarray()
    ds = ds.rename(SETTING_VARIABLES).sel(pair=order, spec=labels)
    verdicts = pairs.set_index(pairs["a"].astype(str) + " vs " + pairs["b"].astype(str)).loc[order]
    for name in PAIR_VARIABLES:
        ds[name] = ("pair", verdicts[name].to_numpy())
    ds["design_df"] = ("spec", np.asarray(dfs, dtype=float))
    ds = ds.assign_coords(
        a=("pair", verdicts["a"].to_numpy()), b=("pair", verdicts["b"].to_numpy())
    )
    ds["difference"].attrs.update(long_name=f"{variable}(a) - {variable}(b)")
    ds["robust_in_setting"].attrs.update(
        long_name="Same direction as at the baseline and significant in this setting"
    )
    ds["robust"].attrs.update(long_name="Robust in every setting")
    ds["design_df"].attrs.update(long_name="Design degrees of freedom of the tests")
    ds.attrs.update(
        title=f"Pairwise robustness of {variable} across {over}",
        variable=variable,
        over=over,
        level=str(level),
        references=REFERENCES,
    )
    return ds


def dominance(
    data: Any,
    spec: Spec,
    *,
    over: str,
    design: Any,
    pairs: Sequence[tuple[Any, Any]] | None = None,
    level: float = 0.05,
    missing: str = "drop",
    max_score: Any = None,
) -> xr.Dataset:
    """First-order dominance of the censored deprivation-score distributions.

    For every attainable score :math:`c \\ge k`, the share of the population whose
    censored score is at least *c* is :math:`H(c)` (the headcount at cutoff *c*; below *k*
    it is :math:`H(k)`). Group *a* is poorer than *b* in the first-order sense for every
    poverty cutoff at least *k* if :math:`H_a(c) \\ge H_b(c)` for all such *c*; then
    :math:`M_0` and *H* rank *a* above *b* for every cutoff in that range. The
    statistical verdict requires every difference to be significant in the same
    direction (intersection-union test at ``level``). Scores where almost nobody is
    deprived rarely give significant differences; ``max_score`` limits the comparison to
    ``k <= c <= max_score`` (dominance over that range of poverty cutoffs).

    Parameters
    ----------
    data, spec, design, missing
        As in :func:`mpi.measure`.
    over : str
        Variable whose values are compared pairwise.
    pairs : sequence of (a, b), optional
        Pairs to compare (default: all).
    level : float
        Significance level of the t test at each score.
    max_score : float, str or Fraction, optional
        Highest score compared (default: 1).

    Returns
    -------
    xarray.Dataset
        Dims ``(pair, score)``: ``difference`` (:math:`H_a - H_b`), ``se``, ``p_value``;
        per pair: ``verdict`` (``"a poorer"``, ``"b poorer"``, ``"equal"`` or
        ``"crossing"``) and ``significant`` (the verdict holds at every score with
        significance).

    References
    ----------
    Alkire, S. and Foster, J. (2011), section 4; Alkire et al. (2015), ch. 8
    (robustness and dominance).
    """
    from mpi.measurement.measure import measure

    top = spec.cutoff_fraction(max_score) if max_score is not None else 1
    scores = [c for c in attainable_scores(spec) if spec.k <= c <= top]
    if not scores:
        raise ValidationError(f"max_score={max_score!r} is below k = {spec.k}; no score to compare")
    res = measure(data, spec, by=over, k=scores, design=design, missing=missing)  # type: ignore[arg-type]
    labels = list(res.statistics[over].values)
    prs = _pairs(labels, pairs)
    tab = _pair_table(res, "H", over, prs, level)
    tab["pair"] = tab["a"].astype(str) + " vs " + tab["b"].astype(str)
    order = list(dict.fromkeys(tab["pair"]))  # pairs in group order, not sorted
    ds = tab.set_index(["pair", "k"])[["difference", "se", "p_value"]].to_xarray()
    ds = ds.rename(k="score").sel(pair=order)
    diff = ds["difference"]
    pos, neg = (diff > 0).any("score"), (diff < 0).any("score")
    verdict = xr.where(
        pos & ~neg,
        "a poorer",
        xr.where(neg & ~pos, "b poorer", xr.where(~pos & ~neg, "equal", "crossing")),
    )
    sig = (
        ((ds["p_value"] < level) | False).all("score")
        & (verdict != "crossing")
        & (verdict != "equal")
    )
    ds["verdict"] = verdict
    ds["significant"] = sig
    first = tab.drop_duplicates("pair").set_index("pair")
    ds = ds.assign_coords(
        a=("pair", first.loc[ds["pair"].values, "a"].to_numpy()),
        b=("pair", first.loc[ds["pair"].values, "b"].to_numpy()),
    )
    ds["difference"].attrs.update(long_name="H_a(c) - H_b(c): share with censored score >= c")
    ds.attrs.update(
        title="First-order dominance of censored deprivation scores",
        k=str(spec.k),
        level=str(level),
    )
    return ds
