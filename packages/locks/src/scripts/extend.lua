--[[
  extend: give every key of one lock a new time to live, only if all of them still hold the owner's token.

  KEYS[1..n]  the lock's resource keys
  ARGV[1]     the owner's token
  ARGV[2]     the new time to live, in milliseconds from now (a positive integer)

  Returns 1 when every key was extended; 0 when some key no longer holds the token,
  and then nothing was changed.
]]
local token = ARGV[1]
for i = 1, #KEYS do
  if redis.call('GET', KEYS[i]) ~= token then
    return 0
  end
end
for i = 1, #KEYS do
  redis.call('PEXPIRE', KEYS[i], ARGV[2])
end
return 1
