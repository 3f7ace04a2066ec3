-- The data quality of each judged quote, whatever check judged it: the findings of the partition checks on the
-- parsed assets (dq_findings: precision, peg_deviation...) and the cross-source judgments (stg_source_comparison:
-- source_disagreement, source_consensus), read from that model directly, so fx_rates carries them in the build
-- that judged them (their stored findings are the checks' record of the same judgments, not read here). Reviewed
-- and accepted findings (ref_accepted_findings) flag nothing. A finding flags the quote of its dataset, source,
-- date and subject (currency or symbol); findings about no quote (freshness: subject 'newest partition') match none.
-- quality is the worst severity found on it (ERROR over WARN), quality_checks names the checks.
-- blocked marks a partition that failed the blocking partition_structure check: the marts leave it out.
-- grain: dataset, source, date, subject
-- column dataset: rates or tickers
-- column subject: the currency (rates) or symbol (tickers) the findings are about
-- column blocked: true when the partition of this source and date failed the blocking partition_structure check
with stored as (
    select dataset, source, date, subject, severity, check_name
    from dq_findings
    where check_name not in ('source_disagreement', 'source_consensus')
),
compared as (
    select 'rates' as dataset, source, date, currency as subject, disagreement_severity as severity, 'source_disagreement' as check_name
    from stg_source_comparison
    where disagrees
    union all
    select 'rates', source, date, currency, 'WARN', 'source_consensus'
    from stg_source_comparison
    where outlier
),
findings as (
    select * from stored
    union all
    select c.*
    from compared as c
    anti join ref_accepted_findings as a
        on a.check_name = c.check_name and a.source = c.source and a.subject = c.subject
       and c.date between a.first_date and a.last_date
)
select
    dataset,
    source,
    date,
    subject,
    case when bool_or(severity = 'ERROR') then 'ERROR' else 'WARN' end as quality,
    string_agg(distinct check_name, ',' order by check_name) as quality_checks,
    bool_or(check_name = 'partition_structure' and severity = 'ERROR') as blocked
from findings
group by all
