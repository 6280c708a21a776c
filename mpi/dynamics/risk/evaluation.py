"""Out-of-time evaluation of an early-warning model against the naive band-at-exit rule.

The held-out unit-waves are the scored waves whose *target* wave lies after ``fit_until``
(or the chosen ``wave`` s), observed at both waves, with a finite weight and a model
prediction. Both the model and the naive rule are scored on the same unit-waves: AUC
(exact, weighted, ties 1/2), Brier score and a calibration table by weighted deciles.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from mpi.dynamics.risk.metrics import (
    N_BINS,
    auc_from_groups,
    brier_score,
    calibration_from_groups,
    code_groups,
    row_groups,
)
from mpi.dynamics.risk.model import RiskModel
from mpi.errors import ValidationError

__all__ = ["evaluate", "default_evaluation", "evaluation_rows", "evaluation_dataset"]

_META = {
    "auc": "weighted area under the ROC curve (ties count 1/2)",
    "brier": "weighted Brier score sum w (p - y)^2 / sum w",
    "calibration_count": "unit-waves per decile of predicted risk (unweighted)",
    "calibration_weight": "sum of weights per decile of predicted risk",
    "calibration_predicted": "weighted mean predicted risk per decile",
    "calibration_observed": "weighted share poor at the target wave per decile",
    "n_eval": "held-out unit-waves evaluated (unweighted)",
    "eval_weight": "sum of weights of the held-out unit-waves",
    "eval_events": "sum of weights of the held-out unit-waves poor at the target wave",
}


def _target_waves(model: RiskModel, wave: Any) -> list[int]:
    """Indices of the held-out target waves (all, or those of the scored ``wave`` s)."""
    years, h, fit_mask = model.years, model.horizon, model.fit_mask
    T = len(years)
    if wave is None:
        return [tt for tt in range(h, T) if not fit_mask[tt]]
    waves = np.atleast_1d(np.asarray(wave, np.float64))
    unknown = [x for x in waves if x not in years[: T - h]]
    if unknown:
        raise ValidationError(
            f"wave={wave!r}: {unknown} is not a scored wave with a target "
            f"{h} wave(s) later; choose among {[float(y) for y in years[: T - h]]}"
        )
    targets = [tt for tt in range(h, T) if years[tt - h] in waves]
    fitted = [years[tt - h] for tt in targets if fit_mask[tt]]
    if fitted:
        raise ValidationError(
            f"wave={wave!r}: the transitions from {fitted} were used to fit the model "
            f"(fit_until={model.fit_until!r}); evaluate only later waves"
        )
    return targets


def evaluation_rows(model: RiskModel, wave: Any = None) -> tuple[np.ndarray, ...]:
    """The held-out unit-waves of ``model`` (see :func:`evaluate`).

    Parameters
    ----------
    model
        The fitted model.
    wave
        Scored waves to evaluate (default: every held-out transition).

    Returns
    -------
    tuple of numpy.ndarray
        ``(y, p, code, w, src)``: poor at the target, predicted risk, full-cell code and
        weight per row; the scored wave index of each target wave.
    """
    targets = _target_waves(model, wave)
    if not targets:
        raise ValidationError(
            "no held-out transitions to evaluate: every target wave is <= fit_until="
            f"{model.fit_until!r}; refit with an earlier fit_until (e.g. the "
            "second-to-last wave)"
        )
    tt = np.asarray(targets)
    src = tt - model.horizon
    state = model.state
    risk = model.risk[:, src]
    ok = (model.code[:, src] >= 0) & (state[:, tt] >= 0) & np.isfinite(risk)
    ok &= np.isfinite(model.weight)[:, None]
    ii, kk = np.nonzero(ok)
    y = state[ii, tt[kk]] >= 2
    p = risk[ii, kk]
    code = model.code[ii, src[kk]]
    return y, p, code, model.weight[ii], src


def evaluation_dataset(
    y: np.ndarray,
    p: np.ndarray,
    code: np.ndarray,
    model_table: np.ndarray | None,
    naive_table: np.ndarray,
    w: np.ndarray,
    waves: list,
) -> xr.Dataset:
    """Metrics of the model and the naive rule on the rows ``(y, p, code, w)``.

    Scores that are a function of the cell code (the nonparametric model: ``model_table``,
    the naive rule) are grouped by code, not sorted.

    Parameters
    ----------
    y, p, code, w
        Outcome, model risk, full-cell code and weight per row.
    model_table
        The model's risk by code (nonparametric), or None (logit: row-level scores).
    naive_table
        The naive rule's risk by code.
    waves
        The scored wave of each row's target (for the ``evaluated_waves`` attribute).

    Returns
    -------
    xarray.Dataset
        See :meth:`mpi.RiskResult.evaluate`.
    """
    groups = [
        row_groups(y, p, w) if model_table is None else code_groups(y, code, w, model_table),
        code_groups(y, code, w, naive_table),
    ]
    auc = [auc_from_groups(g[1], g[2]) for g in groups]
    naive = naive_table[code]
    brier = [brier_score(y, q, w) for q in (p, naive)]
    cal = [calibration_from_groups(*g, N_BINS) for g in groups]
    cols = ("count", "weight", "predicted", "observed")
    ds = xr.Dataset(
        {
            "auc": ("model", np.asarray(auc)),
            "brier": ("model", np.asarray(brier)),
            **{
                f"calibration_{col}": (("model", "bin"), np.stack([c[col].to_numpy() for c in cal]))
                for col in cols
            },
            "n_eval": ((), len(y)),
            "eval_weight": ((), float(w.sum())),
            "eval_events": ((), float(w[y].sum())),
        },
        coords={"model": ["model", "naive"], "bin": np.arange(N_BINS)},
    )
    for name, text in _META.items():
        ds[name].attrs.update({"long_name": text, "units": "1"})
    ds.attrs["evaluated_waves"] = ", ".join(f"{x:g}" for x in sorted(set(waves)))
    return ds


def evaluate(model: RiskModel, wave: Any = None) -> xr.Dataset:
    """Out-of-time evaluation of ``model`` and of the naive rule (see
    :meth:`mpi.RiskResult.evaluate`).

    Parameters
    ----------
    model
        The fitted model.
    wave
        Scored waves to evaluate (default: every held-out transition).

    Returns
    -------
    xarray.Dataset
    """
    y, p, code, w, src = evaluation_rows(model, wave)
    waves = [float(model.years[s]) for s in src]
    return evaluation_dataset(y, p, code, model.cell_scores, model.naive_scores, w, waves)


def default_evaluation(model: RiskModel) -> xr.Dataset | None:
    """:func:`evaluate` on every held-out transition, or None when there is none.

    Returns
    -------
    xarray.Dataset or None
    """
    try:
        return evaluate(model)
    except ValidationError:
        return None
