-- Every calendar day, for every currency a source quotes (its base included, at 1), from the currency's
-- first quote to seven days after the source's last publication: the rate of the latest publication on or
-- before that day. For joins against transaction tables: `join fx_rates_asof using (date, currency)`.
-- rate = units of `currency` per 1 `base` as published on rate_date; age_days = date - rate_date.
-- rate_status: 'published' (a publication of that day), 'carried' (the last publication within
-- 7 days: a weekend, a holiday), 'stale' (nothing published within 7 days: rate is null, never a silently
-- old rate across a load gap or after a currency stopped being quoted).
-- grain: date, source, currency
-- column date: every calendar day
-- column rate_date: the publication whose rate applies on `date` (the latest on or before it)
-- column age_days: date - rate_date
-- column rate: units of `currency` per 1 `base` published on rate_date; null when rate_date is more than 7 days before date
-- column rate_status: published (rate_date = date), carried (at most 7 days old) or stale (older: rate is null)
with quotes as (
    select date, source, base, currency, rate, rate_text, quality, quality_checks from fx_rates
    union all
    select distinct date, source, base, base, 1.0, '1', null, null from fx_rates
),
spans as (
    select q.source, q.base, q.currency, min(q.date) as first_day, any_value(l.last_day) as last_day
    from quotes as q
    join (select source, max(date) + 7 as last_day from fx_rates group by source) as l using (source)
    group by all
),
days as (
    select s.source, s.base, s.currency, unnest(generate_series(s.first_day, s.last_day, interval 1 day))::date as date
    from spans as s
)
select
    d.date,
    d.source,
    d.base,
    d.currency,
    q.date as rate_date,
    d.date - q.date as age_days,
    case when d.date - q.date <= 7 then q.rate end as rate,
    case when d.date - q.date <= 7 then q.rate_text end as rate_text,
    case when d.date = q.date then 'published' when d.date - q.date <= 7 then 'carried' else 'stale' end as rate_status,
    case when d.date - q.date <= 7 then q.quality end as quality,
    case when d.date - q.date <= 7 then q.quality_checks end as quality_checks
from days as d
asof left join quotes as q
    on q.source = d.source and q.currency = d.currency and q.date <= d.date
