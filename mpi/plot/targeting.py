"""Charts of identification and targeting: the distribution of deprivation scores with the
poverty cutoffs (:class:`~mpi.IdentificationResult`) and the inclusion and exclusion errors
of a list by group (:class:`~mpi.TargetingResult`).

Same conventions as :mod:`mpi.plot`: ``ax=None`` makes a new figure, the Axes is returned,
``plt.show()`` is never called, CJK labels get a CJK font found on the system, and
``lang="en"`` or ``"zh"`` chooses the language of the chart's words (from the label
catalogue, :mod:`mpi._common.labels`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from mpi._common.exact import fraction_text, to_fraction
from mpi._common.labels import check_lang, text
from mpi.errors import ValidationError
from mpi.identification.curves_result import TargetingCurveResult
from mpi.identification.evaluate_result import TargetingResult
from mpi.identification.identify_result import IdentificationResult
from mpi.plot._style import (
    ENTRY,
    EXIT,
    apply_fonts,
    check_result,
    grid,
    new_ax,
    percent_axis,
    rows_height,
    style_axes,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["targeting", "scores", "roc"]

#: The two errors drawn, with their colours (an error of inclusion spends on the non-poor,
#: one of exclusion misses the poor).
ERRORS = (("inclusion_error", EXIT), ("exclusion_error", ENTRY))


def targeting(
    result: TargetingResult,
    *,
    by: str | None = None,
    level: float = 0.95,
    lang: str = "en",
    ax: Axes | None = None,
    figsize: tuple[float, float] | None = None,
    title: str | None = None,
) -> Axes:
    """Inclusion and exclusion errors of a list, overall or per group, with confidence
    intervals when the result has a design.

    Parameters
    ----------
    result
        A result of :func:`mpi.targeting`.
    by
        The grouping variable to draw, one pair of bars per group (default: the result's only
        one; a result without groups draws one pair).
    level
        Confidence level of the intervals (used only with a design).
    lang
        Language of the chart's words, ``"en"`` or ``"zh"``.
    ax
        Axes to draw on; a new figure is created when omitted.
    figsize
        Size of the new figure (default: 7 inches wide, taller with more groups).
    title
        Chart title (default names what is drawn, in ``lang``).

    Returns
    -------
    matplotlib.axes.Axes
        Its two bar containers (``matplotlib.container.BarContainer`` in ``ax.containers``)
        hold the inclusion errors, then the exclusion errors, one bar per group in the order of
        the result; each ``BarContainer.errorbar`` holds the intervals with a design.
    """
    check_result(result, TargetingResult, "targeting", "mpi.targeting")
    check_lang(lang)
    ds = result.to_dataset()
    dims = [d for d in ds["inclusion_error"].dims]
    if by is None and len(dims) == 1:
        by = dims[0]
    if by is not None and by not in dims:
        raise ValidationError(f"by={by!r} is not a grouping variable of the result ({dims})")
    if len(dims) > 1 and by is not None:
        raise ValidationError(
            f"targeting() draws one grouping variable; the result has {dims}: evaluate the "
            f"list by {by!r} alone"
        )
    labels = [str(v) for v in ds[by].values] if by is not None else [text("common.overall", lang)]
    n = len(labels)
    ax = new_ax(ax, figsize or (7.0, rows_height(n, lo=2.6)))
    style_axes(ax)
    y = np.arange(n)
    height = 0.38
    ci = result.ci(level) if result.has_inference else None
    for j, (name, color) in enumerate(ERRORS):
        values = np.atleast_1d(ds[name].values).astype(float)
        err = None
        if ci is not None:
            lo = np.atleast_1d(ci[name].sel(bound="lower").values)
            hi = np.atleast_1d(ci[name].sel(bound="upper").values)
            err = [values - lo, hi - values]
        ax.barh(y + (j - 0.5) * height, values, height=height, color=color, xerr=err,
                error_kw={"ecolor": "0.3", "elinewidth": 1, "capsize": 2},
                label=text(f"targeting.var.{name}", lang))  # fmt: skip
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    percent_axis(ax, "x")
    grid(ax, "x")
    ax.set_xlabel(text("plot.targeting.axis", lang))
    ax.legend(frameon=False, loc="lower right")
    ax.set_title(
        title if title is not None else text("plot.targeting.title", lang), loc="left"
    )
    apply_fonts(ax)
    return ax


def scores(
    result: IdentificationResult,
    *,
    lang: str = "en",
    ax: Axes | None = None,
    figsize: tuple[float, float] = (7.0, 4.0),
    title: str | None = None,
) -> Axes:
    """The weighted distribution of the units' deprivation scores, with the poverty cutoffs.

    One bar per score value that occurs (scores are exact fractions of the spec's common
    denominator, so they take few values), its height the weighted share of the units (of the
    unit-waves for a panel) with that score; units dropped for missing values are left out.
    A dashed line marks each poverty cutoff k: bars at or right of it are poor.

    Parameters
    ----------
    result
        A result of :func:`mpi.identify`.
    lang
        Language of the chart's words, ``"en"`` or ``"zh"``.
    ax
        Axes to draw on; a new figure is created when omitted.
    figsize
        Size of the new figure.
    title
        Chart title (default names what is drawn, in ``lang``).

    Returns
    -------
    matplotlib.axes.Axes
        ``ax.containers[0]`` holds the bars (x: score values, height: weighted shares);
        ``ax.lines`` the cutoffs.
    """
    check_result(result, IdentificationResult, "scores", "mpi.identify")
    check_lang(lang)
    ds = result.to_dataset()
    score = np.asarray(ds["score"].values, dtype=float).ravel()
    weight = (
        np.asarray(ds["sampling_weight"].values, dtype=float)
        if "sampling_weight" in ds
        else np.ones(ds["score"].shape)
    )
    weight = np.broadcast_to(weight.T if weight.ndim == 1 else weight, ds["score"].shape).ravel()
    keep = np.isfinite(score) & np.isfinite(weight)
    if not keep.any():
        raise ValidationError("scores(): the result has no unit with a score (all dropped)")
    values, where = np.unique(score[keep], return_inverse=True)
    shares = np.bincount(where, weights=weight[keep]) / weight[keep].sum()
    ax = new_ax(ax, figsize)
    style_axes(ax)
    width = 0.8 * (np.min(np.diff(values)) if len(values) > 1 else 0.05)
    ax.bar(values, shares, width=width, color="0.55")
    cutoffs = [to_fraction(c, argument="k") for c in str(ds.attrs["k"]).split(", ")]
    for c in cutoffs:
        ax.axvline(float(c), color=ENTRY, linestyle="--", linewidth=1.2)
        ax.annotate(f"k = {fraction_text(c)}", (float(c), 1.0), xycoords=("data", "axes fraction"),
                    xytext=(3, -12), textcoords="offset points", color=ENTRY, fontsize="small")  # fmt: skip
    ax.set_xlim(-width, 1 + width)
    percent_axis(ax, "y")
    grid(ax, "y")
    ax.set_xlabel(text("plot.targeting.score_axis", lang))
    ax.set_ylabel(text("plot.targeting.share_axis", lang))
    ax.set_title(
        title if title is not None else text("plot.targeting.scores_title", lang), loc="left"
    )
    apply_fonts(ax)
    return ax


def roc(
    result: TargetingCurveResult,
    *,
    by: str | None = None,
    curve: str = "roc",
    lang: str = "en",
    ax: Axes | None = None,
    figsize: tuple[float, float] = (5.0, 4.6),
    title: str | None = None,
) -> Axes:
    """The ROC (or precision-recall) curve of a score, with the operating point of the budget;
    one curve per group when the result has groups.

    Parameters
    ----------
    result
        A result of :func:`mpi.targeting_curve`.
    by
        The grouping variable whose groups get one curve each (default: every group of the
        result, i.e. each combination of its ``by`` variables; a result without groups draws
        one curve). Naming a variable is allowed when it is the result's only one.
    curve
        ``"roc"``: coverage of the poor (true positive rate) against the share of the non-poor
        listed (false positive rate), with the diagonal of a random list; ``"pr"``: precision
        (share of the listed who are poor) against coverage of the poor.
    lang
        Language of the chart's words, ``"en"`` or ``"zh"``.
    ax
        Axes to draw on; a new figure is created when omitted.
    figsize
        Size of the new figure.
    title
        Chart title (default names the curve and its AUC, or the groups, in ``lang``).

    Returns
    -------
    matplotlib.axes.Axes
        Without groups ``ax.lines[0]`` is the curve; with a budget (``top=``/``share=``) the
        operating point is the last line. With groups ``ax.lines[i]`` is the curve of the
        ``i``-th group (row-major over the result's groups), labelled in the legend with the
        group and its AUC (AP for ``"pr"``); with a budget the last lines are the groups'
        operating points on the national list, in the same order and colours.
    """
    from typing import Any

    from mpi.plot._style import LINE_COLORS

    check_result(result, TargetingCurveResult, "roc", "mpi.targeting_curve")
    check_lang(lang)
    if curve not in ("roc", "pr"):
        raise ValidationError(f"curve must be 'roc' or 'pr'; got {curve!r}")
    groups = result.by
    if by is not None and by not in groups:
        raise ValidationError(
            f"by={by!r} is not a grouping variable of the result ({groups}); call "
            f"mpi.targeting_curve(..., by={by!r}) first"
        )
    if by is not None and len(groups) > 1:
        raise ValidationError(
            f"roc() draws the groups of the result together; the result has {groups}: leave "
            f"by=None (one curve per combination) or compute the curves by {by!r} alone"
        )
    ds = result.to_dataset()
    ax = new_ax(ax, figsize)
    style_axes(ax)
    if curve == "roc":
        ax.set_xlabel(text("plot.targeting.fpr", lang))
        ax.set_ylabel(text("plot.targeting.tpr", lang))
    else:
        ax.set_xlabel(text("plot.targeting.tpr", lang))
        ax.set_ylabel(text("plot.targeting.precision", lang))

    def xy(part: Any) -> tuple[np.ndarray, np.ndarray]:
        if curve == "roc":
            return part["fpr"].values, part["tpr"].values
        return part["tpr"].values, part["precision"].values

    def point(part: Any) -> tuple[float, float]:
        cover = 1.0 - float(part["exclusion_error"])
        listed_nonpoor = float(part["listed_nonpoor"])
        nonpoor = listed_nonpoor + float(part["unlisted_nonpoor"])
        if curve == "roc":
            return (listed_nonpoor / nonpoor if nonpoor else np.nan, cover)
        return (cover, 1.0 - float(part["inclusion_error"]))

    if not groups:
        x, y = xy(ds)
        ax.plot(x, y, color=EXIT, linewidth=1.8)
        if curve == "roc":
            ax.plot([0, 1], [0, 1], color="0.7", linestyle=":", linewidth=1)
            default = text("plot.targeting.roc_title", lang, auc=float(ds["auc"]))
        else:
            default = text("plot.targeting.pr_title", lang, ap=float(ds["average_precision"]))
        if result.has_budget:
            ax.plot(*point(ds), marker="o", color=ENTRY, markersize=7, linestyle="none",
                    label=text("plot.targeting.budget", lang, budget=str(ds.attrs["budget"])))  # fmt: skip
            ax.legend(frameon=False, loc="lower right")
    else:
        shape = tuple(ds.sizes[b] for b in groups)
        parts = []
        for i, idx in enumerate(np.ndindex(*shape)):
            part = ds.isel(dict(zip(groups, idx, strict=True)))
            name = ", ".join(str(part[b].item()) for b in groups)
            color = LINE_COLORS[i % len(LINE_COLORS)]
            style = ("-", "--", "-.", ":")[(i // len(LINE_COLORS)) % 4]
            label = (
                text("curves.plot.group_auc", lang, group=name, auc=float(part["auc"]))
                if curve == "roc"
                else text("curves.plot.group_ap", lang, group=name,
                          ap=float(part["average_precision"]))
            )  # fmt: skip
            ax.plot(*xy(part), color=color, linestyle=style, linewidth=1.6, label=label)
            parts.append((part, color))
        if curve == "roc":
            ax.plot([0, 1], [0, 1], color="0.7", linestyle=":", linewidth=1)
        if result.has_budget:
            marks = text("curves.plot.budget_groups", lang, budget=str(ds.attrs["budget"]))
            for j, (part, color) in enumerate(parts):
                ax.plot(*point(part), marker="o", color=color, markersize=7, linestyle="none",
                        markeredgecolor="white", label=marks if j == 0 else None)  # fmt: skip
        ax.legend(frameon=False, loc="lower right", fontsize="small")
        key = "curves.plot.roc_title_groups" if curve == "roc" else "curves.plot.pr_title_groups"
        default = text(key, lang, by=", ".join(groups))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    percent_axis(ax, "x")
    percent_axis(ax, "y")
    grid(ax)
    ax.set_title(title if title is not None else default, loc="left")
    apply_fonts(ax)
    return ax
