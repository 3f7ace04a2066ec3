-- The data quality of each judged quote, from the partition checks' findings (dq_findings):
-- quality is the worst severity found on it (ERROR over WARN), quality_checks names the checks.
-- blocked marks a partition that failed the blocking partition_structure check: the marts leave it out.
with findings as (
    select * from dq_findings
    where scope = 'partition'
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
