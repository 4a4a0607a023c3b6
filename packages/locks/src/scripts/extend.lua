--[[
  extend: give every key of one lock a new time to live, and set the keys that are missing
  (a node restarted empty, flushed, or one that never got them) again, all or none. Command
  module: extend.ts.

  Input:
    KEYS[1..n]  the lock's resource keys
    ARGV[1]     the owner's token
    ARGV[2]     the new time to live, in milliseconds from now (a positive integer)
    (+ marker-open's KEY and two ARGV, last)

  Output:
    1  ExtendExtended: every key held the token and was extended
    2  ExtendHealed: extended, and the keys that were absent now hold the token with that ttl
    0  ExtendNotOwner: some key holds another owner's token, and nothing was changed (never
       written over another owner, as SET NX)
  or marker-open's table around it.

  Includes: extend-keys (the extension itself, shared with extend-many.lua), and
  marker-open/marker-close, so that the node's marker records the new ttl (the quarantine of
  every client follows it); the marker's age does not matter to an extension.
]]
--- @include extend-keys
--- @include marker-open
return extendKeys(1, #KEYS, ARGV[1], ARGV[2])
--- @include marker-close
