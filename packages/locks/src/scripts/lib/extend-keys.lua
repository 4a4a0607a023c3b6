--[[
  extend-keys: one lock's extension, shared by extend.lua and extend-many.lua so that a lock
  extended alone and one extended in a batch are treated alike. The keys KEYS[first..last] all
  get `ttl` ms if each holds `token`; when some are missing (a node restarted empty, flushed, or
  one that never got them) and none holds another token, all are set again (SET NX would do
  the same, all or none); a key holding another owner's token leaves every key untouched.

  Returns 1 (ExtendExtended), 2 (ExtendHealed) or 0 (ExtendNotOwner), as extend.lua documents.
]]
local function extendKeys(first, last, token, ttl)
  local missing = false
  for i = first, last do
    local value = redis.call('GET', KEYS[i])
    if not value then
      missing = true
    elseif value ~= token then
      return 0
    end
  end
  if not missing then
    for i = first, last do
      redis.call('PEXPIRE', KEYS[i], ttl)
    end
    return 1
  end
  -- Checked above, in this same script: an absent key is still absent here.
  for i = first, last do
    redis.call('SET', KEYS[i], token, 'PX', ttl)
  end
  return 2
end
