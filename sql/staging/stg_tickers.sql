-- Parsed ticker quotes, one row per (source, capture, symbol), stamped with the exchange session they show.
-- grain: source, raw_file, captured_date, symbol, session
with parsed as (
    select * from parsed_tickers
)
select
    source,
    date as captured_date,
    captured_at,
    exchange,
    session,
    symbol,
    price,
    change,
    change_pct,
    price_text,
    change_text,
    change_pct_text,
    raw_file,
    line,
    open,
    high,
    low,
    volume,
    dividend,
    split_ratio,
    adjusted_close,
    open_text,
    high_text,
    low_text,
    volume_text,
    dividend_text,
    split_ratio_text,
    adjusted_close_text
from parsed
