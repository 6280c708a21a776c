r"""The public estimator :func:`composite`: a composite index of every unit of a table.

The arithmetic is :mod:`mpi.composites.engine` (written once); this module reads the table
(:mod:`mpi.composites.inputs`), runs the engine, ranks the units, forms the weighted group
means and assembles the :class:`~mpi.composites.result.CompositeResult`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.labels import text
from mpi._common.table import caller_level
from mpi.composites import engine
from mpi.composites.inputs import UNIT_DIM, CompositeInputs, read_inputs
from mpi.composites.result import GROUP_COUNTS, CompositeResult, frame_column, variable_attrs
from mpi.composites.spec import CompositeSpec
from mpi.errors import MissingDataWarning, ValidationError

__all__ = ["composite", "as_spec", "group_means"]


def as_spec(spec: Any) -> CompositeSpec:
    """``spec`` as a :class:`~mpi.composites.spec.CompositeSpec`.

    Parameters
    ----------
    spec
        A CompositeSpec; a path to a YAML file or YAML text (``kind: composite``); or a
        mapping of the YAML document's keys.

    Returns
    -------
    CompositeSpec

    Raises
    ------
    ValidationError
        For anything else (an AF :class:`~mpi.Spec` included), or an invalid spec.
    """
    if isinstance(spec, CompositeSpec):
        return spec
    if isinstance(spec, str | Path):
        return CompositeSpec.from_yaml(spec)
    if isinstance(spec, Mapping):
        return CompositeSpec.from_dict(spec)
    raise ValidationError(
        f"spec must be a CompositeSpec, a YAML file or text with 'kind: composite', or a "
        f"mapping of its keys; got {type(spec).__name__}. Build one with "
        "mpi.CompositeSpec(...) or load a preset, e.g. mpi.presets.hdi()"
    )


def group_means(
    values: np.ndarray,
    weight: np.ndarray,
    measured: np.ndarray,
    codes: np.ndarray,
    n_groups: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    r"""Weighted means of the columns of ``values`` by group, and overall (last row).

    Parameters
    ----------
    values
        ``(n, k)`` float64 values (NaN: the unit has no value in that column).
    weight
        ``(n,)`` weights (>= 0).
    measured
        ``(n,)`` bool: the units that count (not dropped).
    codes
        ``(n,)`` group codes ``0 .. n_groups - 1`` (-1: no group; in the overall row only).
    n_groups
        Number of groups.

    Returns
    -------
    tuple of numpy.ndarray
        ``means`` ``(n_groups + 1, k)``:
        :math:`\bar y_{g} = \sum_{i \in g} w_i y_i / \sum_{i \in g} w_i` over the measured
        units with a value (NaN where that weight is 0); ``n_units`` and ``n_dropped``
        (int64, measured and not measured units) and ``weight_total`` (the measured units'
        weight), each ``(n_groups + 1,)``.
    """
    k = values.shape[1]
    code = np.where(codes >= 0, codes, n_groups)  # no group: counted in the overall row only
    size = n_groups + 1
    means = np.full((size, k), np.nan)
    w = np.where(measured, weight, 0.0)
    buf = np.empty(values.shape[0])  # one scratch column, reused (no fresh pages per column)
    for j in range(k):
        col = values[:, j]
        has = ~np.isnan(col)
        if has.all():
            wj = w
            np.multiply(w, col, out=buf)
        else:  # a unit without a value in this column weighs 0 in it
            wj = np.where(has, w, 0.0)
            np.multiply(wj, np.where(has, col, 0.0), out=buf)
        if n_groups:
            wy = np.bincount(code, weights=buf, minlength=size)
            ws = np.bincount(code, weights=wj, minlength=size)
            wy[-1], ws[-1] = wy.sum(), ws.sum()
        else:  # the overall row only
            wy, ws = np.array([buf.sum()]), np.array([wj.sum()])
        np.divide(wy, ws, out=means[:, j], where=ws > 0)
    n_units = np.bincount(code, weights=measured, minlength=size).astype(np.int64)
    n_dropped = np.bincount(code, weights=~measured, minlength=size).astype(np.int64)
    total = np.bincount(code, weights=w, minlength=size)
    n_units[-1], n_dropped[-1] = int(measured.sum()), int((~measured).sum())
    total[-1] = w.sum()
    return means, n_units, n_dropped, total


def _groups_frame(
    inputs: CompositeInputs, spec: CompositeSpec, ev: engine.Evaluation
) -> pd.DataFrame:
    """The weighted group means (:meth:`CompositeResult.groups`), overall row last."""
    dims = [frame_column(d) for d in spec.dimension_names]
    cols = ["index", *dims, *(f"score_{i}" for i in spec.indicator_names)]
    values = np.empty((len(ev.index), 1 + ev.dimension.shape[1] + ev.scores.shape[1]), order="F")
    values[:, 0] = ev.index
    values[:, 1 : 1 + ev.dimension.shape[1]] = ev.dimension
    values[:, 1 + ev.dimension.shape[1] :] = ev.scores
    n_groups = 0 if inputs.groups is None else len(inputs.groups)
    means, n_units, n_dropped, total = group_means(
        values, inputs.weight, ~ev.dropped, inputs.codes, n_groups
    )
    overall = text("composite.overall", "en")
    if inputs.groups is None:
        index: pd.Index = pd.Index([overall])
    elif isinstance(inputs.groups, pd.MultiIndex):
        row = (overall, *([""] * (inputs.groups.nlevels - 1)))
        index = pd.MultiIndex.from_tuples([*inputs.groups, row], names=inputs.groups.names)
    else:
        index = pd.Index([*inputs.groups, overall], name=inputs.groups.name, dtype=object)
    frame = pd.DataFrame(means, columns=cols, index=index)
    for name, arr in zip(GROUP_COUNTS, (n_units, n_dropped, total), strict=True):
        frame[name] = arr
    return frame


def _dataset(
    inputs: CompositeInputs,
    spec: CompositeSpec,
    plan: engine.Plan,
    ev: engine.Evaluation,
    rank: np.ndarray,
    weight: str | None,
) -> xr.Dataset:
    index = ev.index
    contribution = (
        ev.contribution if ev.contribution is not None else np.full(ev.scores.shape, np.nan)
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.full(contribution.shape, np.nan, order="F")
        np.divide(contribution, index[:, None], out=share, where=index[:, None] != 0)
    unit, ind, dim = UNIT_DIM, "indicator", "dimension"
    data = {
        "index": ((unit,), index),
        "rank": ((unit,), rank),
        "dropped": ((unit,), ev.dropped.copy()),
        "dimension_score": ((unit, dim), ev.dimension),
        "indicator_score": ((unit, ind), ev.scores),
        "contribution": ((unit, ind), contribution),
        "share": ((unit, ind), share),
    }
    if weight is not None:
        data["weight"] = ((unit,), inputs.weight)
    ids = inputs.ids
    if isinstance(ids, pd.MultiIndex):
        coords: Any = xr.Coordinates.from_pandas_multiindex(ids, unit)
        coords = coords.assign({dim: list(spec.dimension_names), ind: list(spec.indicator_names)})
    else:
        coords = {
            unit: np.asarray(ids),
            dim: list(spec.dimension_names),
            ind: list(spec.indicator_names),
        }
    # the arrays are this call's own (fresh from the engine): no copy
    ds = xr.Dataset({k: (dims, v) for k, (dims, v) in data.items()}, coords=coords)
    for name in ds.data_vars:
        ds[name].attrs.update(variable_attrs(str(name)))
    ds["index"].attrs["long_name"] = spec.title or ds["index"].attrs["long_name"]
    ds.attrs.update(_attributes(inputs, spec, plan, ev, weight))
    return ds


def _attributes(
    inputs: CompositeInputs,
    spec: CompositeSpec,
    plan: engine.Plan,
    ev: engine.Evaluation,
    weight: str | None,
) -> dict[str, Any]:
    m = len(spec.indicators)
    attrs: dict[str, Any] = {
        "spec": spec.name,
        "title": spec.title,
        "source": spec.source,
        "references": "; ".join(spec.references),
        "normalisation": spec.normalisation,
        "mean": spec.mean,
        "dimension_means": ", ".join(d.mean for d in spec.dimensions),
        "floor": "none" if spec.floor is None else float(spec.floor),
        "scale": float(spec.scale),
        "missing": spec.missing,
        "clip": "true" if spec.clip else "false",
        "weight": weight or "",
        "by": ", ".join(inputs.by),
        "unit_id": "" if inputs.ids.name is None else str(inputs.ids.name),
        "n_input": inputs.n_input,
        "n_units": len(inputs.ids),
        "n_ranked": int((~ev.dropped).sum()),
        "n_dropped": int(ev.dropped.sum()),
        "n_missing_weight": inputs.n_missing_weight,
        "n_missing_group": inputs.n_missing_group,
    }
    for j, name in enumerate(spec.indicator_names):
        attrs[f"n_capped_{name}"] = int(plan.n_capped[j])
        attrs[f"n_imputed_{name}"] = int(plan.n_imputed[j])
        attrs[f"n_below_{name}"] = int(ev.n_below[j])
        attrs[f"n_above_{name}"] = int(ev.n_above[j])
        attrs[f"n_floored_{name}"] = int(ev.n_floored[j])
    for g, name in enumerate(spec.dimension_names):
        attrs[f"n_floored_dimension_{name}"] = int(ev.n_floored[m + g])
    attrs["n_floored"] = int(ev.n_floored.sum())
    attrs["history"] = "mpi.composite"
    return attrs


def _warn(inputs: CompositeInputs, spec: CompositeSpec, dropped: np.ndarray) -> None:
    n_rule, n_weight = int(dropped.sum()), inputs.n_missing_weight
    if not (n_rule or n_weight):
        return
    parts = []
    if n_rule:
        parts.append(
            f"{n_rule} dropped by the missing-value rule missing={spec.missing!r} (a missing "
            "indicator value; in the result with dropped=True and no index)"
        )
    if n_weight:
        parts.append(f"{n_weight} with a missing weight {inputs.weight_name!r} left out")
    advice = (
        ". Use missing='reweight' or 'impute' in the spec to keep units with missing indicator "
        "values"
        if n_rule and spec.missing == "drop"
        else ""
    )
    warnings.warn(
        f"mpi.composite: {n_rule + n_weight} of {inputs.n_input} units without an index: "
        f"{'; '.join(parts)}{advice}",
        MissingDataWarning,
        stacklevel=caller_level(),
    )


def composite(
    table: pd.DataFrame | xr.Dataset,
    spec: CompositeSpec | str | Path | Mapping[str, Any],
    weight: str | None = None,
    by: str | list[str] | None = None,
    id: str | None = None,
) -> CompositeResult:
    r"""A composite index of every unit of a table (HDI-style, OECD/JRC Handbook).

    Each indicator value :math:`x` is capped (``cap``), transformed (:math:`t = T(x)`, the
    identity or :math:`\log`), normalised to a score :math:`s`, averaged within its
    dimension, and the dimension scores are averaged into the index, all with the spec's
    weights and means (the formulas live in :mod:`mpi.composites.engine`).

    Parameters
    ----------
    table : pandas.DataFrame or xarray.Dataset
        One row per unit (area or household), with a column per indicator of the spec; a
        Dataset must have exactly one dimension. Not modified.
    spec : CompositeSpec, str, pathlib.Path or mapping
        The index (:class:`~mpi.composites.spec.CompositeSpec`), a YAML file or text with
        ``kind: composite``, or the YAML document as a mapping.
    weight : str, optional
        Column of population weights for the group means (finite, >= 0); a unit with a
        missing weight is left out and counted. Default: each unit counts 1.
    by : str or list of str, optional
        Column(s) of the groups (counties -> provinces); several give their
        cross-classification (the combinations that occur). A unit with a missing value is
        in no group (counted) but in the overall mean. With ``missing: impute`` the groups
        are also those whose mean replaces a missing value.
    id : str, optional
        Column of unique unit ids; default: the DataFrame's index or the Dataset
        dimension's coordinate.

    Returns
    -------
    CompositeResult
        ``index``, ``rank``, dimension and indicator scores, contributions and shares per
        unit (``to_frame()``, ``to_dataset()``), the group means (``groups()``,
        ``by_group()``), ``summary()`` and ``plan`` (for the uncertainty analysis).

    Raises
    ------
    ValidationError
        For a bad spec, table, weight, ``by`` or ``id`` (see
        :func:`mpi.composites.inputs.read_inputs`).

    Warns
    -----
    MissingDataWarning
        When units are dropped (a missing indicator value under ``missing: drop``, a
        dimension with no value under ``reweight``) or left out (a missing weight).

    Notes
    -----
    *Normalisation* of :math:`t` with direction :math:`d = \pm 1` and goalposts
    :math:`(L, U)` in transformed units: ``goalposts`` :math:`s = (t - L)/(U - L)` (or
    :math:`(U - t)/(U - L)` for :math:`d = -1`), clipped to [0, 1] when ``clip`` (values
    beyond a goalpost counted); ``minmax`` the same with the observed minimum and maximum;
    ``zscore`` :math:`s = d (t - \bar t)/\mathrm{sd}(t)`; ``rank`` the percentile rank
    :math:`(r - 1)/(n - 1)` of :math:`d t` (average ranks for ties); ``frontier``
    :math:`t / \max t` (or :math:`\min t / t`).

    *Means* of scores :math:`s_j` with weights :math:`v_j` summing to 1 and floor :math:`f`:
    arithmetic :math:`\sum_j v_j s_j`, geometric :math:`\exp \sum_j v_j \log \max(s_j, f)`,
    harmonic :math:`(\sum_j v_j / \max(s_j, f))^{-1}`. The dimension score
    :math:`D_g` is the dimension's mean of its indicator scores; the index is
    :math:`Y = \mathrm{scale} \cdot M(D_1, \dots, D_G)`. The UNDP HDI (2020 method) is the
    geometric mean of three dimension indices with fixed goalposts, income in logs.

    *Missing values*: ``drop`` (a unit with a missing indicator has no index),
    ``reweight`` (the indicator weights of a dimension are renormalised over the
    indicators present), ``impute`` (the mean of the unit's ``by`` group, else the overall
    mean; counted).

    *Contributions* (Euler): the means are homogeneous of degree 1, so the elasticities
    :math:`e_j = v_j s_j / M` (arithmetic), :math:`v_j` (geometric), :math:`v_j M / s_j`
    (harmonic) sum to 1 at each level, and indicator :math:`j` of dimension :math:`g`
    contributes :math:`c_j = Y e_g e_{j|g}`, with :math:`\sum_j c_j = Y`; ``share`` is
    :math:`c_j / Y`.

    *Ranks*: 1 for the highest index among the units not dropped; ties share the lowest
    rank ("min": 1, 2, 2, 4).

    *Group means*: :math:`\bar Y_g = \sum_{i \in g} w_i Y_i / \sum_{i \in g} w_i` over the
    units not dropped, likewise for the dimension and indicator scores, plus the overall
    row. The units are taken as the population (areas), not a sample: there are no
    standard errors; rank uncertainty over the method's choices is the uncertainty analysis.

    References
    ----------
    OECD and JRC (2008). *Handbook on Constructing Composite Indicators: Methodology and User
    Guide*. OECD Publishing, Paris.

    UNDP (2020). *Human Development Report 2020: Technical notes*. United Nations
    Development Programme, New York.

    Becker, W., Caperna, G., Del Sorbo, M., Norlén, H., Papadimitriou, E. and Saisana, M.
    (2022). COINr: an R package for developing composite indicators. *Journal of Open
    Source Software* 7(78), 4567.

    UNDP China and Baidu (2016). *The Living Standards Dimension of the Human Development
    Index: Measuring Poverty with Big Data in China*. UNDP China, Beijing.

    Examples
    --------
    >>> import pandas as pd
    >>> from mpi.composites.spec import CompositeIndicator, CompositeSpec, Dimension
    >>> spec = CompositeSpec(
    ...     "demo",
    ...     [CompositeIndicator("water", "living", goalposts=(0, 1)),
    ...      CompositeIndicator("school", "education", goalposts=(0, 15))],
    ...     [Dimension("living", "1/2"), Dimension("education", "1/2")],
    ...     mean="geometric",
    ... )
    >>> table = pd.DataFrame({"water": [0.81, 0.36], "school": [15.0, 7.5]}, index=["a", "b"])
    >>> composite(table, spec).to_frame()["index"].round(6).tolist()
    [0.9, 0.424264]
    """
    spec = as_spec(spec)
    inputs = read_inputs(table, spec, weight=weight, by=by, id=id)
    groups = inputs.codes if spec.missing == "impute" else None
    plan = engine.plan(inputs.values, spec, groups=groups)
    ev = engine.evaluate(plan)
    rank = engine.ranks(ev.index)
    _warn(inputs, spec, ev.dropped)
    ds = _dataset(inputs, spec, plan, ev, rank, weight)
    return CompositeResult(
        ds,
        ids=inputs.ids.copy(),
        groups=_groups_frame(inputs, spec, ev),
        by=inputs.by,
        plan=plan,
        spec=spec,
    )
