"""zerodte.risk as exported: the public VaR names external checks call, and the fail-closed risk check with a failure
injected into the exported module itself (the notebook injects it into its own namespace)."""
import datetime as dt
import inspect

import numpy as np
import pandas as pd
import pytest

import zerodte.risk as risk
from zerodte.core import ConfigError, DataError, TZ_NAME

DAY = dt.date(2024, 1, 2)
MKT = risk.Market(now=pd.Timestamp("2024-01-02 14:00", tz=TZ_NAME), spot={"SPY": 475.0}, rate=0.05)
SPREAD = risk.ProposedAction((risk.Leg("C", 1, 475, DAY, 0.28), risk.Leg("C", -1, 478, DAY, 0.28)), 1)


def test_public_signatures():
    for name, params in (("historical_var", ["returns", "level"]), ("expected_shortfall", ["returns", "level"]),
                         ("parametric_var", ["returns", "level", "method"])):
        sig = inspect.signature(getattr(risk, name))
        assert list(sig.parameters)[:len(params)] == params
        assert sig.parameters["level"].default == 0.95
    assert inspect.signature(risk.parametric_var).parameters["method"].default == "normal"
    assert list(inspect.signature(risk.kelly_fraction).parameters) == ["win_prob", "win_loss_ratio"]
    assert list(inspect.signature(risk.kelly_fraction_continuous).parameters) == ["mean", "variance"]
    assert list(inspect.signature(risk.check).parameters) == ["action", "state", "limits"]


def test_fixture_values_and_positive_losses():
    r = (np.arange(100) - 50) / 500                     # -0.100 .. 0.098
    assert risk.historical_var(r, 0.95) == pytest.approx(0.090, abs=1e-12)
    assert risk.expected_shortfall(r, 0.95) == pytest.approx(0.096, abs=1e-12)
    assert risk.parametric_var(r, 0.95) > 0 and risk.parametric_var(r, 0.95, method="cornish-fisher") > 0
    with pytest.raises(ConfigError): risk.historical_var(r, 95)
    with pytest.raises(DataError): risk.expected_shortfall([])
    with pytest.raises(DataError): risk.parametric_var([0.1, float("nan"), 0.2])
    with pytest.raises(ConfigError): risk.kelly_fraction(1.5, 1.0)
    with pytest.raises(ConfigError): risk.kelly_fraction_continuous(0.01, -1.0)


def test_quantstats_like_with_like():
    qs = pytest.importorskip("quantstats")
    r = pd.Series(np.random.default_rng(3).standard_t(3, 1000) * 0.004,
                  index=pd.date_range("2024-01-02", periods=1000, freq="D"))
    assert risk.parametric_var(r) == pytest.approx(-qs.stats.value_at_risk(r), rel=1e-12)
    assert risk.expected_shortfall(r, method="normal") == pytest.approx(-qs.stats.cvar(r), rel=1e-12)
    assert risk.expected_shortfall(r) == pytest.approx(-qs.stats.expected_shortfall(r, method="historical"), rel=1e-12)


def test_check_vetoes_when_a_failure_is_injected(monkeypatch):
    state = risk.PortfolioState(MKT)
    assert risk.check(SPREAD, state, risk.RiskLimits()).verdict == "allow"
    for target in ("leg_greeks", "worst_case_loss", "session_bounds", "_reduces_only"):
        with monkeypatch.context() as m:
            m.setattr(risk, target, lambda *a, **k: (_ for _ in ()).throw(RuntimeError(f"{target} exploded")))
            d = risk.check(SPREAD, state, risk.RiskLimits())
        assert (d.verdict, d.units) == ("veto", 0), target
        assert "failed to run" in d.reason and f"{target} exploded" in d.reason and d.error


def test_kill_switch_then_flatten_is_allowed():
    pos = risk.Structure(SPREAD.legs, "spread").scaled(3)
    state = risk.PortfolioState(MKT, (pos,), day_pnl=-2_000.0)
    d = risk.check(SPREAD, state, risk.RiskLimits())
    assert d.verdict == "veto" and d.flatten
    out = risk.flatten_order(state.positions)
    d = risk.check(out, state, risk.RiskLimits())
    assert d.verdict == "allow" and d.flatten
