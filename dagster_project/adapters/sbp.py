"""Adapter for the State Bank of Pakistan's "Daily Average Banks' Floating Exchange Rates" workbooks.

The feed: two ``.xlsx`` workbooks of the same wide layout, published by the Statistics and Data Services
Department —
- ``https://www.sbp.org.pk/assets/document/BFER_Daily.xlsx``, the current month (one column per business day);
- ``https://www.sbp.org.pk/assets/document/BFER_Daily_Arch.xlsx``, the archive since 2013-07-02 (about 3,200
  date columns), updated with finalised months a few weeks after they end.

Layout (one sheet): title rows, a cell stating the quotation ("Pak Rupees per Currency Unit"), a header row
``Country | Currency | <date> | <date> …`` whose date cells are Excel serial numbers, then one row per currency
(``U.S.A. | U.S. Dollar | 279.35178571428565 …``) and contact rows below.

What it quotes: PKR per 1 unit of the foreign currency, for every currency (the workbook says so in its
"Pak Rupees per Currency Unit" cell, which this adapter requires: a workbook stating another quotation is a
ParseError, not silently misread). So each row is ``base`` = the foreign currency, ``currency`` = PKR,
units 1 (1 JPY = 1.7593 PKR). The rates are averages of the banks' rates, computed in the spreadsheet:
the cells store binary doubles written with up to 17 significant digits (``192.04911000000001``; the sheet
displays them with the ``0.0000`` format). ``rate_text`` keeps the stored text exactly; the number of
significant digits is therefore not a published precision.

Currencies are named, not coded (``Japnese Yen`` in one file, ``Japanese Yen`` in the other): the name in the
Currency column is mapped to its ISO 4217 code by the table below (the names SBP has used); a cell that is
already a three-letter code is taken as it is. A row whose name is not known is one Reject (its values are
not read); a code that is not in use on a date (``_codes.not_in_use``) is a Reject per cell.

The two files overlap (the recorded archive, to 2026-06-30, holds April 2026 cell for cell as the current file
does); each lands as its own raw file. Since SBP's mid-2026 site change the current file has lagged the
archive, so on a disagreement the archive (the later, finalised publication) is the one to trust.

``line`` is the worksheet row number (the row of the currency; the date is the column's), and a Reject's text
names the cell (``D12 192.0491``).

Terms: https://www.sbp.org.pk/our-operations/disclaimer
"""

from __future__ import annotations

import datetime as dt
import re

from dagster_project.adapters._codes import not_in_use
from dagster_project.adapters._pairs import rates_by_pair
from dagster_project.adapters._text import number_problem
from dagster_project.adapters._xlsx import Workbook, content_types
from dagster_project.rows import TICKER_SCHEMA, ParseError, Reject, Snapshot, empty, utc

SOURCE = "sbp"
URL = "https://www.sbp.org.pk/assets/document/BFER_Daily.xlsx"  # the current month
ARCHIVE_URL = "https://www.sbp.org.pk/assets/document/BFER_Daily_Arch.xlsx"  # since 2013-07-02
PIVOT = "PKR"
QUOTE = "PKR"
WINDOWED = True  # parse(window=...) keeps only those dates' columns
_QUOTATION = re.compile(r"pak\s+rupees?\s+per\s+currency\s+unit", re.IGNORECASE)
_CODE = re.compile(r"[A-Z]{3}")
_NOT_QUOTED = {"", "-", "n/a", "na", "#n/a"}

# The names SBP's two workbooks use in the Currency column (lower case, spaces folded), with their ISO codes.
NAMES = {
    "australian dollar": "AUD", "bahraini dinar": "BHD", "canadian dollar": "CAD", "chinese yuan": "CNY",
    "danish krone": "DKK", "euro": "EUR", "hong kong dollar": "HKD", "hongkong dollar": "HKD",
    "japanese yen": "JPY", "japnese yen": "JPY", "kuwaiti dinar": "KWD", "malaysian ringgit": "MYR",
    "new zealand dollar": "NZD", "norwegian krone": "NOK", "omani riyal": "OMR", "qatari riyal": "QAR",
    "saudi arabian riyal": "SAR", "saudi riyal": "SAR", "singapore dollar": "SGD", "singaporian dollar": "SGD",
    "swedish krona": "SEK", "swedish krone": "SEK", "swiss franc": "CHF", "thai baht": "THB", "thai bhat": "THB",
    "turkish lira": "TRY", "uae dirham": "AED", "u.a.e. dirham": "AED", "uk pound sterling": "GBP",
    "u.k. pound sterling": "GBP", "pound sterling": "GBP", "u.s. dollar": "USD", "us dollar": "USD",
}


def _code(label: str) -> str | None:
    text = label.strip()
    if _CODE.fullmatch(text):
        return text
    return NAMES.get(" ".join(text.lower().split()))


def parse(data: bytes, *, captured_at: dt.datetime, file: str | None = None,
          window: tuple[dt.date, dt.date] | None = None) -> Snapshot:
    captured_at = utc(captured_at)
    book = Workbook(data, file)
    sheet = book.sheets[0]
    rows = list(book.rows(sheet))
    header_at = next((k for k, (_, cells) in enumerate(rows)
                      if cells.get("B") and cells["B"].kind == "s" and cells["B"].text.strip().lower() == "currency"
                      and cells.get("A") and cells["A"].text.strip().lower().startswith("country")), None)
    if header_at is None:
        raise ParseError(f"sheet {sheet.name!r}: no 'Country | Currency | <dates>' header row: not an SBP rates workbook",
                         file=file)
    header_line, header = rows[header_at]
    if not any(c.kind == "s" and _QUOTATION.search(c.text) for _, cells in rows[:header_at] for c in cells.values()):
        raise ParseError("the quotation cell 'Pak Rupees per Currency Unit' is missing above the header: "
                         "the workbook's quotation cannot be confirmed", file=file, line=header_line)
    dates: dict[str, dt.date] = {}
    for col, cell in header.items():
        if col in ("A", "B"):
            continue
        day = book.serial_date(cell)
        if day is None and cell.kind == "s" and not any(ch.isdigit() for ch in cell.text):
            continue  # a labelled column beside the dates ("Average"): not a day's rates
        if day is None or not dt.date(1990, 1, 1) <= day <= dt.date(2100, 1, 1):
            raise ParseError(f"bad date {cell.text!r} in header cell {col}{header_line} (expected a date serial)",
                             file=file, line=header_line)
        dates[col] = day
    if not dates:
        raise ParseError("the header row has no date columns", file=file, line=header_line)
    if window is not None:
        dates = {c: d for c, d in dates.items() if window[0] <= d <= window[1]}

    out_dates, bases, texts, lines = [], [], [], []
    rejects: list[Reject] = []
    for line, cells in rows[header_at + 1:]:
        values = {c: cell for c, cell in cells.items() if c not in ("A", "B")}
        label = cells.get("B")
        if not values or label is None or label.kind != "s" or not label.text.strip():
            continue  # blank, note and contact rows
        code = _code(label.text)
        if code is None:
            rejects.append(Reject(line, f"B{line} {label.text.strip()}",
                                  f"unknown currency name {label.text.strip()!r}: {len(values)} values not read"))
            continue
        for col, cell in values.items():
            day = dates.get(col)
            if day is None:
                continue  # outside the window, or a cell beyond the dated columns
            text = cell.text.strip()
            where = f"{col}{line} {text}"
            if cell.kind == "s" and text.lower() in _NOT_QUOTED:
                continue
            if cell.kind != "n":
                rejects.append(Reject(line, where, f"{code}: not a number: {text!r}", day))
            elif problem := number_problem(text, positive=True):
                rejects.append(Reject(line, where, f"{code}: {problem}", day))
            elif problem := not_in_use(code, day):
                rejects.append(Reject(line, where, problem, day))
            else:
                out_dates.append(day)
                bases.append(code)
                texts.append(text)
                lines.append(line)
    if not texts and not rejects and window is None:
        raise ParseError("no rates in the workbook", file=file)
    rates, duplicates = rates_by_pair(SOURCE, captured_at, bases, out_dates, [QUOTE] * len(texts), texts, lines)
    return Snapshot(SOURCE, captured_at, rates, empty(TICKER_SCHEMA), rejects + duplicates)


def looks_like(suffix: str, head: bytes) -> bool:
    """An ``.xlsx`` whose package holds exactly one worksheet and no drawings (SBP's workbooks).

    Limitation: the first 2 KB of a workbook hold only its compressed ``[Content_Types].xml``; the sheet's text
    (``State Bank of Pakistan``) is far beyond it. So this recognises a one-sheet spreadsheet package, which
    tells SBP's files from the Central Bank of Samoa's (19 year sheets) but not from any other one-sheet
    workbook."""
    if suffix not in (".xlsx", ".zip", "") or not head.startswith(b"PK\x03\x04"):  # landing may name it .zip
        return False
    types = content_types(head)
    return ("spreadsheetml.sheet.main" in types and "/xl/worksheets/sheet1.xml" in types
            and "/xl/worksheets/sheet2.xml" not in types and "vmlDrawing" not in types and "/xl/drawings/" not in types)
