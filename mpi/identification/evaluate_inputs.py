"""Inputs of :func:`mpi.identification.evaluate.evaluate_targeting`: 0/1 flags, weights, groups
and the weighted confusion totals per group (and per PSU or replicate with a design).

The four totals are the weighted sums of the units in each cell of the listed x poor table:
``listed_poor``, ``listed_nonpoor``, ``unlisted_poor`` and ``unlisted_nonpoor``. With a
:class:`~mpi.Design` they are also summed per PSU (the influence totals of a total; domains
are never formed by subsetting the design), with a bootstrap design mapped through the Rao-Wu
factors, and with a :class:`~mpi.ReplicateDesign` recomputed with every replicate weight.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.table import Table, as_float, encode_groups, encode_weight, is_numeric
from mpi.errors import ValidationError
from mpi.survey.bootstrap import rao_wu_factors
from mpi.survey.design import BootstrapDesign, Design, ReplicateDesign, encode_design
from mpi.survey.estimate import Estimate, LinearizedEngine, ReplicateEngine

__all__ = [
    "CELLS", "Flags", "Totals", "by_names", "design_weight", "read_flag", "read_weight",
    "confusion_totals",
]  # fmt: skip

#: The cells of the listed x poor table, in the order of the totals.
CELLS = ("listed_poor", "listed_nonpoor", "unlisted_poor", "unlisted_nonpoor")


def by_names(by: Any) -> list[str]:
    """The ``by`` argument as a list of distinct variable names.

    Parameters
    ----------
    by
        None, a name, or a list of names.

    Returns
    -------
    list of str

    Raises
    ------
    ValidationError
        For something that is not a name or a list of names, or a name given twice.
    """
    if by is None:
        return []
    names = [by] if isinstance(by, str) or not isinstance(by, Sequence) else list(by)
    for b in names:
        if not isinstance(b, Hashable) or isinstance(b, list | tuple):
            raise ValidationError(
                f"by must be a variable name or a list of names; got {by!r}. "
                "E.g. by='region' or by=['region', 'year']"
            )
    if len(set(names)) != len(names):
        raise ValidationError(f"by names a variable twice: {names!r}; give each once")
    return names


def design_weight(weight: Any, design: Any) -> Any:
    """The weight column: ``weight``, or the design's.

    Parameters
    ----------
    weight
        The ``weight`` argument.
    design
        None, an :class:`~mpi.Design`, a bootstrap design or an :class:`~mpi.ReplicateDesign`.

    Returns
    -------
    Hashable or None

    Raises
    ------
    ValidationError
        For a ``design`` of another type, or a ``weight`` that differs from the design's.
    """
    if design is None:
        return weight
    if not isinstance(design, Design | BootstrapDesign | ReplicateDesign):
        raise ValidationError(
            "design must be an mpi.Design, a Design.bootstrap(...) or an mpi.ReplicateDesign; "
            f"got {type(design).__name__}"
        )
    if weight is not None and weight != design.weight:
        raise ValidationError(
            f"weight={weight!r} differs from the design's weight {design.weight!r}; give the "
            "weight only in the design"
        )
    return design.weight


def read_flag(table: Table, name: Hashable, role: str) -> tuple[np.ndarray, np.ndarray]:
    """A 0/1 column as ``(value, missing)`` boolean arrays.

    Parameters
    ----------
    table
        The data.
    name
        The column.
    role
        The argument that named it (``"listed"``, ``"poor"``), for messages.

    Returns
    -------
    tuple of numpy.ndarray
        ``value`` (True where 1; False where missing) and ``missing``.

    Raises
    ------
    ValidationError
        When a non-missing value is neither 0 nor 1 (nor True/False).
    """
    if not isinstance(name, Hashable) or isinstance(name, list | tuple):
        raise ValidationError(f"{role} must be the name of one 0/1 column; got {name!r}")
    s = table.column(name, role=role)
    if pd.api.types.is_bool_dtype(s.dtype):
        missing = s.isna().to_numpy(dtype=bool)
        return s.fillna(False).to_numpy(dtype=bool), missing
    if is_numeric(s):
        x = as_float(s)
        missing = np.isnan(x)
        bad = ~missing & (x != 0) & (x != 1)
        values = pd.Series(x[bad])
    else:
        obj = s.astype(object)
        missing = obj.isna().to_numpy(dtype=bool)

        def ok(v: Any) -> bool:
            number = isinstance(v, bool | int | float | np.bool_ | np.integer | np.floating)
            return number and v in (0, 1)

        good = obj.map(ok).to_numpy(dtype=bool)
        bad = ~missing & ~good
        values = obj[bad]
        x = np.where(good, obj.where(good, 0).to_numpy(dtype=object), 0).astype(np.float64)
    if bad.any():
        shown = sorted({repr(v) for v in values.tolist()})[:5]
        raise ValidationError(
            f"{role} column {name!r} must hold 0/1 flags (bool, or the numbers 0 and 1; "
            f"missing values allowed); {int(bad.sum())} value(s) are neither, e.g. "
            f"{', '.join(shown)}. Recode it first, e.g. data[{name!r}] == <the value that "
            f"means {role}>"
        )
    return np.where(missing, False, x == 1), missing


def read_weight(table: Table, weight: Hashable | None) -> tuple[np.ndarray, np.ndarray]:
    """Sampling weights as ``(float64 weights with 0 where missing, missing)``.

    Parameters
    ----------
    table
        The data.
    weight
        The weight column, or None for weights of 1.

    Returns
    -------
    tuple of numpy.ndarray

    Raises
    ------
    ValidationError
        For a negative or infinite weight.
    """
    if weight is None:
        return np.ones(table.n), np.zeros(table.n, bool)
    w = encode_weight(table.column(weight, role="weight"), weight)
    missing = np.isnan(w)
    bad = ~missing & ((w < 0) | ~np.isfinite(w))
    if bad.any():
        shown = sorted({float(v) for v in w[bad]})[:5]
        raise ValidationError(
            f"weight column {weight!r} has {int(bad.sum())} negative or infinite value(s) "
            f"(e.g. {shown}); sampling weights must be finite and >= 0. Fix or drop those rows"
        )
    return np.where(missing, 0.0, w), missing


@dataclass
class Flags:
    """The units' cells (0-3 in :data:`CELLS` order; -1: dropped) and group codes."""

    cell: np.ndarray
    weight: np.ndarray
    group: np.ndarray  # cell of the by table per unit (-1: a missing group)
    n_groups: int
    group_shape: tuple[int, ...]
    by: list[str]
    labels: list[np.ndarray]


def group_codes(table: Table, by: Sequence[str]) -> tuple[np.ndarray, tuple, list]:
    """Row-major group cell of every unit over the known labels (-1 when any ``by`` value
    is missing), the table's shape and its labels (labels no unit carries removed).

    Parameters
    ----------
    table
        The data.
    by
        Group variables.

    Returns
    -------
    tuple
        ``(codes, shape, labels)``.
    """
    if not by:
        return np.zeros(table.n, np.int64), (), []
    g = encode_groups(table, list(by))
    ext = np.unravel_index(np.asarray(g.codes, np.int64) - g.offset, g.ext_shape)
    positions, labels = [], []
    for pos, lab in zip(ext, g.labels, strict=True):
        pos = np.asarray(pos, np.int64)
        known = pos < len(lab)
        used = np.bincount(pos[known], minlength=len(lab)) > 0
        renum = np.cumsum(used) - 1
        positions.append(np.where(known, renum[np.minimum(pos, len(lab) - 1)], -1))
        labels.append(np.asarray(lab)[used])
    shape = tuple(len(lab) for lab in labels)
    missing = np.zeros(table.n, bool)
    for p in positions:
        missing |= p < 0
    codes = np.ravel_multi_index(tuple(np.maximum(p, 0) for p in positions), shape) if shape else 0
    return np.where(missing, -1, codes).astype(np.int64), shape, labels


@dataclass
class Totals:
    """Weighted totals of the four cells (each of the groups' shape), as arrays or, with a
    design, as :class:`~mpi.survey.estimate.Estimate` objects."""

    point: dict[str, np.ndarray]
    estimates: dict[str, Estimate] | None
    df: int | None
    #: the variance method as a catalogue key ``targeting.design.*`` and its fields
    design_label: tuple[str, dict] | None


def _sums(flags: Flags, weight: np.ndarray, lead: np.ndarray | None, n_lead: int) -> np.ndarray:
    """Weighted sums per (lead, group, cell) as ``(n_lead, n_groups, 4)``."""
    keep = flags.cell >= 0
    idx = flags.group[keep] * 4 + flags.cell[keep]
    size = flags.n_groups * 4
    if lead is not None:
        idx = lead[keep] * size + idx
    out = np.bincount(idx, weights=weight[keep], minlength=n_lead * size)
    return out.reshape(n_lead, flags.n_groups, 4)


def confusion_totals(table: Table, flags: Flags, design: Any) -> Totals:
    """The four weighted totals per group, with their PSU totals or replicates.

    Parameters
    ----------
    table
        The data (the design's variables are read from it).
    flags
        The units' cells, weights and groups.
    design
        None, a :class:`~mpi.Design`, a bootstrap design or a :class:`~mpi.ReplicateDesign`.

    Returns
    -------
    Totals
    """
    dims = tuple(flags.by)
    coords = {b: xr.IndexVariable(b, lab) for b, lab in zip(flags.by, flags.labels, strict=True)}
    point_all = _sums(flags, flags.weight, None, 1)[0]

    def shaped(arr: np.ndarray) -> np.ndarray:  # (..., n_groups) -> (..., *group_shape)
        return arr.reshape(arr.shape[:-1] + flags.group_shape)

    point = {name: shaped(point_all[:, j]) for j, name in enumerate(CELLS)}
    if design is None:
        return Totals(point, None, None, None)
    if isinstance(design, ReplicateDesign):
        reps = []
        for name in design.replicate_weights:
            w = encode_weight(table.column(name, role="replicate weight"), name)
            if np.isnan(w[flags.cell >= 0]).any():
                raise ValidationError(
                    f"replicate weight {name!r} has missing values; replicate weights must be "
                    "complete (use 0 for units out of a replicate)"
                )
            reps.append(_sums(flags, np.nan_to_num(w), None, 1)[0])
        pert_all = np.stack(reps)
        scale, rscales = design.multipliers()
        engine: Any = ReplicateEngine(
            scale, rscales, design.mse, len(reps) - 1,
            f"{design.type} replicate weights ({len(reps)})",
        )  # fmt: skip
        df = len(reps) - 1
        label = ("targeting.design.replicate", {"type": design.type, "n": len(reps)})
    else:
        base = design.design if isinstance(design, BootstrapDesign) else design
        assert isinstance(base, Design)
        enc = encode_design(table, base)
        psu_all = _sums(flags, flags.weight, enc.psu, enc.n_psu)
        df = enc.df
        if isinstance(design, BootstrapDesign):
            factors = rao_wu_factors(
                enc.n_h, enc.starts, enc.fpc_factor, design.replicates, design.seed,
                n_psu=enc.n_psu, progress=design.progress,
            )  # fmt: skip
            pert_all = (factors @ psu_all.reshape(enc.n_psu, -1)).reshape(
                (design.replicates, *psu_all.shape[1:])
            )
            label = ("targeting.design.bootstrap", {"n": design.replicates, "seed": design.seed})
            engine = ReplicateEngine(1.0 / (design.replicates - 1), np.ones(design.replicates),
                                     design.mse, df, label)  # fmt: skip
        else:
            pert_all, engine = psu_all, LinearizedEngine(enc)
            label = ("targeting.design.linearized", {"psu": enc.n_psu, "strata": enc.n_strata})
    estimates = {
        name: Estimate(
            point[name],
            np.ascontiguousarray(shaped(pert_all[:, :, j])),
            engine,
            dims=dims,
            coords=coords,
        )
        for j, name in enumerate(CELLS)
    }
    return Totals(point, estimates, df, label)
