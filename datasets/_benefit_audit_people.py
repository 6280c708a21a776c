"""People of ``benefit_audit``: identity numbers, names, households and villages of a county.

The county imitates Sui County (随县, region code ``421321``) of Suizhou prefecture (随州市,
``4213``) in Hubei. Identity numbers follow GB 11643-1999: a 6-digit region code, the birth
date ``YYYYMMDD``, a 3-digit sequence number (odd for men, even for women) and the check
character of :func:`check_character`. Names are drawn from common Chinese surnames (weighted
by their frequency) and common given-name characters. This private module also holds the
variant tables (homophones, traditional characters) used to plant dirty names.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

__all__ = [
    "CHECK_CHARACTERS",
    "REFERENCE_DATE",
    "REGIONS",
    "TOWNSHIPS",
    "WEIGHTS",
    "check_character",
    "draw_county",
    "draw_outsiders",
    "name_variant",
]

#: Weights W_i of the 17 first digits in the GB 11643-1999 check sum.
WEIGHTS: Final = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
#: Check character by ``sum(a_i * W_i) mod 11``.
CHECK_CHARACTERS: Final = "10X98765432"
#: Region codes (GB/T 2260) of Suizhou prefecture: Sui County (the county of the dataset),
#: Zengdu District, Guangshui City and the prefecture itself (numbers issued there).
REGIONS: Final = {
    "421321": "随县",
    "421303": "曾都区",
    "421381": "广水市",
    "421300": "随州市",
}
#: Share of the county's residents by the region code of their identity number.
_RESIDENT_REGIONS = (("421321", 0.86), ("421303", 0.07), ("421381", 0.05), ("421300", 0.02))
#: Ages are measured at this date; the payments run from 2020-01 to 2023-12.
REFERENCE_DATE: Final = np.datetime64("2020-01-01", "D")

#: Townships of Sui County (the villages below them are fictional).
TOWNSHIPS: Final = (
    "厉山镇", "高城镇", "殷店镇", "草店镇", "小林镇", "淮河镇", "万和镇", "尚市镇",
    "唐县镇", "吴山镇", "新街镇", "安居镇", "环潭镇", "洪山镇", "三里岗镇", "柳林镇",
)  # fmt: skip
_VILLAGE_FIRST = "张李王刘陈杨黄周吴徐胡朱高何郭罗万余汪程"
_VILLAGE_MID = ("家", "")
_VILLAGE_LAST = ("湾", "岗", "冲", "畈", "河", "店", "庙", "岭", "坡", "铺", "垸", "桥", "寨", "港")

# Common surnames, most frequent first; weights ~ their national shares (per cent).
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏"
    "魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵"
)
_SURNAME_W = 1.0 / (np.arange(len(_SURNAMES)) + 4.0) ** 0.9
_MALE_CHARS = "伟强磊军洋勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆国建文志海峰林东成亮新春德红兵"
_FEMALE_CHARS = "芳娜敏静丽艳娟霞秀英玲桂兰萍红梅琳燕慧晶莉婷雪凤琴云洁颖丹倩华珍玉兰花淑莲"
_OLD_MALE_SECOND = "福贵财发生明华荣国昌德林才山清"
_OLD_FEMALE_SECOND = "英兰珍凤芝翠花秀梅香桂荣"

#: Homophones (same pinyin, different character) used to plant name variants.
HOMOPHONES: Final = {
    "张": "章", "王": "汪", "李": "黎", "刘": "柳", "杨": "阳", "黄": "皇", "吴": "伍",
    "徐": "许", "许": "徐", "林": "琳", "程": "成", "何": "和", "周": "舟", "朱": "诸",
    "伟": "玮", "丽": "莉", "敏": "民", "静": "婧", "芳": "方", "军": "君", "明": "鸣",
    "华": "桦", "红": "虹", "勇": "永", "杰": "洁", "涛": "韬", "英": "鹰", "兰": "岚",
    "平": "萍", "峰": "锋", "斌": "彬", "燕": "艳", "玲": "铃", "春": "纯",
}  # fmt: skip
#: Traditional forms of simplified characters (a name written in traditional characters).
TRADITIONAL: Final = {
    "张": "張", "刘": "劉", "陈": "陳", "杨": "楊", "黄": "黃", "赵": "趙", "吴": "吳",
    "孙": "孫", "马": "馬", "郑": "鄭", "许": "許", "冯": "馮", "邓": "鄧", "韩": "韓",
    "谢": "謝", "罗": "羅", "萧": "蕭", "叶": "葉", "苏": "蘇", "卢": "盧", "钟": "鍾",
    "伟": "偉", "丽": "麗", "华": "華", "军": "軍", "红": "紅", "国": "國", "东": "東",
    "兰": "蘭", "凤": "鳳", "云": "雲", "刚": "剛", "强": "強", "荣": "榮", "贵": "貴",
    "发": "發", "凯": "凱", "鹏": "鵬", "飞": "飛", "辉": "輝", "涛": "濤",
    "艳": "艷", "颖": "穎", "洁": "潔", "莲": "蓮", "宝": "寶", "庆": "慶",
    "财": "財", "义": "義", "贤": "賢", "进": "進",
}  # fmt: skip


def check_character(first17: str) -> str:
    """The GB 11643-1999 check character of the first 17 digits of an identity number.

    Parameters
    ----------
    first17 : str
        The 17 digits (region, birth date, sequence).

    Returns
    -------
    str
        ``"10X98765432"[sum(a_i * W_i) mod 11]`` with ``W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3,
        7, 9, 10, 5, 8, 4, 2)``.
    """
    digits = np.frombuffer(first17.encode("ascii"), dtype=np.uint8).astype(np.int64) - 48
    return CHECK_CHARACTERS[int(digits @ WEIGHTS) % 11]


def _id_numbers(
    rng: np.random.Generator, regions: np.ndarray, birth: np.ndarray, male: np.ndarray, taken: set
) -> np.ndarray:
    """Unique 18-character numbers for the given regions, birth dates and sexes."""
    out = np.empty(len(regions), dtype=object)
    dates = pd.DatetimeIndex(birth).strftime("%Y%m%d")
    for i in range(len(regions)):
        while True:
            seq = int(rng.integers(0, 500)) * 2 + (1 if male[i] else 0)
            first17 = f"{regions[i]}{dates[i]}{seq:03d}"
            if first17 not in taken:
                taken.add(first17)
                break
        out[i] = first17 + check_character(first17)
    return out


def _given_name(rng: np.random.Generator, male: bool, birth_year: int) -> str:
    chars = _MALE_CHARS if male else _FEMALE_CHARS
    old = birth_year < 1965
    if rng.random() < (0.12 if old else 0.28):
        return chars[rng.integers(len(chars))]
    second = _OLD_MALE_SECOND if male else _OLD_FEMALE_SECOND
    first = chars[rng.integers(len(chars))]
    last = (
        second[rng.integers(len(second))]
        if old and rng.random() < 0.6
        else chars[rng.integers(len(chars))]
    )
    return first + last


def _surname(rng: np.random.Generator) -> str:
    return _SURNAMES[rng.choice(len(_SURNAMES), p=_SURNAME_W / _SURNAME_W.sum())]


def _birth_dates(rng: np.random.Generator, ages: np.ndarray) -> np.ndarray:
    days = np.rint(ages * 365.25).astype(np.int64) + rng.integers(0, 365, len(ages))
    return (REFERENCE_DATE - days.astype("timedelta64[D]")).astype("datetime64[ns]")


def _villages(rng: np.random.Generator, n: int) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < n:
        town = TOWNSHIPS[len(names) % len(TOWNSHIPS)]
        v = (
            _VILLAGE_FIRST[rng.integers(len(_VILLAGE_FIRST))]
            + _VILLAGE_MID[rng.integers(2)]
            + _VILLAGE_LAST[rng.integers(len(_VILLAGE_LAST))]
            + "村"
        )
        if town + v not in seen:
            seen.add(town + v)
            names.append(town + v)
    return names


def _household_ages(rng: np.random.Generator, size: int) -> list[tuple[str, float, bool | None]]:
    """(relation, age, male or None for "opposite of the head") of each member."""
    single_old = size == 1 and rng.random() < 0.6
    head_age = float(rng.uniform(55, 90) if single_old else rng.uniform(24, 78))
    members: list[tuple[str, float, bool | None]] = [("head", head_age, bool(rng.random() < 0.8))]
    if size >= 2:
        members.append(("spouse", max(18.0, head_age + rng.normal(-2, 3)), None))
    k = size - len(members)
    if k > 0 and head_age < 62 and rng.random() < 0.35:
        parent_age = min(97.0, head_age + rng.uniform(24, 33))
        members.append(("parent", parent_age, bool(rng.random() < 0.4)))
        k -= 1
    for _ in range(k):
        age = head_age - rng.uniform(22, 36)
        if age < 0:
            age = rng.uniform(0, 4)
        members.append(("child", float(age), bool(rng.random() < 0.53)))
    return members


def draw_county(rng: np.random.Generator, n_households: int) -> tuple[pd.DataFrame, list[str]]:
    """Draw the county's persons (one row each) and its villages.

    Parameters
    ----------
    rng : numpy.random.Generator
        The random stream.
    n_households : int
        Number of households.

    Returns
    -------
    persons : pandas.DataFrame
        ``person_id``, ``household_id``, ``relation``, ``id_number``, ``name``, ``sex``,
        ``birth_date``, ``village``, ``account`` (the household's bank account).
    villages : list of str
        The village names (township + village).
    """
    n_villages = max(2, round(n_households / 36))
    villages = _villages(rng, n_villages)
    sizes = rng.choice(np.arange(1, 7), size=n_households, p=[0.18, 0.28, 0.22, 0.18, 0.09, 0.05])
    hh_village = np.sort(rng.integers(0, n_villages, n_households))
    rows = []
    accounts = set()
    for h in range(n_households):
        members = _household_ages(rng, int(sizes[h]))
        head_male = members[0][2]
        surname = _surname(rng)
        other = _surname(rng)
        while True:
            account = "6217" + "".join(map(str, rng.integers(0, 10, 15)))
            if account not in accounts:
                accounts.add(account)
                break
        for relation, age, male in members:
            male = (not head_male) if male is None else male
            if relation == "head":
                fam = surname
            elif relation == "spouse":
                fam = other if head_male else surname
            elif relation == "child":
                fam = surname if head_male else other
            else:
                fam = _surname(rng)
            rows.append((h, relation, age, bool(male), fam))
    df = pd.DataFrame(rows, columns=["hh", "relation", "age", "male", "surname"])
    male = df["male"].to_numpy()
    birth = _birth_dates(rng, df["age"].to_numpy())
    regions = np.array([r for r, _ in _RESIDENT_REGIONS])[
        rng.choice(len(_RESIDENT_REGIONS), size=len(df), p=[p for _, p in _RESIDENT_REGIONS])
    ]
    ids = _id_numbers(rng, regions, birth, male, set())
    years = pd.DatetimeIndex(birth).year.to_numpy()
    names = [
        s + _given_name(rng, bool(m), int(y))
        for s, m, y in zip(df["surname"], male, years, strict=True)
    ]
    hh = df["hh"].to_numpy()
    account_list = sorted(accounts)
    perm = rng.permutation(len(account_list))
    persons = pd.DataFrame(
        {
            "person_id": np.arange(1, len(df) + 1, dtype=np.int64),
            "household_id": np.array([f"H{h + 1:06d}" for h in hh], dtype=object),
            "relation": df["relation"].to_numpy(dtype=object),
            "id_number": ids,
            "name": np.array(names, dtype=object),
            "sex": np.where(male, "M", "F").astype(object),
            "birth_date": birth,
            "village": np.array([villages[hh_village[h]] for h in hh], dtype=object),
            "account": np.array([account_list[perm[h]] for h in hh], dtype=object),
        }
    )
    return persons, villages


def draw_outsiders(
    rng: np.random.Generator, n: int, taken: set, min_age: float = 18, max_age: float = 80
) -> pd.DataFrame:
    """Residents of the rest of the prefecture (registry records of people not in the county).

    Parameters
    ----------
    rng : numpy.random.Generator
        The random stream.
    n : int
        Number of people.
    taken : set
        First 17 digits already used (updated in place, so numbers stay unique).
    min_age, max_age : float
        Age range at :data:`REFERENCE_DATE`.

    Returns
    -------
    pandas.DataFrame
        ``id_number``, ``name``, ``birth_date``.
    """
    ages = rng.uniform(min_age, max_age, n)
    birth = _birth_dates(rng, ages)
    male = rng.random(n) < 0.5
    regions = np.array(["421303", "421381", "421300", "421321"])[
        rng.choice(4, size=n, p=[0.45, 0.35, 0.1, 0.1])
    ]
    ids = _id_numbers(rng, regions, birth, male, taken)
    years = pd.DatetimeIndex(birth).year.to_numpy()
    names = [
        _surname(rng) + _given_name(rng, bool(m), int(y)) for m, y in zip(male, years, strict=True)
    ]
    return pd.DataFrame(
        {"id_number": ids, "name": np.array(names, dtype=object), "birth_date": birth}
    )


def name_variant(rng: np.random.Generator, name: str) -> tuple[str, str] | None:
    """A planted misspelling of ``name``: ``(variant, kind)`` or ``None`` when none applies.

    Parameters
    ----------
    rng : numpy.random.Generator
        The random stream.
    name : str
        The true name.

    Returns
    -------
    tuple of (str, str) or None
        The variant and its kind: ``"homophone"`` (one character replaced by a character
        read the same, e.g. 张伟 -> 章伟), ``"traditional characters"`` (every character
        with a traditional form written in it) or ``"dropped character"`` (the middle
        character of a three-character name left out).
    """
    kinds = []
    if any(c in HOMOPHONES for c in name):
        kinds.append("homophone")
    if any(c in TRADITIONAL and TRADITIONAL[c] != c for c in name):
        kinds.append("traditional characters")
    if len(name) == 3:
        kinds.append("dropped character")
    if not kinds:
        return None
    kind = kinds[rng.integers(len(kinds))]
    if kind == "homophone":
        places = [i for i, c in enumerate(name) if c in HOMOPHONES]
        i = places[rng.integers(len(places))]
        return name[:i] + HOMOPHONES[name[i]] + name[i + 1 :], kind
    if kind == "traditional characters":
        return "".join(TRADITIONAL.get(c, c) for c in name), kind
    return name[0] + name[2], kind
