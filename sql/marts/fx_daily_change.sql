-- Day-over-day change of each currency against the previous date on which the same source quoted it.
-- change_pct is a fraction (0.01 = 1 %); positive means more units of `currency` per 1 `base`.
-- quality is the quote's own (see fx_rates). Weekends and holidays are gaps, not zeros: prev_date shows the gap (a Monday's prev_date is the Friday).
-- The previous quote counts only from the same or the previous month: a currency quoted again after a
-- long gap (ISK in 2018 after nine years) has no day-over-day change, and a month's rows never depend on
-- older months, so building month by month gives the same rows as building the whole history at once.
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
        lag(date) over by_currency as last_date,
        lag(rate) over by_currency as last_rate
    from rates
    window by_currency as (partition by source, base, currency order by date)
),
recent as (
    select *, last_date >= date_trunc('month', date) - interval 1 month as is_recent
    from previous
)
select
    date,
    source,
    base,
    currency,
    rate,
    case when is_recent then last_date end as prev_date,
    case when is_recent then last_rate end as prev_rate,
    case when is_recent then rate - last_rate end as change,
    case when is_recent then rate / last_rate - 1 end as change_pct,
    quality
from recent
order by source, currency, date
