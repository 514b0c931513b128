"""A fake Alpaca market-data HTTP server for tests (127.0.0.1 only, never the internet).

It speaks the wire format alpaca-py 0.44 parses (see alpaca/common/rest.py `_get_marketdata`, alpaca/data/mappings.py):

- GET /v2/stocks/bars, GET /v1beta1/options/bars
    query: symbols=A,B  timeframe=1Min|5Min|15Min|30Min|1Hour|1Day  start, end (RFC 3339)  limit  page_token  (+feed, adjustment)
    answer: {"bars": {"A": [{"t": "...Z", "o", "h", "l", "c", "v", "n", "vw"}, ...], ...}, "next_page_token": str|null}
    Like Alpaca, `limit` counts bars of all symbols together; items are ordered by symbol, then time.
- GET /v1beta1/options/snapshots/{underlying}
    query: feed, limit, page_token, expiration_date, type
    answer: {"snapshots": {"SPY240102C00475000": {"latestQuote": {...}, "latestTrade": {...}}, ...}, "next_page_token": ...}

Every request is recorded (`requests`), the keys are checked (401 otherwise), and failures can be injected:
`fail(429, times=2)` answers the next two matching requests with 429; `fail(503, times=None)` always fails;
`hang(seconds)` delays answers (timeouts); `raw(body)` answers with a given body.
"""
from __future__ import annotations

import base64, dataclasses, datetime as dt, json, threading, urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TIMEFRAMES = {"1Min", "5Min", "15Min", "30Min", "1Hour", "1Day"}


@dataclasses.dataclass
class Recorded:
    "One request the fake server received."
    method: str
    path: str
    query: dict          # parameter -> value (single values)
    headers: dict        # header -> value
    status: int = 0      # what the server answered
    next_page_token: str | None = None   # the token it handed out (if any)


def _ts(s: str) -> dt.datetime:
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def _offset(token: str | None) -> int:
    if not token: return 0
    return int(base64.urlsafe_b64decode(token.encode()).decode().split(":")[1])


class FakeAlpaca:
    "A fake Alpaca market-data server. Use as a context manager; `url` is the base URL for url_override."

    def __init__(self, key_id: str = "PKFAKE0000000000TEST", secret_key: str = "fake-secret-0123456789",
                 page_size: int | None = None):   # page_size: the server's own cap per page (forces paging)
        self.key_id, self.secret_key, self.page_size = key_id, secret_key, page_size
        self.stock_bars: dict[str, list[dict]] = {}      # symbol -> raw bars (sorted by t)
        self.option_bars: dict[str, list[dict]] = {}     # OCC symbol -> raw bars
        self.chains: dict[str, dict[str, dict]] = {}     # underlying -> {OCC symbol: raw snapshot}
        self.requests: list[Recorded] = []
        self._failures: list[dict] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # ---- control -------------------------------------------------------------------------------------------
    def fail(self, status: int, times: int | None = 1, path: str = "", after: int = 0,
             body: dict | str | None = None, headers: dict | None = None, echo_headers: bool = False):
        """Answer matching requests with `status`: the `times` next ones (None: always), skipping the first `after`
        matching ones. `path` matches as a prefix. `echo_headers` puts the request's headers in the body (to test
        that a client scrubs keys from error messages)."""
        with self._lock:
            self._failures.append(dict(status=status, times=times, path=path, after=after, body=body,
                                       headers=headers or {}, echo=echo_headers, hang=0.0))

    def hang(self, seconds: float, times: int | None = 1, path: str = ""):
        "Delay the answer to the next `times` matching requests by `seconds` (then answer normally)."
        with self._lock:
            self._failures.append(dict(status=None, times=times, path=path, after=0, body=None, headers={},
                                       echo=False, hang=seconds))

    def raw(self, body: str, times: int | None = 1, path: str = "", status: int = 200):
        "Answer matching requests with this exact body (e.g. invalid JSON)."
        with self._lock:
            self._failures.append(dict(status=status, times=times, path=path, after=0, body=body, headers={},
                                       echo=False, hang=0.0, raw=True))

    def clear_failures(self):
        "Forget every injected failure, hang and raw answer."
        with self._lock: self._failures.clear()

    def hits(self, path: str = "") -> list[Recorded]:
        "Recorded requests whose path starts with `path`."
        return [r for r in self.requests if r.path.startswith(path)]

    # ---- lifecycle -----------------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> "FakeAlpaca":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self): fake._handle(self)
            def log_message(self, *args): pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True, name="fake-alpaca").start()
        return self

    def stop(self):
        if self._server is not None:
            self._server.shutdown(); self._server.server_close(); self._server = None

    def __enter__(self): return self.start()
    def __exit__(self, *exc): self.stop()

    # ---- request handling ----------------------------------------------------------------------------------
    def _injected(self, path: str) -> dict | None:
        with self._lock:
            for f in self._failures:
                if not path.startswith(f["path"]) or (f["times"] is not None and f["times"] <= 0): continue
                if f["after"] > 0:
                    f["after"] -= 1; continue
                if f["times"] is not None: f["times"] -= 1
                return f
        return None

    def _handle(self, h: BaseHTTPRequestHandler):
        url = urllib.parse.urlparse(h.path)
        query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        rec = Recorded("GET", url.path, query, dict(h.headers.items()))
        with self._lock: self.requests.append(rec)
        inj = self._injected(url.path)
        if inj is not None and inj["hang"]:
            import time; time.sleep(inj["hang"]); inj = None
        if inj is not None:
            if inj.get("raw"): return self._send(h, rec, inj["status"], inj["body"])
            body = inj["body"] if inj["body"] is not None else {"code": inj["status"] * 100000, "message": f"injected {inj['status']}"}
            if inj["echo"]:   # the key headers first, so a client that shortens messages still meets them
                hs = sorted(rec.headers.items(), key=lambda kv: not kv[0].upper().startswith("APCA"))
                body = {"message": "echo " + json.dumps(dict(hs))}
            return self._send(h, rec, inj["status"], body, inj["headers"])
        if h.headers.get("APCA-API-KEY-ID") != self.key_id or h.headers.get("APCA-API-SECRET-KEY") != self.secret_key:
            return self._send(h, rec, 401, {"code": 40110000, "message": "request is not authorized"})
        try:
            if url.path == "/v2/stocks/bars": status, body = self._bars(self.stock_bars, query)
            elif url.path == "/v1beta1/options/bars": status, body = self._bars(self.option_bars, query)
            elif url.path.startswith("/v1beta1/options/snapshots/"):
                status, body = self._snapshots(url.path.rsplit("/", 1)[1], query)
            else: status, body = 404, {"message": "not found"}
        except (KeyError, ValueError) as e:
            status, body = 422, {"code": 42210000, "message": f"invalid request: {e}"}
        rec.next_page_token = body.get("next_page_token") if isinstance(body, dict) else None
        self._send(h, rec, status, body)

    def _send(self, h, rec, status, body, headers=None):
        rec.status = status
        data = (body if isinstance(body, str) else json.dumps(body)).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        for k, v in (headers or {}).items(): h.send_header(k, str(v))
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    def _page(self, items: list, query: dict) -> tuple[list, str | None]:
        limit = int(query.get("limit") or 1000)
        size = min(limit, self.page_size) if self.page_size else limit
        start = _offset(query.get("page_token"))
        page = items[start:start + size]
        return page, (_token(start + size) if start + size < len(items) else None)

    def _bars(self, source: dict, q: dict):
        if q["timeframe"] not in TIMEFRAMES: raise ValueError(f"timeframe {q['timeframe']}")
        symbols = [s for s in q["symbols"].split(",") if s]
        lo = _ts(q["start"]) if q.get("start") else dt.datetime.min.replace(tzinfo=dt.timezone.utc)
        hi = _ts(q["end"]) if q.get("end") else dt.datetime.max.replace(tzinfo=dt.timezone.utc)
        items = [(s, b) for s in sorted(symbols) for b in source.get(s, []) if lo <= _ts(b["t"]) <= hi]
        page, token = self._page(items, q)
        bars: dict[str, list] = {}
        for s, b in page: bars.setdefault(s, []).append(b)
        return 200, {"bars": bars, "next_page_token": token}

    def _snapshots(self, underlying: str, q: dict):
        chain = self.chains.get(underlying, {})
        items = sorted(chain.items())
        if q.get("expiration_date"):
            yymmdd = dt.date.fromisoformat(q["expiration_date"]).strftime("%y%m%d")
            items = [(s, v) for s, v in items if s[len(s) - 15:len(s) - 9] == yymmdd]
        if q.get("type"):
            items = [(s, v) for s, v in items if s[-9] == q["type"][0].upper()]
        page, token = self._page(items, q)
        return 200, {"snapshots": dict(page), "next_page_token": token}


# ---- fixtures ------------------------------------------------------------------------------------------------
def make_bars(start_utc: str, n: int, step_minutes: int = 1, price: float = 475.0, seed: int = 0) -> list[dict]:
    "n consistent raw bars (Alpaca wire format) starting at start_utc, every step_minutes."
    import numpy as np
    rng = np.random.default_rng(seed)
    t0 = _ts(start_utc)
    out, p = [], price
    for i in range(n):
        o = round(p, 2); c = round(p + rng.normal(0, 0.1), 2)
        h = round(max(o, c) + abs(rng.normal(0, 0.05)), 2); l = round(min(o, c) - abs(rng.normal(0, 0.05)), 2)
        t = (t0 + dt.timedelta(minutes=step_minutes * i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        out.append({"t": t, "o": o, "h": h, "l": l, "c": c, "v": float(rng.integers(100, 10_000)),
                    "n": int(rng.integers(1, 100)), "vw": round((h + l + c) / 3, 4)})
        p = c
    return out


def make_snapshot(t: str, bid: float, ask: float, bid_size: int = 10, ask_size: int = 10,
                  last: float | None = None) -> dict:
    "A raw option snapshot (latest quote, optionally latest trade, IV and greeks) as the chain endpoint sends it."
    snap = {"latestQuote": {"t": t, "bp": bid, "ap": ask, "bs": bid_size, "as": ask_size, "bx": "C", "ax": "C", "c": "A"},
            "impliedVolatility": 0.15,
            "greeks": {"delta": 0.5, "gamma": 0.1, "rho": 0.01, "theta": -0.5, "vega": 0.05}}
    if last is not None: snap["latestTrade"] = {"t": t, "p": last, "s": 1, "x": "C", "c": "I"}
    return snap
