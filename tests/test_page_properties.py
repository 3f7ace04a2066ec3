"""Property-based: pages rendered from rows parse back to the same rows; mutated pages fail only with ParseError."""

import datetime as dt
import string

import page_builder
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dagster_project.adapters import page
from dagster_project.rows import ParseError

CAPTURED = dt.datetime(2024, 11, 28, 12, tzinfo=dt.UTC)
codes = st.text(alphabet=string.ascii_uppercase, min_size=3, max_size=3)
positive = st.decimals(min_value="0.000001", max_value="99999999", places=6, allow_nan=False).map(lambda d: format(d.normalize(), "f"))
signed = st.decimals(min_value="-9999", max_value="9999", places=4, allow_nan=False).map(lambda d: format(d, "f"))
symbols = st.text(alphabet=string.ascii_uppercase + string.digits, min_size=1, max_size=6).filter(lambda s: s[0].isalpha())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    base=codes,
    rates=st.dictionaries(codes, positive, min_size=1, max_size=40),
    tickers=st.lists(st.tuples(symbols, signed, positive, signed), max_size=12, unique_by=lambda t: t[0]),
)
def test_rendered_pages_parse_back_to_the_same_rows(base, rates, tickers):
    rate_rows = [(c, v) for c, v in rates.items() if float(v) > 0]
    if not rate_rows:
        return
    strip = [(s, ch, pr, f"{pct}%") for s, ch, pr, pct in tickers if float(pr) > 0]
    snap = page.parse(page_builder.render(base, rate_rows, strip, body="Free text.").encode(), captured_at=CAPTURED)
    assert set(snap.rates["base"]) == {base}
    assert list(zip(snap.rates["currency"], snap.rates["rate_text"])) == rate_rows
    assert list(zip(snap.tickers["symbol"], snap.tickers["change_text"], snap.tickers["price_text"], snap.tickers["change_pct_text"])) == strip
    assert snap.rejects == []


@settings(max_examples=200, deadline=None)
@given(cut=st.integers(min_value=0, max_value=400), junk=st.binary(max_size=20), at=st.integers(min_value=0, max_value=400))
def test_mutated_pages_never_crash_with_anything_but_parse_error(cut, junk, at):
    good = page_builder.render("EUR", [("USD", "1.055851"), ("JPY", "159.876961")], [("BP", "0.1700", "29.13", "+0.58%")]).encode()
    mutated = good[:at] + junk + good[at:cut] if cut > at else good[:cut] + junk
    try:
        snap = page.parse(mutated, captured_at=CAPTURED)
    except ParseError:
        return
    assert snap.rates.height >= 1 and snap.rates["rate"].is_finite().all() and (snap.rates["rate"] > 0).all()
