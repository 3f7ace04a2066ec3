"""DuckDB over the Parquet warehouse: the SQL models under ``sql/`` and the catalog of views.

Parquet is the source of truth. Every model runs in an in-memory DuckDB that reads Parquet and writes
Parquet (temp file, then rename), so no run ever needs a lock on a database file. The catalog
``<data>/warehouse.duckdb`` holds only views; it is rebuilt into a temp file and renamed into place,
so an analyst's open session (read-only, as ``make sql`` opens it) never blocks a run and is never
broken by one: it keeps the catalog it opened, and sees new data through its views.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dagster_project import quality
from dagster_project.landing import replacing
from dagster_project.rows import DATASETS
from dagster_project.settings import REPO

SQL_DIR = REPO / "sql"
STAGING = ("stg_rates", "stg_tickers", "stg_rates_daily", "stg_ticker_sessions", "stg_quality_flags")  # definition order
MARTS = ("fx_rates", "fx_daily_change", "ticker_quotes", "ticker_daily_change")  # build order
VIEWS = ("fx_cross_rates",)
MART_DEPS = {
    "fx_rates": ("stg_rates_daily",),
    "fx_daily_change": ("fx_rates",),
    "ticker_quotes": ("stg_ticker_sessions",),
    "ticker_daily_change": ("ticker_quotes",),
    "fx_cross_rates": ("fx_rates",),
}
_DUCK_TYPES = {"String": "VARCHAR", "Date": "DATE", "Datetime": "TIMESTAMPTZ", "Float64": "DOUBLE", "Int64": "BIGINT"}


def model_sql(name: str) -> str:
    for folder in ("staging", "marts", "views"):
        path = SQL_DIR / folder / f"{name}.sql"
        if path.exists():
            return path.read_text().strip().rstrip(";")
    raise KeyError(f"no SQL model named {name!r} under {SQL_DIR}")


def time_key(name: str) -> str:
    """The time column of a mart: ticker marts are per exchange session, FX marts per date."""
    return "session" if name.startswith("ticker") else "date"


def mart_path(data_dir: Path, name: str) -> Path:
    return data_dir / "warehouse" / "marts" / f"{name}.parquet"


def _lit(path: str) -> str:
    return "'" + path.replace("'", "''") + "'"


def _shown(path: Path, relative_to: Path | None) -> str:
    """A path as a view should name it: relative to ``relative_to`` when inside it (so a moved repo still works)."""
    if relative_to is not None:
        try:
            return path.resolve().relative_to(relative_to.resolve()).as_posix()
        except ValueError:
            pass
    return path.resolve().as_posix()


def partitioned_relation(root: Path, schema: dict, shown=lambda p: p.resolve().as_posix(), *,
                         union_by_name: bool = False) -> str:
    """A SELECT of ``schema``'s columns over ``root/source=*/date=*/*.parquet`` (the Hive keys typed), or an
    empty SELECT of the same typed columns when there is no file yet (so views and queries always bind)."""
    if not any(root.glob("source=*/date=*/*.parquet")):
        return "select " + ", ".join(f"null::{_DUCK_TYPES[type(t).__name__]} as {c}" for c, t in schema.items()) + " where false"
    glob = shown(root) + "/source=*/date=*/*.parquet"
    return (f"select {', '.join(schema)} from read_parquet({_lit(glob)}, hive_partitioning = true, "
            f"hive_types = {{'source': VARCHAR, 'date': DATE}}{', union_by_name = true' if union_by_name else ''})")


def view_statements(data_dir: Path, *, relative_to: Path | None = None) -> list[str]:
    """CREATE VIEW statements in dependency order: parsed data, reference tables (ref_*), check findings
    (dq_findings), staging models, marts and on-demand views."""
    warehouse = data_dir / "warehouse"
    shown = lambda p: _shown(p, relative_to)  # noqa: E731
    stmts = [f"create or replace view parsed_{dataset} as {partitioned_relation(warehouse / dataset, schema, shown)}"
             for dataset, schema in DATASETS.items()]
    stmts += quality.reference_statements(shown)
    findings = partitioned_relation(quality.findings_root(data_dir), quality.FINDING_SCHEMA, shown, union_by_name=True)
    stmts.append(f"create or replace view dq_findings as {findings}")
    for name in STAGING:
        stmts.append(f"create or replace view {name} as {model_sql(name)}")
    for name in MARTS:
        path = mart_path(data_dir, name)
        body = f"select * from read_parquet({_lit(_shown(path, relative_to))})" if path.exists() else model_sql(name)
        stmts.append(f"create or replace view {name} as {body}")
    for name in VIEWS:
        stmts.append(f"create or replace view {name} as {model_sql(name)}")
    return stmts


def connect(data_dir: Path, *, relative_to: Path | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with every warehouse view defined (no database file, no lock).

    Its memory is capped by MDW_DUCKDB_MEMORY_LIMIT (default 1GB): larger sorts and windows spill to disk
    instead of growing the process (DuckDB's own default is 80% of the machine's RAM)."""
    con = duckdb.connect(":memory:", config={"memory_limit": os.environ.get("MDW_DUCKDB_MEMORY_LIMIT", "1GB")})
    con.execute("set enable_progress_bar = false")  # runs log to files: no progress bar in them
    for stmt in view_statements(data_dir, relative_to=relative_to):
        con.execute(stmt)
    return con


@dataclass
class MartStats:
    name: str
    rows: int
    seconds: float
    first: str | None
    last: str | None
    preview: str


def build_mart(data_dir: Path, name: str) -> MartStats:
    """Materialize one mart to Parquet atomically, from the current parsed data and upstream marts."""
    started = time.perf_counter()
    path = mart_path(data_dir, name)
    con = connect(data_dir)
    with replacing(path) as tmp:
        con.execute(f"copy ({model_sql(name)}) to {_lit(str(tmp))} (format parquet, compression zstd, row_group_size 122880)")
    key = time_key(name)
    rows, first, last = con.execute(
        f"select count(*), min({key})::varchar, max({key})::varchar from read_parquet({_lit(str(path))})").fetchone()
    preview = con.execute(
        f"select * from read_parquet({_lit(str(path))}) order by {key} desc limit 10").pl()
    con.close()
    return MartStats(name, rows, time.perf_counter() - started, first, last, markdown_table(preview))


def markdown_table(frame) -> str:
    """A polars frame as a Markdown table (for Dagster metadata)."""
    if frame.height == 0:
        return "(no rows)"
    cols = frame.columns
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in frame.iter_rows():
        lines.append("| " + " | ".join("" if v is None else str(v) for v in row) + " |")
    return "\n".join(lines)


def build_catalog(data_dir: Path, catalog: Path, *, relative_to: Path | None = None) -> Path:
    """Write the catalog of views to a temp file and rename it over ``catalog`` (never locks a reader)."""
    with replacing(catalog, sidecars=(".wal",)) as tmp:
        con = duckdb.connect(str(tmp))
        try:
            for stmt in view_statements(data_dir, relative_to=relative_to):
                con.execute(stmt)
            con.execute("checkpoint")
        finally:
            con.close()
    return catalog
