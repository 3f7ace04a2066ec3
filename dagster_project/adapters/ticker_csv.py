"""Adapter for a vendor CSV export of ticker history: ``date, symbol, close`` at least.

Optional columns: ``change`` (price units) and ``change_pct`` (percent; also accepted as ``pct``,
``percent_change``, ``change_percent``). Column names are case-insensitive. Each row is one session's
close, so ``session`` is the row's date: a row dated on a day that is not a session of the exchange (an
exchange holiday such as 2024-12-25, a weekend) is quarantined with that reason, never kept as a session.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import polars as pl

from dagster_project import sessions
from dagster_project.adapters._text import clean, decode, number_problem
from dagster_project.rows import RATE_SCHEMA, TICKER_SCHEMA, ParseError, Reject, Snapshot, empty, utc

SOURCE = "ticker_csv"
_ALIASES = {
    "date": "date", "session": "date",
    "symbol": "symbol", "ticker": "symbol",
    "close": "close", "price": "close",
    "change": "change",
    "change_pct": "change_pct", "pct": "change_pct", "percent_change": "change_pct", "change_percent": "change_pct",
}


def parse(data: bytes, *, captured_at: dt.datetime, file: str | None = None, exchange: str = "XNYS") -> Snapshot:
    captured_at = utc(captured_at)
    text = decode(data, file)
    fast = _parse_plain(text, captured_at, exchange)
    if fast is not None:
        return fast
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header:
        raise ParseError("empty CSV", file=file)
    names = [_ALIASES.get(clean(h).lower()) for h in header]
    missing = {"date", "symbol", "close"} - set(names)
    if missing:
        raise ParseError(f"header lacks column(s) {sorted(missing)} (needs date, symbol, close)", file=file, line=1)
    where = {n: k for k, n in enumerate(names) if n}
    rows: list[dict] = []
    rejects: list[Reject] = []
    seen: dict[tuple[dt.date, str], int] = {}
    for row in reader:
        lineno = reader.line_num
        if not any(c.strip() for c in row):
            continue
        if len(row) > len(header):
            rejects.append(Reject(lineno, ",".join(row), f"row has {len(row)} cells, header has {len(header)} "
                                  "(a comma inside a number?)", None))
            continue
        cells = {n: clean(row[k]) if k < len(row) else "" for n, k in where.items()}
        try:
            day = dt.date.fromisoformat(cells["date"])
        except ValueError:
            raise ParseError(f"bad date {cells['date']!r} (expected YYYY-MM-DD)", file=file, line=lineno) from None
        symbol = cells["symbol"].upper()
        if not symbol:
            rejects.append(Reject(lineno, ",".join(row), "empty symbol", day))
            continue
        pct_text = cells.get("change_pct", "").rstrip("%").strip()
        problem = number_problem(cells["close"], positive=True)
        if not problem and cells.get("change"):
            problem = number_problem(cells["change"], positive=False)
        if not problem and pct_text:
            problem = number_problem(pct_text, positive=False)
        if problem:
            rejects.append(Reject(lineno, ",".join(row), f"{symbol}: {problem}", day))
            continue
        if (day, symbol) in seen:
            rejects.append(Reject(lineno, ",".join(row), f"{symbol} on {day} already on line {seen[(day, symbol)]}: dropped", day))
            continue
        seen[(day, symbol)] = lineno
        rows.append({
            "source": SOURCE, "date": day, "captured_at": captured_at, "exchange": exchange, "session": day,
            "symbol": symbol, "price": float(cells["close"]),
            "change": float(cells["change"]) if cells.get("change") else None,
            "change_pct": float(pct_text) if pct_text else None,
            "price_text": cells["close"], "change_text": cells.get("change") or None,
            "change_pct_text": cells.get("change_pct") or None,
            "raw_file": None, "line": lineno,
        })
    if not rows and not rejects:
        raise ParseError("no ticker rows", file=file)
    tickers, off_session = _sessions_only(pl.DataFrame(rows, schema=TICKER_SCHEMA), exchange)
    return Snapshot(SOURCE, captured_at, empty(RATE_SCHEMA), tickers, rejects + off_session)


def _sessions_only(tickers: pl.DataFrame, exchange: str) -> tuple[pl.DataFrame, list[Reject]]:
    """Rows dated on a session of ``exchange``, and a quarantined line for each row that is not."""
    if not tickers.height:
        return tickers, []
    days = tickers.get_column("date")
    open_days = sessions.session_dates(exchange, days.min(), days.max())
    on_session = pl.col("date").is_in(sorted(open_days))
    rejects = [
        Reject(r["line"], f"{r['date']},{r['symbol']},{r['price_text']}",
               f"{r['symbol']} dated {r['date']} ({r['date']:%A}), not a {exchange} session (exchange holiday or "
               "weekend): no close to keep", r["date"])
        for r in tickers.filter(~on_session).iter_rows(named=True)
    ]
    return tickers.filter(on_session), rejects


_PLAIN_NUMBER = r"^[+-]?(?:\d+(?:\.\d+)?|\.\d+)$"


def _parse_plain(text: str, captured_at: dt.datetime, exchange: str) -> Snapshot | None:
    """The fast path for large, well-formed exports (plain ASCII, no quotes, no blank lines, every row valid):
    vectorized with polars. Anything else returns None and goes through the line-by-line parser, which
    quarantines and explains each bad row. Both give the same rows for a well-formed file."""
    if len(text) < 1_000_000 or not text.isascii() or '"' in text or "\n\n" in text.strip("\n"):
        return None
    header = [_ALIASES.get(h.strip().lower()) for h in text.split("\n", 1)[0].split(",")]
    if not {"date", "symbol", "close"} <= set(header) or len([h for h in header if h]) != len(set(h for h in header if h)):
        return None
    try:
        raw = pl.read_csv(io.StringIO(text), has_header=True, infer_schema=False, new_columns=[f"c{k}" for k in range(len(header))])
    except (pl.exceptions.PolarsError, ValueError):
        return None
    col = {name: pl.col(f"c{k}").str.strip_chars() for k, name in enumerate(header) if name}
    none = pl.lit(None, dtype=pl.String)
    frame = raw.select(
        col["date"].str.to_date("%Y-%m-%d", strict=False).alias("day"),
        col["date"].alias("date_text"),
        col["symbol"].str.to_uppercase().alias("symbol"),
        col["close"].alias("price_text"),
        (col.get("change", none)).alias("change_text"),
        (col.get("change_pct", none)).alias("change_pct_text"),
    ).with_row_index("line", offset=2)
    pct = pl.col("change_pct_text").str.strip_chars_end("%").str.strip_chars()
    valid = (
        pl.col("day").is_not_null() & (pl.col("symbol") != "")
        & pl.col("price_text").str.contains(_PLAIN_NUMBER) & (pl.col("price_text").cast(pl.Float64, strict=False) > 0)
        & (pl.col("change_text").is_null() | (pl.col("change_text") == "") | pl.col("change_text").str.contains(_PLAIN_NUMBER))
        & (pct.is_null() | (pct == "") | pct.str.contains(_PLAIN_NUMBER))
    )
    if not frame.select(valid.all()).item() or frame.select(pl.struct("day", "symbol").is_duplicated().any()).item():
        return None
    tickers = frame.select(
        pl.lit(SOURCE).alias("source"),
        pl.col("day").alias("date"),
        pl.lit(captured_at).dt.cast_time_unit("us").alias("captured_at"),
        pl.lit(exchange).alias("exchange"),
        pl.col("day").alias("session"),
        "symbol",
        pl.col("price_text").cast(pl.Float64).alias("price"),
        pl.col("change_text").replace("", None).cast(pl.Float64).alias("change"),
        pct.replace("", None).cast(pl.Float64).alias("change_pct"),
        "price_text",
        pl.col("change_text").replace("", None).alias("change_text"),
        pl.col("change_pct_text").replace("", None).alias("change_pct_text"),
        pl.lit(None, dtype=pl.String).alias("raw_file"),
        pl.col("line").cast(pl.Int64),
    ).cast(TICKER_SCHEMA)
    tickers, off_session = _sessions_only(tickers, exchange)
    return Snapshot(SOURCE, captured_at, empty(RATE_SCHEMA), tickers, off_session)


def looks_like(suffix: str, head: bytes) -> bool:
    """A CSV export (after the ECB's history CSV was ruled out: the registry asks the ECB first)."""
    return suffix == ".csv"
