"""FRED (H.10) adapter, against the 22 series Frankfurter recorded, read independently with json."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from conftest import FIXTURES, REPO, UTC
from provider_fixtures import head

from dagster_project.adapters import fred
from dagster_project.rows import ParseError

FOLDER = FIXTURES / "providers" / "fred"
BODIES = sorted(p for p in FOLDER.glob("*.json") if not p.name.endswith(".json.json"))
CAPTURED = dt.datetime(2026, 3, 19, 14, 8, 28, tzinfo=UTC)
HTML = (b"<!DOCTYPE html>\n<html><head><title>504 Gateway Time-out</title></head>\n"
        b"<body><h1>Gateway Time-out</h1></body></html>\n")
# What the Board's H.10 release says each series is: (units of currency, per 1 base)
H10 = {"DEXUSEU": ("USD", "EUR"), "DEXUSUK": ("USD", "GBP"), "DEXUSAL": ("USD", "AUD"), "DEXUSNZ": ("USD", "NZD"),
       "DEXJPUS": ("JPY", "USD"), "DEXKOUS": ("KRW", "USD"), "DEXSZUS": ("CHF", "USD"), "DEXSFUS": ("ZAR", "USD"),
       "DEXCHUS": ("CNY", "USD"), "DEXSDUS": ("SEK", "USD"), "DEXTAUS": ("TWD", "USD"), "DEXCAUS": ("CAD", "USD")}


def body(series: str) -> Path:
    (path,) = [p for p in BODIES if p.stem.endswith(f"_{series}")]
    return path


def parse(data: bytes, file: str = "20260319T140828Z_DEXUSEU.json"):
    return fred.parse(data, captured_at=CAPTURED, file=file)


def edited(series: str, change) -> bytes:
    doc = json.loads(body(series).read_text())
    change(doc)
    return json.dumps(doc).encode()


def test_the_recording_is_22_series_named_in_the_file_names():
    assert len(BODIES) == 22
    assert sorted(p.stem.split("_", 1)[1] for p in BODIES) == sorted(fred.SERIES)


@pytest.mark.parametrize("path", BODIES, ids=lambda p: p.stem.split("_")[1])
def test_every_observation_as_published(path):
    series = path.stem.split("_", 1)[1]
    doc = json.loads(path.read_text())
    expected = [(o["date"], o["value"], n) for n, o in enumerate(doc["observations"], start=1) if o["value"] != "."]
    snap = fred.parse(path.read_bytes(), captured_at=CAPTURED, file=path.name)
    assert not snap.rejects and snap.rates.height == len(expected) == doc["count"] == 10
    got = [(str(d), t, n) for d, t, n in snap.rates.select("date", "rate_text", "line").iter_rows()]
    assert got == expected
    assert (snap.rates["rate"] == snap.rates["rate_text"].cast(float)).all()
    (base,), (currency,) = set(snap.rates["base"]), set(snap.rates["currency"])
    # one side is always the dollar: DEX<A><B> is units of A per 1 B
    assert (currency == "USD") == series[3:5].startswith("US") and (base == "USD") == series[5:7].startswith("US")
    if series in H10:
        assert (currency, base) == H10[series]


def test_spot_values_both_directions():
    eur = parse(body("DEXUSEU").read_bytes()).rates.row(0, named=True)
    assert (eur["date"], eur["base"], eur["currency"], eur["rate_text"], eur["rate"]) == \
        (dt.date(2026, 3, 2), "EUR", "USD", "1.169", 1.169)
    jpy = {str(r["date"]): r for r in parse(body("DEXJPUS").read_bytes(), "x_DEXJPUS.json").rates.iter_rows(named=True)}
    assert (jpy["2026-03-10"]["base"], jpy["2026-03-10"]["currency"], jpy["2026-03-10"]["rate_text"]) == ("USD", "JPY", "157.6")
    krw = parse(body("DEXKOUS").read_bytes(), "x_DEXKOUS.json").rates
    assert krw.row(0, named=True)["rate_text"] == "1439.8" and krw.row(0, named=True)["line"] == 1


def test_a_day_without_a_value_is_skipped():
    data = edited("DEXUSEU", lambda d: d["observations"][3].update(value="."))
    snap = parse(data)
    assert snap.rates.height == 9 and not snap.rejects and dt.date(2026, 3, 5) not in snap.dates


def test_the_series_comes_from_the_file_name():
    data = body("DEXUSUK").read_bytes()
    assert set(parse(data, "raw/fred/date=2026-03-13/20260319T140829Z_DEXUSUK.json").rates["base"]) == {"GBP"}
    with pytest.raises(ParseError, match=r"20260319T140829Z\.json: a FRED observations body does not name its series"):
        parse(data, "20260319T140829Z.json")
    with pytest.raises(ParseError, match=r"FRED country code 'XX' is not one of the H\.10 currencies"):
        parse(data, "20260319T140829Z_DEXXXUS.json")
    with pytest.raises(ParseError, match=r"'DEXJPKO' is not an H\.10 series id"):
        parse(data, "20260319T140829Z_DEXJPKO.json")


@pytest.mark.parametrize("data,match", [
    (HTML, r"DEXUSEU\.json:1: an HTML/XML page"),
    (b"", r"DEXUSEU\.json: empty input"),
    (b"[1, 2]", r"DEXUSEU\.json:1: JSON is not an object"),
])
def test_not_a_body(data, match):
    with pytest.raises(ParseError, match=match):
        parse(data)


def test_truncated_in_the_middle_of_an_observation():
    data = body("DEXUSEU").read_bytes()
    cut = data.index(b'"date":"2026-03-09"') + 10
    with pytest.raises(ParseError, match=r"DEXUSEU\.json:1: truncated or malformed JSON"):
        parse(data[:cut])


@pytest.mark.parametrize("change,match", [
    (lambda d: d.__setitem__("obs", d.pop("observations")), r"no 'observations' list"),
    (lambda d: d["observations"][4].__setitem__("val", d["observations"][4].pop("value")), r"DEXUSEU\.json:5: observation 5 lacks"),
    (lambda d: d["observations"].pop(), r"holds 9 observations, its count says 10"),
    (lambda d: d.update(units="pch"), r"units is 'pch': a transformation"),
    (lambda d: d["observations"][2].update(date="2026-03-32"), r"DEXUSEU\.json:3: observation 3: bad date '2026-03-32'"),
])
def test_changed_shape(change, match):
    with pytest.raises(ParseError, match=match):
        parse(edited("DEXUSEU", change))


def test_provider_error_never_shows_the_key(monkeypatch):
    key = "0123456789abcdef0123456789abcdef"
    monkeypatch.setenv(fred.API_KEY_ENV, key)
    answer = json.dumps({"error_code": 400, "error_message": f"Bad Request. The value {key} for api_key={key} is not registered."})
    with pytest.raises(ParseError, match=r"DEXUSEU\.json: FRED error 400: Bad Request") as caught:
        parse(answer.encode())
    assert key not in str(caught.value) and "<api key>" in str(caught.value)


def test_code_out_of_use_is_a_reject():
    # a USD-per-EUR quote dated before the euro existed (FRED's DEXUSEU starts on 1999-01-04)
    snap = parse(edited("DEXUSEU", lambda d: d["observations"][0].update(date="1998-12-31")))
    (reject,) = snap.rejects
    assert reject.line == 1 and reject.date == dt.date(1998, 12, 31)
    assert "EUR quoted on 1998-12-31, before it was introduced on 1999-01-01" in reject.reason
    assert snap.rates.height == 9


@pytest.mark.parametrize("value,reason", [
    ("1,16", "comma decimal"), ("-1.169", "rate must be > 0"), ("NaN", "not a finite number"), (1.169, "not a published number text"),
])
def test_bad_value_is_quarantined_with_its_ordinal(value, reason):
    snap = parse(edited("DEXUSEU", lambda d: d["observations"][6].update(value=value)))
    (reject,) = snap.rejects
    assert reject.line == 7 and reason in reject.reason and reject.reason.startswith("DEXUSEU")
    assert snap.rates.height == 9


def test_a_date_given_twice_is_the_duplicate_rule():
    def twice(d):
        d["observations"].append(dict(d["observations"][0]))
        d["count"] = 11
    snap = parse(edited("DEXUSEU", twice))
    (reject,) = snap.rejects
    assert snap.rates.height == 10 and reject.line == 11 and "duplicate of line 1" in reject.reason


def test_looks_like_only_its_own_bodies():
    assert all(fred.looks_like(p.suffix, head(p)) for p in BODIES)
    others = [p for p in FIXTURES.rglob("*") if p.is_file() and p not in BODIES]
    assert len(others) > 40  # the other providers, the ECB, the page, Fixer, ticker CSV, bad inputs, our sidecars
    assert [p.relative_to(FIXTURES) for p in others if fred.looks_like(p.suffix.lower(), head(p))] == []


def test_no_api_key_in_any_recorded_file():
    sidecars = sorted(FOLDER.glob("*.json.json"))
    assert len(sidecars) == 22
    for path in [*BODIES, *sidecars]:
        assert "api_key" not in path.read_text() and "FRED_API_KEY" not in path.read_text()
    assert all("series_id=" in json.loads(p.read_text())["url"] for p in sidecars)


def test_bundled_recordings_are_the_fixture_bodies():
    bundled = sorted((REPO / "data" / "bundled" / "fred").iterdir())
    assert [p.name for p in bundled] == [p.name for p in BODIES]
    assert all(a.read_bytes() == b.read_bytes() for a, b in zip(bundled, BODIES, strict=True))
