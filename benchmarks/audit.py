#!/usr/bin/env python
"""Benchmark the benefit-list audit, ``mpi.audit``: time by stage, memory, planted hits found.

Run from the repository root::

    .venv/bin/python benchmarks/audit.py                      # 1e4, 1e5, 1e6 per list, best of 1
    .venv/bin/python benchmarks/audit.py --sizes 1e3 --repeat 1 --check   # smoke test

Workload (issue 18, point 3: "12 lists x 1M beneficiaries against 5M reference records"), for
``n`` beneficiaries per list, generated with numpy (seeded) and written to parquet first, so
that generation is not timed:

* a population of ``4 n`` persons with unique valid GB 11643 identity numbers (8 Suizhou and
  Wuhan county codes, births 1930-2009), names (surname + 1 or 2 given characters),
  households of 3 consecutive persons, villages of 100 households, one bank account each;
* 12 programme lists (the programmes of the ``benefit_audit`` dataset), each ``n`` distinct
  persons with one payment in 2023 (``id_number``, ``name``, ``programme``, ``amount``,
  ``paid_on``, ``household_id``, ``village``, ``account``): ``12 n`` rows. dibao and tekun
  have disjoint persons (they exclude each other). 2 % of the rows carry a dirty number:
  40 % two adjacent digits swapped, 40 % one digit mistyped (both always break the check
  character: every weight differs from its neighbour mod 11), 10 % a lower-case ``x``, 10 %
  the 15-digit pre-1999 form (the last two are repaired to valid numbers by ``parse_ids``);
* registries totalling ``5 n`` records (``5M`` at ``n = 1e6``): death 10 %, business 20 %,
  vehicle 25 %, property 25 %, tax 15 %, staff 5 %. Most records belong to ``5 n`` persons who
  are not beneficiaries; 2 % are beneficiaries below the rule's threshold (near misses: died
  after the last payment, capital ¥50,000, vehicle ¥20,000, 10 m², income ¥20,000) and
  ``max(10, n / 1000)`` per registry are planted hits (beneficiaries with clean numbers in
  every row: died 2022-12-15, capital ¥1M, vehicle ¥300,000, 600 m², income ¥200,000, staff).

Timed (seconds, best of ``--repeat``): one pass over the input (``pd.read_parquet`` of every
table + ``groupby("programme")["amount"].sum()``), and ``mpi.audit(payments, registries)``
with the default rules end to end, with its stages (the script wraps the functions that
``mpi.auditing.audit`` and ``mpi.auditing.linkage`` look up at call time, and each rule's
check): standardising, identity numbers (``parse_ids``, all calls), person keys
(self-linkage of the invalid numbers), registry links, of which Fellegi-Sunter record
linkage (splink features + model), the rules, and the leads.

Checks (the script exits non-zero if one fails): every payment row checked or counted as
not checkable; invalid numbers = the swapped and mistyped rows exactly; repaired numbers =
the 15-digit rows; per table ``linked_by_id + linked_by_record_linkage + not_linked ==
left_rows``; every planted hit is a lead of its rule. Leads on other persons are reported.

Memory: the peak extra resident memory of the first ``mpi.audit`` call (RSS high-water mark
above the RSS before it, Linux ``/proc``), per input row (payments + registry records).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as _dt
import functools
import gc
import importlib
import math
import os
import platform
import shutil
import sys
import tempfile
import threading
import time
import warnings
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import _reset_peak_rss, _status_kb, cpu_model, source_version, wait_for_quiet  # noqa: E402

import mpi  # noqa: E402
import mpi.auditing  # noqa: E402
import mpi.auditing.linkage  # noqa: E402
import mpi.auditing.persons  # noqa: E402

ROOT = Path(__file__).resolve().parent
# the modules (``mpi.auditing.audit`` is also the name of the function mpi.auditing exports)
audit_module = importlib.import_module("mpi.auditing.audit")  # imported on first use
linkage_module = importlib.import_module("mpi.auditing.linkage")
persons_module = importlib.import_module("mpi.auditing.persons")
PROGRAMMES = (
    "dibao", "tekun", "relocation", "education_grant", "microcredit_subsidy",
    "medical_assistance", "housing_renovation", "disability_allowance", "elderly_allowance",
    "employment_subsidy", "ecological_ranger", "temporary_assistance",
)  # fmt: skip
AMOUNT = dict(
    zip(PROGRAMMES, (420, 830, 2000, 1500, 1200, 0, 0, 120, 100, 800, 600, 0), strict=True)
)
EVENT = {"medical_assistance", "housing_renovation", "temporary_assistance"}
REGIONS = np.array([421303, 421321, 421381, 420102, 420103, 420104, 420105, 420106])
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")  # fmt: skip
GIVEN = list("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂兰玉萍红华建国文辉晓燕志春梅鹏飞斌宇浩凯鑫波海云亮林峰金凤成荣新德祥东旭俊振宏嘉琳雪婷欣怡子涵梓轩雨萱佳豪思远博文晨阳天佑")  # fmt: skip
WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
CHECK = np.frombuffer(b"10X98765432", dtype=np.uint8)
DAY0, N_DAYS = np.datetime64("1930-01-01"), 29_219  # births 1930-01-01 .. 2009-12-31
REGISTRY_SHARE = {"death": 0.10, "business": 0.20, "vehicle": 0.25, "property": 0.25,
                  "tax": 0.15, "staff": 0.05}  # fmt: skip
# (column, outsiders' values (low, high), near miss, planted hit) per registry
REGISTRY_VALUES = {
    "business": ("registered_capital", (1e5, 5e6), 5e4, 1e6),
    "vehicle": ("vehicle_value", (3e4, 4e5), 2e4, 3e5),
    "property": ("floor_area", (40.0, 200.0), 10.0, 600.0),
    "tax": ("annual_income", (3e4, 3e5), 2e4, 2e5),
}
RULE_OF = {"death": "paid_after_death", "business": "business_owner", "vehicle": "vehicle_owner",
           "property": "property_area", "tax": "taxed_income", "staff": "public_employee"}  # fmt: skip
DIRTY_SHARE = 0.02
DIRTY_KINDS = ("swap", "mistype", "lower_x", "digits15")
DIRTY_P = (0.4, 0.4, 0.1, 0.1)


# ------------------------------------------------------------------------------------
# data
# ------------------------------------------------------------------------------------
def name_table() -> tuple[np.ndarray, int]:
    """Every name the generator can give: code ``s * G1 + g`` (``g < G`` one given character,
    else two), as an object array of str."""
    g = len(GIVEN)
    given = GIVEN + [a + b for a in GIVEN for b in GIVEN]
    return np.array([s + x for s in SURNAMES for x in given], dtype=object), g + g * g


def id_bytes(person: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Valid 18-character numbers of persons (a bijection person -> (region, birth, sequence)),
    as an (n, 18) uint8 array of ASCII, and the birth years."""
    m = REGIONS.size * N_DAYS * 1000
    a, b = 2_654_435_761 % m, 12_345
    while math.gcd(a, m) != 1:
        a += 1
    slot = (person.astype(np.int64) * a + b) % m
    region = REGIONS[slot % REGIONS.size]
    rest = slot // REGIONS.size
    day = DAY0 + (rest % N_DAYS).astype("timedelta64[D]")
    seq = rest // N_DAYS
    year = day.astype("datetime64[Y]").astype(np.int64) + 1970
    month = day.astype("datetime64[M]").astype(np.int64) % 12 + 1
    dom = (day - day.astype("datetime64[M]")).astype(np.int64) + 1
    first = region * 10**11 + (year * 10_000 + month * 100 + dom) * 1000 + seq
    digits = (first[:, None] // 10 ** np.arange(16, -1, -1)) % 10
    out = np.empty((person.size, 18), dtype=np.uint8)
    out[:, :17] = digits + 48
    out[:, 17] = CHECK[(digits * WEIGHTS).sum(axis=1) % 11]
    return out, year


def as_text(raw: np.ndarray) -> np.ndarray:
    """(n, w) uint8 ASCII rows as a numpy str array."""
    return np.ascontiguousarray(raw).view(f"S{raw.shape[1]}").ravel().astype(f"U{raw.shape[1]}")


@dataclasses.dataclass
class Truth:
    """What the generator planted, to check the audit against."""

    rows: int
    records: int
    invalid: int
    repaired: int
    planted: dict[str, np.ndarray]  # kind -> clean id numbers of the planted persons
    planted_households: dict[str, np.ndarray]  # kind -> their household ids
    dirty: dict[str, int]


def generate(n: int, folder: Path, seed: int = 18) -> Truth:
    """Write ``payments.parquet`` and one ``<kind>.parquet`` per registry into ``folder``."""
    rng = np.random.default_rng(seed)
    pop = 4 * n
    names, per_surname = name_table()
    name_code = rng.integers(0, len(SURNAMES), pop + 5 * n) * per_surname + np.where(
        rng.random(pop + 5 * n) < 0.3,
        rng.integers(0, len(GIVEN), pop + 5 * n),
        len(GIVEN) + rng.integers(0, len(GIVEN) ** 2, pop + 5 * n),
    )
    perm = rng.permutation(pop)
    lists = [perm[:n], perm[n : 2 * n]] + [rng.permutation(pop)[:n] for _ in PROGRAMMES[2:]]
    person = np.concatenate(lists)
    prog = np.repeat(np.arange(len(PROGRAMMES)), n)
    rows = person.size
    raw, year = id_bytes(person)
    clean_ids = as_text(raw)
    beneficiaries = np.unique(person)
    # planted hits: distinct beneficiaries, clean numbers in every row
    chosen = rng.choice(beneficiaries, size=len(REGISTRY_SHARE) * max(10, n // 1000), replace=False)
    planted = dict(zip(REGISTRY_SHARE, np.array_split(chosen, len(REGISTRY_SHARE)), strict=True))
    dirty = (rng.random(rows) < DIRTY_SHARE) & ~np.isin(person, chosen)
    kind = np.full(rows, -1)
    kind[dirty] = rng.choice(len(DIRTY_KINDS), size=int(dirty.sum()), p=DIRTY_P)
    kind[(kind == 2) & (raw[:, 17] != ord("X"))] = 1  # no X to lower: mistype instead
    kind[(kind == 3) & (year >= 2000)] = 0  # no 15-digit number after 1999: swap instead
    text = clean_ids.astype(object)
    swap = np.flatnonzero(kind == 0)
    pos = rng.integers(0, 16, swap.size)
    same = raw[swap, pos] == raw[swap, pos + 1]
    pos[same] = np.where(pos[same] < 8, pos[same] + 1, pos[same] - 1)  # try a neighbour
    r = raw[swap].copy()
    r[np.arange(swap.size), pos], r[np.arange(swap.size), pos + 1] = (
        raw[swap, pos + 1], raw[swap, pos])  # fmt: skip
    text[swap] = as_text(r)
    mist = np.flatnonzero(kind == 1)
    pos = rng.integers(0, 17, mist.size)
    r = raw[mist].copy()
    r[np.arange(mist.size), pos] = (r[np.arange(mist.size), pos] - 48 + rng.integers(
        1, 10, mist.size)) % 10 + 48  # fmt: skip
    text[mist] = as_text(r)
    low = np.flatnonzero(kind == 2)
    text[low] = np.char.lower(clean_ids[low]).astype(object)
    old = np.flatnonzero(kind == 3)
    text[old] = as_text(np.concatenate([raw[old, :6], raw[old, 8:17]], axis=1)).astype(object)
    invalid = int((text != clean_ids.astype(object))[np.isin(kind, (0, 1))].sum())
    household = person // 3
    hh_text = pd.Series(household).astype(str).radd("H").to_numpy(dtype=object)
    village = pd.Series(household // 100).astype(str).radd("V").to_numpy(dtype=object)
    account = pd.Series(6_228_000_000_000_000 + person).astype(str).to_numpy(dtype=object)
    base = np.array([AMOUNT[p] for p in PROGRAMMES], dtype=float)[prog]
    event = np.isin(prog, [PROGRAMMES.index(p) for p in EVENT])
    amount = np.where(event, rng.integers(3, 10, rows) * 100.0, base)
    paid = np.datetime64("2023-01-01") + rng.integers(0, 365, rows).astype("timedelta64[D]")
    pd.DataFrame(
        {
            "id_number": text, "name": names[name_code[person]],
            "programme": np.array(PROGRAMMES, dtype=object)[prog], "amount": amount,
            "paid_on": paid.astype("datetime64[ns]"), "household_id": hh_text,
            "village": village, "account": account,
        }
    ).to_parquet(folder / "payments.parquet", index=False)  # fmt: skip
    del text, hh_text, village, account, raw
    total = 5 * n
    records = 0
    planted_ids, planted_hh = {}, {}
    for reg, share in REGISTRY_SHARE.items():
        size = int(round(total * share))
        hits = planted[reg]
        near = rng.choice(np.setdiff1d(beneficiaries, chosen), int(0.02 * size), replace=False)
        if reg == "staff":
            near = near[:0]
        outsiders = pop + rng.permutation(total)[: size - hits.size - near.size]
        who = np.concatenate([outsiders, near, hits])
        group = np.repeat([0, 1, 2], [outsiders.size, near.size, hits.size])
        order = rng.permutation(who.size)
        who, group = who[order], group[order]
        table = {"id_number": as_text(id_bytes(who)[0]), "name": names[name_code[who]]}
        if reg == "death":
            day = np.datetime64("2015-01-01") + rng.integers(0, 3000, who.size).astype(
                "timedelta64[D]")  # fmt: skip
            day[group == 1] = np.datetime64("2024-03-01")
            day[group == 2] = np.datetime64("2022-12-15")
            table["died_on"] = day.astype("datetime64[ns]")
        elif reg in REGISTRY_VALUES:
            col, (lo, hi), below, above = REGISTRY_VALUES[reg]
            value = np.round(rng.uniform(lo, hi, who.size), 1)
            value[group == 1], value[group == 2] = below, above
            table[col] = value
        pd.DataFrame(table).to_parquet(folder / f"{reg}.parquet", index=False)
        records += who.size
        planted_ids[reg] = as_text(id_bytes(hits)[0]).astype(object)
        planted_hh[reg] = pd.Series(hits // 3).astype(str).radd("H").to_numpy(dtype=object)
    counts = {k: int((kind == i).sum()) for i, k in enumerate(DIRTY_KINDS)}
    return Truth(rows, records, invalid, counts["digits15"], planted_ids, planted_hh, counts)


def read(folder: Path) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    payments = pd.read_parquet(folder / "payments.parquet")
    return payments, {k: pd.read_parquet(folder / f"{k}.parquet") for k in REGISTRY_SHARE}


# ------------------------------------------------------------------------------------
# stage timers
# ------------------------------------------------------------------------------------
STAGES = {
    # stage: (module, attribute) wrapped; times add up over calls
    "standardise": [(audit_module, "standard_beneficiaries"), (audit_module, "standard_registry"),
                    (audit_module, "duplicate_counts")],
    "parse_ids": [(audit_module, "parse_ids"), (linkage_module, "parse_ids"),
                  (persons_module, "parse_ids")],
    "person_keys": [(audit_module, "person_keys")],
    "registry_links": [(audit_module, "registry_links")],
    "rl_features": [(linkage_module, "features")],
    "rl_model": [(linkage_module, "fellegi_sunter")],
    "leads": [(audit_module, "check_hits"), (audit_module, "aggregate")],
    "summary": [(audit_module, "summarise")],
}  # fmt: skip


#: Stages called by the audit itself (not nested in another stage): their memory peak is kept.
TOP_LEVEL = {"standardise", "person_keys", "registry_links", "rules", "leads", "summary"}


class StageTimer:
    """Wraps the functions of :data:`STAGES` (the attributes the audit looks up at call time)
    and each rule's check; ``times`` are seconds per stage, inclusive, summed over calls;
    ``peak_kb`` the resident-memory high-water mark (kB) during the top-level stages."""

    def __init__(self) -> None:
        self.times: dict[str, float] = defaultdict(float)
        self.peak_kb: dict[str, int] = {}  # top-level stages: resident high-water mark
        self.active: list[str] = []  # the stages running now, outermost first
        self.saved: list[tuple[object, str, object]] = []

    def _wrap(self, stage: str, fn):
        top = stage in TOP_LEVEL

        def timed(*args, **kwargs):
            if top:
                _reset_peak_rss()
            self.active.append(stage)
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.active.pop()
                self.times[stage] += time.perf_counter() - t0
                if top:
                    kb = _status_kb("VmHWM") or 0
                    self.peak_kb[stage] = max(self.peak_kb.get(stage, 0), kb)

        return timed

    def __enter__(self) -> StageTimer:
        for stage, targets in STAGES.items():
            for module, attr in targets:
                if hasattr(module, attr):
                    fn = getattr(module, attr)
                    self.saved.append((module, attr, fn))
                    setattr(module, attr, self._wrap(stage, fn))
        return self

    def __exit__(self, *exc) -> None:
        for module, attr, fn in reversed(self.saved):
            setattr(module, attr, fn)
        self.saved.clear()

    def rules(self) -> list[mpi.auditing.Rule]:
        chosen = mpi.auditing.default_rules()
        chosen = list(chosen.values()) if isinstance(chosen, dict) else list(chosen)
        return [dataclasses.replace(r, check=self._wrap("rules", r.check)) for r in chosen]


class Watchdog:
    """Stops the process (exit status 3) when its resident memory exceeds ``max_rss_gb`` or an
    audit runs longer than ``timeout`` seconds, printing the stages running and the time spent
    in each so far: the shared machine is not swapped to death, and a run too big to finish
    still says where its time and memory go."""

    def __init__(
        self, max_rss_gb: float, timeout: float, on_stop=None, cleanup: Path | None = None
    ) -> None:
        self.max_kb, self.timeout, self.on_stop = max_rss_gb * 2**20, timeout, on_stop
        self.cleanup = cleanup
        self.timer: StageTimer | None = None
        self.label = "generating the data"
        self.started = time.perf_counter()
        threading.Thread(target=self._watch, daemon=True).start()

    def start(self, timer: StageTimer, label: str) -> None:
        self.timer, self.started, self.label = timer, time.perf_counter(), label

    def _watch(self) -> None:
        while True:
            time.sleep(1.0)
            rss = _status_kb("VmRSS") or 0
            spent = time.perf_counter() - self.started
            over_time = self.timer is not None and spent > self.timeout
            if rss > self.max_kb or over_time:
                t = self.timer
                why = (f"resident memory {rss / 2**20:.1f} GB > {self.max_kb / 2**20:.1f} GB"
                       if rss > self.max_kb else f"audit running {spent:.0f} s > {self.timeout:.0f} s")  # fmt: skip
                spent_s = {k: round(v, 1) for k, v in (t.times if t else {}).items()}
                peak_mb = {k: round(v / 1024) for k, v in (t.peak_kb if t else {}).items()}
                message = (
                    f"STOPPED ({self.label}): {why}; running: "
                    f"{' > '.join(t.active) if t else '(data)'}; "
                    f"seconds so far by stage: {spent_s}; resident high-water mark by stage, "
                    f"MB: {peak_mb}"
                )
                print(message, flush=True)
                if self.on_stop is not None:
                    self.on_stop(message)
                if self.cleanup is not None:
                    shutil.rmtree(self.cleanup, ignore_errors=True)  # os._exit skips it
                os._exit(3)


# ------------------------------------------------------------------------------------
# checks
# ------------------------------------------------------------------------------------
def check(result, truth: Truth) -> dict:
    """The checks of the module docstring; returns the recall and the other leads per rule."""
    a = result.to_dataset().attrs
    fail = []
    not_checkable = sum(v for k, v in a.items() if k.startswith("not_checkable_"))
    if a["n_rows"] != truth.rows or a["n_checked"] + not_checkable != a["n_rows"]:
        fail.append(f"rows: {a['n_rows']} given, {a['n_checked']} checked, {not_checkable} not")
    if a["ids_invalid"] != truth.invalid:
        fail.append(f"invalid numbers: {a['ids_invalid']}, planted {truth.invalid}")
    if a["ids_repaired"] != truth.repaired:
        fail.append(f"repaired numbers: {a['ids_repaired']}, planted {truth.repaired}")
    for table, c in result.linkage.iterrows():
        if c["linked_by_id"] + c["linked_by_record_linkage"] + c["not_linked"] != c["left_rows"]:
            fail.append(f"linkage counts of {table} do not add up: {dict(c)}")
    leads = result.leads
    out = {}
    for reg, ids in truth.planted.items():
        rule = RULE_OF[reg]
        mine = leads[leads["rule"] == rule]
        found = np.isin(ids, mine["id_number"].to_numpy(dtype=object))
        if not found.all():
            fail.append(f"{rule}: {int((~found).sum())} of {ids.size} planted hits not found, "
                        f"e.g. {ids[~found][:3].tolist()}")  # fmt: skip
        expected = (np.isin(mine["household_id"].to_numpy(dtype=object), truth.planted_households[reg])
                    if reg == "property" else np.isin(mine["id_number"].to_numpy(dtype=object), ids))  # fmt: skip
        out[rule] = (int(found.sum()), ids.size, int((~expected).sum()))
    if fail:
        raise SystemExit("audit benchmark check failed:\n  " + "\n  ".join(fail))
    return out


# ------------------------------------------------------------------------------------
# benchmark
# ------------------------------------------------------------------------------------
def bench(n: int, repeat: int, data_dir: Path, log, dog: Watchdog | None = None) -> dict:
    folder = data_dir / f"audit_{n}"
    folder.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    truth = generate(n, folder)
    row: dict = {"n": n, "gen": time.perf_counter() - t0, "rows": truth.rows,
                 "records": truth.records, "dirty": truth.dirty}  # fmt: skip
    gc.collect()
    t_read, t_sum = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        payments, registries = read(folder)
        t_read.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        payments.groupby("programme")["amount"].sum()
        t_sum.append(time.perf_counter() - t0)
        if _ < repeat - 1:
            del payments, registries
            gc.collect()
    row["read"], row["groupby"] = min(t_read), min(t_sum)
    row["input_bytes"] = int(payments.memory_usage(deep=True).sum()) + sum(
        int(t.memory_usage(deep=True).sum()) for t in registries.values())  # fmt: skip
    times, stages, peak, result = [], None, None, None
    for i in range(repeat):
        result = None
        gc.collect()
        tracked = i == 0 and _reset_peak_rss()
        base = _status_kb("VmRSS") if tracked else None
        with StageTimer() as timer, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if dog is not None:
                dog.start(timer, f"n = {n:.0e} per list: {truth.rows:,} payments, "
                                 f"{truth.records:,} records")  # fmt: skip
            t0 = time.perf_counter()
            result = mpi.audit(payments, registries, timer.rules(), progress=False)
            times.append(time.perf_counter() - t0)
        if tracked and base is not None:
            hwm = max([_status_kb("VmHWM") or base, *timer.peak_kb.values()])
            peak = (hwm - base) * 1024
            row["stage_peak"] = {k: (v - base) * 1024 for k, v in timer.peak_kb.items()}
        if times[-1] == min(times):
            stages = dict(timer.times)
    row["audit"], row["stages"], row["rss"] = min(times), stages, peak
    row["found"] = check(result, truth)
    a = result.to_dataset().attrs
    row["leads"], row["ids_invalid"], row["self_linked"] = (
        a["n_leads"], a["ids_invalid"], a["ids_self_linked"])  # fmt: skip
    row["by_rule"] = result.leads["rule"].value_counts().to_dict()
    lk = result.linkage
    row["rl_linked"] = int(lk["linked_by_record_linkage"].sum())
    row["candidates"] = int(lk["candidate_pairs"].sum()) if "candidate_pairs" in lk else 0
    s = row["stages"]
    log(
        f"n={n:.0e}/list ({truth.rows:,} payments, {truth.records:,} records; generated in "
        f"{row['gen']:.1f} s): read {row['read']:.2f} + groupby {row['groupby']:.3f}  audit "
        f"{row['audit']:.1f} s [" + ", ".join(f"{k} {v:.1f}" for k, v in s.items()) + "]  "
        f"peak RSS {_per(peak, truth.rows + truth.records)} B/row  leads {row['leads']:,}"
    )
    log(
        "  peak extra RSS by stage, MB: "
        + ", ".join(f"{k} {v / 2**20:.0f}" for k, v in row.get("stage_peak", {}).items())
    )
    shutil.rmtree(folder, ignore_errors=True)
    return row


def _per(nbytes: float | None, n: int) -> str:
    return "–" if nbytes is None else f"{max(nbytes, 0) / n:.0f}"


def render(rows: list[dict], meta: str) -> str:
    cols = ["standardise", "parse_ids", "person_keys", "registry_links", "rl_features",
            "rl_model", "rules", "leads", "summary"]  # fmt: skip
    head = (
        "| n per list | payments | registry records | read parquet | groupby sum | mpi.audit | "
        "audit ÷ (read + groupby) | " + " | ".join(cols) + " | peak extra RSS, B/row | "
        "input in memory, B/row | leads | planted hits found | other leads of the registry "
        "rules |\n|---|" + "---:|" * (len(cols) + 12)
    )
    lines = [meta, "", head]
    for r in rows:
        s, n_in = r["stages"], r["rows"] + r["records"]
        found = sum(f[0] for f in r["found"].values())
        total = sum(f[1] for f in r["found"].values())
        other = sum(f[2] for f in r["found"].values())
        lines.append(
            f"| {r['n']:.0e} | {r['rows']:,} | {r['records']:,} | {r['read']:.2f} | "
            f"{r['groupby']:.3f} | {r['audit']:.1f} | {r['audit'] / (r['read'] + r['groupby']):.0f} | "
            + " | ".join(f"{s.get(c, 0.0):.1f}" for c in cols)
            + f" | {_per(r['rss'], n_in)} | {_per(r['input_bytes'], n_in)} | {r['leads']:,} | "
            f"{found} / {total} | {other:,} |"
        )
    last = rows[-1]
    lines += [
        "",
        "Stages are inclusive and overlap: parse_ids runs inside standardise (duplicate "
        "counts), person_keys and registry_links; rl_features (names to pinyin, birth dates, "
        "regions) and rl_model (splink: u sampling, EM, scoring) run inside person_keys and "
        "registry_links.",
        f"At n = {last['n']:.0e}: dirty numbers {last['dirty']}, invalid after cleaning "
        f"{last['ids_invalid']:,}, self-linked {last['self_linked']:,}; record-linkage links to "
        f"the registries {last['rl_linked']:,} (candidate pairs {last['candidates']:,}); "
        f"leads by rule {last['by_rule']}.",
        "Checks passed: every row checked, invalid and repaired numbers equal to the planted "
        "ones, linkage counts add up, every planted hit a lead of its rule.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--sizes", nargs="+", type=float, default=[1e4, 1e5, 1e6],
                   help="beneficiaries per list (12 lists; registries 5 x this)")  # fmt: skip
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--check", action="store_true", help="smoke test: run, check, no file")
    p.add_argument("--out", type=Path, default=None)
    p.add_argument("--data-dir", type=Path, default=None, help="where the parquet files go")
    p.add_argument("--max-load", type=float, default=0.5, help="wait for this load average")
    p.add_argument("--max-wait", type=float, default=600.0, help="seconds to wait at most")
    p.add_argument("--max-rss-gb", type=float, default=12.0, help="stop above this memory")
    p.add_argument("--timeout", type=float, default=1200.0, help="stop an audit after (s)")
    args = p.parse_args(argv)
    if args.repeat < 1 or min(args.sizes) < 500:
        p.error("sizes must be >= 500 and repeat >= 1")
    load = os.getloadavg()[0]
    if not args.check:
        load = wait_for_quiet(args.max_load, args.max_wait)
    with tempfile.TemporaryDirectory(dir=args.data_dir) as tmp:
        t0 = time.perf_counter()
        if not args.check:
            bench(500, 1, Path(tmp), lambda s: None)  # warm-up: imports, DuckDB, splink
        warm = time.perf_counter() - t0
        out = (
            args.out
            if args.out is not None
            else (None if args.check else ROOT / "audit_results.md")
        )
        rows: list[dict] = []

        def write(stopped: str = "") -> None:
            meta = (
                f"Results ({_dt.datetime.now(_dt.UTC):%Y-%m-%d %H:%M} UTC; seconds, best of "
                f"{args.repeat} after a {warm:.1f} s warm-up; {cpu_model()}, {os.cpu_count()} "
                f"cores, load {load:.2f} before, {os.getloadavg()[0]:.2f} after; Python "
                f"{platform.python_version()}, pandas {pd.__version__}; xmpi {source_version()})"
            )
            text = render(rows, meta) if rows else meta + "\n"
            if stopped:
                text += f"\nNext size not finished. {stopped}\n"
            print(text, flush=True)
            if out is not None:
                out.write_text(text)

        dog = Watchdog(args.max_rss_gb, args.timeout, on_stop=write, cleanup=Path(tmp))
        log = functools.partial(print, flush=True)
        for n in sorted(args.sizes):
            rows.append(bench(int(n), args.repeat, Path(tmp), log, dog))
        write()
    return 0


if __name__ == "__main__":
    sys.exit(main())
