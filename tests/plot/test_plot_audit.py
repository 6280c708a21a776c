"""``mpi.plot.audit``: the leads of a benefit-list audit by rule, programme or village."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure

import mpi
from mpi._common.labels import text
from mpi.plot.audit import audit_totals, yuan_text

matplotlib.use("Agg")

RULES = ["paid_after_death", "duplicate_in_period", "exclusive_programmes"]


@pytest.fixture(scope="module")
def small() -> mpi.AuditResult:
    """Hand-made: 张三 (dibao, 东村) paid twice after his death (¥600 at risk); 李四 (tekun,
    西村) paid twice in April (the second, ¥500, at risk); 王五 (dibao, 南村) nothing."""
    ck = mpi.auditing.check_character
    ids = [f + ck(f) for f in ("42010219500101123", "42010219620505234", "42010219700303345")]
    pay = pd.DataFrame(
        {
            "id_number": [ids[0]] * 3 + [ids[1]] * 2 + [ids[2]],
            "name": ["张三"] * 3 + ["李四"] * 2 + ["王五"],
            "programme": ["dibao"] * 3 + ["tekun"] * 2 + ["dibao"],
            "amount": [300.0] * 3 + [500.0] * 2 + [200.0],
            "paid_on": ["2021-01-15", "2021-04-15", "2021-05-15"]
            + ["2021-04-10", "2021-04-20", "2021-04-15"],
            "village": ["东村"] * 3 + ["西村"] * 2 + ["南村"],
        }
    )
    death = pd.DataFrame({"id_number": [ids[0]], "name": ["张三"], "died_on": ["2021-03-02"]})
    return mpi.audit(pay, {"death": death}, RULES, progress=False)


@pytest.fixture(scope="module")
def county() -> mpi.AuditResult:
    """Six villages of the bundled county, against every registry."""
    data = mpi.datasets.load("benefit_audit")
    pay = data["beneficiaries"]
    villages = sorted(pay["village"].dropna().unique())[:6]
    registries = {k: data[k] for k in ("death", "business", "vehicle", "property", "tax", "staff")}
    return mpi.audit(pay[pay["village"].isin(villages)], registries, progress=False)


def _bars(ax: Axes) -> tuple[list[str], list[float]]:
    """Tick labels and bar widths from the top bar down."""
    patches = sorted(ax.containers[0].patches, key=lambda p: -p.get_y())
    ticks = {round(t, 6): lab.get_text() for t, lab in zip(ax.get_yticks(), ax.get_yticklabels(),
                                                            strict=True)}  # fmt: skip
    labels = [ticks[round(p.get_y() + p.get_height() / 2, 6)] for p in patches]
    return labels, [p.get_width() for p in patches]


def test_totals_by_rule_include_rules_without_leads(small):
    totals = audit_totals(small)
    assert totals.to_dict() == {
        "paid_after_death": 600.0, "duplicate_in_period": 500.0, "exclusive_programmes": 0.0,
    }  # fmt: skip
    assert list(totals.index) == ["paid_after_death", "duplicate_in_period",
                                  "exclusive_programmes"]  # fmt: skip
    counts = audit_totals(small, "programme", "leads")
    assert counts.to_dict() == {"dibao": 1, "tekun": 1}
    assert audit_totals(small, "village").to_dict() == {"东村": 600.0, "西村": 500.0}


def test_bars_sorted_descending_with_translated_rule_names(small):
    ax = mpi.plot.audit(small)
    assert isinstance(ax, Axes) and isinstance(ax.figure, Figure)
    labels, widths = _bars(ax)
    assert widths == [600.0, 500.0, 0.0]
    assert labels == [text(f"plot.audit.rule.{r}", "en") for r in RULES]
    assert labels[0] == "Paid after death"
    assert ax.get_title(loc="left") == "Amount at risk by rule"
    assert ax.get_xlabel() == "Amount at risk (yuan)"
    notes = [t.get_text() for t in ax.texts]
    assert notes == ["¥600", "¥500", "¥0"]

    zh = mpi.plot.audit(small, lang="zh", by="programme", value="leads")
    labels, widths = _bars(zh)
    assert widths == [1.0, 1.0]
    assert labels == ["最低生活保障", "特困人员救助供养"]
    assert zh.get_title(loc="left") == "按项目分的疑点线索数"
    assert [t.get_text() for t in zh.texts] == ["1", "1"]


def test_natural_chart_and_given_axes(small):
    fig = Figure()
    ax = fig.add_subplot()
    assert small.plot(ax=ax) is ax
    assert _bars(ax)[1] == [600.0, 500.0, 0.0]
    other = fig.add_subplot(2, 1, 2)
    assert mpi.plot.audit(small, ax=other, title="Mine") is other
    assert other.get_title(loc="left") == "Mine"


def test_top_and_villages_on_the_county(county):
    leads = county.leads
    want = leads.groupby("village")["amount_at_risk"].sum().sort_values(ascending=False)
    ax = mpi.plot.audit(county, by="village", top=3)
    labels, widths = _bars(ax)
    assert labels == list(want.index[:3])
    np.testing.assert_allclose(widths, want.to_numpy()[:3], rtol=0, atol=1e-9)
    n = leads["village"].nunique()
    assert ax.get_title(loc="left") == f"Amount at risk by village (top 3 of {n})"
    by_rule = leads.groupby("rule").size()
    labels, widths = _bars(mpi.plot.audit(county, value="leads", lang="zh"))
    assert len(labels) == county.to_dataset().sizes["rule"]
    assert sum(widths) == len(leads) and max(widths) == by_rule.max()
    assert widths == sorted(widths, reverse=True)


def test_yuan_text():
    assert yuan_text(1234567.4) == "¥1,234,567"
    assert yuan_text(12.5) == "¥12.50"
    assert yuan_text(0.0) == "¥0"
    assert yuan_text(float("nan")) == "–"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"by": "county"}, "by='county' is not one of"),
        ({"value": "amount"}, "value='amount' is not one of"),
        ({"top": 0}, "top=0 must be a positive whole number"),
        ({"top": 2.5}, "top=2.5 must be a positive whole number"),
        ({"lang": "fr"}, "lang='fr'"),
    ],
)
def test_bad_arguments(small, kwargs, match):
    with pytest.raises(mpi.ValidationError, match=match):
        mpi.plot.audit(small, **kwargs)


def test_not_an_audit():
    with pytest.raises(mpi.ValidationError, match=r"audit\(\) draws a AuditResult"):
        mpi.plot.audit(pd.DataFrame({"a": [1]}))


def test_no_leads(small):
    ck = mpi.auditing.check_character
    pid = "42010219500101123" + ck("42010219500101123")
    pay = pd.DataFrame({"id_number": [pid], "name": ["张三"], "programme": ["dibao"],
                        "amount": [300.0], "paid_on": ["2021-01-15"]})  # fmt: skip
    none = mpi.audit(pay, {}, ["duplicate_in_period"], progress=False)
    ax = mpi.plot.audit(none, by="village", lang="zh")
    assert not ax.containers and [t.get_text() for t in ax.texts] == ["无疑点线索"]
    labels, widths = _bars(mpi.plot.audit(none))
    assert widths == [0.0] and labels == ["Paid twice in one period"]
