"""Adapter for a vendor CSV export of ticker history: ``date, symbol, close`` at least.

Optional columns: ``change`` (price units) and ``change_pct`` (percent; also accepted as ``pct``,
``percent_change``, ``change_percent``); ``open``, ``high``, ``low``, ``volume``; a cash ``dividend`` going ex on
the row's session (also ``ex-dividend``, ``ex_dividend``, ``dividends``); a ``split`` ratio, new shares per old
share (also ``split_ratio``, ``split_factor``, ``stock splits``; ``7``, ``7:1`` and ``7/1`` all read as 7; 0, 1 or
empty: no split); the vendor's adjusted close (``adj_close``, ``adj. close``, ``adjusted_close``). Column names
are case-insensitive. Every number keeps its published text beside it.

The symbol column may be called ``symbol`` or ``ticker``. A file without one is read as the symbol its name
names (``AAPL.csv``, ``KO.csv.gz``). A gzip file is read decompressed; a zip archive is read member by member
(each member a file as above, named for its symbol or holding a symbol column): that is how a vendor folder of
one file per symbol lands as one input (``bundle``), with each file's bytes kept as they were.

Each row is one session's close, so ``session`` is the row's date: a row dated on a day that is not a session of
the exchange (an exchange holiday such as 2024-12-25, a weekend) is quarantined with that reason, never kept as a
session. The prices' arithmetic (low <= open, close <= high, volume >= 0) is judged by the ``ohlc`` check, not
here: a published row is kept as published.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import re
import zipfile
from pathlib import PurePosixPath

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
    "open": "open", "high": "high", "low": "low", "volume": "volume",
    "dividend": "dividend", "dividends": "dividend", "ex-dividend": "dividend", "ex_dividend": "dividend",
    "split": "split", "split_ratio": "split", "split_factor": "split", "stock splits": "split",
    "adj_close": "adjusted_close", "adj. close": "adjusted_close", "adj close": "adjusted_close",
    "adjusted_close": "adjusted_close",
}
# optional numeric columns: (name in the header, the row's column, the text column, must be > 0)
_NUMBERS = (("open", "open", "open_text", True), ("high", "high", "high_text", True), ("low", "low", "low_text", True),
            ("volume", "volume", "volume_text", False), ("dividend", "dividend", "dividend_text", False),
            ("adjusted_close", "adjusted_close", "adjusted_close_text", True))
_SYMBOL_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9.\-_^]{0,14}$")
_RATIO = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*[:/]\s*([0-9]*\.?[0-9]+)\s*$")


def parse(data: bytes, *, captured_at: dt.datetime, file: str | None = None, exchange: str = "XNYS") -> Snapshot:
    captured_at = utc(captured_at)
    if data[:4] == b"PK\x03\x04":
        return _parse_archive(data, captured_at, file, exchange)
    name = file
    if data[:2] == b"\x1f\x8b":
        data = _gunzip(data, file)
        name = file[:-3] if file and file.lower().endswith(".gz") else file
    fast = _parse_plain(data, captured_at, exchange, name)
    if fast is not None:
        return fast
    return _parse_text(decode(data, file), captured_at, file, exchange, name)


def _gunzip(data: bytes, file: str | None) -> bytes:
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise ParseError(f"not a readable gzip file ({exc})", file=file) from None


def _parse_archive(data: bytes, captured_at: dt.datetime, file: str | None, exchange: str) -> Snapshot:
    """Every member of a zip archive, each read as one export (named for its symbol or with a symbol column)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = sorted(m for m in archive.namelist() if not m.endswith("/"))
    except zipfile.BadZipFile as exc:
        raise ParseError(f"not a readable zip archive ({exc})", file=file) from None
    if not members:
        raise ParseError("empty zip archive", file=file)
    frames, rejects = [], []
    for member in members:
        where = f"{file}!{member}" if file else member
        body = archive.read(member)
        snap = parse(body, captured_at=captured_at, file=where, exchange=exchange)
        frames.append(snap.tickers)
        rejects += [Reject(r.line, r.text, f"{member}: {r.reason}", r.date) for r in snap.rejects]
    tickers = pl.concat(frames)
    doubled = tickers.filter(pl.struct("session", "symbol").is_duplicated())
    if doubled.height:
        first = doubled.row(0, named=True)
        raise ParseError(f"{first['symbol']} on {first['session']} is in more than one member of the archive", file=file)
    return Snapshot(SOURCE, captured_at, empty(RATE_SCHEMA), tickers, rejects)


def bundle(files: dict[str, bytes]) -> bytes:
    """One zip archive of a vendor folder (file name -> its bytes), each file stored as it is (no compression, a
    fixed time stamp): the same folder always makes the same bytes, so landing it twice is recognised."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        for name in sorted(files):
            archive.writestr(zipfile.ZipInfo(PurePosixPath(name).name, date_time=(1980, 1, 1, 0, 0, 0)), files[name])
    return out.getvalue()


def needs_its_name(data: bytes) -> bool:
    """Whether an export is read as the symbol its file name names (its header has no symbol column)."""
    if data[:2] == b"\x1f\x8b":
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as fh:
                data = fh.read(4096)
        except (OSError, EOFError):
            return False
    header = data[:4096].decode("utf-8-sig", "replace").replace("\r", "\n").split("\n", 1)[0]
    names = [_ALIASES.get(h.strip().lower()) for h in header.split(",")]
    return "symbol" not in names and {"date", "close"} <= set(names)


def _symbol_of(name: str | None) -> str | None:
    """The symbol a file is named for (``AAPL.csv``, ``brk_a.csv.gz`` -> AAPL, BRK_A); None for a time-stamped or
    unnamed input."""
    if not name:
        return None
    stem = PurePosixPath(name.split("!")[-1]).name.split(".")[0]
    return stem.upper() if _SYMBOL_NAME.fullmatch(stem) and not re.fullmatch(r"\d{8}T\d{6}Z.*", stem) else None


def _header(names: list[str | None], file: str | None, name: str | None) -> str | None:
    """The symbol every row gets (None: rows carry their own), or a ParseError for a header that cannot be read."""
    missing = {"date", "close"} - set(names)
    if "symbol" not in names and not missing:
        symbol = _symbol_of(name)
        if symbol is None:
            raise ParseError("header has no symbol (or ticker) column and the file name names no symbol "
                             "(a file named for its symbol, such as AAPL.csv, is read as that symbol)", file=file, line=1)
        return symbol
    if missing or "symbol" not in names:
        raise ParseError(f"header lacks column(s) {sorted(missing | ({'symbol'} - set(names)))} (needs date, symbol, close)",
                         file=file, line=1)
    return None


def split_ratio(text: str) -> float | str | None:
    """A published split as new shares per old share: ``7``, ``7.0``, ``7:1``, ``7/1`` -> 7.0; ``0``, ``1``, empty -> None
    (no split); anything else -> the reason it cannot be read."""
    if not text:
        return None
    m = _RATIO.fullmatch(text)
    if m:
        new, old = float(m.group(1)), float(m.group(2))
        if new <= 0 or old <= 0:
            return f"split {text!r} is not a ratio of positive numbers"
        return None if new == old else new / old
    problem = number_problem(text, positive=False)
    if problem:
        return f"split {problem}"
    value = float(text)
    if value < 0:
        return f"split ratio must be >= 0, got {text}"
    return None if value in (0.0, 1.0) else value


def _parse_text(text: str, captured_at: dt.datetime, file: str | None, exchange: str, name: str | None) -> Snapshot:
    """The line-by-line parser: every bad row quarantined with its reason."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header:
        raise ParseError("empty CSV", file=file)
    names = [_ALIASES.get(clean(h).lower()) for h in header]
    named = _header(names, file, name)
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
        symbol = named or cells["symbol"].upper()
        if not symbol:
            rejects.append(Reject(lineno, ",".join(row), "empty symbol", day))
            continue
        pct_text = cells.get("change_pct", "").rstrip("%").strip()
        problem = number_problem(cells["close"], positive=True)
        if not problem and cells.get("change"):
            problem = number_problem(cells["change"], positive=False)
        if not problem and pct_text:
            problem = number_problem(pct_text, positive=False)
        for column, _, _, positive in _NUMBERS:
            if not problem and cells.get(column):
                problem = number_problem(cells[column], positive=positive)
                if not problem and float(cells[column]) < 0 and column == "dividend":
                    problem = f"dividend must be >= 0, got {cells[column]}"
        ratio = split_ratio(cells.get("split", ""))
        if not problem and isinstance(ratio, str):
            problem = ratio
        if problem:
            rejects.append(Reject(lineno, ",".join(row), f"{symbol}: {problem}", day))
            continue
        if (day, symbol) in seen:
            rejects.append(Reject(lineno, ",".join(row), f"{symbol} on {day} already on line {seen[(day, symbol)]}: dropped", day))
            continue
        seen[(day, symbol)] = lineno
        record = {
            "source": SOURCE, "date": day, "captured_at": captured_at, "exchange": exchange, "session": day,
            "symbol": symbol, "price": float(cells["close"]),
            "change": float(cells["change"]) if cells.get("change") else None,
            "change_pct": float(pct_text) if pct_text else None,
            "price_text": cells["close"], "change_text": cells.get("change") or None,
            "change_pct_text": cells.get("change_pct") or None,
            "raw_file": None, "line": lineno,
            "split_ratio": ratio, "split_ratio_text": cells.get("split") or None,
        }
        for column, value, text_column, _ in _NUMBERS:
            published = cells.get(column) or None
            record[value], record[text_column] = (float(published) if published else None), published
        rows.append(record)
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
_PLAIN_RATIO = r"^(?:\d+(?:\.\d+)?|\.\d+)$"


def _parse_plain(data: bytes, captured_at: dt.datetime, exchange: str, name: str | None) -> Snapshot | None:
    """The fast path for large, well-formed exports (plain ASCII, no quotes, no blank lines, no padding, every row
    valid): vectorized with polars. Anything else returns None and goes through the line-by-line parser, which
    quarantines and explains each bad row. Both give the same rows for a well-formed file.

    The published texts are the CSV's own string columns (never copied: an empty cell is read as null), the numbers
    are cast from them (streaming), and the rows are validated after, as booleans only."""
    if len(data) < 1_000_000:
        return None
    data = data.removeprefix(b"\xef\xbb\xbf")
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    first, last = 0, len(data)
    while first < last and data[first] == 0x0A:
        first += 1
    while last > first and data[last - 1] == 0x0A:
        last -= 1
    if not data.isascii() or b'"' in data or data.find(b"\n\n", first, last) != -1 or b"\x00" in data[:4096]:
        return None  # (found without a stripped copy of the whole file)
    header = [_ALIASES.get(h.strip().lower()) for h in data[: data.find(b"\n")].decode().split(",")]
    present = [h for h in header if h]
    if not {"date", "close"} <= set(present) or len(present) != len(set(present)):
        return None
    named = None if "symbol" in present else _symbol_of(name)
    if "symbol" not in present and named is None:
        return None
    try:
        raw = pl.read_csv(data, has_header=True, infer_schema=False, new_columns=[f"c{k}" for k in range(len(header))])
    except (pl.exceptions.PolarsError, ValueError):
        return None
    col = {n: pl.col(f"c{k}") for k, n in enumerate(header) if n}
    none = pl.lit(None, dtype=pl.String)
    split = col.get("split", none).cast(pl.Float64, strict=False)
    pct = col.get("change_pct", none).str.strip_chars_end("%")
    columns = (
        pl.lit(SOURCE).alias("source"),
        col["date"].str.to_date("%Y-%m-%d", strict=False).alias("date"),
        pl.lit(captured_at).dt.cast_time_unit("us").alias("captured_at"),
        pl.lit(exchange).alias("exchange"),
        col["date"].str.to_date("%Y-%m-%d", strict=False).alias("session"),
        (pl.lit(named) if named else col["symbol"].str.to_uppercase()).alias("symbol"),
        col["close"].cast(pl.Float64, strict=False).alias("price"),
        col.get("change", none).cast(pl.Float64, strict=False).alias("change"),
        pct.cast(pl.Float64, strict=False).alias("change_pct"),
        col["close"].alias("price_text"),
        col.get("change", none).alias("change_text"),
        col.get("change_pct", none).alias("change_pct_text"),
        pl.lit(None, dtype=pl.String).alias("raw_file"),
        pl.int_range(2, pl.len() + 2, dtype=pl.Int64).alias("line"),
        *(col.get(n, none).cast(pl.Float64, strict=False).alias(v) for n, v, _, _ in _NUMBERS),
        pl.when(split.is_in([0.0, 1.0])).then(None).otherwise(split).alias("split_ratio"),
        *(col.get(n, none).alias(t) for n, _, t, _ in _NUMBERS),
        col.get("split", none).alias("split_ratio_text"),
    )
    # in slices of rows, in TICKER_SCHEMA's order: the casts' working memory is a slice's, not the file's
    step = 250_000
    tickers = pl.concat([raw.slice(k, step).select(columns).with_columns(pl.col("line") + k) for k in range(0, raw.height, step)],
                        rechunk=False)
    del raw

    def number(text: str, value: str | None, *, pattern: str = _PLAIN_NUMBER, positive: bool = False) -> pl.Expr:
        ok = pl.col(text).str.contains(pattern)
        if positive:
            ok = ok & (pl.col(value) > 0)
        return pl.col(text).is_null() | ok

    valid = (
        pl.col("date").is_not_null() & pl.col("symbol").str.contains(r"^\S+$") & pl.col("price_text").is_not_null()
        & number("price_text", "price", positive=True) & number("change_text", None)
        & (pl.col("change_pct_text").is_null() | pl.col("change_pct_text").str.contains(r"^[+-]?(?:\d+(?:\.\d+)?|\.\d+)%?$"))
        & number("split_ratio_text", None, pattern=_PLAIN_RATIO) & number("dividend_text", None, pattern=_PLAIN_RATIO)
        & pl.all_horizontal(*(number(t, v, positive=p) for n, v, t, p in _NUMBERS if n != "dividend"))
    )
    # one integer key per (date, symbol): hashing 2.5 M integers, not a struct of strings
    key = pl.col("symbol").cast(pl.Categorical).to_physical().cast(pl.Int64) * 1_000_000 + pl.col("date").cast(pl.Int64)
    if not tickers.select(valid.all()).item():
        return None
    if tickers.select(key.n_unique()).item() != tickers.height:
        return None
    if list(tickers.schema.items()) != list(TICKER_SCHEMA.items()):
        tickers = tickers.select(list(TICKER_SCHEMA)).cast(TICKER_SCHEMA)
    tickers, off_session = _sessions_only(tickers, exchange)
    return Snapshot(SOURCE, captured_at, empty(RATE_SCHEMA), tickers, off_session)


def looks_like(suffix: str, head: bytes) -> bool:
    """A CSV export, or one gzipped (after the ECB's history CSV was ruled out: the registry asks the ECB first)."""
    return suffix == ".csv" or (suffix == ".gz" and head[:2] == b"\x1f\x8b")
