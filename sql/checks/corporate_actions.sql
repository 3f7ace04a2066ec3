-- check: Splits and dividends stated twice or with different values, ex-dates off the exchange's sessions, a recorded split the closes do not show, a split-like move with no recorded split.
-- judges: tickers
-- Corporate actions against each other and against the closes (corporate_actions; stg_corporate_actions holds every
-- statement), for the symbols this source quotes in the judged range:
-- - an action stated by more than one source: a duplicate (WARN), or a conflict when their ratios or amounts differ
--   (ERROR: which is right cannot be known; the reference file's statement is the one applied);
-- - an ex-date that is not a session of the symbol's exchange (ERROR), as a quote's session must be;
-- - a recorded split on a session whose close does not move by about its ratio: with the split applied the move is
--   still beyond $split_tolerance in log terms. Either the closes are already split-adjusted (the raw move is small)
--   or the action is wrong (WARN);
-- - a move that looks like a split (beyond $min_split_move, and within $split_tolerance of a common ratio) on a
--   session with no recorded split (WARN): record it in data/reference/corporate_actions.csv, or find out why.
with quoted as (
    select distinct symbol, exchange
    from stg_ticker_sessions
    where source = $source and captured_date between $start and $end
),
actions as (
    select a.* from corporate_actions as a semi join quoted as q on q.symbol = a.symbol
),
closes as (
    select
        captured_date, session, symbol, price, price_text,
        lag(price) over by_symbol as prev_price,
        lag(session) over by_symbol as prev_session
    from stg_ticker_sessions
    where source = $source and captured_date between $start::date - cast($lookback_days as integer) and $end::date
    window by_symbol as (partition by symbol order by session)
),
moves as (
    select c.*, ln(c.price / c.prev_price) as raw, a.ratio as split, a.source as split_source
    from closes as c
    left join actions as a on a.symbol = c.symbol and a.ex_date = c.session and a.kind = 'split'
    where c.captured_date between $start and $end and c.prev_price is not null
),
ratios as (
    select unnest([1.5, 2, 3, 4, 5, 7, 8, 10, 15, 20, 1 / 2, 1 / 3, 1 / 4, 1 / 5, 1 / 8, 1 / 10, 1 / 20]) as ratio
),
look_alike as (
    select m.*, r.ratio as like_ratio
    from moves as m
    join ratios as r on abs(m.raw + ln(r.ratio)) <= $split_tolerance
    where m.split is null and abs(m.raw) > ln(1 + $min_split_move)
    qualify row_number() over (partition by m.symbol, m.session order by abs(m.raw + ln(r.ratio))) = 1
)
select
    case when conflicting then 'ERROR' else 'WARN' end as severity,
    ex_date as date,
    $source as source,
    symbol as subject,
    coalesce(ratio, amount) as observed,
    null::double as expected,
    format('{} {} on {} stated {} times{}: {}; the one applied: {} ({}:{})', symbol, kind, ex_date, statements,
           case when conflicting then ' with different values' else '' end, stated, source, raw_file, line) as detail
from actions
where statements > 1 and ex_date between $start and $end
union all
select
    'ERROR', a.ex_date, $source, a.symbol, coalesce(a.ratio, a.amount), null,
    format('{} {} {} stated for {} ({}), not a {} session{} ({}:{})', a.symbol, a.kind, a.published, a.ex_date,
           dayname(a.ex_date), a.exchange,
           case when not exists (select 1 from ref_publication_days as k where k.calendar = a.exchange)
               then ' (no calendar of that exchange is known)' else '' end, a.raw_file, a.line)
from actions as a
anti join ref_publication_days as p on p.calendar = a.exchange and p.day = a.ex_date
where a.ex_date between $start and $end
union all
select
    'WARN', captured_date, $source, symbol, price, prev_price * (1 / split),
    format('{} split of {} for 1 recorded on {} ({}), but the close moved {:+.2f}% ({} after {} on {}): {}', symbol,
           split, session, split_source, 100 * (exp(raw) - 1), price_text, prev_price, prev_session,
           case when abs(raw) <= $split_tolerance then 'the closes are already split-adjusted, so the split is not applied'
                else 'not about the ratio; the prices or the action are wrong' end)
from moves
where split is not null and abs(raw + ln(split)) > $split_tolerance
union all
select
    'WARN', captured_date, $source, symbol, price, prev_price * (1 / like_ratio),
    format('{} {} on {} after {} on {}: {:+.2f}%, what a split of {} for 1 does, and no split is recorded '
           '(data/reference/corporate_actions.csv, or a split column of the export)', symbol, price_text, session,
           prev_price, prev_session, 100 * (exp(raw) - 1), round(like_ratio, 4))
from look_alike
