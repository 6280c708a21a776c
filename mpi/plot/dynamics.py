"""Charts of panel dynamics (exported in :mod:`mpi.plot`).

Same conventions as :mod:`mpi.plot`: ``ax=None`` makes a new figure, the Axes is returned,
``plt.show()`` is never called, and CJK labels get a CJK font when one is installed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from mpi.errors import ValidationError
from mpi.plot.measures import MEASURE_LABELS, _apply_fonts, _new_ax, _style

if TYPE_CHECKING:
    import xarray as xr
    from matplotlib.axes import Axes

    from mpi.dynamics.chronic import ChronicResult
    from mpi.dynamics.decompose import DecompositionResult
    from mpi.dynamics.spells import SpellResult
    from mpi.dynamics.transitions import TransitionResult
    from mpi.measurement.result import MeasureResult

__all__ = ["trend", "transition_matrix", "rates", "survival", "chronic_durations", "decomposition"]

_LINE_COLORS = ("#b2182b", "#2166ac", "#1b7837", "#762a83", "#e08214", "#4d4d4d", "#35978f")


def trend(
    result: MeasureResult,
    measure: str = "M0",
    *,
    group: str | None = None,
    ax: Axes | None = None,
    figsize: tuple[float, float] = (6.5, 4.0),
    title: str | None = None,
) -> Axes:
    """A measure over the waves of a panel, overall and per group.

    Parameters
    ----------
    result
        ``mpi.measure(panel, spec, ...)`` on a panel (the result has a wave dimension).
    measure
        ``"M0"``, ``"H"``, ``"A"``, ``"M1"``, ``"M2"``, ``"vulnerable"`` or ``"severe"``.
    group
        A ``by`` variable of the result to draw one line per group (its marginal); the
        overall line is drawn in black.
    ax
        Axes to draw on; a new figure is created when omitted.

    Returns
    -------
    matplotlib.axes.Axes
    """
    time = getattr(result, "time", None)
    if not time:
        raise ValidationError(
            "trend() draws a panel result: call mpi.measure(panel, spec, ...) on a Dataset "
            "with (unit, time) variables"
        )
    overall = result.overall.to_dataset()
    if measure not in overall:
        raise ValidationError(f"{measure!r} is not a measure of the result")
    if "k" in overall[measure].dims:
        raise ValidationError("trend() needs a result with one k; measure with a single k")
    years = np.asarray(overall[time].values, dtype=float)
    ax = _new_ax(ax, figsize)
    _style(ax)
    if group is not None:
        if group not in result.groups:
            raise ValidationError(f"group={group!r} is not a by variable; by={result.groups}")
        ds = result.marginal(group).to_dataset() if len(result.groups) > 1 else result.to_dataset()
        for i, lab in enumerate(ds[group].values):
            ax.plot(
                years,
                ds[measure].sel({group: lab}).values,
                marker="o",
                markersize=3,
                linewidth=1.3,
                color=_LINE_COLORS[i % len(_LINE_COLORS)],
                label=str(lab),
            )
    ax.plot(
        years,
        overall[measure].values,
        color="black",
        linewidth=2.2,
        marker="o",
        markersize=4,
        label="Overall",
    )
    ax.set_xticks(years, [f"{y:g}" for y in years])
    ax.set_ylabel(MEASURE_LABELS.get(measure, measure))
    ax.set_ylim(bottom=0)
    ax.grid(axis="y", color="0.9", linewidth=0.8)
    if group is not None:
        ax.legend(frameon=False, fontsize="small", title=group, ncols=2)
    ax.set_title(
        title if title is not None else f"{MEASURE_LABELS.get(measure, measure)} by wave",
        loc="left",
    )
    _apply_fonts(ax)
    return ax


# -- shared helpers -------------------------------------------------------------------------
_ENTRY = "#b2182b"
_REENTRY = "#ef8a62"
_EXIT = "#2166ac"
_STAYERS = "#8c8c8c"
_NET = "#262626"
_MUTED = "#c8c8c8"
_STATE_LABELS = {
    "nonpoor": "Non-poor",
    "vulnerable": "Vulnerable",
    "poor": "Poor",
    "severe": "Severe",
}


def _check_result(result: Any, kind: str, func: str) -> xr.Dataset:
    """The result's dataset, after checking it is the result class ``kind``."""
    from mpi.dynamics.chronic import ChronicResult
    from mpi.dynamics.decompose import DecompositionResult
    from mpi.dynamics.relapse import RelapseResult
    from mpi.dynamics.spells import SpellResult
    from mpi.dynamics.transitions import TransitionResult

    cls, call = {
        "relapse": (RelapseResult, "mpi.relapse"),
        "transitions": (TransitionResult, "mpi.transitions"),
        "spells": (SpellResult, "mpi.spells"),
        "chronic": (ChronicResult, "mpi.chronic"),
        "decompose": (DecompositionResult, "mpi.decompose_change"),
    }[kind]
    if not isinstance(result, cls):
        raise ValidationError(
            f"{func}() draws a {cls.__name__} (the result of {call}(...)); "
            f"got {type(result).__name__}"
        )
    if kind == "decompose":
        result = result.overall
    return result.to_dataset()


def _years_text(values: Any) -> list[str]:
    return [f"{float(y):g}" for y in np.asarray(values).ravel()]


def _apply_all_fonts(ax: Axes, extra: Sequence[Any] = ()) -> None:
    """:func:`_apply_fonts` plus texts the helper does not see (annotations, colorbar)."""
    _apply_fonts(ax)
    from mpi.plot.measures import _font_family

    for t in extra:
        fam = _font_family([t.get_text()])
        if fam is not None:
            t.set_fontfamily(fam)


def _percent_axis(ax: Axes, axis: str = "y", decimals: int | None = None) -> None:
    from matplotlib.ticker import PercentFormatter

    fmt = PercentFormatter(1.0, decimals=decimals)
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)


def _percent(v: float) -> str:
    if not np.isfinite(v):
        return "–"
    p = 100.0 * v
    if p != 0 and abs(p) < 0.05:
        return "<0.1%" if p > 0 else ">−0.1%"
    return f"{p:.1f}%"


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
        Display names of the states, e.g. ``{"poor": "贫困", "nonpoor": "非贫困"}``
        (default: "Non-poor", "Vulnerable", "Poor", "Severe").
    cmap
        A sequential matplotlib colormap (scaled from 0 to 100%).
    colorbar
        Add a colorbar next to the heatmap.
    ax
        Axes to draw on; a new figure is created when omitted.
    figsize
        Size of the new figure (default: grows with the number of states).
    title
        Chart title (default: names the pair or the pooled waves).

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

    ds = _check_result(result, "transitions", "transition_matrix")
    is_pooled_result = "time" not in ds["probability"].dims
    waves = ds.attrs.get("waves", "")
    first_last = waves.split(", ")[0] + "–" + waves.split(", ")[-1] if waves else ""
    if pooled and time is not None:
        raise ValidationError("pass either time= (one wave pair) or pooled=True, not both")
    if is_pooled_result:
        if time is not None or pooled is False:
            raise ValidationError(
                "the result is pooled (mpi.transitions(..., pooled=True)) and has no wave "
                "pairs; call transitions(..., pooled=False) to draw one pair"
            )
        prob, label = ds["probability"], f"pooled {first_last}"
    elif time is not None:
        years = np.asarray(ds["time"].values, dtype=float)
        hit = np.flatnonzero(np.isclose(years, float(time)))
        if not hit.size:
            raise ValidationError(
                f"time={time!r} is not the later wave of a pair; pairs end in {_years_text(years)}"
            )
        sel = ds.isel(time=int(hit[0]))
        prob = sel["probability"]
        start = sel["from_time"].item() if "from_time" in sel.coords else None
        label = f"{start:g} → {years[hit[0]]:g}" if start is not None else f"{years[hit[0]]:g}"
    else:
        use_pooled = "pooled_probability" in ds if pooled is None else bool(pooled)
        if use_pooled:
            if "pooled_probability" not in ds:
                raise ValidationError("the result holds no pooled transition matrix")
            prob, label = ds["pooled_probability"], f"pooled {first_last}"
        else:
            sel = ds.isel(time=-1)
            prob = sel["probability"]
            start = sel["from_time"].item() if "from_time" in sel.coords else None
            end = float(sel["time"].item())
            label = f"{start:g} → {end:g}" if start is not None else f"{end:g}"
    prob = prob.transpose("from_state", "to_state")
    mat = np.asarray(prob.values, dtype=float)
    names = {**_STATE_LABELS, **(dict(labels) if labels else {})}
    rows = [names.get(str(s), str(s)) for s in prob["from_state"].values]
    cols = [names.get(str(s), str(s)) for s in prob["to_state"].values]
    n = len(rows)
    if figsize is None:
        side = 2.6 + 0.85 * n
        figsize = (max(side, 5.2) + (0.9 if colorbar else 0.0), side - 0.5)
    new = ax is None
    ax = _new_ax(ax, figsize)
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
                    _percent(v),
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
    ax.set_xlabel("To state")
    ax.set_ylabel("From state")
    extra = list(texts)
    if colorbar:
        fig = ax.get_figure()
        cb = fig.colorbar(image, ax=ax, shrink=0.8, pad=0.03)
        _percent_axis(cb.ax, "y", decimals=0)
        cb.outline.set_visible(False)
        cb.ax.tick_params(length=2)
    ax.set_title(
        title if title is not None else f"Transition probabilities, {label}", loc="left", pad=8
    )
    _apply_all_fonts(ax, extra)
    return ax


# -- entry and exit rates --------------------------------------------------------------------
def rates(
    result: TransitionResult,
    *,
    annual: bool = False,
    pooled: bool = True,
    ax: Axes | None = None,
    figsize: tuple[float, float] = (6.5, 4.0),
    title: str | None = None,
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
        Chart title.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax.lines[0]`` holds the entry rates, ``ax.lines[1]`` the exit rates.

    Raises
    ------
    ValidationError
        For a result that is not a ``TransitionResult`` or a pooled one (no wave pairs).
    """
    ds = _check_result(result, "transitions", "rates")
    if "time" not in ds["entry_rate"].dims:
        raise ValidationError(
            "rates() draws the rates per wave pair; the result is pooled - call "
            "mpi.transitions(..., pooled=False)"
        )
    suffix = "_annual" if annual else ""
    years = np.asarray(ds["time"].values, dtype=float)
    ax = _new_ax(ax, figsize)
    _style(ax)
    series = (
        ("entry", "Entry rate (non-poor → poor)", _ENTRY),
        ("exit", "Exit rate (poor → non-poor)", _EXIT),
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
                    f"pooled {_percent(v)}",
                    (1.0, v),
                    xycoords=("axes fraction", "data"),
                    xytext=(2, 0),
                    textcoords="offset points",
                    va="center",
                    fontsize="small",
                    color=color,
                )
    ax.set_xticks(years, _years_text(years))
    if len(years) == 1:
        ax.set_xlim(years[0] - 1, years[0] + 1)
    top = np.nanmax([np.nanmax(line.get_ydata()) for line in ax.lines])
    _percent_axis(ax, "y", decimals=0 if top > 0.05 else None)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("Later wave of the pair")
    ax.set_ylabel("Annual rate" if annual else "Share of the origin state")
    ax.grid(axis="y", color="0.9", linewidth=0.8)
    ax.legend(frameon=False, fontsize="small", loc="best")
    default = "Entry into and exit from poverty" + (", annualised" if annual else "")
    ax.set_title(title if title is not None else default, loc="left")
    _apply_fonts(ax)
    return ax


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
        Chart title.

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
    ds = _check_result(result, "spells", "survival")
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
    color = _ENTRY if poor else _EXIT
    ax = _new_ax(ax, figsize)
    _style(ax)
    if hazard:
        hv = np.asarray(h.values, dtype=float)[ok]
        ax.bar(
            dur[ok],
            hv,
            width=0.42,
            color=color,
            alpha=0.22,
            linewidth=0,
            label=f"{'Exit' if poor else 'Re-entry'} hazard h(d)",
        )
    ax.step(
        x,
        y,
        where="post",
        color=color,
        linewidth=2.2,
        marker="o",
        markersize=4.5,
        label=f"Survival S(d), still {'poor' if poor else 'non-poor'}",
    )
    extra = []
    if annotate:
        for xi, yi in zip(x[1:], y[1:], strict=True):
            extra.append(
                ax.annotate(
                    _percent(yi),
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
    _percent_axis(ax, "y", decimals=0)
    ax.set_xlabel("Duration of the spell (waves)")
    ax.set_ylabel(f"Share of {'poverty' if poor else 'non-poverty'} spells")
    ax.grid(axis="y", color="0.9", linewidth=0.8)
    ax.legend(frameon=False, fontsize="small", loc="upper right")
    default = "Survival in poverty" if poor else "Survival out of poverty"
    ax.set_title(title if title is not None else default, loc="left")
    _apply_all_fonts(ax, extra)
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
        Chart title.

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
    ds = _check_result(result, "chronic", "chronic_durations")
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
    ax = _new_ax(ax, figsize)
    _style(ax)
    ax.bar(s, other, width=0.72, color=_MUTED, label="Not chronically poor")
    ax.bar(
        s,
        chronic_part,
        bottom=other,
        width=0.72,
        color=_ENTRY,
        label=f"Chronically poor (τ = {tau})" if tau else "Chronically poor",
    )
    has_c = contribution and "contribution_by_periods_poor" in ds
    c = np.asarray(ds["contribution_by_periods_poor"].values, dtype=float) if has_c else None
    top = float(np.nanmax(np.concatenate([share, c if c is not None else [], [1e-9]])))
    if c is not None:
        ax.plot(
            s,
            c,
            color=_NET,
            linewidth=1.4,
            marker="D",
            markersize=4,
            label="Share of $M^C$ contributed",
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
                    _percent(v),
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
                f"chronic: ≥ {m:g} poor waves",
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
    _percent_axis(ax, "y", decimals=0)
    ax.set_ylim(0, top * 1.15)
    ax.set_xlabel("Number of waves in poverty")
    ax.set_ylabel("Share of the population" + (" / of $M^C$" if has_c else ""))
    ax.grid(axis="y", color="0.9", linewidth=0.8)
    handles, labels = ax.get_legend_handles_labels()
    order = sorted(range(len(labels)), key=lambda i: "M^C" in labels[i])
    ax.legend(
        [handles[i] for i in order],
        [labels[i] for i in order],
        frameon=False,
        fontsize="small",
        loc="upper right",
        bbox_to_anchor=(1.0, 0.9) if binary else None,
    )
    ax.set_title(
        title if title is not None else "Population by number of waves in poverty", loc="left"
    )
    _apply_all_fonts(ax, extra)
    return ax


# -- decomposition of the change ---------------------------------------------------------------
_DECOMP_TERMS = {
    "M0": ("entry", "reentry", "first_entry", "exit", "stayers", "delta_M0"),
    "H": ("H_entry", "H_reentry", "H_first_entry", "H_exit", None, "delta_H"),
}


def _decomp_parts(ds: xr.Dataset, measure: str, split: bool) -> list[tuple[str, str, Any]]:
    """(label, colour, signed values) of the terms, entry first, net last excluded."""
    entry, reentry, first, exit_, stayers, _ = _DECOMP_TERMS[measure]
    parts: list[tuple[str, str, Any]] = []
    has_split = (
        split
        and reentry in ds
        and first in ds
        and np.isfinite(np.asarray(ds[reentry].values, dtype=float)).any()
    )
    if has_split:
        parts.append(("Re-entry", _REENTRY, ds[reentry].values))
        parts.append(("First entry", _ENTRY, ds[first].values))
    else:
        parts.append(("Entry", _ENTRY, ds[entry].values))
    parts.append(("Exit (−)", _EXIT, -np.asarray(ds[exit_].values, dtype=float)))
    if stayers is not None:
        parts.append(("Stayers", _STAYERS, ds[stayers].values))
    return [(lab, col, np.asarray(v, dtype=float)) for lab, col, v in parts]


def decomposition(
    result: DecompositionResult,
    *,
    measure: str = "M0",
    time: Any = None,
    split_entry: bool = True,
    annotate: bool = True,
    ax: Axes | None = None,
    figsize: tuple[float, float] | None = None,
    title: str | None = None,
) -> Axes:
    """The change in M0 (or H) split into entries, exits and stayers.

    Two waves: a waterfall ``entry (re-entry + first entry) − exit + stayers`` ending in
    the net change, which is drawn from zero. Chained results: one stacked bar per wave
    pair (positive terms up, negative terms down) with the net change marked.

    Parameters
    ----------
    result
        A :class:`~mpi.DecompositionResult` (``mpi.decompose_change(...)``); with groups
        its :attr:`~mpi.DecompositionResult.overall` decomposition is drawn.
    measure
        ``"M0"``: ``ΔM0 = entry − exit + stayers``; ``"H"``: ``ΔH = H_entry − H_exit``.
    time
        For a chained result: the later wave of one pair to draw as a waterfall.
    split_entry
        Split the entry term into re-entry and first entry when the result has them.
    annotate
        Write the value of each term on the waterfall.
    ax
        Axes to draw on; a new figure is created when omitted.
    figsize
        Size of the new figure (default ``(6.5, 4.0)``, wider for long chains).
    title
        Chart title.

    Returns
    -------
    matplotlib.axes.Axes
        Waterfall: ``ax.containers[0]`` holds one bar per term then the net change (the bar
        heights are the signed terms, exit negative). Chained: one bar container per
        term (labelled as in the legend) and ``ax.lines[0]`` the net change per pair.

    Raises
    ------
    ValidationError
        For a result that is not a ``DecompositionResult``, an unknown ``measure`` or a
        ``time`` that is not the later wave of a chained pair.
    """
    ds = _check_result(result, "decompose", "decomposition")
    if measure not in _DECOMP_TERMS:
        raise ValidationError(f"measure must be 'M0' or 'H'; got {measure!r}")
    net_name = _DECOMP_TERMS[measure][-1]
    chained = "time" in ds[net_name].dims
    if time is not None:
        if not chained:
            raise ValidationError(
                "time= selects a pair of a chained result (decompose_change(..., "
                "chained=True)); this result has one pair"
            )
        years = np.asarray(ds["time"].values, dtype=float)
        hit = np.flatnonzero(np.isclose(years, float(time)))
        if not hit.size:
            raise ValidationError(
                f"time={time!r} is not the later wave of a pair; pairs end in {_years_text(years)}"
            )
        ds = ds.isel(time=int(hit[0]))
        chained = False
    delta = "ΔM0" if measure == "M0" else "ΔH"
    parts = _decomp_parts(ds, measure, split_entry)
    net = np.asarray(ds[net_name].values, dtype=float)
    if figsize is None:
        width = 6.5 if not chained else max(7.5, 3.0 + 0.75 * net.size)
        figsize = (width, 4.0)
    ax = _new_ax(ax, figsize)
    _style(ax)
    extra = []
    if not chained:
        vals = np.array([float(v) for _, _, v in parts])
        cum = np.concatenate([[0.0], np.cumsum(vals)])
        heights = np.concatenate([vals, [float(net)]])
        bottoms = np.concatenate([cum[:-1], [0.0]])
        colors = [c for _, c, _ in parts] + [_NET]
        names = [lab for lab, _, _ in parts] + [f"Net {delta}"]
        x = np.arange(len(heights))
        bars = ax.bar(x, heights, bottom=bottoms, color=colors, width=0.62)
        for patch in bars:
            patch.sticky_edges.y.clear()
        for i in range(len(vals)):
            ax.plot(
                [x[i] + 0.31, x[i + 1] - 0.31],
                [cum[i + 1]] * 2,
                color="0.55",
                linewidth=0.8,
                linestyle=(0, (2, 2)),
            )
        ax.axhline(0, color="0.3", linewidth=0.8)
        if annotate:
            span = float(np.nanmax(np.abs(np.concatenate([cum, heights])))) or 1.0
            for xi, b, h in zip(x, bottoms, heights, strict=True):
                top = b + h if h >= 0 else b
                bot = b if h >= 0 else b + h
                up = h >= 0
                extra.append(
                    ax.annotate(
                        f"{h:+.4f}".replace("-", "−"),
                        (xi, top if up else bot),
                        xytext=(0, 3 if up else -3),
                        textcoords="offset points",
                        ha="center",
                        va="bottom" if up else "top",
                        fontsize="small",
                        color="0.2",
                    )
                )
            ax.set_ylim(
                min(0.0, float(np.nanmin(cum)), float(net)) - 0.12 * span,
                max(0.0, float(np.nanmax(cum)), float(net)) + 0.12 * span,
            )
        ax.set_xticks(x, names)
        ax.set_xlim(-0.6, len(x) - 0.4)
        start = ds["start"].item() if "start" in ds.coords else ds.attrs.get("start")
        end = (
            ds["time"].item()
            if "time" in ds.coords and ds["time"].ndim == 0
            else ds["end"].item()
            if "end" in ds.coords
            else ds.attrs.get("end")
        )
        span_txt = f", {float(start):g}–{float(end):g}" if start is not None else ""
        terms = "entries, exits and stayers" if measure == "M0" else "entries and exits"
        default = f"Change in {measure}{span_txt}: {terms}"
        lvl = ("M0_1", "M0_2") if measure == "M0" else ("H1", "H2")
        if lvl[0] in ds and lvl[1] in ds and start is not None:
            ax.set_xlabel(
                f"{measure} {float(start):g}: {float(ds[lvl[0]]):.4f}  →  "
                f"{float(end):g}: {float(ds[lvl[1]]):.4f}",
                fontsize="small",
                color="0.3",
            )
    else:
        years = np.asarray(ds["time"].values, dtype=float)
        step = float(np.min(np.diff(years))) if years.size > 1 else 1.0
        pos = np.zeros(years.size)
        neg = np.zeros(years.size)
        for lab, col, v in parts:
            v = np.nan_to_num(v)
            bottom = np.where(v >= 0, pos, neg)
            bars = ax.bar(years, v, bottom=bottom, width=0.62 * step, color=col, label=lab)
            for patch in bars:
                patch.sticky_edges.y.clear()
            pos += np.where(v >= 0, v, 0.0)
            neg += np.where(v < 0, v, 0.0)
        ax.plot(
            years,
            net,
            color=_NET,
            linewidth=1.2,
            marker="D",
            markersize=5,
            markerfacecolor="white",
            markeredgewidth=1.4,
            label=f"Net {delta}",
            zorder=3,
        )
        ax.axhline(0, color="0.3", linewidth=0.8)
        start = ds["start"].values if "start" in ds.coords else None
        if start is not None:
            gaps = np.diff(years)
            one_line = years.size <= 8 and (gaps.size == 0 or np.allclose(gaps, gaps[0]))
            sep = "–" if one_line else "–\n"  # two lines where uneven pairs crowd the axis
            ticks = [
                f"{float(a):g}{sep}{float(b):g}"
                for a, b in zip(np.asarray(start).ravel(), years, strict=True)
            ]
        else:
            ticks = _years_text(years)
        ax.set_xticks(years, ticks, fontsize="small" if years.size > 6 else None)
        ax.set_xlabel("Wave pair")
        handles, labels = ax.get_legend_handles_labels()
        order = sorted(range(len(labels)), key=lambda i: labels[i].startswith("Net "))
        ax.legend(
            [handles[i] for i in order],
            [labels[i] for i in order],
            frameon=False,
            fontsize="small",
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
        )
        ax.margins(y=0.08)
        terms = "entries, exits and stayers" if measure == "M0" else "entries and exits"
        default = f"Change in {measure} per wave pair: {terms}"
    ax.set_ylabel(f"Contribution to {delta}")
    ax.grid(axis="y", color="0.9", linewidth=0.8)
    ax.set_title(title if title is not None else default, loc="left")
    _apply_all_fonts(ax, extra)
    return ax


# -- relapse after exit ----------------------------------------------------------------------
def relapse(
    result: Any,
    *,
    by_band: bool = False,
    years: bool = False,
    level: float = 0.95,
    ax: Axes | None = None,
    figsize: tuple[float, float] = (6.5, 4.0),
    title: str | None = None,
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

    Returns
    -------
    matplotlib.axes.Axes
    """
    ds = _check_result(result, "relapse", "relapse")
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
    from statistics import NormalDist

    z = NormalDist().inv_cdf(0.5 + level / 2.0)
    ax = _new_ax(ax, figsize)
    _style(ax)
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
            label=label.capitalize() if label else "Cumulative relapse",
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
    ax.set_xlabel("Years since exit" if years else "Waves since exit")
    ax.set_ylabel("Share relapsed (1 − survival)")
    _percent_axis(ax)
    ax.set_ylim(bottom=0)
    ax.set_xlim(left=0)
    ax.grid(axis="y", color="0.9", linewidth=0.8)
    band = (
        f"{level:.0%} band ({'bootstrap' if se_name and se_name.endswith('bse') else 'linearised'})"
    )
    ax.legend(frameon=False, fontsize="small", title=band if se_name else None, loc="upper left")
    ax.set_title(title if title is not None else "Relapse into poverty after an exit", loc="left")
    _apply_fonts(ax)
    return ax
