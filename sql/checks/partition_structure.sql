-- Structurally broken partitions: a day whose snapshot holds under $min_fraction_of_previous of the
-- codes (or symbols) the source published on its previous day. ERROR, and blocking: the models leave
-- the partition out. (An unreadable file fails the parse itself; an empty one is found in Python.)
with items as (
    select date, count(*) as n
    from stg_rates_daily
    where $dataset = 'rates' and source = $source
      and date between $start::date - cast($lookback_days as integer) and $end::date
    group by date
    union all
    select captured_date, count(*)
    from stg_ticker_sessions
    where $dataset = 'tickers' and source = $source
      and captured_date between $start::date - cast($lookback_days as integer) and $end::date
    group by captured_date
),
previous as (
    select
        date,
        n,
        lag(n) over by_date as prev_n,
        lag(date) over by_date as prev_date
    from items
    window by_date as (order by date)
)
select
    'ERROR' as severity,
    date,
    $source as source,
    'partition' as subject,
    n::double as observed,
    prev_n::double as expected,
    format('{} {} quoted, against {} on {}: most are missing', n, $dataset, prev_n, prev_date) as detail
from previous
where date between $start and $end
  and n < $min_fraction_of_previous * prev_n
