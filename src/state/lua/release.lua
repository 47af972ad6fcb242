--[[
  Gives a held session back, unchanged, at the front of its platform's ready list (shutdown).

  KEYS[1] s:<session>
  KEYS[2] leases
  ARGV[1] token
  ARGV[2] session id
  ARGV[3] key prefix
  Returns 1, or 0 when the token is no longer the session's.

  Cluster note: ready:<platform> is built from the prefix and the platform the session was claimed
  from (kept in s:<session>); the prefix is one hash tag, so it is in the same slot.
]]
if redis.call("HGET", KEYS[1], "token") ~= ARGV[1] then return 0 end
local platform = redis.call("HGET", KEYS[1], "platform")
redis.call("HDEL", KEYS[1], "token")
redis.call("ZREM", KEYS[2], ARGV[2])
if redis.call("LPUSH", ARGV[3] .. "ready:" .. platform, ARGV[2]) == 1 then
  redis.call("PUBLISH", ARGV[3] .. "bell:" .. platform, "1")
end
return 1
