--[[
  fence-draw: the fencing token a node hands out for one resource, from its fence counter
  (`count`, the GET reply: false when missing) and the server's clock (a TIME reply). Needs
  server-time.

  A counter that exists counts up by one, and is lifted to the start of the current second on
  this server's clock when it is behind that. A missing counter (the resource was never fenced
  on this node, or the node lost its data: a restart without persistence, FLUSHALL) starts from
  the clock itself, in microseconds. Every token handed out before was a clock reading plus one
  per holder since, and holders come far slower than one per microsecond, so the clock has
  moved past it unless it was set back since: tokens keep growing when every node lost its
  counters (from the clock, at once), or came back with older ones (from a snapshot: once a
  second has passed). Lifted to the second, not to the microsecond: nodes whose counters agree
  then hand out one token (no raise round) unless they straddle a second.
]]
--- @include server-time
local function drawFence(count, clock)
  if count then return math.max(tonumber(count) + 1, secondMicros(clock)) end
  return serverMicros(clock)
end
