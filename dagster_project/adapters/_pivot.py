"""Shared pieces of the adapters for banks that quote foreign currencies in their own (norges, cnb, nbp).

Such a bank publishes "units of its currency per N units of X": every row has a different ``base`` (the
foreign code) and the same ``currency`` (NOK, CZK, PLN). The duplicate-code rule of ``rows.rates_frame``
groups by date and ``currency``; here the code that can be quoted twice is the ``base``, so the frame is
built with the foreign code in ``currency`` (so the rule sees it) and the two columns are swapped after.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import polars as pl

from dagster_project.adapters._codes import not_in_use
from dagster_project.adapters._text import decode, number_problem
from dagster_project.rows import RATE_SCHEMA, ParseError, Reject, rates_frame

_CODE = re.compile(r"[A-Z]{3}")
_HTML = re.compile(r"^\s*(?:<!doctype\s+html|<html|<head|<body)|<html[\s>]", re.IGNORECASE)


def refuse_html(text: str, file: str | None, what: str) -> None:
    """An HTML page (an error or maintenance page served with status 200) where data was expected."""
    if _HTML.search(text[:2048]):
        title = re.search(r"<title[^>]*>(.*?)</title>", text[:8192], re.IGNORECASE | re.DOTALL)
        said = f" ({' '.join(title.group(1).split())[:80]!r})" if title else ""
        raise ParseError(f"an HTML page{said}, not {what}", file=file, line=1)


def load_json(data: bytes, file: str | None, what: str) -> object:
    """The JSON document with every number kept as its published text (``24.170`` stays ``'24.170'``)."""
    text = decode(data, file)
    refuse_html(text, file, what)
    try:
        return json.loads(text, parse_float=str, parse_int=str)
    except json.JSONDecodeError as exc:
        raise ParseError(f"truncated or malformed JSON: {exc.msg} (column {exc.colno})", file=file, line=exc.lineno) from None


def code_problem(code: object, day: dt.date) -> str | None:
    """Why ``code`` cannot be a currency quoted on ``day``, or None."""
    if not isinstance(code, str) or not _CODE.fullmatch(code):
        return f"not a currency code (three uppercase letters): {code!r}"
    return not_in_use(code, day)


def value_text(value: object) -> str:
    """A JSON value as text: a number's literal as published, a string as is (so its problem is reported)."""
    return "" if value is None else str(value).strip()


def rate_problem(text: str) -> str | None:
    return "no rate published" if text == "" else number_problem(text, positive=True)


class Quotes:
    """Accumulates the rows of one body: foreign code, the pivot, published text, quotation unit, line."""

    def __init__(self, source: str, pivot: str):
        self.source = source
        self.pivot = pivot
        self.days: list[dt.date] = []
        self.codes: list[str] = []
        self.texts: list[str] = []
        self.units: list[float] = []
        self.lines: list[int | None] = []
        self.rejects: list[Reject] = []

    def add(self, day: dt.date, code: str, text: str, units: float, line: int | None) -> None:
        self.days.append(day)
        self.codes.append(code)
        self.texts.append(text)
        self.units.append(units)
        self.lines.append(line)

    def reject(self, day: dt.date | None, line: int | None, text: str, reason: str) -> None:
        self.rejects.append(Reject(line, text, reason, day))

    def frame(self, captured_at: dt.datetime, pivots: list[str] | None = None) -> tuple[pl.DataFrame, list[Reject]]:
        """RATE_SCHEMA rows (base = the foreign code, currency = the pivot) and every reject, duplicates included."""
        rates, duplicates = rates_frame(self.source, captured_at, pivots or self.pivot, self.days, self.codes,
                                        self.texts, self.lines, units=self.units)
        rates = rates.rename({"base": "currency", "currency": "base"}).select(list(RATE_SCHEMA))
        return rates, self.rejects + duplicates
