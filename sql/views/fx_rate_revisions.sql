-- Every revision of a rate quote: one row per change of value between two consecutive versions of a (source,
-- date, base, currency) in fx_rate_versions, with the old and the new value, when each was first captured and the
-- raw files that gave them. A restatement with the same value is not a revision. Capture times are those of the
-- bytes (see fx_rate_versions: a history file's rows are known from when the file was captured, never from their
-- data date). The `revisions` check reports those above its threshold (data/reference/check_thresholds.csv).
-- grain: source, date, base, currency, version
-- column version: the version the revision starts (2 for the first change; see fx_rate_versions)
-- column old_rate: units of `currency` per 1 `base` before the revision
-- column old_rate_text: old_rate as published
-- column new_rate: units of `currency` per 1 `base` after the revision
-- column new_rate_text: new_rate as published
-- column change_bp: the revision's size, (new_rate / old_rate - 1) x 10,000 basis points
-- column old_known_from: capture time (UTC) of the bytes that first gave the old value
-- column revised_at: capture time (UTC) of the bytes that first gave the new value: when the revision became known
-- column old_raw_file: the raw file whose capture first gave the old value
-- column new_raw_file: the raw file whose capture first gave the new value
with versions as (
    select * from fx_rate_versions
),
paired as (
    select
        *,
        lag(rate) over by_version as old_rate,
        lag(rate_text) over by_version as old_rate_text,
        lag(known_from) over by_version as old_known_from,
        lag(raw_file) over by_version as old_raw_file
    from versions
    window by_version as (partition by source, date, base, currency order by version)
)
select
    source,
    date,
    base,
    currency,
    version,
    old_rate,
    old_rate_text,
    rate as new_rate,
    rate_text as new_rate_text,
    (rate / old_rate - 1) * 1e4 as change_bp,
    old_known_from,
    known_from as revised_at,
    old_raw_file,
    raw_file as new_raw_file
from paired
where version > 1
