-- The blocks handed out to requests that carried an Idempotency-Key, so that a retry with the same key gets the
-- same block instead of new numbers. Written in the same transaction as the UPDATE that reserved the block, after
-- the counter's row lock is taken: a batch that holds the lock sees every key committed before it.
CREATE TABLE idempotency_key (
    counter    varchar(63)  NOT NULL REFERENCES counter (name),
    key        varchar(255) NOT NULL,
    count      integer      NOT NULL CHECK (count > 0),
    first      bigint       NOT NULL CHECK (first > 0),
    created_at timestamptz  NOT NULL DEFAULT now(),
    PRIMARY KEY (counter, key)
);

-- Keys are purged by age in small batches
CREATE INDEX idempotency_key_created_at ON idempotency_key (created_at);
