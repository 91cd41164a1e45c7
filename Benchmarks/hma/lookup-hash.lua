-- wrk script: HMA GET /m/lookup?signal_type=pdq&signal=<hash>, a different PDQ hash each request
-- (the same queries.txt as Benchmarks/server/match-hash.lua: 1 in 10 a near duplicate of a listed one).
-- /m/lookup is HMA's equivalent of Vigil's POST /v1/match/hash: index query + bank content lookup
-- (enabled check, bank name) in PostgreSQL; returns {"BANK": [{"bank_content_id": N, "distance": "D"}]}.
local counter = 0
local listed = {}
for line in io.lines(os.getenv("HMA_QUERIES")) do listed[#listed + 1] = line end

request = function()
  counter = counter + 1
  local value = listed[(counter % #listed) + 1]
  return wrk.format("GET", "/m/lookup?signal_type=pdq&signal=" .. value)
end
