--[[
  Fenced: records the reply of the session's first message (phase "answered"), so a worker that
  takes the session over posts it instead of asking again; with a turn, appends it to the session's
  history in the same step, drops the oldest whole turns while the history is over its bound, and
  keeps the history for its TTL from now. A head already answered is left as it is: a second run
  (a retry of this step) never appends twice.

  KEYS[1] s:<session>
  KEYS[2] h:<session>   a list of "<chars>:<turn JSON>", oldest first
  ARGV[1] token
  ARGV[2] reply JSON
  ARGV[3] turn JSON, or "" for none
  ARGV[4] the turn's characters (as the bridge counts them)
  ARGV[5] the history's bound, in characters
  ARGV[6] the history's TTL (ms)
  Returns 1, or 0 when the token is no longer the session's.
]]
if redis.call("HGET", KEYS[1], "token") ~= ARGV[1] then return 0 end
if redis.call("HGET", KEYS[1], "phase") == "answered" then return 1 end
redis.call("HSET", KEYS[1], "phase", "answered", "reply", ARGV[2])
if ARGV[3] == "" then return 1 end

redis.call("RPUSH", KEYS[2], ARGV[4] .. ":" .. ARGV[3])
local turns = redis.call("LRANGE", KEYS[2], 0, -1)
local total = 0
for i = 1, #turns do total = total + tonumber(string.match(turns[i], "^(%d+):")) end
local max = tonumber(ARGV[5])
local dropped = 0
while total > max do
  dropped = dropped + 1
  total = total - tonumber(string.match(turns[dropped], "^(%d+):"))
end
if dropped > 0 then redis.call("LTRIM", KEYS[2], dropped, -1) end
redis.call("PEXPIRE", KEYS[2], ARGV[6])
return 1
