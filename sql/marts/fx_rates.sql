-- One rate per date, source and currency: the last snapshot of the day.
-- rate = units of `currency` per 1 `base`, exactly as the source published it (rate_text keeps the text).
-- Sorted by source, currency, date so a filter on one currency reads few row groups.
with quotes as (
    select * from stg_rates
),
last_of_day as (
    select
        *,
        row_number() over (partition by date, source, currency order by captured_at desc, raw_file desc) as nth
    from quotes
)
select date, source, base, currency, rate, rate_text, captured_at
from last_of_day
where nth = 1
order by source, currency, date
