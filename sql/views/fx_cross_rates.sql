-- Every pair of a source's currencies on a date, its own base included: rate = units of `quote` per 1 `base`.
-- Computed on demand (a view), not materialized: 170 currencies make 28,900 pairs a day. A filter on
-- base and quote is pushed into both legs, so one pair reads two currencies' rows, never every pair.
with quoted as (
    select date, source, currency, rate as per_source_base
    from fx_rates
    where currency <> base
),
source_base as (
    select distinct date, source, base as currency, 1.0::double as per_source_base
    from fx_rates
),
legs as (
    select * from quoted
    union all
    select * from source_base
)
select
    b.date,
    b.source,
    b.currency as base,
    q.currency as quote,
    q.per_source_base / b.per_source_base as rate
from legs as b
join legs as q
    on q.date = b.date and q.source = b.source
