-- One rate per date, source and currency: the last snapshot of the day, with its data quality.
-- rate = units of `currency` per 1 `base`, exactly as the source published it (rate_text keeps the text).
-- quality: the worst severity of the partition checks' findings on this quote (null when none), and
-- quality_checks names them. Partitions that failed the blocking `partition_structure` check are left out.
-- Sorted by source, currency, date so a filter on one currency reads few row groups.
with quotes as (
    select * from stg_rates_daily
),
blocked as (
    select distinct source, date
    from dq_findings
    where check_name = 'partition_structure' and severity = 'ERROR' and dataset = 'rates'
),
flags as (
    select
        source,
        date,
        subject as currency,
        case when bool_or(severity = 'ERROR') then 'ERROR' else 'WARN' end as quality,
        string_agg(distinct check_name, ',' order by check_name) as quality_checks
    from dq_findings
    where scope = 'partition' and dataset = 'rates'
    group by all
)
select q.date, q.source, q.base, q.currency, q.rate, q.rate_text, q.captured_at, f.quality, f.quality_checks
from quotes as q
left join flags as f using (source, date, currency)
where not exists (select 1 from blocked as b where b.source = q.source and b.date = q.date)
order by q.source, q.currency, q.date
