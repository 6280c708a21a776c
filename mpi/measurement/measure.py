"""``mpi.measure``: Alkire-Foster measures in one exact, fused pass.

The arguments are validated and encoded by :func:`mpi.measurement.prepare.prepare_inputs`
(the kernel driver), panels are flattened by :mod:`mpi.measurement.panel_measure`, dask-backed
Datasets are measured block by block (:mod:`mpi.measurement.measure_chunked`), design-based
inference is :mod:`mpi.measurement.design_pass` (kernel passes by PSU or replicate) and
:mod:`mpi.measurement.estimands` (the estimands on the Estimate algebra).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Hashable, Sequence
from fractions import Fraction
from typing import Any, Literal

import xarray as xr

from mpi._common.chunked import is_lazy
from mpi._common.exact import fraction_text
from mpi._common.table import Groups
from mpi._version import __version__
from mpi.errors import ValidationError
from mpi.measurement.design_pass import check_design_type, run_design
from mpi.measurement.measure_chunked import measure_blocks, measure_panel_blocks
from mpi.measurement.panel_measure import ROW_DIM, flatten_panel, is_panel, warn_excluded
from mpi.measurement.prepare import prepare_inputs
from mpi.measurement.result import MeasureResult
from mpi.measurement.spec import Spec
from mpi.survey.design import BootstrapDesign, Design, ReplicateDesign

__all__ = ["measure", "compute_statistics"]

#: The encoding step (moved to :mod:`mpi.measurement.prepare`; the name kept for callers).
_prepare = prepare_inputs


def compute_statistics(
    data: Any,
    spec: Spec,
    *,
    weight: str | None = None,
    by: str | Sequence[str] | None = None,
    k: Any = None,
    missing: Literal["drop", "reweight", "raise"] = "drop",
    use_patterns: bool | int | None = None,
) -> tuple[xr.Dataset, xr.Dataset | None, Groups | None, list[Fraction], bool]:
    """Run the kernel and return the additive statistics (see :mod:`mpi.kernels.af`).

    Returns ``(stats, missing_group_stats, groups, ks, k_dim)`` where ``stats`` has the
    group dimensions (if any), ``k`` and ``indicator``. ``use_patterns`` forces the kernel's
    accumulation mode (``None``: by :func:`mpi.measurement.prepare.patterns_pay`;
    ``True``/``False`` or a mode of :mod:`mpi.kernels.af`: ``UNITS``, ``PATTERNS``,
    ``DIRECT``); all give the same statistics.
    """
    prep = prepare_inputs(
        data, spec, weight=weight, by=by, k=k, missing=missing, use_patterns=use_patterns
    )
    stats, missing_group, _ = prep.finish(prep.run_groups(), stacklevel=4)
    return stats, missing_group, prep.groups, prep.ks, prep.k_dim


def measure(
    data: Any,
    spec: Spec,
    *,
    weight: str | None = None,
    by: str | Sequence[str] | None = None,
    k: Any = None,
    missing: Literal["drop", "reweight", "raise"] = "drop",
    design: Design | BootstrapDesign | ReplicateDesign | None = None,
    time: Hashable = "time",
    unit: Hashable = "unit",
    balance: Literal["balanced", "observed"] = "balanced",
) -> MeasureResult:
    """Alkire-Foster multidimensional poverty measures.

    One fused pass over the units computes, for every group and every ``k``, the
    headcount ratio H, intensity A, adjusted headcount ratio M0, M1, M2, the vulnerable and
    severe shares, inequality among the poor, and uncensored and censored headcount ratios
    with percentage contributions by indicator and by dimension.

    Parameters
    ----------
    data : pandas.DataFrame or xarray.Dataset
        One row (or one element along a single unit dimension) per unit, with a column for
        every indicator's ``variable``; or a *panel*: a Dataset with dims ``unit`` and
        ``time`` (indicators over both, weight and groups over ``unit``), measured wave by
        wave in one kernel pass, the result gaining the ``time`` dimension. Never modified.
        A dask-backed Dataset (e.g. ``xr.open_zarr(path)``, chunked along the units) is
        measured block by block of units with the active dask scheduler, never loaded
        whole; the result equals the in-memory one (groups, cutoffs, missing rules and
        designs included). A dask-backed panel is measured the same way (each block of
        units flattened into its unit-waves in memory; designs are not supported for
        panels).
    spec : mpi.Spec
        Indicators, deprivation cutoffs, nested weights and the poverty cutoff.
    weight : str, optional
        Name of the sampling-weight variable (non-negative). For person-level measures from
        household data use household weight times household size.
    by : str or list of str, optional
        Grouping variable(s). A list gives the cross-classification; use
        :meth:`MeasureResult.marginal` for one variable's own table and
        :attr:`MeasureResult.overall` for the whole population. The result has one
        dimension per variable, unless the full cross table would be large and mostly
        empty (over 65,536 cells and over 4 per combination that occurs): then only the
        occurring combinations are groups, along one ``cell`` dimension labelled by a
        MultiIndex of the variables (as pandas ``groupby``; :attr:`MeasureResult.sparse`).
        Units with a missing value in a ``by`` variable are left out of that variable's
        groups but kept in the overall figures (and in the other variables' margins); they
        are counted (``n_missing_group``, ``n_missing_group_by``) and reported with a
        :class:`~mpi.MissingDataWarning`. A group whose units have no measurable weight
        (zero weights, or all dropped) has NaN measures, is flagged in ``empty`` and named
        in a warning.
    k : float, str, Fraction or sequence, optional
        Poverty cutoff(s) overriding ``spec.k``. A sequence adds a ``k`` dimension and is
        computed in the same pass.
    missing : {"drop", "reweight", "raise"}
        ``"drop"``: listwise deletion; every dropped unit is counted (``n_dropped``) and a
        :class:`~mpi.MissingDataWarning` names the variables. ``"reweight"``: the OPHI
        rule; a unit's missing indicator's weight is re-spread over the observed indicators
        of the same dimension; a unit missing a whole dimension is dropped and counted.
        ``"raise"``: a :class:`~mpi.DataError` on any missing value.
    design : mpi.Design, Design.bootstrap(...) or mpi.ReplicateDesign, optional
        The survey design, for design-based standard errors of every estimate
        (:attr:`MeasureResult.se`, :meth:`~MeasureResult.ci`, :meth:`~MeasureResult.vcov`).
        Its weight is the sampling weight (do not pass ``weight`` as well). Groups are
        estimated as domains of the whole design, never by subsetting it.
    time, unit : str
        Panels only: names of the wave and unit dimensions.
    balance : {"balanced", "observed"}
        Panels only. ``"balanced"`` (default): the units with a measurable state (no value
        missing under ``missing``) in every wave, so that changes between waves compare the
        same population; the others are excluded and counted (``n_excluded`` in the
        result's attributes, with a :class:`~mpi.MissingDataWarning`). ``"observed"``: each
        wave measures every unit observed in it (repeated cross-sections of an unbalanced
        panel; units missing in a wave are counted in that wave's ``n_dropped``).

    Returns
    -------
    MeasureResult
        ``.to_dataset()`` gives the measures as an :class:`xarray.Dataset`.

    Raises
    ------
    DataError
        Among others, when the sampling weights sum to 0 over the units measured (nothing
        can be estimated).

    Notes
    -----
    With deprivation :math:`g_{ij}\\in\\{0,1\\}`, nested weights :math:`w_j`
    (:math:`\\sum_j w_j = 1`) and score :math:`c_i = \\sum_j w_j g_{ij}`, unit *i* is poor
    when :math:`c_i \\ge k` (Alkire and Foster 2011). Identification is exact: weights and
    *k* are rational numbers over a common denominator, so a score of exactly *k* is poor
    whatever the floating-point rounding of the weights. With sampling weights
    :math:`s_i`,

    .. math::

        H = \\frac{\\sum_i s_i p_i}{\\sum_i s_i}, \\quad
        M_0 = \\frac{\\sum_i s_i c_i p_i}{\\sum_i s_i} = H A = \\sum_j w_j h_j, \\quad
        M_\\alpha = \\frac{\\sum_i s_i p_i \\sum_j w_j \\gamma_{ij}^{\\alpha}}{\\sum_i s_i}

    where :math:`h_j` is the censored headcount ratio and :math:`\\gamma_{ij}` the
    normalised gap (1 for a deprived non-cardinal indicator).

    References
    ----------
    Alkire, S. and Foster, J. (2011). Counting and multidimensional poverty measurement.
    *Journal of Public Economics* 95(7-8), 476-487.
    Alkire, S., Foster, J., Seth, S., Santos, M. E., Roche, J. M. and Ballon, P. (2015).
    *Multidimensional Poverty Measurement and Analysis*. Oxford University Press, ch. 5.

    Examples
    --------
    >>> import pandas as pd, mpi
    >>> spec = mpi.Spec.from_dimensions({"a": ["a1", "a2"], "b": ["b1", "b2"]}, k=0.5)
    >>> df = pd.DataFrame({"a1": [0, 1, 1, 0], "a2": [0, 0, 1, 1],
    ...                    "b1": [0, 0, 1, 0], "b2": [0, 1, 1, 0]})
    >>> res = mpi.measure(df, spec)
    >>> float(res["M0"]), float(res["H"]), float(res["A"])
    (0.375, 0.5, 0.75)
    """
    inference = None
    notes: dict = {}
    panel_time = None
    lazy_panel = None
    if is_panel(data, spec, time):
        if design is not None:
            raise ValidationError(
                "design= is not supported for panels yet; measure one wave at a time "
                "(mpi.measure(panel.sel(time=year), spec, design=...)) or pool the waves with "
                "mpi.Design(..., rounds=...) on a long table"
            )
        if is_lazy(data):  # dask-backed: block by block of units, each flattened in memory
            lazy_panel = measure_panel_blocks(
                data, spec, weight=weight, by=by, k=k, missing=missing, time=time, unit=unit,
                balance=balance,
            )  # fmt: skip
            notes = lazy_panel[2]
        else:
            data, by, notes = flatten_panel(
                data,
                spec,
                weight=weight,
                by=by,
                time=time,
                unit=unit,
                balance=balance,
                missing=missing,
            )
            if not data.sizes[ROW_DIM]:  # every unit excluded: reported, then raised
                warn_excluded(notes["n_excluded"], notes["panel_units"], stacklevel=2)
        panel_time = str(time)
    if design is not None:
        check_design_type(design)
        if weight is not None and weight != design.weight:
            raise ValidationError(
                f"weight={weight!r} differs from the design's weight {design.weight!r}; give the "
                "weight only in mpi.Design(...)"
            )
        weight = design.weight
    if lazy_panel is not None:
        prep, cell_stats, _ = lazy_panel
        # one warning for the units the balance rule excluded: after the encoding's, before
        # the missing-value report (as in memory)
        warn_excluded(notes["n_excluded"], notes["panel_units"], stacklevel=2)
        stats, missing_group, extended = prep.finish(cell_stats, stacklevel=3)
    elif panel_time is None and is_lazy(data):
        # dask-backed: block by block of units, never loaded whole
        prep, cell_stats, inference = measure_blocks(
            data, spec, weight=weight, by=by, k=k, missing=missing, design=design
        )
        stats, missing_group, extended = prep.finish(cell_stats, stacklevel=3)
    else:
        prep = prepare_inputs(
            data,
            spec,
            weight=weight,
            by=by,
            k=k,
            missing=missing,
            use_patterns=None,
            extra=design.variables if design is not None else (),
            sparse_groups=panel_time is None,  # panels keep the dense (unit, wave) layout
        )
        prep.keep = panel_time
        if panel_time is not None:
            warn_excluded(notes["n_excluded"], notes["panel_units"], stacklevel=2)
        if design is None:
            stats, missing_group, extended = prep.finish(prep.run_groups(), stacklevel=3)
        else:
            cell_stats, inference = run_design(prep, design)
            stats, missing_group, extended = prep.finish(cell_stats, stacklevel=3)
    groups, ks, k_dim = prep.groups, prep.ks, prep.k_dim
    call = (
        f"mpi.measure(data, spec={spec.name or 'custom'!r}, weight={weight!r}, "
        f"by={groups.names if groups else None!r}, "
        f"k={[fraction_text(f) for f in ks] if k_dim else fraction_text(ks[0])}, "
        f"missing={missing!r}"
        + (f", design={design!r}" if design is not None else "")
        + (f", balance={balance!r}" if panel_time else "")
        + ")"
    )
    history = (
        f"{_dt.datetime.now(_dt.UTC).isoformat(timespec='seconds')}: {call} [xmpi {__version__}]"
    )
    return MeasureResult(
        stats,
        spec=spec,
        ks=ks,
        k_dim=k_dim,
        by=groups.names if groups else [],
        missing_group=missing_group,
        weight=weight,
        missing=missing,
        history=history,
        inference=inference,
        extended=extended,
        time=panel_time,
        notes=notes,
    )
