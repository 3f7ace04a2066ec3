-- The data quality of each judged quote, from every finding about it (dq_findings), whatever check
-- produced it: a partition check on the parsed asset (precision, peg_deviation...) or a check across
-- sources on the mart (source_disagreement). A finding flags the quote of its dataset, source, date and
-- subject (currency or symbol); findings about no quote (freshness: subject 'newest partition') match none.
-- quality is the worst severity found on it (ERROR over WARN), quality_checks names the checks.
-- blocked marks a partition that failed the blocking partition_structure check: the marts leave it out.
-- grain: dataset, source, date, subject
-- column dataset: rates or tickers
-- column subject: the currency (rates) or symbol (tickers) the findings are about
-- column blocked: true when the partition of this source and date failed the blocking partition_structure check
with findings as (
    select * from dq_findings
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
