"""Charts of job matching: workers by matching outcome and the skills that would place the
unmatched (:class:`~mpi.jobs.result.MatchResult`), and poverty before and after the matches
by village (:class:`~mpi.jobs.whatif_result.JobsWhatIf`).

Same conventions as :mod:`mpi.plot`: ``ax=None`` makes a new figure, the Axes is returned,
``plt.show()`` is never called, CJK labels get a CJK font found on the system, and
``lang="en"`` or ``"zh"`` chooses the language of the chart's words (from the label
catalogue, :mod:`mpi._common.labels`: the statuses and the skills of the contract are
translated, other values are shown as given).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mpi._common.labels import check_lang, has_text, measure_label, text
from mpi.errors import ValidationError
from mpi.jobs.constraints import STATUSES
from mpi.jobs.result import MatchResult
from mpi.jobs.whatif_result import JobsWhatIf
from mpi.plot._style import (
    ENTRY,
    EXIT,
    MUTED,
    apply_fonts,
    check_result,
    grid,
    new_ax,
    percent_text,
    rows_height,
    style_axes,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["match_chart", "training_needs_chart", "whatif_chart", "status_counts", "whatif_rows"]

#: Colour of the matched workers' bar (the unmatched get :data:`~mpi.plot._style.ENTRY`).
MATCHED = EXIT


def _check_top(top: Any) -> None:
    if top is not None and (
        isinstance(top, bool) or not isinstance(top, int | np.integer) or top < 1
    ):
        raise ValidationError(
            f"top={top!r} must be a positive whole number of rows (e.g. top=10) or None for all"
        )


def _status_label(status: str, lang: str) -> str:
    key = f"plot.jobs.status.{status}"
    return text(key, lang) if has_text(key) else status


def _skill_label(skill: str, lang: str) -> str:
    key = f"plot.jobs.skill.{skill}"
    return text(key, lang) if has_text(key) else skill


def _count_text(n: float, share: float) -> str:
    return f"{int(n):,} ({percent_text(share)})"


def _bar_labels(ax: Axes, ypos: np.ndarray, values: np.ndarray, words: list[str]) -> None:
    for y, v, word in zip(ypos, values, words, strict=True):
        ax.annotate(word, (v, y), xytext=(3, 0), textcoords="offset points", ha="left",
                    va="center", fontsize="x-small", color="0.3")  # fmt: skip


def _count_axis(ax: Axes, top_value: float) -> None:
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    ax.set_xlim(0, top_value * 1.3 if top_value > 0 else 1.0)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{int(round(x)):,}"))


def status_counts(result: MatchResult) -> pd.DataFrame:
    """The numbers :func:`match_chart` draws: workers by status, matched first.

    Parameters
    ----------
    result
        The result of :func:`mpi.jobs.match`.

    Returns
    -------
    pandas.DataFrame
        Index ``status``: ``"matched"``, then the binding constraints in the order of
        :data:`mpi.jobs.constraints.STATUSES` (every one, zeros included), then any other
        status found, most frequent first; columns ``workers`` and ``share`` (of all
        workers; NaN without workers).
    """
    check_result(result, MatchResult, "match_chart", "mpi.jobs.match")
    counts = pd.Series(result.to_frame()["status"].astype(str)).value_counts()
    extra = sorted((s for s in counts.index if s not in STATUSES),
                   key=lambda s: (-int(counts[s]), s))  # fmt: skip
    order = [*STATUSES, *extra]
    workers = np.array([int(counts.get(s, 0)) for s in order], dtype=np.int64)
    total = int(workers.sum())
    share = workers / total if total else np.full(len(order), np.nan)
    return pd.DataFrame({"workers": workers, "share": share},
                        index=pd.Index(order, name="status"))  # fmt: skip


def match_chart(
    result: MatchResult,
    ax: Axes | None = None,
    *,
    lang: str = "en",
    figsize: tuple[float, float] | None = None,
    title: str | None = None,
) -> Axes:
    """Workers by matching outcome: matched, then each binding constraint of the unmatched,
    as horizontal bars labelled with the count and the share of all workers.

    Parameters
    ----------
    result
        A :class:`~mpi.jobs.result.MatchResult` (``mpi.jobs.match(...)``).
    ax
        Axes to draw on; a new figure is created when omitted.
    lang
        Language of the chart's words, ``"en"`` or ``"zh"``.
    figsize
        Size of the new figure (default: 7 inches wide, 0.42 inch per bar).
    title
        Chart title (default: "Workers by matching outcome", in ``lang``).

    Returns
    -------
    matplotlib.axes.Axes
        One bar container (``ax.containers[0]``), one bar per status of
        :func:`status_counts` from the top down (matched first, in blue; the unmatched in
        red); each bar's end reads ``"1,234 (16.1%)"``.

    Raises
    ------
    ValidationError
        For a result that is not a ``MatchResult`` or a bad ``lang``.

    Examples
    --------
    >>> import mpi, mpi.jobs
    >>> data = mpi.datasets.generate("labour_market", n=300, seed=1)
    >>> ax = mpi.plot.match_chart(mpi.jobs.match(data["workers"], data["posts"]))
    >>> widths = [int(p.get_width()) for p in ax.containers[0]]  # matched, then the reasons
    >>> len(widths), sum(widths)  # seven outcomes, every worker once
    (7, 300)
    """
    table = status_counts(result)
    check_lang(lang)
    ax = new_ax(ax, figsize if figsize is not None else (7.0, rows_height(len(table))))
    style_axes(ax)
    ax.set_title(title if title is not None else text("plot.jobs.match.title", lang), loc="left")
    ax.set_xlabel(text("plot.jobs.match.axis", lang))
    values = table["workers"].to_numpy(dtype=float)
    ypos = np.arange(len(table))[::-1]
    colors = [MATCHED if s == "matched" else ENTRY for s in table.index]
    ax.barh(ypos, values, height=0.7, color=colors)
    ax.set_yticks(ypos, [_status_label(str(s), lang) for s in table.index])
    words = [_count_text(n, s) for n, s in zip(values, table["share"], strict=True)]
    _bar_labels(ax, ypos, values, words)
    ax.set_ylim(-0.6, len(table) - 0.4)
    _count_axis(ax, float(values.max(initial=0.0)))
    grid(ax, "x")
    apply_fonts(ax)
    return ax


def training_needs_chart(
    result: MatchResult,
    ax: Axes | None = None,
    top: int | None = 10,
    *,
    lang: str = "en",
    figsize: tuple[float, float] | None = None,
    title: str | None = None,
) -> Axes:
    """The skills that would place the most unmatched workers, as horizontal bars, the most
    useful at the top.

    A skill's bar is the number of unmatched workers who would have at least one feasible
    post with an opening left after the matching if they had that skill
    (:meth:`MatchResult.training_needs <mpi.jobs.result.MatchResult.training_needs>`),
    labelled with that number and its share of the unmatched workers.

    Parameters
    ----------
    result
        A :class:`~mpi.jobs.result.MatchResult` (``mpi.jobs.match(...)``).
    ax
        Axes to draw on; a new figure is created when omitted.
    top
        Draw the ``top`` skills that place the most workers (ties by skill name; the title
        says how many there are); None: all.
    lang
        Language of the chart's words, ``"en"`` or ``"zh"`` (the contract's skills are
        translated).
    figsize
        Size of the new figure (default: 7 inches wide, 0.42 inch per bar).
    title
        Chart title (default: what is drawn, in ``lang``).

    Returns
    -------
    matplotlib.axes.Axes
        One bar container (``ax.containers[0]``), one bar per skill from the top down;
        each bar's end reads ``"123 (4.5%)"``. Without skills to draw, a note in the middle
        of the Axes.

    Raises
    ------
    ValidationError
        For a result that is not a ``MatchResult``, or a bad ``top`` or ``lang``.

    Examples
    --------
    >>> import mpi, mpi.jobs
    >>> data = mpi.datasets.generate("labour_market", n=300, seed=1)
    >>> res = mpi.jobs.match(data["workers"], data["posts"])
    >>> ax = mpi.plot.training_needs_chart(res, top=5, lang="zh")
    >>> len(ax.containers[0])
    5
    """
    check_result(result, MatchResult, "training_needs_chart", "mpi.jobs.match")
    check_lang(lang)
    _check_top(top)
    needs = result.training_needs()
    needs = needs.assign(skill=needs["skill"].astype(str)).sort_values(
        ["workers_placeable", "skill"], ascending=[False, True], kind="stable"
    )
    n_all = len(needs)
    shown = needs.iloc[:top] if top is not None else needs
    ax = new_ax(ax, figsize if figsize is not None else (7.0, rows_height(max(len(shown), 1))))
    style_axes(ax)
    if title is None:
        title = text("plot.jobs.training.title", lang)
        if len(shown) < n_all:
            title = text("plot.jobs.top", lang, title=title, n=len(shown), total=n_all)
    ax.set_title(title, loc="left")
    ax.set_xlabel(text("plot.jobs.training.axis", lang))
    if not len(shown):
        ax.text(0.5, 0.5, text("plot.jobs.training.empty", lang), transform=ax.transAxes,
                ha="center", va="center", color="0.4")  # fmt: skip
        ax.set_yticks([])
        apply_fonts(ax)
        return ax
    values = shown["workers_placeable"].to_numpy(dtype=float)
    ypos = np.arange(len(shown))[::-1]
    ax.barh(ypos, values, height=0.7, color=MATCHED)
    ax.set_yticks(ypos, [_skill_label(s, lang) for s in shown["skill"]])
    shares = shown["share_of_unmatched"].to_numpy(dtype=float)
    _bar_labels(ax, ypos, values, [_count_text(n, s) for n, s in zip(values, shares, strict=True)])
    ax.set_ylim(-0.6, len(shown) - 0.4)
    _count_axis(ax, float(values.max(initial=0.0)))
    grid(ax, "x")
    apply_fonts(ax)
    return ax


def whatif_rows(result: JobsWhatIf, lang: str = "en") -> pd.DataFrame:
    """The rows :func:`whatif_chart` draws: M0 before and after per group, the largest
    fall first.

    Parameters
    ----------
    result
        The result of :func:`mpi.jobs.what_if`.
    lang
        Language of the label of the one row of a result without groups.

    Returns
    -------
    pandas.DataFrame
        Columns ``group`` (the group's value as text), ``M0_before``, ``M0_after`` and
        ``M0_change``, sorted by ``M0_change`` (most negative first, ties by group order);
        groups whose M0 is NaN (no household measured) are left out. Without groups: one
        row, the overall values.
    """
    check_result(result, JobsWhatIf, "whatif_chart", "mpi.jobs.what_if")
    names = ["M0_before", "M0_after", "M0_change"]
    if result.by is None:
        o = result.overall
        return pd.DataFrame({"group": [text("common.overall", lang)],
                             **{n: [float(o[n])] for n in names}})  # fmt: skip
    ds = result.by_group()
    frame = ds[names].to_dataframe()[names].reset_index()
    frame = frame.rename(columns={result.by: "group"})
    frame["group"] = frame["group"].astype(str)
    frame = frame[np.isfinite(frame[names].to_numpy(dtype=float)).all(axis=1)]
    return frame.sort_values("M0_change", kind="stable").reset_index(drop=True)


def whatif_chart(
    result: JobsWhatIf,
    ax: Axes | None = None,
    top: int | None = None,
    *,
    lang: str = "en",
    figsize: tuple[float, float] | None = None,
    title: str | None = None,
) -> Axes:
    """M0 before and after the job matches by group (village), as a dumbbell chart sorted
    by the change: the largest fall at the top.

    Each row joins the group's M0 before (red dot) and after (blue dot) the matches are
    taken up (:func:`mpi.jobs.what_if`); the legend gives the overall values.

    Parameters
    ----------
    result
        A :class:`~mpi.jobs.whatif_result.JobsWhatIf` (``mpi.jobs.what_if(...)``).
    ax
        Axes to draw on; a new figure is created when omitted.
    top
        Draw the ``top`` groups with the largest fall only (the title says how many there
        are); None: all.
    lang
        Language of the chart's words, ``"en"`` or ``"zh"``.
    figsize
        Size of the new figure (default: 7 inches wide, 0.42 inch per row).
    title
        Chart title (default: what is drawn, in ``lang``).

    Returns
    -------
    matplotlib.axes.Axes
        ``ax.collections``: the line segments (one per row), then the "before" dots, then
        the "after" dots (one per row each), rows from the top down in the order of
        :func:`whatif_rows`. Groups without a measured household are not drawn; a note
        under the chart counts them.

    Raises
    ------
    ValidationError
        For a result that is not a ``JobsWhatIf``, or a bad ``top`` or ``lang``.

    Examples
    --------
    >>> import pandas as pd, mpi, mpi.jobs
    >>> ds = mpi.datasets.load("registry_panel", format="xarray")
    >>> hh = ds.sel(time=2022).to_dataframe().reset_index()
    >>> spec = mpi.presets.china_2b3g(income_line=float(ds["poverty_line"].sel(time=2022)))
    >>> hh = hh.dropna(subset=spec.variables)
    >>> workers = pd.DataFrame({"household_id": [5], "matched": [True], "wage": [2500.0]})
    >>> ax = mpi.plot.whatif_chart(mpi.jobs.what_if(workers, hh, spec), top=10)
    >>> ax.get_title(loc="left")
    'M0 before and after the job matches, by village (top 10 of 63)'
    """
    check_lang(lang)
    _check_top(top)
    rows = whatif_rows(result, lang)
    n_all = len(rows)
    shown = rows.iloc[:top] if top is not None else rows
    ax = new_ax(ax, figsize if figsize is not None else (7.0, rows_height(max(len(shown), 1))))
    style_axes(ax)
    by = result.by
    if title is None:
        if by is None:
            title = measure_label("M0", lang)
        else:
            key = f"jobs.whatif.group.{by}"
            name = text(key, lang) if has_text(key) else by
            title = text("plot.jobs.whatif.title", lang, by=name)
        if len(shown) < n_all:
            title = text("plot.jobs.top", lang, title=title, n=len(shown), total=n_all)
    ax.set_title(title, loc="left")
    ax.set_xlabel(measure_label("M0", lang))
    o = result.overall
    ypos = np.arange(len(shown))[::-1].astype(float)
    before = shown["M0_before"].to_numpy(dtype=float)
    after = shown["M0_after"].to_numpy(dtype=float)
    ax.hlines(ypos, before, after, color=MUTED, linewidth=2.5, zorder=1)
    ax.scatter(
        before,
        ypos,
        s=28,
        color=ENTRY,
        zorder=2,
        label=text("plot.jobs.whatif.before", lang, value=f"{float(o['M0_before']):.4f}"),
    )
    ax.scatter(
        after,
        ypos,
        s=28,
        color=EXIT,
        zorder=3,
        label=text("plot.jobs.whatif.after", lang, value=f"{float(o['M0_after']):.4f}"),
    )
    ax.set_yticks(ypos, list(shown["group"]))
    ax.set_ylim(-0.6, max(len(shown), 1) - 0.4)
    hi = float(np.nanmax(before, initial=0.0))
    ax.set_xlim(0, hi * 1.08 if hi > 0 else 1.0)
    dropped = 0 if by is None else int(result.to_dataset().sizes[by]) - n_all
    if dropped:
        ax.annotate(text("plot.jobs.whatif.unmeasured", lang, n=dropped), (0, 0),
                    xycoords="axes fraction", xytext=(0, -32), textcoords="offset points",
                    fontsize="x-small", color="0.4", va="top")  # fmt: skip
    ax.legend(loc="best", fontsize="small", frameon=False)
    grid(ax, "x")
    apply_fonts(ax)
    return ax
