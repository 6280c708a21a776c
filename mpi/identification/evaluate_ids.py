"""A list of beneficiaries given as unit ids (``mpi.targeting(data, listed=[...], id=...)``).

A benefit roll or a village list often comes as the ids of the listed units rather than as a
0/1 column of the survey data. :func:`listed_from_ids` matches such a list with the data's
unit ids (a column, the DataFrame's index or the Dataset's unit coordinate) and returns the
0/1 flags of the units, after checking that the match is one to one.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.table import Table
from mpi.errors import ValidationError

__all__ = ["is_id_list", "listed_from_ids", "ID_LISTS"]

#: The containers that :func:`mpi.targeting` reads as a list of unit ids (anything else given
#: as ``listed`` is the name of a 0/1 column).
ID_LISTS = (list, tuple, set, frozenset, np.ndarray, pd.Index, pd.Series, xr.DataArray)


def is_id_list(listed: Any) -> bool:
    """Whether ``listed`` is a list of unit ids rather than the name of a 0/1 column.

    Parameters
    ----------
    listed
        The ``listed`` argument of :func:`mpi.targeting`.

    Returns
    -------
    bool
        True for a list, tuple, set, numpy array, pandas Index or Series or xarray
        DataArray (:data:`ID_LISTS`).
    """
    return isinstance(listed, ID_LISTS)


def _shown(values: Any, limit: int = 5) -> str:
    values = list(values)
    more = f", … ({len(values) - limit} more)" if len(values) > limit else ""
    return (
        ", ".join(repr(v.item() if isinstance(v, np.generic) else v) for v in values[:limit]) + more
    )


def _list_index(ids: Any) -> pd.Index:
    """The listed ids as a flat pandas Index (values of a Series or DataArray)."""
    if isinstance(ids, set | frozenset):
        ids = sorted(ids, key=repr)  # a set has no order: a stable one for messages
    if isinstance(ids, pd.Series | xr.DataArray):
        ids = ids.values
    if np.ndim(ids) != 1 and not isinstance(ids, list | tuple):
        raise ValidationError(
            f"listed, a list of unit ids, must be one-dimensional; got shape {np.shape(ids)}. "
            "Pass one id per listed unit (e.g. roll['hh_id'])"
        )
    index = pd.Index(list(ids) if isinstance(ids, list | tuple) else ids)
    if isinstance(index, pd.MultiIndex):
        raise ValidationError(
            "listed holds tuples (or is a pandas MultiIndex); give the ids of one key (e.g. "
            "roll['hh_id']) and name the data's id column with id='...'"
        )
    return index


def _data_ids(table: Table, id: Hashable | None) -> tuple[pd.Index, str]:
    """The data's unit ids and what they are (for messages)."""
    if id is not None:
        if not isinstance(id, Hashable) or isinstance(id, list | tuple):
            raise ValidationError(f"id must be the name of one id column; got {id!r}")
        return pd.Index(table.column(id, role="id").to_numpy()), f"id column {id!r}"
    if table.kind == "pandas":
        index = table.data.index
        if isinstance(index, pd.MultiIndex):
            raise ValidationError(
                "id=None reads the unit ids from the DataFrame's index, which is a MultiIndex "
                f"({list(index.names)}); give the id column with id='...' (e.g. after "
                "data.reset_index())"
            )
        return pd.Index(index), "the DataFrame's index"
    dim = table.unit_dim
    if dim not in table.data.coords:
        raise ValidationError(
            f"id=None reads the unit ids from the coordinate of the unit dimension {dim!r}, "
            "and the Dataset has none; give the id variable with id='...' or assign the "
            f"coordinate (data.assign_coords({dim}=...))"
        )
    return pd.Index(table.data[dim].values), f"the unit coordinate {dim!r}"


def listed_from_ids(table: Table, ids: Any, id: Hashable | None) -> tuple[np.ndarray, str]:
    """The 0/1 flags of the units whose id is in ``ids``.

    Parameters
    ----------
    table
        The data.
    ids
        The listed units' ids (:func:`is_id_list`).
    id
        The data's id column, or None for the DataFrame's index or the Dataset's unit
        coordinate.

    Returns
    -------
    tuple
        ``(listed, description)``: a boolean array (True for the units in the list) and
        ``"list of 1,234 ids"``.

    Raises
    ------
    ValidationError
        When the list holds ids that are not in the data or holds an id twice, or when the
        data's ids are missing or not unique.
    """
    wanted = _list_index(ids)
    have, where = _data_ids(table, id)
    if have.hasnans:
        n = int(have.isna().sum())
        raise ValidationError(
            f"{where} has {n} missing value(s); every unit needs an id to be matched with "
            "the list given as listed. Fill the ids or drop those units"
        )
    if have.has_duplicates:
        dup = have[have.duplicated()].unique()
        raise ValidationError(
            f"{where} holds {len(dup)} id(s) more than once (e.g. {_shown(dup)}), so the list "
            "given as listed cannot be matched unit by unit. Use a unique unit id (for a "
            "panel, evaluate one wave at a time or build a unit-wave id)"
        )
    if wanted.has_duplicates:
        dup = wanted[wanted.duplicated()].unique()
        raise ValidationError(
            f"listed, a list of {len(wanted):,} ids, names {len(dup)} id(s) more than once "
            f"(e.g. {_shown(dup)}). Deduplicate the list (e.g. set(ids)) or audit the roll "
            "for units registered twice"
        )
    pos = have.get_indexer(wanted)
    absent = pos < 0
    if absent.any():
        hint = ""
        if len(wanted) and absent.all() and wanted.inferred_type != have.inferred_type:
            hint = (
                f" (the list holds {wanted.inferred_type} values, {where} "
                f"{have.inferred_type} values)"
            )
        raise ValidationError(
            f"{int(absent.sum()):,} listed {'ids are' if absent.sum() > 1 else 'id is'} not "
            "in the data, e.g. "
            f"{_shown(wanted[absent])}{hint}: check the id column or the list (ids are "
            f"matched with {where})"
        )
    flags = np.zeros(table.n, dtype=bool)
    flags[pos] = True
    return flags, f"list of {len(wanted):,} ids"
