"""Fixer-style API adapter and resource, against recorded JSON served on loopback."""

import datetime as dt
import json

import pytest
from conftest import FIXTURES, UTC

from dagster_project import pipeline
from dagster_project.adapters import fixer
from dagster_project.defs.sources.resources import ApiFeed
from dagster_project.http import FetchError
from dagster_project.rows import ParseError

GOOD = FIXTURES / "fixer" / "2024-11-28.json"
ERROR = FIXTURES / "fixer" / "error-101.json"
NOW = dt.datetime(2024, 11, 28, 13, 20, tzinfo=UTC)
SECRET = "s3cr3t-key-123"


DAY = dt.date(2024, 11, 28)


def test_good_answer_keeps_the_published_text():
    snap = fixer.parse(GOOD.read_bytes(), captured_at=NOW, file="f.json")
    rows = {r["currency"]: r for r in snap.rates.iter_rows(named=True)}
    assert len(rows) == 6 and set(snap.rates["base"]) == {"EUR"}
    assert rows["XAU"]["rate_text"] == "0.0004" and rows["USD"]["rate"] == 1.055851
    assert rows["USD"]["line"] == 12
    assert snap.dates == [dt.date(2024, 11, 28)]


def test_provider_error_is_a_clear_failure():
    with pytest.raises(fixer.ProviderError, match=r"f\.json: provider error 101 missing_access_key"):
        fixer.parse(ERROR.read_bytes(), captured_at=NOW, file="f.json")


@pytest.mark.parametrize("body,match", [
    (b"<html><body>502 Bad Gateway</body></html>", "HTML page where JSON was expected"),
    (b'{"success": true, "base": "EUR", "date": "2024-11-28"}', "missing field 'rates'"),
    (b'{"success": true, "base": "EUR", "date": "28/11/2024", "rates": {"USD": 1}}', "bad date"),
    (b'{"success": true, "base": "EUR", "date": "2024-11-28",\n "rates": {"USD": 1.0,', r":2: not JSON"),
])
def test_malformed_answers(body, match):
    with pytest.raises(ParseError, match=match):
        fixer.parse(body, captured_at=NOW, file="f.json")


def test_bad_values_are_quarantined():
    doc = json.loads(GOOD.read_text())
    doc["rates"].update({"ZZZ": -1, "usd": 1.0, "NUL": None})
    snap = fixer.parse(json.dumps(doc, indent=1).encode(), captured_at=NOW)
    assert snap.rates.height == 6 and len(snap.rejects) == 3


def test_resource_fetches_dated_endpoint_and_never_leaks_the_key(loopback, data_dir, caplog):
    loopback.routes["/api/2024-11-28"] = [(200, {"Content-Type": "application/json"}, GOOD.read_bytes())]
    api = ApiFeed(source="fixer", base_url=f"{loopback.url}/api", access_key=SECRET, timeout=2)
    (landed,) = api.land(data_dir, [dt.date(2024, 11, 28)])
    assert loopback.requests == [f"/api/2024-11-28?access_key={SECRET}"]
    assert SECRET not in str(landed.raw.path) and pipeline.parse_partitions(data_dir, "fixer", [DAY]).rows["rates"] == 6
    assert api.land(data_dir, [dt.date(2024, 11, 28)]) == []  # landed once


@pytest.mark.parametrize("status,headers,body,match", [
    (500, {}, b"err", "HTTP 500 after 3 attempts"),
    (429, {"Retry-After": "0"}, b"slow down", "HTTP 429 after 3 attempts"),
    (401, {}, b"unauthorized", "HTTP 401"),
    (200, {"Content-Type": "text/html"}, b"<html>oops</html>", "unexpected content type"),
])
def test_http_failures_are_clear_and_redacted(loopback, data_dir, status, headers, body, match):
    loopback.routes["/api/2024-11-28"] = [(status, headers, body)]
    api = ApiFeed(source="fixer", base_url=f"{loopback.url}/api", access_key=SECRET, timeout=2)
    with pytest.raises(FetchError, match=match) as err:
        api.land(data_dir, [dt.date(2024, 11, 28)])
    assert SECRET not in str(err.value) and "access_key=***" in str(err.value)
    assert not (data_dir / "raw").exists()


def test_provider_error_over_http_lands_nothing(loopback, data_dir):
    loopback.routes["/api/2024-11-28"] = [(200, {"Content-Type": "application/json"}, ERROR.read_bytes())]
    with pytest.raises(fixer.ProviderError):
        ApiFeed(source="fixer", base_url=f"{loopback.url}/api", access_key=SECRET).land(data_dir, [dt.date(2024, 11, 28)])
    assert not (data_dir / "raw").exists()


def test_not_configured_fetches_nothing(data_dir):
    assert ApiFeed(source="fixer", base_url="", access_key="").land(data_dir, [dt.date(2024, 11, 28)]) == []
