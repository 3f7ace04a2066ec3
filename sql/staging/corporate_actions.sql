-- Corporate actions: one per symbol, ex-date and kind, from the vendors' split and dividend columns and from
-- data/reference/corporate_actions.csv (stg_corporate_actions holds every statement). Where both state an action the
-- reference file's statement is kept (it names its document); every other statement is counted in `statements`
-- and listed in `stated`, and `conflicting` says whether they disagree: the corporate_actions check reports both.
-- grain: symbol, ex_date, kind
-- column ex_date: the first session the shares trade without the dividend, or split-adjusted
-- column kind: split or dividend
-- column ratio: a split's new shares per old share (7.0 for 7:1, 0.5 for a 1:2 reverse split); null for a dividend
-- column amount: a cash dividend per share (after any split of the same day), in the listing's currency; null for a split
-- column published: the kept statement's ratio or amount as it gives it (text)
-- column reference: the document that states a reference action (null for a vendor's)
-- column source: who states the kept statement: a ticker source (ticker_csv) or reference (the reference file)
-- column raw_file: the raw file (or data/reference/corporate_actions.csv) of the kept statement
-- column line: the line of the kept statement in raw_file
-- column statements: how many sources state the action (1: one; more: a duplicate, or a conflict)
-- column stated: every statement, 'source value (raw_file:line)', separated by '; '
-- column conflicting: whether the statements give different ratios or amounts
with statements as (
    select *, coalesce(ratio, amount) as value from stg_corporate_actions
),
ranked as (
    select
        *,
        row_number() over by_action as nth,
        count(*) over whole as n,
        min(value) over whole <> max(value) over whole as differ,
        string_agg(format('{} {} ({}:{})', source, published, raw_file, line), '; ') over whole as listed
    from statements
    window by_action as (partition by symbol, ex_date, kind order by source = 'reference' desc, source, raw_file, line),
           whole as (partition by symbol, ex_date, kind order by source = 'reference' desc, source, raw_file, line
                     rows between unbounded preceding and unbounded following)
)
select
    symbol, exchange, ex_date, kind, ratio, amount, published, reference, source, raw_file, line,
    n as statements, listed as stated, differ as conflicting
from ranked
where nth = 1
