"""Smoke tests of the papermill reports: market_facts end to end on a small hand-written lake, parameter checks that
refuse before anything runs, and the secret guards (kernel environment scrubbed; output scanned as a last line)."""
import json
import math
import os
import time
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

import zerodte.reports as reports
from zerodte.core import ConfigError, TZ_NAME, ZerodteError, real_data_dir, session_minutes, sessions
from zerodte.data.store import write_bars, write_quotes
from zerodte.reports import render_report, report_metrics

FAKE_SECRET = "FAKE-apca-secret-0123456789abcdef"
FAKE_KEY_ID = "PKFAKEKEYID0123456789"


def _lake(root: Path, n_days: int = 25, seed: int = 11) -> Path:
    "SPY minute bars with a U-shaped volume, daily VIX bars, and same-day SPY quotes on the last two sessions."
    rng = np.random.default_rng(seed)
    days = sessions("2024-01-02", "2024-03-15").index[:n_days]
    ts = session_minutes(days[0]).append([session_minutes(d) for d in days[1:]])
    minute = np.tile(np.arange(390), n_days)[: len(ts)]
    vol_shape = 1 + 2 * ((minute - 195) / 195) ** 2
    r = rng.standard_t(4, len(ts)) * 0.0006 * np.sqrt(vol_shape / 2)
    close = 470 * np.exp(np.cumsum(r))
    open_ = np.r_[470.0, close[:-1]]
    bars = pd.DataFrame({"open": open_, "high": np.maximum(open_, close) * 1.0002, "low": np.minimum(open_, close) * 0.9998,
                         "close": close, "volume": np.round(1000 * vol_shape * rng.uniform(0.5, 1.5, len(ts)))},
                        index=ts.rename("ts"))
    write_bars(root, "SPY", bars)
    vix_close = 14 + np.cumsum(rng.normal(0, 0.5, n_days))
    vix = pd.DataFrame({"open": vix_close, "high": vix_close + 0.5, "low": vix_close - 0.5, "close": vix_close, "volume": 0.0},
                       index=pd.DatetimeIndex(days).tz_localize(TZ_NAME).rename("ts"))
    write_bars(root, "VIX", vix, timeframe="1d")
    rows = []
    for d in days[-2:]:
        for hhmm in ("10:00", "12:00", "15:45"):
            t = pd.Timestamp(f"{d.date()} {hhmm}", tz=TZ_NAME)
            spot = float(bars["open"].asof(t))
            for k in np.arange(round(spot) - 5, round(spot) + 6):
                for right in ("C", "P"):
                    intrinsic = max(spot - k, 0) if right == "C" else max(k - spot, 0)
                    mid = intrinsic + 1.5 * np.exp(-abs(k - spot) / 2) + 0.02
                    half = max(0.01, 0.02 * mid)
                    rows.append((t, "SPY", d, right, float(k), round(mid - half, 2), round(mid + half, 2), 10.0, 10.0))
    q = pd.DataFrame(rows, columns=["ts", "root", "expiry", "right", "strike", "bid", "ask", "bid_size", "ask_size"])
    write_quotes(root, "SPY", q.sort_values("ts", kind="stable"))
    return root


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    return _lake(tmp_path_factory.mktemp("reports") / "lake")


def test_market_facts_smoke(lake, tmp_path, monkeypatch):
    monkeypatch.setenv("APCA_API_SECRET_KEY", FAKE_SECRET)
    monkeypatch.setenv("APCA_API_KEY_ID", FAKE_KEY_ID)
    t0 = time.perf_counter()
    html = render_report("market-facts", tmp_path / "out", {"store": str(lake), "max_days": 30})
    seconds = time.perf_counter() - t0
    assert html == tmp_path / "out" / "market_facts.html" and html.is_file()
    assert (tmp_path / "out" / "market_facts.ipynb").is_file()
    page = html.read_text()
    assert "Market facts" in page and "<img" in page and "daily return volatility" in page
    metrics = report_metrics(html)
    for key in ("daily_vol", "daily_kurtosis", "intraday_vol", "volume_share_open", "vix_median", "vrp_mean",
                "spread_atm", "spread_close"):
        v = metrics[f"synthetic_{key}"]
        assert isinstance(v, float) and math.isfinite(v), (key, v)
    assert 0.02 < metrics["synthetic_daily_vol"] < 1.0
    assert metrics["synthetic_volume_share_open"] > 1 / 13           # the U shape planted in the fixture
    if real_data_dir() is not None:
        for key in ("daily_vol", "daily_kurtosis", "vix_median", "vrp_mean"):
            assert math.isfinite(metrics[f"real_{key}"]), key
    # the planted keys appear nowhere in what was written
    for p in (tmp_path / "out").iterdir():
        text = p.read_text()
        assert FAKE_SECRET not in text and FAKE_KEY_ID not in text, p.name
    assert seconds < 45, seconds


def test_parameters_checked_before_running(lake, tmp_path, monkeypatch):
    def _no_run(*a, **k): raise AssertionError("the template ran")
    monkeypatch.setattr(reports, "_execute", _no_run)
    with pytest.raises(ConfigError, match="unknown parameter 'max_day'.*did you mean: max_days"):
        render_report("market_facts", tmp_path / "out", {"store": str(lake), "max_day": 5})
    with pytest.raises(ConfigError, match="parameter 'max_days' must be a int, got str"):
        render_report("market_facts", tmp_path / "out", {"max_days": "5"})
    with pytest.raises(ConfigError, match="parameter 'store' must be a str"):
        render_report("market_facts", tmp_path / "out", {"store": 3})
    with pytest.raises(ConfigError, match="unknown report template 'market_fact'"):
        render_report("market_fact", tmp_path / "out", {})
    monkeypatch.setenv("APCA_API_SECRET_KEY", FAKE_SECRET)
    with pytest.raises(ConfigError, match="APCA_API_SECRET_KEY"):
        render_report("market_facts", tmp_path / "out", {"store": FAKE_SECRET})
    assert not (tmp_path / "out").exists()


def test_template_parameters_documented():
    "Every template's parameters are typed and carry a comment (the docs of the report)."
    names = reports.list_templates()
    assert "market_facts" in names
    for name in names:
        params = reports.template_parameters(name)
        assert params, name
        assert all(p.help for p in params.values()), name
    mf = reports.template_parameters("market_facts")
    assert {k: (p.type, p.default) for k, p in mf.items()} == {"store": (str, ""), "real_dir": (str, ""), "max_days": (int, 60)}


def test_real_folder_missing_is_stated(tmp_path):
    html = render_report("market_facts", tmp_path, {"real_dir": str(tmp_path / "nowhere")}, name="no_real")
    metrics = report_metrics(html)
    assert metrics["real_daily_vol"] is None and metrics["synthetic_daily_vol"] is None
    page = html.read_text()
    assert "nowhere does not exist" in page and "no lake given" in page


def test_kernel_never_sees_the_keys_and_the_scan_is_the_last_guard(tmp_path, monkeypatch):
    """The kernel's environment has no Alpaca keys (a template printing them prints None); a template that prints a
    key it found elsewhere (here: a file) is caught by the output scan: a clear error, nothing written."""
    monkeypatch.setenv("APCA_API_SECRET_KEY", FAKE_SECRET)
    (tmp_path / "creds.txt").write_text(f"secret={FAKE_SECRET}\n")
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("# parameters\npath: str = ''  # a file to print"),
        nbformat.v4.new_code_cell("import os\nprint('key:', os.environ.get('APCA_API_SECRET_KEY'))\n"
                                  "if path: print(open(path).read())")])
    nbformat.write(nb, tmp_path / "leaky.ipynb")
    html = render_report(tmp_path / "leaky.ipynb", tmp_path / "ok")
    assert "key: None" in html.read_text() and FAKE_SECRET not in html.read_text()
    with pytest.raises(ZerodteError, match=r"would contain the value of \$APCA_API_SECRET_KEY; nothing was written") as e:
        render_report(tmp_path / "leaky.ipynb", tmp_path / "out", {"path": str(tmp_path / "creds.txt")})
    assert FAKE_SECRET not in str(e.value)
    assert not (tmp_path / "out").exists()
