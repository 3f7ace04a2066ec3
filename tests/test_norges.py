"""Norges Bank adapter (SDMX-CSV of the EXR dataflow), against Frankfurter's recorded body."""

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from conftest import REPO, UTC
from provider_fixtures import HTML_PAGE, PROVIDERS, bodies, head, other_fixtures

from dagster_project.adapters import norges
from dagster_project.rows import RATE_SCHEMA, ParseError

CAPTURED = dt.datetime(2026, 3, 30, 8, 43, 29, tzinfo=UTC)
BODY = Path(__file__).parent / "fixtures" / "providers" / "norges" / "20260330T084329Z_0.csv"
INDICES = {"TWI", "I44"}  # Norges Bank's krone indices in the same dataflow: not currencies


def parse(data, file="nb.csv", **kw):
    return norges.parse(data, captured_at=CAPTURED, file=file, **kw)


def independent(text):
    """The body read with the stdlib: {(date, base): (quote, OBS_VALUE, UNIT_MULT, line)} and the index rows."""
    reader = csv.DictReader(io.StringIO(text))
    rows, indices = {}, []
    for rec in reader:
        key = (dt.date.fromisoformat(rec["TIME_PERIOD"]), rec["BASE_CUR"])
        if rec["BASE_CUR"] in INDICES:
            indices.append(key)
        else:
            rows[key] = (rec["QUOTE_CUR"], rec["OBS_VALUE"], int(rec["UNIT_MULT"]), reader.line_num)
    return rows, indices


def test_every_observation_is_a_row_per_1_unit_of_base():
    text = BODY.read_text()
    expected, indices = independent(text)
    snap = parse(BODY.read_bytes())
    assert snap.rates.schema == RATE_SCHEMA
    assert snap.rates.height == len(expected) == 252
    got = {(r["date"], r["base"]): r for r in snap.rates.iter_rows(named=True)}
    assert set(got) == set(expected)
    lines = text.splitlines()
    for key, (quote, value, mult, line) in expected.items():
        row = got[key]
        assert row["currency"] == quote == "NOK"
        assert row["rate_text"] == value
        assert row["rate"] == pytest.approx(float(value) / 10**mult, rel=1e-12)
        assert row["line"] == line and lines[line - 1].endswith(f",{key[0]},{value}")
    assert {(r.date, r.text.split()[1].split("/")[0]) for r in snap.rejects} == set(indices)
    assert len(snap.rejects) == 14 and all("index" in r.reason for r in snap.rejects)
    assert snap.dates == sorted({d for d, _ in expected})
    assert len(snap.dates) == 7


def test_spot_values_per_1_and_per_100():
    snap = parse(BODY.read_bytes())
    day = dt.date(2026, 3, 16)

    def one(code):
        return snap.rates.filter((snap.rates["date"] == day) & (snap.rates["base"] == code)).row(0, named=True)

    # the lines of the body: B,JPY,NOK,SP,4,false,2,C,2026-03-16,6.1037 / B,USD,NOK,SP,4,false,0,…,9.7134
    assert (one("JPY")["rate_text"], one("JPY")["rate"]) == ("6.1037", pytest.approx(0.061037))  # NOK per 100 JPY
    assert (one("USD")["rate_text"], one("USD")["rate"]) == ("9.7134", 9.7134)
    assert (one("XDR")["rate_text"], one("XDR")["rate"]) == ("13.19587", 13.19587)
    assert (one("HUF")["rate_text"], one("HUF")["rate"]) == ("2.857", pytest.approx(0.02857))  # NOK per 100 HUF
    assert one("EUR")["rate_text"] == "11.149"


def test_window_keeps_only_those_dates():
    snap = parse(BODY.read_bytes(), window=(dt.date(2026, 3, 23), dt.date(2026, 3, 24)))
    assert snap.dates == [dt.date(2026, 3, 23), dt.date(2026, 3, 24)]
    assert snap.rates.height == 72


def test_columns_are_found_by_name_not_position():
    rows = list(csv.reader(io.StringIO(BODY.read_text())))
    order = [9, 8, 0, 2, 1, 6, 3, 4, 5, 7]  # reorder every column
    text = "".join(",".join(r[i] for i in order) + "\n" for r in rows)
    assert sorted(parse(text.encode()).rates.select("date", "base", "rate_text").rows()) == \
        sorted(parse(BODY.read_bytes()).rates.select("date", "base", "rate_text").rows())


@pytest.mark.parametrize("body,match", [
    (HTML_PAGE, r"^nb\.csv:1: an HTML page \('503 Service Temporarily Unavailable'\), not a Norges Bank SDMX-CSV"),
    (b"", r"^nb\.csv: empty input"),
    (b"\n\n", r"^nb\.csv: empty input"),
    (b'{"rates":[]}', r"^nb\.csv:1: not a Norges Bank SDMX-CSV: header lacks FREQ"),
    (b"FREQ,BASE_CUR,QUOTE_CUR,TENOR,DECIMALS,CALCULATED,UNIT_MULT,COLLECTION,TIME_PERIOD,OBS_VALUE\n",
     r"^nb\.csv: no observations in the file"),
])
def test_not_data(body, match):
    with pytest.raises(ParseError, match=match):
        parse(body)


def test_truncated_in_the_middle_of_a_record():
    data = BODY.read_bytes()
    cut = data.index(b"B,USD,NOK,SP,4,false,0,C,2026-03-18,") + 20  # mid-record: "B,USD,NOK,SP,4,false"
    line = data[:cut].count(b"\n") + 1
    with pytest.raises(ParseError, match=rf"^nb\.csv:{line}: truncated"):
        parse(data[:cut])
    with pytest.raises(ParseError, match=rf"^nb\.csv:{line}: row has 6 cells, header has 10"):
        parse(data[:cut] + b"\n")  # the same cut with a line end: the short row is caught


@pytest.mark.parametrize("old,new,match", [
    ("OBS_VALUE", "VALUE", r"^nb\.csv:1: not a Norges Bank SDMX-CSV: header lacks OBS_VALUE"),
    (",UNIT_MULT", "", r"^nb\.csv:1: not a Norges Bank SDMX-CSV: header lacks UNIT_MULT"),
    ("BASE_CUR", "CURRENCY", r"^nb\.csv:1: not a Norges Bank SDMX-CSV: header lacks BASE_CUR"),
])
def test_changed_header(old, new, match):
    text = BODY.read_text()
    header, rest = text.split("\n", 1)
    with pytest.raises(ParseError, match=match):
        parse((header.replace(old, new) + "\n" + rest).encode())


def test_bad_date_and_other_frequency_name_the_line():
    text = BODY.read_text()
    line = text.splitlines().index("B,DKK,NOK,SP,2,false,2,C,2026-03-17,148.2") + 1
    with pytest.raises(ParseError, match=rf"^nb\.csv:{line}: bad date '2026-13-17'"):
        parse(text.replace(",2026-03-17,148.2", ",2026-13-17,148.2").encode())
    with pytest.raises(ParseError, match=rf"^nb\.csv:{line}: frequency 'M'"):
        parse(text.replace("B,DKK,NOK,SP,2,false,2,C,2026-03-17", "M,DKK,NOK,SP,2,false,2,C,2026-03-17").encode())


def test_code_out_of_use_is_a_reject():
    # HRK was replaced by the euro on 2023-01-01; quoting it in 2026 is not a rate anyone could trade
    text = BODY.read_text().replace("B,DKK,NOK,SP,2,false,2,C,2026-03-17,148.2", "B,HRK,NOK,SP,2,false,2,C,2026-03-17,148.2")
    line = text.splitlines().index("B,HRK,NOK,SP,2,false,2,C,2026-03-17,148.2") + 1
    snap = parse(text.encode())
    (bad,) = [r for r in snap.rejects if r.line == line]
    assert bad.date == dt.date(2026, 3, 17) and "withdrawn from 2023-01-01" in bad.reason and "HRK" in bad.text
    assert snap.rates.height == 251
    assert not snap.rates.filter(snap.rates["base"] == "HRK").height


@pytest.mark.parametrize("value,reason", [
    ("NaN", "not a finite number"),
    ("0", "rate must be > 0"),
    ("-1.5", "rate must be > 0"),
    ("9.71.34", "not a number"),
    ("", "no rate published"),
])
def test_bad_number_is_a_reject_with_its_line(value, reason):
    text = BODY.read_text().replace(",2026-03-16,9.7134\n", f",2026-03-16,{value}\n")
    snap = parse(text.encode())
    (bad,) = [r for r in snap.rejects if not any(i in r.text for i in INDICES)]
    assert reason in bad.reason and bad.reason.startswith("USD:")
    assert text.splitlines()[bad.line - 1] == f"B,USD,NOK,SP,4,false,0,C,2026-03-16,{value}"


def test_bad_code_and_unit_multiplier_are_rejects():
    text = BODY.read_text()
    text = text.replace("B,USD,NOK,SP,4,false,0,C,2026-03-16", "B,usd,NOK,SP,4,false,0,C,2026-03-16")
    text = text.replace("B,JPY,NOK,SP,4,false,2,C,2026-03-16", "B,JPY,NOK,SP,4,false,x,C,2026-03-16")
    reasons = sorted(r.reason for r in parse(text.encode()).rejects if "index" not in r.reason)
    assert reasons == ["JPY: UNIT_MULT 'x' is not a power of ten from 0 to 6",
                       "not a currency code (three uppercase letters): 'usd'"]


def test_a_code_quoted_twice_on_a_date():
    text = BODY.read_text()
    usd = "B,USD,NOK,SP,4,false,0,C,2026-03-16,9.7134\n"
    same = parse((text + usd).encode())  # the same text twice: the first line is kept
    assert same.rates.height == 252
    assert [r.reason for r in same.rejects if "duplicate" in r.reason] == [
        "USD on 2026-03-16: duplicate of line 86 (same value), dropped"]
    other = parse((text + usd.replace("9.7134", "9.9999")).encode())  # different texts: neither is kept
    assert other.rates.height == 251
    assert not other.rates.filter((other.rates["base"] == "USD") & (other.rates["date"] == dt.date(2026, 3, 16))).height


def test_looks_like_only_its_own_bodies():
    for path in bodies(PROVIDERS / "norges"):
        assert norges.looks_like(path.suffix.lower(), head(path)), path
    others = other_fixtures("norges")
    assert any("ecb" in p.parts for p in others) and any("page" in p.parts for p in others)
    taken = [p for p in others if norges.looks_like(p.suffix.lower(), head(p))]
    assert taken == []


def test_bundled_copy_is_the_recorded_body():
    bundled = REPO / "data" / "bundled" / "norges" / BODY.name
    assert bundled.read_bytes() == BODY.read_bytes()


def test_source_detection_picks_norges():
    """Once the registry has the entry (before the catch-all fixer/ticker_csv entries), detect() names it."""
    from dagster_project import sources

    if "norges" not in sources.SOURCES:
        pytest.skip("norges is not in the registry yet (the lead adds the entry)")
    for path in bodies(PROVIDERS / "norges"):
        assert sources.detect(path.name, path.read_bytes()) == "norges", path
