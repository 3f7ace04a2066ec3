-- ticker_adjusted_closes(as_of [, symbol_name := NULL] [, source_name := NULL]): each session's close up to as_of,
-- back-adjusted for every corporate action that went ex after it and on or before as_of, with CRSP-style
-- multiplicative factors (a split: 1 / ratio; a cash dividend: 1 - dividend / the previous close), as
-- ticker_daily_change applies them. adjusted_close = close x adjustment_factor, so the newest close is its own
-- adjusted close and adjusted_close / the previous adjusted_close is the day's price return with the actions of the
-- day taken out. One symbol (symbol_name) or every symbol; one source (source_name) or every source, each its own
-- series. (The parameters are not called `symbol` and `source`: DuckDB would bind them to the mart's columns.)
-- column close: the session's close as published (ticker_daily_change.price)
-- column adjusted_close: close x adjustment_factor, in price units of as_of's shares
-- column adjustment_factor: the product of the factors of every action after the session up to as_of (1: none)
create or replace macro ticker_adjusted_closes(as_of, symbol_name := null, source_name := null) as table
with series as (
    select c.source, c.symbol, c.session, c.price, c.adjustment_factor
    from ticker_daily_change as c
    where c.session <= cast(as_of as date)
      and (symbol_name is null or c.symbol = upper(symbol_name))
      and (source_name is null or c.source = source_name)
)
select
    s.source,
    s.symbol,
    s.session,
    s.price as close,
    s.price * coalesce(product(s.adjustment_factor) over later, 1.0) as adjusted_close,
    coalesce(product(s.adjustment_factor) over later, 1.0) as adjustment_factor
from series as s
window later as (partition by s.source, s.symbol order by s.session rows between 1 following and unbounded following)
order by s.source, s.symbol, s.session
