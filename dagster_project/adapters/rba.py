"""Adapter for the Reserve Bank of Australia's exchange rates, statistical table F11.1 (CSV).

Feed: ``https://www.rba.gov.au/statistics/tables/csv/f11.1-data.csv``: the whole current history (from
2023-01-03) in one file, re-published each business day. A title line, then metadata rows keyed by their first
cell, then one row per Sydney business day (newest last), then blank lines::

    F11.1  EXCHANGE RATES
    Title,A$1=USD,Trade-weighted Index May 1970 = 100,A$1=CNY,…
    Description,AUD/USD Exchange Rate; see notes for further detail.,…
    Frequency,Daily,…
    Type,Indicative,…
    Units,USD,Index,CNY,…
    Source,WM/Reuters,RBA,…
    Publication date,20-Mar-2026,…
    Series ID,FXRUSD,FXRTWI,FXRCR,…
    03-Jan-2023,0.6828,61.40,4.6994,…

What it quotes: indicative rates at 4 pm Sydney time, **units of the currency per A$1** (``A$1=USD`` 0.6828: base
AUD, currency USD). The quotation unit is read from each column's ``Title`` (``A$1=``: per 1 AUD; an ``A$100=``
column would be per 100 AUD, rate = text / 100), the currency from its ``Units`` row, and the two must agree. The
trade-weighted index column (``Units`` ``Index``) is not an exchange rate and is not read. The RBA's ``SDR`` column
is the IMF's special drawing right, ISO 4217 ``XDR``: stored as ``XDR`` (its published text unchanged). Blank
cells (a series not published that day; AED and ZAR, discontinued, are blank throughout 2023-2026) are skipped. Fixed
decimals per column: 4 for most (``0.6828``), 2 for JPY, KRW, INR, THB, TWD, PHP (``98.44``), none for IDR, VND.

``line`` is the physical line of the CSV (1 is the title line).
Terms: https://www.rba.gov.au/copyright/
"""

from __future__ import annotations

import csv
import datetime as dt
import re

from dagster_project.adapters._codes import not_in_use
from dagster_project.adapters._text import decode, number_problem
from dagster_project.rows import TICKER_SCHEMA, ParseError, Reject, Snapshot, empty, rates_frame, utc

SOURCE = "rba"
BASE = "AUD"
WINDOWED = True  # parse(window=...) keeps only the rows of those dates
URL = "https://www.rba.gov.au/statistics/tables/csv/f11.1-data.csv"

_ISO = {"SDR": "XDR"}  # the RBA's label -> the ISO 4217 code
_TITLE = re.compile(r"A\$(\d+)=(\S+)")
_DATE = re.compile(r"(\d{2})-([A-Z][a-z]{2})-(\d{4})")
_CODE = re.compile(r"[A-Z]{3}")
_MONTHS = {m: k for k, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}
_NEEDED = ("Title", "Units", "Series ID")


def _date(text: str) -> dt.date | None:
    """``03-Jan-2023`` (English month abbreviations, whatever the locale), or None."""
    m = _DATE.fullmatch(text)
    if not m or m.group(2) not in _MONTHS:
        return None
    try:
        return dt.date(int(m.group(3)), _MONTHS[m.group(2)], int(m.group(1)))
    except ValueError:
        return None


def _columns(meta: dict[str, tuple[int, list[str]]], file: str | None) -> list[tuple[int, str, int] | None]:
    """Per data column: (index, currency as published, A$ units), or None for a column that is not a rate."""
    title_line, titles = meta["Title"]
    units_line, units = meta["Units"]
    if len(units) != len(titles):
        raise ParseError(f"Units row has {len(units)} cells, Title row has {len(titles)}", file=file, line=units_line)
    out: list[tuple[int, str, int] | None] = []
    for k in range(1, len(titles)):
        title, unit = titles[k].strip(), units[k].strip()
        if unit == "Index":
            out.append(None)
            continue
        m = _TITLE.fullmatch(title)
        if not m:
            raise ParseError(f"column {k + 1}: title {title!r} is not an 'A$1=XXX' quotation (changed header?)",
                             file=file, line=title_line)
        if m.group(2) != unit:
            raise ParseError(f"column {k + 1}: title {title!r} and units {unit!r} name different currencies",
                             file=file, line=units_line)
        out.append((k, unit, int(m.group(1))))
    if not any(out):
        raise ParseError("no exchange-rate column (A$1=XXX) in the header", file=file, line=title_line)
    return out


def parse(data: bytes, *, captured_at: dt.datetime, file: str | None = None,
          window: tuple[dt.date, dt.date] | None = None) -> Snapshot:
    captured_at = utc(captured_at)
    text = decode(data, file)
    if not text.strip():
        raise ParseError("empty input (only a byte-order mark or blank lines)", file=file)
    if text.lstrip().startswith("<"):
        raise ParseError("an HTML page, not the F11.1 CSV (the RBA serves an error page when a request fails)",
                         file=file, line=1)
    lines = text.split("\n")
    if "EXCHANGE RATES" not in lines[0].upper():
        raise ParseError(f"not the RBA exchange-rate table: first line is {lines[0][:60]!r}", file=file, line=1)
    if not text.endswith("\n"):
        raise ParseError("truncated: the last line ends without a line break", file=file, line=len(lines))
    meta: dict[str, tuple[int, list[str]]] = {}
    columns: list[tuple[int, str, int] | None] | None = None
    width = 0
    dates, codes, texts, units, numbers = [], [], [], [], []
    rejects: list[Reject] = []
    seen: dict[dt.date, int] = {}
    for lineno, raw in enumerate(lines[1:], start=2):
        if not raw.strip():
            continue
        row = next(csv.reader([raw]))
        key = row[0].strip()
        day = _date(key)
        if columns is None:
            if day is None:
                meta.setdefault(key, (lineno, row))
                continue
            missing = [k for k in _NEEDED if k not in meta]
            if missing:
                raise ParseError(f"header rows {missing} missing before the first data row (changed header?)",
                                 file=file, line=lineno)
            columns = _columns(meta, file)
            width = len(meta["Title"][1])
        if day is None:
            raise ParseError(f"bad date {key!r} (expected DD-Mon-YYYY)", file=file, line=lineno)
        if len(row) != width:
            raise ParseError(f"row has {len(row)} cells, header has {width} (truncated or changed file)",
                             file=file, line=lineno)
        if day in seen:
            raise ParseError(f"date {day} appears twice (first on line {seen[day]})", file=file, line=lineno)
        seen[day] = lineno
        if window is not None and not window[0] <= day <= window[1]:
            continue
        for column in columns:
            if column is None:
                continue
            k, published, per = column
            value = row[k].strip()
            if not value:
                continue
            code = _ISO.get(published, published)
            if not _CODE.fullmatch(code):
                problem = f"{published!r} is not a currency code (three uppercase letters)"
            else:
                problem = not_in_use(code, day)
                if problem is None and (why := number_problem(value, positive=True)):
                    problem = f"{code}: {why}"
            if problem:
                rejects.append(Reject(lineno, f"{key} {published} {value}", problem, day))
                continue
            dates.append(day)
            codes.append(code)
            texts.append(value)
            units.append(float(per))
            numbers.append(lineno)
    if columns is None:
        missing = [k for k in _NEEDED if k not in meta]
        if missing:
            raise ParseError(f"header rows {missing} missing (changed header or truncated file?)", file=file)
        _columns(meta, file)  # a header with no data rows yet: still checked
    rates, duplicates = rates_frame(SOURCE, captured_at, BASE, dates, codes, texts, numbers, units=units)
    return Snapshot(SOURCE, captured_at, rates, empty(TICKER_SCHEMA), rejects + duplicates)


def looks_like(suffix: str, head: bytes) -> bool:
    """The F11 exchange-rate table, whatever its name (the RBA serves it as application/octet-stream): a first
    line ``F11…EXCHANGE RATES`` and a ``Title`` row of ``A$1=XXX`` quotations."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").decode("utf-8", "replace")
    first = text.split("\n", 1)[0].upper()
    return first.startswith("F11") and "EXCHANGE RATES" in first and "\nTitle,A$1=" in text.replace("\r\n", "\n")
