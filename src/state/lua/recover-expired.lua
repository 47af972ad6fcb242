--[[
  Makes sessions whose lease expired (their worker died or hung) ready again, ahead of sessions that
  never started, the longest expired first. Their FIFO and phase are untouched.

  KEYS[1] leases
  ARGV[1] key prefix
  ARGV[2] most sessions to recover in one call (keeps the script short)
  Returns how many sessions were recovered.

  Cluster note: s:<session> and ready:<platform> are built from the prefix (one hash tag: same slot).
]]
local prefix = ARGV[1]
local t = redis.call("TIME")
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local expired = redis.call("ZRANGEBYSCORE", KEYS[1], "-inf", now, "LIMIT", 0, tonumber(ARGV[2]))
-- Pushed to the front in reverse, so the longest expired ends up first.
for i = #expired, 1, -1 do
  local id = expired[i]
  local session = prefix .. "s:" .. id
  local platform = redis.call("HGET", session, "platform")
  redis.call("HDEL", session, "token")
  redis.call("ZREM", KEYS[1], id)
  if platform then
    if redis.call("LPUSH", prefix .. "ready:" .. platform, id) == 1 then
      redis.call("PUBLISH", prefix .. "bell:" .. platform, "1")
    end
  end
end
return #expired
