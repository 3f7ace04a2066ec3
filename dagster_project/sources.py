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

from dagster_project.adapters import (
    bdi,
    bob,
    boc,
    boe,
    boi,
    cbc,
    cbk,
    cbr,
    cbs,
    cnb,
    ecb,
    fixer,
    fred,
    imf,
    max_input_bytes,
    nbp,
    norges,
    page,
    rba,
    sbp,
    ticker_csv,
)
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
    pivot: str = ""             # the currency every quote of a date is against or for (CZK: CZK per 1 USD, CZK per 100 JPY):
                                # the models read its quotes oriented "per 1 pivot" (stg_rates); "" : as published
    key_env: str = ""           # the variable holding its API key (environment only; the live URL's {api_key})
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
              url: str, terms: str, covers: str, pivot: str, priority: int, **kwargs) -> Source:
    """A central bank's rates: its bundled recordings (data/bundled/<name>/) landed by default, each file once."""
    return Source(name, adapter, ("rates",), f"{title}: {covers}, as served, never modified.", feed="history", cron=cron,
                  timezone=timezone, calendar=calendar, publish_time=publish_time, priority=priority, title=title,
                  location=name, url=url, terms=terms, group="central_banks", pivot=pivot,
                  schedule=f"{title}: published about {publish_time} {timezone} on {calendar} days.", **kwargs)


SOURCES: dict[str, Source] = {s.name: s for s in [
    Source("ecb", ecb, ("rates",), "ECB reference rate files (history CSV/zip or daily XML) as fetched, never modified.",
           feed="history", cron="30 16 * * 1-5", timezone="Europe/Berlin", calendar="TARGET", publish_time="16:00", priority=1,
           schedule="ECB reference rates: published about 16:00 CET on TARGET days.", title="European Central Bank",
           location="ecb/20261030T155600Z.zip", url="https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist.zip",
           terms="https://www.ecb.europa.eu/services/using-our-site/disclaimer/html/index.en.html", significant_digits=5, pivot="EUR",
           note="five significant digits (the history file drops trailing zeros: 11.6 is 11.600); euro reference rates around "
                "16:00 CET on TARGET days (concertation about 14:10 CET)"),
    # central banks, in trust order after the ECB (before the page, Fixer and the ticker CSVs, whose adapters take any
    # .txt, .json or .csv: a provider's file is recognised by its own adapter first)
    _provider("boe", boe, "Bank of England", covers="IADB CSV of daily spot rates (series XUDL…, units of 26 currencies per 1 GBP)",
              cron="0 17 * * 1-5", timezone="Europe/London", calendar="XLON", publish_time="16:30", pivot="GBP", priority=10,
              url=boe.URL_TEMPLATE, terms="https://www.bankofengland.co.uk/legal",
              note="indicative mid rates observed about 16:00 London; four decimals, trailing zeros dropped"),
    _provider("boc", boc, "Bank of Canada", covers="Valet JSON of FX_RATES_DAILY (CAD per 1 unit of 23 currencies)",
              cron="45 16 * * 1-5", timezone="America/Toronto", calendar="XTSE", publish_time="16:30", pivot="CAD", priority=11,
              url=boc.URL_TEMPLATE, terms="https://www.bankofcanada.ca/terms/",
              note="daily average indicative rates, published by 16:30 ET; four significant digits, at most six decimals"),
    _provider("rba", rba, "Reserve Bank of Australia", covers="F11.1 exchange-rate CSV (units of 20 currencies and the SDR per A$1)",
              cron="0 17 * * 1-5", timezone="Australia/Sydney", calendar="XASX", publish_time="16:00", pivot="AUD", priority=12,
              url=rba.URL, terms="https://www.rba.gov.au/copyright/",
              note="indicative rates at 16:00 Sydney; the file holds the whole history from 2023-01-03"),
    _provider("norges", norges, "Norges Bank", pivot="NOK", covers="EXR exchange rates (SDMX-CSV), NOK per 1 or 100 units of about 35 currencies",
              cron="30 16 * * 1-5", timezone="Europe/Oslo", calendar="XOSL", publish_time="16:00", priority=13,
              url="https://data.norges-bank.no/api/data/EXR/B..NOK.SP?format=csvdata&startPeriod={start:%Y-%m-%d}&endPeriod={end:%Y-%m-%d}",
              terms="https://www.norges-bank.no/en/topics/Statistics/disclaimer/"),
    _provider("cnb", cnb, "Czech National Bank", pivot="CZK", covers="exchange rate fixing (API JSON), CZK per 1, 100 or 1,000 units of 30 currencies",
              cron="45 14 * * 1-5", timezone="Europe/Prague", calendar="XPRA", publish_time="14:30", priority=14,
              url="https://api.cnb.cz/cnbapi/exrates/daily-year?year={end:%Y}&lang=EN",
              terms="https://www.cnb.cz/en/footer/general-terms-and-conditions/"),
    _provider("nbp", nbp, "Narodowy Bank Polski", pivot="PLN", covers="average rates, tables A (daily, ~32 codes) and B (weekly, ~115-150 codes), "
              "API JSON, PLN per 1 unit", cron="30 12 * * 1-5", timezone="Europe/Warsaw", calendar="XWAR", publish_time="12:15",
              priority=15, url="https://api.nbp.pl/api/exchangerates/tables/A/{start:%Y-%m-%d}/{end:%Y-%m-%d}/?format=json",
              terms="https://api.nbp.pl/en.html",
              note="table B (weekly, Wednesdays) is https://api.nbp.pl/api/exchangerates/tables/B/…; at most 93 days per request"),
    _provider("cbr", cbr, "Bank of Russia", covers="XML_daily: RUB per Nominal units of ~54 currencies (incl. XDR), one date a file",
              cron="45 15 * * 1-5", timezone="Europe/Moscow", calendar="weekdays", publish_time="15:30", pivot="RUB", priority=16,
              url="https://www.cbr.ru/scripts/XML_daily.asp?date_req={end:%d/%m/%Y}", terms="https://www.cbr.ru/eng/user_agreement/",
              note="a Friday file is dated Saturday (the day the rates apply from); metal prices: xml_metall.asp"),
    _provider("bdi", bdi, "Banca d'Italia", covers="dailyRates CSV: ~150 currencies per 1 EUR, one reference date a file",
              cron="30 18 * * 1-5", timezone="Europe/Rome", calendar="TARGET", publish_time="18:00", pivot="EUR", priority=17,
              url="https://tassidicambio.bancaditalia.it/terzevalute-wf-web/rest/v1.0/dailyRates?referenceDate={end:%Y-%m-%d}"
                  "&currencyIsoCode=EUR&lang=en", terms="https://tassidicambio.bancaditalia.it/"),
    _provider("imf", imf, "International Monetary Fund", covers="monthly TSV tables: representative rates per USD and SDRs per "
              "currency unit", cron="0 17 * * 1-5", timezone="America/New_York", calendar="XNYS", publish_time="16:00",
              pivot="USD", priority=18,
              url="https://www.imf.org/external/np/fin/data/rms_mth.aspx?SelectDate={end:%Y-%m-%d}&reportType=REP&tsvflag=Y",
              terms="https://www.imf.org/en/about/copyright-and-terms",
              note="the SDR table (reportType=SDRCV) is landed beside; the models read the quotes against the USD"),
    _provider("fred", fred, "Federal Reserve Board H.10 via FRED", covers="FRED series observations JSON, one H.10 series a "
              "body, named <captured_at>_<series>.json", cron="30 16 * * 1,2", timezone="America/New_York", calendar="XNYS",
              publish_time="16:15", pivot="USD", priority=19, url=fred.URL, terms="https://fred.stlouisfed.org/legal/",
              key_env="MDW_FRED_ACCESS_KEY", note="noon buying rates in New York; a weekly release (Monday)"),
    _provider("boi", boi, "Bank of Israel", covers="SDMX-CSV of the representative rates (OF00), ILS per 10^UNIT_MULT units",
              cron="0 16 * * 1-5", timezone="Asia/Jerusalem", calendar="weekdays", publish_time="15:30", pivot="ILS", priority=20,
              url="https://edge.boi.gov.il/FusionEdgeServer/sdmx/v2/data/dataflow/BOI.STATISTICS/EXR/1.0/"
                  "?c%5BDATA_TYPE%5D=OF00&startperiod={start:%Y-%m-%d}&endperiod={end:%Y-%m-%d}&format=csv",
              terms="https://www.boi.org.il/en/terms-of-use"),
    _provider("cbc", cbc, "Central Bank of the Republic of China (Taiwan)", covers="open-data file BP01D01 (JSON, the whole "
              "daily history since 1993)", cron="0 9 * * 1-5", timezone="Asia/Taipei", calendar="XTAI", publish_time="16:00",
              pivot="USD", priority=21, url="https://cpx.cbc.gov.tw/API/DataAPI/Get?FileName=BP01D01",
              terms="https://www.cbc.gov.tw/en/lp-4237-2.html",
              note="interbank spot rates at 16:00 Taipei; the file is refreshed monthly, in arrears"),
    # central banks that cover codes of the page no other provider quotes (BWP, PKR and the Gulf codes, WST, FJD, KES…)
    _provider("bob", bob, "Bank of Botswana", covers="exchange-rates CSV export, units of CNY, EUR, GBP, USD, XDR, JPY, ZAR per "
              "1 BWP, since 2001", cron="0 14 * * 1-5", timezone="Africa/Gaborone", calendar="XJSE", publish_time="12:00",
              pivot="BWP", priority=22, url=bob.URL, terms="https://www.bankofbotswana.bw/content/disclaimer",
              note="four decimals (as few as 3 significant digits: USD 0.0731); 0.0000 = not quoted"),
    _provider("sbp", sbp, "State Bank of Pakistan", covers="BFER daily workbooks (xlsx), PKR per 1 unit of 23 currencies, since "
              "2013-07-02", cron="0 18 15-28 * *", timezone="Asia/Karachi", calendar="XKAR", publish_time="18:00", pivot="PKR",
              priority=23, url=sbp.URL, terms="https://www.sbp.org.pk/our-operations/disclaimer",
              note="a month's rates appear about three weeks after it ends; the archive (sbp.ARCHIVE_URL) is a second stream"),
    _provider("cbs", cbs, "Central Bank of Samoa", covers="historical daily rates workbook (xlsx), units of USD, NZD, AUD, EUR, FJD, "
              "JPY, GBP, CNY, CNH per 1 WST, since 2008", cron="30 10 * * 1-5", timezone="Pacific/Apia", calendar="XNZE",
              publish_time="10:00", pivot="WST", priority=24, url=cbs.PAGE_URL, terms="https://www.cbs.gov.ws/",
              note="indicative rates; the page links a workbook whose name changes daily (cbs.workbook_url): the live feed is a "
                   "folder a fetcher fills (MDW_CBS_LOCATION), not this URL"),
    _provider("cbk", cbk, "Central Bank of Kenya", covers="daily indicative rates (DataTables JSON), KES per 1 unit of 17 currencies "
              "(per 100 JPY), UGX, TZS, RWF, BIF per 1 KES", cron="30 13 * * 1-5", timezone="Africa/Nairobi", calendar="XJSE",
              publish_time="12:00", pivot="KES", priority=25, url=cbk.URL, terms="https://www.centralbank.go.ke/",
              note="served to a POST of cbk.FORM: the live feed is a folder a fetcher fills (MDW_CBK_LOCATION), not this URL"),
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
                         "significant_digits": s.significant_digits, "pivot_currency": s.pivot or None, "title": s.title,
                         "note": s.note})
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
        if s.key_env:
            out[s.key_env] = ""
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
