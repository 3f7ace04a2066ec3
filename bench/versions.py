"""Rates as known at a moment and long series (issue 22), warm, on a warehouse holding the full ECB history:

- one pair's 27-year cross-rate series (``fx_cross_rates`` USD/JPY, target <= 10 ms);
- ``fx_convert`` of one amount on one date (target <= 10 ms), without ``known_at`` (it must not get slower because
  of the parameter: the same query is timed with the macro as it was before ``known_at``, alternating, in the same
  session) and with it;
- 100,000 transactions (date, amount, currency; a seeded draw over the history) converted to EUR in one query, a
  join on ``fx_rates_asof`` (target <= 1 s);
- ``fx_rates_known_at`` for one date and all currencies (target <= 50 ms).

``python -m bench.versions DATA_DIR`` measures an existing data dir (a full backfill:
``MDW_DATA_DIR=$d DAGSTER_HOME=$d/dagster_home .venv/bin/mdw backfill --from 1999-01-04 --to 2026-10-30 --source ecb``);
``bench/run.py`` calls ``measure`` on the data dir of its own backfill.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BEFORE_KNOWN_AT = "38e9e7b"  # the last commit of sql/macros/fx_convert.sql before known_at


def _samples(con, query: str, params: list, repeat: int) -> list[float]:
    con.execute(query, params).fetchall()  # warm
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        con.execute(query, params).fetchall()
        out.append(time.perf_counter() - t)
    return out


def _verdict(value: float, target: float) -> str:
    return "met" if value <= target else f"**missed** by {value / target:.2f}x ({value:.1f} ms vs {target} ms)"


def measure(data: Path, repeat: int = 30) -> list[tuple]:
    from dagster_project import sqlmodels

    con = sqlmodels.connect(data)
    pair = "select date, rate from fx_cross_rates where source = 'ecb' and base = 'USD' and quote = 'JPY' order by date"
    n_pair = len(con.execute(pair).fetchall())
    pair_ms = statistics.median(_samples(con, pair, [], repeat)) * 1000
    con.execute("create temp table transactions as select date '1999-01-04' + (hash(i, 'day') % 10150)::integer as date, "
                "round((hash(i, 'amount') % 1000000) / 100.0, 2) as amount, "
                "(['USD', 'JPY', 'GBP', 'CHF', 'SEK', 'AUD', 'CAD', 'NOK'])[1 + (hash(i, 'ccy') % 8)::integer] as currency "
                "from range(100000) as t(i)")
    joined = ("select count(*), count(r.rate), sum(t.amount / r.rate) from transactions as t "
              "left join fx_rates_asof as r on r.source = 'ecb' and r.currency = t.currency and r.date = t.date")
    join_ms = statistics.median(_samples(con, joined, [], max(repeat // 3, 3))) * 1000
    day, known_from = con.execute("select max(date), max(known_from) from fx_rate_versions where source = 'ecb'").fetchone()
    ts = known_from  # the instant the newest capture became known: every quote of the history is known then
    n_ccy = con.execute("select count(*) from fx_rates_known_at(?) where date = ?", [ts, day]).fetchone()[0]
    known_at = "select * from fx_rates_known_at(?) where date = ?"
    known_ms = statistics.median(_samples(con, known_at, [ts, day], repeat)) * 1000

    convert = "select * from fx_convert(100, 'USD', 'JPY', ?)"
    convert_known = "select * from fx_convert(100, 'USD', 'JPY', ?, known_at := ?)"
    now_sql = sqlmodels.model_sql("fx_convert")
    before_sql = subprocess.run(["git", "show", f"{BEFORE_KNOWN_AT}:sql/macros/fx_convert.sql"], cwd=REPO,
                                capture_output=True, text=True, check=True).stdout.strip().rstrip(";")
    now, before = [], []
    for _ in range(max(repeat // 5, 1)):  # alternate the two macros: the machine's load hits both alike
        con.execute(before_sql)
        before += _samples(con, convert, [day], 5)
        con.execute(now_sql)
        now += _samples(con, convert, [day], 5)
    with_known = _samples(con, convert_known, [day, ts], repeat)
    con.close()
    now_ms, before_ms, known_conv_ms = (statistics.median(s) * 1000 for s in (now, before, with_known))
    return [
        ("22. one pair's 27-year cross-rate series, warm (fx_cross_rates USD/JPY, full ECB history)",
         f"{n_pair:,} rows", f"{pair_ms:.1f} ms", "<= 10 ms", _verdict(pair_ms, 10)),
        ("22. fx_convert of one amount on one date, warm (USD/JPY)", "1 row", f"{now_ms:.1f} ms", "<= 10 ms",
         _verdict(now_ms, 10)),
        ("22. 100,000 transactions to EUR in one query (a join on fx_rates_asof), warm", "100,000 rows",
         f"{join_ms:.0f} ms", "<= 1000 ms", _verdict(join_ms, 1000)),
        (f"22. fx_rates_known_at for one date and all currencies, warm (full ECB history, {day})", f"{n_ccy} quotes",
         f"{known_ms:.1f} ms", "<= 50 ms", _verdict(known_ms, 50)),
        ("22. fx_convert of one amount without known_at, warm (the macro before known_at, alternating)", "USD/JPY, 1 row",
         f"{now_ms:.1f} ms (before known_at: {before_ms:.1f} ms)", "not slower than before",
         "met" if now_ms <= before_ms * 1.02 else f"**missed**: {now_ms / before_ms - 1:+.0%}"),
        ("22. fx_convert of one amount with known_at, warm", "USD/JPY, 1 row", f"{known_conv_ms:.1f} ms", "report", "-"),
    ]


def main() -> None:
    rows = measure(Path(sys.argv[1]))
    print("| measure | size | result | target | verdict |\n|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(str(c) for c in row) + " |")


if __name__ == "__main__":
    main()
