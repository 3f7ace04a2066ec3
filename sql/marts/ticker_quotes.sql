-- One quote per exchange session, source and symbol, with its data quality (see fx_rates).
-- A page captured on a US holiday (2024-11-28) shows the previous session (2024-11-27).
-- grain: session, source, symbol
-- time key: session
-- subject: symbol
-- dataset: tickers
-- reads: the next month
-- column open: the session's opening price as published (a vendor export's; null where the input has none)
-- column high: the session's highest price as published
-- column low: the session's lowest price as published
-- column volume: the session's traded volume, in shares, as published
-- column reported_adjusted_close: the vendor's own adjusted close as published (see ticker_adjusted_closes for ours)
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
    q.price_text, q.change_pct_text, q.captured_at, f.quality, f.quality_checks,
    q.open, q.high, q.low, q.volume, q.adjusted_close as reported_adjusted_close
from quotes as q
left join flags as f using (source, captured_date, symbol)
anti join blocked as b on b.source = q.source and b.date = q.captured_date
order by q.source, q.symbol, q.session
