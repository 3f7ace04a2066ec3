-- Our own change against the previous session the source quoted, beside what the source published.
-- change_pct is in percent of the previous close (market convention), like reported_change_pct.
-- The previous session counts only from the same or the previous month (see fx_daily_change), so
-- building month by month gives the same rows as building the whole history at once.
with quotes as (
    select * from ticker_quotes
),
previous as (
    select
        *,
        lag(session) over by_symbol as last_session,
        lag(price) over by_symbol as last_price
    from quotes
    window by_symbol as (partition by source, symbol order by session)
),
recent as (
    select *, last_session >= date_trunc('month', session) - interval 1 month as is_recent
    from previous
)
select
    session,
    source,
    symbol,
    price,
    case when is_recent then last_session end as prev_session,
    case when is_recent then last_price end as prev_price,
    case when is_recent then price - last_price end as change,
    case when is_recent then 100 * (price / last_price - 1) end as change_pct,
    change as reported_change,
    change_pct as reported_change_pct,
    quality
from recent
order by source, symbol, session
