--[[
  Fenced: removes the session's first message (answered and posted), frees its backpressure counts,
  and either keeps the lease for the next message or ends the session.

  KEYS[1] s:<session>
  KEYS[2] q:<session>
  KEYS[3] leases
  KEYS[4] pending
  ARGV[1] token
  ARGV[2] session id
  ARGV[3] lease (ms) for the next message
  Returns { "lost" }, { "empty" } (the session is gone, nothing of it is left) or { "next", entry JSON }.
]]
if redis.call("HGET", KEYS[1], "token") ~= ARGV[1] then return { "lost" } end
local done = redis.call("LPOP", KEYS[2])
if done then
  local user = cjson.decode(done).userKey
  if redis.call("HINCRBY", KEYS[4], "all", -1) <= 0 then
    redis.call("DEL", KEYS[4])
  elseif redis.call("HINCRBY", KEYS[4], user, -1) <= 0 then
    redis.call("HDEL", KEYS[4], user)
  end
end
local next = redis.call("LINDEX", KEYS[2], 0)
if not next then
  redis.call("DEL", KEYS[1])
  redis.call("ZREM", KEYS[3], ARGV[2])
  return { "empty" }
end
redis.call("HSET", KEYS[1], "phase", "queued", "reply", "")
local t = redis.call("TIME")
redis.call("ZADD", KEYS[3], t[1] * 1000 + math.floor(t[2] / 1000) + tonumber(ARGV[3]), ARGV[2])
return { "next", next }
