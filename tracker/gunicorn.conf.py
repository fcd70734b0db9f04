"""Gunicorn as production runs it: ``gunicorn -c tracker/gunicorn.conf.py`` (``make serve``, the
systemd unit in README.md, ``make bench``). Read from the environment:

BIND               address to listen on; default 127.0.0.1:$PORT (a proxy on the same host).
                   Several app servers behind one proxy: BIND=0.0.0.0:8000, or a unix socket
                   (unix:/run/tracker/gunicorn.sock)
PORT               8000 unless set (used when BIND is not)
WEB_CONCURRENCY    worker processes; default 2 × cores + 1. Each holds one PostgreSQL
                   connection, and a download holds its worker while it streams
GUNICORN_TIMEOUT   seconds a worker may spend on one request before it is killed: 900, since a
                   CSV or open-data download streams for minutes at 100,000 commitments
GUNICORN_GRACEFUL_TIMEOUT  seconds a restart waits for requests in flight: 60
GUNICORN_MAX_REQUESTS      a worker is replaced after this many requests (± 10 %): 5000;
                   0: never (the benchmark, whose numbers a restart would blur)
FORWARDED_ALLOW_IPS        addresses whose X-Forwarded-Proto gunicorn believes: the proxy's;
                   none unless set (the app reads it too, for X-Forwarded-For)
GUNICORN_LOG_LEVEL gunicorn's own messages (start, workers): info
GUNICORN_ACCESS_LOG        one line per request unless 0 (the benchmark: a line per request
                   would be measured with the pages)

Anything else gunicorn knows can be passed in GUNICORN_CMD_ARGS. Logs go to stdout as JSON
lines, gunicorn's own and its access log alike, in the shape of the app's (tracker/logs.py);
each access line carries the request's id from the response's X-Request-ID.
"""

from __future__ import annotations

import gc
import os
import re
import sys
from pathlib import Path

from gunicorn.glogging import Logger

ROOT = Path(__file__).resolve().parent.parent
# gunicorn reads this file before it changes to ``chdir``: make the project importable here.
sys.path.insert(0, str(ROOT))

from tracker.logs import REQUEST_ID_HEADER, JsonFormatter  # noqa: E402

wsgi_app = "tracker.wsgi:application"
chdir = str(ROOT)
proc_name = "tracker"

bind = [os.environ.get("BIND") or f"127.0.0.1:{os.environ.get('PORT') or '8000'}"]
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * (os.cpu_count() or 1) + 1)
timeout = int(os.environ.get("GUNICORN_TIMEOUT") or 900)
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT") or 60)
# Replacing workers now and then bounds what a slow leak can grow to; the jitter keeps them
# from all restarting at once.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS") or 5000)
max_requests_jitter = max_requests // 10
# None unless named (gunicorn's own default would believe 127.0.0.1 and ::1): the app believes
# X-Forwarded-For from the same addresses only (tracker/proxy.py).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "")
# Workers' heartbeat files in memory, not on a disk that may stall (gunicorn's advice).
if Path("/dev/shm").is_dir():
    worker_tmp_dir = "/dev/shm"

# No control socket (gunicorn ≥ 25): its default path is one per user, which two instances on
# one machine (make serve beside the tests or the bench) would fight over; systemd's signals
# (reload: HUP, stop: TERM) do what we need.
control_socket_disable = True


def post_worker_init(worker) -> None:
    """Once a worker has loaded the tracker, and its URLs (which import every view): what it
    holds then lives as long as the worker (Django, the models, the URL patterns: some
    150,000 objects), so Python's cyclic garbage collector is told to leave them out of its
    full passes (``gc.freeze``). Each full pass walked them all again, 80–150 ms every few
    hundred requests, a pause in whichever request it fell on and the requests queued behind
    it (1 worker, 800 cold dashboards: the slowest request 260 → 90 ms)."""
    from django.urls import reverse

    reverse("agreements:dashboard")  # the URL patterns read and indexed, as a request would
    gc.collect()
    gc.freeze()


accesslog = None if os.environ.get("GUNICORN_ACCESS_LOG", "").strip() == "0" else "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL") or "info"

# A calendar feed's address holds its secret token: the access log names the page, not the key.
CALENDAR_TOKEN = re.compile(r"^/calendar/[^/]+\.ics$")


class JsonLogger(Logger):
    """Gunicorn's logs as JSON lines on stdout, one per record (tracker.logs.JsonFormatter);
    the access line's fields as separate keys."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                if getattr(handler, "_gunicorn", False):
                    if cfg.errorlog == "-" and log is self.error_log:
                        handler.setStream(sys.stdout)  # gunicorn's own default is stderr
                    handler.setFormatter(JsonFormatter())

    def access(self, resp, req, environ, request_time) -> None:
        if not getattr(self, "access_log_enabled", True):
            return
        request_id = next(
            (value for name, value in resp.headers if name.lower() == REQUEST_ID_HEADER.lower()),
            None,
        )
        path = environ.get("PATH_INFO", "")
        if CALENDAR_TOKEN.match(path):
            path = "/calendar/[token].ics"
        status = int(str(resp.status).split(None, 1)[0])
        method = environ.get("REQUEST_METHOD", "")
        self.access_log.info(
            "%s %s %s",
            method,
            path,
            status,
            extra={
                "request_id": request_id,
                "method": method,
                "path": path,
                "query": environ.get("QUERY_STRING", ""),
                "status": status,
                "bytes": getattr(resp, "sent", None),
                "duration_ms": round(request_time.total_seconds() * 1000, 1),
                "remote_addr": environ.get("REMOTE_ADDR"),
                "forwarded_for": environ.get("HTTP_X_FORWARDED_FOR"),
                "user_agent": environ.get("HTTP_USER_AGENT"),
                "referer": environ.get("HTTP_REFERER"),
            },
        )


logger_class = JsonLogger
