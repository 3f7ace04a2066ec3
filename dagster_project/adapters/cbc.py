"""Adapter for the Central Bank of the Republic of China (Taiwan): daily interbank closing rates against the USD, JSON.

Feed: the CBC open-data file ``BP01D01`` ("我國與主要貿易對手通貨對美元之匯率", Taiwan's and its main trading
partners' currencies against the US dollar), the whole daily history since 1993-01-05 in one body (about
1.3 MB; the service takes no date range, and refreshes its content in monthly batches):

    https://cpx.cbc.gov.tw/API/DataAPI/Get?FileName=BP01D01

Served as ``text/plain`` but JSON::

    {"meta": {"filename": "BP01D01.px", "matrix": "BP01", "last_updated": "2026-03-02", …},
     "data": {"dataSets": [["19930105", "25.405", "125.25", "1.5499", …, "-"], …],
              "structure": {"Table1": [{"data": "新台幣NTD/USD"}, {"data": "日圓JPY/USD"}, {"data": "英鎊USD/GBP"}, …]}}}

Each record is a date (``YYYYMMDD``) then one value per column of ``structure.Table1``; ``-`` is "not quoted"
(DEM, FRF and NLG end in 2002, VND starts later) and is skipped. What it quotes: each column's label ends in
``X/Y``, read as units of X per 1 Y, so the direction comes from the body: ``NTD/USD`` is TWD per 1 USD (base
USD, currency TWD), ``英鎊USD/GBP`` is USD per 1 GBP (base GBP, currency USD; also AUD and EUR). ``NTD`` is
the bank's own abbreviation of the New Taiwan dollar and is read as its ISO code TWD; no label states a
quotation unit, so every quote is per 1 (KRW/USD 1395.5 is per 1 USD). The note in ``meta`` says the daily
rates are the interbank spot rates at 16:00 Taipei time.

``line`` is the 1-based ordinal of the record in ``data.dataSets`` (the body is one physical line).

Terms: the CBC's open data (no terms URL in Frankfurter's seed; the bank's site is https://www.cbc.gov.tw/en/).
"""

from __future__ import annotations

import datetime as dt
import json
import re

import polars as pl

from dagster_project.adapters._codes import not_in_use
from dagster_project.adapters._text import decode, number_problem
from dagster_project.rows import TICKER_SCHEMA, ParseError, Reject, Snapshot, empty, rates_frame, utc

SOURCE = "cbc"
WINDOWED = True  # parse(window=...) keeps only the rows of those dates (the body is the whole history)
FILE_NAME = "BP01D01"
NOT_QUOTED = "-"
_LABEL = re.compile(r"([A-Za-z]{3})\s*/\s*([A-Za-z]{3})\s*$")
_ALIASES = {"NTD": "TWD"}  # the CBC's abbreviation of the New Taiwan dollar
_DAY = re.compile(r"\d{8}")


def _is_code(code: str) -> bool:
    return len(code) == 3 and code.isascii() and code.isalpha() and code.isupper()


def _load(data: bytes, file: str | None) -> dict:
    text = decode(data, file)
    if text.lstrip().startswith("<"):
        raise ParseError("an HTML/XML page where the CBC's JSON was expected", file=file, line=1)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(f"truncated or malformed JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
                         file=file, line=exc.lineno) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), dict):
        raise ParseError("not the CBC open-data JSON: no 'data' object", file=file)
    meta = doc.get("meta")
    if isinstance(meta, dict) and "filename" in meta and not str(meta["filename"]).upper().startswith(FILE_NAME):
        raise ParseError(f"meta.filename is {meta['filename']!r}, expected {FILE_NAME}", file=file)
    return doc["data"]


def _columns(data: dict, file: str | None) -> list[tuple[str, str]]:
    """(currency, base) of each value column, read from the labels' ``X/Y`` (units of X per 1 Y)."""
    table = (data.get("structure") or {}).get("Table1") if isinstance(data.get("structure"), dict) else None
    if not isinstance(table, list) or not table:
        raise ParseError("no column labels: 'data.structure.Table1' is missing or empty", file=file)
    columns = []
    for k, entry in enumerate(table, start=1):
        label = entry.get("data") if isinstance(entry, dict) else None
        m = _LABEL.search(label) if isinstance(label, str) else None
        if not m:
            raise ParseError(f"column {k} label {label!r} does not end in 'XXX/YYY' (units of XXX per 1 YYY)", file=file)
        quote, per = (_ALIASES.get(c, c) for c in m.groups())
        columns.append((quote, per))
    return columns


def parse(data: bytes, *, captured_at: dt.datetime, file: str | None = None,
          window: tuple[dt.date, dt.date] | None = None) -> Snapshot:
    captured_at = utc(captured_at)
    body = _load(data, file)
    columns = _columns(body, file)
    records = body.get("dataSets")
    if not isinstance(records, list) or not records:
        raise ParseError("no records: 'data.dataSets' is missing or empty", file=file)
    dates, pairs, texts, lines = [], [], [], []
    rejects: list[Reject] = []
    seen: dict[dt.date, int] = {}
    for n, record in enumerate(records, start=1):
        if not isinstance(record, list) or len(record) != len(columns) + 1:
            size = len(record) if isinstance(record, list) else type(record).__name__
            raise ParseError(f"record {n} has {size} cells, the labels name {len(columns)} columns and a date",
                             file=file, line=n)
        stamp = record[0]
        try:
            if not (isinstance(stamp, str) and _DAY.fullmatch(stamp)):
                raise ValueError
            day = dt.datetime.strptime(stamp, "%Y%m%d").date()
        except ValueError:
            raise ParseError(f"record {n}: bad date {stamp!r} (expected YYYYMMDD)", file=file, line=n) from None
        if day in seen:
            raise ParseError(f"date {day} appears twice (records {seen[day]} and {n})", file=file, line=n)
        seen[day] = n
        if window is not None and not window[0] <= day <= window[1]:
            continue
        for (quote, per), value in zip(columns, record[1:], strict=True):
            text = value.strip() if isinstance(value, str) else json.dumps(value)
            if text == NOT_QUOTED:
                continue
            shown = f"{day} {quote}/{per} {text}"
            if bad := [c for c in (quote, per) if not _is_code(c)]:
                reason = f"currency code {bad[0]!r} is not three upper-case letters"
            elif not isinstance(value, str):
                reason = f"{quote}/{per}: not a published number text: {text}"
            else:
                reason = number_problem(text, positive=True)
                reason = (f"{quote}/{per}: {reason}" if reason else None) or not_in_use(quote, day) or not_in_use(per, day)
            if reason:
                rejects.append(Reject(n, shown, reason, day))
                continue
            dates.append(day)
            pairs.append(f"{quote}/{per}")
            texts.append(text)
            lines.append(n)
    # the duplicate rule is keyed on the pair (USD is the currency of three columns), then the pair is split
    rates, duplicates = rates_frame(SOURCE, captured_at, "", dates, pairs, texts, lines)
    rates = rates.with_columns(
        base=pl.col("currency").str.split("/").list.last(), currency=pl.col("currency").str.split("/").list.first())
    return Snapshot(SOURCE, captured_at, rates, empty(TICKER_SCHEMA), rejects + duplicates)


def looks_like(suffix: str, head: bytes) -> bool:
    """The CBC open-data JSON of file BP01D01: its ``meta`` (first in the body) names the file."""
    squeezed = re.sub(rb"\s+", b"", head[:2048]).lower()
    named = b'"filename":"bp01d01' in squeezed or b"filename=bp01d01" in squeezed
    return suffix in (".json", ".txt", "") and squeezed.startswith(b"{") and named
