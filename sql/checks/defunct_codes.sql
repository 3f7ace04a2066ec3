-- check: Codes quoted after their withdrawal date (date-aware), the stale value against successor x ratio.
-- judges: rates
-- Codes quoted on or after their withdrawal date. Where a successor exists the stale value is compared
-- with successor x ratio on the same date (LTL 3.117652 against its euro conversion rate 3.45280;
-- BYR against 10,000 x BYN). Date-aware: BGN is valid on 2024-11-28 and defunct from 2026-01-01.
with quotes as (
    select * from stg_rates_daily
    where source = $source and date between $start and $end
),
defunct as (
    select q.*, d.successor, d.withdrawn_from, d.ratio
    from quotes as q
    join ref_defunct_currencies as d on d.code = q.currency and q.date >= d.withdrawn_from
),
with_successor as (
    select
        d.*,
        case when d.successor = d.base then 1.0 else s.rate end as successor_rate
    from defunct as d
    left join quotes as s on s.date = d.date and s.currency = d.successor
)
select
    'ERROR' as severity,
    date,
    source,
    currency as subject,
    rate as observed,
    successor_rate * ratio as expected,
    format('{} withdrawn {}', currency, withdrawn_from)
    || case
        when successor is null then ', no successor'
        when ratio is null then format(', replaced by {} (no fixed ratio)', successor)
        when successor_rate is null then format(', replaced by {} at {} {} per {}; {} is not quoted', successor, ratio, currency, successor, successor)
        else format(', replaced by {} at {} {} per {}: still quoted {}, {:+.1f}% from {:.6g}',
                    successor, ratio, currency, successor, rate_text, 100 * (rate / (successor_rate * ratio) - 1), successor_rate * ratio)
       end as detail
from with_successor
