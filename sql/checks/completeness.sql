-- check: Codes quoted on the two previous publication days missing today; publication days of the source's calendar with no data between its first and newest quote.
-- judges: rates
-- with: calendar_gaps
-- Codes the source quoted on its previous two publication days but not on this one (codes withdrawn in
-- between are expected to go: ref_defunct_currencies). Two, so a table published on some days only (the Polish
-- central bank's weekly table B beside its daily table A) is not "missing" the day after. Days the source's
-- calendar expected but that have no data at all are judged in Python.
with quotes as (
    select date, currency
    from stg_rates_daily
    where source = $source and date between $start::date - cast($lookback_days as integer) and $end::date
),
days as (
    select distinct date from quotes
),
previous as (
    select date, lag(date) over (order by date) as prev_date, lag(date, 2) over (order by date) as before_prev
    from days
),
expected as (
    select p.date, p.prev_date, q.currency
    from previous as p
    join quotes as q on q.date = p.prev_date
    semi join quotes as b on b.date = p.before_prev and b.currency = q.currency
),
missing as (
    select e.*
    from expected as e
    anti join quotes as q on q.date = e.date and q.currency = e.currency
)
select
    'WARN' as severity,
    m.date,
    $source as source,
    m.currency as subject,
    null::double as observed,
    null::double as expected,
    format('{} quoted on {} but not on {}', m.currency, m.prev_date, m.date) as detail
from missing as m
left join ref_defunct_currencies as d on d.code = m.currency and m.date >= d.withdrawn_from
where d.code is null
  and m.date between $start and $end
