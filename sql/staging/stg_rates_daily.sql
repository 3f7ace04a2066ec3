-- One quote per date, source and currency: the last snapshot of the day (units of `currency` per 1 `base`).
-- half_unit is the quote's rounding: half a unit of its last published digit, or of the source's
-- documented precision where the file drops trailing zeros (ECB: five significant digits, 11.6 = 11.600), on the
-- scale of `rate` (a per-100 quote, or one turned around per 1 pivot, keeps the relative rounding of its text).
-- The checks judge these quotes, and fx_rates is built from them.
-- grain: date, source, currency
with captures as (
    select * from stg_rates
),
last_of_day as (
    select
        *,
        row_number() over (partition by date, source, currency order by captured_at desc, raw_file desc) as nth
    from captures
),
precision as (
    select source, significant_digits from ref_sources where dataset = 'rates'
)
select
    q.date, q.source, q.base, q.currency, q.rate, q.rate_text,
    case
        when p.significant_digits is not null
            then least(published_half_unit(q.rate_text), 0.5 * pow(10, floor(log10(q.rate)) - p.significant_digits + 1))
        when q.inverted or q.published_rate <> published_value(q.rate_text)
            then q.rate * published_half_unit(q.rate_text) / published_value(q.rate_text)
        else published_half_unit(q.rate_text)
    end as half_unit,
    q.captured_at, q.raw_file, q.line
from last_of_day as q
left join precision as p using (source)
where q.nth = 1
