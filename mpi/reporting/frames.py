"""The long results frame of a measurement (:func:`results_frame`), in the style of Stata's
``mpitb`` (Suppa 2023), and the helpers the publication tables share with it.

One row per estimate: measure × indicator (for indicator-level measures) × group × k
(× wave for panels; × period × kind of change for changes), with the estimate ``b``, its
standard error, confidence interval, a p-value and the unweighted units ``n``. The columns
follow ``mpitb``'s results frames (``b se ll ul pval``, ``measure``, ``indicator``, ``spec``,
``k``; ``ctype``, ``t0``, ``t1``, ``yt0``, ``yt1`` of its change-over-time frame) with
readable names where ``mpitb``'s are terse: ``weighting`` for ``wgts`` (here the sampling
weight, ``mpitb``'s indicator-weighting scheme being the spec), ``subgroup`` and
``subgroup_value`` for ``loa`` and ``subg``, ``change`` for ``ctype``/``ann``, and ``k`` as
an exact fraction ("1/3") where ``mpitb`` writes a percentage (33).
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.dist import norm_sf, t_sf
from mpi._common.exact import fraction_text, to_fraction
from mpi._common.result import check_level
from mpi.errors import ValidationError
from mpi.measurement.change import ChangeResult
from mpi.measurement.result import MeasureResult

__all__ = [
    "results_frame",
    "shared_results_frame",
    "FRAME_COLUMNS",
    "CHANGE_COLUMNS",
    "GROUP_SEPARATOR",
    "design_pvalue",
    "is_share",
    "cutoffs",
    "select_k",
    "check_result",
    "spec_and_weight",
    "UNWEIGHTED",
]

#: Columns of :func:`results_frame` (a panel adds ``time`` and a ChangeResult
#: :data:`CHANGE_COLUMNS` before ``b``).
FRAME_COLUMNS = (
    "spec", "weighting", "k", "measure", "indicator", "subgroup", "subgroup_value",
    "b", "se", "ll", "ul", "pval", "n",
)  # fmt: skip
#: Columns a ChangeResult adds: the kind of change, the period and its rounds and years.
CHANGE_COLUMNS = ("change", "period", "t0", "t1", "yt0", "yt1")
#: Joins the names (and values) of the variables of a cross-classification.
GROUP_SEPARATOR = " / "
#: The ``weighting`` of a result without a sampling weight.
UNWEIGHTED = "unweighted"
#: Estimates that are not shares of the population (shown as decimals, never in percent).
NOT_SHARES = frozenset({"intensity_variance"})
_VALUES = ("b", "se", "ll", "ul")
#: The call recorded in a measured result's history (for a ChangeResult's spec and weight).


def check_result(result: Any, function: str) -> MeasureResult | ChangeResult:
    """``result`` if it is a MeasureResult or a ChangeResult, else a ValidationError.

    Parameters
    ----------
    result
        The argument.
    function
        Name of the calling function, for the message.

    Returns
    -------
    MeasureResult or ChangeResult
    """
    if not isinstance(result, MeasureResult | ChangeResult):
        raise ValidationError(
            f"{function}(result) takes a MeasureResult (from mpi.measure) or a ChangeResult "
            f"(from mpi.change); got {type(result).__name__}. Other results have their own "
            "tables: result.to_frame() and result.summary()"
        )
    return result


def is_share(name: str) -> bool:
    """Whether the estimate ``name`` is a share of the population (shown in percent).

    Parameters
    ----------
    name
        A variable of a MeasureResult or ChangeResult.

    Returns
    -------
    bool
    """
    return name not in NOT_SHARES


def design_pvalue(b: Any, se: Any, df: int | None = None) -> np.ndarray:
    """Two-sided p-value of the test that the estimate is zero, with the design's degrees of
    freedom (as the t intervals of ``ci()``, Stata ``svy`` and ``mpitb``).

    .. math:: p = 2\\,\\bigl(1 - F_{t,\\,df}(|b / se|)\\bigr)

    with the normal distribution in place of :math:`t` when ``df`` is ``None`` (no finite
    design degrees of freedom).

    Parameters
    ----------
    b, se
        Estimates and standard errors (broadcast).
    df
        Design degrees of freedom (PSUs minus strata), or ``None`` for the normal test.

    Returns
    -------
    numpy.ndarray
        The p-values; NaN where ``se`` is missing or ``b = se = 0``; 0 where ``se = 0``
        and ``b != 0``.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.abs(np.asarray(b, dtype=float) / np.asarray(se, dtype=float))
    p = norm_sf(z) if df is None or not np.isfinite(df) or df <= 0 else t_sf(z, df)
    return np.asarray(2.0 * p, dtype=float)


def cutoffs(result: MeasureResult | ChangeResult) -> list[Fraction]:
    """The poverty cutoffs k of a result, exact, in the result's order.

    Parameters
    ----------
    result
        A MeasureResult or ChangeResult.

    Returns
    -------
    list of fractions.Fraction
    """
    if isinstance(result, MeasureResult):
        return list(result.ks)
    ds = result.to_dataset()
    if "k" not in ds.coords:
        return []
    return [to_fraction(float(v), argument="k") for v in np.atleast_1d(ds["k"].values)]


def select_k(result: MeasureResult | ChangeResult, k: Any) -> str:
    """The cutoff of a one-k table, as text ("1/3").

    Parameters
    ----------
    result
        A MeasureResult or ChangeResult.
    k
        Any form :func:`mpi.measure` accepts (``Fraction``, ``"1/3"``, a float), or None for
        the result's only cutoff.

    Returns
    -------
    str
        The cutoff as in the ``k`` column of :func:`results_frame` ("" for a result without
        a cutoff coordinate).

    Raises
    ------
    ValidationError
        ``k=None`` for a result with several cutoffs, or a ``k`` that is not one of them.
    """
    ks = cutoffs(result)
    texts = [fraction_text(f) for f in ks]
    if k is None:
        if len(ks) > 1:
            raise ValidationError(
                f"k=None, but this result has several poverty cutoffs ({', '.join(texts)}); a "
                f"table shows one: pass k= one of them, e.g. k={texts[0]!r}"
            )
        return texts[0] if texts else ""
    wanted = to_fraction(k, argument="k")
    if wanted not in ks:
        raise ValidationError(
            f"k={k!r} is not a poverty cutoff of this result; choose one of {texts} (or "
            "measure again with this k)"
        )
    return fraction_text(wanted)


#: results_frame of live results, by (id, level): a report asks for the same frame many times
_FRAMES: dict[tuple[int, float], tuple[weakref.ref, pd.DataFrame]] = {}


def shared_results_frame(result: MeasureResult | ChangeResult, level: float) -> pd.DataFrame:
    """:func:`results_frame`, computed once per result and level while the result lives.

    The tables and sections of one report ask for the same frame several times; results do
    not change after they are made, so the frame is kept beside a weak reference to the
    result and dropped with it. A copy is returned, so callers may modify it.

    Parameters
    ----------
    result
        A MeasureResult or ChangeResult.
    level
        Confidence level of ``ll`` and ``ul``.

    Returns
    -------
    pandas.DataFrame
    """
    key = (id(result), float(level))
    hit = _FRAMES.get(key)
    if hit is not None and hit[0]() is result:
        return hit[1].copy()
    frame = results_frame(result, level=level)
    _FRAMES[key] = (weakref.ref(result, lambda _, key=key: _FRAMES.pop(key, None)), frame)
    return frame.copy()


def results_frame(result: MeasureResult | ChangeResult, *, level: float = 0.95) -> pd.DataFrame:
    """Every estimate of a measurement as one long numeric frame (Stata ``mpitb``-style).

    Parameters
    ----------
    result : MeasureResult or ChangeResult
        From :func:`mpi.measure` (with or without a survey design, one or several k, a
        panel by wave) or :func:`mpi.change`.
    level : float
        Confidence level of ``ll`` and ``ul``.

    Returns
    -------
    pandas.DataFrame
        One row per measure × indicator × group × k, with the columns

        - ``spec``: the spec's name; ``weighting``: the sampling weight variable, or
          "unweighted";
        - ``k``: the poverty cutoff as an exact fraction, text ("1/3");
        - ``measure``: the variable of ``to_dataset()`` (``H``, ``A``, ``M0``, ...,
          ``censored_headcount``, ...);
        - ``indicator``: the indicator of an indicator-level measure (the dimension, for
          ``dimension_contribution``), "" for aggregates;
        - ``subgroup``: the grouping variable ("" for the whole population; a
          cross-classification joins the names with " / "), ``subgroup_value`` its value;
        - ``b``, ``se``, ``ll``, ``ul``: the estimate, its standard error and confidence
          interval (:meth:`MeasureResult.ci`: logit t intervals with the design's degrees of
          freedom; :meth:`ChangeResult.ci`: t intervals); NaN without a design;
        - ``pval``: two-sided p-value of ``b = 0`` with the design's degrees of freedom,
          :math:`2(1 - F_{t,df}(|b/se|))` (:func:`design_pvalue`); NaN without a design;
        - ``n``: the unweighted units the estimate is based on (the group's units used);
          missing (``pd.NA``) for changes, whose results do not keep counts.

        A panel adds ``time`` (the wave); a ChangeResult adds ``change`` (``absolute``,
        ``relative`` in %, ``annualized_absolute``, ``annualized_relative`` in % per year),
        ``period``, ``t0``, ``t1`` (the rounds) and ``yt0``, ``yt1`` (their years), and has
        no overall row when the changes are by group. With several ``by`` variables the rows
        are the whole population, each variable's groups (:meth:`MeasureResult.marginal`)
        and the cross-classification.

    Examples
    --------
    >>> import warnings, mpi
    >>> from mpi.reporting.frames import results_frame
    >>> warnings.simplefilter("ignore", mpi.MissingDataWarning)
    >>> df = mpi.datasets.load("mpi_survey")
    >>> res = mpi.measure(df, mpi.presets.global_mpi_2018(), weight="weight", by="region")
    >>> frame = results_frame(res)
    >>> frame.loc[(frame.measure == "M0") & (frame.subgroup == ""), ["k", "b", "n"]].shape
    (1, 3)
    """
    check_result(result, "results_frame")
    level = check_level(level)
    if isinstance(result, MeasureResult):
        return _measure_frame(result, level)
    return _change_frame(result, level)


def _k_texts(values: Sequence[float]) -> dict[float, str]:
    return {v: fraction_text(to_fraction(float(v), argument="k")) for v in set(values)}


def _variable_frame(
    est: xr.Dataset,
    se: xr.Dataset | None,
    ci: xr.Dataset | None,
    name: str,
    n: xr.DataArray | None = None,
) -> pd.DataFrame:
    """Rows of one variable: its dims as columns, then ``b`` (``se``, ``ll``, ``ul``, ``n``).

    A variable that does not depend on k (``severe``, ``uncensored_headcount``,
    ``population_share``) in a result with a ``k`` dimension is repeated for every k.
    """
    parts = {"b": est[name].reset_coords(drop=True)}
    if se is not None and ci is not None and name in se.data_vars:
        parts["se"] = se[name].reset_coords(drop=True)
        bounds = ci[name].reset_coords(drop=True)
        parts["ll"] = bounds.sel(bound="lower", drop=True)
        parts["ul"] = bounds.sel(bound="upper", drop=True)
    if "k" in est.dims and "k" not in parts["b"].dims:
        parts = {c: v.expand_dims(k=est["k"].values, axis=-1) for c, v in parts.items()}
    dims = list(parts["b"].dims)
    if n is not None:
        parts["n"] = n.reset_coords(drop=True)
    ds = xr.Dataset(parts)
    if not dims:
        return pd.DataFrame({c: [ds[c].item()] for c in ds.data_vars})
    return ds.to_dataframe(dim_order=dims).reset_index()


def _finish(
    df: pd.DataFrame, dims: list[str], name: str, ktext: str | dict, design_df: int | None
) -> pd.DataFrame:
    """Add ``measure``, ``indicator``, ``subgroup(_value)``, ``k``, ``pval``; fill NaN."""
    n = len(df)
    for c in _VALUES:
        if c not in df:
            df[c] = np.nan
    df["measure"] = name
    if "indicator" in df:
        df["indicator"] = df["indicator"].astype(str)
    elif "dimension" in df:
        df["indicator"] = df["dimension"].astype(str)
    else:
        df["indicator"] = ""
    df["subgroup"] = GROUP_SEPARATOR.join(dims)
    df["subgroup_value"] = (
        df[dims].astype(str).agg(GROUP_SEPARATOR.join, axis=1) if dims else [""] * n
    )
    df["k"] = df["k"].map(ktext) if isinstance(ktext, dict) and "k" in df else ktext
    df["pval"] = design_pvalue(df["b"], df["se"], design_df)
    return df


def _measure_frame(result: MeasureResult, level: float) -> pd.DataFrame:
    pieces: list[tuple[MeasureResult, list[str]]] = [(result.overall, [])]
    groups = result.groups
    if len(groups) == 1:
        pieces.append((result, groups))
    elif groups:
        pieces += [(result.marginal(g), [g]) for g in groups]
        pieces.append((result, groups))
    prepared = []
    for piece, dims in pieces:
        est = piece.to_dataset()
        se = piece.se if piece.has_inference else None
        ci = piece.ci(level) if se is not None else None
        prepared.append((est, se, ci, dims))
    names = [
        str(n)
        for n, v in prepared[-1][0].data_vars.items()
        if v.dtype.kind == "f" and not str(n).startswith("n_")
    ]
    ks = _k_texts([float(f) for f in result.ks]) if result.k_dim else fraction_text(result.ks[0])
    design_df = result.df if result.has_inference else None
    frames = []
    for name in names:
        for est, se, ci, dims in prepared:
            if name not in est.data_vars:
                continue
            df = _variable_frame(est, se, ci, name, est["n_obs"])
            df["n"] = df["n"].astype(np.int64)
            frames.append(_finish(df, dims, name, ks, design_df))
    out = pd.concat(frames, ignore_index=True)
    out["spec"], out["weighting"] = spec_and_weight(result)
    extra = []
    if result.time:
        out["time"] = out[result.time]
        extra = ["time"]
    cols = [*FRAME_COLUMNS[:7], *extra, *FRAME_COLUMNS[7:]]
    return out[cols].reset_index(drop=True)


def spec_and_weight(result: MeasureResult | ChangeResult) -> tuple[str, str]:
    """The spec's name and the sampling weight of a result (the ``spec`` and ``weighting``
    columns of :func:`results_frame`).

    Parameters
    ----------
    result
        A MeasureResult or a ChangeResult.

    Returns
    -------
    tuple of str
        ``(spec, weighting)``; the weighting is :data:`UNWEIGHTED` without a sampling weight.
    """
    if isinstance(result, MeasureResult):
        return result.spec.name or "custom", result.weight or UNWEIGHTED
    spec, weight = result.spec_name, result.sampling_weight
    return str(spec or ""), str(weight or UNWEIGHTED)


def _change_frame(result: ChangeResult, level: float) -> pd.DataFrame:
    est, se, ci = result.to_dataset(), result.se, result.ci(level)
    dims = list(result.by)
    ks = _k_texts(np.atleast_1d(est["k"].values)) if "k" in est.coords else {}
    scalar_k = "k" in est.coords and est["k"].ndim == 0
    periods = result.periods.set_index("period")
    frames = []
    for name in est.data_vars:
        df = _variable_frame(est, se, ci, str(name))
        ktext = ks[float(est["k"])] if scalar_k else ks if ks else ""
        frames.append(_finish(df, dims, str(name), ktext, result.df))
    out = pd.concat(frames, ignore_index=True)
    for col, src in (("t0", "start"), ("t1", "end"), ("yt0", "start_year"), ("yt1", "end_year")):
        out[col] = out["period"].map(periods[src])
    out["n"] = pd.array([pd.NA] * len(out), dtype="Int64")
    out["spec"], out["weighting"] = spec_and_weight(result)
    cols = [*FRAME_COLUMNS[:7], *CHANGE_COLUMNS, *FRAME_COLUMNS[7:]]
    return out[cols].reset_index(drop=True)
