-- Each request a never-sent address: the page's path with a query parameter of its own
-- (`_=<run>-<thread>-<counter>`), which the views ignore, so no cache can answer it.
-- Arguments after `--`: the run's nonce, then the paths to go round (one for a page's own run,
-- every page for the mixed run's readers); a path starting with `htmx:` is asked as an htmx
-- request (HX-Request: true).
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end

function init(args)
  nonce = args[1]
  paths = {}
  for i = 2, #args do
    paths[#paths + 1] = args[i]
  end
  counter = 0
end

function request()
  counter = counter + 1
  local path = paths[(counter - 1) % #paths + 1]
  local headers = {}
  if path:sub(1, 5) == "htmx:" then
    path = path:sub(6)
    headers["HX-Request"] = "true"
  end
  local sep = path:find("?", 1, true) and "&" or "?"
  return wrk.format(nil, path .. sep .. "_=" .. nonce .. "-" .. id .. "-" .. counter, headers)
end
