-- Counters are created at run time (PUT /counters/{name}) as well as from the configuration, each with its settings.
-- "start" is the value a counter was created at (its first number is start + 1), kept so that a repeated create can be
-- compared with it; a counter never goes below it. Settings added later get columns of their own beside it.
ALTER TABLE counter
    ADD COLUMN start      bigint      NOT NULL DEFAULT 0 CHECK (start >= 0),
    ADD COLUMN created_at timestamptz NOT NULL DEFAULT now(),
    ADD CONSTRAINT counter_value_from_start CHECK (value >= start);
