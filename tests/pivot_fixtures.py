"""Helpers for the norges, cnb and nbp adapter tests: the fixture bodies of a provider and every other one."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
PROVIDERS = FIXTURES / "providers"
HTML_PAGE = (b"<!DOCTYPE html>\n<html><head><title>503 Service Temporarily Unavailable</title></head>\n"
             b"<body><h1>Service Temporarily Unavailable</h1><p>Please try again later.</p></body></html>\n")


def is_sidecar(path: Path) -> bool:
    return path.name.endswith((".csv.json", ".json.json", ".xml.json", ".txt.json", ".xls.json", ".xlsx.json",
                               ".zip.json", ".html.json"))


def bodies(key: str) -> list[Path]:
    """The recorded bodies of one provider (no sidecar, no README)."""
    return sorted(p for p in (PROVIDERS / key).iterdir() if p.is_file() and not is_sidecar(p) and p.suffix != ".md")


def other_files(key: str) -> list[Path]:
    """Every fixture file that is not this provider's (ECB, page, Fixer, ticker CSV, bad inputs, other providers,
    their sidecars too): none may be taken for this provider."""
    mine = PROVIDERS / key
    return sorted(p for p in FIXTURES.rglob("*") if p.is_file() and mine not in p.parents)


def head(path: Path) -> bytes:
    """What ``sources.detect`` gives ``looks_like``: the first 2 KB after a BOM and leading blanks."""
    return path.read_bytes().lstrip(b"\xef\xbb\xbf \t\r\n")[:2048]
