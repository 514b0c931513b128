"""Regimes against the truth: the synthetic market's planted regimes, and the real 2008 and 2020 crises."""
import numpy as np
import pandas as pd
import pytest
from zerodte.data.synth import SynthConfig, simulate_market, REGIMES
from zerodte.regimes import daily_observations, label_regimes, balanced_accuracy, regimes_from_store, daily_observations_from_daily


def test_filtered_hmm_agrees_with_the_synthetic_truth():
    mk = simulate_market(SynthConfig(start="2012-01-03", days=750, seed=11), chains=False)
    obs = daily_observations(mk.bars["SPY"], mk.bars["VIX"])
    lab = label_regimes(obs, train_days=375, seed=0)
    truth = mk.truth_days["regime"].map({r: i for i, r in enumerate(REGIMES)})
    truth.index = pd.DatetimeIndex(truth.index)
    test = lab.index[375:]                                  # out of sample: after the training window
    ba = balanced_accuracy(truth.reindex(test), lab.loc[test, "hmm_state"])
    ba_bucket = balanced_accuracy(truth.reindex(test), lab.loc[test, "vol_bucket"])
    print(f"balanced accuracy out of sample: HMM {ba:.3f}, vol bucket {ba_bucket:.3f}; "
          f"truth shares {truth.reindex(test).value_counts(normalize=True).round(2).to_dict()}")
    assert ba >= 0.7


def test_labels_from_a_lake(tmp_path):
    from zerodte.data.synth import write_market
    lake = tmp_path / "lake"
    write_market(SynthConfig(start="2024-01-02", days=40, seed=2, expiries=("0dte",), strikes_each_side=1), lake)
    daily, minute = regimes_from_store(lake, train_days=35)
    assert len(daily) == 40 and len(minute) == 40 * 390
    assert daily["hmm_state"].notna().sum() == 39     # the first session has no previous close (no return)
    assert set(daily["hmm_state"].dropna().unique()) <= {0, 1, 2}
    # a minute's label is what was known at the previous close
    first_day = minute.index.normalize() == minute.index[0].normalize()
    assert minute.loc[first_day, "hmm_state"].isna().all()


def test_real_2008_and_2020_are_stressed(real_dir):
    spy = pd.read_csv(real_dir / "quantconnect_lean_samples/spy_daily.csv", parse_dates=["date"]).set_index("date")
    a = pd.read_csv(real_dir / "eod_spx_vix_spy_qqq/ALL_eod.csv", parse_dates=["Date"])
    vix = a[a["root"] == "VIX"].set_index("Date")["Close"].rename("close")
    obs = daily_observations_from_daily(spy["close"], vix)
    train = obs.loc[:"2006-12-31"].dropna()                  # fitted on 1998-2006 only; 2008 and 2020 are out of sample
    lab = label_regimes(obs.dropna(), train_days=len(train), seed=0)
    stressed = lab["hmm_state"] == 2
    share = lambda a, b: float(stressed.loc[a:b].mean())
    s08, s20, calm = share("2008-09-15", "2008-12-31"), share("2020-03-01", "2020-04-30"), share("2017-01-01", "2017-12-31")
    print(f"share of days labelled stressed: Sep-Dec 2008 {s08:.2f}, Mar-Apr 2020 {s20:.2f}, 2017 {calm:.2f}")
    assert s08 > 0.8 and s20 > 0.8 and calm < 0.1
