--[[
  Takes the first ready session of the given platforms, leases it and returns its first message.

  KEYS[1] leases                 zset: session -> lease expiry (ms, server time)
  KEYS[2..n] ready:<platform>    one per platform, in the caller's order
  ARGV[1] key prefix (for the session's own keys, see below)
  ARGV[2] lease (ms)
  ARGV[3] the new lease token
  ARGV[4..] the platforms of KEYS[2..n], in the same order
  Returns nil, or { session id, entry JSON, phase, reply JSON or "" }.

  Cluster note: q:<session> and s:<session> are only known once the session is popped, so they are
  built here from the prefix instead of arriving in KEYS. The prefix is one hash tag, so they live in
  the same slot as every declared key.
]]
local prefix = ARGV[1]
for i = 2, #KEYS do
  local id = redis.call("LPOP", KEYS[i])
  while id do
    local queue = prefix .. "q:" .. id
    local session = prefix .. "s:" .. id
    local head = redis.call("LINDEX", queue, 0)
    if head then
      local t = redis.call("TIME")
      local now = t[1] * 1000 + math.floor(t[2] / 1000)
      local state = redis.call("HMGET", session, "phase", "reply")
      redis.call("HSET", session, "token", ARGV[3], "platform", ARGV[i + 2])
      redis.call("ZADD", KEYS[1], now + tonumber(ARGV[2]), id)
      return { id, head, state[1] or "queued", state[2] or "" }
    end
    -- Never expected (an empty FIFO is never ready); drop the stale state and look further.
    redis.call("DEL", session)
    id = redis.call("LPOP", KEYS[i])
  end
end
return nil
