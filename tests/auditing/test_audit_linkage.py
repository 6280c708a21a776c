"""mpi.auditing.linkage.link: exact id join, then Fellegi–Sunter record linkage (splink)."""

from __future__ import annotations

import builtins
import math

import numpy as np
import pandas as pd

# splink and pypinyin come with the test extra (CI installs them): imported, never skipped
import pypinyin  # noqa: E402, F401
import pytest
import splink  # noqa: E402, F401

from mpi.auditing.ids import check_character  # noqa: E402
from mpi.auditing.linkage import COUNT_KEYS, PAIR_COLUMNS, Links, link  # noqa: E402
from mpi.auditing.linkage_model import PRIORS  # noqa: E402
from mpi.errors import ValidationError  # noqa: E402


def full(first17: str) -> str:
    return first17 + check_character(first17)


def wrong_check(number: str) -> str:
    return number[:17] + ("0" if number[17] != "0" else "1")


# region 421302 (Suizhou, Zengdu), 420106 (Wuhan, Wuchang), 110105 (Beijing, Chaoyang)
ZHANG = full("42130219850312123")  # 张伟, M (seq 123: 2 is even -> F? digit 17 is '3' -> M)
LI = full("42130219900101456")  # 李娜
WANG = full("42010619700707788")  # 王芳
ZHAO = full("11010519491231002")  # 赵六
DECOY = full("42130219850312135")  # 刘强: same birth date and county as 张伟
OLD = full("42130219650505031")  # 孙丽, also written with the 15-digit number below
OLD15 = OLD[:6] + OLD[8:17]


@pytest.fixture
def right() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id_number": [ZHANG, LI, WANG, ZHAO, DECOY, OLD],
            "name": ["张伟", "李娜", "王芳", "赵六", "刘强", "孙丽"],
            "other": [1, 2, 3, 4, 5, 6],
        }
    )


def prior_weight(levels: dict[str, int], n_right: int) -> float:
    lam = min(0.01, 1 / n_right)
    w = math.log2(lam / (1 - lam))
    for comp, lev in levels.items():
        w += math.log2(PRIORS[comp]["m"][lev] / PRIORS[comp]["u"][lev])
    return w


def test_transposed_digits_link_by_name_and_birth_date(right: pd.DataFrame) -> None:
    transposed = ZHANG[:14] + ZHANG[15] + ZHANG[14] + ZHANG[16:]  # "123" -> "213"
    assert transposed != ZHANG
    left = pd.DataFrame({"id_number": [transposed], "name": ["张伟"]})
    links = link(left, right, progress=False)
    assert links.model == "priors" and links.model_reason == "few candidate pairs"
    p = links.pairs
    assert p[["left_row", "right_row", "linked_by"]].values.tolist() == [[0, 0, "record linkage"]]
    expected = prior_weight({"name": 0, "birth_date": 0, "region": 0, "sex": 0}, len(right))
    assert p["match_weight"].iloc[0] == pytest.approx(expected, abs=1e-9)
    assert p["match_probability"].iloc[0] == pytest.approx(2**expected / (1 + 2**expected))
    assert not p["tied"].iloc[0]
    assert links.counts["linked_by_record_linkage"] == 1 and links.counts["invalid_ids_left"] == 1


def test_homophone_with_same_birth_date_and_region_links(right: pd.DataFrame) -> None:
    left = pd.DataFrame({"id_number": [ZHANG[:17], wrong_check(LI)], "name": ["章伟", "李娜"]})
    links = link(left, right, progress=False)
    p = links.pairs
    assert p[["left_row", "right_row"]].values.tolist() == [[0, 0], [1, 1]]
    assert (p["linked_by"] == "record linkage").all()
    homophone = prior_weight({"name": 1, "birth_date": 0, "region": 0, "sex": 0}, len(right))
    assert p["match_weight"].iloc[0] == pytest.approx(homophone, abs=1e-9)
    assert links.counts["not_linked"] == 0


def test_look_alike_does_not_link(right: pd.DataFrame) -> None:
    # same name as 张伟, different birth date and region, and an invalid number
    look_alike = wrong_check(full("42010619930620123"))
    left = pd.DataFrame({"id_number": [look_alike], "name": ["张伟"]})
    links = link(left, right, progress=False)
    assert links.pairs.empty
    assert links.counts["not_linked"] == 1
    assert links.unlinked_left[["left_row", "id_valid", "problem"]].values.tolist() == [
        [0, False, "check character"]
    ]
    # even when blocking on the name makes it a candidate pair, the score is too low
    from splink import block_on

    scored = link(left, right, blocking=[block_on("name")], threshold=0.01, progress=False)
    p = scored.pairs
    w = prior_weight({"name": 0, "birth_date": 2, "region": 2, "sex": 0}, len(right))
    assert 2**w / (1 + 2**w) == pytest.approx(0.142850, abs=1e-6)  # same province: "42"
    assert p[["left_row", "right_row"]].values.tolist() == [[0, 0]]
    assert p["match_weight"].iloc[0] == pytest.approx(w, abs=1e-9)
    assert link(left, right, blocking=[block_on("name")], progress=False).pairs.empty


def test_15_digit_numbers_link_by_id_after_repair(right: pd.DataFrame) -> None:
    left = pd.DataFrame({"id_number": [OLD15, " " + ZHAO.lower() + " "], "name": ["孙丽", "x"]})
    links = link(left, right, progress=False)
    p = links.pairs
    assert p[["left_row", "right_row", "linked_by"]].values.tolist() == [
        [0, 5, "id"], [1, 3, "id"]
    ]  # fmt: skip
    assert p["match_weight"].isna().all() and (p["match_probability"] == 1.0).all()
    assert links.counts["ids_repaired_left"] == 1 and links.counts["ids_repaired_right"] == 0
    assert links.model == "none" and links.counts["candidate_pairs"] == 0


def test_counts_add_up_and_every_left_row_is_accounted_for(right: pd.DataFrame) -> None:
    left = pd.DataFrame(
        {
            "id_number": [ZHANG, None, "garbage", wrong_check(WANG), LI, full("42130220000101011")],
            "name": ["张伟", "无名", "李四", "王芳", "李娜", "陌生人"],
        }
    )
    before = left.copy()
    links = link(left, right, progress=False)
    pd.testing.assert_frame_equal(left, before)  # input not mutated
    c = links.counts
    assert list(c) == list(COUNT_KEYS)
    assert (c["linked_by_id"], c["linked_by_record_linkage"], c["not_linked"]) == (2, 1, 3)
    assert c["linked_by_id"] + c["linked_by_record_linkage"] + c["not_linked"] == c["left_rows"]
    assert c["left_rows"] == 6 and c["right_rows"] == 6 and c["invalid_ids_left"] == 3
    assert list(links.pairs.columns) == list(PAIR_COLUMNS)
    rows = set(links.pairs["left_row"]) | set(links.unlinked_left["left_row"])
    assert rows == set(range(len(left)))
    assert links.unlinked_left["problem"].tolist() == ["missing", "length", ""]
    assert links.pairs[["left_row", "right_row"]].values.tolist() == [[0, 0], [3, 2], [4, 1]]


def test_ties_are_all_kept_and_flagged() -> None:
    a, b = full("42130219850312123"), full("42130219850312145")  # same features, two persons
    right = pd.DataFrame({"id_number": [a, b, a], "name": ["张伟", "张伟", "张伟"]})
    left = pd.DataFrame({"id_number": [wrong_check(a)], "name": ["张伟"]})
    links = link(left, right, progress=False)
    assert links.pairs["right_row"].tolist() == [0, 1, 2]
    assert links.pairs["tied"].all() and links.counts["tied_left_rows"] == 1
    # the same person twice (same number) is not a tie
    one = link(left, right.iloc[[0, 2]], progress=False)
    assert one.pairs["right_row"].tolist() == [0, 1] and not one.pairs["tied"].any()


def synthetic(n_right: int = 1500, n_left: int = 400, seed: int = 3, share: float = 0.15):
    """A right table of persons and a left sample of them, ``share`` with dirty numbers."""
    rng = np.random.default_rng(seed)
    counties = [f"{p}{rng.integers(1, 20):02d}{rng.integers(1, 20):02d}" for p in
                rng.choice(["42", "11", "31", "44", "51"], 30)]  # fmt: skip
    days = pd.Timestamp("1940-01-01") + pd.to_timedelta(rng.integers(0, 365 * 60, n_right), "D")
    ids = [
        full(counties[rng.integers(len(counties))] + d + f"{rng.integers(1000):03d}")
        for d in days.strftime("%Y%m%d")
    ]
    surnames, given = (
        list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"),
        list("伟芳娜秀英敏静丽强磊军洋勇艳杰"),
    )
    names = [
        surnames[rng.integers(20)] + "".join(given[j] for j in rng.integers(0, 15, rng.integers(1, 3)))
        for _ in range(n_right)
    ]  # fmt: skip
    right = pd.DataFrame({"id_number": ids, "name": names})
    pick = rng.choice(n_right, n_left, replace=False)
    left = right.iloc[pick].reset_index(drop=True)
    lid = left["id_number"].tolist()
    dirty = np.flatnonzero(rng.random(n_left) < share)
    for k, i in enumerate(dirty):
        s = lid[i]
        lid[i] = (
            wrong_check(s)
            if k % 3 == 0
            else s[:17]
            if k % 3 == 1
            else s[:14] + s[15] + s[14] + s[16:]
        )
    left = left.assign(id_number=lid)
    return left, right, pick, dirty


def test_em_is_deterministic_and_links_the_dirty_rows() -> None:
    left, right, pick, dirty = synthetic(n_right=2000, n_left=1200, share=0.8)
    one = link(left, right, progress=False)
    two = link(left, right, progress=False)
    assert one.model == "em" and one.model_reason == "" and one.u_source == "random sampling"
    pd.testing.assert_frame_equal(one.pairs, two.pairs)
    pd.testing.assert_frame_equal(one.parameters, two.parameters)
    assert one.counts == two.counts
    p = one.pairs
    # every row links, to the right person (a transposition that leaves the number valid
    # and equal to nobody else's is still a record-linkage case)
    assert one.counts["not_linked"] == 0
    assert (p["right_row"].to_numpy() == pick[p["left_row"].to_numpy()]).all()
    rl = p.loc[p["linked_by"] == "record linkage", "left_row"].to_numpy()
    assert set(rl) <= set(dirty) and len(rl) >= 0.9 * len(dirty)
    # the default blocking keys give each dirty row its match and a handful of look-alikes
    # (the old "same birth date, or same county and surname" gave hundreds), while EM
    # trains on the broad keys' pairs of the same rows
    assert len(dirty) * 0.9 <= one.counts["candidate_pairs"] <= 2 * len(dirty)
    par = one.parameters.set_index(["comparison", "level"])
    # EM's m: floored, and a name or date that disagrees entirely weighs heavily
    assert (par["m"] >= 0.0045).all()  # 0.005, renormalised
    assert par.loc[("name", "All other comparisons"), "m"] <= PRIORS["name"]["m"][-1] + 1e-12
    assert par.loc[("birth_date", "All other comparisons"), "m"] <= 0.01 + 1e-12
    # u by sampling these tables, not the priors: 30 counties, so a region agrees far more
    # often by chance than the prior's 1/1000
    assert par.loc[("region", "6 digits"), "u"] > 0.01

    # reuse the trained m on another table: no EM, the same m, u sampled afresh
    left2, right2, pick2, _ = synthetic(n_right=1200, n_left=300, seed=5, share=0.3)
    reused = link(left2, right2, progress=False, m_from=one)
    assert reused.model == "given" and reused.model_reason == ""
    np.testing.assert_allclose(reused.parameters["m"], one.parameters["m"], rtol=0, atol=1e-12)
    assert not np.allclose(reused.parameters["u"], one.parameters["u"])
    q = reused.pairs
    assert (q["right_row"].to_numpy() == pick2[q["left_row"].to_numpy()]).all()
    assert reused.counts["not_linked"] == 0


def test_two_valid_different_numbers_are_never_linked() -> None:
    # the same name, birth date and county, both numbers valid and different: two persons
    a, b = full("42130219850312123"), full("42130219850312145")
    left = pd.DataFrame({"id_number": [a], "name": ["张伟"]})
    right = pd.DataFrame({"id_number": [b], "name": ["张伟"]})
    links = link(left, right, threshold=0.01, progress=False)
    assert links.pairs.empty and links.counts["candidate_pairs"] == 0
    # the same pair with an invalid left number is compared and linked
    dirty = link(left.assign(id_number=[wrong_check(a)]), right, progress=False)
    assert dirty.pairs["linked_by"].tolist() == ["record linkage"]


def test_impossible_date_digits_are_compared_digit_by_digit(right: pd.DataFrame) -> None:
    # 1985-03-12 with the month digits swapped: "19853012", not a date (and an invalid
    # number); compared digit by digit it is one transposition from both 张伟's and 刘强's
    # (DECOY, same day) dates, and the name decides
    swapped = ZHANG[:10] + "30" + ZHANG[12:]
    left = pd.DataFrame({"id_number": [swapped, swapped], "name": ["张伟", "刘强"]})
    links = link(left, right, progress=False)
    assert links.unlinked_left.empty
    p = links.pairs
    assert p[["left_row", "right_row"]].values.tolist() == [[0, 0], [1, 4]]
    one_digit = prior_weight({"name": 0, "birth_date": 1, "region": 0, "sex": 0}, len(right))
    assert p["match_weight"].iloc[0] == pytest.approx(one_digit, abs=1e-9)


def test_dropped_middle_character_links(right: pd.DataFrame) -> None:
    r = right.assign(name=["张小伟", "李娜", "王芳", "赵六", "刘强", "孙丽"])
    left = pd.DataFrame({"id_number": [ZHANG[:17]], "name": ["张伟"]})
    links = link(left, r, progress=False)
    assert links.pairs[["left_row", "right_row"]].values.tolist() == [[0, 0]]
    w = prior_weight({"name": 2, "birth_date": 0, "region": 0, "sex": 0}, len(r))
    assert links.pairs["match_weight"].iloc[0] == pytest.approx(w, abs=1e-9)


def test_m_from_must_be_trained_links(right: pd.DataFrame) -> None:
    left = pd.DataFrame({"id_number": [wrong_check(ZHANG)], "name": ["张伟"]})
    priors = link(left, right, progress=False)
    assert priors.model == "priors" and priors.u_source == "priors"
    with pytest.raises(ValidationError, match="m_from has model='priors'"):
        link(left, right, m_from=priors, progress=False)
    with pytest.raises(ValidationError, match="m_from must be the Links"):
        link(left, right, m_from={"name": (1.0,)}, progress=False)


def test_missing_splink_raises_import_error(monkeypatch, right: pd.DataFrame) -> None:
    real = builtins.__import__

    def fake(name, *args, **kwargs):
        if name.split(".")[0] in ("splink", "pypinyin"):
            raise ImportError(f"No module named {name!r}")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake)
    left = pd.DataFrame({"id_number": [wrong_check(ZHANG)], "name": ["张伟"]})
    with pytest.raises(ImportError, match=r'pip install "xmpi\[audit\]"'):
        link(left, right, progress=False)
    # exact id links alone need neither
    ok = link(left.assign(id_number=[ZHANG]), right, progress=False)
    assert ok.counts["linked_by_id"] == 1


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"threshold": 0.0}, "threshold"),
        ({"threshold": 1.5}, "threshold"),
        ({"threshold": True}, "threshold"),
        ({"em_seed": 1.5}, "em_seed"),
        ({"id": "pid"}, "'pid'"),
        ({"name": "full_name"}, "'full_name'"),
        ({"blocking": []}, "blocking"),
        ({"progress": "yes"}, "progress"),
    ],
)
def test_bad_arguments(right: pd.DataFrame, kwargs: dict, match: str) -> None:
    left = right.iloc[:1]
    with pytest.raises(ValidationError, match=match):
        link(left, right, **kwargs)


def test_not_a_frame(right: pd.DataFrame) -> None:
    with pytest.raises(ValidationError, match="left must be a pandas DataFrame"):
        link([ZHANG], right)


def test_empty_right_and_repr(right: pd.DataFrame) -> None:
    links = link(right, right.iloc[:0], progress=False)
    assert isinstance(links, Links) and links.pairs.empty
    assert links.counts["not_linked"] == 6 and links.model == "none"
    assert repr(links).startswith("Links(left_rows=6, linked_by_id=0")


# -- the bundled data, against the truth -------------------------------------------------

REGISTRIES = ("death", "business", "vehicle", "property", "tax", "staff")


@pytest.fixture(scope="module")
def bundled():
    import mpi.datasets
    from mpi.auditing.audit import build_context

    t = mpi.datasets.load("benefit_audit")
    ctx, book = build_context(t["beneficiaries"], {k: t[k] for k in REGISTRIES}, progress=False)
    return t, ctx, book


def true_ids(t: dict) -> np.ndarray:
    """The true identity number of every payment row (``dirty`` names the true person)."""
    b, persons, dirty = t["beneficiaries"], t["persons"], t["dirty"]
    of_id = dict(zip(persons["id_number"], persons["person_id"], strict=True))
    person = b["id_number"].map(of_id)
    person.iloc[dirty["row"].to_numpy()] = dirty["person_id"].to_numpy()
    assert person.notna().all()
    to_id = dict(zip(persons["person_id"], persons["id_number"], strict=True))
    return person.map(to_id).to_numpy(dtype=object)


def test_bundled_self_link_precision_and_recall(bundled) -> None:
    t, ctx, book = bundled
    persons = book["persons"]
    assert len(book["source_rows"]) == len(t["beneficiaries"])  # every row checkable
    truth = true_ids(t)
    rows = persons.rows
    clean = rows["id_clean"].to_numpy(dtype=object)
    valid = rows["id_valid"].to_numpy(dtype=bool)
    assert int((~(valid & (clean == truth))).sum()) == 3568  # rows whose number is not theirs
    assert persons.links.model == "em" and persons.links.u_source == "random sampling"
    # identities (number as given, name) with an invalid number: linked to the right person?
    b = t["beneficiaries"]
    table = persons.table
    linked = rows["self_linked"].to_numpy(dtype=bool)
    to_id = table["id_number"].to_numpy(dtype=object)[persons.key]
    present = set(clean[valid & (clean == truth)])
    ident = pd.DataFrame(
        {"given": b["id_number"], "name": b["name"], "linked": linked,
         "right": linked & (to_id == truth), "present": [x in present for x in truth]}
    )[~valid].drop_duplicates(["given", "name"])  # fmt: skip
    assert len(ident) == 253 and book["linkage"]["beneficiaries"]["left_rows"] == 253
    assert int(ident["linked"].sum()) == 146 and int(ident["right"].sum()) == 146  # precision 1
    assert int(ident["present"].sum()) == 147  # recall 146 / 147
    assert int((ident["right"] & ident["present"]).sum()) == 146


# registry: (person-record links made by record linkage, of them right, true person-record
# pairs of persons with a row whose number is not theirs) -- before issue 18's fix:
# death 67/22/26, business 136/5/6, vehicle 5/5/11, property 140/16/18, tax 13/11/15,
# staff 207/4/4
BUNDLED_REGISTRY_LINKS = {
    "death": (26, 26, 26), "business": (6, 6, 6), "vehicle": (11, 11, 11),
    "property": (18, 18, 18), "tax": (15, 15, 15), "staff": (4, 4, 4),
}  # fmt: skip


@pytest.mark.parametrize("kind", REGISTRIES)
def test_bundled_registry_links_precision_and_recall(bundled, kind: str) -> None:
    t, ctx, book = bundled
    truth = true_ids(t)
    rows = book["persons"].rows
    needs = ~(rows["id_valid"].to_numpy(dtype=bool) & (rows["id_clean"].to_numpy(object) == truth))
    record_ids = t[kind]["id_number"].to_numpy(dtype=object)
    links = ctx.linked(kind)
    rl = links[links["linked_by"] == "record linkage"]
    made = pd.DataFrame(
        {"id": truth[rl["row"].to_numpy()], "record": rl["registry_row"].to_numpy()}
    ).drop_duplicates()  # fmt: skip
    right = made[record_ids[made["record"].to_numpy()] == made["id"].to_numpy()]
    of_record = {x: i for i, x in enumerate(record_ids)}
    wanted = {(x, of_record[x]) for x in set(truth[needs]) if x in of_record}
    found = set(zip(right["id"], right["record"], strict=True))
    assert (len(made), len(right), len(wanted)) == BUNDLED_REGISTRY_LINKS[kind]
    assert found == wanted  # recall 1


def single_errors(number: str) -> dict[str, str]:
    """Every single error of the issue's classes applied to an 18-character number."""
    out = {"missing check character": number[:17], "wrong check character": wrong_check(number)}
    for i in range(17):
        d = number[i]
        out[f"digit {i + 1} mistyped"] = number[:i] + str((int(d) + 3) % 10) + number[i + 1 :]
        if number[i] != number[i + 1]:
            out[f"digits {i + 1}-{i + 2} swapped"] = (
                number[:i] + number[i + 1] + number[i] + number[i + 2 :]
            )
    return out


def test_every_single_error_keeps_a_blocking_key() -> None:

    from mpi.auditing.linkage_blocking import BLOCKING_KEYS, candidate_rows
    from mpi.auditing.linkage_model import features

    true = full("42130219850312173")
    # the person, a look-alike of another county and date, and a namesake born elsewhere
    right_ids = pd.Series([true, full("42010619700707788"), full("11010519491231002")])
    right_names = pd.Series(["张伟", "张伟", "李娜"])
    rf = features(right_ids, right_ids, right_names, pypinyin.lazy_pinyin,
                  pd.Series([True, True, True]))  # fmt: skip
    errors = single_errors(true)
    swaps = sum(true[i] != true[i + 1] for i in range(17))
    assert len(errors) == 2 + 17 + swaps and swaps >= 12
    for what, dirty in errors.items():
        for name in ("张伟", "章伟"):  # the name as written, and a homophone surname
            ids = pd.Series([dirty])
            lf = features(ids, ids, pd.Series([name]), pypinyin.lazy_pinyin, pd.Series([False]))
            keep = candidate_rows(lf, rf)
            assert keep[0], (what, name, dirty)
            # each rule alone: at least one of them pairs the two records
            hits = [bool(candidate_rows(lf, rf, [k])[0]) for k in BLOCKING_KEYS]
            assert any(hits), (what, name)
            assert not keep[2], (what, name)  # 李娜 of Beijing shares no key


def test_candidate_rows_is_a_semi_join_that_never_pairs_two_valid_numbers() -> None:

    from mpi.auditing.linkage_blocking import candidate_rows
    from mpi.auditing.linkage_model import features

    def feats(ids: list[str], names: list[str], valid: list[bool]) -> pd.DataFrame:
        s = pd.Series(ids)
        return features(s, s, pd.Series(names), pypinyin.lazy_pinyin, pd.Series(valid))

    rf = feats([ZHANG, DECOY, LI, wrong_check(WANG)], ["张伟", "刘强", "李娜", "王芳"],
               [True, True, True, False])  # fmt: skip
    # a valid left number: only the invalid right row sharing a key with it is kept
    lf = feats([full("42010619700707799")], ["王芳"], [True])  # WANG's region and date
    assert candidate_rows(lf, rf).tolist() == [False, False, False, True]
    # an invalid left number: the valid right rows sharing a key (same county and birthday)
    lf = feats([wrong_check(ZHANG)], ["张伟"], [False])
    assert candidate_rows(lf, rf).tolist() == [True, True, False, False]
    assert not candidate_rows(lf.iloc[:0], rf).any()


def test_features_are_computed_once_per_distinct_name() -> None:

    from mpi.auditing.linkage_model import features

    calls: list[str] = []

    def counting(text: str) -> list[str]:
        calls.append(text)
        return pypinyin.lazy_pinyin(text)

    ids = pd.Series([ZHANG, LI, ZHANG, None, LI[:17]], index=[5, 7, 9, 11, 13])
    names = pd.Series(["张伟", " 李 娜", "张伟", None, "李娜"], index=ids.index)
    f = features(ids, ids, names, counting)

    def col(c: str) -> list:
        return [None if pd.isna(x) else x for x in f[c]]

    assert col("name") == ["张伟", "李娜", "张伟", None, "李娜"]
    assert col("name_py") == ["zhang wei", "li na", "zhang wei", None, "li na"]
    assert col("surname_py") == ["zhang", "li", "zhang", None, "li"]
    assert sorted(calls) == sorted(set("张伟李娜"))  # each character once
    assert col("sequence") == ["123", "456", "123", None, "456"]
    assert col("birth_month") == ["198503", "199001", "198503", None, "199001"]
    assert col("birth_year") == ["1985", "1990", "1985", None, "1990"]
    assert f["unique_id"].tolist() == [0, 1, 2, 3, 4]
    # remembered between calls (the persons are linked to every registry): no new pinyin
    again = features(ids, ids, names.iloc[::-1].set_axis(ids.index), counting)
    assert len(calls) == len(set("张伟李娜"))
    assert [None if pd.isna(x) else x for x in again["name_py"]] == [
        "li na",
        None,
        "zhang wei",
        "li na",
        "zhang wei",
    ]


def test_memory_limit_and_connection(right: pd.DataFrame) -> None:
    import duckdb

    from mpi.auditing.linkage_blocking import default_memory_limit, duckdb_connection

    assert default_memory_limit().endswith("MB") and int(default_memory_limit()[:-2]) >= 256
    with duckdb_connection("300MB") as con:
        limit = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
        assert limit.replace(" ", "").upper() in {"286.1MIB", "300.0MB", "286MIB", "300MB"}
    with pytest.raises(duckdb.Error):
        con.execute("SELECT 1")  # closed after the link
    left = pd.DataFrame({"id_number": [wrong_check(ZHANG)], "name": ["张伟"]})
    small = link(left, right, progress=False, memory_limit="300MB")
    default = link(left, right, progress=False)
    pd.testing.assert_frame_equal(small.pairs, default.pairs)
    assert small.pairs["right_row"].tolist() == [0]
    for bad in ("lots", 300, "300 apples"):
        with pytest.raises(ValidationError, match="memory_limit must be a DuckDB memory size"):
            link(left, right, progress=False, memory_limit=bad)
