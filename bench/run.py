"""`make bench`: how fast the warehouse is against the best possible and against what users would use instead.

Not part of `make test` (timings on a noisy 2-core machine do not belong in unit tests). Measured in one run:

1. The full ECB history backfilled through the project's real assets and checks (one single-run backfill),
   against the Dagster floor: the same partitioned asset graph and checks with bodies that do nothing, on the
   same kind of instance (an in-memory one for both, so the ratio is not drowned by sqlite's fsyncs).
2. The model build's data work against a bare DuckDB script computing the same marts from the same Parquet.
3. Against what a user would use instead: pandas for daily change and cross-rates; the `currencyconverter`
   library for one pair over the whole history.
4. Scale: a seeded synthetic market (bench/synthetic.py) at 1x, 4x and 16x: ingest and model build time and
   peak RSS, each in a fresh process.
5. Query latency on the 16x warehouse (170 currencies): one pair's full-history cross-rate series, and one
   day's full cross matrix, warm.

Writes a Markdown table to bench/results.md and prints it.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results.md"
REPO = Path(__file__).resolve().parent.parent


def timed(fn, repeat: int = 30) -> float:
    fn()  # warm
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return statistics.median(samples) * 1000


def verdict(value: float, target: float, unit: str = "") -> str:
    return "met" if value <= target else f"**missed** by {value / target:.2f}x ({value:.2f}{unit} vs {target}{unit})"


# ------------------------------------------------------------------------------------ 1. the floor

def _event_counts(result) -> collections.Counter:
    return collections.Counter(e.event_type_value for e in result.all_events)


def floor_definitions(defs, selection: list[str]):
    """The same partitioned graph as ``selection`` (keys, deps, partitions, backfill policy, checks) with bodies
    that do nothing."""
    import dagster as dg

    graph = defs.resolve_asset_graph()
    keys = [dg.AssetKey(a) for a in selection]
    assets = []
    for key in keys:
        node = graph.get(key)
        deps = [p for p in node.parent_keys if p in keys]

        @dg.asset(key=key, deps=deps, partitions_def=node.partitions_def, backfill_policy=node.backfill_policy,
                  name=None)
        def _noop():
            return dg.MaterializeResult()

        assets.append(_noop)
    checks = []
    for key in keys:
        specs = [graph.get_check_spec(k) for k in graph.asset_check_keys if k.asset_key == key]
        if not specs:
            continue

        @dg.multi_asset_check(name=f"{key.to_user_string()}_noop_checks", specs=specs, can_subset=True)
        def _noop_checks(context):
            for k in context.selected_asset_check_keys:
                yield dg.AssetCheckResult(asset_key=k.asset_key, check_name=k.name, passed=True)

        checks.append(_noop_checks)
    return dg.Definitions(assets=assets, asset_checks=checks)


def backfill_vs_floor(data: Path, first: str, last: str) -> list[tuple]:
    import warnings

    import dagster as dg

    warnings.filterwarnings("ignore")
    from dagster_project import runner
    from dagster_project.defs.models.assets import MODEL_ASSETS
    from dagster_project.defs.sources.assets import SOURCE_ASSETS
    from dagster_project.defs.sources.partitions import range_tags

    selection = SOURCE_ASSETS["ecb"] + MODEL_ASSETS
    quiet = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
    floor_job = floor_definitions(runner.definitions(), selection).resolve_implicit_global_asset_job_def()
    t = time.perf_counter()
    floor = floor_job.execute_in_process(instance=dg.DagsterInstance.ephemeral(), tags=range_tags(first, last),
                                         run_config=quiet)
    floor_s = time.perf_counter() - t
    t = time.perf_counter()
    real = runner.materialize(selection, start=first, end=last, inst=dg.DagsterInstance.ephemeral())
    real_s = time.perf_counter() - t
    assert floor.success and real.success, runner.failure_message(real)
    fe, re_ = _event_counts(floor), _event_counts(real)
    parts = (dt.date.fromisoformat(last) - dt.date.fromisoformat(first)).days + 1
    def events(c):
        return c["ASSET_MATERIALIZATION"] + c["ASSET_MATERIALIZATION_PLANNED"]
    over = real_s / floor_s - 1
    return [
        ("1. Dagster floor: full ECB history, same graph and checks, no-op bodies (one run)",
         f"{parts:,} partitions x 2 assets; {events(fe):,} partition events, {sum(fe.values()):,} events",
         f"{floor_s:.1f} s ({floor_s / max(events(fe), 1) * 1000:.2f} ms/partition event)", "-", "-"),
        ("1. Project: the same backfill through the real assets, checks and models",
         f"{events(re_):,} partition events, {sum(re_.values()):,} events",
         f"{real_s:.1f} s", "<= 1.25x floor", f"{real_s / floor_s:.2f}x floor (+{over:.0%}): "
         + ("met" if over <= 0.25 else f"**missed** by {over - 0.25:.0%} points")),
    ]


# ------------------------------------------------------------------------- 2. and 3. data work

BARE_MARTS = {
    "fx_rates": """
        copy (select date, source, base, currency, rate, rate_text, captured_at from (
            select *, row_number() over (partition by date, source, currency order by captured_at desc, raw_file desc) as nth
            from read_parquet('{w}/rates/*/*/*.parquet', hive_partitioning = true)) where nth = 1
            order by source, currency, date) to '{o}/fx_rates.parquet' (format parquet, compression zstd)""",
    "fx_daily_change": """
        copy (select date, source, base, currency, rate, lag(date) over w as prev_date, lag(rate) over w as prev_rate,
            rate - lag(rate) over w as change, rate / lag(rate) over w - 1 as change_pct
            from read_parquet('{o}/fx_rates.parquet') window w as (partition by source, base, currency order by date)
            order by source, currency, date) to '{o}/fx_daily_change.parquet' (format parquet, compression zstd)""",
}


def models_vs_bare(data: Path) -> list[tuple]:
    import duckdb

    from dagster_project import sqlmodels

    ours = {}
    for mart in sqlmodels.MARTS:
        ours[mart] = sqlmodels.build_mart(data, mart).seconds
    ours_s = ours["fx_rates"] + ours["fx_daily_change"]

    def bare():
        con = duckdb.connect()
        with tempfile.TemporaryDirectory() as out:
            for sql in BARE_MARTS.values():
                con.execute(sql.format(w=data / "warehouse", o=out))
        con.close()

    t = time.perf_counter()
    bare()
    bare_s = time.perf_counter() - t
    return [("2. Model build, data work: fx_rates + fx_daily_change (with quality flags, metadata)",
             "221,702 rates", f"{ours_s:.2f} s vs bare DuckDB script {bare_s:.2f} s", "<= 2x bare",
             f"{ours_s / bare_s:.2f}x: " + ("met" if ours_s <= 2 * bare_s else "**missed**"))]


def against_alternatives(data: Path, zip_path: Path) -> list[tuple]:
    import pandas as pd

    from dagster_project import sqlmodels

    con = sqlmodels.connect(data)
    pair_sql = "select date, rate from fx_cross_rates where source = 'ecb' and base = 'USD' and quote = 'JPY' order by date"
    n_pair = len(con.execute(pair_sql).fetchall())
    ours_pair_ms = timed(lambda: con.execute(pair_sql).fetchall(), repeat=10)

    def ours_change():
        return con.execute("select count(*) from fx_daily_change").fetchone()

    def pandas_all():
        frame = pd.read_parquet(data / "warehouse" / "rates")
        frame = frame.sort_values("captured_at").drop_duplicates(["date", "source", "currency"], keep="last")
        frame = frame.sort_values(["source", "currency", "date"])
        frame["prev_rate"] = frame.groupby(["source", "currency"])["rate"].shift()
        frame["change_pct"] = frame["rate"] / frame["prev_rate"] - 1
        wide = frame[frame["source"] == "ecb"].pivot(index="date", columns="currency", values="rate")
        wide["EUR"] = 1.0
        series = wide["JPY"] / wide["USD"]
        day = wide.loc[pd.Timestamp("2024-11-28").date()] if pd.Timestamp("2024-11-28").date() in wide.index else wide.iloc[-1]
        matrix = pd.DataFrame(day.values[None, :] / day.values[:, None], index=day.index, columns=day.index)
        return len(frame), series.dropna().shape[0], matrix.shape

    t = time.perf_counter()
    ours_change()
    ours_pair = con.execute(pair_sql).fetchall()
    con.execute("select * from fx_cross_rates where source = 'ecb' and date = '2024-11-28'").fetchall()
    ours_s = time.perf_counter() - t
    t = time.perf_counter()
    pandas_all()
    pandas_s = time.perf_counter() - t
    rows = [("3. pandas: daily change + one pair's series + one day's matrix, from the same Parquet",
             f"{n_pair:,}-row series", f"pandas {pandas_s:.2f} s vs warehouse {ours_s * 1000:.0f} ms",
             "report", f"warehouse {pandas_s / ours_s:.0f}x faster")]
    try:
        from currency_converter import CurrencyConverter
    except ImportError:
        return [*rows, ("3. currencyconverter: one pair over the whole history", "-", "not installed", "report", "-")]
    cc = CurrencyConverter(str(zip_path), fallback_on_missing_rate=False, fallback_on_wrong_date=False)
    dates = [d for d, _ in ours_pair]

    def cc_series():
        return [cc.convert(1, "USD", "JPY", date=d) for d in dates]

    t = time.perf_counter()
    theirs = cc_series()
    cc_s = time.perf_counter() - t
    worst = max(abs(a / b[1] - 1) for a, b in zip(theirs, ours_pair))
    rows.append(("3. currencyconverter 0.18: USD/JPY on every ECB date (its own loop over convert())",
                 f"{len(dates):,} dates; max relative difference {worst:.1e}",
                 f"currencyconverter {cc_s * 1000:.0f} ms vs warehouse {ours_pair_ms:.1f} ms", "report",
                 f"warehouse {cc_s * 1000 / ours_pair_ms:.1f}x faster"))
    return rows


# --------------------------------------------------------------------------------- 4. and 5. scale

def scale_points(tmp: Path) -> tuple[list[tuple], Path]:
    results = {}
    for scale in (1, 4, 16):
        folder = tmp / f"scale{scale}"
        for step in ("generate", "ingest"):
            proc = subprocess.run([sys.executable, "-m", "bench.synthetic", step, str(scale), str(folder)], cwd=REPO,
                                  capture_output=True, text=True, env={**os.environ, "MDW_DATA_DIR": str(folder)})
            if proc.returncode:
                raise RuntimeError(proc.stderr[-2000:])
        results[scale] = json.loads(proc.stdout.strip().splitlines()[-1])
    rows = []
    base = results[1]
    for scale, r in results.items():
        work = r["ingest_s"] + r["model_s"]
        growth = work / (base["ingest_s"] + base["model_s"])
        rows.append((f"4. Scale {scale}x: ingest + model build (synthetic, fresh process)",
                     f"{r['rates']:,} rates ({r['currencies']} ccy x {r['rate_days']:,} days), "
                     f"{r['ticker_rows']:,} ticker rows ({r['tickers']:,} x {r['ticker_sessions']:,} sessions)",
                     f"ingest {r['ingest_s']:.1f} s + models {r['model_s']:.1f} s = {work:.1f} s ({growth:.1f}x of 1x); "
                     f"peak RSS {r['peak_rss_mb']:,.0f} MB",
                     "16x data <= 20x time; RSS < 2 GB" if scale == 16 else "-",
                     (("time " + verdict(growth, 20.0, "x") + "; RSS " + verdict(r["peak_rss_mb"], 2048.0, " MB"))
                      if scale == 16 else "-")))
    return rows, tmp / "scale16"


def query_latency(data: Path) -> list[tuple]:
    from dagster_project import sqlmodels

    con = sqlmodels.connect(data)
    last = con.execute("select max(date) from fx_rates where source = 'ecb'").fetchone()[0]
    n_ccy = con.execute("select count(*) from fx_rates where source = 'ecb' and date = ?", [last]).fetchone()[0]
    pair = "select date, rate from fx_cross_rates where source = 'ecb' and base = 'USD' and quote = 'JPY' order by date"
    matrix = f"select base, quote, rate from fx_cross_rates where source = 'ecb' and date = '{last}'"
    n_pair = len(con.execute(pair).fetchall())
    n_matrix = len(con.execute(matrix).fetchall())
    pair_ms, matrix_ms = timed(lambda: con.execute(pair).fetchall()), timed(lambda: con.execute(matrix).fetchall())
    return [
        ("5. One pair's full-history cross-rate series, warm (16x warehouse)", f"{n_pair:,} rows (27 years)",
         f"{pair_ms:.1f} ms", "< 20 ms", verdict(pair_ms, 20, " ms")),
        (f"5. One day's full cross matrix, warm ({n_ccy} currencies + EUR)", f"{n_matrix:,} pairs",
         f"{matrix_ms:.1f} ms", "< 50 ms", verdict(matrix_ms, 50, " ms")),
    ]


def main() -> None:
    from bench import history, objectstore, postgres, versions

    started = time.perf_counter()
    history_rows = history.measure()
    history_rows += __import__("bench.tickers", fromlist=["measure"]).measure()  # issue 24: tickers with corporate actions
    history_rows += __import__("bench.consensus", fromlist=["measure"]).measure()  # issue 23: one date's consensus, warm
    print(history.table(history_rows), flush=True)
    try:
        pg_rows = postgres.backfill_postgres_vs_sqlite() + postgres.parallel_vs_one()
    except FileNotFoundError as exc:  # no Postgres server binaries on this machine
        pg_rows = [("Dagster on Postgres", f"not measured: {exc}")]
    print(pg_rows, flush=True)
    s3_rows = objectstore.lake_s3_vs_local()
    print(s3_rows, flush=True)
    with tempfile.TemporaryDirectory(prefix="mdw-bench-") as tmp_name:
        tmp = Path(tmp_name)
        data = tmp / "ecb"
        os.environ["MDW_DATA_DIR"] = str(data)
        os.environ["DAGSTER_HOME"] = str(tmp / "dagster_home")
        (tmp / "dagster_home").mkdir()
        from dagster_project import sources
        from dagster_project.settings import ECB_FIRST_DATE

        zip_path = Path(sources.SOURCES["ecb"].default_location)
        rows = backfill_vs_floor(data, ECB_FIRST_DATE, str(sources.bundled_last_date()))
        print(rows[-1], flush=True)
        rows += models_vs_bare(data)
        rows += against_alternatives(data, zip_path)
        rows += versions.measure(data)  # issue 22: fx_rates_known_at, fx_convert with and without known_at
        print(rows[-1], flush=True)
        scale_rows, big = scale_points(tmp)
        rows += scale_rows
        rows += query_latency(big)
    total = time.perf_counter() - started
    header = (f"# Benchmark results\n\nMachine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
              f"run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC with `make bench` in {total / 60:.1f} min "
              "(target: under 10 min). Latencies are medians of 30 warm runs.\n\n")
    table = "| measure | size | result | target | verdict |\n|---|---|---|---|---|\n" + "\n".join(
        "| " + " | ".join(str(c) for c in r) + " |" for r in rows) + "\n"
    scale = ("## History at scale (issue 11)\n\nThrough the real `mdw` commands in fresh processes and data dirs, "
             "on the embedded default (SQLite Dagster home); `python -m bench.history` runs this part alone.\n\n"
             + history.table(history_rows)
             + "\n## Dagster on Postgres (issue 12)\n\nA throwaway Postgres 15 on this machine (`python -m bench.postgres`).\n\n"
             + "| measure | result |\n|---|---|\n" + "\n".join(f"| {a} | {b} |" for a, b in pg_rows) + "\n"
             + "\n## The lake on object storage (issue 12)\n\nA moto S3 endpoint on 127.0.0.1 in its own process "
             "(`python -m bench.objectstore`): a stand-in for the S3 API, not for AWS's latency.\n\n"
             + "| measure | result |\n|---|---|\n" + "\n".join(f"| {a} | {b} |" for a, b in s3_rows) + "\n"
             + "\n## Against the floor and the alternatives\n\n")
    RESULTS.write_text(header + scale + table)
    print(header + scale + table)


if __name__ == "__main__":
    main()
