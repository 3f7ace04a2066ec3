-- Every pair of a source's currencies on a date, its own base included: rate = units of `quote` per 1 `base`; and
-- the same for the consensus (source 'consensus': every pair of fx_rates_consensus's currencies, through the EUR
-- pivot, with `basis` saying each leg's method and providers).
-- Computed on demand (a view), not materialized: 170 currencies make 28,900 pairs a day. A filter on
-- base and quote is pushed into both legs, so one pair reads two currencies' rows, never every pair; a filter on a
-- provider's source leaves the consensus out unread.
-- rate_text is the rate to the precision the two published legs carry (the fewer significant digits of
-- the two; the ECB's documented five where its file drops trailing zeros); quality is the worse of the two
-- legs' (see fx_rates), quality_checks the checks behind it.
-- grain: date, source, base, quote
-- column source: the source whose two published legs make the pair, or 'consensus' (fx_rates_consensus's blend)
-- column base: the currency of 1 unit: rate = units of `quote` per 1 `base`
-- column quote: the currency the rate is expressed in
-- column rate: units of `quote` per 1 `base`, from the source's two published legs (quote / base per the source's own base)
-- column basis: for the consensus, how each leg was formed (its method and how many providers gave it weight); null for a source's own rates
with precision as (
    select source, significant_digits from ref_sources where dataset = 'rates'
),
quoted as (
    select r.date, r.source, r.currency, r.rate as per_source_base,
           greatest(coalesce(p.significant_digits, 0), significant_digits(r.rate_text)) as digits,
           r.quality, r.quality_checks, null::varchar as basis
    from fx_rates as r
    left join precision as p using (source)
    where r.currency <> r.base
),
source_base as (
    select distinct date, source, base as currency, 1.0::double as per_source_base, null::bigint as digits,
           null::varchar as quality, null::varchar as quality_checks, null::varchar as basis
    from fx_rates
),
consensus as (
    select c.date, 'consensus' as source, c.currency, c.rate as per_source_base, significant_digits(c.rate_text) as digits,
           null::varchar as quality, null::varchar as quality_checks,
           case c.method
               when 'peg' then format('{} pegged at {} per {}', c.currency, c.rate_text, c.anchor)
               else format('{} {} of {} provider(s)', c.currency, c.method, c.providers)
           end as basis
    from fx_rates_consensus as c
    where c.rate is not null and c.currency <> 'EUR'
),
consensus_base as (
    select distinct date, 'consensus' as source, 'EUR' as currency, 1.0::double as per_source_base, null::bigint as digits,
           null::varchar as quality, null::varchar as quality_checks, null::varchar as basis
    from fx_rates_consensus
),
provider_legs as (
    select * from quoted
    union all
    select * from source_base
),
consensus_legs as (
    select * from consensus
    union all
    select * from consensus_base
),
provider_pairs as (
    select
        b.date,
        b.source,
        b.currency as base,
        q.currency as quote,
        q.per_source_base / b.per_source_base as rate,
        least(coalesce(b.digits, q.digits), coalesce(q.digits, b.digits)) as digits,
        case when 'ERROR' in (b.quality, q.quality) then 'ERROR' when 'WARN' in (b.quality, q.quality) then 'WARN' end as quality,
        nullif(concat_ws(',', b.quality_checks, q.quality_checks), '') as quality_checks,
        null::varchar as basis
    from provider_legs as b
    join provider_legs as q
        on q.date = b.date and q.source = b.source
),
consensus_pairs as (  -- a pairing of its own: a filter on a provider's source removes it whole, both legs unread
    select
        b.date,
        'consensus' as source,
        b.currency as base,
        q.currency as quote,
        q.per_source_base / b.per_source_base as rate,
        least(coalesce(b.digits, q.digits), coalesce(q.digits, b.digits)) as digits,
        null::varchar as quality,
        null::varchar as quality_checks,
        nullif(concat_ws('; ', case when b.currency <> q.currency then b.basis end, q.basis), '') as basis
    from consensus_legs as b
    join consensus_legs as q
        on q.date = b.date
),
pairs as (
    select * from provider_pairs
    union all
    select * from consensus_pairs
)
select
    date,
    source,
    base,
    quote,
    rate,
    case when digits is null then '1'
        else format('{:.{}f}', rate, greatest(cast(digits - 1 - floor(log10(rate)) as integer), 0)) end as rate_text,
    quality,
    quality_checks,
    basis
from pairs
