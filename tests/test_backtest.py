"""zerodte.backtest: walk-forward split properties, determinism, rule backtests reproduced by hand, the risk layer's
verdicts, a trained agent per fold, regimes, and the vectorbt cross-check. Small synthetic lakes (0DTE only, few
strikes) keep the whole file well under 90 s."""
import itertools, json, math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import zerodte
from zerodte.core import DataError, ConfigError, next_session, previous_session
from zerodte.data.store import read_bars, read_table
from zerodte.data.synth import SynthConfig, write_market
from zerodte.execution import AlpacaOptionFees, PerContractFees
from zerodte.risk import RiskLimits
from zerodte import agents as A
from zerodte.backtest import (walk_forward_splits, days_needed, run_backtest, load_run, run_policy, RulePolicy,
                              signal_backtest, vectorbt_signal_backtest, REGIME_CODES)
from zerodte.env import DayEnv, EnvConfig

FILES = ("daily.parquet", "minutes.parquet", "fills.parquet", "trades.parquet", "run.json")


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    out = tmp_path_factory.mktemp("bt") / "lake"
    write_market(SynthConfig(start="2024-01-02", days=12, seed=5, expiries=("0dte",), strikes_each_side=6), out)
    return out


@pytest.fixture(scope="module")
def straddle_run(lake, tmp_path_factory):
    return run_backtest("rule_straddle", lake, folds=3, train_days=2, test_days=3, out=tmp_path_factory.mktemp("r") / "s")


def _days_of(lake):
    return DayEnv(EnvConfig(store=lake)).days


# -- walk-forward splits ----------------------------------------------------------------------------------------------
def _check_split(days, splits, K, N, M, p, e, mode):
    "Independent property check on session indices."
    pos = {d: i for i, d in enumerate(days)}
    assert len(splits) == K
    blocks = []
    for k, f in enumerate(splits):
        assert f.number == k
        t = [pos[d] for d in f.test]; tr = [pos[d] for d in f.train]
        assert t == list(range(t[0], t[0] + M))                            # contiguous test block of M sessions
        assert tr == list(range(tr[0], tr[0] + len(tr)))                   # contiguous training span
        assert not set(tr) & set(t)                                        # no overlap
        assert max(tr) == t[0] - p - e - 1                                 # purge + embargo: p + e sessions left out
        if mode == "rolling": assert len(tr) == N
        else: assert tr[0] == 0 and len(tr) >= N
        blocks.append((t[0], t[-1]))
    # blocks back to back, in order; the out-of-sample days are exactly their union
    assert all(blocks[i + 1][0] == blocks[i][1] + 1 for i in range(K - 1))
    oos = [d for f in splits for d in f.test]
    assert oos == list(days[N + p + e:N + p + e + K * M])
    if mode == "expanding":
        assert all(len(splits[i + 1].train) >= len(splits[i].train) for i in range(K - 1))


def test_walk_forward_split_properties():
    n_checked = 0
    for K, N, M, p, e, mode, extra in itertools.product((1, 2, 3, 4), (1, 2, 5), (1, 2, 3), (0, 1, 2), (0, 1, 3, 7),
                                                        ("rolling", "expanding"), (0, 3)):
        days = pd.bdate_range("2024-01-02", periods=days_needed(K, N, M, p, e) + extra)
        _check_split(list(days), walk_forward_splits(days, K, N, M, p, e, mode), K, N, M, p, e, mode)
        n_checked += 1
        with pytest.raises(ConfigError, match=f"need {days_needed(K, N, M, p, e)} sessions"):
            walk_forward_splits(days[:days_needed(K, N, M, p, e) - 1], K, N, M, p, e, mode)
    assert n_checked == 4 * 3 * 3 * 3 * 4 * 2 * 2


def test_split_by_hand():
    d = pd.bdate_range("2024-01-02", periods=12)
    s = walk_forward_splits(d, folds=3, train_days=3, test_days=2, purge_days=0, embargo_days=3)
    # the first block starts after 3 training + 3 embargoed sessions: blocks 6..7, 8..9, 10..11; each fold's training
    # window ends 3 sessions before its block
    assert [(list(f.train), list(f.test)) for f in s] == [(list(d[0:3]), list(d[6:8])), (list(d[2:5]), list(d[8:10])),
                                                         (list(d[4:7]), list(d[10:12]))]
    s = walk_forward_splits(d, folds=3, train_days=3, test_days=2, purge_days=1, embargo_days=1, mode="expanding")
    assert [list(f.train) for f in s] == [list(d[0:3]), list(d[0:5]), list(d[0:7])]
    assert [list(f.test) for f in s] == [list(d[5:7]), list(d[7:9]), list(d[9:11])]


def test_too_few_days_in_the_lake(lake, tmp_path):
    with pytest.raises(ConfigError, match="need 15 sessions; only 12"):
        run_backtest("rule_never", lake, folds=4, train_days=2, test_days=3, out=tmp_path / "x")
    assert not (tmp_path / "x").exists()


# -- the run folder --------------------------------------------------------------------------------------------------
def test_deterministic_files(lake, straddle_run, tmp_path):
    again = run_backtest("rule_straddle", lake, folds=3, train_days=2, test_days=3, out=tmp_path / "s")
    assert (straddle_run / "suite.json").read_bytes() == (again / "suite.json").read_bytes()
    for f in FILES:
        assert (straddle_run / "systems/rule_straddle" / f).read_bytes() == (again / "systems/rule_straddle" / f).read_bytes(), f


def test_suite_json_and_out_of_sample_days(lake, straddle_run):
    suite = json.loads((straddle_run / "suite.json").read_text())
    assert suite["version"] == zerodte.__version__ and suite["systems"] == ["rule_straddle"] and suite["trials"] == 1
    assert suite["capital"] == 100_000 and suite["purge_days"] == 0 and suite["embargo_days"] == 1
    days = _days_of(lake)
    want = walk_forward_splits(days, 3, 2, 3, 0, 1)
    assert suite["folds"] == [f.to_dict() for f in want]
    run = load_run(straddle_run).systems["rule_straddle"]
    # out-of-sample days = the union of the test blocks, in order, with their fold numbers
    assert list(run.daily.index) == [d for f in want for d in f.test]
    assert run.daily["fold"].tolist() == [f.number for f in want for _ in f.test]
    assert run.daily.index.tz is None and run.minutes.index.tz is not None
    assert set(run.minutes["fold"]) == {0, 1, 2}
    assert run.run["risk"] == "baseline" and run.run["parameters"] == 0 and run.run["system"] == "rule_straddle"
    for col in ("pnl", "fees", "return", "equity", "trades", "fold", "spy_return", "regime", "regime_true"):
        assert col in run.daily.columns
    for col in ("equity", "spot", "structure", "contracts", "delta", "gamma", "vega", "theta", "pnl", "action",
                "risk_verdict", "risk_reason"):
        assert col in run.minutes.columns
    assert list(run.fills.columns[:8]) == ["ts", "client_order_id", "symbol", "side", "quantity", "price", "fees", "reason"]
    assert list(run.trades.columns[:6]) == ["open_ts", "close_ts", "structure", "contracts", "pnl", "fees"]


def test_equity_identities(straddle_run):
    r = load_run(straddle_run).systems["rule_straddle"]
    d, m = r.daily, r.minutes
    np.testing.assert_allclose(d["equity"], d["pnl"].cumsum(), rtol=0, atol=1e-9)           # equity = cumulative P&L
    np.testing.assert_allclose(d["return"], d["pnl"] / 100_000, rtol=0, atol=1e-15)
    day = m.index.tz_localize(None).normalize()
    g = m.groupby(day)
    np.testing.assert_allclose(g["pnl"].sum(), d["pnl"], rtol=0, atol=1e-7)                  # minute P&L sums to the day
    np.testing.assert_allclose(g["day_pnl"].last(), d["pnl"], rtol=0, atol=1e-9)             # last minute = the day's P&L
    np.testing.assert_allclose(g["equity"].last(), d["equity"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(g["fees"].sum(), d["fees"], rtol=0, atol=1e-9)
    # trades: their P&L adds up to the day's up to the cent rounding of each fee component (≤ 4 cents a day)
    t = r.trades.groupby(r.trades["open_ts"].dt.tz_localize(None).dt.normalize())
    tp = t["pnl"].sum().reindex(d.index, fill_value=0.0)
    assert ((tp - d["pnl"]).between(0, 0.04 + 1e-9)).all()
    assert (t.size().reindex(d.index, fill_value=0) == d["trades"]).all()
    # a straddle: two legs each way, opened at 10:00
    opens = r.fills[r.fills["reason"] == "agent"]
    assert (opens["ts"].dt.strftime("%H:%M") == "10:00").all() and (opens["side"] == "buy").all()
    assert (r.trades["structure"] == "long_straddle").all() and (r.trades["contracts"] == 2).all()
    # stop-loss closes are recorded as 'flatten' verdicts at the same minute
    stops = r.fills[r.fills["reason"] == "stop"]
    for ts in stops["ts"].unique():
        assert m.loc[ts, "risk_verdict"] == "flatten" and m.loc[ts, "risk_reason"].startswith("stop-loss")
    assert d["stops"].sum() == stops["ts"].nunique()


def test_never_trade_zero(lake, tmp_path):
    out = run_backtest("rule_never", lake, folds=3, train_days=2, test_days=3, out=tmp_path / "n", risk="full")
    r = load_run(out).systems["rule_never"]
    assert (r.daily["pnl"] == 0).all() and (r.daily["fees"] == 0).all() and (r.daily["equity"] == 0).all()
    assert len(r.fills) == 0 and len(r.trades) == 0 and (r.minutes["contracts"] == 0).all()
    assert (r.minutes["risk_verdict"] == "").all()
    assert (r.minutes[["delta", "gamma", "vega", "theta"]] == 0).all().all()


def test_one_atm_call_fees_by_the_schedule(lake, tmp_path):
    rule = A.RuleAgent("atm_call", "long_call", "10:00")
    out = run_backtest(rule, lake, folds=2, train_days=2, test_days=4, out=tmp_path / "c", risk="none")
    r = load_run(out).systems["rule_atm_call"]
    fees = AlpacaOptionFees()
    for day, row in r.daily.iterrows():
        f = r.fills[r.fills["ts"].dt.tz_localize(None).dt.normalize() == day]
        buys, sells = f[f["side"] == "buy"], f[f["side"] == "sell"]
        assert len(buys) == 1 and len(sells) == 1 and (f["quantity"] == 1).all()
        assert buys["ts"].iloc[0].strftime("%H:%M") == "10:00"
        tot = {}
        parts = [(1, buys["price"].iloc[0])] + ([(-1, sells["price"].iloc[0])] if sells["reason"].iloc[0] != "expiry" else [])
        for side, px in parts:
            for k, v in fees.fee_parts(side, 1, px).items(): tot[k] = tot.get(k, 0.0) + v
        # every fee component's day sum rounded up to the cent (Alpaca's billing), computed here independently
        want = sum(math.ceil(round(v * 100, 6)) / 100 for v in tot.values())
        assert math.isclose(row["fees"], want, abs_tol=1e-9)
        gross = (sells["price"].iloc[0] - buys["price"].iloc[0]) * 100
        assert math.isclose(row["pnl"], gross - want, abs_tol=1e-9)
    assert r.run["risk"] == "none" and (r.minutes["risk_verdict"] == "").all()


def test_full_risk_kill_switch_flattens(lake, tmp_path):
    # a $1,500 per-contract commission makes the first trade lose more than the $1,000 daily budget
    limits = RiskLimits(max_contracts=10, max_loss_per_trade=1000, max_loss_per_day=1000)
    out = run_backtest(A.RuleAgent("atm_call", "long_call", "10:00"), lake, folds=1, train_days=2, test_days=2,
                       out=tmp_path / "k", risk="full", risk_limits=limits, env_changes={"fees": PerContractFees(per_contract=1500.0)})
    r = load_run(out).systems["rule_atm_call"]
    m = r.minutes
    opened = m[m["risk_verdict"] == "allow"]
    assert len(opened) == 2 and (opened.index.strftime("%H:%M") == "10:00").all()        # risk.check allowed the order
    flat = m[m["risk_verdict"] == "flatten"]
    assert len(flat) == 2 and flat["risk_reason"].str.startswith("kill switch").all()
    assert (flat.index.strftime("%H:%M") == "10:01").all() and (flat["contracts"] == 0).all()
    assert (r.fills.loc[r.fills["reason"] == "risk", "side"] == "sell").all() and (r.fills["reason"] == "risk").sum() == 2
    assert r.daily["halted"].all()
    assert json.loads((out / "systems/rule_atm_call/run.json").read_text())["config"]["risk_limits"]["max_loss_per_day"] == 1000


def test_suite_grows_and_checks(lake, tmp_path):
    out = tmp_path / "suite"
    run_backtest("rule_never", lake, 2, 2, 3, out)
    run_backtest("rule_strangle16", lake, 2, 2, 3, out, risk="full")
    run_backtest("rule_never", lake, 2, 2, 3, out)
    s = load_run(out)
    assert s.suite["systems"] == ["rule_never", "rule_strangle16"] and s.suite["trials"] == 3
    assert list(s.daily_table("pnl").columns) == ["rule_never", "rule_strangle16"]
    # the naked strangle's worst case is unbounded: the full risk layer vetoes every order
    v = s.systems["rule_strangle16"].minutes["risk_verdict"]
    assert (v == "veto").sum() >= 1 and len(s.systems["rule_strangle16"].fills) == 0
    with pytest.raises(ConfigError, match="folds"):
        run_backtest("rule_never", lake, 3, 2, 3, out)
    # a run folder from another version is refused on load
    j = json.loads((out / "suite.json").read_text()); j["version"] = "9.9.0"
    (out / "suite.json").write_text(json.dumps(j))
    with pytest.raises(ConfigError, match="written by zerodte 9.9.0"):
        load_run(out)
    with pytest.raises(ConfigError, match="does not exist"):
        load_run(tmp_path / "nothing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no suite.json"):
        load_run(tmp_path / "empty")


def test_regimes_and_truth(tmp_path):
    lake = tmp_path / "lake30"
    write_market(SynthConfig(start="2024-01-02", days=36, seed=2, expiries=("0dte",), strikes_each_side=4), lake)
    out = run_backtest("rule_never", lake, folds=1, train_days=32, test_days=3, out=tmp_path / "g")
    d = load_run(out).systems["rule_never"].daily
    # regime known at the open = the previous session's filtered state, HMM fit on the 32 sessions before the test
    from zerodte.regimes import daily_observations, label_regimes
    spy = read_bars(lake, "SPY", None, d.index.max())
    try: vix = read_bars(lake, "VIX", None, d.index.max())
    except Exception: vix = None
    obs = daily_observations(spy, vix)
    n_fit = int((obs.dropna().index < d.index[0]).sum())
    lab = label_regimes(obs, train_days=n_fit)["hmm_state"]
    assert d["regime"].notna().all() and set(d["regime"]) <= {0.0, 1.0, 2.0}
    assert d["regime"].tolist() == [float(lab[previous_session(x)]) for x in d.index]
    truth = read_table(lake, "truth_days").set_index("date")["regime"]
    assert d["regime_true"].tolist() == [float(REGIME_CODES[truth[x]]) for x in d.index]
    c = spy["close"].groupby(spy.index.tz_localize(None).normalize()).last()
    np.testing.assert_allclose(d["spy_return"], [c[x] / c[previous_session(x)] - 1 for x in d.index], rtol=1e-12)


# -- a trained agent per fold ---------------------------------------------------------------------------------------
def test_trained_agent_per_fold(lake, tmp_path):
    out = run_backtest("baseline", lake, folds=2, train_days=2, test_days=1, out=tmp_path / "a", timesteps=128, seed=0,
                       net_arch=(8,), n_steps=64, batch_size=32, n_epochs=1)
    s = load_run(out)
    r = s.systems["baseline"]
    assert r.run["parameters"] > 0 and r.run["feature_count"] > 0 and r.run["kind"] == "agent"
    assert sorted(p.name for p in (out / "systems/baseline/models").iterdir()) == ["fold_0", "fold_1"]
    meta = json.loads((out / "systems/baseline/models/fold_1/agent.json").read_text())
    assert meta["days"] == [f"{d:%Y-%m-%d}" for d in walk_forward_splits(_days_of(lake), 2, 2, 1)[1].train]
    assert meta["config"]["stop_loss"] == 0.5                                   # trained under the run's stop
    assert len(r.daily) == 2 and list(r.daily["fold"]) == [0, 1]
    np.testing.assert_allclose(r.daily["equity"], r.daily["pnl"].cumsum(), atol=1e-9)
    # the recorded P&L is the saved model's own decisions replayed by zerodte.agents.run_day (same env, same stop)
    for k, day in enumerate(r.daily.index):
        ref = A.run_day(A.load_agent(out / f"systems/baseline/models/fold_{k}"), lake, day, run_id="baseline")
        assert math.isclose(ref["equity"].iloc[-1], r.daily["pnl"].iloc[k], abs_tol=1e-9)
        mins = r.minutes[r.minutes.index.tz_localize(None).normalize() == day]
        assert mins["action"].tolist() == ref["action"].tolist()


# -- the vectorbt fast path ---------------------------------------------------------------------------------------------
def test_signal_loop_by_hand():
    idx = pd.date_range("2024-01-02 09:30", periods=5, freq="1min", tz="America/New_York")
    op, cl = pd.Series([10.0, 11, 12, 13, 14], idx), pd.Series([10.5, 11.5, 12.5, 13.5, 14.5], idx)
    en = pd.Series([True, False, False, False, False], idx); ex = pd.Series([False, False, True, False, False], idx)
    r = signal_backtest(cl, en, ex, fees=0.01, fixed_fees=1.0, size=10, init_cash=1000.0, open=op)
    # buy 10 at the open of bar 1 (11): cost 110 + 1.1 + 1; sell at the open of bar 3 (13): 130 − 1.3 − 1
    cash = [1000, 1000 - 112.1, 1000 - 112.1, 1000 - 112.1 + 127.7, 1000 - 112.1 + 127.7]
    np.testing.assert_allclose(r["cash"], cash, atol=1e-9)
    np.testing.assert_allclose(r["equity"], [1000, cash[1] + 115, cash[2] + 125, cash[3], cash[4]], atol=1e-9)
    assert r["order"].tolist() == [0, 1, 0, -1, 0]


@pytest.mark.parametrize("size", [np.inf, 25.0, 1e6])
def test_vectorbt_cross_check(lake, size):
    spy = read_bars(lake, "SPY", "2024-01-02", "2024-01-05")
    rng = np.random.default_rng(int(size) % 97 if np.isfinite(size) else 1)
    signals = [(pd.Series(rng.random(len(spy)) < 0.03, spy.index), pd.Series(rng.random(len(spy)) < 0.03, spy.index))]
    above = spy["close"] > spy["close"].rolling(20).mean()
    signals.append((above & ~above.shift(1, fill_value=False), ~above & above.shift(1, fill_value=False)))
    for en, ex in signals:
        for fees, fixed in ((0.0, 0.0), (5e-4, 1.0)):
            ours = signal_backtest(spy["close"], en, ex, fees=fees, fixed_fees=fixed, size=size, open=spy["open"])
            theirs = vectorbt_signal_backtest(spy["close"], en, ex, fees=fees, fixed_fees=fixed, size=size, open=spy["open"])
            assert (ours["order"] != 0).sum() >= 4
            rel = np.max(np.abs(ours["equity"].to_numpy() / theirs.to_numpy() - 1))
            assert rel < 1e-9, (fees, fixed, size, rel)
