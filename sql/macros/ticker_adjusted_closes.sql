-- ticker_adjusted_closes(as_of [, symbol_name := NULL] [, source_name := NULL] [, dividend_basis := 'previous_close']):
-- each session's close up to as_of, back-adjusted for every corporate action that went ex after it and on or before
-- as_of, with multiplicative factors (a split: 1 / ratio; a cash dividend D: 1 - D / a price). The price a dividend
-- is divided by is dividend_basis: 'previous_close' (the default, CRSP style: the close before the ex-date, as
-- ticker_daily_change's adjustment_factor) or 'ex_date_close' (the ex-date's close with the dividend added back,
-- D + close: Quandl's WIKI adjusted closes; a day-to-day ratio of the adjusted closes is then the day's total return).
-- adjusted_close = close x adjustment_factor, so the newest close is its own adjusted close and adjusted_close / the
-- previous adjusted_close is the day's price return with the actions of the day taken out. One symbol (symbol_name)
-- or every symbol; one source (source_name) or every source, each its own series. (The parameters are not called
-- `symbol` and `source`: DuckDB would bind them to the mart's columns.)
-- column close: the session's close as published (ticker_daily_change.price)
-- column adjusted_close: close x adjustment_factor, in price units of as_of's shares
-- column adjustment_factor: the product of the factors of every action after the session up to as_of (1: none)
create or replace macro ticker_adjusted_closes(as_of, symbol_name := null, source_name := null,
                                               dividend_basis := 'previous_close') as table
with series as (
    select
        c.source,
        c.symbol,
        c.session,
        c.price,
        case
            when dividend_basis = 'previous_close' then c.adjustment_factor
            when dividend_basis = 'ex_date_close' then
                if(c.prev_price is null, 1.0, c.price / (coalesce(c.split_ratio, 1.0) * (c.price + coalesce(c.dividend, 0))))
            else error(format('dividend_basis {} is not previous_close or ex_date_close', dividend_basis))
        end as adjustment_factor
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
