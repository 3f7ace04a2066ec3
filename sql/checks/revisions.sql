-- check: A later capture of a provider date giving another value (a page captured again, a history file restating a daily file, a correction) more than the threshold from the earlier one (fx_rate_revisions).
-- judges: rates
-- Revisions of the judged source's quotes dated in the judged range (fx_rate_revisions): a later capture of the
-- same provider date giving a different value (a page captured again, a history file restating a daily file, a
-- provider's correction). Reported as WARN when the revision moves the value more than $min_bp basis points;
-- never blocking: the newest value is the one the marts use, the older one stays visible in fx_rate_versions.
select
    'WARN' as severity,
    r.date,
    r.source,
    r.currency as subject,
    r.new_rate as observed,
    r.old_rate as expected,
    format('{} of {} revised from {} (captured {}, {}) to {} (captured {}, {}): {:+.1f} bp (threshold {} bp)',
           r.currency, r.date, r.old_rate_text, strftime(timezone('UTC', r.old_known_from), '%Y-%m-%d %H:%M:%S UTC'),
           r.old_raw_file, r.new_rate_text, strftime(timezone('UTC', r.revised_at), '%Y-%m-%d %H:%M:%S UTC'),
           r.new_raw_file, r.change_bp, $min_bp) as detail
from fx_rate_revisions as r
where r.source = $source and r.date between $start and $end
  and abs(r.change_bp) > $min_bp
