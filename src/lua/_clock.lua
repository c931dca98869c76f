-- Reply clocks: one hash per ticket ({ticket} keeps it in one cluster slot) and one
-- sorted set of each running clock's next action time (at-risk point, then deadline).

-- Parses "default,low,normal,high,critical,at_risk_permille,pair_horizon_ms".
local function parse_sla(spec)
  local v = {}
  for n in string.gmatch(spec, '(%d+)') do v[#v + 1] = tonumber(n) end
  return {target = {message = v[1], low = v[2], normal = v[3], high = v[4], critical = v[5]},
          at_risk = v[6], horizon = v[7]}
end

local function clock_key(P, ticket) return P .. 'ticket:{' .. ticket .. '}' end

-- Moves an agent's open or overdue count, and the daemon-wide one behind /metrics;
-- both are written once per call, at flush.
local function clock_gauge(B, agent, field, d)
  local a = batch_touch(B, agent)
  a.changed = true
  a[field] = a[field] + d
  B.clocks[field] = B.clocks[field] + d
end

-- Reads a ticket hash into a table.
local function clock_load(k)
  local flat = redis.call('HGETALL', k)
  local t = {}
  for i = 1, #flat, 2 do t[flat[i]] = flat[i + 1] end
  return t
end

-- Queues an alert about a clock; since identifies the episode (its at-risk point or deadline).
local function clock_alert(B, t, ticket, rule, state, since, extra)
  local facts = {rule = rule, state = state, agent = t.agent, ticket = ticket, since = since,
                 at = B.now, start = tonumber(t.start), due = tonumber(t.due),
                 target = tonumber(t.target), severity = t.sev, category = t.cat}
  for k, v in pairs(extra or {}) do facts[k] = v end
  outbox_add(B.P, B.now, facts, B.outbox)
end

-- Counts a reply that answered a clock started at start: its response time and, unless
-- the breach already counted it, whether the target was met or missed.
local function clock_count(B, agent, start, replied, target, breach_counted)
  local resp = replied - start
  local changes = {rn = 1, rsum = resp, rmax = resp}
  if not breach_counted and resp <= target then changes.met = 1 end
  batch_add_all(B, agent, replied, changes)
  if breach_counted or resp <= target then
    return resp
  else
    batch_add(B, agent, start + target, 'miss', 1)
  end
  return resp
end

-- The time of a clock's next action: its at-risk point until that fired, then its deadline.
local function clock_next(t)
  if tonumber(t.risk) > 0 and t.risk_fired == '0' then return tonumber(t.risk) end
  return tonumber(t.due)
end

-- (Re)writes a running clock that starts at ts.
local function clock_start(B, sla, k, ticket, t, ts)
  local target = tonumber(t.target)
  t.start, t.due, t.risk = ts, ts + target, 0
  if sla.at_risk > 0 then t.risk = ts + math.floor(target * sla.at_risk / 1000) end
  t.created = t.created or B.now
  redis.call('HSET', k, 'state', 'open', 'agent', t.agent, 'start', int(ts), 'target', int(target),
             'due', int(t.due), 'risk', int(t.risk), 'risk_fired', t.risk_fired,
             'sev', t.sev, 'cat', t.cat, 'created', int(t.created))
  -- A reply that waited here for an older message is superseded; so is its expiry.
  if t.early then
    redis.call('HDEL', k, 'early')
    redis.call('PERSIST', k)
    t.early = nil
  end
  local nxt = clock_next(t)
  redis.call('ZADD', B.P .. 'due', nxt, ticket)
  -- The earliest new action, so the caller can arm its timer without polling Redis.
  if B.next_due < 0 or nxt < B.next_due then B.next_due = nxt end
end

-- A complaint or message: starts the ticket's clock unless one runs, or pairs with an early reply.
local function clock_open(B, sla, agent, ticket, ts, kind, cat)
  local k = clock_key(B.P, ticket)
  local t = clock_load(k)
  if t.state then
    -- An older opening event that arrived late moves the start back, if nothing fired yet.
    if t.state == 'open' and ts < tonumber(t.start) and t.risk_fired == '0' then
      clock_start(B, sla, k, ticket, t, ts)
    end
    return
  end
  local target = sla.target[kind]
  local early = tonumber(t.early)
  if early and early >= ts and early - ts <= sla.horizon then
    redis.call('DEL', k)
    clock_count(B, agent, ts, early, target, false)
    return
  end
  t = {agent = agent, target = target, risk_fired = '0', sev = kind, cat = cat, early = t.early}
  clock_start(B, sla, k, ticket, t, ts)
  clock_gauge(B, agent, 'open', 1)
  batch_touch(B, agent)
end

-- A reply: stops the ticket's clock, or waits (out of order) for the message it answers.
local function clock_reply(B, sla, ticket, ts)
  local k = clock_key(B.P, ticket)
  local t = clock_load(k)
  if not t.state then
    local early = tonumber(t.early)
    if not early or ts < early then
      redis.call('HSET', k, 'early', int(ts))
      redis.call('PEXPIRE', k, sla.horizon)
    end
    return
  end
  local start, due, target = tonumber(t.start), tonumber(t.due), tonumber(t.target)
  if ts < start then return end -- answers something older than this clock
  local agent = t.agent
  local resp = clock_count(B, agent, start, ts, target, t.state == 'overdue')
  if t.state == 'overdue' then
    clock_gauge(B, agent, 'overdue', -1)
    clock_alert(B, t, ticket, 'reply_sla_breach', 'resolved', due, {response_ms = resp, replied = ts})
  elseif ts > due and tonumber(t.created) <= due then
    -- Late, and the clock was known before its deadline, but the breach has not fired yet
    -- (the daemon was down, or the reply beat the timer): still a breach, so say so.
    -- A clock first seen already past its deadline (a backlog replay) is counted, not paged.
    clock_alert(B, t, ticket, 'reply_sla_breach', 'firing', due, {late_ms = ts - due})
    clock_alert(B, t, ticket, 'reply_sla_breach', 'resolved', due, {response_ms = resp, replied = ts})
  end
  if t.risk_fired == '1' and t.state == 'open' then
    clock_alert(B, t, ticket, 'reply_sla_at_risk', 'resolved', tonumber(t.risk),
                {response_ms = resp, replied = ts, superseded = ts > due})
  end
  clock_gauge(B, agent, 'open', -1)
  redis.call('ZREM', B.P .. 'due', ticket)
  redis.call('DEL', k)
  batch_touch(B, agent)
end

-- Fires whatever is due on one clock; returns false when the entry was stale.
local function clock_fire(B, ticket)
  local k = clock_key(B.P, ticket)
  local t = clock_load(k)
  if t.state ~= 'open' then
    redis.call('ZREM', B.P .. 'due', ticket)
    return false
  end
  local due, risk = tonumber(t.due), tonumber(t.risk)
  if B.now >= due then
    redis.call('HSET', k, 'state', 'overdue')
    redis.call('ZREM', B.P .. 'due', ticket)
    clock_gauge(B, t.agent, 'overdue', 1)
    batch_add(B, t.agent, due, 'miss', 1)
    if t.risk_fired == '1' then
      clock_alert(B, t, ticket, 'reply_sla_at_risk', 'resolved', risk, {superseded = true})
    end
    clock_alert(B, t, ticket, 'reply_sla_breach', 'firing', due, {late_ms = B.now - due})
  else
    redis.call('HSET', k, 'risk_fired', '1')
    redis.call('ZADD', B.P .. 'due', due, ticket)
    clock_alert(B, t, ticket, 'reply_sla_at_risk', 'firing', risk, {remaining_ms = due - B.now})
  end
  batch_touch(B, t.agent)
  return true
end
