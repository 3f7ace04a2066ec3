"""Adapter for Banca d'Italia's daily exchange rates (about 170 currencies against the euro).

The feed is the CSV of the Banca d'Italia exchange-rate portal's REST service, one reference date per request:
``https://tassidicambio.bancaditalia.it/terzevalute-wf-web/rest/v1.0/dailyRates?referenceDate=YYYY-MM-DD
&currencyIsoCode=EUR&lang=en`` (``Accept: text/csv``). The body is::

    Country,Currency,ISO Code,UIC Code,Rate,Rate convention,Reference date (CET)
    AFGHANISTAN (Islamic State of),Afghani,AFN,115,75.5197,Foreign currency amount for 1 Euro.,2026-02-09
    ...
    <blank line>
    # DISCLAIMER
    # ... (comment lines)

One row per *country*: a currency used by several countries (XOF, XAF, XCD) is listed once per country with
the same rate. Those identical rows are one quote: the first line is kept and the others are not rows nor
rejects (they are the layout, not a duplicate publication); the same code with *different* rates on one date
goes through the duplicate-code rule (all dropped, rejected). ``N.A.`` means not quoted that day (skipped).

What a rate means is read from each row's ``Rate convention``: ``Foreign currency amount for 1 Euro.`` is
units of the row's ``ISO Code`` per 1 EUR (base EUR, currency = ISO Code); an ``N`` other than 1 becomes the
row's quotation units; the euro-per-foreign-currency convention (``Euro amount for 1 unit of foreign
currency``) is read as base = ISO Code, currency EUR. Any other convention is a ParseError (a changed feed).
Rates are published with up to about 6 significant digits, as text (``2.377200`` keeps its zeros).

``line`` is the physical line of the CSV row. Terms: none published by the seed; the portal's disclaimer
(the ``#`` lines of every body) governs use: https://tassidicambio.bancaditalia.it/
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import polars as pl

from dagster_project.adapters._codes import not_in_use
from dagster_project.adapters._text import clean, decode, number_problem
from dagster_project.rows import TICKER_SCHEMA, ParseError, Reject, Snapshot, empty, rates_frame, utc

SOURCE = "bdi"
_COLUMNS = ("ISO Code", "Rate", "Rate convention", "Reference date (CET)")
_NOT_QUOTED = {"N.A.", "N.A", "NA", "n.a.", ""}
# Currency names as the convention text spells them (English portal): the base is named, not coded.
_NAMED = {"euro": "EUR", "euros": "EUR", "us dollar": "USD", "u.s. dollar": "USD", "dollar": "USD", "us dollars": "USD"}
_PER_NAMED = re.compile(r"foreign currency amount for ([0-9][0-9,.]*) (.+?)\.?", re.IGNORECASE)
_NAMED_PER = re.compile(r"(.+?) amount for ([0-9][0-9,.]*) (?:units? of )?foreign currency(?: units?)?\.?", re.IGNORECASE)
_CODE = re.compile(r"[A-Z]{3}")


def _convention(text: str, file: str | None, line: int) -> tuple[str | None, str | None, float]:
    """(named base, named quote, units): exactly one of base/quote is the euro (or dollar) the text names."""
    if (m := _PER_NAMED.fullmatch(text)) and (named := _NAMED.get(m.group(2).strip().lower())):
        return named, None, float(m.group(1).replace(",", ""))
    if (m := _NAMED_PER.fullmatch(text)) and (named := _NAMED.get(m.group(1).strip().lower())):
        return None, named, float(m.group(2).replace(",", ""))
    raise ParseError(f"unknown rate convention {text!r} (expected 'Foreign currency amount for 1 Euro.')", file=file, line=line)


def parse(data: bytes, *, captured_at: dt.datetime, file: str | None = None) -> Snapshot:
    captured_at = utc(captured_at)
    text = decode(data, file)
    lines = text.split("\n")
    first = lines[0].strip()
    if first.startswith("<"):
        raise ParseError("an HTML/XML page, not Banca d'Italia's CSV (an error page served instead of data?)", file=file, line=1)
    header = [clean(h) for h in next(csv.reader([first]))]
    missing = [c for c in _COLUMNS if c not in header]
    if missing:
        raise ParseError(f"not a Banca d'Italia dailyRates CSV: header lacks {missing} (got {header})", file=file, line=1)
    col = {c: header.index(c) for c in _COLUMNS}
    dates, pivots, codes, texts, units, where = [], [], [], [], [], []
    inverted: list[bool] = []
    rejects: list[Reject] = []
    seen: dict[tuple[dt.date, str, str], int] = {}
    # csv over the whole text keeps quoted commas; the reader's line_num is the physical line a row ends on.
    reader = csv.reader(io.StringIO(text))
    next(reader)
    for row in reader:
        lineno = reader.line_num
        if not row or not any(c.strip() for c in row):
            continue
        if row[0].lstrip().startswith("#"):
            continue  # the disclaimer block
        if len(row) != len(header):
            raise ParseError(f"row has {len(row)} cells, header has {len(header)} (truncated or changed file)", file=file, line=lineno)
        raw_day = row[col["Reference date (CET)"]].strip()
        try:
            day = dt.date.fromisoformat(raw_day)
        except ValueError:
            raise ParseError(f"bad date {raw_day!r} (expected YYYY-MM-DD)", file=file, line=lineno) from None
        code = clean(row[col["ISO Code"]])
        value = clean(row[col["Rate"]])
        shown = f"{code} {value} ({day})"
        if value in _NOT_QUOTED:
            continue
        named_base, named_quote, per = _convention(clean(row[col["Rate convention"]]), file, lineno)
        if not _CODE.fullmatch(code):
            rejects.append(Reject(lineno, shown, f"bad currency code {code!r}", day))
            continue
        if problem := number_problem(value, positive=True):
            rejects.append(Reject(lineno, shown, f"{code}: {problem}", day))
            continue
        if problem := not_in_use(code, day):
            rejects.append(Reject(lineno, shown, problem, day))
            continue
        key = (day, code, value)
        if key in seen:
            continue  # the same currency listed again under another country, same rate: one quote
        seen[key] = lineno
        dates.append(day)
        pivots.append(named_base or named_quote)
        inverted.append(named_base is None)
        codes.append(code)
        texts.append(value)
        units.append(per)
        where.append(lineno)
    if not codes and not rejects:
        raise ParseError("no rates in the file (every row N.A. or no rows)", file=file)
    # the duplicate-code rule groups by (date, currency): give it the row's own code, then orient each row
    rates, duplicates = rates_frame(SOURCE, captured_at, pivots, dates, codes, texts, where, units=units)
    rates = orient(rates, [w for w, inv in zip(where, inverted, strict=True) if inv])
    return Snapshot(SOURCE, captured_at, rates, empty(TICKER_SCHEMA), rejects + duplicates)


def orient(rates: pl.DataFrame, inverted_lines: list[int]) -> pl.DataFrame:
    """Rows built as (base = pivot, currency = the row's code); swap base and currency on the inverted lines."""
    if not inverted_lines:
        return rates
    flip = pl.col("line").is_in(inverted_lines)
    return rates.with_columns(
        pl.when(flip).then(pl.col("currency")).otherwise(pl.col("base")).alias("base"),
        pl.when(flip).then(pl.col("base")).otherwise(pl.col("currency")).alias("currency"),
    )


def looks_like(suffix: str, head: bytes) -> bool:
    """Its header: ``Country,Currency,ISO Code,UIC Code,Rate,Rate convention,...`` (the UIC code column is the
    Banca d'Italia's own)."""
    first = head.split(b"\n", 1)[0].decode("utf-8", "replace")
    return "UIC Code" in first and "Rate convention" in first and "ISO Code" in first
