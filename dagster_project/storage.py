"""The parsed layer: Hive-partitioned Parquet, one file per (dataset, source, month), written atomically.

``<data>/warehouse/<dataset>/source=<s>/month=<YYYY-MM>/data.parquet``, rows sorted by date. A day of this
data is 30 to 170 rows, so a file per day would make the history thousands of tiny files (DuckDB pays per
file); a month is a few thousand rows, a few kilobytes of zstd Parquet. ``date`` is a column inside the
file; ``source`` and ``month`` are the Hive keys in the path.

A partition write goes to a hidden temp file in the same folder and is renamed over ``data.parquet``:
readers see the old file or the new one, never half of either, and re-running a partition replaces it
(same rows, never duplicates). A month that now holds no rows loses its file. On object storage
(``MDW_STORAGE_URL=s3://…``) the same write is one PUT of the complete object (``dagster_project.lake``).

The parsed rates also keep their closed months (before the current year) in one file per source, sorted by
(currency, date), for long series (``dagster_project.periods``): a write of a closed month rebuilds it in the same run.
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from pathlib import Path

import polars as pl

from dagster_project import lake, periods
from dagster_project.lake import replacing
from dagster_project.rows import DATASETS, PARTITION_COLUMNS

FILE = "data.parquet"
SORT_KEYS = {
    "rates": ["date", "captured_at", "currency"],
    "tickers": ["date", "captured_at", "symbol"],
    "rejects": ["date", "captured_at", "raw_file", "line", "text"],
}
# the parsed datasets whose closed months are also kept in one file per source (dagster_project.periods), in this order
CLOSED_ORDER = {"rates": ("currency", "date", "captured_at", "raw_file", "line")}


def closed_period(warehouse, dataset: str, source: str) -> periods.Period | None:
    """The closed period of a parsed dataset's source, or None when the dataset keeps month files only."""
    order = CLOSED_ORDER.get(dataset)
    return None if order is None else periods.parsed_period(warehouse, dataset, source, order)


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_key(month: dt.date) -> str:
    """``2024-11``: the Hive key of a month (Dagster's partition key is its first day, ``2024-11-01``)."""
    return month.strftime("%Y-%m")


def next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def previous_month(month: dt.date) -> dt.date:
    return (month.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every month from the one holding ``first`` to the one holding ``last``, as first days."""
    out, month = [], month_of(first)
    while month <= last:
        out.append(month)
        month = next_month(month)
    return out


def month_end(month: dt.date) -> dt.date:
    return next_month(month) - dt.timedelta(days=1)


def days_of(months: list[dt.date]) -> list[dt.date]:
    """Every calendar day of ``months`` (first days), in order."""
    out = []
    for month in sorted(set(months)):
        out += [month + dt.timedelta(days=k) for k in range((month_end(month) - month).days + 1)]
    return out


def month_from_folder(name: str) -> dt.date:
    """The month a ``month=YYYY-MM`` folder holds, as its first day."""
    return dt.date.fromisoformat(name.removeprefix("month=") + "-01")


def partition_path(warehouse: Path, dataset: str, source: str, month: dt.date) -> Path:
    return warehouse / dataset / f"source={source}" / f"month={month_key(month)}" / FILE


def files_of_months(root: Path, months: list[dt.date], pattern: str = "source=*/month=*/*.parquet") -> list[Path]:
    """The existing files under ``root`` matching ``pattern`` whose ``month=`` folder is one of ``months``.

    On object storage, each folder holding month folders (``source=*``, one listing of ``root``'s children) is listed
    from the first month to the last only: a run's window costs the same few requests whatever the history."""
    if not months:
        return []
    folders = {f"month={month_key(m)}" for m in months}
    head, found, tail = pattern.partition("month=*")
    if not found:
        raise ValueError(f"{pattern!r} has no month=* folder")
    parents = lake.matches(root, head.rstrip("/")) if head else [""]
    span = (f"month={month_key(min(months))}", f"month={month_key(max(months))}/\uffff")
    return [path for parent in parents
            for path in lake.glob(root / parent if parent else root, "month=*" + tail, between=span,
                                  keep=lambda rel: rel.partition("/")[0] in folders)]


def source_months(root: Path, until: dt.date | None = None) -> dict[str, list[dt.date]]:
    """The months each source has a partition of under ``root`` (``source=*/month=*``), up to ``until``: a listing, no
    read."""
    out: dict[str, list[dt.date]] = {}
    for rel in lake.matches(root, "source=*/month=*"):
        source, folder = rel.split("/")
        month = month_from_folder(folder)
        if until is None or month <= until:
            out.setdefault(source.removeprefix("source="), []).append(month)
    return {source: sorted(months) for source, months in out.items()}


def replace_dataset(fresh, warehouse, dataset: str) -> None:
    """Put a rebuilt dataset (``fresh/<dataset>``, its closed files in ``fresh/closed/<dataset>``) in the place of
    ``warehouse``'s (``mdw rebuild --replace``). Its current closed files are marked stale first, so a session opened
    meanwhile reads the month files, never an old closed file beside new months."""
    closed = warehouse / "closed" / dataset
    if dataset in CLOSED_ORDER:
        for rel in lake.matches(closed, "source=*"):
            lake.write_bytes(closed / rel / periods.MARKER, b"replaced by mdw rebuild\n")
    lake.replace_tree(fresh / dataset, warehouse / dataset)
    if (fresh / "closed" / dataset).exists():
        if not lake.is_remote(closed):
            closed.parent.mkdir(parents=True, exist_ok=True)
        lake.replace_tree(fresh / "closed" / dataset, closed)


def write_months(warehouse: Path, dataset: str, source: str, months: list[dt.date], frame: pl.DataFrame,
                 *, threads: int = 4) -> dict[dt.date, int]:
    """Replace the partitions of ``months`` with ``frame``'s rows (a month without rows loses its file).

    The rows of each month are gathered, cast and sorted on their own, by a few threads (Parquet encoding and fsync
    release the GIL): besides ``frame`` itself, memory holds a row index and the months being written, never a
    sorted or partitioned copy of the whole frame (2.5 million ticker rows: 1 GB each). Returns rows per month.
    """
    schema = {k: v for k, v in DATASETS[dataset].items() if k not in PARTITION_COLUMNS}
    rows_of: dict[dt.date, pl.Series] = {}
    if frame.height:
        index = (pl.DataFrame({"_month": frame.get_column("date").dt.truncate("1mo"),
                               "_row": pl.int_range(frame.height, dtype=pl.UInt32, eager=True)})
                 .group_by("_month").agg("_row"))
        rows_of = dict(zip(index.get_column("_month").to_list(), index.get_column("_row"), strict=True))  # month -> its rows
    casts = {c: t for c, t in schema.items() if frame.schema[c] != t}

    def one(month: dt.date) -> int:
        path = partition_path(warehouse, dataset, source, month)
        rows = rows_of.get(month)
        if rows is None:
            if path.exists():
                path.unlink()
                lake.remove_empty_dirs(path.parent, stop=warehouse)
            return 0
        body = frame.select(*schema)[rows].cast(casts).sort(SORT_KEYS[dataset], nulls_last=True)
        with replacing(path) as tmp:
            body.write_parquet(tmp, compression="zstd", statistics=True)
        return body.height

    wanted = sorted({month_of(m) for m in months})
    outside = set(rows_of) - set(wanted)
    if outside:
        raise ValueError(f"rows dated outside the months written: {sorted(outside)[:3]}")
    period = closed_period(warehouse, dataset, source)
    with periods.rewriting(period, wanted) if period else nullcontext(), ThreadPoolExecutor(max_workers=threads) as pool:
        return dict(zip(wanted, pool.map(one, wanted)))


def read_month(warehouse: Path, dataset: str, source: str, month: dt.date) -> pl.DataFrame:
    path = partition_path(warehouse, dataset, source, month)
    if not path.exists():
        return pl.DataFrame(schema=DATASETS[dataset])
    return read_parquet(path).with_columns(pl.lit(source).alias("source")).select(list(DATASETS[dataset]))


def read_parquet(path) -> pl.DataFrame:
    """One Parquet file of the lake (local or remote) as a frame."""
    return pl.read_parquet(lake.readable(path))
