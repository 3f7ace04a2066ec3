"""Adapter for the Central Bank of Samoa's historical daily exchange rates workbook.

The feed: one ``.xlsx`` workbook, linked as "Historical Daily Rates" from https://cbs.gov.ws/daily-exchange-rates
under a file name that changes with each update (``/media/Historical-Daily-Rates-June032026.xlsx``). It holds
the whole history since 2008-01-03: one sheet per year (named ``2008`` … ``2026``), and in each sheet twelve
month blocks stacked vertically — a month banner (``JANUARY``) in column B, a header row
``DATE | TALA/USD | TALA/NZD | … `` and one row per business day with an Excel serial date in column B.
Monthly and quarterly average rows (``Jan``, ``Dec qtr avg``, or no label at all) sit between the blocks in
some years; they have no date and are not rates of a day, so they are skipped. ``workbook_url`` finds the
workbook's current address on the data page.

A row whose date contradicts where it stands — outside its month block, or of another year than the rest of
its sheet (the recording has 2015-06-30 typed into the 2013 and 2014 sheets, and 2026-01-12 into February
2026) — is a Reject, its rates not read. The sheets' *names* are not trusted for this: the tab named 2010
holds 2011's rows and the other way round, so a sheet's year is the year most of its rows carry.

What it quotes: units of the foreign currency per 1 tala (WST), "Units of Foreign Currency per ST1.00" as the
bank's page states (the workbook itself does not repeat it): 1 WST = 0.36983 USD, 1 WST = 59.1373 JPY. That
is the bank's one documented convention, so every row is ``base`` WST, ``currency`` the column's code,
units 1. The column labels name the currency on either side of a slash: ``TALA/USD`` in most years,
``US/TALA`` in 2009–2012 — the same quotation (the values run on across the year boundary), so the side
does not change the direction. The bank's abbreviations are mapped to ISO 4217 codes (``US``→USD,
``NZ``→NZD, ``AUS``→AUD, ``EURO``→EUR, ``YEN``→JPY); any other three-letter label is taken as the code
(``FJD``, ``GBP``, ``CNY``, ``CNH`` — offshore yuan, not an ISO 4217 code, kept as published).

The cells store binary doubles (``0.39257999999999998``, or a computed ``0.36763682237772466``); ``rate_text``
is the stored text exactly, so the number of digits is not a published precision. ``n/a`` cells are "not
quoted" and skipped.

``line`` is the row number within the year's sheet; a Reject's text names the sheet and cell (``2016!J153``).

Terms: none published in the provider seed (the page notes: "indicative rates only but not for market use").
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

from dagster_project.adapters._codes import not_in_use
from dagster_project.adapters._text import number_problem
from dagster_project.adapters._xlsx import Cell, Workbook, content_types, text_date
from dagster_project.rows import TICKER_SCHEMA, ParseError, Reject, Snapshot, empty, rates_frame, utc

SOURCE = "cbs"
PAGE_URL = "https://cbs.gov.ws/daily-exchange-rates"  # links the workbook: its name changes with each update
PIVOT = "WST"
BASE = "WST"
WINDOWED = True  # parse(window=...) keeps only those dates' rows
_HOME = "TALA"
_ALIASES = {"US": "USD", "NZ": "NZD", "AUS": "AUD", "EURO": "EUR", "YEN": "JPY"}
_MONTHS = ["JANUARY", "FEBRUARY", "MARCH", "APRIL", "MAY", "JUNE", "JULY", "AUGUST", "SEPTEMBER", "OCTOBER",
           "NOVEMBER", "DECEMBER"]
_NOT_QUOTED = {"", "-", "n/a", "na", "#n/a"}
_CODE = re.compile(r"[A-Z]{3}")


def _column_code(label: str) -> str:
    """``TALA/USD`` or ``US/TALA`` -> ``USD``; the label itself (stripped) when it is not of that shape."""
    sides = [s.strip().upper() for s in label.split("/")]
    if len(sides) == 2 and _HOME in sides:
        other = sides[1] if sides[0] == _HOME else sides[0]
        return _ALIASES.get(other, other)
    return label.strip()


def _sheet_year(book: Workbook, rows: list[tuple[int, dict[str, Cell]]]) -> int | None:
    """The year most of the sheet's dated rows are of (a sheet's *name* is not trusted: the tab named 2010 holds
    2011's rates and the other way round)."""
    years = Counter(d.year for _, cells in rows if "B" in cells and cells["B"].kind != "s"
                    and (d := book.serial_date(cells["B"])) is not None)
    return years.most_common(1)[0][0] if years else None


def _string(cell: Cell | None) -> str | None:
    return cell.text.strip() if cell is not None and cell.kind == "s" else None


def parse(data: bytes, *, captured_at: dt.datetime, file: str | None = None,
          window: tuple[dt.date, dt.date] | None = None) -> Snapshot:
    captured_at = utc(captured_at)
    book = Workbook(data, file)
    dates, codes, texts, lines = [], [], [], []
    rejects: list[Reject] = []
    headers = 0
    for sheet in book.sheets:
        columns: dict[str, str] | None = None
        month: int | None = None
        sheet_rows = list(book.rows(sheet))
        year = _sheet_year(book, sheet_rows)
        for line, cells in sheet_rows:
            first = _string(cells.get("B"))
            if first is not None and text_date(first) is not None:
                first = None  # a date written as text: a dated row like the others
            if first is not None and first.upper() == "DATE":
                columns = {c: _column_code(cell.text) for c, cell in cells.items() if c != "B" and cell.kind == "s"}
                if not columns:
                    raise ParseError(f"sheet {sheet.name!r}: DATE header row has no currency columns", file=file, line=line)
                headers += 1
                continue
            if first is not None:  # a month banner, an average row's label ("Jan", "Dec qtr avg"), a note
                if first.upper() in _MONTHS:
                    columns = None  # a new month block: its own header follows
                    month = _MONTHS.index(first.upper()) + 1
                continue
            date_cell = cells.get("B")
            values = {c: cell for c, cell in cells.items() if c != "B"}
            if date_cell is None or not values:
                continue  # an unlabelled average row, or an empty one
            day = book.serial_date(date_cell)
            if day is None or not dt.date(2000, 1, 1) <= day <= dt.date(2100, 1, 1):
                raise ParseError(f"sheet {sheet.name!r}: bad date {date_cell.text!r} in B{line} (expected a date serial)",
                                 file=file, line=line)
            if columns is None:
                raise ParseError(f"sheet {sheet.name!r}: a dated row before any DATE header of its month block",
                                 file=file, line=line)
            if window is not None and not window[0] <= day <= window[1]:
                continue
            if (year is not None and day.year != year) or (month is not None and day.month != month):
                block = f"{_MONTHS[month - 1]} block of " if month is not None else ""
                rejects.append(Reject(line, f"{sheet.name}!B{line} {date_cell.text} ({day})",
                                      f"row dated {day} in the {block}sheet {sheet.name!r} (whose rows are of {year}): "
                                      "the date contradicts where it stands, its rates are not read", day))
                continue
            for col, cell in values.items():
                code = columns.get(col)
                text = cell.text.strip()
                where = f"{sheet.name}!{col}{line} {text}"
                if code is None:
                    continue  # a cell beyond the labelled columns (a side calculation)
                if cell.kind == "s" and text.lower() in _NOT_QUOTED:
                    continue
                if not _CODE.fullmatch(code):
                    rejects.append(Reject(line, where, f"column label {code!r} is not a three-letter currency code", day))
                elif cell.kind != "n":
                    rejects.append(Reject(line, where, f"{code}: not a number: {text!r}", day))
                elif problem := number_problem(text, positive=True):
                    rejects.append(Reject(line, where, f"{code}: {problem}", day))
                elif problem := not_in_use(code, day):
                    rejects.append(Reject(line, where, problem, day))
                else:
                    dates.append(day)
                    codes.append(code)
                    texts.append(text)
                    lines.append(line)
    if not headers:
        raise ParseError("no 'DATE | TALA/USD | …' header row in any sheet: not a Central Bank of Samoa rates workbook",
                         file=file)
    if not texts and not rejects and window is None:
        raise ParseError("no rates in the workbook", file=file)
    rates, duplicates = rates_frame(SOURCE, captured_at, BASE, dates, codes, texts, lines)
    return Snapshot(SOURCE, captured_at, rates, empty(TICKER_SCHEMA), rejects + duplicates)


def workbook_url(page: bytes, base: str = PAGE_URL) -> str:
    """The workbook's URL from the data page: its ``href`` ending ``.xlsx`` (root-relative, the name with spaces at
    times), percent-encoded and joined to the page's address. A page without one is a ParseError."""
    from urllib.parse import quote, urljoin

    found = re.search(rb"""href=["']([^"']+\.xlsx)["']""", page, re.IGNORECASE)
    if not found:
        raise ParseError("no .xlsx workbook link on the daily exchange rates page", file=base)
    return urljoin(base, quote(found.group(1).decode("utf-8", "replace"), safe="/:%?=&"))


def looks_like(suffix: str, head: bytes) -> bool:
    """An ``.xlsx`` package holding many worksheets and a VML drawing (the bank's cell comments): the Central
    Bank of Samoa's year-per-sheet workbook.

    Limitation: the first 2 KB of a workbook hold only its compressed ``[Content_Types].xml``; the cells
    (``TALA/USD``) are far beyond it. This tells the bank's file from SBP's one-sheet workbooks, not from every
    other multi-sheet workbook with comments."""
    if suffix not in (".xlsx", ".zip", "") or not head.startswith(b"PK\x03\x04"):  # landing may name it .zip
        return False
    types = content_types(head)
    return "spreadsheetml.sheet.main" in types and "/xl/worksheets/sheet12.xml" in types and "vmlDrawing" in types
