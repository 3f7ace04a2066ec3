-- One quote per exchange session, source and symbol, with its data quality (see fx_rates).
-- A page captured on a US holiday (2024-11-28) shows the previous session (2024-11-27).
with quotes as (
    select * from stg_ticker_sessions
),
blocked as (
    select distinct source, date
    from dq_findings
    where check_name = 'partition_structure' and severity = 'ERROR' and dataset = 'tickers'
),
flags as (
    select
        source,
        date as captured_date,
        subject as symbol,
        case when bool_or(severity = 'ERROR') then 'ERROR' else 'WARN' end as quality,
        string_agg(distinct check_name, ',' order by check_name) as quality_checks
    from dq_findings
    where scope = 'partition' and dataset = 'tickers'
    group by all
)
select
    q.session, q.source, q.exchange, q.symbol, q.price, q.change, q.change_pct,
    q.price_text, q.change_pct_text, q.captured_at, f.quality, f.quality_checks
from quotes as q
left join flags as f using (source, captured_date, symbol)
where not exists (select 1 from blocked as b where b.source = q.source and b.date = q.captured_date)
order by q.source, q.symbol, q.session
