"""Bank of Canada adapter (Valet JSON, a group or a list of series) against its recorded responses, read
independently with the stdlib json."""

import copy
import datetime as dt
import json

import polars as pl
import pytest
from conftest import FIXTURES, UTC
from provider_fixtures import bodies, head, other_fixtures

from dagster_project.adapters import boc
from dagster_project.rows import ParseError

CAPTURED = dt.datetime(2026, 3, 19, 10, 52, 12, tzinfo=UTC)
FOLDER = FIXTURES / "providers" / "boc"
GROUP = FOLDER / "20260319T105212Z_0.json"   # FX_RATES_DAILY, start_date=2026-03-12: 12-18 Mar 2026
RECENT = FOLDER / "20260315T222836Z_0.json"  # FX_RATES_DAILY, recent=1: each series' last observation
HTML = b"<!DOCTYPE html>\n<html><head><title>503 Service Unavailable</title></head><body>Try later</body></html>\n"


def parse(data, file="boc.json", **kw):
    return boc.parse(data, captured_at=CAPTURED, file=file, **kw)


def dumps(doc) -> bytes:
    return json.dumps(doc, indent=4).encode()


def expected(doc: dict) -> dict[tuple[dt.date, str, str], tuple[str, int]]:
    """(date, base, currency) -> (text, observation ordinal), the pair read from each series' label."""
    pairs = {name: tuple(d["label"].split("/")) for name, d in doc["seriesDetail"].items()}
    return {(dt.date.fromisoformat(o["d"]), *pairs[name]): (v["v"], k)
            for k, o in enumerate(doc["observations"], 1) for name, v in o.items() if name != "d"}


def got(snap) -> dict[tuple[dt.date, str, str], tuple[str, int]]:
    return {(d, b, c): (t, n) for d, b, c, t, n in snap.rates.select("date", "base", "currency", "rate_text", "line").iter_rows()}


@pytest.mark.parametrize("path,rows,dates", [
    (GROUP, 115, ["2026-03-12", "2026-03-13", "2026-03-16", "2026-03-17", "2026-03-18"]),
    (RECENT, 26, ["2019-12-31", "2026-03-13"]),
])
def test_every_observation_is_a_row_per_1_unit_of_the_labelled_base(path, rows, dates):
    doc = json.loads(path.read_bytes())
    snap = parse(path.read_bytes())
    assert not snap.rejects
    assert snap.rates.height == len(expected(doc)) == rows
    assert got(snap) == expected(doc)
    assert [str(d) for d in snap.dates] == dates
    assert set(snap.rates["currency"]) == {"CAD"}


@pytest.mark.parametrize("base,text", [("USD", "1.3617"), ("EUR", "1.5693"), ("JPY", "0.008550"), ("IDR", "0.000081"),
                                       ("KRW", "0.000915"), ("GBP", "1.8190")])
def test_spot_values_on_2026_03_12(base, text):
    doc = json.loads(GROUP.read_bytes())
    assert doc["observations"][0]["d"] == "2026-03-12" and doc["observations"][0][f"FX{base}CAD"]["v"] == text
    row = parse(GROUP.read_bytes()).rates.filter(on("2026-03-12") & (base_is(base))).row(0, named=True)
    assert (row["currency"], row["rate_text"], row["rate"], row["line"]) == ("CAD", text, float(text), 1)


def on(day: str) -> pl.Expr:
    return pl.col("date") == dt.date.fromisoformat(day)


def base_is(base: str) -> pl.Expr:
    return pl.col("base") == base


def series_list(doc: dict, names: list[str]) -> dict:
    """What /valet/observations/<names>/json answers: no groupDetail, only those series."""
    out = {"terms": doc["terms"], "seriesDetail": {n: doc["seriesDetail"][n] for n in names}, "observations": []}
    for o in doc["observations"]:
        out["observations"].append({"d": o["d"], **{n: o[n] for n in names if n in o}})
    return out


def test_a_list_of_series_reads_the_same_as_the_group():
    doc = json.loads(GROUP.read_bytes())
    listed = series_list(doc, ["FXUSDCAD", "FXEURCAD"])
    snap = parse(dumps(listed))
    assert got(snap) == expected(listed) and snap.rates.height == 10
    assert boc.looks_like(".json", dumps(listed)[:2048])
    whole = got(parse(GROUP.read_bytes()))
    assert all(whole[k] == v for k, v in got(snap).items())


def test_an_inverted_series_is_base_cad():
    doc = series_list(json.loads(GROUP.read_bytes()), ["FXUSDCAD"])
    doc["seriesDetail"] = {"FXCADUSD": {**doc["seriesDetail"]["FXUSDCAD"], "label": "CAD/USD"}}
    for o in doc["observations"]:
        o["FXCADUSD"] = {"v": "0.7344"}
        del o["FXUSDCAD"]
    snap = parse(dumps(doc))
    assert set(snap.rates.select("base", "currency", "rate_text").iter_rows()) == {("CAD", "USD", "0.7344")}


def test_window_keeps_only_its_dates():
    snap = parse(GROUP.read_bytes(), window=(dt.date(2026, 3, 13), dt.date(2026, 3, 16)))
    assert snap.dates == [dt.date(2026, 3, 13), dt.date(2026, 3, 16)] and snap.rates.height == 46
    assert set(snap.rates["line"]) == {2, 3}


def test_a_withdrawn_code_and_a_bad_code_are_rejects():
    doc = json.loads(GROUP.read_bytes())
    doc["seriesDetail"]["FXTRYCAD"]["label"] = "HRK/CAD"   # HRK: withdrawn 2023-01-01
    doc["seriesDetail"]["FXSEKCAD"]["label"] = "sek/CAD"
    doc["observations"][1]["FXNOKCAD"]["v"] = "0,1408"
    snap = parse(dumps(doc))
    hrk = [r for r in snap.rejects if "HRK" in r.reason]
    assert len(hrk) == 5 and all("withdrawn from 2023-01-01" in r.reason for r in hrk)
    assert [r.line for r in hrk] == [1, 2, 3, 4, 5] and hrk[0].date == dt.date(2026, 3, 12)
    assert len([r for r in snap.rejects if "'sek' is not a currency code" in r.reason]) == 5
    (nok,) = [r for r in snap.rejects if "NOK" in r.reason]
    assert (nok.line, nok.text) == (2, "2026-03-13 FXNOKCAD 0,1408") and "comma decimal" in nok.reason
    assert snap.rates.height == 115 - 11


def test_a_series_that_is_not_a_rate_is_rejected_not_guessed():
    doc = series_list(json.loads(GROUP.read_bytes()), ["FXUSDCAD"])
    doc["seriesDetail"]["V39079"] = {"label": "Target for the overnight rate", "description": "policy rate"}
    doc["observations"][0]["V39079"] = {"v": "2.25"}
    snap = parse(dumps(doc))
    (rej,) = snap.rejects
    assert rej.line == 1 and "V39079" in rej.reason and "not an exchange rate" in rej.reason
    assert snap.rates.height == 5


def truncated(data: bytes) -> bytes:
    at = data.index(b'"FXEURCAD": {', data.index(b'"observations"'))
    return data[:at + 20]


@pytest.mark.parametrize("body,match", [
    (HTML, r"^boc\.json:1: an HTML page"),
    (b"", r"^boc\.json: empty input"),
    (b"\xef\xbb\xbf\n", r"^boc\.json: empty input"),
    (truncated(GROUP.read_bytes()), r"^boc\.json:\d+: not JSON \(truncated or damaged\?\)"),
    (GROUP.read_bytes().replace(b'"observations"', b'"obs"'), r"^boc\.json: missing 'observations'"),
    (GROUP.read_bytes().replace(b'"seriesDetail"', b'"series"'), r"^boc\.json: missing 'seriesDetail'"),
    (GROUP.read_bytes().replace(b'"d": "2026-03-13"', b'"date": "2026-03-13"'), r"^boc\.json:2: observation 2 has no date"),
    (GROUP.read_bytes().replace(b'"d": "2026-03-13"', b'"d": "13/03/2026"'), r"^boc\.json:2: observation 2: bad date"),
    (GROUP.read_bytes().replace(b'"v": "1.3617"', b'"value": "1.3617"'), r"^boc\.json:1: .*FXUSDCAD has no value 'v'"),
    (b'{"message": "Series FXXXXCAD not found.", "docs": "https://www.bankofcanada.ca/valet/docs"}',
     r"^boc\.json: Valet error: Series FXXXXCAD not found\."),
    (b"[1, 2]", r"^boc\.json:1: JSON is not an object"),
    (GROUP.read_bytes().replace(b'"v": "1.3617"', b'"v": "1.36\xe917"'), r"^boc\.json:\d+: not UTF-8 text"),
])
def test_bad_bodies_are_a_parse_error_naming_file_and_line(body, match):
    with pytest.raises(ParseError, match=match):
        parse(body)


def test_the_same_pair_twice_on_a_date_follows_the_duplicate_rule():
    doc = json.loads(GROUP.read_bytes())
    doc["observations"].append(copy.deepcopy(doc["observations"][0]))  # 2026-03-12 again, same values
    doc["observations"][-1]["FXUSDCAD"]["v"] = "1.3700"                # except USD: now two values
    snap = parse(dumps(doc))
    assert snap.rates.height == 115 - 1
    assert snap.rates.filter(on("2026-03-12") & base_is("USD")).height == 0
    same = [r for r in snap.rejects if "(same value)" in r.reason]
    assert len(same) == 22 and {r.line for r in same} == {6}
    assert "EUR/CAD on 2026-03-12: duplicate of line 1 (same value), dropped" in [r.reason for r in same]
    usd = [r for r in snap.rejects if r not in same]
    assert [(r.line, r.text) for r in usd] == [(1, "USD/CAD 1.3617"), (6, "USD/CAD 1.3700")]
    assert usd[0].reason == "USD/CAD quoted 2 times with different values on 2026-03-12 (lines 1, 6): all dropped"


def test_url_template():
    url = boc.URL_TEMPLATE.format(start=dt.date(2024, 11, 28), end=dt.date(2024, 12, 3))
    assert url.endswith("/valet/observations/group/FX_RATES_DAILY/json?start_date=2024-11-28&end_date=2024-12-03")


def test_looks_like_its_own_bodies_only():
    own = list(bodies(FOLDER))
    assert len(own) == 2 and all(boc.looks_like(p.suffix.lower(), head(p)) for p in own)
    others = other_fixtures("boc")
    assert len(others) > 20
    assert [p for p in others if boc.looks_like(p.suffix.lower(), head(p))] == []
