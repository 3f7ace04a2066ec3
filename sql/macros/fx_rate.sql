-- fx_rate(base, quote, on_date [, max_age_days := 7] [, source_name := NULL]): units of `quote` per 1 `base`
-- on on_date by the rules of fx_convert (the latest publication within max_age_days, the most trusted
-- source that has the pair); null when none qualifies (fx_convert's `note` says why). The parameters are
-- named base_ccy and quote_ccy: DuckDB would bind `base` and `quote` to the views' columns of those names.
create or replace macro fx_rate(base_ccy, quote_ccy, on_date, max_age_days := 7, source_name := null) as (
    select c.rate from fx_convert(1, base_ccy, quote_ccy, on_date, max_age_days := max_age_days, source_name := source_name) as c
)
