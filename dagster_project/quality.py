"""Data-quality rules: what each check looks for, evaluated in DuckDB over the warehouse.

Each check is one SQL file under ``sql/checks/`` (and, where SQL is the wrong tool, a small pure Python
function), with its reference data under ``data/reference/`` and its thresholds in
``data/reference/check_thresholds.csv``. A check returns *findings*, rows of

    check_name, severity, date, source, subject, observed, expected, detail, asset, dataset, scope

``severity`` is WARN or ERROR; ``subject`` is the currency code, ticker symbol or ``partition`` the finding
is about; ``observed`` / ``expected`` are the numbers compared (rates are units of the currency per 1 base
unless the detail says otherwise). Findings are stored as Parquet beside the data they judge
(``warehouse/dq_findings/source=…/month=…/<asset>.<check>.parquet``, the date inside), so re-checking a
month replaces its findings, and the view ``dq_findings`` reads them all.

Evaluating checks over the warehouse and storing their findings is ``dagster_project.checking``'s job;
storing findings is ``dagster_project.findings``'s.

Partition checks judge one source's months and run with the parsed assets; mart checks judge the months of
a run across sources (source disagreement); freshness judges the whole warehouse as of now. Each reads
only the Parquet files of the months it judges and the history its rules look back on.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import duckdb
import polars as pl

from dagster_project import landing, sessions, sources
from dagster_project.findings import FINDING_SCHEMA
from dagster_project.settings import REPO

REFERENCE = REPO / "data" / "reference"
CHECK_SQL = REPO / "sql" / "checks"
_RULE_COLUMNS = ["severity", "date", "source", "subject", "observed", "expected", "detail"]

@lru_cache(maxsize=1)
def thresholds() -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    with open(REFERENCE / "check_thresholds.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            out.setdefault(row["check_name"], {})[row["parameter"]] = float(row["value"])
    return out


@lru_cache(maxsize=1)
def accepted_findings() -> dict[str, list[dict]]:
    """Findings reviewed once and accepted (a known feature of a series), by check."""
    out: dict[str, list[dict]] = {}
    with open(REFERENCE / "accepted_findings.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            row["first_date"] = dt.date.fromisoformat(row["first_date"])
            row["last_date"] = dt.date.fromisoformat(row["last_date"])
            out.setdefault(row["check_name"], []).append(row)
    return out


@dataclass
class Scope:
    """What one evaluation judges: one source's partitions from ``start`` to ``end`` (partition checks),
    or the whole warehouse as of ``now`` (warehouse checks)."""

    data_dir: Path
    asset: str
    dataset: str                 # rates | tickers
    source: str | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    # freshness: when each source's schedule was turned on (sources absent are not scheduled: not judged);
    # None judges every source from its newest partition (a library caller with no orchestrator)
    scheduled_since: dict[str, dt.datetime] | None = None


# ---------------------------------------------------------------------------------------------- rules

_PARAM = re.compile(r"\$([a-z_]+)")


def run_sql(con: duckdb.DuckDBPyConnection, name: str, scope: Scope, check_name: str) -> pl.DataFrame:
    """Run ``sql/checks/<name>.sql`` with its parameters bound (scope and thresholds, never spliced in)."""
    sql = (CHECK_SQL / f"{name}.sql").read_text()
    values = {"source": scope.source, "start": scope.start, "end": scope.end, "dataset": scope.dataset,
              **thresholds().get(check_name, {})}
    wanted = set(_PARAM.findall(sql))
    missing = wanted - values.keys()
    if missing:
        raise KeyError(f"sql/checks/{name}.sql needs {sorted(missing)}: add them to data/reference/check_thresholds.csv")
    frame = con.execute(sql, {k: values[k] for k in wanted}).pl()
    return frame.select(_RULE_COLUMNS) if frame.height else _empty_rule_frame()


def _empty_rule_frame() -> pl.DataFrame:
    return pl.DataFrame(schema={k: FINDING_SCHEMA[k] for k in _RULE_COLUMNS})


def _rows(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={k: FINDING_SCHEMA[k] for k in _RULE_COLUMNS}) if rows else _empty_rule_frame()


@dataclass(frozen=True)
class Check:
    name: str
    description: str
    rules: tuple  # each: a SQL file name (sql/checks/<name>.sql) or a Python rule function
    judges: tuple[str, ...] = ()  # the parsed datasets (rates, tickers), inputs, or marts (fx_rates) it judges
    blocking: bool = False
    whole_warehouse: bool = False  # judged on every month as of now, whatever months the run covers
    min_sources: int = 0  # a check across sources: with fewer sources quoting in the judged months, nothing to find

    def evaluate(self, con: duckdb.DuckDBPyConnection, scope: Scope) -> tuple[pl.DataFrame, int]:
        """The findings, and how many were left out as reviewed and accepted (data/reference/accepted_findings.csv)."""
        parts = [run_sql(con, r, scope, self.name) if isinstance(r, str) else r(con, scope) for r in self.rules]
        frame = pl.concat(parts) if parts else _empty_rule_frame()
        found = frame.height
        for waiver in accepted_findings().get(self.name, []):
            frame = frame.filter(~((pl.col("source") == waiver["source"]) & (pl.col("subject") == waiver["subject"])
                                   & pl.col("date").is_between(waiver["first_date"], waiver["last_date"])))
        return frame.with_columns(
            pl.lit(self.name).alias("check_name"), pl.lit(scope.asset).alias("asset"),
            pl.lit(scope.dataset).alias("dataset"),
            pl.lit("warehouse" if self.whole_warehouse or scope.source is None else "partition").alias("scope"),
        ).select(list(FINDING_SCHEMA)).sort("date", "subject", "severity"), found - frame.height


# Python rules, registered by name: a SQL check names the ones it runs with (``-- with: unknown_codes``), and a check
# written in Python alone is declared on its function (``python_check``). Either way, one declaration per check.
_RULES: dict[str, Callable] = {}
_PYTHON_CHECKS: dict[str, dict] = {}


def rule(fn: Callable) -> Callable:
    """A Python rule that a SQL check runs beside its SQL (``-- with: <name>`` in the check's header)."""
    _RULES[fn.__name__] = fn
    return fn


def python_check(description: str, *, judges: tuple[str, ...], whole_warehouse: bool = False) -> Callable:
    """A check written in Python alone, named for its function: what it looks for, and what it judges (parsed
    datasets, ``rates`` / ``tickers``, or marts)."""
    def register(fn: Callable) -> Callable:
        _PYTHON_CHECKS[fn.__name__] = {"description": description, "rules": (fn,), "judges": judges,
                                       "whole_warehouse": whole_warehouse}
        return fn
    return register


@rule
def unknown_codes(con: duckdb.DuckDBPyConnection, scope: Scope) -> pl.DataFrame:
    """Codes that are neither ISO 4217 (iso4217 package) nor a known market or defunct code (rates only): those
    the ``currencies`` relation does not publish."""
    if scope.dataset != "rates":
        return _empty_rule_frame()
    unknown = con.execute(
        "select r.date, r.currency, any_value(r.rate_text) from stg_rates_daily as r anti join currencies as k "
        "on k.code = r.currency where r.source = $source and r.date between $start and $end group by all order by 1, 2",
        {"source": scope.source, "start": scope.start, "end": scope.end}).fetchall()
    return _rows([{"severity": "WARN", "date": day, "source": scope.source, "subject": code, "observed": None,
                   "expected": None, "detail": f"{code} {text} is not an ISO 4217 code, nor a known market or defunct code"}
                  for day, code, text in unknown])


@rule
def empty_partitions(con: duckdb.DuckDBPyConnection, scope: Scope) -> pl.DataFrame:
    """Dates with a landed single-date snapshot that parsed to no rows at all."""
    covered: dict[dt.date, str] = {}  # single-date snapshots only: a history file has no rows on holidays
    singles = landing.single_snapshots(scope.data_dir, scope.source, set(_dates(scope)))
    for day in _dates(scope):
        for item in singles[day]:
            covered.setdefault(day, item.rel(scope.data_dir))
    if not covered:
        return _empty_rule_frame()
    relation = ("select distinct date from stg_rates_daily where source = $source" if scope.dataset == "rates"
                else "select distinct captured_date from stg_ticker_sessions where source = $source")
    with_rows = {r[0] for r in con.execute(relation, {"source": scope.source}).fetchall()}
    return _rows([{"severity": "ERROR", "date": day, "source": scope.source, "subject": "partition", "observed": 0.0,
                   "expected": None, "detail": f"{raw_file} covers {day} but no {scope.dataset} could be read from it"}
                  for day, raw_file in sorted(covered.items()) if day not in with_rows])


@rule
def calendar_gaps(con: duckdb.DuckDBPyConnection, scope: Scope) -> pl.DataFrame:
    """Publication days of the source's calendar with no data, when the source has data before and after them (the
    days before a source's first quote are not missing: its history starts there)."""
    calendar = sources.calendar_of(scope.source, scope.dataset)
    if calendar is None or calendar == "daily":
        return _empty_rule_frame()
    oldest, newest = con.execute("select min(date), max(date) from stg_rates_daily where source = $source",
                                 {"source": scope.source}).fetchone()
    if newest is None:
        return _empty_rule_frame()
    have = {r[0] for r in con.execute(
        "select distinct date from stg_rates_daily where source = $source and date between $start and $end",
        {"source": scope.source, "start": scope.start, "end": scope.end}).fetchall()}
    days = sessions.publication_days(calendar, max(scope.start, oldest), min(scope.end, newest))
    return _rows([{"severity": "WARN", "date": day, "source": scope.source, "subject": "partition", "observed": 0.0,
                   "expected": None, "detail": f"{day} is a {calendar} publication day but {scope.source} has no rates for it"}
                  for day in days if day not in have])


@python_check("A ticker snapshot captured on a day that is not a session of its exchange.", judges=("tickers",))
def non_session_capture(con: duckdb.DuckDBPyConnection, scope: Scope) -> pl.DataFrame:
    """Ticker snapshots captured on a day that is not a session of their exchange: they repeat an older session."""
    captures = con.execute(
        "select captured_date, exchange, max(session), any_value(raw_file), count(*) from stg_tickers "
        "where source = $source and captured_date between $start and $end group by captured_date, exchange order by 1",
        {"source": scope.source, "start": scope.start, "end": scope.end}).fetchall()
    rows = []
    for day, exchange, session, raw_file, n in captures:
        if not sessions.is_session(exchange, day):
            rows.append({"severity": "WARN", "date": day, "source": scope.source, "subject": exchange, "observed": None,
                         "expected": None,
                         "detail": f"{raw_file} captured on {day}, not a {exchange} session: its {n} quotes repeat the {session} session"})
    return _rows(rows)


@python_check("The newest partition of each source against its publication calendar.", judges=("fx_rates", "ticker_quotes"),
              whole_warehouse=True)
def freshness(con: duckdb.DuckDBPyConnection, scope: Scope) -> pl.DataFrame:
    """Each scheduled source's newest partition against the publications its calendar says should exist by now.

    Only sources with a running schedule are judged, and only on publications due since the schedule was
    turned on: a one-off snapshot (the bundled page) or a history loaded by hand is not "late"."""
    grace = int(thresholds().get("freshness", {}).get("grace_publications", 1))
    rows = []
    relation, key = ("fx_rates", "date") if scope.dataset == "rates" else ("ticker_quotes", "session")
    newest = dict(con.execute(f"select source, max({key}) from {relation} group by source").fetchall())
    for src in sources.publications():
        if src["dataset"] != scope.dataset or src["source"] not in newest:
            continue
        since = None if scope.scheduled_since is None else scope.scheduled_since.get(src["source"])
        if scope.scheduled_since is not None and since is None:
            continue  # not scheduled
        last = newest[src["source"]]
        due = sessions.due_publications(src["calendar"], src["timezone"], src["publish_time"], last, scope.now)
        if since is not None:
            due = [d for d in due if d >= since.astimezone(dt.UTC).date()]
        if len(due) > grace:
            scheduled = f"; scheduled since {since:%Y-%m-%d %H:%M} UTC" if since else ""
            rows.append({"severity": "WARN", "date": due[-1], "source": src["source"], "subject": "newest partition",
                         "observed": float(len(due)), "expected": float(grace),
                         "detail": f"newest {scope.dataset} {key} is {last}; the {src['calendar']} calendar has {len(due)} "
                                   f"publication(s) due since ({due[0]}..{due[-1]}, {src['publish_time']} {src['timezone']})"
                                   + scheduled})
    return _rows(rows)


def _dates(scope: Scope) -> list[dt.date]:
    return sessions.days_between(scope.start, scope.end)


# ------------------------------------------------------------------------------------------- registry

_HEADER = re.compile(r"^--\s*(check|judges|blocking|min sources|with):\s*(.+)$")


def _sql_check(path: Path) -> Check:
    """A check declared by its SQL file's header: ``-- check:`` what it looks for (required), ``-- judges:`` the
    parsed datasets (``rates``, ``tickers``), ``inputs`` (a source's raw inputs: its first parsed asset) or marts
    (``fx_rates``) it judges, optionally ``-- blocking: yes``, ``-- min sources: 2`` (or ``threshold``: the
    check's ``min_sources`` row), ``-- with:`` the Python rules it runs beside its SQL. Its parameters are its rows
    of data/reference/check_thresholds.csv."""
    header: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if not line.startswith("--"):
            break
        if m := _HEADER.match(line):
            header[m.group(1)] = m.group(2).strip()
    missing = {"check", "judges"} - set(header)
    if missing:
        raise ValueError(f"sql/checks/{path.name}: its header lacks {', '.join(f'-- {k}: …' for k in sorted(missing))}")
    name = path.stem
    unknown = [r for r in header.get("with", "").replace(",", " ").split() if r not in _RULES]
    if unknown:
        raise ValueError(f"sql/checks/{path.name}: '-- with: {', '.join(unknown)}' names no Python rule (known: {', '.join(sorted(_RULES))})")
    at_least = header.get("min sources", "0")
    return Check(name, header["check"], (name, *(_RULES[r] for r in header.get("with", "").replace(",", " ").split())),
                 judges=tuple(j.strip() for j in header["judges"].split(",")),
                 blocking=header.get("blocking", "no").lower() in ("yes", "true"),
                 min_sources=int(thresholds()[name]["min_sources"]) if at_least == "threshold" else int(at_least))


def _checks() -> dict[str, Check]:
    found = [_sql_check(p) for p in sorted(CHECK_SQL.glob("*.sql"))]
    found += [Check(name, **spec) for name, spec in sorted(_PYTHON_CHECKS.items())]
    clash = {c.name for c in found if [d.name for d in found].count(c.name) > 1}
    if clash:
        raise ValueError(f"checks declared twice (a SQL file and a Python function): {sorted(clash)}")
    return {c.name: c for c in sorted(found, key=lambda c: (not c.blocking, c.name))}  # blocking checks first


CHECKS = _checks()


def _mart_dataset(mart: str) -> str:
    """A mart's dataset, from its SQL header (``-- dataset: rates``)."""
    m = re.search(r"^--\s*dataset:\s*(\w+)", (REPO / "sql" / "marts" / f"{mart}.sql").read_text(), re.MULTILINE)
    if m is None:
        raise ValueError(f"sql/marts/{mart}.sql: no '-- dataset:' line, which the checks judging it need")
    return m.group(1)


# The checks of each parsed dataset, and of each mart some check judges: all from the checks' own declarations.
# ``inputs`` checks (quarantined_lines) go on the first parsed asset of a source: its rejected lines are per input.
DATASET_CHECKS = {dataset: tuple(n for n, c in CHECKS.items() if dataset in c.judges) for dataset in ("rates", "tickers")}
INPUT_CHECKS = tuple(n for n, c in CHECKS.items() if "inputs" in c.judges)
MART_CHECKS = {mart: (_mart_dataset(mart), tuple(n for n, c in CHECKS.items() if mart in c.judges))
               for mart in sorted({j for c in CHECKS.values() for j in c.judges} - {"rates", "tickers", "inputs"})}


def _asset_checks() -> dict[str, tuple[str, str | None, tuple[str, ...]]]:
    out: dict[str, tuple[str, str | None, tuple[str, ...]]] = {}
    for source in sources.SOURCES.values():
        for k, dataset in enumerate(source.datasets):
            checks = DATASET_CHECKS[dataset]
            if k == 0:
                checks = (*checks[:1], *INPUT_CHECKS, *checks[1:])
            out[f"{source.name}_{dataset}"] = (dataset, source.name, checks)
    return {**out, **{mart: (dataset, None, checks) for mart, (dataset, checks) in MART_CHECKS.items()}}


# asset -> (dataset, source or None for a check across sources, checks): every parsed asset of the registry
ASSET_CHECKS = _asset_checks()
RATE_CHECKS = ASSET_CHECKS["ecb_rates"][2]

