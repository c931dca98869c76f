-- apply: one batch of validated events, atomically.
-- ARGV: now, prefix, windows, max_future, dedupe_ms, group, sla, partitions, then 11 per event:
--   "topic:partition", offset, event_id, type (r|c|m|p), agent, ticket, ts, score, scale, severity, category
-- partitions is "topic:p=prev;..." where prev is the last offset this consumer sent in an
-- earlier batch for that partition (-1 if none): a batch is refused if that one is not applied
-- yet, so a retried batch can never be skipped by the high-water mark of a later one.
-- Returns {counts, agent totals (every event's agent, and every clock's), outbox entries,
-- earliest new clock action or -1}; counts holds 16 numbers, by event type
-- (rating, complaint, message, reply) then result (applied, duplicate, redelivered, late).
--#include _common.lua
--#include _batch.lua
--#include _clock.lua

local now, P = tonumber(ARGV[1]), ARGV[2]
local ws = parse_windows(ARGV[3])
local max_future, dedupe_ms = tonumber(ARGV[4]), tonumber(ARGV[5])
local offsets_key = P .. 'offsets:' .. ARGV[6]
local sla = parse_sla(ARGV[7])
local oldest = now - ws[#ws].span

local hw = {}
for tp, prev in string.gmatch(ARGV[8], '([^;=]+)=(-?%d+)') do
  local applied = tonumber(redis.call('HGET', offsets_key, tp)) or -1
  if applied < tonumber(prev) then
    return redis.error_reply('GAP ' .. tp .. ' has ' .. int(applied) .. ', batch follows ' .. prev)
  end
  hw[tp] = applied
end

local B = batch_new(P, ws, now, max_future)
local SEVERITY = {['0'] = 'low', ['1'] = 'normal', ['2'] = 'high', ['3'] = 'critical'}
local TYPE = {r = 0, c = 1, m = 2, p = 3}
local APPLIED, DUPLICATE, REDELIVERED, LATE = 0, 1, 2, 3
local counts = {}
for n = 1, 16 do counts[n] = 0 end
-- Counts one event's result under its type.
local function count(kind, result)
  local n = TYPE[kind] * 4 + result + 1
  counts[n] = counts[n] + 1
end
local latest = {} -- agent -> newest event time, for the agents sorted set

-- The counter changes of a rating; one table per (scale, score), made on first use.
local RATING = {}
local function rating_changes(scale, score)
  local key = scale .. ':' .. score
  local changes = RATING[key]
  if not changes then
    local n = tonumber(score)
    if scale == '5' then
      changes = {r = 1, s5 = 1, ssum = n}
      changes[n >= 4 and 'sat' or (n == 3 and 'neu' or 'dis')] = 1
    else
      changes = {r = 1, n10 = 1}
      if n >= 9 then changes.pro = 1 elseif n <= 6 then changes.det = 1 end
    end
    RATING[key] = changes
  end
  return changes
end

for i = 9, #ARGV, 11 do
  local tp, offset = ARGV[i], tonumber(ARGV[i + 1])
  local kind = ARGV[i + 3]
  -- Every event's agent gets its totals back, even for an event that changes nothing: the
  -- daemon leaves an agent's stats write to the last batch it knows holds the agent.
  batch_touch(B, ARGV[i + 4])
  if offset <= hw[tp] then
    count(kind, REDELIVERED)
  elseif not redis.call('SET', P .. 'evt:' .. ARGV[i + 2], '1', 'NX', 'PX', dedupe_ms) then
    hw[tp] = offset
    count(kind, DUPLICATE)
  else
    hw[tp] = offset
    local agent, ticket, ts = ARGV[i + 4], ARGV[i + 5], tonumber(ARGV[i + 6])
    local counted = ts >= oldest
    if counted then
      count(kind, APPLIED)
      if not latest[agent] or ts > latest[agent] then latest[agent] = ts end
    else
      count(kind, LATE)
    end
    if kind == 'r' then
      if counted then batch_add_all(B, agent, ts, rating_changes(ARGV[i + 8], ARGV[i + 7])) end
    elseif kind == 'c' then
      -- Events older than every window only close clocks: opening one would breach at once.
      if counted then
        batch_add(B, agent, ts, 'cmp', 1)
        clock_open(B, sla, agent, ticket, ts, SEVERITY[ARGV[i + 9]], ARGV[i + 10])
      end
    elseif kind == 'm' then
      if counted then clock_open(B, sla, agent, ticket, ts, 'message', ARGV[i + 10]) end
    else
      if counted then batch_add(B, agent, ts, 'rep', 1) end
      clock_reply(B, sla, ticket, ts)
    end
  end
end

for tp, offset in pairs(hw) do redis.call('HSET', offsets_key, tp, int(offset)) end
for agent, ts in pairs(latest) do redis.call('ZADD', P .. 'agents', 'GT', ts, agent) end
local totals = batch_flush(B)
return {counts, totals, B.outbox, B.next_due}
