-- view_alert: appends one alert message to the alerts stream once, however often it is re-sent.
-- KEYS: the stream (fb:alerts), its sent set ({fb:alerts}:sent: identity -> when, one slot).
-- ARGV: identity, alert JSON, now (epoch ms), horizon ms, most identities kept, stream MAXLEN.
-- Returns 1 when appended, 0 when the identity was already sent.
if redis.call('ZSCORE', KEYS[2], ARGV[1]) then
  return 0
end
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[6], '*', 'alert', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
-- Forget identities older than the horizon, then the oldest beyond the size bound.
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. (tonumber(ARGV[3]) - tonumber(ARGV[4])))
local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[5])
if over > 0 then
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, over - 1)
end
return 1
