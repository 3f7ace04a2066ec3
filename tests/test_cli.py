"""The mdw command line: parse, sql, and a real backfill in a subprocess."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import BUNDLED_PAGE
from typer.testing import CliRunner

from dagster_project.cli import app

runner = CliRunner()


def test_parse_prints_the_page_rows_as_json_lines():
    result = runner.invoke(app, ["parse", str(BUNDLED_PAGE)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    rates = [r for r in rows if r["dataset"] == "rates"]
    tickers = [r for r in rows if r["dataset"] == "tickers"]
    assert len(rates) == 168 and {r["base"] for r in rates} == {"EUR"}
    assert len(tickers) == 16 and tickers[0]["session"] == "2024-11-27"
    assert set(rates[0]) == {"dataset", "source", "date", "captured_at", "base", "currency", "rate", "rate_text", "raw_file", "line"}


def test_parse_bad_input_exits_2_with_one_line(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("Title\nno marker here\n")
    result = runner.invoke(app, ["parse", str(bad)])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"{bad}: no base marker line like 'EUR -' before the rates block"


def test_sql_on_the_warehouse(data_dir):
    import datetime as dt

    from dagster_project import pipeline

    pipeline.land_input(data_dir, BUNDLED_PAGE.read_bytes(), name=BUNDLED_PAGE.name)
    pipeline.parse_partitions(data_dir, "page", [dt.date(2024, 11, 28)])
    result = runner.invoke(app, ["sql", "--csv", "select count(*) as n from fx_rates where source='page'"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["n", "168"]  # marts not built yet: computed on demand from the SQL
    bad = runner.invoke(app, ["sql", "select * from no_such_table"])
    assert bad.exit_code == 2 and "no_such_table" in bad.stderr


@pytest.mark.e2e
def test_backfill_then_rerun_changes_nothing(tmp_path):
    mdw = Path(sys.executable).parent / "mdw"
    if not mdw.exists():
        pytest.skip("console script not installed")
    env = {**os.environ, "MDW_DATA_DIR": str(tmp_path / "data"), "DAGSTER_HOME": str(tmp_path / "home")}
    cmd = [str(mdw), "backfill", "--from", "2024-11-25", "--to", "2024-11-29", "--source", "ecb", "--source", "page"]
    first = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert first.returncode == 0, first.stderr[-2000:]
    assert "fx_rates" in first.stdout and "168" in first.stdout
    snapshot = {p: p.read_bytes() for p in (tmp_path / "data" / "warehouse").rglob("*.parquet") if not {"marts", "reference"} & set(p.parts)}
    data_files = [p for p in snapshot if not {"dq_findings", "closed"} & set(p.parts)]
    assert len(data_files) == 1 + 2  # one month file of ECB rates, the page's month of rates and of tickers
    # November 2024 is closed: a file per source of rates, and one per mart keeping closed periods (with rows)
    assert len([p for p in snapshot if "closed" in p.parts]) == 2 + 4
    assert "Data-quality findings" in first.stdout and "defunct_codes" in first.stdout
    second = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert second.returncode == 0, second.stderr[-2000:]
    again = {p: p.read_bytes() for p in (tmp_path / "data" / "warehouse").rglob("*.parquet") if not {"marts", "reference"} & set(p.parts)}
    assert again == snapshot
    assert len(list((tmp_path / "data" / "raw").rglob("*.zip"))) == 1
    query = subprocess.run([str(mdw), "sql", "--csv", "select rate from fx_cross_rates where source='ecb' and "
                            "date='2024-11-28' and base='USD' and quote='JPY'"], env=env, capture_output=True, text=True, cwd=tmp_path)
    assert query.returncode == 0 and abs(float(query.stdout.splitlines()[1]) - 159.89 / 1.0542) < 1e-9


def _ecb_day(path: Path, day: str, rates: dict[str, str]) -> Path:
    cubes = "".join(f"<Cube currency='{c}' rate='{r}'/>" for c, r in rates.items())
    path.write_text("<?xml version='1.0' encoding='UTF-8'?>\n<gesmes:Envelope xmlns:gesmes='http://www.gesmes.org/xml/2002-08-01' "
                    "xmlns='http://www.ecb.int/vocabulary/2002-08-01/eurofxref'><gesmes:subject>Reference rates</gesmes:subject>"
                    f"<Cube><Cube time='{day}'>{cubes}</Cube></Cube></gesmes:Envelope>\n")
    return path


def test_a_blocked_ingest_says_why_in_one_line_then_quarantine_retracts_the_file(data_dir, tmp_path, monkeypatch):
    import polars as pl
    from conftest import FIXTURES

    monkeypatch.setenv("MDW_ECB_LOCATION", "")  # only the files ingested here, not the bundled history
    good = FIXTURES / "ecb" / "eurofxref-daily-2024-11-28.xml"
    assert runner.invoke(app, ["ingest", str(good)]).exit_code == 0
    bad = _ecb_day(tmp_path / "truncated.xml", "2024-11-29", {"USD": "1.0560", "JPY": "158.5", "GBP": "0.8320"})
    blocked = runner.invoke(app, ["ingest", str(bad)])
    assert blocked.exit_code == 1
    failure = [line for line in blocked.stderr.splitlines() if "failed" in line]
    assert failure == ["run 'ecb 2024-11-29..2024-11-29 + models' failed: blocking check ecb_rates.partition_structure: "
                       "ecb 2024-11-29 partition: 3 rates quoted, against 30 on 2024-11-28: most are missing. "
                       "Findings: mdw checks --check partition_structure --source ecb --date 2024-11-29"]
    assert "Traceback" not in blocked.stderr and "Stack Trace" not in blocked.stderr

    raw = next((data_dir / "raw" / "ecb" / "date=2024-11-29").iterdir())
    assert runner.invoke(app, ["quarantine", str(raw.relative_to(data_dir))]).exit_code == 2  # --reason is required
    outside = runner.invoke(app, ["quarantine", str(bad), "--reason", "x"])
    assert outside.exit_code == 2 and "not a file of the raw layer" in outside.stderr
    done = runner.invoke(app, ["quarantine", str(raw.relative_to(data_dir)), "--reason", "a truncated download"])
    assert done.exit_code == 0, done.output
    kept = data_dir / "quarantine" / "ecb" / "date=2024-11-29" / raw.name
    assert kept.read_bytes() == bad.read_bytes() and not raw.exists()  # moved, never deleted
    record = json.loads(kept.with_name(kept.name + ".reason.json").read_text())
    assert record["reason"] == "a truncated download" and record["raw_file"] == f"raw/ecb/date=2024-11-29/{raw.name}"
    rates = pl.read_parquet(next((data_dir / "warehouse" / "rates" / "source=ecb").rglob("*.parquet")))
    assert sorted(set(rates["date"].cast(str))) == ["2024-11-28"]  # the month re-materialized without it
    findings = runner.invoke(app, ["checks", "--csv", "--check", "partition_structure"])
    assert findings.stdout.splitlines()[1:] == []  # the blocking finding went with the file
    again = runner.invoke(app, ["ingest", str(bad)])
    assert again.exit_code == 2 and "quarantined on" in again.stderr and "a truncated download" in again.stderr
