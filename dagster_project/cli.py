"""``mdw``: the project's command line (typer + rich).

    mdw run                         the main job on the bundled data, with a summary
    mdw backfill --from D --to D    the month partitions holding a date range (ranged runs; --parallel N: queued runs side by side)
    mdw ingest PATH...              land files and materialize the month partitions they hold
    mdw parse PATH                  print normalized rows as JSON lines (exit 2 on bad input)
    mdw sql [QUERY]                 query the warehouse (no QUERY: the DuckDB CLI on the catalog)
    mdw sql --describe RELATION     a relation's description and its columns' (units included)
    mdw convert AMOUNT FROM TO [--on D] [--source S]   convert with the rate used, its date, source, quality
    mdw checks [--date D] [--source S]   the data-quality findings as a table
    mdw quarantine RAW_FILE --reason R   retract a bad raw file (kept aside) and re-materialize its months
    mdw rebuild [--replace]         re-parse the raw layer into a fresh warehouse; compare row for row
    mdw catalog                     rebuild data/warehouse.duckdb (views over the Parquet)
    mdw ui                          the Dagster UI on 127.0.0.1
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import os
import shutil
import signal
import sys
import time
import warnings
from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from dagster_project import lake, landing, parallel_runs, pipeline, runner, sources, sqlmodels, storage
from dagster_project.adapters import ticker_csv
from dagster_project.defs.models.assets import ON_DEMAND, models_for
from dagster_project.defs.sources.assets import SOURCE_ASSETS
from dagster_project.defs.sources.partitions import MONTHS_PER_RUN
from dagster_project.findings import SEVERITIES
from dagster_project.quality import CHECKS
from dagster_project.rows import ParseError
from dagster_project.settings import ECB_FIRST_DATE, PAGE_DATE, TICKER_HISTORY, apply_env_defaults
from dagster_project.sources import SOURCE_DATASETS

warnings.filterwarnings("ignore", message=".*is currently in (beta|preview).*")
app = typer.Typer(add_completion=False, no_args_is_help=True, help="Market data warehouse: FX rates and tickers.")


@app.callback()
def _settings() -> None:
    """Every command sees the MDW_* defaults (the bundled data, the data dir's Dagster home) unless set."""
    apply_env_defaults(sources.env_defaults())
# at full width when not a terminal (a pipe, a file, CI): rich would squeeze tables to 80 columns ("severi/ty")
console = Console(stderr=True) if sys.stderr.isatty() else Console(stderr=True, width=100_000, soft_wrap=True)
out = Console() if sys.stdout.isatty() else Console(width=100_000, soft_wrap=True)
SIGNIFICANT_DIGITS = 10  # computed floats are shown to 10 significant digits: no binary noise, no lost figure


def _data_dir() -> Path:
    apply_env_defaults(sources.env_defaults())
    return Path(os.environ["MDW_DATA_DIR"]).resolve()


def _lake():
    """The lake (MDW_STORAGE_URL, else the data dir), probed once per process and URL; a remote one that cannot be
    used is one line and exit 2."""
    apply_env_defaults(sources.env_defaults())
    try:
        return _probed(lake.storage_url())
    except lake.LakeUnavailable as exc:
        console.print(str(exc), markup=False)
        raise typer.Exit(2) from None


@functools.cache
def _probed(url: str):
    root = lake.root(url)
    lake.probe(root)
    return root


def _catalog_path() -> Path:
    return _data_dir() / "warehouse.duckdb"


class _ProgressHandler(logging.Handler):
    """Feeds `mdw.progress` log records (step, done, total) into a rich progress bar."""

    def __init__(self, progress: Progress):
        super().__init__()
        self.progress = progress
        self.tasks: dict[str, int] = {}

    def emit(self, record: logging.LogRecord) -> None:
        step = getattr(record, "step", None)
        if step is None:
            return
        if step not in self.tasks:
            self.tasks[step] = self.progress.add_task(step, total=getattr(record, "total", None))
        self.progress.update(self.tasks[step], completed=getattr(record, "done", 0), total=getattr(record, "total", None))


def _progress() -> Progress:
    return Progress(SpinnerColumn(), TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=console, transient=False)


def _instance():
    """The project's Dagster instance; an unreachable instance database or lake is one line and exit 2."""
    _lake()  # before any run: a remote lake that cannot be used fails here, not in every asset
    try:
        return runner.instance()
    except runner.InstanceUnavailable as exc:
        console.print(str(exc), markup=False)
        raise typer.Exit(2) from None


def _run_plan(plan: list[tuple[str, list[str], str | None, str | None]],
              tags: dict[str, str] | None = None, inst=None) -> list[tuple[str, float, object]]:
    """Execute (label, assets, start, end) runs with a progress bar; stop at the first failure."""

    inst = inst or _instance()
    for run_id in runner.fail_interrupted_runs(inst):
        console.print(f"[yellow]run {run_id} was interrupted (its process is gone): marked failed[/yellow]")
    results = []
    log = logging.getLogger("mdw.progress")
    log.setLevel(logging.INFO)
    log.propagate = False
    with _progress() as progress:
        handler = _ProgressHandler(progress)
        log.addHandler(handler)
        try:
            runs = progress.add_task("runs", total=len(plan))
            for label, assets, start, end in plan:
                progress.update(runs, description=f"run: {label}")
                started = time.perf_counter()
                result = runner.materialize(assets, start=start, end=end, inst=inst, tags=tags)
                results.append((label, time.perf_counter() - started, result))
                progress.advance(runs)
                if not result.success:
                    break
        finally:
            log.removeHandler(handler)
    label, _, result = results[-1] if results else (None, 0, None)
    if result is not None and not result.success:  # after the progress bars, so it is the last line
        console.print(f"[red]run {label!r} failed:[/red] {runner.failure_message(result)}")
        raise typer.Exit(1)
    return results


def _refresh_catalog(quiet: bool = False) -> None:
    try:
        sqlmodels.build_catalog(_lake(), _catalog_path(), relative_to=Path.cwd())
    except Exception as exc:  # the catalog is a convenience: a run never fails for it
        if not quiet:
            console.print(f"[yellow]catalog not refreshed ({exc}); the Parquet is up to date[/yellow]")


def _summary(results, seconds: float, months: list[dt.date] | None = None) -> None:
    """What the warehouse holds after the runs: everything, or the ``months`` they covered (a backfill's summary
    reads those months' files, so a daily run's costs what its month costs)."""
    con = sqlmodels.connect(_lake(), months=months)
    span = f" ({storage.month_key(months[0])}..{storage.month_key(months[-1])})" if months else ""
    table = Table(title=f"Warehouse after this run{span}", show_lines=False)
    window = [months[0], storage.month_end(months[-1])] if months else [dt.date.min, dt.date.max]  # the views read neighbours too
    for col in ("dataset", "source", "dates", "rows", "first date", "last date"):
        table.add_column(col, justify="right" if col in ("dates", "rows") else "left")
    for name in ("rates", "tickers", "rejects"):  # the parsed datasets, per source
        for row in con.execute(
            f"select source, count(distinct date), count(*), min(date)::varchar, max(date)::varchar "
            f"from parsed_{name} where date between ? and ? group by source order by source", window).fetchall():
            table.add_row(name, row[0], f"{row[1]:,}", f"{row[2]:,}", row[3], row[4])
    for mart in sqlmodels.MARTS:  # the marts, one line each: how many sources, dates and rows
        key = sqlmodels.time_key(mart)
        columns = {c[0] for c in con.execute(f"describe {mart}").fetchall()}
        sources_of = ("count(distinct source)::varchar || if(count(distinct source) = 1, ' source', ' sources')"
                      if "source" in columns else "'all'")
        row = con.execute(f"select {sources_of}, count(distinct {key}), count(*), min({key})::varchar, max({key})::varchar "
                          f"from {mart} where {key} between ? and ?", window).fetchone()
        if row[2]:
            table.add_row(mart, row[0], f"{row[1]:,}", f"{row[2]:,}", row[3], row[4])
    out.print(table)
    findings = con.execute(
        "select check_name, count(*) filter (where severity = 'ERROR'), count(*) filter (where severity = 'WARN'), "
        "string_agg(distinct source, ', ' order by source) from dq_findings where date between ? and ? "
        "group by check_name order by check_name", window).fetchall()
    if findings:
        checks = Table(title="Data-quality findings (mdw checks)")
        for col in ("check", "ERROR", "WARN", "sources"):
            checks.add_column(col, justify="right" if col in ("ERROR", "WARN") else "left")
        for name, errors, warns, srcs in findings:
            checks.add_row(name, f"{errors:,}", f"{warns:,}", srcs)
        out.print(checks)
    _corporate_actions_applied(con, window)
    con.close()
    runs = ", ".join(f"{label} {secs:.1f}s" for label, secs, _ in results)
    out.print(f"{len(results)} runs in {seconds:.1f}s ({runs}).")


def _corporate_actions_applied(con, window: list[dt.date], limit: int = 8) -> None:
    """The ticker part of the summary: the sessions where a split or dividend was applied (or stated and not), with
    the change as published beside the split-adjusted change and the total return."""
    rows = con.execute(
        "select session::varchar, source, symbol, change_pct, split_adjusted_change_pct, total_return_pct, adjustment, "
        "count(*) over () from ticker_daily_change where adjustment is not null and session between $first and $last "
        "order by split_ratio is null, abs(change_pct) desc, session limit $n", {"n": limit, "first": window[0], "last": window[1]}).fetchall()
    if not rows:
        return
    n = rows[0][-1]
    table = Table(title=f"Corporate actions applied ({n:,} session{'s' if n != 1 else ''}; mdw sql \"select * from corporate_actions\")")
    for col in ("session", "source", "symbol", "change %", "split-adjusted %", "total return %", "adjustment"):
        table.add_column(col, justify="right" if "%" in col else "left")
    def pct(x):
        return "" if x is None else f"{x:+.2f}"
    for session, src, symbol, change, adjusted, total, words, _ in rows:
        table.add_row(session, src, symbol, pct(change), pct(adjusted), pct(total), words[:90] + ("…" if len(words) > 90 else ""))
    out.print(table)


NEXT_QUERY = ("select session, symbol, price, round(change_pct, 2) as change_pct, round(total_return_pct, 2) as total_return_pct, "
              "adjustment from ticker_daily_change order by abs(total_return_pct) desc limit 5;")


def _next_steps() -> None:
    """What to try after `make run`: the UI, SQL, the whole history."""
    port = os.environ.get("PORT", "3000")
    out.print("\n[bold]Next[/bold]")
    out.print(f"  [bold]make ui[/bold]        the Dagster UI at http://127.0.0.1:{port} (the asset graph, these runs, checks, charts)")
    out.print(f"  [bold]make sql[/bold]       DuckDB on the catalog (read-only); try: {NEXT_QUERY}")
    out.print(f"  [bold]make backfill[/bold]  every bundled history (the ECB's {ECB_FIRST_DATE}..{sources.bundled_last_date()}, the central "
              "banks'), in one pass of month partitions")


SOURCE_CHOICES = sources.NAMES
CENTRAL_BANKS = [name for name, s in sources.SOURCES.items() if s.group == "central_banks"]
CHECK_NAMES = sorted(CHECKS)


@app.command()
def run(months: Annotated[int, typer.Option(help="Months of ECB history to load, ending with the bundled file's last month.")] = 12) -> None:
    """The main job on the bundled data: the bundled ticker history, the last MONTHS of ECB history with the central
    banks' recordings of those months, then the page snapshot's month with every source holding it; the models."""

    started = time.perf_counter()
    last = storage.month_of(sources.bundled_last_date())
    first = storage.months_between(dt.date(1999, 1, 1), last)[-months]
    page_month = storage.month_of(dt.date.fromisoformat(PAGE_DATE))
    tickers_from, tickers_to = (storage.month_of(dt.date.fromisoformat(d)) for d in TICKER_HISTORY)
    banks = [a for s in CENTRAL_BANKS for a in SOURCE_ASSETS[s]]  # their bundled recordings, landed once
    inst = _instance()  # one instance for both plans
    # each run builds the models of its months, so a blocking check failure stops them in that run
    results = _run_plan([
        (f"ticker_csv {storage.month_key(tickers_from)}..{storage.month_key(tickers_to)} + models",
         SOURCE_ASSETS["ticker_csv"] + models_for(["tickers"]), str(tickers_from), str(tickers_to)),
        (f"ecb + central banks {storage.month_key(first)}..{storage.month_key(last)} + models",
         SOURCE_ASSETS["ecb"] + banks + models_for(["rates"]) + ON_DEMAND,  # the view's metadata and the pictures, once
         str(first), str(last)),
    ], inst=inst)
    # the page's month with every source that holds it: the central banks whose landed recordings cover that month
    # (the others would be steps and checks over no rows)
    page_days = storage.days_of([page_month])
    holding = [s for s in SOURCE_CHOICES if s not in CENTRAL_BANKS or landing.snapshots_for(_lake(), s, page_days)]
    results += _run_plan([
        (f"{len(holding)} sources {storage.month_key(page_month)} + models",
         [a for s in holding for a in SOURCE_ASSETS[s]] + models_for(["rates", "tickers"]), str(page_month), str(page_month)),
    ], inst=inst)
    _refresh_catalog()
    _summary(results, time.perf_counter() - started)
    _next_steps()


@app.command()
def backfill(
    start: Annotated[str, typer.Option("--from", help="First date, YYYY-MM-DD: its month is the first partition.")],
    end: Annotated[str, typer.Option("--to", help="Last date, YYYY-MM-DD (inclusive): its month is the last partition.")],
    source: Annotated[list[str] | None, typer.Option(help=f"Source(s): {', '.join(SOURCE_CHOICES)}. Default: all.")] = None,
    models: Annotated[bool, typer.Option(help="Build the months of the models in each run.")] = True,
    chunk_months: Annotated[int, typer.Option(help="Most month partitions per run (0: one run per missing range). "
                                              "An interrupted backfill redoes at most one chunk.")] = MONTHS_PER_RUN,
    force: Annotated[bool, typer.Option(help="Re-run partitions that are already materialized.")] = False,
    parallel: Annotated[int, typer.Option(help="Split the months into N runs that execute at the same time, each in "
                                          "its own process, through the instance's run queue (at most N at once), "
                                          "then re-run the seams between them. 0: one run after another, in this "
                                          "process.", min=0)] = 0,
) -> None:
    """Materialize every month partition from FROM to TO that is not materialized yet, with their checks and the models.

    One run per missing range of months (ranged runs, as the backfill policy makes them): a fresh range is one run per
    CHUNK_MONTHS; a range already loaded is no run at all; an interrupted backfill resumes with the months
    it had not finished.
    """

    try:
        first, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    except ValueError as exc:
        console.print(f"[red]bad date: {exc}[/red]")
        raise typer.Exit(2) from None
    if first > last:
        console.print("[red]--from is after --to[/red]")
        raise typer.Exit(2)
    chosen = source or list(SOURCE_CHOICES)
    for name in chosen:
        _choice("--source", name, list(SOURCE_CHOICES))
    started = time.perf_counter()
    if parallel:
        os.environ["MDW_MAX_CONCURRENT_RUNS"] = str(parallel)  # the run queue's limit (dagster.yaml follows it)
    inst = _instance()
    assets = [a for s in chosen for a in SOURCE_ASSETS[s]]
    model_assets = models_for({d for s in chosen for d in SOURCE_DATASETS[s]}) if models else []
    total = len(storage.months_between(first, last))
    todo = storage.months_between(first, last) if force else runner.missing_months(assets, first, last, inst)
    ranges = runner.month_ranges(todo, chunk_months)
    if not ranges:
        out.print(f"nothing to do: all {total:,} month partitions of {', '.join(chosen)} from {storage.month_key(first)} "
                  f"to {storage.month_key(last)} are materialized (--force re-runs them)")
        return
    label = "+".join(chosen) + (" + models" if model_assets else "")
    if parallel:
        spans = parallel_runs.split(runner.month_ranges(todo, 0), parallel)  # N runs, whatever --chunk-months says
        _parallel_backfill(assets + model_assets, label, spans, len(todo), total)
        _refresh_catalog()
        out.print(f"{len(todo):,} month partitions in {time.perf_counter() - started:.1f}s")
        return
    console.print(f"{len(todo):,} of {total:,} month partitions to materialize in {len(ranges)} run(s)")
    plan = [(f"{label} {storage.month_key(a)}..{storage.month_key(b)}", assets + model_assets, str(a), str(b))
            for a, b in ranges]
    results = _run_plan(plan, inst=inst)
    _refresh_catalog()
    _summary(results, time.perf_counter() - started, months=storage.months_between(min(todo), max(todo)))


@app.command()
def materialize(assets: Annotated[list[str], typer.Argument(help=f"What to draw: {', '.join(ON_DEMAND)}.")]) -> None:
    """Materialize the unpartitioned assets (the pictures, the cross-rates' metadata) from what the warehouse holds,
    as "Materialize" on their page in the UI does; the month partitions are `mdw backfill`'s."""
    for name in assets:
        _choice("asset", name, ON_DEMAND)
    started = time.perf_counter()
    _run_plan([("+".join(assets), assets, None, None)])
    out.print(f"{', '.join(assets)} materialized in {time.perf_counter() - started:.1f}s (mdw ui: their metadata)")


def _parallel_backfill(assets: list[str], label: str, ranges: list[tuple[dt.date, dt.date]], todo: int, total: int) -> None:
    """One ranged run per range side by side, each in its own process, followed with a progress bar; then re-run each
    seam (the two months either side of a boundary between ranges) here, now that both sides exist."""
    seams = parallel_runs.seams(ranges)
    console.print(f"{todo:,} of {total:,} month partitions to materialize in {len(ranges)} parallel run(s), "
                  f"then {len(seams)} seam run(s)")
    backfill_tag = {"mdw/parallel_backfill": f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}-{os.getpid()}"}
    with _progress() as progress:
        task = progress.add_task(f"parallel runs: {label}", total=len(ranges))
        runs = runner.materialize_in_parallel(assets, ranges, tags=backfill_tag,
                                              on_done=lambda done: progress.update(task, completed=done))
    for run in runs:
        if not run.success:
            console.print(f"[red]run {run.run_id[:8]} ({storage.month_key(run.first)}..{storage.month_key(run.last)}) "
                          f"failure:[/red] {run.failure}", highlight=False)
            raise typer.Exit(1)
    if seams:
        _run_plan([(f"seam {storage.month_key(a)}..{storage.month_key(b)}", assets, str(a), str(storage.month_end(b)))
                   for a, b in seams], tags=backfill_tag)


@app.command()
def ingest(paths: Annotated[list[Path], typer.Argument(help="Files or folders to land.")],
           source: Annotated[str | None, typer.Option(help="Source of the files (default: detected).")] = None) -> None:
    """Land files into the raw layer (validated first) and materialize the partitions they hold."""

    files, bad = [], 0
    for p in paths:
        try:
            files += _ticker_folder(p, source) if source in (None, "ticker_csv") else \
                [(f, f.name, None, source) for f in (sorted(x for x in p.iterdir() if x.is_file()) if p.is_dir() else [p])]
        except OSError as exc:
            console.print(f"[red]rejected[/red] {exc}")
            bad += 1
    plan = []
    for f, name, data, src in files:
        try:
            landed = pipeline.land_input(_lake(), data if data is not None else f.read_bytes(), name=name, source=src)
        except landing.Quarantined as exc:
            console.print(f"rejected {f}: {exc}", markup=False)
            bad += 1
            continue
        except (ParseError, OSError) as exc:
            console.print(f"[red]rejected[/red] {exc}")
            bad += 1
            continue
        dates = landed.dates
        state = "landed" if landed.new else "already landed"
        out.print(f"{state} {f} -> {landed.raw.rel(_lake())} ({landed.raw.source}, {dates[0]}..{dates[-1]})")
        src = landed.raw.source
        plan.append((f"{src} {dates[0]}..{dates[-1]} + models",
                     SOURCE_ASSETS[src] + models_for(SOURCE_DATASETS[src]), str(dates[0]), str(dates[-1])))
    if plan:
        started = time.perf_counter()
        results = _run_plan(plan)
        _refresh_catalog()
        _summary(results, time.perf_counter() - started)
    if bad:
        raise typer.Exit(2)


def _ticker_folder(folder: Path, source: str | None) -> list[tuple[Path, str, bytes | None, str | None]]:
    """The files of a folder (or one file) to land: a vendor folder's ticker exports (one file per symbol,
    ``AAPL.csv``, ``KO.csv.gz``) as one input, a zip of the files as they are (ticker_csv.bundle), so the symbols their
    names give are kept in the raw layer and one history file holds them all; any other file on its own."""
    found = sorted(x for x in folder.iterdir() if x.is_file() and not x.name.startswith(".")) if folder.is_dir() else [folder]
    tickers = {}
    for f in found:
        with open(f, "rb") as fh:
            head = fh.read(4096)
        if ticker_csv.looks_like(f.suffix.lower(), head) and (
                (source or sources.detect(f.name, head)) == "ticker_csv" or ticker_csv.needs_its_name(head)):
            tickers[f.name] = f.read_bytes()
    others = [(f, f.name, None, source) for f in found if f.name not in tickers]
    if len(tickers) < 2 and not any(ticker_csv.needs_its_name(b) for b in tickers.values()):
        return [(f, f.name, None, source) for f in found]
    return [(folder, f"{folder.name.split('.')[0]}.zip", ticker_csv.bundle(tickers), "ticker_csv"), *others]


@app.command()
def convert(
    amount: Annotated[float, typer.Argument(help="The amount in FROM.")],
    from_ccy: Annotated[str, typer.Argument(metavar="FROM", help="Currency code of the amount (ISO 4217 or a known market code).")],
    to_ccy: Annotated[str, typer.Argument(metavar="TO", help="Currency code to convert into.")],
    on: Annotated[str | None, typer.Option(help="Date, YYYY-MM-DD (default: today). A day with no publication "
                                              "takes the latest within --max-age-days before it.")] = None,
    source: Annotated[str | None, typer.Option(help=f"Source of the rate ({', '.join(SOURCE_CHOICES)}, or consensus: the "
                                                  "blend of every provider); default: the most trusted one that has the "
                                                  "pair (the ECB first).")] = None,
    max_age_days: Annotated[int, typer.Option(help="The oldest publication to use, in days before --on.")] = 7,
    known_at: Annotated[str | None, typer.Option(help="Use only what the warehouse knew at this instant (ISO 8601 with a "
                                                    "time zone, 2024-11-28T10:00Z): the rate a user could have used then, "
                                                    "with when it was captured and whether it was revised later.")] = None,
) -> None:
    """Convert AMOUNT from one currency to another on a date, with the rate used, its date, source and quality
    (the fx_convert macro of the catalog). Exit 2 with one line for an unknown code or a date with no rate."""

    try:
        day = dt.date.fromisoformat(on) if on else dt.date.today()
    except ValueError as exc:
        console.print(f"bad --on: {exc}", markup=False)
        raise typer.Exit(2) from None
    try:
        instant = dt.datetime.fromisoformat(known_at) if known_at else None
    except ValueError as exc:
        console.print(f"bad --known-at: {exc}", markup=False)
        raise typer.Exit(2) from None
    if instant is not None and instant.tzinfo is None:
        console.print(f"bad --known-at: {known_at!r} has no time zone (2024-11-28T10:00Z, or +01:00)", markup=False)
        raise typer.Exit(2)
    _choice("--source", source, [*SOURCE_CHOICES, "consensus"])  # consensus: fx_rates_consensus, the blend
    con = sqlmodels.connect(_lake())
    try:
        known = {code: units for code, units in con.execute(
            "select code, minor_units from currencies where code in (upper($a), upper($b))",
            {"a": from_ccy, "b": to_ccy}).fetchall()}
        for code in (from_ccy.upper(), to_ccy.upper()):
            if code not in known:
                console.print(f"unknown currency code {code!r} (see: mdw sql \"select * from currencies\")", markup=False)
                raise typer.Exit(2)
        row = con.execute("select * from fx_convert($amount, $f, $t, $d, max_age_days := $age, source_name := $s, known_at := $k)",
                          {"amount": amount, "f": from_ccy, "t": to_ccy, "d": day, "age": max_age_days, "s": source,
                           "k": instant}).fetchone()
        names = [d[0] for d in con.description]
    finally:
        con.close()
    got = dict(zip(names, row))
    if got["rate"] is None:
        console.print(f"no rate: {got['note']}", markup=False)
        raise typer.Exit(2)
    units = known[to_ccy.upper()]
    places = 2 if units is None else units
    when = f"{got['source']} rate of {got['rate_date']}" + (f" ({got['note']})" if got["note"] and instant is None else "")
    quality = (got["quality"] and f"{got['quality']} ({got['quality_checks']})") or "clean (no check finding on either leg)"
    out.print(f"{amount:,.2f} {got['from_ccy']} = {got['converted']:,.{places}f} {got['to_ccy']} on {got['requested_date']}", markup=False)
    out.print(f"rate     {got['rate_text']} {got['to_ccy']} per 1 {got['from_ccy']}, the {when}", markup=False)
    out.print(f"quality  {quality}", markup=False)
    if instant is not None:
        out.print(f"known    {got['note']}", markup=False)


@app.command()
def quarantine(
    raw_file: Annotated[str, typer.Argument(help="A file of the raw layer (relative to the lake: raw/<source>/date=…/<name>; or absolute, or s3://…).")],
    reason: Annotated[str, typer.Option(help="Why it is wrong (kept beside it).")],
) -> None:
    """Retract a bad raw file: move it out of the raw layer into <data>/quarantine (kept, never deleted, with the
    reason) and re-materialize the month partitions it covered, with their checks and models. The same bytes
    are refused if they are offered again (ingest, inbox, a feed)."""

    data = _lake()
    try:
        raw = landing.raw_file_at(data, raw_file)
        target = landing.quarantine(data, raw, reason)
    except ValueError as exc:
        console.print(str(exc), markup=False)
        raise typer.Exit(2) from None
    out.print(f"quarantined {raw.rel(data)} -> {target.relative_to(data)} ({raw.source}, {raw.first}..{raw.last})", markup=False)
    started = time.perf_counter()
    plan = [(f"{raw.source} {raw.first}..{raw.last} + models (without the quarantined file)",
             SOURCE_ASSETS[raw.source] + models_for(SOURCE_DATASETS[raw.source]), str(raw.first), str(raw.last))]
    results = _run_plan(plan)
    _refresh_catalog()
    _summary(results, time.perf_counter() - started)


@app.command()
def parse(
    path: Annotated[Path, typer.Argument(help="A page (.txt/.html), ECB (.zip/.csv/.xml), Fixer (.json) or ticker CSV file.")],
    source: Annotated[str | None, typer.Option(help="Source (default: detected from name and content).")] = None,
    captured_at: Annotated[str | None, typer.Option(help="Capture time, ISO 8601 (default: from the file name, else its mtime).")] = None,
) -> None:
    """Print the normalized rows of one input as JSON lines (same field names as the Parquet columns)."""

    try:
        data = path.read_bytes()
    except OSError as exc:
        print(f"{path}: {exc.strerror}", file=sys.stderr)
        raise typer.Exit(2) from None
    when = (dt.datetime.fromisoformat(captured_at) if captured_at else None) or landing.ts_from_name(path.name) \
        or dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC).replace(microsecond=0)
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    try:
        snap = sources.parse(source or sources.detect(path.name, data), data, captured_at=when, file=str(path))
    except ParseError as exc:
        print(exc.one_line(), file=sys.stderr)
        raise typer.Exit(2) from None
    write = sys.stdout.write
    for dataset, frame in (("rates", snap.rates), ("tickers", snap.tickers), ("rejects", snap.rejects_frame(str(path)))):
        for row in frame.iter_rows(named=True):
            write(json.dumps({"dataset": dataset, **row}, default=_json_default) + "\n")
    if snap.rejects:
        print(f"{path}: {len(snap.rejects)} line(s) quarantined (dataset 'rejects')", file=sys.stderr)


def _json_default(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    raise TypeError(type(value).__name__)


@app.command()
def sql(query: Annotated[str | None, typer.Argument(help="SQL to run; none opens the DuckDB CLI on the catalog.")] = None,
        csv: Annotated[bool, typer.Option(help="Print CSV instead of a table.")] = False,
        describe: Annotated[str | None, typer.Option(help="Print what RELATION (a view or macro) is, and its columns "
                                                        "with their types and meaning.", metavar="RELATION")] = None) -> None:
    """Query the warehouse with DuckDB (in memory over the Parquet: it never locks anything). The relations,
    their columns and the macros carry comments (duckdb_views(), duckdb_columns(), duckdb_functions()).

    Examples: a total-return series (splits applied, dividends reinvested on the ex-date) and the actions behind it:

        mdw sql "select session, price, round(change_pct, 2) as change_pct, round(total_return_pct, 2) as total_return_pct,
                 round(100 * (exp(sum(ln(1 + total_return_pct / 100)) over (order by session)) - 1), 2) as cumulative_pct,
                 adjustment from ticker_daily_change where symbol = 'AAPL' and prev_session is not null order by session"

        mdw sql "select * from ticker_adjusted_closes('2005-12-30', symbol_name := 'AAPL')"

        mdw sql "select symbol, ex_date, kind, ratio, amount, source, reference from corporate_actions order by ex_date"
    """

    if describe is not None:
        _describe(describe)
        return
    if query is None:
        _refresh_catalog(quiet=True)
        cli = shutil.which("duckdb", path=str(Path(sys.executable).parent)) or shutil.which("duckdb")
        if not cli:
            console.print("[red]duckdb CLI not found (pip install duckdb-cli)[/red]")
            raise typer.Exit(2)
        # a remote lake: the CLI loads httpfs from its wheel and reads the credentials itself (getenv), so they are
        # neither in its command line nor in a file; the catalog holds views only, never a secret
        init = lake.duckdb_cli_init(_lake())
        os.execv(cli, [cli, "-readonly", *(["-cmd", init] if init else []), str(_catalog_path())])
    con = sqlmodels.connect(_lake(), described=True)
    try:
        frame = con.execute(query).pl()
    except Exception as exc:  # duckdb errors: show them as the DuckDB CLI would
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        raise typer.Exit(2) from None
    if csv:
        sys.stdout.write(frame.write_csv())
        return
    out.print(_table(_tidy_floats(frame), null="NULL"))  # the table for reading; CSV keeps every digit
    out.print(f"{frame.height} row(s)")


def _describe(name: str) -> None:
    con = sqlmodels.connect(_lake(), described=True)
    try:
        view = con.execute("select comment from duckdb_views() where view_name = ? and not internal", [name]).fetchone()
        macro = con.execute("select comment, parameters from duckdb_functions() where function_name = ? "
                            "and function_type in ('macro', 'table_macro') and not internal", [name]).fetchone()
        if view is None and macro is None:
            known = [r[0] for r in con.execute(
                "select view_name from duckdb_views() where not internal union select distinct function_name "
                "from duckdb_functions() where function_type in ('macro', 'table_macro') and not internal and comment is not null "
                "order by 1").fetchall()]
            console.print(f"no relation {name!r}; the catalog has: {', '.join(known)}", markup=False)
            raise typer.Exit(2)
        if view is not None:
            out.print(f"[bold]{name}[/bold]: {view[0] or ''}")
            columns = con.execute("select column_name as column, data_type as type, comment as meaning from duckdb_columns() "
                                  "where table_name = ? order by column_index", [name]).pl()
            out.print(_table(columns))
        else:
            out.print(f"[bold]{name}({', '.join(macro[1])})[/bold]: {macro[0] or ''}")
    finally:
        con.close()


def _tidy_floats(frame):
    """Float columns rounded to SIGNIFICANT_DIGITS: 23966.771999999997 prints as 23966.772."""

    return frame.with_columns(pl.col(pl.Float64, pl.Float32).round_sig_figs(SIGNIFICANT_DIGITS))


def _table(frame, null: str = "") -> Table:
    table = Table(show_lines=False)
    for name in frame.columns:
        table.add_column(name, no_wrap=not sys.stdout.isatty())
    for row in frame.iter_rows():
        table.add_row(*(null if v is None else str(v) for v in row))
    return table


def _choice(option: str, value: str | None, valid: list[str], *, upper: bool = False) -> str | None:
    """``value`` if it is one of ``valid`` (compared in upper case with ``upper``); else exit 2 naming the valid ones."""
    if value is not None and (value.upper() if upper else value) not in valid:
        console.print(f"unknown {option} {value!r}; valid: {', '.join(valid)}", markup=False)
        raise typer.Exit(2)
    return value.upper() if upper and value else value


@app.command()
def checks(
    date: Annotated[str | None, typer.Option(help="Only this date (YYYY-MM-DD), or a range FROM..TO.")] = None,
    source: Annotated[str | None, typer.Option(help=f"Only this source: {', '.join(SOURCE_CHOICES)}.")] = None,
    check: Annotated[str | None, typer.Option(help=f"Only this check: {', '.join(CHECK_NAMES)}.")] = None,
    severity: Annotated[str | None, typer.Option(help=f"Only this severity: {', '.join(SEVERITIES)}.")] = None,
    limit: Annotated[int, typer.Option(help="Rows to show (0: all).")] = 200,
    csv: Annotated[bool, typer.Option(help="Print CSV instead of a table (the count then goes to stderr).")] = False,
) -> None:
    """Print the data-quality findings (the dq_findings view), newest first, and a count per check and severity.

    An unknown source, check or severity exits 2 naming the valid ones.
    """

    _choice("--source", source, list(SOURCE_CHOICES))
    _choice("--check", check, list(CHECK_NAMES))
    severity = _choice("--severity", severity, list(SEVERITIES), upper=True)
    where, params = [], {}
    if date:
        first, _, last = date.partition("..")
        try:
            params["first"], params["last"] = dt.date.fromisoformat(first), dt.date.fromisoformat(last or first)
        except ValueError as exc:
            console.print(f"[red]bad --date: {exc}[/red]")
            raise typer.Exit(2) from None
        where.append("date between $first and $last")
    for name, value in (("source", source), ("check_name", check), ("severity", severity)):
        if value:
            where.append(f"{name} = ${name}")
            params[name] = value
    clause = ("where " + " and ".join(where)) if where else ""
    con = sqlmodels.connect(_lake())
    frame = con.execute(
        f"select date, source, asset, check_name, severity, subject, observed, expected, detail from dq_findings {clause} "
        "order by date desc, source, check_name, subject" + (" limit $limit" if limit else ""),
        {**params, **({"limit": limit} if limit else {})}).pl()
    counts = con.execute(
        f"select check_name, severity, count(*) as findings from dq_findings {clause} group by all order by 1, 2", params).fetchall()
    con.close()
    frame = _tidy_floats(frame)
    total = sum(n for _, _, n in counts)
    summary = (f"{total:,} finding(s){' (showing ' + str(frame.height) + ')' if frame.height < total else ''}: "
               + (", ".join(f"{name} {sev} {n:,}" for name, sev, n in counts) or "none"))
    if csv:
        sys.stdout.write(frame.write_csv())
        sys.stdout.flush()
        print(summary, file=sys.stderr)
        return
    out.print(_table(frame))
    out.print(summary, markup=False)


@app.command()
def rebuild(replace: Annotated[bool, typer.Option(help="Swap the rebuilt parsed data into place and rebuild the marts.")] = False) -> None:
    """Re-parse every immutable raw snapshot into a fresh warehouse and compare it with the current one, row for row.

    Exit 0 when they match; 1 when they differ (the table says where). With --replace the rebuilt data
    takes the current data's place (each dataset folder renamed into place) and the marts are rebuilt.
    """

    data = _lake()
    fresh = data / f".warehouse.rebuild-{os.getpid()}"
    started = time.perf_counter()
    try:
        stats = pipeline.rebuild(data, fresh)
        diff = sqlmodels.compare_warehouses(data / "warehouse", fresh)
        table = Table(title=f"Rebuilt from the raw layer in {time.perf_counter() - started:.1f}s")
        for col in ("dataset", "rows now", "rows rebuilt", "only now", "only rebuilt"):
            table.add_column(col, justify="left" if col == "dataset" else "right")
        rebuilt_rows = {name: sum(s.rows.get(name, 0) for s in stats.values()) for name in diff}
        rebuilt_rows["rejects"] = sum(s.rejects for s in stats.values())
        for name, (now, only_now, only_new) in diff.items():
            table.add_row(name, f"{now:,}", f"{rebuilt_rows.get(name, 0):,}", f"{only_now:,}", f"{only_new:,}")
        out.print(table)
        same = all(only_now == 0 and only_new == 0 for _, only_now, only_new in diff.values())
        out.print("identical: the warehouse is reproducible from its raw snapshots" if same
                  else "[red]the warehouse differs from what its raw snapshots give[/red]")
        if replace:
            for name in diff:
                if (fresh / name).exists():
                    storage.replace_dataset(fresh, data / "warehouse", name)
            _drop_legacy_layout(data / "warehouse")
            for mart in sqlmodels.MARTS:
                sqlmodels.build_mart(data, mart)
            _refresh_catalog()
            out.print("replaced the parsed data with the rebuilt one and rebuilt the marts")
        elif not same:
            raise typer.Exit(1)
    finally:
        lake.remove_tree(fresh)


def _drop_legacy_layout(warehouse: Path) -> None:
    """After a migration from the one-file-per-day layout: the old whole-history mart files and the per-day
    findings go (the marts are rebuilt now; `mdw backfill --force` re-runs the checks into the new layout)."""
    for old in lake.glob(warehouse / "marts", "*.parquet"):
        old.unlink()
    legacy = lake.glob(warehouse / "dq_findings", "source=*/date=*")
    for folder in legacy:
        lake.remove_tree(folder)
    if legacy:
        console.print(f"removed {len(legacy):,} per-day findings folders of the old layout: "
                      "re-run the checks with `mdw backfill --force --from … --to …`")


@app.command()
def catalog(quiet: Annotated[bool, typer.Option()] = False) -> None:
    """(Re)build data/warehouse.duckdb: views over the Parquet, with paths relative to the current directory."""
    _refresh_catalog(quiet=quiet)
    if not quiet:
        out.print(f"catalog: {_catalog_path()}")


@app.command()
def ui(port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 3000) -> None:
    """Start the Dagster UI (webserver and daemon) with the project's Dagster home."""


    _instance()
    cmd = [str(Path(sys.executable).parent / "dagster"), "dev", "-h", "127.0.0.1", "-p", str(port), "-m", "dagster_project.definitions"]
    # Ctrl-C must reach dagster dev even when we were started from a shell that ignores SIGINT in background
    # jobs (an ignored signal stays ignored across exec): dagster dev then stops its webserver, daemon and
    # code servers itself.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.execv(cmd[0], cmd)


if __name__ == "__main__":
    app()
