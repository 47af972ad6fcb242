--[[
  Takes one message: dedupe, backpressure, enqueue and "ready" in one atomic step, so a crash can
  neither lose an acknowledged message nor take it twice.

  KEYS[1] seen:<message key>     dedupe marker (SET NX PX)
  KEYS[2] pending                hash: field "all" = messages pending, one field per user key
  KEYS[3] q:<session>            the session's FIFO of JSON entries
  KEYS[4] ready:<platform>       sessions with work and no lease
  ARGV[1] dedupe TTL (ms)
  ARGV[2] max pending over the store
  ARGV[3] max pending per user
  ARGV[4] user key
  ARGV[5] the entry, JSON
  ARGV[6] session id
  ARGV[7] bell channel of the platform (PUBLISH when ready goes from empty to not empty)
  Returns "queued", "duplicate" or "busy" (a busy message keeps its dedupe marker).
]]
if not redis.call("SET", KEYS[1], "1", "NX", "PX", ARGV[1]) then
  return "duplicate"
end
-- Counting first and undoing on the rare "busy" saves a read on every accepted message.
local all = redis.call("HINCRBY", KEYS[2], "all", 1)
local mine = redis.call("HINCRBY", KEYS[2], ARGV[4], 1)
if all > tonumber(ARGV[2]) or mine > tonumber(ARGV[3]) then
  if all == 1 then
    redis.call("DEL", KEYS[2])
  else
    redis.call("HINCRBY", KEYS[2], "all", -1)
    if mine == 1 then redis.call("HDEL", KEYS[2], ARGV[4]) else redis.call("HINCRBY", KEYS[2], ARGV[4], -1) end
  end
  return "busy"
end
-- An empty FIFO has no lease (complete drops the lease with the last message), so its first
-- message makes the session ready; later ones wait for the holder's complete.
if redis.call("RPUSH", KEYS[3], ARGV[5]) == 1 then
  -- Idle workers are all awake while the ready list is not empty: ring only when it was.
  if redis.call("RPUSH", KEYS[4], ARGV[6]) == 1 then
    redis.call("PUBLISH", ARGV[7], "1")
  end
end
return "queued"
