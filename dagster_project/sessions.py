"""Exchange sessions (exchange_calendars): which trading session a quote captured at a moment shows.

A snapshot captured on a non-session day (a weekend, or 2024-11-28, US Thanksgiving) repeats the
last session; one captured before the open shows the previous session's close.
"""

from __future__ import annotations

import csv
import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

from dateutil.easter import easter

from dagster_project.settings import REPO

CALENDAR_START = "1990-01-02"


@lru_cache(maxsize=64)
def calendar(exchange: str = "XNYS"):
    """``exchange``'s calendar from 1990 to the end of next year. exchange_calendars (~0.5 s) is imported here, when an
    exchange's sessions are first needed, not by every process that imports the code location (``mdw --help``,
    ``mdw sql``, the code server)."""
    import exchange_calendars as xcals

    today = dt.date.today()
    return xcals.get_calendar(exchange, start=CALENDAR_START, end=f"{today.year + 1}-12-31")


def _timestamp(value):
    import pandas as pd

    return pd.Timestamp(value)


def session_at(captured_at: dt.datetime, exchange: str = "XNYS") -> dt.date:
    """The session whose prices a capture at ``captured_at`` shows: the session in progress, else the last one."""
    cal = calendar(exchange)
    minute = _timestamp(captured_at).tz_convert("UTC").floor("min")
    if minute < cal.first_minute:
        raise ValueError(f"{captured_at} is before the {exchange} calendar starts ({cal.first_session.date()})")
    if minute >= cal.opens.iloc[-1]:
        return cal.last_session.date()
    if cal.is_trading_minute(minute):
        return cal.minute_to_session(minute).date()
    return cal.minute_to_past_session(minute).date()


def session_dates(exchange: str, first: dt.date, last: dt.date) -> set[dt.date]:
    """The sessions of ``exchange`` from ``first`` to ``last`` (exchange_calendars), as dates."""
    cal = calendar(exchange)
    lo = max(_timestamp(first), cal.first_session)
    hi = min(_timestamp(last), cal.last_session)
    if lo > hi:
        return set()
    return {ts.date() for ts in cal.sessions_in_range(lo, hi)}


def is_session(exchange: str, day: dt.date) -> bool:
    return bool(calendar(exchange).is_session(_timestamp(day)))


@lru_cache(maxsize=1)
def _target_rules() -> list[dict]:
    with open(REPO / "data" / "reference" / "target_holidays.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def target_closed(day: dt.date) -> str | None:
    """The TARGET closing day ``day`` is (data/reference/target_holidays.csv), or None when TARGET is open."""

    for rule in _target_rules():
        if day < dt.date.fromisoformat(rule["valid_from"]):
            continue
        if rule["easter_offset"]:
            if day == easter(day.year) + dt.timedelta(days=int(rule["easter_offset"])):
                return rule["name"]
        elif (day.month, day.day) == (int(rule["month"]), int(rule["day"])):
            if rule["name"] == "New Year's Eve" and day.year > 2001:  # TARGET closed on 31 December 1999-2001 only
                continue
            return rule["name"]
    return None


def days_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every calendar day from ``first`` to ``last``, both included."""
    return [first + dt.timedelta(days=k) for k in range((last - first).days + 1)]


NON_EXCHANGE_CALENDARS = ("daily", "weekdays", "TARGET")


def publication_days(calendar_name: str, start: dt.date, end: dt.date) -> list[dt.date]:
    """Days a source on ``calendar_name`` publishes: every day (daily), Monday to Friday (weekdays), TARGET days,
    or the sessions of an exchange whose holidays the publisher shares (XNYS, XLON…)."""
    days = days_between(start, end)
    if calendar_name == "daily":
        return days
    if calendar_name == "weekdays":
        return [d for d in days if d.weekday() < 5]
    if calendar_name == "TARGET":
        return [d for d in days if d.weekday() < 5 and target_closed(d) is None]
    return [d for d in days if is_session(calendar_name, d)]


def due_publications(calendar_name: str, timezone: str, publish_time: str, last: dt.date,
                     now: dt.datetime) -> list[dt.date]:
    """Publication days after ``last`` whose publication time (local to the source) has passed at ``now``."""

    tz = ZoneInfo(timezone)
    local_now = now.astimezone(tz)
    hour, minute = (int(x) for x in publish_time.split(":"))
    days = publication_days(calendar_name, last + dt.timedelta(days=1), local_now.date()) if local_now.date() > last else []
    return [d for d in days if dt.datetime(d.year, d.month, d.day, hour, minute, tzinfo=tz) <= local_now]
