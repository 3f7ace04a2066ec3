-- Our own change against the previous session the source quoted, beside what the source published.
-- change_pct is in percent of the previous close (market convention), like reported_change_pct.
-- missed_publications counts the exchange's sessions strictly between prev_session and session
-- (exchange_calendars): a change across missing sessions is flagged in quality (WARN, quality_checks
-- 'missed_publications'), not presented as one session's move.
-- The previous session counts only from the same or the previous month (see fx_daily_change), so
-- building month by month gives the same rows as building the whole history at once.
-- grain: session, source, symbol
-- column prev_session: the previous session this source quoted the symbol (same or previous month); null when none
-- column prev_price: the price on prev_session
-- column change: our change, price - prev_price
-- column change_pct: our change in percent of prev_price (1.0 = 1 %)
-- column reported_change: the change the source published
-- column reported_change_pct: the percent change the source published
-- column missed_publications: the exchange's sessions strictly between prev_session and session (0: consecutive sessions)
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
),
counted as (
    -- sessions of the exchange up to the day before `session`, minus those up to prev_session
    select r.*, coalesce(b.n, 0) - coalesce(p.n, 0) as missed
    from recent as r
    asof left join ref_publication_days as b on b.calendar = r.exchange and b.day <= r.session - 1
    asof left join ref_publication_days as p on p.calendar = r.exchange and p.day <= r.last_session
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
    case when is_recent then greatest(missed, 0) end as missed_publications,
    case when is_recent and missed > 0 and quality is distinct from 'ERROR' then 'WARN' else quality end as quality,
    case when is_recent and missed > 0
        then concat_ws(',', quality_checks, 'missed_publications') else quality_checks end as quality_checks
from counted
order by source, symbol, session
