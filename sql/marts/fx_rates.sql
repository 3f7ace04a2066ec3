-- One rate per date, source and currency: the last snapshot of the day, with its data quality.
-- rate = units of `currency` per 1 `base`, exactly as the source published it (rate_text keeps the text).
-- quality / quality_checks: see stg_quality_flags (null when the quote is clean). Partitions that failed
-- the blocking `partition_structure` check are left out.
-- Sorted by source, currency, date so a filter on one currency reads few row groups.
-- grain: date, source, currency
-- time key: date
-- subject: currency
-- dataset: rates
-- closed periods: one file
with quotes as (
    select * from stg_rates_daily
),
flags as (
    select source, date, subject as currency, quality, quality_checks
    from stg_quality_flags
    where dataset = 'rates'
),
blocked as (
    select source, date from stg_quality_flags where dataset = 'rates' and blocked
)
select q.date, q.source, q.base, q.currency, q.rate, q.rate_text, q.captured_at, f.quality, f.quality_checks
from quotes as q
left join flags as f using (source, date, currency)
anti join blocked as b on b.source = q.source and b.date = q.date
order by q.source, q.currency, q.date
