-- fx_rates_known_at(ts): every rate quote as the warehouse knew it at instant ts, one row per (date, source,
-- currency): the value of the latest capture at or before ts that quoted it (fx_rate_versions), whatever the
-- captures after ts say. A quote first captured after ts is absent: a history file loaded today makes none of its
-- values known before today, and the ECB's rates of a day, published around 16:00 CET, are unknown at 10:00 that
-- day. known_from is the capture time of the bytes that gave the value (never its data date); revised_at, when not
-- null, is the later capture that changed it, and latest_rate its value now. ts is a timestamp with a time zone
-- ('2024-11-28 10:00:00Z'); one without is read in the session's TimeZone. Filter on date (and currency) outside:
-- `select * from fx_rates_known_at('2024-11-28 10:00:00Z') where date = '2024-11-27'` reads one date's files.
create or replace macro fx_rates_known_at(ts) as table
select
    v.date,
    v.source,
    v.base,
    v.currency,
    v.rate,
    v.rate_text,
    v.version,
    v.known_from,
    v.known_until as revised_at,
    v.latest_rate,
    v.latest_rate_text,
    v.raw_file,
    v.line
from fx_rate_versions as v
where v.known_from <= cast(ts as timestamptz)
  and (v.known_until is null or v.known_until > cast(ts as timestamptz))
