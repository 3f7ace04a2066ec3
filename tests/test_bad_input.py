"""The bad-input corpus (tests/fixtures/bad/, written by make_corpus.py), through `mdw parse` as a user runs it.

Every file gets either a clear error (one line `file:line: reason`, exit code 2) or a correct parse with
the bad line quarantined and reported (exit 0, a `rejects` row with its line and reason). Never a
silently wrong value.
"""

from __future__ import annotations

import json

import pytest
from conftest import FIXTURES
from typer.testing import CliRunner

from dagster_project.cli import app

BAD = FIXTURES / "bad"
SOURCE = {"page": "page", "ecb": "ecb", "fixer": "fixer", "ticker": "ticker_csv"}

# file -> ("error", text in the one-line message) or ("quarantine", {dataset: rows}, text in every reject reason)
EXPECTED = {
    "page-empty.txt": ("error", "page-empty.txt: empty input"),
    "page-binary.txt": ("error", "page-binary.txt:1: binary data"),
    "page-not-utf8.txt": ("error", "page-not-utf8.txt:10: not UTF-8 text"),
    "page-no-marker.txt": ("error", "no base marker line like 'EUR -'"),
    "page-truncated.txt": ("quarantine", {"rates": 4, "tickers": 1, "rejects": 1}, "expected change, price and percent lines"),
    "page-in.html": ("quarantine", {"rates": 4, "tickers": 2, "rejects": 0}, ""),
    "page-duplicate-codes.txt": ("quarantine", {"rates": 3, "tickers": 2, "rejects": 2}, "USD quoted 2 times with different values"),
    "page-comma-decimal.txt": ("quarantine", {"rates": 4, "tickers": 2, "rejects": 1}, "comma decimal"),
    "page-thousands.txt": ("quarantine", {"rates": 4, "tickers": 2, "rejects": 1}, "thousands separator"),
    "page-unicode-minus.txt": ("quarantine", {"rates": 4, "tickers": 2, "rejects": 0}, ""),
    "page-zero-negative.txt": ("quarantine", {"rates": 4, "tickers": 2, "rejects": 2}, "rate must be > 0"),
    "page-nan-inf.txt": ("quarantine", {"rates": 4, "tickers": 2, "rejects": 2}, "not a finite number"),
    "page-lowercase-code.txt": ("quarantine", {"rates": 4, "tickers": 2, "rejects": 1}, "not upper case"),
    "page-unknown-code.txt": ("quarantine", {"rates": 5, "tickers": 2, "rejects": 0}, ""),  # flagged by the valid_values check
    "page-ticker-missing-line.txt": ("quarantine", {"rates": 4, "tickers": 1, "rejects": 1}, "expected change, price and percent lines"),
    "ecb-malformed.xml": ("error", "ecb-malformed.xml:5: malformed XML"),
    "ecb-bad-header.csv": ("error", "ecb-bad-header.csv:1: not an ECB history CSV"),
    "ecb-ragged.csv": ("error", "ecb-ragged.csv:3: row has 5 cells, header has 4"),
    "ecb-bad-date.csv": ("error", "ecb-bad-date.csv:3: bad date '28.11.2024'"),
    "ecb-bad-cell.csv": ("quarantine", {"rates": 3, "rejects": 1}, "JPY: not a number: 'abc'"),
    "ecb-corrupt.zip": ("error", "ecb-corrupt.zip: corrupt zip"),
    "fixer-html-error-page.json": ("error", "not JSON (an HTML page where JSON was expected)"),
    "fixer-error-101.json": ("error", "provider error 101 invalid_access_key"),
    "fixer-truncated.json": ("error", "fixer-truncated.json:1: not JSON"),
    "fixer-bad-values.json": ("quarantine", {"rates": 1, "rejects": 4}, ""),
    "ticker-missing-columns.csv": ("error", "ticker-missing-columns.csv:1: header lacks column(s) ['close']"),
    "ticker-comma-in-number.csv": ("quarantine", {"tickers": 1, "rejects": 1}, "a comma inside a number?"),
    "ticker-bad-date.csv": ("error", "ticker-bad-date.csv:3: bad date '27/11/2024'"),
    "ticker-duplicate.csv": ("quarantine", {"tickers": 1, "rejects": 1}, "already on line 2: dropped"),
}


def parse(path, source):
    result = CliRunner().invoke(app, ["parse", "--source", source, "--captured-at", "2024-11-28T12:00:00+00:00", str(path)])
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return result, rows


def test_the_corpus_is_complete():
    on_disk = {p.name for p in BAD.iterdir() if p.suffix != ".py"}
    assert on_disk == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_input_gives_a_clear_error_or_a_reported_quarantine(name):
    expected = EXPECTED[name]
    result, rows = parse(BAD / name, SOURCE[name.split("-")[0]])
    if expected[0] == "error":
        assert result.exit_code == 2, result.stdout
        message = result.stderr.strip().splitlines()
        assert len(message) == 1 and expected[1] in message[0]
        assert message[0].startswith(str(BAD / name))
        assert not rows  # nothing printed: nothing half-read
        return
    _, counts, reason = expected
    assert result.exit_code == 0, result.stderr
    found = {ds: sum(1 for r in rows if r["dataset"] == ds) for ds in ("rates", "tickers", "rejects")}
    assert {k: found[k] for k in counts} == counts
    for reject in (r for r in rows if r["dataset"] == "rejects"):
        assert reason in reject["reason"] and reject["raw_file"] == str(BAD / name)
        assert reject["line"] is not None or name.startswith("fixer")  # JSON values have no line of their own
    values = {r["currency"]: r["rate"] for r in rows if r["dataset"] == "rates"}
    assert all(v > 0 for v in values.values())
    if name in ("page-duplicate-codes.txt",):
        assert "USD" not in values  # ambiguous: neither value kept


def test_a_unicode_minus_is_a_minus():
    _, rows = parse(BAD / "page-unicode-minus.txt", "page")
    bp = next(r for r in rows if r["dataset"] == "tickers" and r["symbol"] == "BP")
    assert (bp["change"], bp["change_pct"]) == (-0.17, -0.58)


def test_a_50_mb_page_parses_and_a_larger_input_than_allowed_is_refused(tmp_path, monkeypatch):
    body = ("Filler text written for the tests, repeated to make a large page. " * 16 + "\n") * 48_000
    big = tmp_path / "big.txt"
    big.write_bytes((BAD / "page-in.html").read_bytes().replace(b"</pre>", body.encode() + b"</pre>"))
    assert big.stat().st_size > 50_000_000
    result, rows = parse(big, "page")
    assert result.exit_code == 0 and sum(r["dataset"] == "rates" for r in rows) == 4
    monkeypatch.setenv("MDW_MAX_INPUT_MB", "10")
    refused, _ = parse(big, "page")
    assert refused.exit_code == 2 and "over the 10 MB limit" in refused.stderr
