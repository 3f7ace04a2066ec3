-- check: A session's open and close between its low and high, and a volume >= 0, where the export has them.
-- judges: tickers
-- A session's prices against each other, where the export has them: low <= open <= high, low <= close <= high, and a
-- volume >= 0. A row that breaks this was kept as published; which figure is wrong cannot be told from the row.
with quotes as (
    select captured_date, session, symbol, raw_file, line, price, price_text, open, open_text, high, high_text, low,
        low_text, volume, volume_text
    from stg_tickers
    where source = $source and captured_date between $start and $end
      and (open is not null or high is not null or low is not null or volume is not null)
),
problems as (
    select *,
        concat_ws('; ',
            case when low > high then format('low {} above high {}', low_text, high_text) end,
            case when open < low then format('open {} below low {}', open_text, low_text) end,
            case when open > high then format('open {} above high {}', open_text, high_text) end,
            case when price < low then format('close {} below low {}', price_text, low_text) end,
            case when price > high then format('close {} above high {}', price_text, high_text) end,
            case when volume < 0 then format('volume {} below 0', volume_text) end) as found
    from quotes
)
select
    'ERROR' as severity,
    captured_date as date,
    $source as source,
    symbol as subject,
    price as observed,
    null::double as expected,
    format('{} on {}: {} ({}:{})', symbol, session, found, raw_file, line) as detail
from problems
where found <> ''
