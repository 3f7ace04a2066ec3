-- check: Blocking: a partition that is empty, or holds under half the codes the source usually publishes (the median of its publications of the days before), is structurally broken; the models leave it out.
-- judges: rates, tickers
-- blocking: yes
-- with: empty_partitions
-- Structurally broken partitions: a day whose snapshot holds under $min_fraction_of_previous of the
-- codes (or symbols) the source usually publishes: the median count of its publications over the previous
-- $lookback_days days (its previous day's count when it has one). The median, so a source with a weekly table
-- beside its daily one (the Polish central bank's table B on Wednesdays: 148 codes, 32 on other days) is judged
-- against its ordinary day. ERROR, and blocking: the models leave the partition out. (An unreadable file fails
-- the parse itself; an empty one is found in Python.)
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
        median(n) over before as prev_n,
        count(n) over before as prev_count,
        lag(n) over by_date as last_n,
        lag(date) over by_date as prev_date
    from items
    window by_date as (order by date),
           before as (order by date rows between unbounded preceding and 1 preceding)
)
select
    'ERROR' as severity,
    date,
    $source as source,
    'partition' as subject,
    n::double as observed,
    prev_n::double as expected,
    case when prev_count = 1 or prev_n = last_n
        then format('{} {} quoted, against {} on {}: most are missing', n, $dataset, last_n, prev_date)
        else format('{} {} quoted, against a median of {} over the {} publications before (the last {} on {}): most are missing',
                    n, $dataset, prev_n, prev_count, last_n, prev_date) end as detail
from previous
where date between $start and $end
  and n < $min_fraction_of_previous * prev_n
