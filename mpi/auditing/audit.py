"""``mpi.audit``: cross-match beneficiary lists against registries and rank the leads.

The steps (issue 18; the Hubei "big-data" audits of poverty benefits):

1. standardise the payments and the registries (:mod:`mpi.auditing.standardise`): standard
   column names, dates, amounts; bad input stops with a clear error, rows that cannot be
   checked are counted by reason;
2. give every payment a person key across programmes (:func:`mpi.auditing.persons.person_keys`:
   exact valid GB 11643 numbers, then Fellegi–Sunter record linkage of the invalid ones);
3. link the distinct persons once per registry (:func:`mpi.auditing.link`) and expand the links
   to the payment rows (:class:`~mpi.auditing.context.AuditContext`);
4. run the rules (:class:`mpi.auditing.Rule`) and aggregate their hits to leads, one per
   (person, programme, rule), ranked by amount at risk x match probability.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from mpi._common.progress import check_progress
from mpi.auditing.context import PAYMENT_COLUMNS, REGISTRY_COLUMNS, AuditContext
from mpi.auditing.ids import parse_ids
from mpi.auditing.leads import HIT_COLUMNS, aggregate, check_hits
from mpi.auditing.persons import person_keys, registry_links
from mpi.auditing.result import AuditResult, summarise
from mpi.auditing.rules import RULES, Rule, default_rules
from mpi.auditing.standardise import (
    NOT_CHECKABLE,
    check_columns_argument,
    checkable,
    duplicate_counts,
    standard_beneficiaries,
    standard_registry,
)
from mpi.errors import ValidationError

__all__ = ["audit", "resolve_rules", "build_context"]


def resolve_rules(rules: Any) -> tuple[list[Rule], bool]:
    """The rules to run and whether the caller chose them.

    Parameters
    ----------
    rules
        None (the default library, :func:`mpi.auditing.default_rules`), or a sequence of
        :class:`mpi.auditing.Rule` objects and names of :data:`mpi.auditing.RULES`.

    Returns
    -------
    tuple
        ``(rules, explicit)``.

    Raises
    ------
    ValidationError
        For an unknown name, an object that is not a rule, or two rules with one name.
    """
    if rules is None:
        chosen = default_rules()
        found = list(chosen.values()) if isinstance(chosen, Mapping) else list(chosen)
        return found, False
    if isinstance(rules, str | Rule):
        rules = [rules]
    if not isinstance(rules, Sequence):
        raise ValidationError(
            f"rules must be None or a list of mpi.auditing.Rule objects and rule names; got "
            f"{type(rules).__name__}"
        )
    out: list[Rule] = []
    for item in rules:
        if isinstance(item, str):
            if item not in RULES:
                raise ValidationError(
                    f"rules has the name {item!r}, which is not a rule of mpi.auditing.RULES; "
                    f"choose from {', '.join(sorted(RULES))} or pass an mpi.auditing.Rule"
                )
            out.append(RULES[item])
        elif isinstance(item, Rule):
            out.append(item)
        else:
            raise ValidationError(
                f"rules has {item!r} ({type(item).__name__}); give mpi.auditing.Rule objects or "
                "rule names"
            )
    names = [r.name for r in out]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValidationError(
            f"rules has the rule name(s) {twice} more than once; give each rule once (use "
            "Rule.with_params(...) and a new name for a variant)"
        )
    return out, True


def _check_threshold(threshold: Any) -> float:
    ok = isinstance(threshold, int | float | np.floating) and not isinstance(threshold, bool)
    if not ok or not 0 < float(threshold) <= 1:
        raise ValidationError(
            f"threshold must be a match probability in (0, 1], e.g. 0.9; got {threshold!r}"
        )
    return float(threshold)


def _registries(
    registries: Any, registry_columns: Any, kinds_used: set[str]
) -> tuple[dict[str, pd.DataFrame], dict[str, dict[str, int]]]:
    """The standard registries and their duplicate counts."""
    if registries is None:
        registries = {}
    if not isinstance(registries, Mapping):
        raise ValidationError(
            "registries must be a mapping from registry kind to table, e.g. "
            f"{{'death': deaths, 'business': firms}}; got {type(registries).__name__}"
        )
    known = set(REGISTRY_COLUMNS) | kinds_used
    mapping = check_columns_argument(registry_columns, "registry_columns", None)
    for kind in mapping:
        if kind not in registries:
            raise ValidationError(
                f"registry_columns has the kind {kind!r}, which is not in registries "
                f"({', '.join(map(str, registries)) or 'none given'})"
            )
    tables: dict[str, pd.DataFrame] = {}
    dups: dict[str, dict[str, int]] = {}
    for kind, table in registries.items():
        if not isinstance(kind, str) or kind not in known:
            raise ValidationError(
                f"registries has the kind {kind!r}, which no rule uses; the kinds are "
                f"{', '.join(sorted(known))} (another beneficiary list may have any name a "
                "rule's needs list)"
            )
        std = standard_registry(kind, table, mapping.get(kind))
        tables[kind] = std
        parsed = parse_ids(std["id_number"]).reset_index(drop=True)
        dups[kind] = duplicate_counts(std, parsed["id_number"].where(parsed["valid"]))
    return tables, dups


def build_context(
    beneficiaries: pd.DataFrame,
    registries: Mapping[str, pd.DataFrame] | None = None,
    *,
    columns: Mapping[str, str] | None = None,
    registry_columns: Mapping[str, Mapping[str, str]] | None = None,
    threshold: float = 0.9,
    progress: bool | None = None,
    kinds: Sequence[str] = (),
) -> tuple[AuditContext, dict[str, Any]]:
    """Standardise, validate and link: the :class:`AuditContext` the rules read.

    Parameters
    ----------
    beneficiaries, registries, columns, registry_columns, threshold, progress
        As :func:`audit`.
    kinds
        Registry kinds besides the standard ones that the rules need (other lists).

    Returns
    -------
    tuple
        The context (its payments are the checkable rows, renumbered) and the bookkeeping of
        the audit (``source_rows``: original positions of the context's payments;
        ``not_checkable``: counts by reason; ``persons``; ``linkage``; ``duplicates``;
        ``id_rows``: per-row identity columns).
    """
    threshold = _check_threshold(threshold)
    progress = check_progress(progress)
    payments = standard_beneficiaries(beneficiaries, columns)
    tables, dups = _registries(registries, registry_columns, set(kinds))
    reason = checkable(payments)
    ok = (reason == "").to_numpy()
    source_rows = np.flatnonzero(ok)
    # no copy of the whole table when every row is checkable (the usual case)
    work = payments if ok.all() else payments.iloc[source_rows].reset_index(drop=True)
    persons = person_keys(work, threshold=threshold, progress=progress)
    added = {  # id_clean: text inferred as pandas infers it (``str`` from pandas 3)
        "id_clean": pd.Series(persons.rows["id_clean"].to_numpy(dtype=object)),
        "id_valid": pd.Series(persons.rows["id_valid"].to_numpy(dtype=bool)),
        "person": pd.Series(persons.key),
    }
    first = list(PAYMENT_COLUMNS)
    work = pd.DataFrame(
        {c: added[c] if c in added else work[c] for c in
         first + [c for c in work.columns if c not in first]},
        copy=False,
    )  # fmt: skip
    links: dict[str, pd.DataFrame] = {}
    linkage: dict[str, dict[str, Any]] = {"beneficiaries": persons.counts}
    for kind, table in tables.items():
        links[kind], linkage[kind] = registry_links(
            persons, table, threshold=threshold, progress=progress
        )
    context = AuditContext(
        payments=work, registries=tables, links=links, params={"threshold": threshold}
    )
    book = {
        "source_rows": source_rows,
        "n_rows": len(payments),
        "not_checkable": {k: int((reason == k).sum()) for k in NOT_CHECKABLE},
        "persons": persons,
        "linkage": linkage,
        "duplicates": dups,
        "amount_paid": payments.groupby("programme", dropna=True)["amount"].sum(),
        "rows_by_programme": payments.groupby("programme", dropna=True).size(),
    }
    return context, book


def audit(
    beneficiaries: pd.DataFrame,
    registries: Mapping[str, pd.DataFrame] | None = None,
    rules: Sequence[Rule | str] | None = None,
    *,
    columns: Mapping[str, str] | None = None,
    registry_columns: Mapping[str, Mapping[str, str]] | None = None,
    threshold: float = 0.9,
    progress: bool | None = None,
) -> AuditResult:
    """Cross-match benefit payments against registries and rank the suspicious cases.

    Parameters
    ----------
    beneficiaries : pandas.DataFrame
        One long table of payments (or enrolments) of any number of programmes, with the
        columns ``id_number`` (resident identity number, GB 11643-1999; dirty numbers
        allowed), ``name``, ``programme``, ``amount`` (yuan, >= 0) and ``paid_on`` (a date),
        and optionally ``household_id``, ``village`` and ``account`` (bank account).
    registries : mapping, optional
        Reference tables by kind: ``death`` (``id_number``, ``name``, ``died_on``),
        ``business`` (``registered_capital``), ``vehicle`` (``vehicle_value``), ``property``
        (``floor_area``), ``tax`` (``annual_income``), ``staff`` (public employees:
        ``id_number``, ``name``), or another list under a kind that a rule ``needs``.
    rules : sequence of Rule or str, optional
        The rules to run (:class:`mpi.auditing.Rule` objects or names of
        :data:`mpi.auditing.RULES`); default :func:`mpi.auditing.default_rules`, of which the rules
        whose registries are not given are skipped (and reported). A rule chosen here whose
        registry is missing is an error.
    columns : mapping, optional
        ``{standard name: your column}`` for the beneficiaries, e.g. ``{"id_number": "sfzh"}``.
    registry_columns : mapping, optional
        ``{kind: {standard name: your column}}`` for the registries.
    threshold : float
        Match probability a record-linkage pair needs (Fellegi–Sunter, :func:`mpi.auditing.link`).
    progress : bool, optional
        Progress bars of the record linkage (None: only on a terminal).

    Returns
    -------
    AuditResult
        ``.leads`` (one row per person x programme x rule, ranked), ``.linkage``,
        ``summary(lang=)``, ``to_frame()``, ``to_dataset()``.

    Raises
    ------
    ValidationError
        Missing columns, unparseable dates, negative or non-numeric amounts, unknown registry
        kinds or rule names, a chosen rule without its registry, a bad threshold.
    ImportError
        When record linkage is needed and splink is not installed (``pip install
        "xmpi[audit]"``).

    Notes
    -----
    Every payment row is either checked (its person linked, every rule run on it) or counted
    as not checkable with its reason (no identifier, no programme, no date, no amount).
    Each person is linked to a registry once, however many payments they have; rows whose
    number is invalid are first linked by record linkage to the valid-number persons of the
    payments (a person's payments in several programmes, one with a typo). Duplicated
    registry records are kept and counted; a payment counts once in a lead however many
    records it matches.

    References
    ----------
    Fellegi, I. P., & Sunter, A. B. (1969). A theory for record linkage. *JASA* 64(328).
    GB 11643-1999, Citizen identification number.
    """
    chosen, explicit = resolve_rules(rules)
    standard = set(REGISTRY_COLUMNS)
    given = set(registries or {}) if isinstance(registries, Mapping) else set()
    kinds = {k for r in chosen for k in r.needs} - standard
    context, book = build_context(
        beneficiaries, registries, columns=columns, registry_columns=registry_columns,
        threshold=threshold, progress=progress, kinds=sorted(kinds),
    )  # fmt: skip
    run: list[Rule] = []
    skipped: dict[str, list[str]] = {}
    for rule in chosen:
        missing = [k for k in rule.needs if k not in given]
        if missing and explicit:
            raise ValidationError(
                f"rule {rule.name!r} needs the registr{'y' if len(missing) == 1 else 'ies'} "
                f"{missing}; pass registries={{{missing[0]!r}: <table>, ...}} or leave the "
                "rule out of rules"
            )
        if missing:
            skipped[rule.name] = missing
        else:
            run.append(rule)
    parts = [check_hits(rule.check(context, rule), rule.name, context.payments) for rule in run]
    hits = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=[*HIT_COLUMNS, "rule"]
    )  # fmt: skip
    leads = aggregate(hits, context.payments, book["persons"].table)
    return AuditResult(**summarise(context, book, leads, hits, run, skipped))
