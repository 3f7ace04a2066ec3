-- check: Pegged, banded and par currencies against their anchor (cross-rate), with a tolerance and a validity period per peg (data/reference/pegs.csv).
-- judges: rates
-- Pegged and par currencies off their peg, judged on the cross-rate to the anchor (units of the pegged
-- currency per 1 anchor: AED per USD, FKP per GBP), only inside the peg's validity period.
-- fixed / par / currency board: |cross / central - 1| beyond the peg's tolerance; band: outside the band;
-- floor: below the floor (CHF 1.20 per EUR in 2011-2015).
-- The rounding of both legs (half_unit) widens the tolerance, so the ECB's 1.9558 is on the peg.
with quotes as (
    select * from stg_rates_daily
    where source = $source and date between $start and $end
),
legs as (
    select date, currency, rate, half_unit / rate as rel_rounding
    from quotes
    union all
    select distinct date, base, 1.0, 0.0
    from quotes
),
crosses as (
    select
        p.*,
        c.date,
        c.rate / a.rate as cross_rate,
        c.rel_rounding + a.rel_rounding as rel_rounding
    from ref_pegs as p
    join legs as c on c.currency = p.code
    join legs as a on a.currency = p.anchor and a.date = c.date
    where c.date >= p.valid_from and (p.valid_to is null or c.date <= p.valid_to)
),
judged as (
    select
        *,
        case
            when regime in ('band', 'floor') and cross_rate < lower * (1 - rel_rounding) then lower
            when regime in ('band', 'floor') and cross_rate > upper * (1 + rel_rounding) then upper
            when regime not in ('band', 'floor') and abs(cross_rate / central - 1) > tolerance_bp / 1e4 + rel_rounding then central
        end as breached
    from crosses
)
select
    'WARN' as severity,
    date,
    $source as source,
    code as subject,
    cross_rate as observed,
    breached as expected,
    case when regime in ('band', 'floor')
        then format('{} per {} {:.6f} outside the {} {}-{} ({}): {:+.1f} bp beyond {}',
                    code, anchor, cross_rate, regime, lower, coalesce(upper::varchar, ''), source, (cross_rate / breached - 1) * 1e4, breached)
        else format('{} per {} {:.6f} vs {} {} ({}): {:+.1f} bp, tolerance {:.1f} bp',
                    code, anchor, cross_rate, regime, central, source, (cross_rate / central - 1) * 1e4,
                    tolerance_bp + rel_rounding * 1e4)
    end as detail
from judged
where breached is not null
