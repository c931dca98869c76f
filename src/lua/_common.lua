-- Helpers shared by feedbackd's scripts; build-aux/lua2c.sh inlines this file.
-- Counter order must match enum counter in src/stats.h.
local COUNTERS = {'r', 's5', 'sat', 'neu', 'dis', 'ssum', 'n10', 'pro', 'det',
                  'cmp', 'rep', 'rn', 'rsum', 'rmax', 'met', 'miss'}
local MAXED = {rmax = true} -- kept as a maximum, never summed
local LEASE_MS = 30000      -- an undelivered alert is re-driven after this

-- Integer to decimal text without Lua's exponent notation.
local function int(n) return string.format('%d', n) end

-- Parses "1h:3600000:150000;24h:86400000:3600000" into window tables. Field names
-- ("sat_24h") are built here once per call, not once per agent.
local function parse_windows(spec)
  local ws = {readout = {'open', 'overdue'}}
  for name, span, bms in string.gmatch(spec, '([^:;]+):(%d+):(%d+)') do
    local w = {name = name, span = tonumber(span), bms = tonumber(bms), field = {},
               first_field = 'first_' .. name}
    for _, c in ipairs(COUNTERS) do
      w.field[c] = c .. '_' .. name
      ws.readout[#ws.readout + 1] = w.field[c]
    end
    ws[#ws + 1] = w
  end
  return ws
end

-- The bucket holding time ts (floor division).
local function bucket_of(w, ts) return math.floor(ts / w.bms) end

-- The oldest bucket whose start is still inside the window (ceil division).
local function first_bucket(w, now) return -math.floor(-(now - w.span) / w.bms) end

local function agent_key(P, agent, suffix) return P .. 'agent:{' .. agent .. '}:' .. suffix end
local function bucket_key(P, agent, w, b) return agent_key(P, agent, 'b:' .. w.name .. ':' .. int(b)) end

-- Sums an agent's buckets from first up to the newest one an accepted event can reach.
local function window_sum(P, agent, w, first, now, max_future)
  local sum = {}
  for _, c in ipairs(COUNTERS) do sum[c] = 0 end
  for b = first, bucket_of(w, now + max_future) do
    local vals = redis.call('HMGET', bucket_key(P, agent, w, b), unpack(COUNTERS))
    for i, c in ipairs(COUNTERS) do
      local v = tonumber(vals[i])
      if v then
        if MAXED[c] then
          if v > sum[c] then sum[c] = v end
        else
          sum[c] = sum[c] + v
        end
      end
    end
  end
  return sum
end

-- Brings an agent's window totals up to date: a slid window is re-summed from its
-- buckets, otherwise this call's in-window deltas are added. Returns the new version.
local function totals_sync(P, agent, ws, now, max_future, deltas)
  local tk = agent_key(P, agent, 'totals')
  -- An agent seen for the first time has nothing to re-sum but this call's own changes.
  local fresh = redis.call('EXISTS', tk) == 0
  for wi, w in ipairs(ws) do
    local first = first_bucket(w, now)
    if fresh then
      local args = {w.first_field, int(first)}
      local d = deltas and deltas[wi] or {}
      for _, c in ipairs(COUNTERS) do
        args[#args + 1] = w.field[c]
        args[#args + 1] = int(d[c] or 0)
      end
      redis.call('HSET', tk, unpack(args))
    elseif tonumber(redis.call('HGET', tk, w.first_field)) ~= first then
      local sum = window_sum(P, agent, w, first, now, max_future)
      local args = {w.first_field, int(first)}
      for _, c in ipairs(COUNTERS) do
        args[#args + 1] = w.field[c]
        args[#args + 1] = int(sum[c])
      end
      redis.call('HSET', tk, unpack(args))
    elseif deltas and deltas[wi] then
      for c, d in pairs(deltas[wi]) do
        local f = w.field[c]
        if MAXED[c] then
          if d > (tonumber(redis.call('HGET', tk, f)) or 0) then redis.call('HSET', tk, f, int(d)) end
        else
          redis.call('HINCRBY', tk, f, d)
        end
      end
    end
  end
  return redis.call('HINCRBY', tk, 'v', 1)
end

-- Appends an agent's totals to out as three elements: the agent; one text "v,open,overdue,"
-- followed by every counter of every window; its quality rules' states as field/value
-- pairs (decoded by src/agentstats.c). One text, not ~70 numbers, keeps replies small.
local function totals_read(P, agent, ws, version, out)
  local fields = ws.readout
  local vals = redis.call('HMGET', agent_key(P, agent, 'totals'), unpack(fields))
  for i = 1, #fields do vals[i] = vals[i] or '0' end
  out[#out + 1] = agent
  out[#out + 1] = int(version) .. ',' .. table.concat(vals, ',')
  out[#out + 1] = redis.call('HGETALL', agent_key(P, agent, 'rules'))
end

-- Records an alert decision in the outbox, atomically with the state change that made it.
local function outbox_add(P, now, facts, out)
  local key = redis.sha1hex(facts.rule .. '\0' .. facts.agent .. '\0' .. (facts.ticket or '') ..
                            '\0' .. int(facts.since)) .. ':' .. facts.state
  -- A reminder re-publishes a firing alert: same episode, its own outbox entry.
  if facts['repeat'] then key = key .. ':' .. int(facts.at) end
  local json = cjson.encode(facts)
  if redis.call('HSETNX', P .. 'outbox', key, json) == 1 then
    redis.call('ZADD', P .. 'outbox:lease', now + LEASE_MS, key)
    out[#out + 1] = key
    out[#out + 1] = json
  end
end
