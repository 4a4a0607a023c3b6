--[[
  extend-many: extend.lua for many locks in one call (the batched renewal of auto-extended
  locks), each lock judged on its own token exactly as extend.lua judges one. Command module:
  extend-many.ts.

  Input:
    KEYS[1..n]  every lock's keys, lock after lock (each lock's count is in ARGV)
    ARGV[1]     the number of locks, m
    ARGV[2]     the largest of their ttls (what the node's marker records)
    ARGV[3..]   four entries per lock, in KEYS' order: its token; its new time to live in
                milliseconds from now (a positive integer); the number of its keys; how many
                companion keys follow them in KEYS (records kept beside the lock, such as the
                manager's lock info), which get the same ttl where the lock was extended or
                healed, and are never created
    (+ marker-open's KEY and two ARGV, last)

  Output: a string of m digits, one per lock in order, each as extend.lua replies for it:
    1  ExtendExtended
    2  ExtendHealed
    0  ExtendNotOwner (that lock's keys are left untouched; the others are not affected)
  or marker-open's table around it.

  Includes: extend-keys (the extension of one lock, shared with extend.lua), and
  marker-open/marker-close, so that the node's marker records the largest ttl.
]]
--- @include extend-keys
--- @include marker-open
local count = tonumber(ARGV[1])
local codes = {}
local key = 1
for lock = 1, count do
  local at = 3 + (lock - 1) * 4
  local ttl = ARGV[at + 1]
  local last = key + tonumber(ARGV[at + 2]) - 1
  local code = extendKeys(key, last, ARGV[at], ttl)
  local companions = tonumber(ARGV[at + 3])
  if code > 0 then
    for i = last + 1, last + companions do
      redis.call('PEXPIRE', KEYS[i], ttl)
    end
  end
  codes[lock] = tostring(code)
  key = last + companions + 1
end
return table.concat(codes)
--- @include marker-close
