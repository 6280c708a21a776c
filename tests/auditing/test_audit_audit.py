"""mpi.audit end to end on a hand-made case: 2 programmes, a death and a business registry,
dirty identity numbers; exact leads, bad input, summaries, no input mutated."""

from __future__ import annotations

import numpy as np
import pandas as pd

# splink and pypinyin come with the test extra (CI installs them): imported, never skipped
import pypinyin  # noqa: E402, F401
import pytest
import splink  # noqa: E402, F401
import xarray as xr

import mpi.auditing
from mpi.auditing import AuditContext, AuditResult, Rule, check_character
from mpi.auditing.context import LINK_COLUMNS, PAYMENT_COLUMNS
from mpi.errors import ValidationError


def rid(first17: str) -> str:
    """A valid 18-character number from its first 17 digits."""
    return first17 + check_character(first17)


P1 = rid("42010219500101123")  # 张三: died 2021-03-02, paid after
P2 = rid("42010219620505234")  # 李四: business owner; a typo in his education number
P3 = rid("42010219700707345")  # 王五: business below the threshold (near miss)
P4 = rid("42010219800808456")  # 赵六: a look-alike in the death registry
P6_OLD = "420102570303121"  # 陈七: 15-digit number of before 1999
P6 = rid("42010219570303121")
# 李四's number with two sequence digits swapped (234 -> 243): check character wrong
P2_TYPO = P2[:14] + P2[15] + P2[14] + P2[16:]
LOOKALIKE = rid("31010119851111222")  # another 赵六: other region, other birth date


def payments() -> pd.DataFrame:
    rows = [
        (P1, "张三", "dibao", 300.0, "2021-01-15", "h1", "东村"),
        (P1, "张三", "dibao", 300.0, "2021-02-15", "h1", "东村"),
        (P1, "张三", "dibao", 300.0, "2021-03-15", "h1", "东村"),
        (P1, "张三", "dibao", 300.0, "2021-04-15", "h1", "东村"),
        (P2, "李四", "dibao", 300.0, "2021-01-15", "h2", "西村"),
        (P2, "李四", "dibao", 300.0, "2021-02-15", "h2", "西村"),
        (P2_TYPO, "李四", "education", 800.0, "2021-03-01", "h2", "西村"),
        (P3, "王五", "dibao", 300.0, "2021-01-15", "h3", "西村"),
        (P4, "赵六", "education", 800.0, "2021-03-01", "h4", "东村"),
        (P6_OLD, "陈七", "dibao", 300.0, "2021-02-15", "h6", "南村"),
        (None, None, "dibao", 300.0, "2021-02-15", None, "南村"),  # no identifier
        (P3, "王五", "dibao", 300.0, None, "h3", "西村"),  # no date
    ]
    cols = ["id_number", "name", "programme", "amount", "paid_on", "household_id", "village"]
    return pd.DataFrame(rows, columns=cols)


def registries() -> dict[str, pd.DataFrame]:
    death = pd.DataFrame(
        {
            "id_number": [P1, P1, LOOKALIKE, P6],  # P1's record twice (a duplicate)
            "name": ["张三", "张三", "赵六", "陈七"],
            "died_on": ["2021-03-02", "2021-03-02", "2020-01-01", "2021-01-01"],
        }
    )
    business = pd.DataFrame(
        {
            "id_number": [P2, P3],
            "name": ["李四", "王五"],
            "registered_capital": [2_000_000.0, 50_000.0],
        }
    )
    return {"death": death, "business": business}


@pytest.fixture(scope="module")
def result() -> AuditResult:
    return mpi.audit(payments(), registries(), ["paid_after_death", "business_owner"])


def test_exact_leads(result: AuditResult) -> None:
    leads = result.leads
    assert list(leads.columns) == [
        "id_number", "name", "programme", "rule", "evidence", "match_weight",
        "match_probability", "linked_by", "amount_at_risk", "n_payments", "village",
        "household_id", "rank",
    ]  # fmt: skip
    got = leads[["id_number", "programme", "rule", "amount_at_risk", "n_payments", "linked_by",
                 "village", "household_id", "rank"]]  # fmt: skip
    expected = pd.DataFrame(
        [
            (P2, "education", "business_owner", 800.0, 1, "record linkage", "西村", "h2", 1),
            (P2, "dibao", "business_owner", 600.0, 2, "id", "西村", "h2", 2),
            (P1, "dibao", "paid_after_death", 600.0, 2, "id", "东村", "h1", 3),
            (P6, "dibao", "paid_after_death", 300.0, 1, "id", "南村", "h6", 4),
        ],
        columns=got.columns,
    )
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    # the typo row reached 李四 by record linkage: probability < 1, a weight
    p = leads.loc[0, "match_probability"]
    assert 0.9 <= p < 1.0 and np.isfinite(leads.loc[0, "match_weight"])
    assert (leads.loc[1:, "match_probability"] == 1.0).all()
    assert leads.loc[1:, "match_weight"].isna().all()
    # evidence names the record and the values
    assert "death registry record 0" in leads.loc[2, "evidence"]
    assert "2021-03-02" in leads.loc[2, "evidence"] and "2021-04-15" in leads.loc[2, "evidence"]
    assert "business registry record 0" in leads.loc[0, "evidence"]
    assert leads.loc[0, "name"] == "李四"
    # the look-alike 赵六 and the near-miss 王五 give no lead
    assert P4 not in set(leads["id_number"]) and P3 not in set(leads["id_number"])
    assert result.to_frame().equals(leads)


def test_every_row_checked_or_counted(result: AuditResult) -> None:
    a = result.to_dataset().attrs
    assert a["n_rows"] == 12 and a["n_checked"] == 10
    assert a["not_checkable_no_identifier"] == 1 and a["not_checkable_no_date"] == 1
    assert a["not_checkable_no_programme"] == 0 and a["not_checkable_no_amount"] == 0
    assert a["n_persons"] == 5  # 张三, 李四 (two numbers), 王五, 赵六, 陈七
    assert (a["ids_valid"], a["ids_invalid"], a["ids_repaired"], a["ids_self_linked"]) == (
        9, 1, 1, 1,
    )  # fmt: skip
    reg = result.registries
    assert reg.loc["death", "n_records"] == 4 and reg.loc["death", "duplicate_records"] == 1
    assert reg.loc["death", "repeated_ids"] == 1
    assert reg.loc["business", "duplicate_records"] == 0
    assert reg.loc["death", "persons_linked"] == 2 and reg.loc["death", "rows_linked"] == 5
    assert reg.loc["business", "persons_linked"] == 2  # 李四 and 王五
    link = result.linkage
    assert set(link.index) == {"beneficiaries", "death", "business"}
    assert link.loc["beneficiaries", "left_rows"] == 1
    assert link.loc["beneficiaries", "linked_by_record_linkage"] == 1
    assert link.loc["death", "left_rows"] == 5  # persons, not payment rows


def test_to_dataset(result: AuditResult) -> None:
    ds = result.to_dataset()
    assert list(ds["rule"].values) == ["paid_after_death", "business_owner"]
    assert list(ds["programme"].values) == ["dibao", "education"]
    amt = ds["amount_at_risk"]
    assert amt.sel(rule="paid_after_death", programme="dibao").item() == 900.0
    assert amt.sel(rule="business_owner", programme="education").item() == 800.0
    assert ds["n_leads"].sel(rule="business_owner").values.tolist() == [1, 1]
    assert ds["n_payments"].sum().item() == 6
    assert ds["n_rows"].values.tolist() == [10, 2]
    assert ds["n_checked"].values.tolist() == [8, 2]
    assert ds["amount_paid"].sel(programme="dibao").item() == 3000.0
    assert ds.attrs["amount_at_risk"] == 2300.0
    ds["n_leads"][:] = 0  # a copy
    assert result.to_dataset()["n_leads"].sum().item() == 4
    assert isinstance(result.to_dataset(), xr.Dataset)


def test_summary_en_zh_and_repr(result: AuditResult) -> None:
    en = result.summary()
    assert en.title.startswith("Benefit-list audit")
    assert "Leads by rule" in en and "¥2,300.00" in en and "no identity number and no name" in en
    titles = [t for t, _ in en.tables]
    assert "Leads by village" in titles
    by_rule = dict(en.tables)["Leads by rule"]
    assert by_rule.loc["business_owner", "amount_at_risk"] == 1400.0
    assert by_rule.loc["paid_after_death", "n_persons"] == 2
    zh = result.summary(lang="zh")
    assert "惠民资金名单审计" in zh and "按规则分的疑点线索" in zh and "涉及金额" in zh
    assert "既无身份证号码也无姓名" in zh
    assert "duplicate an earlier record" in en and "完全重复" in zh
    with pytest.raises(ValidationError, match="lang"):
        result.summary(lang="fr")
    r = repr(result)
    assert r.startswith("<mpi.AuditResult: 4 leads, ¥2,300.00 at risk; 12 payment rows (2 not")
    assert r.endswith("2 rules run, 0 skipped>")


def test_default_rules_skip_missing_registries(result: AuditResult) -> None:
    res = mpi.audit(payments(), registries())
    assert res.leads.drop(columns=["match_weight"]).equals(
        result.leads.drop(columns=["match_weight"])
    )
    skipped = res.to_dataset().attrs["rules_skipped"]
    for name in ("vehicle_owner", "property_area", "taxed_income", "public_employee"):
        assert name in skipped
    assert "vehicle_owner" in res.summary()


def test_inputs_not_mutated() -> None:
    pay, regs = payments(), registries()
    before = pay.copy(), {k: v.copy() for k, v in regs.items()}
    mpi.audit(pay, regs, ["paid_after_death"])
    pd.testing.assert_frame_equal(pay, before[0])
    for k, v in regs.items():
        pd.testing.assert_frame_equal(v, before[1][k])


def test_columns_overrides() -> None:
    pay = payments().rename(columns={"id_number": "sfzh", "paid_on": "ffrq"})
    regs = registries()
    regs["death"] = regs["death"].rename(columns={"died_on": "swrq"})
    res = mpi.audit(
        pay, regs, ["paid_after_death"], columns={"id_number": "sfzh", "paid_on": "ffrq"},
        registry_columns={"death": {"died_on": "swrq"}},
    )  # fmt: skip
    assert res.leads["amount_at_risk"].tolist() == [600.0, 300.0]


def test_user_rule_and_context() -> None:
    seen: list[AuditContext] = []

    def big(ctx: AuditContext, rule: Rule) -> pd.DataFrame:
        seen.append(ctx)
        pay = ctx.payments
        rows = np.flatnonzero(pay["amount"].to_numpy() > rule.params["limit"])
        return pd.DataFrame({"row": rows, "evidence": [f"row {r}" for r in rows]})

    rule = Rule(name="big", needs=(), check=big, params={"limit": 500.0}, source="test",
                description="payments above 500")  # fmt: skip
    res = mpi.audit(payments(), registries(), [rule])
    assert res.leads["rule"].tolist() == ["big", "big"]
    assert res.leads["amount_at_risk"].tolist() == [800.0, 800.0]
    ctx = seen[0]
    assert list(ctx.payments.columns[: len(PAYMENT_COLUMNS)]) == list(PAYMENT_COLUMNS)
    assert isinstance(ctx.payments.index, pd.RangeIndex) and len(ctx.payments) == 10
    assert ctx.payments["paid_on"].dtype == "datetime64[ns]"
    # person keys: 李四's two numbers share one key
    li = ctx.payments.loc[ctx.payments["name"] == "李四", "person"]
    assert li.nunique() == 1 and len(li) == 3
    links = ctx.linked("business")
    assert list(links.columns) == list(LINK_COLUMNS)
    assert sorted(links["row"].tolist()) == [4, 5, 6, 7]
    with pytest.raises(ValidationError, match="registry kind 'tax'"):
        ctx.linked("tax")


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda p, r: (p.drop(columns="paid_on"), r), "no column 'paid_on'.*columns=\\{'paid_on'"),
        (lambda p, r: (p.assign(paid_on=["2021-13-45"] + list(p.paid_on[1:])), r),
         "'paid_on'.*'2021-13-45' in row 0; give dates as YYYY-MM-DD"),
        (lambda p, r: (p.assign(amount=[-5.0] + list(p.amount[1:])), r),
         "'amount'.*negative.*-5.0 in row 0"),
        (lambda p, r: (p, {**r, "deaths": r["death"]}), "kind 'deaths'.*business, death"),
        (lambda p, r: (p, {**r, "death": r["death"].assign(died_on="soon")}),
         "registries\\['death'\\].*'died_on'.*'soon'"),
        (lambda p, r: (p, {"death": r["death"].drop(columns="name")}),
         "registries\\['death'\\] has no column 'name'"),
    ],
)  # fmt: skip
def test_bad_input(change, match) -> None:
    pay, regs = change(payments(), registries())
    with pytest.raises(ValidationError, match=match):
        mpi.audit(pay, regs, ["paid_after_death"])


def test_bad_arguments() -> None:
    with pytest.raises(ValidationError, match="'no_such_rule'.*choose from"):
        mpi.audit(payments(), registries(), ["no_such_rule"])
    with pytest.raises(ValidationError, match="needs the registry \\['staff'\\]"):
        mpi.audit(payments(), registries(), ["public_employee"])
    with pytest.raises(ValidationError, match="columns has the key 'idno'"):
        mpi.audit(payments(), registries(), columns={"idno": "x"})
    with pytest.raises(ValidationError, match="threshold"):
        mpi.audit(payments(), registries(), threshold=1.5)
    with pytest.raises(ValidationError, match="more than once"):
        mpi.audit(payments(), registries(), ["paid_after_death", "paid_after_death"])


def test_no_leads_other_list_and_bad_hits() -> None:
    other = pd.DataFrame({"id_number": [P3], "name": ["王五"]})

    def in_other(ctx: AuditContext, rule: Rule) -> pd.DataFrame:
        links = ctx.linked("pension")
        return pd.DataFrame({"row": links["row"], "evidence": "on the pension list"})

    rule = Rule(name="pension", needs=("pension",), check=in_other, params={}, source="test",
                description="also on the pension list")  # fmt: skip
    res = mpi.audit(payments(), {"pension": other}, [rule])
    assert res.leads[["id_number", "n_payments", "amount_at_risk"]].values.tolist() == [
        [P3, 1, 300.0]
    ]
    quiet = mpi.audit(payments(), {}, ["duplicate_in_period"])
    assert len(quiet.leads) == 0 and list(quiet.leads.columns)[-1] == "rank"
    assert "Leads by rule" in quiet.summary() and "0 leads" in repr(quiet)

    def broken(ctx: AuditContext, rule: Rule) -> pd.DataFrame:
        return pd.DataFrame({"row": [99], "evidence": ["?"]})

    bad = Rule(name="broken", needs=(), check=broken, params={}, source="", description="")
    with pytest.raises(ValidationError, match="rule 'broken': hit row 99"):
        mpi.audit(payments(), {}, [bad])


def test_nothing_checkable_and_empty_registry() -> None:
    pay = payments().assign(paid_on=None)
    empty = registries()["death"].iloc[:0]
    res = mpi.audit(pay, {"death": empty}, ["paid_after_death"])
    a = res.to_dataset().attrs
    assert (a["n_rows"], a["n_checked"], a["not_checkable_no_date"]) == (12, 0, 11)
    assert a["not_checkable_no_identifier"] == 1 and len(res.leads) == 0
    assert res.registries.loc["death", "n_records"] == 0
    assert "no payment date" in res.summary() and "缺少发放日期" in res.summary(lang="zh")


def _old_text(values: pd.Series) -> pd.Series:
    """The row-by-row text clean-up that standardise did before it worked per distinct value."""
    stripped = values.astype("string").str.strip()
    blank = values.isna().to_numpy(dtype=bool) | (stripped == "").fillna(False).to_numpy(dtype=bool)
    out = stripped.astype(object).to_numpy().copy()
    out[blank] = pd.NA
    return pd.Series(out, dtype=object)


@pytest.mark.parametrize("dtype", [object, "str"])
def test_standard_text_once_per_distinct_value(dtype) -> None:
    from mpi.auditing.standardise import standard_beneficiaries

    village = [" 东村", "东村", "东村 ", "", None, "西村", "东村", "  ", "西村"]
    frame = payments().iloc[:9].reset_index(drop=True)
    frame["village"] = pd.Series(village, dtype=dtype)
    frame["account"] = pd.Series(["a1", "a1", None, "a2", "a1", "a1", "", "a2", "a3"], dtype=dtype)
    std = standard_beneficiaries(frame, None)
    for col in ("village", "account", "id_number", "name", "programme"):
        got, want = std[col], _old_text(frame[col])
        assert got.dtype == object and len(got) == len(frame)
        assert [(v is pd.NA) or v for v in got] == [(v is pd.NA) or v for v in want], col
    assert std["village"].tolist()[:4] == ["东村", "东村", "东村", pd.NA]
    # one str object per distinct input value, shared by its rows
    shared = std["village"].to_numpy()
    assert shared[1] is shared[6] and shared[5] is shared[8]
    assert len({id(v) for v in std["account"] if v is not pd.NA}) == 3


def test_person_keys_by_codes() -> None:
    from mpi.auditing.persons import person_keys

    # invalid numbers only (no record linkage): a person is (number as given, name);
    # a missing number and an empty one are the same, so are a missing and an empty name
    ids = [P2_TYPO, P2_TYPO, P2_TYPO, None, None, "", None, ""]
    names = ["李四", "李四", "李五", "王五", "王五", "王五", None, ""]
    for dtype in (object, "str"):
        pay = pd.DataFrame({"id_number": pd.Series(ids, dtype=dtype),
                            "name": pd.Series(names, dtype=dtype)})  # fmt: skip
        persons = person_keys(pay, threshold=0.9, progress=False)
        assert persons.key.tolist() == [0, 0, 1, 2, 2, 2, 3, 3]
        assert persons.table["id_number"].tolist()[:2] == [P2_TYPO, P2_TYPO]
        assert persons.table["name"].tolist()[:3] == ["李四", "李五", "王五"]
        assert pd.isna(persons.table["name"][3])
        assert not persons.rows["id_valid"].any() and persons.links is None
        assert persons.rows["problem"].tolist()[:4] == ["check character"] * 3 + ["missing"]
    # valid numbers: one person per normalised number, whatever its type or form
    first17 = next(f"42010219800808{i:03d}" for i in range(1000)
                   if check_character(f"42010219800808{i:03d}") != "X")  # fmt: skip
    number = first17 + check_character(first17)
    pay = pd.DataFrame({"id_number": [int(number), number, f" {number}", P6_OLD, P6],
                        "name": ["甲", "甲", "乙", "陈七", "陈七"]})  # fmt: skip
    persons = person_keys(pay, threshold=0.9, progress=False)
    assert persons.key.tolist() == [0, 0, 0, 1, 1]
    assert persons.table["id_number"].tolist() == [number, P6]
    assert persons.rows["id_valid"].all()
    assert persons.rows["repaired"].tolist() == [False, False, False, True, False]
    assert persons.rows["id_clean"].tolist() == [number] * 3 + [P6, P6]


def test_two_runs_in_one_process_give_the_same_leads() -> None:
    """Record linkage is seeded and keeps no state between calls that changes a result: two
    audits of the same tables in one process give identical leads (weights included)."""
    import mpi

    t = mpi.datasets.load("benefit_audit")
    pay = t["beneficiaries"]
    villages = pay["village"].drop_duplicates().iloc[:40]
    pay = pay[pay["village"].isin(villages)]
    regs = {k: t[k] for k in ("death", "business", "vehicle", "property", "tax", "staff")}
    first = mpi.audit(pay, regs, progress=False).leads
    second = mpi.audit(pay, regs, progress=False).leads
    assert len(first) > 0 and (first["linked_by"] == "record linkage").any()
    pd.testing.assert_frame_equal(first, second)
