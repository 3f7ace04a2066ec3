-- check: Lines the parser read but kept out of the data (not a number, <= 0, NaN, comma decimal, a code twice with different values), with file, line and reason.
-- judges: inputs
-- Lines the parser read but did not trust (not a number, zero or negative, NaN, a comma decimal, a code
-- quoted twice with different values, a ticker with a missing line): kept out of the data, reported here.
with rejects as (
    select * from parsed_rejects
    where source = $source and date between $start and $end
)
select
    'WARN' as severity,
    date,
    source,
    coalesce(nullif(regexp_extract(text, '\b([A-Z][A-Z0-9.]{1,9})\b', 1), ''), 'line ' || coalesce(line::varchar, '?')) as subject,
    null::double as observed,
    null::double as expected,
    format('{}:{}: {} ({})', raw_file, coalesce(line::varchar, '-'), reason, text) as detail
from rejects
