-- check: Precious metals quoted in troy ounces per base unit instead of currency per troy ounce, with the implied price per ounce.
-- judges: rates
-- Precious metals quoted per 1 base unit (troy ounces per EUR) instead of the market's convention,
-- currency per troy ounce. Reports the implied price per ounce, in USD and in the base.
with quotes as (
    select * from stg_rates_daily
    where source = $source and date between $start and $end
),
usd as (
    select date, rate as usd_rate from quotes where currency = 'USD'
)
select
    'WARN' as severity,
    q.date,
    q.source,
    q.currency as subject,
    q.rate as observed,
    1 / q.rate as expected,
    format('{} ({}) quoted as {} troy ounces per 1 {}; market convention is {}: {:,.2f} {} per ounce',
           q.currency, m.name, q.rate_text, q.base, m.market_quote, 1 / q.rate, q.base)
    || case when coalesce(u.usd_rate, case when q.base = 'USD' then 1.0 end) is not null
        then format(' = {:,.2f} USD per ounce', coalesce(u.usd_rate, 1.0) / q.rate) else '' end as detail
from quotes as q
join ref_metals as m on m.code = q.currency
left join usd as u on u.date = q.date
where q.rate < 1
