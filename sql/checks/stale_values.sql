-- check: A value unchanged over many publications while the source's other currencies moved (pegs to the source's base excepted).
-- judges: rates
-- A value published unchanged $min_observations or more times in a row while, on those days, at least
-- $min_moved_fraction of the source's other currencies moved. Currencies pegged to the source's own
-- base (BGN per EUR) are expected to sit still and are excepted.
with quotes as (
    select * from stg_rates_daily
    where source = $source and date between $start::date - cast($lookback_days as integer) and $end::date
),
moves as (
    select
        *,
        rate is distinct from lag(rate) over by_currency as moved,
        lag(rate) over by_currency is not null as has_previous
    from quotes
    window by_currency as (partition by currency order by date)
),
day_moves as (
    select date, avg(moved::int) filter (where has_previous) as moved_fraction
    from moves
    group by date
),
runs as (
    select *, sum(moved::int) over (partition by currency order by date rows unbounded preceding) as run_id
    from moves
),
run_days as (
    select
        r.*,
        d.moved_fraction,
        row_number() over by_run as run_length,
        min(r.date) over by_run as since,
        avg(d.moved_fraction) over by_run as others_moved
    from runs as r
    join day_moves as d using (date)
    window by_run as (partition by r.currency, r.run_id order by r.date rows unbounded preceding)
)
select
    'WARN' as severity,
    r.date,
    r.source,
    r.currency as subject,
    r.rate as observed,
    null::double as expected,
    format('{} unchanged at {} for {} publications since {}, while {:.0f}% of the other currencies moved',
           r.currency, r.rate_text, r.run_length, r.since, 100 * r.others_moved) as detail
from run_days as r
where r.date between $start and $end
  and r.run_length >= $min_observations
  and r.others_moved >= $min_moved_fraction
  and not exists (
      select 1 from ref_pegs as p
      where p.code = r.currency and p.anchor = r.base
        and r.date >= p.valid_from and (p.valid_to is null or r.date <= p.valid_to)
  )
