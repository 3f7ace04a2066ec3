-- Every value each ticker quote has had: one row per (source, exchange, session, symbol) and version, a version
-- being a run of captures that showed the same price, change and percent change for that session, in capture
-- order (a page captured during a session shows a moving last price: each change is a version; a capture
-- repeating the values is not). known_from is the capture time of the bytes that first showed the values (the
-- time of the fetch, or the capture time a snapshot's file name states), never the session date: a ticker-history
-- file's rows are known from when the file was captured. Only the captures the warehouse keeps count (see
-- fx_rate_versions).
-- grain: source, exchange, session, symbol, version
-- column version: 1 for the first values captured, 2 for the first change, ...
-- column known_from: capture time (UTC) of the bytes that first showed these values: when the warehouse could first know them
-- column known_until: capture time of the bytes that next showed different values (this version's end); null while it is the latest
-- column latest_price: the quote's price in its latest version (what the warehouse knows now)
-- column versions: how many versions the quote has (1: never revised)
-- column raw_file: the raw file whose capture first showed these values
-- column line: its line in that raw file
with captures as (
    select source, exchange, session, symbol, price, change, change_pct, price_text, change_text, change_pct_text,
           captured_at, raw_file, line
    from stg_tickers
),
changes as (
    select
        *,
        row(price, change, change_pct) is distinct from lag(row(price, change, change_pct)) over by_capture as starts
    from captures
    window by_capture as (partition by source, exchange, session, symbol order by captured_at, raw_file, line)
),
firsts as (
    select * exclude (starts) from changes where starts
)
select
    source,
    exchange,
    session,
    symbol,
    row_number() over by_version as version,
    price,
    change,
    change_pct,
    price_text,
    change_text,
    change_pct_text,
    captured_at as known_from,
    lead(captured_at) over by_version as known_until,
    last_value(price) over whole as latest_price,
    count(*) over whole as versions,
    raw_file,
    line
from firsts
window by_version as (partition by source, exchange, session, symbol order by captured_at, raw_file, line),
       whole as (partition by source, exchange, session, symbol order by captured_at, raw_file, line
                 rows between unbounded preceding and unbounded following)
