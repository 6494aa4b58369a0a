-- Series: a counter may start again at 1 in each period (year, month or day of its time zone), give its numbers a
-- text form, and keep an audit ledger. Settings are fixed once created, like "start".
-- current_period is the period the row's value belongs to ('' without a period): a batch's statement computes the
-- period from the database's clock under the row lock and keeps the greater of the two, so it never goes backwards.
-- Period keys are fixed-width (2026, 2026-12, 2026-12-07) and compared in the "C" collation: text order is time order.
-- fence_margin null: the service's counter.fence-margin.
ALTER TABLE counter
    ADD COLUMN period         text                 NOT NULL DEFAULT 'none'
        CHECK (period IN ('none', 'yearly', 'monthly', 'daily')),
    ADD COLUMN time_zone      text                 NOT NULL DEFAULT 'UTC',
    ADD COLUMN format         varchar(100),
    ADD COLUMN audit          boolean              NOT NULL DEFAULT false,
    ADD COLUMN fence_margin   bigint               CHECK (fence_margin >= 0),
    ADD COLUMN current_period text COLLATE "C"     NOT NULL DEFAULT '',
    DROP CONSTRAINT counter_value_from_start,
    -- A period counter starts again at 0 in each new period; "start" applies to the period current at creation
    ADD CONSTRAINT counter_value_from_start CHECK (value >= start OR period <> 'none');

-- A retry with the same Idempotency-Key gets the same block of the same period
ALTER TABLE idempotency_key
    ADD COLUMN period text COLLATE "C" NOT NULL DEFAULT '';

-- The audit trail of an audited counter: every block handed out (issued, with its key and the token's subject), every
-- range a fence skipped (fenced) and every number explained as not used (voided, with a reason). Issued and fenced
-- rows are written by the statement that moves the counter. The service never deletes or changes a row.
-- The primary key makes a second void of a number, or a block recorded twice, fail.
CREATE TABLE ledger (
    counter         varchar(63)  NOT NULL REFERENCES counter (name),
    period          text COLLATE "C" NOT NULL,
    first           bigint       NOT NULL CHECK (first > 0),
    last            bigint       NOT NULL,
    kind            text         NOT NULL CHECK (kind IN ('issued', 'voided', 'fenced')),
    at              timestamptz  NOT NULL DEFAULT now(),
    idempotency_key varchar(255),
    subject         text,
    reason          varchar(500),
    PRIMARY KEY (counter, period, first, kind),
    CHECK (last >= first),
    CHECK ((kind = 'voided') = (reason IS NOT NULL)),
    CHECK (kind <> 'voided' OR first = last)
);
