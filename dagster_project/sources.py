"""The source registry: everything the project knows about a source, in one entry.

Adding a source is an adapter module (``adapters/<name>.py``: ``parse``, ``looks_like``) and one entry here.
The Dagster assets (``raw_<name>``, ``<name>_<dataset>``), their checks, the source's job and schedule,
the CLI's choices and the parsing pipeline all come from this registry.

The feed kinds (how the raw bytes are fetched, see ``defs/sources/resources.py``):

- ``history``: one file or URL holding the whole history (the ECB's), landed again only for dates it lacks;
- ``snapshots``: a folder of captures named ``<captured_at>.<ext>``, or a URL captured for today only;
- ``api``: ``<base_url>/<YYYY-MM-DD>`` and ``<base_url>/latest`` with an access key, one answer per day;
- ``files``: a folder of exports, every file landed (a file already landed is recognised by its hash).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from dagster_project.adapters import ecb, fixer, max_input_bytes, page, ticker_csv
from dagster_project.rows import ParseError, Snapshot


@dataclass(frozen=True)
class Source:
    name: str
    adapter: ModuleType
    datasets: tuple[str, ...]   # what its inputs hold: rates, tickers
    raw: str                    # what a raw file is (the raw asset's description)
    feed: str                   # history | snapshots | api | files
    cron: str                   # when it publishes (its schedule), in `timezone`
    timezone: str
    calendar: str | None        # publication days: ticks on other days are skipped (TARGET, an exchange); None: every day
    day_offset: int = 0         # the day a tick is for, relative to the tick's local date (-1: yesterday's rates)
    schedule: str = ""          # the schedule's description

    @property
    def assets(self) -> list[str]:
        """Its Dagster assets: the raw files, then one parsed asset per dataset."""
        return [f"raw_{self.name}", *self.parsed_assets]

    @property
    def parsed_assets(self) -> list[str]:
        return [f"{self.name}_{dataset}" for dataset in self.datasets]


SOURCES: dict[str, Source] = {s.name: s for s in [
    Source("ecb", ecb, ("rates",), "ECB reference rate files (history CSV/zip or daily XML) as fetched, never modified.",
           feed="history", cron="30 16 * * 1-5", timezone="Europe/Berlin", calendar="TARGET",
           schedule="ECB reference rates: published about 16:00 CET on TARGET days."),
    Source("page", page, ("rates", "tickers"), "News page snapshots (rates block and ticker strip) as captured, never modified.",
           feed="snapshots", cron="0 8,12,16,20 * * *", timezone="UTC", calendar=None,
           schedule="News page: a capture four times a day; each re-parses the day's partition."),
    Source("fixer", fixer, ("rates",), "Fixer-style API answers (JSON) as fetched, never modified. Needs MDW_FIXER_BASE_URL "
           "and MDW_FIXER_ACCESS_KEY.", feed="api", cron="10 0 * * *", timezone="UTC", calendar=None, day_offset=-1,
           schedule="Fixer-style API: yesterday's rates, once the day is over (needs MDW_FIXER_* settings)."),
    Source("ticker_csv", ticker_csv, ("tickers",), "Vendor ticker-history CSV exports as dropped, never modified.",
           feed="files", cron="30 18 * * 1-5", timezone="America/New_York", calendar="XNYS",
           schedule="Ticker CSV exports: after the NYSE close, on sessions only."),
]}
NAMES = tuple(SOURCES)
SOURCE_DATASETS = {name: s.datasets for name, s in SOURCES.items()}


def assets_of_dataset(dataset: str) -> list[str]:
    """Every parsed asset holding ``dataset`` (rates: ecb_rates, page_rates, fixer_rates)."""
    return [f"{s.name}_{dataset}" for s in SOURCES.values() if dataset in s.datasets]


def parse(source: str, data: bytes, *, captured_at: dt.datetime, file: str | None = None,
          window: tuple[dt.date, dt.date] | None = None) -> Snapshot:
    """Parse one input with its source's adapter. ``window`` (first, last date) lets a history adapter keep only
    those dates' rows (the ECB history: 27 years parsed to load one month); others return every row."""
    if source not in SOURCES:
        raise ParseError(f"unknown source {source!r} (known: {', '.join(NAMES)})", file=file)
    adapter = SOURCES[source].adapter
    if len(data) > max_input_bytes():
        raise ParseError(f"input is {len(data) / 2**20:.0f} MB, over the {max_input_bytes() / 2**20:.0f} MB limit "
                         "(MDW_MAX_INPUT_MB)", file=file)
    if window is not None and getattr(adapter, "WINDOWED", False):
        return adapter.parse(data, captured_at=captured_at, file=file, window=window)
    return adapter.parse(data, captured_at=captured_at, file=file)


def detect(name: str, data: bytes) -> str:
    """Which source a dropped file belongs to: the first whose adapter recognises its name and first bytes
    (registry order; the page is the fallback)."""
    suffix = Path(name).suffix.lower()
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:2048]
    for source in SOURCES.values():
        if source.adapter.looks_like(suffix, head):
            return source.name
    return "page"
