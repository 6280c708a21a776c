"""Charts of poverty over the waves and of transitions: trend, transition_matrix, rates.

Same conventions as :mod:`mpi.plot`: ``ax=None`` makes a new figure, the Axes is returned,
``plt.show()`` is never called, and CJK labels get a CJK font when one is installed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from mpi._common.labels import check_lang, has_text, measure_label, text
from mpi.dynamics.states import PanelStates
from mpi.dynamics.transitions import TransitionResult
from mpi.errors import ValidationError
from mpi.measurement.result import MeasureResult
from mpi.plot._style import (
    ENTRY,
    EXIT,
    LINE_COLORS,
    apply_fonts,
    check_result,
    new_ax,
    percent_axis,
    percent_text,
    select_k,
    style_axes,
    years_text,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["trend", "transition_matrix", "rates"]


#: Measures :func:`trend` computes from :class:`~mpi.PanelStates` (state codes: -1
#: unobserved, 0 nonpoor, 1 vulnerable, 2 poor, 3 severe).
STATES_MEASURES = ("M0", "H", "A", "vulnerable", "severe")


def trend(
    result: MeasureResult | PanelStates,
    measure: str = "M0",
    *,
    group: str | None = None,
    k: Any = None,
    ax: Axes | None = None,
    figsize: tuple[float, float] = (6.5, 4.0),
    title: str | None = None,
    lang: str = "en",
) -> Axes:
    """A measure over the waves of a panel, overall and per group.

    Parameters
    ----------
    result
        ``mpi.measure(panel, spec, ...)`` on a panel (the result has a wave dimension), or
        the :class:`~mpi.PanelStates` of ``mpi.panel_states(...)``: then the measure of
        each wave (``M0``, ``H``, ``A``, ``vulnerable`` or ``severe``) is computed from
        the states over the units observed at that wave (weighted), as :func:`mpi.measure`
        gives it on the wave's cross-section (a panel result of :func:`mpi.measure` uses
        the units observed at every wave instead).
    measure
        ``"M0"``, ``"H"``, ``"A"``, ``"M1"``, ``"M2"``, ``"vulnerable"`` or ``"severe"``.
    group
        A ``by`` variable of the result to draw one line per group (its marginal); the
        overall line is drawn in black.
    k
        Which cutoff, when the result was measured at several, in any form
        :func:`mpi.measure` accepts (``Fraction(1, 3)``, ``"1/3"``, ``1/3``, ``0.2``).
    ax
        Axes to draw on; a new figure is created when omitted.
    figsize
        Size of the new figure.
    title
        Chart title (default: the measure by wave, in ``lang``); drawn as given.
    lang
        Language of the chart's words, ``"en"`` or ``"zh"`` (the label catalogue of
        :mod:`mpi._common.labels`); group labels are drawn as the data hold them.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax.lines[-1]`` is the overall line, the lines before it the groups'.
    """
    check_lang(lang)
    if isinstance(result, PanelStates):
        if k is not None:
            raise ValidationError(
                f"trend(): PanelStates hold the states at the spec's cutoff; k={k!r} applies "
                "to a result of mpi.measure(panel, spec, k=[...])"
            )
        years, overall, lines = _states_series(result, measure, group)
    else:
        years, overall, lines = _result_series(result, measure, group, k)
    ax = new_ax(ax, figsize)
    style_axes(ax)
    for i, (lab, values) in enumerate(lines):
        ax.plot(
            years,
            values,
            marker="o",
            markersize=3,
            linewidth=1.3,
            color=LINE_COLORS[i % len(LINE_COLORS)],
            label=str(lab),
        )
    ax.plot(
        years,
        overall,
        color="black",
        linewidth=2.2,
        marker="o",
        markersize=4,
        label=text("common.overall", lang),
    )
    ax.set_xticks(years, [f"{y:g}" for y in years])
    ax.set_xlabel(text("common.wave", lang))
    name = measure_label(measure, lang)
    ax.set_ylabel(name)
    ax.set_ylim(bottom=0)
    ax.grid(axis="y", color="0.9", linewidth=0.8)
    if group is not None:
        ax.legend(frameon=False, fontsize="small", title=group, ncols=2)
    ax.set_title(
        title if title is not None else text("plot.dyn.trend.title", lang, measure=name),
        loc="left",
    )
    apply_fonts(ax)
    return ax


Series = tuple[np.ndarray, np.ndarray, list[tuple[Any, np.ndarray]]]


def _result_series(result: MeasureResult, measure: str, group: str | None, k: Any) -> Series:
    """Years, overall values and per-group values of a panel :class:`MeasureResult`."""
    time = getattr(result, "time", None)
    if not time:
        raise ValidationError(
            "trend() draws a panel result: call mpi.measure(panel, spec, ...) on a Dataset "
            "with (unit, time) variables"
        )
    single = result.ks[0] if len(result.ks) == 1 else None
    overall, _ = select_k(result.overall.to_dataset(), k, func="trend", single=single)
    if measure not in overall:
        raise ValidationError(f"{measure!r} is not a measure of the result")
    years = np.asarray(overall[time].values, dtype=float)
    lines: list[tuple[Any, np.ndarray]] = []
    if group is not None:
        if group not in result.groups:
            raise ValidationError(f"group={group!r} is not a by variable; by={result.groups}")
        ds = result.marginal(group).to_dataset() if len(result.groups) > 1 else result.to_dataset()
        ds, _ = select_k(ds, k, func="trend", single=single)
        lines = [(lab, ds[measure].sel({group: lab}).values) for lab in ds[group].values]
    return years, overall[measure].values, lines


def _states_series(states: PanelStates, measure: str, group: str | None) -> Series:
    """Years, overall values and per-group values of a measure computed from the states."""
    if measure not in STATES_MEASURES:
        raise ValidationError(
            f"trend() computes {list(STATES_MEASURES)} from PanelStates; got {measure!r} "
            "(measure the panel with mpi.measure for the others)"
        )
    years = np.asarray(states.layout.years, dtype=float)
    every = np.ones(states.layout.n_units, dtype=bool)
    lines: list[tuple[Any, np.ndarray]] = []
    if group is not None:
        values = states.group_values()
        if group not in values:
            raise ValidationError(f"group={group!r} is not a by variable; by={states.by}")
        labels = values[group]
        lines = [
            (lab, _states_measure(states, measure, np.asarray(labels == lab)))
            for lab in labels.categories
        ]
    return years, _states_measure(states, measure, every), lines


def _states_measure(states: PanelStates, measure: str, units: np.ndarray) -> np.ndarray:
    """Per wave: the weighted measure over the observed ``units`` (a boolean mask)."""
    state = np.asarray(states.state)[units]
    w = np.asarray(states.weight, dtype=float)[units][:, None]
    observed = (state >= 0) & np.isfinite(w)
    w = np.where(observed, w, 0.0)
    poor = state >= 2
    total = w.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure in ("M0", "A"):
            score = np.nan_to_num(np.asarray(states.score)[units])
            m0 = (w * score * poor).sum(axis=0) / total
            if measure == "M0":
                return m0
            return m0 / ((w * poor).sum(axis=0) / total)
        hit = {"H": poor, "vulnerable": state == 1, "severe": state == 3}[measure]
        return (w * hit).sum(axis=0) / total


# -- transition matrix -----------------------------------------------------------------------
def transition_matrix(
    result: TransitionResult,
    *,
    time: Any = None,
    pooled: bool | None = None,
    labels: Mapping[str, str] | None = None,
    cmap: str = "Blues",
    colorbar: bool = False,
    ax: Axes | None = None,
    figsize: tuple[float, float] | None = None,
    title: str | None = None,
    lang: str = "en",
) -> Axes:
    """Heatmap of the transition probabilities, rows ``from_state``, columns ``to_state``.

    Each cell is annotated with its percentage (rows sum to 100%); the text turns white on
    dark cells. A row without any unit in its state is blank ("–").

    Parameters
    ----------
    result
        A :class:`~mpi.TransitionResult` (``mpi.transitions(...)``), with the two poverty
        states or the four bands (``states="bands"``).
    time
        The wave pair to show, given by the year of its *later* wave (the ``time``
        coordinate of the result). Excludes ``pooled=True``.
    pooled
        Show the pooled (time-homogeneous) matrix. Default: the pooled matrix when the
        result has one, else the last wave pair; ``time=`` selects a pair instead.
    labels
        Display names of the states, e.g. ``{"poor": "Poor households"}``; they replace
        the catalogue's names in ``lang`` ("Non-poor", "Vulnerable", "Poor", "Severe" /
        "非贫困", "脆弱", "贫困", "深度贫困") for the states they name.
    cmap
        A sequential matplotlib colormap (scaled from 0 to 100%).
    colorbar
        Add a colorbar next to the heatmap.
    ax
        Axes to draw on; a new figure is created when omitted.
    figsize
        Size of the new figure (default: grows with the number of states).
    title
        Chart title (default: names the pair or the pooled waves, in ``lang``); drawn as given.
    lang
        Language of the chart's words, ``"en"`` or ``"zh"`` (the label catalogue of
        :mod:`mpi._common.labels`).

    Returns
    -------
    matplotlib.axes.Axes
        The image (``ax.images[0].get_array()``) holds the probability matrix.

    Raises
    ------
    ValidationError
        For a result that is not a ``TransitionResult``, a ``time`` that is not the later
        wave of a pair, or a pooled matrix the result does not hold.
    """
    from matplotlib import colormaps
    from matplotlib.colors import Normalize

    check_lang(lang)
    check_result(result, TransitionResult, "transition_matrix", "mpi.transitions")
    ds = result.to_dataset()
    is_pooled_result = "time" not in ds["probability"].dims
    waves = ds.attrs.get("waves", "")
    first_last = (
        text("plot.dyn.span", lang, start=waves.split(", ")[0], end=waves.split(", ")[-1])
        if waves
        else ""
    )
    pooled_label = text("plot.dyn.transition.pooled", lang, waves=first_last).strip()
    if pooled and time is not None:
        raise ValidationError("pass either time= (one wave pair) or pooled=True, not both")
    if is_pooled_result:
        if time is not None or pooled is False:
            raise ValidationError(
                "the result is pooled (mpi.transitions(..., pooled=True)) and has no wave "
                "pairs; call transitions(..., pooled=False) to draw one pair"
            )
        prob, label = ds["probability"], pooled_label
    elif time is not None:
        years = np.asarray(ds["time"].values, dtype=float)
        hit = np.flatnonzero(np.isclose(years, float(time)))
        if not hit.size:
            raise ValidationError(
                f"time={time!r} is not the later wave of a pair; pairs end in {years_text(years)}"
            )
        sel = ds.isel(time=int(hit[0]))
        prob = sel["probability"]
        start = sel["from_time"].item() if "from_time" in sel.coords else None
        label = _pair_label(start, years[hit[0]], lang)
    else:
        use_pooled = "pooled_probability" in ds if pooled is None else bool(pooled)
        if use_pooled:
            if "pooled_probability" not in ds:
                raise ValidationError("the result holds no pooled transition matrix")
            prob, label = ds["pooled_probability"], pooled_label
        else:
            sel = ds.isel(time=-1)
            prob = sel["probability"]
            start = sel["from_time"].item() if "from_time" in sel.coords else None
            label = _pair_label(start, float(sel["time"].item()), lang)
    prob = prob.transpose("from_state", "to_state")
    mat = np.asarray(prob.values, dtype=float)
    rows = [_state_name(s, labels, lang) for s in prob["from_state"].values]
    cols = [_state_name(s, labels, lang) for s in prob["to_state"].values]
    n = len(rows)
    if figsize is None:
        side = 2.6 + 0.85 * n
        figsize = (max(side, 5.2) + (0.9 if colorbar else 0.0), side - 0.5)
    new = ax is None
    ax = new_ax(ax, figsize)
    if new:
        ax.set_anchor("W")  # spare width to the right, where the left-aligned title runs
    colormap = colormaps[cmap].with_extremes(bad="#f2f2f2")
    norm = Normalize(0.0, 1.0)
    image = ax.imshow(np.ma.masked_invalid(mat), cmap=colormap, norm=norm, aspect="equal")
    fontsize = 11 if n <= 2 else 9.5
    texts = []
    for i in range(mat.shape[0]):
        for j in range(mat.shape[1]):
            v = mat[i, j]
            r, g, b, _ = colormap(norm(v)) if np.isfinite(v) else (1.0, 1.0, 1.0, 1.0)
            dark = 0.299 * r + 0.587 * g + 0.114 * b < 0.55
            texts.append(
                ax.text(
                    j,
                    i,
                    percent_text(v),
                    ha="center",
                    va="center",
                    fontsize=fontsize,
                    color="white" if dark else "#1a1a1a",
                )
            )
    for side in ax.spines:
        ax.spines[side].set_visible(False)
    ax.set_xticks(np.arange(len(cols)), cols)
    ax.set_yticks(np.arange(len(rows)), rows)
    ax.set_xticks(np.arange(len(cols) + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(len(rows) + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="white", linewidth=2.0)
    ax.grid(which="major", visible=False)
    ax.tick_params(which="both", length=0)
    ax.xaxis.set_ticks_position("top")
    ax.xaxis.set_label_position("top")
    ax.set_xlabel(text("plot.dyn.transition.to_state", lang))
    ax.set_ylabel(text("plot.dyn.transition.from_state", lang))
    extra = list(texts)
    if colorbar:
        fig = ax.get_figure()
        cb = fig.colorbar(image, ax=ax, shrink=0.8, pad=0.03)
        percent_axis(cb.ax, "y", decimals=0)
        cb.outline.set_visible(False)
        cb.ax.tick_params(length=2)
    default = text("plot.dyn.transition.title", lang, label=label)
    ax.set_title(title if title is not None else default, loc="left", pad=8)
    apply_fonts(ax, extra)
    return ax


def _pair_label(start: Any, end: float, lang: str) -> str:
    """``"2011 → 2013"`` for a wave pair, or the later year alone when the start is unknown."""
    if start is None:
        return f"{end:g}"
    return text("plot.dyn.pair", lang, start=f"{float(start):g}", end=f"{end:g}")


def _state_name(state: Any, labels: Mapping[str, str] | None, lang: str) -> str:
    """Display name of a poverty state: the user's ``labels``, else the catalogue's."""
    key = str(state)
    if labels and key in labels:
        return str(labels[key])
    return text(f"state.{key}", lang) if has_text(f"state.{key}") else key


# -- entry and exit rates --------------------------------------------------------------------
def rates(
    result: TransitionResult,
    *,
    annual: bool = False,
    pooled: bool = True,
    ax: Axes | None = None,
    figsize: tuple[float, float] = (6.5, 4.0),
    title: str | None = None,
    lang: str = "en",
) -> Axes:
    """Entry and exit rates per wave pair, drawn at the year of the later wave.

    The entry rate is the share of the non-poor at the earlier wave who are poor at the
    later one; the exit rate the share of the poor who are no longer poor.

    Parameters
    ----------
    result
        A :class:`~mpi.TransitionResult` with wave pairs (``pooled=False``, the default of
        :func:`mpi.transitions`).
    annual
        Draw the annualised rates ``entry_rate_annual`` / ``exit_rate_annual`` (constant
        hazard over uneven intervals) instead of the per-pair rates.
    pooled
        Add the pooled rates as dashed reference lines (when the result holds them).
    ax
        Axes to draw on; a new figure is created when omitted.
    figsize
        Size of the new figure.
    title
        Chart title (default: names the rates, in ``lang``); drawn as given.
    lang
        Language of the chart's words, ``"en"`` or ``"zh"`` (the label catalogue of
        :mod:`mpi._common.labels`).

    Returns
    -------
    matplotlib.axes.Axes
        ``ax.lines[0]`` holds the entry rates, ``ax.lines[1]`` the exit rates.

    Raises
    ------
    ValidationError
        For a result that is not a ``TransitionResult`` or a pooled one (no wave pairs).
    """
    check_lang(lang)
    check_result(result, TransitionResult, "rates", "mpi.transitions")
    ds = result.to_dataset()
    if "time" not in ds["entry_rate"].dims:
        raise ValidationError(
            "rates() draws the rates per wave pair; the result is pooled - call "
            "mpi.transitions(..., pooled=False)"
        )
    suffix = "_annual" if annual else ""
    years = np.asarray(ds["time"].values, dtype=float)
    ax = new_ax(ax, figsize)
    style_axes(ax)
    series = (
        ("entry", text("plot.dyn.rates.entry", lang), ENTRY),
        ("exit", text("plot.dyn.rates.exit", lang), EXIT),
    )
    for key, label, color in series:
        ax.plot(
            years,
            ds[f"{key}_rate{suffix}"].values,
            color=color,
            linewidth=2.0,
            marker="o",
            markersize=4.5,
            label=label,
        )
    if pooled:
        for key, _, color in series:
            name = f"pooled_{key}_rate{suffix}"
            if name in ds:
                v = float(ds[name])
                ax.axhline(v, color=color, linewidth=1.0, linestyle=(0, (4, 3)), alpha=0.7)
                ax.annotate(
                    text("plot.dyn.rates.pooled", lang, value=percent_text(v)),
                    (1.0, v),
                    xycoords=("axes fraction", "data"),
                    xytext=(2, 0),
                    textcoords="offset points",
                    va="center",
                    fontsize="small",
                    color=color,
                )
    ax.set_xticks(years, years_text(years))
    if len(years) == 1:
        ax.set_xlim(years[0] - 1, years[0] + 1)
    top = np.nanmax([np.nanmax(line.get_ydata()) for line in ax.lines])
    percent_axis(ax, "y", decimals=0 if top > 0.05 else None)
    ax.set_ylim(bottom=0)
    ax.set_xlabel(text("plot.dyn.rates.xlabel", lang))
    ax.set_ylabel(text("plot.dyn.rates.ylabel_annual" if annual else "plot.dyn.rates.ylabel", lang))
    ax.grid(axis="y", color="0.9", linewidth=0.8)
    ax.legend(frameon=False, fontsize="small", loc="best")
    default = text("plot.dyn.rates.title_annual" if annual else "plot.dyn.rates.title", lang)
    ax.set_title(title if title is not None else default, loc="left")
    apply_fonts(ax)
    return ax
