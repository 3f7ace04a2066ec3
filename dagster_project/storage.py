"""The parsed layer: Hive-partitioned Parquet, one file per (dataset, source, date), written atomically.

``<data>/warehouse/<dataset>/source=<s>/date=<d>/data.parquet``. A partition write goes to a hidden temp
file in the same folder and is renamed over ``data.parquet``: readers see the old file or the new one,
never half of either, and re-running a partition replaces it (same rows, never duplicates). A partition
that now holds no rows is removed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from dagster_project.landing import replacing
from dagster_project.rows import DATASETS, PARTITION_COLUMNS

FILE = "data.parquet"
SORT_KEYS = {
    "rates": ["captured_at", "currency"],
    "tickers": ["captured_at", "symbol"],
    "rejects": ["captured_at", "raw_file", "line", "text"],
}


def partition_path(warehouse: Path, dataset: str, source: str, day: dt.date) -> Path:
    return warehouse / dataset / f"source={source}" / f"date={day.isoformat()}" / FILE


def write_partition(warehouse: Path, dataset: str, source: str, day: dt.date, frame: pl.DataFrame) -> int:
    """Replace one partition with ``frame`` (rows sorted for a stable order); return the row count."""
    return write_partitions(warehouse, dataset, source, [day], frame.with_columns(pl.lit(day).alias("date")))[day]


def write_partitions(warehouse: Path, dataset: str, source: str, days: list[dt.date], frame: pl.DataFrame,
                     *, threads: int = 4) -> dict[dt.date, int]:
    """Replace the partitions of ``days`` with ``frame``'s rows (a day without rows loses its partition).

    The same result as ``write_partition`` per day, done in bulk: one cast and one sort for the whole frame,
    then the files written by a few threads (Parquet encoding and fsync release the GIL). Returns rows per day.
    """
    from concurrent.futures import ThreadPoolExecutor

    schema = {k: v for k, v in DATASETS[dataset].items() if k not in PARTITION_COLUMNS}
    parts: dict[dt.date, pl.DataFrame] = {}
    if frame.height:
        ordered = frame.select("date", *schema).cast(schema).sort(["date", *SORT_KEYS[dataset]], nulls_last=True)
        parts = {key[0]: part.drop("date") for key, part in ordered.partition_by("date", as_dict=True, maintain_order=True).items()}

    def one(day: dt.date) -> int:
        path = partition_path(warehouse, dataset, source, day)
        body = parts.get(day)
        if body is None:
            if path.exists():
                path.unlink()
                _remove_empty_dirs(path.parent, stop=warehouse)
            return 0
        with replacing(path) as tmp:
            body.write_parquet(tmp, compression="zstd", statistics=True)
        return body.height

    wanted = sorted(set(days))
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return dict(zip(wanted, pool.map(one, wanted)))


def read_partition(warehouse: Path, dataset: str, source: str, day: dt.date) -> pl.DataFrame:
    path = partition_path(warehouse, dataset, source, day)
    if not path.exists():
        return pl.DataFrame(schema=DATASETS[dataset])
    body = pl.read_parquet(path)
    return body.with_columns(pl.lit(source).alias("source"), pl.lit(day).alias("date")).select(list(DATASETS[dataset]))


def _remove_empty_dirs(folder: Path, stop: Path) -> None:
    while folder != stop and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent
