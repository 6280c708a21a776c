"""CompositeSpec: validation with clear errors, exact weight sums, YAML round trips."""

from __future__ import annotations

from fractions import Fraction

import pytest

from mpi.composites.spec import CompositeIndicator, CompositeSpec, Dimension
from mpi.errors import SpecError


def _spec(**changes: object) -> CompositeSpec:
    base: dict[str, object] = {
        "name": "toy",
        "indicators": (
            CompositeIndicator("a", "d1", "1/3"),
            CompositeIndicator(
                "b", "d1", "2/3", direction="-", transform="log", goalposts=(1, 100)
            ),
            CompositeIndicator("c", "d2", 1, goalposts=(0, 10), cap=(None, 12)),
        ),
        "dimensions": (Dimension("d1", "1/2"), Dimension("d2", 0.5, mean="geometric")),
        "mean": "geometric",
    }
    base.update(changes)
    return CompositeSpec(**base)  # type: ignore[arg-type]


def test_weights_are_exact_fractions_and_sum_exactly() -> None:
    spec = _spec()
    assert spec.indicators[0].weight == Fraction(1, 3)
    assert spec.indicators[1].weight == Fraction(2, 3)
    assert spec.indicators[1].direction == -1
    assert spec.dimensions[1].weight == 0.5


def test_weights_not_summing_to_one_name_the_dimension_and_the_sum() -> None:
    inds = (CompositeIndicator("a", "d1", "1/3"), CompositeIndicator("b", "d1", "1/3"))
    with pytest.raises(SpecError, match=r"dimension 'd1' sum to 2/3, not 1"):
        CompositeSpec("x", inds)
    with pytest.raises(SpecError, match=r"the dimensions sum to 0\.9"):
        _spec(dimensions=(Dimension("d1", 0.4), Dimension("d2", 0.5)))
    # floats within 1e-9 of 1 are accepted (three times 0.3333333333 is not)
    CompositeSpec("x", (CompositeIndicator("a", "d", 0.1), CompositeIndicator("b", "d", 0.9)))
    with pytest.raises(SpecError, match="sum to"):
        CompositeSpec("x", tuple(CompositeIndicator(n, "d", 0.3333) for n in "abc"))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"normalisation": "minmaxx"}, "normalisation: must be one of goalposts"),
        ({"mean": "median"}, "mean: must be one of arithmetic"),
        ({"missing": "ignore"}, "missing: must be one of drop"),
        ({"floor": 1.5}, "floor: must be null or between 0 and 1"),
        ({"scale": -1}, "scale: must be positive"),
        ({"normalisation": "zscore"}, "'zscore' gives negative scores"),
    ],
)
def test_bad_choices(changes: dict[str, object], message: str) -> None:
    with pytest.raises(SpecError, match=message):
        _spec(**changes)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"goalposts": (5, 5)}, r"needs min < max; got \[5\.0, 5\.0\]"),
        ({"goalposts": (0, 5), "transform": "log"}, "a log transform needs min > 0"),
        ({"transform": "sqrt"}, "transform must be null or 'log'"),
        ({"direction": 2}, "direction must be \\+"),
        ({"weight": 0}, "must be positive"),
        ({"weight": "a third"}, "is not a number"),
        ({"cap": (3, 1)}, "needs min < max"),
    ],
)
def test_bad_indicator(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(SpecError, match=message):
        CompositeIndicator("x", "d", **kwargs)  # type: ignore[arg-type]


def test_structure_errors() -> None:
    with pytest.raises(SpecError, match="at least one indicator"):
        CompositeSpec("x", ())
    with pytest.raises(SpecError, match=r"\['a'\] appear more than once"):
        CompositeSpec("x", (CompositeIndicator("a", "d", "1/2"),) * 2)
    with pytest.raises(SpecError, match="dimension 'd9' is not among the dimensions"):
        CompositeSpec("x", (CompositeIndicator("a", "d9"),), (Dimension("d"),))
    with pytest.raises(SpecError, match=r"\['e'\] have no indicator"):
        CompositeSpec(
            "x", (CompositeIndicator("a", "d"),), (Dimension("d", "1/2"), Dimension("e", "1/2"))
        )


def test_default_dimensions_are_equal_and_indicators_grouped() -> None:
    spec = CompositeSpec(
        "x",
        (
            CompositeIndicator("a", "d1", "1/2"),
            CompositeIndicator("c", "d2"),
            CompositeIndicator("b", "d1", "1/2"),
        ),
    )
    assert spec.dimension_names == ("d1", "d2")
    assert [d.weight for d in spec.dimensions] == [Fraction(1, 2)] * 2
    assert spec.indicator_names == ("a", "b", "c")  # each dimension's indicators together


def test_yaml_round_trip_keeps_fractions(tmp_path: object) -> None:
    spec = _spec(scale=100, floor=0.01, title="Toy", references=("Ref 1",))
    text = spec.to_yaml()
    assert "weight: 1/3" in text and "kind: composite" in text
    again = CompositeSpec.from_yaml(text)
    assert again == spec
    path = tmp_path / "toy.yml"  # type: ignore[operator]
    spec.to_yaml(path)
    assert CompositeSpec.from_yaml(path) == spec
    assert CompositeSpec.from_dict(spec.to_dict()) == spec


def test_document_errors_name_the_key() -> None:
    with pytest.raises(SpecError, match="unknown key"):
        CompositeSpec.from_dict({"name": "x", "indicators": [], "colour": 1})
    with pytest.raises(SpecError, match="kind: 'af'"):
        CompositeSpec.from_dict({"kind": "af", "name": "x", "indicators": []})
    with pytest.raises(SpecError, match=r"indicators\[0\]"):
        CompositeSpec.from_dict(
            {"name": "x", "indicators": [{"name": "a", "dimension": "d", "colour": 1}]}
        )
    with pytest.raises(SpecError, match="duplicate key"):
        CompositeSpec.from_yaml("name: x\nname: y\nindicators: []\n")
