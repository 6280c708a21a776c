"""The data-quality section: units used and dropped and why, missing values by indicator
and by variable, units with a missing group, group sizes against the small-cell rule, and
the survey design."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.labels import measure_label, text
from mpi.measurement.result import MeasureResult
from mpi.reporting.document import Section, Table, slug
from mpi.reporting.formatting import count_text

if TYPE_CHECKING:
    from mpi.reporting.suppression import Suppression

__all__ = ["quality_section", "design_facts"]


def _span(values: xr.DataArray, lang: str) -> str:
    """A count, or its range over a panel's waves."""
    lo, hi = int(values.min()), int(values.max())
    return count_text(hi, lang) if lo == hi else f"{count_text(lo, lang)}–{count_text(hi, lang)}"


def design_facts(result: MeasureResult, lang: str) -> list[tuple[str, str]]:
    """The survey design of ``result`` as ``(label, value)`` lines.

    Parameters
    ----------
    result
        A result of :func:`mpi.measure`.
    lang
        The report's language.

    Returns
    -------
    list of (str, str)
        The design's kind, its variables, strata and PSUs, degrees of freedom and variance
        method; one line saying there is none without a design.
    """
    design = result.design
    if design is None:
        return [(text("report.design.title", lang), text("report.design.none", lang))]
    kind = type(design).__name__
    out = [(text("report.design.title", lang), text(f"report.design.kind.{kind}", lang))]
    base = getattr(design, "design", design)  # a bootstrap design wraps a Design
    for attr in ("weight", "strata", "psu", "fpc", "rounds"):
        value = getattr(base, attr, None)
        if value is not None:
            out.append((text(f"report.design.{attr}", lang), str(value)))
    replicates = getattr(design, "replicate_weights", None)
    if replicates is not None:
        out.append((text("report.design.replicates", lang), count_text(len(replicates), lang)))
    inference = result.inference
    encoded = inference.encoded if inference is not None else None
    if encoded is not None:
        out.append(
            (
                text("report.design.strata_psus", lang),
                text(
                    "report.design.strata_psus_value",
                    lang,
                    strata=count_text(encoded.n_strata, lang),
                    psus=count_text(encoded.n_psu, lang),
                ),
            )
        )
    out.append((text("report.design.df", lang), count_text(result.df, lang)))
    engine = inference.engine.kind if inference is not None else "linearized"
    out.append(
        (text("report.design.variance", lang), text(f"report.design.variance_{engine}", lang))
    )
    return out


def _missing_table(result: MeasureResult, key: str, title: str, lang: str) -> Table:
    """Units missing each indicator's variable (all units of the result, used or dropped)."""
    ov = result.overall.to_dataset()
    n_missing = ov["n_missing"]
    total = ov["n_obs"] + ov["n_dropped"]
    keep = [d for d in n_missing.dims if d not in ("indicator", "k")]
    if "k" in n_missing.dims:  # the same counts at every cutoff
        n_missing, total = n_missing.isel(k=0), total.isel(k=0) if "k" in total.dims else total
    n_missing = n_missing.sum(keep) if keep else n_missing
    total = total.sum([d for d in keep if d in total.dims]) if keep else total
    spec = result.spec
    cols = {
        text("common.indicator", lang): [i.label or i.name for i in spec],
        text("report.col.variable", lang): [i.variable or i.name for i in spec],
        text("common.dimension", lang): [spec.dimension_of(i) for i in spec],
        measure_label("n_missing", lang): n_missing.values.astype(np.int64),
        text("report.col.missing_share", lang): n_missing.values / float(total),
    }
    frame = pd.DataFrame(cols)
    formats = {
        measure_label("n_missing", lang): "integer",
        text("report.col.missing_share", lang): "percent",
    }
    note = text("report.quality.missing_note", lang, total=count_text(int(total), lang))
    return Table(key, title, frame, formats, notes=[note], sheet=text("report.sheet.missing", lang))


def _cells_table(
    result: MeasureResult, key: str, title: str, lang: str, suppression: Suppression | None
) -> Table | None:
    """Units used and dropped per group, the groups under the small-cell rule marked."""
    if not result.groups:
        return None
    ds = result.to_dataset()
    names = ["n_obs", "n_dropped"]
    sub = ds[names].reset_coords(drop=True)
    if "k" in sub.dims:
        sub = sub.isel(k=0)
    frame = sub.to_dataframe().reset_index()
    dims = [c for c in frame.columns if c not in names]
    labels = {d: text("report.col.group_variable", lang, name=d) for d in dims}
    frame = frame.rename(
        columns={
            **labels,
            "n_obs": measure_label("n_obs", lang),
            "n_dropped": measure_label("n_dropped", lang),
        }
    )
    for d in labels.values():
        frame[d] = frame[d].astype(str)
    formats = {measure_label("n_obs", lang): "integer", measure_label("n_dropped", lang): "integer"}
    table = Table(
        key, title, frame, formats, sheet=text("report.sheet.cells", lang), keep_values=True
    )
    if suppression is not None and suppression.min_cell is not None:
        hit = suppression.mask(frame[measure_label("n_obs", lang)].to_numpy(), 1.0)
        marks = pd.DataFrame(False, index=frame.index, columns=frame.columns)
        marks[measure_label("n_obs", lang)] = hit
        table.suppressed = marks if hit.any() else None
        table.notes.append(
            text(
                "report.quality.cells_note",
                lang,
                n=int(hit.sum()),
                total=len(frame),
                min_cell=int(suppression.min_cell),
            )
        )
    return table


def _roles(result: MeasureResult) -> dict[str, str]:
    roles: dict[str, str] = {}
    for ind in result.spec:
        roles.setdefault(ind.variable or ind.name, "indicator")
    if result.weight:
        roles.setdefault(result.weight, "weight")
    for b in result.groups:
        roles.setdefault(b, "group")
    design = result.design
    base = getattr(design, "design", design)
    for attr in ("strata", "psu", "fpc", "rounds"):
        value = getattr(base, attr, None)
        if value is not None:
            roles.setdefault(value, "design")
    return roles


def _data_table(data: Any, roles: dict[str, str], key: str, lang: str) -> Table | None:
    """Missing values in the data, per variable the results use."""
    if isinstance(data, pd.DataFrame):
        columns, n = list(data.columns), len(data)
        count = lambda c: int(data[c].isna().sum())  # noqa: E731
    elif isinstance(data, xr.Dataset):
        columns = list(data.data_vars)
        n = int(np.prod([data.sizes[d] for d in data.dims])) if data.dims else 1
        count = lambda c: int(data[c].isnull().sum())  # noqa: E731
    else:
        return None
    names = [c for c in roles if c in columns]
    if not names:
        return None
    missing = np.array([count(c) for c in names], dtype=np.int64)
    frame = pd.DataFrame(
        {
            text("report.col.variable", lang): names,
            text("report.col.role", lang): [text(f"report.role.{roles[c]}", lang) for c in names],
            text("report.col.missing_values", lang): missing,
            text("report.col.missing_share", lang): missing / max(n, 1),
        }
    )
    formats = {
        text("report.col.missing_values", lang): "integer",
        text("report.col.missing_share", lang): "percent",
    }
    return Table(
        key,
        text("report.quality.data_title", lang),
        frame,
        formats,
        notes=[text("report.quality.data_note", lang, n=count_text(n, lang))],
        sheet=text("report.sheet.data", lang),
    )


def _facts(result: MeasureResult, lang: str) -> list[tuple[str, str]]:
    ov = result.overall.to_dataset()
    used, dropped = ov["n_obs"], ov["n_dropped"]
    if "k" in used.dims:
        used, dropped = used.isel(k=0), dropped.isel(k=0)
    facts = [
        (measure_label("n_obs", lang), _span(used, lang)),
        (measure_label("n_dropped", lang), _span(dropped, lang)),
        (text("report.quality.why", lang), text(f"report.quality.rule_{result.missing}", lang)),
    ]
    if result.groups:
        ds = result.to_dataset()
        total = ds["n_missing_group"]
        facts.append((text("report.quality.missing_group", lang), _span(total, lang)))
        if "n_missing_group_by" in ds:
            per = ds["n_missing_group_by"]
            for b in result.groups:
                facts.append(
                    (
                        text("report.quality.missing_group_by", lang, name=b),
                        _span(per.sel(group_variable=b), lang),
                    )
                )
        empty = ds["empty"]
        if "k" in empty.dims:
            empty = empty.isel(k=0)
        facts.append((text("report.quality.empty", lang), count_text(int(empty.sum()), lang)))
    return facts


def quality_section(
    measures: Sequence[tuple[str, MeasureResult]],
    *,
    data: Any,
    suppression: Suppression | None,
    lang: str,
) -> Section:
    """The data-quality section of the report.

    Parameters
    ----------
    measures
        ``(section title, result)`` of every :class:`~mpi.MeasureResult` of the report.
    data
        The data the results were computed from (a DataFrame or Dataset), or None.
    suppression
        The small-cell rule (None: no rule).
    lang
        The report's language.

    Returns
    -------
    Section
    """
    section = Section("quality", text("report.quality.title", lang))
    if not measures:
        section.paragraphs.append(text("report.quality.none", lang))
    roles: dict[str, str] = {}
    many = len(measures) > 1
    for i, (name, result) in enumerate(measures):
        prefix = f"{name}: " if many else ""
        key = f"quality{i + 1}" if many else "quality"
        section.facts += [(prefix + k, v) for k, v in _facts(result, lang)]
        section.facts += [(prefix + k, v) for k, v in design_facts(result, lang)]
        section.tables.append(
            _missing_table(
                result, f"{key}_missing", prefix + text("report.quality.missing_title", lang), lang
            )
        )
        cells = _cells_table(
            result,
            f"{key}_cells",
            prefix + text("report.quality.cells_title", lang),
            lang,
            suppression,
        )
        if cells is not None:
            section.tables.append(cells)
        for k, v in _roles(result).items():
            roles.setdefault(k, v)
    if data is not None:
        if isinstance(data, pd.DataFrame | xr.Dataset):
            n = (
                len(data)
                if isinstance(data, pd.DataFrame)
                else int(np.prod([data.sizes[d] for d in data.dims]) if data.dims else 1)
            )
            section.facts.insert(0, (text("report.quality.rows", lang), count_text(n, lang)))
        table = _data_table(data, roles, "data_missing", lang)
        if table is not None:
            section.tables.insert(0, table)
    section.key = slug(section.key)
    return section
