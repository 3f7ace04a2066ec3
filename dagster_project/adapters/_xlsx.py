"""Read the cells of an Office Open XML workbook (``.xlsx``) with the standard library only.

An ``.xlsx`` file is a zip of XML parts (ECMA-376 part 1, SpreadsheetML): ``xl/workbook.xml`` names the
sheets in their tab order, ``xl/_rels/workbook.xml.rels`` maps each to its part
(``xl/worksheets/sheetN.xml``), ``xl/sharedStrings.xml`` holds the text of string cells, and every
worksheet's ``<sheetData>`` holds ``<row r="7">`` elements of ``<c r="C7" t="s"><v>12</v></c>`` cells.

No spreadsheet library is installed in this project (polars' ``read_excel`` needs fastexcel or openpyxl), and
the provider adapters need the cells' *stored text* anyway (``rate_text`` is the number as the file holds it,
``192.04911000000001``, not a re-formatted float), which the XML gives directly.

What a cell is here: ``Cell(text, kind)`` with ``kind`` ``"n"`` (a number: ``text`` is the ``<v>`` text exactly),
``"s"`` (a string: shared, inline or a formula's string result), ``"d"`` (an ISO 8601 date cell), ``"b"``
(boolean) or ``"e"`` (an error such as ``#N/A``). Empty cells are absent. Dates are numbers (serial days); ``serial_date`` converts them, honouring
the workbook's 1900 or 1904 date system.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from xml.etree import ElementTree

from dagster_project.rows import ParseError

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_EPOCH_1900 = dt.date(1899, 12, 30)  # serial 1 = 1900-01-01 with Excel's phantom 1900-02-29 (dates after 1900-03-01)
_EPOCH_1904 = dt.date(1904, 1, 1)
ZIP_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class Cell:
    text: str
    kind: str  # n | s | b | e


@dataclass(frozen=True)
class Sheet:
    name: str
    part: str  # xl/worksheets/sheetN.xml


def looks_like_html(data: bytes) -> bool:
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:512].lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head[:200]


def column_of(ref: str) -> str:
    """``"AB12"`` -> ``"AB"``."""
    return ref.rstrip("0123456789")


class Workbook:
    """The sheets and cells of one workbook. Every problem is a ParseError naming ``file``."""

    def __init__(self, data: bytes, file: str | None):
        self.file = file
        if not data.strip():
            raise ParseError("empty input", file=file)
        if looks_like_html(data):
            raise ParseError("an HTML page was served instead of the workbook", file=file, line=1)
        if not data.startswith(ZIP_MAGIC):
            raise ParseError("not an .xlsx workbook (no zip signature)", file=file)
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
            bad = self._zip.testzip()
        except (zipfile.BadZipFile, EOFError, OSError) as exc:
            raise ParseError(f"corrupt or truncated .xlsx (zip: {exc})", file=file) from None
        except Exception as exc:  # zlib.error and friends from a damaged member
            raise ParseError(f"corrupt or truncated .xlsx ({type(exc).__name__}: {exc})", file=file) from None
        if bad is not None:
            raise ParseError(f"corrupt .xlsx: member {bad} fails its CRC check", file=file)
        workbook = self._xml("xl/workbook.xml")
        self.date1904 = any(p.get("date1904") in ("1", "true") for p in workbook.iter(f"{_MAIN}workbookPr"))
        targets = {r.get("Id"): r.get("Target", "") for r in self._xml("xl/_rels/workbook.xml.rels").iter(f"{_PKG_REL}Relationship")}
        self.sheets: list[Sheet] = []
        for sheet in workbook.iter(f"{_MAIN}sheet"):
            target = targets.get(sheet.get(f"{_REL}id"), "")
            part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            self.sheets.append(Sheet(sheet.get("name", ""), part))
        if not self.sheets:
            raise ParseError("workbook lists no sheets (xl/workbook.xml)", file=file)
        names = set(self._zip.namelist())
        self.strings: list[str] = []
        if "xl/sharedStrings.xml" in names:
            self.strings = ["".join(t.text or "" for t in si.iter(f"{_MAIN}t"))
                            for si in self._xml("xl/sharedStrings.xml").iter(f"{_MAIN}si")]

    def _xml(self, part: str) -> ElementTree.Element:
        try:
            raw = self._zip.read(part)
        except KeyError:
            raise ParseError(f"not an .xlsx workbook: no {part}", file=self.file) from None
        try:
            return ElementTree.fromstring(raw)
        except ElementTree.ParseError as exc:
            line = exc.position[0] if exc.position else None
            raise ParseError(f"malformed XML in {part}: {exc}", file=self.file, line=line) from None

    def rows(self, sheet: Sheet) -> Iterator[tuple[int, dict[str, Cell]]]:
        """Each ``<row>`` of the sheet: its 1-based row number and its non-empty cells by column letter."""
        root = self._xml(sheet.part)
        for n, row in enumerate(root.iter(f"{_MAIN}row"), start=1):
            number = int(row.get("r") or n)
            cells: dict[str, Cell] = {}
            for k, c in enumerate(row.iter(f"{_MAIN}c")):
                ref = c.get("r") or f"#{k}"
                kind = c.get("t", "n")
                v = c.find(f"{_MAIN}v")
                if kind == "inlineStr":
                    text, kind = "".join(t.text or "" for t in c.iter(f"{_MAIN}t")), "s"
                elif v is None or v.text is None:
                    continue
                elif kind == "s":
                    try:
                        text = self.strings[int(v.text)]
                    except (ValueError, IndexError):
                        raise ParseError(f"{sheet.name}!{ref}: shared string {v.text!r} does not exist",
                                         file=self.file, line=number) from None
                elif kind == "str":
                    text, kind = v.text, "s"
                elif kind in ("b", "e", "d"):
                    text = v.text
                else:
                    text, kind = v.text, "n"
                cells[column_of(ref)] = Cell(text, kind)
            yield number, cells

    def serial_date(self, cell: Cell) -> dt.date | None:
        """The date of a date cell: a serial number (days since the workbook's epoch; a time of day is dropped), an
        ISO ``t="d"`` cell, or a string written as a date (``15/06/2010``, ``01-Apr-26``); None otherwise."""
        if cell.kind == "d":
            return text_date(cell.text[:10])
        if cell.kind == "s":
            return text_date(cell.text)
        if cell.kind != "n":
            return None
        try:
            value = float(cell.text)
        except ValueError:
            return None
        if not math.isfinite(value) or value < 1 or value > 2_958_465:  # 9999-12-31
            return None
        return (_EPOCH_1904 if self.date1904 else _EPOCH_1900) + dt.timedelta(days=int(value))


_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%b-%y", "%d-%b-%Y", "%d %b %Y", "%d %B %Y", "%d-%m-%Y")


def text_date(text: str) -> dt.date | None:
    """A date written as text in one of the usual day-first or ISO forms, or None."""
    text = " ".join(text.split())
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def content_types(head: bytes) -> str:
    """The text of ``[Content_Types].xml`` when it is the zip's first member and fits in ``head`` (it always comes
    first in Excel's files), decompressed as far as the bytes go; ``""`` otherwise. For ``looks_like``."""
    if not head.startswith(ZIP_MAGIC) or len(head) < 30:
        return ""
    method, size, name_len, extra_len = (struct.unpack("<H", head[8:10])[0], struct.unpack("<I", head[18:22])[0],
                                         *struct.unpack("<HH", head[26:30]))
    if head[30:30 + name_len] != b"[Content_Types].xml":
        return ""
    start = 30 + name_len + extra_len
    chunk = head[start:start + size]
    try:
        raw = zlib.decompressobj(-15).decompress(chunk) if method == 8 else chunk  # 8: deflate
    except zlib.error:
        return ""
    return raw.decode("utf-8", "replace")
