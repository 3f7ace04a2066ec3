"""DuckDB over the Parquet warehouse: the SQL models under ``sql/`` and the catalog of views.

Parquet is the source of truth. Every model runs in an in-memory DuckDB that reads Parquet and writes
Parquet (temp file, then rename), so no run ever needs a lock on a database file. The catalog
``<data>/warehouse.duckdb`` holds only views; it is rebuilt into a temp file and renamed into place,
so an analyst's open session (read-only, as ``make sql`` opens it) never blocks a run and is never
broken by one: it keeps the catalog it opened, and sees new data through its views.

Over the whole history, the parsed rates and the marts whose header says ``-- closed periods: one file`` read their
closed months (before the current year) from one read-optimized file and the later months from their month files
(``dagster_project.periods``: why no row is read twice or missed, during a rebuild or after a killed one).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import re
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from dagster_project import catalog_docs, findings, lake, periods, reference, storage
from dagster_project.lake import replacing, sql_literal
from dagster_project.rows import DATASETS
from dagster_project.settings import REPO

SQL_DIR = REPO / "sql"


def model_sql(name: str) -> str:
    for folder in ("staging", "marts", "views", "macros"):
        path = SQL_DIR / folder / f"{name}.sql"
        if path.exists():
            return path.read_text().strip().rstrip(";")
    raise KeyError(f"no SQL model named {name!r} under {SQL_DIR}")


def relations_read(sql: str) -> set[str]:
    """The tables and views a SELECT reads, from DuckDB's own parse of it (its CTEs left out); for a macro
    (``create macro … as table select …``), what its SELECT reads."""
    code = "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--")).strip()
    body = code
    if code.lower().startswith("create"):
        table = re.split(r"\bas\s+table\b", code, maxsplit=1, flags=re.IGNORECASE)
        body = table[1] if len(table) == 2 else re.split(r"\)\s+as\s*\(", code, maxsplit=1, flags=re.IGNORECASE)[1].rstrip()[:-1]
    tree = json.loads(duckdb.execute("select json_serialize_sql(?)", [body]).fetchone()[0])
    if tree.get("error"):
        raise ValueError(f"cannot parse SQL: {tree.get('error_message')}")
    found: set[str] = set()
    ctes: set[str] = set()

    def walk(node) -> None:
        if isinstance(node, dict):
            if node.get("type") == "BASE_TABLE" and node.get("table_name"):
                found.add(node["table_name"])
            if node.get("type") == "TABLE_FUNCTION":  # a macro reading another (fx_rate reads fx_convert)
                found.add(node.get("function", {}).get("function_name", ""))
            ctes.update(e.get("key") for e in (node.get("cte_map") or {}).get("map", []) if isinstance(e, dict))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(tree)
    return found - ctes - {""}


def _in_order(folder: str) -> tuple[str, ...]:
    """The models of ``sql/<folder>/`` in an order where each comes after the models it reads (name order among
    equals): the SQL files are the only declaration."""
    names = sorted(p.stem for p in (SQL_DIR / folder).glob("*.sql"))
    reads = {n: relations_read(model_sql(n)) & set(names) for n in names}
    ordered: list[str] = []
    while len(ordered) < len(names):
        ready = [n for n in names if n not in ordered and reads[n] <= set(ordered)]
        if not ready:
            raise ValueError(f"a cycle among the models of sql/{folder}: {sorted(set(names) - set(ordered))}")
        ordered.append(ready[0])
    return tuple(ordered)


STAGING = _in_order("staging")   # views over the parsed Parquet and the findings
MARTS = _in_order("marts")       # materialized month by month, in build order
VIEWS = _in_order("views")       # computed on demand
MACROS = _in_order("macros")     # table and scalar macros over the views, defined last
READS = {name: relations_read(model_sql(name)) for name in (*STAGING, *MARTS, *VIEWS, *MACROS)}


def inputs_of(name: str) -> set[str]:
    """The marts and parsed datasets (``parsed_rates``…) a model is built from, through the staging views."""
    out: set[str] = set()
    for relation in READS.get(name, set()):
        if relation in STAGING:
            out |= inputs_of(relation)
        elif relation in MARTS or relation.startswith("parsed_"):
            out.add(relation)
    return out


_DUCK_TYPES = {"String": "VARCHAR", "Date": "DATE", "Datetime": "TIMESTAMPTZ", "Float64": "DOUBLE", "Int64": "BIGINT"}


@dataclass(frozen=True)
class MartConfig:
    """What a mart is keyed by and built from, declared in its SQL file's header (one file declares a mart):

    ``-- time key: date`` (its month files are months of this column; ``session``: exchange sessions, which a
    capture early in a month can show for the month before), ``-- subject: currency`` (rows are sorted by source,
    subject, time key within a file), ``-- dataset: rates`` (the parsed dataset whose runs build it) and, where a
    month reads beyond itself, ``-- reads: the previous month`` (a daily change's first rows; the consensus's quotes
    up to 7 days old: a month is rebuilt when the month before it changes) or ``-- reads: the next month`` (a
    session of the month shown by a capture early in the next); ``-- closed periods: one file`` keeps its closed months
    also in one file sorted by (source, subject, time key), which the whole-history views read (``periods``)."""

    name: str
    time_key: str
    subject: str
    dataset: str
    reads_previous_month: bool
    reads_next_month: bool
    closed_periods: bool = False


def mart_config(name: str) -> MartConfig:
    settings = catalog_docs.parse_header(model_sql(name)).settings
    missing = {"time key", "subject", "dataset"} - set(settings)
    if missing:
        raise ValueError(f"sql/marts/{name}.sql: its header lacks {', '.join(f'-- {k}: …' for k in sorted(missing))}")
    reads = settings.get("reads", "")
    if reads not in ("", "the previous month", "the next month"):
        raise ValueError(f"sql/marts/{name}.sql: '-- reads: {reads}' (known: the previous month, the next month)")
    closed = settings.get("closed periods", "")
    if closed not in ("", "one file"):
        raise ValueError(f"sql/marts/{name}.sql: '-- closed periods: {closed}' (known: one file)")
    return MartConfig(name, settings["time key"], settings["subject"], settings["dataset"], reads == "the previous month",
                      reads == "the next month", closed == "one file")


MART_CONFIG = {name: mart_config(name) for name in MARTS}


def time_key(name: str) -> str:
    """The time column of a mart (its header's ``-- time key:``): sessions for ticker marts, dates for FX marts."""
    return MART_CONFIG[name].time_key


def marts_of_dataset(dataset: str) -> list[str]:
    """The marts a parsed dataset's runs build (their headers' ``-- dataset:``), in build order."""
    return [name for name in MARTS if MART_CONFIG[name].dataset == dataset]


# their first rows look back on the previous month (a daily change; the consensus: on quotes up to 7 days old)
DAILY_CHANGE = tuple(name for name in MARTS if MART_CONFIG[name].reads_previous_month)
PARSED_GLOB = "source=*/month=*/*.parquet"
LEGACY_GLOB = "source=*/date=*/*.parquet"  # the one-file-per-day layout before 0.2: read for `mdw rebuild`


def mart_root(data_dir: Path, name: str) -> Path:
    """``<data>/warehouse/marts/<name>/month=YYYY-MM/data.parquet``: one file per month of the mart's time key."""
    return data_dir / "warehouse" / "marts" / name


def mart_period(data_dir: Path, name: str) -> periods.Period | None:
    """The closed period of a mart that keeps one (its header's ``-- closed periods: one file``), else None."""
    config = MART_CONFIG[name]
    if not config.closed_periods:
        return None
    return periods.mart_period(data_dir / "warehouse", name, mart_root(data_dir, name),
                               ("source", config.subject, config.time_key))


def _open_years(period: periods.Period) -> list[str]:
    """The years after the boundary that ``period`` has month files of (each a ``month=YYYY-*`` glob of a view)."""
    last = f"month={periods.boundary():%Y-%m}"
    return sorted({rel[len("month="):len("month=") + 4] for rel in lake.matches(period.months_root, "month=*") if rel > last})


def _closed_history(period: periods.Period, shown, pattern: str) -> tuple[str, list[str]] | None:
    """The closed file and the globs of the open years' month files (``pattern`` below each month folder) when readers may
    use the closed file; None when they must read the month files alone (no closed file, or a stale one)."""
    if not period.usable():
        return None
    return (shown(period.file()), [f"{shown(period.months_root)}/month={year}-*/{pattern}" for year in _open_years(period)])


def _parsed_history(warehouse: Path, dataset: str, schema: dict, shown, union_by_name: bool) -> str:
    """The whole history of a parsed dataset: each source's closed file (when usable) and its open years' month files;
    the month files of the sources with none."""
    root = warehouse / dataset
    plain = partitioned_relation(root, schema, shown, union_by_name=union_by_name)
    if dataset not in storage.CLOSED_ORDER:
        return plain
    closed, globs = [], []
    for rel in lake.matches(root, "source=*"):
        found = _closed_history(storage.closed_period(warehouse, dataset, rel.removeprefix("source=")), shown, "*.parquet")
        if found is None:
            globs.append(f"{shown(root)}/{rel}/month=*/*.parquet")
        else:
            closed.append(found[0])
            globs += found[1]
    if not closed:
        return plain
    columns = ", ".join(schema)
    by_name = ", union_by_name = true" if union_by_name else ""
    out = f"select {columns} from read_parquet([{', '.join(sql_literal(f) for f in closed)}], hive_partitioning = false{by_name})"
    if globs:
        out += (f" union all select {columns} from read_parquet([{', '.join(sql_literal(g) for g in globs)}], "
                f"hive_partitioning = true, hive_types = {{'source': VARCHAR, 'month': VARCHAR}}{by_name})")
    return out


def mart_files(data_dir: Path, name: str, months: list[dt.date] | None = None) -> list[Path]:
    if months is None:
        return lake.glob(mart_root(data_dir, name), "month=*/data.parquet")
    return storage.files_of_months(mart_root(data_dir, name), months, "month=*/data.parquet")


def _shown(path: Path, relative_to: Path | None) -> str:
    """A path as a view should name it: relative to ``relative_to`` when inside it (so a moved repo still works);
    an object of a remote lake by its URL (``s3://bucket/key``)."""
    if lake.is_remote(path):
        return lake.shown(path)
    if relative_to is not None:
        try:
            return path.resolve().relative_to(relative_to.resolve()).as_posix()
        except ValueError:
            pass
    return path.resolve().as_posix()


def _empty_select(schema: dict) -> str:
    return "select " + ", ".join(f"null::{_DUCK_TYPES[type(t).__name__]} as {c}" for c, t in schema.items()) + " where false"


def partitioned_relation(root: Path, schema: dict, shown=lake.shown, *,
                         union_by_name: bool = False, files: list[Path] | None = None) -> str:
    """A SELECT of ``schema``'s columns over ``root/source=*/month=*/*.parquet`` (or over ``files``, a window of
    months), or an empty SELECT of the same typed columns when there is no file (so views always bind).
    A warehouse still in the one-file-per-day layout (``date=…`` folders) is read too, for its migration."""
    by_name = ", union_by_name = true" if union_by_name else ""
    if files is not None:
        if not files:
            return _empty_select(schema)
        source = "[" + ", ".join(sql_literal(shown(f)) for f in files) + "]"
    elif lake.matches(root, PARSED_GLOB):
        source = sql_literal(shown(root) + "/" + PARSED_GLOB)
    elif lake.matches(root, LEGACY_GLOB):
        return (f"select {', '.join(schema)} from read_parquet({sql_literal(shown(root) + '/' + LEGACY_GLOB)}, "
                f"hive_partitioning = true, hive_types = {{'source': VARCHAR, 'date': DATE}}{by_name})")
    else:
        return _empty_select(schema)
    return (f"select {', '.join(schema)} from read_parquet({source}, hive_partitioning = true, "
            f"hive_types = {{'source': VARCHAR, 'month': VARCHAR}}{by_name})")


def window_of(months: list[dt.date]) -> list[dt.date]:
    """The months a computation over ``months`` reads: those, and one on each side (a daily change looks back on
    the previous month's last quote; a capture early in a month can show the previous month's last session)."""
    return storage.months_between(storage.previous_month(min(months)), storage.next_month(max(months)))


def needed_by(relations: set[str]) -> set[str]:
    """``relations`` and every model they read, through the SQL (``READS``): the views a session for them needs."""
    out: set[str] = set()
    stack = list(relations)
    while stack:
        name = stack.pop()
        if name not in out:
            out.add(name)
            stack += READS.get(name, ())
    return out


def view_statements(data_dir: Path, *, relative_to: Path | None = None, months: list[dt.date] | None = None,
                    reads: set[str] | None = None) -> list[str]:
    """CREATE VIEW statements in dependency order: parsed data, reference tables (ref_*), check findings
    (dq_findings), staging models, marts and on-demand views. With ``months``, every partitioned relation
    reads only the files of ``window_of(months)``: a run touching one month reads three months of files. With
    ``reads``, only the models those relations read (``needed_by``) are defined: DuckDB binds each view as it is
    created, so a step's session costs what its own SQL reads, not the whole catalog (the parsed datasets, the
    reference relations and the findings are always there)."""
    wanted = None if reads is None else needed_by(reads)

    def kept(name: str) -> bool:
        return wanted is None or name in wanted
    warehouse = data_dir / "warehouse"
    def shown(path: Path) -> str:
        return _shown(path, relative_to)
    window = window_of(months) if months else None

    def files(root: Path) -> list[Path] | None:
        return None if window is None else storage.files_of_months(root, window)

    stmts = [f"create or replace view parsed_{dataset} as "
             + (_parsed_history(warehouse, dataset, schema, shown, dataset == "tickers") if window is None else
                partitioned_relation(warehouse / dataset, schema, shown, files=files(warehouse / dataset),
                                     union_by_name=dataset == "tickers"))
             for dataset, schema in DATASETS.items()]
    stmts += reference.reference_statements(shown)
    stmts.append(f"create or replace view ref_publication_days as select * from read_parquet({sql_literal(shown(reference.publication_days_file(data_dir)))})")
    stmts.append(f"create or replace view currencies as select * from read_parquet({sql_literal(shown(reference.currencies_file(data_dir)))})")
    root = findings.root(data_dir)
    stored = partitioned_relation(root, findings.FINDING_SCHEMA, shown, union_by_name=True, files=files(root))
    stmts.append(f"create or replace view dq_findings as {stored}")
    for name in filter(kept, STAGING):
        stmts.append(f"create or replace view {name} as {model_sql(name)}")
    for name in filter(kept, MARTS):
        built = mart_files(data_dir, name, window)
        period = mart_period(data_dir, name) if window is None and built else None
        closed = _closed_history(period, shown, "data.parquet") if period is not None else None
        if closed is not None:  # the closed file and the open years' month files
            body = f"select * from read_parquet([{', '.join(sql_literal(f) for f in [closed[0], *closed[1]])}], hive_partitioning = false)"
        elif built:
            body = f"select * from read_parquet([{', '.join(sql_literal(shown(f)) for f in built)}])" if window \
                else f"select * from read_parquet({sql_literal(shown(mart_root(data_dir, name)) + '/month=*/data.parquet')}, hive_partitioning = false)"
        else:
            body = model_sql(name)
        stmts.append(f"create or replace view {name} as {body}")
    for name in filter(kept, VIEWS):
        stmts.append(f"create or replace view {name} as {model_sql(name)}")
    stmts += [model_sql(name) for name in filter(kept, MACROS)]
    return stmts


def connect(data_dir: Path, *, relative_to: Path | None = None, months: list[dt.date] | None = None,
            described: bool = False, reads: set[str] | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with every warehouse view defined (no database file, no lock); with ``months``, the
    views read only the files of those months and their neighbours; with ``reads``, only what those relations read
    is defined (a run's step: its check SQL, its mart).

    Its memory is capped by MDW_DUCKDB_MEMORY_LIMIT (default 1GB): larger sorts and windows spill to disk
    instead of growing the process (DuckDB's own default is 80% of the machine's RAM)."""
    con = lake.duckdb_session(data_dir)
    # the whole history: one listing of the warehouse for every view; a window of months: a short listing per relation
    with lake.snapshot(data_dir / "warehouse") if months is None else contextlib.nullcontext():
        statements = view_statements(data_dir, relative_to=relative_to, months=months, reads=reads)
    for stmt in statements:
        con.execute(stmt)
    if described:  # comments for people (mdw sql); runs skip them
        catalog_docs.describe(con)
    return con


@dataclass
class MartStats:
    name: str
    rows: int
    seconds: float
    first: str | None
    last: str | None
    preview: object  # the newest rows (a polars frame), or None
    months: list[dt.date] = field(default_factory=list)


def _input_months(data_dir: Path, name: str) -> list[dt.date]:
    """Every month any input of ``name`` has a file for (a full build)."""
    dataset = MART_CONFIG[name].dataset
    found = [*lake.glob(data_dir / "warehouse" / dataset, "source=*/month=*/*.parquet"), *mart_files(data_dir, name)]
    return sorted({storage.month_from_folder(p.parent.name) for p in found})


def _targets(data_dir: Path, name: str, months: list[dt.date]) -> list[dt.date]:
    """The mart months a build over ``months`` rewrites: those months; for ticker marts also the months of the
    sessions their captures show (a capture on 1 December can show 29 November); for a daily change also the
    next month when it is built (its first change looks back on this month's last quote)."""
    targets = set(months)
    if MART_CONFIG[name].time_key == "session":
        con = connect(data_dir, months=months, reads={"stg_tickers"})
        shown = con.execute(
            "select distinct date_trunc('month', session)::date from stg_tickers "
            "where date_trunc('month', captured_date)::date in (select unnest($months::date[]))",
            {"months": months}).fetchall()
        con.close()
        targets |= {row[0] for row in shown}
    if name in DAILY_CHANGE:
        after = storage.next_month(max(targets))
        if mart_files(data_dir, name, [after]):
            targets.add(after)
    return sorted(targets)


MART_CHUNK_ROWS = 250_000  # a longer build is written in chunks of months holding about this many input rows


def _chunks(data_dir: Path, name: str, months: list[dt.date]) -> list[list[dt.date]]:
    """``months`` cut into runs of consecutive months whose parsed input holds at most ``MART_CHUNK_ROWS`` rows (from
    the Parquet footers; a month larger than that is a chunk of its own): 27 years of ECB rates (221,702 rows) are one
    chunk, 20 years of 500 tickers (2.5 million) ten of two years."""
    files = storage.files_of_months(data_dir / "warehouse" / MART_CONFIG[name].dataset, months)
    if len(months) <= 1 or not files:
        return [months] if months else []
    con = lake.duckdb_session(data_dir)
    try:
        counts = con.execute("select file_name, num_rows from parquet_file_metadata($files)",
                             {"files": [lake.shown(f) if lake.is_remote(f) else str(f) for f in files]}).fetchall()
    finally:
        con.close()
    rows: dict[dt.date, int] = {}
    for file_name, n in counts:
        month = storage.month_from_folder(Path(file_name).parent.name)
        rows[month] = rows.get(month, 0) + n
    chunks: list[list[dt.date]] = [[]]
    held = 0
    for month in months:
        if chunks[-1] and held + rows.get(month, 0) > MART_CHUNK_ROWS:
            chunks.append([])
            held = 0
        chunks[-1].append(month)
        held += rows.get(month, 0)
    return chunks


def build_mart(data_dir: Path, name: str, months: list[dt.date] | None = None) -> MartStats:
    """Materialize the months of one mart to Parquet (all months with input when ``months`` is None), reading
    only the files of those months and their neighbours; each month file is replaced atomically.

    A long range is built in chunks of months (``_chunks``: about MART_CHUNK_ROWS input rows), each reading only its months and their
    neighbours (as a run of those months would: every model gives the same rows built month by month), so DuckDB's
    sorts and windows hold two years of rows, not the whole history (500 symbols x 20 years: 2.5 million rows)."""
    started = time.perf_counter()
    months = sorted({storage.month_of(m) for m in months}) if months is not None else _input_months(data_dir, name)
    key = MART_CONFIG[name].time_key
    if not months:
        return MartStats(name, 0, time.perf_counter() - started, None, None, "(no rows)")
    # one rewrite of the closed period around every chunk: its closed file is rebuilt once, after the last one
    period = mart_period(data_dir, name)
    with periods.rewriting(period, _targets(data_dir, name, months)) if period else contextlib.nullcontext():
        targets = sorted({t for chunk in _chunks(data_dir, name, months) for t in _write_months(data_dir, name, chunk)})
    written = mart_files(data_dir, name, targets)
    if written:
        con = lake.duckdb_session(data_dir)
        try:
            built = f"read_parquet([{', '.join(sql_literal(str(p)) for p in written)}])"
            rows, first, last = con.execute(
                f"select count(*), min({key})::varchar, max({key})::varchar from {built}").fetchone()
            preview = con.execute(f"select * from {built} order by {key} desc limit 10").pl()
        finally:
            con.close()
    else:
        rows, first, last, preview = 0, None, None, None
    if _schema_changed(data_dir, name, written) and months != _input_months(data_dir, name):
        return build_mart(data_dir, name, None)  # the model gained or lost columns: every month, once
    return MartStats(name, rows, time.perf_counter() - started, first, last, preview, targets)


def _write_months(data_dir: Path, name: str, months: list[dt.date]) -> list[dt.date]:
    """Write the mart months a build over ``months`` rewrites (``_targets``); returns them."""
    key, subject = MART_CONFIG[name].time_key, MART_CONFIG[name].subject
    root = mart_root(data_dir, name)
    targets = _targets(data_dir, name, months)
    con = connect(data_dir, months=targets, reads=READS[name])
    # DuckDB writes the months into a local staging folder: beside the mart on disk (each file is then renamed into
    # place), in a temp folder for a remote lake (each file is then uploaded in one PUT)
    staging = (Path(tempfile.mkdtemp(prefix=f".{name}-")) if lake.is_remote(root)
               else root.parent / f".{name}.{uuid.uuid4().hex[:8]}.tmp")
    staging.parent.mkdir(parents=True, exist_ok=True)
    try:
        # one file per month: DuckDB opens a new file for a partition once more than this many are open
        con.execute("set partitioned_write_max_open_files = 100000")
        con.execute("create temp table target_months as select unnest($months::date[]) as month", {"months": targets})
        con.execute(
            f"copy (select *, strftime({key}, '%Y-%m') as month from ({model_sql(name)}) "
            f"where date_trunc('month', {key})::date in (select month from target_months) "
            f"order by month, source, {subject}, {key}) "  # month first: each partition's rows arrive together, in order
            f"to {sql_literal(str(staging))} (format parquet, compression zstd, partition_by (month), "
            "filename_pattern 'data_{i}')")
        _replace_months(con, staging, root, targets, key, subject)
    finally:
        con.close()
        shutil.rmtree(staging, ignore_errors=True)
    return targets


def _replace_months(con, staging: Path, root: Path, targets: list[dt.date], key: str, subject: str) -> None:
    """Put each month DuckDB wrote into ``staging`` in its place under ``root`` (whole: temp + rename, or one PUT); a month
    it wrote nothing for loses its file."""
    for month in targets:
        produced = sorted((staging / f"month={storage.month_key(month)}").glob("*.parquet"))
        path = root / f"month={storage.month_key(month)}" / "data.parquet"
        if len(produced) > 1:  # DuckDB split the month: merge the pieces into one file, in the mart's order
            merged = produced[0].with_name("merged.parquet")
            pieces = ", ".join(sql_literal(str(p)) for p in produced)
            con.execute(f"copy (select * from read_parquet([{pieces}]) order by source, {subject}, {key}) "
                        f"to {sql_literal(str(merged))} (format parquet, compression zstd)")
            produced = [merged]
        if produced:
            with replacing(path) as tmp:
                shutil.move(produced[0], tmp)
        elif path.exists():
            path.unlink()
            lake.remove_empty_dirs(path.parent, stop=root)


def _schema_changed(data_dir: Path, name: str, written: list[Path]) -> bool:
    """Whether the months just written have other columns than the mart's other months (a new version of the
    model): the mart's views read its files by position, so all its months must share one schema. The months either
    side of those written tell (they share the schema of every other month); the whole mart is listed only when it has
    no such neighbour."""
    if not written:
        return False
    mine = set(written)

    def others_in(months: list[dt.date] | None) -> list[Path]:
        return [p for p in mart_files(data_dir, name, months) if p not in mine]

    others = others_in(window_of([storage.month_from_folder(p.parent.name) for p in written])) or others_in(None)
    if not others:
        return False
    return (list(pl.read_parquet_schema(lake.readable(written[0])).items())
            != list(pl.read_parquet_schema(lake.readable(others[0])).items()))


def build_catalog(data_dir: Path, catalog: Path, *, relative_to: Path | None = None, force: bool = False) -> Path:
    """Write the catalog of views to a temp file and rename it over ``catalog`` (never locks a reader).

    Skipped (unless ``force``) when the catalog there was built from the same view statements, documentation and
    DuckDB release (its ``.stamp`` beside it): the views read the lake's globs, so the month files a run adds need no
    new catalog; only a relation that gains its first file, or new code, does. On object storage a rebuild binds every
    view (a listing and a footer per relation, every findings file's schema), ~2 s."""
    reference.refresh(data_dir)
    with lake.snapshot(data_dir / "warehouse"):
        statements = view_statements(data_dir, relative_to=relative_to)
    stamp = hashlib.sha256("\n".join([duckdb.__version__, catalog_docs.fingerprint(), *statements]).encode()).hexdigest()
    stamp_file = catalog.with_name(catalog.name + ".stamp")
    if not force and catalog.exists() and stamp_file.exists() and stamp_file.read_text() == stamp:
        return catalog
    with replacing(catalog, sidecars=(".wal",)) as tmp:
        con = duckdb.connect(str(tmp))
        try:
            lake.duckdb_setup(con, data_dir)  # a temporary secret: it is not stored in the catalog
            for stmt in statements:
                con.execute(stmt)
            catalog_docs.describe(con)
            con.execute("checkpoint")
        finally:
            con.close()
    stamp_file.write_text(stamp)
    return catalog


def compare_warehouses(current: Path, rebuilt: Path) -> dict[str, tuple[int, int, int]]:
    """Per parsed dataset: (rows now, rows only in the current warehouse, rows only in the rebuilt one)."""
    con = duckdb.connect()
    lake.duckdb_setup(con, current)
    out = {}
    for dataset, schema in DATASETS.items():
        a, b = (partitioned_relation(root / dataset, schema) for root in (current, rebuilt))
        rows = con.execute(f"select count(*) from ({a})").fetchone()[0]
        only_a = con.execute(f"select count(*) from ({a} except all {b})").fetchone()[0]
        only_b = con.execute(f"select count(*) from ({b} except all {a})").fetchone()[0]
        out[dataset] = (rows, only_a, only_b)
    con.close()
    return out
