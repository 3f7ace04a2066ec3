"""Text normalisation and number validation shared by every adapter.

One place decides what a valid published number is, so every source rejects the same things for the
same reasons: comma decimals, thousands separators, NaN/inf, zero and negative rates.
"""

from __future__ import annotations

import math
import re

from dagster_project.rows import ParseError

# Characters that mean "minus" or "space" on real pages.
_MINUS = {"\u2212": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\ufe63": "-", "\uff0d": "-"}
_SPACES = {"\u00a0": " ", "\u202f": " ", "\u2007": " ", "\u2009": " ", "\u200b": "", "\ufeff": ""}
_TRANSLATE = str.maketrans({**_MINUS, **_SPACES})

DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?")
_COMMA_DECIMAL = re.compile(r"[+-]?\d+,\d+")
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")


def decode(data: bytes, file: str | None = None) -> str:
    """UTF-8 (with or without BOM) to text with LF line ends; anything else is a ParseError."""
    if not data.strip():
        raise ParseError("empty input", file=file)
    if b"\x00" in data[:4096]:
        raise ParseError("binary data, not text (NUL byte)", file=file, line=1)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ParseError(f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})", file=file, line=line) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def clean(line: str) -> str:
    """Fold non-breaking and odd spaces, unify minus signs, strip."""
    return line.translate(_TRANSLATE).strip()


def number_problem(text: str, *, positive: bool) -> str | None:
    """Why ``text`` is not a trustworthy published number, or None when it is."""
    if DECIMAL.fullmatch(text):
        value = float(text)
        if not math.isfinite(value):
            return f"not a finite number: {text!r}"
        if positive and value <= 0:
            return f"rate must be > 0, got {text}"
        return None
    low = text.lower().lstrip("+-")
    if low in {"nan", "inf", "infinity"}:
        return f"not a finite number: {text!r}"
    if _THOUSANDS.fullmatch(text):
        return f"thousands separator in {text!r}: ambiguous, not read"
    if _COMMA_DECIMAL.fullmatch(text):
        return f"comma decimal in {text!r}: ambiguous, not read"
    return f"not a number: {text!r}"
