-- One row per counter. "value" is the last number handed out (0 = none yet);
-- the service moves it only by UPDATE ... SET value = value + n ... RETURNING value,
-- so the row lock orders every allocation, whichever instance makes it.
CREATE TABLE counter (
    name  varchar(63) PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    value bigint      NOT NULL DEFAULT 0 CHECK (value >= 0)
);
