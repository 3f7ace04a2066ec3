"""A seeded synthetic market: 170 currencies over 27 years of business days, 5,000 tickers over 10 years of
NYSE sessions, written as the raw files real sources send (ECB-style history CSVs, ticker CSV exports,
one file per year), then ingested and modelled through the project's own code.

Run as ``python -m bench.synthetic generate SCALE DATA_DIR`` then ``python -m bench.synthetic ingest SCALE
DATA_DIR``: each prints one JSON line; the second has the sizes, the seconds and the peak RSS of its own
process (so each scale is measured in a fresh process, without the generator's memory). ``SCALE`` is 1, 4 or
16: the fraction SCALE/16 of the full market's days (so 16 is the full 27 years and 10 years).
"""

from __future__ import annotations

import datetime as dt
import json
import resource
import sys
import time
from pathlib import Path

import iso4217

CURRENCIES = 170
TICKERS = 5_000
RATE_YEARS = 27
TICKER_YEARS = 10
FULL = 16


def currencies() -> list[str]:
    codes = sorted(c.code for c in iso4217.Currency if c.code != "EUR")
    return codes[:CURRENCIES]


def rate_days(scale: int) -> list[dt.date]:
    end = dt.date(2026, 10, 30)
    start = end - dt.timedelta(days=round(RATE_YEARS * 365.25 * scale / FULL))
    return [start + dt.timedelta(days=k) for k in range((end - start).days + 1) if (start + dt.timedelta(days=k)).weekday() < 5]


def ticker_sessions(scale: int) -> list[dt.date]:
    from dagster_project import sessions

    end = dt.date(2026, 10, 30)
    start = end - dt.timedelta(days=round(TICKER_YEARS * 365.25 * scale / FULL))
    cal = sessions.calendar("XNYS")
    return [d.date() for d in cal.sessions_in_range(start.isoformat(), end.isoformat())]


def write_rates(folder: Path, days: list[dt.date], seed: int = 1) -> list[Path]:
    """ECB-style history CSVs (units per 1 EUR), one per year: Date,AED,AFN,...; newest day first."""
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(seed)
    codes = currencies()
    vol = rng.uniform(0.001, 0.012, size=len(codes))
    level = np.exp(rng.uniform(-2, 9, size=len(codes)) + np.cumsum(rng.normal(0, 1, (len(days), len(codes))) * vol, axis=0))
    frame = pl.DataFrame(level, schema=codes).insert_column(0, pl.Series("Date", days))
    files = []
    for (year,), part in frame.group_by(pl.col("Date").dt.year(), maintain_order=True):
        path = folder / f"{year}1231T160000Z.csv"
        part.sort("Date", descending=True).write_csv(path, float_precision=6, date_format="%Y-%m-%d")
        files.append(path)
    return files


def write_tickers(folder: Path, days: list[dt.date], seed: int = 2) -> list[Path]:
    """Ticker CSV exports (date,symbol,close,change,change_pct), one per year."""
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(seed)
    start = rng.uniform(5, 500, size=TICKERS)
    close = np.maximum(np.round(np.exp(np.log(start) + np.cumsum(rng.normal(0, 0.015, (len(days), TICKERS)), axis=0)), 2), 0.5)
    previous = np.vstack([np.round(start, 2), close[:-1]])
    change = close - previous
    symbols = np.array([f"T{k:04d}" for k in range(TICKERS)])
    files, row = [], 0
    for year in sorted({d.year for d in days}):
        n = sum(1 for d in days if d.year == year)
        block = slice(row, row + n)
        part = pl.DataFrame({
            "date": np.repeat(np.array(days[block], dtype="datetime64[D]"), TICKERS),
            "symbol": np.tile(symbols, n),
            "close": close[block].ravel(),
            "change": change[block].ravel(),
            "change_pct": (100 * change[block] / previous[block]).ravel(),
        })
        path = folder / f"{year}1231T220000Z.csv"
        part.write_csv(path, float_precision=2, date_format="%Y-%m-%d")
        files.append(path)
        row += n
    return files


def peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM). Not ru_maxrss: Linux carries that over exec() from the parent."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generate(scale: int, data: Path) -> dict:
    inbox = data / "generated"
    inbox.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    write_rates(inbox, rate_days(scale))
    write_tickers(inbox, ticker_sessions(scale))
    return {"generate_s": time.perf_counter() - t}


def main(scale: int, data: Path) -> dict:
    """Ingest the generated files (land + parse, one yearly file at a time) and build the marts."""
    from dagster_project import pipeline, sqlmodels, storage

    inbox = data / "generated"
    rate_files = sorted(inbox.glob("*T160000Z.csv"))
    ticker_files = sorted(inbox.glob("*T220000Z.csv"))
    days, sessions_ = rate_days(scale), ticker_sessions(scale)
    t = time.perf_counter()
    rows = {"rates": 0, "tickers": 0}
    for source, files in (("ecb", rate_files), ("ticker_csv", ticker_files)):
        for f in files:  # one file (one year) at a time, as a chunked backfill would: memory stays bounded
            first, last = pipeline.land_input(data, f.read_bytes(), name=f.name, source=source).dates
            stats = pipeline.parse_partitions(data, source, storage.months_between(first, last))
            for k, v in stats.rows.items():
                rows[k] = rows.get(k, 0) + v
    ingest_s = time.perf_counter() - t
    t = time.perf_counter()
    for mart in sqlmodels.MARTS:
        sqlmodels.build_mart(data, mart)
    model_s = time.perf_counter() - t
    peak = peak_rss_mb()
    return {"scale": scale, "rate_days": len(days), "currencies": CURRENCIES, "ticker_sessions": len(sessions_),
            "tickers": TICKERS, "rates": rows["rates"], "ticker_rows": rows["tickers"],
            "ingest_s": ingest_s, "model_s": model_s, "peak_rss_mb": peak}


if __name__ == "__main__":
    step, scale, folder = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
    print(json.dumps(generate(scale, folder) if step == "generate" else main(scale, folder)))
