"""A new user's first hour: `make run` on the bundled data, as the README's first command, in a data dir of
its own; what it prints, where the Dagster home goes, and `mdw checks` read through a pipe."""

import os
import re
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest
from conftest import REPO

pytestmark = pytest.mark.e2e
MDW = Path(sys.executable).parent / "mdw"


def _env(data: Path, **extra) -> dict:
    """The user's environment: only MDW_DATA_DIR set (no DAGSTER_HOME, the bundled ticker history)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "MDW_TICKER_CSV_LOCATION", "MDW_DATA_DIR")}
    return {**env, "MDW_DATA_DIR": str(data), **extra}


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    data = tmp_path_factory.mktemp("elsewhere") / "data"
    repo_home = REPO / "data" / "dagster_home"
    before = sorted(p.name for p in repo_home.iterdir()) if repo_home.exists() else None
    done = subprocess.run(["make", "--no-print-directory", "-s", "run"], cwd=REPO, env=_env(data),
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    after = sorted(p.name for p in repo_home.iterdir()) if repo_home.exists() else None
    return data, done.stdout, (before, after)


def test_make_run_keeps_the_dagster_home_under_the_data_dir(first_run):
    data, _, (before, after) = first_run
    home = data / "dagster_home"
    assert "enabled: false" in (home / "dagster.yaml").read_text()
    assert before == after  # the repo's own Dagster home was not created nor written
    with dg.DagsterInstance.from_config(str(home)) as inst:
        runs = inst.get_runs()
        assert len(runs) == 3 and all(r.status == dg.DagsterRunStatus.SUCCESS for r in runs)
        assert inst.nux_enabled is False  # no "Join the Dagster community" dialog in the UI


def test_make_run_shows_ticker_session_changes_from_the_bundled_history(first_run):
    data, stdout, _ = first_run
    assert re.search(r"│ tickers +│ ticker_csv +│ +504 │ +1,858 │ 2004-01-02 │ 2005-12-30 │", stdout)
    assert re.search(r"│ 2005-02-28 │ ticker_csv │ AAPL +│ +-49.59 │ +\+0.82 │ +\+0.82 │ split 2:1 \(reference: Apple", stdout)
    change = subprocess.run(
        [str(MDW), "sql", "--csv", "select prev_session, price, prev_price, round(change_pct, 2) as pct, "
         "round(split_adjusted_change_pct, 2) as adjusted from ticker_daily_change "
         "where source = 'ticker_csv' and symbol = 'AAPL' and session = '2005-02-28'"],
        env=_env(data), capture_output=True, text=True, check=True)
    # Apple's 2:1 split on unadjusted closes: -49.59% as published, +0.82% with the recorded split applied
    assert change.stdout.splitlines()[1] == "2005-02-25,44.86,88.99,-49.59,0.82"
    jumps = subprocess.run([str(MDW), "checks", "--csv", "--source", "ticker_csv", "--check", "jumps"],
                           env=_env(data), capture_output=True, text=True, check=True)
    assert ",AAPL," not in jumps.stdout  # the split explains the move: no jump
    assert (data / "warehouse" / "charts" / "ticker_csv-ticker-history.png").stat().st_size > 10_000


def test_make_run_ends_with_what_to_try_next(first_run):
    _, stdout, _ = first_run
    tail = stdout[stdout.index("Next"):]
    assert "make ui" in tail and "http://127.0.0.1:3000" in tail
    assert "make sql" in tail and "select " in tail and "make backfill" in tail


def test_checks_through_a_pipe_keep_whole_columns_and_published_precision(first_run):
    data, _, _ = first_run
    shown = subprocess.run([str(MDW), "checks", "--source", "page"], env=_env(data), capture_output=True, text=True)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    header = next(line for line in lines if "date" in line and "detail" in line)
    for column in ("check_name", "severity", "subject", "observed", "expected"):
        assert f" {column} " in header
    sll = next(line for line in lines if " SLL " in line)
    assert "23966.772" in sll and "23966.771999999997" not in sll and "withdrawn 2022-07-01" in sll
    assert "[0.00035, 0.00045)" in shown.stdout
    assert lines[-1].startswith(tuple("0123456789")) and "finding(s)" in lines[-1]  # its own line, on stdout
    assert shown.stderr == ""


def test_the_cli_derives_the_dagster_home_from_the_data_dir(tmp_path):
    data = tmp_path / "data"
    done = subprocess.run([str(MDW), "backfill", "--from", "2024-11-28", "--to", "2024-11-28", "--source", "page",
                           "--no-models"], env=_env(data), capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    with dg.DagsterInstance.from_config(str(data / "dagster_home")) as inst:
        assert len(inst.get_runs()) == 1
    explicit = tmp_path / "home"
    done = subprocess.run([str(MDW), "backfill", "--from", "2024-11-28", "--to", "2024-11-28", "--source", "page",
                           "--no-models", "--force"], env=_env(data, DAGSTER_HOME=str(explicit)),
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    with dg.DagsterInstance.from_config(str(explicit)) as inst:
        assert len(inst.get_runs()) == 1  # a DAGSTER_HOME set by the user wins


def test_unknown_check_filters_exit_2_naming_the_valid_ones(tmp_path):
    for option, value, valid in (("--source", "nosuchsource", "ecb, boe, boc, rba"),
                                 ("--check", "nosuchcheck", "completeness"), ("--severity", "fatal", "WARN, ERROR")):
        done = subprocess.run([str(MDW), "checks", option, value], env=_env(tmp_path / "data"), capture_output=True, text=True)
        assert done.returncode == 2 and value in done.stderr and valid in done.stderr and done.stdout == ""
