"""Adapter for the Federal Reserve's H.10 noon buying rates in New York, via the FRED API (JSON, one series a body).

Feed: FRED's ``series/observations`` endpoint, one request per H.10 series (``SERIES`` below), with the API
key from the environment only (``MDW_FRED_API_KEY``; it is never written to a file, a name or a message)::

    https://api.stlouisfed.org/fred/series/observations?series_id=DEXUSEU&api_key=…&file_type=json
        &observation_start=2026-03-01&observation_end=2026-03-31

The body::

    {"realtime_start": "2026-03-16", …, "units": "lin", "count": 10, "offset": 0, "limit": 100000,
     "observations": [{"realtime_start": "2026-03-16", "realtime_end": "2026-03-16", "date": "2026-03-02", "value": "1.169"}, …]}

``"."`` is FRED's mark for a day without a value (a US holiday) and is skipped. The body does not name its
series, so the series id must be in the file name (``20260319T140828Z_DEXUSEU.json``): without it the body
cannot be read, and ``parse`` says so.

What it quotes: an H.10 series id is ``DEX`` + two FRED country codes, read as units of the first country's
currency per 1 unit of the second's; one side is always ``US``. So the direction comes from the series id:
``DEXJPUS`` is JPY per 1 USD (base USD, currency JPY) and ``DEXUSEU`` is USD per 1 EUR (base EUR, currency
USD; likewise ``DEXUSUK``, ``DEXUSAL``, ``DEXUSNZ``). The two-letter codes are FRED's own naming (the H.10
release, https://fred.stlouisfed.org/release/tables?rid=17 , and the Board's list of the H.10 currencies,
https://www.federalreserve.gov/releases/h10/current/), so they are mapped to ISO codes by the fixed table
``COUNTRIES``; every H.10 series is per 1 unit (the Board quotes none per 100). ``line`` is the 1-based
ordinal of the observation in ``observations`` (the body is one physical line).

Terms of use: https://fred.stlouisfed.org/legal/ (the H.10 data themselves are the Federal Reserve Board's).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path

from dagster_project.adapters._codes import not_in_use
from dagster_project.adapters._text import decode, number_problem
from dagster_project.rows import TICKER_SCHEMA, ParseError, Reject, Snapshot, empty, rates_frame, utc

SOURCE = "fred"
API_KEY_ENV = "MDW_FRED_API_KEY"
# One request per series of SERIES; the landed file is named <captured_at>_<series>.json (see series_of)
URL = ("https://api.stlouisfed.org/fred/series/observations?series_id={series}&api_key={api_key}&file_type=json"
       "&observation_start={start:%Y-%m-%d}&observation_end={end:%Y-%m-%d}")
MISSING = "."
LEVELS = "lin"  # FRED's "units" of the levels as published (other values are transformations: pch, chg, log…)

# FRED's two-letter country codes in the H.10 series ids, and the currency each stands for.
COUNTRIES = {
    "US": "USD", "AL": "AUD", "BZ": "BRL", "CA": "CAD", "CH": "CNY", "DN": "DKK", "EU": "EUR", "HK": "HKD",
    "IN": "INR", "JP": "JPY", "KO": "KRW", "MA": "MYR", "MX": "MXN", "NO": "NOK", "NZ": "NZD", "SD": "SEK",
    "SF": "ZAR", "SI": "SGD", "SL": "LKR", "SZ": "CHF", "TA": "TWD", "TH": "THB", "UK": "GBP",
}
# The daily H.10 series FRED serves (the feed fetches each of these, one body a series).
SERIES = (
    "DEXBZUS", "DEXCAUS", "DEXCHUS", "DEXDNUS", "DEXHKUS", "DEXINUS", "DEXJPUS", "DEXKOUS", "DEXMAUS", "DEXMXUS",
    "DEXNOUS", "DEXSDUS", "DEXSFUS", "DEXSIUS", "DEXSLUS", "DEXSZUS", "DEXTAUS", "DEXTHUS",
    "DEXUSAL", "DEXUSEU", "DEXUSNZ", "DEXUSUK",
)
_SERIES_IN_NAME = re.compile(r"(?<![A-Z])DEX([A-Z]{2})([A-Z]{2})(?![A-Z])")
_MIN_KEY = 8  # shorter is no key (a real one is 32 characters): replacing it would garble the message
_HEAD_TOKENS = (b'"realtime_start"', b'"observation_start"', b'"units"')


def series_of(file: str | None) -> str | None:
    """The H.10 series id a file name carries (``…_DEXUSEU.json``), or None."""
    found = _SERIES_IN_NAME.findall(Path(file).name) if file else []
    return f"DEX{found[-1][0]}{found[-1][1]}" if found else None


def pair(series: str, file: str | None = None) -> tuple[str, str]:
    """(currency, base) of an H.10 series: ``DEXJPUS`` -> (JPY, USD), ``DEXUSEU`` -> (USD, EUR)."""
    m = _SERIES_IN_NAME.fullmatch(series)
    if not m or "US" not in m.groups() or m.group(1) == m.group(2):
        raise ParseError(f"{series!r} is not an H.10 series id (DEX + two country codes, one of them US)", file=file)
    unknown = [c for c in m.groups() if c not in COUNTRIES]
    if unknown:
        raise ParseError(f"series {series}: FRED country code {unknown[0]!r} is not one of the H.10 currencies", file=file)
    return COUNTRIES[m.group(1)], COUNTRIES[m.group(2)]


def _redact(text: str) -> str:
    """A provider message with the API key taken out, should the provider echo it."""
    key = os.environ.get(API_KEY_ENV, "")
    text = text.replace(key, "<api key>") if len(key) >= _MIN_KEY else text
    return re.sub(r"(api_key=)[^&\s\"']+", r"\1<api key>", text)


def parse(data: bytes, *, captured_at: dt.datetime, file: str | None = None) -> Snapshot:
    captured_at = utc(captured_at)
    text = decode(data, file)
    if text.lstrip().startswith("<"):
        raise ParseError("an HTML/XML page where FRED's JSON was expected", file=file, line=1)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(f"truncated or malformed JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
                         file=file, line=exc.lineno) from None
    if not isinstance(doc, dict):
        raise ParseError("JSON is not an object", file=file, line=1)
    if "error_code" in doc or "error_message" in doc:
        raise ParseError(_redact(f"FRED error {doc.get('error_code', '?')}: {doc.get('error_message', 'no detail')}"),
                         file=file)
    observations = doc.get("observations")
    if not isinstance(observations, list):
        raise ParseError("not a FRED series/observations answer: no 'observations' list", file=file)
    if doc.get("units", LEVELS) != LEVELS:
        raise ParseError(f"units is {doc['units']!r}: a transformation of the series, not its published levels "
                         f"({LEVELS!r})", file=file)
    count, offset, limit = doc.get("count"), doc.get("offset", 0), doc.get("limit")
    if isinstance(count, int) and isinstance(offset, int):
        expected = count - offset if not isinstance(limit, int) else min(count - offset, limit)
        if len(observations) != expected:
            raise ParseError(f"holds {len(observations)} observations, its count says {expected}", file=file)
    series = series_of(file)
    if series is None:
        raise ParseError("a FRED observations body does not name its series: the file name must carry the H.10 "
                         "series id (e.g. 20260319T140828Z_DEXUSEU.json)", file=file)
    currency, base = pair(series, file)
    dates, texts, lines = [], [], []
    rejects: list[Reject] = []
    for n, obs in enumerate(observations, start=1):
        if not isinstance(obs, dict) or "date" not in obs or "value" not in obs:
            raise ParseError(f"observation {n} lacks 'date' or 'value'", file=file, line=n)
        try:
            day = dt.date.fromisoformat(str(obs["date"]))
        except ValueError:
            raise ParseError(f"observation {n}: bad date {obs['date']!r} (expected YYYY-MM-DD)", file=file, line=n) from None
        value = obs["value"]
        value_text = value.strip() if isinstance(value, str) else json.dumps(value)
        if value_text == MISSING:
            continue
        shown = f"{day} {series} {value_text}"
        if not isinstance(value, str):
            reason = f"{series}: not a published number text: {value_text}"
        elif problem := number_problem(value_text, positive=True):
            reason = f"{series}: {problem}"
        else:
            reason = not_in_use(currency, day) or not_in_use(base, day)
        if reason:
            rejects.append(Reject(n, shown, reason, day))
            continue
        dates.append(day)
        texts.append(value_text)
        lines.append(n)
    rates, duplicates = rates_frame(SOURCE, captured_at, base, dates, [currency] * len(dates), texts, lines)
    return Snapshot(SOURCE, captured_at, rates, empty(TICKER_SCHEMA), rejects + duplicates)


def looks_like(suffix: str, head: bytes) -> bool:
    """A FRED series/observations JSON (``realtime_start``, ``observation_start``, ``units`` first)."""
    return suffix in (".json", "") and head.lstrip().startswith(b"{") and all(t in head for t in _HEAD_TOKENS)
