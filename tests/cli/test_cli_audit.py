"""``mpi audit``: payments and registries from files in, the leads and a report out, the same
leads as :func:`mpi.audit`; user errors in one line, exit code 2."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from cli_helpers import invoke

import mpi
from mpi.cli.cmd_audit import column_maps, id_text, parse_pairs

KINDS = ("death", "vehicle", "staff")


@pytest.fixture(scope="module")
def county() -> dict[str, pd.DataFrame]:
    """Five villages of the bundled county and three registries."""
    data = mpi.datasets.load("benefit_audit")
    pay = data["beneficiaries"]
    villages = sorted(pay["village"].dropna().unique())[:5]
    return {"beneficiaries": pay[pay["village"].isin(villages)], **{k: data[k] for k in KINDS}}


@pytest.fixture(scope="module")
def files(county, tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("audit_files")
    suffix = {"beneficiaries": "csv", "death": "parquet", "vehicle": "dta", "staff": "xlsx"}
    return {k: mpi.io.write(county[k], folder / f"{k}.{suffix[k]}") for k in suffix}


@pytest.fixture(scope="module")
def python_leads(county) -> pd.DataFrame:
    registries = {k: county[k] for k in KINDS}
    return mpi.audit(county["beneficiaries"], registries, progress=False).leads


def _registries(files: dict[str, Path]) -> list[str]:
    return [a for k in KINDS for a in ("--registry", f"{k}={files[k]}")]


def test_same_leads_as_the_python_api(files, python_leads, tmp_path):
    out = tmp_path / "out"
    result = invoke("audit", files["beneficiaries"], *_registries(files), "--out", out)
    assert result.exit_code == 0, result.stderr
    for name in ("report.html", "report.xlsx", "leads.csv", "tables/audit_leads.csv",
                 "charts/audit_chart.png"):  # fmt: skip
        assert (out / name).is_file(), name
    leads = pd.read_csv(out / "leads.csv", dtype={"id_number": str, "household_id": str})
    assert len(leads) == len(python_leads) > 0
    assert leads["id_number"].tolist() == python_leads["id_number"].tolist()
    assert leads["rule"].tolist() == python_leads["rule"].tolist()
    assert leads["amount_at_risk"].sum() == pytest.approx(
        python_leads["amount_at_risk"].sum(), abs=1e-9
    )
    book = openpyxl.load_workbook(out / "report.xlsx", read_only=True)
    rows = [r for r in book["Leads"].iter_rows(min_row=3, values_only=True) if any(r)]
    book.close()
    assert len(rows) == len(python_leads)
    assert f"{len(python_leads):,} leads" in result.stdout
    assert str(out / "leads.csv") in result.stdout
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "Benefit-list audit of beneficiaries.csv" in page


def test_rules_columns_threshold_and_chinese(county, files, tmp_path):
    renamed = county["beneficiaries"].rename(columns={"id_number": "sfzh", "paid_on": "ffrq"})
    path = mpi.io.write(renamed, tmp_path / "payments.parquet")
    death = county["death"].rename(columns={"died_on": "swrq"})
    death_path = mpi.io.write(death, tmp_path / "death.csv")
    out = tmp_path / "zh"
    result = invoke(
        "audit", path, "--registry", f"death={death_path}", "--column", "id_number=sfzh",
        "--column", "paid_on=ffrq", "--column", "death.died_on=swrq",
        "--rules", "paid_after_death,duplicate_in_period", "--threshold", "0.95",
        "--lang", "zh", "--no-progress", "--out", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    want = mpi.audit(
        county["beneficiaries"], {"death": county["death"]},
        ["paid_after_death", "duplicate_in_period"], threshold=0.95, progress=False,
    ).leads  # fmt: skip
    leads = pd.read_csv(out / "leads.csv", dtype={"id_number": str})
    assert len(leads) == len(want)
    assert set(leads["rule"]) == set(want["rule"]) <= {"paid_after_death", "duplicate_in_period"}
    assert "疑点线索" in result.stdout
    assert "惠民资金名单审计" in (out / "report.html").read_text(encoding="utf-8")


def _one_error(result, starts: str) -> str:
    assert result.exit_code == 2, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("mpi: error: ")]
    assert len(errors) == 1 and "Traceback" not in result.stderr, result.stderr
    assert errors[0].startswith("mpi: error: " + starts), errors[0]
    return errors[0]


@pytest.mark.parametrize(
    ("args", "starts"),
    [
        (["--registry", "death"], "--registry 'death' is not NAME=VALUE"),
        (["--rules", "paid_after_dead"], "--rules: paid_after_dead is not a rule"),
        (["--column", "idno=sfzh"], "--column idno=sfzh: 'idno' is not a column"),
        (["--column", "tax.annual_income=x"], "--column tax.annual_income=x: 'tax' is not a"),
        (["--column", "name=xingming"], "beneficiaries has no column 'xingming'"),
    ],
)
def test_errors_are_one_line(files, tmp_path, args, starts):
    out = tmp_path / "out"
    result = invoke("audit", files["beneficiaries"], *args, "--out", out)
    _one_error(result, starts)
    assert not out.exists()


def test_missing_file_and_registry_kind(files, tmp_path):
    result = invoke("audit", tmp_path / "none.csv", "--out", tmp_path / "out")
    _one_error(result, f"path '{tmp_path / 'none.csv'}' does not exist")
    result = invoke(
        "audit", files["beneficiaries"], "--registry", f"deaths={files['death']}",
        "--rules", "paid_after_death", "--out", tmp_path / "out",
    )  # fmt: skip
    _one_error(result, "registries has the kind 'deaths', which no rule uses")
    assert not (tmp_path / "out").exists()


def test_pairs_and_column_maps():
    assert parse_pairs([" death = a.csv", "tax=b.dta"], "--registry", "x=y") == [
        ("death", "a.csv"), ("tax", "b.dta"),
    ]  # fmt: skip
    with pytest.raises(mpi.ValidationError, match="--registry gives death more than once"):
        parse_pairs(["death=a", "death=b"], "--registry", "x=y")
    std, reg = column_maps([("id_number", "sfzh"), ("death.died_on", "swrq")], ["death"])
    assert std == {"id_number": "sfzh"} and reg == {"death": {"died_on": "swrq"}}


def test_id_numbers_read_as_numbers():
    ints = pd.DataFrame({"id_number": [420102195001011238, 420102196205052343]})
    out = id_text(ints, "id_number", "BENEFICIARIES")
    assert out["id_number"].tolist() == ["420102195001011238", "420102196205052343"]
    assert ints["id_number"].dtype == "int64"  # input not mutated
    old = pd.DataFrame({"id_number": [420102500101123.0, None]})  # 15-digit numbers fit
    assert id_text(old, "id_number", "x")["id_number"].tolist() == ["420102500101123", None]
    lossy = pd.DataFrame({"id_number": [4.201021950010112e17, None]})
    with pytest.raises(mpi.ValidationError, match="cannot hold 18-digit identity numbers"):
        id_text(lossy, "id_number", "BENEFICIARIES")
    text = pd.DataFrame({"id_number": ["42010219500101123X"]})
    assert id_text(text, "id_number", "x") is text


def test_coded_programmes_read_as_their_labels(county, tmp_path):
    pay = county["beneficiaries"]
    path = mpi.io.write(pay.assign(programme=pay["programme"].astype("category")),
                        tmp_path / "payments.dta")  # fmt: skip
    assert mpi.io.read(path, value_labels="codes")["programme"].dtype.kind in "iuf"
    death = mpi.io.write(county["death"], tmp_path / "death.sav")
    out = tmp_path / "out"
    result = invoke("audit", path, "--registry", f"death={death}", "--out", out)
    assert result.exit_code == 0, result.stderr
    want = mpi.audit(pay, {"death": county["death"]}, progress=False).leads
    leads = pd.read_csv(out / "leads.csv", dtype={"id_number": str})
    assert len(leads) == len(want) > 0
    assert leads["programme"].tolist() == want["programme"].tolist()
    assert set(leads["programme"]) <= set(pay["programme"])
