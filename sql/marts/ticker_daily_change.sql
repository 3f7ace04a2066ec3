-- Our own change against the previous session the source quoted, beside what the source published.
-- change_pct is in percent of the previous close (market convention), like reported_change_pct.
-- missed_publications counts the exchange's sessions strictly between prev_session and session
-- (exchange_calendars): a change across missing sessions is flagged in quality (WARN, quality_checks
-- 'missed_publications'), not presented as one session's move.
-- The previous session counts only from the same or the previous month (see fx_daily_change), so
-- building month by month gives the same rows as building the whole history at once.
-- grain: session, source, symbol
-- time key: session
-- subject: symbol
-- dataset: tickers
-- reads: the previous month
-- closed periods: one file
-- column prev_session: the previous session this source quoted the symbol (same or previous month); null when none
-- column prev_price: the price on prev_session
-- column change: our change, price - prev_price
-- column change_pct: our change in percent of prev_price (1.0 = 1 %)
-- column reported_change: the change the source published
-- column reported_change_pct: the percent change the source published
-- column missed_publications: the exchange's sessions strictly between prev_session and session (0: consecutive sessions)
-- Corporate actions (corporate_actions) going ex on the session are applied to the change against prev_price. A
-- split is applied only when the close moved by about its ratio: when the close moved less without it than with it,
-- the vendor's closes are already split-adjusted, and `adjustment` says so (the splits check reports it too).
-- column split_ratio: the split applied on this session, new shares per old share (2.0 for 2:1); null when none
-- column dividend: the cash dividend going ex on this session, per share after the session's split, in price units
-- column split_adjusted_change_pct: the change in percent with the session's split applied, 100 x (price x split_ratio / prev_price - 1)
-- column total_return_pct: the return in percent with the split applied and the dividend reinvested on the ex-date, 100 x (split_ratio x (price + dividend) / prev_price - 1)
-- column adjustment: the corporate actions of the session in words, with who states them; null when none
-- column adjustment_factor: the factor this session's actions put on every earlier close (CRSP style: 1 / split_ratio x (1 - dividend x split_ratio / prev_price)); 1 when none
with quotes as (
    select * from ticker_quotes
),
actions as (
    select
        symbol,
        ex_date as session,
        any_value(ratio) filter (where kind = 'split') as stated_split,
        any_value(amount) filter (where kind = 'dividend') as stated_dividend,
        any_value(if(source = 'reference', format('{}: {}', source, reference), source)) filter (where kind = 'split') as split_by,
        any_value(if(source = 'reference', format('{}: {}', source, reference), source)) filter (where kind = 'dividend') as dividend_by
    from corporate_actions
    group by symbol, ex_date
),
previous as (
    select
        *,
        lag(session) over by_symbol as last_session,
        lag(price) over by_symbol as last_price
    from quotes
    window by_symbol as (partition by source, symbol order by session)
),
recent as (
    select *, last_session >= date_trunc('month', session) - interval 1 month as is_recent
    from previous
),
counted as (
    -- sessions of the exchange up to the day before `session`, minus those up to prev_session
    select r.*, coalesce(b.n, 0) - coalesce(p.n, 0) as missed
    from recent as r
    asof left join ref_publication_days as b on b.calendar = r.exchange and b.day <= r.session - 1
    asof left join ref_publication_days as p on p.calendar = r.exchange and p.day <= r.last_session
),
adjusted as (
    select
        c.*,
        a.stated_split,
        a.stated_dividend,
        a.split_by,
        a.dividend_by,
        is_recent and a.stated_split is not null
            and abs(ln(price * a.stated_split / last_price)) < abs(ln(price / last_price)) as split_applied
    from counted as c
    left join actions as a using (symbol, session)
),
applied as (
    select
        *,
        case when split_applied then stated_split else 1.0 end as r,
        case when is_recent then coalesce(stated_dividend, 0) else 0 end as d,
        case
            when stated_split >= 1 and stated_split = round(stated_split) then format('{}:1', stated_split::bigint)
            when stated_split < 1 and 1 / stated_split = round(1 / stated_split) then format('1:{}', round(1 / stated_split)::bigint)
            else format('{} for 1', stated_split)
        end as split_words
    from adjusted
)
select
    session,
    source,
    symbol,
    price,
    case when is_recent then last_session end as prev_session,
    case when is_recent then last_price end as prev_price,
    case when is_recent then price - last_price end as change,
    case when is_recent then 100 * (price / last_price - 1) end as change_pct,
    change as reported_change,
    change_pct as reported_change_pct,
    case when is_recent then greatest(missed, 0) end as missed_publications,
    case when is_recent and missed > 0 and quality is distinct from 'ERROR' then 'WARN' else quality end as quality,
    case when is_recent and missed > 0
        then concat_ws(',', quality_checks, 'missed_publications') else quality_checks end as quality_checks,
    case when split_applied then stated_split end as split_ratio,
    case when is_recent then stated_dividend end as dividend,
    case when is_recent then 100 * (price * r / last_price - 1) end as split_adjusted_change_pct,
    case when is_recent then 100 * (r * (price + d) / last_price - 1) end as total_return_pct,
    nullif(concat_ws('; ',
        case
            when stated_split is null then null
            when split_applied then format('split {} ({})', split_words, split_by)
            when is_recent then format('split {} stated ({}), not applied: the close moved {:+.2f}% without it and '
                                       '{:+.2f}% with it, so the closes are already split-adjusted',
                                       split_words, split_by, 100 * (price / last_price - 1),
                                       100 * (price * stated_split / last_price - 1))
            else format('split {} stated ({}), not applied: no previous close', split_words, split_by)
        end,
        case
            when stated_dividend is null then null
            when is_recent then format('dividend {} ({})', stated_dividend, dividend_by)
            else format('dividend {} stated ({}), not applied: no previous close', stated_dividend, dividend_by)
        end), '') as adjustment,
    case when is_recent then (1 / r) * (1 - d * r / last_price) else 1.0 end as adjustment_factor
from applied
order by source, symbol, session
