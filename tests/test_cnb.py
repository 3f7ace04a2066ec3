"""Czech National Bank adapter (the CNB API's JSON), against Frankfurter's recorded daily-year body."""

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from conftest import REPO, UTC
from provider_fixtures import HTML_PAGE, PROVIDERS, bodies, head, other_fixtures

from dagster_project.adapters import cnb
from dagster_project.rows import RATE_SCHEMA, ParseError

CAPTURED = dt.datetime(2026, 4, 2, 20, 53, 43, tzinfo=UTC)
BODY = Path(__file__).parent / "fixtures" / "providers" / "cnb" / "20260402T205343Z_0.json"


def parse(data, file="cnb.json", **kw):
    return cnb.parse(data, captured_at=CAPTURED, file=file, **kw)


def independent():
    """The body read with the stdlib json module, numbers as their literal text: one entry per element."""
    rates = json.loads(BODY.read_text(), parse_float=str, parse_int=str)["rates"]
    return {(dt.date.fromisoformat(r["validFor"]), r["currencyCode"]): (r["rate"], int(r["amount"]), n)
            for n, r in enumerate(rates, start=1)}


def test_every_element_is_a_row_in_czk_per_1_unit():
    expected = independent()
    snap = parse(BODY.read_bytes())
    assert snap.rates.schema == RATE_SCHEMA
    assert snap.rates.height == len(expected) == 1950 and snap.rejects == []
    for row in snap.rates.iter_rows(named=True):
        text, amount, n = expected[(row["date"], row["base"])]
        assert row["currency"] == "CZK"
        assert (row["rate_text"], row["line"]) == (text, n)
        assert row["rate"] == pytest.approx(float(text) / amount, rel=1e-12)
    assert len(snap.dates) == 65 and (snap.dates[0], snap.dates[-1]) == (dt.date(2026, 1, 2), dt.date(2026, 4, 2))


def test_spot_values_with_the_amount_column():
    raw = BODY.read_text()
    snap = parse(BODY.read_bytes())

    def one(code):
        return snap.rates.filter((snap.rates["date"] == dt.date(2026, 1, 2)) & (snap.rates["base"] == code)).row(0, named=True)

    # as the body has them: {"currencyCode":"EUR","amount":1,"validFor":"2026-01-02","rate":24.170}, JPY per 100, IDR per 1000
    for code, amount, text in [("EUR", 1, "24.170"), ("JPY", 100, "13.141"), ("IDR", 1000, "1.233"), ("HUF", 100, "6.304")]:
        assert f'{{"currencyCode":"{code}","amount":{amount},"validFor":"2026-01-02","rate":{text}}}' in raw
        row = one(code)
        assert (row["base"], row["currency"], row["rate_text"]) == (code, "CZK", text)
        assert row["rate"] == pytest.approx(float(text) / amount, rel=1e-12)
    assert one("EUR")["rate_text"] == "24.170"  # the trailing zero is kept as published


def test_window_keeps_only_those_dates():
    snap = parse(BODY.read_bytes(), window=(dt.date(2026, 1, 5), dt.date(2026, 1, 5)))
    assert snap.dates == [dt.date(2026, 1, 5)] and snap.rates.height == 30


def test_an_empty_year_is_no_rows():
    snap = parse(b'{"rates":[]}')
    assert snap.rates.height == 0 and snap.rejects == []


@pytest.mark.parametrize("body,match", [
    (HTML_PAGE, r"^cnb\.json:1: an HTML page \('503 Service Temporarily Unavailable'\), not a CNB exchange rate answer"),
    (b"", r"^cnb\.json: empty input"),
    (b'{"error":"not found"}', r"^cnb\.json:1: not a CNB exchange rate answer: no 'rates' list \(found error\)"),
    (b"[]", r"^cnb\.json:1: not a CNB exchange rate answer"),
])
def test_not_data(body, match):
    with pytest.raises(ParseError, match=match):
        parse(body)


def test_truncated_in_the_middle_of_a_record():
    data = BODY.read_bytes()
    cut = data.index(b'{"currencyCode":"USD","amount":1,"validFor":"2026-02-') + 30
    with pytest.raises(ParseError, match=r"^cnb\.json:1: truncated or malformed JSON"):
        parse(data[:cut])


@pytest.mark.parametrize("old,new,match", [
    ('"amount":', '"units":', r"^cnb\.json:1: rates element 1 lacks amount: the answer's shape changed"),
    ('"validFor":', '"date":', r"^cnb\.json:1: rates element 1 lacks validFor"),
    ('"rates":', '"kurzy":', r"^cnb\.json:1: not a CNB exchange rate answer: no 'rates' list \(found kurzy\)"),
])
def test_changed_shape(old, new, match):
    with pytest.raises(ParseError, match=match):
        parse(BODY.read_text().replace(old, new).encode())


def test_bad_date_names_the_element():
    text = BODY.read_text().replace('"validFor":"2026-01-05"', '"validFor":"05.01.2026"', 1)
    n = independent_ordinal(text, '"validFor":"05.01.2026"')
    with pytest.raises(ParseError, match=rf"^cnb\.json:{n}: rates element {n}: bad date '05.01.2026'"):
        parse(text.encode())


def independent_ordinal(text, marker):
    """The 1-based ordinal of the element holding ``marker`` (its elements' openings counted on the raw text)."""
    return text[: text.index(marker) + len(marker)].count('{"currencyCode"')


def test_code_out_of_use_is_a_reject():
    # Bulgaria joined the euro on 2026-01-01: a BGN fixing in 2026 is a code after its withdrawal
    text = BODY.read_text().replace('{"currencyCode":"RON","amount":1,"validFor":"2026-01-02"',
                                    '{"currencyCode":"BGN","amount":1,"validFor":"2026-01-02"')
    n = independent_ordinal(text, '{"currencyCode":"BGN"')
    snap = parse(text.encode())
    (bad,) = snap.rejects
    assert (bad.line, bad.date) == (n, dt.date(2026, 1, 2))
    assert "BGN quoted on 2026-01-02, but it was withdrawn from 2026-01-01" in bad.reason
    assert snap.rates.height == 1949


@pytest.mark.parametrize("old,new,reason", [
    ('"rate":24.170}', '"rate":"24,17"}', "EUR: comma decimal in '24,17'"),
    ('"rate":24.170}', '"rate":0}', "EUR: rate must be > 0"),
    ('"rate":24.170}', '"rate":null}', "EUR: no rate published"),
    ('"amount":1,"validFor":"2026-01-02","rate":24.170}', '"amount":0,"validFor":"2026-01-02","rate":24.170}',
     "EUR: amount '0' is not a positive whole number of units"),
    ('{"currencyCode":"EUR","amount":1,"validFor":"2026-01-02"', '{"currencyCode":"Euro","amount":1,"validFor":"2026-01-02"',
     "not a currency code (three uppercase letters): 'Euro'"),
])
def test_bad_values_are_rejects(old, new, reason):
    text = BODY.read_text()
    assert text.count(old) == 1
    snap = parse(text.replace(old, new).encode())
    (bad,) = snap.rejects
    assert bad.reason.startswith(reason) and bad.date == dt.date(2026, 1, 2)
    assert bad.line == 7  # EUR is the 7th element of the body
    assert re.search(r'"currencyCode":"EUR"', text.split("},{")[6])


def test_looks_like_only_its_own_bodies():
    for path in bodies(PROVIDERS / "cnb"):
        assert cnb.looks_like(path.suffix.lower(), head(path)), path
    others = other_fixtures("cnb")
    assert any("ecb" in p.parts for p in others) and any("fixer" in p.parts for p in others)
    assert [p for p in others if cnb.looks_like(p.suffix.lower(), head(p))] == []


def test_bundled_copy_is_the_recorded_body():
    assert (REPO / "data" / "bundled" / "cnb" / BODY.name).read_bytes() == BODY.read_bytes()


def test_source_detection_picks_cnb():
    """Once the registry has the entry (before the catch-all fixer/ticker_csv entries), detect() names it."""
    from dagster_project import sources

    if "cnb" not in sources.SOURCES:
        pytest.skip("cnb is not in the registry yet (the lead adds the entry)")
    for path in bodies(PROVIDERS / "cnb"):
        assert sources.detect(path.name, path.read_bytes()) == "cnb", path
