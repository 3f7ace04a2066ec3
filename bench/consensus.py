"""`fx_rates_consensus` for one date, warm, on the full 27-year ECB history plus the bundled page (issue 23's target:
<= 50 ms). The bundled ECB zip and page are landed and parsed into a temp data dir, the rate marts built (the consensus
among them), then one date's consensus is read from a fresh connection: the median of 30 reads after a warm-up.
`python -m bench.consensus` runs it alone; bench/run.py adds its row to the history table."""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ECB = REPO / "data" / "bundled" / "ecb" / "20261030T155600Z.zip"
PAGE = REPO / "data" / "bundled" / "page" / "20241128T120000Z.txt"
DAY = "2024-11-28"  # the page's date: ECB and page quotes blended, pegs snapped
TARGET_MS = 50


def measure(repeat: int = 30) -> list[tuple]:
    with tempfile.TemporaryDirectory(prefix="mdw-consensus-") as name:
        data = Path(name) / "data"
        before = os.environ.get("MDW_DATA_DIR")
        os.environ["MDW_DATA_DIR"] = str(data)  # before the project's imports (every call below names `data` too)
        try:
            return _measure(data, repeat)
        finally:
            if before is None:
                os.environ.pop("MDW_DATA_DIR", None)
            else:
                os.environ["MDW_DATA_DIR"] = before


def _measure(data: Path, repeat: int) -> list[tuple]:
    from dagster_project import pipeline, sqlmodels, storage

    pipeline.land_input(data, ECB.read_bytes(), name=ECB.name, source="ecb")
    pipeline.land_input(data, PAGE.read_bytes(), name=PAGE.name, source="page")
    pipeline.parse_partitions(data, "ecb", storage.months_between(dt.date(1999, 1, 1), dt.date(2026, 10, 1)))
    pipeline.parse_partitions(data, "page", [dt.date(2024, 11, 1)])
    started = time.perf_counter()
    for mart in ("fx_rates", "fx_rates_consensus"):
        sqlmodels.build_mart(data, mart)
    build_s = time.perf_counter() - started
    con = sqlmodels.connect(data)
    query = "select * from fx_rates_consensus where date = $d"
    rows = con.execute(query, {"d": DAY}).fetchall()  # warm
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        con.execute(query, {"d": DAY}).fetchall()
        samples.append(time.perf_counter() - t)
    total = con.execute("select count(*), count(distinct date) from fx_rates_consensus").fetchone()
    con.close()
    ms = statistics.median(samples) * 1000
    return [(f"`fx_rates_consensus` for one date ({DAY}), warm", f"27-year ECB history + the bundled page: {total[0]:,} rows over "
             f"{total[1]:,} dates (built in {build_s:.1f} s with fx_rates); {len(rows)} currencies that day, median of {repeat}",
             f"{ms:.1f} ms", f"<= {TARGET_MS} ms",
             "met" if ms <= TARGET_MS else f"**missed** by {ms / TARGET_MS:.2f}x ({ms:.1f} ms vs {TARGET_MS} ms)")]


if __name__ == "__main__":
    from bench import history

    print(history.table(measure(repeat=int(sys.argv[1]) if len(sys.argv) > 1 else 30)))
