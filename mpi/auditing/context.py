"""What every audit rule sees: the standardised payments, the registries and the person links.

:func:`mpi.audit` standardises the beneficiary table and the reference registries, links the
persons of the payments once per registry (:func:`mpi.auditing.link`) and hands an
:class:`AuditContext` to each rule's ``check`` (:class:`mpi.auditing.Rule`). A rule reads
``context.payments``, ``context.registries[kind]`` and ``context.linked(kind)``; it never
re-links or re-parses anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mpi.errors import ValidationError

__all__ = ["AuditContext", "LINK_COLUMNS", "PAYMENT_COLUMNS", "REGISTRY_COLUMNS", "empty_links"]

#: Columns of :attr:`AuditContext.payments`, in order.
PAYMENT_COLUMNS = (
    "id_number", "name", "programme", "amount", "paid_on", "household_id", "village",
    "account", "id_clean", "id_valid", "person",
)  # fmt: skip

#: Default (standard) columns of each known registry kind, after ``id_number`` and ``name``.
REGISTRY_COLUMNS: dict[str, tuple[str, ...]] = {
    "death": ("id_number", "name", "died_on"),
    "business": ("id_number", "name", "registered_capital"),
    "vehicle": ("id_number", "name", "vehicle_value"),
    "property": ("id_number", "name", "floor_area"),
    "tax": ("id_number", "name", "annual_income"),
    "staff": ("id_number", "name"),
}

#: Columns of :meth:`AuditContext.linked`, in order.
LINK_COLUMNS = ("row", "registry_row", "linked_by", "match_weight", "match_probability")


def empty_links() -> pd.DataFrame:
    """A frame of no links, with the columns and dtypes of :meth:`AuditContext.linked`.

    Returns
    -------
    pandas.DataFrame
        Columns ``row`` (int64), ``registry_row`` (int64), ``linked_by`` (object),
        ``match_weight`` and ``match_probability`` (float64), no rows.
    """
    return pd.DataFrame(
        {
            "row": np.array([], dtype=np.int64),
            "registry_row": np.array([], dtype=np.int64),
            "linked_by": pd.Series([], dtype=object),
            "match_weight": np.array([], dtype=np.float64),
            "match_probability": np.array([], dtype=np.float64),
        }
    )


@dataclass
class AuditContext:
    """The standardised tables of one audit and the links between them.

    Attributes
    ----------
    payments
        The beneficiary table, standardised: positional ``RangeIndex`` (a rule's hit ``row`` is
        a position here), columns ``id_number`` (as given), ``name``, ``programme`` (str),
        ``amount`` (float64), ``paid_on`` (datetime64[ns]), ``household_id``, ``village``,
        ``account`` (object, NA when not given), ``id_clean`` (the normalised 18-character
        number, NA when it cannot be cleaned), ``id_valid`` (bool) and ``person`` (int64: one
        key per person — rows with the same valid number share it, and a row with an invalid
        number linked by record linkage to a valid-number person of the payments takes that
        person's key; any other row has a key of its own).
    registries
        The reference tables by kind, standardised, each with a positional ``RangeIndex``:
        ``death`` (``id_number``, ``name``, ``died_on`` datetime64[ns]), ``business``
        (``registered_capital``), ``vehicle`` (``vehicle_value``), ``property``
        (``floor_area``), ``tax`` (``annual_income``), ``staff`` (``id_number``, ``name``), and
        any other kind (another beneficiary list, with the payments' columns).
    links
        Per registry kind, the payment rows whose person is linked to a record of that
        registry: columns ``row``, ``registry_row``, ``linked_by`` (``"id"`` or
        ``"record linkage"``), ``match_weight`` (log2 Bayes factor; NaN for id links) and
        ``match_probability``. Read it through :meth:`linked`.
    params
        Audit-wide settings (``threshold``: the match probability a record-linkage pair
        needs).
    """

    payments: pd.DataFrame
    registries: dict[str, pd.DataFrame] = field(default_factory=dict)
    links: dict[str, pd.DataFrame] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)

    def linked(self, kind: str) -> pd.DataFrame:
        """The payment rows whose person is linked to a record of registry ``kind``.

        Parameters
        ----------
        kind
            A registry kind of :attr:`registries` (``"death"``, ``"business"``, ...).

        Returns
        -------
        pandas.DataFrame
            A copy, one row per (payment row, registry record) pair: columns ``row``
            (position in :attr:`payments`), ``registry_row`` (position in
            ``registries[kind]``), ``linked_by``, ``match_weight``, ``match_probability``;
            sorted by ``row`` then ``registry_row``. The link is made once per person (the
            distinct persons of the payments) and expanded to every payment of that person.

        Raises
        ------
        ValidationError
            When ``kind`` is not a registry of this audit.
        """
        if kind not in self.registries:
            raise ValidationError(
                f"registry kind {kind!r} is not in this audit; registries given: "
                f"{sorted(self.registries)} — pass registries={{{kind!r}: <table>}} to mpi.audit"
            )
        links = self.links.get(kind)
        if links is None:
            return empty_links()
        return links.loc[:, list(LINK_COLUMNS)].reset_index(drop=True).copy()

    def has(self, kind: str) -> bool:
        """Whether registry ``kind`` was given to this audit.

        Parameters
        ----------
        kind
            A registry kind.

        Returns
        -------
        bool
        """
        return kind in self.registries
