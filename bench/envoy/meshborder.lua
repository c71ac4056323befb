-- The Lua counterpart of meshborder in `make bench`: the same work, as far as
-- Envoy's Lua filter can do it. It tags the request with the local cluster and
-- region, denies requests under one host and path prefix with meshborder's 403
-- (its header, its JSON body and a warn line), and routes by a country table,
-- setting x-meshborder-route-region and clearing the route cache. It has no rule
-- index, no region groups, no trust and no metering.
--
-- A template: the bench fills in the identity, the denied host and prefix, and
-- the workload's country table (test-harness/e2e/src/workload.rs).

local CLUSTER = "{{cluster}}"
local REGION = "{{region}}"
local DENY_HOST = "{{deny_host}}"
local DENY_PREFIX = "{{deny_prefix}}/"
local DENY_RULE = "{{deny_rule}}"
local DENY_BODY = '{"error":"residency_denied","rule":"' .. DENY_RULE
  .. '","sourceCluster":"' .. CLUSTER .. '","sourceRegion":"' .. REGION
  .. '","cluster":"' .. CLUSTER .. '","region":"' .. REGION .. '"}'
local COUNTRIES = {
{{countries}}
}

function envoy_on_request(handle)
  local headers = handle:headers()
  headers:replace("x-meshborder-source-cluster", CLUSTER)
  headers:replace("x-meshborder-source-region", REGION)
  local host = headers:get(":authority")
  local path = headers:get(":path")
  if host == DENY_HOST and path ~= nil
      and string.sub(path, 1, #DENY_PREFIX) == DENY_PREFIX then
    handle:logWarn('{"error":"residency_denied","decision":"deny",'
      .. '"reason":"source_region_not_allowed","rule":"' .. DENY_RULE
      .. '","sourceCluster":"' .. CLUSTER .. '","sourceRegion":"' .. REGION
      .. '","cluster":"' .. CLUSTER .. '","region":"' .. REGION
      .. '","host":"' .. host .. '","path":"' .. path
      .. '","method":"' .. (headers:get(":method") or "")
      .. '","mode":"enforce","direction":"outbound"}')
    handle:respond({
      [":status"] = "403",
      ["x-meshborder-denied-by"] = DENY_RULE,
      ["content-type"] = "application/json",
    }, DENY_BODY)
    return
  end
  local country = headers:get("cf-ipcountry")
  if country ~= nil then
    local region = COUNTRIES[string.upper(country)]
    if region ~= nil then
      headers:replace("x-meshborder-route-region", region)
      handle:clearRouteCache()
    end
  end
end
