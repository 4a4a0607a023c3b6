--[[
  fence-raise: after a fenced acquisition (acquire-fenced, or fair-acquire with a counter) whose
  nodes handed back different tokens, lift every fence counter of the lock to at least the token
  the client settled on (the largest). Any two quorums share a node, so the next holder finds a
  counter there that is already at our token and draws a larger one. Command module:
  fence-raise.ts.

  Input:
    KEYS[1..n]     the lock's resource keys
    KEYS[n+1..2n]  their fence counters, in the same order
    ARGV[1]        the owner's token
    ARGV[2]        the lock's fencing token, in decimal

  Output:
    1  FenceRaiseHeld: every resource key still holds the owner's token (the raise is then
       ordered before any later holder's increment on this node)
    0  FenceRaiseNotHeld: some key does not
  Counters are raised either way: a larger counter only makes later tokens larger.
]]
local n = #KEYS / 2
local fence = tonumber(ARGV[2])
for i = 1, n do
  local count = tonumber(redis.call('GET', KEYS[n + i]) or '0')
  if count < fence then
    redis.call('SET', KEYS[n + i], ARGV[2])
  end
end
for i = 1, n do
  if redis.call('GET', KEYS[i]) ~= ARGV[1] then
    return 0
  end
end
return 1
