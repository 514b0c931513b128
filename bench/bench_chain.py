"""zerodte.options.chain: a day of one-minute chain snapshots (390 × ~250 contracts) through chain_snapshot and
surface_metrics. Target: a day in under a second."""
import time

import numpy as np
import pandas as pd

from zerodte.core import TZ_NAME
from zerodte.options.pricing import bs_price, expiry_close, year_fraction
from zerodte.options.chain import chain_snapshot, surface_metrics

TERM = {"2024-06-03": 0.12, "2024-06-04": 0.13, "2024-06-05": 0.14, "2024-07-05": 0.16}   # 0DTE, 1DTE, 2DTE, ~32d


def _day(n_minutes=390, n_strikes=31, seed=0):
    "A synthetic day of quotes: strikes $1 apart around a drifting spot, a skewed smile per expiry, 1-cent-wide books."
    r = np.random.default_rng(seed)
    ts = pd.date_range("2024-06-03 09:31", periods=n_minutes, freq="min", tz=TZ_NAME)
    spot = pd.Series(500.0 * np.exp(np.cumsum(r.normal(0, 3e-4, n_minutes))), index=ts)
    parts = []
    for e, v in TERM.items():
        e = pd.Timestamp(e)
        K = np.round(spot.to_numpy())[:, None] + (np.arange(n_strikes) - n_strikes // 2)[None, :]
        s = np.repeat(spot.to_numpy(), n_strikes)
        t = np.repeat(np.asarray(year_fraction(ts, expiry_close([e] * n_minutes))), n_strikes)
        k = K.reshape(-1)
        vol = v - 0.8 * np.log(k / s)
        for right in "CP":
            px = np.asarray(bs_price(s, k, t, vol, right), dtype=float)
            parts.append(pd.DataFrame({"ts": np.repeat(ts, n_strikes), "root": "SPY", "expiry": e, "right": right,
                                       "strike": k, "bid": np.maximum(px - 0.005, 0.0), "ask": px + 0.005,
                                       "bid_size": 10.0, "ask_size": 10.0}))
    q = pd.concat(parts, ignore_index=True).sort_values(["ts", "expiry", "right", "strike"], kind="stable")
    return q.reset_index(drop=True), spot


def run(repeats: int = 5) -> dict:
    quotes, spot = _day()
    surface_metrics(quotes.iloc[:2000], spot)            # warm-up (numba kernels, caches)
    snap, full = [], []
    for _ in range(repeats):
        t0 = time.perf_counter(); ch = chain_snapshot(quotes, spot); t1 = time.perf_counter()
        surface_metrics(ch); t2 = time.perf_counter()
        snap.append(t1 - t0); full.append(t2 - t0)
    return {
        "chain.surface_metrics_day": {"value": float(np.median(full)), "unit": "s", "target": 1.0, "better": "lower"},
        "chain.chain_snapshot_day": {"value": float(np.median(snap)), "unit": "s", "target": 0.5, "better": "lower"},
        "chain.rows_per_day": {"value": float(len(quotes)), "unit": "rows", "target": 90000.0, "better": "higher"},
    }


if __name__ == "__main__":
    for k, v in run().items(): print(k, v)
