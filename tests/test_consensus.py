"""The consensus of providers (fx_rate_providers, fx_rates_consensus) against a hand computation, its use in
fx_cross_rates, fx_convert and `mdw convert --source consensus`, and the cross-source checks upstream of fx_rates
(no cycle through the findings, each rule evaluated once per run)."""

from __future__ import annotations

import datetime as dt
import json
import math

import dagster as dg
import polars as pl
import pytest
from conftest import BUNDLED_PAGE, FIXTURES
from typer.testing import CliRunner

from dagster_project import pipeline, quality, sqlmodels, storage
from dagster_project.cli import app
from dagster_project.rows import RATE_SCHEMA

FEB27 = dt.date(2025, 2, 27)
D1, D2, D3 = dt.date(2025, 3, 3), dt.date(2025, 3, 4), dt.date(2025, 3, 5)

# Five fake providers, as they would publish (units of `currency` per 1 `base`): none is in the registry, so the
# SQL has nothing but their rows. charlie quotes against USD with its own EUR quote; delta against GBP with none
# (rebased through the median of the others' GBP per EUR: alpha's alone); echo published last on 27 February.
PUBLISHED = {
    ("alpha", "EUR"): {D1: {"USD": "1.0400", "JPY": "156.00", "GBP": "0.8300", "AED": "3.8200"},
                       D2: {"USD": "1.0450", "JPY": "157.00", "GBP": "0.8310", "AED": "3.8380"},
                       D3: {"USD": "1.0500", "JPY": "158.00", "GBP": "0.8320", "AED": "3.8560"}},
    ("bravo", "EUR"): {D1: {"USD": "1.0420", "JPY": "156.40"},
                       D2: {"USD": "1.1500", "JPY": "157.20"},  # USD 10% off: the outlier
                       D3: {"USD": "1.0510", "JPY": "158.10"}},
    ("charlie", "USD"): {D1: {"EUR": "0.9600", "JPY": "150.00"},
                         D2: {"EUR": "0.9560", "JPY": "150.30"},
                         D3: {"EUR": "0.9520", "JPY": "150.50"}},
    ("delta", "GBP"): {D1: {"USD": "1.2550", "JPY": "188.00"},
                       D3: {"USD": "1.2630", "JPY": "190.00"}},
    ("echo", "EUR"): {FEB27: {"USD": "1.0380", "JPY": "155.00"}},
}


def w(age: int) -> float:
    """Frankfurter's age weight, by hand."""
    return math.exp(-0.5 * max(age - 3, 0))


def write_providers(data_dir) -> None:
    """The parsed rows of each fake provider, one Parquet file per source and month, as the parsers write them."""
    frames: dict[tuple[str, dt.date], list[dict]] = {}
    for (source, base), days in PUBLISHED.items():
        for day, quotes in days.items():
            raw_file = f"raw/{source}/date={day}/{day:%Y%m%d}T160000Z.json"
            for line, (currency, text) in enumerate(quotes.items(), start=2):
                frames.setdefault((source, storage.month_of(day)), []).append(
                    {"source": source, "date": day, "captured_at": dt.datetime(day.year, day.month, day.day, 16, tzinfo=dt.UTC),
                     "base": base, "currency": currency, "rate": float(text), "rate_text": text, "raw_file": raw_file,
                     "line": line})
    for (source, month), rows in frames.items():
        path = storage.partition_path(data_dir / "warehouse", "rates", source, month)
        path.parent.mkdir(parents=True, exist_ok=True)
        pl.DataFrame(rows, schema=RATE_SCHEMA).write_parquet(path)


@pytest.fixture
def providers(data_dir):
    write_providers(data_dir)
    for mart in sqlmodels.MARTS:
        sqlmodels.build_mart(data_dir, mart)
    con = sqlmodels.connect(data_dir)
    yield con
    con.close()


def consensus(con, day, currency) -> dict:
    row = con.execute("select * from fx_rates_consensus where date = ? and currency = ?", [day, currency]).fetchone()
    return dict(zip([d[0] for d in con.description], row))


def lineage(con, day, currency) -> dict[str, dict]:
    rows = con.execute("select * from fx_rate_providers where date = ? and currency = ? order by provider", [day, currency])
    names = [d[0] for d in con.description]
    return {r[names.index("provider")]: dict(zip(names, r)) for r in rows.fetchall()}


# Each provider's USD and JPY per 1 EUR, rebased by hand
CHARLIE_USD = {D1: 1 / 0.9600, D2: 1 / 0.9560, D3: 1 / 0.9520}
CHARLIE_JPY = {D1: 150.00 / 0.9600, D2: 150.30 / 0.9560, D3: 150.50 / 0.9520}
DELTA_USD = {D1: 1.2550 * 0.8300, D3: 1.2630 * 0.8320}
DELTA_JPY = {D1: 188.00 * 0.8300, D3: 190.00 * 0.8320}


def test_a_day_where_every_provider_agrees_blends_them_by_age(providers):
    # USD on 3 March: alpha 1.04, bravo 1.042, charlie 1/0.96 = 1.0416667, delta 1.255 x 0.83 = 1.04165 (age 0),
    # echo 1.038 (27 February: age 4, weight e^-0.5). Median 1.04165; deviations 0.00165, 0.00035, 0.0000167, 0, 0.00365:
    # MAD 0.00035; limit max(10 x 0.00035, 5% x 1.04165) = 0.052: nobody is out.
    got = consensus(providers, D1, "USD")
    expected = (1.04 + 1.042 + CHARLIE_USD[D1] + DELTA_USD[D1] + w(4) * 1.038) / (4 + w(4))
    assert got["rate"] == pytest.approx(expected, rel=1e-12)
    assert (got["method"], got["providers"], got["quoting"], got["excluded"]) == ("blend", 5, 5, None)
    assert json.loads(got["rate_dates"]) == {"alpha": "2025-03-03", "bravo": "2025-03-03", "charlie": "2025-03-03",
                                             "delta": "2025-03-03", "echo": "2025-02-27"}
    jpy = consensus(providers, D1, "JPY")
    assert jpy["rate"] == pytest.approx((156.00 + 156.40 + CHARLIE_JPY[D1] + DELTA_JPY[D1] + w(4) * 155.00) / (4 + w(4)), rel=1e-12)
    rows = lineage(providers, D1, "USD")
    assert rows["echo"]["age_days"] == 4 and rows["echo"]["weight"] == pytest.approx(w(4))
    assert rows["charlie"]["rate"] == pytest.approx(CHARLIE_USD[D1]) and rows["charlie"]["rate_text"] == "0.9600"
    assert rows["charlie"]["line"] == 2  # the USD row is charlie's own EUR quote, inverted
    assert rows["delta"]["rate"] == pytest.approx(DELTA_USD[D1]) and "median" in rows["delta"]["rebased"]
    assert rows["delta"]["raw_file"] == "raw/delta/date=2025-03-03/20250303T160000Z.json" and rows["delta"]["line"] == 2


def test_an_outlier_gets_no_weight_and_says_why(providers):
    # USD on 4 March: alpha 1.045, bravo 1.15, charlie 1/0.956 = 1.0460251, delta carried from 3 March (1.04165, age 1),
    # echo 1.038 (age 5, weight e^-1). Median 1.045; deviations 0, 0.105, 0.0010251, 0.00335, 0.007: MAD 0.00335;
    # limit max(0.0335, 0.05225) = 0.05225: bravo (0.105 away) is out.
    got = consensus(providers, D2, "USD")
    expected = (1.045 + CHARLIE_USD[D2] + DELTA_USD[D1] + w(5) * 1.038) / (3 + w(5))
    assert got["rate"] == pytest.approx(expected, rel=1e-12)
    assert (got["method"], got["providers"], got["quoting"]) == ("blend", 4, 5)
    excluded = json.loads(got["excluded"])
    assert list(excluded) == ["bravo"] and excluded["bravo"].startswith("outlier: +10.05% from the median 1.045 of 5 providers")
    rows = lineage(providers, D2, "USD")
    assert rows["bravo"]["excluded"] and rows["bravo"]["weight"] == 0
    assert rows["delta"]["rate_date"] == D1 and rows["delta"]["age_days"] == 1 and rows["delta"]["weight"] == 1
    assert not any(r["excluded"] for p, r in rows.items() if p != "bravo")
    # bravo's JPY that day is fine: the judgment is per currency
    jpy = consensus(providers, D2, "JPY")
    assert jpy["providers"] == 5 and jpy["rate"] == pytest.approx(
        (157.00 + 157.20 + CHARLIE_JPY[D2] + DELTA_JPY[D1] + w(5) * 155.00) / (4 + w(5)), rel=1e-12)


def test_a_peg_in_force_snaps_to_its_anchor(providers):
    # AED is pegged at 3.6725 per USD (data/reference/pegs.csv): on 5 March the consensus is 3.6725 x the USD blend, whatever
    # alpha printed (3.8560). USD that day: alpha 1.05, bravo 1.051, charlie 1/0.952, delta 1.263 x 0.832, echo (age 6).
    usd = (1.05 + 1.051 + CHARLIE_USD[D3] + DELTA_USD[D3] + w(6) * 1.038) / (4 + w(6))
    assert consensus(providers, D3, "USD")["rate"] == pytest.approx(usd, rel=1e-12)
    got = consensus(providers, D3, "AED")
    assert got["rate"] == pytest.approx(3.6725 * usd, rel=1e-12)
    assert (got["method"], got["providers"], got["anchor"]) == ("peg", 0, "USD")
    assert json.loads(got["excluded"])["alpha"].startswith("peg in force: 3.6725 AED per USD (fixed)")
    (row,) = lineage(providers, D3, "AED").values()
    assert row["excluded"] and row["rate"] == pytest.approx(3.856) and row["line"] == 5
    assert consensus(providers, D3, "GBP")["method"] == "single"  # alpha alone quotes it


def test_cross_rates_and_fx_convert_at_the_consensus(providers, data_dir):
    usd, jpy = consensus(providers, D2, "USD")["rate"], consensus(providers, D2, "JPY")["rate"]
    (rate, basis), = providers.execute("select rate, basis from fx_cross_rates where source = 'consensus' and date = ? "
                                       "and base = 'USD' and quote = 'JPY'", [D2]).fetchall()
    assert rate == pytest.approx(jpy / usd, rel=1e-12)
    assert basis == "USD blend of 4 provider(s); JPY blend of 5 provider(s)"
    row = providers.execute("select source, rate, converted, note from fx_convert(100, 'USD', 'JPY', ?, source_name := 'consensus')",
                            [D2]).fetchone()
    assert row[:3] == ("consensus", pytest.approx(jpy / usd), pytest.approx(100 * jpy / usd))
    assert row[3] == "the consensus: USD blend of 4 provider(s); JPY blend of 5 provider(s)"
    # the consensus is not a source the checks or fx_rates_per_eur judge
    assert providers.execute("select count(*) from fx_rates_per_eur where source = 'consensus'").fetchone() == (0,)
    assert providers.execute("select count(*) from stg_source_comparison where source = 'consensus'").fetchone() == (0,)
    result = CliRunner().invoke(app, ["convert", "100", "USD", "JPY", "--on", str(D2), "--source", "consensus"])
    assert result.exit_code == 0, result.output
    assert f"{jpy / usd:.2f} JPY per 1 USD, the consensus rate of {D2}" in result.output
    assert "USD blend of 4 provider(s); JPY blend of 5 provider(s)" in result.output


def test_two_providers_far_apart_keep_the_more_trusted(data_dir):
    day = dt.date(2025, 3, 3)
    PUBLISHED_TWO = {("ecb", "EUR"): {"BRL": "6.2000"}, ("page", "EUR"): {"BRL": "6.6000"}}  # 6.45% apart
    for (source, base), quotes in PUBLISHED_TWO.items():
        path = storage.partition_path(data_dir / "warehouse", "rates", source, day)
        path.parent.mkdir(parents=True, exist_ok=True)
        pl.DataFrame([{"source": source, "date": day, "captured_at": dt.datetime(2025, 3, 3, 16, tzinfo=dt.UTC), "base": base,
                       "currency": c, "rate": float(t), "rate_text": t, "raw_file": f"raw/{source}/x", "line": 1}
                      for c, t in quotes.items()], schema=RATE_SCHEMA).write_parquet(path)
    sqlmodels.build_mart(data_dir, "fx_rates_consensus")
    con = sqlmodels.connect(data_dir)
    got = consensus(con, day, "BRL")
    assert (got["rate"], got["providers"], got["method"]) == (6.2, 1, "blend")
    assert json.loads(got["excluded"])["page"].startswith("two providers +6.45% apart, no majority: the more trusted ecb")


# ------------------------------------------------------------------------------------ no cycle, once per run


def _closure(name: str) -> set[str]:
    seen, todo = set(), [name]
    while todo:
        for read in sqlmodels.READS.get(todo.pop(), set()) - seen:
            seen.add(read)
            todo.append(read)
    return seen


def test_the_cross_source_judgments_are_upstream_of_fx_rates():
    judged_from = _closure("stg_source_comparison")
    assert "stg_rates_daily" in judged_from and not judged_from & {"fx_rates", "fx_cross_rates", "fx_rates_per_eur"}
    assert "stg_source_comparison" in _closure("stg_quality_flags") and "stg_source_comparison" in _closure("fx_rates")
    assert sqlmodels.inputs_of("fx_rates") == {"parsed_rates"}
    for check in ("source_disagreement", "source_consensus"):
        reads = sqlmodels.relations_read((quality.CHECK_SQL / f"{check}.sql").read_text())
        assert reads == {"stg_source_comparison"}
    assert sqlmodels.inputs_of("fx_rates_consensus") == {"parsed_rates"}


def test_each_cross_source_rule_runs_once_per_run_and_flags_fx_rates_in_it(data_dir, monkeypatch):
    from dagster_project.defs.models.assets import MART_ASSETS
    from dagster_project.defs.quality.checks import ASSET_CHECKS
    from dagster_project.defs.sources.resources import Warehouse

    csv = FIXTURES / "ecb" / "eurofxref-hist-2024-11-20_2024-12-03.csv"
    pipeline.land_input(data_dir, csv.read_bytes(), name="20241203T160000Z.csv", source="ecb")
    pipeline.land_input(data_dir, BUNDLED_PAGE.read_bytes(), name=BUNDLED_PAGE.name, source="page")
    day = dt.date(2024, 11, 28)
    pipeline.parse_partitions(data_dir, "ecb", [day])
    pipeline.parse_partitions(data_dir, "page", [day])
    fixer = {"success": True, "timestamp": 1732800000, "historical": True, "base": "EUR", "date": str(day),
             "rates": {"USD": 1.0558, "JPY": 159.9, "BRL": 6.2905}}  # a third source: source_consensus is evaluated too
    pipeline.land_input(data_dir, json.dumps(fixer).encode(), name="20241128T230000Z.json", source="fixer",
                        captured_at=dt.datetime(2024, 11, 28, 23, tzinfo=dt.UTC))
    pipeline.parse_partitions(data_dir, "fixer", [day])
    calls: list[str] = []
    real = quality.run_sql

    def counted(con, name, scope, check_name):
        calls.append(name)
        return real(con, name, scope, check_name)

    monkeypatch.setattr(quality, "run_sql", counted)
    with dg.instance_for_test() as instance:
        result = dg.materialize([*MART_ASSETS, *ASSET_CHECKS], resources={"warehouse": Warehouse(data_dir=str(data_dir))},
                                instance=instance, partition_key="2024-11-01",
                                selection=dg.AssetSelection.assets("fx_rates") | dg.AssetSelection.checks_for_assets("fx_rates"))
    assert result.success
    assert calls.count("source_disagreement") == 1 and calls.count("source_consensus") == 1
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert evaluations["source_disagreement"].metadata["findings"].value >= 1
    con = sqlmodels.connect(data_dir)
    flags = dict(con.execute("select source, quality_checks from fx_rates where date = ? and currency = 'BRL'", [day]).fetchall())
    assert flags == {"page": "source_disagreement", "ecb": None, "fixer": None}
    stored = con.execute("select source, subject from dq_findings where check_name = 'source_disagreement'").fetchall()
    assert ("page", "BRL") in stored and all(source == "page" for source, _ in stored)
