-- check: Frankfurter's consensus rule: where three or more sources quote a currency on a date, a quote more than max(10 x MAD, 5% of the median) from their median (per 1 EUR).
-- judges: fx_rates
-- min sources: threshold
-- Frankfurter's consensus rule: for a currency quoted by min_sources or more providers on a date (per 1 EUR,
-- rebased from each provider's own legs, so every base compares), a quote is an outlier when it lies more than
-- max(mad_multiple x MAD, min_fraction_of_median x median) from the median of the providers' quotes (MAD: the
-- median absolute deviation from that median). Unlike source_disagreement, no provider is trusted over another:
-- the majority decides. The judgment is the model stg_source_comparison (built from staging, upstream of fx_rates);
-- this check records it.
select
    'WARN' as severity,
    date,
    source,
    currency as subject,
    rate as observed,
    median_rate as expected,
    consensus_detail as detail
from stg_source_comparison
where outlier
  and date between coalesce($start::date, date '0001-01-01') and coalesce($end::date, date '9999-12-31')
