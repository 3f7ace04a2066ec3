"""Pictures for asset metadata (matplotlib, PNG): a currency's history with its check findings marked, the
biggest movers of a source's newest day, and each ticker's closes with its findings marked. Written under ``<data>/warehouse/charts/`` and shown in the
Dagster UI as Markdown images; the README reuses them.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
from pathlib import Path

from dagster_project.lake import write_bytes

SEVERITY_COLOURS = {"ERROR": "#c0392b", "WARN": "#e67e22"}


def _pyplot():
    """matplotlib's pyplot, imported when a chart is drawn: ~0.3 s that every process loading the code location (mdw,
    the code server, each launched run) would otherwise pay at start."""
    import matplotlib

    matplotlib.use("Agg")  # no display: render to files
    import matplotlib.pyplot as plt

    return plt


def chart_dir(data_dir: Path) -> Path:
    return data_dir / "warehouse" / "charts"


def _save(fig, path: Path) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    _pyplot().close(fig)
    write_bytes(path, buf.getvalue())
    return buf.getvalue()


def markdown_image(png: bytes, alt: str) -> str:
    return f"![{alt}](data:image/png;base64,{base64.b64encode(png).decode()})"


def currency_history(con, data_dir: Path, source: str, currency: str, until: dt.date) -> tuple[Path, bytes] | None:
    """``currency`` per 1 base over the source's history in ``con``'s months up to ``until``, with the check findings
    on it marked."""
    series = con.execute(
        "select date, rate, base from fx_rates where source = ? and currency = ? and date <= ? order by date",
        [source, currency, until]).fetchall()
    if len(series) < 2:
        return None
    findings = con.execute(
        "select f.date, f.severity, f.check_name, r.rate from dq_findings f join fx_rates r "
        "on r.source = f.source and r.date = f.date and r.currency = f.subject "
        "where f.source = ? and f.subject = ? and f.date <= ? order by f.date", [source, currency, until]).fetchall()
    fig, ax = _pyplot().subplots(figsize=(9, 3.4))
    ax.plot([d for d, _, _ in series], [r for _, r, _ in series], lw=0.9, color="#2c3e50", label=f"{currency} per 1 {series[0][2]}")
    for severity, colour in SEVERITY_COLOURS.items():
        points = [(d, r, c) for d, s, c, r in findings if s == severity]
        if points:
            ax.scatter([d for d, _, _ in points], [r for _, r, _ in points], s=28, color=colour, zorder=3,
                       label=f"{severity}: " + ", ".join(sorted({c for _, _, c in points})))
    ax.set_title(f"{source}: {currency} per 1 {series[0][2]}, {series[0][0]} to {series[-1][0]} ({len(findings)} finding(s))", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    path = chart_dir(data_dir) / f"{source}-{currency.lower()}-history.png"
    return path, _save(fig, path)


def biggest_movers(con, data_dir: Path, source: str, until: dt.date, n: int = 12) -> tuple[Path, bytes] | None:
    """The ``n`` largest day-over-day moves on the source's newest date up to ``until`` (percent, against the previous
    date quoted)."""
    rows = con.execute(
        "select currency, change_pct, date, prev_date from fx_daily_change where source = ? and change_pct is not null "
        "and date = (select max(date) from fx_daily_change where source = ? and date <= ?) order by abs(change_pct) desc limit ?",
        [source, source, until, n]).fetchall()
    if not rows:
        return None
    rows = rows[::-1]
    fig, ax = _pyplot().subplots(figsize=(7, 0.32 * len(rows) + 1.2))
    ax.barh([c for c, _, _, _ in rows], [p for _, p, _, _ in rows],
            color=["#2980b9" if p >= 0 else "#d35400" for _, p, _, _ in rows])
    ax.set_xlabel("% change per 1 base (currency weaker → right)")
    ax.set_title(f"{source}: biggest moves on {rows[0][2]} (against {rows[0][3]})", fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    path = chart_dir(data_dir) / f"{source}-biggest-movers.png"
    return path, _save(fig, path)


def ticker_history(con, data_dir: Path, source: str, until: dt.date) -> tuple[Path, bytes] | None:
    """Each symbol's close per session as the source published it up to ``until`` (log scale), with the check findings
    marked."""
    series = con.execute(
        "select symbol, session, price from ticker_quotes where source = ? and session <= ? order by symbol, session",
        [source, until]).fetchall()
    symbols = sorted({s for s, _, _ in series})
    if len({d for _, d, _ in series}) < 2:
        return None
    findings = con.execute(
        "select f.subject, q.session, f.severity, f.check_name, q.price from dq_findings f join ticker_quotes q "
        "on q.source = f.source and q.symbol = f.subject and q.session = f.date "
        "where f.source = ? and q.session <= ? order by q.session", [source, until]).fetchall()
    fig, ax = _pyplot().subplots(figsize=(9, 3.8))
    for symbol in symbols[:12]:
        points = [(d, p) for s, d, p in series if s == symbol]
        ax.plot([d for d, _ in points], [p for _, p in points], lw=0.9, label=symbol)
    for severity, colour in SEVERITY_COLOURS.items():
        points = [(d, p, c, s) for s, d, sev, c, p in findings if sev == severity]
        if points:
            ax.scatter([d for d, _, _, _ in points], [p for _, p, _, _ in points], s=36, color=colour, zorder=3,
                       label=f"{severity}: " + ", ".join(sorted({f"{c} ({s})" for _, _, c, s in points})))
    ax.set_yscale("log")
    from matplotlib.ticker import FuncFormatter

    plain = FuncFormatter(lambda v, _: f"{v:g}")
    ax.yaxis.set_major_formatter(plain)
    ax.yaxis.set_minor_formatter(plain)
    ax.tick_params(axis="y", which="minor", labelsize=7)
    ax.set_ylabel("close (log scale)")
    first, last = min(d for _, d, _ in series), max(d for _, d, _ in series)
    ax.set_title(f"{source}: closes per session, {first} to {last} ({len(findings)} finding(s))", fontsize=10)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, loc="best", ncol=2)
    path = chart_dir(data_dir) / f"{source}-ticker-history.png"
    return path, _save(fig, path)
