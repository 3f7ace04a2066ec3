-- check: A day-over-day move far outside the series' own recent volatility (median-absolute-change based, robust).
-- judges: rates, tickers
-- A move far outside the series' own recent volatility: |log change| beyond $k robust standard deviations
-- (1.4826 x the median absolute log change over the previous $window_observations observations) and
-- beyond $min_move. Robust, so a volatile currency's ordinary days (or one earlier jump) do not flood
-- the findings. Rates: per currency and date; tickers: per symbol and session. A move across a gap longer
-- than $max_gap_days (a currency quoted again after years, like ISK in 2018) is not a day-over-day move:
-- completeness reports the gap, and the verdict does not depend on how a backfill was cut into runs.
-- A ticker's move on the ex-date of a recorded split (corporate_actions) is judged with the split applied, as
-- ticker_daily_change applies it (when that makes the move smaller): the split explains the raw move, so it is no
-- finding; a jump left after it says so in its detail. Rates have no corporate actions.
with series as (
    select date, date as t, source, currency as subject, rate as value, rate_text as value_text, null::double as split
    from stg_rates_daily
    where $dataset = 'rates' and source = $source
      and date between $start::date - cast($lookback_days as integer) and $end::date
    union all
    select q.captured_date, q.session, q.source, q.symbol, q.price, q.price_text, a.ratio
    from stg_ticker_sessions as q
    left join corporate_actions as a on a.symbol = q.symbol and a.ex_date = q.session and a.kind = 'split'
    where $dataset = 'tickers' and q.source = $source
      and q.captured_date between $start::date - cast($lookback_days as integer) and $end::date
),
moves as (
    select
        *,
        lag(t) over by_subject as prev_t,
        lag(value) over by_subject as prev_value,
        ln(value / lag(value) over by_subject) as raw_log_change
    from series
    window by_subject as (partition by subject order by t)
),
changes as (
    select
        *,
        split is not null and abs(raw_log_change + ln(split)) < abs(raw_log_change) as split_applied,
        case when split is not null and abs(raw_log_change + ln(split)) < abs(raw_log_change)
            then raw_log_change + ln(split) else raw_log_change end as log_change
    from moves
),
scaled as (
    select
        *,
        1.4826 * median(abs(log_change)) over recent as robust_sd,
        count(log_change) over recent as history
    from changes
    window recent as (partition by subject order by t rows between $window_observations preceding and 1 preceding)
)
select
    'WARN' as severity,
    date,
    source,
    subject,
    value as observed,
    prev_value as expected,
    format('{} {} on {} after {} on {}: {:+.2f}%, {:.0f} robust sd (sd {:.3f}% over {} observations)',
           subject, value_text, t, prev_value, prev_t, 100 * (exp(log_change) - 1),
           abs(log_change) / nullif(robust_sd, 0), 100 * robust_sd, history)
    || case when split_applied then format(' after the recorded split of {} for 1 on {} (the close moved {:+.2f}% before it)',
                                          split, t, 100 * (exp(raw_log_change) - 1)) else '' end as detail
from scaled
where date between $start and $end
  and history >= $min_observations
  and t - prev_t <= $max_gap_days
  and abs(log_change) > greatest($k * robust_sd, ln(1 + $min_move))
