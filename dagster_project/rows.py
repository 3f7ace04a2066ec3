"""The one row shape every source adapter returns.

Rates are *units of ``currency`` per 1 ``base``*, exactly as the source published them; the published
text is kept beside the parsed number so precision can be judged later (``XAU 0.0004`` has one
significant digit, ``0.034944`` has five).

The column names here are the Parquet column names (``source`` is a Hive partition key of the files, so
it is not stored inside them; ``date`` is, beside the ``month`` key in the path) and the JSON field
names ``mdw parse`` prints.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import polars as pl

RATE_SCHEMA: dict[str, pl.DataType] = {
    "source": pl.String(),
    "date": pl.Date(),
    "captured_at": pl.Datetime("us", "UTC"),
    "base": pl.String(),
    "currency": pl.String(),
    "rate": pl.Float64(),
    "rate_text": pl.String(),
    "raw_file": pl.String(),
    "line": pl.Int64(),
}

TICKER_SCHEMA: dict[str, pl.DataType] = {
    "source": pl.String(),
    "date": pl.Date(),
    "captured_at": pl.Datetime("us", "UTC"),
    "exchange": pl.String(),
    "session": pl.Date(),
    "symbol": pl.String(),
    "price": pl.Float64(),
    "change": pl.Float64(),
    "change_pct": pl.Float64(),
    "price_text": pl.String(),
    "change_text": pl.String(),
    "change_pct_text": pl.String(),
    "raw_file": pl.String(),
    "line": pl.Int64(),
    # what a vendor's history export adds (null where the input has no such column): the session's open, high, low
    # (price units) and volume (shares), a cash dividend going ex on the session (price units per share after any
    # split of the day), a split ratio (new shares per old share: 7.0 for 7:1; 1 or null: none) and the vendor's own
    # adjusted close, each with its text as published
    "open": pl.Float64(),
    "high": pl.Float64(),
    "low": pl.Float64(),
    "volume": pl.Float64(),
    "dividend": pl.Float64(),
    "split_ratio": pl.Float64(),
    "adjusted_close": pl.Float64(),
    "open_text": pl.String(),
    "high_text": pl.String(),
    "low_text": pl.String(),
    "volume_text": pl.String(),
    "dividend_text": pl.String(),
    "split_ratio_text": pl.String(),
    "adjusted_close_text": pl.String(),
}

REJECT_SCHEMA: dict[str, pl.DataType] = {
    "source": pl.String(),
    "date": pl.Date(),
    "captured_at": pl.Datetime("us", "UTC"),
    "raw_file": pl.String(),
    "line": pl.Int64(),
    "text": pl.String(),
    "reason": pl.String(),
}

# Columns that are Hive partition keys: they live in the path (source=…/month=…), not in the file.
PARTITION_COLUMNS = ("source",)

DATASETS = {"rates": RATE_SCHEMA, "tickers": TICKER_SCHEMA, "rejects": REJECT_SCHEMA}


class ParseError(ValueError):
    """Input that cannot be read. Names the file, the line (when there is one) and the reason."""

    def __init__(self, reason: str, *, file: str | None = None, line: int | None = None):
        self.reason = reason
        self.file = file
        self.line = line
        super().__init__(self.one_line())

    def one_line(self) -> str:
        where = self.file or "<input>"
        if self.line is not None:
            where = f"{where}:{self.line}"
        return f"{where}: {self.reason}"

    def in_file(self, file: str) -> ParseError:
        return ParseError(self.reason, file=file, line=self.line)


@dataclass
class Reject:
    """A line that was read but not trusted: quarantined and reported, never silently kept."""

    line: int | None
    text: str
    reason: str
    date: dt.date | None = None


@dataclass
class Snapshot:
    """What one raw input holds, in the common row shape.

    ``rates`` and ``tickers`` are polars frames with RATE_SCHEMA / TICKER_SCHEMA; ``dates`` are the
    data dates the input covers (one for a page or a daily file, many for a history file).
    """

    source: str
    captured_at: dt.datetime
    rates: pl.DataFrame
    tickers: pl.DataFrame
    rejects: list[Reject] = field(default_factory=list)

    @property
    def dates(self) -> list[dt.date]:
        found = set(self.rates.get_column("date").to_list()) | set(self.tickers.get_column("date").to_list())
        found |= {r.date for r in self.rejects if r.date is not None}
        return sorted(found)

    def rejects_frame(self, raw_file: str | None = None) -> pl.DataFrame:
        rows = [
            {
                "source": self.source,
                "date": r.date,
                "captured_at": self.captured_at,
                "raw_file": raw_file,
                "line": r.line,
                "text": r.text,
                "reason": r.reason,
            }
            for r in self.rejects
        ]
        return pl.DataFrame(rows, schema=REJECT_SCHEMA)


def empty(schema: dict[str, pl.DataType]) -> pl.DataFrame:
    return pl.DataFrame(schema=schema)


def resolve_duplicate_codes(quotes: pl.DataFrame) -> tuple[pl.DataFrame, list[Reject]]:
    """The one rule for a code quoted twice on a date (against the same base), in every adapter: the same text -> keep
    the first line, the others are rejected as duplicates; different texts -> keep none (which one is right cannot be
    known). Quotes of one currency against different bases (CAD per 1 USD, CAD per 1 EUR) are different quotes.

    ``quotes`` has ``date, currency, rate_text, line`` (other columns ride along); returns the kept rows in
    their original order and a Reject per dropped line."""
    if not quotes.height:
        return quotes, []
    keys = ["date", "base", "currency"] if "base" in quotes.columns else ["date", "currency"]
    ranked = quotes.with_row_index("_order").with_columns(
        pl.len().over(*keys).alias("_n"),
        pl.col("rate_text").n_unique().over(*keys).alias("_texts"),
        pl.col("_order").rank("ordinal").over(*keys).alias("_nth"),
        pl.col("line").min().over(*keys).alias("_first"),
        pl.col("line").cast(pl.String).str.join(", ").over(*keys).alias("_lines")
        if quotes.schema["line"] != pl.Null else pl.lit("").alias("_lines"),
    )
    keep = (ranked["_n"] == 1) | ((ranked["_texts"] == 1) & (ranked["_nth"] == 1))
    rejects = []
    for r in ranked.filter(~keep).iter_rows(named=True):
        text = f"{r['currency']} {r['rate_text']}"
        if r["_texts"] == 1:
            reason = f"{r['currency']} on {r['date']}: duplicate of line {r['_first']} (same value), dropped"
        else:
            reason = (f"{r['currency']} quoted {r['_n']} times with different values on {r['date']} "
                      f"(lines {r['_lines']}): all dropped")
        rejects.append(Reject(r["line"], text, reason, r["date"]))
    kept = ranked.filter(keep).sort("_order").drop("_order", "_n", "_texts", "_nth", "_first", "_lines")
    return kept, rejects


def rates_frame(
    source: str,
    captured_at: dt.datetime,
    base: str | list[str],
    dates: list[dt.date],
    currencies: list[str],
    rate_texts: list[str],
    lines: list[int | None],
    units: list[float] | None = None,
) -> tuple[pl.DataFrame, list[Reject]]:
    """Build a RATE_SCHEMA frame from parallel columns (``rate`` parsed from the published text), with the
    duplicate-code rule applied: the kept rows, and a Reject for each line it dropped.

    ``units``: how many units of ``base`` the published text is for (100 for "NOK per 100 JPY", CNB's
    ``amount``); ``rate`` is then per 1 ``base`` (text / units) while ``rate_text`` stays as published."""
    n = len(currencies)
    per = units or [1.0] * n
    frame = pl.DataFrame(
        {
            "source": [source] * n,
            "date": dates,
            "captured_at": [captured_at] * n,
            "base": base if isinstance(base, list) else [base] * n,
            "currency": currencies,
            "rate": [float(t) / u for t, u in zip(rate_texts, per, strict=True)],
            "rate_text": rate_texts,
            "raw_file": [None] * n,
            "line": lines,
        },
        schema=RATE_SCHEMA,
    )
    return resolve_duplicate_codes(frame)


def utc(ts: dt.datetime) -> dt.datetime:
    if ts.tzinfo is None:
        raise ValueError(f"naive timestamp {ts!r}: captured_at must carry a time zone")
    return ts.astimezone(dt.UTC)
