-- The cross-source judgments: every provider's quote (the page one of them) against every other provider quoting
-- the same currency on the same date, per 1 EUR (stg_rates_per_eur, built from staging). Only quotes that
-- another provider also quotes that day are here. Thresholds: data/reference/check_thresholds.csv.
-- consensus (Frankfurter's rule): with `min_sources` or more providers, a quote more than
--   max(`mad_multiple` x MAD, `min_fraction_of_median` x median) from their median is an outlier (MAD: the median
--   absolute deviation from that median). No provider is trusted over another: the majority decides.
-- disagreement: a quote more than `max_bp` from every more trusted provider quoting it that day (trust order:
--   ref_sources.reference_priority, the ECB first; ties and providers not in the registry by name) disagrees;
--   it is compared with the nearest of them, an ERROR beyond `error_bp`. The most trusted provider quoting a
--   currency is never blamed by this rule (the consensus can blame it). Page vs ECB on 2024-11-28: BRL 59 bp.
-- The checks source_disagreement and source_consensus record these judgments as findings; stg_quality_flags
-- flags fx_rates' quotes with them directly (in the same build, no stored finding needed).
-- grain: date, source, currency
-- column rate: units of `currency` per 1 EUR, the provider's quote rebased (stg_rates_per_eur)
-- column providers: how many providers quote the currency per 1 EUR on the date (this one included)
-- column median_rate: the median of those providers' quotes (units per 1 EUR)
-- column mad: the median absolute deviation of their quotes from median_rate
-- column outlier: true when providers >= min_sources and the quote lies beyond the consensus limit
-- column consensus_detail: the consensus judgment in words with its figures (null when not an outlier)
-- column more_trusted: how many more trusted providers quote the currency on the date
-- column reference: the nearest (per 1 EUR) of the more trusted providers quoting it
-- column reference_rate: that provider's quote, units of `currency` per 1 EUR
-- column deviation_bp: (rate / reference_rate - 1) x 10,000
-- column disagrees: true when the quote lies more than max_bp from every more trusted provider's quote
-- column disagreement_severity: ERROR beyond error_bp, else WARN (null when it does not disagree)
-- column disagreement_detail: the disagreement in words with its figures (null when it does not disagree)
with quotes as (
    select date, source, currency, rate, trust from stg_rates_per_eur where rate is not null
),
params as (
    select
        max(value) filter (where check_name = 'source_consensus' and parameter = 'min_sources') as min_sources,
        max(value) filter (where check_name = 'source_consensus' and parameter = 'mad_multiple') as mad_multiple,
        max(value) filter (where check_name = 'source_consensus' and parameter = 'min_fraction_of_median') as min_fraction,
        max(value) filter (where check_name = 'source_disagreement' and parameter = 'max_bp') as max_bp,
        max(value) filter (where check_name = 'source_disagreement' and parameter = 'error_bp') as error_bp
    from ref_check_thresholds
),
shared as (  -- quotes another provider also quotes that day
    select q.*, count(*) over (partition by q.date, q.currency) as providers,
           median(q.rate) over (partition by q.date, q.currency) as median_rate
    from quotes as q
    qualify count(*) over (partition by q.date, q.currency) >= 2
),
spread as (
    select s.*, median(abs(s.rate - s.median_rate)) over (partition by s.date, s.currency) as mad
    from shared as s
),
nearest as (  -- the nearest of the more trusted providers
    select a.date, a.source, a.currency, count(*) as more_trusted,
           arg_min(b.source, abs(a.rate / b.rate - 1)) as reference,
           arg_min(b.rate, abs(a.rate / b.rate - 1)) as reference_rate
    from shared as a
    join shared as b
        on b.date = a.date and b.currency = a.currency
       and (b.trust < a.trust or (b.trust = a.trust and b.source < a.source))
    group by all
),
judged as (
    select s.date, s.source, s.currency, s.rate, s.providers, s.median_rate, s.mad,
           s.providers >= p.min_sources
               and abs(s.rate - s.median_rate) > greatest(p.mad_multiple * s.mad, p.min_fraction * s.median_rate) as outlier,
           coalesce(n.more_trusted, 0) as more_trusted, n.reference, n.reference_rate,
           (s.rate / n.reference_rate - 1) * 1e4 as deviation_bp,
           p.mad_multiple, p.min_fraction, p.max_bp, p.error_bp
    from spread as s
    cross join params as p
    left join nearest as n using (date, source, currency)
)
select
    date, source, currency, rate, providers, median_rate, mad, outlier,
    case when outlier then
        format('{} per EUR: {} {:.6g} is {:+.2f}% from the median {:.6g} of {} sources (limit: the larger of {} x MAD {:.6g} and {:.0f}% of the median)',
               currency, source, rate, 100 * (rate / median_rate - 1), median_rate, providers, mad_multiple, mad, 100 * min_fraction)
    end as consensus_detail,
    more_trusted, reference, reference_rate, deviation_bp,
    coalesce(abs(deviation_bp) > max_bp, false) as disagrees,
    case when abs(deviation_bp) > error_bp then 'ERROR' when abs(deviation_bp) > max_bp then 'WARN' end as disagreement_severity,
    case when abs(deviation_bp) > max_bp then
        format('{} per EUR: {} {:.6g} vs {} {:.6g}, {:+.1f} bp (threshold {} bp; {} the nearest of {} more trusted provider(s))',
               currency, source, rate, reference, reference_rate, deviation_bp, max_bp, reference, more_trusted)
    end as disagreement_detail
from judged
