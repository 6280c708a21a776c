"""Wald tests and pairwise comparisons of estimates with their design covariance."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.dist import chi2_sf, f_sf, t_ppf, t_sf
from mpi._common.labels import text
from mpi._common.result import ResultBase, label_table
from mpi.errors import ValidationError
from mpi.survey.estimate import PSU, Estimate, stack

__all__ = ["WaldTest", "wald_test", "pairwise", "flat_cov"]


def flat_cov(e: Estimate) -> tuple[np.ndarray, np.ndarray]:
    """Values (flattened) and their full covariance matrix.

    Parameters
    ----------
    e
        An estimate with a linearisation or replicates.

    Returns
    -------
    tuple of numpy.ndarray
        The values as a vector and their covariance matrix.
    """
    eng = e.engine
    value, pert = e.flat()
    mat = eng.matrix(pert) if eng.lead == PSU else eng.matrix(pert, value)
    return value, mat


@dataclass(frozen=True)
class WaldTest(ResultBase):
    """Result of a Wald test of linear restrictions ``R theta = 0``.

    A result like the others: ``to_dataset()`` holds the statistic, its degrees of freedom,
    the p-value and the quadratic form (scalars) and the contrasts with their standard errors
    (``contrast`` and ``contrast_se``, along the dimensions of :attr:`contrasts`);
    ``to_frame()`` one row per test quantity; ``summary()`` the test in words with the
    contrasts. The test is itself the inference: ``has_inference`` is False.

    Attributes
    ----------
    hypothesis : str
        The null hypothesis in words.
    statistic : float
        The test statistic (F for ``"F"`` and ``"adjusted"``, chi-squared for ``"chi2"``).
    df1, df2 : float
        Numerator (number of restrictions) and denominator degrees of freedom (``inf`` for
        chi-squared).
    p_value : float
    wald : float
        The quadratic form :math:`W = (R\\hat\\theta)^T (R V R^T)^{-1} R\\hat\\theta`.
    method : str
        ``"F"``, ``"adjusted"`` or ``"chi2"`` (see :func:`wald_test`).
    contrasts : pandas.DataFrame
        Each restriction's estimate and standard error.
    over : str
        The dimension compared (``""`` when the hypothesis is only known in words).
    values : tuple
        The values of ``over`` compared, the first being the reference.
    """

    hypothesis: str
    statistic: float
    df1: float
    df2: float
    p_value: float
    wald: float
    method: str
    contrasts: pd.DataFrame
    over: str = ""
    values: tuple = ()

    title = "Wald test"
    call = "mpi.wald_test"

    # -- ResultBase hooks ------------------------------------------------------------------
    def _data(self) -> xr.Dataset:
        scalars = {
            "statistic": ((), self.statistic, {"long_name": f"{self._distribution} statistic"}),
            "df1": ((), self.df1, {"long_name": "Numerator degrees of freedom (restrictions)"}),
            "df2": ((), self.df2, {"long_name": "Denominator degrees of freedom"}),
            "p_value": ((), self.p_value, {"long_name": "p-value"}),
            "wald": ((), self.wald, {"long_name": "Wald quadratic form W"}),
        }
        contrasts = self.contrasts.rename(columns={"estimate": "contrast", "se": "contrast_se"})
        if contrasts.index.names == [None]:
            contrasts = contrasts.rename_axis("contrast_index")
        ds = xr.Dataset.from_dataframe(contrasts)
        ds = ds.assign(scalars)
        ds["contrast"].attrs.update(long_name="Restriction R theta (each value minus the first)")
        ds["contrast_se"].attrs.update(long_name="Standard error of the restriction")
        ds.attrs.update(title=self.title, hypothesis=self.hypothesis, method=self.method)
        return ds[[*scalars, "contrast", "contrast_se"]]

    def _frame_variables(self) -> list[str]:
        return ["statistic", "df1", "df2", "p_value", "wald"]

    def _header(self, lang: str) -> list[tuple[str, str]]:
        hypothesis = (
            text(
                "result.value.hypothesis",
                lang,
                over=self.over,
                values=", ".join(map(str, self.values)),
            )
            if self.over
            else self.hypothesis
        )
        return [
            (text("result.header.null_hypothesis", lang), hypothesis),
            (text("result.header.method", lang), self.method),
            (
                text("result.header.statistic", lang, distribution=self._distribution),
                f"{self.statistic:.4f}",
            ),
            (text("result.header.degrees_of_freedom", lang), self._df_text),
            (text("common.p_value", lang), f"{self.p_value:.4g}"),
        ]

    def _tables(self, lang: str) -> list[tuple[str, pd.DataFrame]]:
        return [(text("result.table.contrasts", lang), label_table(self.contrasts, lang))]

    def _no_inference_message(self) -> str:
        return (
            "a WaldTest has no standard errors of its own (it is a test); the contrasts' "
            "standard errors are in .contrasts and to_dataset()['contrast_se']"
        )

    @property
    def _distribution(self) -> str:
        return "chi2" if self.method == "chi2" else "F"

    @property
    def _df_text(self) -> str:
        return f"{self.df1:g}" if self.method == "chi2" else f"{self.df1:g}, {self.df2:g}"

    # -- the interface -----------------------------------------------------------------------
    def by_group(self) -> xr.Dataset:
        """Not available: a test has no groups (its contrasts are in :attr:`contrasts`).

        Returns
        -------
        xarray.Dataset
            Never.

        Raises
        ------
        ValidationError
            Always.
        """
        raise ValidationError(
            "by_group() has no groups to give: a Wald test is one test across the values "
            "compared; see .contrasts or to_dataset()"
        )

    def __repr__(self) -> str:
        return (
            f"<mpi.WaldTest {self.hypothesis}: {self._distribution}({self._df_text}) = "
            f"{self.statistic:.4f}, "
            f"p = {self.p_value:.4g}>"
        )


def _labels(da: xr.DataArray, over: str, labels: Sequence[Any] | None) -> list[Any]:
    if over not in da.dims:
        raise ValidationError(
            f"over={over!r} is not a dimension of the estimate; its dims are {list(da.dims)}"
        )
    have = list(da[over].values)
    if labels is None:
        return have
    labels = list(labels)
    bad = [x for x in labels if x not in have]
    if bad:
        raise ValidationError(f"labels {bad!r} are not values of {over!r}; choose from {have!r}")
    if len(labels) < 2:
        raise ValidationError(f"labels needs at least two values of {over!r}; got {labels!r}")
    return labels


def wald_test(
    est: Estimate,
    over: str,
    labels: Sequence[Any] | None = None,
    *,
    method: Literal["F", "adjusted", "chi2"] = "F",
    df: int | None = None,
) -> WaldTest:
    """Test that an estimate is equal across the values of one dimension.

    The restrictions are :math:`\\theta_{g} - \\theta_{g_0} = 0` for every other value *g*
    (and every element of the remaining dimensions, tested jointly).

    Parameters
    ----------
    est : Estimate
        From :meth:`MeasureResult.estimate`, e.g. ``res.estimate("M0")``.
    over : str
        The dimension compared (a group variable, ``k`` or a round).
    labels : sequence, optional
        Values of ``over`` to compare (default: all).
    method : {"F", "adjusted", "chi2"}
        ``"F"``: :math:`F = W/q` on :math:`(q, d)` degrees of freedom with *d* the design
        df (R ``survey::regTermTest``); ``"adjusted"``: Stata's design-adjusted
        :math:`F = W (d - q + 1)/(d q)` on :math:`(q, d - q + 1)`; ``"chi2"``: *W* on *q*.
    df : int, optional
        Denominator degrees of freedom (default: the design's).

    Returns
    -------
    WaldTest
        The statistic, its degrees of freedom, the p-value and the contrasts.
    """
    if method not in ("F", "adjusted", "chi2"):
        raise ValidationError(f"method must be 'F', 'adjusted' or 'chi2'; got {method!r}")
    labs = _labels(est.value, over, labels)
    base = est.sel(**{over: labs[0]})
    parts = [est.sel(**{over: g}) - base for g in labs[1:]]
    diff = _stack(parts, over, labs[1:])
    value, cov = flat_cov(diff)
    q_all = value.size
    keep = ~np.isnan(value) & ~np.isnan(np.diag(cov))
    value, cov = value[keep], cov[np.ix_(keep, keep)]
    q = int(np.linalg.matrix_rank(cov)) if value.size else 0
    if q == 0:
        raise ValidationError(
            f"no testable contrast of {over!r} (all {q_all} differences undefined or without "
            "variance)"
        )
    w = float(value @ np.linalg.pinv(cov) @ value)
    d = float(df if df is not None else est.engine.df)
    if method == "chi2":
        stat, df1, df2 = w, float(q), np.inf
        p = float(chi2_sf(w, q))
    elif method == "F":
        stat, df1, df2 = w / q, float(q), d
        p = float(f_sf(stat, q, d)) if d > 0 else np.nan
    else:
        df2 = d - q + 1
        stat, df1 = w * df2 / (d * q), float(q)
        p = float(f_sf(stat, q, df2)) if df2 > 0 else np.nan
    frame = (
        diff.value.to_dataframe(name="estimate")
        if diff.value.ndim
        else pd.DataFrame({"estimate": [float(diff.value)]})
    )
    frame["se"] = diff.se.values.reshape(-1)
    hyp = text("result.value.hypothesis", "en", over=over, values=", ".join(map(str, labs)))
    return WaldTest(
        hyp, float(stat), df1, df2, p, w, method, frame[["estimate", "se"]], over, tuple(labs)
    )


def _stack(parts: list[Estimate], over: str, labels: list[Any]) -> Estimate:
    return stack([p.drop_coords([over]) for p in parts], pd.Index(labels, name=over))


def pairwise(
    est: Estimate,
    over: str,
    labels: Sequence[Any] | None = None,
    *,
    level: float = 0.95,
    df: int | None = None,
) -> pd.DataFrame:
    """All pairwise differences ``theta[a] - theta[b]`` with SE, t, p and a CI.

    Differences use the full design covariance (groups and rounds that share PSUs).

    Parameters
    ----------
    est : Estimate
        From :meth:`MeasureResult.estimate`, e.g. ``res.estimate("M0")``.
    over : str
        The dimension compared.
    labels : sequence, optional
        Values of ``over`` to compare (default: all).
    level : float
        Confidence level of the intervals.
    df : int, optional
        Degrees of freedom of the t distribution (default: the design's).

    Returns
    -------
    pandas.DataFrame
        One row per pair and element of the remaining dims: ``a``, ``b``, the remaining
        dims, ``difference``, ``se``, ``t``, ``p_value``, ``lower``, ``upper``.

    Notes
    -----
    :math:`t = (\\hat\\theta_a - \\hat\\theta_b)/\\widehat{se}`, with
    :math:`\\widehat{V}(\\hat\\theta_a - \\hat\\theta_b) = V_{aa} + V_{bb} - 2V_{ab}`, two-sided
    p-values and intervals from Student's t on the design degrees of freedom (R
    ``svycontrast``; no multiplicity adjustment).

    References
    ----------
    Lumley, T. (2010). *Complex Surveys: A Guide to Analysis Using R*. Wiley, ch. 2.
    """
    labs = _labels(est.value, over, labels)
    d = float(df if df is not None else est.engine.df)
    t_crit = t_ppf(0.5 + level / 2, d) if d > 0 else np.nan
    rows = []
    for i, a in enumerate(labs):
        for b in labs[i + 1 :]:
            diff = est.sel(**{over: a}) - est.sel(**{over: b})
            se = diff.se
            frame = (
                xr.Dataset({"difference": diff.value, "se": se})
                .reset_coords(drop=True)
                .to_dataframe()
                .reset_index()
                if diff.value.ndim
                else pd.DataFrame({"difference": [float(diff.value)], "se": [float(se)]})
            )
            frame.insert(0, "b", b)
            frame.insert(0, "a", a)
            rows.append(frame)
    out = pd.concat(rows, ignore_index=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["t"] = out["difference"] / out["se"]
    out["p_value"] = 2 * t_sf(np.abs(out["t"]), d) if d > 0 else np.nan
    out["lower"] = out["difference"] - t_crit * out["se"]
    out["upper"] = out["difference"] + t_crit * out["se"]
    return out
