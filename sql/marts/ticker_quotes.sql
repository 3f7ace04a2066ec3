-- One quote per exchange session, source and symbol, with its data quality (see fx_rates).
-- A page captured on a US holiday (2024-11-28) shows the previous session (2024-11-27).
-- grain: session, source, symbol
with quotes as (
    select * from stg_ticker_sessions
),
flags as (
    select source, date as captured_date, subject as symbol, quality, quality_checks
    from stg_quality_flags
    where dataset = 'tickers'
),
blocked as (
    select source, date from stg_quality_flags where dataset = 'tickers' and blocked
)
select
    q.session, q.source, q.exchange, q.symbol, q.price, q.change, q.change_pct,
    q.price_text, q.change_pct_text, q.captured_at, f.quality, f.quality_checks
from quotes as q
left join flags as f using (source, captured_date, symbol)
anti join blocked as b on b.source = q.source and b.date = q.captured_date
order by q.source, q.symbol, q.session
