"""zerodte.data.store: write and read speed of one 100k-row option-quotes day (median of 5).

A synthetic year is ~100k quote rows/day x 252 days and must be simulated and stored in < 60 s, so the lake's own
share of writing one day (beyond schema validation) must stay well under 0.1 s.
"""
import shutil, tempfile, time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from zerodte.core import session_minutes
from zerodte.data.schema import validate_quotes
from zerodte.data import store
from zerodte.data.store import Lake, read_quotes, write_quotes

REPEATS = 5
SHIFTS = [1, 2, 3, 6, 7, 8, 9, 10, 13, 14, 15, 16]   # day offsets from 2024-01-02 that are sessions (Jan 2024)


def quotes_day(day="2024-01-02", strikes=43, expiries=3, seed=0) -> pd.DataFrame:
    "About 100k rows: 390 minutes x expiries x 2 rights x strikes, prices in cents."
    rng = np.random.default_rng(seed)
    minutes = session_minutes(day)
    e, r, k = np.meshgrid(np.arange(expiries), [0, 1], 470.0 + np.arange(strikes), indexing="ij")
    n = len(minutes) * e.size
    exp = (pd.Timestamp(day) + pd.to_timedelta(e.ravel(), "D")).to_numpy()
    mid = np.round(rng.uniform(0.05, 10, n), 2)
    return pd.DataFrame({"ts": np.repeat(minutes, e.size), "root": "SPY", "expiry": np.tile(exp, len(minutes)),
                         "right": np.tile(np.where(r.ravel() == 0, "C", "P"), len(minutes)),
                         "strike": np.tile(k.ravel(), len(minutes)), "bid": mid, "ask": mid + 0.02,
                         "bid_size": rng.integers(1, 500, n).astype(float),
                         "ask_size": rng.integers(1, 500, n).astype(float)})


def _shift(q, days):
    d = pd.Timedelta(days=days)
    return q.assign(ts=q["ts"] + d, expiry=q["expiry"] + d)


def _median(f, n=REPEATS):
    ts = []
    for i in range(n):
        t0 = time.perf_counter(); f(i); ts.append(time.perf_counter() - t0)
    return float(np.median(ts))


@contextmanager
def _prevalidated(frames):
    "Time the lake alone: write_quotes gets its frames already validated (validation is timed separately)."
    done = {id(f): validate_quotes(f) for f in frames}
    real = store.validate_quotes
    store.validate_quotes = lambda q, source="<frame>", lines=None: done[id(q)].copy()
    try: yield
    finally: store.validate_quotes = real


def run() -> dict:
    base = quotes_day()
    days = [_shift(base, s) for s in SHIFTS]
    tmp = Path(tempfile.mkdtemp(prefix="bench_store."))
    try:
        t_validate = _median(lambda i: validate_quotes(days[i]))
        t_write = _median(lambda i: write_quotes(tmp / "total", "SPY", days[i]))
        with _prevalidated(days):
            t_store = _median(lambda i: write_quotes(tmp / "durable", "SPY", days[i]))
            t_fast = _median(lambda i: write_quotes(Lake(tmp / "fast", durable=False), "SPY", days[i]))
        day = f"{pd.Timestamp('2024-01-02') + pd.Timedelta(days=SHIFTS[0]):%Y-%m-%d}"
        t_read = _median(lambda i: read_quotes(tmp / "durable", "SPY", day, day))
        t_unchanged = _median(lambda i: write_quotes(tmp / "durable", "SPY", days[i]))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    rows = len(base)
    return {
        "store.write_quotes_100k_day_store_only": {"value": t_store * 1e3, "unit": "ms", "target": 100.0,
                                                   "better": "lower", "rows": rows},
        "store.write_quotes_100k_day_total": {"value": t_write * 1e3, "unit": "ms", "target": 250.0, "better": "lower"},
        "store.write_quotes_100k_day_not_durable_store_only": {"value": t_fast * 1e3, "unit": "ms",
                                                               "target": 100.0, "better": "lower"},
        "store.validate_quotes_100k_day": {"value": t_validate * 1e3, "unit": "ms", "target": 150.0, "better": "lower"},
        "store.reimport_unchanged_100k_day": {"value": t_unchanged * 1e3, "unit": "ms", "target": 250.0, "better": "lower"},
        "store.read_quotes_100k_day": {"value": t_read * 1e3, "unit": "ms", "target": 100.0, "better": "lower"},
    }


if __name__ == "__main__":
    for k, v in run().items(): print(f"{k:55s} {v['value']:8.1f} {v['unit']}")
