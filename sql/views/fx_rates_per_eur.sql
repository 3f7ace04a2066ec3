-- Every source's quotes as units of `currency` per 1 EUR, whatever the source's base (a cross-rate through
-- the source's own quotes where its base is not the euro), the euro itself left out; the consensus is not a
-- source here (it is not judged against itself). The cross-source checks judge the same quotes upstream of
-- fx_rates (stg_rates_per_eur, stg_source_comparison); this view is their analysts' side, from the mart.
-- grain: date, source, currency
-- column rate: units of `currency` per 1 EUR, from the source's published legs
select c.date, c.source, c.quote as currency, c.rate
from fx_cross_rates as c
where c.base = 'EUR' and c.quote <> 'EUR' and c.source <> 'consensus'
