--[[
  Takes one message: dedupe, usage quotas, backpressure, enqueue and "ready" in one atomic step, so
  a crash can neither lose an acknowledged message nor take it twice, and a quota is exact over
  every replica (a retry or twin is a duplicate before it is counted; a refused one is not counted).

  KEYS[1] seen:<message key>     dedupe marker (SET NX PX); also the message's member in the quota logs
  KEYS[2] pending                hash: field "all" = messages pending, one field per user key
  KEYS[3] q:<session>            the session's FIFO of JSON entries
  KEYS[4] ready:<platform>       sessions with work and no lease
  KEYS[3+2i] quota:<kind>:<scope>        for each quota i (1..ARGV[8]): zset, message -> time counted
  KEYS[4+2i] quota-told:<kind>:<channel> present while the channel was told quota i is used up
  ARGV[1] dedupe TTL (ms)
  ARGV[2] max pending over the store
  ARGV[3] max pending per user
  ARGV[4] user key
  ARGV[5] the entry, JSON
  ARGV[6] session id
  ARGV[7] bell channel of the platform (PUBLISH when ready goes from empty to not empty)
  ARGV[8] number of quotas (absent: 0)
  ARGV[9] "1" when every refusal is told (a direct message), else "0"
  ARGV[7+3i], ARGV[8+3i], ARGV[9+3i]   quota i's limit, window (ms) and kind (person, workspace)
  Returns "queued", "duplicate" or "busy" (a busy message keeps its dedupe marker), or over a quota
  {"over", kind, limit, reset in ms, 1 to tell the refusal or 0 for a quiet one} (the marker is kept).
]]
if not redis.call("SET", KEYS[1], "1", "NX", "PX", ARGV[1]) then
  return "duplicate"
end
local quotas = tonumber(ARGV[8] or "0")
local now = 0
if quotas > 0 then
  local t = redis.call("TIME")
  now = t[1] * 1000 + t[2] / 1000
  -- Of the quotas used up, the one that resets last: only then may the person ask again.
  local over, told, reset = nil, nil, -1
  for i = 1, quotas do
    local log, limit, window = KEYS[3 + 2 * i], tonumber(ARGV[7 + 3 * i]), tonumber(ARGV[8 + 3 * i])
    -- Windows are half-open, (now - window, now], like the starts' window.
    redis.call("ZREMRANGEBYSCORE", log, "-inf", now - window)
    local counted = redis.call("ZCARD", log)
    if counted >= limit then
      -- Room for one more once the (counted - limit + 1)-th oldest leaves the window.
      local at = redis.call("ZRANGE", log, counted - limit, counted - limit, "WITHSCORES")
      local wait = math.max(1, math.ceil(tonumber(at[2]) + window - now))
      if wait > reset then over, told, reset = i, KEYS[4 + 2 * i], wait end
    end
  end
  if over then
    local tell = 1
    if ARGV[9] ~= "1" and not redis.call("SET", told, "1", "NX", "PX", ARGV[8 + 3 * over]) then tell = 0 end
    return {"over", ARGV[9 + 3 * over], tonumber(ARGV[7 + 3 * over]), reset, tell}
  end
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
for i = 1, quotas do
  local log = KEYS[3 + 2 * i]
  redis.call("ZADD", log, now, KEYS[1])
  redis.call("PEXPIRE", log, ARGV[8 + 3 * i])
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
