"""Helpers for the provider adapter tests: a provider's recorded bodies, every other fixture its ``looks_like`` must
refuse, the first bytes ``sources.detect`` hands it, an HTML error page, and an independent reader of ``.xlsx``
cells (zipfile + xml.etree, nothing from the adapters)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from xml.etree import ElementTree

from conftest import FIXTURES

PROVIDERS = FIXTURES / "providers"
HTML_PAGE = (b"<!DOCTYPE html>\n<html><head><title>503 Service Temporarily Unavailable</title></head>\n"
             b"<body><h1>Service Temporarily Unavailable</h1><p>Please try again later.</p></body></html>\n")
_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def bodies(folder: Path) -> list[Path]:
    """Recorded bodies in ``folder`` (not the ``.json`` sidecars, not READMEs)."""
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.endswith((".md", ".py"))
                  and not (p.suffix == ".json" and "." in p.stem))


def other_fixtures(own: str) -> list[Path]:
    """Every file under tests/fixtures that is not provider ``own``'s: ecb, page, fixer, ticker_csv, bad, the other
    providers' bodies, their sidecars and READMEs too: none may be taken for this provider."""
    mine = PROVIDERS / own
    return sorted(p for p in FIXTURES.rglob("*") if p.is_file() and mine not in p.parents)


def head(path: Path) -> bytes:
    """What ``sources.detect`` gives ``looks_like``: the first 2 KB after a BOM and leading blanks."""
    return path.read_bytes().lstrip(b"\xef\xbb\xbf \t\r\n")[:2048]


def head_of(path: Path) -> tuple[str, bytes]:
    """``looks_like``'s two arguments for ``path``: its suffix and its head."""
    return path.suffix.lower(), head(path)


def xlsx_sheets(data: bytes) -> list[tuple[str, list[tuple[int, dict[str, tuple[str, str]]]]]]:
    """Each sheet (tab order) as ``(name, [(row number, {column: (t attribute, text)})])``: shared strings
    resolved, empty cells left out."""
    zf = zipfile.ZipFile(io.BytesIO(data))
    strings = ["".join(t.text or "" for t in si.iter(f"{_NS}t"))
               for si in ElementTree.fromstring(zf.read("xl/sharedStrings.xml")).findall(f"{_NS}si")]
    rels = {r.get("Id"): r.get("Target") for r in ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))}
    out = []
    for sheet in ElementTree.fromstring(zf.read("xl/workbook.xml")).iter(f"{_NS}sheet"):
        root = ElementTree.fromstring(zf.read("xl/" + rels[sheet.get(f"{_R}id")]))
        rows = []
        for row in root.iter(f"{_NS}row"):
            cells = {}
            for c in row.findall(f"{_NS}c"):
                v = c.find(f"{_NS}v")
                if v is None:
                    continue
                t = c.get("t", "n")
                cells["".join(ch for ch in c.get("r") if ch.isalpha())] = (t, strings[int(v.text)] if t == "s" else v.text)
            rows.append((int(row.get("r")), cells))
        out.append((sheet.get("name"), rows))
    return out


def replace_in_member(data: bytes, member: str, old: bytes, new: bytes, count: int = 1) -> bytes:
    """The workbook with ``old`` replaced by ``new`` in one zip member (a test's edit of a real body)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            raw = src.read(info.filename)
            if info.filename == member:
                assert old in raw, f"{old!r} not in {member}"
                raw = raw.replace(old, new, count)
            dst.writestr(info, raw)
    return buf.getvalue()


EXCEL_EPOCH_ORDINAL = 693594  # date(1899, 12, 30).toordinal()
