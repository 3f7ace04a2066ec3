-- Parsed rate quotes, one row per (source, date, captured_at, base, currency), oriented per 1 of the source's pivot:
-- rate = units of `currency` per 1 `base`, and `base` is the currency the source quotes everything against or for
-- (ref_sources.pivot_currency: EUR for the ECB, CZK for the Czech National Bank, USD for FRED). A source that publishes "CZK per
-- 1 USD" (base USD, currency CZK in parsed_rates, as published) reads here as base CZK, currency USD, rate 1 / 23.5:
-- so every source holds one quote per date and currency, on one base, and the models and checks compare like with
-- like. `inverted` says a quote was turned around; rate_text stays the published text, and published_rate the value
-- per 1 of the published base (per-100 quotes are already per 1 there). Quotes a source publishes against another base
-- than its pivot (the IMF's SDR table beside its USD rates) stay in parsed_rates and are not modelled. A source
-- without a pivot (the page, a Fixer-style API) reads as published.
-- grain: source, raw_file, date, currency
-- column inverted: true when the published quote was per 1 of another currency and is shown here per 1 pivot
-- column published_rate: the rate as published, units of the published currency per 1 published base
with parsed as (
    select * from parsed_rates
),
pivots as (
    select source, pivot_currency from ref_sources where dataset = 'rates'
),
oriented as (
    select
        q.*,
        p.pivot_currency is not null and q.currency = p.pivot_currency and q.base <> p.pivot_currency as inverted
    from parsed as q
    left join pivots as p using (source)
    where p.pivot_currency is null or p.pivot_currency in (q.base, q.currency)
)
select
    source,
    date,
    captured_at,
    case when inverted then currency else base end as base,
    case when inverted then base else currency end as currency,
    case when inverted then 1 / rate else rate end as rate,
    rate_text,
    inverted,
    rate as published_rate,
    raw_file,
    line
from oriented
