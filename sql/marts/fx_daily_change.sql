-- Day-over-day change of each currency against the previous date on which the same source quoted it.
-- change_pct is in percent of the previous rate (1.0 = 1 %), like ticker_daily_change. Rates are units of
-- `currency` per 1 `base`, so a positive change_pct means the currency weakened against the base.
-- missed_publications counts the source's publication days (its calendar in ref_sources: TARGET for the
-- ECB) strictly between prev_date and date: 0 for an ordinary day-over-day change (a Monday after a
-- Friday, a day after a TARGET holiday); more is a change across missing data, flagged in quality
-- (WARN, quality_checks 'missed_publications'), not one day's move.
-- quality is otherwise the quote's own (see fx_rates).
-- The previous quote counts only from the same or the previous month: a currency quoted again after a
-- long gap (ISK in 2018 after nine years) has no day-over-day change, and a month's rows never depend on
-- older months, so building month by month gives the same rows as building the whole history at once.
-- grain: date, source, currency
-- time key: date
-- subject: currency
-- dataset: rates
-- reads: the previous month
-- closed periods: one file
-- column prev_date: the previous date this source quoted the currency (same or previous month); null when none
-- column prev_rate: the rate on prev_date
-- column change: rate - prev_rate, in units of `currency` per 1 `base`
-- column change_pct: our change in percent of prev_rate (1.0 = 1 %): positive = the currency weakened against the base
-- column missed_publications: the source's publication days strictly between prev_date and date (0: an ordinary day-over-day change)
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
        quality_checks,
        lag(date) over by_currency as last_date,
        lag(rate) over by_currency as last_rate
    from rates
    window by_currency as (partition by source, base, currency order by date)
),
recent as (
    select *, last_date >= date_trunc('month', date) - interval 1 month as is_recent
    from previous
),
calendar as (
    select s.source, p.day, p.n
    from ref_sources as s
    join ref_publication_days as p on p.calendar = s.calendar
    where s.dataset = 'rates'
),
counted as (
    -- n_before: publication days up to the day before `date`; n_prev: up to prev_date
    select r.*, coalesce(b.n, 0) - coalesce(p.n, 0) as missed
    from recent as r
    asof left join calendar as b on b.source = r.source and b.day <= r.date - 1
    asof left join calendar as p on p.source = r.source and p.day <= r.last_date
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
    case when is_recent then 100 * (rate / last_rate - 1) end as change_pct,
    case when is_recent then greatest(missed, 0) end as missed_publications,
    case when is_recent and missed > 0 and quality is distinct from 'ERROR' then 'WARN' else quality end as quality,
    case when is_recent and missed > 0
        then concat_ws(',', quality_checks, 'missed_publications') else quality_checks end as quality_checks
from counted
order by source, currency, date
