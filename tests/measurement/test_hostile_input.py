"""Hostile input, as a class: random dtypes, labels, missing patterns and degenerate designs.

For every generated case ``mpi.measure`` must give the correct result (against the plain
reference in ``tests/reference.py``, computed on a canonical float64/object copy of the same
values) or raise an ``mpi`` error (:class:`mpi.ValidationError`); never a bare numpy, numba or
pandas exception, never a warning that is not the package's own, never a mutated input and
never a unit that is not counted.

Each column is drawn as canonical Python values (``None`` = missing) and then written in one
of many representations: numpy (float64/32, int8..int64, uint, bool), pandas nullable
(``Int8``, ``Int64``, ``Float64``, ``boolean``, ``string``), Arrow (``int64[pyarrow]``,
``double[pyarrow]``, ``bool[pyarrow]``, ``string[pyarrow]``), ``Categorical`` and ``object``.
A representation is only used where it can hold the values (no ``int8`` with missing values).

``XMPI_HOSTILE_EXAMPLES=2000 pytest tests/test_hostile_input.py`` for a thorough run; the
default keeps the module within about half a minute after compilation.
"""

from __future__ import annotations

import copy
import os
import warnings
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reference import assert_measures_close, from_result, reference_measure

import mpi

pa = pytest.importorskip("pyarrow", reason="Arrow dtypes need pyarrow (a test dependency)")

MAX_EXAMPLES = int(os.environ.get("XMPI_HOSTILE_EXAMPLES", "60"))
SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --------------------------------------------------------------------------------------
# Representations of one column of canonical values (None = missing)
# --------------------------------------------------------------------------------------
FLAG_REPS = [
    "float64", "float32", "object", "Float64", "Int64", "Int8", "boolean", "category",
    "int8", "uint8", "int16", "int64", "bool", "int64[pyarrow]", "double[pyarrow]",
    "bool[pyarrow]",
]  # fmt: skip
NUMBER_REPS = ["float64", "float32", "object", "Float64", "double[pyarrow]", "category"]
INTEGER_REPS = ["int64", "int32", "uint16", "Int64", "Int16", "int64[pyarrow]", "object"]
TEXT_REPS = ["object", "string", "string[pyarrow]", "category"]
LABEL_TEXT = ["north", "南部", "é", "a b", "x,y", "0"]
LABEL_INTS = [-(2**62) - 5, -1, 0, 7, 2**62 + 9]
LABEL_UINTS = [0, 3, 2**63 + 5, 2**64 - 1]
WEIGHT_REPS = ["float64", "Float64", "double[pyarrow]", "object"]

_INT_DTYPES = {"int8", "uint8", "int16", "int32", "int64", "uint16", "uint64"}
_NO_MISSING = _INT_DTYPES | {"bool"}


def _fits(values: list[Any], rep: str) -> bool:
    """Whether ``rep`` can hold ``values`` exactly."""
    present = [v for v in values if v is not None]
    if rep in _NO_MISSING and len(present) < len(values):
        return False
    if rep in ("bool", "boolean", "bool[pyarrow]"):
        return all(v in (0, 1) for v in present)
    if rep in _INT_DTYPES or rep in ("Int8", "Int16", "Int64", "int64[pyarrow]"):
        if not all(float(v).is_integer() for v in present):
            return False
        info = np.iinfo(rep.lower().split("[")[0])
        return all(info.min <= int(v) <= info.max for v in present)
    if rep == "float32":
        return all(float(np.float32(v)) == float(v) for v in present)
    return True


def represent(values: list[Any], rep: str, categories: list[Any] | None = None) -> pd.Series:
    """``values`` (``None`` = missing) as a Series of representation ``rep``."""
    if rep == "category":
        cats = (
            categories
            if categories is not None
            else sorted({v for v in values if v is not None}, key=repr)
        )
        return pd.Series(pd.Categorical(values, categories=cats))
    if rep == "object":
        return pd.Series(np.array(values, dtype=object), dtype=object)
    if rep in ("float64", "float32"):
        return pd.Series(np.array([np.nan if v is None else v for v in values], dtype=rep))
    if rep in _NO_MISSING:
        return pd.Series(np.array(values, dtype=rep))
    if rep in ("Int8", "Int16", "Int64", "Float64", "boolean"):
        return pd.Series(pd.array([pd.NA if v is None else v for v in values], dtype=rep))
    if rep == "string":
        return pd.Series(pd.array(values, dtype="string"))
    return pd.Series(values, dtype=rep)  # Arrow dtypes take None as null


def canonical(values: list[Any], text: bool) -> pd.Series:
    """The reference's copy: object with None for text, float64 with NaN for numbers."""
    if text:
        return pd.Series(np.array(values, dtype=object), dtype=object)
    return pd.Series(np.array([np.nan if v is None else float(v) for v in values]))


# --------------------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------------------
def _values(draw: Any, n: int, pool: list[Any], missing: bool) -> list[Any]:
    opts = pool + ([None] if missing else [])
    return draw(st.lists(st.sampled_from(opts), min_size=n, max_size=n))


@st.composite
def cases(draw: Any) -> dict[str, Any]:
    """A small table with hostile dtypes, a spec over it and the measure's arguments."""
    n = draw(st.integers(1, 30))
    d = draw(st.integers(1, 4))
    missing = draw(st.booleans())
    hostile: dict[str, pd.Series] = {}
    canon: dict[str, pd.Series] = {}
    inds = []
    for j in range(d):
        kind = draw(st.sampled_from(["flag", "cardinal", "ordinal", "text"]))
        col = f"v{j}"
        if kind == "flag":
            vals = _values(draw, n, [0, 1], missing)
            reps = FLAG_REPS
            ind = dict(name=f"i{j}", variable=col)
        elif kind == "cardinal":
            vals = _values(draw, n, [0.0, 1.5, 3.0, 4.5, 6.0, -2.0], missing)
            reps = NUMBER_REPS
            ind = dict(name=f"i{j}", variable=col, cutoff=3)
        elif kind == "ordinal":
            vals = _values(draw, n, [0, 1, 2, 3, 100], missing)
            reps = INTEGER_REPS + ["float64", "Float64"]
            rule = draw(st.sampled_from(["<", "<=", ">", ">=", "==", "!="]))
            ind = dict(name=f"i{j}", variable=col, cutoff=2, deprived_if=rule, cardinal=False)
        else:
            pool = ["none", "primary", "secondary", "小学"]
            vals = _values(draw, n, pool, missing)
            reps = TEXT_REPS
            ind = dict(name=f"i{j}", variable=col, cutoff=pool[::3], deprived_if="in")
        rep = draw(st.sampled_from([r for r in reps if _fits(vals, r)]))
        cats = ["none", "primary", "secondary", "小学"] if kind == "text" else None
        hostile[col] = represent(vals, rep, cats)
        canon[col] = canonical(vals, kind == "text")
        inds.append(mpi.Indicator(**ind, weight=Fraction(1, d), dimension=f"D{j % 2}"))
    kw: dict[str, Any] = {"missing": draw(st.sampled_from(["drop", "reweight", "raise"]))}
    if draw(st.booleans()):
        wv = _values(draw, n, [0.0, 0.5, 1.0, 2.25, 1e6], draw(st.booleans()))
        if draw(st.integers(0, 9)) == 0:
            wv[draw(st.integers(0, n - 1))] = -1.0
        wrep = draw(st.sampled_from(WEIGHT_REPS))
        hostile["w"] = represent(wv, wrep)
        canon["w"] = canonical(wv, False)
        kw["weight"] = "w"
    if draw(st.booleans()):
        kind = draw(st.sampled_from(["text", "ints", "uints"]))
        grp_missing = draw(st.booleans()) and kind != "uints"
        pool = {"text": LABEL_TEXT, "ints": LABEL_INTS, "uints": LABEL_UINTS}[kind]
        gv = _values(
            draw,
            n,
            draw(st.lists(st.sampled_from(pool), min_size=1, max_size=4, unique=True)),
            grp_missing,
        )
        if kind == "text":
            reps = TEXT_REPS
        elif kind == "ints":
            reps = ["Int64", "object", "int64[pyarrow]", "category"]
            reps += [] if None in gv else ["int64"]
        else:
            reps = ["uint64", "object", "category"]
        rep = draw(st.sampled_from(reps))
        hostile["g"] = represent(gv, rep)
        canon["g"] = pd.Series(np.array(gv, dtype=object), dtype=object)
        kw["by"] = "g"
    k = draw(st.sampled_from([Fraction(1, d), Fraction(1, 2), Fraction(1, 1), Fraction(1, 3)]))
    spec = mpi.Spec(inds, k=k, vulnerable=min(k, Fraction(1, 5)), severe=max(k, Fraction(1, 2)))
    return {
        "hostile": pd.DataFrame(hostile),
        "canon": pd.DataFrame(canon),
        "spec": spec,
        "kw": kw,
        "n": n,
    }


# --------------------------------------------------------------------------------------
# Running and checking
# --------------------------------------------------------------------------------------
def _mpi_warning(w: warnings.WarningMessage) -> bool:
    return w.category.__module__.split(".")[0] == "mpi"


def run_measure(df: pd.DataFrame, spec: mpi.Spec, **kw: Any) -> Any:
    """``mpi.measure`` on ``df``: the result, or the ``mpi`` error it raised. Any other
    exception fails the test; so does a foreign warning or a change of ``df``."""
    before = df.copy(deep=True)
    dtypes = df.dtypes.copy()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out: Any = mpi.measure(df, spec, **kw)
        except mpi.ValidationError as err:
            out = err
    foreign = [f"{w.category.__name__}: {w.message}" for w in caught if not _mpi_warning(w)]
    assert not foreign, f"warnings that are not mpi's: {foreign}"
    pd.testing.assert_frame_equal(df, before, check_exact=True)
    pd.testing.assert_series_equal(df.dtypes, dtypes)
    return out


def _counted(res: Any, n: int) -> None:
    """Every unit is counted once: used, dropped, or (by) in the missing group."""
    overall = res.overall.to_dataset() if res.by else res.to_dataset()
    used = int(overall["n_obs"]) + int(overall["n_dropped"])
    assert used == n, f"{n} units in, {used} counted (n_obs + n_dropped)"
    if res.by:
        ds = res.to_dataset()
        in_groups = int(ds["n_obs"].sum()) + int(ds["n_dropped"].sum())
        n_missing_group = int(np.asarray(ds["n_missing_group"]).sum())
        assert in_groups + n_missing_group == n, (
            f"{n} units in, {in_groups} in groups and {n_missing_group} with a missing group"
        )


@SETTINGS
@given(case=cases())
def test_hostile_dtypes_give_the_reference_or_an_mpi_error(case: dict[str, Any]) -> None:
    spec, kw, n = case["spec"], case["kw"], case["n"]
    got = run_measure(case["hostile"], spec, **kw)
    want = run_measure(case["canon"], spec, **kw)
    if isinstance(want, mpi.ValidationError):
        assert isinstance(got, mpi.ValidationError), (
            f"the canonical copy raises {type(want).__name__}: {want}; the hostile one does not"
        )
        assert type(got) is type(want), (
            f"{type(got).__name__}: {got} vs {type(want).__name__}: {want}"
        )
        return
    assert not isinstance(got, Exception), f"{type(got).__name__}: {got} (canonical copy measures)"
    _counted(got, n)
    try:
        ref_kw = {**kw, "missing": "drop" if kw["missing"] == "raise" else kw["missing"]}
        exp = reference_measure(case["canon"], spec, **ref_kw)
    except ZeroDivisionError:  # pragma: no cover - reference: no unit used
        return
    by = kw.get("by")
    assert_measures_close(from_result(got, spec, by=by), exp, rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------------------------
# Degenerate designs: labels of every kind; PSUs shared by strata; lonely PSUs; missing
# --------------------------------------------------------------------------------------
@st.composite
def design_cases(draw: Any) -> dict[str, Any]:
    n_strata = draw(st.integers(1, 4))
    rows = []
    for h in range(n_strata):
        for p in range(draw(st.integers(1, 3))):
            rows += [(h, p)] * draw(st.integers(1, 4))
    n = len(rows)
    strata = [h for h, _ in rows]
    psu_in = [p for _, p in rows]
    nest = draw(st.booleans())
    if not nest and draw(st.booleans()):  # reuse labels: PSU p of every stratum is "p"
        psu = psu_in
    else:
        psu = [h * 10 + p for h, p in rows]
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    flags = rng.integers(0, 2, (n, 3))
    weights = rng.uniform(0.5, 3.0, n)
    text = draw(st.booleans())
    wide = draw(st.booleans())
    psu_labels = [f"c-{x}-é" for x in psu] if text else [(2**62 + x if wide else x) for x in psu]
    strat_labels = (
        [f"S{x}" for x in strata] if text else [(-(2**62) + x if wide else x) for x in strata]
    )
    n_missing = draw(st.integers(0, 1)) if n > 1 else 0
    psu_vals: list[Any] = list(psu_labels)
    if n_missing:
        psu_vals[draw(st.integers(0, n - 1))] = None
    rep = draw(
        st.sampled_from(TEXT_REPS if text else ["int64", "Int64", "object", "int64[pyarrow]"])
    )
    if not text and rep == "int64" and n_missing:
        rep = "Int64"
    df = pd.DataFrame(
        {
            "a": flags[:, 0].astype("int8"),
            "b": flags[:, 1].astype(float),
            "c": flags[:, 2].astype(bool),
            "w": weights,
            "psu": represent(psu_vals, rep),
            "stratum": represent(strat_labels, rep if rep != "category" else "object"),
        }
    )
    plain = df.assign(
        psu=pd.factorize(pd.Series(list(zip(strata, psu, strict=True))))[0] if nest else psu,
        stratum=strata,
    )
    if n_missing:
        plain = None  # a missing PSU label must be an error
    shared = len({(h, p) for h, p in zip(strata, psu, strict=True)}) > len(set(psu))
    return {"df": df, "plain": plain, "nest": nest, "shared": shared,
            "lonely": draw(st.sampled_from(["fail", "adjust", "remove"]))}  # fmt: skip


@SETTINGS
@given(case=design_cases())
def test_degenerate_designs_are_measured_or_refused(case: dict[str, Any]) -> None:
    spec = mpi.Spec.from_dimensions({"X": ["a", "b"], "Y": ["c"]}, k=Fraction(1, 3))
    design = mpi.Design(
        "w", strata="stratum", psu="psu", nest=case["nest"], lonely_psu=case["lonely"]
    )
    got = run_measure(case["df"], spec, design=design)
    if case["plain"] is None:
        assert isinstance(got, mpi.DataError), f"a missing PSU label gave {got!r}"
        return
    if case["shared"] and not case["nest"]:
        assert isinstance(got, mpi.DataError), "a PSU label in several strata was not refused"
        assert "nest" in str(got)
        return
    want = run_measure(case["plain"], spec, design=design)
    if isinstance(want, mpi.ValidationError):
        assert type(got) is type(want), f"{got!r} vs {want!r}"
        return
    assert not isinstance(got, Exception), f"{got!r}"
    for name in ("H", "M0", "A"):
        np.testing.assert_allclose(float(got[name]), float(want[name]), rtol=1e-12)
        np.testing.assert_allclose(
            float(got.se[name]), float(want.se[name]), rtol=1e-12, atol=1e-15, equal_nan=True
        )


def test_suite_generates_every_representation() -> None:
    """The strategies reach every representation (a guard against a strategy that shrinks
    to the easy dtypes): each listed dtype can be built from canonical values."""
    for rep in FLAG_REPS:
        vals = [0, 1, 1] if rep in _NO_MISSING else [0, None, 1]
        s = represent(vals, rep)
        assert len(s) == 3
        assert (
            canonical(vals, False).fillna(-1).to_numpy()
            == [v if v is not None else -1 for v in vals]
        ).all()
    for rep in TEXT_REPS:
        assert represent(["a", None], rep).isna().tolist() == [False, True]
    assert copy.copy(LABEL_UINTS)[2] > 2**63
