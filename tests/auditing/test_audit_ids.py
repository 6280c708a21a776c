"""Chinese resident identity numbers (mpi.auditing.ids, GB 11643-1999): known numbers, every kind
of typing error, cleaning, input handling, and a plain-Python reference on random inputs."""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mpi.auditing import ids
from mpi.auditing.ids import PROBLEMS, PROVINCES, check_character, parse_ids, valid_id
from mpi.errors import ValidationError

#: The example of GB 11643-1999 (Beijing, Chaoyang district; born 1949-12-31; a woman).
STANDARD = "11010519491231002X"
COLUMNS = ["id_number", "valid", "problem", "birth_date", "region", "sex", "repaired15"]


def reference_check(first17: str) -> str:
    """The check character written independently of the package: weights 2^(17-i) mod 11."""
    total = 0
    for i, ch in enumerate(first17):
        total += int(ch) * (2 ** (17 - i) % 11)
    return "10X98765432"[total % 11]


def with_check(first17: str) -> str:
    return first17 + reference_check(first17)


def one(value: object) -> pd.Series:
    return parse_ids([value]).iloc[0]


def test_weights_of_the_standard() -> None:
    assert [2 ** (17 - i) % 11 for i in range(17)] == [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9,
                                                       10, 5, 8, 4, 2]  # fmt: skip


def test_the_standards_example() -> None:
    assert check_character(STANDARD[:17]) == "X"
    row = one(STANDARD)
    assert row["valid"] and row["problem"] == "" and row["id_number"] == STANDARD
    assert row["birth_date"] == pd.Timestamp("1949-12-31")
    assert row["region"] == "110105" and row["sex"] == "F" and not row["repaired15"]
    assert valid_id(STANDARD)


@pytest.mark.parametrize(
    ("first17", "check"),
    [  # worked by hand: S = sum a_i W_i, check = "10X98765432"[S mod 11]
        ("11010519491231002", "X"),  # S = 167, 167 mod 11 = 2
        ("42010119900307001", "4"),  # S = 184, 184 mod 11 = 8
        ("44030419851111123", "X"),  # S = 222, 222 mod 11 = 2
        ("65010220000229000", "1"),  # S = 187, 187 mod 11 = 0
    ],
)
def test_check_character_by_hand(first17: str, check: str) -> None:
    assert check_character(first17) == check == reference_check(first17)
    assert valid_id(first17 + check)


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_check_character_equals_the_reference(first17: str) -> None:
    assert check_character(first17) == reference_check(first17)


@pytest.mark.parametrize("bad", ["1101051949123100", "110105194912310021", "1101051949123100X",
                                 "１１０１０５１９４９１２３１００２", 11010519491231002, None])  # fmt: skip
def test_check_character_rejects_anything_but_17_digits(bad: object) -> None:
    with pytest.raises(ValidationError, match="first17"):
        check_character(bad)  # type: ignore[arg-type]


def test_every_single_digit_error_is_a_check_character_problem() -> None:
    mutated = [STANDARD[:i] + d + STANDARD[i + 1 :]
               for i in range(17) for d in "0123456789" if d != STANDARD[i]]  # fmt: skip
    mutated += [STANDARD[:17] + d for d in "0123456789"]
    out = parse_ids(mutated)
    assert len(out) == 17 * 9 + 10
    assert not out["valid"].any()
    assert (out["problem"] == "check character").all()
    assert out["id_number"].tolist() == mutated  # still cleaned into 18 characters


def test_transposed_adjacent_digits_are_found_unless_equal() -> None:
    number = with_check("42010119900307123")
    swapped, same = [], []
    for i in range(16):
        text = number[:i] + number[i + 1] + number[i] + number[i + 2 :]
        (same if number[i] == number[i + 1] else swapped).append(text)
    assert len(swapped) == 13 and set(same) == {number}  # "11", "99", "00": equal pairs
    out = parse_ids(swapped)
    assert not out["valid"].any()
    assert out["problem"].isin(["check character"]).all()
    assert parse_ids(same)["valid"].all()


@pytest.mark.parametrize(
    ("first17", "birth"),
    [
        ("11010519990230002", None),  # 30 February
        ("11010519991301002", None),  # month 13
        ("11010519990000002", None),
        ("11010519000229002", None),  # 1900 is not a leap year
        ("11010518991231002", "1899-12-31"),  # before 1900
        ("11010520991231002", "2099-12-31"),  # in the future
    ],
)
def test_bad_birth_dates(first17: str, birth: str | None) -> None:
    row = one(with_check(first17))
    assert not row["valid"] and row["problem"] == "birth date"
    assert row["id_number"] == with_check(first17) and row["region"] == "110105"
    if birth is None:
        assert pd.isna(row["birth_date"])
    else:
        assert row["birth_date"] == pd.Timestamp(birth)


def test_leap_days_and_today() -> None:
    today = datetime.date.today()
    tomorrow = today + datetime.timedelta(days=1)
    numbers = [with_check(f"110105{d:%Y%m%d}002") for d in (today, tomorrow)]
    numbers.append(with_check("11010520000229002"))
    out = parse_ids(numbers)
    assert out["problem"].tolist() == ["", "birth date", ""]
    assert out["birth_date"].tolist() == [pd.Timestamp(today), pd.Timestamp(tomorrow),
                                          pd.Timestamp("2000-02-29")]  # fmt: skip


def test_the_check_character_is_judged_before_the_date_and_region() -> None:
    number = with_check("99010519990230002")
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    out = parse_ids([number, wrong, with_check("99010519900101002")])
    assert out["problem"].tolist() == ["birth date", "check character", "region"]
    assert out["region"].tolist() == ["990105", "990105", "990105"]


def test_wrong_check_character_still_gives_date_region_and_sex() -> None:
    row = one("110105194912310021")
    assert row["problem"] == "check character" and row["id_number"] == "110105194912310021"
    assert row["birth_date"] == pd.Timestamp("1949-12-31")
    assert (row["region"], row["sex"]) == ("110105", "F")


def test_provinces() -> None:
    assert len(PROVINCES) == 34
    assert {"11", "42", "65", "71", "81", "82"} <= set(PROVINCES) and "83" not in PROVINCES
    assert PROVINCES["42"] == "湖北" and PROVINCES["11"] == "北京"
    with pytest.raises(TypeError):
        PROVINCES["99"] = "x"  # type: ignore[index]
    numbers = [with_check(f"{code}0101198001010011"[:17]) for code in PROVINCES]
    assert parse_ids(numbers)["valid"].all()
    for code in ("00", "10", "20", "30", "47", "55", "66", "72", "80", "83", "99"):
        assert one(with_check(f"{code}010119800101001"))["problem"] == "region"


def test_fifteen_digit_numbers_are_converted() -> None:
    row = one("110105491231002")
    assert row["id_number"] == STANDARD and row["valid"] and row["repaired15"]
    assert row["birth_date"] == pd.Timestamp("1949-12-31")
    out = parse_ids(["420101800230001", "990101800101001", "42010180010100X", "420101800101001"])
    assert out["problem"].tolist() == ["birth date", "region", "characters", ""]
    assert out["repaired15"].tolist() == [True, True, False, True]
    assert out["id_number"].iloc[3] == with_check("42010119800101001")
    assert out["sex"].iloc[3] == "M"  # sequence 001: odd


@pytest.mark.parametrize(
    "typed",
    [
        "11010519491231002x",
        " 11010519491231002X\t",
        "110105 19491231 002X",
        "110105-19491231-002x",
        "１１０１０５１９４９１２３１００２Ｘ",
        "１１０１０５１９４９１２３１００２ｘ",
        "\u3000110105\u300019491231002X\u00a0",
        "110105\u201419491231\u2212002X",
        "11010519491231002X\x00",
        "110105 491231 002",
        "  1  1  0  1  0  5  1  9  4  9  1  2  3  1  0  0  2  X  ",
    ],
)
def test_cleaning(typed: str) -> None:
    row = one(typed)
    assert row["id_number"] == STANDARD and row["valid"], row
    assert row["repaired15"] == (len(typed.replace(" ", "")) == 15)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (None, "missing"), (np.nan, "missing"), (pd.NA, "missing"), ("", "missing"),
        ("   ", "missing"), ("\u3000-", "missing"),
        ("1101051949123100", "length"), ("1101051949123100211", "length"), ("abc", "length"),
        ("11010519491231002A", "characters"), ("11010X19491231002X", "characters"),
        ("1101051949123100？X", "characters"), ("11010519491231002X" + "é", "length"),
        ("11010519491231002é", "characters"), ("1" * 40, "length"), (" " * 40, "missing"),
        (1.1e17, "characters"), (110105194912310021.0, "characters"), (True, "characters"),
        (-110105491231002, "characters"), (b"11010519491231002X", "characters"),
        ({"id": "11010519491231002X"}, "characters"),
    ],
)  # fmt: skip
def test_problems(value: object, problem: str) -> None:
    row = one(value)
    assert row["problem"] == problem and not row["valid"]
    assert pd.isna(row["id_number"]) and pd.isna(row["birth_date"])
    assert pd.isna(row["region"]) and pd.isna(row["sex"]) and not row["repaired15"]
    assert not valid_id(value)


def test_integers_are_read_exactly_and_floats_never_accepted() -> None:
    number = with_check("42010119900307001")
    assert number == "420101199003070014"
    values = [int(number), np.int64(number), float(number), 110105491231002]
    out = parse_ids(pd.Series(values, dtype=object))
    assert out["valid"].tolist() == [True, True, False, True]
    assert out["problem"].tolist() == ["", "", "characters", ""]
    assert out["id_number"].iloc[[0, 1, 3]].tolist() == [number, number, STANDARD]
    assert pd.isna(out["id_number"].iloc[2])
    column = pd.Series([int(number), 110105491231002], dtype="int64")
    assert parse_ids(column)["id_number"].tolist() == [number, STANDARD]
    floats = parse_ids(pd.Series([int(number), 110105491231002.0, np.nan]))  # float64 column
    assert floats["problem"].tolist() == ["characters", "characters", "missing"]


def test_problem_values_are_the_documented_ones() -> None:
    assert PROBLEMS == ("missing", "length", "characters", "check character", "birth date",
                        "region")  # fmt: skip


def test_columns_dtypes_and_index() -> None:
    index = pd.Index(["b", "a", "b", "z"], name="person")
    values = pd.Series([STANDARD, None, "110105491231002", "x"], index=index, name="id")
    out = parse_ids(values)
    assert list(out.columns) == COLUMNS
    assert out.index.equals(index) and out.index.name == "person"
    assert out["valid"].dtype == bool and out["repaired15"].dtype == bool
    assert out["birth_date"].dtype == "datetime64[ns]"
    assert out["valid"].tolist() == [True, False, True, False]
    empty = parse_ids([])
    assert list(empty.columns) == COLUMNS and len(empty) == 0
    assert empty["birth_date"].dtype == "datetime64[ns]" and empty["valid"].dtype == bool
    assert parse_ids(np.array([STANDARD, "110105491231002"])).index.equals(pd.RangeIndex(2))
    assert parse_ids(pd.Index([STANDARD]))["valid"].all()
    assert parse_ids(x for x in [STANDARD])["valid"].all()
    assert parse_ids(pd.Series([STANDARD, None], dtype=object))["valid"].tolist() == [True, False]
    assert parse_ids(pd.Series([STANDARD], dtype="category"))["valid"].all()


def test_input_is_not_mutated() -> None:
    values = pd.Series(
        [" 11010519491231002x", None, "１１０１０５４９１２３１００２", 1.5], dtype=object
    )
    before = values.copy()
    as_list = values.tolist()
    array = values.to_numpy().copy()
    parse_ids(values)
    parse_ids(as_list)
    parse_ids(array)
    pd.testing.assert_series_equal(values, before)
    assert as_list[0] == " 11010519491231002x" and as_list[2] == "１１０１０５４９１２３１００２"
    assert array[0] == " 11010519491231002x" and array[1] is None


@pytest.mark.parametrize(
    ("bad", "match"),
    [
        (pd.DataFrame({"id_number": [STANDARD]}), "DataFrame.*id_number"),
        (STANDARD, "valid_id"),
        (11010519491231002, "values"),
        ([[STANDARD], [STANDARD]], "one-dimensional"),
    ],
)
def test_bad_arguments(bad: object, match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        parse_ids(bad)  # type: ignore[arg-type]


def test_a_huge_string_does_not_widen_the_block() -> None:
    out = parse_ids([STANDARD, "1" * 10**7, " " * 10**6 + STANDARD, "１" * 10**6])
    assert out["problem"].tolist() == ["", "length", "", "length"]
    assert out["id_number"].iloc[2] == STANDARD


def test_blocks_give_the_same_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    values = [STANDARD, None, "110105491231002", "1" * 40, "１１０１０５１９４９１２３１００２ｘ",
              "110105194912310021", 1.5, "abc", " 42010119900307001 2"] * 3  # fmt: skip
    series = pd.Series(values, index=np.arange(len(values))[::-1] * 10, dtype=object)
    whole, whole_series = parse_ids(values), parse_ids(series)
    monkeypatch.setattr(ids, "_CHUNK_ROWS", 4)
    pd.testing.assert_frame_equal(parse_ids(values), whole)
    pd.testing.assert_frame_equal(parse_ids(series), whole_series)
    assert whole_series.index.equals(series.index)
    assert whole_series.reset_index(drop=True).equals(whole)


# -- a plain-Python reference on random numbers -------------------------------------------


def reference_parse(value: object) -> tuple[str | None, str, datetime.date | None]:
    """(cleaned id, problem, birth date) by a loop over characters, written from the rules."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None, "missing", None
    if not isinstance(value, str):
        return None, "characters", None
    fullwidth = {chr(0xFF10 + i): str(i) for i in range(10)} | {"Ｘ": "X", "ｘ": "X", "x": "X"}
    drop = set(" \t\n\r\v\f-\u3000\u00a0\u2014\0")
    text = "".join(fullwidth.get(ch, ch) for ch in value if ch not in drop)
    if not text:
        return None, "missing", None
    if len(text) not in (15, 18):
        return None, "length", None
    if len(text) == 15:
        if not all(ch in "0123456789" for ch in text):
            return None, "characters", None
        text = text[:6] + "19" + text[6:]
        text += reference_check(text)
    if not all(ch in "0123456789" for ch in text[:17]) or text[17] not in "0123456789X":
        return None, "characters", None
    try:
        born = datetime.date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        born = None
    if text[17] != reference_check(text[:17]):
        problem = "check character"
    elif born is None or born.year < 1900 or born > datetime.date.today():
        problem = "birth date"
    elif text[:2] not in PROVINCES:
        problem = "region"
    else:
        problem = ""
    return text, problem, born


def assert_birth_date(got: object, born: datetime.date | None) -> None:
    """The date, or NaT when there is none or datetime64[ns] cannot hold it."""
    if born is None or not 1678 <= born.year <= 2261:
        assert pd.isna(got), got
    else:
        assert got == pd.Timestamp(born)


def numbers() -> st.SearchStrategy[str]:
    """17 random digits with a plausible date and province most of the time, plus check."""
    province = st.sampled_from([*PROVINCES, "00", "99", "83"])
    date = st.one_of(
        st.dates(datetime.date(1890, 1, 1), datetime.date(2040, 12, 31)).map(
            lambda d: f"{d:%Y%m%d}"
        ),
        st.text(alphabet="0123456789", min_size=8, max_size=8),
    )
    rest = st.text(alphabet="0123456789", min_size=7, max_size=7)
    return st.builds(lambda p, d, r: with_check(p + r[:4] + d + r[4:]), province, date, rest)


@settings(deadline=None)
@given(
    st.one_of(numbers(), st.text(alphabet="0123456789", min_size=17, max_size=17).map(with_check))
)
def test_random_numbers_are_valid_iff_date_and_region_are(number: str) -> None:
    born = None
    try:
        born = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        pass
    expected = (born is not None and 1900 <= born.year and born <= datetime.date.today()
                and number[:2] in PROVINCES)  # fmt: skip
    row = one(number)
    assert row["valid"] == expected == valid_id(number)
    assert row["id_number"] == number
    assert row["sex"] == ("M" if int(number[16]) % 2 else "F")
    assert_birth_date(row["birth_date"], born)


def typed(number: str) -> st.SearchStrategy[str]:
    """A number as someone might type it: with noise, case, width and length changes."""
    chars = st.sampled_from(list("0123456789xX-  Ａ？") + ["\u3000", "\u00a0", "\u2014", "１"])
    edit = st.tuples(st.integers(0, 19), st.sampled_from(["insert", "delete", "full", "keep"]),
                     chars)  # fmt: skip

    def apply(edits: list[tuple[int, str, str]]) -> str:
        text = number
        for pos, kind, ch in edits:
            pos = min(pos, len(text))
            if kind == "insert":
                text = text[:pos] + ch + text[pos:]
            elif kind == "delete":
                text = text[:pos] + text[pos + 1 :]
            elif kind == "full" and pos < len(text) and text[pos].isdigit():
                text = text[:pos] + chr(0xFF10 + int(text[pos])) + text[pos + 1 :]
        return text

    return st.lists(edit, max_size=4).map(apply)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(numbers().flatmap(typed), st.none(), st.just(7.5),
                          numbers().map(lambda n: n[:6] + n[8:17])), max_size=12))  # fmt: skip
def test_parse_ids_equals_the_reference(values: list[object]) -> None:
    out = parse_ids(values)
    for value, (_, row) in zip(values, out.iterrows(), strict=True):
        cleaned, problem, born = reference_parse(value)
        assert row["problem"] == problem, (value, row)
        assert row["valid"] == (problem == "")
        if cleaned is None:
            assert pd.isna(row["id_number"]) and pd.isna(row["region"])
        else:
            assert row["id_number"] == cleaned and row["region"] == cleaned[:6]
        assert_birth_date(row["birth_date"], born)
