-- Helpers shared by feedbackd's scripts; build-aux/lua2c.sh inlines this file.
-- Counter order must match enum counter in src/core/stats.h.
local COUNTERS = {'r', 's5', 'sat', 'neu', 'dis', 'ssum', 'n10', 'pro', 'det',
                  'cmp', 'rep', 'rn', 'rsum', 'rmax', 'met', 'miss'}
local MAXED = {rmax = true} -- kept as a maximum, never summed
local LEASE_MS = 30000      -- an undelivered alert is re-driven after this

-- Counter c's value v with d added: the larger of the two for a maximum, else the sum.
local function combine(c, v, d)
  if MAXED[c] then return v > d and v or d end
  return v + d
end

-- Integer to decimal text without Lua's exponent notation.
local function int(n) return string.format('%d', n) end

-- Parses "1h:3600000:150000;24h:86400000:3600000" into window tables. The text itself
-- tags each agent's stored sums, so a change of windows is noticed and re-summed.
local function parse_windows(spec)
  local ws = {spec = spec}
  for name, span, bms in string.gmatch(spec, '([^:;]+):(%d+):(%d+)') do
    ws[#ws + 1] = {name = name, span = tonumber(span), bms = tonumber(bms)}
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
      if v then sum[c] = combine(c, sum[c], v) end
    end
  end
  return sum
end

-- An agent's sums key holds one MessagePack array (cmsgpack, C speed, instead of a
-- ~70-field hash that cost a listpack scan per field): the windows spec, the version of
-- the stats hash, the open and overdue clock counts, then per window its first bucket
-- and its COUNTERS (the sum of its buckets).
local SUMS_V, SUMS_OPEN, SUMS_OVERDUE, SUMS_HEAD = 2, 3, 4, 4
local WINDOW_SLOTS = #COUNTERS + 1
local COUNTER_AT = {} -- counter -> its slot after the window's first bucket
for i, c in ipairs(COUNTERS) do COUNTER_AT[c] = i end

-- Whether stored sums t no longer fit now: other windows, or a window whose oldest bucket moved.
local function sums_slid(t, ws, now)
  if t[1] ~= ws.spec then return true end
  for wi, w in ipairs(ws) do
    if t[SUMS_HEAD + (wi - 1) * WINDOW_SLOTS + 1] ~= first_bucket(w, now) then return true end
  end
  return false
end

-- Reads an agent's sums, or starts them; fresh when the agent has none at all. A third
-- result names an old key the sums were taken from, to delete once they are written.
local function sums_load(P, agent, ws)
  local raw = redis.call('GET', agent_key(P, agent, 'sums'))
  if raw then
    local t = cmsgpack.unpack(raw)
    -- Other windows: keep the version and clock counts, re-sum every window.
    if t[1] ~= ws.spec then t = {ws.spec, t[SUMS_V], t[SUMS_OPEN], t[SUMS_OVERDUE]} end
    return t, false
  end
  -- Written by a release that kept a "totals" hash: take its version and clock counts.
  local old = agent_key(P, agent, 'totals')
  local g = redis.call('HMGET', old, 'v', 'open', 'overdue')
  if g[1] then return {ws.spec, tonumber(g[1]), tonumber(g[2]) or 0, tonumber(g[3]) or 0}, false, old end
  return {ws.spec, 0, 0, 0}, true
end

-- Brings an agent's window sums up to date and appends them to out, in one read and one
-- write: a slid window is re-summed from its buckets, otherwise this call's in-window
-- changes (a, from batch_touch, or nil) are added. out gets three elements: the agent;
-- the sums as stored (decoded by src/core/sums.c: one string, not ~70 integer replies, keeps
-- the daemon's reply objects small); its quality rules' states as field/value pairs.
local function totals_update(P, agent, ws, now, max_future, a, out)
  local t, fresh, old = sums_load(P, agent, ws)
  if a then
    t[SUMS_OPEN] = t[SUMS_OPEN] + a.open
    t[SUMS_OVERDUE] = t[SUMS_OVERDUE] + a.overdue
  end
  t[SUMS_V] = t[SUMS_V] + 1
  for wi, w in ipairs(ws) do
    local at = SUMS_HEAD + (wi - 1) * WINDOW_SLOTS + 1 -- the window's first bucket
    local first = first_bucket(w, now)
    local d = a and a.deltas[wi]
    if fresh then
      -- Nothing to re-sum: the buckets hold only this call's changes.
      t[at] = first
      for i, c in ipairs(COUNTERS) do t[at + i] = d and d[c] or 0 end
    elseif t[at] ~= first then
      local sum = window_sum(P, agent, w, first, now, max_future)
      t[at] = first
      for i, c in ipairs(COUNTERS) do t[at + i] = sum[c] end
    elseif d then
      for c, x in pairs(d) do
        local i = at + COUNTER_AT[c]
        t[i] = combine(c, t[i], x)
      end
    end
  end
  local packed = cmsgpack.pack(t)
  redis.call('SET', agent_key(P, agent, 'sums'), packed)
  if old then redis.call('DEL', old) end
  out[#out + 1] = agent
  out[#out + 1] = packed
  out[#out + 1] = redis.call('HGETALL', agent_key(P, agent, 'rules'))
end

-- Appends an agent that this call did not change (an event it skipped, a clock that only
-- passed its at-risk point): its sums as stored, with no write and no new version, unless a
-- window slid. An agent with no sums at all is left out: no earlier reply carried it, so
-- none left its stats write to this one, and a late event leaves no trace.
local function totals_unchanged(P, agent, ws, now, max_future, out)
  local raw = redis.call('GET', agent_key(P, agent, 'sums'))
  if not raw then
    if redis.call('EXISTS', agent_key(P, agent, 'totals')) == 1 then
      totals_update(P, agent, ws, now, max_future, nil, out)
    end
    return
  end
  if sums_slid(cmsgpack.unpack(raw), ws, now) then
    return totals_update(P, agent, ws, now, max_future, nil, out)
  end
  out[#out + 1] = agent
  out[#out + 1] = raw
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
