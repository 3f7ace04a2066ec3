"""Adapter for the Bank of Israel's representative exchange rates, SDMX-CSV (units of ILS per ``10**UNIT_MULT`` X).

Feed: the Bank of Israel's SDMX 2.1 REST service, dataflow ``BOI.STATISTICS/EXR/1.0``, filtered to the
representative rates (``DATA_TYPE`` ``OF00``) over a date range, as CSV::

    https://edge.boi.gov.il/FusionEdgeServer/sdmx/v2/data/dataflow/BOI.STATISTICS/EXR/1.0/
        ?c%5BDATA_TYPE%5D=OF00&startperiod=2026-03-01&endperiod=2026-03-20&format=csv

One row per series and day, the header naming the columns (their order is not relied on)::

    SERIES_CODE,FREQ,BASE_CURRENCY,COUNTER_CURRENCY,UNIT_MEASURE,DATA_TYPE,…,UNIT_MULT,COMMENTS,TIME_PERIOD,OBS_VALUE,RELEASE_STATUS
    RER_USD_ILS,D,USD,ILS,ILS,OF00,BOI_MRKT,V,F,Y,0,,2026-03-02,3.073,YP
    RER_JPY_ILS,D,JPY,ILS,ILS,OF00,BOI_MRKT,V,F,Y,2,,2026-03-02,1.971,YP

What it quotes: ``OBS_VALUE`` units of ``COUNTER_CURRENCY`` (ILS) per ``10**UNIT_MULT`` units of
``BASE_CURRENCY``: the row above is 1.971 ILS per 100 JPY (base JPY, currency ILS, units 100), and LBP is
quoted per 10 (``UNIT_MULT`` 1). The multiplier is read from each row, never from a list. Rows of another
``DATA_TYPE`` than ``OF00`` (the representative rate) are rejected, not read as rates. ``line`` is the physical
line of the CSV (the header is line 1). The service decides which currencies it quotes; none is assumed.

Terms of use: https://www.boi.org.il/en/terms-of-use
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import polars as pl

from dagster_project.adapters._codes import not_in_use
from dagster_project.adapters._text import decode, number_problem
from dagster_project.rows import TICKER_SCHEMA, ParseError, Reject, Snapshot, empty, rates_frame, utc

SOURCE = "boi"
WINDOWED = True  # parse(window=...) keeps only the rows of those dates
REPRESENTATIVE = "OF00"
REQUIRED = ("BASE_CURRENCY", "COUNTER_CURRENCY", "UNIT_MULT", "TIME_PERIOD", "OBS_VALUE")
_HEAD_TOKENS = (b"SERIES_CODE", b"BASE_CURRENCY", b"COUNTER_CURRENCY", b"TIME_PERIOD", b"OBS_VALUE")
_MAX_MULT = 9


def _is_code(code: str) -> bool:
    return len(code) == 3 and code.isascii() and code.isalpha() and code.isupper()


def _header(text: str, file: str | None) -> list[str]:
    first = text.split("\n", 1)[0]
    if text.lstrip().startswith("<"):
        raise ParseError("an HTML/XML page where the SDMX-CSV was expected", file=file, line=1)
    header = [h.strip() for h in next(csv.reader([first]))]
    missing = [h for h in REQUIRED if h not in header]
    if missing:
        raise ParseError(f"not a Bank of Israel SDMX-CSV: header lacks {', '.join(missing)}", file=file, line=1)
    if len(set(header)) != len(header):
        raise ParseError("header names a column twice", file=file, line=1)
    return header


def parse(data: bytes, *, captured_at: dt.datetime, file: str | None = None,
          window: tuple[dt.date, dt.date] | None = None) -> Snapshot:
    captured_at = utc(captured_at)
    text = decode(data, file)
    header = _header(text, file)
    if not text.endswith("\n"):  # the service ends every record, the last one too, with a line break
        raise ParseError("truncated: the last record has no line end", file=file, line=text.count("\n") + 1)
    at = {name: k for k, name in enumerate(header)}
    dates, bases, codes, texts, lines, units = [], [], [], [], [], []
    rejects: list[Reject] = []
    reader = csv.reader(io.StringIO(text))
    next(reader)
    seen = False
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise ParseError(f"unreadable CSV: {exc}", file=file, line=start) from None
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise ParseError(f"row has {len(row)} cells, header has {len(header)}", file=file, line=start)
        cell = {name: row[k].strip() for name, k in at.items()}
        try:
            day = dt.date.fromisoformat(cell["TIME_PERIOD"])
        except ValueError:
            raise ParseError(f"bad date {cell['TIME_PERIOD']!r} in TIME_PERIOD (expected YYYY-MM-DD)",
                             file=file, line=start) from None
        seen = True
        if window is not None and not window[0] <= day <= window[1]:
            continue
        base, code, value, mult = cell["BASE_CURRENCY"], cell["COUNTER_CURRENCY"], cell["OBS_VALUE"], cell["UNIT_MULT"]
        shown = f"{day} {mult and f'10^{mult} '}{base} = {value} {code}"
        reason = None
        if cell.get("DATA_TYPE", REPRESENTATIVE) != REPRESENTATIVE:
            reason = f"DATA_TYPE {cell['DATA_TYPE']!r} is not the representative rate ({REPRESENTATIVE})"
        elif bad := [c for c in (base, code) if not _is_code(c)]:
            reason = f"currency code {bad[0]!r} is not three upper-case letters"
        elif not (mult.isdigit() and int(mult) <= _MAX_MULT):
            reason = f"UNIT_MULT {mult!r} is not a power of ten from 0 to {_MAX_MULT}"
        elif problem := number_problem(value, positive=True):
            reason = f"{base}: {problem}"
        else:
            reason = not_in_use(base, day) or not_in_use(code, day)
        if reason:
            rejects.append(Reject(start, shown, reason, day))
            continue
        dates.append(day)
        bases.append(base)
        codes.append(code)
        texts.append(value)
        lines.append(start)
        units.append(float(10 ** int(mult)))
    if not seen:
        raise ParseError("no observations: the header is not followed by any row", file=file, line=2)
    rates, duplicates = _frame(captured_at, dates, bases, codes, texts, lines, units)
    return Snapshot(SOURCE, captured_at, rates, empty(TICKER_SCHEMA), rejects + duplicates)


def _frame(captured_at, dates, bases, codes, texts, lines, units):
    """The duplicate-code rule of ``rates_frame`` groups by date and ``currency``; every row here has the same
    ``currency`` (ILS) and it is the ``base`` that could be quoted twice, so the frame is built with the two
    swapped and swapped back after."""
    rates, duplicates = rates_frame(SOURCE, captured_at, codes, dates, bases, texts, lines, units=units)
    return rates.with_columns(base=pl.col("currency"), currency=pl.col("base")), duplicates


def looks_like(suffix: str, head: bytes) -> bool:
    """A CSV whose header names the Bank of Israel's SDMX columns (SERIES_CODE, BASE_CURRENCY, COUNTER_CURRENCY…)."""
    first = head.split(b"\n", 1)[0].upper()
    return suffix in (".csv", ".txt", "") and all(token in first for token in _HEAD_TOKENS)
