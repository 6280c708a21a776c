"""Small results for the tests of the cross-section, association, monitoring and source charts
(tests/plot/test_fonts.py, tests/plot/test_plot_measures.py), and the chart calls to test.

Importable from the tests of this directory (pytest puts it on ``sys.path``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

import mpi

SPEC = mpi.Spec.from_dimensions({"a": ["d1", "d2"], "b": ["d3", "d4"]}, k="1/3")
DESIGN = mpi.Design("w", strata="stratum", psu="psu")
KS = [0.2, "1/3", 0.5]


def survey(seed: int = 5, n: int = 600, rounds: tuple[float, ...] = (2015,)) -> pd.DataFrame:
    """Random 0/1 deprivations, three regions, a stratified cluster design, survey rounds."""
    rng = np.random.default_rng(seed)
    frames = []
    for r, year in enumerate(rounds):
        region = rng.choice(["poor", "middle", "rich"], n)
        p = pd.Series(region).map({"poor": 0.6, "middle": 0.35, "rich": 0.1}).to_numpy()
        df = pd.DataFrame(
            {f"d{j}": (rng.random(n) < p - 0.05 * r).astype(float) for j in range(1, 5)}
        )
        df["region"] = region
        df["round"] = year
        df["stratum"] = rng.integers(0, 6, n)
        df["psu"] = df["stratum"] * 100 + rng.integers(0, 12, n)
        df["w"] = rng.uniform(0.5, 1.5, n)
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


def merge_report() -> mpi.MergeReport:
    """Three sources sharing ``size`` and ``income``, with conflicts."""
    master = pd.DataFrame({"hh": [1, 2, 3, 9], "size": [3, 4, 2, 1]})
    health = pd.DataFrame(
        {"hh": [1, 1, 2, 3], "year": [2020, 2021, 2020, 2020], "size": [3, 3, 5, 2],
         "income": [100.0, 110.0, 200.0, np.nan]}
    )  # fmt: skip
    civil = pd.DataFrame(
        {"hh": [1, 2, 4], "year": [2020, 2021, 2021], "income": [104.0, 250.0, 80.0],
         "size": [2, 4, 6]}
    )  # fmt: skip
    _, report = mpi.merge_sources(
        {"master": master, "health": health, "civil": civil},
        unit="hh",
        rules={"size": "first", "income": "first"},
    )
    return report


def results() -> dict[str, Any]:
    """One result per chart of the cross-section, association, monitoring and source
    modules (and the data they were measured from)."""
    data = survey()
    rounds = survey(rounds=(2010, 2014.5, 2019), n=300)
    panel = mpi.datasets.generate("registry_panel", n=300, seed=1, format="xarray")
    rules = mpi.MonitoringRules(line="monitoring_line", income="income_per_capita", start=2020)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mpi.MissingDataWarning)
        monitoring = mpi.monitoring(panel, rules, weight="weight")
    return {
        "data": data,
        "rounds": rounds,
        "design": mpi.measure(data, SPEC, by="region", design=DESIGN),
        "plain": mpi.measure(data, SPEC, by="region", weight="w"),
        "ks": mpi.measure(data, SPEC, by="region", design=DESIGN, k=KS),
        "change": mpi.measure(rounds, SPEC, by="round", design=DESIGN).change("round"),
        "change_ks": mpi.measure(rounds, SPEC, by="round", design=DESIGN, k=KS).change("round"),
        "robustness": mpi.robustness(data, SPEC, over="region", design=DESIGN, k=[0.5]),
        "association": mpi.association(data, SPEC, weight="w"),
        "wald": mpi.measure(data, SPEC, by="region", design=DESIGN).wald_test(
            "M0", over="region"
        ),
        "monitoring": monitoring,
        "merge": merge_report(),
    }


#: (id, chart function, result key, keyword arguments): every public function of
#: mpi.plot.measures, comparisons, association, monitoring and sources.
CHARTS: list[tuple[str, Callable[..., Any], str, dict[str, Any]]] = [
    ("contributions", mpi.plot.contributions, "design", {}),
    ("contributions_dimension", mpi.plot.contributions, "ks",
     {"level": "dimension", "relative": True, "k": "1/3"}),
    ("k_curve", mpi.plot.k_curve, "ks", {}),
    ("estimates", mpi.plot.estimates, "design", {}),
    ("estimates_points", mpi.plot.estimates, "plain", {}),
    ("changes", mpi.plot.changes, "change", {}),
    ("robustness", mpi.plot.robustness, "robustness", {}),
    ("contrasts", mpi.plot.contrasts, "wald", {}),
    ("association", mpi.plot.association, "association", {}),
    ("monitoring", mpi.plot.monitoring, "monitoring", {}),
    ("conflicts", mpi.plot.conflicts, "merge", {}),
    ("coverage", mpi.plot.coverage, "merge", {}),
]  # fmt: skip
