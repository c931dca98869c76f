-- A batch of counter changes, merged per bucket in Lua before Redis is touched,
-- so a batch costs one write per bucket field rather than one per event.

-- Merges one change into a field table; maxima are kept, the rest summed.
local function merge(t, c, d) t[c] = t[c] and combine(c, t[c], d) or d end

-- A new, empty batch for one script call. first[wi] is window wi's oldest bucket now.
local function batch_new(P, ws, now, max_future)
  local first = {}
  for wi, w in ipairs(ws) do first[wi] = first_bucket(w, now) end
  return {P = P, ws = ws, now = now, max_future = max_future, first = first,
          agents = {}, agent_order = {}, clocks = {open = 0, overdue = 0}, outbox = {},
          next_due = -1}
end

-- Marks an agent whose totals this call hands back; returns its entry: deltas[wi]
-- (counter -> change), buckets[wi] (bucket number -> the same), the changes of its open
-- and overdue clock counts, and whether any of that changed (else its sums stay as stored).
local function batch_touch(B, agent)
  local a = B.agents[agent]
  if not a then
    a = {deltas = {}, buckets = {}, open = 0, overdue = 0, changed = false}
    for wi = 1, #B.ws do
      a.deltas[wi] = {}
      a.buckets[wi] = {}
    end
    B.agents[agent] = a
    B.agent_order[#B.agent_order + 1] = agent
  end
  return a
end

-- Counts one event's changes (counter -> amount) for agent at time ts, in every window
-- that still covers ts. Buckets are numbers here; their key names are built once, at flush.
local function batch_add_all(B, agent, ts, changes)
  local a = batch_touch(B, agent)
  a.changed = true
  for wi, w in ipairs(B.ws) do
    local b = bucket_of(w, ts)
    if b >= B.first[wi] then
      local wb = a.buckets[wi]
      local f = wb[b]
      if not f then
        f = {}
        wb[b] = f
      end
      local wd = a.deltas[wi]
      for c, d in pairs(changes) do
        if MAXED[c] then
          merge(f, c, d)
          merge(wd, c, d)
        else
          f[c] = (f[c] or 0) + d -- inlined: this runs ~10 times per event
          wd[c] = (wd[c] or 0) + d
        end
      end
    end
  end
end

local ONE = {} -- counter -> {[counter] = 1}, the common single change, made once
for _, c in ipairs(COUNTERS) do ONE[c] = {[c] = 1} end

-- Counts d into counter c (one change).
local function batch_add(B, agent, ts, c, d)
  batch_add_all(B, agent, ts, d == 1 and ONE[c] or {[c] = d})
end

-- Adds merged changes to one bucket hash, in one read and one write. The expiry follows
-- from the bucket number, so it is set only when the read shows a new bucket.
local function bucket_merge(k, f, expire)
  local names, set = {}, {}
  for c in pairs(f) do names[#names + 1] = c end
  local cur = redis.call('HMGET', k, unpack(names))
  local fresh = true
  for i, c in ipairs(names) do
    local v, d = tonumber(cur[i]), f[c]
    if v then
      fresh = false
      d = combine(c, v, d)
    end
    set[#set + 1] = c
    set[#set + 1] = d -- a number: Redis writes it as "%.14g", exact for any count here
  end
  redis.call('HSET', k, unpack(set))
  if fresh then redis.call('PEXPIREAT', k, int(expire)) end
end

-- Writes the merged buckets, then updates every touched agent's totals and returns them.
local function batch_flush(B)
  local out = {}
  for field, d in pairs(B.clocks) do
    if d ~= 0 then redis.call('HINCRBY', B.P .. 'clocks', field, d) end
  end
  for _, agent in ipairs(B.agent_order) do
    local a = B.agents[agent]
    for wi, w in ipairs(B.ws) do
      for b, f in pairs(a.buckets[wi]) do
        bucket_merge(bucket_key(B.P, agent, w, b), f, b * w.bms + w.span + w.bms)
      end
    end
    if a.changed then
      totals_update(B.P, agent, B.ws, B.now, B.max_future, a, out)
    else
      totals_unchanged(B.P, agent, B.ws, B.now, B.max_future, out)
    end
  end
  return out
end
