"""`make bench`: query latency on the full bundled ECB history (not part of `make test`).

Loads the whole ECB history (1999-01-04 .. 2026-10-30) into a temporary warehouse through the same
landing/parsing/model code the assets run, then times warm queries against their targets. Writes a
Markdown table to bench/results.md and prints it.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

from dagster_project import pipeline, sqlmodels
from dagster_project.settings import DEFAULTS, ECB_FIRST_DATE

RESULTS = Path(__file__).parent / "results.md"


def timed(fn, repeat: int = 30) -> float:
    fn()  # warm
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return statistics.median(samples) * 1000


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory(prefix="mdw-bench-") as tmp:
        data = Path(tmp)
        zip_path = Path(DEFAULTS["MDW_ECB_LOCATION"])
        t = time.perf_counter()
        landed = pipeline.land_input(data, zip_path.read_bytes(), name=zip_path.name, source="ecb")
        first, last = dt.date.fromisoformat(ECB_FIRST_DATE), landed.raw.last
        days = [first + dt.timedelta(k) for k in range((last - first).days + 1)]
        stats = pipeline.parse_partitions(data, "ecb", days)
        parse_s = time.perf_counter() - t
        t = time.perf_counter()
        for mart in sqlmodels.MARTS:
            sqlmodels.build_mart(data, mart)
        model_s = time.perf_counter() - t
        con = sqlmodels.connect(data)
        pair = ("select date, rate from fx_cross_rates where source = 'ecb' and base = 'USD' and quote = 'JPY' order by date")
        n_pair = len(con.execute(pair).fetchall())
        pair_ms = timed(lambda: con.execute(pair).fetchall())
        matrix = "select base, quote, rate from fx_cross_rates where source = 'ecb' and date = '2024-11-28'"
        n_matrix = len(con.execute(matrix).fetchall())
        matrix_ms = timed(lambda: con.execute(matrix).fetchall())
        rows = [
            ("parse full ECB history into partitions (no Dagster)", f"{stats.rows['rates']:,} rates, {stats.partitions['rates']:,} partitions",
             f"{parse_s:.1f} s", "-", "-"),
            ("build all marts (DuckDB)", f"{len(sqlmodels.MARTS)} marts", f"{model_s:.2f} s", "-", "-"),
            ("one pair's full-history cross-rate series, warm (USD/JPY)", f"{n_pair:,} rows", f"{pair_ms:.1f} ms", "< 20 ms",
             "met" if pair_ms < 20 else f"missed by {pair_ms / 20:.1f}x"),
            ("one day's full cross matrix, warm (ECB, 31 currencies)", f"{n_matrix:,} pairs", f"{matrix_ms:.1f} ms", "< 50 ms",
             "met" if matrix_ms < 50 else f"missed by {matrix_ms / 50:.1f}x"),
        ]
    header = (f"# Benchmark results\n\nMachine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
              f"run {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC with `make bench`. Latencies are medians of 30 warm runs.\n\n")
    table = "| measure | size | result | target | verdict |\n|---|---|---|---|---|\n" + "\n".join(
        "| " + " | ".join(r) + " |" for r in rows) + "\n"
    RESULTS.write_text(header + table)
    print(header + table)


if __name__ == "__main__":
    main()
