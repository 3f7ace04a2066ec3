-- Our own change against the previous session the source quoted, beside what the source published.
-- change_pct is in percent of the previous close (market convention), like reported_change_pct.
with quotes as (
    select * from ticker_quotes
),
previous as (
    select
        *,
        lag(session) over by_symbol as prev_session,
        lag(price) over by_symbol as prev_price
    from quotes
    window by_symbol as (partition by source, symbol order by session)
)
select
    session,
    source,
    symbol,
    price,
    prev_session,
    prev_price,
    price - prev_price as change,
    100 * (price / prev_price - 1) as change_pct,
    change as reported_change,
    change_pct as reported_change_pct,
    quality
from previous
order by source, symbol, session
