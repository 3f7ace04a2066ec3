-- One rate per date and currency, per 1 EUR, blended from every provider that quotes it (fx_rate_providers holds
-- each provider's quote, its weight and why it gave none). Materialized month by month like fx_rates (a date's
-- blend reads its month's file), sorted by currency and date. The rule (see fx_rate_providers for each step):
-- quotes that cannot be rebased or carry an ERROR finding get no weight; a peg in force (ref_pegs: fixed,
-- currency_board, par) overrides: rate = the central rate x the anchor's consensus rate (the anchor's blend,
-- 1 for the euro), method 'peg'; with 3 or more quotes, those beyond max(10 x MAD, 5% of the median) of their
-- median get no weight; with two quotes over 5% apart, the less trusted gets none; the rest are averaged with
-- weight exp(-0.5 x max(age - 3, 0)), age in days since the provider's publication (at most 7).
-- method: 'single' when one provider quotes the currency (nothing to compare it with), 'peg', else 'blend'.
-- A currency whose every quote was excluded (and no peg) has a null rate; a peg whose anchor has no consensus that
-- day falls back on the blend.
-- grain: date, currency
-- time key: date
-- subject: currency
-- dataset: rates
-- reads: the previous month
-- closed periods: one file
-- column date: a date on which at least one provider published (quotes up to 7 days old count, with less weight)
-- column rate: units of `currency` per 1 EUR: the weighted mean of the quotes that gave weight, or the peg
-- column rate_text: the rate to the precision of the quotes behind it (the most significant digits among them; the peg's central rate for a peg)
-- column method: blend, peg, or single (one provider quotes the currency)
-- column providers: how many providers' quotes gave weight to the rate (0 for a peg: the peg and its anchor's consensus set it)
-- column quoting: how many providers quote the currency within 7 days of the date
-- column source: always 'consensus' (the blend is a source of its own in fx_cross_rates and fx_convert)
-- column excluded: the providers that gave no weight, each with why: JSON {provider: reason} (excluded::json->>'page'); null when none
-- column rate_dates: each quoting provider's publication used: JSON {provider: rate_date} (age = date - rate_date)
-- column anchor: for a peg, the anchor currency (units of `currency` per 1 `anchor` = the central rate)
with quotes as (
    select * from fx_rate_providers
),
blend as (
    select
        date,
        currency,
        sum(weight * rate) filter (where not excluded) / sum(weight) filter (where not excluded) as rate,
        max(digits) filter (where not excluded) as digits,
        count(*) filter (where not excluded) as providers,
        count(*) as quoting,
        to_json(map_from_entries(list({'k': provider, 'v': reason} order by provider) filter (where excluded)))::varchar as excluded,
        to_json(map_from_entries(list({'k': provider, 'v': rate_date::varchar} order by provider)))::varchar as rate_dates,
        bool_or(starts_with(reason, 'peg in force')) as pegged,
        -- a peg whose anchor has no consensus that day: the blend of the quotes the peg set aside
        sum(exp(-0.5 * greatest(age_days - 3, 0)) * rate) filter (where starts_with(reason, 'peg in force'))
            / sum(exp(-0.5 * greatest(age_days - 3, 0))) filter (where starts_with(reason, 'peg in force')) as unpegged,
        max(digits) filter (where starts_with(reason, 'peg in force')) as unpegged_digits
    from quotes
    group by all
),
pegs as (
    select code as currency, anchor, central, valid_from, coalesce(valid_to, date '9999-12-31') as valid_to
    from ref_pegs
    where regime in ('fixed', 'currency_board', 'par')
),
pegged as (
    select b.date, b.currency, g.anchor, g.central,
           g.central * case when g.anchor = 'EUR' then 1.0 else a.rate end as rate
    from blend as b
    join pegs as g on g.currency = b.currency and b.date between g.valid_from and g.valid_to
    left join blend as a on a.date = b.date and a.currency = g.anchor
    where b.pegged
    qualify row_number() over (partition by b.date, b.currency order by g.valid_from desc) = 1
)
select
    b.date,
    'consensus' as source,
    b.currency,
    coalesce(p.rate, b.rate, b.unpegged) as rate,
    case
        when p.rate is not null then
            case when p.anchor = 'EUR' then cast(p.central as varchar)
                 else format('{:.{}f}', p.rate, greatest(cast(6 - 1 - floor(log10(p.rate)) as integer), 0)) end
        when b.rate is not null then
            format('{:.{}f}', b.rate, greatest(cast(coalesce(b.digits, 6) - 1 - floor(log10(b.rate)) as integer), 0))
        when b.unpegged is not null then
            format('{:.{}f}', b.unpegged, greatest(cast(coalesce(b.unpegged_digits, 6) - 1 - floor(log10(b.unpegged)) as integer), 0))
    end as rate_text,
    case when p.rate is not null then 'peg' when b.quoting = 1 then 'single' else 'blend' end as method,
    case when p.rate is not null then 0 when b.rate is null and b.unpegged is not null then b.quoting else b.providers end as providers,
    b.quoting,
    b.excluded,
    b.rate_dates,
    p.anchor
from blend as b
left join pegged as p using (date, currency)
