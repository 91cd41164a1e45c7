-- wrk script: HMA POST /c/bank/<bank>/signal {"pdq": "<hash>"}, one hash per request: the API route
-- for adding hashes one at a time, measured only to estimate how long loading 1 M this way would take.
local bank = os.getenv("HMA_ADD_BANK")
local counter = 0
local hashes = {}
for line in io.lines(os.getenv("HMA_QUERIES")) do hashes[#hashes + 1] = line end

request = function()
  counter = counter + 1
  local value = hashes[(counter % #hashes) + 1]
  return wrk.format("POST", "/c/bank/" .. bank .. "/signal", {
    ["Content-Type"] = "application/json",
  }, '{"pdq":"' .. value .. '"}')
end
