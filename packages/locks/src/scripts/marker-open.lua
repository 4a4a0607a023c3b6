--[[
  marker-open / marker-close: wrapped around an acquire or extend script's body (by
  `--- @include`), so that every call also reads and keeps this node's marker: a hash that
  never expires, written on first contact, with
    born  the server time (ms) at which the marker was written: the node's data is at least
          this old, since it still holds the marker;
    ttl   the largest ttl (ms) any client has asked of this node since then;
    id    the server time in microseconds at which it was written: the marker's name, so that
          a client tells a marker written again from the one it knew, however soon after;
    run   the run_id of the server process it belongs to (see marker-check.lua).
  A node that lost its data (restart without persistence, FLUSHALL, FLUSHDB, eviction of the
  marker) has a young marker again, while its peers keep theirs: the client does not count its
  grants until any lock it may have forgotten has expired. Decoded by marker.ts.

  Input: the wrapped script gets one more KEY and two more ARGV entries, at the end, which these
  lines remove before its body runs (so that the body sees the KEYS and ARGV it documents):
    KEYS[n+1]  the marker ("quorum-locks:node", or one key per hash slot on a Redis Cluster)
    ARGV[m+1]  the largest ttl the client knows the nodes have granted ("" when it knows all)
    ARGV[m+2]  the quarantine in ms: a marker younger than this is reported; 0 turns the marker
               off (nothing is read nor written)
  ARGV[2] of every wrapped script is the ttl of the call.

  Output: what the body returns, when the marker is at least the quarantine old and records no
  ttl above the client's (the steady state: the reply costs nothing more); otherwise a table
  {body's reply, marker age in ms, largest ttl recorded, marker id}.

  Includes: server-time.
]]
--- @include server-time
local MARKER = table.remove(KEYS)
local QUARANTINE = tonumber(table.remove(ARGV))
local KNOWN_TTL = tonumber(table.remove(ARGV))
local function body()
