-- fx_convert(amount, from_ccy, to_ccy, on_date [, max_age_days := 7] [, source_name := NULL]): one row.
-- rate_date is the latest publication on or before on_date (at most max_age_days earlier) on which the
-- source quoted both currencies; the source is the most trusted one that has the pair in that window
-- (ref_sources.reference_priority: the ECB first) unless `source_name` names one. rate = units of to_ccy per
-- 1 from_ccy (rate_text: to the precision of the published legs); converted = amount x rate; quality is the
-- worse of the two legs' (see fx_rates). When no publication qualifies, rate and converted are null and
-- `note` says why. (The parameter is not called `source`: DuckDB would bind it to every bare `source`
-- column of the views the macro reads.)
create or replace macro fx_convert(amount, from_ccy, to_ccy, on_date, max_age_days := 7, source_name := null) as table
with quoted as (
    -- every publication of the pair up to on_date, read once: the window's candidates and the latest one
    select c.date as rate_date, c.source as rate_source, c.rate, c.rate_text, c.quality, c.quality_checks
    from fx_cross_rates as c
    where c.base = upper(from_ccy) and c.quote = upper(to_ccy) and c.date <= cast(on_date as date)
      and (source_name is null or c.source = source_name)
),
best as (
    select q.*
    from quoted as q
    join ref_sources as s on s.source = q.rate_source and s.dataset = 'rates'
    where q.rate_date >= cast(on_date as date) - cast(max_age_days as integer)
    order by s.reference_priority, q.rate_date desc
    limit 1
),
earlier as (
    select max(q.rate_date) as last_date from quoted as q
),
codes as (
    select count(*) filter (where k.code = upper(from_ccy)) as from_known, count(*) filter (where k.code = upper(to_ccy)) as to_known
    from currencies as k
),
result as (
select
    cast(amount as double) as amount,
    upper(from_ccy) as from_ccy,
    upper(to_ccy) as to_ccy,
    cast(on_date as date) as requested_date,
    b.rate_date,
    b.rate_source,
    b.rate,
    b.rate_text,
    cast(amount as double) * b.rate as converted,
    b.quality,
    b.quality_checks,
    case
        when b.rate is not null and b.rate_date < cast(on_date as date)
            then format('no publication on {}: the rate of {}, the latest within {} days', cast(on_date as date), b.rate_date, max_age_days)
        when b.rate is not null then null
        when k.from_known = 0 or k.to_known = 0
            then format('unknown currency code {}', case when k.from_known = 0 then upper(from_ccy) else upper(to_ccy) end)
        when e.last_date is null
            then format('{}/{} is not quoted on or before {}{}', upper(from_ccy), upper(to_ccy), cast(on_date as date),
                        coalesce(' by ' || source_name, ''))
        else format('no publication of {}/{} within {} days before {}{} (the latest is {})', upper(from_ccy), upper(to_ccy),
                    max_age_days, cast(on_date as date), coalesce(' by ' || source_name, ''), e.last_date)
    end as note
from codes as k
cross join earlier as e
left join best as b on true
)
select
    r.amount, r.from_ccy, r.to_ccy, r.requested_date, r.rate_date, r.rate_source as source, r.rate, r.rate_text,
    r.converted, r.quality, r.quality_checks, r.note
from result as r
