-- wrk script for benchmarks/run.py: rotate over the requests of a file and count the
-- answers by status.
--
--   wrk -t2 -c8 -d5s -s benchmarks/rotate.lua http://127.0.0.1:8000 -- requests.tsv
--
-- Each line of the file is METHOD<TAB>PATH, or METHOD<TAB>PATH<TAB>JSON-BODY. Each thread
-- starts at its own place in the list, so the threads do not ask for the same thing at
-- the same moment. done() prints one line, `WRK_JSON {...}`, that run.py reads: requests,
-- socket errors, latency percentiles (microseconds) and the count of each status code
-- (wrk itself only reports "Non-2xx or 3xx responses" as one number).

local threads = {}

function setup(thread)
  thread:set("thread_number", #threads)
  table.insert(threads, thread)
end

function init(args)
  prepared = {}
  for line in io.lines(args[1]) do
    local method, path, body = line:match("^(%u+)\t([^\t]+)\t?(.*)$")
    if method then
      local headers = {}
      if body == "" then
        body = nil
      else
        headers["Content-Type"] = "application/json"
      end
      table.insert(prepared, wrk.format(method, path, headers, body))
    end
  end
  if #prepared == 0 then
    error("no requests in " .. args[1])
  end
  position = (thread_number * 7919) % #prepared
  statuses = {}
end

function request()
  position = position % #prepared + 1
  return prepared[position]
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
end

function done(summary, latency, requests)
  local totals = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      totals[status] = (totals[status] or 0) + count
    end
  end
  local counted = {}
  for status, count in pairs(totals) do
    table.insert(counted, string.format('"%s": %d', status, count))
  end
  local errors = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}, ' ..
    '"latency_us": {"p50": %d, "p90": %d, "p99": %d, "max": %d}, "statuses": {%s}}\n',
    summary.requests, summary.duration, summary.bytes,
    errors.connect, errors.read, errors.write, errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    table.concat(counted, ", ")))
end
