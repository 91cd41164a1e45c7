-- wrk script: POST /v1/match/hash with a different PDQ hash each request (1 in 10 a listed one).
local counter = 0
local key = os.getenv("VIGIL_KEY")
local listed = {}
for line in io.lines(os.getenv("VIGIL_QUERIES")) do listed[#listed + 1] = line end

request = function()
  counter = counter + 1
  local value = listed[(counter % #listed) + 1]
  local body = '{"type":"pdq","value":"' .. value .. '"}'
  return wrk.format("POST", "/v1/match/hash", {
    ["Authorization"] = "Bearer " .. key,
    ["Content-Type"] = "application/json",
  }, body)
end
