"""Benchmarks for zerodte.options.pricing against py_vollib_vectorized (the vectorized peer).

- pricing.price_and_greeks_1m: price + delta, gamma, vega, theta, rho of 1,000,000 options (bs_price + bs_greeks)
- pricing.implied_vol_1m: implied vol of 1,000,000 quotes (implied_vol)
- pricing.jit_warmup: numba compile time of every kernel, in a fresh process with an empty numba cache (cold start)
- pricing.jit_warmup_cached: the same first calls when the on-disk numba cache is warm (a normal import)

Both sides are timed through their public vectorized APIs on the same numpy arrays (rights as 'C'/'P' for us and
'c'/'p' for the peer, parsing included), after JIT warm-up, median of REPEATS runs.
Run: python bench/run.py --only pricing
"""
import os, subprocess, sys, tempfile, time, warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path: sys.path.insert(0, str(ROOT))

N, REPEATS, RATE, DIV = 1_000_000, 5, 0.045, 0.013
SECONDS_PER_YEAR = 365 * 86400
_WARM = """
import time
from zerodte.options.pricing import bs_price, bs_greeks, implied_vol
t0 = time.perf_counter()
bs_price(500.0, 505.0, 0.01, 0.2, "C", 0.05, 0.01); bs_greeks(500.0, 505.0, 0.01, 0.2, "C", 0.05, 0.01)
implied_vol(1.0, 500.0, 505.0, 0.01, "C", 0.05, 0.01)
print(time.perf_counter() - t0)
"""


def realistic_grid(n=N, seed=0):
    "SPY-like chain quotes: spot 400-600, strikes ~3% around spot, 30 s to 30 days (log-uniform), vol 8-80%."
    rng = np.random.default_rng(seed)
    spot = rng.uniform(400, 600, n)
    strike = np.round(spot * np.exp(rng.normal(0, 0.03, n)))
    t = np.exp(rng.uniform(np.log(30), np.log(30 * 86400), n)) / SECONDS_PER_YEAR
    vol = rng.uniform(0.08, 0.8, n)
    right = np.where(rng.random(n) < 0.5, "C", "P")
    return spot, strike, t, vol, right


def _median_seconds(fn, repeats=REPEATS):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter(); fn(); times.append(time.perf_counter() - t0)
    return float(np.median(times))


def _warmup_seconds(cold: bool) -> float:
    "First-call time of the three public functions in a fresh process (cold: with an empty numba cache)."
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
        if cold: env["NUMBA_CACHE_DIR"] = cache
        out = subprocess.run([sys.executable, "-c", _WARM], env=env, capture_output=True, text=True, timeout=600, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def run() -> dict:
    from zerodte.options.pricing import bs_price, bs_greeks, implied_vol
    import py_vollib_vectorized as pvv

    jit_cold = _warmup_seconds(cold=True)
    jit_cached = _warmup_seconds(cold=False)   # the cold run above did not touch the normal cache; this may fill it

    spot, strike, t, vol, right = realistic_grid()
    flag = np.char.lower(right)
    price = bs_price(spot, strike, t, vol, right, RATE, DIV)

    def ours_pricing():
        return bs_price(spot, strike, t, vol, right, RATE, DIV), bs_greeks(spot, strike, t, vol, right, RATE, DIV)

    def peer_pricing():
        return (pvv.vectorized_black_scholes_merton(flag, spot, strike, t, RATE, vol, DIV, return_as="numpy"),
                pvv.get_all_greeks(flag, spot, strike, t, RATE, vol, DIV, model="black_scholes_merton", return_as="dict"))

    def ours_iv():
        return implied_vol(price, spot, strike, t, right, RATE, DIV)

    def peer_iv():
        return pvv.vectorized_implied_volatility(price, spot, strike, t, RATE, flag, q=DIV, model="black_scholes_merton",
                                                 return_as="numpy", on_error="ignore")

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        small = slice(0, 1000)   # warm every JIT (ours and the peer's) before timing
        bs_price(spot[small], strike[small], t[small], vol[small], right[small], RATE, DIV)
        bs_greeks(spot[small], strike[small], t[small], vol[small], right[small], RATE, DIV)
        implied_vol(price[small], spot[small], strike[small], t[small], right[small], RATE, DIV)
        pvv.vectorized_black_scholes_merton(flag[small], spot[small], strike[small], t[small], RATE, vol[small], DIV, return_as="numpy")
        pvv.get_all_greeks(flag[small], spot[small], strike[small], t[small], RATE, vol[small], DIV,
                           model="black_scholes_merton", return_as="dict")
        pvv.vectorized_implied_volatility(price[small], spot[small], strike[small], t[small], RATE, flag[small], q=DIV,
                                          model="black_scholes_merton", return_as="numpy", on_error="ignore")
        ours_p, peer_p = _median_seconds(ours_pricing), _median_seconds(peer_pricing)
        ours_v, peer_v = _median_seconds(ours_iv), _median_seconds(peer_iv)

    return {
        "pricing.price_and_greeks_1m": {"value": ours_p, "unit": "s", "target": 0.3, "better": "lower",
                                        "peer": peer_p, "ratio": ours_p / peer_p},
        "pricing.implied_vol_1m": {"value": ours_v, "unit": "s", "target": 1.0, "better": "lower",
                                   "peer": peer_v, "ratio": ours_v / peer_v},
        "pricing.jit_warmup": {"value": jit_cold, "unit": "s", "target": 30.0, "better": "lower"},
        "pricing.jit_warmup_cached": {"value": jit_cached, "unit": "s", "target": 2.0, "better": "lower"},
    }


if __name__ == "__main__":
    for name, r in run().items(): print(name, r)
