-- Day-over-day change of each currency against the previous date on which the same source quoted it.
-- quality is the quote's own (see fx_rates). Weekends and holidays are gaps, not zeros: prev_date shows the gap (a Monday's prev_date is the Friday).
with rates as (
    select * from fx_rates
),
previous as (
    select
        date,
        source,
        base,
        currency,
        rate,
        quality,
        lag(date) over by_currency as prev_date,
        lag(rate) over by_currency as prev_rate
    from rates
    window by_currency as (partition by source, base, currency order by date)
)
select
    date,
    source,
    base,
    currency,
    rate,
    prev_date,
    prev_rate,
    rate - prev_rate as change,
    rate / prev_rate - 1 as change_pct,
    quality
from previous
order by source, currency, date
