"""zerodte.metrics as exported: the public names and signatures external checks call, their conventions against
hand fixtures and QuantStats, and the statistical properties (DSR in the trial count, PBO on noise vs an edge)."""
import inspect
import logging
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import zerodte.metrics as metrics
from zerodte.core import ConfigError, DataError

logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)

DAILY = pd.Series(np.random.default_rng(11).normal(0.0005, 0.01, 750),
                  index=pd.date_range("2022-01-03", periods=750, freq="B"))


def test_public_signatures():
    sig = inspect.signature(metrics.sharpe)
    assert list(sig.parameters)[:2] == ["returns", "periods"] and sig.parameters["periods"].default == 252
    assert list(inspect.signature(metrics.max_drawdown).parameters)[0] == "returns"
    assert list(inspect.signature(metrics.deflated_sharpe).parameters)[:2] == ["returns", "trials"]
    assert list(inspect.signature(metrics.win_rate).parameters)[0] == "trade_pnls"
    b = inspect.signature(metrics.bootstrap_ci).parameters
    assert list(b)[:6] == ["returns", "statistic", "level", "n_boot", "block", "seed"]
    assert (b["statistic"].default, b["level"].default, b["n_boot"].default, b["block"].default, b["seed"].default) == \
        (metrics.sharpe, 0.95, 2000, None, 0)
    p = inspect.signature(metrics.pbo_cscv).parameters
    assert list(p)[:3] == ["performance_matrix", "n_splits", "metric"] and p["n_splits"].default == 16
    assert p["metric"].default is metrics.sharpe
    assert list(inspect.signature(metrics.probabilistic_sharpe).parameters)[:3] == ["returns", "benchmark_sharpe", "periods"]
    assert list(inspect.signature(metrics.summary).parameters)[:4] == ["returns", "trials", "periods", "benchmark"]


def test_hand_fixtures():
    r = [0.01, -0.01, 0.02, 0.0]
    assert metrics.sharpe(r) == pytest.approx(0.005 / math.sqrt(5 / 3 * 1e-4) * math.sqrt(252), rel=1e-12)
    assert metrics.sharpe(r, periods=1) == pytest.approx(0.005 / math.sqrt(5 / 3 * 1e-4), rel=1e-12)
    assert metrics.sortino(r) == pytest.approx(math.sqrt(252), rel=1e-12)
    assert metrics.max_drawdown([0.10, -0.20, 0.05, -0.10, 0.30]) == pytest.approx(0.8316 / 1.1 - 1, abs=1e-12)
    assert metrics.max_drawdown([0.01, 0.02]) == 0.0
    assert metrics.max_drawdown([100.0, -250.0, 50.0], compounded=False) == pytest.approx(-250.0)
    assert metrics.win_rate([120.0, -80.0, 0.0, 40.0]) == 0.5                  # a scratch trade is not a win
    assert metrics.win_rate([120.0, -80.0, 0.0, 40.0], exclude_zeros=True) == pytest.approx(2 / 3)
    assert metrics.profit_factor([120.0, -80.0, 0.0, 40.0]) == 2.0


def test_against_quantstats():
    qs = pytest.importorskip("quantstats")
    d0 = DAILY.where(np.random.default_rng(2).random(len(DAILY)) > 0.25, 0.0)
    assert metrics.sharpe(DAILY) == pytest.approx(qs.stats.sharpe(DAILY), rel=1e-12)
    assert metrics.sortino(DAILY) == pytest.approx(qs.stats.sortino(DAILY), rel=1e-12)
    assert metrics.max_drawdown(DAILY) == pytest.approx(qs.stats.max_drawdown(DAILY), rel=1e-12)   # same sign: <= 0
    assert metrics.calmar(DAILY) == pytest.approx(qs.stats.calmar(DAILY), rel=1e-12)
    assert metrics.win_rate(d0, exclude_zeros=True) == pytest.approx(qs.stats.win_rate(d0), rel=1e-15)
    assert metrics.profit_factor(d0) == pytest.approx(qs.stats.profit_factor(d0), rel=1e-12)
    assert metrics.probabilistic_sharpe(DAILY) == pytest.approx(qs.stats.probabilistic_sharpe_ratio(DAILY), abs=2e-3)


def test_deflated_sharpe_paper_example_and_properties():
    sr0 = metrics.expected_max_sharpe(100, 0.5 / 250)
    assert sr0 == pytest.approx(0.1132, abs=5e-5)
    dsr = metrics.probabilistic_sharpe_from_moments(2.5 / math.sqrt(250), 1250, -3.0, 7.0, sr0)
    assert dsr == pytest.approx(0.9004, abs=5e-4)
    d = [metrics.deflated_sharpe(DAILY, n) for n in (1, 2, 5, 50, 500)]
    assert all(a > b for a, b in zip(d, d[1:]))
    assert metrics.deflated_sharpe(DAILY, 1, trial_sharpes_variance=0.0) == pytest.approx(metrics.probabilistic_sharpe(DAILY))
    for bad in (0, 0.5, -1, float("nan"), "ten"):
        with pytest.raises(ConfigError, match="trials must be"):
            metrics.deflated_sharpe(DAILY, bad)


def test_bad_input_is_clear():
    with pytest.raises(DataError, match="empty"): metrics.sharpe([])
    with pytest.raises(DataError, match="all 3 values are NaN"): metrics.max_drawdown([np.nan] * 3)
    with pytest.raises(DataError, match="dropna=True"): metrics.sharpe([0.01, np.nan, 0.02])
    assert metrics.sharpe([0.01, np.nan, 0.02, -0.01], dropna=True) == pytest.approx(metrics.sharpe([0.01, 0.02, -0.01]))
    with pytest.raises(ConfigError, match=r"level must be in \(0, 1\)"): metrics.bootstrap_ci(DAILY, level=1.0)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        assert math.isnan(metrics.sharpe([0.01] * 30))
    assert any(issubclass(x.category, metrics.MetricWarning) and "zero variance" in str(x.message) for x in w)


def test_bootstrap_and_pbo():
    lo, hi = metrics.bootstrap_ci(DAILY, n_boot=500)
    assert lo < metrics.sharpe(DAILY) < hi
    assert metrics.bootstrap_ci(DAILY, n_boot=500) == (lo, hi)                 # seeded
    g = np.random.default_rng(5)
    noise = [metrics.pbo_cscv(np.random.default_rng(s).normal(0, 0.01, (400, 8)), n_splits=8) for s in range(30)]
    assert np.mean(noise) == pytest.approx(0.5, abs=0.1)
    edge = g.normal(0, 0.01, (800, 12)); edge[:, 0] += 0.003
    assert metrics.pbo_cscv(edge) < 0.1


def test_summary_row():
    s = metrics.summary(DAILY.rename("s"), trials=10, n_boot=300)
    for k in ("sharpe", "sharpe_low", "sharpe_high", "psr", "deflated_sharpe", "sortino", "max_drawdown", "win_rate",
              "profit_factor", "value_at_risk_95", "expected_shortfall_95"):
        assert k in s.index and np.isfinite(s[k])
    assert s["sharpe_low"] < s["sharpe"] < s["sharpe_high"] and s["deflated_sharpe"] < s["psr"]
    assert s["max_drawdown"] <= 0 and s["value_at_risk_95"] > 0
