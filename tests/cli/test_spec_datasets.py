"""``mpi spec template|check`` and ``mpi datasets list|describe|export``."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from cli_helpers import invoke

import mpi
from mpi.cli.cmd_spec import template_text
from mpi.io import read


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_template_reads_as_the_global_mpi_and_measures_the_bundled_survey(tmp_path, lang):
    path = tmp_path / "my_spec.yml"
    result = invoke("spec", "template", path, "--lang", lang)
    assert result.exit_code == 0, result.output
    body = path.read_text(encoding="utf-8")
    assert body == template_text(lang)
    comments = [line for line in body.splitlines() if line.startswith("#")]
    assert len(comments) >= 20  # every key explained
    if lang == "zh":
        assert "贫困临界值" in body
    spec = mpi.Spec.from_yaml(path)
    preset = mpi.presets.global_mpi_2018()
    assert spec == preset
    survey = mpi.datasets.load("mpi_survey")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mpi.MissingDataWarning)
        got = mpi.measure(survey, spec, weight="weight").to_dataset()
        want = mpi.measure(survey, preset, weight="weight").to_dataset()
    for name in ("H", "A", "M0", "M1", "M2"):
        assert abs(float(got[name]) - float(want[name])) < 1e-12
    assert 0 < float(got["M0"]) < 1


def test_template_prints_without_a_path_and_refuses_to_overwrite(tmp_path):
    printed = invoke("spec", "template")
    assert printed.exit_code == 0 and printed.stdout == template_text("en")
    path = tmp_path / "s.yml"
    path.write_text("keep me", encoding="utf-8")
    refused = invoke("spec", "template", path)
    assert refused.exit_code == 2
    assert refused.stderr.startswith("mpi: error: ") and "--force" in refused.stderr
    assert path.read_text(encoding="utf-8") == "keep me"
    assert invoke("spec", "template", path, "--force").exit_code == 0
    assert mpi.Spec.from_yaml(path) == mpi.presets.global_mpi_2018()


def test_check_a_preset_lists_every_indicator():
    result = invoke("spec", "check", "global_mpi_2018")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Spec global_mpi_2018: 10 indicators in 3 dimensions, k = 1/3")
    assert len(lines) == 1 + 1 + 10 + 1  # header, column names, indicators, verdict
    assert lines[-1] == "The spec is valid."
    row = next(line for line in lines if line.startswith("living_standards  assets"))
    assert row.split() == ["living_standards", "assets", "assets", "1/18", "<", "2"]
    zh = invoke("spec", "check", "china_2b3g", "--lang", "zh")
    assert "指标体系有效。" in zh.stdout and "剥夺规则" in zh.stdout


@pytest.mark.parametrize("fmt", ["csv", "dta", "sav"])
def test_check_against_data_encodes_every_indicator(latest_files, fmt):
    result = invoke("spec", "check", "global_mpi_2018", latest_files[fmt])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == (
        f"Every indicator's variable is in latest.{fmt} with a usable type (3,000 rows)."
    )
    # value-labelled Stata/SPSS codes of the 'in' rules are read as their categories
    cooking = next(line for line in result.stdout.splitlines() if "cooking_fuel" in line)
    assert cooking.split()[-1] == "OK"


def test_check_lists_every_problem_then_fails(tmp_path, latest):
    broken = latest.drop(columns=["assets"]).assign(electricity="yes")
    path = tmp_path / "broken.csv"
    broken.to_csv(path, index=False)
    result = invoke("spec", "check", "global_mpi_2018", path)
    assert result.exit_code == 2
    rows = {line.split()[1]: line for line in result.stdout.splitlines()[2:]}
    assert rows["assets"].endswith("NOT IN DATA")
    assert rows["electricity"].endswith("UNUSABLE TYPE")
    assert rows["nutrition"].endswith("OK")
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("mpi: error: 2 of 10 indicators cannot be measured")
    assert "'assets' is not in DATA" in result.stderr


def test_check_a_panel_dataset(tmp_path, registry_panel):
    path = tmp_path / "panel.zarr"
    pytest.importorskip("zarr")
    mpi.io.write(registry_panel, path)
    result = invoke("spec", "check", "china_2b3g", path)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1].endswith("(unit 5,000, time 8).")


def test_datasets_list_and_describe():
    listed = invoke("datasets", "list")
    assert listed.exit_code == 0
    names = [line.split()[0] for line in listed.stdout.splitlines()]
    assert names == mpi.datasets.list()
    assert "a synthetic household survey" in listed.stdout
    card = invoke("datasets", "describe", "dhs_rounds")
    assert card.exit_code == 0 and card.stdout == mpi.datasets.describe("dhs_rounds") + "\n"
    unknown = invoke("datasets", "describe", "nope")
    assert unknown.exit_code == 2 and unknown.stderr.startswith("mpi: error: unknown dataset")


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_export_a_survey_round_trips(tmp_path, dhs_rounds, fmt):
    result = invoke("datasets", "export", "dhs_rounds", tmp_path / "out", "--format", fmt)
    assert result.exit_code == 0, result.output
    path = tmp_path / "out" / f"dhs_rounds.{fmt}"
    assert result.stdout == f"{path}: 6,000 rows, 37 columns\n"
    back = read(path)
    assert list(back.columns) == list(dhs_rounds.columns)
    for col in ("weight", "undernourished", "max_schooling"):
        np.testing.assert_array_equal(back[col].to_numpy(float), dhs_rounds[col].to_numpy(float))
    assert back["region"].astype(str).tolist() == dhs_rounds["region"].astype(str).tolist()


def test_export_a_panel_long_one_row_per_unit_and_wave(tmp_path, registry_panel):
    result = invoke("datasets", "export", "registry_panel", tmp_path)
    assert result.exit_code == 0, result.output
    long = pd.read_csv(tmp_path / "registry_panel.csv")
    n_units, n_waves = registry_panel.sizes["unit"], registry_panel.sizes["time"]
    assert len(long) == n_units * n_waves
    assert not long.duplicated(["unit", "time"]).any()
    wide = long.set_index(["unit", "time"])["income_per_capita"].to_xarray()
    xr.testing.assert_equal(
        wide.reset_coords(drop=True).astype(float),
        registry_panel["income_per_capita"].reset_coords(drop=True).astype(float),
    )


def test_export_tables_of_a_multi_table_dataset(tmp_path):
    result = invoke("datasets", "export", "campus_card", tmp_path, "--format", "parquet")
    assert result.exit_code == 0, result.output
    tables = mpi.datasets.load("campus_card")
    for name, frame in tables.items():
        back = read(tmp_path / f"campus_card_{name}.parquet")
        assert back.shape == frame.shape


def test_export_refuses_a_panel_format_for_a_table(tmp_path):
    result = invoke("datasets", "export", "dhs_rounds", tmp_path, "--format", "zarr")
    assert result.exit_code == 2
    assert result.stderr == (
        "mpi: error: --format zarr writes panels (unit x time); 'dhs_rounds' is not a panel: "
        "use one of csv, parquet, dta, sav, xlsx\n"
    )
    assert list(tmp_path.iterdir()) == []
