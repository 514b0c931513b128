"""Heavy checks of zerodte.data.synth: byte-identical lakes, refusals, planted effects found (and not found when
absent), the variance risk premium, and calibration against the real files in ../shared/data/real."""
import hashlib, math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from zerodte.core import ConfigError, StoreError, real_data_dir, real_data_missing_reason
from zerodte.data import store as st
from zerodte.data.synth import Effects, SynthConfig, effects_from_arg, simulate_market, write_market, REGIMES

DAYS = 1250  # bars-only markets (5 years) for the effect and calibration checks (about 8 s each)


# ---------------------------------------------------------------- helpers
def _hashes(root: Path) -> dict:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and p.name != ".lock"}


def _ols_t(y, X):
    "OLS slopes' t-statistics with heteroskedasticity-robust (HC0) standard errors; X without the constant."
    X = np.column_stack([np.ones(len(y)), X])
    ok = np.isfinite(y) & np.isfinite(X).all(axis=1)
    y, X = y[ok], X[ok]
    XtX_inv = np.linalg.inv(X.T @ X)
    b = XtX_inv @ X.T @ y
    e = y - X @ b
    cov = XtX_inv @ (X.T * e ** 2) @ X @ XtX_inv
    return (b / np.sqrt(np.diag(cov)))[1:]


def _minute_frame(mk):
    s, q = mk.bars["SPY"], mk.bars["QQQ"]
    day = s.index.normalize()
    f = pd.DataFrame({"r": np.log(s["close"] / s["open"]).to_numpy(),
                      "rq": np.log(q["close"] / q["open"]).to_numpy(),
                      "ofi": ((s["vwap"] - (s["high"] + s["low"] + s["close"]) / 3)
                              / (s["high"] - s["low"]).replace(0, np.nan)).to_numpy(),
                      "day": day, "regime": mk.truth_minutes["regime"].to_numpy()}, index=s.index)
    g = f.groupby("day")
    for k in (1, 2, 3):
        f[f"rq{k}"] = g["rq"].shift(k); f[f"r{k}"] = g["r"].shift(k)
    f["ofi1"] = g["ofi"].shift(1)
    f["past15"] = g["r"].transform(lambda x: x.shift(1).rolling(15, min_periods=15).sum())
    return f


@pytest.fixture(scope="module")
def markets():
    on = simulate_market(SynthConfig(start="2010-01-04", days=DAYS, seed=11))
    off = simulate_market(SynthConfig(start="2010-01-04", days=DAYS, seed=11, effects="none"))
    return {"on": (on, _minute_frame(on)), "off": (off, _minute_frame(off))}


# ---------------------------------------------------------------- determinism and refusals
def test_same_seed_same_bytes_different_seed_different(tmp_path):
    cfg = SynthConfig(days=3, strikes_each_side=4, expiries=("0dte", "1dte", "30d"))
    write_market(cfg, tmp_path / "a"); write_market(cfg, tmp_path / "b"); write_market(cfg.replace(seed=8), tmp_path / "c")
    ha, hb, hc = _hashes(tmp_path / "a"), _hashes(tmp_path / "b"), _hashes(tmp_path / "c")
    assert len(ha) > 10 and ha == hb
    data = [k for k in ha if "bars" in k or "quotes" in k]
    assert data and not any(ha[k] == hc.get(k) for k in data)
    # the same config again: nothing changes on disk
    before = st.snapshot(tmp_path / "a")
    assert set(write_market(cfg, tmp_path / "a")["status"]) == {"unchanged"}
    assert st.snapshot(tmp_path / "a") == before


def test_refusals(tmp_path):
    with pytest.raises(ConfigError, match="did you mean: order_flow"): effects_from_arg({"order_flw": 1})
    with pytest.raises(ConfigError, match=">= 0"): Effects(momentum=-1)
    with pytest.raises(ConfigError, match="positive integer"): SynthConfig(days=0)
    with pytest.raises(ConfigError, match="not an NYSE session"): SynthConfig(start="2024-12-25")
    with pytest.raises(ConfigError, match="regime_vols"): SynthConfig(regime_vols=(0.1, 0.0, 0.3))
    f = tmp_path / "eff.json"; f.write_text('{"vrp": 1, "momentom": 2}')
    with pytest.raises(ConfigError, match="did you mean: momentum"): SynthConfig(effects=effects_from_arg(str(f)))
    cfg = SynthConfig(days=1, strikes_each_side=2, expiries=("0dte",))
    write_market(cfg, tmp_path / "lake")
    before = st.snapshot(tmp_path / "lake")
    with pytest.raises(StoreError, match="different synthetic market"):
        write_market(cfg.replace(effects=Effects.none()), tmp_path / "lake")
    assert st.snapshot(tmp_path / "lake") == before


def test_lake_contents(tmp_path):
    cfg = SynthConfig(start="2024-11-27", days=2, strikes_each_side=3)   # 2024-11-29 is a half day (13:00)
    write_market(cfg, tmp_path / "lake")
    spy = st.read_bars(tmp_path / "lake", "SPY")
    assert len(spy) == 390 + 210 and spy.index[-1] == pd.Timestamp("2024-11-29 12:59", tz="America/New_York")
    q = st.read_quotes(tmp_path / "lake", "SPY")
    assert len(q) == (390 + 210) * 4 * 2 * 7
    assert (q["bid"] >= 0).all() and (q["ask"] >= q["bid"] + 0.01 - 1e-9).all()
    cents = lambda x: np.abs(x * 100 - np.round(x * 100)).max()   # noqa: E731
    assert cents(q["bid"]) < 1e-6 and cents(q["ask"]) < 1e-6
    assert (q["expiry"].dt.normalize() >= q["ts"].dt.tz_localize(None).dt.normalize()).all()
    assert ((q["bid"] == 0) == (q["bid_size"] == 0)).all()
    truth = st.read_json(tmp_path / "lake", "synth")
    assert truth["effects"]["qqq_lead"]["strength"] == 1.0 and truth["config"]["days"] == 2
    assert set(st.read_table(tmp_path / "lake", "truth_days")["regime"]) <= set(REGIMES)


# ---------------------------------------------------------------- planted effects
def test_qqq_leads_spy(markets):
    t_on = _ols_t(*_xy(markets["on"][1], "r", ["rq1", "rq2", "r1"]))
    t_off = _ols_t(*_xy(markets["off"][1], "r", ["rq1", "rq2", "r1"]))
    print("qqq_lead t:", t_on.round(2), "none:", t_off.round(2))
    assert t_on[0] > 3 and t_on[1] > 3
    assert (np.abs(t_off[:2]) < 3).all()


def test_order_flow_predicts(markets):
    t_on = _ols_t(*_xy(markets["on"][1], "r", ["ofi1"]))
    t_off = _ols_t(*_xy(markets["off"][1], "r", ["ofi1"]))
    print("order_flow t:", t_on.round(2), "none:", t_off.round(2))
    assert t_on[0] > 3 and abs(t_off[0]) < 3


def test_momentum_and_mean_reversion_by_regime(markets):
    out = {}
    for k in ("on", "off"):
        f = markets[k][1]
        for reg in ("normal", "calm"):
            out[k, reg] = _ols_t(*_xy(f[f["regime"] == reg], "r", ["past15"]))[0]
    print("momentum/mean-reversion t:", {f"{a}/{b}": round(v, 2) for (a, b), v in out.items()})
    assert out["on", "normal"] > 3 and out["on", "calm"] < -3
    assert abs(out["off", "normal"]) < 3 and abs(out["off", "calm"]) < 3


def _xy(f, y, xs):
    return f[y].to_numpy(float), f[xs].to_numpy(float)


def _atm_implied_and_realized(effects, days=250, seed=5):
    "Per-session 0DTE ATM implied variance to the close at 10:00, the realized variance after 10:00, and the SPY bars."
    from zerodte.options.pricing import implied_vol, year_fraction, expiry_close
    mk = simulate_market(SynthConfig(start="2012-01-03", days=days, seed=seed, effects=effects, strikes_each_side=1,
                                     expiries=("0dte",)), chains=True)
    q, s = mk.quotes, mk.bars["SPY"]
    ten = q[q["ts"].dt.strftime("%H:%M") == "10:00"].copy()
    ten["spot"] = s["open"].reindex(pd.DatetimeIndex(ten["ts"])).to_numpy()
    ten["dist"] = (ten["strike"] - ten["spot"]).abs()
    atm = ten.loc[ten.groupby("ts")["dist"].idxmin()].copy()
    atm = ten.merge(atm[["ts", "strike"]], on=["ts", "strike"])
    mid = (atm["bid"] + atm["ask"]) / 2
    t = year_fraction(pd.DatetimeIndex(atm["ts"]), expiry_close(atm["expiry"].dt.date.tolist()))
    atm["iv"] = implied_vol(mid.to_numpy(), atm["spot"].to_numpy(), atm["strike"].to_numpy(), t, atm["right"].to_numpy())
    atm["w"] = atm["iv"] ** 2 * t
    implied = atm.groupby(atm["ts"].dt.normalize())["w"].mean()
    r = np.log(s["close"] / s["open"])
    after = r[r.index.strftime("%H:%M") >= "10:00"]
    realized = (after ** 2).groupby(after.index.normalize()).sum().reindex(implied.index)
    return implied, realized, s


def test_variance_risk_premium():
    # Paired: the same seed with only the VRP planted and with nothing planted gives the same price paths, so the
    # premium shows directly in the implied variance, free of the (large) day-to-day noise of realized variance.
    imp_on, real_on, s_on = _atm_implied_and_realized({"vrp": 1.0})
    imp_off, real_off, s_off = _atm_implied_and_realized("none")
    pd.testing.assert_frame_equal(s_on, s_off)             # the premium is in prices only, never in the paths
    lr = np.log(imp_on / imp_off).dropna()
    t_paired = lr.mean() / (lr.std() / math.sqrt(len(lr)))
    ratio_on, ratio_off = imp_on.mean() / real_on.mean(), imp_off.mean() / real_off.mean()
    print(f"VRP: implied on/off {np.exp(lr.mean()):.3f} (t {t_paired:.1f}); implied/realized on {ratio_on:.3f}, none {ratio_off:.3f}")
    assert t_paired > 3 and np.exp(lr.mean()) > 1.15
    # With nothing planted, implied variance is the expected realized variance: no premium beyond sampling noise.
    d = (imp_off - real_off).dropna()
    assert abs(d.mean() / (d.std() / math.sqrt(len(d)))) < 3 and 0.8 < ratio_off < 1.25


# ---------------------------------------------------------------- calibration against the real data
REAL = real_data_dir()
needs_real = pytest.mark.skipif(REAL is None, reason=real_data_missing_reason() or "real data present")


@needs_real
def test_daily_vol_and_tails(markets):
    real = pd.read_csv(REAL / "quantconnect_lean_samples/spy_daily.csv")
    rr = np.log(real["close"]).diff().dropna()
    s = markets["on"][0].bars["SPY"]["close"]
    rs = np.log(s.groupby(s.index.normalize()).last()).diff().dropna()
    vol_r, vol_s = rr.std() * math.sqrt(252), rs.std() * math.sqrt(252)
    print(f"annualised vol real {vol_r:.3f} synth {vol_s:.3f}; excess kurtosis real {rr.kurt():.1f} synth {rs.kurt():.1f}")
    assert abs(vol_s - vol_r) < 0.07           # a 3-year sample of a regime-switching market varies this much
    assert rs.kurt() > 1.0                     # fat tails: kurtosis > 3 (excess > 0), with room


@needs_real
def test_vix_levels(markets):
    a = pd.read_csv(REAL / "eod_spx_vix_spy_qqq/ALL_eod.csv")
    real = a.loc[a["root"] == "VIX", "Close"]
    v = markets["on"][0].bars["VIX"]["close"]
    syn = v.groupby(v.index.normalize()).last()
    qr, qs = real.quantile([0.1, 0.5, 0.9]).to_numpy(), syn.quantile([0.1, 0.5, 0.9]).to_numpy()
    print("VIX q10/50/90 real", qr.round(1), "synth", qs.round(1))
    assert abs(qs[1] - qr[1]) < 4 and abs(qs[0] - qr[0]) < 3.5 and abs(qs[2] - qr[2]) < 8


@needs_real
def test_volume_u_shape(markets):
    m = pd.read_csv(REAL / "quantconnect_lean_samples/spy_equity_minute_trades.csv")
    m = m[(m["time_et"] >= "09:30") & (m["time_et"] < "16:00")]
    mins = m["time_et"].str[:2].astype(int) * 60 + m["time_et"].str[3:].astype(int) - 570
    prof_r = m.groupby(mins)["volume"].mean()
    s = markets["on"][0].bars["SPY"]
    full = s.groupby(s.index.normalize())["volume"].transform("size") == 390
    s = s[full]
    prof_s = s.groupby(s.index.hour * 60 + s.index.minute - 570)["volume"].mean()
    ratio = lambda p: (p.iloc[:30].mean() / p.iloc[150:240].mean(), p.iloc[360:].mean() / p.iloc[150:240].mean())  # noqa
    (o_r, c_r), (o_s, c_s) = ratio(prof_r), ratio(prof_s)
    print(f"volume open/midday real {o_r:.2f} synth {o_s:.2f}; close/midday real {c_r:.2f} synth {c_s:.2f}")
    assert abs(o_s - o_r) < 0.8 and abs(c_s - c_r) < 1.2 and o_s > 1.5 and c_s > 1.5


@needs_real
def test_spreads_vs_moneyness_and_into_close():
    # real: SPXW 0DTE OTM options at 15:45 on 2019-06-26 — relative spread grows as options get further OTM
    c = pd.read_csv(REAL / "spxw_option_chains_eod/spxw_20190626_cboe_eod.csv", encoding="utf-8-sig")
    z = c[c["expiration"] == "2019-06-26"].copy()
    S = ((z["underlying_bid_1545"] + z["underlying_ask_1545"]) / 2).iloc[0]
    z["mid"] = (z["bid_1545"] + z["ask_1545"]) / 2; z["m"] = (np.log(z["strike"] / S)).abs()
    z = z[((z["option_type"] == "C") & (z["strike"] >= S)) | ((z["option_type"] == "P") & (z["strike"] <= S))]
    z = z[z["ask_1545"] > 0]
    z["rel"] = (z["ask_1545"] - z["bid_1545"]) / z["mid"]
    bins = [0, 0.002, 0.005, 0.05]
    real_rel = z.groupby(pd.cut(z["m"], bins), observed=True)["rel"].median().to_numpy()
    # synthetic: the same snapshot (15:45, 0DTE, OTM) over 20 sessions
    mk = simulate_market(SynthConfig(days=20, seed=3, strikes_each_side=12, expiries=("0dte",)), chains=True)
    q, s = mk.quotes, mk.bars["SPY"]
    q = q.assign(spot=s["open"].reindex(pd.DatetimeIndex(q["ts"])).to_numpy())
    q = q[((q["right"] == "C") & (q["strike"] >= q["spot"])) | ((q["right"] == "P") & (q["strike"] <= q["spot"]))]
    q = q.assign(mid=(q["bid"] + q["ask"]) / 2, m=np.log(q["strike"] / q["spot"]).abs())
    q = q.assign(rel=(q["ask"] - q["bid"]) / q["mid"])
    snap = q[q["ts"].dt.strftime("%H:%M") == "15:45"]
    syn_rel = snap.groupby(pd.cut(snap["m"], bins), observed=True)["rel"].median().to_numpy()
    print("0DTE OTM relative spread by |log moneyness| bins", bins, "real", real_rel.round(3), "synth", syn_rel.round(3))
    assert (np.diff(real_rel) >= 0).all() and (np.diff(syn_rel) >= 0).all() and syn_rel[-1] > syn_rel[0]
    # into the close: near-the-money 0DTE relative spreads are wider in the last 15 minutes than at midday
    o = pd.read_csv(REAL / "quantconnect_lean_samples/option_minute_quotes.csv")
    o = o[(o["root"] == "SPXW") & (o["date"] == o["expiry"])]
    o = o.assign(mid=(o["bid_close"] + o["ask_close"]) / 2, spr=o["ask_close"] - o["bid_close"])
    o = o[o["mid"] > 1]
    rel = o["spr"] / o["mid"]
    real_ratio = rel[o["time_et"] >= "15:45"].median() / rel[(o["time_et"] >= "12:00") & (o["time_et"] < "14:00")].median()
    near = q[(q["m"] < 0.003) & (q["mid"] > 0.2)]
    hm = near["ts"].dt.strftime("%H:%M")
    syn_ratio = near.loc[hm >= "15:45", "rel"].median() / near.loc[(hm >= "12:00") & (hm < "14:00"), "rel"].median()
    print(f"0DTE relative spread last 15 min / midday: real {real_ratio:.2f} synth {syn_ratio:.2f}")
    assert real_ratio > 1 and syn_ratio > 1
