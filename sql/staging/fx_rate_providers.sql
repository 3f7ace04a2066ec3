-- The lineage of the consensus: for every date on which any provider published, each provider's latest quote of
-- each currency within 7 days (per 1 EUR, rebased from its own legs: stg_rates_per_eur), the page a provider too,
-- with its raw file and line, its age, its weight in fx_rates_consensus and, when it gave none, why.
-- The rule, in this order, over the quotes of a date and currency:
--   1. a quote that cannot be rebased (no EUR quote, no provider's base per EUR that day) or that a partition check
--      found an ERROR in (dq_findings: precision, defunct_codes...) gets no weight;
--   2. a peg in force (ref_pegs: fixed, currency_board or par; not a band or floor) overrides: no quote gets weight,
--      fx_rates_consensus snaps to the peg;
--   3. with min_sources (3) or more quotes left: Frankfurter's rule, a quote more than
--      max(mad_multiple x MAD, min_fraction_of_median x median) (10 x MAD, 5%) from their median gets no weight;
--   4. with two quotes more than min_fraction_of_median (5%) apart there is no majority: the less trusted
--      (ref_sources.reference_priority) gets no weight;
--   5. every other quote weighs exp(-0.5 x max(age_days - 3, 0)): full weight up to 3 days old, e^-2 at 7.
-- grain: date, currency, provider
-- column date: the date of the consensus: a date on which at least one provider published
-- column provider: the source of the quote (ecb, page, fixer, a central bank…)
-- column rate: units of `currency` per 1 EUR, the provider's quote rebased (null when it cannot be)
-- column rate_text: the provider's quote exactly as published (units of `currency` per 1 `base`; for a base's own row, its EUR quote)
-- column base: the provider's own base: its quote is units of `currency` per 1 `base`
-- column rate_date: the provider's publication used: its latest quote of the currency on or before `date`, at most 7 days before
-- column age_days: date - rate_date
-- column weight: the quote's weight in the blend: exp(-0.5 x max(age_days - 3, 0)), 0 when excluded
-- column excluded: true when the quote gives no weight to fx_rates_consensus
-- column reason: why it gives none (null when it gives weight)
-- column rebased: how the quote reached the EUR pivot (see stg_rates_per_eur)
-- column digits: the significant digits of the legs behind `rate`
with quotes as (
    select * from stg_rates_per_eur
),
days as (
    select distinct date from quotes
),
latest as (  -- each provider's latest quote of each currency within 7 days of each date
    select d.date, q.date as rate_date, q.source as provider, q.base, q.currency, q.rate, q.rate_text, q.digits,
           q.rebased, q.trust, q.raw_file, q.line
    from days as d
    join quotes as q on q.date between d.date - 7 and d.date
    qualify row_number() over (partition by d.date, q.source, q.currency order by q.date desc) = 1
),
params as (
    select
        max(value) filter (where check_name = 'source_consensus' and parameter = 'min_sources') as min_sources,
        max(value) filter (where check_name = 'source_consensus' and parameter = 'mad_multiple') as mad_multiple,
        max(value) filter (where check_name = 'source_consensus' and parameter = 'min_fraction_of_median') as min_fraction
    from ref_check_thresholds
),
errors as (  -- quotes a partition check found an ERROR in (cross-source judgments are this model's own business)
    select source as provider, date as rate_date, subject as currency,
           string_agg(distinct check_name, ',' order by check_name) as checks
    from dq_findings
    where dataset = 'rates' and severity = 'ERROR' and check_name not in ('source_disagreement', 'source_consensus')
    group by all
),
pegs as (  -- the point pegs in force: the consensus snaps to them
    select code as currency, anchor, regime, central, valid_from, coalesce(valid_to, date '9999-12-31') as valid_to
    from ref_pegs
    where regime in ('fixed', 'currency_board', 'par')
),
screened as (
    select l.*,
           case when l.rate is null then l.rebased
                when e.checks is not null then format('ERROR finding(s) on the quote: {}', e.checks) end as screen,
           g.central as peg, g.anchor as peg_anchor, g.regime as peg_regime
    from latest as l
    left join errors as e using (provider, rate_date, currency)
    left join pegs as g on g.currency = l.currency and l.date between g.valid_from and g.valid_to
    qualify row_number() over (partition by l.date, l.currency, l.provider order by g.valid_from desc nulls last) = 1
),
eligible as (
    select s.*,
           count(*) over w as eligible,
           median(s.rate) over w as median_rate,
           -- the other eligible quote when there are exactly two, and whether it is more trusted
           max(s.rate) over w + min(s.rate) over w - s.rate as other_rate,
           min({'trust': s.trust, 'provider': s.provider}) over w as most_trusted
    from screened as s
    where s.screen is null
    window w as (partition by s.date, s.currency)
),
spread as (
    select e.*, median(abs(e.rate - e.median_rate)) over (partition by e.date, e.currency) as mad
    from eligible as e
),
judged as (
    select s.date, s.currency, s.provider,
           case
               when s.peg is not null
                   then format('peg in force: {} {} per {} ({}); the consensus snaps to it', s.peg, s.currency, s.peg_anchor, s.peg_regime)
               when s.eligible >= p.min_sources
                    and abs(s.rate - s.median_rate) > greatest(p.mad_multiple * s.mad, p.min_fraction * s.median_rate)
                   then format('outlier: {:+.2f}% from the median {:.6g} of {} providers (limit: the larger of {} x MAD {:.6g} and {:.0f}% of the median)',
                               100 * (s.rate / s.median_rate - 1), s.median_rate, s.eligible, p.mad_multiple, s.mad, 100 * p.min_fraction)
               when s.eligible = 2 and abs(s.rate / s.other_rate - 1) > p.min_fraction and s.provider <> s.most_trusted.provider
                   then format('two providers {:+.2f}% apart, no majority: the more trusted {} ({:.6g}) is kept',
                               100 * (s.rate / s.other_rate - 1), s.most_trusted.provider, s.other_rate)
           end as verdict
    from spread as s
    cross join params as p
)
select
    s.date,
    s.currency,
    s.provider,
    s.rate,
    s.rate_text,
    s.base,
    s.rate_date,
    s.date - s.rate_date as age_days,
    case when coalesce(s.screen, j.verdict) is null then exp(-0.5 * greatest(s.date - s.rate_date - 3, 0)) else 0.0 end as weight,
    coalesce(s.screen, j.verdict) is not null as excluded,
    coalesce(s.screen, j.verdict) as reason,
    s.rebased,
    s.digits,
    s.raw_file,
    s.line
from screened as s
left join judged as j using (date, currency, provider)
