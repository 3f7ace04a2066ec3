"""One rule for a code quoted twice on a date, whatever the source (rows.resolve_duplicate_codes): the same
value keeps the first line, different values keep neither; each dropped line is a reject with the reason."""

import datetime as dt
import json

import page_builder
import pytest
from conftest import PAGE_CAPTURED

from dagster_project.adapters import ecb, fixer, page

DAY = "2024-11-28"


def _page(values):
    return page.parse(page_builder.render("EUR", [("JPY", "159.9"), *(("USD", v) for v in values)], []).encode(),
                      captured_at=PAGE_CAPTURED)


def _fixer(values):
    pairs = ", ".join(['"JPY": 159.9', *(f'"USD": {v}' for v in values)])
    body = f'{{"success": true, "base": "EUR", "date": "{DAY}", "rates": {{{pairs}}}}}'
    json.loads(body)  # valid JSON: a key given twice is allowed by the grammar, a dict would keep the last silently
    return fixer.parse(body.encode(), captured_at=PAGE_CAPTURED)


def _ecb_xml(values):
    cubes = "<Cube currency='JPY' rate='159.9'/>" + "".join(f"<Cube currency='USD' rate='{v}'/>" for v in values)
    body = (f"<gesmes:Envelope xmlns:gesmes='http://www.gesmes.org/xml/2002-08-01' xmlns='http://www.ecb.int/vocabulary/"
            f"2002-08-01/eurofxref'><Cube><Cube time='{DAY}'>{cubes}</Cube></Cube></gesmes:Envelope>")
    return ecb.parse(body.encode(), captured_at=PAGE_CAPTURED)


def _ecb_csv(values):
    header = "Date,JPY," + ",".join("USD" for _ in values)
    return ecb.parse(f"{header}\n{DAY},159.9,{','.join(values)}\n".encode(), captured_at=PAGE_CAPTURED)


@pytest.mark.parametrize("parse", [_page, _fixer, _ecb_xml, _ecb_csv], ids=["page", "fixer", "ecb-xml", "ecb-csv"])
def test_a_code_twice_with_the_same_value_keeps_one(parse):
    snap = parse(["1.0542", "1.0542"])
    assert sorted(snap.rates["currency"].to_list()) == ["JPY", "USD"]
    (reject,) = snap.rejects
    assert "USD on 2024-11-28: duplicate of line" in reject.reason and "same value" in reject.reason
    assert reject.date == dt.date(2024, 11, 28)


@pytest.mark.parametrize("parse", [_page, _fixer, _ecb_xml, _ecb_csv], ids=["page", "fixer", "ecb-xml", "ecb-csv"])
def test_a_code_twice_with_different_values_keeps_neither(parse):
    snap = parse(["1.0542", "1.0600"])
    assert snap.rates["currency"].to_list() == ["JPY"]
    assert len(snap.rejects) == 2 and all("USD quoted 2 times with different values on 2024-11-28" in r.reason
                                          for r in snap.rejects)
