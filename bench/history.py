"""History at scale (issue 11): the figures users meet when they load history first, measured through the
real `mdw` commands in fresh processes and fresh data dirs, on the embedded default (a SQLite Dagster home).

    python -m bench.history [--quick]

Each measure has its target; bench/run.py puts this table at the top of bench/results.md.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MDW = Path(sys.executable).parent / "mdw"
ECB_ZIP = REPO / "data" / "bundled" / "ecb" / "20261030T155600Z.zip"


def _peak_rss(stderr: str) -> float:
    match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", stderr)
    return int(match.group(1)) / 1024 if match else float("nan")


def timed_mdw(args: list[str], env: dict, cwd: Path) -> tuple[float, float, str]:
    """`mdw ARGS` under GNU time: wall seconds, peak RSS (MB) and the output."""
    started = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-v", str(MDW), *args], env=env, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"mdw {' '.join(args)} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return wall, _peak_rss(proc.stderr), proc.stdout


def run_seconds(output: str) -> float:
    """The seconds of the runs themselves, summed, as `mdw` prints them ("3 runs in 19.3s (ecb … 6.3s, ecb … 6.0s,
    …)"): without the process start and the catalog refresh."""
    listed = re.search(r"runs? in [\d.]+s \((.*)\)", output.replace("\n", " "))
    return sum(float(x) for x in re.findall(r"(\d+\.\d+)s", listed.group(1))) if listed else float("nan")


def daily_runs(env: dict, cwd: Path, first: str, last: str, repeat: int = 3) -> tuple[float, float]:
    """The run a daily schedule launches, ``repeat`` times: the ECB months of ``first``..``last`` materialized again
    (``--force``, their checks and the FX models). The median seconds of run, as `mdw` prints them, and the largest
    peak RSS (MB)."""
    runs = [timed_mdw(["backfill", "--from", first, "--to", last, "--source", "ecb", "--force"], env, cwd)
            for _ in range(repeat)]
    return statistics.median(run_seconds(out) for _, _, out in runs), max(rss for _, rss, _ in runs)


def env_for(root: Path, **extra) -> dict:
    home = root / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    return {**os.environ, "MDW_DATA_DIR": str(root / "data"), "DAGSTER_HOME": str(home), "COLUMNS": "200", **extra}


def size_of(folder: Path, pattern: str = "*") -> tuple[int, int]:
    files = [p for p in folder.rglob(pattern) if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def ticker_csv(path: Path, symbols: int, first: dt.date, last: dt.date, seed: int) -> int:
    """A seeded synthetic vendor export: ``symbols`` random walks over the XNYS sessions from first to last."""
    from dagster_project import sessions

    rng = random.Random(seed)
    days = sorted(sessions.session_dates("XNYS", first, last))
    prices = [rng.uniform(10, 300) for _ in range(symbols)]
    with open(path, "w") as fh:
        fh.write("date,symbol,close\n")
        for day in days:
            for s in range(symbols):
                prices[s] *= 1 + rng.gauss(0, 0.015)
                fh.write(f"{day},S{s:03d},{prices[s]:.2f}\n")
    return len(days) * symbols


def ecb_backfill(tmp: Path) -> list[tuple]:
    root = tmp / "ecb"
    env = env_for(root)
    wall, _rss, _out = timed_mdw(["backfill", "--from", "1999-01-04", "--to", "2026-10-30", "--source", "ecb"], env, tmp)
    again, _, out2 = timed_mdw(["backfill", "--from", "1999-01-04", "--to", "2026-10-30", "--source", "ecb"], env, tmp)
    _home_files, home_bytes = size_of(root / "dagster_home")
    files, parquet = size_of(root / "data" / "warehouse" / "rates" / "source=ecb", "*.parquet")
    daily_s, daily_rss = daily_runs(env, tmp, "2026-10-30", "2026-10-30")
    return [
        ("full 27-year ECB backfill, embedded default, fresh data dir", "`mdw backfill --from 1999-01-04 --to 2026-10-30 --source ecb` (334 months, 221,702 quotes, checks and FX models)",
         f"{wall:.1f} s wall", "<= 45 s", verdict(wall, 45, " s")),
        ("the same backfill again", "same command", f"{again:.1f} s wall; {'writes nothing' if 'nothing to do' in out2 else 'WROTE'}",
         "<= 5 s, writes nothing", verdict(again, 5, " s") if "nothing to do" in out2 else "**missed**: it wrote"),
        ("Dagster home after it", "SQLite, `du` of DAGSTER_HOME", f"{home_bytes / 2**20:.1f} MB", "<= 30 MB", verdict(home_bytes / 2**20, 30, " MB")),
        ("ECB rates Parquet", "`warehouse/rates/source=ecb`", f"{files} files (334 months), {parquet / 2**20:.2f} MB",
         "<= 1 file per month, <= 4 MB", "met" if files <= 334 and parquet <= 4 * 2**20 else "**missed**"),
        ("one daily ECB run on the full history, checks and models included", "`mdw backfill --from 2026-10-30 --to 2026-10-30 --source ecb --force`, median of 3",
         f"{daily_s:.2f} s run, {daily_rss:.0f} MB peak RSS", "<= 3 s run, <= 400 MB RSS",
         "met" if daily_s <= 3 and daily_rss <= 400 else f"**missed** ({verdict(daily_s, 3, ' s')}; {verdict(daily_rss, 400, ' MB')})"),
    ]


def scaled_daily_runs(tmp: Path, quick: bool) -> list[tuple]:
    """The same daily run on synthetic rate histories of 1x, 4x and 16x (bench/synthetic.py: 170 currencies over
    441, 1,762 and 7,045 days), each loaded by `mdw ingest` of its yearly files."""
    from bench import synthetic

    rows, base = [], None
    for scale in (1, 4) if quick else (1, 4, 16):
        root = tmp / f"scale{scale}"
        files = root / "generated"
        files.mkdir(parents=True)
        days = synthetic.rate_days(scale)
        written = synthetic.write_rates(files, days)
        env = env_for(root, MDW_ECB_LOCATION=str(written[-1]))
        load, load_rss, _ = timed_mdw(["ingest", *map(str, written)], env, tmp)
        last = str(max(days))
        run_s, rss = daily_runs(env, tmp, last, last)
        base = base or run_s
        rates = len(days) * synthetic.CURRENCIES
        target = "within 1.5x of 1x" if scale == 16 else "-"
        rows.append((f"daily run on a {scale}x synthetic history", f"{rates:,} rates ({synthetic.CURRENCIES} ccy x {len(days):,} days); loaded by `mdw ingest` in {load:.1f} s, {load_rss:.0f} MB",
                     f"{run_s:.2f} s run ({run_s / base:.2f}x of 1x), {rss:.0f} MB peak RSS", target,
                     (("met" if run_s <= 1.5 * base else f"**missed**: {run_s / base:.2f}x") if scale == 16 else "-")))
    return rows


def ticker_ingests(tmp: Path, quick: bool) -> list[tuple]:
    rows = []
    cases = [("20-year CSV of 2 index-like closes (seeded synthetic, like the S&P 500 and NASDAQ series)", 2, 10, 1.5 * 1024)]
    if not quick:
        cases.append(("500 tickers x 20 years of sessions (seeded synthetic CSV)", 500, 90, 1.5 * 1024))
    for label, symbols, target_s, target_mb in cases:
        root = tmp / f"tickers{symbols}"
        root.mkdir()
        path = root / "20241231T220000Z.csv"
        n = ticker_csv(path, symbols, dt.date(2005, 1, 1), dt.date(2024, 12, 31), seed=symbols)
        wall, rss, _ = timed_mdw(["ingest", str(path)], env_for(root), tmp)
        rows.append((f"{label} via `mdw ingest`", f"{n:,} rows, {path.stat().st_size / 2**20:.1f} MB; 240 months, checks and ticker models",
                     f"{wall:.1f} s wall, {rss:.0f} MB peak RSS", f"<= {target_s} s" + (", <= 1.5 GB RSS" if symbols > 2 else ""),
                     "met" if wall <= target_s and rss <= target_mb else f"**missed** ({verdict(wall, target_s, ' s')}; {verdict(rss, target_mb, ' MB')})"))
    return rows


def make_run(tmp: Path) -> list[tuple]:
    root = tmp / "makerun"
    wall, _rss, out = timed_mdw(["run"], env_for(root), tmp)
    runs = re.search(r"(\d+) runs in (\d+\.\d+)s", out.replace("\n", " "))
    secs = float(runs.group(2)) if runs else float("nan")
    return [("`make run` (after install): its runs", "`mdw run`: page month with every source, 12 months of ECB, models",
             f"{secs:.1f} s of runs, {wall:.1f} s wall", "<= 15 s", verdict(secs, 15, " s"))]


def verdict(value: float, target: float, unit: str = "") -> str:
    return "met" if value <= target else f"**missed** by {value / target:.2f}x ({value:.1f}{unit} vs {target}{unit})"


def measure(quick: bool = False) -> list[tuple]:
    with tempfile.TemporaryDirectory(prefix="mdw-history-") as name:
        tmp = Path(name)
        rows = ecb_backfill(tmp)
        rows += make_run(tmp)
        rows += ticker_ingests(tmp, quick)
        rows += scaled_daily_runs(tmp, quick)
    return rows


def table(rows: list[tuple]) -> str:
    return "| measure | how | result | target | verdict |\n|---|---|---|---|---|\n" + "\n".join(
        "| " + " | ".join(str(c) for c in r) + " |" for r in rows) + "\n"


if __name__ == "__main__":
    print(table(measure(quick="--quick" in sys.argv)))
