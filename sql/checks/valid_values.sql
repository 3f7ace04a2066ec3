-- check: Stored rates and prices are finite and > 0, each code once per snapshot, and every code is ISO 4217 or a known market or defunct code.
-- judges: rates, tickers
-- with: unknown_codes
-- Stored values that must never be there: a rate or price that is not finite or not > 0, and one
-- code (or symbol) twice in one snapshot. The parsers quarantine these, so a finding here is a bug.
-- Unknown currency codes are judged in Python (the iso4217 package).
with rates as (
    select date, source, raw_file, currency as subject, rate as value
    from stg_rates
    where $dataset = 'rates' and source = $source and date between $start and $end
),
tickers as (
    select captured_date, source, raw_file, symbol, price
    from stg_tickers
    where $dataset = 'tickers' and source = $source and captured_date between $start and $end
),
stored as (
    select * from rates
    union all
    select * from tickers
),
bad_values as (
    select 'ERROR' as severity, date, source, subject, value as observed, null::double as expected,
        format('{} = {} in {}: not a finite positive number', subject, value, raw_file) as detail
    from stored
    where value is null or isnan(value) or isinf(value) or value <= 0
),
duplicates as (
    select 'ERROR', date, source, subject, max(value), min(value),
        format('{} appears {} times in {}', subject, count(*), raw_file)
    from stored
    group by date, source, raw_file, subject
    having count(*) > 1
)
select * from bad_values
union all
select * from duplicates
