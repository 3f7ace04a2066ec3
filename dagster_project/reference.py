"""Reference relations derived from maintained libraries, written as Parquet under ``<data>/warehouse/reference/``
so the catalog and every DuckDB session read the same rows.

- ``currencies.parquet``: every ISO 4217 code (the ``iso4217`` package: name, minor units) plus the reference
  files' non-ISO market codes (``extra_codes.csv``), metals (``metals.csv``) and withdrawn codes
  (``defunct_currencies.csv``: name, successor, withdrawal date).
- ``publication_days.parquet``: the days each publication calendar of the source registry publishes (TARGET days
  from ``target_holidays.csv``, exchange sessions from ``exchange_calendars``, every day for ``daily``),
  numbered in order, so a model can count the publications between two dates with two lookups.

Both are rebuilt when a reference file or the library changes, or (calendars) on a new day.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

import iso4217
import polars as pl

from dagster_project import sessions, sources
from dagster_project.lake import replacing, sql_literal
from dagster_project.settings import REPO

REFERENCE = REPO / "data" / "reference"
CALENDAR_FIRST = dt.date(1990, 1, 2)  # the first session of the exchange calendars (sessions.CALENDAR_START): the longest bundled history, TWD, starts 1993


# Reference tables: file -> DuckDB column types (dates and numbers typed, the rest text).
REFERENCE_TABLES = {
    "pegs": {"central": "DOUBLE", "lower": "DOUBLE", "upper": "DOUBLE", "tolerance_bp": "DOUBLE",
             "valid_from": "DATE", "valid_to": "DATE"},
    "defunct_currencies": {"withdrawn_from": "DATE", "ratio": "DOUBLE"},
    "metals": {},
    "extra_codes": {},
    "target_holidays": {"month": "INTEGER", "day": "INTEGER", "easter_offset": "INTEGER", "valid_from": "DATE"},
    "check_thresholds": {"value": "DOUBLE"},
    "accepted_findings": {"first_date": "DATE", "last_date": "DATE"},
    "corporate_actions": {"ex_date": "DATE", "ratio": "DOUBLE", "amount": "DOUBLE"},
}

# SQL helpers the rules share (and analysts can use in the catalog).
MACROS = [
    # a published number's text with a point for its decimals: '57,0006' (a comma-decimal feed, the Bank of Russia's)
    # -> '57.0006', '1,435.400000' (thousands separators, the IMF's) -> '1435.400000'
    "create or replace macro published_decimal(t) as "
    "case when regexp_full_match(t, '[+-]?[0-9]+,[0-9]+') then replace(t, ',', '.') else replace(t, ',', '') end",
    # the value a published text states
    "create or replace macro published_value(t) as try_cast(published_decimal(t) as double)",
    # half a unit of the last published digit: '0.0004' -> 0.00005, '62' -> 0.5, '1.61' -> 0.005, '57,0006' -> 0.00005
    "create or replace macro published_half_unit(t) as "
    "0.5 * pow(10, -length(regexp_extract(split_part(lower(published_decimal(t)), 'e', 1), '\\.([0-9]+)', 1)))",
    # significant digits of a published decimal: '0.0004' -> 1, '0.034944' -> 5
    "create or replace macro significant_digits(t) as "
    "length(ltrim(regexp_replace(split_part(lower(t), 'e', 1), '[^0-9]', '', 'g'), '0'))",
]


_SOURCE_TYPES = {"reference_priority": "INTEGER", "significant_digits": "INTEGER"}


def sources_statement() -> str:
    """``ref_sources``: each source's datasets with their publication calendar, time zone and time, trust order,
    precision and note, from the source registry (``dagster_project.sources``: the one declaration of a source)."""
    rows = sources.publications()
    columns = list(rows[0])
    values = ", ".join("(" + ", ".join("null" if r[c] is None else sql_literal(str(r[c])) for c in columns) + ")" for r in rows)
    select = ", ".join(f"cast({c} as {_SOURCE_TYPES.get(c, 'VARCHAR')}) as {c}" for c in columns)
    return f"create or replace view ref_sources as select {select} from (values {values}) as t({', '.join(columns)})"


def reference_statements(shown: Callable[[Path], str]) -> list[str]:
    """CREATE VIEW ref_<name> over each reference CSV and ``ref_sources`` from the registry, plus the shared macros."""
    stmts = [*MACROS, sources_statement()]
    for name, types in REFERENCE_TABLES.items():
        path = REFERENCE / f"{name}.csv"
        header = path.read_text().splitlines()[0].split(",")
        cols = "{" + ", ".join(f"{sql_literal(c)}: {sql_literal(types.get(c, 'VARCHAR'))}" for c in header) + "}"
        stmts.append(f"create or replace view ref_{name} as select * from read_csv({sql_literal(shown(path))}, "
                     f"header = true, columns = {cols}, quote = '\"')")
    return stmts


def root(data_dir: Path) -> Path:
    return data_dir / "warehouse" / "reference"


def _read(name: str) -> list[dict[str, str]]:
    with open(REFERENCE / f"{name}.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def _stamp(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def _current(path: Path, stamp: str) -> bool:
    meta = path.with_name(path.name + ".json")
    return path.exists() and meta.exists() and json.loads(meta.read_text()).get("stamp") == stamp


def _write(path: Path, frame: pl.DataFrame, stamp: str) -> Path:
    with replacing(path) as tmp:
        frame.write_parquet(tmp, compression="zstd")
    with replacing(path.with_name(path.name + ".json")) as tmp:
        tmp.write_text(json.dumps({"stamp": stamp}))
    return path


def currencies_frame() -> pl.DataFrame:
    """code, name, minor_units, iso_status (active | withdrawn | non-iso), valid_from, valid_to, successor, note."""
    rows: dict[str, dict] = {}
    for cur in iso4217.Currency:
        rows[cur.code] = {"code": cur.code, "name": cur.currency_name, "minor_units": cur.exponent,
                          "iso_status": "active", "valid_from": None, "valid_to": None, "successor": None,
                          "note": "metal: one troy ounce" if cur.code in {m["code"] for m in _read("metals")} else None}
    for extra in _read("extra_codes"):
        rows.setdefault(extra["code"], {"code": extra["code"], "name": extra["name"], "minor_units": None,
                                        "iso_status": "non-iso", "valid_from": None, "valid_to": None,
                                        "successor": None, "note": extra["note"]})
    for gone in _read("defunct_currencies"):
        withdrawn = dt.date.fromisoformat(gone["withdrawn_from"])
        ratio = f"{gone['ratio']} {gone['code']} per 1 {gone['successor']}" if gone["ratio"] and gone["successor"] else None
        rows[gone["code"]] = {**rows.get(gone["code"], {"minor_units": None, "valid_from": None}),
                              "code": gone["code"], "name": gone["name"], "iso_status": "withdrawn",
                              "valid_to": withdrawn - dt.timedelta(days=1), "successor": gone["successor"] or None,
                              "note": "; ".join(x for x in (ratio, gone["source"]) if x)}
        successor = rows.get(gone["successor"])
        if successor and gone["successor"] != "EUR" and successor["valid_from"] is None:
            successor["valid_from"] = withdrawn  # a redenomination's new code starts the day the old one ends
    schema = {"code": pl.String, "name": pl.String, "minor_units": pl.Int32, "iso_status": pl.String,
              "valid_from": pl.Date, "valid_to": pl.Date, "successor": pl.String, "note": pl.String}
    return pl.DataFrame(sorted(rows.values(), key=lambda r: r["code"]), schema=schema)


def currencies_file(data_dir: Path, *, refresh: bool = False) -> Path:
    """The currencies relation's file. Reading it never writes, once it exists: ``refresh`` (a run's parse step,
    the catalog build) rewrites it when the reference files or the library changed."""
    path = root(data_dir) / "currencies.parquet"
    if not refresh and path.exists():
        return path
    stamp = _stamp(version("iso4217"), *((REFERENCE / f"{n}.csv").read_text() for n in ("extra_codes", "metals", "defunct_currencies")))
    return path if _current(path, stamp) else _write(path, currencies_frame(), stamp)


def publication_days_frame(last: dt.date) -> pl.DataFrame:
    """calendar, day, n (1, 2, … in day order within the calendar) from CALENDAR_FIRST to ``last``."""
    frames = []
    for calendar in sorted({s["calendar"] for s in sources.publications()}):
        if calendar in sessions.NON_EXCHANGE_CALENDARS:
            days = sessions.publication_days(calendar, CALENDAR_FIRST, last)
        else:
            days = sorted(sessions.session_dates(calendar, CALENDAR_FIRST, last))
        frames.append(pl.DataFrame({"calendar": calendar, "day": days}, schema={"calendar": pl.String, "day": pl.Date})
                      .with_row_index("n", offset=1).select("calendar", "day", pl.col("n").cast(pl.Int64)))
    return pl.concat(frames)


def horizon(today: dt.date | None = None) -> dt.date:
    """The last day the publication calendars are written out to: the end of next year (a stamp that changes once a
    year, not every day)."""
    return dt.date((today or dt.date.today()).year + 1, 12, 31)


def publication_days_file(data_dir: Path, today: dt.date | None = None, *, refresh: bool = False) -> Path:
    """The publication calendars' file. Reading it never writes, once it exists: ``refresh`` (a run's parse step, the
    catalog build) rewrites it when a calendar, the registry's calendars or the year's horizon changed."""
    path = root(data_dir) / "publication_days.parquet"
    if not refresh and path.exists():
        return path
    last = horizon(today)
    stamp = _stamp(last.isoformat(), version("exchange_calendars"), (REFERENCE / "target_holidays.csv").read_text(),
                   json.dumps(sources.publications(), sort_keys=True))
    return path if _current(path, stamp) else _write(path, publication_days_frame(last), stamp)


def refresh(data_dir: Path) -> None:
    """Bring the derived reference files up to date (the steps that write call this; connecting only reads)."""
    currencies_file(data_dir, refresh=True)
    publication_days_file(data_dir, refresh=True)
