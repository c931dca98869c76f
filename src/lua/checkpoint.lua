-- checkpoint: commits one task's change set, all or nothing, unless a newer owner claimed
-- the task (its generation moved: a zombie is fenced out) or this commit was applied before
-- (a retry after an unknown outcome: applying again would APPEND twice). No domain logic:
-- only the fence, the sequence and generic writes to the declared keys (src/io/taskstore.c).
-- KEYS[1]: the task's meta hash (gen, seq, pos); the others: the keys the writes name.
-- ARGV: gen, seq, then groups of op, key index, count, items:
--   hset: count field/value pairs; hdel: count fields; append: count data/pexpireat-ms pairs.
-- Returns 1 applied, 2 applied before, 0 fenced; an error, writing nothing, for a gap.
local cur = redis.call('HMGET', KEYS[1], 'gen', 'seq')
if cur[1] ~= ARGV[1] then return 0 end
local seq, last = tonumber(ARGV[2]), tonumber(cur[2] or '0')
if seq <= last then return 2 end
if seq ~= last + 1 then return redis.error_reply('ERR checkpoint ' .. seq .. ' after ' .. last) end

local WIDTH = {hset = 2, hdel = 1, append = 2}
-- Arguments per HSET/HDEL call: unpack() is bounded by Lua's C stack; even, so pairs stay whole.
local CHUNK = 1000

-- Every group is checked before the first write: a script error does not undo writes.
local i = 3
while i <= #ARGV do
  local w, n = WIDTH[ARGV[i]], tonumber(ARGV[i + 2])
  if w == nil or KEYS[tonumber(ARGV[i + 1])] == nil or n == nil or i + 2 + n * w > #ARGV then
    return redis.error_reply('ERR checkpoint: malformed group at ' .. i)
  end
  i = i + 3 + n * w
end

i = 3
while i <= #ARGV do
  local op, key, n = ARGV[i], KEYS[tonumber(ARGV[i + 1])], tonumber(ARGV[i + 2])
  local stop = i + 2 + n * WIDTH[op]
  i = i + 3
  if op == 'append' then
    for j = i, stop, 2 do
      redis.call('APPEND', key, ARGV[j])
      redis.call('PEXPIREAT', key, ARGV[j + 1])
    end
  else
    local cmd = op == 'hset' and 'HSET' or 'HDEL'
    for j = i, stop, CHUNK do
      redis.call(cmd, key, unpack(ARGV, j, math.min(j + CHUNK - 1, stop)))
    end
  end
  i = stop + 1
end
redis.call('HSET', KEYS[1], 'seq', ARGV[2])
return 1
