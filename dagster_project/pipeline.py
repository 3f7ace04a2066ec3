"""Land inputs and parse raw snapshots into partitions: the work the assets and the CLI share.

Nothing here knows about Dagster. Progress is reported on the ``mdw.progress`` logger (a CLI attaches a
progress bar to it; otherwise it is silent).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from dagster_project import adapters, landing, sessions, storage
from dagster_project.rows import DATASETS, ParseError, Snapshot

progress_log = logging.getLogger("mdw.progress")
SOURCE_DATASETS = {"page": ("rates", "tickers"), "ecb": ("rates",), "fixer": ("rates",), "ticker_csv": ("tickers",)}


@dataclass
class Landed:
    raw: landing.RawFile
    new: bool
    snapshot: Snapshot


def land_input(data_dir: Path, data: bytes, *, name: str, source: str | None = None,
               captured_at: dt.datetime | None = None) -> Landed:
    """Validate an input by parsing it, then store its bytes in the raw layer. Bad input lands nothing."""
    source = source or adapters.detect(name, data)
    captured_at = captured_at or landing.ts_from_name(name) or dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    snapshot = adapters.parse(source, data, captured_at=captured_at, file=name)
    if not snapshot.dates:
        raise ParseError("holds no dated rows", file=name)
    raw, new = landing.land(data_dir, source, data, captured_at=captured_at, dates=snapshot.dates, name_hint=name)
    return Landed(raw, new, snapshot)


@dataclass
class ParseStats:
    source: str
    rows: dict[str, int] = field(default_factory=dict)
    partitions: dict[str, int] = field(default_factory=dict)
    rejects: int = 0
    raw_files: list[str] = field(default_factory=list)
    first: dt.date | None = None
    last: dt.date | None = None


def parse_partitions(data_dir: Path, source: str, dates: list[dt.date], *, warehouse: Path | None = None) -> ParseStats:
    """(Re)build the parsed partitions of ``source`` for ``dates`` from the raw layer (into ``warehouse``,
    by default ``<data_dir>/warehouse``).

    All inputs are parsed before anything is written, so an unreadable raw file fails the run with
    nothing half-written. Dates with no raw input end up with no partition (a weekend is empty, not an error).
    """
    stats = ParseStats(source)
    plan = landing.snapshots_for(data_dir, source, dates)
    frames: dict[str, list[pl.DataFrame]] = {name: [] for name in DATASETS}
    for k, (raw, wanted) in enumerate(sorted(plan.items(), key=lambda kv: kv[0].captured_at), start=1):
        rel = raw.rel(data_dir)
        progress_log.info("parse %s", rel, extra={"step": f"parse {source}", "done": k - 1, "total": len(plan)})
        try:
            snap = adapters.parse(source, raw.path.read_bytes(), captured_at=raw.captured_at, file=rel)
        except ParseError as exc:
            raise exc.in_file(rel) if exc.file is None else exc
        keep = pl.col("date").is_in(wanted) if raw.multi_date else pl.lit(True)
        frames["rates"].append(snap.rates.filter(keep).with_columns(pl.lit(rel).alias("raw_file")))
        frames["tickers"].append(snap.tickers.filter(keep).with_columns(pl.lit(rel).alias("raw_file")))
        # a rejected line with no readable date is filed under the raw file's (last) date
        rejects = snap.rejects_frame(rel).with_columns(pl.col("date").fill_null(raw.last))
        frames["rejects"].append(rejects.filter(keep))
        stats.raw_files.append(rel)
        progress_log.info("parsed %s", rel, extra={"step": f"parse {source}", "done": k, "total": len(plan)})

    warehouse = warehouse or data_dir / "warehouse"
    datasets = (*SOURCE_DATASETS[source], "rejects")
    written_dates: set[dt.date] = set()
    for name in datasets:
        frame = pl.concat(frames[name], how="vertical") if frames[name] else pl.DataFrame(schema=DATASETS[name])
        counts = storage.write_partitions(warehouse, name, source, dates, frame)
        for day, n in counts.items():
            if n:
                stats.rows[name] = stats.rows.get(name, 0) + n
                stats.partitions[name] = stats.partitions.get(name, 0) + 1
                written_dates.add(day)
        progress_log.info("write %s", name, extra={"step": f"write {source}", "done": datasets.index(name) + 1,
                                                 "total": len(datasets)})
    stats.rejects = stats.rows.pop("rejects", 0)
    stats.partitions.pop("rejects", None)
    if written_dates:
        stats.first, stats.last = min(written_dates), max(written_dates)
    return stats


def raw_dates(data_dir: Path, source: str) -> list[dt.date]:
    """Every date the raw layer of ``source`` holds data for (single-date snapshots and history files)."""
    days: set[dt.date] = set()
    root = data_dir / "raw" / source
    for folder in root.glob("date=*"):
        if landing.raw_files_single(data_dir, source, dt.date.fromisoformat(folder.name.removeprefix("date="))):
            days.add(dt.date.fromisoformat(folder.name.removeprefix("date=")))
    for history in landing.history_files(data_dir, source):
        days.update(sessions.days_between(history.first, history.last))
    return sorted(days)


def rebuild(data_dir: Path, into: Path) -> dict[str, ParseStats]:
    """Re-parse every raw snapshot into a fresh warehouse at ``into`` (the raw layer is immutable, so this
    reproduces the parsed data exactly)."""
    return {source: parse_partitions(data_dir, source, days, warehouse=into)
            for source in SOURCE_DATASETS if (days := raw_dates(data_dir, source))}


def compare_warehouses(current: Path, rebuilt: Path) -> dict[str, tuple[int, int, int]]:
    """Per parsed dataset: (rows now, rows only in the current warehouse, rows only in the rebuilt one)."""
    import duckdb

    from dagster_project.sqlmodels import partitioned_relation

    con = duckdb.connect()
    out = {}
    for dataset, schema in DATASETS.items():
        a, b = (partitioned_relation(root / dataset, schema) for root in (current, rebuilt))
        rows = con.execute(f"select count(*) from ({a})").fetchone()[0]
        only_a = con.execute(f"select count(*) from ({a} except all {b})").fetchone()[0]
        only_b = con.execute(f"select count(*) from ({b} except all {a})").fetchone()[0]
        out[dataset] = (rows, only_a, only_b)
    con.close()
    return out
