-- stats_write: writes agents' contract stats hashes, computed in C from their sums, for many
-- agents in one call. fb:agent:{A}:written holds the sums version the hash shows: a write of
-- that version or an older one is dropped, so the hash never goes backwards, while a write
-- that is merely not the newest still lands (the newer one follows).
-- ARGV: prefix, then per agent: agent, v, n, then n field/value pairs ("" deletes the field).
-- Returns how many agents were written.
local P = ARGV[1]
local written, i = 0, 2
while i <= #ARGV do
  local base = P .. 'agent:{' .. ARGV[i] .. '}:'
  local v, n = tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2])
  local first, last = i + 3, i + 2 + 2 * n
  local shown = tonumber(redis.call('GET', base .. 'written'))
  if not shown or shown < v then
    local set, del = {}, {}
    for j = first, last, 2 do
      if ARGV[j + 1] == '' then
        del[#del + 1] = ARGV[j]
      else
        set[#set + 1] = ARGV[j]
        set[#set + 1] = ARGV[j + 1]
      end
    end
    if #set > 0 then redis.call('HSET', base .. 'stats', unpack(set)) end
    if #del > 0 then redis.call('HDEL', base .. 'stats', unpack(del)) end
    redis.call('SET', base .. 'written', ARGV[i + 1])
    written = written + 1
  end
  i = last + 1
end
return written
