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
  -- stored: every totals field, in the order one HMGET reads them; pos: field -> index.
  local ws = {stored = {'v', 'open', 'overdue'}, pos = {}}
  for name, span, bms in string.gmatch(spec, '([^:;]+):(%d+):(%d+)') do
    local w = {name = name, span = tonumber(span), bms = tonumber(bms), field = {},
               first_field = 'first_' .. name}
    ws.stored[#ws.stored + 1] = w.first_field
    for _, c in ipairs(COUNTERS) do
      w.field[c] = c .. '_' .. name
      ws.stored[#ws.stored + 1] = w.field[c]
    end
    ws[#ws + 1] = w
  end
  for i, f in ipairs(ws.stored) do ws.pos[f] = i end
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

-- Brings an agent's window totals up to date and appends them to out, in one read and one
-- write: a slid window is re-summed from its buckets, otherwise this call's in-window deltas
-- are added. out gets three elements: the agent; one text "v,open,overdue," followed by every
-- counter of every window; its quality rules' states as field/value pairs (decoded by
-- src/agentstats.c). One text, not ~70 numbers, keeps replies small.
local function totals_update(P, agent, ws, now, max_future, deltas, out)
  local tk = agent_key(P, agent, 'totals')
  local cur = redis.call('HMGET', tk, unpack(ws.stored))
  local pos = ws.pos
  local set = {}
  -- An agent seen for the first time has nothing to re-sum but this call's own changes.
  local fresh = not cur[pos.v]
  local packed = {}
  for wi, w in ipairs(ws) do
    local first = first_bucket(w, now)
    local d = deltas and deltas[wi]
    local sum
    if not fresh and tonumber(cur[pos[w.first_field]]) ~= first then
      sum = window_sum(P, agent, w, first, now, max_future)
    end
    if sum or fresh then
      set[#set + 1] = w.first_field
      set[#set + 1] = int(first)
    end
    for _, c in ipairs(COUNTERS) do
      local f = w.field[c]
      local x = d and d[c]
      local text
      if sum then
        text = int(sum[c])
      elseif fresh then
        text = x and int(x) or '0'
      elseif x then
        local v = tonumber(cur[pos[f]]) or 0
        if MAXED[c] then
          if x > v then v = x end
        else
          v = v + x
        end
        text = int(v)
      else
        -- Unchanged: reuse Redis's own text; most counters of a touched agent do not move.
        text = cur[pos[f]] or '0'
      end
      if sum or fresh or x then
        set[#set + 1] = f
        set[#set + 1] = text
      end
      packed[#packed + 1] = text
    end
  end
  local version = (tonumber(cur[pos.v]) or 0) + 1
  set[#set + 1] = 'v'
  set[#set + 1] = int(version)
  redis.call('HSET', tk, unpack(set))
  out[#out + 1] = agent
  out[#out + 1] = int(version) .. ',' .. (cur[pos.open] or '0') .. ',' .. (cur[pos.overdue] or '0') ..
                  ',' .. table.concat(packed, ',')
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
