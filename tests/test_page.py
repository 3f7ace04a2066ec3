"""Page adapter: the seed page format, its tolerated variations, and what it refuses."""

import page_builder
import pytest
from conftest import BUNDLED_PAGE, PAGE_CAPTURED, seed_blocks

from dagster_project.adapters import page
from dagster_project.rows import ParseError


def parse(data: bytes, file="page.txt"):
    return page.parse(data, captured_at=PAGE_CAPTURED, file=file)


def test_bundled_page_matches_the_seed_exactly():
    snap = parse(BUNDLED_PAGE.read_bytes())
    rates, tickers = seed_blocks()
    assert len(rates) == 168 and len(tickers) == 16
    assert snap.rates.height == 168
    assert set(snap.rates["base"]) == {"EUR"}
    assert list(zip(snap.rates["currency"], snap.rates["rate_text"])) == rates
    assert snap.rates["rate"].to_list() == [float(v) for _, v in rates]
    got = list(zip(snap.tickers["symbol"], snap.tickers["change_text"], snap.tickers["price_text"], snap.tickers["change_pct_text"]))
    assert got == tickers
    assert snap.rejects == []


def test_tickers_belong_to_the_last_session_before_a_holiday_capture():
    snap = parse(BUNDLED_PAGE.read_bytes())
    assert set(snap.tickers["session"].cast(str)) == {"2024-11-27"}  # 2024-11-28 is Thanksgiving
    rbgpf = snap.tickers.filter(snap.tickers["symbol"] == "RBGPF").row(0, named=True)
    assert (rbgpf["price"], rbgpf["change"], rbgpf["change_pct"]) == (62.0, 1.0, 1.61)


def test_the_seed_itself_parses_to_the_same_rows():
    from conftest import SEED
    if not SEED.exists():
        pytest.skip("shared seed not available")
    seed, bundled = parse(SEED.read_bytes()), parse(BUNDLED_PAGE.read_bytes())
    assert seed.rates.drop("line").equals(bundled.rates.drop("line"))
    assert seed.tickers.drop("line").equals(bundled.tickers.drop("line"))


@pytest.mark.parametrize("mangle", [
    lambda t: t.replace("\n", "\r\n"),                     # CRLF
    lambda t: "\ufeff" + t,                                # BOM
    lambda t: t.replace("\n", "\n\n"),                     # extra blank lines
    lambda t: t.replace("AED 3.878126", "AED\u00a03.878126").replace("• SCS", "•\u00a0SCS"),  # NBSP
    lambda t: t.replace("-0.0700", "\u22120.0700"),        # Unicode minus
], ids=["crlf", "bom", "blank-lines", "nbsp", "unicode-minus"])
def test_tolerated_variations_give_the_same_rows(mangle):
    clean = parse(BUNDLED_PAGE.read_bytes())
    other = parse(mangle(BUNDLED_PAGE.read_text(encoding="utf-8")).encode("utf-8"))
    assert other.rates.drop("line").equals(clean.rates.drop("line"))
    assert other.tickers.select("symbol", "price", "change", "change_pct").equals(
        clean.tickers.select("symbol", "price", "change", "change_pct"))


def test_the_same_content_inside_html():
    text = BUNDLED_PAGE.read_text(encoding="utf-8").split("\n")
    body = "".join(f"<div>{line}</div>" if line.strip() else "<br>" for line in text)
    html = f"<!DOCTYPE html><html><head><title>x</title><style>p{{}}</style></head><body>{body}</body></html>"
    snap = parse(html.encode(), file="page.html")
    assert snap.rates.height == 168 and snap.tickers.height == 16


def test_missing_base_marker_names_file_and_reason():
    data = BUNDLED_PAGE.read_text().replace("EUR -\n", "").encode()
    with pytest.raises(ParseError, match=r"^snap\.txt: no base marker"):
        parse(data, file="snap.txt")


def test_marker_without_rates_names_the_line():
    with pytest.raises(ParseError) as err:
        parse(b"Title\n\nEUR -\n\nSome article text follows.\n", file="x.txt")
    assert err.value.line == 3 and "x.txt:3" in str(err.value)


@pytest.mark.parametrize("data,reason", [(b"", "empty input"), (b"\x00\x01\x02garbage", "binary"), (b"\xff\xfe\x00E\x00U", "binary")])
def test_unreadable_input(data, reason):
    with pytest.raises(ParseError, match=reason):
        parse(data)


@pytest.mark.parametrize("line,reason", [
    ("ZZZ 1,234.5", "thousands separator"),
    ("ZZZ 1,6236", "comma decimal"),
    ("ZZZ 0", "must be > 0"),
    ("ZZZ -3.2", "must be > 0"),
    ("ZZZ NaN", "not a finite number"),
    ("ZZZ inf", "not a finite number"),
    ("zzz 1.5", "not upper case"),
])
def test_a_bad_quote_is_quarantined_not_kept(line, reason):
    data = BUNDLED_PAGE.read_text().replace("AED 3.878126\n", f"AED 3.878126\n{line}\n").encode()
    snap = parse(data)
    assert snap.rates.height == 168  # the other quotes are untouched
    assert "ZZZ" not in snap.rates["currency"].to_list()
    (reject,) = snap.rejects
    assert reason in reject.reason and reject.line == 5


def test_duplicate_codes():
    text = BUNDLED_PAGE.read_text()
    same = parse(text.replace("AED 3.878126\n", "AED 3.878126\nAED 3.878126\n").encode())
    assert same.rates.height == 168 and "same value" in same.rejects[0].reason
    differ = parse(text.replace("AED 3.878126\n", "AED 3.878126\nAED 3.9\n").encode())
    assert "AED" not in differ.rates["currency"].to_list() and len(differ.rejects) == 2


def test_ticker_with_a_missing_line_is_quarantined():
    text = BUNDLED_PAGE.read_text().replace("    13.47\n", "", 1)
    snap = parse(text.encode())
    assert snap.tickers.height == 15 and "SCS" not in snap.tickers["symbol"].to_list()
    assert "SCS" in snap.rejects[0].reason


def test_render_roundtrip():
    rates = [("USD", "1.05"), ("JPY", "159.9")]
    tickers = [("ABC", "-0.10", "9.90", "-1.00%")]
    snap = parse(page_builder.render("EUR", rates, tickers, body="Some text.").encode())
    assert list(zip(snap.rates["currency"], snap.rates["rate_text"])) == rates
    assert snap.tickers.row(0, named=True)["change_pct"] == -1.0
