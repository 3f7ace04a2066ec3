"""Adapter for the Bank of Canada's daily exchange rates: its Valet API, JSON.

Feed: ``https://www.bankofcanada.ca/valet/observations/group/FX_RATES_DAILY/json?start_date=2026-03-12``
(``URL_TEMPLATE`` below, with an end date), or a list of series,
``https://www.bankofcanada.ca/valet/observations/FXUSDCAD,FXEURCAD/json?start_date=…``. Both answer the same
shape; a group answer adds ``groupDetail``::

    {"terms": {"url": "https://www.bankofcanada.ca/terms/"},
     "groupDetail": {"label": "Daily exchange rates", …},
     "seriesDetail": {"FXUSDCAD": {"label": "USD/CAD", "description": "US dollar to Canadian dollar daily
                                   exchange rate", "dimension": {"key": "d", "name": "Date"}}, …},
     "observations": [{"d": "2026-03-12", "FXUSDCAD": {"v": "1.3617"}, …}, …]}

What it quotes: indicative daily average rates, published once each business day by 16:30 Eastern time. A
series labelled ``USD/CAD`` is **units of CAD per 1 USD** (base USD, currency CAD: the label's first code is the
base): the pair is read from each series' ``label`` in ``seriesDetail`` (the series name ``FX<base><quote>`` is
the fallback when a label is not a pair; a series that is neither is not an exchange rate, and its numbers are
rejects). The Valet states no quotation unit: every series is per 1 unit of its base (``FXIDRCAD`` 0.000081). A
series quoted the other way round (``FXCADUSD``, labelled ``CAD/USD``) is read the same way: base CAD.
Four significant digits (``1.3617``, ``0.008550``), but at most six decimals, so small rates have fewer
(``FXKRWCAD`` ``0.000915``: 3, ``FXIDRCAD`` ``0.000081``: 2).

``line`` is the 1-based ordinal of the observation (the element of ``observations``) a rate comes from: JSON has
no meaningful lines (the Valet pretty-prints, but the layout is not part of the format). The published text of
each number is kept exactly (numbers are read as text, never through a float).
Terms: https://www.bankofcanada.ca/terms/
"""

from __future__ import annotations

import datetime as dt
import json
import re

import polars as pl

from dagster_project.adapters._codes import not_in_use
from dagster_project.adapters._text import decode, number_problem
from dagster_project.rows import RATE_SCHEMA, TICKER_SCHEMA, ParseError, Reject, Snapshot, empty, rates_frame, utc

SOURCE = "boc"
WINDOWED = True  # parse(window=...) keeps only the observations of those dates
URL_TEMPLATE = ("https://www.bankofcanada.ca/valet/observations/group/FX_RATES_DAILY/json"
                "?start_date={start:%Y-%m-%d}&end_date={end:%Y-%m-%d}")

_LABEL = re.compile(r"\s*([^/\s]+)\s*/\s*([^/\s]+)\s*")
_NAME = re.compile(r"FX([A-Z]{3})([A-Z]{3})")
_CODE = re.compile(r"[A-Z]{3}")


def _pair(name: str, detail: object) -> tuple[str, str] | str:
    """(base, currency) of a series, or why it is not an exchange rate."""
    label = detail.get("label") if isinstance(detail, dict) else None
    if isinstance(label, str) and (m := _LABEL.fullmatch(label)):
        return m.group(1), m.group(2)
    if m := _NAME.fullmatch(name):
        return m.group(1), m.group(2)
    return f"series {name} (label {label!r}) is not an exchange rate: no BASE/QUOTE label, no FX<base><quote> name"


def parse(data: bytes, *, captured_at: dt.datetime, file: str | None = None,
          window: tuple[dt.date, dt.date] | None = None) -> Snapshot:
    captured_at = utc(captured_at)
    text = decode(data, file)
    if not text.strip():
        raise ParseError("empty input (only a byte-order mark or blank lines)", file=file)
    if text.lstrip().startswith("<"):
        raise ParseError("an HTML page, not a Valet JSON answer", file=file, line=1)
    try:
        doc = json.loads(text, parse_float=str, parse_int=str)  # numbers stay the text the Bank wrote
    except json.JSONDecodeError as exc:
        raise ParseError(f"not JSON (truncated or damaged?): {exc.msg}", file=file, line=exc.lineno) from None
    if not isinstance(doc, dict):
        raise ParseError("JSON is not an object: not a Valet answer", file=file, line=1)
    if "observations" not in doc and isinstance(doc.get("message"), str):
        raise ParseError(f"Valet error: {doc['message']}", file=file)
    for key in ("seriesDetail", "observations"):
        if key not in doc:
            raise ParseError(f"missing {key!r}: not a Valet observations answer (changed shape?)", file=file)
    details, observations = doc["seriesDetail"], doc["observations"]
    if not isinstance(details, dict) or not isinstance(observations, list):
        raise ParseError("'seriesDetail' is not an object or 'observations' is not a list (changed shape?)", file=file)
    pairs = {name: _pair(name, detail) for name, detail in details.items()}
    by_base: dict[str, tuple[list, list, list, list]] = {}
    rejects: list[Reject] = []
    for ordinal, obs in enumerate(observations, start=1):
        if not isinstance(obs, dict) or not isinstance(obs.get("d"), str):
            raise ParseError(f"observation {ordinal} has no date 'd' (changed shape?)", file=file, line=ordinal)
        try:
            day = dt.date.fromisoformat(obs["d"])
        except ValueError:
            raise ParseError(f"observation {ordinal}: bad date {obs['d']!r} (expected YYYY-MM-DD)",
                             file=file, line=ordinal) from None
        if window is not None and not window[0] <= day <= window[1]:
            continue
        for name, cell in obs.items():
            if name == "d":
                continue
            if not isinstance(cell, dict) or "v" not in cell:
                raise ParseError(f"observation {ordinal} ({day}): {name} has no value 'v' (changed shape?)",
                                 file=file, line=ordinal)
            value = cell["v"].strip() if isinstance(cell["v"], str) else cell["v"]
            if value is None or value == "":
                continue  # not observed that day
            shown = f"{day} {name} {value}"
            if not isinstance(value, str):
                rejects.append(Reject(ordinal, shown, f"{name}: not a number: {value!r}", day))
                continue
            pair = pairs.get(name, f"series {name} is not described in 'seriesDetail'")
            if isinstance(pair, str):
                rejects.append(Reject(ordinal, shown, pair, day))
                continue
            base, currency = pair
            bad = [c for c in pair if not _CODE.fullmatch(c)]
            problem = (f"{name}: {bad[0]!r} is not a currency code (three uppercase letters)" if bad
                       else not_in_use(base, day) or not_in_use(currency, day))
            if problem is None and (why := number_problem(value, positive=True)):
                problem = f"{base}/{currency} ({name}): {why}"
            if problem:
                rejects.append(Reject(ordinal, shown, problem, day))
                continue
            columns = by_base.setdefault(base, ([], [], [], []))
            for column, item in zip(columns, (day, currency, value, ordinal), strict=True):
                column.append(item)
    # The duplicate-code rule works per (date, currency); here every row's currency is CAD, so it is applied
    # within each base: a pair quoted twice on a date, not two pairs sharing a quote currency.
    frames = [empty(RATE_SCHEMA)]
    for base, (days, currencies, texts, ordinals) in by_base.items():
        frame, duplicates = rates_frame(SOURCE, captured_at, base, days, currencies, texts, ordinals)
        frames.append(frame)
        rejects += [Reject(r.line, f"{base}/{r.text}", f"{base}/{r.reason}", r.date) for r in duplicates]  # name the pair
    rates = pl.concat(frames).sort("line", "base", maintain_order=True)
    return Snapshot(SOURCE, captured_at, rates, empty(TICKER_SCHEMA), rejects)


def looks_like(suffix: str, head: bytes) -> bool:
    """A Valet answer: a JSON object whose first 2 KB hold ``"seriesDetail"`` (a group's or a list of series')
    and the Bank's terms link or a ``groupDetail``; never a Fixer answer (``"rates"``) or another bank's JSON."""
    head = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return (head.startswith(b"{") and b'"seriesDetail"' in head
            and (b"bankofcanada.ca" in head or b'"groupDetail"' in head))
