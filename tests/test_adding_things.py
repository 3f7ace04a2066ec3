"""Each thing is declared once: in a temporary copy of the project, a source is one adapter file plus one registry
entry (and its recording), a mart is one SQL file, a check is one SQL file plus its threshold row. The copy then
loads, runs and checks them with nothing else edited: no list of sources, marts or checks anywhere else."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

pytestmark = pytest.mark.e2e

ADAPTER = '''"""A demo source: a CSV of ``date,currency,rate`` (units of currency per 1 EUR)."""

import csv
import datetime as dt
import io

from dagster_project.adapters._text import decode
from dagster_project.rows import TICKER_SCHEMA, ParseError, Snapshot, empty, rates_frame, utc

SOURCE = "demo"


def parse(data: bytes, *, captured_at: dt.datetime, file: str | None = None) -> Snapshot:
    rows = list(csv.reader(io.StringIO(decode(data, file))))
    if not rows or rows[0] != ["date", "currency", "rate"]:
        raise ParseError("not a demo CSV", file=file, line=1)
    body = rows[1:]
    rates, rejects = rates_frame(SOURCE, utc(captured_at), "EUR", [dt.date.fromisoformat(r[0]) for r in body],
                                 [r[1] for r in body], [r[2] for r in body], list(range(2, len(body) + 2)))
    return Snapshot(SOURCE, utc(captured_at), rates, empty(TICKER_SCHEMA), rejects)


def looks_like(suffix: str, head: bytes) -> bool:
    return head.startswith(b"date,currency,rate")
'''

ENTRY = '''    Source("demo", demo, ("rates",), "Demo CSV files as dropped, never modified.", feed="history", cron="0 18 * * 1-5",
           timezone="UTC", calendar="weekdays", publish_time="17:00", priority=50, location="demo"),
'''

MART = """-- Every source's rates per 1 USD: units of `currency` per 1 USD, through the source's own USD quote.
-- grain: date, source, currency
-- time key: date
-- subject: currency
-- dataset: rates
-- column rate: units of `currency` per 1 USD
with quotes as (
    select * from fx_rates
),
usd as (
    select date, source, rate as usd_per_base from quotes where currency = 'USD'
)
select q.date, q.source, q.currency, q.rate / u.usd_per_base as rate
from quotes as q
join usd as u using (date, source)
where q.currency <> 'USD'
"""

CHECK = """-- check: A rate above max_rate units per 1 base (a demo of a check declared in one file).
-- judges: rates
select
    'WARN' as severity,
    date,
    source,
    currency as subject,
    rate as observed,
    $max_rate::double as expected,
    format('{} {} is above {}', currency, rate_text, $max_rate) as detail
from stg_rates_daily
where source = $source and date between $start and $end and rate > $max_rate
"""

PROBE = """
import json
from dagster_project import quality, sources, sqlmodels
from dagster_project.definitions import defs
from dagster_project.defs.models.assets import models_for
import dagster as dg
graph = defs.resolve_asset_graph()
keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
checks = {(k.asset_key.to_user_string(), k.name) for k in graph.asset_check_keys}
print(json.dumps({
    "assets": sorted(k for k in keys if "demo" in k or k == "fx_usd_rates"),
    "deps": sorted(k.to_user_string() for k in graph.get(dg.AssetKey("fx_usd_rates")).parent_keys),
    "checks": sorted(c for c in checks if "demo" in c[0] or c[1] == "demo_rate_cap"),
    "job": defs.resolve_job_def("demo_job").name,
    "schedule": defs.resolve_schedule_def("demo_daily").cron_schedule,
    "models": models_for(["rates"]),
    "cli": "demo" in sources.NAMES,
}))
"""


def _tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts}


def _copy_project(target: Path) -> None:
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=REPO, capture_output=True, text=True,
                            check=True).stdout.split()
    for name in listed:
        source = REPO / name
        if source.is_file() and not name.startswith(("tests/", "docs/", "bench/")):
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def test_a_source_a_mart_and_a_check_each_take_one_place(tmp_path):
    copy = tmp_path / "project"
    _copy_project(copy)
    before = _tree(copy)

    # a source: its adapter module, its registry entry (import and entry in sources.py), its recording
    (copy / "dagster_project/adapters/demo.py").write_text(ADAPTER)
    registry = copy / "dagster_project/sources.py"
    text = registry.read_text()
    assert "    ecb,\n" in text and '    Source("page", page,' in text
    registry.write_text(text.replace("    ecb,\n", "    demo,\n    ecb,\n", 1)
                        .replace('    Source("page", page,', ENTRY + '    Source("page", page,', 1))
    (copy / "data/bundled/demo").mkdir()
    (copy / "data/bundled/demo/20241128T170000Z.csv").write_text(
        "date,currency,rate\n2024-11-27,USD,1.0552\n2024-11-27,JPY,160.66\n2024-11-28,USD,1.0542\n2024-11-28,JPY,160.33\n")
    # a mart: one SQL file
    (copy / "sql/marts/fx_usd_rates.sql").write_text(MART)
    # a check: one SQL file and its threshold row
    (copy / "sql/checks/demo_rate_cap.sql").write_text(CHECK)
    with open(copy / "data/reference/check_thresholds.csv", "a") as fh:
        fh.write("demo_rate_cap,max_rate,100,a demo threshold: rates above 100 units per 1 base are reported\n")

    after = _tree(copy)
    changed = sorted(k for k in after if before.get(k) != after[k])
    assert changed == ["dagster_project/adapters/demo.py", "dagster_project/sources.py", "data/bundled/demo/20241128T170000Z.csv",
                       "data/reference/check_thresholds.csv", "sql/checks/demo_rate_cap.sql", "sql/marts/fx_usd_rates.sql"]

    data = tmp_path / "data"
    env = {**os.environ, "PYTHONPATH": str(copy), "MDW_DATA_DIR": str(data), "DAGSTER_HOME": str(data / "dagster_home")}
    env.pop("MDW_DEMO_LOCATION", None)  # the registry's default: the bundled recording
    probe = subprocess.run([sys.executable, "-c", PROBE], cwd=copy, env=env, capture_output=True, text=True, timeout=300)
    assert probe.returncode == 0, probe.stderr[-3000:]
    found = json.loads(probe.stdout.strip().splitlines()[-1])
    assert found["assets"] == ["demo_rates", "fx_usd_rates", "raw_demo"]
    assert found["deps"] == ["fx_rates"]
    checks = {tuple(c) for c in found["checks"]}
    assert ("demo_rates", "demo_rate_cap") in checks and ("demo_rates", "partition_structure") in checks
    assert ("ecb_rates", "demo_rate_cap") in checks  # a new rates check judges every rates source
    assert found["job"] == "demo_job" and found["schedule"] == "0 18 * * 1-5" and found["cli"]
    assert "fx_usd_rates" in found["models"]

    mdw = [sys.executable, "-m", "dagster_project.cli"]
    run = subprocess.run([*mdw, "backfill", "--from", "2024-11-01", "--to", "2024-11-30", "--source", "demo"], cwd=copy, env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    rows = subprocess.run([*mdw, "sql", "--csv", "select date, currency, round(rate, 4) as rate from fx_usd_rates "
                           "where source = 'demo' order by all"], cwd=copy, env=env, capture_output=True, text=True, timeout=120)
    assert rows.returncode == 0, rows.stderr[-2000:]
    assert rows.stdout.splitlines() == ["date,currency,rate", "2024-11-27,JPY,152.2555", "2024-11-28,JPY,152.0869"]
    found = subprocess.run([*mdw, "sql", "--csv", "select date, subject from dq_findings where check_name = 'demo_rate_cap' "
                            "order by all"], cwd=copy, env=env, capture_output=True, text=True, timeout=120)
    assert found.stdout.splitlines() == ["date,subject", "2024-11-27,JPY", "2024-11-28,JPY"], found.stderr[-2000:]
    described = subprocess.run([*mdw, "sql", "--describe", "fx_usd_rates"], cwd=copy, env=env, capture_output=True,
                               text=True, timeout=120)
    assert "units of `currency` per 1 USD" in described.stdout
