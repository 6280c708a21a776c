"""Charts of relapse after an exit from poverty and of the early-warning risk of it.

Same conventions as :mod:`mpi.plot`: ``ax=None`` makes a new figure, the Axes is returned,
``plt.show()`` is never called, and CJK labels get a CJK font when one is installed.
"""

from __future__ import annotations

from statistics import NormalDist
from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from mpi._common.labels import check_lang, has_text, text
from mpi.dynamics.relapse import RelapseResult
from mpi.dynamics.risk import RiskResult
from mpi.errors import ValidationError
from mpi.plot._style import (
    EXIT,
    LINE_COLORS,
    NET,
    apply_fonts,
    check_result,
    grid,
    new_ax,
    percent_axis,
    style_axes,
    years_text,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["relapse", "risk"]


# -- relapse after exit ----------------------------------------------------------------------
def relapse(
    result: RelapseResult,
    *,
    by_band: bool = False,
    years: bool = False,
    level: float = 0.95,
    ax: Axes | None = None,
    figsize: tuple[float, float] = (6.5, 4.0),
    title: str | None = None,
    lang: str = "en",
) -> Axes:
    """Cumulative relapse :math:`F(e) = 1 - S(e)` by time since exit, with a confidence band.

    Parameters
    ----------
    result
        A :class:`~mpi.RelapseResult` (``mpi.relapse(...)``).
    by_band
        One curve per band at exit (clean, vulnerable) instead of the overall curve.
    years
        Time since exit in years (the life table in years) instead of waves.
    level
        Level of the pointwise band: Wald on :math:`S` with the bootstrap SE when the result
        has one (``survival_bse``), else the linearised one (``survival_se``), clipped to [0, 1].
    ax
        Axes to draw on; a new figure is created when omitted.
    figsize
        Size of the new figure.
    title
        Chart title (default: names the chart, in ``lang``); drawn as given.
    lang
        Language of the chart's words, ``"en"`` or ``"zh"`` (the label catalogue of
        :mod:`mpi._common.labels`).

    Returns
    -------
    matplotlib.axes.Axes
    """
    check_lang(lang)
    check_result(result, RelapseResult, "relapse", "mpi.relapse")
    ds = result.to_dataset()
    if by_band and years:
        raise ValidationError("relapse(): by_band=True draws the life table in waves; drop years")
    if by_band and "survival_by_band" not in ds:
        raise ValidationError(
            "relapse(): the result has no band at exit (it was measured with status=)"
        )
    suffix = "_years" if years else ("_by_band" if by_band else "")
    dim = "years_since_exit" if years else "time_since_exit"
    surv = ds[f"survival{suffix}"]
    se_name = next((n for n in (f"survival{suffix}_bse", f"survival{suffix}_se") if n in ds), None)
    z = NormalDist().inv_cdf(0.5 + level / 2.0)
    ax = new_ax(ax, figsize)
    style_axes(ax)
    curves = (
        [(None, surv)]
        if not by_band
        else [(str(b), surv.sel(band_at_exit=b)) for b in surv["band_at_exit"].values]
    )
    colors = ("#b2182b", "#2166ac", "#1b7837")
    for i, (label, s_) in enumerate(curves):
        x = np.concatenate([[0.0], np.asarray(s_[dim].values, dtype=float)])
        f = np.concatenate([[0.0], 1.0 - s_.values])
        ok = np.isfinite(f)
        color = colors[i % len(colors)]
        ax.step(
            x[ok],
            f[ok],
            where="post",
            color=color,
            linewidth=2.0,
            label=_band_at_exit(label, lang) if label else text("plot.dyn.relapse.curve", lang),
        )
        if se_name is not None:
            se = ds[se_name] if label is None else ds[se_name].sel(band_at_exit=label)
            se = np.concatenate([[0.0], se.values])
            lo = np.clip(f - z * se, 0.0, 1.0)
            hi = np.clip(f + z * se, 0.0, 1.0)
            ok2 = ok & np.isfinite(se)
            ax.fill_between(
                x[ok2], lo[ok2], hi[ok2], step="post", color=color, alpha=0.15, linewidth=0
            )
    ax.set_xlabel(text(f"plot.dyn.relapse.xlabel_{'years' if years else 'waves'}", lang))
    ax.set_ylabel(text("plot.dyn.relapse.ylabel", lang))
    percent_axis(ax)
    ax.set_ylim(bottom=0)
    ax.set_xlim(left=0)
    ax.grid(axis="y", color="0.9", linewidth=0.8)
    kind = "bootstrap" if se_name and se_name.endswith("bse") else "linearised"
    band = text(f"plot.dyn.relapse.band_{kind}", lang, level=f"{level:.0%}")
    ax.legend(frameon=False, fontsize="small", title=band if se_name else None, loc="upper left")
    default = text("plot.dyn.relapse.title", lang)
    ax.set_title(title if title is not None else default, loc="left")
    apply_fonts(ax)
    return ax


def _band_at_exit(band: str, lang: str) -> str:
    """Display name of a band at exit (``"clean"``, ``"vulnerable"``)."""
    key = f"plot.dyn.relapse.band.{band}"
    return text(key, lang) if has_text(key) else band.capitalize()


_BAND_COLORS = {"nonpoor": EXIT, "vulnerable": "#e08214", "poor": "#b2182b", "severe": "#67001f"}


# -- early-warning risk ------------------------------------------------------------------------
def risk(
    result: RiskResult,
    *,
    kind: str = "auto",
    ax: Axes | None = None,
    figsize: tuple[float, float] = (6.5, 4.2),
    title: str | None = None,
    lang: str = "en",
) -> Axes:
    """Early-warning risk: calibration on the held-out waves, or mean risk by band.

    ``kind="calibration"``: observed share poor at the target wave against the mean
    predicted risk, per decile of predicted risk, for the model and for the naive
    band-at-exit rule, with the diagonal of perfect calibration; the legend gives each
    one's AUC and Brier score. Needs a held-out evaluation (``fit_until`` before the last
    target wave). ``kind="bands"``: the mean predicted risk at each wave by the unit's
    current band (unweighted mean over the units with a risk).

    Parameters
    ----------
    result
        A :class:`~mpi.RiskResult` (``mpi.relapse_risk(...)``).
    kind
        ``"calibration"``, ``"bands"`` or ``"auto"`` (calibration when the result holds an
        evaluation, else bands).
    ax
        Axes to draw on; a new figure is created when omitted.
    figsize
        Size of the new figure.
    title
        Chart title (default: names the chart, in ``lang``); drawn as given.
    lang
        Language of the chart's words, ``"en"`` or ``"zh"`` (the label catalogue of
        :mod:`mpi._common.labels`).

    Returns
    -------
    matplotlib.axes.Axes
        Calibration: ``ax.lines[0]`` the model (x = predicted, y = observed per decile),
        ``ax.lines[1]`` the naive rule, ``ax.lines[2]`` the diagonal. Bands: one line per
        band.

    Raises
    ------
    ValidationError
        For a result that is not a ``RiskResult``, an unknown ``kind`` or a calibration
        the result does not hold.
    """
    check_lang(lang)
    check_result(result, RiskResult, "risk", "mpi.relapse_risk")
    if kind not in ("auto", "calibration", "bands"):
        raise ValidationError(f"kind must be 'auto', 'calibration' or 'bands'; got {kind!r}")
    ds = result.to_dataset()
    has_eval = "calibration_predicted" in ds
    if kind == "calibration" and not has_eval:
        raise ValidationError(
            "the result holds no held-out evaluation: call mpi.relapse_risk(..., fit_until=<an "
            "earlier wave>) or draw kind='bands'"
        )
    ax = new_ax(ax, figsize)
    style_axes(ax)
    if kind == "calibration" or (kind == "auto" and has_eval):
        default = _draw_calibration(ax, ds, lang)
    else:
        default = _draw_band_risk(ax, ds, lang)
    grid(ax, "both")
    ax.set_title(title if title is not None else default, loc="left")
    apply_fonts(ax)
    return ax


def _draw_calibration(ax: Axes, ds: xr.Dataset, lang: str) -> str:
    """Observed against predicted risk per decile; returns the default title."""
    styles = {"model": (text("plot.dyn.risk.model", lang), EXIT, "-", "o"),
              "naive": (text("plot.dyn.risk.naive", lang), NET, (0, (4, 2)), "s")}  # fmt: skip
    top = 0.0
    for model in ds["calibration_predicted"]["model"].values:
        name, color, line, marker = styles.get(str(model), (str(model), "0.5", "-", "o"))
        pred = np.asarray(ds["calibration_predicted"].sel(model=model).values, dtype=float)
        obs = np.asarray(ds["calibration_observed"].sel(model=model).values, dtype=float)
        ok = np.isfinite(pred) & np.isfinite(obs)
        scores = []
        for score in ("auc", "brier"):
            if score in ds and "model" in ds[score].dims:
                value = f"{float(ds[score].sel(model=model)):.3f}"
                scores.append(text(f"plot.dyn.risk.{score}", lang, value=value))
        sep = text("plot.dyn.list_sep", lang)
        label = (
            text("plot.dyn.risk.with_scores", lang, name=name, scores=sep.join(scores))
            if scores
            else name
        )
        ax.plot(
            pred[ok],
            obs[ok],
            color=color,
            linestyle=line,
            marker=marker,
            markersize=4.5,
            linewidth=1.6,
            label=label,
        )
        top = max(top, float(np.max(pred[ok], initial=0.0)), float(np.max(obs[ok], initial=0.0)))
    top = min(1.0, top * 1.05) or 1.0
    ax.plot(
        [0, top],
        [0, top],
        color="0.6",
        linewidth=0.9,
        linestyle=":",
        label=text("plot.dyn.risk.perfect", lang),
    )
    ax.set_xlim(0, top)
    ax.set_ylim(0, top)
    percent_axis(ax, "x", decimals=0)
    percent_axis(ax, "y", decimals=0)
    ax.set_xlabel(text("plot.dyn.risk.xlabel_calibration", lang))
    ax.set_ylabel(text("plot.dyn.risk.ylabel_calibration", lang))
    ax.legend(frameon=False, fontsize="small", loc="upper left")
    waves = ds.attrs.get("evaluated_waves", "")
    if waves:
        return text("plot.dyn.risk.title_calibration_waves", lang, waves=waves)
    return text("plot.dyn.risk.title_calibration", lang)


def _draw_band_risk(ax: Axes, ds: xr.Dataset, lang: str) -> str:
    """Mean predicted risk per wave by current band; returns the default title."""
    risk_ = np.asarray(ds["risk"].transpose(..., "time").values, dtype=float)
    band = np.asarray(ds["current_band"].transpose(..., "time").values)
    names = [str(b) for b in ds["band"].values] if "band" in ds.coords else []
    years = np.asarray(ds["time"].values, dtype=float)
    for code in range(int(band.max(initial=-1)) + 1):
        hit = (band == code) & np.isfinite(risk_)
        if not hit.any():
            continue
        n = hit.sum(0)
        mean = np.where(hit, risk_, 0.0).sum(0) / np.maximum(n, 1)
        mean[n == 0] = np.nan
        name = names[code] if code < len(names) else ""
        shown = (
            text(f"state.{name}", lang)
            if has_text(f"state.{name}")
            else name or text("plot.dyn.risk.band_code", lang, code=code)
        )
        ax.plot(
            years,
            mean,
            color=_BAND_COLORS.get(name, LINE_COLORS[code % len(LINE_COLORS)]),
            marker="o",
            markersize=4,
            linewidth=1.6,
            label=shown,
        )
    ax.set_xticks(years, years_text(years))
    ax.set_ylim(bottom=0)
    percent_axis(ax, "y", decimals=0)
    ax.set_xlabel(text("common.wave", lang))
    horizon = int(ds.attrs.get("horizon", 1))
    ax.set_ylabel(
        text("plot.dyn.risk.ylabel_next", lang)
        if horizon == 1
        else text("plot.dyn.risk.ylabel_later", lang, horizon=horizon)
    )
    title = text("plot.dyn.risk.band_title", lang)
    ax.legend(frameon=False, fontsize="small", title=title, loc="best")
    return text("plot.dyn.risk.title_bands", lang)
