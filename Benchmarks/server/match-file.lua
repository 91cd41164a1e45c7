-- wrk script: POST /v1/match/file with one 1024x768 JPEG (benign, generated).
local key = os.getenv("VIGIL_KEY")
local f = assert(io.open(os.getenv("VIGIL_IMAGE"), "rb"))
local image = f:read("*all")
f:close()

request = function()
  return wrk.format("POST", "/v1/match/file", {
    ["Authorization"] = "Bearer " .. key,
    ["Content-Type"] = "application/octet-stream",
  }, image)
end
