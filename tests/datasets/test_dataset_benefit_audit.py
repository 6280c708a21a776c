"""Tests of the ``benefit_audit`` dataset: 12 benefit lists, 6 registries, planted anomalies."""

from __future__ import annotations

import gzip
from importlib import resources

import numpy as np
import pandas as pd
import pytest

import mpi
import mpi.datasets
from mpi.auditing import parse_ids
from mpi.auditing.scoring import score_leads
from mpi.datasets import _benefit_audit as ba
from mpi.errors import ValidationError

NAME = "benefit_audit"
WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def check(first17: str) -> str:
    """GB 11643-1999 check character, computed independently of the generator."""
    return "10X98765432"[sum(int(a) * w for a, w in zip(first17, WEIGHTS, strict=True)) % 11]


def valid(number: str) -> bool:
    return len(number) == 18 and number[:17].isdigit() and check(number[:17]) == number[17]


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return mpi.datasets.load(NAME)


@pytest.fixture(scope="module")
def small() -> dict[str, pd.DataFrame]:
    return ba.generate_tables(seed=7, scale=0.1)


@pytest.fixture(scope="module")
def truth(tables) -> pd.Series:
    """True person_id of every beneficiaries row (clean rows by id, dirty rows from ``dirty``)."""
    b, persons, dirty = tables["beneficiaries"], tables["persons"], tables["dirty"]
    by_id = persons.set_index("id_number")["person_id"]
    person = b["id_number"].map(by_id)
    person.iloc[dirty["row"].to_numpy()] = dirty["person_id"].to_numpy()
    assert person.notna().all()
    return person.astype(np.int64)


def label_rows(labels: pd.DataFrame) -> pd.DataFrame:
    """One row per (label, beneficiaries row)."""
    out = labels.assign(row=labels["rows"].str.split(" ")).explode("row")
    return out.assign(row=out["row"].astype(np.int64))


def test_registered_and_described(tables) -> None:
    assert NAME in mpi.datasets.list()
    card = mpi.datasets.describe(NAME)
    assert card.splitlines()[0].startswith("# benefit_audit:")
    assert list(tables) == list(ba.TABLES)
    for name, df in tables.items():
        assert list(df.columns) == list(ba.DTYPES[name]), name
        for col, dtype in ba.DTYPES[name].items():
            if dtype != "str":
                assert str(df[col].dtype) == dtype, (name, col)
    assert mpi.datasets.load(NAME, format="pandas").keys() == tables.keys()
    with pytest.raises(ValidationError, match="format"):
        mpi.datasets.load(NAME, format="xarray")


def test_bundle_is_the_generator_output_byte_for_byte(tables, tmp_path) -> None:
    generated = ba.generate_tables(ba.BUNDLED_SEED, 1.0)
    for name in ba.TABLES:
        pd.testing.assert_frame_equal(tables[name], generated[name], check_exact=True)
    ba.write_csv(generated, tmp_path)
    data = resources.files("mpi.datasets").joinpath("data")
    total = 0
    for name in ba.TABLES:
        file = f"benefit_audit_{name}.csv.gz"
        bundled = data.joinpath(file).read_bytes()
        assert (tmp_path / file).read_bytes() == bundled, file
        total += len(bundled)
        assert gzip.decompress(bundled).startswith(b"label_id" if name == "labels" else b"")
    assert total < 3_000_000


def test_deterministic_and_seeded(small) -> None:
    again = ba.generate_tables(seed=7, scale=0.1)
    for name in ba.TABLES:
        pd.testing.assert_frame_equal(small[name], again[name], check_exact=True)
    other = ba.generate_tables(seed=8, scale=0.1)
    assert not small["persons"]["id_number"].equals(other["persons"]["id_number"])
    via = mpi.datasets.generate(NAME, n=700, seed=7)
    for name in ba.TABLES:
        pd.testing.assert_frame_equal(small[name], via[name], check_exact=True)


def test_bad_sizes_and_seeds() -> None:
    with pytest.raises(ValidationError, match=r"n: must be between 50 and .* got 10"):
        mpi.datasets.generate(NAME, n=10)
    with pytest.raises(ValidationError, match=r"scale: .* got scale=0.001"):
        ba.generate_tables(seed=1, scale=0.001)
    with pytest.raises(ValidationError, match="seed: must be a non-negative integer; got -1"):
        ba.generate_tables(seed=-1)


def test_sizes_of_the_county(tables) -> None:
    persons, b = tables["persons"], tables["beneficiaries"]
    assert persons["household_id"].nunique() == ba.BUNDLED_HOUSEHOLDS
    assert 18_000 <= len(persons) <= 22_000
    assert persons["id_number"].is_unique and persons["person_id"].tolist() == list(
        range(1, len(persons) + 1)
    )
    assert set(b["programme"]) == set(ba.PROGRAMMES)
    assert b["paid_on"].min() >= pd.Timestamp("2020-01-01")
    assert b["paid_on"].max() <= pd.Timestamp("2023-12-31")
    assert (b["amount"] > 0).all()
    for reg in ba.REGISTRIES:
        ids = tables[reg]["id_number"]
        assert ids.is_unique, reg
        outsiders = ~ids.isin(persons["id_number"])
        assert 0.1 < outsiders.mean() < 0.6, reg  # the rest of the prefecture
        assert ids.map(valid).all(), reg
    # most registry records are not beneficiaries
    payees = set(b["id_number"])
    for reg in ("business", "vehicle", "property", "tax", "staff"):
        assert tables[reg]["id_number"].isin(payees).mean() < 0.5, reg


def test_ids_are_valid_except_the_planted_dirty_ones(tables) -> None:
    persons, b, dirty = tables["persons"], tables["beneficiaries"], tables["dirty"]
    assert persons["id_number"].map(valid).all()
    ids = persons["id_number"]
    born = ids.str[6:14]
    assert (born == persons["birth_date"].dt.strftime("%Y%m%d")).all()
    assert ids.str[:4].eq("4213").all()  # Suizhou prefecture
    male = ids.str[16].astype(int) % 2 == 1
    assert (male == persons["sex"].eq("M")).all()
    wrong_id = np.zeros(len(b), dtype=bool)
    wrong_id[dirty.loc[dirty["id_error"] != "", "row"]] = True
    ok = b["id_number"].map(valid)
    assert ok[~wrong_id].all()
    # 15-digit numbers are old but genuine: only the other three kinds are invalid as given
    kinds = dirty.set_index("row")["id_error"]
    assert not ok[kinds[kinds.isin(["transposed digits", "mistyped digit"])].index].any()
    assert set(kinds[kinds != ""]) == {
        "transposed digits",
        "mistyped digit",
        "missing check character",
        "15-digit number",
    }


def test_dirty_identifiers_are_what_they_say(tables) -> None:
    persons, b, dirty = tables["persons"], tables["beneficiaries"], tables["dirty"]
    true = persons.set_index("person_id").loc[dirty["person_id"]]
    shown_id = b["id_number"].to_numpy()[dirty["row"]]
    shown_name = b["name"].to_numpy()[dirty["row"]]
    for t_id, t_name, s_id, s_name, id_err, name_err in zip(
        true["id_number"], true["name"], shown_id, shown_name, dirty["id_error"],
        dirty["name_error"], strict=True,
    ):  # fmt: skip
        assert id_err or name_err
        if id_err == "":
            assert s_id == t_id
        elif id_err == "missing check character":
            assert s_id == t_id[:17]
        elif id_err == "15-digit number":
            assert s_id == t_id[:6] + t_id[8:17] and t_id[6:8] == "19"
        elif id_err == "mistyped digit":
            diff = [k for k in range(18) if s_id[k] != t_id[k]]
            assert len(diff) == 1 and diff[0] < 17
        else:
            diff = [k for k in range(18) if s_id[k] != t_id[k]]
            assert len(diff) == 2 and diff[1] == diff[0] + 1
            assert s_id[diff[0]] == t_id[diff[1]] and s_id[diff[1]] == t_id[diff[0]]
        if name_err == "":
            assert s_name == t_name
        elif name_err == "dropped character":
            assert len(t_name) == 3 and s_name == t_name[0] + t_name[2]
        else:
            assert len(s_name) == len(t_name) and s_name != t_name
    # rows not in ``dirty`` show the true id and name of a resident
    clean = np.ones(len(b), dtype=bool)
    clean[dirty["row"]] = False
    pairs = set(zip(persons["id_number"], persons["name"], strict=True))
    assert all(p in pairs for p in zip(b["id_number"][clean], b["name"][clean], strict=True))
    assert {"homophone", "traditional characters", "dropped character"} <= set(dirty["name_error"])
    assert 0.02 < len(dirty) / len(b) < 0.12


def test_referential_integrity(tables, truth) -> None:
    persons, b, labels = tables["persons"], tables["beneficiaries"], tables["labels"]
    p = persons.set_index("person_id")
    assert b["household_id"].isin(persons["household_id"]).all()
    assert b["village"].isin(persons["village"]).all()
    size = persons.groupby("household_id").size()
    assert (b["household_size"] == b["household_id"].map(size)).all()
    assert (persons.groupby("household_id")["village"].nunique() == 1).all()
    # every row's household is its true person's household
    assert (b["household_id"].to_numpy() == p.loc[truth, "household_id"].to_numpy()).all()
    assert tables["dirty"]["row"].is_unique
    assert tables["dirty"]["person_id"].isin(persons["person_id"]).all()
    assert labels["person_id"].isin(persons["person_id"]).all()
    assert (labels["id_number"].to_numpy() == p.loc[labels["person_id"], "id_number"]).all()
    assert (labels["name"].to_numpy() == p.loc[labels["person_id"], "name"]).all()
    dead = tables["death"].merge(persons, on="id_number", suffixes=("", "_p"))
    assert (dead["died_on"] == dead["died_on_p"]).all()
    assert len(dead) == persons["died_on"].notna().sum()


def test_every_label_points_to_its_rows(tables, truth) -> None:
    b, labels = tables["beneficiaries"], tables["labels"]
    rows = label_rows(labels)
    assert rows["row"].between(0, len(b) - 1).all()
    assert (labels["n_rows"] == labels["rows"].str.split(" ").map(len)).all()
    assert (labels["first_row"] == rows.groupby("label_id")["row"].min().to_numpy()).all()
    assert (b["programme"].to_numpy()[rows["row"]] == rows["programme"].to_numpy()).all()
    assert (truth.to_numpy()[rows["row"]] == rows["person_id"].to_numpy()).all()
    assert labels["label_id"].tolist() == list(range(1, len(labels) + 1))
    assert not labels.duplicated(["kind", "person_id", "programme", "incident"]).any()
    dirty_rows = set(tables["dirty"]["row"])
    flagged = rows.groupby("label_id")["row"].agg(lambda r: bool(dirty_rows & set(r)))
    assert (flagged.to_numpy() == labels["dirty_id"].to_numpy()).all()
    assert 0.15 < labels["dirty_id"].mean() < 0.6


def test_counts_per_kind(tables) -> None:
    labels = tables["labels"]
    incidents = labels.groupby("kind")["incident"].nunique()
    assert incidents.to_dict() == ba.ANOMALY_COUNTS
    assert set(labels["kind"]) == set(ba.KINDS)
    assert 200 <= incidents.sum() and 200 <= len(labels) <= 400


def _payments_of(tables, truth) -> pd.DataFrame:
    b = tables["beneficiaries"].assign(person_id=truth.to_numpy())
    return b.merge(tables["persons"][["person_id", "died_on"]], on="person_id")


def test_deaths_paid_after_and_transferred(tables, truth) -> None:
    b = _payments_of(tables, truth)
    labels = label_rows(tables["labels"])
    after = b.index[b["paid_on"] >= b["died_on"]]
    planted = labels.loc[labels["kind"] == "paid_after_death", "row"]
    assert set(after) == set(planted)  # every payment after a death is planted
    moved = tables["labels"][tables["labels"]["kind"] == "transferred_after_death"]
    persons = tables["persons"].set_index("person_id")
    for _, lab in moved.iterrows():
        hh = persons.loc[lab["person_id"], "household_id"]
        died = persons[(persons["household_id"] == hh) & persons["died_on"].notna()]
        first = b["paid_on"].iloc[lab["first_row"]]
        gap = (first - died["died_on"]).dt.days
        assert ((gap > 0) & (gap <= 31 * (ba.THRESHOLDS["transfer_months"] + 1))).any()


def test_exclusive_duplicate_split_and_shared(tables, truth) -> None:
    b = _payments_of(tables, truth)
    labels = tables["labels"]
    rows = label_rows(labels)
    month = b["paid_on"].dt.to_period("M")
    dib = set(
        zip(b.loc[b.programme == "dibao", "person_id"], month[b.programme == "dibao"], strict=True)
    )
    tek = set(
        zip(b.loc[b.programme == "tekun", "person_id"], month[b.programme == "tekun"], strict=True)
    )
    both = {p for p, _ in dib & tek}
    assert both == set(labels.loc[labels["kind"] == "exclusive_programmes", "person_id"])
    # twice in one period (month or year by programme) happens only where planted
    period = np.where(
        b["programme"].map(ba.PERIODS).eq("month"),
        month.astype(str),
        b["paid_on"].dt.year.astype(str),
    )
    regular = b["programme"].map(ba.PERIODS).ne("event")
    key = b.assign(period=period)[regular]
    dup = key[key.duplicated(["person_id", "programme", "period"], keep=False)].index
    planted = rows.loc[
        rows["kind"].isin(["duplicate_in_period", "household_in_two_villages"]), "row"
    ]
    assert set(dup) <= set(planted) and len(dup) > 0
    # split payments: each below the approval amount, together above it, in one month
    limit = ba.THRESHOLDS["approval_amount"]
    for _, r in rows[rows["kind"] == "split_payments"].groupby("label_id"):
        paid = b.iloc[r["row"]]
        assert (paid["amount"] < limit).all() and paid["amount"].sum() > limit
        assert paid["paid_on"].dt.to_period("M").nunique() == 1 and len(paid) >= 2
    # shared accounts: one account, several households, only where planted
    shared = b.groupby("account")["household_id"].nunique()
    shared = set(shared[shared > 1].index)
    marked = set(b["account"].iloc[rows.loc[rows["kind"] == "shared_account", "row"]])
    assert shared == marked and len(marked) == ba.ANOMALY_COUNTS["shared_account"]
    two = b.groupby("household_id")["village"].nunique()
    hh = set(b["household_id"].iloc[rows.loc[rows["kind"] == "household_in_two_villages", "row"]])
    assert set(two[two > 1].index) == hh


@pytest.mark.parametrize(
    ("kind", "registry", "column", "limit"),
    [
        ("business_owner", "business", "registered_capital", "registered_capital"),
        ("vehicle_owner", "vehicle", "vehicle_value", "vehicle_value"),
        ("taxed_income", "tax", "annual_income", "annual_income"),
        ("property_area", "property", "floor_area", "floor_area_per_person"),
        ("public_employee", "staff", None, None),
    ],
)
def test_registry_anomalies_and_near_misses(tables, truth, kind, registry, column, limit) -> None:
    b = tables["beneficiaries"].assign(person_id=truth.to_numpy())
    persons = tables["persons"]
    reg = tables[registry].merge(
        persons[["id_number", "person_id", "household_id"]], on="id_number"
    )
    payees = b.groupby("person_id")["household_size"].first()
    reg = reg[reg["person_id"].isin(payees.index)]
    if column is None:
        over = reg
    elif kind == "property_area":
        over = reg[reg[column] / reg["person_id"].map(payees) > ba.THRESHOLDS[limit]]
    else:
        over = reg[reg[column] > ba.THRESHOLDS[limit]]
    labels = tables["labels"]
    planted = labels[labels["kind"] == kind]
    assert set(over["person_id"]) == set(planted["person_id"])
    assert planted["person_id"].nunique() == ba.ANOMALY_COUNTS[kind]
    # every programme the planted person is paid in is labelled
    paid = b[b["person_id"].isin(planted["person_id"])][["person_id", "programme"]]
    assert set(map(tuple, paid.drop_duplicates().to_numpy())) == set(
        zip(planted["person_id"], planted["programme"], strict=True)
    )
    if column is not None:  # near misses: beneficiaries with records below the limit
        assert len(reg) > len(over)


def _card_rows(section: str) -> dict[str, list[str]]:
    card = mpi.datasets.describe(NAME)
    text = card.split(f"## {section}")[1].split("\n## ")[0]
    rows = {}
    for line in text.splitlines():
        if line.startswith("| `"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            rows[cells[0].strip("`")] = cells
    return rows


def test_card_counts_match_the_labels(tables) -> None:
    labels = tables["labels"]
    by_kind = labels.groupby("kind").agg(
        incidents=("incident", "nunique"),
        labels=("label_id", "size"),
        payments=("n_rows", "sum"),
        dirty=("dirty_id", "sum"),
    )
    planted = _card_rows("Planted anomalies")
    scores = _card_table("Lists as bundled and lists cleaned")
    assert set(planted) == set(scores) == set(ba.KINDS)
    for kind, row in by_kind.iterrows():
        numbers = [int(c.replace(",", "")) for c in planted[kind][-4:]]
        assert numbers == row.tolist(), kind
        assert [int(c) for c in scores[kind][0:2]] == [row["incidents"], row["labels"]], kind


# -- precision and recall of the default rules (the card's tables) -----------------------------

REGISTRIES = ("death", "business", "vehicle", "property", "tax", "staff")


def _true_person(leads: pd.DataFrame, payments: pd.DataFrame, person: pd.Series) -> np.ndarray:
    """True person of each lead: the commonest true person of the payments that show the
    lead's number (as written or normalised) in the lead's programme, else anywhere."""
    shown = parse_ids(payments["id_number"])["id_number"].fillna(payments["id_number"])
    rows = pd.DataFrame(
        {
            "id": pd.concat([shown, payments["id_number"]]),
            "programme": pd.concat([payments["programme"]] * 2),
            "person": pd.concat([person] * 2),
        }
    ).drop_duplicates()
    same = rows.groupby(["id", "programme"])["person"].agg(lambda s: s.mode().iloc[0])
    anywhere = rows.groupby("id")["person"].agg(lambda s: s.mode().iloc[0])
    keys = pd.MultiIndex.from_frame(leads[["id_number", "programme"]])
    fallback = leads["id_number"].map(anywhere).set_axis(keys)
    found = same.reindex(keys).fillna(fallback)
    assert found.notna().all()
    return found.astype(np.int64).to_numpy()


def _ratio(hit: float, total: float) -> str:
    hit, total = int(hit), int(total)
    return f"{hit}/{total} ({100 * hit / total:.1f} %)" if total else f"{hit}/0"


def score_tables(tables: dict[str, pd.DataFrame], person: pd.Series) -> dict[str, dict]:
    """The card's two tables, cell by cell: ``{"bundled and cleaned": {kind: cells},
    "dirty and clean": {kind: cells}}`` (cells after the rule's name, as written)."""
    b, persons, labels = tables["beneficiaries"], tables["persons"], tables["labels"]
    registries = {k: tables[k] for k in REGISTRIES}
    cases = labels.rename(columns={"person_id": "person", "kind": "rule"})
    truth = persons.set_index("person_id")
    cleaned = b.assign(
        id_number=person.map(truth["id_number"]).to_numpy(),
        name=person.map(truth["name"]).to_numpy(),
    )
    dirty_rows = np.zeros(len(b), dtype=bool)
    dirty_rows[tables["dirty"]["row"].to_numpy()] = True
    dirty_entry = (
        pd.Series(dirty_rows).groupby([person.to_numpy(), b["programme"].to_numpy()]).any()
    )
    scores, split = {}, {}
    for which, pay in (("bundled", b), ("cleaned", cleaned)):
        leads = mpi.audit(pay, registries, progress=False).leads
        leads = leads.assign(person=_true_person(leads, pay, person))
        scores[which] = score_leads(leads, cases)
        if which == "bundled":
            flag = dirty_entry.reindex(pd.MultiIndex.from_frame(leads[["person", "programme"]]))
            for dirty in (True, False):
                split[dirty] = score_leads(
                    leads[flag.to_numpy() == dirty], cases[cases["dirty_id"] == dirty]
                )
    by_kind = labels.groupby("kind").agg(incidents=("incident", "nunique"))
    main, parts = {}, {}
    for kind in ba.KINDS:
        cells = [f"{by_kind.loc[kind, 'incidents']}"]
        for which in ("bundled", "cleaned"):
            s = scores[which].loc[kind]
            cells += [
                f"{int(s['n_labels'])}",
                f"{int(s['n_leads'])}",
                _ratio(s["true_leads"], s["n_leads"]),
                _ratio(s["found"], s["n_labels"]),
            ]
        main[kind] = cells[:1] + cells[1:5] + cells[6:]  # labels once
        cells = []
        for dirty in (True, False):
            s = split[dirty].loc[kind]
            cells += [
                _ratio(s["found"], s["n_labels"]),
                _ratio(s["true_leads"], s["n_leads"]),
            ]
        parts[kind] = cells
    return {"bundled and cleaned": main, "dirty and clean": parts}


def _card_table(heading: str) -> dict[str, list[str]]:
    """Rows of the first table after ``### heading`` in the card, by rule (cells after it)."""
    card = mpi.datasets.describe(NAME)
    text = card.split(f"### {heading}")[1].split("\n#")[0]
    rows = {}
    for line in text.splitlines():
        if line.startswith("| `"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            rows[cells[0].strip("`")] = cells[1:]
    return rows


def test_card_precision_and_recall_are_recomputed(tables, truth) -> None:
    """The card's precision and recall tables equal a fresh run of mpi.audit's default rules,
    on the lists as bundled and on the lists with every number and name cleaned."""
    computed = score_tables(tables, truth)
    assert _card_table("Lists as bundled and lists cleaned") == computed["bundled and cleaned"]
    assert (
        _card_table("Labels with dirty and with clean identifiers") == computed["dirty and clean"]
    )
