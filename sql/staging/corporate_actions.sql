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
kept as (
    -- the statement applied: the reference file's, else the first by source, raw file and line
    select * from statements
    qualify row_number() over (partition by symbol, ex_date, kind
                               order by source = 'reference' desc, source, raw_file, line) = 1
),
every_statement as (
    -- an aggregate, not a window over each action (a window's string_agg took 9 s for 40,000 actions)
    select
        symbol, ex_date, kind,
        count(*) as n,
        min(value) <> max(value) as differ,
        string_agg(format('{} {} ({}:{})', source, published, raw_file, line), '; '
                   order by source = 'reference' desc, source, raw_file, line) as listed
    from statements
    group by symbol, ex_date, kind
)
select
    k.symbol, k.exchange, k.ex_date, k.kind, k.ratio, k.amount, k.published, k.reference, k.source, k.raw_file, k.line,
    e.n as statements, e.listed as stated, e.differ as conflicting
from kept as k
join every_statement as e using (symbol, ex_date, kind)
