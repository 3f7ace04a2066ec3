"""Helpers for the provider adapter tests (bob, sbp, cbs, cbk): the other fixtures a ``looks_like`` must refuse,
and an independent reader of ``.xlsx`` cells (zipfile + xml.etree, nothing from the adapters)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from xml.etree import ElementTree

from conftest import FIXTURES

_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def bodies(folder: Path) -> list[Path]:
    """Recorded bodies in ``folder`` (not the ``.json`` sidecars, not READMEs)."""
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.endswith((".md", ".py"))
                  and not (p.suffix == ".json" and "." in p.stem))


def other_fixtures(own: str) -> list[Path]:
    """Every fixture body under tests/fixtures except provider ``own``'s: ecb, page, fixer, ticker_csv, bad, and
    the other providers' folders present."""
    found = []
    for folder in sorted(p for p in FIXTURES.iterdir() if p.is_dir()):
        if folder.name == "providers":
            found += [b for sub in sorted(folder.iterdir()) if sub.is_dir() and sub.name != own for b in bodies(sub)]
        else:
            found += bodies(folder)
    return found


def head_of(path: Path) -> tuple[str, bytes]:
    """What ``sources.detect`` gives ``looks_like``: the suffix and the first 2 KB after a BOM / whitespace."""
    return path.suffix.lower(), path.read_bytes().lstrip(b"\xef\xbb\xbf \t\r\n")[:2048]


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
