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

from dagster_project import lake, landing, parsed_inputs, sources, storage
from dagster_project.rows import DATASETS, ParseError

progress_log = logging.getLogger("mdw.progress")


@dataclass
class Landed:
    raw: landing.RawFile
    new: bool

    @property
    def dates(self) -> tuple[dt.date, dt.date]:
        """The first and last data date the input holds."""
        return self.raw.first, self.raw.last


def land_input(data_dir: Path, data: bytes, *, name: str, source: str | None = None,
               captured_at: dt.datetime | None = None) -> Landed:
    """Validate an input by parsing it, then store its bytes in the raw layer. Bad input lands nothing.
    A history file landed before (same hash) is recognised from its sidecar without parsing it again.
    Bytes that were quarantined raise ``landing.Quarantined``. The rows of the validating parse are kept
    (``parsed_inputs``): the parsed assets read them instead of parsing the input again."""
    source = source or sources.detect(name, data)
    record = landing.quarantined(data_dir, data)
    if record is not None:
        raise landing.Quarantined(record)
    again = landing.find_landed(data_dir, source, data)
    if again is not None:
        return Landed(again, False)
    captured_at = captured_at or landing.ts_from_name(name) or dt.datetime.now(dt.UTC).replace(microsecond=0)
    snapshot = sources.parse(source, data, captured_at=captured_at, file=name)
    if not snapshot.dates:
        raise ParseError("holds no dated rows", file=name)
    raw, new = landing.land(data_dir, source, data, captured_at=captured_at, dates=snapshot.dates, name_hint=name)
    parsed_inputs.keep(data_dir, landing.sha256(data), snapshot if raw.captured_at == snapshot.captured_at
                       else sources.parse(source, data, captured_at=raw.captured_at, file=name))
    return Landed(raw, new)


@dataclass
class ParseStats:
    source: str
    rows: dict[str, int] = field(default_factory=dict)
    partitions: dict[str, int] = field(default_factory=dict)
    rejects: int = 0
    first: dt.date | None = None
    last: dt.date | None = None
    days: dict[dt.date, list[dt.date]] = field(default_factory=dict)  # month -> the dates it holds (any dataset)


def parse_partitions(data_dir: Path, source: str, months: list[dt.date], *, warehouse: Path | None = None,
                     reparse: bool = False) -> ParseStats:
    """(Re)build the month partitions of ``source`` for ``months`` (first days) from the raw layer (into
    ``warehouse``, by default ``<data_dir>/warehouse``).

    All inputs are parsed before anything is written, so an unreadable raw file fails the run with
    nothing half-written. A month with no raw input ends up with no file (empty, not an error).
    """
    stats = ParseStats(source)
    months = sorted({storage.month_of(m) for m in months})
    dates = storage.days_of(months)
    plan = landing.snapshots_for(data_dir, source, dates, every_history=sources.SOURCES[source].feed == "files")
    frames: dict[str, list[pl.DataFrame]] = {name: [] for name in DATASETS}
    for k, (raw, wanted) in enumerate(sorted(plan.items(), key=lambda kv: kv[0].captured_at), start=1):
        rel = raw.rel(data_dir)
        progress_log.info("parse %s", rel, extra={"step": f"parse {source}", "done": k - 1, "total": len(plan)})
        data = raw.path.read_bytes()
        window = (min(wanted), max(wanted)) if raw.multi_date else None
        snap = None if reparse else parsed_inputs.load(data_dir, source, landing.sha256(data), raw.captured_at, window)
        if snap is None:  # not kept (an older landing, another parser version, or a rebuild): parse it now
            try:
                snap = sources.parse(source, data, captured_at=raw.captured_at, file=rel, window=window)
            except ParseError as exc:
                raise (exc.in_file(rel) if exc.file is None else exc) from None
        keep = pl.col("date").is_in(wanted) if raw.multi_date else None
        frames["rates"].append(_kept(snap.rates, keep).with_columns(pl.lit(rel).alias("raw_file")))
        frames["tickers"].append(_kept(snap.tickers, keep).with_columns(pl.lit(rel).alias("raw_file")))
        # a rejected line with no readable date is filed under the raw file's (last) date
        rejects = snap.rejects_frame(rel).with_columns(pl.col("date").fill_null(raw.last))
        frames["rejects"].append(_kept(rejects, keep))
        del snap, rejects
        progress_log.info("parsed %s", rel, extra={"step": f"parse {source}", "done": k, "total": len(plan)})

    warehouse = warehouse or data_dir / "warehouse"
    datasets = (*sources.SOURCES[source].datasets, "rejects")
    held: set[dt.date] = set()
    for name in datasets:
        frame = pl.concat(frames.pop(name), how="vertical", rechunk=False) if frames[name] else pl.DataFrame(schema=DATASETS[name])
        counts = storage.write_months(warehouse, name, source, months, frame)
        for n in counts.values():
            if n:
                stats.rows[name] = stats.rows.get(name, 0) + n
                stats.partitions[name] = stats.partitions.get(name, 0) + 1
        if name != "rejects" and frame.height:
            held.update(frame.get_column("date").unique().to_list())
        progress_log.info("write %s", name, extra={"step": f"write {source}", "done": datasets.index(name) + 1,
                                                 "total": len(datasets)})
    stats.rejects = stats.rows.pop("rejects", 0)
    stats.partitions.pop("rejects", None)
    for day in sorted(held):
        stats.days.setdefault(storage.month_of(day), []).append(day)
    if held:
        stats.first, stats.last = min(held), max(held)
    return stats


def _kept(frame: pl.DataFrame, keep: pl.Expr | None) -> pl.DataFrame:
    """The rows of ``frame`` that ``keep`` wants (all when None), with no copy when it wants them all (a history
    loaded whole: 2.5 million ticker rows are 1 GB)."""
    return frame if keep is None or frame.select(keep.all()).item() else frame.filter(keep)


def loaded_months(data_dir: Path, source: str) -> list[dt.date]:
    """The months of ``source`` the warehouse has loaded: the month of every single-date raw snapshot, and
    every month with a partition (a history file covers years; only the months that were loaded count).
    Partitions of the old one-file-per-day layout (``date=…``) count by their month, so ``mdw rebuild``
    migrates such a warehouse."""
    months: set[dt.date] = set()
    days = {dt.date.fromisoformat(folder.name.removeprefix("date=")) for folder in lake.glob(data_dir / "raw" / source, "date=*")}
    months |= {storage.month_of(day) for day, singles in landing.single_snapshots(data_dir, source, days).items() if singles}
    for dataset in DATASETS:
        root = data_dir / "warehouse" / dataset / f"source={source}"
        for folder in lake.glob(root, "month=*"):
            months.add(storage.month_from_folder(folder.name))
        for folder in lake.glob(root, "date=*"):
            months.add(storage.month_of(dt.date.fromisoformat(folder.name.removeprefix("date="))))
    return sorted(months)


def rebuild(data_dir: Path, into: Path) -> dict[str, ParseStats]:
    """Re-parse the loaded months from the raw snapshots into a fresh warehouse at ``into`` (the raw layer is
    immutable, so this reproduces the parsed data exactly)."""
    return {source: parse_partitions(data_dir, source, months, warehouse=into, reparse=True)
            for source in sources.NAMES if (months := loaded_months(data_dir, source))}
