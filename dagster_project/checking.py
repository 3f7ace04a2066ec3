"""Running checks: the rules of ``dagster_project.quality`` evaluated over the warehouse's DuckDB views
(``dagster_project.sqlmodels``), their findings stored (``dagster_project.findings``).

Checks of months read only those months' files and the history the rules look back on, with the judged
source's rows pinned in memory once; checks of the whole warehouse (freshness) judge each source's newest data,
so they read each source's newest month, found by a listing.
"""

from __future__ import annotations

import datetime as dt
import functools
import inspect
import re
import time
from dataclasses import dataclass

import duckdb
import polars as pl

from dagster_project import findings, lake, sqlmodels, storage
from dagster_project.quality import CHECK_SQL, CHECKS, Check, Scope, thresholds


@dataclass
class Outcome:
    check: Check
    findings: pl.DataFrame
    seconds: float
    accepted: int = 0
    error: str | None = None

    @property
    def severity(self) -> str | None:
        if self.error or (self.findings.height and (self.findings["severity"] == "ERROR").any()):
            return "ERROR"
        return "WARN" if self.findings.height else None


@functools.cache
def reads_of(check: Check) -> frozenset[str]:
    """The relations a check reads: what DuckDB's parse of its SQL says, and the relations its Python rules name in
    their SQL (their source, matched against the catalog's relation names)."""
    names = {*sqlmodels.STAGING, *sqlmodels.MARTS, *sqlmodels.VIEWS, *sqlmodels.MACROS}
    out: set[str] = set()
    for rule in check.rules:
        if isinstance(rule, str):
            out |= sqlmodels.relations_read((CHECK_SQL / f"{rule}.sql").read_text())
        else:
            out |= {n for n in names if re.search(rf"\b{n}\b", inspect.getsource(rule))}
    return frozenset(out)


def run_checks(scope: Scope, names: list[str] | tuple[str, ...]) -> list[Outcome]:
    """Evaluate ``names`` over ``scope`` in an in-memory DuckDB, store their findings, return the outcomes.

    Checks of months read only those months' files and the history the rules look back on; checks of the
    whole warehouse read everything. A check that cannot be evaluated (a partition that cannot be read, say)
    is an ERROR outcome with the reason; its stored findings are left as they were.
    """
    outcomes = []
    if scope.source is None and scope.start is not None:  # checks across sources: fewer sources, nothing to find
        quoting = _sources_with_data(scope)
        for name in [n for n in names if CHECKS[n].min_sources > len(quoting)]:
            started = time.perf_counter()
            empty = pl.DataFrame(schema=findings.FINDING_SCHEMA)
            findings.store(scope.data_dir, scope.asset, name, empty, start=scope.start, end=scope.end)  # clears old ones
            outcomes.append(Outcome(CHECKS[name], empty, time.perf_counter() - started))
        names_left = [n for n in names if n not in {o.check.name for o in outcomes}]
    else:
        names_left = list(names)
    groups = [[n for n in names_left if not CHECKS[n].whole_warehouse], [n for n in names_left if CHECKS[n].whole_warehouse]]
    for whole, group in enumerate(groups):
        if not group:
            continue
        windowed = not whole and scope.start is not None
        con = sqlmodels.connect(scope.data_dir, months=_read_months(scope) if windowed else _newest_months(scope) or None,
                                reads=set().union(*(reads_of(CHECKS[n]) for n in group)))
        try:
            if windowed and scope.source is not None and _worth_pinning(scope):
                _pin_parsed(con, scope)
            for name in group:
                check = CHECKS[name]
                started = time.perf_counter()
                try:
                    frame, accepted = check.evaluate(con, scope)
                except duckdb.Error as exc:
                    outcomes.append(Outcome(check, pl.DataFrame(schema=findings.FINDING_SCHEMA), time.perf_counter() - started,
                                            error=f"{type(exc).__name__}: {exc}".splitlines()[0]))
                    continue
                whole_range = CHECKS[name].whole_warehouse or scope.start is None
                findings.store(scope.data_dir, scope.asset, name, frame, source=scope.source,
                               start=None if whole_range else scope.start, end=None if whole_range else scope.end)
                outcomes.append(Outcome(check, frame, time.perf_counter() - started, accepted))
        finally:
            con.close()
    return sorted(outcomes, key=lambda o: list(names).index(o.check.name))


def _sources_with_data(scope: Scope) -> set[str]:
    """The sources with a partition of the scope's dataset in its months (a glob, no read)."""
    root = scope.data_dir / "warehouse" / scope.dataset
    files = storage.files_of_months(root, storage.months_between(scope.start, scope.end), "source=*/month=*/*.parquet")
    return {p.parent.parent.name.removeprefix("source=") for p in files}


def _newest_months(scope: Scope) -> list[dt.date]:
    """Each source's newest month of the scope's dataset (a listing, no read): what a check of the warehouse as of now
    reads, whatever the length of the history."""
    return sorted({months[-1] for months in storage.source_months(scope.data_dir / "warehouse" / scope.dataset).values()})


def _lookback_days() -> int:
    return int(max(v for params in thresholds().values() for k, v in params.items() if k == "lookback_days"))


def _read_months(scope: Scope) -> list[dt.date]:
    """The months a check over ``scope`` reads: the judged months and the history its rules look back on."""
    return storage.months_between(scope.start - dt.timedelta(days=_lookback_days()), scope.end)


PIN_MAX_MONTHS = 24  # a local lake's longer check ranges read the Parquet files rule by rule


def _worth_pinning(scope: Scope) -> bool:
    """Whether to pin the judged rows in memory: always on object storage (every rule would read every file again,
    a few requests each); on local disk only for up to PIN_MAX_MONTHS months of reads. Over 20 years of 500 symbols
    the pinned copy was 1 GB of DuckDB memory and cost 7 s, more than the rules saved by reading it (checks 21 s
    pinned, 12 s reading the files with their columns pruned)."""
    return lake.is_remote(scope.data_dir) or len(_read_months(scope)) <= PIN_MAX_MONTHS


def _pin_parsed(con: duckdb.DuckDBPyConnection, scope: Scope) -> None:
    """Read the judged source's rows (and the history the rules look back on) once, into memory: every rule
    then reads that instead of the Parquet files. An unreadable file fails here."""
    first = scope.start - dt.timedelta(days=_lookback_days())
    # the month after is read too: "the source has data after this gap" must not depend on how a
    # backfill was cut into runs (the rules only look back, so later rows change no other verdict)
    last = storage.month_end(storage.next_month(storage.month_of(scope.end)))
    for dataset in ("rates", "tickers", "rejects"):
        con.execute(f"create temp table pinned_{dataset} as select * from parsed_{dataset} "
                    "where source = $source and date between $first and $last",
                    {"source": scope.source, "first": first, "last": last})
        con.execute(f"create or replace view parsed_{dataset} as select * from pinned_{dataset}")
