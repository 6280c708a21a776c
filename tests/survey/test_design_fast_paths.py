"""The fast paths of design-based inference give what the plain formulations give.

* ``kernels.bucket_statistics`` equals the numpy formulation it replaced, bit for bit;
* the AF kernel's shared-output mode (chunks meeting disjoint cell ranges add into one
  array) equals a single chunk bit for bit, and the private-sums mode to rounding;
* the dense (PSU, group) table and one row per (PSU, group) pair give the same SEs,
  covariances and domain degrees of freedom;
* lazy linearised perturbations (:class:`mpi.Estimate` terms) equal perturbations
  materialised after every operation, for every operation of the algebra;
* ``combine_terms`` and ``sum_rows`` equal numpy; ``terms_variance`` equals
  ``strata_variance`` of the combined terms bit for bit.
"""

from __future__ import annotations

import importlib
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import mpi
from mpi import kernels
from mpi.survey.design import encode_design
from mpi.survey.estimate import MAX_TERMS, Estimate, LinearizedEngine

inference = importlib.import_module("mpi.measurement.design_pass")
measure_mod = importlib.import_module("mpi.measurement.measure")


# -- bucket statistics --------------------------------------------------------------------
def _numpy_buckets(bstat, bdep, bmissw, bcadj, wflt, position):
    """The numpy formulation that kernels.bucket_statistics replaced."""
    n_k = bstat.shape[1] - 1
    reweighted = bmissw.shape[0] > 0

    def above(x):
        if n_k == 1:
            return x[:, 1:]
        out = np.empty((x.shape[0], n_k, *x.shape[2:]))
        acc = x[:, n_k].copy()
        out[:, n_k - 1] = acc
        for kk in range(n_k - 2, -1, -1):
            acc += x[:, kk + 1]
            out[:, kk] = acc
        return out[:, position]

    def below(x):
        if n_k == 1:
            return x[:, :1]
        out = np.empty((x.shape[0], n_k, *x.shape[2:]))
        acc = x[:, 0].copy()
        out[:, 0] = acc
        for kk in range(1, n_k):
            acc += x[:, kk]
            out[:, kk] = acc
        return out[:, position]

    def buckets(x):
        out = x[:, 0].copy()
        for b in range(1, x.shape[1]):
            out += x[:, b]
        return out

    sumw = buckets(bstat[..., 0])
    cdep = above(bdep)
    obs = (
        sumw[:, None] - buckets(bmissw)
        if reweighted
        else np.repeat(sumw[:, None], bdep.shape[2], 1)
    )
    return (
        sumw,
        buckets(bstat[..., 1]),
        buckets(bstat[..., 7]),
        buckets(bstat[..., 2]),
        obs,
        buckets(bdep),
        above(bstat[..., 0]),
        above(bstat[..., 2]),
        above(bstat[..., 3]),
        below(bstat[..., 6]),
        above(bstat[..., 4]),
        above(bstat[..., 5]),
        cdep,
        cdep * wflt + above(bcadj) if reweighted else cdep * wflt,
    )


@pytest.mark.parametrize("n_k", [1, 2, 4])
@pytest.mark.parametrize("reweighted", [False, True])
@pytest.mark.parametrize("numba_pass", [True, False])
def test_bucket_statistics_equal_numpy_bit_for_bit(n_k, reweighted, numba_pass, monkeypatch):
    """Both of ``bucket_statistics``' paths (the numba pass for many cells, numpy for few)
    equal the numpy formulation bit for bit, and give C-contiguous arrays."""
    monkeypatch.setattr(kernels.buckets, "NUMBA_MIN_CELLS", 0 if numba_pass else 10**9)
    rng = np.random.default_rng(n_k + 10 * reweighted)
    c, d = 37, 6
    bstat = rng.random((c, n_k + 1, 8)) * 100
    bdep = rng.random((c, n_k + 1, d)) * 100
    bmissw = rng.random((c, n_k + 1, d)) if reweighted else np.zeros((0, n_k + 1, d))
    bcadj = rng.normal(size=(c, n_k + 1, d)) if reweighted else np.zeros((0, n_k + 1, d))
    wflt = rng.random(d) / d
    position = rng.permutation(n_k).astype(np.int64)  # user's cutoffs in any order
    got = kernels.bucket_statistics(bstat, bdep, bmissw, bcadj, wflt, position)
    want = _numpy_buckets(bstat, bdep, bmissw, bcadj, wflt, position)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g, w)
        assert g.flags.c_contiguous


# -- kernel: shared output vs private sums -------------------------------------------------
def _survey(n=30_000, n_psu=300, sort=True, seed=3):
    rng = np.random.default_rng(seed)
    psu = rng.integers(0, n_psu, n)
    if sort:
        psu = np.sort(psu)
    df = pd.DataFrame({f"x{j}": rng.random(n) for j in range(6)})
    df.loc[rng.random(n) < 0.01, "x2"] = np.nan  # dropped units in some PSUs
    df["w"] = rng.uniform(0.5, 3.0, n)
    df["psu"] = psu
    df["stratum"] = psu // 10
    df["g"] = rng.integers(0, 4, n)
    df["region"] = psu % 7  # nested in PSUs: a sparse (PSU, region) table
    return df


def _spec():
    inds = [
        mpi.Indicator(f"x{j}", weight=Fraction(1, 6), dimension="abc"[j // 2], cutoff=0.3)
        for j in range(6)
    ]
    return mpi.Spec(inds, k=Fraction(1, 3))


def _kernel_raw(df, n_chunks, cell_block, major=False, minor_shift=0, blocks_sorted=False):
    """The kernel's sums per PSU-major (PSU, group) row, from pair codes or (``major``)
    computed in the kernel from the PSU and group codes (``minor_shift`` corrupts the group
    codes: the kernel must report them)."""
    spec = _spec()
    prep = measure_mod._prepare(
        df,
        spec,
        weight="w",
        by="g",
        k=[Fraction(1, 4), Fraction(1, 2)],
        missing="drop",
        use_patterns=None,
        extra=["psu", "stratum"],
    )
    enc = encode_design(prep.table, mpi.Design("w", strata="stratum", psu="psu"))
    g = prep.groups
    key = enc.psu * g.n_cells + (np.asarray(g.codes, np.int64) - g.offset)
    wint, denom = spec.integer_weights
    ks = sorted(prep.ks)
    cell, offset, extra = np.ascontiguousarray(key), 0, ()
    if major:
        cell, offset = np.asarray(g.codes, np.int64) + minor_shift, g.offset
        extra = (enc.psu, g.n_cells)
    ident = kernels.Identification(
        prep.rules,
        prep.cutoffs,
        prep.cardinal,
        wint,
        spec.dimension_index,
        len(spec.dimensions),
        denom,
        np.array([f.numerator for f in ks]),
        np.array([f.denominator for f in ks]),
        spec.vulnerable.numerator,
        spec.vulnerable.denominator,
        spec.severe.numerator,
        spec.severe.denominator,
        False,
        kernels.af.DIRECT,
    )
    n_rows = g.n_cells * enc.n_psu
    if not extra:
        extra = (None, 0)
    out = kernels.af_statistics(
        prep.cols, ident, prep.sweight, cell, offset, n_rows, n_chunks, cell_block, *extra,
        blocks_sorted,
    )  # fmt: skip
    if minor_shift or blocks_sorted == "unchecked":
        return out
    assert not out[-1][:, 0].any()
    return out[:-1], g.n_cells


def test_kernel_computes_psu_major_cells_as_the_pair_codes_and_checks_them():
    df = _survey()
    want, n_cells = _kernel_raw(df, 2, 0)
    got, _ = _kernel_raw(df, 2, 0, major=True)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_array_equal(a, b)
    # a group code past the PSU's cells would land in the next PSU's rows: an error
    err = _kernel_raw(df, 2, 0, major=True, minor_shift=n_cells)[-1]
    assert (err[:, 0] == kernels.af.ERR_CELL).any()


def _ranged_survey(sort):
    """A survey with more (PSU, group) rows than ``RANGE_MIN_CELLS`` (a numba constant:
    monkeypatching it does not reach compiled code), so each chunk sums a range of rows."""
    df = _survey(n=40_000, n_psu=1_000, sort=sort)
    one, n_cells = _kernel_raw(df, 1, 0)
    assert n_cells * df["psu"].nunique() > kernels.af.RANGE_MIN_CELLS
    return df, one, n_cells


def test_kernel_shared_output_equals_one_chunk_bit_for_bit():
    df, one, n_cells = _ranged_survey(sort=True)
    for n_chunks in (2, 3, 7):
        shared, _ = _kernel_raw(df, n_chunks, n_cells)
        for a, b in zip(shared, one, strict=True):
            np.testing.assert_array_equal(a, b)
        private, _ = _kernel_raw(df, n_chunks, 0)  # boundaries inside PSUs: merged sums
        for a, b in zip(private, one, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-12)


def test_kernel_ranges_from_sorted_blocks_equal_the_scanned_ranges():
    """With ``blocks_sorted`` each chunk's range of cells comes from its first and last
    unit, not a pass over its units: the same sums, bit for bit, for pair codes and for
    cells computed in the kernel. Claimed on units that are not sorted, a unit outside its
    chunk's range is an error, never a write into another chunk's rows."""
    df, _, n_cells = _ranged_survey(sort=True)
    for n_chunks in (1, 2, 3, 7):
        for major in (False, True):
            want, _ = _kernel_raw(df, n_chunks, n_cells, major=major)
            got, _ = _kernel_raw(df, n_chunks, n_cells, major=major, blocks_sorted=True)
            for a, b in zip(got, want, strict=True):
                np.testing.assert_array_equal(a, b)
    shuffled, _, _ = _ranged_survey(sort=False)
    err = _kernel_raw(shuffled, 3, n_cells, blocks_sorted="unchecked")[-1]
    assert (err[:, 0] == kernels.af.ERR_CELL).any()


def test_kernel_unsorted_units_fall_back_to_private_sums():
    df, one, n_cells = _ranged_survey(sort=False)
    got, _ = _kernel_raw(df, 3, n_cells)  # overlapping ranges: must not share the output
    for a, b in zip(got, one, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-12)


# -- dense table vs one row per pair ------------------------------------------------------
@pytest.mark.filterwarnings("ignore::mpi.MissingDataWarning")
@pytest.mark.parametrize("by", ["g", "region", ["g", "region"]])
def test_dense_and_pair_layouts_agree(monkeypatch, by):
    df = _survey(n=8_000, n_psu=120)
    design = mpi.Design("w", strata="stratum", psu="psu")
    spec = _spec()
    ks = [Fraction(1, 4), Fraction(1, 2)]
    # the dense table with cells computed in the kernel (the default here: 120 PSUs x at
    # most 12 cells < 8,000 units), then from an array of pair codes
    inline = mpi.measure(df, spec, by=by, k=ks, design=design)
    assert inline._inference.totals.dense
    assert inline.se["M0"].notnull().all()  # SEs never ask which rows hold units
    assert callable(inline._inference.totals.present)
    assert inline._inference.totals.codes._args is not None  # nor for the rows' group codes
    monkeypatch.setattr(inference, "INLINE_CELLS_PER_UNIT", 0)
    monkeypatch.setattr(inference, "DENSE_MAX_FILL", 10**9)  # always the dense table
    dense = mpi.measure(df, spec, by=by, k=ks, design=design)
    assert dense._inference.totals.dense
    a, b = inline._inference.totals, dense._inference.totals
    per_psu = int(np.prod(a.table_shape))  # one variable without missing values: no empty slot
    trimmed = isinstance(by, str)  # one integer variable
    assert per_psu == int(np.prod(b.table_shape)) - trimmed

    def known(arr, t):  # (PSU, cells of the inline table, ...)
        grid = arr.reshape((t.n_lead, -1, *arr.shape[1:]))
        return grid[:, :per_psu]

    for name in ("SUMW", "POOR", "CDEP", "NMISS", "NDROP"):
        np.testing.assert_array_equal(known(a.arrays[name], a), known(b.arrays[name], b))
    np.testing.assert_array_equal(
        known(a.rows_holding_units(), a), known(b.rows_holding_units(), b)
    )
    assert not callable(a.present)  # computed once, then kept
    if trimmed:  # nothing was in the slot left out
        assert not b.present.reshape(b.n_lead, -1)[:, per_psu:].any()
    xr.testing.assert_identical(inline.se, dense.se)
    monkeypatch.setattr(inference, "DENSE_MAX_FILL", 0)  # always one row per pair
    monkeypatch.setattr(inference, "DENSE_SLACK", 0)
    pairs = mpi.measure(df, spec, by=by, k=ks, design=design)
    assert not pairs._inference.totals.dense
    xr.testing.assert_allclose(dense.to_dataset(), pairs.to_dataset(), rtol=1e-13, atol=1e-15)
    xr.testing.assert_allclose(dense.se, pairs.se, rtol=1e-12, atol=1e-15)
    xr.testing.assert_equal(dense.domain_df(), pairs.domain_df())
    xr.testing.assert_equal(inline.domain_df(), pairs.domain_df())  # the codes computed late
    np.testing.assert_allclose(
        dense.vcov(["H", "M0"]).to_numpy(),
        pairs.vcov(["H", "M0"]).to_numpy(),
        rtol=1e-12,
        atol=1e-18,
    )


# -- lazy perturbations -------------------------------------------------------------------
def _materialise(e: Estimate) -> Estimate:
    return Estimate(e._v, np.array(e._p), e.engine, dims=e.dims, coords=e._c)


def _engine(n_psu=40, seed=0):
    rng = np.random.default_rng(seed)
    n_h = np.full(n_psu // 4, 4)
    enc = type("Enc", (), {})()
    enc.n_h = n_h
    enc.starts = np.concatenate([[0], np.cumsum(n_h)[:-1]]).astype(np.int64)
    enc.fpc_factor = rng.uniform(0.5, 1.0, len(n_h))
    enc.stratum_weight = np.ones(len(n_h))
    enc.n_psu = n_psu
    enc.n_strata = len(n_h)
    enc.lonely_psu = "fail"
    enc.overlap_a = np.empty(0, np.int64)
    enc.overlap_b = np.empty(0, np.int64)
    enc.overlap_starts = np.empty(0, np.int64)
    enc.overlap_m = np.empty(0, np.int64)
    enc.overlap_f = np.empty(0)
    enc.df = n_psu - len(n_h)
    return LinearizedEngine(enc)


def _base(engine, rng, dims, sizes, positive=True):
    shape = tuple(sizes[d] for d in dims)
    n = engine.design.n_psu
    pert = rng.uniform(1, 2, (n, *shape)) if positive else rng.normal(size=(n, *shape))
    pert[:, ...] *= rng.uniform(0.5, 2.0, (n,) + (1,) * len(shape))
    coords = {d: xr.Variable(d, np.arange(sizes[d]) * 10) for d in dims}
    return Estimate(pert.sum(0), pert, engine, dims=dims, coords=coords)


def _check(lazy: Estimate, eager: Estimate):
    assert lazy.dims == eager.dims
    # the variance straight from the terms (nothing materialised yet), then materialised
    fused = lazy.se.values
    np.testing.assert_allclose(fused, eager.se.values, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(lazy._v, eager._v, rtol=1e-14)
    np.testing.assert_allclose(
        np.broadcast_to(lazy._p, eager._p.shape), eager._p, rtol=1e-12, atol=1e-12
    )
    np.testing.assert_allclose(lazy.se.values, eager.se.values, rtol=1e-12, atol=1e-15)


def test_lazy_terms_equal_eager_materialisation():
    rng = np.random.default_rng(5)
    eng = _engine()
    sizes = {"g": 3, "k": 2, "indicator": 4}
    y = _base(eng, rng, ("g", "k", "indicator"), sizes)
    x = _base(eng, rng, ("g",), sizes)
    z = _base(eng, rng, ("g", "k"), sizes)
    ops = {
        "ratio": lambda a, b, c: a / b,
        "product": lambda a, b, c: a * c - b,
        "chain": lambda a, b, c: (a / b - c / b) ** 2 + 3.0 * (c / b),
        "clip": lambda a, b, c: (c / b - (a / b).sum("indicator") * 0.0).clip_lower(0.0),
        "sum": lambda a, b, c: (a / b).sum("indicator") / (c / b),
        "isel": lambda a, b, c: (a / b).isel(k=1, indicator=slice(1, 3)) - (c / b).isel(k=1),
        "sel": lambda a, b, c: (a / c).sel(g=10, k=10) * 2.0,
        "array index": lambda a, b, c: (a / b).isel(indicator=[0, 2]),
        "dot": lambda a, b, c: (a / b).dot(
            xr.DataArray(np.ones((4, 2)), dims=("indicator", "dimension")), "indicator"
        ),
        "dot, folded": lambda a, b, c: (
            (a * xr.DataArray(np.arange(1.0, 5.0), dims="indicator"))
            .isel(k=0)
            .dot(xr.DataArray(np.eye(4)[:, :2], dims=("indicator", "dimension")), "indicator")
            / b
        ),
        "fillna": lambda a, b, c: (a - a) / (b - b + 1.0) + (c / b).fillna(0.0),
        "constant": lambda a, b, c: (a / b) * 0.0 + 1.0,
        "many terms": lambda a, b, c: sum(
            (_base(eng, rng, ("g",), sizes) / b for _ in range(MAX_TERMS + 2)), c / b
        ),
    }
    for name, op in ops.items():
        state = rng.bit_generator.state
        lazy = op(y, x, z)
        rng.bit_generator.state = state  # the same extra bases for the eager run
        eager = op(_materialise(y), _materialise(x), _materialise(z))
        try:
            _check(lazy, eager)
        except AssertionError as err:  # pragma: no cover - names the failing operation
            raise AssertionError(f"{name}: {err}") from None


def test_lazy_terms_in_change_and_wald_match_materialised():
    df = mpi.datasets.load("dhs_rounds")
    design = mpi.Design("weight", strata="stratum", psu="psu")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mpi.MissingDataWarning)
        res = mpi.measure(df, mpi.presets.global_mpi_2018(), by="round", design=design)
    m0 = res.estimate("M0")
    gap = m0.sel(round=2020) - m0.sel(round=2015)
    eager = _materialise(m0)
    gap_e = eager.sel(round=2020) - eager.sel(round=2015)
    assert float(gap.se) == pytest.approx(float(gap_e.se), rel=1e-12)
    assert float(gap.value) == float(gap_e.value)


# -- small kernels ------------------------------------------------------------------------
def test_combine_terms_and_sum_rows_equal_numpy():
    rng = np.random.default_rng(4)
    base1 = rng.normal(size=(50, 6, 3))  # a view of its known cells is a strided base
    base2 = rng.normal(size=(50, 6))
    view1 = base1[:, :5, :]
    view2 = base2[:, :5]
    c1, c2 = rng.normal(size=(5, 3)), rng.normal(size=(5, 1))
    t1 = (c1, view1, ("g", "i"))
    t2 = (c2, view2[:, :, None][..., 0], ("g",))
    e = Estimate(np.zeros((5, 3)), None, _engine(50), dims=("g", "i"), terms=(t1, t2))
    want = c1[None] * view1 + c2[None] * view2[:, :, None]
    np.testing.assert_allclose(e._p, want, rtol=1e-15, atol=1e-15)
    x = rng.normal(size=(200, 7))
    np.testing.assert_allclose(kernels.sum_rows(x), x.sum(axis=0), rtol=1e-13)


def test_rows_with_units_counts_dropped_and_used_units():
    rng = np.random.default_rng(5)
    bstat = np.zeros((40, 3, kernels.af.NBS))
    ndrop = np.zeros(40)
    bstat[rng.integers(0, 40, 15), rng.integers(0, 3, 15), kernels.af.NOBS] = 1.0
    ndrop[rng.integers(0, 40, 5)] = 2.0
    bstat[:, :, kernels.af.SUMW] = 1.0  # other fields do not count
    want = ndrop + bstat[:, :, kernels.af.NOBS].sum(axis=1) > 0
    assert 0 < want.sum() < 40
    np.testing.assert_array_equal(kernels.rows_with_units(bstat, ndrop), want)


def test_terms_variance_equals_combined_then_strata_variance_bit_for_bit():
    rng = np.random.default_rng(8)
    eng = _engine(48)
    sizes = {"g": 3, "indicator": 5}
    y = _base(eng, rng, ("g", "indicator"), sizes)
    x = _base(eng, rng, ("g",), sizes)
    e = (y / x) * 2.0 - (x / x.sum("g"))
    fused = e.variance_values()  # from the terms
    assert e._pm is None
    d = eng.design
    flat = np.ascontiguousarray(e._p.reshape(e._p.shape[0], -1))
    n_h = d.n_h.astype(float)
    scale = np.where(d.n_h > 1, d.fpc_factor * n_h / np.maximum(n_h - 1, 1), 0.0)
    want = kernels.strata_variance(flat, d.starts, d.n_h, scale).reshape(e._v.shape)
    np.testing.assert_array_equal(fused, want)


def test_terms_variance_is_the_same_for_any_number_of_threads(monkeypatch):
    """Estimates batched in one call, strata split between threads and in blocks (300
    strata: two blocks of ``STRATA_BLOCK``): the same variances to the last bit as one
    thread, as each estimate alone and as ``strata_variance`` of the combined terms. The
    parallel kernel is forced (this batch is below ``PARALLEL_MIN_WORK``, where one thread
    does the pass)."""
    from mpi.survey.estimate import PSU
    from mpi.survey.terms import TermBatch as _TermBatch  # moved out of estimate.py

    rng = np.random.default_rng(9)
    eng = _engine(1200)
    sizes = {"g": 3, "indicator": 5}
    y = _base(eng, rng, ("g", "indicator"), sizes)
    x = _base(eng, rng, ("g",), sizes)
    ests = [y / x, x / x.sum("g"), (y / x) * 2.0 - (x / x.sum("g")), x * x, y.sum("g") / x]
    batch = _TermBatch(PSU)
    for e in ests:
        batch.add(e._terms, e.dims, e._v.shape)
    arrays = batch.arrays()
    d = eng.design
    assert d.n_strata > kernels.variance.STRATA_BLOCK
    n_h = d.n_h.astype(float)
    scale = np.where(d.n_h > 1, d.fpc_factor * n_h / np.maximum(n_h - 1, 1), 0.0)
    want = kernels.terms_variance(*arrays, d.starts, d.n_h, scale, 1)
    assert np.sum(d.n_h) * arrays[-1] < kernels.variance.PARALLEL_MIN_WORK
    np.testing.assert_array_equal(kernels.terms_variance(*arrays, d.starts, d.n_h, scale, 8), want)
    monkeypatch.setattr(kernels.variance, "PARALLEL_MIN_WORK", 0)
    for n_threads in (2, 3, 8, 100):
        got = kernels.terms_variance(*arrays, d.starts, d.n_h, scale, n_threads)
        np.testing.assert_array_equal(got, want)
    sizes_ = np.cumsum([e._v.size for e in ests])[:-1]
    for e, cols in zip(ests, np.split(want, sizes_), strict=True):
        np.testing.assert_array_equal(cols.reshape(e._v.shape), e.variance_values())
    flat = np.ascontiguousarray(ests[2]._p.reshape(1200, -1))
    np.testing.assert_array_equal(
        kernels.strata_variance(flat, d.starts, d.n_h, scale), ests[2].variance_values().ravel()
    )


def test_undefined_deviations_in_census_strata_but_not_in_removed_lone_psus():
    """Found by the random-design property test (reference: R survey's arithmetic). Nobody
    poor makes A undefined: a census stratum (fpc = its PSU count, scale 0) keeps its
    variance undefined (0 x NaN), a lone PSU under "average" adds nothing. A group whose
    only unit is dropped has an undefined H, but in a design whose one stratum is a lone
    PSU removed by its policy the variance is 0 (nothing is added)."""
    spec = mpi.Spec(
        [
            mpi.Indicator("i0", weight="1/2", dimension="a", variable="x0"),
            mpi.Indicator("i1", weight="1/2", dimension="b", variable="x1", cutoff=3),
        ],
        k="1/2",
    )
    df = pd.DataFrame(
        {"stratum": [0, 1, 1], "psu": [1, 2, 3], "x0": 0.0, "x1": 5.0, "w": 1.0, "fpc": [1.0, 2, 2]}
    )
    d = mpi.Design("w", strata="stratum", psu="psu", fpc="fpc", lonely_psu="average")
    res = mpi.measure(df, spec, design=d)
    assert np.isnan(float(res.to_dataset()["A"]))
    assert np.isnan(float(res.se["A"]))
    assert float(res.se["H"]) == 0.0  # a defined estimate keeps its (zero) variance
    df2 = pd.DataFrame(
        {
            "stratum": 0,
            "psu": 1,
            "x0": [0.0, np.nan, 0.0],
            "x1": 0.0,
            "w": 1.0,
            "grp": ["g0", "g1", "g0"],
        }
    )
    d2 = mpi.Design("w", strata="stratum", psu="psu", lonely_psu="remove")
    with pytest.warns(mpi.MissingDataWarning):
        res2 = mpi.measure(df2, spec, by="grp", design=d2)
    assert np.isnan(float(res2.to_dataset()["H"].sel(grp="g1")))
    assert float(res2.estimate("H").variance.sel(grp="g1")) == 0.0


def test_run_codes_equal_dense_codes_and_psu_values():
    rng = np.random.default_rng(8)
    labels = np.sort(rng.choice(np.arange(-50, 10_000, 7), 3_000))  # gaps, negatives, runs
    values = labels // 100
    codes, first, clash, ok = kernels.run_codes(labels, values)
    want, uniques, _ = kernels.dense_codes(labels, 10**6)
    per, want_clash = kernels.psu_values(want, values, len(uniques))
    assert ok and clash == want_clash == 0
    np.testing.assert_array_equal(codes, want)
    np.testing.assert_array_equal(labels[first], uniques)
    np.testing.assert_array_equal(values[first], per)
    mixed = values.copy()
    mixed[[5, 6, 900]] += 1  # PSUs with two values: counted once each, as psu_values does
    _, _, clash, _ = kernels.run_codes(labels, mixed)
    assert clash == kernels.psu_values(want, mixed, len(uniques))[1] > 0
    unsorted = labels.copy()
    unsorted[[10, 2_000]] = unsorted[[2_000, 10]]
    assert kernels.run_codes(unsorted, values)[3] is False
    empty = np.empty(0, np.int64)
    assert kernels.run_codes(empty, empty)[2:] == (0, True)


@pytest.mark.filterwarnings("ignore::mpi.MissingDataWarning")
def test_file_order_does_not_change_the_standard_errors():
    """A file sorted by PSU takes the run-code encoding and the kernel's sorted-block
    ranges; the same units in another order take the general paths: same SEs."""
    df = _survey(n=20_000, n_psu=200, sort=True)
    design = mpi.Design("w", strata="stratum", psu="psu")
    spec = _spec()
    table = measure_mod._prepare(
        df, spec, weight="w", by=None, k=None, missing="drop", use_patterns=None,
        extra=["stratum", "psu"],
    ).table  # fmt: skip
    assert encode_design(table, design).psu_in_order
    shuffled = df.sample(frac=1.0, random_state=2)
    for by in (None, "g"):
        a = mpi.measure(df, spec, by=by, design=design)
        b = mpi.measure(shuffled, spec, by=by, design=design)
        assert a._inference.encoded.psu_in_order and not b._inference.encoded.psu_in_order
        xr.testing.assert_allclose(a.se, b.se, rtol=1e-12, atol=0)
        xr.testing.assert_allclose(a.to_dataset(), b.to_dataset(), rtol=1e-12, atol=0)
    # PSU labels sorted, strata not in PSU order: renumbered by stratum, so not in order
    mixed = df.assign(stratum=(df["psu"] * 7919) % 23)
    enc = encode_design(
        measure_mod._prepare(
            mixed, spec, weight="w", by=None, k=None, missing="drop", use_patterns=None,
            extra=["stratum", "psu"],
        ).table,
        design,
    )  # fmt: skip
    assert not enc.psu_in_order
    r = mpi.measure(mixed, spec, by="g", design=design)
    r2 = mpi.measure(mixed.sample(frac=1.0, random_state=3), spec, by="g", design=design)
    xr.testing.assert_allclose(r.se, r2.se, rtol=1e-12, atol=0)


def test_integer_design_labels_take_the_per_psu_path_and_agree():
    """Integer strata and PSU labels are read per PSU (one pass); string labels of the same
    design go the general way. Both give the same encoding and SEs; a PSU label in two
    strata is refused by both."""
    df = _survey(n=6_000, n_psu=90, sort=False)
    df["stratum_s"] = "s" + df["stratum"].astype(str).str.zfill(3)
    df["psu_s"] = "p" + df["psu"].astype(str).str.zfill(4)
    spec = _spec()
    design_mod = importlib.import_module("mpi.survey.design")
    ints = mpi.Design("w", strata="stratum", psu="psu")
    strs = mpi.Design("w", strata="stratum_s", psu="psu_s")
    table = measure_mod._prepare(
        df,
        spec,
        weight="w",
        by=None,
        k=None,
        missing="drop",
        use_patterns=None,
        extra=["stratum", "psu", "stratum_s", "psu_s"],
    ).table
    assert design_mod._simple_first_stage(table, ints) is not None
    assert design_mod._simple_first_stage(table, strs) is None
    a, b = encode_design(table, ints), encode_design(table, strs)
    np.testing.assert_array_equal(a.psu, b.psu)
    np.testing.assert_array_equal(a.psu_stratum, b.psu_stratum)
    np.testing.assert_array_equal(a.n_h, b.n_h)
    with pytest.warns(mpi.MissingDataWarning):
        ra = mpi.measure(df, spec, by="g", design=ints)
    with pytest.warns(mpi.MissingDataWarning):
        rb = mpi.measure(df, spec, by="g", design=strs)
    xr.testing.assert_allclose(ra.se, rb.se, rtol=1e-13, atol=0)
    bad = df.copy()
    bad.loc[bad.index[0], "stratum"] = bad["stratum"].max() + 1  # PSU now in two strata
    with pytest.raises(mpi.DataError, match="more than one stratum"):
        mpi.measure(bad, spec, design=ints)


@pytest.mark.filterwarnings("ignore::mpi.MissingDataWarning")
def test_row_statistics_one_cutoff_views_equal_the_bucket_statistics():
    """With one cutoff and no reweighting RowStatistics reads views of the kernel's buckets
    instead of kernels.bucket_statistics: both must give the same numbers."""
    df = _survey(n=5_000, n_psu=80)
    res = mpi.measure(df, _spec(), by="g", design=mpi.Design("w", strata="stratum", psu="psu"))
    rows = res._inference.totals.arrays
    assert isinstance(rows, inference.RowStatistics)
    full = rows._prep.stats(rows._raw)
    for name in inference._ROW_NAMES:
        np.testing.assert_array_equal(np.asarray(rows[name]), full[name].values, err_msg=name)
