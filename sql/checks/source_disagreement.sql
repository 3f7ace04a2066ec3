-- Two sources quoting one currency on one date more than $max_bp apart, compared per 1 EUR (cross-rates,
-- so sources with other bases compare too). Each quote is judged against the most trusted other source
-- quoting it (ref_sources.reference_priority: the ECB first). Page vs ECB on 2024-11-28: BRL 59 bp.
with per_eur as (
    select * from fx_rates_per_eur
    where date between coalesce($start::date, date '0001-01-01') and coalesce($end::date, date '9999-12-31')
),
ranked as (
    select p.*, s.reference_priority
    from per_eur as p
    join ref_sources as s on s.source = p.source and s.dataset = 'rates'
),
compared as (
    select
        a.date,
        a.source,
        a.currency,
        a.rate as observed,
        b.rate as expected,
        b.source as reference,
        row_number() over (partition by a.date, a.source, a.currency order by b.reference_priority) as nth
    from ranked as a
    join ranked as b on b.date = a.date and b.currency = a.currency and b.reference_priority < a.reference_priority
)
select
    case when abs(observed / expected - 1) * 1e4 > $error_bp then 'ERROR' else 'WARN' end as severity,
    date,
    source,
    currency as subject,
    observed,
    expected,
    format('{} per EUR: {} {:.6g} vs {} {:.6g}, {:+.1f} bp (threshold {} bp)',
           currency, source, observed, reference, expected, (observed / expected - 1) * 1e4, $max_bp) as detail
from compared
where nth = 1 and abs(observed / expected - 1) * 1e4 > $max_bp
