"""The report as one self-contained HTML5 page.

Charts are embedded as base64 PNG images, the style sheet is inline, and the page loads
nothing: no script, no web font, no network (it opens the same on an intranet or offline,
and prints on A4 with one part per page). Every word comes from the :class:`Document`,
already in the report's language (``<html lang="zh-CN">`` for Chinese).
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from mpi._common.labels import text
from mpi.reporting.document import Card, Chart, Document, Section, Table
from mpi.reporting.formatting import number_text

__all__ = ["render_html", "HTML_LANG", "cell_text"]

#: The mark after a flagged value (and after a marked count).
FLAG = "*"
#: Text cells up to this many characters are not wrapped.
SHORT = 24
#: The ``lang`` attribute of the page per report language.
HTML_LANG = {"en": "en", "zh": "zh-CN"}

_FONTS = {
    "en": '"Segoe UI", "Helvetica Neue", Arial, "Noto Sans", "DejaVu Sans", sans-serif',
    "zh": '"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", '
    '"WenQuanYi Zen Hei", "Noto Sans", "DejaVu Sans", sans-serif',
}

_CSS = """
:root { --ink: #1a1a1a; --muted: #5a5a5a; --rule: #d0d0d0; --accent: #8c1d18;
        --band: #f4f1ee; }
* { box-sizing: border-box; }
body { font-family: FONTS; color: var(--ink); margin: 0; line-height: 1.45;
       font-size: 15px; background: #fff; }
header, main, footer, nav { max-width: 64rem; margin: 0 auto; padding: 0 1.25rem; }
header { border-bottom: 3px solid var(--accent); padding-top: 1.5rem; padding-bottom: .8rem; }
h1 { font-size: 1.75rem; margin: 0 0 .3rem 0; }
h2 { font-size: 1.35rem; border-bottom: 1px solid var(--rule); padding-bottom: .2rem;
     margin-top: 2.2rem; color: var(--accent); }
h3 { font-size: 1.05rem; margin: 1.4rem 0 .4rem 0; }
.subtitle { color: var(--muted); margin: 0; }
nav ol { columns: 2; margin: .6rem 0; padding-left: 1.4rem; }
nav a { color: var(--accent); text-decoration: none; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(11rem, 1fr));
         gap: .8rem; margin: 1rem 0; }
.card { background: var(--band); border-top: 3px solid var(--accent);
        padding: .6rem .8rem; }
.card .label { font-size: .85rem; color: var(--muted); }
.card .value { font-size: 1.7rem; font-weight: 700; }
.card .detail { font-size: .8rem; color: var(--muted); }
figure { margin: 1rem 0; break-inside: avoid; page-break-inside: avoid; }
figure img { width: 100%; max-width: 44rem; height: auto; display: block; }
figcaption { font-size: .85rem; color: var(--muted); }
.table-wrap { overflow-x: auto; margin: .6rem 0 1rem 0; }
table { border-collapse: collapse; font-size: .86rem; break-inside: auto; }
caption { text-align: left; font-weight: 700; padding: .3rem 0; caption-side: top; }
th, td { padding: .22rem .55rem; border-bottom: 1px solid var(--rule); vertical-align: top; }
thead th { border-bottom: 2px solid var(--ink); text-align: center; }
tbody th { text-align: left; font-weight: 600; white-space: nowrap; }
td.short { white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.suppressed { background: #fbeaea; }
table.facts th { text-align: left; font-weight: 600; color: var(--muted); }
table.facts td { text-align: left; }
.note { font-size: .82rem; color: var(--muted); margin: .2rem 0; }
pre { background: var(--band); padding: .8rem; overflow-x: auto; font-size: .8rem;
      white-space: pre-wrap; word-break: break-word; }
footer { color: var(--muted); font-size: .8rem; border-top: 1px solid var(--rule);
         margin-top: 2.5rem; padding-top: .6rem; padding-bottom: 2rem; }
@page { size: A4; margin: 14mm; }
@media print {
  body { font-size: 11px; }
  nav { display: none; }
  header, main, footer { max-width: none; padding: 0; }
  section + section { break-before: page; page-break-before: always; }
  h2, h3, caption { break-after: avoid; page-break-after: avoid; }
  tr, figure, .card { break-inside: avoid; page-break-inside: avoid; }
  .table-wrap { overflow: visible; }
  .card { border: 1px solid var(--rule); }
}
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def cell_text(value: Any, fmt: str, lang: str) -> str:
    """A table cell of a numeric frame as the page shows it.

    Parameters
    ----------
    value
        The cell.
    fmt
        Its column's format (``"percent"``, ``"integer"``, ``"decimal"``, ``"se"``,
        ``"text"``).
    lang
        The report's language.

    Returns
    -------
    str
    """
    if fmt == "text" or isinstance(value, str):
        return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
    if fmt == "percent":
        return number_text(value, "percent", lang)
    if fmt == "decimal":
        return number_text(value, "se", lang)
    return number_text(value, fmt, lang)


def _header_rows(columns: pd.Index, n_index: int, index_names: Sequence[str]) -> str:
    """``<thead>`` rows; MultiIndex columns become several rows with merged cells."""
    levels = columns.nlevels
    rows = []
    for lev in range(levels):
        labels = [str(c[lev]) if levels > 1 else str(c) for c in columns]
        cells = []
        if n_index:
            names = list(index_names) if lev == levels - 1 else [""] * n_index
            cells += [f'<th scope="col">{_e(n)}</th>' for n in names]
        parents = [tuple(c[: lev + 1]) if levels > 1 else () for c in columns]
        i = 0
        while i < len(labels):
            j = i
            while j + 1 < len(labels) and lev < levels - 1 and parents[j + 1] == parents[i]:
                j += 1
            span = f' colspan="{j - i + 1}"' if j > i else ""
            cells.append(f'<th scope="col"{span}>{_e(labels[i])}</th>')
            i = j + 1
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return "<thead>" + "".join(rows) + "</thead>"


def _table_html(table: Table, lang: str, mark: str, flag: bool) -> str:
    if table.display is not None:
        shown = table.display
        index = shown.index
        n_index = index.nlevels if not isinstance(index, pd.RangeIndex) else 0
        names = [str(n) if n is not None else "" for n in index.names] if n_index else []
        body = []
        marks = table.display_suppressed
        for r in range(len(shown)):
            cells = []
            if n_index:
                key = index[r] if n_index > 1 else (index[r],)
                cells += [f'<th scope="row">{_e(k)}</th>' for k in key]
            for c in range(shown.shape[1]):
                hit = marks is not None and bool(marks.iat[r, c])
                cls = "num suppressed" if hit else "num"
                cells.append(f'<td class="{cls}">{_e(shown.iat[r, c])}</td>')
            body.append("<tr>" + "".join(cells) + "</tr>")
        head = _header_rows(shown.columns, n_index, names)
    else:
        frame = table.frame
        formats = [table.format_of(str(c)) for c in frame.columns]
        body = []
        for r in range(len(frame)):
            cells = []
            for c, fmt in enumerate(formats):
                value = frame.iat[r, c]
                hit = table.suppressed is not None and bool(table.suppressed.iat[r, c])
                short = "short" if len(str(value)) <= SHORT else ""
                cls = ("num" if fmt != "text" else short) + (" suppressed" if hit else "")
                attr = f' class="{cls.strip()}"' if cls.strip() else ""
                shown_text = cell_text(value, fmt, lang)
                if hit:
                    keep = flag or table.keep_values
                    shown_text = shown_text + FLAG if keep else mark
                cells.append(f"<td{attr}>{_e(shown_text)}</td>")
            body.append("<tr>" + "".join(cells) + "</tr>")
        head = _header_rows(frame.columns, 0, [])
    notes = "".join(f'<p class="note">{_e(n)}</p>' for n in table.notes)
    return (
        f'<div class="table-wrap"><table class="data" id="table-{_e(table.key)}">'
        f"<caption>{_e(table.title)}</caption>{head}<tbody>{''.join(body)}</tbody></table>"
        f"</div>{notes}"
    )


def _chart_html(chart: Chart) -> str:
    data = base64.b64encode(chart.png).decode("ascii")
    return (
        f'<figure id="chart-{_e(chart.key)}"><img src="data:image/png;base64,{data}" '
        f'alt="{_e(chart.title)}"><figcaption>{_e(chart.title)}</figcaption></figure>'
    )


def _cards_html(cards: Sequence[Card]) -> str:
    if not cards:
        return ""
    parts = [
        f'<div class="card"><div class="label">{_e(c.label)}</div>'
        f'<div class="value">{_e(c.value)}</div><div class="detail">{_e(c.detail)}</div></div>'
        for c in cards
    ]
    return '<div class="cards">' + "".join(parts) + "</div>"


def _facts_html(facts: Sequence[tuple[str, str]]) -> str:
    if not facts:
        return ""
    rows = "".join(f'<tr><th scope="row">{_e(k)}</th><td>{_e(v)}</td></tr>' for k, v in facts)
    return f'<table class="facts"><tbody>{rows}</tbody></table>'


def _section_html(section: Section, doc: Document) -> str:
    lang = doc.lang
    parts = [f'<section id="{_e(section.key)}"><h2>{_e(section.title)}</h2>']
    parts.append(_cards_html(section.cards))
    parts += [f"<p>{_e(p)}</p>" for p in section.paragraphs]
    parts.append(_facts_html(section.facts))
    parts += [_chart_html(c) for c in section.charts if section.key == "brief"]
    parts += [_table_html(t, lang, doc.mark, doc.flag) for t in section.tables if t.in_page]
    parts += [_chart_html(c) for c in section.charts if section.key != "brief"]
    for title, code in section.code:
        parts.append(f"<h3>{_e(title)}</h3><pre><code>{_e(code)}</code></pre>")
    parts += [f'<p class="note">{_e(n)}</p>' for n in section.notes]
    parts.append("</section>")
    return "".join(p for p in parts if p)


def render_html(doc: Document) -> str:
    """The page of ``doc``: valid HTML5, self-contained, print-friendly.

    Parameters
    ----------
    doc
        The report.

    Returns
    -------
    str
        The page's source (UTF-8 text).
    """
    lang = doc.lang
    css = _CSS.replace("FONTS", _FONTS[lang])
    toc = "".join(f'<li><a href="#{_e(s.key)}">{_e(s.title)}</a></li>' for s in doc.sections)
    body = "".join(_section_html(s, doc) for s in doc.sections)
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{HTML_LANG[lang]}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(doc.title)}</title>\n<style>{css}</style>\n</head>\n<body>\n"
        f'<header><h1>{_e(doc.title)}</h1><p class="subtitle">{_e(doc.subtitle)}</p></header>\n'
        f'<nav aria-label="{_e(text("report.contents", lang))}"><h2>'
        f"{_e(text('report.contents', lang))}</h2><ol>{toc}</ol></nav>\n"
        f"<main>{body}</main>\n"
        f"<footer><p>{_e(text('report.footer', lang))}</p></footer>\n"
        "</body>\n</html>\n"
    )
