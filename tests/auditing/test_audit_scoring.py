"""score_leads: precision and recall of each rule's leads against labelled cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mpi.auditing.scoring import SCORE_COLUMNS, score_leads
from mpi.errors import ValidationError


@pytest.fixture
def leads() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "person": [1, 2, 3, 1, 1, 5],
            "programme": ["dibao", "dibao", "tekun", "tekun", "dibao", "dibao"],
            "rule": ["death", "death", "death", "staff", "death", "staff"],
            "evidence": list("abcdef"),
        }
    )


@pytest.fixture
def labels() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "person": [1, 4, 1, 1, 9],
            "programme": ["dibao", "dibao", "tekun", "tekun", "dibao"],
            "rule": ["death", "death", "staff", "staff", "split"],
        }
    )


def test_counts_precision_and_recall(leads, labels) -> None:
    before = (leads.copy(), labels.copy())
    out = score_leads(leads, labels)
    assert list(out.columns) == list(SCORE_COLUMNS)
    assert out.index.name == "rule"
    assert out.index.tolist() == ["death", "split", "staff"]
    # death: leads (1,dibao) x2 true, (2,dibao), (3,tekun) false; labels (1,dibao) found, (4,dibao) not
    assert out.loc["death"].tolist() == [4, 2, 2, 1, 0.5, 0.5]
    # staff: (1,tekun) true, (5,dibao) false; label (1,tekun) given twice counts once
    assert out.loc["staff"].tolist() == [2, 1, 1, 1, 0.5, 1.0]
    # split: no lead -> precision NaN, recall 0
    row = out.loc["split"]
    assert row[["n_leads", "true_leads", "n_labels", "found"]].tolist() == [0, 0, 1, 0]
    assert np.isnan(row["precision"]) and row["recall"] == 0.0
    assert out[["n_leads", "true_leads", "n_labels", "found"]].dtypes.eq(np.int64).all()
    pd.testing.assert_frame_equal(leads, before[0])
    pd.testing.assert_frame_equal(labels, before[1])


def test_rule_without_labels_has_no_recall(leads, labels) -> None:
    out = score_leads(leads, labels[labels["rule"] != "staff"])
    assert out.loc["staff", "n_labels"] == 0 and np.isnan(out.loc["staff", "recall"])
    assert out.loc["staff", "precision"] == 0.0


def test_other_keys_and_by(leads, labels) -> None:
    # by programme, ignoring the person: every (programme, rule) pair of a label is a case
    out = score_leads(leads, labels, keys=("programme", "rule"), by="programme")
    assert out.index.tolist() == ["dibao", "tekun"]
    assert out.loc["dibao"].tolist()[:4] == [4, 3, 2, 1]
    assert out.loc["tekun"].tolist()[:4] == [2, 1, 1, 1]


def test_missing_values_in_leads_never_match(labels) -> None:
    leads = pd.DataFrame({"person": [1, None], "programme": ["dibao", "dibao"],
                          "rule": ["death", "death"]})  # fmt: skip
    out = score_leads(leads, labels)
    assert out.loc["death"].tolist()[:4] == [2, 1, 2, 1]


def test_bad_input(leads, labels) -> None:
    with pytest.raises(ValidationError, match="leads must be a pandas DataFrame"):
        score_leads([1, 2], labels)
    with pytest.raises(ValidationError, match=r"labels has no column\(s\) \['person'\]"):
        score_leads(leads, labels.drop(columns="person"))
    with pytest.raises(ValidationError, match="by='village' must be one of keys"):
        score_leads(leads, labels, by="village")
    with pytest.raises(ValidationError, match="keys must be a sequence"):
        score_leads(leads, labels, keys="person")
    with pytest.raises(ValidationError, match="distinct columns"):
        score_leads(leads, labels, keys=("rule", "rule"))
    bad = labels.astype({"person": float})
    bad.loc[2, "person"] = np.nan
    with pytest.raises(ValidationError, match="labels has a missing key value in row 2"):
        score_leads(leads, bad)
