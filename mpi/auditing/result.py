"""The result of :func:`mpi.audit`: ranked leads, linkage counts and the audit's bookkeeping."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.labels import has_text, text
from mpi._common.result import ResultBase
from mpi.auditing.standardise import NOT_CHECKABLE

if TYPE_CHECKING:
    from mpi.auditing.context import AuditContext

__all__ = ["AuditResult", "summarise", "ID_COUNTS"]

#: Identity-number counts of the payment rows (attributes of :meth:`AuditResult.to_dataset`).
ID_COUNTS = ("ids_valid", "ids_invalid", "ids_repaired", "ids_self_linked")
_GROUP_COLUMNS = ("n_leads", "n_persons", "n_payments", "amount_at_risk")


def _by(leads: pd.DataFrame, column: str) -> pd.DataFrame:
    """Leads, persons, payments and amount at risk by the values of ``column``."""
    if not len(leads):
        return pd.DataFrame(columns=list(_GROUP_COLUMNS))
    key = leads[column].astype(object).where(leads[column].notna(), "—").astype(str)
    person = leads["id_number"].astype(str) + "\x1f" + leads["name"].astype(str)
    out = pd.DataFrame(
        {
            "n_leads": leads.groupby(key).size(),
            "n_persons": person.groupby(key).nunique(),
            "n_payments": leads.groupby(key)["n_payments"].sum(),
            "amount_at_risk": leads.groupby(key)["amount_at_risk"].sum(),
        }
    )
    out.index.name = "rule_name" if column == "rule" else column
    return out.sort_values(["amount_at_risk", "n_leads"], ascending=False, kind="stable")


def summarise(
    context: AuditContext,
    book: dict[str, Any],
    leads: pd.DataFrame,
    hits: pd.DataFrame,
    run: list[Any],
    skipped: dict[str, list[str]],
) -> dict[str, Any]:
    """The arguments of :class:`AuditResult` from an audit's context, bookkeeping and leads.

    Parameters
    ----------
    context
        The audit's context.
    book
        The bookkeeping of :func:`mpi.auditing.audit.build_context`.
    leads
        The aggregated leads.
    hits
        The rules' hits (standard form).
    run
        The rules run.
    skipped
        Rules not run, with the registries they lacked.

    Returns
    -------
    dict
        Keyword arguments of :class:`AuditResult`.
    """
    pay = context.payments
    persons = book["persons"]
    rules = [r.name for r in run]
    programmes = sorted(map(str, book["rows_by_programme"].index))
    shape = (len(rules), len(programmes))
    n_leads = np.zeros(shape, dtype=np.int64)
    n_pay = np.zeros(shape, dtype=np.int64)
    amount = np.zeros(shape)
    ri = {r: i for i, r in enumerate(rules)}
    pi = {p: i for i, p in enumerate(programmes)}
    for lead in leads.itertuples(index=False):
        i, j = ri[lead.rule], pi[str(lead.programme)]
        n_leads[i, j] += 1
        n_pay[i, j] += int(lead.n_payments)
        amount[i, j] += float(lead.amount_at_risk)
    checked = pay.groupby("programme").size().reindex(programmes, fill_value=0)
    rows = persons.rows
    not_checkable = dict(book["not_checkable"])
    id_counts = {
        "ids_valid": int(rows["id_valid"].sum()),
        "ids_invalid": int((~rows["id_valid"]).sum()),
        "ids_repaired": int(rows["repaired"].sum()),
        "ids_self_linked": int(rows["self_linked"].sum()),
    }
    attrs: dict[str, Any] = {
        "title": "Benefit-list audit",
        "n_rows": int(book["n_rows"]),
        "n_checked": len(pay),
        **{f"not_checkable_{k}": int(v) for k, v in not_checkable.items()},
        "n_persons": len(persons.table),
        **id_counts,
        "n_leads": len(leads),
        "amount_at_risk": float(leads["amount_at_risk"].sum()) if len(leads) else 0.0,
        "threshold": float(context.params["threshold"]),
        "rules": ", ".join(rules),
        "rules_skipped": ", ".join(f"{k} ({', '.join(v)})" for k, v in skipped.items()),
        "registries": ", ".join(context.registries),
    }
    ds = xr.Dataset(
        {
            "n_leads": (("rule", "programme"), n_leads),
            "n_payments": (("rule", "programme"), n_pay),
            "amount_at_risk": (("rule", "programme"), amount),
            "n_rows": ("programme", book["rows_by_programme"].reindex(programmes).to_numpy()),
            "n_checked": ("programme", checked.to_numpy(dtype=np.int64)),
            "amount_paid": ("programme", book["amount_paid"].reindex(programmes).to_numpy()),
        },
        coords={
            "rule": np.array(rules, dtype=object),
            "programme": np.array(programmes, dtype=object),
        },  # fmt: skip
        attrs=attrs,
    )
    ds["amount_at_risk"].attrs.update(units="yuan", long_name="amount at risk of the leads")
    ds["amount_paid"].attrs.update(units="yuan", long_name="amount paid (all rows)")
    linkage = pd.DataFrame.from_dict(book["linkage"], orient="index")
    linkage.index.name = "table"
    registries = pd.DataFrame.from_dict(book["duplicates"], orient="index")
    if len(registries):
        registries["rows_linked"] = [context.links[k]["row"].nunique() for k in registries.index]
        registries["persons_linked"] = [
            pay["person"].to_numpy()[context.links[k]["row"].to_numpy()].tolist()
            for k in registries.index
        ]
        registries["persons_linked"] = registries["persons_linked"].map(lambda v: len(set(v)))
    registries.index.name = "registry"
    problems = rows.loc[~rows["id_valid"], "problem"].value_counts().sort_index()
    return {
        "leads": leads,
        "data": ds,
        "linkage": linkage,
        "registries": registries,
        "id_problems": problems,
        "skipped": skipped,
        "hits": len(hits),
    }


class AuditResult(ResultBase):
    """The leads of a benefit-list audit, ranked, with the audit's bookkeeping.

    Made by :func:`mpi.audit`.

    Parameters
    ----------
    leads
        One row per (person, programme, rule): ``id_number``, ``name``, ``programme``,
        ``rule``, ``evidence``, ``match_weight``, ``match_probability``, ``linked_by``,
        ``amount_at_risk``, ``n_payments``, ``village``, ``household_id``, ``rank``.
    data
        Counts and amounts by rule x programme (``n_leads``, ``n_payments``,
        ``amount_at_risk``) and by programme (``n_rows``, ``n_checked``, ``amount_paid``);
        attributes: rows, rows checked and not checkable by reason, persons, identity-number
        counts, threshold, rules run and skipped, registries.
    linkage
        Counts of :func:`mpi.auditing.link` per table (``beneficiaries``: the self-linkage of
        invalid numbers to the payments' valid-number persons; each registry: the persons
        linked to it).
    registries
        Per registry: ``n_records``, ``duplicate_records``, ``repeated_ids``, ``rows_linked``,
        ``persons_linked``.
    id_problems
        Payment rows with an invalid number, by problem.
    skipped
        Default rules not run, with the registries they needed.
    hits
        Number of hits of the rules before aggregation.
    """

    title = "Benefit-list audit"
    call = "mpi.auditing"
    takes_groups = False

    def __init__(
        self,
        leads: pd.DataFrame,
        data: xr.Dataset,
        linkage: pd.DataFrame,
        registries: pd.DataFrame,
        id_problems: pd.Series,
        skipped: dict[str, list[str]],
        hits: int,
    ) -> None:
        self._leads = leads
        self._ds = data
        self._linkage = linkage
        self._registries = registries
        self._problems = id_problems
        self._skipped = dict(skipped)
        self._hits = int(hits)

    def _data(self) -> xr.Dataset:
        return self._ds

    @property
    def leads(self) -> pd.DataFrame:
        """The ranked leads (a copy), one row per (person, programme, rule).

        Returns
        -------
        pandas.DataFrame
            Sorted by ``rank`` (1 = the largest amount at risk x match probability).
        """
        return self._leads.copy()

    @property
    def linkage(self) -> pd.DataFrame:
        """Linkage counts per table (a copy): one row per table, the counts of
        :attr:`mpi.auditing.Links.counts` as columns.

        Returns
        -------
        pandas.DataFrame
        """
        return self._linkage.copy()

    @property
    def registries(self) -> pd.DataFrame:
        """Per registry: records, duplicated records, repeated ids, rows and persons linked.

        Returns
        -------
        pandas.DataFrame
        """
        return self._registries.copy()

    def to_frame(self) -> pd.DataFrame:  # type: ignore[override]
        """The leads (a copy; the same as :attr:`leads`).

        Returns
        -------
        pandas.DataFrame
        """
        return self.leads

    # -- summary -----------------------------------------------------------------------
    def _title(self, lang: str) -> str:
        return text("audit.result.title", lang)

    def _header(self, lang: str) -> list[tuple[str, str]]:
        a = self._ds.attrs
        none = text("audit.result.none", lang)
        nc = sum(int(a[f"not_checkable_{k}"]) for k in NOT_CHECKABLE)

        def h(key: str, value: str) -> tuple[str, str]:
            return text(f"audit.result.header.{key}", lang), value

        return [
            h("rows", f"{a['n_rows']:,}"),
            h("checked", f"{a['n_checked']:,}"),
            h("not_checkable", f"{nc:,}"),
            h("persons", f"{a['n_persons']:,}"),
            h(
                "ids",
                text(
                    "audit.result.ids",
                    lang,
                    valid=a["ids_valid"],
                    invalid=a["ids_invalid"],
                    repaired=a["ids_repaired"],
                    linked=a["ids_self_linked"],
                ),
            ),  # fmt: skip
            h("registries", a["registries"] or none),
            h("rules", a["rules"] or none),
            h("skipped", a["rules_skipped"] or none),
            h("threshold", f"{a['threshold']:g}"),
            h("leads", f"{a['n_leads']:,}"),
            h("amount", f"¥{a['amount_at_risk']:,.2f}"),
        ]

    def _label(self, frame: pd.DataFrame, lang: str) -> pd.DataFrame:
        out = frame.copy()
        out.columns = [
            text(f"audit.result.column.{c}", lang) if has_text(f"audit.result.column.{c}")
            else str(c) for c in out.columns
        ]  # fmt: skip
        name = out.index.name
        if name is not None and has_text(f"audit.result.column.{name}"):
            out.index.name = text(f"audit.result.column.{name}", lang)
        return out

    def _tables(self, lang: str) -> list[tuple[str, pd.DataFrame]]:
        t = [
            ("by_rule", _by(self._leads, "rule")),
            ("by_programme", _by(self._leads, "programme")),
            ("by_village", _by(self._leads, "village")),
        ]
        out = [(text(f"audit.result.table.{k}", lang), self._label(f, lang)) for k, f in t]
        top = self._leads.head(10)[
            [
                "rank",
                "id_number",
                "name",
                "programme",
                "rule",
                "amount_at_risk",
                "match_probability",
                "linked_by",
            ]
        ]
        top = top.rename(columns={"rule": "rule_name"}).set_index("rank")
        out.append((text("audit.result.table.top", lang), self._label(top, lang)))
        if len(self._linkage):
            out.append((text("audit.result.table.linkage", lang), self._label(self._linkage, lang)))
        if len(self._registries):
            out.append(
                (text("audit.result.table.registries", lang), self._label(self._registries, lang))
            )
        a = self._ds.attrs
        reasons = {k: int(a[f"not_checkable_{k}"]) for k in NOT_CHECKABLE}
        if any(reasons.values()):
            frame = pd.DataFrame(
                {"n_rows": [v for v in reasons.values() if v]},
                index=pd.Index(
                    [text(f"audit.result.reason.{k}", lang) for k, v in reasons.items() if v],
                    name="reason",
                ),
            )
            out.append((text("audit.result.table.not_checkable", lang), self._label(frame, lang)))
        if len(self._problems):
            frame = self._problems.rename("n_rows").to_frame()
            frame.index = pd.Index(
                [text(f"audit.result.problem.{p}".replace(" ", "_"), lang)
                 if has_text(f"audit.result.problem.{p}".replace(" ", "_")) else str(p)
                 for p in frame.index],
                name="problem",
            )  # fmt: skip
            out.append((text("audit.result.table.id_problems", lang), self._label(frame, lang)))
        return out

    def _notes(self, lang: str) -> list[str]:
        notes = [text("audit.result.note.rank", lang)]
        if self._skipped:
            listed = "; ".join(f"{k} ({', '.join(v)})" for k, v in self._skipped.items())
            notes.append(text("audit.result.note.skipped", lang, rules=listed))
        dup = int(self._registries["duplicate_records"].sum()) if len(self._registries) else 0
        if dup:
            notes.append(text("audit.result.note.duplicates", lang, n=dup))
        a = self._ds.attrs
        nc = sum(int(a[f"not_checkable_{k}"]) for k in NOT_CHECKABLE)
        if nc:
            notes.append(text("audit.result.note.not_checkable", lang, n=nc))
        return notes

    def __repr__(self) -> str:
        a = self._ds.attrs
        nc = a["n_rows"] - a["n_checked"]
        return (
            f"<mpi.AuditResult: {a['n_leads']:,} leads, ¥{a['amount_at_risk']:,.2f} at risk; "
            f"{a['n_rows']:,} payment rows ({nc:,} not checkable), {a['n_persons']:,} persons; "
            f"{self._ds.sizes['rule']} rules run, {len(self._skipped)} skipped>"
        )
