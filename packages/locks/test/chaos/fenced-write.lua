--[[
  fenced-write: the storage side of fencing. A write is applied only if its token is at least
  the largest token seen, so a holder whose lock expired (paused, partitioned) cannot
  overwrite the work of a later holder. Every write is logged, in the order applied.

  KEYS[1]  the largest token accepted so far (a decimal string)
  KEYS[2]  the log: a list of "1|token|writer" (accepted) or "0|token|writer" (rejected)
  ARGV[1]  the writer's fencing token (decimal); empty: no fencing, always applied
  ARGV[2]  the writer's name, for the log

  Returns 1 if applied, 0 if rejected. Tokens are compared as decimal strings (length, then
  text), so that they may exceed 2^53.
]]
local token = ARGV[1]
local accepted = 1
if token ~= '' then
  local largest = redis.call('GET', KEYS[1])
  if largest and (#token < #largest or (#token == #largest and token < largest)) then
    accepted = 0
  else
    redis.call('SET', KEYS[1], token)
  end
end
redis.call('RPUSH', KEYS[2], accepted .. '|' .. token .. '|' .. ARGV[2])
return accepted
