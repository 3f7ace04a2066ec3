"""Adapter for the Bank of England's daily spot exchange rates: its Interactive Statistical Database (IADB) CSV.

Feed: ``https://www.bankofengland.co.uk/boeapps/database/_iadb-fromshowcolumns.asp?csv.x=yes&Datefrom=17/Mar/2026
&Dateto=20/Mar/2026&SeriesCodes=XUDLUSS,XUDLERS,…&UsingCodes=Y&CSVF=TN`` (``URL_TEMPLATE`` below): a CSV with one
column per requested series, headed by its series code, and one row per London business day::

    DATE,XUDLUSS,XUDLERS,XUDLJYS,…
    17 Mar 2026,1.3343,1.1577,212.1937,…

What it quotes: indicative middle-market spot rates observed by the Bank's foreign exchange desk around 4 pm
London time, each series "<currency> into Sterling", i.e. **units of the currency per 1 GBP** (XUDLUSS 1.3343:
1 GBP = 1.3343 USD; base GBP, currency USD). Four decimal places, trailing zeros dropped (``1.829``). No
quotation unit other than 1 is used by these series. The body does not name the currency of a series: it is
given by the Bank's series code, a fixed, documented convention of the IADB (``XUDL`` daily spot, a two-letter
currency mnemonic, ``S`` against sterling; ``XUDLBKnn``/``XUDLZOSn`` codes for the others; the database's series
pages at https://www.bankofengland.co.uk/boeapps/database/ name each, e.g. XUDLUSS "Spot exchange rate, US $ into
Sterling"). The map is ``SERIES`` below: the 26 current series (each checked against the recorded values: CZK
28.30, KRW 1986.55, RON 5.8963 per GBP on 2026-03-17 are those currencies' levels), and discontinued euro-area and
lev series for histories (from published lists of IADB codes; no recording holds them). A column whose code is
not in the map is not guessed: each of its numbers is a reject.

``line`` is the physical line of the CSV (1 is the header). Blank cells (no observation that day) are skipped.
A header-only body (a date range with no London business day) is valid and holds no rows.
Terms: https://www.bankofengland.co.uk/legal
"""

from __future__ import annotations

import csv
import datetime as dt
import re

from dagster_project.adapters._codes import not_in_use
from dagster_project.adapters._text import decode, number_problem
from dagster_project.rows import TICKER_SCHEMA, ParseError, Reject, Snapshot, empty, rates_frame, utc

SOURCE = "boe"
BASE = "GBP"
WINDOWED = True  # parse(window=...) keeps only the rows of those dates

# IADB series code -> ISO 4217 code, every one "<currency> into Sterling" (units of the currency per 1 GBP).
CURRENT: dict[str, str] = {
    "XUDLUSS": "USD", "XUDLERS": "EUR", "XUDLJYS": "JPY", "XUDLCDS": "CAD", "XUDLSFS": "CHF", "XUDLADS": "AUD",
    "XUDLNDS": "NZD", "XUDLNKS": "NOK", "XUDLSKS": "SEK", "XUDLDKS": "DKK", "XUDLHDS": "HKD", "XUDLSGS": "SGD",
    "XUDLSRS": "SAR", "XUDLZRS": "ZAR", "XUDLTWS": "TWD", "XUDLBK25": "CZK", "XUDLBK33": "HUF", "XUDLBK47": "PLN",
    "XUDLBK78": "ILS", "XUDLBK83": "MYR", "XUDLBK87": "THB", "XUDLBK89": "CNY", "XUDLBK93": "KRW",
    "XUDLBK95": "TRY", "XUDLBK97": "INR", "XUDLZOS4": "RON",
}
# Discontinued series, for histories (their quotes after the currency was withdrawn are rejects).
LEGACY: dict[str, str] = {
    "XUDLZOS3": "BGN", "XUDLBK22": "CYP", "XUDLBK28": "EEK", "XUDLBK36": "LTL", "XUDLBK39": "LVL",
    "XUDLBK44": "MTL", "XUDLBK52": "SIT", "XUDLBK55": "SKK",
}
SERIES = {**CURRENT, **LEGACY}
URL_TEMPLATE = ("https://www.bankofengland.co.uk/boeapps/database/_iadb-fromshowcolumns.asp?csv.x=yes"
                "&Datefrom={start:%d/%b/%Y}&Dateto={end:%d/%b/%Y}&SeriesCodes=" + ",".join(CURRENT)
                + "&UsingCodes=Y&CSVF=TN")

_SERIES_CODE = re.compile(r"[A-Z][A-Z0-9]{4,11}")
_DATE = re.compile(r"\d{2} [A-Z][a-z]{2} \d{4}")
_MONTHS = {m: k for k, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}


def _date(text: str, file: str | None, line: int) -> dt.date:
    """``17 Mar 2026`` (English month abbreviations, whatever the locale)."""
    if _DATE.fullmatch(text) and text[3:6] in _MONTHS:
        try:
            return dt.date(int(text[7:]), _MONTHS[text[3:6]], int(text[:2]))
        except ValueError:
            pass
    raise ParseError(f"bad date {text!r} (expected DD Mon YYYY)", file=file, line=line)


def parse(data: bytes, *, captured_at: dt.datetime, file: str | None = None,
          window: tuple[dt.date, dt.date] | None = None) -> Snapshot:
    captured_at = utc(captured_at)
    text = decode(data, file)
    if not text.strip():
        raise ParseError("empty input (only a byte-order mark or blank lines)", file=file)
    if text.lstrip().startswith("<"):
        raise ParseError("an HTML page, not the IADB CSV (the database serves an error page when a request fails)",
                         file=file, line=1)
    lines = text.split("\n")
    first = next(k for k, ln in enumerate(lines) if ln.strip())
    header = [h.strip() for h in next(csv.reader([lines[first]]))]
    if header[0] != "DATE":
        raise ParseError(f"not an IADB CSV: first column is {header[0]!r}, expected 'DATE'", file=file, line=first + 1)
    series = header[1:]
    bad = [s for s in series if not _SERIES_CODE.fullmatch(s)]
    if bad or not series:
        raise ParseError(f"header has columns that are not IADB series codes: {bad[:5]}" if bad
                         else "header names no series", file=file, line=first + 1)
    if len(set(series)) != len(series):
        twice = sorted({s for s in series if series.count(s) > 1})
        raise ParseError(f"series named twice in the header: {twice}", file=file, line=first + 1)
    if not text.endswith("\n"):
        raise ParseError("truncated: the last line ends without a line break", file=file, line=len(lines))
    dates, codes, texts, numbers = [], [], [], []
    rejects: list[Reject] = []
    seen: dict[dt.date, int] = {}
    for lineno, raw in enumerate(lines[first + 1:], start=first + 2):
        if not raw.strip():
            continue
        row = next(csv.reader([raw]))
        if len(row) != len(header):
            raise ParseError(f"row has {len(row)} cells, header has {len(header)} (truncated or changed file)",
                             file=file, line=lineno)
        day = _date(row[0].strip(), file, lineno)
        if day in seen:
            raise ParseError(f"date {day} appears twice (first on line {seen[day]})", file=file, line=lineno)
        seen[day] = lineno
        if window is not None and not window[0] <= day <= window[1]:
            continue
        for code, cell in zip(series, row[1:], strict=True):
            value = cell.strip()
            if not value:
                continue
            currency = SERIES.get(code)
            problem = (f"series {code} is not a known IADB spot rate into sterling: its currency is not known"
                       if currency is None else not_in_use(currency, day))
            if problem is None and (why := number_problem(value, positive=True)):
                problem = f"{currency} ({code}): {why}"
            if problem:
                rejects.append(Reject(lineno, f"{row[0].strip()} {code} {value}", problem, day))
                continue
            dates.append(day)
            codes.append(currency)
            texts.append(value)
            numbers.append(lineno)
    rates, duplicates = rates_frame(SOURCE, captured_at, BASE, dates, codes, texts, numbers)
    return Snapshot(SOURCE, captured_at, rates, empty(TICKER_SCHEMA), rejects + duplicates)


def looks_like(suffix: str, head: bytes) -> bool:
    """An IADB CSV, whatever its name: the first line is ``DATE,`` then IADB series codes (``XUDLUSS``…), never
    three-letter currency codes (the ECB's ``Date,USD,…``), symbols or tickers."""
    first = head.lstrip(b"\xef\xbb\xbf \t\r\n").split(b"\n", 1)[0].decode("ascii", "replace").strip()
    cells = [c.strip() for c in first.split(",")]
    return (cells[0] == "DATE" and len(cells) > 1
            and all(_SERIES_CODE.fullmatch(c) for c in cells[1:]) and any(c.startswith("XUD") for c in cells[1:]))
