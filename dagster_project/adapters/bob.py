"""Adapter for the Bank of Botswana's exchange rates export (CSV).

The feed: ``https://www.bankofbotswana.bw/export/exchange-rates.csv?_format=csv&page`` (the CSV export of
https://www.bankofbotswana.bw/exchange-rates), the whole history since 2001-01-03 in one file, newest first
(not strictly ordered further back), UTF-8 with a BOM:

    Date,CHN,EUR,GBP,USD,SDR,YEN,ZAR
    "19 Mar 2026",0.5165,0.0653,0.0564,0.0748,0.0551,11.9500,1.2717

What it quotes: units of the foreign currency per 1 pula (BWP), four decimals: on 2024-11-28 1 BWP =
0.0731 USD = 11.0800 JPY = 1.3319 ZAR. So every row is ``base`` BWP, ``currency`` the column's code, units 1.
The column labels are the bank's, mapped to ISO 4217 codes where they differ (``CHN``→CNY, ``YEN``→JPY,
``SDR``→XDR); any other three-letter label is taken as the code. The bank writes ``0.0000`` where it had no
rate (CNY before 2016-09-28, two JPY days): those cells are "not quoted" and skipped, like an empty cell.
A day exported twice with different rates (2018-01-17, 2018-10-23, 2019-08-13) keeps neither (the shared
duplicate rule).

``line`` is the physical line of the CSV (the header is line 1).

Terms: https://www.bankofbotswana.bw/content/disclaimer
"""

from __future__ import annotations

import csv
import datetime as dt
import re

from dagster_project.adapters._codes import not_in_use
from dagster_project.adapters._text import decode, number_problem
from dagster_project.rows import TICKER_SCHEMA, ParseError, Reject, Snapshot, empty, rates_frame, utc

SOURCE = "bob"
URL = "https://www.bankofbotswana.bw/export/exchange-rates.csv?_format=csv&page"  # the whole history, one GET
PIVOT = "BWP"
BASE = "BWP"
WINDOWED = True  # parse(window=...) keeps only those dates' rows
ALIASES = {"CHN": "CNY", "YEN": "JPY", "SDR": "XDR"}
_CODE = re.compile(r"[A-Z]{3}")
_ZERO = re.compile(r"0+(?:\.0+)?")
_DATE_LINE = re.compile(rb'^"?\d{1,2} [A-Z][a-z]{2} \d{4}"?,')


def parse(data: bytes, *, captured_at: dt.datetime, file: str | None = None,
          window: tuple[dt.date, dt.date] | None = None) -> Snapshot:
    captured_at = utc(captured_at)
    text = decode(data, file)
    if text.lstrip()[:1] == "<":
        raise ParseError("an HTML page was served instead of the rates CSV", file=file, line=1)
    lines = text.split("\n")
    header = [h.strip() for h in next(csv.reader([lines[0]]))]
    if header[0] != "Date":
        raise ParseError(f"not a Bank of Botswana rates CSV: first column is {header[0]!r}, expected 'Date'", file=file, line=1)
    labels = header[1:]
    if len(labels) < 1 or any(not label for label in labels):
        raise ParseError(f"header has empty or no currency columns: {header}", file=file, line=1)
    codes = [ALIASES.get(label, label) for label in labels]
    dates, currencies, texts, numbers = [], [], [], []
    rejects: list[Reject] = []
    for lineno, raw in enumerate(lines[1:], start=2):
        if not raw.strip():
            continue
        row = next(csv.reader([raw]))
        if len(row) != len(header):
            raise ParseError(f"row has {len(row)} cells, header has {len(header)} (truncated or changed file)",
                             file=file, line=lineno)
        try:
            day = dt.datetime.strptime(row[0].strip(), "%d %b %Y").date()
        except ValueError:
            raise ParseError(f"bad date {row[0]!r} (expected e.g. '19 Mar 2026')", file=file, line=lineno) from None
        if window is not None and not window[0] <= day <= window[1]:
            continue
        for label, code, cell in zip(labels, codes, row[1:], strict=True):
            value = cell.strip()
            if not value or _ZERO.fullmatch(value):
                continue  # not quoted that day
            where = f"{row[0]} {label} {value}"
            if not _CODE.fullmatch(code):
                rejects.append(Reject(lineno, where, f"column {label!r} is not a three-letter currency code", day))
            elif problem := number_problem(value, positive=True):
                rejects.append(Reject(lineno, where, f"{code}: {problem}", day))
            elif problem := not_in_use(code, day):
                rejects.append(Reject(lineno, where, problem, day))
            else:
                dates.append(day)
                currencies.append(code)
                texts.append(value)
                numbers.append(lineno)
    if not texts and not rejects and window is None:
        raise ParseError("no rates in the file", file=file)
    rates, duplicates = rates_frame(SOURCE, captured_at, BASE, dates, currencies, texts, numbers)
    return Snapshot(SOURCE, captured_at, rates, empty(TICKER_SCHEMA), rejects + duplicates)


def looks_like(suffix: str, head: bytes) -> bool:
    """``Date,…`` with the bank's own labels (``CHN``, ``YEN``, ``SDR`` — not ISO codes, so never the ECB's
    header) and rows dated ``"19 Mar 2026"``."""
    lines = head.split(b"\n", 2)
    first = lines[0].strip().decode("utf-8", "replace").split(",")
    return (suffix in (".csv", ".txt", "") and first[0] == "Date" and bool({"CHN", "YEN", "SDR"} & set(first))
            and len(lines) > 1 and bool(_DATE_LINE.match(lines[1].strip())))
