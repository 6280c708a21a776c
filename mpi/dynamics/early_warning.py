"""Early warning of (re-)entry into poverty: the former module, kept for imports.

The code lives in :mod:`mpi.dynamics.risk` (features, fit, model, metrics, evaluation,
result, estimator); this module re-exports its public names.
"""

from mpi.dynamics.risk import RiskResult, auc_score, brier_score, calibration_table, relapse_risk

__all__ = ["relapse_risk", "RiskResult", "auc_score", "brier_score", "calibration_table"]
