"""Inputs of mpi.composite: DataFrames and one-dimensional Datasets, ids, weights, groups,
and the errors for bad input (each naming the argument and the value); inputs never change."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from test_compute import TABLE, make_spec

from mpi.composites.compute import composite
from mpi.composites.inputs import by_names, read_inputs
from mpi.errors import ValidationError


def test_values_in_spec_order_and_bool_as_float() -> None:
    table = TABLE.assign(x2=[True, False, True, True])[["x3", "x2", "x1", "region"]]
    got = read_inputs(table, make_spec())
    assert got.values.dtype == np.float64 and got.values.shape == (4, 3)
    np.testing.assert_array_equal(got.values[:, 1], [1.0, 0.0, 1.0, 1.0])
    np.testing.assert_array_equal(got.values[:, 2], TABLE["x3"].to_numpy())
    assert got.weight.tolist() == [1.0] * 4 and got.codes.tolist() == [-1] * 4


def test_nullable_and_object_numbers_are_read() -> None:
    table = TABLE.assign(
        x1=pd.array([2, 4, None, 10], dtype="Int64"), x2=np.array([10, 20, None, 30], dtype=object)
    )
    got = read_inputs(table, make_spec())
    np.testing.assert_array_equal(got.values[:, 0], [2.0, 4.0, np.nan, 10.0])
    np.testing.assert_array_equal(got.values[:, 1], [10.0, 20.0, np.nan, 30.0])


def test_group_codes_cross_classification_and_missing() -> None:
    table = TABLE.assign(
        region=["south", None, "north", "south"], kind=pd.Categorical(["u", "r", "r", "u"])
    )
    got = read_inputs(table, make_spec(), by=["region", "kind"])
    assert got.codes.tolist() == [1, -1, 0, 1] and got.n_missing_group == 1
    assert list(got.groups) == [("north", "r"), ("south", "u")]
    assert got.groups.names == ["region", "kind"]
    single = read_inputs(table, make_spec(), by="kind")
    assert list(single.groups) == ["r", "u"] and single.codes.tolist() == [1, 0, 0, 1]


def test_dataset_input_gives_the_dataframe_result() -> None:
    ds = xr.Dataset.from_dataframe(TABLE)
    res_ds = composite(ds, make_spec(), weight="pop", by="region")
    res_df = composite(TABLE, make_spec(), weight="pop", by="region")
    pd.testing.assert_frame_equal(res_ds.to_frame(), res_df.to_frame())
    pd.testing.assert_frame_equal(res_ds.groups(), res_df.groups())
    bare = xr.Dataset({c: ("county", TABLE[c].to_numpy()) for c in ("x1", "x2", "x3")})
    res = composite(bare, make_spec())
    assert list(res.to_frame().index) == [0, 1, 2, 3] and res.to_frame().index.name == "county"


def test_id_column() -> None:
    table = TABLE.reset_index()
    res = composite(table, make_spec(), id="unit_id")
    assert list(res.to_frame().index) == ["a", "b", "c", "d"]
    assert res.to_dataset()["unit"].values.tolist() == ["a", "b", "c", "d"]
    assert table.set_index("unit_id").join(res.to_frame())["rank"].tolist() == [4, 3, 2, 1]


# -- bad input: a ValidationError naming the argument and the value -----------------------
@pytest.mark.parametrize(
    ("change", "kwargs", "match"),
    [
        (lambda t: t.drop(columns=["x2", "x3"]), {}, r"indicator column\(s\) \['x2', 'x3'\] of spec 'toy'"),
        (lambda t: t.assign(x2=["lo", "hi", "lo", "hi"]), {}, r"indicator column 'x2' must be numeric.*'lo'"),
        (lambda t: t.assign(x1=pd.Categorical([1, 2, 3, 4])), {}, r"indicator column 'x1' must be numeric.*category"),
        (lambda t: t.assign(x1=[1.0, np.inf, 2.0, 3.0]), {}, r"indicator column 'x1' .* 1 infinite value"),
        (lambda t: t.assign(pop=[1.0, -2.0, 1.0, 1.0]), {"weight": "pop"}, r"weight column 'pop' .*-2\.0"),
        (lambda t: t.assign(pop=[1.0, np.inf, 1.0, 1.0]), {"weight": "pop"}, r"weight column 'pop' .*inf"),
        (lambda t: t, {"weight": "people"}, r"weight column\(s\) \['people'\] not in the table"),
        (lambda t: t.assign(pop=list("abcd")), {"weight": "pop"}, r"weight column 'pop' must be numeric"),
        (lambda t: t.set_axis(["a", "b", "a", "d"]), {}, r"duplicated unit ids, e\.g\. \['a'\]"),
        (lambda t: t.assign(code=[1, 2, 2, 3]), {"id": "code"}, r"id column 'code' has duplicated unit ids, e\.g\. \[2\]"),
        (lambda t: t.assign(code=[1, None, 2, 3]), {"id": "code"}, r"id column 'code' has 1 missing unit id"),
        (lambda t: t, {"by": "province"}, r"by column\(s\) \['province'\] not in the table"),
        (lambda t: t, {"by": ["region", "region"]}, r"by names a column twice"),
        (lambda t: t, {"by": 3}, r"by must be a column name .*got 3"),
        (lambda t: t, {"weight": 1.5}, r"weight must be the name .*got 1\.5"),
    ],
)  # fmt: skip
def test_bad_input(change, kwargs: dict, match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        composite(change(TABLE), make_spec(), **kwargs)


def test_dataset_with_two_dimensions_is_refused() -> None:
    ds = xr.Dataset({"x1": (("county", "year"), np.ones((4, 2))), "x2": ("county", np.ones(4))})
    with pytest.raises(ValidationError, match=r"table: .*exactly one dimension.*'year': 2"):
        composite(ds, make_spec())


@pytest.mark.parametrize("table", [TABLE["x1"], TABLE.to_numpy(), xr.DataArray([1.0, 2.0])])
def test_other_tables_are_refused(table: object) -> None:
    with pytest.raises(ValidationError, match="table"):
        composite(table, make_spec())


def test_by_names() -> None:
    assert by_names(None) == [] and by_names("a") == ["a"] and by_names(("a", "b")) == ["a", "b"]
    with pytest.raises(ValidationError, match=r"by=\[\]"):
        by_names([])


# -- inputs never change -------------------------------------------------------------------
def test_inputs_are_not_mutated() -> None:
    table = TABLE.assign(
        x3=[4.0, np.nan, 2.0, 3.0],
        pop=[1.0, np.nan, 2.0, 2.0],
        kind=pd.Categorical(["u", "r", "r", "u"]),
    )
    before = table.copy(deep=True)
    spec = make_spec(missing="impute")
    spec_before = copy.deepcopy(spec)
    with pytest.warns(UserWarning, match="missing weight"):
        composite(table, spec, weight="pop", by=["region", "kind"])
    pd.testing.assert_frame_equal(table, before)
    assert spec == spec_before

    ds = xr.Dataset.from_dataframe(table.drop(columns="kind"))
    ds_before = ds.copy(deep=True)
    with pytest.warns(UserWarning):
        composite(ds, make_spec(missing="drop"), weight="pop", by="region")
    xr.testing.assert_identical(ds, ds_before)


def test_result_arrays_do_not_share_memory_with_the_table() -> None:
    table = TABLE.copy(deep=True)
    res = composite(table, make_spec(), weight="pop")
    frame = res.to_frame(["index", "weight"])
    frame.iloc[:, :] = -1.0
    res.plan.t.flags.writeable and res.plan.t.fill(0.0)  # even a plan write leaves the table
    pd.testing.assert_frame_equal(table, TABLE)
    assert res.to_frame()["index"].iloc[0] == pytest.approx(0.1625)
