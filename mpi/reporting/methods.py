"""The closing sections of a report: methodology (definitions, cutoffs, indicators and
weights, inference, the small-cell rule, references), the exact spec, and the version and
call history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pandas as pd

from mpi._common.exact import fraction_text
from mpi._common.labels import text
from mpi._common.result import ResultBase
from mpi._version import __version__
from mpi.measurement.change import ChangeResult
from mpi.measurement.result import MeasureResult
from mpi.reporting.document import Section, Table

if TYPE_CHECKING:
    from mpi.measurement.spec import Spec
    from mpi.reporting.suppression import Suppression

__all__ = ["methods_section", "spec_section", "history_section", "DEFINED"]

#: Measures with a definition in the methodology, in order.
DEFINED = ("H", "A", "M0", "M1", "M2", "vulnerable", "severe", "censored_headcount",
           "uncensored_headcount", "contribution")  # fmt: skip


def _indicator_table(spec: Spec, lang: str, key: str) -> Table:
    frame = pd.DataFrame(
        {
            text("common.dimension", lang): [spec.dimension_of(i) for i in spec],
            text("common.indicator", lang): [i.label or i.name for i in spec],
            text("report.col.variable", lang): [i.variable or i.name for i in spec],
            text("report.col.rule", lang): [i.rule for i in spec],
            text("report.col.weight", lang): [fraction_text(i.weight) for i in spec],
            text("report.col.weight_value", lang): spec.weights,
        }
    )
    return Table(
        key,
        text("report.methods.indicators_title", lang, spec=spec.name or ""),
        frame,
        {text("report.col.weight_value", lang): "percent"},
        sheet=text("report.sheet.indicators", lang),
    )


def _references(results: Sequence[ResultBase]) -> list[str]:
    out: list[str] = []
    for res in results:
        refs = str(res.to_dataset().attrs.get("references", "")).strip()
        for part in refs.split(" Spec: "):
            part = part.strip()
            if part and part not in out:
                out.append(part)
    return out


def methods_section(
    results: Sequence[ResultBase],
    specs: Sequence[Spec],
    *,
    suppression: Suppression | None,
    level: float,
    lang: str,
) -> Section:
    """Definitions, cutoffs, indicators, inference, the small-cell rule and references.

    Parameters
    ----------
    results
        Every result of the report.
    specs
        The specs of the report's measurements (distinct).
    suppression
        The small-cell rule (None: no rule).
    level
        Confidence level of the intervals.
    lang
        The report's language.

    Returns
    -------
    Section
    """
    section = Section("methods", text("report.methods.title", lang))
    measured = any(isinstance(r, MeasureResult) for r in results)
    if measured or specs:
        section.paragraphs.append(text("report.methods.af", lang))
        section.paragraphs += [text(f"report.def.{name}", lang) for name in DEFINED]
    for i, spec in enumerate(specs):
        section.facts.append(
            (
                text("report.methods.cutoffs", lang, spec=spec.name or ""),
                text(
                    "report.methods.cutoffs_value",
                    lang,
                    k=fraction_text(spec.k),
                    vulnerable=fraction_text(spec.vulnerable),
                    severe=fraction_text(spec.severe),
                ),
            )
        )
        section.tables.append(
            _indicator_table(spec, lang, f"indicators{i + 1}" if i else "indicators")
        )
    with_design = [r for r in results if isinstance(r, MeasureResult) and r.has_design]
    if with_design:
        section.paragraphs.append(
            text("report.methods.inference", lang, level=100 * level, df=with_design[0].df)
        )
    elif measured:
        section.paragraphs.append(text("report.methods.no_inference", lang))
    if any(isinstance(r, ChangeResult) for r in results):
        section.paragraphs.append(text("report.methods.change", lang, level=100 * level))
    if suppression is not None:
        section.paragraphs.append(suppression.describe(lang))
    refs = _references(results)
    if refs:
        section.code.append((text("report.methods.references", lang), "\n\n".join(refs)))
    return section


def spec_section(specs: Sequence[Spec], lang: str) -> Section:
    """The exact specs, as YAML (:meth:`mpi.Spec.to_yaml`): what reproduces the measurement.

    Parameters
    ----------
    specs
        The specs of the report's measurements (distinct).
    lang
        The report's language.

    Returns
    -------
    Section
    """
    section = Section("spec", text("report.spec.title", lang))
    if not specs:
        section.paragraphs.append(text("report.spec.none", lang))
    for spec in specs:
        section.code.append((text("report.spec.yaml", lang, spec=spec.name or ""), spec.to_yaml()))
    section.notes.append(text("report.spec.note", lang))
    return section


def history_section(named: Sequence[tuple[str, ResultBase]], lang: str) -> Section:
    """The package version, the date and every result's call history.

    Parameters
    ----------
    named
        ``(section title, result)`` pairs of the report.
    lang
        The report's language.

    Returns
    -------
    Section
    """
    section = Section("history", text("report.history.title", lang))
    now = datetime.now(UTC).replace(microsecond=0).isoformat()
    section.facts = [
        (text("report.history.version", lang), f"xmpi {__version__}"),
        (text("report.history.generated", lang), now),
    ]
    for name, res in named:
        history = str(res.to_dataset().attrs.get("history", "")).strip()
        if history:
            section.code.append((name, history))
    return section
