-- Every value each rate quote has had: one row per (source, date, base, currency) and version, a version being
-- a run of captures that gave the same value (rate) for that quote, in capture order. A capture that restates
-- the same value (a history file repeating a daily file's 1.0542, or 11.6 as 11.600) is not a new version; a
-- value that comes back after a different one is. known_from is the capture time of the bytes that first gave
-- the value (stg_rates.captured_at: the time of the fetch, or the capture time a snapshot's file name states),
-- never the data date: a history file's rows are known from when the file was captured, so a 27-year history
-- loaded today makes its 1999 values known today, not in 1999 (the ECB's files state no publication time of
-- their own). Only the captures the warehouse keeps count: every single-date snapshot, and of the history files
-- covering a month, the newest when the month was last parsed (landing.snapshots_for); a value an older history
-- file gave first is known from the newer file's capture: later than it was, never earlier.
-- grain: source, date, base, currency, version
-- column version: 1 for the first value captured, 2 for the first change, ...
-- column rate: units of `currency` per 1 `base` in this version (rate_text: as published by its first capture)
-- column known_from: capture time (UTC) of the bytes that first gave this value: when the warehouse could first know it
-- column known_until: capture time of the bytes that next gave a different value (this version's end); null while it is the latest
-- column latest_rate: the quote's value in its latest version (what the warehouse knows now)
-- column latest_rate_text: latest_rate as published
-- column versions: how many versions the quote has (1: never revised)
-- column raw_file: the raw file whose capture first gave this value
-- column line: its line in that raw file
with captures as (
    select source, date, base, currency, rate, rate_text, captured_at, raw_file, line
    from stg_rates
),
changes as (
    select *, rate is distinct from lag(rate) over by_capture as starts
    from captures
    window by_capture as (partition by source, date, base, currency order by captured_at, raw_file, line)
),
firsts as (
    select * exclude (starts) from changes where starts
)
select
    source,
    date,
    base,
    currency,
    row_number() over by_version as version,
    rate,
    rate_text,
    captured_at as known_from,
    lead(captured_at) over by_version as known_until,
    last_value(rate) over whole as latest_rate,
    last_value(rate_text) over whole as latest_rate_text,
    count(*) over whole as versions,
    raw_file,
    line
from firsts
window by_version as (partition by source, date, base, currency order by captured_at, raw_file, line),
       whole as (partition by source, date, base, currency order by captured_at, raw_file, line
                 rows between unbounded preceding and unbounded following)
