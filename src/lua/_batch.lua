-- A batch of counter changes, merged per bucket in Lua before Redis is touched,
-- so a batch costs one write per bucket field rather than one per event.

-- Merges one change into a field table; maxima are kept, the rest summed.
local function merge(t, c, d)
  if MAXED[c] then
    if d > (t[c] or 0) then t[c] = d end
  else
    t[c] = (t[c] or 0) + d
  end
end

-- A new, empty batch for one script call.
local function batch_new(P, ws, now, max_future)
  return {P = P, ws = ws, now = now, max_future = max_future,
          buckets = {}, bucket_order = {}, deltas = {}, agents = {}, agent_order = {},
          outbox = {}, next_due = -1}
end

-- Marks an agent whose totals and stats must be refreshed after this call.
local function batch_touch(B, agent)
  if not B.agents[agent] then
    B.agents[agent] = true
    B.agent_order[#B.agent_order + 1] = agent
    B.deltas[agent] = {}
  end
end

-- Counts one event's changes (counter -> amount) for agent at time ts, in every window
-- that still covers ts. The bucket keys are built once per event, not once per counter.
local function batch_add_all(B, agent, ts, changes)
  batch_touch(B, agent)
  local deltas = B.deltas[agent]
  for wi, w in ipairs(B.ws) do
    local b = bucket_of(w, ts)
    if b >= first_bucket(w, B.now) then
      local bk = bucket_key(B.P, agent, w, b)
      local e = B.buckets[bk]
      if not e then
        e = {expire = b * w.bms + w.span + w.bms, f = {}}
        B.buckets[bk] = e
        B.bucket_order[#B.bucket_order + 1] = bk
      end
      local wd = deltas[wi]
      if not wd then
        wd = {}
        deltas[wi] = wd
      end
      for c, d in pairs(changes) do
        merge(e.f, c, d)
        merge(wd, c, d)
      end
    end
  end
end

-- Counts d into counter c (one change).
local function batch_add(B, agent, ts, c, d) batch_add_all(B, agent, ts, {[c] = d}) end

-- Writes the merged buckets (one read and one write each), then updates every touched
-- agent's totals and returns them.
local function batch_flush(B)
  for _, bk in ipairs(B.bucket_order) do
    local e = B.buckets[bk]
    local names, set = {}, {}
    for c in pairs(e.f) do names[#names + 1] = c end
    local cur = redis.call('HMGET', bk, unpack(names))
    for i, c in ipairs(names) do
      local v, d = tonumber(cur[i]) or 0, e.f[c]
      if MAXED[c] then
        if d > v then v = d end
      else
        v = v + d
      end
      set[#set + 1] = c
      set[#set + 1] = int(v)
    end
    redis.call('HSET', bk, unpack(set))
    redis.call('PEXPIREAT', bk, int(e.expire))
  end
  local out = {}
  for _, agent in ipairs(B.agent_order) do
    totals_update(B.P, agent, B.ws, B.now, B.max_future, B.deltas[agent], out)
  end
  return out
end
