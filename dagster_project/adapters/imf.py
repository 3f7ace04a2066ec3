"""Adapter for the IMF's exchange rates: representative rates against the U.S. dollar and SDR rates.

The feed is the IMF Finance department's monthly tables as tab-separated text
(``https://www.imf.org/external/np/fin/data/rms_mth.aspx?SelectDate=YYYY-MM-DD&reportType=REP&tsvflag=Y``,
served as ``application/vnd.ms-excel``; ``reportType=SDRCV`` for the SDR values). One body is one month so
far: a title line, then one or more blocks (the second titled ``... Continued``), each a ``Currency`` header
row with one column per business day (``March 02, 2026``) and one row per currency, then ``Notes:``::

    Representative Exchange Rates for Selected Currencies for March 2026
    Currency<TAB>March 02, 2026<TAB>March 03, 2026 ...
    Euro(1)<TAB>1.169800<TAB>1.160600 ...
    Japanese yen<TAB>156.400000<TAB>157.410000 ...

What a number means is read from the body:

- ``Representative Exchange Rates for Selected Currencies``: currency units per U.S. dollar (base USD,
  currency = the row's currency), except the rows marked ``(1)``, which the notes define as U.S. dollars per
  currency unit (base = the row's currency, currency USD: ``Euro(1) 1.169800`` is 1.1698 USD per 1 EUR). The
  notes must say so (``(1) which are in terms of U.S. dollars per currency unit``), or the body is a
  ParseError. The ``U.S. dollar`` row (1.000000 USD per USD) is not a rate and is skipped.
- ``SDRs per Currency unit``: base = the row's currency, currency XDR.
- ``Currency units per SDR``: base XDR, currency = the row's currency.

Rows name currencies in English, not by code: the IMF's names are mapped to ISO 4217 codes by the table
below (the names these reports have used; a name kept across a redenomination, such as ``Zambian kwacha``,
is the code in force on the day); a name it does not know is a reject (never guessed). ``NA`` (and a
row shorter than its header: the IMF's not-yet-published days) is not quoted. Large numbers carry a
thousands separator (``1,435.400000`` KRW per USD), the IMF's own format in these files: read as such, the
text kept as published. REP rates have six decimals; SDR rates six significant digits (the notes say so).

``line`` is the physical line of the currency row (CRLF line ends). Terms:
https://www.imf.org/en/about/copyright-and-terms
"""

from __future__ import annotations

import datetime as dt
import re

import polars as pl

from dagster_project.adapters._codes import not_in_use
from dagster_project.adapters._text import clean, decode, number_problem
from dagster_project.rows import TICKER_SCHEMA, ParseError, Reject, Snapshot, empty, rates_frame, utc

SOURCE = "imf"
_REP = "representative exchange rates for selected currencies"
_SDR_PER = "sdrs per currency unit"
_PER_SDR = "currency units per sdr"
_INVERTED_NOTE = "(1) which are in terms of u.s. dollars per currency unit"
_PER_USD_NOTE = "currency units per u.s. dollar"
_NOT_QUOTED = {"NA", "N.A.", "N/A", "", "..."}
_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")  # the IMF's own number format in these tables
_MARKER = re.compile(r"^(.*?)\s*\((\d+)\)\s*$")
_MONTHS = {m: k for k, m in enumerate(["january", "february", "march", "april", "may", "june", "july", "august",
                                       "september", "october", "november", "december"], start=1)}
_DAY = re.compile(r"([A-Za-z]+)\s+(\d{1,2}),\s*(\d{4})")

# The IMF's English currency names (these tables, 2003 to now) -> ISO 4217. Lower case, spaces folded.
NAMES = {
    "algerian dinar": "DZD", "australian dollar": "AUD", "bahrain dinar": "BHD", "bahraini dinar": "BHD",
    "botswana pula": "BWP", "brazilian real": "BRL", "brunei dollar": "BND", "canadian dollar": "CAD",
    "chilean peso": "CLP", "chinese yuan": "CNY", "chinese renminbi": "CNY", "colombian peso": "COP",
    "cyprus pound": "CYP", "czech koruna": "CZK", "danish krone": "DKK", "euro": "EUR",
    "hungarian forint": "HUF", "icelandic krona": "ISK", "indian rupee": "INR", "indonesian rupiah": "IDR",
    "iranian rial": "IRR", "israeli new shekel": "ILS", "japanese yen": "JPY", "kazakhstani tenge": "KZT",
    "korean won": "KRW", "kuwaiti dinar": "KWD", "libyan dinar": "LYD", "malaysian ringgit": "MYR",
    "maltese lira": "MTL", "mauritian rupee": "MUR", "mexican peso": "MXN", "nepalese rupee": "NPR",
    "new zealand dollar": "NZD", "norwegian krone": "NOK", "omani rial": "OMR", "pakistani rupee": "PKR",
    "peruvian sol": "PEN", "peruvian nuevo sol": "PEN", "philippine peso": "PHP", "polish zloty": "PLN",
    "qatari riyal": "QAR", "russian ruble": "RUB", "russian rouble": "RUB", "saudi arabian riyal": "SAR",
    "singapore dollar": "SGD", "slovak koruna": "SKK", "south african rand": "ZAR", "sri lankan rupee": "LKR",
    "swedish krona": "SEK", "swiss franc": "CHF", "thai baht": "THB", "trinidadian dollar": "TTD",
    "trinidad and tobago dollar": "TTD", "tunisian dinar": "TND", "u.a.e. dirham": "AED", "uae dirham": "AED",
    "u.k. pound": "GBP", "u.k. pound sterling": "GBP", "u.s. dollar": "USD", "uruguayan peso": "UYU",
    "bolivar fuerte": "VEF", "venezuelan bolivar fuerte": "VEF", "venezuelan bolivar soberano": "VES",
    "afghan afghani": "AFN", "angolan kwanza": "AOA", "bahamian dollar": "BSD", "bangladeshi taka": "BDT",
    "barbados dollar": "BBD", "costa rican colon": "CRC", "djibouti franc": "DJF", "egyptian pound": "EGP",
    "fiji dollar": "FJD", "jordanian dinar": "JOD", "moldovan leu": "MDL", "mongolian tugrik": "MNT",
    "moroccan dirham": "MAD", "mozambican metical": "MZN", "myanmar kyat": "MMK", "namibian dollar": "NAD",
    "nigerian naira": "NGN", "rwandan franc": "RWF", "samoan tala": "WST", "ugandan shilling": "UGX",
    "yemeni rial": "YER",
}
# A name kept across a redenomination means the code in force on the day: (first day of the new code, old, new).
NAMES_BY_DATE = {
    "zambian kwacha": [(dt.date(2013, 1, 1), "ZMK", "ZMW")],
    "romanian leu": [(dt.date(2005, 7, 1), "ROL", "RON")],
    "turkish lira": [(dt.date(2005, 1, 1), "TRL", "TRY")],
    "mauritanian ouguiya": [(dt.date(2018, 1, 1), "MRO", "MRU")],
    "venezuelan bolivar": [(dt.date(2008, 1, 1), "VEB", "VEF"), (dt.date(2018, 8, 20), "VEF", "VES")],
}


def _code(name: str, day: dt.date) -> str | None:
    key = " ".join(name.lower().split())
    if key in NAMES_BY_DATE:
        code = NAMES_BY_DATE[key][0][1]
        for since, _old, new in NAMES_BY_DATE[key]:
            if day >= since:
                code = new
        return code
    return NAMES.get(key)


def _date(text: str, file: str | None, line: int) -> dt.date:
    m = _DAY.fullmatch(text.strip())
    try:
        if not m or m.group(1).lower() not in _MONTHS:
            raise ValueError
        return dt.date(int(m.group(3)), _MONTHS[m.group(1).lower()], int(m.group(2)))
    except ValueError:
        raise ParseError(f"bad date column {text!r} (expected e.g. 'March 02, 2026')", file=file, line=line) from None


def as_decimal(text: str) -> str:
    """``1,435.400000`` (the IMF's thousands separator) as ``1435.400000``; anything else unchanged."""
    return text.replace(",", "") if _THOUSANDS.fullmatch(text) else text


def _kind(title: str, file: str | None) -> str:
    low = title.lower()
    for kind in (_REP, _SDR_PER, _PER_SDR):
        if low.startswith(kind):
            return kind
    raise ParseError(f"not an IMF rates table: title {title[:80]!r} (expected 'Representative Exchange Rates for "
                     "Selected Currencies', 'SDRs per Currency unit' or 'Currency units per SDR')", file=file, line=1)


def _check_notes(notes: str, file: str | None) -> None:
    """The REP table's quotation convention, as its notes state it (read from the body, not assumed)."""
    notes = " ".join(notes.lower().split())
    if _PER_USD_NOTE not in notes or _INVERTED_NOTE not in notes:
        raise ParseError("the notes no longer say 'currency units per U.S. dollar' and '(1) ... U.S. dollars per "
                         "currency unit': the quotation convention changed or the notes are missing", file=file)


def parse(data: bytes, *, captured_at: dt.datetime, file: str | None = None) -> Snapshot:
    captured_at = utc(captured_at)
    text = decode(data, file)
    lines = text.split("\n")
    title = clean(lines[0])
    if title.startswith("<"):
        raise ParseError("an HTML/XML page, not the IMF's tab-separated table (an error page served instead of data?)",
                         file=file, line=1)
    kind = _kind(title, file)
    dates, pivots, codes, texts, where = [], [], [], [], []
    published: list[tuple[dt.date, int, str, bool]] = []
    rejects: list[Reject] = []
    header: list[dt.date] | None = None
    ended = 0
    for lineno, raw in enumerate(lines[1:], start=2):
        cells = [clean(c) for c in raw.split("\t")]
        first = cells[0]
        if first.lower() == "notes:":
            ended = lineno
            break
        if not any(cells):
            header = None  # a blank line ends a block
            continue
        if first.lower() == "currency":
            header = [_date(c, file, lineno) for c in cells[1:] if c]
            if not header:
                raise ParseError("a Currency header row with no date columns", file=file, line=lineno)
            continue
        if header is None:
            if len(cells) == 1 and first.lower().startswith(kind):
                continue  # the next block's title ("... for March 2026 Continued")
            raise ParseError(f"a row before any 'Currency' header row: {raw[:60]!r} (changed layout)", file=file, line=lineno)
        values = cells[1:]
        while values and not values[-1]:
            values.pop()
        if len(values) > len(header):
            raise ParseError(f"row has {len(values)} values, its header {len(header)} dates", file=file, line=lineno)
        name, inverted = first, False
        if m := _MARKER.match(first):
            name = m.group(1)
            if kind != _REP or m.group(2) != "1":
                rejects.append(Reject(lineno, raw[:80], f"note marker ({m.group(2)}) on {name!r}: its quotation is not stated", None))
                continue
            inverted = True
        for day, value in zip(header, values, strict=False):  # a short row: the days not yet published
            if value in _NOT_QUOTED:
                continue
            code = _code(name, day)
            shown = f"{first} {value} ({day})"
            if code is None:
                rejects.append(Reject(lineno, shown, f"IMF currency name {name!r} is not in the adapter's table of names", day))
                continue
            if kind == _REP and code == "USD":
                continue  # 1 USD per USD
            decimal = as_decimal(value)
            if problem := number_problem(decimal, positive=True):
                rejects.append(Reject(lineno, shown, f"{code}: {problem}", day))
                continue
            if problem := not_in_use(code, day):
                rejects.append(Reject(lineno, shown, problem, day))
                continue
            dates.append(day)
            pivots.append("USD" if kind == _REP else "XDR")
            codes.append(code)
            texts.append(decimal)
            where.append(lineno)
            # the row's code ends up as base when USD per unit (REP "(1)") or SDRs per unit
            published.append((day, lineno, value, inverted or kind == _SDR_PER))
    if not ended:
        raise ParseError("no 'Notes:' line after the tables: the file is truncated", file=file, line=len(lines))
    if kind == _REP:
        _check_notes("\n".join(lines[ended:]), file)
    if not codes and not rejects:
        raise ParseError("no rates in the file", file=file)
    # the duplicate-code rule groups by (date, currency): built with the row's code as `currency`, then oriented
    rates, duplicates = rates_frame(SOURCE, captured_at, pivots, dates, codes, texts, where)
    meta = pl.DataFrame(published, schema={"date": pl.Date, "line": pl.Int64, "_text": pl.String, "_flip": pl.Boolean},
                        orient="row")
    rates = rates.join(meta, on=["date", "line"], how="left", maintain_order="left").with_columns(
        pl.when("_flip").then("currency").otherwise("base").alias("base"),
        pl.when("_flip").then("base").otherwise("currency").alias("currency"),
        pl.col("_text").alias("rate_text"),
    ).drop("_text", "_flip")
    return Snapshot(SOURCE, captured_at, rates, empty(TICKER_SCHEMA), rejects + duplicates)


def looks_like(suffix: str, head: bytes) -> bool:
    """The title line of one of the IMF's tables, followed by its tab-separated ``Currency`` header."""
    first, _, rest = head.partition(b"\n")
    title = first.decode("utf-8", "replace").strip().lower()
    return title.startswith((_REP, _SDR_PER, _PER_SDR)) and b"Currency\t" in rest
