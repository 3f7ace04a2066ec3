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

from dagster_project import adapters, landing, storage
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


def parse_partitions(data_dir: Path, source: str, dates: list[dt.date]) -> ParseStats:
    """(Re)build the parsed partitions of ``source`` for ``dates`` from the raw layer.

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

    warehouse = data_dir / "warehouse"
    datasets = (*SOURCE_DATASETS[source], "rejects")
    by_date = {
        name: {key[0]: part for key, part in pl.concat(frames[name], how="vertical").partition_by("date", as_dict=True).items()}
        if frames[name] else {}
        for name in datasets
    }
    written_dates: set[dt.date] = set()
    for k, day in enumerate(sorted(set(dates)), start=1):
        for name in datasets:
            part = by_date[name].get(day, pl.DataFrame(schema=DATASETS[name]))
            n = storage.write_partition(warehouse, name, source, day, part)
            if n:
                stats.rows[name] = stats.rows.get(name, 0) + n
                stats.partitions[name] = stats.partitions.get(name, 0) + 1
                written_dates.add(day)
        if k % 200 == 0 or k == len(dates):
            progress_log.info("write %s", day, extra={"step": f"write {source}", "done": k, "total": len(dates)})
    stats.rejects = stats.rows.pop("rejects", 0)
    stats.partitions.pop("rejects", None)
    if written_dates:
        stats.first, stats.last = min(written_dates), max(written_dates)
    return stats
