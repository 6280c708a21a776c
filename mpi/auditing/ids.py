"""Chinese resident identity numbers (GB 11643-1999), cleaned and checked for whole columns.

A citizen identity number (公民身份号码) has 18 characters: a 6-digit administrative-region
code (GB/T 2260), the birth date ``YYYYMMDD``, a 3-digit sequence number (odd for men, even
for women) and one check character. Numbers issued before 1999 have 15 digits: region,
``YYMMDD`` and sequence, without a check character.

:func:`parse_ids` cleans a column of such numbers as they are typed in benefit lists (spaces,
hyphens, full-width digits, lower-case ``x``, old 15-digit numbers), checks each one and says
why it fails; it works on the bytes of the strings with numpy, block by block, so that a
million numbers take about half a second and memory stays bounded. :func:`check_character` computes the
check character, :func:`valid_id` checks one number and :data:`PROVINCES` lists the
province-level region codes.

References
----------
GB 11643-1999, *Citizen identification number* (公民身份号码), Standardization Administration
of China, 1999.
GB/T 2260, *Codes for the administrative divisions of the People's Republic of China*
(中华人民共和国行政区划代码).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype

from mpi.errors import ValidationError

__all__ = ["PROVINCES", "PROBLEMS", "check_character", "parse_ids", "valid_id"]

#: The province-level codes of GB/T 2260 (the first two digits of a region code), with the
#: short names of the 34 province-level divisions, Taiwan (71), Hong Kong (81) and Macao (82)
#: included. Read-only.
PROVINCES: Mapping[str, str] = MappingProxyType(
    {
        "11": "北京", "12": "天津", "13": "河北", "14": "山西", "15": "内蒙古",
        "21": "辽宁", "22": "吉林", "23": "黑龙江",
        "31": "上海", "32": "江苏", "33": "浙江", "34": "安徽", "35": "福建", "36": "江西",
        "37": "山东",
        "41": "河南", "42": "湖北", "43": "湖南", "44": "广东", "45": "广西", "46": "海南",
        "50": "重庆", "51": "四川", "52": "贵州", "53": "云南", "54": "西藏",
        "61": "陕西", "62": "甘肃", "63": "青海", "64": "宁夏", "65": "新疆",
        "71": "台湾", "81": "香港", "82": "澳门",
    }
)  # fmt: skip

#: The values of the ``problem`` column of :func:`parse_ids` other than ``""`` (valid), in
#: the order in which they are tested: a number gets the first that applies.
PROBLEMS = ("missing", "length", "characters", "check character", "birth date", "region")

#: The weights W_i = 2^(18-i) mod 11 of the 17 first characters (GB 11643-1999, ISO 7064).
_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int32)
#: The check character for each value of S mod 11.
_CHECK = "10X98765432"

# Character codes inside the parser: digits are 0-9, then X, characters removed by cleaning
# (white space, hyphens, NUL, which is also numpy's padding of fixed-width bytes), any other
# (bad) character, and x (becomes X).
_X, _GONE, _BAD, _LOWER_X = 10, 11, 12, 13
#: The code of each ASCII byte.
_ASCII_CODES = np.full(256, _BAD, dtype=np.uint8)
_ASCII_CODES[np.frombuffer(b"0123456789", np.uint8)] = np.arange(10, dtype=np.uint8)
_ASCII_CODES[ord("X")] = _X
_ASCII_CODES[ord("x")] = _LOWER_X
_ASCII_CODES[np.frombuffer(b"\0 \t\n\r\v\f-", np.uint8)] = _GONE
_ASCII_TABLE = _ASCII_CODES.tobytes()  # for bytes.translate
#: Code -> ASCII byte of the cleaned number.
_CODE_BYTES = np.frombuffer(b"0123456789X", np.uint8)
#: S mod 11 -> code of the check character.
_CHECK_CODES = _ASCII_CODES[np.frombuffer(_CHECK.encode(), np.uint8)]

#: Non-ASCII characters that cleaning maps (full-width digits and X/x) or removes (Unicode
#: spaces, zero-width characters, hyphens and dashes). Used on the few non-ASCII strings.
_TRANSLATE: dict[int, str | None] = {0xFF10 + i: str(i) for i in range(10)}
_TRANSLATE.update({ord("Ｘ"): "X", ord("ｘ"): "X", ord("x"): "X"})
_TRANSLATE.update(
    dict.fromkeys(
        [ord(c) for c in "\0 \t\n\r\v\f-"]
        + [0x00A0, 0x00AD, 0x1680, *range(0x2000, 0x200C), 0x2028, 0x2029, 0x202F, 0x205F]
        + [0x3000, 0xFEFF, *range(0x2010, 0x2016), 0x2212, 0xFE63, 0xFF0D]
    )
)

#: Raw strings longer than this are cleaned one by one before the byte matrix is built (the
#: matrix is as wide as the longest string of its block).
_MAX_RAW = 32
#: Rows parsed at a time (bounds the memory of the byte matrices).
_CHUNK_ROWS = 1 << 19
#: Birth years that datetime64[ns] can hold; other real dates give NaT.
_NS_YEARS = (1678, 2261)
_NS_PER_DAY = 86_400 * 10**9
_NAT = np.datetime64("NaT", "ns").view(np.int64)
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int32)
_KNOWN_PROVINCE = np.zeros(256, dtype=bool)
_KNOWN_PROVINCE[[int(code) for code in PROVINCES]] = True
(_MISSING, _LENGTH, _CHARACTERS, _CHECK_FAIL, _DATE_FAIL, _REGION_FAIL) = range(1, 7)
_STRING_DTYPE: Any = "str" if int(pd.__version__.split(".")[0]) >= 3 else object


def check_character(first17: str) -> str:
    """The check character of an identity number from its first 17 digits (GB 11643-1999).

    .. math::

        S = \\sum_{i=1}^{17} a_i W_i, \\qquad
        W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)

    (:math:`W_i = 2^{18-i} \\bmod 11`, the ISO 7064 MOD 11-2 system) and the check character
    is ``"10X98765432"[S mod 11]``, so that the weighted sum of all 18 characters, X counting
    10, is 1 mod 11. Every single wrong digit and every swap of two different adjacent digits
    among the 17 changes it.

    Parameters
    ----------
    first17 : str
        The region code, birth date and sequence number: exactly 17 ASCII digits.

    Returns
    -------
    str
        One character, ``"0"``-``"9"`` or ``"X"``.

    Raises
    ------
    ValidationError
        When ``first17`` is not a string of 17 digits.

    Examples
    --------
    >>> check_character("11010519491231002")
    'X'
    """
    if not (isinstance(first17, str) and len(first17) == 17 and first17.isascii()
            and first17.isdigit()):  # fmt: skip
        raise ValidationError(
            f"first17: expected a string of exactly 17 digits (region, birth date, sequence), "
            f"got {first17!r}; pass the first 17 characters of the number, e.g. "
            f"check_character('11010519491231002')"
        )
    s = sum(int(a) * int(w) for a, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[s % 11]


def valid_id(value: Any) -> bool:
    """Whether one value is a valid resident identity number (see :func:`parse_ids`).

    Parameters
    ----------
    value : str
        An identity number, cleaned as in :func:`parse_ids` (spaces, hyphens, full-width
        digits, lower-case ``x`` and 15-digit numbers are accepted). Anything that is not a
        string (or an integer) is not valid.

    Returns
    -------
    bool
        True when the cleaned number has 18 characters, the right check character, a real
        birth date from 1900 to today and a known province code.

    Examples
    --------
    >>> valid_id("11010519491231002X"), valid_id("110105194912310021")
    (True, False)
    """
    items = np.empty(1, dtype=object)
    items[0] = value
    return bool(_parse_block(items, _today())["valid"][0])


def parse_ids(values: pd.Series | Iterable[Any]) -> pd.DataFrame:
    """Clean and check Chinese resident identity numbers (GB 11643-1999), vectorised.

    Each value is first cleaned: white space (ASCII and Unicode, inside the number too), NUL
    characters, hyphens and dashes are removed, full-width digits ``０``-``９`` and
    ``Ｘ``/``ｘ`` become ASCII and ``x`` becomes ``X``. Non-negative integers are read exactly (``str(value)``); floats
    cannot hold 18 digits exactly and, like any other non-string value, are a
    ``"characters"`` problem. A 15-digit number (issued before 1999: region, ``YYMMDD``,
    sequence) becomes the 18-character number by inserting ``"19"`` before ``YY`` and
    appending its check character (column ``repaired15``).

    An 18-character number is valid when its first 17 characters are digits, the last one a
    digit or ``X`` and equal to the check character (:func:`check_character`:
    ``"10X98765432"[S mod 11]``, :math:`S = \\sum_{i=1}^{17} a_i W_i`,
    :math:`W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)`), characters 7-14 are a
    real date from 1900-01-01 to today and the first two digits a province-level code of
    GB/T 2260 (:data:`PROVINCES`). The county part of the region code is not checked (codes
    change over the years and old numbers keep theirs).

    Parameters
    ----------
    values : pandas.Series or array-like
        One column of identity numbers (strings; missing values as None, NaN or pd.NA). Not
        modified.

    Returns
    -------
    pandas.DataFrame
        One row per value, with the index of ``values`` (a RangeIndex for other inputs), and
        the columns:

        - ``id_number`` (str): the cleaned 18-character number; NA when the value cannot be
          cleaned into 18 characters (problems ``"missing"``, ``"length"``,
          ``"characters"``);
        - ``valid`` (bool);
        - ``problem`` (str): ``""`` when valid, else the first that applies of
          ``"missing"`` (NA or empty), ``"length"`` (not 15 or 18 characters after
          cleaning), ``"characters"`` (anything but digits and a final ``X``, or not a
          string), ``"check character"``, ``"birth date"`` (not a real date, before 1900 or
          in the future), ``"region"`` (unknown province code);
        - ``birth_date`` (datetime64[ns]): the date in the number, also when another check
          fails; NaT when it is not a real date (or outside the years 1678-2261 that
          datetime64[ns] holds) or there is no number;
        - ``region`` (str): the 6-digit region code, NA when there is no number;
        - ``sex`` (str): ``"M"`` when the 17th digit is odd, ``"F"`` when even, NA when there
          is no number;
        - ``repaired15`` (bool): the number was given with 15 digits and converted.

    Raises
    ------
    ValidationError
        When ``values`` is a DataFrame, a single string or not a one-dimensional collection.

    Notes
    -----
    The numbers are parsed in blocks of about half a million: a block's strings become
    fixed-width ASCII bytes, translated to character codes by a byte table and held one
    column per value, and cleaning, the check character, the date and the region are numpy
    operations on rows of the block's length (about half a second per million numbers on
    one core). Strings with non-ASCII characters or longer than 32 characters are cleaned
    one by one first. The residence permits of Hong Kong, Macao and Taiwan residents share
    the format with region codes 810000, 820000 and 830000; 83 is not a GB/T 2260 code and
    is reported as ``"region"``.

    References
    ----------
    GB 11643-1999, *Citizen identification number*; GB/T 2260, *Codes for the administrative
    divisions of the People's Republic of China*.

    Examples
    --------
    >>> parse_ids(["11010519491231002x", "110105491231002", "110105194912310021"])[
    ...     ["id_number", "valid", "problem", "repaired15"]]
                id_number  valid          problem  repaired15
    0  11010519491231002X   True                        False
    1  11010519491231002X   True                         True
    2  110105194912310021  False  check character       False
    """
    source, index = _as_objects(values)
    today = _today()
    blocks, id_parts = [], []
    for start in range(0, len(index), _CHUNK_ROWS) or [0]:
        block = _parse_block(_objects(source, start, start + _CHUNK_ROWS), today)
        # Strings leave Python objects block by block: memory stays bounded.
        id_parts.append(pd.Series(block.pop("id_number"), dtype=_STRING_DTYPE))
        blocks.append(block)
    cols = {name: np.concatenate([b[name] for b in blocks]) for name in blocks[0]}
    ids = pd.concat(id_parts, ignore_index=True) if len(id_parts) > 1 else id_parts[0]
    return pd.DataFrame(
        {
            "id_number": pd.Series(ids.array, index=index),
            "valid": pd.Series(cols["valid"], index=index),
            "problem": _strings(["", *PROBLEMS], cols["problem"], index),
            "birth_date": pd.Series(cols["birth_date"], index=index),
            "region": _regions(cols["region"], index),
            "sex": _strings(["F", "M"], cols["sex"], index),
            "repaired15": pd.Series(cols["repaired15"], index=index),
        },
        index=index,
    )  # fmt: skip


def _today() -> np.datetime64:
    return np.datetime64(datetime.date.today(), "D")


def _objects(source: pd.Series | np.ndarray, start: int, stop: int) -> np.ndarray:
    """Values ``start:stop`` as an object array (not to be written to)."""
    if isinstance(source, pd.Series):
        return source.iloc[start:stop].to_numpy(dtype=object)
    return source[start:stop]


def _as_objects(values: Any) -> tuple[pd.Series | np.ndarray, pd.Index]:
    """The values as a Series or a 1-D object array (never written to) and the index of the
    result."""
    if isinstance(values, pd.DataFrame):
        raise ValidationError(
            f"values: expected one column of identity numbers, got a DataFrame with columns "
            f"{list(values.columns)!r}; pass the column, e.g. parse_ids(df['id_number'])"
        )
    if isinstance(values, pd.Series):
        return values, values.index
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise ValidationError(
            f"values: expected a list, array or Series of identity numbers, got {values!r}; "
            f"wrap one number in a list (parse_ids([number])) or use valid_id(number)"
        )
    if isinstance(values, pd.Index | np.ndarray):
        items = values.to_numpy(dtype=object) if isinstance(values, pd.Index) else values
    else:
        items = values if isinstance(values, list | tuple) else list(values)
    items = np.asarray(items, dtype=object)
    if items.ndim != 1:
        raise ValidationError(
            f"values: expected a one-dimensional collection of identity numbers, got one of "
            f"shape {items.shape}; pass one column (e.g. array[:, 0] or a Series)"
        )
    return items, pd.RangeIndex(len(items))


def _as_strings(raw: np.ndarray, missing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Strings to parse ("" for missing and unusable values) and the problems forced by type.

    Non-negative integers are spelled out exactly; any other non-string is ``"characters"``.
    """
    forced = np.where(missing, _MISSING, 0).astype(np.uint8)
    if infer_dtype(raw, skipna=True) in ("string", "empty"):
        if missing.any():
            raw = raw.copy()
            raw[missing] = ""
        return raw, forced
    strs = np.empty(len(raw), dtype=object)
    for i, v in enumerate(raw):
        if missing[i]:
            strs[i] = ""
        elif isinstance(v, str):
            strs[i] = v
        elif isinstance(v, int | np.integer) and not isinstance(v, bool | np.bool_) and v >= 0:
            strs[i] = str(int(v))
        else:
            strs[i] = ""
            forced[i] = _CHARACTERS
    return strs, forced


def _clean_text(text: str) -> str:
    """One string cleaned in Python (for the rare non-ASCII or long ones): mapped, removed
    characters dropped, any other non-ASCII character replaced by ``?`` (a bad character)."""
    return text.translate(_TRANSLATE).encode("ascii", "replace").decode("ascii")


def _fixed_width(
    strs: np.ndarray, lengths: np.ndarray, forced: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The strings as ASCII fixed-width bytes (numpy ``S``, at least 18 wide, NUL-padded)
    and a flag per string cleaned in Python first (non-ASCII or longer than ``_MAX_RAW``)."""
    slow = np.zeros(len(strs), dtype=bool)
    fixed = None
    if not len(strs) or lengths.max() <= _MAX_RAW:  # else one long string would widen all
        try:
            fixed = strs.astype("S")
        except UnicodeEncodeError:
            pass
    if fixed is None:
        strs = strs.copy()
        for i, text in enumerate(strs):
            if len(text) > _MAX_RAW or not text.isascii():
                slow[i] = True
                text = _clean_text(text)
                if len(text) > _MAX_RAW:  # more than 18 characters: a length problem
                    forced[i] = forced[i] or _LENGTH
                    text = ""
                strs[i] = text
        fixed = strs.astype("S")
    return (fixed if fixed.dtype.itemsize >= 18 else fixed.astype("S18")), slow


def _codes(strs: np.ndarray, forced: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Character codes, one column per string, cleaned: removed characters dropped and the
    rest moved up (_GONE below); and a flag per string whose cleaned form is not the string
    itself."""
    n = len(strs)
    lengths = np.fromiter(map(len, strs), dtype=np.intp, count=n)
    fixed, slow = _fixed_width(strs, lengths, forced)
    width = fixed.dtype.itemsize
    flat = np.frombuffer(fixed.tobytes().translate(_ASCII_TABLE), dtype=np.uint8)
    codes = flat.reshape(n, width).T.copy()  # C order, writable
    # Unchanged: given as 18 characters (the length counts the trailing NULs that numpy's
    # bytes drop), none lower-case or removed (tested later: 18 digits or X left).
    changed = slow | (lengths != 18)
    if (codes == _LOWER_X).any():
        lower = codes == _LOWER_X
        changed |= lower.any(axis=0)
        codes[lower] = _X
    cols = np.flatnonzero(((codes[:-1] == _GONE) & (codes[1:] != _GONE)).any(axis=0))
    if cols.size:
        sub = codes[:, cols].T
        gone = sub == _GONE
        sub = np.take_along_axis(sub, np.argsort(gone, axis=1, kind="stable"), axis=1)
        codes[:, cols] = sub.T
    return codes, changed


def _days_since_epoch(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Days from 1970-01-01 of proleptic Gregorian dates (integer arithmetic, vectorised;
    H. Hinnant's days_from_civil)."""
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (month + np.where(month > 2, -3, 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era.astype(np.int64) * 146097 + doe - 719468


def _parse_block(raw: np.ndarray, today: np.datetime64) -> dict[str, np.ndarray]:
    """Parse one block of values (object array); the result's arrays have one entry per value.

    The codes are held one column per value, so that every step is an operation on rows of
    the block's length."""
    n = len(raw)
    missing = np.asarray(pd.isna(raw), dtype=bool)
    strs, forced = _as_strings(raw, missing)
    c, changed = _codes(strs, forced)
    length = (c != _GONE).sum(axis=0)
    problem = forced.copy()
    open_ = problem == 0
    problem[open_ & (length == 0)] = _MISSING
    problem[open_ & (length != 0) & (length != 15) & (length != 18)] = _LENGTH
    ok15 = (length == 15) & (c[:15] <= 9).all(axis=0)
    ok18 = (length == 18) & (c[:17] <= 9).all(axis=0) & (c[17] <= _X)
    problem[(problem == 0) & ~ok15 & ~ok18] = _CHARACTERS
    good = problem == 0  # 18 characters, or 15 digits converted below
    good15 = good & ok15

    d = np.where(good, c[:18], 0).astype(np.uint8)
    if good15.any():
        d[6, good15], d[7, good15] = 1, 9
        d[8:17, good15] = c[6:15, good15]
    s = np.zeros(n, dtype=np.uint16)  # at most 17 * 9 * 10
    for w, digit in zip(_WEIGHTS.tolist(), d[:17], strict=True):
        s += np.uint16(w) * digit
    expected = _CHECK_CODES[s % 11]
    d[17, good15] = expected[good15]

    year, month, day = (_number(d[i : i + k]) for i, k in ((6, 4), (10, 2), (12, 2)))
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_ok = (month >= 1) & (month <= 12)
    last_day = _DAYS_IN_MONTH[np.where(month_ok, month, 0)] + (leap & (month == 2))
    real = good & month_ok & (day >= 1) & (day <= last_day)
    real &= (year >= _NS_YEARS[0]) & (year <= _NS_YEARS[1])
    days = np.where(real, _days_since_epoch(year, month, day), 0)
    born = np.where(real, days * _NS_PER_DAY, _NAT).view("datetime64[ns]")
    date_ok = real & (year >= 1900) & (days <= today.astype(np.int64))
    province_ok = _KNOWN_PROVINCE[_number(d[:2])]

    for fails, code in (
        (d[17] != expected, _CHECK_FAIL),
        (~date_ok, _DATE_FAIL),
        (~province_ok, _REGION_FAIL),
    ):
        problem[(problem == 0) & good & fails] = code

    ids = strs.copy()
    ids[~good] = None
    rebuilt = good & (good15 | changed)
    if rebuilt.any():
        text = np.ascontiguousarray(_CODE_BYTES[d[:, rebuilt].T]).view("S18").ravel()
        ids[rebuilt] = text.astype("U18").astype(object)
    return {
        "id_number": ids,
        "valid": problem == 0,
        "problem": problem,
        "birth_date": born,
        "region": np.where(good, _number(d[:6]), -1),
        "sex": np.where(good, (d[16] & 1).astype(np.int8), -1),
        "repaired15": good15,
    }


def _number(digits: np.ndarray) -> np.ndarray:
    """The integers written by rows of digit codes (most significant first)."""
    out = np.zeros(digits.shape[1], dtype=np.int32)
    for row in digits:
        out = out * 10 + row
    return out


def _strings(labels: list[str], codes: np.ndarray, index: pd.Index) -> pd.Series:
    """A string column: ``labels[code]``, NA where the code is -1."""
    return pd.Series(pd.array(labels, dtype=_STRING_DTYPE).take(codes, allow_fill=True),
                     index=index)  # fmt: skip


def _regions(code: np.ndarray, index: pd.Index) -> pd.Series:
    """The 6-digit region codes as strings (one label per distinct code), NA for -1."""
    seen = np.zeros(10**6 + 1, dtype=bool)
    seen[code] = True  # -1 marks the last slot
    distinct = np.flatnonzero(seen[:-1])
    position = np.full(10**6 + 1, -1, dtype=np.intp)
    position[distinct] = np.arange(len(distinct))
    return _strings([f"{c:06d}" for c in distinct.tolist()], position[code], index)
