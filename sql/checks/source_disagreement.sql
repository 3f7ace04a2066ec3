-- check: Two sources on the same date more than the threshold apart (per 1 EUR).
-- judges: fx_rates
-- min sources: 2
-- Two providers quoting one currency on one date more than max_bp apart, compared per 1 EUR (rebased from each
-- provider's own legs, so providers with other bases compare too): each quote, the page's among them, is judged
-- against every more trusted provider quoting it that day (ref_sources.reference_priority: the ECB first) and
-- found when no more trusted provider lies within max_bp of it. The judgment is the model stg_source_comparison
-- (built from staging, upstream of fx_rates, which it flags in the same build); this check records it.
-- Page vs ECB on 2024-11-28: BRL 59 bp.
select
    disagreement_severity as severity,
    date,
    source,
    currency as subject,
    rate as observed,
    reference_rate as expected,
    disagreement_detail as detail
from stg_source_comparison
where disagrees
  and date between coalesce($start::date, date '0001-01-01') and coalesce($end::date, date '9999-12-31')
