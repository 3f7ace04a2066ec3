-- Frankfurter's consensus rule: for a currency quoted by $min_sources or more sources on a date (per 1 EUR,
-- cross-rates, so every base compares), a quote is an outlier when it lies more than
-- max($mad_multiple x MAD, $min_fraction_of_median x median) from the median of the sources' quotes
-- (MAD: the median absolute deviation from that median). Unlike source_disagreement, no source is
-- trusted over another: the majority decides.
with per_eur as (
    select * from fx_rates_per_eur
    where date between coalesce($start::date, date '0001-01-01') and coalesce($end::date, date '9999-12-31')
),
centre as (
    select date, currency, median(rate) as median_rate, count(*) as sources
    from per_eur
    group by all
    having count(*) >= $min_sources
),
spread as (
    select c.date, c.currency, c.median_rate, c.sources, median(abs(p.rate - c.median_rate)) as mad
    from centre as c
    join per_eur as p using (date, currency)
    group by all
)
select
    'WARN' as severity,
    p.date,
    p.source,
    p.currency as subject,
    p.rate as observed,
    s.median_rate as expected,
    format('{} per EUR: {} {:.6g} is {:+.2f}% from the median {:.6g} of {} sources (limit: the larger of {} x MAD {:.6g} and {:.0f}% of the median)',
           p.currency, p.source, p.rate, 100 * (p.rate / s.median_rate - 1), s.median_rate, s.sources,
           $mad_multiple, s.mad, 100 * $min_fraction_of_median) as detail
from per_eur as p
join spread as s using (date, currency)
where abs(p.rate - s.median_rate) > greatest($mad_multiple * s.mad, $min_fraction_of_median * s.median_rate)
