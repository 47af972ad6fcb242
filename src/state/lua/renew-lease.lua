--[[
  Extends a lease its holder still has (the heartbeat).

  KEYS[1] s:<session>            hash: token, platform, phase, reply
  KEYS[2] leases
  ARGV[1] token
  ARGV[2] session id
  ARGV[3] lease (ms)
  Returns 1, or 0 when the token is no longer the session's (taken over).
]]
if redis.call("HGET", KEYS[1], "token") ~= ARGV[1] then return 0 end
local t = redis.call("TIME")
redis.call("ZADD", KEYS[2], t[1] * 1000 + math.floor(t[2] / 1000) + tonumber(ARGV[3]), ARGV[2])
return 1
