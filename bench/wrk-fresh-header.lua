-- Sends every request with a fresh value of the header named by FRESH_HEADER (Idempotency-Key: a new key each time;
-- a header the service ignores: the same client work without keys), and prints wrk-summary.lua's line at the end.
-- Values are unique per run and thread: a run's start time, the thread's number and a sequence number.
local header = os.getenv("FRESH_HEADER")
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("number", threads)
end

local prefix
local sequence = 0

function init(args)
  prefix = string.format("%d-%d-", os.time(), number)
end

function request()
  sequence = sequence + 1
  return wrk.format(nil, nil, { [header] = prefix .. sequence })
end

dofile(os.getenv("BENCH_DIR") .. "/wrk-summary.lua")
