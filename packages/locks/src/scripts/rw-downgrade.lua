--[[
  rw-downgrade: turn the writer of one read-write lock into a reader with the same token, in
  one step on this node (no other writer can come in between), and tell waiting readers.
  Command module: rw-downgrade.ts.

  Input:
    KEYS[1]  the writer key
    KEYS[2]  the readers (a sorted set: reader token -> expiry, server time in ms)
    ARGV[1]  the owner's token
    ARGV[2]  the reader's time to live, in milliseconds from now (a positive integer)
    ARGV[3]  the release channel ("" publishes nothing)

  Output:
    1  RwDowngraded: the token is a reader now (it was the writer, or already a reader: a retry
       after a lost reply), and the writer key is gone
    0  ReleaseNone: the token is neither writer nor reader here; nothing changed

  Includes: rw-prune.
]]
--- @include rw-prune
local token = ARGV[1]
local ttl = tonumber(ARGV[2])
local now = prune(KEYS[2])
if redis.call('GET', KEYS[1]) == token then
  redis.call('DEL', KEYS[1])
  redis.call('ZADD', KEYS[2], now + ttl, token)
  keepReaders(KEYS[2], now)
  if ARGV[3] ~= '' then
    redis.call('PUBLISH', ARGV[3], '')
  end
  return 1
end
if redis.call('ZSCORE', KEYS[2], token) then
  return 1
end
return 0
