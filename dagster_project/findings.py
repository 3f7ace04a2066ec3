"""Data-quality findings as Parquet: ``warehouse/dq_findings/source=…/month=…/<asset>.<check>.parquet``.

A finding is a row of FINDING_SCHEMA (``check_name, severity, date, source, subject, observed, expected,
detail, asset, dataset, scope``). Re-checking a range replaces the findings of its dates and keeps the
others; each file is written atomically; a month without findings has no file.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from dagster_project import lake, storage
from dagster_project.lake import replacing

SEVERITIES = ("WARN", "ERROR")


FINDING_SCHEMA: dict[str, pl.DataType] = {
    "check_name": pl.String(),
    "severity": pl.String(),
    "date": pl.Date(),
    "source": pl.String(),
    "subject": pl.String(),
    "observed": pl.Float64(),
    "expected": pl.Float64(),
    "detail": pl.String(),
    "asset": pl.String(),
    "dataset": pl.String(),
    "scope": pl.String(),
}


def root(data_dir: Path) -> Path:
    return data_dir / "warehouse" / "dq_findings"


def _anchor(data_dir: Path) -> Path:
    """An empty findings file that is never removed: once findings have been stored, the ``dq_findings`` glob
    always matches a file, so an open DuckDB session's view keeps working when every finding is cleared."""
    return root(data_dir) / "source=_" / "month=1970-01" / "_schema.parquet"


def findings_file(data_dir: Path, source: str, month: dt.date, asset: str, check: str) -> Path:
    return root(data_dir) / f"source={source}" / f"month={storage.month_key(month)}" / f"{asset}.{check}.parquet"


def store(data_dir: Path, asset: str, check: str, frame: pl.DataFrame, *, source: str | None = None,
          start: dt.date | None = None, end: dt.date | None = None) -> int:
    """Replace the stored findings of ``check`` on ``asset`` for the dates ``start`` to ``end`` of ``source``
    (all sources when None), or everywhere when ``start`` is None (a check of the whole warehouse)."""
    anchor = _anchor(data_dir)
    if not anchor.exists():
        with replacing(anchor) as tmp:
            pl.DataFrame(schema=FINDING_SCHEMA).drop("source").write_parquet(tmp)
    top = root(data_dir)
    whole = start is None
    if whole:
        previous = lake.glob(top, f"source=*/month=*/{asset}.{check}.parquet")
    else:
        previous = storage.files_of_months(top, storage.months_between(start, end),
                                           f"source={source or '*'}/month=*/{asset}.{check}.parquet")
    kept = []
    if not whole:  # findings of dates outside the judged range stay
        for path in previous:
            old = storage.read_parquet(path).with_columns(pl.lit(path.parent.parent.name.removeprefix("source=")).alias("source"))
            kept.append(old.filter(~pl.col("date").is_between(start, end)).select(list(FINDING_SCHEMA)))
    merged = pl.concat([*kept, frame.select(list(FINDING_SCHEMA))]) if kept else frame
    written = set()
    if merged.height:
        keyed = merged.with_columns(pl.col("date").dt.truncate("1mo").alias("_month"))
        for (src, month), part in keyed.partition_by(["source", "_month"], as_dict=True).items():
            path = findings_file(data_dir, src, month, asset, check)
            with replacing(path) as tmp:
                part.drop("source", "_month").sort("date", "subject").write_parquet(tmp, compression="zstd", statistics=True)
            written.add(path)
    for path in previous:
        if path not in written:
            path.unlink(missing_ok=True)
    return frame.height
