"""One adapter per source; every adapter returns a :class:`~dagster_project.rows.Snapshot` (same row shape)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from dagster_project.adapters import ecb, fixer, page, ticker_csv
from dagster_project.rows import ParseError, Snapshot

ADAPTERS = {"page": page, "ecb": ecb, "fixer": fixer, "ticker_csv": ticker_csv}
SOURCES = tuple(ADAPTERS)


def max_input_bytes() -> int:
    """The largest input read (MDW_MAX_INPUT_MB, default 256 MB): a runaway download fails clearly, not by memory."""
    return int(float(os.environ.get("MDW_MAX_INPUT_MB", "256")) * 1024 * 1024)


def parse(source: str, data: bytes, *, captured_at: dt.datetime, file: str | None = None,
          window: tuple[dt.date, dt.date] | None = None) -> Snapshot:
    """Parse one input. ``window`` (first, last date) lets a history adapter keep only those dates' rows (the
    ECB history: 27 years parsed to load one month); other adapters return every row and the caller filters."""
    try:
        adapter = ADAPTERS[source]
    except KeyError:
        raise ParseError(f"unknown source {source!r} (known: {', '.join(SOURCES)})", file=file) from None
    if len(data) > max_input_bytes():
        raise ParseError(f"input is {len(data) / 2**20:.0f} MB, over the {max_input_bytes() / 2**20:.0f} MB limit "
                         "(MDW_MAX_INPUT_MB)", file=file)
    if window is not None and getattr(adapter, "WINDOWED", False):
        return adapter.parse(data, captured_at=captured_at, file=file, window=window)
    return adapter.parse(data, captured_at=captured_at, file=file)


def detect(name: str, data: bytes) -> str:
    """Which source a dropped file belongs to, from its name and first bytes."""
    suffix = Path(name).suffix.lower()
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:2048]
    if head.startswith(b"PK\x03\x04") or suffix == ".xml" or b"<gesmes" in head or b"<Cube" in head:
        return "ecb"
    if suffix == ".json" or head.startswith((b"{", b"[")):
        return "fixer"
    if suffix == ".csv":
        first = head.split(b"\n", 1)[0].decode("utf-8", "replace").lower()
        return "ecb" if first.startswith("date,") and "symbol" not in first and "ticker" not in first else "ticker_csv"
    return "page"
