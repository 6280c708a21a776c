"""Charts of durations: survival of spells, chronic poverty by number of poor waves,
duration-adjusted FGT measures.

Same conventions as :mod:`mpi.plot`: ``ax=None`` makes a new figure, the Axes is returned,
``plt.show()`` is never called, and CJK labels get a CJK font when one is installed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from mpi._common.labels import check_lang, text
from mpi.dynamics.chronic import ChronicResult, DurationAdjustedResult
from mpi.dynamics.spells import SpellResult
from mpi.errors import ValidationError
from mpi.plot._style import (
    ENTRY,
    EXIT,
    LINE_COLORS,
    MUTED,
    NET,
    apply_fonts,
    check_result,
    new_ax,
    percent_axis,
    percent_text,
    style_axes,
    years_text,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["survival", "chronic_durations", "duration_adjusted"]


# -- survival of spells ----------------------------------------------------------------------
def survival(
    result: SpellResult,
    *,
    state: str = "poor",
    hazard: bool = True,
    annotate: bool = True,
    ax: Axes | None = None,
    figsize: tuple[float, float] = (6.5, 4.0),
    title: str | None = None,
    lang: str = "en",
) -> Axes:
    """Kaplan-Meier (Bane-Ellwood) survival of spells by duration, as a step curve.

    ``S(d)`` is the weighted share of the spells that begin in the panel still going
    after ``d`` waves; the curve starts at ``S(0) = 1``.

    Parameters
    ----------
    result
        A :class:`~mpi.SpellResult` (``mpi.spells(...)``).
    state
        ``"poor"``: survival in poverty (its hazard is the exit hazard); ``"nonpoor"``:
        survival out of poverty (its hazard is the re-entry hazard).
    hazard
        Add the hazard ``h(d)`` as light bars on the same 0-100% scale.
    annotate
        Write ``S(d)`` next to each step.
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
        ``ax.lines[0]`` is the step curve: x = ``[0, 1, ..., D]``, y = ``[1, S(1), ...,
        S(D)]`` up to the last duration at risk ``D``; the hazard bars are
        ``ax.containers[0]``.

    Raises
    ------
    ValidationError
        For a result that is not a ``SpellResult`` or an unknown ``state``.
    """
    check_lang(lang)
    check_result(result, SpellResult, "survival", "mpi.spells")
    ds = result.to_dataset()
    states = [str(s) for s in ds["state"].values]
    if state not in states:
        raise ValidationError(f"state must be one of {states}; got {state!r}")
    s = ds["survival"].sel(state=state)
    h = ds["hazard"].sel(state=state)
    dur = np.asarray(s["duration"].values, dtype=float)
    sv = np.asarray(s.values, dtype=float)
    ok = np.isfinite(sv)
    if not ok.any():
        raise ValidationError(f"no {state} spell begins inside the panel: nothing to draw")
    x = np.concatenate([[0.0], dur[ok]])
    y = np.concatenate([[1.0], sv[ok]])
    poor = state == "poor"
    which = "poor" if poor else "nonpoor"
    color = ENTRY if poor else EXIT
    ax = new_ax(ax, figsize)
    style_axes(ax)
    if hazard:
        hv = np.asarray(h.values, dtype=float)[ok]
        ax.bar(
            dur[ok],
            hv,
            width=0.42,
            color=color,
            alpha=0.22,
            linewidth=0,
            label=text(f"plot.dyn.survival.hazard_{'exit' if poor else 'reentry'}", lang),
        )
    ax.step(
        x,
        y,
        where="post",
        color=color,
        linewidth=2.2,
        marker="o",
        markersize=4.5,
        label=text(f"plot.dyn.survival.curve_{which}", lang),
    )
    extra = []
    if annotate:
        for xi, yi in zip(x[1:], y[1:], strict=True):
            extra.append(
                ax.annotate(
                    percent_text(yi),
                    (xi, yi),
                    xytext=(4, 5),
                    textcoords="offset points",
                    fontsize="x-small",
                    color="0.25",
                )
            )
    ax.set_xticks(x, [f"{v:g}" for v in x])
    ax.set_xlim(-0.3, x[-1] + 0.6)
    ax.set_ylim(0, 1.05)
    percent_axis(ax, "y", decimals=0)
    ax.set_xlabel(text("plot.dyn.survival.xlabel", lang))
    ax.set_ylabel(text(f"plot.dyn.survival.ylabel_{which}", lang))
    ax.grid(axis="y", color="0.9", linewidth=0.8)
    ax.legend(frameon=False, fontsize="small", loc="upper right")
    default = text(f"plot.dyn.survival.title_{which}", lang)
    ax.set_title(title if title is not None else default, loc="left")
    apply_fonts(ax, extra)
    return ax


# -- chronic poverty by number of poor waves ---------------------------------------------------
def chronic_durations(
    result: ChronicResult,
    *,
    contribution: bool = True,
    annotate: bool = True,
    ax: Axes | None = None,
    figsize: tuple[float, float] = (6.5, 4.0),
    title: str | None = None,
    lang: str = "en",
) -> Axes:
    """Population share by number of poor waves, the chronically poor highlighted.

    Each bar (``share_by_periods_poor``) is split into its chronically poor part
    (``share × chronic_by_periods_poor``, dark) and the rest (light); on a balanced panel a
    bar is wholly chronic from ``m = ⌈τT⌉`` poor waves on, which a dashed line marks.

    Parameters
    ----------
    result
        A :class:`~mpi.ChronicResult` of the time-first order (``mpi.chronic(...)``).
    contribution
        Add the share of :math:`M^C` contributed by each number of poor waves
        (``contribution_by_periods_poor``) as a line with markers.
    annotate
        Write each bar's population share above it.
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
        ``ax.containers[0]`` / ``[1]`` are the non-chronic / chronic parts of the bars
        (their heights add up to ``share_by_periods_poor``); ``ax.lines[0]`` the
        contribution line.

    Raises
    ------
    ValidationError
        For a result that is not a ``ChronicResult`` or one without the duration table
        (``order="dimensions_first"``).
    """
    check_lang(lang)
    check_result(result, ChronicResult, "chronic_durations", "mpi.chronic")
    ds = result.to_dataset()
    if "share_by_periods_poor" not in ds:
        raise ValidationError(
            "chronic_durations() needs the duration table of the time-first order; call "
            "mpi.chronic(..., order='time_first')"
        )
    s = np.asarray(ds["periods_poor"].values, dtype=float)
    share = np.nan_to_num(np.asarray(ds["share_by_periods_poor"].values, dtype=float))
    frac = np.nan_to_num(np.asarray(ds["chronic_by_periods_poor"].values, dtype=float))
    chronic_part = share * frac
    other = share - chronic_part
    tau = ds.attrs.get("tau", "")
    ax = new_ax(ax, figsize)
    style_axes(ax)
    ax.bar(s, other, width=0.72, color=MUTED, label=text("plot.dyn.chronic.not_chronic", lang))
    ax.bar(
        s,
        chronic_part,
        bottom=other,
        width=0.72,
        color=ENTRY,
        label=(
            text("plot.dyn.chronic.chronic_tau", lang, tau=tau)
            if tau
            else text("plot.dyn.chronic.chronic", lang)
        ),
    )
    has_c = contribution and "contribution_by_periods_poor" in ds
    c = np.asarray(ds["contribution_by_periods_poor"].values, dtype=float) if has_c else None
    top = float(np.nanmax(np.concatenate([share, c if c is not None else [], [1e-9]])))
    contributed = text("plot.dyn.chronic.contribution", lang)
    if c is not None:
        ax.plot(
            s,
            c,
            color=NET,
            linewidth=1.4,
            marker="D",
            markersize=4,
            label=contributed,
            zorder=3,
        )
    extra = []
    if annotate:
        for i, (xi, v) in enumerate(zip(s, share, strict=True)):
            if v <= 0:
                continue
            y, dy = v, 2
            if c is not None and np.isfinite(c[i]) and v - 0.02 * top <= c[i] <= v + 0.08 * top:
                y, dy = max(v, c[i]), 6  # above the contribution marker
            extra.append(
                ax.annotate(
                    percent_text(v),
                    (xi, y),
                    xytext=(0, dy),
                    textcoords="offset points",
                    ha="center",
                    va="bottom",
                    fontsize="x-small",
                    color="0.3",
                    zorder=4,
                )
            )
    binary = np.all(np.isclose(frac, 0) | np.isclose(frac, 1)) and np.any(np.isclose(frac, 1))
    if binary:
        m = s[np.argmax(np.isclose(frac, 1))]
        ax.axvline(m - 0.5, color="0.35", linewidth=0.9, linestyle=(0, (4, 3)))
        extra.append(
            ax.annotate(
                text("plot.dyn.chronic.threshold", lang, m=f"{m:g}"),
                (m - 0.5, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(4, -2),
                textcoords="offset points",
                va="top",
                fontsize="small",
                color="0.3",
            )
        )
    ax.set_xticks(s, [f"{v:g}" for v in s])
    percent_axis(ax, "y", decimals=0)
    ax.set_ylim(0, top * 1.15)
    ax.set_xlabel(text("plot.dyn.chronic.xlabel", lang))
    ax.set_ylabel(
        text("plot.dyn.chronic.ylabel_contribution" if has_c else "plot.dyn.chronic.ylabel", lang)
    )
    ax.grid(axis="y", color="0.9", linewidth=0.8)
    handles, labels = ax.get_legend_handles_labels()
    order = sorted(range(len(labels)), key=lambda i: labels[i] == contributed)
    ax.legend(
        [handles[i] for i in order],
        [labels[i] for i in order],
        frameon=False,
        fontsize="small",
        loc="upper right",
        bbox_to_anchor=(1.0, 0.9) if binary else None,
    )
    default = text("plot.dyn.chronic.title", lang)
    ax.set_title(title if title is not None else default, loc="left")
    apply_fonts(ax, extra)
    return ax


# -- duration-adjusted FGT -------------------------------------------------------------------
def duration_adjusted(
    result: DurationAdjustedResult,
    *,
    alpha: Sequence[float] | None = None,
    ax: Axes | None = None,
    figsize: tuple[float, float] = (6.5, 4.0),
    title: str | None = None,
    lang: str = "en",
) -> Axes:
    r"""Per-wave FGT measures and the duration-adjusted :math:`K_\alpha` (Foster 2009).

    One solid line per :math:`\alpha`: the cross-section FGT :math:`P_{\alpha,t}` of each
    wave (``FGT_cross_section``, the units used); a dashed line of the same colour at
    :math:`K_\alpha = H D G_\alpha`, the chronic measure, which counts only the poor waves
    of the chronically poor. The legend's title gives :math:`H` and :math:`D`.

    Parameters
    ----------
    result
        A :class:`~mpi.DurationAdjustedResult` (``mpi.duration_adjusted(...)``).
    alpha
        The FGT powers to draw (default: all of the result's).
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
        ``ax.lines`` alternates, per alpha, the per-wave line and the :math:`K_\alpha`
        line.

    Raises
    ------
    ValidationError
        For a result that is not a ``DurationAdjustedResult`` or an ``alpha`` it lacks.
    """
    check_lang(lang)
    check_result(result, DurationAdjustedResult, "duration_adjusted", "mpi.duration_adjusted")
    ds = result.to_dataset()
    have = [float(a) for a in ds["alpha"].values]
    chosen = have if alpha is None else [float(a) for a in np.atleast_1d(alpha)]
    missing = [a for a in chosen if not np.isclose(have, a).any()]
    if missing:
        raise ValidationError(f"alpha {missing} not in the result; it has {have}")
    time = [d for d in ds["FGT_cross_section"].dims if d != "alpha"][0]
    years = np.asarray(ds[time].values, dtype=float)
    ax = new_ax(ax, figsize)
    style_axes(ax)
    for i, a in enumerate(chosen):
        color = LINE_COLORS[i % len(LINE_COLORS)]
        sel = {"alpha": a}
        ax.plot(
            years,
            ds["FGT_cross_section"].sel(sel, method="nearest").values,
            color=color,
            linewidth=1.6,
            marker="o",
            markersize=4,
            label=text("plot.dyn.duration.per_wave", lang, symbol=f"$P_{{{a:g}}}$"),
        )
        k = float(ds["K"].sel(sel, method="nearest"))
        ax.axhline(
            k,
            color=color,
            linewidth=1.3,
            linestyle=(0, (5, 3)),
            label=text(
                "plot.dyn.duration.adjusted", lang, symbol=f"$K_{{{a:g}}}$", value=f"{k:.4f}"
            ),
        )
    ax.set_xticks(years, years_text(years))
    ax.set_ylim(bottom=0)
    ax.set_xlabel(text("common.wave", lang))
    ax.set_ylabel(text("plot.dyn.duration.ylabel", lang))
    ax.grid(axis="y", color="0.9", linewidth=0.8)
    head = text(
        "plot.dyn.duration.legend", lang, H=f"{float(ds['H']):.3f}", D=f"{float(ds['D']):.3f}"
    )
    ax.legend(
        frameon=False,
        fontsize="small",
        title=head,
        title_fontsize="small",
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
    )
    tau = ds.attrs.get("tau", "")
    default = (
        text("plot.dyn.duration.title_tau", lang, tau=tau)
        if tau
        else text("plot.dyn.duration.title", lang)
    )
    ax.set_title(title if title is not None else default, loc="left")
    apply_fonts(ax)
    return ax
