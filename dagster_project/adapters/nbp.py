"""Adapter for Narodowy Bank Polski's average exchange rates, tables A and B (the NBP Web API, JSON).

Feed: ``https://api.nbp.pl/api/exchangerates/tables/{A|B}/YYYY-MM-DD/YYYY-MM-DD/?format=json`` (every table
published in the range, at most 93 days per request; ``tables/A/?format=json`` is the latest one). The
answer is a JSON list of tables: ``[{"table": "A", "no": "042/A/NBP/2026", "effectiveDate": "2026-03-03",
"rates": [{"currency": "dolar amerykański", "code": "USD", "mid": 3.6820}, …]}, …]``.

- Table A: about 32 major currencies and the SDR, every Polish business day (published about 11:45-12:15
  Warsaw time).
- Table B: about 115-150 other currencies, weekly (on Wednesdays), quoted for that Wednesday.

What it quotes: PLN per 1 unit of ``code``. The NBP's printed tables quote some currencies per 100 or
10,000 units (JPY, HUF, IDR…), but the API's ``mid`` is the rate recomputed to one unit ("przeliczony kurs
średni", per the API documentation at https://api.nbp.pl/en.html): ``JPY 0.022963`` is PLN per 1 JPY,
``IRR 0.0000028`` PLN per 1 IRR. So a row is base ``code``, currency PLN, units 1, ``rate_text`` the published
number text exactly (the JSON is read with numbers as text). ``line`` is the 1-based ordinal of the rate
element in the body, counted through the tables in order (the body is one line of JSON). Table C
(bid/ask, no ``mid``) is another dataset and is refused. A structural error in a table (not in one of its rates) names
the table's ordinal and number, with no line.

Terms: the NBP's seed in Frankfurter names no terms URL; the API's page (https://api.nbp.pl/en.html) and
https://nbp.pl/en/statistic-and-financial-reporting/rates/ describe the service.
"""

from __future__ import annotations

import datetime as dt

from dagster_project.adapters._pivot import Quotes, code_problem, load_json, rate_problem, value_text
from dagster_project.rows import TICKER_SCHEMA, ParseError, Snapshot, empty, utc

SOURCE = "nbp"
PIVOT = "PLN"
WINDOWED = True  # parse(window=...) keeps only the rows of those dates
TABLES = ("A", "B")
NEEDED_TABLE = ("table", "effectiveDate", "rates")
NEEDED_RATE = ("code", "mid")


def parse(data: bytes, *, captured_at: dt.datetime, file: str | None = None,
          window: tuple[dt.date, dt.date] | None = None) -> Snapshot:
    captured_at = utc(captured_at)
    doc = load_json(data, file, "an NBP exchange rate table")
    if not isinstance(doc, list) or not doc:
        raise ParseError(f"not an NBP answer: expected a list of tables, found {_kind(doc)}", file=file)
    quotes = Quotes(SOURCE, PIVOT)
    n = 0
    for t, table in enumerate(doc, start=1):
        if not isinstance(table, dict) or (missing := [k for k in NEEDED_TABLE if k not in table]):
            what = f"lacks {', '.join(missing)}" if isinstance(table, dict) else f"is a {_kind(table)}"
            raise ParseError(f"table {t} {what}: the answer's shape changed", file=file)
        if table["table"] not in TABLES:
            raise ParseError(f"table {t} is table {table['table']!r}: only the average-rate tables A and B are read",
                             file=file)
        try:
            day = dt.date.fromisoformat(str(table["effectiveDate"]))
        except ValueError:
            raise ParseError(f"table {t} ({table.get('no')}): bad effectiveDate {table['effectiveDate']!r}",
                             file=file) from None
        if not isinstance(table["rates"], list):
            raise ParseError(f"table {t} ({table.get('no')}): 'rates' is not a list", file=file)
        keep = window is None or window[0] <= day <= window[1]
        for item in table["rates"]:
            n += 1
            if not isinstance(item, dict) or (missing := [k for k in NEEDED_RATE if k not in item]):
                what = f"lacks {', '.join(missing)}" if isinstance(item, dict) else f"is a {_kind(item)}"
                raise ParseError(f"table {t} ({table.get('no')}): rate element {what}: the answer's shape changed",
                                 file=file, line=n)
            if not keep:
                continue
            code, mid = item["code"], value_text(item["mid"])
            shown = f"{day} table {table['table']} {code} {mid}"
            if problem := code_problem(code, day):
                quotes.reject(day, n, shown, problem)
            elif problem := rate_problem(mid):
                quotes.reject(day, n, shown, f"{code}: {problem}")
            else:
                quotes.add(day, code, mid, 1.0, n)
    rates, rejects = quotes.frame(captured_at)
    return Snapshot(SOURCE, captured_at, rates, empty(TICKER_SCHEMA), rejects)


def _kind(value: object) -> str:
    if isinstance(value, list):
        return "an empty list" if not value else "a list"
    return {dict: "an object", str: "a string"}.get(type(value), type(value).__name__)


def looks_like(suffix: str, head: bytes) -> bool:
    """The NBP API's JSON: tables with ``"table"``, an NBP table number (``042/A/NBP/2026``) and ``effectiveDate``."""
    if suffix not in (".json", ""):
        return False
    return head[:1] in (b"[", b"{") and b'"table"' in head and b"/NBP/" in head and b'"effectiveDate"' in head
