"""Adapter for the Czech National Bank's exchange rate fixing (the CNB API, JSON).

Feed: ``https://api.cnb.cz/cnbapi/exrates/daily-year?year=YYYY&lang=EN`` (every fixing of a year, up to
today) or ``https://api.cnb.cz/cnbapi/exrates/daily?date=YYYY-MM-DD&lang=EN`` (one day's fixing). Both
answer ``{"rates": [{"currencyCode": "JPY", "amount": 100, "validFor": "2026-01-02", "rate": 13.141, …}, …]}``
(the daily answer adds ``order``, ``country``, ``currency``, which are not needed).

What it quotes: the daily fixing of about 30 currencies (and the SDR) as CZK per ``amount`` units of
``currencyCode``; ``amount`` is the quotation unit the CNB states on every element (1, 100 for JPY, HUF,
INR…, 1000 for IDR), read from there. A row is base ``currencyCode``, currency CZK, ``rate_text`` the
published number text exactly (``24.170`` keeps its trailing zero: the JSON is read with numbers as text)
and ``rate`` per 1 unit (``JPY 13.141`` with amount 100 is 0.13141 CZK per 1 JPY). ``line`` is the 1-based
ordinal of the element in ``rates`` (the body is one line of JSON). The CNB fixes three decimals.

``{"rates": []}`` (a year asked for before its first fixing, e.g. on 1 January) is a valid answer with
no rows.

Terms: https://www.cnb.cz/en/footer/general-terms-and-conditions/
"""

from __future__ import annotations

import datetime as dt

from dagster_project.adapters._pivot import Quotes, code_problem, load_json, rate_problem, value_text
from dagster_project.rows import TICKER_SCHEMA, ParseError, Snapshot, empty, utc

SOURCE = "cnb"
PIVOT = "CZK"
WINDOWED = True  # parse(window=...) keeps only the rows of those dates (a daily-year body holds up to a year)
NEEDED = ("currencyCode", "amount", "validFor", "rate")


def parse(data: bytes, *, captured_at: dt.datetime, file: str | None = None,
          window: tuple[dt.date, dt.date] | None = None) -> Snapshot:
    captured_at = utc(captured_at)
    doc = load_json(data, file, "a CNB exchange rate answer")
    if not isinstance(doc, dict) or not isinstance(doc.get("rates"), list):
        keys = ", ".join(list(doc)[:8]) if isinstance(doc, dict) else type(doc).__name__
        raise ParseError(f"not a CNB exchange rate answer: no 'rates' list (found {keys})", file=file, line=1)
    quotes = Quotes(SOURCE, PIVOT)
    for n, item in enumerate(doc["rates"], start=1):
        if not isinstance(item, dict) or (missing := [k for k in NEEDED if k not in item]):
            what = f"lacks {', '.join(missing)}" if isinstance(item, dict) else f"is a {type(item).__name__}"
            raise ParseError(f"rates element {n} {what}: the answer's shape changed", file=file, line=n)
        try:
            day = dt.date.fromisoformat(str(item["validFor"]))
        except ValueError:
            raise ParseError(f"rates element {n}: bad date {item['validFor']!r} (expected YYYY-MM-DD)", file=file, line=n) from None
        if window is not None and not window[0] <= day <= window[1]:
            continue
        code, rate, amount = item["currencyCode"], value_text(item["rate"]), value_text(item["amount"])
        shown = f"{day} {amount} {code} = {rate} {PIVOT}"
        if problem := code_problem(code, day):
            quotes.reject(day, n, shown, problem)
        elif problem := rate_problem(rate):
            quotes.reject(day, n, shown, f"{code}: {problem}")
        elif not amount.isdigit() or int(amount) == 0:
            quotes.reject(day, n, shown, f"{code}: amount {amount!r} is not a positive whole number of units")
        else:
            quotes.add(day, code, rate, float(int(amount)), n)
    rates, rejects = quotes.frame(captured_at)
    return Snapshot(SOURCE, captured_at, rates, empty(TICKER_SCHEMA), rejects)


def looks_like(suffix: str, head: bytes) -> bool:
    """The CNB API's JSON: a ``rates`` list whose elements carry ``currencyCode``, ``amount`` and ``validFor``."""
    if suffix not in (".json", ""):
        return False
    return (head.startswith(b"{") and b'"rates"' in head and b'"currencyCode"' in head
            and b'"validFor"' in head and b'"amount"' in head)
