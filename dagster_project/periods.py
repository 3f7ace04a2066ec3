"""Closed periods kept read-optimized: one file per (dataset, source) for every month before the current year.

A 27-year series over month files opens 334 files per query; the same rows in one file sorted by (currency, date)
(tickers: (symbol, session)) with small row groups are a few row groups of one file. So, for the datasets that
analysts read over long spans (the parsed rates, per source; the marts whose header says ``-- closed periods: one
file``: ``fx_rates``, ``fx_daily_change``, ``ticker_daily_change``), every month up to the **boundary** (December of
last year, UTC) is also kept in ``<closed dir>/until-YYYY-MM.parquet``:

- parsed: ``<data>/warehouse/closed/<dataset>/source=<s>/until-2025-12.parquet`` (with its ``source`` column);
- marts: ``<data>/warehouse/closed/<mart>/until-2025-12.parquet``.

The month files stay the truth: every run reads and writes them as before, and a closed file is derived from them.

**The invariant.** A closed file with no ``STALE`` marker beside it is exactly the union of the month files up to
its boundary. A writer keeps it so:

1. take the period's lock (``lake.lock``: ``flock`` on a lock file on local disk, released by the kernel when the
   holder dies; on object storage a lock object created by a conditional PUT, ``If-None-Match: *``);
2. when it rewrites a closed month: write the ``STALE`` marker, then the month files (each whole: temp + rename, or
   one PUT);
3. rebuild the closed file from the month files (temp + rename, or one PUT), then delete the marker;
4. release the lock.

Any run that writes a (dataset, source) also repairs it under the lock when it finds the marker (a run killed
between 2 and 3) or no closed file while closed months exist (the first run after an upgrade or a new year).

**Readers** choose per (dataset, source) when their views are defined (``view_relation``): the closed file plus the
month globs of the open years when the closed file exists and no marker does; the month files alone otherwise.
The two never overlap (the closed file holds months up to its boundary, the globs only later years), so no row is
read twice; and a closed file is never deleted while it is current, only replaced whole, so a defined view never
loses one. A session opened during a rewrite of a closed month sees the closed file as it was before the run until
step 3 replaces it: the old rows or the new ones, never both. A session opened after a run was killed between 2
and 3 sees the marker and reads the month files (the new rows); one opened before it keeps the pre-run closed file
until it is reopened. The runs' own sessions (a window of months) read month files only.

**Concurrent runs.** Four month runs of the same source rewriting closed months at once would race on one closed
file: two rebuilds reading the month files at different moments, the later rename keeping a file without the other
run's month (the lost write the issue describes). The lock makes steps 2 and 3 of one run exclusive for the period,
so every rebuild reads every month written before it, and the last rebuild reads them all. It is the existing
mechanism of each store (an advisory file lock; S3's conditional PUT, which AWS, MinIO and R2 implement), not a
transaction log: nothing has to be replayed after a crash, the marker only says "rebuild me". On object storage a
lock whose holder died stays until its lease (``LOCK_LEASE_S``) passes; a waiter then deletes it with
``If-Match`` on its ETag, so only that abandoned lock goes. Runs writing open months take no lock.

**Measured** (issue 22 and bench/results.md, the full ECB history): per-year files were 16–21 ms for one pair's series,
one file sorted by (currency, date) about 5 ms, the month files 90–150 ms; rebuilding a closed file from its 324 month
files takes 0.6–1.5 s, paid only by a run that rewrites a closed month (a backfill, a restated history), never by a
daily run. So one file for all closed years, not one per year. DuckLake (measured in the issue: 25–47 ms after
compaction) would add a catalog database to every reader and writer for less speed than one sorted file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

from dagster_project import lake
from dagster_project.lake import replacing, sql_literal

MARKER = "STALE"
LOCK = "LOCK"
ROW_GROUP = 8192  # a currency's 27 years (~7,000 rows) in one or two row groups: a filter on it reads those only


def boundary(today: dt.date | None = None) -> dt.date:
    """The last closed month (its first day): December of last year (UTC)."""
    today = today or dt.datetime.now(dt.UTC).date()
    return dt.date(today.year - 1, 12, 1)


def _key(month: dt.date) -> str:
    return month.strftime("%Y-%m")


@dataclass(frozen=True)
class Period:
    """The closed period of one (dataset, source) or one mart: where its month files are and how its file is sorted.

    ``months_root`` holds ``month=YYYY-MM/<file>.parquet``; ``folder`` the closed file, its marker and its lock.
    ``source``: the parsed dataset's source (a column of the closed file, a Hive key of the month files), or None for a
    mart (its files hold every source)."""

    months_root: Any
    folder: Any
    order: tuple[str, ...]
    source: str | None = None

    def file(self, until: dt.date | None = None) -> Any:
        return self.folder / f"until-{_key(until or boundary())}.parquet"

    @property
    def marker(self) -> Any:
        return self.folder / MARKER

    def month_files(self, *, closed: bool) -> list[Any]:
        """The month files up to the boundary (``closed``) or after it."""
        last = f"month={_key(boundary())}"
        return [path for path in lake.glob(self.months_root, "month=*/*.parquet")
                if (path.parent.name <= last) == closed and not path.name.startswith(".")]

    def usable(self) -> bool:
        """Whether readers may read the closed file: it exists and no marker says it is stale."""
        return self.file().exists() and not self.marker.exists()


def parsed_period(warehouse: Any, dataset: str, source: str, order: tuple[str, ...]) -> Period:
    return Period(warehouse / dataset / f"source={source}", warehouse / "closed" / dataset / f"source={source}", order,
                  source)


def mart_period(warehouse: Any, mart: str, months_root: Any, order: tuple[str, ...]) -> Period:
    return Period(months_root, warehouse / "closed" / mart, order)


@contextmanager
def rewriting(period: Period, months: list[dt.date]) -> Iterator[None]:
    """Around a run's writes of ``months`` of ``period``: keep its closed file the union of its month files (see the
    module's docstring). Writes of open months only take no lock, and repair the period after them if needed."""
    closed = [m for m in months if m <= boundary()]
    with lake.lock(period.folder / LOCK) if closed else nullcontext():
        if closed:
            lake.write_bytes(period.marker, b"a run is rewriting closed months\n")
        yield
        if closed:
            rebuild(period)
    if not closed and needs_repair(period):
        with lake.lock(period.folder / LOCK):
            if needs_repair(period):  # another run may have repaired it while this one waited
                rebuild(period)


def needs_repair(period: Period) -> bool:
    """A marker left by a killed run, or no closed file (a first run, a new year) while closed months exist."""
    if period.marker.exists():
        return True
    return not period.file().exists() and bool(period.month_files(closed=True))


def rebuild(period: Period) -> None:
    """Write the closed file from the month files up to the boundary (whole: temp + rename, or one PUT), delete the
    marker, and delete the closed files of boundaries before the previous one (a session opened last year may still
    read the previous one). Call it holding the period's lock."""
    files = period.month_files(closed=True)
    target = period.file()
    if not files:
        if target.exists():
            target.unlink()
    else:
        con = lake.duckdb_session(period.months_root)
        try:
            listed = "[" + ", ".join(sql_literal(lake.shown(f)) for f in files) + "]"
            hive = ("hive_partitioning = true, hive_types = {'source': VARCHAR, 'month': VARCHAR}" if period.source
                    else "hive_partitioning = false")
            columns = "* exclude (month)" if period.source else "*"
            with replacing(target) as tmp:
                con.execute(f"copy (select {columns} from read_parquet({listed}, {hive}) order by {', '.join(period.order)}) "
                            f"to {sql_literal(str(tmp))} (format parquet, compression zstd, row_group_size {ROW_GROUP})")
        finally:
            con.close()
    if period.marker.exists():
        period.marker.unlink()
    keep = {target.name, period.file(boundary().replace(year=boundary().year - 1)).name}
    for old in lake.glob(period.folder, "until-*.parquet"):
        if old.name not in keep:
            old.unlink()
