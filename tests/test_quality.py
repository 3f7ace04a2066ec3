"""Data-quality rules: each has a clean case and a defect case, on small synthetic warehouses; then the
bundled page's known defects, and the checks seen through Dagster (dg.materialize and check results)."""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random

import dagster as dg
import page_builder
import polars as pl
import pytest
from conftest import BUNDLED_PAGE, FIXTURES

from dagster_project import checking, pipeline, quality, sqlmodels, storage
from dagster_project.rows import RATE_SCHEMA

UTC = dt.UTC
D = dt.date(2024, 11, 28)  # a Thursday: US Thanksgiving, a TARGET day
MONTH = "2024-11-01"  # the month partition holding D

# A plausible EUR-based block: units per 1 EUR on 2024-11-28.
BASE_RATES = {"USD": "1.055851", "GBP": "0.832623", "JPY": "159.891234", "CHF": "0.930911", "BRL": "6.326022",
              "HKD": "8.218561", "INR": "89.169144", "ZAR": "19.071145"}


def add_page(data_dir, day: dt.date, rates: dict[str, str], tickers=(), hour: int = 12) -> None:
    captured = dt.datetime(day.year, day.month, day.day, hour, tzinfo=UTC)
    text = page_builder.render("EUR", list(rates.items()), list(tickers))
    pipeline.land_input(data_dir, text.encode(), name=f"{captured:%Y%m%dT%H%M%SZ}.txt", source="page", captured_at=captured)
    pipeline.parse_partitions(data_dir, "page", [day])


def judge(data_dir, check: str, start: dt.date = D, end: dt.date | None = None, *, asset="page_rates",
          dataset="rates", source="page") -> pl.DataFrame:
    scope = quality.Scope(data_dir, asset, dataset, source, start, end or start)
    (outcome,) = checking.run_checks(scope, [check])
    assert outcome.error is None, outcome.error
    return outcome.findings


def subjects(findings: pl.DataFrame) -> set[str]:
    return set(findings["subject"].to_list())


def walk(days: int, start: dt.date, seed: int = 1, vol: float = 0.004) -> dict[dt.date, dict[str, str]]:
    """Business days of a random walk for every BASE_RATES currency (six significant digits)."""
    rng = random.Random(seed)
    level = {c: float(v) for c, v in BASE_RATES.items()}
    out, day = {}, start
    while len(out) < days:
        if day.weekday() < 5:
            for c in level:
                level[c] *= math.exp(rng.gauss(0, vol))
            out[day] = {c: f"{v:.6g}" for c, v in level.items()}
        day += dt.timedelta(days=1)
    return out


# ----------------------------------------------------------------------------------- structure


def test_partition_structure_flags_a_day_with_most_codes_missing(data_dir):
    add_page(data_dir, D - dt.timedelta(days=1), BASE_RATES)
    add_page(data_dir, D, BASE_RATES)
    assert judge(data_dir, "partition_structure").height == 0
    nxt = D + dt.timedelta(days=1)
    add_page(data_dir, nxt, {"USD": "1.0555", "GBP": "0.8326"})
    (finding,) = judge(data_dir, "partition_structure", D, nxt).iter_rows(named=True)
    assert (finding["severity"], finding["date"], finding["observed"], finding["expected"]) == ("ERROR", nxt, 2, 8)


def test_partition_structure_flags_a_snapshot_that_parsed_to_nothing(data_dir):
    add_page(data_dir, D, BASE_RATES)
    storage.write_months(data_dir / "warehouse", "rates", "page", [D], pl.DataFrame(schema=RATE_SCHEMA))  # the rows are gone
    (finding,) = judge(data_dir, "partition_structure").iter_rows(named=True)
    assert finding["severity"] == "ERROR" and "no rates could be read" in finding["detail"]


# -------------------------------------------------------------------------------- valid values


def test_quarantined_lines_are_reported_with_file_and_line(data_dir):
    add_page(data_dir, D, BASE_RATES)
    assert judge(data_dir, "quarantined_lines").height == 0
    add_page(data_dir, D, {**BASE_RATES, "SEK": "11,61"}, hour=13)
    (finding,) = judge(data_dir, "quarantined_lines").iter_rows(named=True)
    assert finding["subject"] == "SEK" and "comma decimal" in finding["detail"] and ".txt:" in finding["detail"]


def test_valid_values_flags_unknown_codes_but_not_market_or_defunct_ones(data_dir):
    add_page(data_dir, D, {**BASE_RATES, "CNH": "7.65", "GGP": "0.832623", "LTL": "3.117652"})
    assert judge(data_dir, "valid_values").height == 0
    add_page(data_dir, D, {**BASE_RATES, "XYZ": "1.5"}, hour=13)
    findings = judge(data_dir, "valid_values")
    assert subjects(findings) == {"XYZ"} and findings["severity"].to_list() == ["WARN"]


def test_valid_values_catches_stored_rows_the_parser_would_never_write(data_dir):
    captured = dt.datetime(2024, 11, 28, 12, tzinfo=UTC)
    rows = pl.DataFrame({"source": ["page"] * 3, "date": [D] * 3, "captured_at": [captured] * 3, "base": ["EUR"] * 3,
                         "currency": ["USD", "USD", "JPY"], "rate": [1.05, 1.06, -1.0], "rate_text": ["1.05", "1.06", "-1"],
                         "raw_file": ["x.txt"] * 3, "line": [1, 2, 3]}, schema=RATE_SCHEMA)
    storage.write_months(data_dir / "warehouse", "rates", "page", [D], rows)
    findings = judge(data_dir, "valid_values")
    assert subjects(findings) == {"USD", "JPY"} and set(findings["severity"]) == {"ERROR"}


# ----------------------------------------------------------------------------------- precision


def test_precision_flags_one_significant_digit_with_the_implied_gold_price(data_dir):
    add_page(data_dir, D, {**BASE_RATES, "XAU": "0.00037912"})
    assert judge(data_dir, "precision").height == 0
    add_page(data_dir, D, {**BASE_RATES, "XAU": "0.0004"}, hour=13)
    (finding,) = judge(data_dir, "precision").iter_rows(named=True)
    assert finding["severity"] == "ERROR" and finding["subject"] == "XAU"
    assert "[0.00035, 0.00045" in finding["detail"] and "2,346 to 3,017 USD per troy ounce" in finding["detail"]


def test_precision_knows_the_ecb_drops_trailing_zeros(data_dir):
    csv = "Date,USD,SEK,\n2024-11-28,1.0542,11.6,\n"
    pipeline.land_input(data_dir, csv.encode(), name="20241128T160000Z.csv", source="ecb")
    pipeline.parse_partitions(data_dir, "ecb", [D])
    assert judge(data_dir, "precision", asset="ecb_rates", source="ecb").height == 0  # 11.6 is 11.600
    add_page(data_dir, D, {**BASE_RATES, "SEK": "11.6"})
    assert subjects(judge(data_dir, "precision")) == {"SEK"}  # on the page, 11.6 is all there is: +/-0.43%


def test_metal_units_reports_the_price_per_ounce(data_dir):
    add_page(data_dir, D, BASE_RATES)
    assert judge(data_dir, "metal_units").height == 0
    add_page(data_dir, D, {**BASE_RATES, "XAG": "0.034944"}, hour=13)
    (finding,) = judge(data_dir, "metal_units").iter_rows(named=True)
    assert "30.22 USD per ounce" in finding["detail"] and finding["expected"] == pytest.approx(1 / 0.034944)


# ------------------------------------------------------------------------------------- defunct


def test_defunct_codes_are_date_aware(data_dir):
    add_page(data_dir, D, {**BASE_RATES, "BGN": "1.95583"})
    assert judge(data_dir, "defunct_codes").height == 0  # BGN was valid on 2024-11-28
    later = dt.date(2026, 1, 5)
    add_page(data_dir, later, {**BASE_RATES, "BGN": "1.95583", "LTL": "3.117652", "BYR": "20694.670774", "BYN": "3.454357"})
    findings = {r["subject"]: r for r in judge(data_dir, "defunct_codes", later).iter_rows(named=True)}
    assert set(findings) == {"BGN", "LTL", "BYR"}
    assert findings["LTL"]["expected"] == pytest.approx(3.4528) and "-9.7%" in findings["LTL"]["detail"]
    assert findings["BYR"]["expected"] == pytest.approx(34543.57)
    assert findings["BGN"]["expected"] == pytest.approx(1.95583)


# ----------------------------------------------------------------------------------------- pegs


def test_peg_deviation_fixed_par_and_band(data_dir):
    usd = float(BASE_RATES["USD"])
    clean = {**BASE_RATES, "BGN": "1.95583", "XPF": "119.331742", "FKP": BASE_RATES["GBP"], "HKD": f"{usd * 7.80:.6f}",
             "AED": f"{usd * 3.6725:.6f}"}
    add_page(data_dir, D, clean)
    assert judge(data_dir, "peg_deviation").height == 0
    broken = {**clean, "BGN": "1.960514", "FKP": "0.833401", "HKD": f"{usd * 7.70:.6f}"}
    add_page(data_dir, D, broken, hour=13)
    findings = {r["subject"]: r for r in judge(data_dir, "peg_deviation").iter_rows(named=True)}
    assert set(findings) == {"BGN", "FKP", "HKD"}
    assert findings["FKP"]["observed"] == pytest.approx(0.833401 / 0.832623) and "+9.3 bp" in findings["FKP"]["detail"]
    assert findings["HKD"]["expected"] == 7.75 and "band" in findings["HKD"]["detail"]


def test_peg_validity_period_ends(data_dir):
    later = dt.date(2026, 1, 5)  # BGN's peg ended 2025-12-31 (the euro)
    add_page(data_dir, later, {**BASE_RATES, "BGN": "1.970000"})
    assert "BGN" not in subjects(judge(data_dir, "peg_deviation", later))


# ------------------------------------------------------------------------------- stale / jumps


def test_stale_values_flags_a_frozen_quote_but_not_a_peg(data_dir):
    series = walk(14, dt.date(2024, 11, 1))
    for day, rates in series.items():
        add_page(data_dir, day, {**rates, "ARS": "1065.58", "BGN": "1.95583"})
    first, last = min(series), max(series)
    findings = judge(data_dir, "stale_values", first, last)
    assert subjects(findings) == {"ARS"}  # BGN is pegged to the page's base (EUR): expected to sit still
    assert findings.height == 14 - 10 + 1 and "unchanged at 1065.58" in findings["detail"][0]


def test_jumps_flag_a_break_not_a_volatile_currency(data_dir):
    series = walk(45, dt.date(2024, 9, 2))
    days = sorted(series)
    rng = random.Random(7)
    ars = 1000.0
    for k, day in enumerate(days):
        ars *= math.exp(rng.gauss(0, 0.03))  # volatile every day: never a jump against its own scale
        rates = {**series[day], "ARS": f"{ars:.6g}"}
        if k == 40:
            rates["CHF"] = f"{float(rates['CHF']) * 0.86:.6g}"  # CHF 2015-01-15: -14%
        add_page(data_dir, day, rates)
    findings = judge(data_dir, "jumps", days[0], days[-1])
    assert findings.height == 2 and subjects(findings) == {"CHF"}  # the fall, and the day after (back from a new level)
    assert findings["date"][0] == days[40] and findings["observed"][0] / findings["expected"][0] == pytest.approx(0.86, abs=0.02)


# ------------------------------------------------------------------------------ completeness


def test_completeness_flags_a_code_that_vanished_but_not_a_withdrawn_one(data_dir):
    before, after = dt.date(2025, 12, 31), dt.date(2026, 1, 2)
    add_page(data_dir, before, {**BASE_RATES, "BGN": "1.95583"})
    add_page(data_dir, after, {**BASE_RATES, "BGN": "1.95583"})
    assert judge(data_dir, "completeness", before, after).height == 0
    monday = dt.date(2026, 1, 5)
    add_page(data_dir, monday, {k: v for k, v in BASE_RATES.items() if k != "JPY"})  # JPY and BGN gone
    findings = judge(data_dir, "completeness", before, monday)
    assert subjects(findings) == {"JPY"} and findings["date"].to_list() == [monday]  # BGN was withdrawn on 2026-01-01


def test_completeness_flags_a_missing_target_day(data_dir):
    csv = FIXTURES / "ecb" / "eurofxref-hist-2024-11-20_2024-12-03.csv"
    text = csv.read_text().splitlines()
    gap = [ln for ln in text if not ln.startswith("2024-11-27")]
    pipeline.land_input(data_dir, "\n".join(gap).encode(), name="20241203T160000Z.csv", source="ecb")
    days = [dt.date(2024, 11, 20) + dt.timedelta(days=k) for k in range(14)]
    pipeline.parse_partitions(data_dir, "ecb", days)
    findings = judge(data_dir, "completeness", days[0], days[-1], asset="ecb_rates", source="ecb")
    assert findings["date"].to_list() == [dt.date(2024, 11, 27)] and "TARGET" in findings["detail"][0]


# ------------------------------------------------------------------------------------- tickers


def test_ticker_change_consistency_uses_the_previous_close(data_dir):
    good = [("ZZZ", "1.0000", "62", "+1.64%"), ("YYY", "-0.0700", "24.36", "-0.29%")]
    add_page(data_dir, D, BASE_RATES, good)
    assert judge(data_dir, "ticker_change_consistency", asset="page_tickers", dataset="tickers").height == 0
    add_page(data_dir, D, BASE_RATES, [("RBGPF", "1.0000", "62", "+1.61%"), *good], hour=13)
    (finding,) = judge(data_dir, "ticker_change_consistency", asset="page_tickers", dataset="tickers").iter_rows(named=True)
    assert finding["subject"] == "RBGPF" and finding["expected"] == pytest.approx(100 / 61)
    assert "current price" in finding["detail"]


def test_non_session_capture(data_dir):
    strip = [("BP", "0.1700", "29.13", "+0.59%")]
    friday = dt.date(2024, 11, 29)
    add_page(data_dir, friday, BASE_RATES, strip, hour=22)
    assert judge(data_dir, "non_session_capture", friday, asset="page_tickers", dataset="tickers").height == 0
    add_page(data_dir, D, BASE_RATES, strip)  # Thanksgiving
    (finding,) = judge(data_dir, "non_session_capture", asset="page_tickers", dataset="tickers").iter_rows(named=True)
    assert finding["subject"] == "XNYS" and "2024-11-27 session" in finding["detail"]


# ---------------------------------------------------------------------------- warehouse checks


def _warehouse(data_dir, **kwargs) -> dict[str, pl.DataFrame]:
    for name in sqlmodels.MARTS:
        sqlmodels.build_mart(data_dir, name)
    scope = quality.Scope(data_dir, "fx_rates", "rates", **kwargs)
    return {o.check.name: o.findings for o in checking.run_checks(scope, ["source_disagreement", "freshness"])}


def test_source_disagreement_page_against_ecb(data_dir):
    csv = FIXTURES / "ecb" / "eurofxref-hist-2024-11-20_2024-12-03.csv"
    pipeline.land_input(data_dir, csv.read_bytes(), name="20241203T160000Z.csv", source="ecb")
    pipeline.parse_partitions(data_dir, "ecb", [D])
    add_page(data_dir, D, {"USD": "1.055851", "JPY": "159.89", "BRL": "6.2891"})
    assert _warehouse(data_dir)["source_disagreement"].height == 0
    add_page(data_dir, D, {"USD": "1.055851", "JPY": "159.89", "BRL": "6.326022"}, hour=13)
    (finding,) = _warehouse(data_dir)["source_disagreement"].iter_rows(named=True)
    assert (finding["source"], finding["subject"]) == ("page", "BRL") and "+58.7 bp" in finding["detail"]


def test_freshness_follows_the_target_calendar(data_dir):
    csv = FIXTURES / "ecb" / "eurofxref-hist-2024-11-20_2024-12-03.csv"
    pipeline.land_input(data_dir, csv.read_bytes(), name="20241203T160000Z.csv", source="ecb")
    pipeline.parse_partitions(data_dir, "ecb", [dt.date(2024, 12, 3)])
    next_day = dt.datetime(2024, 12, 4, 15, 0, tzinfo=UTC)  # 16:00 in Frankfurt: the 4th is due, within grace
    assert _warehouse(data_dir, now=next_day)["freshness"].height == 0
    (finding,) = _warehouse(data_dir, now=dt.datetime(2024, 12, 16, 12, 0, tzinfo=UTC))["freshness"].iter_rows(named=True)
    assert finding["source"] == "ecb" and finding["observed"] == 8  # Dec 4-6, 9-13 (the 16th's is not out yet)


# ------------------------------------------------------------------------ the bundled page


def test_the_bundled_page_defects_are_all_found(data_dir):
    pipeline.land_input(data_dir, BUNDLED_PAGE.read_bytes(), name=BUNDLED_PAGE.name, source="page")
    pipeline.parse_partitions(data_dir, "page", [D])
    rates = checking.run_checks(quality.Scope(data_dir, "page_rates", "rates", "page", D, D), quality.RATE_CHECKS)
    found = {o.check.name: o.findings for o in rates}
    assert subjects(found["precision"]) == {"XAU"}
    assert subjects(found["defunct_codes"]) == {"LTL", "LVL", "BYR", "ZMK", "HRK", "SLL", "STD", "ZWL", "CUC"}
    pegs = subjects(found["peg_deviation"])
    assert {"BGN", "BAM", "XOF", "XAF", "KMF", "CVE", "FKP", "GGP", "GIP", "IMP", "JEP", "SHP"} <= pegs
    assert "XPF" not in pegs and "AED" not in pegs
    tickers = checking.run_checks(quality.Scope(data_dir, "page_tickers", "tickers", "page", D, D),
                                 ["ticker_change_consistency"])
    assert subjects(tickers[0].findings) == {"RYCEF", "RBGPF", "BP", "NGG", "BCE", "AZN", "BCC", "VOD", "JRI"}


def test_findings_are_rows_and_rechecking_replaces_them(data_dir):
    add_page(data_dir, D, {**BASE_RATES, "XAU": "0.0004"})
    scope = quality.Scope(data_dir, "page_rates", "rates", "page", D, D)
    checking.run_checks(scope, ["precision"])
    checking.run_checks(scope, ["precision"])  # same partition again: replaced, not duplicated
    con = sqlmodels.connect(data_dir)
    assert con.execute("select subject, severity, asset from dq_findings").fetchall() == [("XAU", "ERROR", "page_rates")]
    add_page(data_dir, D, {**BASE_RATES, "XAU": "0.00037912"}, hour=13)  # a corrected capture
    checking.run_checks(scope, ["precision"])
    assert con.execute("select count(*) from dq_findings").fetchone() == (0,)


def test_marts_carry_the_quality_flag_and_leave_broken_partitions_out(data_dir):
    day2 = D + dt.timedelta(days=1)
    add_page(data_dir, D, {**BASE_RATES, "XAU": "0.0004"})
    add_page(data_dir, day2, {"USD": "1.05"})  # one code of nine: structurally broken
    for day in (D, day2):
        checking.run_checks(quality.Scope(data_dir, "page_rates", "rates", "page", day, day), ["partition_structure", "precision"])
    sqlmodels.build_mart(data_dir, "fx_rates")
    con = sqlmodels.connect(data_dir)
    assert con.execute("select distinct date from fx_rates").fetchall() == [(D,)]
    assert con.execute("select currency, quality, quality_checks from fx_rates where quality is not null").fetchall() == \
        [("XAU", "ERROR", "precision")]


# ------------------------------------------------------------------------------ through Dagster


def _defs_for_checks(data_dir):
    from dagster_project.defs.models.assets import MART_ASSETS, fx_cross_rates
    from dagster_project.defs.quality.checks import ASSET_CHECKS
    from dagster_project.defs.sources import assets
    from dagster_project.defs.sources.resources import SnapshotFeed, Warehouse

    everything = [assets.RAW["page"], assets.PARSED["page"], *MART_ASSETS, fx_cross_rates, *ASSET_CHECKS]
    resources = {"warehouse": Warehouse(data_dir=str(data_dir)), "page_feed": SnapshotFeed(source="page", location=str(data_dir / "pages"))}
    return everything, resources


def test_checks_run_with_their_assets_in_dagster(data_dir):
    everything, resources = _defs_for_checks(data_dir)
    (data_dir / "pages").mkdir()
    (data_dir / "pages" / BUNDLED_PAGE.name).write_bytes(BUNDLED_PAGE.read_bytes())
    with dg.instance_for_test() as instance:
        result = dg.materialize(everything, resources=resources, instance=instance, partition_key=MONTH,
                                selection=["raw_page", "page_rates", "page_tickers"])
        assert result.success
        checks = {(e.asset_key.to_user_string(), e.check_name): e for e in result.get_asset_check_evaluations()}
        assert checks[("page_rates", "precision")].severity == dg.AssetCheckSeverity.ERROR
        assert not checks[("page_rates", "defunct_codes")].passed
        assert checks[("page_rates", "defunct_codes")].metadata["findings"].value == 9
        assert checks[("page_rates", "peg_deviation")].severity == dg.AssetCheckSeverity.WARN
        assert checks[("page_rates", "partition_structure")].passed
        assert checks[("page_tickers", "ticker_change_consistency")].metadata["findings"].value == 9
        assert checks[("page_rates", "precision")].partition == MONTH
        assert "XAU" in checks[("page_rates", "precision")].metadata["findings_table"].value


def test_a_blocking_check_stops_the_models_in_the_same_run(data_dir):
    everything, resources = _defs_for_checks(data_dir)
    pages = data_dir / "pages"
    pages.mkdir()
    strip = [("BP", "0.1700", "29.13", "+0.59%")]
    (pages / "20241127T120000Z.txt").write_text(page_builder.render("EUR", list(BASE_RATES.items()), strip))
    models = ["fx_rates", "fx_daily_change", "ticker_quotes", "ticker_daily_change"]
    with dg.instance_for_test() as instance:
        ok = dg.materialize(everything, resources=resources, instance=instance, partition_key=MONTH,
                            selection=["raw_page", "page_rates", "page_tickers", *models])
        assert ok.success and ok.asset_materializations_for_node("fx_rates")
        # the next capture of the month holds one code of nine: the month's re-run is blocked before the models
        (pages / "20241128T120000Z.txt").write_text(page_builder.render("EUR", [("USD", "1.05")], strip))
        broken = dg.materialize(everything, resources=resources, instance=instance, partition_key=MONTH,
                                selection=["raw_page", "page_rates", "page_tickers", *models], raise_on_error=False)
        structure = next(e for e in broken.get_asset_check_evaluations()
                         if e.check_name == "partition_structure" and e.asset_key.to_user_string() == "page_rates")
        assert not structure.passed and structure.severity == dg.AssetCheckSeverity.ERROR
        assert not broken.asset_materializations_for_node("fx_rates")  # blocked


def test_the_charts_asset_carries_pictures_the_ui_shows_and_month_runs_draw_none(data_dir):
    from dagster_project.defs.models.assets import MART_ASSETS, charts_asset
    from dagster_project.defs.sources.resources import Warehouse

    for day, rates in walk(6, dt.date(2024, 11, 18)).items():
        add_page(data_dir, day, rates)
    resources = {"warehouse": Warehouse(data_dir=str(data_dir))}
    with dg.instance_for_test() as instance:
        months = dg.materialize(MART_ASSETS, resources=resources, instance=instance, partition_key=MONTH)
        assert not (data_dir / "warehouse" / "charts").exists()  # a month's run (a schedule's, a backfill's) draws nothing
        assert not any(k.startswith("chart") for e in months.get_asset_materialization_events()
                       for k in e.event_specific_data.materialization.metadata)
        result = dg.materialize([charts_asset], resources=resources, instance=instance)
    meta = result.asset_materializations_for_node("charts")[0].metadata
    assert meta["fx_rates_chart_page"].value.startswith("![page-chf-history](data:image/png;base64,")
    assert meta["fx_daily_change_chart_page"].value.startswith("![page-biggest-movers](data:image/png;base64,")
    assert (data_dir / "warehouse" / "charts" / "page-chf-history.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_ticker_asset_is_not_blamed_for_the_rates_on_its_page(data_dir):
    add_page(data_dir, D, {**BASE_RATES, "XYZ": "1.5"}, [("BP", "0.1700", "29.13", "+0.59%")])
    assert subjects(judge(data_dir, "valid_values")) == {"XYZ"}
    assert judge(data_dir, "valid_values", asset="page_tickers", dataset="tickers").height == 0


# --------------------------------------------------------- findings reach the marts, whatever check


def _materialize_models(data_dir):
    from dagster_project.defs.models.assets import MART_ASSETS
    from dagster_project.defs.sources.resources import Warehouse

    with dg.instance_for_test() as instance:
        result = dg.materialize(MART_ASSETS, resources={"warehouse": Warehouse(data_dir=str(data_dir))},
                                instance=instance, partition_key=MONTH, selection=["fx_rates"])
    assert result.success


def _ecb_and_page(data_dir, brl: str):
    csv = FIXTURES / "ecb" / "eurofxref-hist-2024-11-20_2024-12-03.csv"
    pipeline.land_input(data_dir, csv.read_bytes(), name="20241203T160000Z.csv", source="ecb")
    pipeline.parse_partitions(data_dir, "ecb", [D])
    add_page(data_dir, D, {"USD": "1.055851", "JPY": "159.89", "BRL": brl})


def _brl_quality(data_dir):
    con = sqlmodels.connect(data_dir)
    try:
        return dict(((s, (q, c)) for s, q, c in con.execute(
            "select source, quality, quality_checks from fx_rates where currency = 'BRL' and date = ?", [D]).fetchall()))
    finally:
        con.close()


def test_a_disagreement_between_sources_flags_the_quote_in_the_marts_in_the_same_run(data_dir):
    _ecb_and_page(data_dir, "6.326022")  # the bundled page's BRL: 58.7 bp from the ECB
    _materialize_models(data_dir)
    flags = _brl_quality(data_dir)
    assert flags["page"] == ("WARN", "source_disagreement")
    assert flags["ecb"] == (None, None)  # the reference source is not blamed


def test_a_quote_sources_agree_on_stays_clean_in_the_marts(data_dir):
    _ecb_and_page(data_dir, "6.2891")
    _materialize_models(data_dir)
    assert _brl_quality(data_dir) == {"page": (None, None), "ecb": (None, None)}


# ----------------------------------------------------------------------- Frankfurter's consensus


def _fixer(data_dir, day: dt.date, rates: dict[str, float]) -> None:
    import json

    body = json.dumps({"success": True, "timestamp": 1732800000, "historical": True, "base": "EUR",
                       "date": day.isoformat(), "rates": rates}).encode()
    captured = dt.datetime(day.year, day.month, day.day, 23, tzinfo=UTC)
    pipeline.land_input(data_dir, body, name=f"{captured:%Y%m%dT%H%M%SZ}.json", source="fixer", captured_at=captured)
    pipeline.parse_partitions(data_dir, "fixer", [day])


def _consensus(data_dir) -> pl.DataFrame:
    for name in sqlmodels.MARTS:
        sqlmodels.build_mart(data_dir, name)
    (outcome,) = checking.run_checks(quality.Scope(data_dir, "fx_rates", "rates", None, D, D), ["source_consensus"])
    assert outcome.error is None, outcome.error
    return outcome.findings


def test_consensus_of_three_sources_flags_the_outlier(data_dir):
    _ecb_and_page(data_dir, "6.62")  # 5.3% above the ECB's 6.2891
    _fixer(data_dir, D, {"USD": 1.0558, "JPY": 159.9, "BRL": 6.2905})
    (finding,) = _consensus(data_dir).iter_rows(named=True)
    assert (finding["source"], finding["subject"], finding["expected"]) == ("page", "BRL", pytest.approx(6.2905))
    assert "+5.24% from the median" in finding["detail"] and "of 3 sources" in finding["detail"]


def test_consensus_keeps_three_sources_within_five_percent(data_dir):
    _ecb_and_page(data_dir, "6.45")  # 2.6% above: a disagreement between two sources, not an outlier of three
    _fixer(data_dir, D, {"USD": 1.0558, "JPY": 159.9, "BRL": 6.2905})
    assert _consensus(data_dir).height == 0


def test_consensus_needs_three_sources(data_dir):
    _ecb_and_page(data_dir, "6.62")  # two sources: source_disagreement's business, no majority to decide
    assert _consensus(data_dir).height == 0


# --------------------------------------------------------------------------- complete peg table


AREAER_PEGS = {  # IMF AREAER: conventional pegs, currency boards and par arrangements of codes our sources quote
    "USD": {"AED", "SAR", "OMR", "QAR", "BHD", "JOD", "AWG", "XCG", "BBD", "BZD", "BSD", "BMD", "PAB", "KYD", "XCD",
            "DJF", "ERN", "TMT", "HKD", "SVC", "LBP", "IQD"},
    "EUR": {"BAM", "XOF", "XAF", "KMF", "CVE", "XPF", "STN", "DKK"},
    "GBP": {"FKP", "GIP", "SHP", "GGP", "IMP", "JEP"},
    "ZAR": {"LSL", "NAD", "SZL"},
    "INR": {"BTN", "NPR"},
    "SGD": {"BND"},
    "HKD": {"MOP"},
}


def test_the_peg_table_covers_every_arrangement_and_is_consistent():
    pegs = pl.read_csv(quality.REFERENCE / "pegs.csv", try_parse_dates=True)
    today = dt.date(2026, 11, 25)
    current = pegs.filter(pl.col("valid_to").is_null() | (pl.col("valid_to") >= today))
    for anchor, codes in AREAER_PEGS.items():
        assert codes <= set(current.filter(pl.col("anchor") == anchor)["code"]), anchor
    assert set(pegs["regime"]) <= {"fixed", "currency_board", "par", "band", "floor"}
    assert pegs.filter(pl.col("source").is_null()).height == 0  # every row names its source
    for row in pegs.iter_rows(named=True):
        assert row["central"] > 0
        if row["regime"] == "band":
            assert row["lower"] < row["central"] < row["upper"], row
    for (code, anchor), rows in pegs.group_by("code", "anchor"):
        periods = sorted((r["valid_from"], r["valid_to"] or dt.date.max) for r in rows.iter_rows(named=True))
        for (_, end), (start, _) in itertools.pairwise(periods):
            assert end < start, f"{code} per {anchor}: overlapping validity"


def test_a_published_rounding_is_not_a_peg_deviation(data_dir):
    usd = float(BASE_RATES["USD"])
    add_page(data_dir, D, {**BASE_RATES, "BHD": "0.40", "KYD": f"{usd / 1.2:.4f}"})  # 0.40: +/-125 bp of rounding
    assert not {"BHD", "KYD"} & subjects(judge(data_dir, "peg_deviation"))
    add_page(data_dir, D, {**BASE_RATES, "BHD": "0.397977", "KYD": f"{usd / 1.2:.4f}"}, hour=13)  # the page's BHD
    (finding,) = judge(data_dir, "peg_deviation").iter_rows(named=True)
    assert finding["subject"] == "BHD" and "+24.6 bp" in finding["detail"]


PAGE_PEGS_OFF = {"BGN", "BAM", "XOF", "XAF", "KMF", "CVE", "FKP", "GGP", "GIP", "IMP", "JEP", "SHP", "LSL", "NAD", "SZL",
                 "BTN", "ANG", "AWG", "BBD", "BZD", "BHD", "BND", "DJF", "IQD", "JOD", "LBP", "MOP", "NPR", "OMR", "QAR",
                 "TMT", "XCD"}
PAGE_PEGS_ON = {"XPF", "DKK", "AED", "SAR", "HKD", "BMD", "BSD", "PAB", "KYD", "ERN", "SVC"}


def test_every_peg_on_the_bundled_page_is_judged(data_dir):
    pipeline.land_input(data_dir, BUNDLED_PAGE.read_bytes(), name=BUNDLED_PAGE.name, source="page")
    pipeline.parse_partitions(data_dir, "page", [D])
    assert subjects(judge(data_dir, "peg_deviation")) == PAGE_PEGS_OFF
    pegs = pl.read_csv(quality.REFERENCE / "pegs.csv", try_parse_dates=True).filter(
        (pl.col("valid_from") <= D) & (pl.col("valid_to").is_null() | (pl.col("valid_to") >= D)))
    quoted = set(pl.read_parquet(storage.partition_path(data_dir / "warehouse", "rates", "page", D))["currency"])
    assert set(pegs["code"]) & quoted == PAGE_PEGS_OFF | PAGE_PEGS_ON  # every peg in force that the page quotes


# ---------------------------------------------------------------- freshness: scheduled sources only


def test_freshness_judges_only_scheduled_sources_from_when_their_schedule_started(data_dir):
    csv = FIXTURES / "ecb" / "eurofxref-hist-2024-11-20_2024-12-03.csv"
    pipeline.land_input(data_dir, csv.read_bytes(), name="20241203T160000Z.csv", source="ecb")
    pipeline.parse_partitions(data_dir, "ecb", [dt.date(2024, 12, 3)])
    add_page(data_dir, D, BASE_RATES)  # a one-off page snapshot
    late = dt.datetime(2024, 12, 16, 12, 0, tzinfo=UTC)
    assert _warehouse(data_dir, now=late, scheduled_since={})["freshness"].height == 0  # nothing scheduled
    started = {"ecb": dt.datetime(2024, 12, 11, 9, 0, tzinfo=UTC)}
    (finding,) = _warehouse(data_dir, now=late, scheduled_since=started)["freshness"].iter_rows(named=True)
    assert finding["source"] == "ecb" and finding["observed"] == 3  # Dec 11, 12, 13: due since the schedule started
    assert "scheduled since 2024-12-11 09:00 UTC" in finding["detail"]


def test_freshness_reads_each_sources_newest_month_however_far_apart(data_dir, monkeypatch):
    csv = FIXTURES / "ecb" / "eurofxref-hist-2024-11-20_2024-12-03.csv"
    pipeline.land_input(data_dir, csv.read_bytes(), name="20241203T160000Z.csv", source="ecb")
    pipeline.parse_partitions(data_dir, "ecb", [dt.date(2024, 12, 3)])
    add_page(data_dir, dt.date(2025, 6, 2), BASE_RATES)  # another source, six months newer
    windows = []
    connect = sqlmodels.connect
    monkeypatch.setattr(sqlmodels, "connect", lambda *a, **k: windows.append(k.get("months")) or connect(*a, **k))
    scope = quality.Scope(data_dir, "fx_rates", "rates", now=dt.datetime(2025, 6, 3, 12, 0, tzinfo=UTC),
                          scheduled_since={"ecb": dt.datetime(2024, 12, 1, tzinfo=UTC)})
    (outcome,) = checking.run_checks(scope, ["freshness"])
    # the check of the warehouse as of now reads each source's newest month (found by a listing), not the history
    assert windows == [[dt.date(2024, 12, 1), dt.date(2025, 6, 1)]]
    (finding,) = outcome.findings.iter_rows(named=True)
    assert finding["source"] == "ecb" and "newest rates date is 2024-12-03" in finding["detail"]


def test_a_history_chart_reads_a_bounded_number_of_months(monkeypatch):
    from dagster_project.defs.models.assets import chart_months

    monkeypatch.delenv("MDW_CHART_YEARS", raising=False)
    daily = chart_months([dt.date(2026, 10, 1)])
    assert (daily[0], daily[-1], len(daily)) == (dt.date(2021, 11, 1), dt.date(2026, 10, 1), 60)
    year = chart_months(storage.months_between(dt.date(2020, 1, 1), dt.date(2020, 12, 1)))
    assert (year[0], year[-1]) == (dt.date(2016, 1, 1), dt.date(2020, 12, 1))
    monkeypatch.setenv("MDW_CHART_YEARS", "0")
    assert chart_months([dt.date(2026, 10, 1)]) is None  # the whole history


def test_the_schedule_start_comes_from_the_instance():
    from types import SimpleNamespace

    from dagster._core.scheduler.instigation import InstigatorStatus

    from dagster_project.defs.quality.checks import _scheduled_since

    def state(name, status, stamp):
        return SimpleNamespace(instigator_name=name, status=status, instigator_data=SimpleNamespace(start_timestamp=stamp))

    states = [state("ecb_daily", InstigatorStatus.DECLARED_IN_CODE, 1733907600.0),
              state("page_snapshots", InstigatorStatus.STOPPED, 1733907600.0)]
    context = SimpleNamespace(instance=SimpleNamespace(all_instigator_state=lambda **_: states))
    assert _scheduled_since(context) == {"ecb": dt.datetime(2024, 12, 11, 9, 0, tzinfo=UTC)}


def test_checks_across_sources_clear_their_findings_when_one_source_is_left(data_dir):
    _ecb_and_page(data_dir, "6.326022")
    scope = quality.Scope(data_dir, "fx_rates", "rates", None, D, D)
    for name in sqlmodels.MARTS:
        sqlmodels.build_mart(data_dir, name)
    (outcome,) = checking.run_checks(scope, ["source_disagreement"])
    assert subjects(outcome.findings) == {"BRL"}
    storage.partition_path(data_dir / "warehouse", "rates", "ecb", D).unlink()  # the ECB's month is gone
    (outcome,) = checking.run_checks(scope, ["source_disagreement"])
    assert outcome.findings.height == 0
    assert sqlmodels.connect(data_dir).execute("select count(*) from dq_findings where check_name = 'source_disagreement'").fetchone() == (0,)
