"""``make demo``'s job writes its report: tables with SEs and CIs, changes, charts."""

from __future__ import annotations

import warnings

import matplotlib
import pandas as pd

matplotlib.use("Agg")

import mpi.demo  # noqa: E402


def test_demo_writes_the_report(tmp_path, capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mpi.MissingDataWarning)
        mpi.demo.run(tmp_path)
    out = capsys.readouterr().out
    assert "design-based 95% confidence intervals" in out
    for name in ("index.html", "regions.csv", "rounds.csv", "changes.csv", "m0_by_region.png",
                 "changes.png", "contributions_by_region.png", "k_curve.png", "measures.csv",
                 "dynamics.csv", "chronic.csv", "decomposition.csv", "trend.png",
                 "transitions.png", "chronic_durations.png", "decomposition.png",
                 "relapse.csv", "watch_list.csv", "monitoring.csv", "relapse.png"):
        assert (tmp_path / name).stat().st_size > 0, name
    regions = pd.read_csv(tmp_path / "regions.csv", index_col=0)
    assert ((regions.M0_lower < regions.M0) & (regions.M0 < regions.M0_upper)).all()
    assert (regions.M0_se > 0).all()
    changes = pd.read_csv(tmp_path / "changes.csv")
    m0 = changes[(changes.measure == "M0") & (changes.change == "absolute")]
    assert len(m0) == 1 and m0.se.iloc[0] > 0
    assert "Poverty dynamics in the registry panel" in out
    rates = pd.read_csv(tmp_path / "dynamics.csv", index_col=0)
    assert list(rates.index) == list(range(2016, 2023))
    assert ((rates.exit_rate > 0) & (rates.exit_rate < 1)).all()
    dec = pd.read_csv(tmp_path / "decomposition.csv").set_index("measure")["estimate"]
    assert abs(dec["entry"] - dec["exit"] + dec["stayers"] - dec["delta_M0"]) < 1e-12
    life = pd.read_csv(tmp_path / "relapse.csv", index_col=0)
    assert (life.cumulative_relapse.diff().dropna() >= 0).all()
    assert (life.cumulative_relapse_se > 0).all()
    assert "Early warning" in out and "AUC" in out
    shares = pd.read_csv(tmp_path / "monitoring.csv", index_col=0)
    assert abs(shares.sum(axis=1) - 1).max() < 1e-12
