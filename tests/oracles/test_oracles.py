"""Published and hand-computed values (``/work/shared/reference/oracles.md`` §1–4, §6).

Every oracle runs twice: against ``mpi.measure`` and against the independent reference
implementation in ``tests/reference.py`` (which validates the reference itself).
"""

from __future__ import annotations

import copy
import math
import warnings
from fractions import Fraction as F

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from reference import assert_measures_close, reference_measure, run_measure

import mpi

IMPLS = ["reference", "mpi"]
TOL = 1e-10


@pytest.fixture(params=IMPLS)
def impl(request):
    return request.param


def approx(x, tol=TOL):
    return pytest.approx(float(x), abs=tol, rel=0)


def close(got, exp, tol=TOL):
    np.testing.assert_allclose(np.asarray(got, float), np.asarray(exp, float), rtol=0, atol=tol)


# ======================================================================================
# §1 Alkire & Foster (2011), 4 persons × 4 dimensions, all cardinal
# ======================================================================================
AF_X = pd.DataFrame(
    {
        "d1": [13.1, 15.2, 12.5, 20.0],
        "d2": [14.0, 7.0, 10.0, 11.0],
        "d3": [4.0, 5.0, 1.0, 3.0],
        "d4": [1.0, 0.0, 0.0, 1.0],
    }
)
AF_Z = (13, 12, 3, 1)
# exact normalised gaps (z - x) / z of the deprived entries
AF_GAPS = {
    1: [F(5, 12), F(1)],  # p2: d2, d4
    2: [F(1, 26), F(2, 12), F(2, 3), F(1)],  # p3: d1, d2, d3, d4
    3: [F(1, 12)],  # p4: d2
}
AF_COUNTS = (0, 2, 4, 1)


def af_spec(k="1/2"):
    return mpi.Spec(
        [mpi.Indicator(f"d{j + 1}", weight="1/4", cutoff=z) for j, z in enumerate(AF_Z)], k=k
    )


def af_exact(k: F) -> dict[str, F]:
    poor = [i for i, c in enumerate(AF_COUNTS) if F(c, 4) >= k]
    n = 4
    H = F(len(poor), n)
    M0 = sum((F(AF_COUNTS[i], 4) for i in poor), F(0)) / n
    M1 = sum((sum(AF_GAPS[i], F(0)) / 4 for i in poor), F(0)) / n
    M2 = sum((sum((x * x for x in AF_GAPS[i]), F(0)) / 4 for i in poor), F(0)) / n
    return {"H": H, "A": M0 / H, "M0": M0, "M1": M1, "M2": M2}


# the table of oracles.md §1 (10 decimals)
AF_TABLE = {
    F(1, 4): (0.75, 7 / 12, 7 / 16, 0.2107371795, 0.1658910667),
    F(1, 2): (0.5, 0.75, 0.375, 171 / 832, 21475 / 129792),
    F(3, 4): (0.25, 1.0, 0.25, 0.1169871795, 0.0921063445),
    F(1): (0.25, 1.0, 0.25, 0.1169871795, 0.0921063445),
}


def test_af2011_exact_values_match_table():
    for k, row in AF_TABLE.items():
        ex = af_exact(k)
        for name, val in zip(("H", "A", "M0", "M1", "M2"), row, strict=True):
            assert float(ex[name]) == approx(val, 6e-11), (k, name)
    assert af_exact(F(1, 2))["M1"] == F(171, 832)
    assert af_exact(F(1, 2))["M2"] == F(21475, 129792)


@pytest.mark.parametrize("k", list(AF_TABLE), ids=lambda k: f"k={k}")
def test_af2011_table(impl, k):
    r = run_measure(impl, AF_X, af_spec(), k=k)
    ex = af_exact(k)
    for j, name in enumerate(("H", "A", "M0", "M1", "M2")):
        assert r[name] == approx(AF_TABLE[k][j]), name
        assert r[name] == approx(ex[name], 1e-14), name
    assert r["n_obs"] == 4 and r["n_dropped"] == 0
    assert isinstance(r["n_obs"], int) and isinstance(r["n_dropped"], int)


def test_af2011_k_as_float_and_sequence(impl):
    ks = [0.25, 0.5, 0.75, 1.0]
    rs = run_measure(impl, AF_X, af_spec(), k=ks)
    assert len(rs) == 4
    for kf, r in zip(ks, rs, strict=True):
        ex = af_exact(F(kf))
        for name in ("H", "A", "M0", "M1", "M2"):
            assert r[name] == approx(ex[name], 1e-14), (kf, name)


def test_af2011_headcounts_and_contributions_k2(impl):
    r = run_measure(impl, AF_X, af_spec(k="1/2"))
    close(r["uncensored_headcount"], [0.25, 0.75, 0.25, 0.50])
    close(r["censored_headcount"], [0.25, 0.50, 0.25, 0.50])
    close(np.array(r["censored_headcount"]) / 4, [0.0625, 0.125, 0.0625, 0.125])  # actb
    close(r["contribution"], [1 / 6, 1 / 3, 1 / 6, 1 / 3])
    # each indicator is its own dimension
    close(r["dimension_contribution"], [1 / 6, 1 / 3, 1 / 6, 1 / 3])
    # M1 = H·A·G, M2 = H·A·S
    assert r["M1"] / r["M0"] == approx(57 / 104)
    assert r["M2"] / r["M0"] == approx(0.4412187705)
    assert r["M0"] == approx(r["H"] * r["A"], 1e-15)
    # bands: c = (0, 1/2, 1, 1/4); vulnerable 1/5 <= c < 1/2; severe c >= 1/2
    assert r["vulnerable"] == approx(0.25)
    assert r["severe"] == approx(0.5)
    # poor scores 1/2 and 1, A = 3/4: variance = 1/16
    assert r["intensity_variance"] == approx(1 / 16)


def test_af2011_union_intersection(impl):
    # union (k = 1/4): poor iff deprived in anything; intersection (k = 1): in everything
    union = run_measure(impl, AF_X, af_spec(k="1/4"))
    assert union["H"] == approx(3 / 4)
    inter = run_measure(impl, AF_X, af_spec(k=1))
    assert inter["H"] == approx(1 / 4)
    assert inter["A"] == approx(1)


# ======================================================================================
# §2 mpitbR vignette example, groups North / South
# ======================================================================================
MPITB_G = np.array([[1, 0, 1, 0], [0, 1, 0, 0], [0, 1, 1, 1], [1, 0, 0, 0], [1, 0, 1, 0]])


def mpitb_data():
    df = pd.DataFrame(MPITB_G, columns=[f"i{j + 1}" for j in range(4)])
    df["region"] = pd.Series(["North", "North", "South", "South", "South"], dtype=object)
    return df


def mpitb_spec(k="1/2"):
    return mpi.Spec([mpi.Indicator(f"i{j + 1}", weight="1/4") for j in range(4)], k=k)


def test_mpitbr_national(impl):
    r = run_measure(impl, mpitb_data(), mpitb_spec())
    assert r["M0"] == approx(0.35)
    assert r["H"] == approx(0.6)
    assert r["A"] == approx(7 / 12)
    # all indicators are flags: every gap is 1, so M1 = M2 = M0
    assert r["M1"] == approx(0.35)
    assert r["M2"] == approx(0.35)
    close(r["uncensored_headcount"], [0.6, 0.4, 0.6, 0.2])
    close(r["censored_headcount"], [0.4, 0.2, 0.6, 0.2])
    close(r["contribution"], [2 / 7, 1 / 7, 3 / 7, 1 / 7])
    assert sum(r["contribution"]) == approx(1)
    # c = (1/2, 1/4, 3/4, 1/4, 1/2)
    assert r["vulnerable"] == approx(0.4)
    assert r["severe"] == approx(0.6)
    assert r["intensity_variance"] == approx(1 / 72)
    assert r["n_obs"] == 5


def test_mpitbr_groups(impl):
    r = run_measure(impl, mpitb_data(), mpitb_spec(), by="region")
    assert r["M0"] == approx(0.35)
    north, south = r["groups"]["North"], r["groups"]["South"]
    assert north["M0"] == approx(0.25)
    assert south["M0"] == approx(5 / 12)
    assert north["H"] == approx(0.5)
    assert south["H"] == approx(2 / 3)
    assert north["population_share"] == approx(0.4)
    assert south["population_share"] == approx(0.6)
    assert north["group_contribution"] == approx(2 / 7)
    assert south["group_contribution"] == approx(5 / 7)
    assert north["n_obs"] == 2 and south["n_obs"] == 3
    # decomposition
    assert 0.4 * north["M0"] + 0.6 * south["M0"] == approx(r["M0"])
    close(north["contribution"], [1 / 2, 0, 1 / 2, 0])


def test_mpitbr_k_curve(impl):
    ks = [F(1, 4), F(1, 2), F(3, 4), F(1)]
    expected = [(1.0, 0.45, 0.45), (0.6, 7 / 12, 0.35), (0.2, 0.75, 0.15), (0.0, math.nan, 0.0)]
    for k, (H, A, M0) in zip(ks, expected, strict=True):
        r = run_measure(impl, mpitb_data(), mpitb_spec(), k=k)
        assert r["H"] == approx(H), k
        assert r["M0"] == approx(M0), k
        if math.isnan(A):
            assert math.isnan(r["A"]), f"A must be NaN when H = 0; got {r['A']}"
        else:
            assert r["A"] == approx(A), k
    # k = 1: nobody poor, the censored headcounts are 0
    r = run_measure(impl, mpitb_data(), mpitb_spec(), k=1)
    close(r["censored_headcount"], [0, 0, 0, 0])
    assert r["M1"] == 0 and r["M2"] == 0


def test_mpitbr_k_curve_as_dimension(impl):
    ks = [0.25, 0.5, 0.75, 1.0]
    rs = run_measure(impl, mpitb_data(), mpitb_spec(), k=ks, by="region")
    Hs = [r["H"] for r in rs]
    close(Hs, [1.0, 0.6, 0.2, 0.0])
    assert math.isnan(rs[3]["A"])
    close([r["groups"]["North"]["M0"] for r in rs], [0.375, 0.25, 0.0, 0.0])
    close([r["groups"]["South"]["M0"] for r in rs], [0.5, 5 / 12, 0.25, 0.0])
    # severe: c >= max(1/2, k), 0.6 up to k = 1/2, then the poor (never above H)
    close([r["severe"] for r in rs], [0.6, 0.6, 0.2, 0.0])


def test_reference_matrix_form_mpitbr():
    r = reference_measure(MPITB_G, [F(1, 4)] * 4, k=F(1, 2), groups=["N", "N", "S", "S", "S"])
    assert r["M0"] == approx(0.35)
    assert r["groups"]["S"]["M0"] == approx(5 / 12)
    assert r["groups"]["N"]["population_share"] == approx(0.4)


# ======================================================================================
# §3 mpindex unit test: nested dimensions A = {a1, a2}, B = {b1, b2}
# ======================================================================================
def test_mpindex(impl):
    df = pd.DataFrame(
        {"a1": [0, 1, 1, 0], "a2": [0, 0, 1, 1], "b1": [0, 0, 1, 0], "b2": [0, 1, 1, 0]}
    )
    spec = mpi.Spec.from_dimensions({"A": ["a1", "a2"], "B": ["b1", "b2"]}, k=0.5)
    r = run_measure(impl, df, spec)
    assert r["H"] == approx(0.5)
    assert r["A"] == approx(0.75)
    assert r["M0"] == approx(0.375)
    close(r["contribution"], [1 / 3, 1 / 6, 1 / 6, 1 / 3])
    assert 100 * sum(r["contribution"]) == approx(100)
    close(r["dimension_contribution"], [1 / 2, 1 / 2])


# ======================================================================================
# §4 OPHI handbook Box 5.5: same M0, different composition
# ======================================================================================
@pytest.mark.parametrize(
    "rows, H, A",
    [
        # c = (0, 1/2, 1, 1/4)
        ([[0, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 1], [1, 0, 0, 0]], 0.5, 0.75),
        # c' = (0, 1/2, 1/2, 1/2)
        ([[0, 0, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1], [1, 0, 1, 0]], 0.75, 0.5),
    ],
    ids=["X", "X'"],
)
def test_ophi_box_5_5(impl, rows, H, A):
    df = pd.DataFrame(rows, columns=["inc", "edu", "nut", "san"])
    spec = mpi.Spec([mpi.Indicator(c, weight="1/4") for c in df.columns], k="1/2")
    r = run_measure(impl, df, spec)
    assert r["H"] == approx(H)
    assert r["A"] == approx(A)
    assert r["M0"] == approx(0.375)


# ======================================================================================
# Exact identification at the cutoff (oracles.md §6, methods.md §7 item 9)
# ======================================================================================
GMPI = [
    ("nutrition", "health", "1/6"),
    ("child_mortality", "health", "1/6"),
    ("years_schooling", "education", "1/6"),
    ("school_attendance", "education", "1/6"),
    ("cooking_fuel", "living_standards", "1/18"),
    ("sanitation", "living_standards", "1/18"),
    ("drinking_water", "living_standards", "1/18"),
    ("electricity", "living_standards", "1/18"),
    ("housing", "living_standards", "1/18"),
    ("assets", "living_standards", "1/18"),
]
HEALTH_EDU = [n for n, _, w in GMPI if w == "1/6"]
LIVING = [n for n, _, w in GMPI if w == "1/18"]


def gmpi_spec(k="1/3"):
    preset = mpi.presets.global_mpi_2018()
    assert [i.name for i in preset] == [n for n, _, _ in GMPI]
    assert [str(i.weight) for i in preset] == [w for _, _, w in GMPI]
    inds = [mpi.Indicator(n, weight=w, dimension=d, variable=f"{n}_flag") for n, d, w in GMPI]
    return mpi.Spec(inds, k=k)


def gmpi_unit(deprived: list[str]) -> dict[str, int]:
    return {f"{n}_flag": int(n in deprived) for n, _, _ in GMPI}


# (deprived indicators, exact score, poor at 1/3, vulnerable, severe)
GMPI_CASES = {
    "two health = 1/3": (["nutrition", "child_mortality"], F(1, 3), True, False, False),
    "health + education = 1/3": (["nutrition", "years_schooling"], F(1, 3), True, False, False),
    "one health + two LS = 5/18": (["nutrition", *LIVING[:2]], F(5, 18), False, True, False),
    "five LS = 5/18": (LIVING[:5], F(5, 18), False, True, False),
    "six LS = 1/3": (LIVING, F(1, 3), True, False, False),
    "six LS reversed = 1/3": (LIVING[::-1], F(1, 3), True, False, False),
    "one health + three LS = 1/3": (["child_mortality", *LIVING[3:]], F(1, 3), True, False, False),
    "four LS = 2/9": (LIVING[:4], F(2, 9), False, True, False),
    "three LS = 1/6": (LIVING[:3], F(1, 6), False, False, False),
    "one health = 1/6": (["nutrition"], F(1, 6), False, False, False),
    "three health/education = 1/2": (HEALTH_EDU[:3], F(1, 2), True, False, True),
    "two health/edu + three LS = 1/2": (
        ["child_mortality", "school_attendance", *LIVING[2:5]],
        F(1, 2),
        True,
        False,
        True,
    ),
    "one health/edu + six LS = 1/2": (["years_schooling", *LIVING], F(1, 2), True, False, True),
    "nothing": ([], F(0), False, False, False),
}


def test_gmpi_case_scores_are_exact():
    w = {n: F(wt) for n, _, wt in GMPI}
    for name, (dep, score, poor, vul, sev) in GMPI_CASES.items():
        assert sum((w[n] for n in dep), F(0)) == score, name
        assert poor == (score >= F(1, 3)) and sev == (score >= F(1, 2)), name
        assert vul == (F(1, 5) <= score < F(1, 3)), name


@pytest.mark.parametrize("case", list(GMPI_CASES))
@pytest.mark.parametrize("k", ["1/3", 1 / 3], ids=["k=str", "k=float"])
def test_gmpi_exact_identification(impl, case, k):
    dep, score, poor, vul, sev = GMPI_CASES[case]
    df = pd.DataFrame([gmpi_unit(dep)])
    r = run_measure(impl, df, gmpi_spec(), k=k)
    assert r["H"] == (1.0 if poor else 0.0), f"{case}: score {score} vs k=1/3"
    assert r["vulnerable"] == (1.0 if vul else 0.0), case
    assert r["severe"] == (1.0 if sev else 0.0), case
    assert r["M0"] == approx(float(score) if poor else 0.0, 1e-15)


def test_gmpi_exact_identification_population(impl):
    df = pd.DataFrame([gmpi_unit(v[0]) for v in GMPI_CASES.values()])
    cases = list(GMPI_CASES.values())
    n = len(cases)
    r = run_measure(impl, df, gmpi_spec())
    assert r["H"] == approx(sum(c[2] for c in cases) / n, 1e-15)
    assert r["vulnerable"] == approx(sum(c[3] for c in cases) / n, 1e-15)
    assert r["severe"] == approx(sum(c[4] for c in cases) / n, 1e-15)
    M0 = sum((c[1] for c in cases if c[2]), F(0)) / n
    assert r["M0"] == approx(M0, 1e-15)
    # ties at k = 1/2 with nested weights: 1/2 exactly is poor
    r = run_measure(impl, df, gmpi_spec(), k=0.5)
    assert r["H"] == approx(sum(c[1] >= F(1, 2) for c in cases) / n, 1e-15)
    assert r["H"] == approx(r["severe"], 1e-15)


def test_weights_03_06_01_k_09(impl):
    # 0.3 + 0.6 = 0.8999999999999999 < 0.9 in floats: the unit MUST be poor
    assert 0.3 + 0.6 < 0.9
    spec = mpi.Spec(
        [
            mpi.Indicator("a", weight=0.3),
            mpi.Indicator("b", weight=0.6),
            mpi.Indicator("c", weight=0.1),
        ],
        k=0.9,
    )
    df = pd.DataFrame({"a": [1, 1, 0, 1], "b": [1, 0, 1, 1], "c": [0, 1, 1, 1]})
    r = run_measure(impl, df, spec)
    # scores 0.9 (poor), 0.4, 0.7, 1.0 (poor)
    assert r["H"] == 0.5
    assert r["M0"] == approx((0.9 + 1.0) / 4, 1e-15)
    r = run_measure(impl, df, spec, k=[0.9, 0.7, 0.4])
    close([x["H"] for x in r], [0.5, 0.75, 1.0], 0)


@pytest.mark.parametrize(
    "m, k, poor",
    [
        (8, 0.8, True),
        (9, 0.9, True),
        (7, 0.8, False),
        (3, 0.3, True),
        (2, 0.3, False),
        (6, 0.6, True),
    ],
)
def test_tenths_ties(impl, m, k, poor):
    # ten indicators of weight 0.1: summing m of them in floats misses m/10 (0.7999999999999999)
    spec = mpi.Spec([mpi.Indicator(f"x{j}", weight=0.1) for j in range(10)], k=k)
    df = pd.DataFrame([{f"x{j}": int(j < m) for j in range(10)}])
    r = run_measure(impl, df, spec)
    assert r["H"] == (1.0 if poor else 0.0)
    # vulnerable band 1/5 <= c < k: m = 2 is exactly 1/5
    assert r["vulnerable"] == (1.0 if (not poor and m >= 2) else 0.0)
    # severe: c >= max(1/2, k) by default (the severely poor are among the poor)
    assert r["severe"] == (1.0 if (m >= 5 and poor) else 0.0)


# ======================================================================================
# Input handling: DataFrame vs Dataset, no mutation, missing="raise"
# ======================================================================================
def rich_data():
    rng = np.random.default_rng(7)
    n = 60
    df = pd.DataFrame(
        {
            "school": rng.integers(0, 10, n).astype(float),
            "fuel": rng.choice(["wood", "gas", "dung", "electric"], n).astype(object),
            "deaths": rng.integers(0, 3, n),
            "nutr": rng.integers(0, 2, n).astype(float),
            "region": rng.choice(["N", "S", "E"], n).astype(object),
            "hhw": rng.uniform(0.5, 3, n),
        }
    )
    df.loc[[3, 17], "school"] = np.nan
    df.loc[[5], "nutr"] = np.nan
    df.loc[[11], "fuel"] = None
    return df


def rich_spec():
    return mpi.Spec(
        [
            mpi.Indicator("nutrition", weight="1/4", dimension="health", variable="nutr"),
            mpi.Indicator(
                "mortality",
                weight="1/4",
                dimension="health",
                variable="deaths",
                cutoff=0,
                deprived_if=">",
            ),
            mpi.Indicator(
                "schooling", weight="1/4", dimension="education", variable="school", cutoff=6
            ),
            mpi.Indicator(
                "fuel",
                weight="1/4",
                dimension="living",
                variable="fuel",
                cutoff=["wood", "dung"],
                deprived_if="in",
            ),
        ],
        k="1/3",
    )


@pytest.mark.parametrize("missing", ["drop", "reweight"])
def test_dataframe_and_dataset_agree_and_inputs_not_mutated(missing):
    df = rich_data()
    ds = df.to_xarray()
    df0, ds0 = copy.deepcopy(df), ds.copy(deep=True)
    spec = rich_spec()
    spec0 = copy.deepcopy(spec)
    kw = dict(weight="hhw", by="region", k=[0.25, 1 / 3, 0.5], missing=missing)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mpi.MissingDataWarning)
        a = mpi.measure(df, spec, **kw).to_dataset()
        b = mpi.measure(ds, spec, **kw).to_dataset()
    xr.testing.assert_equal(a, b)
    pd.testing.assert_frame_equal(df, df0)
    xr.testing.assert_identical(ds, ds0)
    assert spec == spec0
    # and the numbers are right
    got = run_measure("mpi", ds, spec, **kw)
    exp = run_measure("reference", df, spec, **kw)
    for g, e in zip(got, exp, strict=True):
        assert_measures_close(g, e)


def test_missing_raise():
    with pytest.raises(mpi.DataError):
        mpi.measure(rich_data(), rich_spec(), missing="raise")


def test_missing_drop_counts(impl):
    r = run_measure(impl, rich_data(), rich_spec())
    assert r["n_dropped"] == 4
    assert r["n_obs"] == 56


# ======================================================================================
# missing="reweight" (OPHI rule) by hand, and population shares with unknown groups
# ======================================================================================
def test_reweight_nested_by_hand(impl):
    # A = {a} (1/2), B = {b0, b1, b2} (1/6 each); b0 missing: b1, b2 get 1/4 each
    spec = mpi.Spec.from_dimensions({"A": ["a"], "B": ["b0", "b1", "b2"]}, k="1/2")
    df = pd.DataFrame(
        {
            "a": [1, 1, 0, 1, 0],
            "b0": [np.nan, np.nan, np.nan, 0, 1],
            "b1": [1, 0, 1, 0, 1],
            "b2": [0, 0, 1, 0, 1],
        },
        dtype=float,
    )
    # scores: 1/2 + 1/4 = 3/4, 1/2, 1/2, 1/2, 1/2 — all poor at k = 1/2
    r = run_measure(impl, df, spec, missing="reweight")
    assert r["n_obs"] == 5 and r["n_dropped"] == 0
    assert r["H"] == approx(1)
    assert r["M0"] == approx((3 / 4 + 4 * 1 / 2) / 5)
    # headcounts of b0 among the 2 units that observe it
    close(r["uncensored_headcount"], [3 / 5, 1 / 2, 3 / 5, 2 / 5])
    # contributions with the effective weights: a 3·1/2, b0 1/6, b1 2·1/4 + 1/6, b2 1/4 + 1/6
    total = 3 / 4 + 2
    close(r["contribution"], np.array([3 / 2, 1 / 6, 1 / 2 + 1 / 6, 1 / 4 + 1 / 6]) / total)
    r = run_measure(impl, df, spec, missing="reweight", k="3/4")
    assert r["H"] == approx(1 / 5)  # only the first unit reaches 3/4 exactly
    r = run_measure(impl, df, spec, missing="drop")
    assert r["n_obs"] == 2 and r["n_dropped"] == 3


def test_reweight_global_mpi_by_hand(impl):
    rows = [
        # years_schooling missing: school attendance carries the whole education weight 1/3
        (["school_attendance"], ["years_schooling"], F(1, 3)),
        # drinking water missing: living standards 1/15 each
        (["nutrition", "cooking_fuel", "sanitation"], ["drinking_water"], F(1, 6) + F(2, 15)),
        (
            ["nutrition", "cooking_fuel", "sanitation", "assets"],
            ["drinking_water"],
            F(1, 6) + F(3, 15),
        ),
        # nothing observed in health: dropped
        (["years_schooling"], ["nutrition", "child_mortality"], None),
        (["nutrition", "child_mortality"], [], F(1, 3)),
    ]
    records = []
    for dep, miss, _ in rows:
        rec = {key: float(v) for key, v in gmpi_unit(dep).items()}
        for name in miss:
            rec[f"{name}_flag"] = np.nan
        records.append(rec)
    df = pd.DataFrame(records)
    r = run_measure(impl, df, gmpi_spec(), missing="reweight")
    used = [score for _, _, score in rows if score is not None]
    assert r["n_obs"] == 4 and r["n_dropped"] == 1
    assert r["H"] == approx(sum(s >= F(1, 3) for s in used) / 4)
    assert r["M0"] == approx(sum((s for s in used if s >= F(1, 3)), F(0)) / 4, 1e-15)
    assert r["vulnerable"] == approx(sum(F(1, 5) <= s < F(1, 3) for s in used) / 4)


def test_population_share_over_known_groups(impl):
    spec = mpi.Spec([mpi.Indicator("a", weight="1/2"), mpi.Indicator("b", weight="1/2")], k="1/2")
    df = pd.DataFrame(
        {
            "a": [1, 0, 1, 0, 1],
            "b": [0, 0, 1, 1, 0],
            "region": pd.Series(["x", "x", "y", None, "y"], dtype=object),
            "w": [1.0, 2.0, 3.0, 4.0, 5.0],
        }
    )
    r = run_measure(impl, df, spec, by="region", weight="w")
    # overall: every unit, c(k) = (1/2, 0, 1, 1/2, 1/2) weighted by w
    assert r["M0"] == approx(8 / 15)
    assert r["n_obs"] == 5
    # shares: Σ s in group / Σ s over units with a known group (11)
    assert r["groups"]["x"]["population_share"] == approx(3 / 11)
    assert r["groups"]["y"]["population_share"] == approx(8 / 11)
    assert r["groups"]["x"]["M0"] == approx(1 / 6)
    assert r["groups"]["y"]["M0"] == approx(11 / 16)
    assert r["groups"]["y"]["group_contribution"] == approx(8 / 11 * 11 / 16 / (8 / 15))
