-- check: A rate with too few significant digits to carry a price (XAU 0.0004: +/-12.5%), with the implied metal price and its range.
-- judges: rates
-- A published rate whose last digit's rounding alone moves it by more than $max_rounding_bp basis points
-- cannot carry a price: XAU 0.0004 (one significant digit) lies anywhere in [0.00035, 0.00045), +/-12.5%.
-- For metals the implied price per troy ounce is reported with its range.
with quotes as (
    select *
    from stg_rates_daily
    where source = $source and date between $start and $end
),
usd as (
    select date, rate as usd_rate from quotes where currency = 'USD'
),
coarse as (
    select
        q.*,
        q.half_unit / q.rate * 1e4 as rounding_bp,
        coalesce(u.usd_rate, case when q.base = 'USD' then 1.0 end) as usd_rate,
        m.code is not null as is_metal
    from quotes as q
    left join usd as u on u.date = q.date
    left join ref_metals as m on m.code = q.currency
    where q.half_unit / q.rate * 1e4 > $max_rounding_bp
)
select
    case when rounding_bp > $error_rounding_bp then 'ERROR' else 'WARN' end as severity,
    date,
    source,
    currency as subject,
    rate as observed,
    null::double as expected,
    format('{} {} (per 1 {}) has {} significant digit(s): the true value lies in [{}, {}), +/-{:.2f}%',
           currency, rate_text, base, significant_digits(rate_text), round(rate - half_unit, 12), round(rate + half_unit, 12), rounding_bp / 100)
    || case when is_metal and usd_rate is not null
        then format('; implied price {:,.0f} to {:,.0f} USD per troy ounce', usd_rate / (rate + half_unit), usd_rate / (rate - half_unit))
        else '' end as detail
from coarse
