"""Tickers with corporate actions at scale (issue 24), through the real `mdw ingest` in a fresh process and data dir:

1. 500 symbols x 20 years of OHLCV with splits and dividends (a seeded synthetic export, one CSV), landed, parsed,
   checked and modelled by `mdw ingest`: wall seconds and peak RSS;
2. one symbol's 20-year adjusted series (``ticker_adjusted_closes``), warm, in an in-memory DuckDB over that
   warehouse: the median of 30 runs;
3. the same ingest at 1x and 4x of a 16th of the symbols (31, 125; the 500 above are 16x): wall seconds and peak RSS
   against the 1x run's, so a cost that grows faster than the data shows.

    python -m bench.tickers [--symbols N] [--no-scaling]

bench/run.py adds these rows to the history table of bench/results.md.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import sys
import tempfile
from pathlib import Path

from bench.history import env_for, timed_mdw, verdict

FIRST, LAST = dt.date(2005, 1, 1), dt.date(2024, 12, 31)


def ohlcv_export(path: Path, symbols: int, seed: int = 24) -> tuple[int, int, int]:
    """A seeded synthetic vendor export, ``date,symbol,open,high,low,close,volume,dividend,split``: each symbol a
    random walk over the XNYS sessions, a quarterly dividend and a 2:1 or 3:1 split now and then (the close falls by
    the ratio on its ex-date, as unadjusted closes do). Rows, dividends, splits."""
    from dagster_project import sessions

    rng = random.Random(seed)
    days = sorted(sessions.session_dates("XNYS", FIRST, LAST))
    prices = [rng.uniform(10, 300) for _ in range(symbols)]
    dividends = splits = 0
    with open(path, "w") as fh:
        fh.write("date,symbol,open,high,low,close,volume,dividend,split\n")
        for k, day in enumerate(days):
            for s in range(symbols):
                ratio = rng.choice((2, 3)) if rng.random() < 1 / 2500 and prices[s] > 60 else 1
                dividend = round(prices[s] * 0.005, 2) if (k + s) % 63 == 0 else 0.0
                opened = prices[s] / ratio * (1 + rng.gauss(0, 0.005))
                prices[s] = prices[s] / ratio * (1 + rng.gauss(0, 0.015)) - dividend
                high, low = max(opened, prices[s]) * 1.004, min(opened, prices[s]) * 0.996
                fh.write(f"{day},S{s:03d},{opened:.2f},{high:.2f},{low:.2f},{prices[s]:.2f},{rng.randint(10_000, 5_000_000)},"
                         f"{dividend:g},{ratio}\n")
                dividends += dividend > 0
                splits += ratio != 1
    return len(days) * symbols, dividends, splits


def ingest(tmp: Path, symbols: int) -> tuple[int, int, int, int, float, float, Path]:
    """A seeded export of ``symbols`` through `mdw ingest` in a fresh process and data dir: rows, dividends, splits,
    bytes, wall seconds, peak RSS (MB) and the data dir."""
    root = tmp / f"tickers{symbols}"
    root.mkdir()
    export = root / "20241231T220000Z.csv"
    rows, dividends, splits = ohlcv_export(export, symbols)
    (root / "no-feed").mkdir()  # only this export: the bundled ticker history's 2005 would win those months
    env = env_for(root, MDW_TICKER_CSV_LOCATION=str(root / "no-feed"))
    wall, rss, _ = timed_mdw(["ingest", str(export)], env, tmp)
    return rows, dividends, splits, export.stat().st_size, wall, rss, Path(env["MDW_DATA_DIR"])


def measure(symbols: int = 500, scaling: bool = True) -> list[tuple]:
    with tempfile.TemporaryDirectory(prefix="mdw-tickers-") as name:
        tmp = Path(name)
        rows, dividends, splits, size, wall, rss, data = ingest(tmp, symbols)
        ms, adjusted_rows = adjusted_series_ms(data)
        smaller = [(n, *ingest(tmp, n)[4:6]) for n in (round(symbols / 16), round(symbols / 4))] if scaling else []
    out = [
        (f"{symbols} symbols x 20 years of OHLCV with actions (seeded synthetic CSV) via `mdw ingest`",
         f"{rows:,} rows ({dividends:,} dividends, {splits:,} splits), {size / 2**20:.0f} MB; 240 months, "
         "checks and ticker models", f"{wall:.1f} s wall, {rss:.0f} MB peak RSS", "<= 90 s, <= 1.5 GB RSS",
         "met" if wall <= 90 and rss <= 1536 else f"**missed** ({verdict(wall, 90, ' s')}; {verdict(rss, 1536, ' MB')})"),
        ("one symbol's 20-year adjusted series, warm", f"`ticker_adjusted_closes('2024-12-31', symbol_name := 'S001')`: "
         f"{adjusted_rows:,} sessions, median of 30", f"{ms:.1f} ms", "<= 20 ms", verdict(ms, 20, " ms")),
    ]
    if smaller:
        (n1, wall1, rss1), (n4, wall4, rss4) = smaller
        out.append((f"the same ingest at 1x / 4x / 16x ({n1} / {n4} / {symbols} symbols)", "fresh process and data dir each",
                    f"{wall1:.1f} / {wall4:.1f} / {wall:.1f} s wall, {rss1:.0f} / {rss4:.0f} / {rss:.0f} MB peak RSS",
                    "near-linear", f"16x the data: {wall / wall1:.1f}x the time, {rss / rss1:.1f}x the memory"))
    return out


def adjusted_series_ms(data_dir: Path) -> tuple[float, int]:
    os.environ["MDW_DATA_DIR"] = str(data_dir)
    from bench.run import timed
    from dagster_project import sqlmodels

    con = sqlmodels.connect(data_dir)
    query = "select * from ticker_adjusted_closes('2024-12-31', symbol_name := 'S001', source_name := 'ticker_csv')"
    n = len(con.execute(query).fetchall())
    ms = timed(lambda: con.execute(query).fetchall())
    con.close()
    return ms, n


if __name__ == "__main__":
    from bench.history import table

    count = int(sys.argv[sys.argv.index("--symbols") + 1]) if "--symbols" in sys.argv else 500
    print(table(measure(count, scaling="--no-scaling" not in sys.argv)))
