--[[
  rw-release: take a reader or the writer out of one read-write lock, wherever it still holds
  the owner's token, and tell waiters. Also the rollback of a failed attempt, and a waiting
  writer's leaving (its intent goes, so that readers need not wait for the intent's ttl).
  Command module: rw-release.ts.

  Input:
    KEYS[1]  the writer key
    KEYS[2]  the readers (a sorted set: reader token -> expiry, server time in ms)
    KEYS[3]  the write intent
    ARGV[1]  the owner's token
    ARGV[2]  the release channel: one message is published on it when something was removed,
             so that processes waiting for the lock retry at once instead of polling; empty:
             publish nothing (the rollback of a failed attempt: announcing it would wake every
             waiter into another round of failed attempts)
    ARGV[3]  "1": also delete the write intent if it holds the token; "0": keep it (a waiting
             writer rolling back an attempt still waits)

  Output: the number of leases deleted (the writer's, the reader's: the intent is not counted);
    0  ReleaseNone: the token held no lease here (expired, or never set)
]]
local token = ARGV[1]
local channel = ARGV[2]
local deleted = 0
local intent = false
if redis.call('GET', KEYS[1]) == token then
  redis.call('DEL', KEYS[1])
  deleted = deleted + 1
end
deleted = deleted + redis.call('ZREM', KEYS[2], token)
if ARGV[3] == '1' and redis.call('GET', KEYS[3]) == token then
  redis.call('DEL', KEYS[3])
  intent = true
end
if channel ~= '' and (deleted > 0 or intent) then
  redis.call('PUBLISH', channel, '')
end
return deleted
