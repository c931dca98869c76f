-- outbox: the alert outbox's three steps, by ARGV[1]:
--   commit PREFIX KEY AGENT FIELD STATE JSON: once per entry, XADD to the alerts stream and
--          set (firing) or delete (resolved) the agent's alerts field. Returns 1 the first time.
--   done PREFIX KEY: the Kafka delivery was confirmed; forget the entry.
--   lease PREFIX NOW LIMIT: claims entries whose lease ran out (their publisher died or the
--          broker was down) for re-delivery. Returns key, facts, committed JSON or "" per entry.
local op, P = ARGV[1], ARGV[2]
local outbox, sent, lease = P .. 'outbox', P .. 'outbox:json', P .. 'outbox:lease'
if op == 'commit' then
  local key = ARGV[3]
  if redis.call('HEXISTS', outbox, key) == 0 or redis.call('HSETNX', sent, key, ARGV[7]) == 0 then
    return 0
  end
  redis.call('XADD', P .. 'alerts', 'MAXLEN', '~', 10000, '*', 'alert', ARGV[7])
  local alerts = P .. 'agent:{' .. ARGV[4] .. '}:alerts'
  if ARGV[6] == 'firing' then
    redis.call('HSET', alerts, ARGV[5], ARGV[7])
  else
    redis.call('HDEL', alerts, ARGV[5])
  end
  return 1
elseif op == 'done' then
  redis.call('HDEL', outbox, ARGV[3])
  redis.call('HDEL', sent, ARGV[3])
  redis.call('ZREM', lease, ARGV[3])
  return 1
end
local now = tonumber(ARGV[3])
local out = {}
for _, key in ipairs(redis.call('ZRANGEBYSCORE', lease, '-inf', now, 'LIMIT', 0, tonumber(ARGV[4]))) do
  local facts = redis.call('HGET', outbox, key)
  if facts then
    redis.call('ZADD', lease, now + 30000, key)
    out[#out + 1] = key
    out[#out + 1] = facts
    out[#out + 1] = redis.call('HGET', sent, key) or ''
  else
    redis.call('ZREM', lease, key)
  end
end
return out
