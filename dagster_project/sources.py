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
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from dagster_project.adapters import ecb, fixer, max_input_bytes, page, ticker_csv
from dagster_project.rows import ParseError, Snapshot
from dagster_project.settings import BUNDLED


@dataclass(frozen=True)
class Publication:
    """How one dataset of a source is published, where it differs from the source's own entry (the page's ticker
    strip follows the NYSE, its rates block every day)."""

    calendar: str
    timezone: str
    publish_time: str
    priority: int


@dataclass(frozen=True)
class Source:
    """Everything about a source, in one entry: the registry derives its Dagster assets, job and schedule, its feed
    resource and the variable configuring it, the ``ref_sources`` relation SQL reads (calendar, time zone,
    publication time, trust order, precision), the CLI's choices and the parsing pipeline."""

    name: str
    adapter: ModuleType
    datasets: tuple[str, ...]   # what its inputs hold: rates, tickers
    raw: str                    # what a raw file is (the raw asset's description)
    feed: str                   # history | snapshots | api | files
    cron: str                   # when it publishes (its schedule), in `timezone`
    timezone: str
    calendar: str               # publication days: TARGET, weekdays, daily, or an exchange (ticks on other days are skipped)
    publish_time: str           # local time (in `timezone`) by which a day's publication is out
    priority: int               # trust order within its datasets (1: most trusted): fx_convert and the cross-source checks prefer the lowest
    day_offset: int = 0         # the day a tick is for, relative to the tick's local date (-1: yesterday's rates)
    schedule: str = ""          # the schedule's description
    title: str = ""             # who publishes it (the Bank of England)
    location: str = ""          # the default location of its feed: a path under data/bundled (the bundled recordings), or ""
    url: str = ""               # the live feed (documentation: MDW_<NAME>_LOCATION may be set to it); {start}/{end}: dates
    terms: str = ""             # the publisher's terms of use
    significant_digits: int | None = None  # documented precision where its files drop trailing zeros (the ECB: 5)
    note: str = ""
    group: str = ""             # the Dagster asset group of its assets ("" : raw_* in raw, parsed in parsed)
    datasets_published: dict[str, Publication] = field(default_factory=dict)  # per-dataset differences

    @property
    def assets(self) -> list[str]:
        """Its Dagster assets: the raw files, then one parsed asset per dataset."""
        return [f"raw_{self.name}", *self.parsed_assets]

    @property
    def parsed_assets(self) -> list[str]:
        return [f"{self.name}_{dataset}" for dataset in self.datasets]

    def publication(self, dataset: str) -> Publication:
        return self.datasets_published.get(dataset) or Publication(self.calendar, self.timezone, self.publish_time, self.priority)

    @property
    def default_location(self) -> str:
        return str(BUNDLED / self.location) if self.location else ""


def _provider(name: str, adapter: ModuleType, title: str, *, cron: str, timezone: str, calendar: str, publish_time: str,
              url: str, terms: str, covers: str, priority: int = 10, **kwargs) -> Source:
    """A central bank's rates: its bundled recordings (data/bundled/<name>/) landed by default, each file once."""
    return Source(name, adapter, ("rates",), f"{title}: {covers}, as served, never modified.", feed="history", cron=cron,
                  timezone=timezone, calendar=calendar, publish_time=publish_time, priority=priority, title=title,
                  location=name, url=url, terms=terms, group="central_banks",
                  schedule=f"{title}: published about {publish_time} {timezone} on {calendar} days.", **kwargs)


SOURCES: dict[str, Source] = {s.name: s for s in [
    Source("ecb", ecb, ("rates",), "ECB reference rate files (history CSV/zip or daily XML) as fetched, never modified.",
           feed="history", cron="30 16 * * 1-5", timezone="Europe/Berlin", calendar="TARGET", publish_time="16:00", priority=1,
           schedule="ECB reference rates: published about 16:00 CET on TARGET days.", title="European Central Bank",
           location="ecb/20261030T155600Z.zip", url="https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist.zip",
           terms="https://www.ecb.europa.eu/services/using-our-site/disclaimer/html/index.en.html", significant_digits=5,
           note="five significant digits (the history file drops trailing zeros: 11.6 is 11.600); euro reference rates around "
                "16:00 CET on TARGET days (concertation about 14:10 CET)"),
    Source("page", page, ("rates", "tickers"), "News page snapshots (rates block and ticker strip) as captured, never modified.",
           feed="snapshots", cron="0 8,12,16,20 * * *", timezone="UTC", calendar="daily", publish_time="12:00", priority=90,
           schedule="News page: a capture four times a day; each re-parses the day's partition.", title="a financial news page",
           location="page", note="news page snapshots several times a day; the ticker strip shows the last NYSE session",
           datasets_published={"tickers": Publication("XNYS", "America/New_York", "16:00", 1)}),
    Source("fixer", fixer, ("rates",), "Fixer-style API answers (JSON) as fetched, never modified. Needs MDW_FIXER_BASE_URL "
           "and MDW_FIXER_ACCESS_KEY.", feed="api", cron="10 0 * * *", timezone="UTC", calendar="daily", publish_time="00:05",
           priority=80, day_offset=-1, title="a Fixer-style rates API", note="Fixer-style API: a rate set every day",
           schedule="Fixer-style API: yesterday's rates, once the day is over (needs MDW_FIXER_* settings)."),
    Source("ticker_csv", ticker_csv, ("tickers",), "Vendor ticker-history CSV exports as dropped, never modified.",
           feed="files", cron="30 18 * * 1-5", timezone="America/New_York", calendar="XNYS", publish_time="16:00", priority=2,
           schedule="Ticker CSV exports: after the NYSE close, on sessions only.", title="vendor ticker exports",
           location="ticker_csv", note="vendor export of NYSE closes"),
]}
NAMES = tuple(SOURCES)
SOURCE_DATASETS = {name: s.datasets for name, s in SOURCES.items()}


def publications() -> list[dict]:
    """One row per source and dataset: what ``ref_sources`` holds (source, dataset, calendar, timezone,
    publish_time, reference_priority, significant_digits, note), derived from the registry."""
    rows = []
    for s in SOURCES.values():
        for dataset in s.datasets:
            p = s.publication(dataset)
            rows.append({"source": s.name, "dataset": dataset, "calendar": p.calendar, "timezone": p.timezone,
                         "publish_time": p.publish_time, "reference_priority": p.priority,
                         "significant_digits": s.significant_digits, "title": s.title, "note": s.note})
    return rows


def calendar_of(source: str, dataset: str) -> str | None:
    """The publication calendar of a source's dataset: TARGET, weekdays, daily, or an exchange (XNYS…)."""
    s = SOURCES.get(source)
    return s.publication(dataset).calendar if s and dataset in s.datasets else None


def env_defaults() -> dict[str, str]:
    """Each feed's variable with its default: the bundled recordings where the registry names them, else empty
    (a feed is "not configured" until its variable is set)."""
    out = {}
    for s in SOURCES.values():
        env = f"MDW_{s.name.upper()}"
        if s.feed == "api":
            out |= {f"{env}_BASE_URL": "", f"{env}_ACCESS_KEY": ""}
        else:
            out[f"{env}_LOCATION"] = s.default_location
    return out


def bundled_last_date(source: str = "ecb") -> dt.date:
    """The capture date of a history's bundled file, from its name (the ECB's file was captured on its last day)."""
    name = Path(SOURCES[source].default_location).name
    return dt.date(int(name[0:4]), int(name[4:6]), int(name[6:8]))


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
