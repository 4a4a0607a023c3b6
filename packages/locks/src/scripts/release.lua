--[[
  release: delete the keys of one lock that still hold the owner's token, and tell waiters.
  Command module: release.ts.

  Input:
    KEYS[1..n]  the lock's resource keys
    ARGV[1]     the owner's token
    ARGV[2]     channel prefix: a message is published on ARGV[2]..key for each key deleted,
                so that processes waiting for that key retry at once instead of polling;
                empty: publish nothing (the rollback of a failed attempt: announcing it would
                wake every waiter into another round of failed attempts)

  Output: the number of keys deleted;
    0  ReleaseNone: none of them held the token here (they expired, or another owner has
       them now)
]]
local token = ARGV[1]
local prefix = ARGV[2]
local single = ARGV[3]
local deleted = 0
for i = 1, #KEYS do
  if redis.call('GET', KEYS[i]) == token then
    redis.call('DEL', KEYS[i])
    if prefix ~= '' and not single then
      redis.call('PUBLISH', prefix .. KEYS[i], '')
    end
    deleted = deleted + 1
  end
end
if single and prefix ~= '' and deleted > 0 then
  redis.call('PUBLISH', prefix .. single, '')
end
return deleted
