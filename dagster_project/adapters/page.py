"""Adapter for a saved financial news page: a rates block and a ticker strip, as text or HTML.

The format (see README, "Sources"):

    <title line>
    EUR -                 <- base marker: the codes below are units of CCY per 1 EUR
    AED 3.878126          <- one "CCY rate" line per currency
    ...
      • SCS               <- ticker strip: bullet and symbol,
        -0.0700           <-   change (price units),
        13.47             <-   price,
        -0.52%            <-   percent change, as published
    <free text>

The page carries no timestamp of its own: the capture time comes from the landing (raw file name).
Tickers are stamped with the exchange session the quotes belong to (the last session at capture).
"""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import polars as pl

from dagster_project.adapters._text import clean, decode, number_problem
from dagster_project.rows import (
    TICKER_SCHEMA,
    ParseError,
    Reject,
    Snapshot,
    rates_frame,
    utc,
)
from dagster_project.sessions import session_at

SOURCE = "page"

_BASE_MARKER = re.compile(r"([A-Z]{3})\s*[-\u2013\u2014]\s*")
_RATE_LINE = re.compile(r"([A-Za-z]{3})\s+(\S+)")
_BULLET = re.compile(r"[•·▪●*]\s*(\S+)")
_SYMBOL = re.compile(r"[A-Z0-9][A-Z0-9.\-]{0,14}")
_PCT = re.compile(r"(\S+?)\s*%")
# Block tags after which HTML text breaks the line.
_BLOCK_TAGS = {"br", "p", "div", "li", "ul", "ol", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6",
               "section", "article", "header", "footer", "span", "pre", "table", "title", "dt", "dd"}


class _TextOfHtml(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in {"script", "style", "noscript"}:
            self._skip += 1
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in {"script", "style", "noscript"} and self._skip:
            self._skip -= 1
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def looks_like_html(text: str) -> bool:
    head = text.lstrip()[:512].lower()
    return head.startswith("<!doctype html") or head.startswith("<html") or ("<body" in head) or ("<div" in head)


def html_to_text(text: str) -> str:
    parser = _TextOfHtml()
    parser.feed(text)
    parser.close()
    return "".join(parts for parts in parser.parts)


def parse(data: bytes, *, captured_at: dt.datetime, file: str | None = None, exchange: str = "XNYS") -> Snapshot:
    """Parse a page snapshot into rate and ticker rows; raise ParseError on what cannot be read."""
    captured_at = utc(captured_at)
    text = decode(data, file)
    if looks_like_html(text):
        text = html_to_text(text)
    lines = [clean(raw) for raw in text.split("\n")]
    day = captured_at.date()

    marker_at = next((i for i, ln in enumerate(lines) if _BASE_MARKER.fullmatch(ln)), None)
    if marker_at is None:
        raise ParseError("no base marker line like 'EUR -' before the rates block", file=file)
    base = _BASE_MARKER.fullmatch(lines[marker_at]).group(1)

    rejects: list[Reject] = []
    candidates: list[tuple[str, str, int]] = []  # (code, published text, line number)
    i = marker_at + 1
    while i < len(lines):
        ln = lines[i]
        if not ln:
            i += 1
            continue
        m = _RATE_LINE.fullmatch(ln)
        if not m or _BULLET.match(ln):
            break
        i += 1
        code, value = m.group(1), m.group(2)
        if code != code.upper():
            rejects.append(Reject(i, ln, f"currency code {code!r} is not upper case", day))
        elif problem := number_problem(value, positive=True):
            rejects.append(Reject(i, ln, problem, day))
        else:
            candidates.append((code, value, i))

    codes = [c for c, _, _ in candidates]
    texts = [t for _, t, _ in candidates]
    numbers = [n for _, _, n in candidates]
    if not codes:
        raise ParseError(f"no readable 'CCY rate' lines after the '{base} -' marker", file=file, line=marker_at + 1)

    tickers, ticker_rejects = _parse_strip(lines, i, day=day, captured_at=captured_at, exchange=exchange)
    rejects.extend(ticker_rejects)
    rates, duplicates = rates_frame(SOURCE, captured_at, base, [day] * len(codes), codes, texts, numbers)
    if not rates.height:
        raise ParseError(f"no readable 'CCY rate' lines after the '{base} -' marker", file=file, line=marker_at + 1)
    return Snapshot(SOURCE, captured_at, rates, tickers, rejects + duplicates)


def _parse_strip(lines: list[str], start: int, *, day: dt.date, captured_at: dt.datetime, exchange: str):
    """The ticker strip: bullets with change / price / percent lines. Stops at the first other text."""
    rows: list[dict] = []
    rejects: list[Reject] = []
    i = start
    session = None
    while i < len(lines):
        if not lines[i]:
            i += 1
            continue
        m = _BULLET.fullmatch(lines[i])
        if not m:
            break
        symbol, at = m.group(1), i + 1
        i += 1
        values: list[tuple[int, str]] = []
        while i < len(lines) and len(values) < 3:
            if not lines[i]:
                i += 1
                continue
            if _BULLET.fullmatch(lines[i]):
                break
            values.append((i + 1, lines[i]))
            i += 1
        if not _SYMBOL.fullmatch(symbol):
            rejects.append(Reject(at, lines[at - 1], f"ticker symbol {symbol!r} is not a symbol", day))
            continue
        if len(values) < 3:
            rejects.append(Reject(at, lines[at - 1], f"ticker {symbol}: expected change, price and percent lines, found {len(values)}", day))
            continue
        (_, change_t), (_, price_t), (_pct_line, pct_raw) = values
        pct_m = _PCT.fullmatch(pct_raw)
        problem = (
            number_problem(change_t, positive=False)
            or number_problem(price_t, positive=True)
            or (None if pct_m else f"percent change {pct_raw!r} has no '%'")
            or number_problem(pct_m.group(1), positive=False)
        )
        if problem:
            rejects.append(Reject(at, lines[at - 1], f"ticker {symbol}: {problem}", day))
            continue
        if session is None:
            session = session_at(captured_at, exchange)
        pct_t = pct_m.group(1)
        rows.append({
            "source": SOURCE, "date": day, "captured_at": captured_at, "exchange": exchange, "session": session,
            "symbol": symbol, "price": float(price_t), "change": float(change_t), "change_pct": float(pct_t),
            "price_text": price_t, "change_text": change_t, "change_pct_text": pct_raw,
            "raw_file": None, "line": at,
        })
    return pl.DataFrame(rows, schema=TICKER_SCHEMA), rejects


def looks_like(suffix: str, head: bytes) -> bool:
    """A saved page (.txt, .html); any other file no adapter recognises is tried as a page too (the registry's
    fallback), so a page saved under an odd name still parses or fails with the page's reason."""
    return suffix in (".txt", ".html", ".htm")
