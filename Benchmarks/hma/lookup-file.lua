-- wrk script: HMA POST /m/lookup with one 1024x768 JPEG (the same image as
-- Benchmarks/server/match-file.lua) as multipart/form-data field "photo": HMA hashes the upload
-- (PDQ) and matches it, its equivalent of Vigil's POST /v1/match/file.
local f = assert(io.open(os.getenv("HMA_IMAGE"), "rb"))
local image = f:read("*all")
f:close()
local boundary = "----hmabenchboundary7MA4YWxkTrZu0gW"
local body = "--" .. boundary .. "\r\n"
  .. 'Content-Disposition: form-data; name="photo"; filename="upload-1024x768.jpg"\r\n'
  .. "Content-Type: image/jpeg\r\n\r\n"
  .. image .. "\r\n--" .. boundary .. "--\r\n"

request = function()
  return wrk.format("POST", "/m/lookup", {
    ["Content-Type"] = "multipart/form-data; boundary=" .. boundary,
  }, body)
end
