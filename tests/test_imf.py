"""IMF adapter: the recorded monthly tables (representative rates per USD, twice, and SDRs per currency unit),
read independently with the csv module."""

import csv
import datetime as dt

import pytest
from conftest import FIXTURES, REPO, UTC

from dagster_project.adapters import imf
from dagster_project.rows import ParseError

CAPTURED = dt.datetime(2026, 5, 5, 22, 14, 10, tzinfo=UTC)
FOLDER = FIXTURES / "providers" / "imf"
REP = FOLDER / "20260505T221410Z_0.xls"        # March 2026, complete
REP_EARLY = FOLDER / "20260323T001941Z_0.xls"  # March 2026 as of the 23rd: short rows for days not yet published
SDR = FOLDER / "20260505T221413Z_1.xls"        # SDRs per currency unit, March 2026
BODIES = [REP, REP_EARLY, SDR]


def parse(data, file="rms.tsv"):
    return imf.parse(data, captured_at=CAPTURED, file=file)


def independent(path):
    """{(date, line): (row name, text)} of every published cell, by the csv module (tab-separated)."""
    found = {}
    header = None
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh, delimiter="\t")
        for row in reader:
            if row and row[0] == "Notes:":
                break
            if not row or not any(row):
                header = None
            elif row[0] == "Currency":
                header = [dt.datetime.strptime(c, "%B %d, %Y").date() for c in row[1:] if c]
            elif header is not None:
                for day, cell in zip(header, row[1:], strict=False):
                    if cell != "NA":
                        found[(day, reader.line_num)] = (row[0], cell)
    return found


def cells(snap):
    return {(d, ln): (b, c, t, r) for d, ln, b, c, t, r in snap.rates.select("date", "line", "base", "currency", "rate_text", "rate").iter_rows()}


@pytest.mark.parametrize("path", [REP, REP_EARLY], ids=lambda p: p.name)
def test_representative_rates_match_an_independent_reading(path):
    expected = {k: v for k, v in independent(path).items() if v[0] != "U.S. dollar"}  # 1 USD per USD: not a rate
    snap = parse(path.read_bytes(), file=path.name)
    got = cells(snap)
    assert snap.rates.height == len(expected) >= 400 and not snap.rejects
    assert set(got) == set(expected)
    for key, (name, text) in expected.items():
        base, currency, got_text, rate = got[key]
        assert got_text == text
        assert rate == pytest.approx(float(text.replace(",", "")))
        if name.endswith("(1)"):  # U.S. dollars per currency unit
            assert currency == "USD" and base != "USD"
        else:
            assert base == "USD" and currency != "USD"


def test_sdr_rates_match_an_independent_reading():
    expected = independent(SDR)
    snap = parse(SDR.read_bytes(), file=SDR.name)
    got = cells(snap)
    assert snap.rates.height == len(expected) >= 600 and not snap.rejects
    assert {k: v[2] for k, v in got.items()} == {k: v[1] for k, v in expected.items()}
    assert set(snap.rates["currency"]) == {"XDR"} and "USD" in set(snap.rates["base"])


def test_spot_values():
    snap = parse(REP.read_bytes())
    day = dt.date(2026, 3, 3)
    pick = {(b, c): (t, r) for d, b, c, t, r in snap.rates.select("date", "base", "currency", "rate_text", "rate").iter_rows() if d == day}
    assert pick[("EUR", "USD")] == ("1.160600", 1.1606)     # Euro(1): USD per EUR
    assert pick[("GBP", "USD")] == ("1.329250", 1.32925)    # U.K. pound(1)
    assert pick[("USD", "JPY")] == ("157.410000", 157.41)
    assert pick[("USD", "KRW")] == ("1,435.400000", 1435.4)  # the IMF's thousands separator, kept as published
    assert ("USD", "INR") not in pick                       # NA that day
    sdr = parse(SDR.read_bytes()).rates.filter(date=day, base="USD").row(0, named=True)
    assert (sdr["currency"], sdr["rate_text"]) == ("XDR", "0.7334650000")
    early = parse(REP_EARLY.read_bytes())
    assert max(early.dates) == dt.date(2026, 3, 20) and max(snap.dates) == dt.date(2026, 3, 31)


def test_a_withdrawn_code_and_an_unknown_name_are_rejects():
    lines = REP.read_bytes().decode("utf-8").split("\r\n")  # the body's own CRLF lines
    k = next(n for n, ln in enumerate(lines) if ln.startswith("Danish krone\t"))
    lines[k] = lines[k].replace("Danish krone", "Slovak koruna")
    j = next(n for n, ln in enumerate(lines) if ln.startswith("Thai baht\t"))
    lines[j] = lines[j].replace("Thai baht", "Ruritanian crown")
    snap = parse("\r\n".join(lines).encode())
    withdrawn = [r for r in snap.rejects if r.line == k + 1]
    unknown = [r for r in snap.rejects if r.line == j + 1]
    published = len([c for c in lines[k].split("\t")[1:] if c != "NA"])
    assert len(withdrawn) == published and all("SKK quoted on 2026-03-" in r.reason and "withdrawn from 2009-01-01" in r.reason
                                               for r in withdrawn)
    assert unknown and all("'Ruritanian crown' is not in the adapter's table" in r.reason for r in unknown)
    assert not snap.rates.filter(line=k + 1).height


def test_bad_numbers_are_rejects():
    text = REP.read_text(encoding="utf-8").replace("\t6.882900\t", "\t6,882900\t", 1).replace("\t130.230900\t", "\t0.000000\t", 1)
    snap = parse(text.encode())
    assert sorted(r.reason for r in snap.rejects) == ["CNY: comma decimal in '6,882900': ambiguous, not read",
                                                      "DZD: rate must be > 0, got 0.000000"]


@pytest.mark.parametrize("case,match", [
    ("empty", r"rms\.tsv: empty input"),
    ("html", r"rms\.tsv:1: an HTML/XML page"),
    ("cut", r"rms\.tsv:\d+: no 'Notes:' line after the tables: the file is truncated"),
    ("title", r"rms\.tsv:1: not an IMF rates table"),
    ("header", r"rms\.tsv:2: a row before any 'Currency' header row"),
    ("notes", r"rms\.tsv: the notes no longer say"),
    ("date", r"rms\.tsv:2: bad date column 'March 32, 2026'"),
    ("wide", r"rms\.tsv:3: row has 12 values, its header 11 dates"),
])
def test_bad_bodies_are_clear_parse_errors(case, match):
    text = REP.read_text(encoding="utf-8")
    data = {
        "empty": b"",
        "html": b"<html><head><title>Error</title></head><body>The service is unavailable.</body></html>",
        "cut": text[: text.index("Mexican peso\t17.3")].encode(),  # in the middle of a record
        "title": text.replace("Representative Exchange Rates", "Indicative Rates").encode(),
        "header": text.replace("Currency\tMarch 02", "Country\tMarch 02", 1).encode(),
        "notes": text.replace("(1) which are in terms of U.S. dollars per currency unit", "(1) see above").encode(),
        "date": text.replace("March 02, 2026", "March 32, 2026", 1).encode(),
        "wide": text.replace("Chinese yuan\t6.882900\t", "Chinese yuan\t6.882900\t6.9\t", 1).encode(),
    }[case]
    with pytest.raises(ParseError, match=match):
        parse(data)


def other_fixtures(own):
    for path in sorted(FIXTURES.rglob("*")):
        if path.is_file() and path.suffix not in {".json", ".md", ".py"} and own not in path.parts:
            yield path


def test_looks_like_only_its_own_bodies():
    for path in BODIES:
        assert imf.looks_like(path.suffix, path.read_bytes()[:2048]), path
    others = list(other_fixtures("imf"))
    assert len(others) >= 6
    for path in others:
        assert not imf.looks_like(path.suffix, path.read_bytes().lstrip(b"\xef\xbb\xbf \t\r\n")[:2048]), path


def test_bundled_bodies_are_the_complete_month():
    """The bundled tables are the recorded ones, named for their table (``_REP``, ``_SDRCV``): two streams of the
    source, so the newest capture of each counts (landing.snapshots_for)."""
    bundled = sorted((REPO / "data" / "bundled" / "imf").iterdir())
    assert [p.name for p in bundled] == ["20260505T221410Z_REP.xls", "20260505T221413Z_SDRCV.xls"]
    assert [p.read_bytes() for p in bundled] == [REP.read_bytes(), SDR.read_bytes()]


def test_a_name_kept_across_a_redenomination_is_the_code_of_the_day():
    assert imf._code("Zambian  kwacha", dt.date(2012, 12, 31)) == "ZMK"
    assert imf._code("Zambian kwacha", dt.date(2013, 1, 1)) == "ZMW"
    assert [imf._code("Venezuelan bolivar", dt.date(y, 6, 1)) for y in (2007, 2010, 2019)] == ["VEB", "VEF", "VES"]
    assert imf._code("Ruritanian crown", dt.date(2020, 1, 1)) is None
