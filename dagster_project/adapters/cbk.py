"""Adapter for the Central Bank of Kenya's daily indicative exchange rates (the site's wpDataTables JSON).

The feed: ``POST https://www.centralbank.go.ke/wp-admin/admin-ajax.php?action=get_wdtable&table_id=193`` with the
form ``draw=1&start=0&length=-1`` (all rows) answers a DataTables JSON document (served as ``text/html``):
``{"draw":1,"recordsTotal":"11550","recordsFiltered":"11550","data":[["05/01/2024","US DOLLAR","157.9012"], …]}``.
Table 193 holds the rates since 2024-01-05, each record ``[date DD/MM/YYYY, currency label, mean rate]`` with
four decimals; table 32 (2003–2024) has the same shape with buy and sell rates after the mean
(``[date, label, mean, buy, sell]``): the third field, the mean, is the rate read, further fields are ignored.

What it quotes, as the labels say:
- most rows are KES per unit of the foreign currency: ``US DOLLAR 129.6421`` is 129.6421 KES per 1 USD
  (``base`` USD, ``currency`` KES);
- a label ending in a parenthesised number is per that many units: ``JPY (100) 84.4322`` is KES per 100 JPY
  (units 100, read from the label);
- the East African cross rates ``KES / USHS``, ``KES / TSHS``, ``KES / RWF``, ``KES / BIF`` are the other way
  round, units of the foreign currency per 1 KES (``KES / USHS 24.0657``: 24.0657 UGX per 1 KES, ``base``
  KES, ``currency`` UGX). They are kept in that direction, as published.

Labels are the bank's abbreviations, mapped to ISO 4217 codes by the table below (``STG POUND``→GBP,
``USHS``→UGX…); a label that is already a three-letter code (``RWF``, ``JPY``) is taken as it is. A record
whose label is unknown is a Reject; so is a code not in use on its date, and a number that fails the
shared number rules.

An answer holding fewer records than its ``recordsFiltered`` is one page of the table, not all of it (the
form's ``length`` was not -1): a ParseError, so a partial answer never lands as if it were the whole table.

``line`` is the 1-based ordinal of the record in ``data`` (the body is a single physical line).

Terms: none published in the provider seed (https://www.centralbank.go.ke/forex/ is the data page).
"""

from __future__ import annotations

import datetime as dt
import json
import re

from dagster_project.adapters._codes import not_in_use
from dagster_project.adapters._pairs import rates_by_pair
from dagster_project.adapters._text import decode, number_problem
from dagster_project.rows import TICKER_SCHEMA, ParseError, Reject, Snapshot, empty, utc

SOURCE = "cbk"
# POST with the form FORM (all rows); the table answers JSON served as text/html
URL = "https://www.centralbank.go.ke/wp-admin/admin-ajax.php?action=get_wdtable&table_id=193"
FORM = {"draw": "1", "start": "0", "length": "-1"}
PIVOT = "KES"
HOME = "KES"
WINDOWED = True  # parse(window=...) keeps only those dates' records
_FIELDS = 3
_CODE = re.compile(r"[A-Z]{3}")
_UNITS = re.compile(r"^(?P<name>.*?)\s*\((?P<units>\d+)\)\s*$")
_CROSS = re.compile(r"^(?:KES|KSHS?|KEN|KEN(?:YA)? SHILLINGS?)\s*/\s*(?P<other>.+)$")

# CBK's labels (upper case, spaces folded) and their ISO 4217 codes.
NAMES = {
    "US DOLLAR": "USD", "STG POUND": "GBP", "EURO": "EUR", "SA RAND": "ZAR", "S. AFRICAN RAND": "ZAR",
    "AE DIRHAM": "AED", "UAE DIRHAM": "AED", "CAN $": "CAD", "CAN DOLLAR": "CAD", "S FRANC": "CHF",
    "SWISS FRANC": "CHF", "JAPANESE YEN": "JPY", "SW KRONER": "SEK", "SWEDISH KRONA": "SEK", "NOR KRONER": "NOK",
    "NORWEGIAN KRONE": "NOK", "DAN KRONER": "DKK", "DANISH KRONE": "DKK", "IND RUPEE": "INR", "INDIAN RUPEE": "INR",
    "HONGKONG DOLLAR": "HKD", "HONG KONG DOLLAR": "HKD", "SINGAPORE DOLLAR": "SGD", "SAUDI RIYAL": "SAR",
    "CHINESE YUAN": "CNY", "AUSTRALIAN $": "AUD", "AUSTRALIAN DOLLAR": "AUD", "USHS": "UGX", "TSHS": "TZS",
}


def _code(name: str) -> str | None:
    key = " ".join(name.upper().split())
    if key in NAMES:
        return NAMES[key]
    return key if _CODE.fullmatch(key) else None


def _label(label: str) -> tuple[str, str, float] | None:
    """``(base, currency, units)`` for a CBK label, or None when it names no known currency."""
    text = " ".join(label.split())
    if cross := _CROSS.match(text.upper()):
        code = _code(cross["other"])
        return (HOME, code, 1.0) if code else None
    units = 1.0
    if m := _UNITS.match(text):
        text, units = m["name"], float(m["units"])
    code = _code(text)
    return (code, HOME, units) if code else None


def parse(data: bytes, *, captured_at: dt.datetime, file: str | None = None,
          window: tuple[dt.date, dt.date] | None = None) -> Snapshot:
    captured_at = utc(captured_at)
    text = decode(data, file)
    if text.lstrip().startswith("<"):
        raise ParseError("an HTML page was served instead of the rates JSON", file=file, line=1)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(f"malformed or truncated JSON: {exc.msg} at column {exc.colno}", file=file, line=exc.lineno) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), list):
        raise ParseError("not a CBK rates table: no 'data' list of records", file=file)
    expected = str(doc.get("recordsFiltered", "")).strip()
    if expected.isdigit() and int(expected) > len(doc["data"]):
        raise ParseError(f"the answer holds {len(doc['data'])} of its {expected} records (one page of the table, not all "
                         "of it: ask with length=-1)", file=file)
    dates, bases, currencies, texts, lines, units = [], [], [], [], [], []
    rejects: list[Reject] = []
    for n, record in enumerate(doc["data"], start=1):
        if not isinstance(record, list) or len(record) < _FIELDS or not all(isinstance(v, str) for v in record[:_FIELDS]):
            raise ParseError(f"record {n} is {json.dumps(record)[:80]}: expected [date, currency, rate] strings",
                             file=file, line=n)
        when, label, value = (v.strip() for v in record[:_FIELDS])
        try:
            day = dt.datetime.strptime(when, "%d/%m/%Y").date()
        except ValueError:
            raise ParseError(f"record {n}: bad date {when!r} (expected DD/MM/YYYY)", file=file, line=n) from None
        if window is not None and not window[0] <= day <= window[1]:
            continue
        where = f"{when} {label} {value}"
        pair = _label(label)
        if pair is None:
            rejects.append(Reject(n, where, f"unknown currency label {label!r}", day))
            continue
        base, currency, per = pair
        code = currency if base == HOME else base
        if problem := number_problem(value, positive=True):
            rejects.append(Reject(n, where, f"{code}: {problem}", day))
        elif problem := not_in_use(code, day):
            rejects.append(Reject(n, where, problem, day))
        else:
            dates.append(day)
            bases.append(base)
            currencies.append(currency)
            texts.append(value)
            lines.append(n)
            units.append(per)
    if not texts and not rejects and window is None:
        raise ParseError("no rates in the table", file=file)
    rates, duplicates = rates_by_pair(SOURCE, captured_at, bases, dates, currencies, texts, lines, units)
    return Snapshot(SOURCE, captured_at, rates, empty(TICKER_SCHEMA), rejects + duplicates)


def looks_like(suffix: str, head: bytes) -> bool:
    """A DataTables answer (``{"draw":…,"recordsTotal":…``) whose records carry CBK's labels and dates."""
    text = head.decode("utf-8", "replace")
    return (text.startswith("{") and '"recordsTotal"' in text and '"data"' in text
            and bool(re.search(r'\["\d{2}\\?/\d{2}\\?/\d{4}","(?:US DOLLAR|STG POUND|EURO|KES \\?/ )', text)))
