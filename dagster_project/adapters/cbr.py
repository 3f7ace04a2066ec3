"""Adapter for the Bank of Russia's official exchange rates of foreign currencies against the ruble.

The feed is the daily XML ``https://www.cbr.ru/scripts/XML_daily.asp?date_req=DD/MM/YYYY`` (without
``date_req``: the latest set rates), in windows-1251, documented at https://www.cbr.ru/development/SXML/::

    <ValCurs Date="25.04.2026" name="Foreign Currency Market">
      <Valute ID="R01030"><NumCode>012</NumCode><CharCode>DZD</CharCode><Nominal>100</Nominal>
        <Name>...</Name><Value>57,0006</Value><VunitRate>0,570006</VunitRate></Valute> ...

``Value`` is rubles per ``Nominal`` units of the currency: a row is base = ``CharCode``, currency RUB, units
= ``Nominal`` (57,0006 RUB per 100 DZD: rate 0.570006 per 1 DZD), ``rate_text`` the ``Value`` text exactly
as published. The decimal comma is the Bank of Russia's documented number format in these files (every
``Value`` is ``digits,digits``, four decimals): it is read as a decimal point here, and only here, and the
text is kept with its comma. ``VunitRate`` (since 2022: ``Value / Nominal`` worked out by the bank) is not
read: the row's rate is ``Value / Nominal`` itself. ``date`` is the ``ValCurs Date``: the day the rates are
set *for* (the bank sets them on the previous business day, so a Friday file is dated Saturday).

The bank's precious-metal book prices ``xml_metall.asp?date_req1=DD/MM/YYYY&date_req2=DD/MM/YYYY``
(``<Metall><Record Date="03.03.2026" Code="1"><Buy>12957,47</Buy><Sell>12957,47</Sell>``) are read too:
rubles per *gram* (the bank's documented unit), ``Code`` 1 gold, 2 silver, 3 platinum, 4 palladium (the
bank's documented codes: XAU, XAG, XPT, XPD). A row is base = the metal, currency RUB, ``rate_text`` the
``Buy`` text, and its quotation unit is one gram = 1/31.1034768 troy ounce (the ISO 4217 unit of an X metal
code), so ``rate`` is rubles per troy ounce. An unknown ``Code`` is a reject.

``line`` is the 1-based ordinal of the ``Valute`` (or metal ``Record``) element in the file (the body is one
physical line). The dynamic series ``XML_dynamic.asp`` (``Record`` elements naming a currency only by the
bank's ``ID``, never by its code) is not read: a clear ParseError says so.

Terms: https://www.cbr.ru/eng/user_agreement/
"""

from __future__ import annotations

import datetime as dt
import re
from xml.etree import ElementTree

import polars as pl

from dagster_project.adapters._codes import not_in_use
from dagster_project.adapters._text import clean, number_problem
from dagster_project.rows import TICKER_SCHEMA, ParseError, Reject, Snapshot, empty, rates_frame, utc

SOURCE = "cbr"
QUOTE = "RUB"
_CODE = re.compile(r"[A-Z]{3}")
_COMMA_DECIMAL = re.compile(r"\d+,\d+")  # the bank's published number format
_NOMINAL = re.compile(r"[1-9]\d*")
_FIELDS = ("CharCode", "Nominal", "Value")
METALS = {"1": "XAU", "2": "XAG", "3": "XPT", "4": "XPD"}  # the bank's documented codes in xml_metall
GRAM_IN_TROY_OUNCES = 1 / 31.1034768  # one troy ounce is 31.1034768 g exactly


def as_decimal(text: str) -> str:
    """The bank's ``57,0006`` as ``57.0006`` (anything else unchanged, for number_problem to judge)."""
    return text.replace(",", ".") if _COMMA_DECIMAL.fullmatch(text) else text


def _date(text: str, file: str | None) -> dt.date:
    try:
        return dt.datetime.strptime(text.strip(), "%d.%m.%Y").date()
    except ValueError:
        raise ParseError(f"bad ValCurs Date {text!r} (expected DD.MM.YYYY)", file=file) from None


def parse(data: bytes, *, captured_at: dt.datetime, file: str | None = None) -> Snapshot:
    captured_at = utc(captured_at)
    if not data.strip():
        raise ParseError("empty input", file=file)
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:512].lower()
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head:
        raise ParseError("an HTML page, not the Bank of Russia's XML (an error page served instead of data?)", file=file, line=1)
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        line = exc.position[0] if exc.position else None
        raise ParseError(f"malformed XML (truncated?): {exc}", file=file, line=line) from None
    if root.tag == "ValCurs" and root.find("Record") is not None:
        raise ParseError("an XML_dynamic series (Record elements, the currency named only by the bank's ID): "
                         "read XML_daily.asp?date_req=DD/MM/YYYY instead", file=file)
    if root.tag == "Metall":
        return _metals(root, captured_at, file)
    if root.tag != "ValCurs" or "Date" not in root.attrib:
        raise ParseError(f"root element <{root.tag}> {dict(root.attrib)}: not a Bank of Russia XML_daily "
                         "(<ValCurs Date='DD.MM.YYYY'>)", file=file)
    day = _date(root.attrib["Date"], file)
    dates, codes, texts, published, units, where = [], [], [], [], [], []
    rejects: list[Reject] = []
    valutes = root.findall("Valute")
    if not valutes:
        raise ParseError(f"no <Valute> elements in <ValCurs Date='{root.attrib['Date']}'>", file=file)
    for ordinal, valute in enumerate(valutes, start=1):
        fields = {}
        for name in _FIELDS:
            element = valute.find(name)
            if element is None:
                raise ParseError(f"<Valute ID='{valute.get('ID')}'> (element {ordinal}) has no <{name}>: changed format",
                                 file=file, line=ordinal)
            fields[name] = clean(element.text or "")
        code, nominal, value = fields["CharCode"], fields["Nominal"], fields["Value"]
        shown = f"{code} {nominal} {value} ({day})"
        if not _CODE.fullmatch(code):
            rejects.append(Reject(ordinal, shown, f"bad currency code {code!r}", day))
            continue
        if not _NOMINAL.fullmatch(nominal):
            rejects.append(Reject(ordinal, shown, f"{code}: Nominal {nominal!r} is not a positive whole number", day))
            continue
        decimal = as_decimal(value)
        if problem := number_problem(decimal, positive=True):
            rejects.append(Reject(ordinal, shown, f"{code}: {problem}", day))
            continue
        if problem := not_in_use(code, day):
            rejects.append(Reject(ordinal, shown, problem, day))
            continue
        dates.append(day)
        codes.append(code)
        texts.append(decimal)
        published.append(value)
        units.append(float(nominal))
        where.append(ordinal)
    # the duplicate-code rule groups by (date, currency): built with the foreign code as `currency`, then turned round
    rates, duplicates = rates_frame(SOURCE, captured_at, QUOTE, dates, codes, texts, where, units=units)
    rates = rates.with_columns(
        pl.col("currency").alias("base"),
        pl.lit(QUOTE).alias("currency"),
        pl.col("line").replace_strict(where, published, return_dtype=pl.String).alias("rate_text"),
    )
    return Snapshot(SOURCE, captured_at, rates, empty(TICKER_SCHEMA), rejects + duplicates)


def _metals(root: ElementTree.Element, captured_at: dt.datetime, file: str | None) -> Snapshot:
    dates, codes, texts, published, where = [], [], [], [], []
    rejects: list[Reject] = []
    records = root.findall("Record")
    if not records:
        raise ParseError("no <Record> elements in <Metall>", file=file)
    for ordinal, record in enumerate(records, start=1):
        if "Date" not in record.attrib or "Code" not in record.attrib or record.find("Buy") is None:
            raise ParseError(f"metal <Record> {ordinal} lacks Date, Code or <Buy>: changed format", file=file, line=ordinal)
        try:
            day = dt.datetime.strptime(record.attrib["Date"].strip(), "%d.%m.%Y").date()
        except ValueError:
            raise ParseError(f"bad Record Date {record.attrib['Date']!r} (expected DD.MM.YYYY)", file=file, line=ordinal) from None
        value = clean(record.findtext("Buy") or "")
        shown = f"metal {record.attrib['Code']} {value} ({day})"
        if (metal := METALS.get(record.attrib["Code"].strip())) is None:
            rejects.append(Reject(ordinal, shown, f"unknown metal Code {record.attrib['Code']!r} (1-4: XAU, XAG, XPT, XPD)", day))
            continue
        if problem := number_problem(decimal := as_decimal(value), positive=True):
            rejects.append(Reject(ordinal, shown, f"{metal}: {problem}", day))
            continue
        dates.append(day)
        codes.append(metal)
        texts.append(decimal)
        published.append(value)
        where.append(ordinal)
    units = [GRAM_IN_TROY_OUNCES] * len(codes)
    rates, duplicates = rates_frame(SOURCE, captured_at, QUOTE, dates, codes, texts, where, units=units)
    rates = rates.with_columns(
        pl.col("currency").alias("base"),
        pl.lit(QUOTE).alias("currency"),
        pl.col("line").replace_strict(where, published, return_dtype=pl.String).alias("rate_text"),
    )
    return Snapshot(SOURCE, captured_at, rates, empty(TICKER_SCHEMA), rejects + duplicates)


def looks_like(suffix: str, head: bytes) -> bool:
    """The root ``<ValCurs`` with the ``name="Foreign Currency Market`` attribute (daily and dynamic), or the metal
    prices' ``<Metall`` named ``Precious metals quotations``."""
    return (b"<ValCurs" in head and b"Foreign Currency Market" in head) or (
        b"<Metall" in head and b"Precious metals quotations" in head)
