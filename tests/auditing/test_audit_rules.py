"""The rule library of mpi.audit on hand-made cases: for every rule a hit, a near miss, a
dirty identifier that was linked (so it must hit) and a look-alike that was not (so it must
not), with the exact evidence naming the record; the Rule class and default_rules."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from mpi.auditing.context import AuditContext
from mpi.auditing.rules import HIT_COLUMNS, RULES, Rule, default_rules, empty_hits, make_hits
from mpi.errors import ValidationError

W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def make_id(body: str) -> str:
    """18-character number with its GB 11643 check character (written out here on purpose)."""
    total = 0
    for digit, weight in zip(body, W, strict=True):
        total += int(digit) * weight
    return body + "10X98765432"[total % 11]


def pid(person: int) -> str:
    return make_id(f"420103{1950 + person:04d}0101{100 + person:03d}")


def dirty(person: int) -> str:
    """The person's number with digits 15 and 16 transposed (invalid check character)."""
    i = pid(person)
    return i[:14] + i[15] + i[14] + i[16:]


def payments(*rows: dict) -> pd.DataFrame:
    """Standard payments: each row gives person, name, paid_on and optionally programme,
    amount, household_id, village, account, dirty (an invalid number of the same person)."""
    out = []
    for r in rows:
        number = dirty(r["person"]) if r.get("dirty") else pid(r["person"])
        out.append(
            {
                "id_number": number,
                "name": r["name"],
                "programme": r.get("programme", "dibao"),
                "amount": float(r.get("amount", 300.0)),
                "paid_on": pd.Timestamp(r["paid_on"]),
                "household_id": r.get("household_id", pd.NA),
                "village": r.get("village", pd.NA),
                "account": r.get("account", pd.NA),
                "id_clean": number,
                "id_valid": not r.get("dirty", False),
                "person": r["person"],
            }
        )
    frame = pd.DataFrame(out)
    frame["paid_on"] = frame["paid_on"].astype("datetime64[ns]")
    frame["person"] = frame["person"].astype(np.int64)
    for c in ("household_id", "village", "account"):
        frame[c] = frame[c].astype(object)
    return frame


def registry(*records: tuple, columns: tuple[str, ...]) -> pd.DataFrame:
    frame = pd.DataFrame(list(records), columns=list(columns))
    if "died_on" in frame:
        frame["died_on"] = pd.to_datetime(frame["died_on"]).astype("datetime64[ns]")
    return frame


def links(pay: pd.DataFrame, spec: dict[int, list[tuple]]) -> pd.DataFrame:
    """Person-level links expanded to every payment row of the person, as AuditContext has:
    ``{person: [(registry_row, linked_by, weight, probability), ...]}``."""
    out = []
    for person, recs in spec.items():
        for row in np.flatnonzero(pay["person"].to_numpy() == person):
            for reg_row, by, w, p in recs:
                out.append((int(row), reg_row, by, w, p))
    frame = pd.DataFrame(
        out, columns=["row", "registry_row", "linked_by", "match_weight", "match_probability"]
    )
    return frame.astype({"row": np.int64, "registry_row": np.int64, "linked_by": object})


ID = ("id", np.nan, 1.0)
RL = ("record linkage", 12.5, 0.97)


def context(pay: pd.DataFrame, **kinds: tuple[pd.DataFrame, dict]) -> AuditContext:
    regs = {k: table for k, (table, _) in kinds.items()}
    lks = {k: links(pay, spec) for k, (_, spec) in kinds.items()}
    return AuditContext(payments=pay, registries=regs, links=lks, params={"threshold": 0.9})


def run(name: str, ctx: AuditContext, **params) -> pd.DataFrame:
    rule = RULES[name].with_params(**params) if params else RULES[name]
    before = ctx.payments.copy()
    hits = rule.run(ctx)
    pd.testing.assert_frame_equal(ctx.payments, before)  # input never mutated
    assert tuple(hits.columns) == HIT_COLUMNS
    return hits


# ---------------------------------------------------------------- paid_after_death


def death_case() -> AuditContext:
    pay = payments(
        {"person": 0, "name": "张三", "paid_on": "2021-03-31"},  # row 0: day before death
        {"person": 0, "name": "张三", "paid_on": "2021-04-01"},  # row 1: day of death
        {"person": 0, "name": "张三", "paid_on": "2021-05-01"},  # row 2: after: hit
        {"person": 1, "name": "李四", "paid_on": "2021-06-01", "dirty": True},  # row 3
        {"person": 2, "name": "张三", "paid_on": "2021-05-01"},  # row 4: look-alike
    )
    death = registry(
        (pid(0), "张三", "2021-04-01"),
        (pid(1), "李四", "2021-05-15"),
        (pid(2)[:6] + "19990101" + "1234", "张三", "2021-01-01"),  # look-alike record
        (pid(0), "张三", "2021-06-01"),  # a duplicated, later record of person 0
        columns=("id_number", "name", "died_on"),
    )
    spec = {0: [(0, *ID), (3, *ID)], 1: [(1, *RL)]}
    return context(pay, death=(death, spec))


def test_paid_after_death_hits_only_payments_after_the_death() -> None:
    hits = run("paid_after_death", death_case())
    assert hits["row"].tolist() == [2, 3]  # not the day before (0), not the day of death (1)
    assert hits["registry_row"].tolist() == [0, 1]  # the earliest of two death records
    assert hits["evidence"][0] == (
        f"death registry record 0 (张三, {pid(0)}) died 2021-04-01; "
        "payment row 2 (张三): dibao paid 2021-05-01, ¥300"
    )
    assert hits["amount_at_risk"].tolist() == [300.0, 300.0]
    # the dirty identifier linked by record linkage hits, with its link's numbers
    assert hits.loc[1, ["linked_by", "match_weight", "match_probability"]].tolist() == [
        "record linkage",
        12.5,
        0.97,
    ]
    assert np.isnan(hits["match_weight"][0]) and hits["match_probability"][0] == 1.0
    assert 4 not in hits["row"].tolist()  # the look-alike 张三 is not linked: no hit


def test_paid_after_death_grace_days_and_programmes() -> None:
    # row 2 is paid 30 days after the death, row 3 17 days after
    assert run("paid_after_death", death_case(), grace_days=16)["row"].tolist() == [2, 3]
    assert run("paid_after_death", death_case(), grace_days=17)["row"].tolist() == [2]
    assert run("paid_after_death", death_case(), grace_days=30).empty
    assert run("paid_after_death", death_case(), programmes=("tekun",)).empty


# ------------------------------------------------------------ exclusive_programmes


def exclusive_case() -> AuditContext:
    pay = payments(
        {"person": 0, "name": "王五", "paid_on": "2021-01-05"},  # row 0 dibao
        {"person": 0, "name": "王五", "paid_on": "2021-02-05"},  # row 1 dibao
        {
            "person": 0,
            "name": "王五",
            "paid_on": "2021-02-20",
            "programme": "tekun",
            "amount": 500,
        },  # row 2: hit (dibao came first)
        {
            "person": 0,
            "name": "王五",
            "paid_on": "2021-03-20",
            "programme": "tekun",
            "amount": 500,
        },  # row 3: no dibao in March: near miss
        {"person": 1, "name": "赵六", "paid_on": "2021-01-05"},  # row 4 dibao
        {
            "person": 1,
            "name": "赵六",
            "paid_on": "2021-01-20",
            "programme": "tekun",
            "dirty": True,
        },  # row 5: dirty id joined to person 1: hit
        {"person": 2, "name": "赵六", "paid_on": "2021-01-20", "programme": "tekun"},  # row 6
    )
    return context(pay)


def test_exclusive_programmes_hits_the_later_programme() -> None:
    hits = run("exclusive_programmes", exclusive_case())
    assert hits["row"].tolist() == [2, 5]  # not row 3 (another month), not 6 (look-alike)
    assert hits["evidence"][0] == (
        "王五 is also paid dibao in 2021-02 (payment row 1, 2021-02-05, ¥300); dibao and "
        "tekun exclude each other; payment row 2: tekun paid 2021-02-20, ¥500"
    )
    assert hits["amount_at_risk"].tolist() == [500.0, 300.0]
    assert hits["linked_by"].tolist() == ["id", "record linkage"]
    assert hits["match_probability"][0] == 1.0 and np.isnan(hits["match_probability"][1])
    assert hits["registry_row"].isna().all()


def test_exclusive_programmes_parameters() -> None:
    # the first listed programme is kept: the dibao payments of the conflicting months hit
    hits = run(
        "exclusive_programmes", exclusive_case(), groups=(("tekun", "dibao"),), keep="first_listed"
    )
    assert hits["row"].tolist() == [1, 4]
    assert run("exclusive_programmes", exclusive_case(), period="year")["row"].tolist() == [
        2,
        3,
        5,
    ]
    with pytest.raises(ValidationError, match="groups"):
        run("exclusive_programmes", exclusive_case(), groups=("dibao",))


def test_exclusive_programmes_keeps_the_earliest_joined_of_those_in_conflict() -> None:
    pay = payments(
        {"person": 0, "name": "王五", "paid_on": "2020-01-05", "programme": "a"},  # row 0
        {"person": 0, "name": "王五", "paid_on": "2021-01-05", "programme": "c"},  # row 1
        {"person": 0, "name": "王五", "paid_on": "2020-06-05", "programme": "b"},  # row 2
        {"person": 0, "name": "王五", "paid_on": "2021-01-25", "programme": "b"},  # row 3
    )
    # in 2021-01 only b and c conflict (a was paid in 2020): b was joined first, c hits
    hits = run("exclusive_programmes", context(pay), groups=(("a", "b", "c"),))
    assert hits["row"].tolist() == [1]
    assert hits["evidence"][0].startswith("王五 is also paid b in 2021-01 (payment row 3,")
    hits = run("exclusive_programmes", context(pay), groups=(("c", "b", "a"),), keep="first_listed")
    assert hits["row"].tolist() == [3]


def test_self_link_numbers_are_used_when_the_payments_carry_them() -> None:
    ctx = exclusive_case()
    pay = ctx.payments.assign(self_probability=np.nan, self_weight=np.nan)
    pay.loc[5, ["self_probability", "self_weight"]] = [0.93, 9.0]
    hits = run("exclusive_programmes", dataclasses.replace(ctx, payments=pay))
    assert hits.loc[1, ["linked_by", "match_weight", "match_probability"]].tolist() == [
        "record linkage",
        9.0,
        0.93,
    ]


# ------------------------------------------------------------- duplicate_in_period


def duplicate_case() -> AuditContext:
    pay = payments(
        {"person": 0, "name": "孙七", "paid_on": "2021-03-01"},  # row 0
        {"person": 0, "name": "孙七", "paid_on": "2021-03-15", "amount": 320},  # row 1: hit
        {"person": 0, "name": "孙七", "paid_on": "2021-04-01"},  # row 2: next month
        {"person": 1, "name": "周八", "paid_on": "2021-05-01"},  # row 3
        {"person": 1, "name": "周八", "paid_on": "2021-05-03", "dirty": True},  # row 4: hit
        {"person": 2, "name": "周八", "paid_on": "2021-05-03"},  # row 5: look-alike
        {"person": 0, "name": "孙七", "paid_on": "2021-03-15", "programme": "education"},
    )
    return context(pay)


def test_duplicate_in_period_hits_the_second_payment() -> None:
    hits = run("duplicate_in_period", duplicate_case())
    assert hits["row"].tolist() == [1, 4]
    assert hits["evidence"][0] == (
        "payment 2 of dibao to 孙七 in 2021-03 (the first: payment row 0, 2021-03-01, ¥300); "
        "payment row 1: paid 2021-03-15, ¥320"
    )
    assert hits["amount_at_risk"].tolist() == [320.0, 300.0]
    assert hits["linked_by"].tolist() == ["id", "record linkage"]


def test_duplicate_in_period_leaves_out_programmes_paid_per_event() -> None:
    t = "temporary_assistance"
    pay = payments(
        {"person": 0, "name": "甲", "paid_on": "2021-03-02", "programme": t},
        {"person": 0, "name": "甲", "paid_on": "2021-03-20", "programme": t},
    )
    assert run("duplicate_in_period", context(pay)).empty
    assert run("duplicate_in_period", context(pay), exclude=())["row"].tolist() == [1]


def test_duplicate_in_period_by_year_and_by_programme() -> None:
    assert run("duplicate_in_period", duplicate_case(), period="year")["row"].tolist() == [
        1,
        2,
        4,
    ]
    hits = run(
        "duplicate_in_period", duplicate_case(), period={"dibao": "year"}, programmes=("dibao",)
    )
    assert hits["row"].tolist() == [1, 2, 4]
    with pytest.raises(ValidationError, match="period='week'"):
        run("duplicate_in_period", duplicate_case(), period="week")
    with pytest.raises(ValidationError, match="programmes"):
        run("duplicate_in_period", duplicate_case(), programmes=(1, 2))


# ------------------------------------------- business / vehicle / tax / staff registries


def owners_case(kind: str, column: str | None, values: list[float]) -> AuditContext:
    pay = payments(
        {"person": 0, "name": "吴九", "paid_on": "2021-01-01"},  # row 0: above: hit
        {"person": 1, "name": "郑十", "paid_on": "2021-01-01"},  # row 1: exactly at: no
        {"person": 2, "name": "冯一", "paid_on": "2022-01-01", "dirty": True},  # row 2: linked
        {"person": 3, "name": "陈二", "paid_on": "2021-01-01"},  # row 3: look-alike
    )
    cols = ("id_number", "name") + ((column,) if column else ())
    recs = [
        (pid(0), "吴九", values[0]),
        (pid(1), "郑十", values[1]),
        (pid(2), "冯一", values[0]),
        (pid(3)[:-4] + "0000", "陈二", values[0]),
    ]
    reg = registry(*[r[: len(cols)] for r in recs], columns=cols)
    spec = {0: [(0, *ID)], 1: [(1, *ID)], 2: [(2, *RL)]}
    return context(pay, **{kind: (reg, spec)})


@pytest.mark.parametrize(
    ("name", "kind", "column", "limit", "what"),
    [
        ("business_owner", "business", "registered_capital", 100_000.0, "registered capital"),
        ("vehicle_owner", "vehicle", "vehicle_value", 50_000.0, "vehicle value"),
        ("taxed_income", "tax", "annual_income", 60_000.0, "taxed annual income"),
    ],
)
def test_value_rules(name: str, kind: str, column: str, limit: float, what: str) -> None:
    ctx = owners_case(kind, column, [limit + 1, limit])
    hits = run(name, ctx)
    assert hits["row"].tolist() == [0, 2]  # strict: the value at the limit (row 1) is no hit
    assert hits["registry_row"].tolist() == [0, 2]
    assert hits["evidence"][0] == (
        f"{kind} registry record 0 (吴九, {pid(0)}): {what} ¥{limit + 1:,.0f} > ¥{limit:,.0f}; "
        "payment row 0 (吴九): dibao paid 2021-01-01, ¥300"
    )
    assert hits.loc[1, ["linked_by", "match_probability"]].tolist() == ["record linkage", 0.97]
    param = "line" if name == "taxed_income" else "threshold"
    assert run(name, ctx, **{param: limit - 1})["row"].tolist() == [0, 1, 2]
    with pytest.raises(ValidationError, match=f"{param}=-1"):
        run(name, ctx, **{param: -1})


def test_taxed_income_of_a_year_hits_that_years_payments() -> None:
    ctx = owners_case("tax", "annual_income", [80_000.0, 60_000.0])
    tax = ctx.registries["tax"].assign(year=[2021, 2021, 2021, 2021])
    hits = run("taxed_income", dataclasses.replace(ctx, registries={"tax": tax}))
    assert hits["row"].tolist() == [0]  # row 2 was paid in 2022
    assert hits["evidence"][0].startswith(
        f"tax registry record 0 (吴九, {pid(0)}): taxed annual income ¥80,000 > ¥60,000 (2021);"
    )


def test_a_person_with_two_vehicles_is_hit_once_with_the_dearest() -> None:
    pay = payments({"person": 0, "name": "吴九", "paid_on": "2021-01-01"})
    reg = registry(
        (pid(0), "吴九", 60_000.0),
        (pid(0), "吴九", 90_000.0),
        columns=("id_number", "name", "vehicle_value"),
    )
    hits = run("vehicle_owner", context(pay, vehicle=(reg, {0: [(0, *ID), (1, *ID)]})))
    assert hits["registry_row"].tolist() == [1] and hits["amount_at_risk"].tolist() == [300.0]


def test_public_employee() -> None:
    hits = run("public_employee", owners_case("staff", None, [0.0, 0.0]))
    assert hits["row"].tolist() == [0, 1, 2]  # every linked person; not the look-alike (3)
    assert hits["evidence"][2] == (
        f"staff registry record 2 (冯一, {pid(2)}) is a public employee; "
        "payment row 2 (冯一): dibao paid 2022-01-01, ¥300"
    )
    assert hits["linked_by"].tolist() == ["id", "id", "record linkage"]
    assert run(
        "public_employee", owners_case("staff", None, [0.0, 0.0]), programmes=("tekun",)
    ).empty


# ------------------------------------------------------------------- property_area


def property_case(size_col: bool = False) -> AuditContext:
    pay = payments(
        {"person": 0, "name": "甲", "paid_on": "2021-01-01", "household_id": "H1"},  # row 0
        {"person": 1, "name": "乙", "paid_on": "2021-01-01", "household_id": "H1"},  # row 1
        {"person": 2, "name": "丙", "paid_on": "2021-01-01", "household_id": "H2"},  # row 2
        {"person": 3, "name": "丁", "paid_on": "2021-01-01", "household_id": "H2"},  # row 3
        {"person": 4, "name": "戊", "paid_on": "2021-01-01", "dirty": True},  # row 4
        {"person": 5, "name": "己", "paid_on": "2021-01-01"},  # row 5: look-alike
    )
    if size_col:
        pay["household_size"] = [2, 2, 1, 1, 1, 1]
    reg = registry(
        (pid(0), "甲", 130.0),
        (pid(2), "丙", 120.0),
        (pid(4), "戊", 65.0),
        (pid(5), "己", 99.0),
        columns=("id_number", "name", "floor_area"),
    )
    return context(pay, property=(reg, {0: [(0, *ID)], 2: [(1, *ID)], 4: [(2, *RL)]}))


def test_property_area_per_household_member() -> None:
    hits = run("property_area", property_case())
    # H1: 130 m² / 2 = 65 > 60: both members' payments; H2: 120 / 2 = 60, at the limit: no;
    # 戊 (dirty id, linked): 45 / 1; 己 is not linked
    assert hits["row"].tolist() == [0, 1, 4]
    assert hits["registry_row"].tolist() == [0, 0, 2]
    assert hits["evidence"][1] == (
        f"property registry record 0 (甲, {pid(0)}): 130 m² for 2 household member(s) = "
        "65 m² per member > 60 m²; payment row 1 (乙): dibao paid 2021-01-01, ¥300"
    )
    assert hits["linked_by"].tolist() == ["id", "id", "record linkage"]


def test_property_area_adds_up_the_records_of_the_household() -> None:
    ctx = property_case()
    spec = {0: [(0, *ID)], 1: [(3, *ID)], 2: [(1, *ID)], 4: [(2, *RL)]}
    hits = run("property_area", context(ctx.payments, property=(ctx.registries["property"], spec)))
    assert hits["row"].tolist() == [0, 1, 4]
    assert hits["evidence"][0].startswith(
        f"property registry records 0, 3 (甲, {pid(0)}): 229 m² for 2 household member(s) = "
        "114.5 m² per member > 60 m²; payment row 0"
    )


def test_property_area_household_size_column() -> None:
    hits = run("property_area", property_case(size_col=True))
    assert hits["row"].tolist() == [0, 1, 2, 3, 4]  # H2 has one member by its own count
    assert run("property_area", property_case(), threshold=65)["row"].tolist() == []


# ------------------------------------------------------- household_in_two_villages


def village_case() -> AuditContext:
    pay = payments(
        {
            "person": 0,
            "name": "甲",
            "paid_on": "2021-01-01",
            "household_id": "H1",
            "village": "东村",
        },
        {
            "person": 0,
            "name": "甲",
            "paid_on": "2021-02-01",
            "household_id": "H1",
            "village": "东村",
        },
        {
            "person": 1,
            "name": "乙",
            "paid_on": "2021-03-01",
            "household_id": "H1",
            "village": "西村",
            "dirty": True,
            "programme": "relocation",
            "amount": 5000,
        },
        {
            "person": 0,
            "name": "甲",
            "paid_on": "2022-01-01",
            "household_id": "H1",
            "village": "西村",
        },  # row 3: 2022, one village only
        {
            "person": 2,
            "name": "甲",
            "paid_on": "2021-03-01",
            "household_id": "H10",
            "village": "西村",
        },  # row 4: look-alike household
    )
    return context(pay)


def test_household_in_two_villages() -> None:
    hits = run("household_in_two_villages", village_case())
    assert hits["row"].tolist() == [2]
    assert hits["evidence"][0] == (
        "household H1 is paid in 西村 and in 东村 in 2021 (payment row 0: 甲, dibao, "
        "2021-01-01); payment row 2 (乙, 西村): relocation paid 2021-03-01, ¥5,000"
    )
    assert hits.loc[0, ["linked_by", "match_probability", "amount_at_risk"]].tolist() == [
        "household_id",
        1.0,
        5000.0,
    ]
    # over the whole audit 东村 and 西村 have two payments each: the earlier (东村) is main
    assert run("household_in_two_villages", village_case(), period=None)["row"].tolist() == [
        2,
        3,
    ]


# ------------------------------------------------------------------ split_payments


def split_case() -> AuditContext:
    t = "temporary_assistance"
    pay = payments(
        {"person": 0, "name": "甲", "paid_on": "2021-03-02", "programme": t, "amount": 600},
        {"person": 0, "name": "甲", "paid_on": "2021-03-20", "programme": t, "amount": 500},
        {"person": 1, "name": "乙", "paid_on": "2021-03-02", "programme": t, "amount": 600},
        {"person": 1, "name": "乙", "paid_on": "2021-03-20", "programme": t, "amount": 400},
        {"person": 2, "name": "丙", "paid_on": "2021-03-02", "programme": t, "amount": 1200},
        {"person": 3, "name": "丁", "paid_on": "2021-05-02", "programme": t, "amount": 700},
        {
            "person": 3,
            "name": "丁",
            "paid_on": "2021-05-09",
            "programme": t,
            "amount": 400,
            "dirty": True,
        },
        {"person": 4, "name": "丁", "paid_on": "2021-05-09", "programme": t, "amount": 400},
    )
    return context(pay)


def test_split_payments() -> None:
    hits = run("split_payments", split_case())
    # 600 + 500 > 1000: both; 600 + 400 = 1000 is at the threshold: no; 1200 alone: no;
    # 丁 700 + 400 with the dirty id linked: both; the look-alike 丁 (row 7) is not
    assert hits["row"].tolist() == [0, 1, 5, 6]
    np.testing.assert_allclose(
        hits["amount_at_risk"],
        [600 * 100 / 1100, 500 * 100 / 1100, 700 * 100 / 1100, 400 * 100 / 1100],
        rtol=0,
        atol=1e-12,
    )
    assert hits["amount_at_risk"][:2].sum() == pytest.approx(100.0, abs=1e-12)
    assert hits["evidence"][0] == (
        "2 payments of temporary_assistance to 甲 in 2021-03 (payment rows 0, 1), each at "
        "most the approval threshold ¥1,000, sum ¥1,100; payment row 0: paid 2021-03-02, ¥600"
    )
    assert hits["linked_by"].tolist() == ["id", "id", "record linkage", "record linkage"]
    total = run("split_payments", split_case(), at_risk="total")
    assert total["amount_at_risk"].tolist() == [600.0, 500.0, 700.0, 400.0]
    # monthly benefits are not split payments (programmes: those paid per event)
    monthly = split_case().payments.assign(programme="dibao")
    assert run("split_payments", context(monthly)).empty
    assert run("split_payments", context(monthly), programmes=None)["row"].tolist() == [0, 1, 5, 6]
    # at ¥650 丁's ¥700 needs approval on its own: his ¥400 alone is no split
    assert run("split_payments", split_case(), threshold=650)["row"].tolist() == [0, 1, 2, 3]


def test_split_payments_checks_programmes_with_an_approval_amount_by_default() -> None:
    assert RULES["split_payments"].params["programmes"] == ("temporary_assistance",)
    # several hospital bills in one month are normal: medical assistance is not checked
    bills = split_case().payments.assign(programme="medical_assistance")
    assert run("split_payments", context(bills)).empty
    assert run("split_payments", context(bills), programmes=("medical_assistance",))[
        "row"
    ].tolist() == [0, 1, 5, 6]
    both = split_case().payments
    both.loc[[0, 1], "programme"] = "medical_assistance"
    assert run("split_payments", context(both))["row"].tolist() == [5, 6]  # 丁 only
    assert run("split_payments", context(both), programmes=None)["row"].tolist() == [0, 1, 5, 6]


# ------------------------------------------------------------------ shared_account


def account_case() -> AuditContext:
    pay = payments(
        {
            "person": 0,
            "name": "甲",
            "paid_on": "2021-01-01",
            "household_id": "H1",
            "account": "6222-01",
        },
        {
            "person": 0,
            "name": "甲",
            "paid_on": "2021-02-01",
            "household_id": "H1",
            "account": "6222-01",
        },
        {
            "person": 1,
            "name": "乙",
            "paid_on": "2021-02-01",
            "household_id": "H2",
            "account": "6222-01",
            "dirty": True,
        },  # row 2: hit
        {"person": 2, "name": "丙", "paid_on": "2021-02-01", "account": "6222-01"},  # row 3
        {
            "person": 3,
            "name": "丁",
            "paid_on": "2021-02-01",
            "household_id": "H3",
            "account": "6222-02",
        },
        {
            "person": 4,
            "name": "戊",
            "paid_on": "2021-02-01",
            "household_id": "H3",
            "account": "6222-02",
        },  # row 5: same household as row 4: near miss
        {
            "person": 5,
            "name": "己",
            "paid_on": "2021-02-01",
            "household_id": "H4",
            "account": "622201",
        },  # row 6: look-alike account
    )
    return context(pay)


def test_shared_account() -> None:
    hits = run("shared_account", account_case())
    # every payment into 6222-01 (three households, one without household_id); not 6222-02
    # (one household), not the look-alike account 622201
    assert hits["row"].tolist() == [0, 1, 2, 3]
    assert hits["evidence"][2] == (
        "account 6222-01 receives the payments of 3 households (H1, H2, person 2); payment "
        "row 2 (乙, household H2): dibao paid 2021-02-01, ¥300"
    )
    assert hits["evidence"][3].endswith(
        "payment row 3 (丙, household person 2): dibao paid 2021-02-01, ¥300"
    )
    assert hits["linked_by"].tolist() == ["account"] * 4
    assert hits["match_probability"].tolist() == [1.0] * 4
    assert hits["amount_at_risk"].sum() == 1200.0
    assert run("shared_account", account_case(), min_households=4).empty
    with pytest.raises(ValidationError, match="min_households=1"):
        run("shared_account", account_case(), min_households=1)


# ----------------------------------------------------------- transferred_after_death


def transfer_case() -> AuditContext:
    pay = payments(
        {"person": 0, "name": "老甲", "paid_on": "2021-01-01", "household_id": "H1"},  # 0
        {"person": 0, "name": "老甲", "paid_on": "2021-02-01", "household_id": "H1"},  # 1
        {"person": 1, "name": "甲妻", "paid_on": "2021-04-01", "household_id": "H1"},  # 2 hit
        {"person": 1, "name": "甲妻", "paid_on": "2021-05-01", "household_id": "H1"},  # 3 hit
        {"person": 2, "name": "老乙", "paid_on": "2021-02-01", "household_id": "H2"},  # 4
        {"person": 3, "name": "乙子", "paid_on": "2021-09-01", "household_id": "H2"},  # 5 late
        {
            "person": 4,
            "name": "老丙",
            "paid_on": "2021-02-01",
            "household_id": "H3",
            "dirty": True,
        },  # row 6: the deceased, dirty id linked
        {"person": 5, "name": "丙女", "paid_on": "2021-03-01", "household_id": "H3"},  # 7 hit
        {"person": 6, "name": "老丁", "paid_on": "2021-02-01", "household_id": "H4"},  # 8
        {"person": 7, "name": "丁子", "paid_on": "2021-03-01", "household_id": "H4"},  # 9
        {"person": 8, "name": "戊妻", "paid_on": "2021-01-01", "household_id": "H5"},  # 10
        {"person": 9, "name": "老戊", "paid_on": "2021-01-01", "household_id": "H5"},  # 11
        {"person": 8, "name": "戊妻", "paid_on": "2021-03-01", "household_id": "H5"},  # 12
    )
    pay["programme"] = "elderly_allowance"
    death = registry(
        (pid(0), "老甲", "2021-02-15"),
        (pid(2), "老乙", "2021-02-15"),
        (pid(4), "老丙", "2021-02-15"),
        (pid(6), "老丁", "2021-02-15"),
        (pid(9), "老戊", "2021-02-15"),
        columns=("id_number", "name", "died_on"),
    )
    # 老丁 (person 6) has a look-alike record but is not linked; 戊妻 was already paid
    spec = {0: [(0, *ID)], 2: [(1, *ID)], 4: [(2, *RL)], 9: [(4, *ID)]}
    return context(pay, death=(death, spec))


def test_transferred_after_death() -> None:
    hits = run("transferred_after_death", transfer_case())
    # 乙子 starts 7 months after the death (> 6); 丁子's 老丁 is not linked; 戊妻 was
    # already paid before 老戊 died
    assert hits["row"].tolist() == [2, 3, 7]
    assert hits["registry_row"].tolist() == [0, 0, 2]
    assert hits["evidence"][0] == (
        f"death registry record 0 (老甲, {pid(0)}) died 2021-02-15, paid elderly_allowance until "
        "then (payment row 1, household H1); 甲妻 of the same household starts "
        "elderly_allowance 2021-04-01; payment row 2 (甲妻): elderly_allowance paid 2021-04-01, "
        "¥300"
    )
    assert hits.loc[2, ["linked_by", "match_weight", "match_probability"]].tolist() == [
        "record linkage",
        12.5,
        0.97,
    ]
    assert run("transferred_after_death", transfer_case(), months=7)["row"].tolist() == [
        2,
        3,
        5,
        7,
    ]
    assert run("transferred_after_death", transfer_case(), months=1)["row"].tolist() == [7]
    assert run("transferred_after_death", transfer_case(), programmes=("tekun",)).empty


def test_transferred_after_death_leaves_out_household_programmes() -> None:
    ctx = transfer_case()
    dibao = dataclasses.replace(ctx, payments=ctx.payments.assign(programme="dibao"))
    assert run("transferred_after_death", dibao).empty  # a household benefit's new payee
    assert run("transferred_after_death", dibao, exclude=()).empty  # not a personal allowance
    assert run("transferred_after_death", dibao, programmes=None).empty  # still excluded
    assert run("transferred_after_death", dibao, programmes=None, exclude=())["row"].tolist() == [
        2,
        3,
        7,
    ]


def test_transferred_after_death_checks_personal_allowances_by_default() -> None:
    assert RULES["transferred_after_death"].params["programmes"] == (
        "tekun",
        "disability_allowance",
        "elderly_allowance",
    )
    assert dict(RULES["transferred_after_death"].params["age_entitlements"]) == {
        "elderly_allowance": 80
    }
    ctx = transfer_case()
    for programme in ("disability_allowance", "tekun"):
        moved = dataclasses.replace(ctx, payments=ctx.payments.assign(programme=programme))
        assert run("transferred_after_death", moved)["row"].tolist() == [2, 3, 7]
    # a relative's medical assistance or employment subsidy after a death is a new need
    for programme in ("medical_assistance", "employment_subsidy"):
        need = dataclasses.replace(ctx, payments=ctx.payments.assign(programme=programme))
        assert run("transferred_after_death", need).empty
        assert run("transferred_after_death", need, programmes=None)["row"].tolist() == [2, 3, 7]
        assert run("transferred_after_death", need, programmes=(programme,))["row"].tolist() == [
            2,
            3,
            7,
        ]


def born_id(birth: str, seq: int) -> str:
    """A valid number of a person born on ``birth`` (YYYYMMDD)."""
    return make_id(f"420103{birth}{seq:03d}")


def age_case() -> AuditContext:
    """Elderly allowances of deceased people (all died 2021-02-25) and of their relatives,
    with the relatives' birth dates written in their identity numbers."""
    e = "elderly_allowance"
    pay = payments(
        {"person": 0, "name": "老甲", "paid_on": "2021-02-18", "household_id": "H1"},  # 0
        {"person": 1, "name": "甲妻", "paid_on": "2021-04-18", "household_id": "H1"},  # 1
        {"person": 1, "name": "甲妻", "paid_on": "2021-05-18", "household_id": "H1"},  # 2
        {"person": 2, "name": "老乙", "paid_on": "2021-02-18", "household_id": "H2"},  # 3
        {"person": 3, "name": "乙子", "paid_on": "2021-04-18", "household_id": "H2"},  # 4
        {"person": 4, "name": "老丙", "paid_on": "2021-02-18", "household_id": "H3"},  # 5
        {"person": 5, "name": "丙妻", "paid_on": "2021-04-18", "household_id": "H3"},  # 6
        {"person": 6, "name": "老丁", "paid_on": "2021-02-18", "household_id": "H4"},  # 7
        {"person": 7, "name": "丁妻", "paid_on": "2021-04-18", "household_id": "H4"},  # 8
        {"person": 8, "name": "老戊", "paid_on": "2021-02-18", "household_id": "H5"},  # 9
        {"person": 9, "name": "戊妻", "paid_on": "2021-04-18", "household_id": "H5"},  # 10
        {"person": 9, "name": "戊妻", "paid_on": "2021-05-18", "household_id": "H5"},  # 11
    ).assign(programme=e)
    numbers = {
        1: born_id("19410310", 22),  # 80 on 2021-03-10: starts a month later, entitled
        3: born_id("19610105", 31),  # 60 years old: not entitled, a transfer
        5: born_id("19400601", 42),  # 80 ten months before starting: already entitled
        7: born_id("19410420", 52),  # paid on 2021-04-18, before the 80th birthday
        9: born_id("19410310", 62),  # as 甲妻, but her first payment shows a dirty number
    }
    for person, number in numbers.items():
        at = pay["person"] == person
        pay.loc[at, ["id_number", "id_clean"]] = number
    # row 10: the year mistyped (1961), so an invalid number with another birth date
    wrong = numbers[9][:8] + "6" + numbers[9][9:]
    pay.loc[10, ["id_number", "id_clean", "id_valid"]] = [wrong, wrong, False]
    death = registry(
        *[(pid(p), n, "2021-02-25") for p, n in ((0, "老甲"), (2, "老乙"), (4, "老丙"),
                                                 (6, "老丁"), (8, "老戊"))],
        columns=("id_number", "name", "died_on"),
    )  # fmt: skip
    spec = {0: [(0, *ID)], 2: [(1, *ID)], 4: [(2, *ID)], 6: [(3, *ID)], 8: [(4, *ID)]}
    return context(pay, death=(death, spec))


def test_transferred_after_death_excuses_a_relative_reaching_the_allowance_age() -> None:
    hits = run("transferred_after_death", age_case())
    # 甲妻 and 戊妻 turned 80 in March 2021 and start in April: their own entitlement (戊妻's
    # birth date read from her valid number, not from the mistyped one of row 10); the
    # 60-year-old 乙子, 丙妻 (80 since June 2020) and 丁妻 (paid before her birthday) are hits
    assert hits["row"].tolist() == [4, 6, 8]
    assert hits["registry_row"].tolist() == [1, 2, 3]
    assert hits["evidence"][0] == (
        f"death registry record 1 (老乙, {pid(2)}) died 2021-02-25, paid elderly_allowance until "
        "then (payment row 3, household H2); 乙子 of the same household starts "
        "elderly_allowance 2021-04-18; payment row 4 (乙子): elderly_allowance paid 2021-04-18, "
        "¥300"
    )
    every = [1, 2, 4, 6, 8, 10, 11]
    assert run("transferred_after_death", age_case(), age_entitlements={})["row"].tolist() == every
    assert (
        run("transferred_after_death", age_case(), age_entitlements=None)["row"].tolist() == every
    )
    # a window of 10 months also excuses 丙妻; an age of 60 excuses 乙子 (born 1961-01-05)
    assert run("transferred_after_death", age_case(), months=10)["row"].tolist() == [4, 8]
    assert run("transferred_after_death", age_case(), age_entitlements={"elderly_allowance": 60})[
        "row"
    ].tolist() == [1, 2, 6, 8, 10, 11]
    # an age rule for another programme changes nothing here
    assert (
        run("transferred_after_death", age_case(), age_entitlements={"tekun": 60})["row"].tolist()
        == every
    )


@pytest.mark.parametrize(
    "bad", [{"elderly_allowance": "80"}, {"elderly_allowance": 0}, {"elderly_allowance": 80.5},
            {"elderly_allowance": True}, ("elderly_allowance", 80), {1: 80}],
)  # fmt: skip
def test_transferred_after_death_age_entitlements_are_validated(bad) -> None:
    with pytest.raises(ValidationError, match="age_entitlements=.*'elderly_allowance': 80"):
        run("transferred_after_death", age_case(), age_entitlements=bad)


# ---------------------------------------------------------------- Rule and library


def test_every_default_rule_is_documented_and_runs_on_empty_cases() -> None:
    assert list(RULES) == [
        "paid_after_death",
        "exclusive_programmes",
        "duplicate_in_period",
        "business_owner",
        "vehicle_owner",
        "property_area",
        "taxed_income",
        "public_employee",
        "household_in_two_villages",
        "split_payments",
        "shared_account",
        "transferred_after_death",
    ]
    pay = payments({"person": 0, "name": "甲", "paid_on": "2021-01-01"})
    kinds = {
        "death": ("died_on",),
        "business": ("registered_capital",),
        "vehicle": ("vehicle_value",),
        "property": ("floor_area",),
        "tax": ("annual_income",),
        "staff": (),
    }
    regs = {k: (registry(columns=("id_number", "name", *cols)), {}) for k, cols in kinds.items()}
    ctx = context(pay, **regs)
    for rule in default_rules():
        assert rule.source and rule.description and set(rule.needs) <= set(kinds)
        hits = rule.run(ctx)
        assert hits.empty and tuple(hits.columns) == HIT_COLUMNS


def test_rule_is_frozen_and_with_params_copies() -> None:
    rule = RULES["business_owner"]
    other = rule.with_params(threshold=500_000)
    assert other.params["threshold"] == 500_000 and rule.params["threshold"] == 100_000.0
    assert other.name == rule.name and other.source == rule.source
    with pytest.raises(dataclasses.FrozenInstanceError):
        rule.name = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        rule.params["threshold"] = 1  # type: ignore[index]
    with pytest.raises(ValidationError, match=r"\['treshold'\].*threshold"):
        rule.with_params(treshold=1)


def test_rule_validates_its_fields() -> None:
    with pytest.raises(ValidationError, match="name=''"):
        Rule(name="", needs=(), check=print)
    with pytest.raises(ValidationError, match="check=3"):
        Rule(name="x", needs=(), check=3)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="needs"):
        Rule(name="x", needs=(1,), check=print)  # type: ignore[arg-type]
    assert Rule(name="x", needs="death", check=print).needs == ("death",)  # type: ignore[arg-type]


def test_a_user_rule_as_a_function() -> None:
    def big(ctx: AuditContext, rule: Rule) -> pd.DataFrame:
        pay = ctx.payments
        rows = np.flatnonzero(pay["amount"].to_numpy() > rule.params["limit"])
        return make_hits(
            rows,
            [f"payment row {r}" for r in rows],
            linked_by="id",
            match_probability=1.0,
            amount_at_risk=pay["amount"].to_numpy()[rows],
        )

    rule = Rule(name="big", needs=(), check=big, params={"limit": 400.0}, source="local")
    hits = rule.run(split_case())
    assert hits["row"].tolist() == [0, 1, 2, 4, 5]
    assert hits["amount_at_risk"].tolist() == [600.0, 500.0, 600.0, 1200.0, 700.0]
    assert hits["registry_row"].dtype == "Int64" and hits["registry_row"].isna().all()
    bad = Rule(name="bad", needs=(), check=lambda c, r: pd.DataFrame({"row": [0]}))
    with pytest.raises(ValidationError, match="lack columns"):
        bad.run(split_case())
    worse = Rule(name="worse", needs=(), check=lambda c, r: [1])
    with pytest.raises(ValidationError, match="not a DataFrame"):
        worse.run(split_case())
    far = Rule(name="far", needs=(), check=lambda c, r: make_hits([99], ["x"]))
    with pytest.raises(ValidationError, match="hit row 99"):
        far.run(split_case())


def test_default_rules_switch_and_parameterise() -> None:
    rules = default_rules(exclude=("shared_account",), params={"vehicle_owner": {"threshold": 1}})
    assert [r.name for r in rules] == [n for n in RULES if n != "shared_account"]
    assert next(r for r in rules if r.name == "vehicle_owner").params["threshold"] == 1
    assert RULES["vehicle_owner"].params["threshold"] == 50_000.0
    with pytest.raises(ValidationError, match="nope"):
        default_rules(exclude=("nope",))


def test_empty_hits_and_make_hits_dtypes() -> None:
    e = empty_hits()
    assert tuple(e.columns) == HIT_COLUMNS and len(e) == 0
    h = make_hits([3, 1], ["b", "a"], registry_row=[7, None], amount_at_risk=[1, 2])
    assert h["row"].tolist() == [1, 3] and h["evidence"].tolist() == ["a", "b"]
    assert h["registry_row"].isna().tolist() == [True, False]
    assert str(h["row"].dtype) == "int64" and str(h["amount_at_risk"].dtype) == "float64"
    with pytest.raises(ValidationError, match="evidence"):
        make_hits([1], [])
