"""Adapter for a Fixer-style JSON rates API (units of CCY per 1 ``base``).

    {"success": true, "timestamp": 1732800000, "base": "EUR", "date": "2024-11-28", "rates": {"AED": 3.878126, ...}}
    {"success": false, "error": {"code": 101, "type": "missing_access_key", "info": "..."}}

Endpoints: ``<base_url>/latest`` and ``<base_url>/YYYY-MM-DD``, with ``access_key`` from the environment.
The published text of each rate is taken from the JSON source, not re-printed from a float.
"""

from __future__ import annotations

import datetime as dt
import json
import re

from dagster_project.adapters._text import decode, number_problem
from dagster_project.rows import TICKER_SCHEMA, ParseError, Reject, Snapshot, empty, rates_frame, utc

SOURCE = "fixer"


class ProviderError(ParseError):
    """The API answered, but with {"success": false, "error": …}."""


def _number_texts(text: str) -> dict[str, list[tuple[str, int]]]:
    """The literal number texts and lines of each ``"CCY": number`` pair in the rates object, in order (a code
    given twice has two)."""
    out: dict[str, list[tuple[str, int]]] = {}
    start = text.find('"rates"')
    for m in re.finditer(r'"([^"\\]{1,12})"\s*:\s*([^,}\s]+)', text[start:] if start >= 0 else ""):
        line = text.count("\n", 0, start + m.start()) + 1
        out.setdefault(m.group(1), []).append((m.group(2), line))
    return out


def parse(data: bytes, *, captured_at: dt.datetime, file: str | None = None) -> Snapshot:
    captured_at = utc(captured_at)
    text = decode(data, file)
    try:
        doc = json.loads(text, object_pairs_hook=_Pairs)
    except json.JSONDecodeError as exc:
        hint = " (an HTML page where JSON was expected)" if text.lstrip().startswith("<") else ""
        raise ParseError(f"not JSON{hint}: {exc.msg}", file=file, line=exc.lineno) from None
    if not isinstance(doc, dict):
        raise ParseError("JSON is not an object", file=file, line=1)
    if doc.get("success") is False or "error" in doc:
        err = doc.get("error") or {}
        if not isinstance(err, dict):
            err = {"info": str(err)}
        raise ProviderError(
            f"provider error {err.get('code', '?')} {err.get('type', '')}: {err.get('info', 'no detail')}".replace("  ", " "),
            file=file,
        )
    for key in ("base", "date", "rates"):
        if key not in doc:
            raise ParseError(f"missing field {key!r}", file=file)
    base = doc["base"]
    if not (isinstance(base, str) and len(base) == 3 and base.isalpha() and base.isupper()):
        raise ParseError(f"bad base currency {base!r}", file=file)
    try:
        day = dt.date.fromisoformat(str(doc["date"]))
    except ValueError:
        raise ParseError(f"bad date {doc['date']!r} (expected YYYY-MM-DD)", file=file) from None
    if not isinstance(doc["rates"], dict) or not doc["rates"]:
        raise ParseError("'rates' is empty or not an object", file=file)

    literal = _number_texts(text)
    codes, texts, lines = [], [], []
    rejects: list[Reject] = []
    for code, value in doc["rates"].pairs:  # every pair, a code given twice included: rates_frame's rule decides
        found = literal.get(code)
        rate_text, line = found.pop(0) if found else (json.dumps(value), None)
        if not (isinstance(code, str) and len(code) == 3 and code.isalpha() and code.isupper()):
            rejects.append(Reject(line, f"{code}: {rate_text}", f"currency code {code!r} is not an upper-case ISO code", day))
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            rejects.append(Reject(line, f"{code}: {rate_text}", f"{code}: not a number: {value!r}", day))
            continue
        if problem := number_problem(rate_text, positive=True):
            rejects.append(Reject(line, f"{code}: {rate_text}", f"{code}: {problem}", day))
            continue
        codes.append(code)
        texts.append(rate_text)
        lines.append(line)
    rates, duplicates = rates_frame(SOURCE, captured_at, base, [day] * len(codes), codes, texts, lines)
    return Snapshot(SOURCE, captured_at, rates, empty(TICKER_SCHEMA), rejects + duplicates)


class _Pairs(dict):
    """A JSON object that also keeps its key-value pairs in order, a key given twice included (a plain dict keeps
    only the last, silently)."""

    def __init__(self, pairs):
        super().__init__(pairs)
        self.pairs = list(pairs)


def looks_like(suffix: str, head: bytes) -> bool:
    """A JSON answer."""
    return suffix == ".json" or head.startswith((b"{", b"["))
