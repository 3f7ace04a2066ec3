-- Parsed rate quotes, one row per (source, date, captured_at, currency): units of `currency` per 1 `base`.
-- grain: source, raw_file, date, currency
with parsed as (
    select * from parsed_rates
)
select
    source,
    date,
    captured_at,
    base,
    currency,
    rate,
    rate_text,
    raw_file,
    line
from parsed
