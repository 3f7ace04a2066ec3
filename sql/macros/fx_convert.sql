-- fx_convert(amount, from_ccy, to_ccy, on_date [, max_age_days := 7] [, source_name := NULL] [, known_at := NULL]):
-- one row. rate_date is the latest publication on or before on_date (at most max_age_days earlier) on which the
-- source quoted both currencies; the source is the most trusted one that has the pair in that window
-- (ref_sources.reference_priority: the ECB first) unless `source_name` names one. rate = units of to_ccy per
-- 1 from_ccy (rate_text: to the precision of the published legs); converted = amount x rate; quality is the
-- worse of the two legs' (see fx_rates). When no publication qualifies, rate and converted are null and
-- `note` says why; with source_name := 'consensus' (fx_rates_consensus's blend) it says how each leg was formed and
-- from how many providers. With `known_at` (a timestamp with a time zone, '2024-11-28 10:00:00Z'), only what the warehouse
-- knew at that instant counts (fx_rates_known_at): each leg's value of the latest capture at or before it, so a
-- 10:00 valuation on a day the ECB publishes at 16:00 CET gets the previous day's rate. captured_at is then when the
-- rate's legs were captured (the later of the two), revised_at the first later capture that changed either leg, and
-- latest_rate (latest_rate_text) the pair's rate now; the note names the date used, its capture and any revision.
-- quality is today's findings on the legs of rate_date. (The parameter is not called `source`: DuckDB would bind
-- it to every bare `source` column of the views the macro reads.)
create or replace macro fx_convert(amount, from_ccy, to_ccy, on_date, max_age_days := 7, source_name := null,
                                   known_at := null) as table
with known_legs as (
    -- as known at known_at: each leg's version current at that instant (nothing is read when known_at is null)
    select v.date, v.source, v.base, v.currency, v.rate, v.rate_text, v.known_from, v.known_until, v.latest_rate,
           v.latest_rate_text
    from fx_rate_versions as v
    where known_at is not null
      and v.currency in (upper(from_ccy), upper(to_ccy))
      and v.date between cast(on_date as date) - cast(max_age_days as integer) and cast(on_date as date)
      and (source_name is null or v.source = source_name)
      and v.known_from <= cast(known_at as timestamptz)
      and (v.known_until is null or v.known_until > cast(known_at as timestamptz))
),
known_sides as (
    select
        l.date, l.source, any_value(l.base) as base,
        max(l.rate) filter (where l.currency = upper(from_ccy)) as f_rate,
        max(l.rate_text) filter (where l.currency = upper(from_ccy)) as f_text,
        max(l.latest_rate) filter (where l.currency = upper(from_ccy)) as f_latest,
        max(l.latest_rate_text) filter (where l.currency = upper(from_ccy)) as f_latest_text,
        max(l.known_from) filter (where l.currency = upper(from_ccy)) as f_from,
        max(l.known_until) filter (where l.currency = upper(from_ccy)) as f_until,
        max(l.rate) filter (where l.currency = upper(to_ccy)) as t_rate,
        max(l.rate_text) filter (where l.currency = upper(to_ccy)) as t_text,
        max(l.latest_rate) filter (where l.currency = upper(to_ccy)) as t_latest,
        max(l.latest_rate_text) filter (where l.currency = upper(to_ccy)) as t_latest_text,
        max(l.known_from) filter (where l.currency = upper(to_ccy)) as t_from,
        max(l.known_until) filter (where l.currency = upper(to_ccy)) as t_until
    from known_legs as l
    group by l.date, l.source
),
known_legs_of_pair as (
    -- the source's own base is a leg at 1 (no capture of its own); digits: the precision the leg's text carries
    select
        s.date, s.source,
        case when upper(from_ccy) = s.base then 1.0 else s.f_rate end as f_rate,
        case when upper(from_ccy) = s.base then 1.0 else s.f_latest end as f_latest,
        case when upper(from_ccy) = s.base then null else greatest(coalesce(p.significant_digits, 0), significant_digits(s.f_text)) end as f_digits,
        case when upper(from_ccy) = s.base then null else greatest(coalesce(p.significant_digits, 0), significant_digits(s.f_latest_text)) end as f_latest_digits,
        case when upper(to_ccy) = s.base then 1.0 else s.t_rate end as t_rate,
        case when upper(to_ccy) = s.base then 1.0 else s.t_latest end as t_latest,
        case when upper(to_ccy) = s.base then null else greatest(coalesce(p.significant_digits, 0), significant_digits(s.t_text)) end as t_digits,
        case when upper(to_ccy) = s.base then null else greatest(coalesce(p.significant_digits, 0), significant_digits(s.t_latest_text)) end as t_latest_digits,
        greatest(s.f_from, s.t_from) as captured_at,
        least(s.f_until, s.t_until) as revised_at
    from known_sides as s
    left join ref_sources as p on p.source = s.source and p.dataset = 'rates'
),
known_pairs as (
    select
        k.date, k.source, k.t_rate / k.f_rate as rate, k.t_latest / k.f_latest as latest_rate,
        least(coalesce(k.f_digits, k.t_digits), coalesce(k.t_digits, k.f_digits)) as digits,
        least(coalesce(k.f_latest_digits, k.t_latest_digits), coalesce(k.t_latest_digits, k.f_latest_digits)) as latest_digits,
        k.captured_at, k.revised_at
    from known_legs_of_pair as k
    where k.f_rate is not null and k.t_rate is not null
),
pair_legs as (
    -- without known_at: each source's quotes of the two currencies on each date up to on_date, from one scan of fx_rates
    -- (a filter on currency its sorted closed file prunes to a few row groups; no self-join of the two series). A
    -- source's own base is a leg at 1: a date whose rows quote the other currency has the pair.
    select
        r.date, r.source, any_value(r.base) as base,
        max(r.rate) filter (where r.currency = upper(from_ccy)) as f_rate,
        max(r.rate_text) filter (where r.currency = upper(from_ccy)) as f_text,
        max(r.rate) filter (where r.currency = upper(to_ccy)) as t_rate,
        max(r.rate_text) filter (where r.currency = upper(to_ccy)) as t_text,
        case when bool_or(r.quality = 'ERROR') then 'ERROR' when bool_or(r.quality = 'WARN') then 'WARN' end as quality,
        nullif(concat_ws(',', max(r.quality_checks) filter (where r.currency = upper(from_ccy)),
                         max(r.quality_checks) filter (where r.currency = upper(to_ccy))), '') as quality_checks
    from fx_rates as r
    where known_at is null
      and r.currency in (upper(from_ccy), upper(to_ccy)) and r.currency <> r.base
      and r.date <= cast(on_date as date)
      and (source_name is null or r.source = source_name)
    group by r.date, r.source
    union all
    -- the base against itself (EUR/EUR for the ECB): every date the source published, at 1
    select r.date, r.source, r.base, null, null, null, null, null, null
    from fx_rates as r
    where known_at is null and upper(from_ccy) = upper(to_ccy) and r.base = upper(from_ccy)
      and r.date <= cast(on_date as date)
      and (source_name is null or r.source = source_name)
    group by r.date, r.source, r.base
),
provider_pairs as (
    select
        l.date as rate_date, l.source as rate_source,
        case when upper(from_ccy) = l.base then null else l.f_text end as f_text,
        case when upper(to_ccy) = l.base then null else l.t_text end as t_text,
        (case when upper(to_ccy) = l.base then 1.0 else l.t_rate end)
            / (case when upper(from_ccy) = l.base then 1.0 else l.f_rate end) as rate,
        l.quality, l.quality_checks
    from pair_legs as l
    where (upper(from_ccy) = l.base or l.f_rate is not null) and (upper(to_ccy) = l.base or l.t_rate is not null)
),
consensus_pair as (
    -- source_name := 'consensus': the blend's pair up to on_date (fx_cross_rates, read once; never computed otherwise)
    select c.date, c.source, c.rate, c.rate_text, c.quality, c.quality_checks, c.basis
    from fx_cross_rates as c
    where known_at is null and source_name = 'consensus'
      and c.source = 'consensus' and c.base = upper(from_ccy) and c.quote = upper(to_ccy) and c.date <= cast(on_date as date)
),
quoted as (
    -- the window's candidates: the pair's publications from on_date - max_age_days to on_date (the latest before the
    -- window, for the note, is `earlier`'s); rate_text is formatted for the one kept (best_now)
    select p.rate_date, p.rate_source, p.rate, p.f_text, p.t_text, null::varchar as rate_text, p.quality, p.quality_checks
    from provider_pairs as p
    where p.rate_date >= cast(on_date as date) - cast(max_age_days as integer)
      and (source_name is distinct from 'consensus')
    union all
    select c.date, c.source, c.rate, null, null, c.rate_text, c.quality, c.quality_checks
    from consensus_pair as c
    where c.date >= cast(on_date as date) - cast(max_age_days as integer)
),
best_kept as (
    select q.*, s.significant_digits as documented
    from quoted as q
    left join ref_sources as s on s.source = q.rate_source and s.dataset = 'rates'
    where (s.source is not null or q.rate_source = 'consensus')
    order by s.reference_priority, q.rate_date desc
    limit 1
),
best_now as (
    -- rate_text to the precision of the two published legs (the fewer significant digits; the source's documented
    -- digits where its file drops trailing zeros), as fx_cross_rates gives it
    select k.rate_date, k.rate_source, k.rate,
           coalesce(k.rate_text, case when k.digits is null then '1'
               else format('{:.{}f}', k.rate, greatest(cast(k.digits - 1 - floor(log10(k.rate)) as integer), 0)) end) as rate_text,
           k.quality, k.quality_checks
    from (
        select b.*, least(coalesce(b.f_digits, b.t_digits), coalesce(b.t_digits, b.f_digits)) as digits
        from (
            select k.*,
                   case when k.f_text is not null then greatest(coalesce(k.documented, 0), significant_digits(k.f_text)) end as f_digits,
                   case when k.t_text is not null then greatest(coalesce(k.documented, 0), significant_digits(k.t_text)) end as t_digits
            from best_kept as k
        ) as b
    ) as k
),
best_known as (
    select
        k.date as rate_date, k.source as rate_source, k.rate,
        case when k.digits is null then '1'
            else format('{:.{}f}', k.rate, greatest(cast(k.digits - 1 - floor(log10(k.rate)) as integer), 0)) end as rate_text,
        k.captured_at, k.revised_at, k.latest_rate,
        case when k.latest_digits is null then '1'
            else format('{:.{}f}', k.latest_rate, greatest(cast(k.latest_digits - 1 - floor(log10(k.latest_rate)) as integer), 0))
        end as latest_rate_text
    from known_pairs as k
    join ref_sources as s on s.source = k.source and s.dataset = 'rates'
    order by s.reference_priority, k.date desc
    limit 1
),
best as (
    -- one of the two is empty: best_now without known_at, best_known with it
    select n.*, null::timestamptz as captured_at, null::timestamptz as revised_at, null::double as latest_rate,
           null::varchar as latest_rate_text
    from best_now as n
    union all
    select k.rate_date, k.rate_source, k.rate, k.rate_text, null::varchar, null::varchar, k.captured_at, k.revised_at,
           k.latest_rate, k.latest_rate_text
    from best_known as k
),
consensus_basis as (
    -- source_name := 'consensus': how the blend of each leg was formed (its method and how many providers gave weight)
    select 'the consensus: ' || c.basis as basis
    from best as b
    join consensus_pair as c on c.date = b.rate_date
),
known_quality as (
    -- as known at: today's findings on the two legs of the publication used (fx_rates)
    select
        case when bool_or(r.quality = 'ERROR') then 'ERROR' when bool_or(r.quality = 'WARN') then 'WARN' end as quality,
        nullif(string_agg(r.quality_checks, ',' order by r.currency), '') as quality_checks
    from best as b
    join fx_rates as r on r.source = b.rate_source and r.date = b.rate_date
    where known_at is not null and r.currency in (upper(from_ccy), upper(to_ccy))
),
earlier as (
    -- for the note when the window has none: the latest date on or before on_date on which one source quoted both
    -- currencies (provider_pairs: its own base counts as quoted); the consensus's from fx_cross_rates
    select max(d.date) as last_date
    from (
        select p.rate_date as date
        from provider_pairs as p
        where source_name is distinct from 'consensus'
        union all
        select c.date from consensus_pair as c
    ) as d
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
    coalesce(b.quality, kq.quality) as quality,
    coalesce(b.quality_checks, kq.quality_checks) as quality_checks,
    cast(known_at as timestamptz) as known_at,
    b.captured_at,
    b.revised_at,
    case when b.revised_at is not null then b.latest_rate end as latest_rate,
    case when b.revised_at is not null then b.latest_rate_text end as latest_rate_text,
    case
        when known_at is null then ''
        else format(' as known at {}', strftime(timezone('UTC', cast(known_at as timestamptz)), '%Y-%m-%d %H:%M:%S UTC'))
    end as as_known,
    k.from_known,
    k.to_known,
    e.last_date,
    cb.basis as consensus_basis
from codes as k
cross join earlier as e
left join best as b on true
left join consensus_basis as cb on true
left join known_quality as kq on true
)
select
    r.amount, r.from_ccy, r.to_ccy, r.requested_date, r.rate_date, r.rate_source as source, r.rate, r.rate_text,
    r.converted, r.quality, r.quality_checks,
    nullif(concat_ws('; ', case
        when r.rate is not null and r.known_at is not null
            then format('the rate of {}{}{}, captured {}; {}', r.rate_date, r.as_known,
                        case when r.rate_date < r.requested_date
                            then format(' (no publication on {} known then: the latest within {} days)', r.requested_date, max_age_days)
                            else '' end,
                        strftime(timezone('UTC', r.captured_at), '%Y-%m-%d %H:%M:%S UTC'),
                        case when r.revised_at is null then 'not revised since'
                            else format('revised at {}: {} now', strftime(timezone('UTC', r.revised_at), '%Y-%m-%d %H:%M:%S UTC'),
                                        r.latest_rate_text) end)
        when r.rate is not null and r.rate_date < r.requested_date
            then format('no publication on {}: the rate of {}, the latest within {} days', r.requested_date, r.rate_date, max_age_days)
        when r.rate is not null then null
        when r.from_known = 0 or r.to_known = 0
            then format('unknown currency code {}', case when r.from_known = 0 then r.from_ccy else r.to_ccy end)
        when r.known_at is not null
            then format('no publication of {}/{} within {} days before {}{}{}', r.from_ccy, r.to_ccy, max_age_days,
                        r.requested_date, coalesce(' by ' || source_name, ''), r.as_known)
        when r.last_date is null
            then format('{}/{} is not quoted on or before {}{}', r.from_ccy, r.to_ccy, r.requested_date,
                        coalesce(' by ' || source_name, ''))
        else format('no publication of {}/{} within {} days before {}{} (the latest is {})', r.from_ccy, r.to_ccy,
                    max_age_days, r.requested_date, coalesce(' by ' || source_name, ''), r.last_date)
    end, r.consensus_basis), '') as note,
    r.known_at, r.captured_at, r.revised_at, r.latest_rate, r.latest_rate_text
from result as r
