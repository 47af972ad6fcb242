--[[
  The exact sliding window of assistant calls shared by every replica, on Redis server time: a log
  of start times, so no window of ARGV[2] ms ever holds more than ARGV[1] starts.

  KEYS[1] starts                 zset: unique member -> start time (ms, with microseconds)
  KEYS[2] pause                  set while a 429's Retry-After is in force (PX)
  KEYS[3] s:<session>            optional: the start is the call of this session's first message
  ARGV[1] limit
  ARGV[2] window (ms)
  ARGV[3] a member unique to this start
  ARGV[4] with KEYS[3]: the lease token (fencing)
  Returns 0 (a start is recorded; with KEYS[3], that message is marked "started" in the same step),
  how many ms to wait before asking again (at least 1), or -1 when the token is not the session's.
]]
local session = KEYS[3]
if session and redis.call("HGET", session, "token") ~= ARGV[4] then return -1 end
local paused = redis.call("PTTL", KEYS[2])
if paused > 0 then return paused end
local t = redis.call("TIME")
local now = t[1] * 1000 + t[2] / 1000
local window = tonumber(ARGV[2])
-- A start exactly one window ago no longer counts: windows are half-open, (now - window, now].
redis.call("ZREMRANGEBYSCORE", KEYS[1], "-inf", now - window)
if redis.call("ZCARD", KEYS[1]) < tonumber(ARGV[1]) then
  redis.call("ZADD", KEYS[1], now, ARGV[3])
  redis.call("PEXPIRE", KEYS[1], window)
  -- After a crash, a message marked started is never sent to Twilio again.
  if session then redis.call("HSET", session, "phase", "started", "reply", "") end
  return 0
end
local oldest = redis.call("ZRANGE", KEYS[1], 0, 0, "WITHSCORES")
return math.max(1, math.ceil(tonumber(oldest[2]) + window - now))
