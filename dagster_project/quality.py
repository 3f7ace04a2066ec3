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

@dataclass(frozen=True)
class Check:
    name: str
    description: str
    rules: tuple  # each: a SQL file name (sql/checks/<name>.sql) or a Python rule function
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


CHECKS = {c.name: c for c in [
    Check("partition_structure", "Blocking: a partition that is empty, or holds under half the codes of the source's "
          "previous publication, is structurally broken; the models leave it out.",
          ("partition_structure", empty_partitions), blocking=True),
    Check("quarantined_lines", "Lines the parser read but kept out of the data (not a number, <= 0, NaN, comma "
          "decimal, a code twice with different values), with file, line and reason.", ("quarantined_lines",)),
    Check("valid_values", "Stored rates and prices are finite and > 0, each code once per snapshot, and every code "
          "is ISO 4217 or a known market or defunct code.", ("valid_values", unknown_codes)),
    Check("precision", "A rate with too few significant digits to carry a price (XAU 0.0004: +/-12.5%), with the "
          "implied metal price and its range.", ("precision",)),
    Check("metal_units", "Precious metals quoted in troy ounces per base unit instead of currency per troy ounce, "
          "with the implied price per ounce.", ("metal_units",)),
    Check("defunct_codes", "Codes quoted after their withdrawal date (date-aware), the stale value against "
          "successor x ratio.", ("defunct_codes",)),
    Check("peg_deviation", "Pegged, banded and par currencies against their anchor (cross-rate), with a tolerance "
          "and a validity period per peg (data/reference/pegs.csv).", ("peg_deviation",)),
    Check("stale_values", "A value unchanged over many publications while the source's other currencies moved "
          "(pegs to the source's base excepted).", ("stale_values",)),
    Check("jumps", "A day-over-day move far outside the series' own recent volatility (median-absolute-change "
          "based, robust).", ("jumps",)),
    Check("completeness", "Codes quoted on the previous publication day missing today; publication days of the "
          "source's calendar with no data.", ("completeness", calendar_gaps)),
    Check("ticker_change_consistency", "The published percent change against change / previous close at the "
          "published precision.", ("ticker_change_consistency",)),
    Check("non_session_capture", "A ticker snapshot captured on a day that is not a session of its exchange.",
          (non_session_capture,)),
    Check("ohlc", "A session's open and close between its low and high, and a volume >= 0, where the export has them.",
          ("ohlc",)),
    Check("corporate_actions", "Splits and dividends stated twice or with different values, ex-dates off the exchange's "
          "sessions, a recorded split the closes do not show, a split-like move with no recorded split.",
          ("corporate_actions",)),
    Check("source_disagreement", "Two sources on the same date more than the threshold apart (per 1 EUR).",
          ("source_disagreement",), min_sources=2),
    Check("source_consensus", "Frankfurter's consensus rule: where three or more sources quote a currency on a date, "
          "a quote more than max(10 x MAD, 5% of the median) from their median (per 1 EUR).", ("source_consensus",),
          min_sources=int(thresholds()["source_consensus"]["min_sources"])),
    Check("freshness", "The newest partition of each source against its publication calendar.", (freshness,),
          whole_warehouse=True),
]}

# The checks of each parsed dataset; quarantined_lines goes on the first parsed asset of a source (its
# rejected lines are per input, not per dataset).
DATASET_CHECKS = {
    "rates": ("partition_structure", "valid_values", "precision", "metal_units", "defunct_codes", "peg_deviation",
              "stale_values", "jumps", "completeness"),
    "tickers": ("partition_structure", "valid_values", "ticker_change_consistency", "non_session_capture", "jumps", "ohlc",
                "corporate_actions"),
}
MART_CHECKS = {"fx_rates": ("rates", ("source_disagreement", "source_consensus", "freshness")),
               "ticker_quotes": ("tickers", ("freshness",))}


def _asset_checks() -> dict[str, tuple[str, str | None, tuple[str, ...]]]:
    out: dict[str, tuple[str, str | None, tuple[str, ...]]] = {}
    for source in sources.SOURCES.values():
        for k, dataset in enumerate(source.datasets):
            checks = DATASET_CHECKS[dataset]
            if k == 0:
                checks = (checks[0], "quarantined_lines", *checks[1:])
            out[f"{source.name}_{dataset}"] = (dataset, source.name, checks)
    return {**out, **{mart: (dataset, None, checks) for mart, (dataset, checks) in MART_CHECKS.items()}}


# asset -> (dataset, source or None for a check across sources, checks): every parsed asset of the registry
ASSET_CHECKS = _asset_checks()
RATE_CHECKS = ASSET_CHECKS["ecb_rates"][2]

