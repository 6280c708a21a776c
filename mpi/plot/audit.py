"""Chart of :class:`~mpi.AuditResult`: the leads of a benefit-list audit by rule, programme or
village, as ranked horizontal bars.

Same conventions as :mod:`mpi.plot`: ``ax=None`` makes a new figure, the Axes is returned,
``plt.show()`` is never called, CJK labels get a CJK font found on the system, and
``lang="en"`` or ``"zh"`` chooses the language of the chart's words (from the label
catalogue, :mod:`mpi._common.labels`: the default rules' and the bundled programmes' names
are translated, other names are shown as given).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mpi._common.labels import check_lang, has_text, text
from mpi.auditing.result import AuditResult
from mpi.errors import ValidationError
from mpi.plot._style import apply_fonts, check_result, grid, new_ax, rows_height, style_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["audit", "audit_totals", "yuan_text", "BY", "VALUES"]

#: What the bars can group the leads by.
BY = ("rule", "programme", "village")
#: What the bars can measure: the amount at risk (yuan) or the number of leads.
VALUES = ("amount_at_risk", "leads")
_COLOR = "#b2182b"


def yuan_text(value: float) -> str:
    """An amount in yuan as text: ``12345.6`` -> ``"¥12,346"`` (whole yuan from ¥100 on and
    for whole amounts; two decimals otherwise).

    Parameters
    ----------
    value
        An amount.

    Returns
    -------
    str

    Examples
    --------
    >>> yuan_text(12345.6), yuan_text(37.5), yuan_text(0.0)
    ('¥12,346', '¥37.50', '¥0')
    """
    if not np.isfinite(value):
        return "–"
    if abs(value) < 100 and value != round(value):
        return f"¥{value:,.2f}"
    return f"¥{value:,.0f}"


def audit_totals(result: AuditResult, by: str = "rule", value: str = "amount_at_risk") -> pd.Series:
    """The numbers the chart draws: the amount at risk or the number of leads per rule,
    programme or village, largest first.

    Rules run and programmes paid with no lead are included with 0 (a rule that ran and
    found nothing is a result); villages are those of the leads (leads without a village
    under ``""``).

    Parameters
    ----------
    result
        The result of :func:`mpi.audit`.
    by
        ``"rule"``, ``"programme"`` or ``"village"``.
    value
        ``"amount_at_risk"`` (yuan) or ``"leads"`` (count).

    Returns
    -------
    pandas.Series
        Indexed by the names (as in the data, not translated), sorted descending (ties in
        name order).
    """
    check_result(result, AuditResult, "audit", "mpi.audit")
    _check_choice(by, "by", BY)
    _check_choice(value, "value", VALUES)
    leads = result.leads
    column = "amount_at_risk" if value == "amount_at_risk" else "rule"
    if by == "village":
        keys = leads["village"].astype(object).where(leads["village"].notna(), "").astype(str)
        names: list[str] = sorted(set(keys))
    else:
        keys = leads[by].astype(str)
        names = [str(v) for v in result.to_dataset()[by].values]
    grouped = leads.groupby(keys)[column]
    totals = grouped.sum() if value == "amount_at_risk" else grouped.size()
    out = totals.reindex(sorted(set(names) | set(totals.index)), fill_value=0)
    out = out.astype(float if value == "amount_at_risk" else np.int64)
    order = sorted(out.index, key=lambda n: (-float(out[n]), n))
    out = out.reindex(order)
    out.index.name = by
    out.name = value
    return out


def _check_choice(got: Any, name: str, choices: tuple[str, ...]) -> None:
    if got not in choices:
        raise ValidationError(f"{name}={got!r} is not one of {choices}; choose one of them")


def _label(by: str, name: str, lang: str) -> str:
    if by in ("rule", "programme") and has_text(f"plot.audit.{by}.{name}"):
        return text(f"plot.audit.{by}.{name}", lang)
    return name if name else text("plot.audit.missing", lang)


def audit(
    result: AuditResult,
    *,
    by: str = "rule",
    value: str = "amount_at_risk",
    top: int | None = None,
    lang: str = "en",
    ax: Axes | None = None,
    figsize: tuple[float, float] | None = None,
    title: str | None = None,
) -> Axes:
    """Horizontal bars of a benefit-list audit's leads by rule, programme or village, the
    largest at the top.

    Parameters
    ----------
    result
        An :class:`~mpi.AuditResult` (``mpi.audit(...)``).
    by
        ``"rule"`` (default), ``"programme"`` or ``"village"``. Rules run and programmes
        paid without a lead are drawn with 0.
    value
        ``"amount_at_risk"`` (default: the sum of the leads' amounts at risk, in yuan) or
        ``"leads"`` (the number of leads, one per person x programme x rule).
    top
        Draw the ``top`` largest bars only (the title says how many there are); None: all.
    lang
        Language of the chart's words, ``"en"`` or ``"zh"``; the default rules and the
        bundled data's programmes are named in it, other names are shown as given.
    ax
        Axes to draw on; a new figure is created when omitted.
    figsize
        Size of the new figure (default: 7 inches wide, 0.42 inch per bar).
    title
        Chart title (default: what is drawn by what, from the label catalogue).

    Returns
    -------
    matplotlib.axes.Axes
        One bar container (``ax.containers[0]``), one bar per name from the top down; bar
        widths are the values of :func:`audit_totals`, each written at its bar's end
        (``¥12,346`` or a count).

    Raises
    ------
    ValidationError
        For a result that is not an ``AuditResult``, or a bad ``by``, ``value``, ``top`` or
        ``lang``.

    Examples
    --------
    >>> import pandas as pd, mpi
    >>> ids = [f + mpi.auditing.check_character(f) for f in ("42010219500101123", "42010219620505234")]
    >>> pay = pd.DataFrame({"id_number": ids * 2, "name": ["张三", "李四"] * 2, "programme": "dibao",
    ...                     "amount": 300.0, "paid_on": ["2021-01-15"] * 2 + ["2021-04-15"] * 2})
    >>> death = pd.DataFrame({"id_number": [ids[0]], "name": ["张三"], "died_on": ["2021-03-02"]})
    >>> result = mpi.audit(pay, {"death": death}, ["paid_after_death"])
    >>> ax = mpi.plot.audit(result, by="programme", value="leads", lang="zh")
    >>> [float(p.get_width()) for p in ax.patches]
    [1.0]
    """
    totals = audit_totals(result, by, value)
    check_lang(lang)
    if top is not None and (
        isinstance(top, bool) or not isinstance(top, int | np.integer) or top < 1
    ):
        raise ValidationError(
            f"top={top!r} must be a positive whole number of bars (e.g. top=10) or None for all"
        )
    n_all = len(totals)
    shown = totals.iloc[:top] if top is not None else totals
    ax = new_ax(ax, figsize if figsize is not None else (7.0, rows_height(max(len(shown), 1))))
    style_axes(ax)
    if title is None:
        title = text(f"plot.audit.title.{value}.{by}", lang)
        if len(shown) < n_all:
            title = text("plot.audit.top", lang, title=title, n=len(shown), total=n_all)
    ax.set_title(title, loc="left")
    ax.set_xlabel(text(f"plot.audit.axis.{value}", lang))
    if not len(shown):
        ax.text(0.5, 0.5, text("plot.audit.empty", lang), transform=ax.transAxes,
                ha="center", va="center", color="0.4")  # fmt: skip
        ax.set_yticks([])
        apply_fonts(ax)
        return ax
    values = shown.to_numpy(dtype=float)
    ypos = np.arange(len(shown))[::-1]
    ax.barh(ypos, values, height=0.7, color=_COLOR)
    ax.set_yticks(ypos, [_label(by, str(n), lang) for n in shown.index])
    words = [yuan_text(v) if value == "amount_at_risk" else f"{int(v):,}" for v in values]
    for y, v, word in zip(ypos, values, words, strict=True):
        ax.annotate(word, (v, y), xytext=(3, 0), textcoords="offset points", ha="left",
                    va="center", fontsize="x-small", color="0.3")  # fmt: skip
    top_value = float(values.max(initial=0.0))
    ax.set_xlim(0, top_value * 1.18 if top_value > 0 else 1.0)
    ax.set_ylim(-0.6, len(shown) - 0.4)
    _format_axis(ax, value)
    grid(ax, "x")
    apply_fonts(ax)
    return ax


def _format_axis(ax: Axes, value: str) -> None:
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    if value == "amount_at_risk":
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"¥{x:,.0f}"))
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5))
    else:
        ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{int(round(x)):,}"))
