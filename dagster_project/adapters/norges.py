"""Adapter for Norges Bank's exchange rates (the EXR dataflow), SDMX-CSV.

Feed: ``https://data.norges-bank.no/api/data/EXR/B..NOK.SP?format=csvdata&startPeriod=YYYY-MM-DD&endPeriod=YYYY-MM-DD``
(Norges Bank's open data API, SDMX-CSV: one observation per line, a header naming the dimensions and
attributes; the recorded body's columns are ``FREQ,BASE_CUR,QUOTE_CUR,TENOR,DECIMALS,CALCULATED,UNIT_MULT,
COLLECTION,TIME_PERIOD,OBS_VALUE``). Columns are found by name, so added or reordered columns read unchanged.

What it quotes: the business-day (``FREQ`` ``B``) mid rates of about 40 currencies, as units of NOK
(``QUOTE_CUR``) per 10^``UNIT_MULT`` units of ``BASE_CUR``: ``UNIT_MULT`` 0 is per 1 (USD, EUR, XDR),
2 is per 100 (JPY, SEK, DKK, HUF, IDR…). Norges Bank states the multiplier in the body on every line, so it
is read from there, never from a list. A row is base ``BASE_CUR``, currency ``QUOTE_CUR`` (NOK),
``rate_text`` the published ``OBS_VALUE`` and ``rate`` that per 1 unit (``JPY 7.1234`` with ``UNIT_MULT``
2 is 0.071234 NOK per 1 JPY). ``line`` is the physical line of the CSV.

The dataflow also carries two krone indices under ``BASE_CUR`` codes that are not currencies: ``TWI`` (the
trade-weighted krone exchange rate index) and ``I44`` (the import-weighted index, "I-44"). They are
rejects with that reason, as any other code that is not a currency (not three uppercase letters).

Terms: https://www.norges-bank.no/en/topics/Statistics/disclaimer/
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from dagster_project.adapters._pivot import Quotes, code_problem, rate_problem, refuse_html
from dagster_project.adapters._text import decode
from dagster_project.rows import TICKER_SCHEMA, ParseError, Snapshot, empty, utc

SOURCE = "norges"
WINDOWED = True  # parse(window=...) keeps only the rows of those dates
NEEDED = ("FREQ", "BASE_CUR", "QUOTE_CUR", "UNIT_MULT", "TIME_PERIOD", "OBS_VALUE")
DAILY = {"B", "D"}  # business-day and daily series; monthly/annual averages are other feeds
INDICES = {  # Norges Bank's EXR index series (https://www.norges-bank.no/en/topics/Statistics/exchange_rates/)
    "TWI": "Norges Bank's trade-weighted krone exchange rate index, not a currency",
    "I44": "Norges Bank's import-weighted krone exchange rate index (I-44), not a currency",
}
_MAX_UNIT_MULT = 6


def parse(data: bytes, *, captured_at: dt.datetime, file: str | None = None,
          window: tuple[dt.date, dt.date] | None = None) -> Snapshot:
    captured_at = utc(captured_at)
    text = decode(data, file)
    refuse_html(text, file, "a Norges Bank SDMX-CSV")
    delimiter = ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip() for h in next(reader)]
    missing = [c for c in NEEDED if c not in header]
    if missing:
        raise ParseError(f"not a Norges Bank SDMX-CSV: header lacks {', '.join(missing)} (has {', '.join(header[:12])})",
                         file=file, line=1)
    if not text.endswith("\n"):
        last = text.count("\n") + 1
        raise ParseError("truncated: the last line has no line end (Norges Bank ends every line)", file=file, line=last)
    at = {c: header.index(c) for c in NEEDED}
    quotes = Quotes(SOURCE, "NOK")
    pivots: list[str] = []
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise ParseError(f"row has {len(row)} cells, header has {len(header)} (truncated or changed file)",
                             file=file, line=line)
        cell = {c: row[i].strip() for c, i in at.items()}
        if cell["FREQ"] not in DAILY:
            raise ParseError(f"frequency {cell['FREQ']!r}: only business-day (B) series are read", file=file, line=line)
        try:
            day = dt.date.fromisoformat(cell["TIME_PERIOD"])
        except ValueError:
            raise ParseError(f"bad date {cell['TIME_PERIOD']!r} (expected YYYY-MM-DD)", file=file, line=line) from None
        if window is not None and not window[0] <= day <= window[1]:
            continue
        base, quote, value = cell["BASE_CUR"], cell["QUOTE_CUR"], cell["OBS_VALUE"]
        shown = f"{day} {base}/{quote} {value} (UNIT_MULT {cell['UNIT_MULT']})"
        if base in INDICES:
            quotes.reject(day, line, shown, f"{base}: {INDICES[base]}")
            continue
        if problem := code_problem(base, day) or code_problem(quote, day):
            quotes.reject(day, line, shown, problem)
            continue
        if problem := rate_problem(value):
            quotes.reject(day, line, shown, f"{base}: {problem}")
            continue
        mult = cell["UNIT_MULT"] or "0"
        if not mult.isdigit() or int(mult) > _MAX_UNIT_MULT:
            quotes.reject(day, line, shown, f"{base}: UNIT_MULT {mult!r} is not a power of ten from 0 to {_MAX_UNIT_MULT}")
            continue
        quotes.add(day, base, value, float(10 ** int(mult)), line)
        pivots.append(quote)
    if not quotes.codes and not quotes.rejects and window is None:
        raise ParseError("no observations in the file", file=file)
    rates, rejects = quotes.frame(captured_at, pivots)
    return Snapshot(SOURCE, captured_at, rates, empty(TICKER_SCHEMA), rejects)


def looks_like(suffix: str, head: bytes) -> bool:
    """An SDMX-CSV whose header has Norges Bank's EXR dimensions and whose first row quotes in NOK."""
    if suffix not in (".csv", ".txt", ""):
        return False
    lines = head.decode("utf-8", "replace").splitlines()
    if len(lines) < 2:
        return False
    delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
    header = [h.strip() for h in lines[0].split(delimiter)]
    if not all(c in header for c in NEEDED):
        return False
    first = lines[1].split(delimiter)
    return len(first) == len(header) and first[header.index("QUOTE_CUR")].strip() == "NOK"
