--[[
  Fenced: records how far the session's first message got ("started" before its assistant call,
  "answered" with the reply), so a worker that takes the session over knows what to do with it.

  KEYS[1] s:<session>
  ARGV[1] token
  ARGV[2] phase
  ARGV[3] reply JSON, or "" for none
  Returns 1, or 0 when the token is no longer the session's.
]]
if redis.call("HGET", KEYS[1], "token") ~= ARGV[1] then return 0 end
redis.call("HSET", KEYS[1], "phase", ARGV[2], "reply", ARGV[3])
return 1
