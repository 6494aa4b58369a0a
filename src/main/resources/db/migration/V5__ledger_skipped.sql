-- The numbers 1..start of the period an audited counter is created in are never handed out: the ledger says so with
-- one 'skipped' row, so that its check finds every number explained. Counters created before this keep theirs too.
ALTER TABLE ledger DROP CONSTRAINT ledger_kind_check;
ALTER TABLE ledger ADD CONSTRAINT ledger_kind_check CHECK (kind IN ('issued', 'voided', 'fenced', 'skipped'));

INSERT INTO ledger (counter, period, first, last, kind, at)
SELECT name,
       CASE period
           WHEN 'yearly' THEN to_char(created_at AT TIME ZONE time_zone, 'YYYY')
           WHEN 'monthly' THEN to_char(created_at AT TIME ZONE time_zone, 'YYYY-MM')
           WHEN 'daily' THEN to_char(created_at AT TIME ZONE time_zone, 'YYYY-MM-DD')
           ELSE ''
       END,
       1, start, 'skipped', created_at
FROM counter
WHERE audit AND start > 0
ON CONFLICT DO NOTHING;
