"""zerodte.env: gymnasium/SB3 env checks, determinism, flat days, fees, fill timing, missing quotes, expiry settlement,
risk routing and the kill switch. Two lakes: a 3-day synthetic market and a hand-made day whose quotes differ every
minute (and have holes)."""
import logging, math

import numpy as np
import pandas as pd
import pytest

from zerodte.core import ConfigError, DataError, TZ_NAME, session_minutes
from zerodte.data.store import read_bars, write_bars, write_quotes
from zerodte.data.synth import SynthConfig, write_market
from zerodte.env import DayEnv, EnvConfig, HOLD, CLOSE, LegSpec, StructureSpec, DEFAULT_CATALOGUE, action_meanings
from zerodte.execution import AlpacaOptionFees, PerContractFees
from zerodte.options.pricing import bs_price, year_fraction
from zerodte.risk import RiskLimits

OPEN_CALL_1, OPEN_CALL_5 = 2, 4   # "open long_call x1", "open long_call x5"


@pytest.fixture(scope="session")
def lake(tmp_path_factory):
    "The 3-session synthetic lake (about 1 s to write)."
    d = tmp_path_factory.mktemp("envlake") / "lake"
    write_market(SynthConfig(start="2024-01-02", days=3, seed=1), d)
    return d


def _ts(day, hhmm): return pd.Timestamp(f"{day} {hhmm}", tz=TZ_NAME)


@pytest.fixture(scope="session")
def handmade(tmp_path_factory):
    """2024-01-02: SPY drifts 1 cent a minute; 0DTE calls/puts 95..105 priced by Black-Scholes (vol 20%) with a spread
    that alternates every minute, so the quotes at minute m and m-1 always differ. No quotes at 09:51 or 15:40.
    2024-01-03: bars, and quotes only for the 2024-01-04 expiry (no 0DTE chain)."""
    d = tmp_path_factory.mktemp("handmade") / "lake"
    ts = session_minutes("2024-01-02"); n = len(ts); m = np.arange(n)
    px = 100 + 0.01 * m
    bars = pd.DataFrame({"open": px, "high": px + 0.02, "low": px - 0.02, "close": px + 0.01, "volume": 1000.0 + m},
                        index=pd.DatetimeIndex(ts, name="ts"))
    write_bars(d, "SPY", bars)
    rows = []
    t = np.asarray(year_fraction(ts, _ts("2024-01-02", "16:00")), dtype=float)
    for right in "CP":
        for k in np.arange(95.0, 106.0):
            p = np.asarray(bs_price(px, k, t, 0.2, right), dtype=float)
            half = 0.05 + 0.10 * (m % 2)      # the spread jumps by 20 cents every minute
            rows.append(pd.DataFrame({"ts": ts, "root": "SPY", "expiry": pd.Timestamp("2024-01-02"), "right": right, "strike": k,
                                      "bid": np.maximum(np.round(p - half, 2), 0.0), "ask": np.round(p + half, 2),
                                      "bid_size": 10.0, "ask_size": 10.0}))
    q = pd.concat(rows, ignore_index=True).sort_values("ts", kind="stable", ignore_index=True)
    q = q[~q["ts"].isin([_ts("2024-01-02", "09:51"), _ts("2024-01-02", "15:40")])]
    write_quotes(d, "SPY", q)
    ts3 = session_minutes("2024-01-03")
    write_bars(d, "SPY", bars.set_axis(pd.DatetimeIndex(ts3, name="ts")))
    q3 = q[q["ts"] < _ts("2024-01-02", "10:00")].copy()
    q3["ts"] = q3["ts"] + pd.Timedelta(days=1); q3["expiry"] = pd.Timestamp("2024-01-04")
    write_quotes(d, "SPY", q3)
    return d, q


def _run(env, policy, **reset):
    "Run one episode; return the list of (obs, reward, info)."
    obs, info = env.reset(**reset)
    out = []
    while True:
        obs, r, term, trunc, info = env.step(policy(len(out)))
        out.append((obs, r, info))
        if term or trunc: return out


# -- API checks -----------------------------------------------------------------------------------------------------
def test_gymnasium_check_env(lake):
    from gymnasium.utils.env_checker import check_env
    check_env(DayEnv(EnvConfig(store=lake)), skip_render_check=True)


def test_sb3_check_env(lake):
    from stable_baselines3.common.env_checker import check_env
    check_env(DayEnv(EnvConfig(store=lake)), warn=True)


def test_determinism(lake):
    a, b = DayEnv(EnvConfig(store=lake)), DayEnv(EnvConfig(store=lake))
    acts = np.random.default_rng(5).integers(a.action_space.n, size=2000)
    ra = _run(a, lambda i: int(acts[i]), seed=11); rb = _run(b, lambda i: int(acts[i]), seed=11)
    assert [x[1] for x in ra] == [x[1] for x in rb]
    assert all(np.array_equal(x[0], y[0]) for x, y in zip(ra, rb))
    assert ra[-1][2]["day"] == rb[-1][2]["day"]
    # the seed picks the day: several seeds visit more than one day, each reproducibly
    days = {s: a.reset(seed=s)[1]["day"] for s in range(8)}
    assert len(set(days.values())) > 1
    assert all(b.reset(seed=s)[1]["day"] == d for s, d in days.items())


def test_flat_after_last_step_random_policy(lake):
    env = DayEnv(EnvConfig(store=lake, decision_minutes=2))
    seen = set()
    for seed, day in enumerate(["2024-01-02", "2024-01-03", "2024-01-04"] * 2):
        rng = np.random.default_rng(seed)
        steps = _run(env, lambda i: int(rng.integers(env.action_space.n)), options={"day": day})
        info = steps[-1][2]
        seen.add(info["day"])
        assert info["position"] == {"entry": "flat", "units": 0, "legs": ()}
        assert env._legs == () and math.isclose(info["equity"], info["cash"], abs_tol=1e-9)
        # rewards add up to the day's equity change, and the P&L parts add up to each reward
        assert math.isclose(sum(s[1] for s in steps), info["equity"], abs_tol=1e-6)
        for _, r, inf in steps:
            assert math.isclose(sum(inf["pnl"].values()), r, abs_tol=1e-6)
        assert info["ts"] < _ts(info["day"], "15:40")
    assert len(seen) == 3


# -- fees -----------------------------------------------------------------------------------------------------------
def test_fees_hand_checked():
    f = AlpacaOptionFees()
    # sell 10 at 1.25: ORF 0.2685 + OCC 0.20 + TAF 0.0279 + SEC 0.0000278 * 1250
    assert math.isclose(f.fee(-1, 10, 1.25), 0.2685 + 0.20 + 0.0279 + 0.03475, abs_tol=1e-12)
    assert math.isclose(f.fee(+1, 10, 1.25), 0.2685 + 0.20, abs_tol=1e-12)
    assert math.isclose(f.day_total(f.fee_parts(-1, 10, 1.25)), 0.27 + 0.20 + 0.03 + 0.04, abs_tol=1e-12)
    assert math.isclose(PerContractFees(per_contract=0.65).fee(-1, 10, 1.25), 6.5, abs_tol=1e-12)


def test_env_charges_per_contract_fees(lake):
    env = DayEnv(EnvConfig(store=lake, fees=PerContractFees(per_contract=0.65, rounding="none")))
    steps = _run(env, lambda i: OPEN_CALL_5 if i == 0 else HOLD, options={"day": "2024-01-03"})
    buy, sell = steps[0][2]["fills"][0], steps[-1][2]["fills"][0]
    assert (buy.quantity, sell.quantity) == (5, 5)
    assert math.isclose(buy.fees, 3.25) and math.isclose(sell.fees, 3.25)
    assert math.isclose(steps[-1][2]["equity"], (sell.price - buy.price) * 500 - 6.5, abs_tol=1e-9)


# -- timing, quotes, flat-by ----------------------------------------------------------------------------------------
def test_long_call_sold_at_bid_at_flat_by(lake):
    env = DayEnv(EnvConfig(store=lake))
    steps = _run(env, lambda i: OPEN_CALL_1 if i == 0 else HOLD, options={"day": "2024-01-04"})
    day = env._day
    buy = steps[0][2]["fills"][0]; sells = [f for s in steps[1:] for f in s[2]["fills"]]
    assert len(sells) == 1
    sell = sells[0]; j = day.contracts.index(sell.contract)
    assert sell.ts == _ts("2024-01-04", "15:40") and sell.side == "sell"
    assert sell.price == day.bid[370, j]
    assert buy.price == day.ask[20, j]
    assert steps[-1][2]["position"]["entry"] == "flat"


def test_fills_use_next_bar_quotes(handmade):
    d, q = handmade
    env = DayEnv(EnvConfig(store=d, start="2024-01-02", end="2024-01-02"))
    env.reset(options={"day": "2024-01-02"})
    info = env.step(OPEN_CALL_1)[4]                   # decided at 09:50 on bars through 09:49
    f = info["fills"][0]
    row = lambda hhmm: q[(q["ts"] == _ts("2024-01-02", hhmm)) & (q["right"] == "C") & (q["strike"] == f.contract.strike)].iloc[0]
    assert f.ts == _ts("2024-01-02", "09:50")
    assert f.price == row("09:50")["ask"] and f.price != row("09:49")["ask"]
    # 09:51 has no quotes at all: the close is rejected with the reason, the position stays
    info = env.step(CLOSE)[4]
    assert info["fills"] == () and any("no quote" in r for r in info["rejected"])
    assert info["position"]["entry"] == "long_call"
    info = env.step(CLOSE)[4]                           # 09:52
    assert info["fills"][0].price == row("09:52")["bid"] and info["fills"][0].ts == _ts("2024-01-02", "09:52")
    # opening at 09:51 (no quotes) is rejected too, never filled at another minute's price
    env.reset(options={"day": "2024-01-02"}); env.step(HOLD)
    info = env.step(OPEN_CALL_1)[4]
    assert info["fills"] == () and any("no quote" in r for r in info["rejected"])


def test_forced_close_waits_for_a_quote(handmade):
    d, q = handmade
    env = DayEnv(EnvConfig(store=d, start="2024-01-02", end="2024-01-02", decision_minutes=5))
    steps = _run(env, lambda i: OPEN_CALL_1 if i == 0 else HOLD, options={"day": "2024-01-02"})
    last = steps[-1][2]
    (sym, qty, when), = last["settlement"]["liquidated"]
    assert when == _ts("2024-01-02", "15:41") and qty == -1     # 15:40 has no quote: the next minute's
    f = last["fills"][0]
    assert f.price == q[(q["ts"] == when) & (q["right"] == "C") & (q["strike"] == f.contract.strike)]["bid"].iloc[0]


def test_new_orders_cut_off_before_close(lake):
    env = DayEnv(EnvConfig(store=lake))
    steps = _run(env, lambda i: OPEN_CALL_1 if i % 2 else CLOSE, options={"day": "2024-01-03"})
    opened = [s[2]["ts"] for s in steps if s[2]["fills"] and s[2]["fills"][-1].side == "buy"]
    assert max(opened) < _ts("2024-01-03", "15:30")
    late = [s[2] for s in steps if s[2]["ts"] >= _ts("2024-01-03", "15:30") and s[2]["action"] == OPEN_CALL_1]
    assert late and all(any("no new orders after 15:30" in r for r in i["rejected"]) for i in late)


def test_half_day_rules_shift_with_the_close(tmp_path):
    write_market(SynthConfig(start="2024-11-29", days=1, seed=2, expiries=("0dte",)), tmp_path / "lake")
    env = DayEnv(EnvConfig(store=tmp_path / "lake"))
    steps = _run(env, lambda i: OPEN_CALL_1 if i == 0 else HOLD, seed=0)
    assert steps[-1][2]["fills"][0].ts == _ts("2024-11-29", "12:40")      # 20 minutes before the 13:00 close
    env.reset(seed=0)
    for _ in range(159): env.step(HOLD)                                  # 09:50 + 159 min = 12:29
    assert env.step(OPEN_CALL_1)[4]["fills"]
    assert any("12:30" in r for r in env.step(OPEN_CALL_1 + 1)[4]["rejected"])


# -- expiry ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("day, delta", [("2024-01-03", 0.97), ("2024-01-03", 0.03), ("2024-01-04", 0.97)])
def test_expiry_settlement(lake, day, delta):
    cat = (StructureSpec("call", (LegSpec("C", "buy", delta=delta),), sizes=(2,)),)
    env = DayEnv(EnvConfig(store=lake, catalogue=cat, flat_minutes=0, no_new_orders_minutes=0, decision_minutes=5))
    n_steps = (390 - 20 - 1) // 5 + 1          # decisions at 09:50, 09:55, ..., 15:55
    steps = _run(env, lambda i: 2 if i == n_steps - 1 else HOLD, options={"day": day})    # open at 15:55
    opened = [s[2] for s in steps if s[2]["fills"]]
    assert len(opened) == 1 and opened[0]["ts"] == _ts(day, "15:55")
    last = steps[-1][2]
    (sym, qty, cash), = last["settlement"]["settled"]
    k = opened[0]["fills"][0].contract.strike
    close = float(read_bars(lake, "SPY", day, day)["close"].iloc[-1])
    nxt = pd.Timestamp(day) + pd.offsets.BDay(1)
    try: share = float(read_bars(lake, "SPY", nxt, nxt)["open"].iloc[0]); note = "open"
    except Exception: share = close; note = "close"
    expected = 2 * 100 * (share - k) if close - k >= 0.01 - 1e-9 else 0.0
    assert math.isclose(cash, expected, abs_tol=1e-6)
    assert note in last["settlement"]["note"]
    assert (delta > 0.5) == (close - k >= 0.01)          # the deep ITM call is exercised, the far OTM one expires
    assert last["position"]["entry"] == "flat" and math.isclose(last["equity"], last["cash"])


# -- risk -----------------------------------------------------------------------------------------------------------
def test_risk_resizes_to_max_contracts(lake):
    env = DayEnv(EnvConfig(store=lake, risk=RiskLimits(max_contracts=1, max_loss_per_trade=1500, max_loss_per_day=1500)))
    env.reset(options={"day": "2024-01-03"})
    info = env.step(OPEN_CALL_5)[4]
    dec = info["risk"]
    assert dec is not None and dec.verdict in ("resize", "veto") and "max_contracts" in dec.reason
    assert sum(f.quantity for f in info["fills"]) <= 1 and info["position"]["units"] <= 1


def test_kill_switch_flattens_and_halts(lake):
    # a $1,500-per-contract commission makes the first trade lose more than the $1,000 daily budget
    limits = RiskLimits(max_contracts=10, max_loss_per_trade=1000, max_loss_per_day=1000)
    env = DayEnv(EnvConfig(store=lake, risk=limits, fees=PerContractFees(per_contract=1500.0)))
    steps = _run(env, lambda i: OPEN_CALL_1 if i in (0, 5) else HOLD, options={"day": "2024-01-03"})
    first, second, later = steps[0][2], steps[1][2], steps[5][2]
    assert first["risk"].verdict == "allow" and first["fills"] and first["equity"] <= -1000
    assert second["halted"] and any("kill switch" in r for r in second["rejected"])
    assert second["fills"] and second["fills"][0].side == "sell" and second["position"]["entry"] == "flat"
    assert later["fills"] == () and any("halted" in r for r in later["rejected"])
    assert steps[-1][2]["position"]["entry"] == "flat"


# -- bad input ------------------------------------------------------------------------------------------------------
def test_bad_actions(lake):
    env = DayEnv(EnvConfig(store=lake)); env.reset(seed=0)
    for a in (env.action_space.n, -1, 2.5, "open", None):
        with pytest.raises(ConfigError, match="outside the action space"): env.step(a)
    env.step(np.int64(0)); env.step(np.array(1))                 # numpy integers are fine
    with pytest.raises(ConfigError, match="call env.reset"):
        DayEnv(EnvConfig(store=lake)).step(0)


def test_day_without_chain(handmade, caplog):
    d, _ = handmade
    with pytest.raises(DataError, match="no 0DTE"):
        DayEnv(EnvConfig(store=d)).reset(options={"day": "2024-01-03"})
    env = DayEnv(EnvConfig(store=d, sampling="sequential"))
    with caplog.at_level(logging.WARNING, logger="zerodte.env"):
        days = {env.reset()[1]["day"] for _ in range(3)}
    assert days == {"2024-01-02"} and any("2024-01-03" in r.message and "0DTE" in r.message for r in caplog.records)


def test_action_meanings_match_space(lake):
    env = DayEnv(EnvConfig(store=lake))
    assert env.action_meanings() == action_meanings(DEFAULT_CATALOGUE) and len(env.action_meanings()) == env.action_space.n
