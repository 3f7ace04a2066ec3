-- One quote per exchange session, source and symbol: the last capture that showed that session.
-- A page captured on a US holiday (2024-11-28) shows the previous session (2024-11-27).
-- grain: session, source, symbol
with captures as (
    select * from stg_tickers
),
last_capture as (
    select
        *,
        row_number() over (partition by session, source, symbol order by captured_at desc, raw_file desc) as nth
    from captures
)
select
    session, source, exchange, symbol, price, change, change_pct,
    price_text, change_text, change_pct_text, captured_date, captured_at, raw_file, line,
    open, high, low, volume, dividend, split_ratio, adjusted_close,
    open_text, high_text, low_text, volume_text, dividend_text, split_ratio_text, adjusted_close_text
from last_capture
where nth = 1
