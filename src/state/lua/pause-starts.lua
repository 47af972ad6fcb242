--[[
  Pauses every replica's starts for ARGV[1] ms (a 429's Retry-After); never shortens a longer pause.

  KEYS[1] pause
  ARGV[1] pause (ms)
  Returns 1 when the pause was set or lengthened, 0 when a longer one is in force.
]]
if redis.call("PTTL", KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call("SET", KEYS[1], "1", "PX", ARGV[1])
return 1
