-- The requests of a run: the page's own address each time (warm), or each request a
-- never-sent one (cold): the path with a query parameter of its own (`_=<run>-<thread>-<n>`),
-- which the views ignore, so no cache can answer it. Every answer but a 200 is counted
-- ("Non-200 responses", read with wrk's own errors): a redirect to the sign-in page is an error.
-- Arguments after `--`: "warm" or the cold run's nonce, then the paths to go round (one for a
-- page's own run, every page for the mixed run's readers); a path starting with `htmx:` is
-- asked as an htmx request (HX-Request: true). The headers given to wrk (-H) go with each.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

function init(args)
  nonce = args[1]
  paths = {}
  for i = 2, #args do
    paths[#paths + 1] = args[i]
  end
  counter = 0
  bad = 0
end

function request()
  counter = counter + 1
  local path = paths[(counter - 1) % #paths + 1]
  local headers = {}
  for key, value in pairs(wrk.headers) do
    headers[key] = value
  end
  if path:sub(1, 5) == "htmx:" then
    path = path:sub(6)
    headers["HX-Request"] = "true"
  end
  if nonce ~= "warm" then
    local sep = path:find("?", 1, true) and "&" or "?"
    path = path .. sep .. "_=" .. nonce .. "-" .. id .. "-" .. counter
  end
  return wrk.format(nil, path, headers)
end

function response(status, headers, body)
  if status ~= 200 then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("bad")
  end
  io.write(string.format("Non-200 responses: %d\n", total))
end
