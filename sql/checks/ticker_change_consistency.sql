-- check: The published percent change against change / previous close at the published precision.
-- judges: tickers
-- The published percent change against the market convention, change / previous close, where the
-- previous close is price - change. Every published figure is rounded, so the check computes the range
-- the rounded price and change allow and flags a percent outside it (by more than
-- $tolerance_half_units half-units of its last digit). It also says when the figure matches
-- change / price, the current price (RBGPF: change 1.00, price 62, published +1.61%, correct +1.64%).
with quotes as (
    select
        *,
        published_half_unit(price_text) as hp,
        published_half_unit(change_text) as hc,
        published_half_unit(change_pct_text) * $tolerance_half_units as hpct
    from stg_tickers
    where source = $source and captured_date between $start and $end
      and change is not null and change_pct is not null and price_text is not null and change_text is not null
),
corners as (
    select
        *,
        100 * (change - hc) / (price - hp - (change - hc)) as a,
        100 * (change - hc) / (price + hp - (change - hc)) as b,
        100 * (change + hc) / (price - hp - (change + hc)) as c,
        100 * (change + hc) / (price + hp - (change + hc)) as d,
        100 * (change - hc) / (price + hp) as cur_lo,
        100 * (change + hc) / (price - hp) as cur_hi
    from quotes
),
ranges as (
    select *, least(a, b, c, d) as lo, greatest(a, b, c, d) as hi from corners
)
select
    'ERROR' as severity,
    captured_date as date,
    source,
    symbol as subject,
    change_pct as observed,
    100 * change / (price - change) as expected,
    format('{} change {} price {}: published {}, change / previous close gives {:.4f}% (range {:.4f} to {:.4f})',
           symbol, change_text, price_text, change_pct_text, 100 * change / (price - change), lo, hi)
    || case when change_pct + hpct >= least(cur_lo, cur_hi) and change_pct - hpct <= greatest(cur_lo, cur_hi)
        then '; the published figure is change / price (the current price, not the previous close)' else '' end as detail
from ranges
where change_pct + hpct < lo or change_pct - hpct > hi
