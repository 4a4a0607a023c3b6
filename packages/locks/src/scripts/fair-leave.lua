--[[
  fair-leave: a waiter gives up its place in a fair lock's queue, and the others are told (the
  head may have changed). Command module: fair-leave.ts.

  Input:
    KEYS[1]  the lock's resource key (only to name the channel)
    KEYS[2]  the queue (sorted set of waiting tokens)
    KEYS[3]  the leases (sorted set of waiting tokens)
    ARGV[1]  the waiter's token
    ARGV[2]  channel prefix: a message is published on ARGV[2]..KEYS[1] (the head may have
             changed); empty: publish nothing (the waiter just took the lock, so waiters are
             told when it releases)

  Output:
    1  FairLeaveLeft: the token was waiting here
    0  FairLeaveAbsent: it was not
]]
local removed = redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
if removed == 1 and ARGV[2] ~= '' then
  redis.call('PUBLISH', ARGV[2] .. KEYS[1], '')
end
return removed
