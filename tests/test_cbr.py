"""Bank of Russia adapter: the recorded XML_daily bodies (three dates) and metal prices, read independently with
xml.etree."""

import datetime as dt
from xml.etree import ElementTree

import pytest
from conftest import FIXTURES, REPO, UTC

from dagster_project.adapters import cbr
from dagster_project.rows import ParseError

CAPTURED = dt.datetime(2026, 4, 26, 22, 0, 58, tzinfo=UTC)
FOLDER = FIXTURES / "providers" / "cbr"
DAILY = sorted(p for p in FOLDER.glob("*.xml") if b"<ValCurs Date=" in p.read_bytes())
LATEST = FOLDER / "20260426T220058Z_0.xml"      # XML_daily.asp, ValCurs Date 25.04.2026
DYNAMIC = FOLDER / "20260426T220058Z_1.xml"     # XML_dynamic.asp, one series by ID
METALS = FOLDER / "20260426T220106Z_55.xml"     # xml_metall.asp, 03-05.03.2026
TROY_OUNCE_G = 31.1034768


def parse(data, file="daily.xml"):
    return cbr.parse(data, captured_at=CAPTURED, file=file)


def independent(path):
    """{code: (Value text, Nominal, VunitRate text or None, ordinal)} and the date, by xml.etree."""
    root = ElementTree.parse(path).getroot()
    day = dt.datetime.strptime(root.get("Date"), "%d.%m.%Y").date()
    found = {}
    for k, v in enumerate(root.iter("Valute"), start=1):
        found[v.findtext("CharCode")] = (v.findtext("Value"), int(v.findtext("Nominal")), v.findtext("VunitRate"), k)
    return day, found


def text_of(path):
    return path.read_bytes().decode("cp1251")


def body(text):
    return text.encode("cp1251")


def test_three_recorded_dates():
    assert len(DAILY) == 3
    assert sorted(independent(p)[0] for p in DAILY) == [dt.date(2026, 3, 17), dt.date(2026, 3, 19), dt.date(2026, 4, 25)]


@pytest.mark.parametrize("path", DAILY, ids=lambda p: p.name)
def test_every_daily_body_matches_an_independent_reading(path):
    day, expected = independent(path)
    snap = parse(path.read_bytes(), file=path.name)
    assert snap.rates.height == len(expected) >= 40 and not snap.rejects
    assert snap.dates == [day]
    assert set(snap.rates["currency"]) == {"RUB"}
    got = {b: (t, r, ln) for b, t, r, ln in snap.rates.select("base", "rate_text", "rate", "line").iter_rows()}
    assert set(got) == set(expected)
    for code, (value, nominal, vunit, ordinal) in expected.items():
        text, rate, line = got[code]
        assert text == value and line == ordinal  # the published text, comma and all
        assert rate == pytest.approx(float(value.replace(",", ".")) / nominal, rel=1e-12)
        if vunit is not None:  # the bank's own per-unit figure agrees
            assert rate == pytest.approx(float(vunit.replace(",", ".")), rel=1e-6)


def test_spot_values_with_their_nominal():
    snap = parse(LATEST.read_bytes())
    row = {b: (r, t) for b, r, t in snap.rates.select("base", "rate", "rate_text").iter_rows()}
    _, expected = independent(LATEST)
    assert row["DZD"] == (pytest.approx(0.570006), "57,0006") and expected["DZD"][1] == 100  # RUB per 100 DZD
    assert row["USD"][1] == expected["USD"][0] and expected["USD"][1] == 1
    assert row["JPY"][0] == pytest.approx(float(expected["JPY"][0].replace(",", ".")) / 100) and expected["JPY"][1] == 100
    per_big = [c for c, v in expected.items() if v[1] >= 1000]  # e.g. 10,000 IDR or VND: read from Nominal
    assert per_big and all(row[c][0] == pytest.approx(float(expected[c][0].replace(",", ".")) / expected[c][1]) for c in per_big)


def test_a_withdrawn_code_is_a_reject():
    text = text_of(LATEST).replace("<CharCode>AUD</CharCode>", "<CharCode>HRK</CharCode>")
    snap = parse(body(text))
    (reject,) = snap.rejects
    assert reject.line == 1 and reject.date == dt.date(2026, 4, 25)
    assert "HRK quoted on 2026-04-25, but it was withdrawn from 2023-01-01" in reject.reason
    assert "HRK" not in set(snap.rates["base"])


def test_bad_values_codes_and_nominals_are_rejects():
    text = (text_of(LATEST).replace("<CharCode>AUD</CharCode>", "<CharCode>Aud</CharCode>")
            .replace("<Value>44,4278</Value>", "<Value>44.427,8</Value>")
            .replace("<Nominal>100</Nominal><Name>Алжирских динаров</Name>", "<Nominal>0</Nominal><Name>Алжирских динаров</Name>"))
    snap = parse(body(text))
    assert [(r.line, r.reason) for r in snap.rejects] == [
        (1, "bad currency code 'Aud'"), (2, "AZN: not a number: '44.427,8'"),
        (3, "DZD: Nominal '0' is not a positive whole number")]
    assert snap.rates.height == len(independent(LATEST)[1]) - 3


def test_the_same_code_twice_with_different_values_is_dropped():
    text = text_of(LATEST).replace("<CharCode>AZN</CharCode>", "<CharCode>AUD</CharCode>")
    snap = parse(body(text))
    assert "AUD" not in set(snap.rates["base"])
    assert sorted(r.line for r in snap.rejects) == [1, 2] and "different values" in snap.rejects[0].reason


def test_metal_prices_per_gram_become_per_troy_ounce():
    root = ElementTree.parse(METALS).getroot()
    records = list(root.iter("Record"))
    snap = parse(METALS.read_bytes(), file="metall.xml")
    assert snap.rates.height == len(records) == 12 and not snap.rejects
    names = {"1": "XAU", "2": "XAG", "3": "XPT", "4": "XPD"}
    got = {(d, b): (t, r, ln) for d, b, t, r, ln in snap.rates.select("date", "base", "rate_text", "rate", "line").iter_rows()}
    for k, rec in enumerate(records, start=1):
        day = dt.datetime.strptime(rec.get("Date"), "%d.%m.%Y").date()
        text, rate, line = got[(day, names[rec.get("Code")])]
        assert (text, line) == (rec.findtext("Buy"), k)
        assert rate == pytest.approx(float(text.replace(",", ".")) * TROY_OUNCE_G)
    assert set(snap.rates["currency"]) == {"RUB"}


def test_the_dynamic_series_is_refused_clearly():
    with pytest.raises(ParseError, match=r"dynamic\.xml: an XML_dynamic series .* named only by the bank's ID"):
        parse(DYNAMIC.read_bytes(), file="dynamic.xml")


@pytest.mark.parametrize("case,match", [
    ("empty", r"daily\.xml: empty input"),
    ("html", r"daily\.xml:1: an HTML page, not the Bank of Russia's XML"),
    ("cut", r"daily\.xml:1: malformed XML \(truncated\?\)"),
    ("renamed", r"daily\.xml:3: <Valute ID='R01030'> \(element 3\) has no <Value>: changed format"),
    ("root", r"daily\.xml: root element <ValCursX>"),
    ("date", r"daily\.xml: bad ValCurs Date '2026-04-25'"),
    ("no valutes", r"daily\.xml: no <Valute> elements"),
])
def test_bad_bodies_are_clear_parse_errors(case, match):
    text = text_of(LATEST)
    data = {
        "empty": b"",
        "html": b"<!DOCTYPE html>\n<html><head><title>503</title></head><body>Service Unavailable</body></html>",
        "cut": body(text[: text.index("<CharCode>GBP</CharCode>") + len("<CharCode>GB")]),  # inside a Valute
        "renamed": body(text.replace("<Value>57,0006</Value>", "<Rate>57,0006</Rate>")),
        "root": body(text.replace("<ValCurs ", "<ValCursX ").replace("</ValCurs>", "</ValCursX>")),
        "date": body(text.replace('Date="25.04.2026"', 'Date="2026-04-25"')),
        "no valutes": body(text[: text.index("<Valute ")] + "</ValCurs>"),
    }[case]
    with pytest.raises(ParseError, match=match):
        parse(data)


def other_fixtures(own):
    for path in sorted(FIXTURES.rglob("*")):
        if path.is_file() and path.suffix not in {".json", ".md", ".py"} and own not in path.parts:
            yield path


def test_looks_like_only_its_own_bodies():
    for path in sorted(FOLDER.glob("*.xml")):
        assert cbr.looks_like(path.suffix, path.read_bytes()[:2048]), path
    others = list(other_fixtures("cbr"))
    assert any(p.suffix == ".xml" for p in others)  # the ECB's XML among them
    for path in others:
        assert not cbr.looks_like(path.suffix, path.read_bytes().lstrip(b"\xef\xbb\xbf \t\r\n")[:2048]), path


def test_bundled_bodies_are_the_recorded_daily_files():
    bundled = sorted((REPO / "data" / "bundled" / "cbr").iterdir())
    assert [p.name for p in bundled] == [p.name for p in DAILY]
    assert all(p.read_bytes() == (FOLDER / p.name).read_bytes() for p in bundled)
