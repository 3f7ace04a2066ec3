-- Every statement of a corporate action: a vendor export's split or dividend on a session (the last capture of
-- that session, as stg_ticker_sessions keeps it) and each row of data/reference/corporate_actions.csv, the actions
-- a vendor does not state (with the document that states them). One statement per line; corporate_actions
-- resolves them to one action per symbol, ex-date and kind.
-- grain: source, raw_file, line, kind
-- column ex_date: the first session the shares trade without the dividend, or split-adjusted
-- column kind: split or dividend
-- column ratio: a split's new shares per old share (7.0 for 7:1, 0.5 for a 1:2 reverse split); null for a dividend
-- column amount: a cash dividend per share (after any split of the same day), in the listing's currency; null for a split
-- column published: the ratio or amount as its statement gives it (text)
-- column reference: the document that states a reference action (null for a vendor's)
with stating as (
    -- the captures of the sessions some capture states an action for: stg_ticker_sessions' last-capture rule over
    -- these few rows, not over every quote
    select *
    from stg_tickers as t
    semi join (select distinct session, source, symbol from stg_tickers where split_ratio is not null or dividend > 0) as a
        using (session, source, symbol)
),
last_capture as (
    select * from stating
    qualify row_number() over (partition by session, source, symbol order by captured_at desc, raw_file desc) = 1
),
vendor as (
    select symbol, exchange, session as ex_date, 'split' as kind, split_ratio as ratio, null::double as amount,
        split_ratio_text as published, source, null::varchar as reference, raw_file, line
    from last_capture
    where split_ratio is not null
    union all
    select symbol, exchange, session, 'dividend', null::double, dividend, dividend_text, source, null::varchar, raw_file, line
    from last_capture
    where dividend > 0
),
stated as (
    select
        upper(symbol) as symbol, coalesce(exchange, 'XNYS') as exchange, ex_date, lower(kind) as kind, ratio, amount,
        cast(coalesce(ratio, amount) as varchar) as published, 'reference' as source, reference,
        'data/reference/corporate_actions.csv' as raw_file, cast(row_number() over () + 1 as bigint) as line
    from ref_corporate_actions
)
select * from vendor
union all
select * from stated
