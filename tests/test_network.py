"""Network faults against a loopback server: retries with backoff, then a clear failure; no partition from a
partial answer; the API key never in logs, run metadata, raw file names or error messages."""

from __future__ import annotations

import datetime as dt
import socket

import dagster as dg
import pytest
from conftest import FIXTURES

from dagster_project import pipeline
from dagster_project.adapters.fixer import ProviderError
from dagster_project.defs.sources.resources import ApiFeed
from dagster_project.http import FetchError
from dagster_project.rows import ParseError

SECRET = "sk-test-5e3f1b2c9d"
DAY = dt.date(2024, 11, 28)
GOOD = (FIXTURES / "fixer" / "2024-11-28.json").read_bytes()
JSON = {"Content-Type": "application/json"}


def api(loopback, timeout=0.5):
    return ApiFeed(source="fixer", base_url=f"{loopback.url}/api", access_key=SECRET, timeout=timeout)


def test_retries_then_succeeds(loopback, data_dir):
    loopback.routes["/api/2024-11-28"] = [(503, {}, b"busy"), (429, {"Retry-After": "0"}, b"slow"), (200, JSON, GOOD)]
    (_landed,) = api(loopback).land(data_dir, [DAY])
    assert len(loopback.requests) == 3 and pipeline.parse_partitions(data_dir, "fixer", [DAY]).rows["rates"] == 6


def test_a_timeout_is_retried_then_a_clear_failure(loopback, data_dir):
    loopback.routes["/api/2024-11-28"] = [(200, {**JSON, "X-Test-Delay": "1.0"}, GOOD)]
    with pytest.raises(FetchError, match=r"ReadTimeout.*after 3 attempts") as err:
        api(loopback, timeout=0.2).land(data_dir, [DAY])
    assert SECRET not in str(err.value) and not (data_dir / "raw").exists()


def test_connection_refused(data_dir):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(FetchError, match=r"ConnectError.*after 3 attempts") as err:
        ApiFeed(source="fixer", base_url=f"http://127.0.0.1:{port}/api", access_key=SECRET, timeout=0.5).land(data_dir, [DAY])
    assert SECRET not in str(err.value)


def test_a_truncated_body_is_retried_and_never_landed(loopback, data_dir):
    loopback.routes["/api/2024-11-28"] = [(200, {**JSON, "Content-Length": str(len(GOOD) + 100)}, GOOD)]
    with pytest.raises(FetchError, match=r"RemoteProtocolError|incomplete|IncompleteRead|Read"):
        api(loopback).land(data_dir, [DAY])
    assert not (data_dir / "raw").exists() and not (data_dir / "warehouse").exists()


def test_an_html_error_page_served_as_json(loopback, data_dir):
    loopback.routes["/api/2024-11-28"] = [(200, JSON, b"<html><body><h1>502 Bad Gateway</h1></body></html>")]
    with pytest.raises(ParseError, match="HTML page where JSON was expected"):
        api(loopback).land(data_dir, [DAY])
    assert not (data_dir / "raw").exists()


def test_a_dagster_run_that_fails_leaks_the_key_nowhere(loopback, data_dir):
    from dagster_project.defs.sources import assets
    from dagster_project.defs.sources.resources import Warehouse

    for day in range(1, 31):  # a month partition fetches each day of the month
        loopback.routes[f"/api/2024-11-{day:02d}"] = [(500, {}, b"upstream error")]
    resources = {"warehouse": Warehouse(data_dir=str(data_dir)), "fixer_feed": api(loopback)}
    with dg.instance_for_test() as instance:
        result = dg.materialize([assets.RAW["fixer"], assets.PARSED["fixer"]], resources=resources, instance=instance,
                                partition_key="2024-11-01", raise_on_error=False)
        assert not result.success
        logs = instance.all_logs(result.run_id)
        text = "\n".join(repr(record) for record in logs)
        run = instance.get_run_by_id(result.run_id)
    assert "HTTP 500 after 3 attempts" in text and "access_key=***" in text
    assert SECRET not in text and SECRET not in repr(run.tags) and SECRET not in repr(run.run_config)
    assert not (data_dir / "raw").exists() and not (data_dir / "warehouse" / "rates").exists()


def test_a_provider_error_is_not_retried(loopback, data_dir):
    loopback.routes["/api/2024-11-28"] = [(200, JSON, (FIXTURES / "fixer" / "error-101.json").read_bytes())]
    with pytest.raises(ProviderError):
        api(loopback).land(data_dir, [DAY])
    assert len(loopback.requests) == 1
