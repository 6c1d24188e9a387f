-- POST /v1/orders with a fresh Idempotency-Key each time, for one of 1,000 customers by phone
-- (PHONES=n: one of n; the phones are 139 and eight digits, 13900000000 upwards).
-- TRAVEL=1: each order also travels, from 30 to 34 days after today (for trip touchpoints).
-- Run with TOKEN set to a session token or API key of the tenant: TOKEN=… wrk -s Benchmarks/wrk/orders.lua https://host:port/v1/orders
local counter = 0
local thread_id = 0
setup = function(thread) thread:set("id", thread_id); thread_id = thread_id + 1 end
local phones = tonumber(os.getenv("PHONES") or "1000")
local travel = ""
if os.getenv("TRAVEL") == "1" then
  travel = ',"travel_start":"' .. os.date("!%Y-%m-%d", os.time() + 30 * 86400) ..
    '","travel_end":"' .. os.date("!%Y-%m-%d", os.time() + 34 * 86400) .. '"'
end
init = function(args) math.randomseed(os.time() + id * 7919) end
request = function()
  counter = counter + 1
  local phone = string.format("139%08d", math.random(0, phones - 1))
  local body = '{"customer":{"phone":"' .. phone .. '"},"amount_minor":12800,"currency":"CNY",' ..
    '"product":{"name":"Day ticket","category":"ticket"},"ordered_at":"2026-11-01T08:00:00Z"' .. travel .. '}'
  return wrk.format("POST", "/v1/orders", {
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = string.format("k-%d-%d-%d", id, counter, math.random(1, 1000000000)),
    ["Authorization"] = "Bearer " .. os.getenv("TOKEN"),
  }, body)
end
