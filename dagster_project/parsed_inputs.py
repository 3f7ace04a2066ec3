"""One parse per input: the rows landing parsed (to validate the input) kept for the parsed assets.

``land_input`` must parse an input to refuse a bad one before it lands; the parsed assets then need the same
rows. Instead of parsing twice, landing keeps them: ``<data>/parsed_inputs/<source>/<key>/``
with ``rates.parquet``, ``tickers.parquet``, ``rejects.parquet`` and a ``complete`` marker written last.
The key is the input's SHA-256, its capture time and a hash of the parser code (``adapters/``,
``rows.py``): a fixed parser never serves rows of the old one. It is derived data, like the marts, kept beside
``raw/`` and ``warehouse/`` (so no ``warehouse/**/*.parquet`` glob meets it): removing it only costs parse time, and ``mdw rebuild`` re-parses the raw layer without it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from functools import lru_cache
from pathlib import Path

import polars as pl

from dagster_project import lake
from dagster_project.lake import replacing
from dagster_project.rows import RATE_SCHEMA, REJECT_SCHEMA, TICKER_SCHEMA, Reject, Snapshot

PARSER_FILES = (Path(__file__).parent / "adapters", Path(__file__).parent / "rows.py")
_FRAMES = {"rates": RATE_SCHEMA, "tickers": TICKER_SCHEMA, "rejects": REJECT_SCHEMA}


@lru_cache(maxsize=1)
def parser_version() -> str:
    """A hash of the parser code: the adapters and the row shape."""
    digest = hashlib.sha256()
    for root in PARSER_FILES:
        for path in sorted(root.rglob("*.py")) if root.is_dir() else [root]:
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def folder(data_dir: Path, source: str, sha256: str, captured_at: dt.datetime) -> Path:
    return (data_dir / "parsed_inputs" / source
            / f"{sha256[:24]}-{captured_at.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}-{parser_version()}")


def keep(data_dir: Path, sha256: str, snapshot: Snapshot) -> None:
    """Store a snapshot's rows under its key (each file atomic, the marker last: a half-kept one is not used)."""
    target = folder(data_dir, snapshot.source, sha256, snapshot.captured_at)
    frames = {"rates": snapshot.rates, "tickers": snapshot.tickers, "rejects": snapshot.rejects_frame(None)}
    for name, frame in frames.items():
        with replacing(target / f"{name}.parquet") as tmp:
            frame.write_parquet(tmp, compression="zstd")
    with replacing(target / "complete") as tmp:
        tmp.write_text(snapshot.source)


def load(data_dir: Path, source: str, sha256: str, captured_at: dt.datetime,
         window: tuple[dt.date, dt.date] | None = None) -> Snapshot | None:
    """The kept rows of an input (only the dates of ``window`` when given), or None when there are none."""
    where = folder(data_dir, source, sha256, captured_at)
    if not (where / "complete").exists():
        return None
    frames = {}
    for name, schema in _FRAMES.items():
        scan = pl.scan_parquet(lake.readable(where / f"{name}.parquet"))
        if window is not None:
            scan = scan.filter(pl.col("date").is_between(*window) | pl.col("date").is_null())
        frame = scan.collect()
        frames[name] = frame.cast({c: t for c, t in schema.items() if frame.schema[c] != t})  # no copy of a column already right
    rejects = [Reject(r["line"], r["text"], r["reason"], r["date"]) for r in frames["rejects"].iter_rows(named=True)]
    return Snapshot(source, captured_at, frames["rates"], frames["tickers"], rejects)


def clear(data_dir: Path) -> None:
    lake.remove_tree(data_dir / "parsed_inputs")
