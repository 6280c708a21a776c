"""Benefit-list audits: beneficiary lists cross-matched with other registries.

:func:`mpi.audit` (:func:`mpi.auditing.audit.audit`) standardises a long table of payments and
the reference registries (deaths, business registrations, vehicles, property, tax, public
employees), links the persons across programmes and to every registry (exact GB 11643
identity numbers, then Fellegi–Sunter record linkage: :func:`link`), runs the rules
(:data:`RULES`, :func:`default_rules`, or a user's :class:`Rule`) and returns an
:class:`AuditResult` of ranked leads. This package also holds the parts: :func:`parse_ids`,
:func:`valid_id`, :func:`check_character`, :data:`PROVINCES`, :func:`link` and
:class:`Links`, :class:`AuditContext`, :func:`make_hits` (for a user's rule) and :func:`score_leads` (leads
against known cases: precision and recall per rule).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mpi._common import lazy_exports

#: Public name -> ``"module:attribute"``, imported on first use (PEP 562).
_LAZY: dict[str, str] = {
    "audit": "mpi.auditing.audit:audit",
    "AuditContext": "mpi.auditing.context:AuditContext",
    "PROVINCES": "mpi.auditing.ids:PROVINCES",
    "check_character": "mpi.auditing.ids:check_character",
    "parse_ids": "mpi.auditing.ids:parse_ids",
    "valid_id": "mpi.auditing.ids:valid_id",
    "Links": "mpi.auditing.linkage:Links",
    "link": "mpi.auditing.linkage:link",
    "AuditResult": "mpi.auditing.result:AuditResult",
    "RULES": "mpi.auditing.rules:RULES",
    "Rule": "mpi.auditing.rules:Rule",
    "default_rules": "mpi.auditing.rules:default_rules",
    "make_hits": "mpi.auditing.rules_core:make_hits",
    "score_leads": "mpi.auditing.scoring:score_leads",
}

__all__ = [
    "audit", "AuditResult", "AuditContext", "Rule", "RULES", "default_rules", "make_hits",
    "parse_ids", "PROVINCES", "link", "Links", "check_character", "valid_id", "score_leads",
]  # fmt: skip

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)

if TYPE_CHECKING:  # type checkers and IDEs see the eager imports
    from mpi.auditing.audit import audit
    from mpi.auditing.context import AuditContext
    from mpi.auditing.ids import PROVINCES, check_character, parse_ids, valid_id
    from mpi.auditing.linkage import Links, link
    from mpi.auditing.result import AuditResult
    from mpi.auditing.rules import RULES, Rule, default_rules
    from mpi.auditing.rules_core import make_hits
    from mpi.auditing.scoring import score_leads
