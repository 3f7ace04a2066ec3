-- Every provider's quotes of a day as units of `currency` per 1 EUR: the common pivot on which providers are
-- compared (stg_source_comparison) and blended (fx_rate_providers, fx_rates_consensus). Built from staging,
-- never from the fx_rates mart, so the judgments can flag that mart's quotes without a cycle.
-- Rebasing, from each provider's own legs: a EUR-based provider's quote as published; a provider with another
-- base that quotes the euro itself: its quote / its own EUR quote (its base per EUR is 1 / its EUR quote, a row
-- too); a provider that does not quote the euro that day: its quote x the median of the other providers' own
-- per-EUR rates of its base on that date (never through a rebased quote, so no rebasing depends on another),
-- and rate null when no provider quotes its base per EUR that day (`rebased` says so). Partitions that failed the
-- blocking partition_structure check are left out, as fx_rates leaves them out.
-- grain: date, source, currency
-- column rate: units of `currency` per 1 EUR (null when the provider's quotes cannot be rebased that day)
-- column published: the provider's quote as published: units of `currency` per 1 `base` (its EUR quote inverted for the base's own row)
-- column digits: the significant digits of the legs behind `rate` (the fewer of the two; the source's documented precision where its file drops trailing zeros)
-- column rebased: how the quote reached the EUR pivot: published per EUR, through the provider's own EUR quote, or through the median of other providers' rates of its base
-- column trust: the provider's place in the trust order (ref_sources.reference_priority; providers not in the registry after those that are)
with quotes as (
    select * from stg_rates_daily
),
blocked as (
    select distinct source, date from dq_findings
    where dataset = 'rates' and check_name = 'partition_structure' and severity = 'ERROR'
),
priority as (
    select source, reference_priority, significant_digits from ref_sources where dataset = 'rates'
),
kept as (
    select q.*, greatest(coalesce(p.significant_digits, 0), significant_digits(q.rate_text)) as digits,
           coalesce(p.reference_priority, 2147483647) as trust
    from quotes as q
    left join priority as p using (source)
    anti join blocked as b on b.source = q.source and b.date = q.date
),
eur_leg as (  -- a provider's own quote of the euro: units of its base per 1 EUR is 1 / that
    select date, source, base, trust, rate as eur_rate, digits as eur_digits, rate_text as eur_text, raw_file as eur_file,
           line as eur_line
    from kept
    where currency = 'EUR' and base <> 'EUR'
),
direct as (
    select k.date, k.source, k.base, k.currency, k.rate as rate, k.rate as published, k.rate_text, k.digits,
           'published per EUR' as rebased, k.trust, k.raw_file, k.line
    from kept as k
    where k.base = 'EUR' and k.currency <> 'EUR'
    union all
    select k.date, k.source, k.base, k.currency, k.rate / e.eur_rate, k.rate, k.rate_text, least(k.digits, e.eur_digits),
           format('{} per {} / EUR per {} (line {})', k.currency, k.base, k.base, e.eur_line), k.trust, k.raw_file, k.line
    from kept as k
    join eur_leg as e on e.date = k.date and e.source = k.source
    where k.base <> 'EUR' and k.currency not in ('EUR', k.base)
    union all
    select e.date, e.source, e.base, e.base, 1.0 / e.eur_rate, e.eur_rate, e.eur_text, e.eur_digits,
           format('1 / EUR per {}', e.base), e.trust, e.eur_file, e.eur_line
    from eur_leg as e
),
base_per_eur as (  -- the providers' own per-EUR rates of each currency: the pivot of a provider without a EUR quote
    select date, currency as base, median(rate) as base_rate, count(*) as providers
    from direct
    group by all
),
through_others as (
    select k.date, k.source, k.base, k.currency, k.rate * b.base_rate as rate, k.rate as published, k.rate_text, k.digits,
           case when b.base_rate is null then format('no EUR quote, and no provider quotes {} per EUR on {}: not rebased', k.base, k.date)
                else format('{} per {} x the median {:.6g} {} per EUR of {} provider(s)', k.currency, k.base, b.base_rate, k.base,
                            b.providers) end as rebased,
           k.trust, k.raw_file, k.line
    from kept as k
    anti join eur_leg as e on e.date = k.date and e.source = k.source
    left join base_per_eur as b on b.date = k.date and b.base = k.base
    where k.base <> 'EUR' and k.currency <> 'EUR'
)
select date, source, base, currency, rate, published, rate_text, digits, rebased, trust, raw_file, line from direct
union all
select date, source, base, currency, rate, published, rate_text, digits, rebased, trust, raw_file, line from through_others
