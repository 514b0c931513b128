"""Every file of the real data folder imports into a lake with the row counts its README states (minus rows the README
marks as non-data, or rows a documented rule of zerodte.data.files rejects — each such count is re-derived here with
plain pandas from the raw file, independently of the importer)."""
from pathlib import Path

import exchange_calendars as xcals
import numpy as np
import pandas as pd
import pytest

from zerodte.core import real_data_dir, real_data_missing_reason, TZ_NAME
from zerodte.data.files import import_file, load_file, option_symbol

pytestmark = pytest.mark.skipif(real_data_dir() is None, reason=real_data_missing_reason() or "no real data")
LEAN = "quantconnect_lean_samples"
EOD = "spxw_option_chains_eod"


@pytest.fixture
def store():
    return pytest.importorskip("zerodte.data.store")


def raw(rel: str) -> pd.DataFrame:
    return pd.read_csv(Path(real_data_dir()) / rel, encoding="utf-8-sig")


def imported(store, tmp_path, rel: str, **kw):
    "Import one real file into a fresh lake; (lake, summary)."
    lake = store.Lake(tmp_path / "lake", durable=False)   # scratch lake: skip fsync (durability is the store's test)
    summary = import_file(lake, Path(real_data_dir()) / rel, **kw)
    assert set(summary["status"]) == {"written"}
    return lake, summary


# ---- bars -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("rel,symbol,rows,first", [
    (f"{LEAN}/spy_daily.csv", "SPY", 5849, "1998-01-02"),
    (f"{LEAN}/qqq_daily.csv", "QQQ", 3964, "1999-03-10"),
])
def test_lean_daily(store, tmp_path, rel, symbol, rows, first):
    lake, summary = imported(store, tmp_path, rel)
    bars = store.read_bars(lake, symbol, timeframe="1d")
    r = raw(rel)
    assert len(bars) == rows == len(r) == int(summary["rows"].sum())
    assert bars.index[0] == pd.Timestamp(first, tz=TZ_NAME)
    np.testing.assert_array_equal(bars["close"].to_numpy(), r["close"].to_numpy(dtype=float))
    np.testing.assert_array_equal(bars["volume"].to_numpy(), r["volume"].to_numpy(dtype=float))


def test_lean_hour(store, tmp_path):
    lake, _ = imported(store, tmp_path, f"{LEAN}/spy_hour.csv")
    bars = store.read_bars(lake, "SPY", timeframe="1h")
    assert len(bars) == 40832
    assert bars.index[0] == pd.Timestamp("1998-01-02 09:00", tz=TZ_NAME)     # Lean's 09:00 bar: overlaps the open
    assert bars.index[-1] == pd.Timestamp("2021-03-31 15:00", tz=TZ_NAME)
    np.testing.assert_array_equal(bars["open"].to_numpy(), raw(f"{LEAN}/spy_hour.csv")["open"].to_numpy(dtype=float))


def test_lean_equity_minute_trades(store, tmp_path):
    rel = f"{LEAN}/spy_equity_minute_trades.csv"
    [f] = load_file(Path(real_data_dir()) / rel)
    r = raw(rel)
    # the README calls the 2013 days RTH, but every day starts at 04:00-04:06: extended hours are flagged, not dropped.
    # All 7 days are full sessions (09:30-16:00), so outside = before 09:30 or from 16:00 on.
    outside = int(((r["time_et"] < "09:30") | (r["time_et"] >= "16:00")).sum())
    assert f.frame.attrs["outside_session"] == outside == 3056
    lake, _ = imported(store, tmp_path, rel)
    assert len(store.read_bars(lake, "SPY", timeframe="1min")) == 5786 == len(r)


def test_lean_index_minute_has_zero_volume(store, tmp_path):
    lake, _ = imported(store, tmp_path, f"{LEAN}/spx_index_minute.csv")
    bars = store.read_bars(lake, "SPX", timeframe="1min")
    assert len(bars) == 1812
    assert (bars["volume"] == 0).all()
    assert bars.index[0] == pd.Timestamp("2021-01-04 09:30", tz=TZ_NAME)


def test_lean_equity_minute_quotes_become_bid_and_ask_bars(store, tmp_path):
    rel = f"{LEAN}/spy_equity_minute_quotes.csv"
    lake, _ = imported(store, tmp_path, rel)
    r = raw(rel)
    bid, ask = (store.read_bars(lake, s, timeframe="1min") for s in ("SPY.BID", "SPY.ASK"))
    assert len(bid) == len(ask) == 6373 == len(r)
    np.testing.assert_array_equal(bid["close"].to_numpy(), r["bid_close"].to_numpy(dtype=float))
    np.testing.assert_array_equal(ask["high"].to_numpy(), r["ask_high"].to_numpy(dtype=float))
    assert (ask["close"] >= bid["close"]).all()


def test_lean_option_trades_become_contract_bars(store, tmp_path):
    rel = f"{LEAN}/option_minute_trades.csv"
    lake, summary = imported(store, tmp_path, rel)
    r = raw(rel)
    contracts = r.groupby(["root", "expiry", "right", "strike"]).size()
    assert int(summary["rows"].sum()) == 9025 == len(r)
    assert summary["symbol"].nunique() == len(contracts)
    k = ("SPXW", "2021-01-04", "C", 3700.0)
    bars = store.read_bars(lake, option_symbol(*k[:1], k[1], k[2], k[3]), timeframe="1min")
    assert len(bars) == contracts[k] == 329
    assert bars.index.min() == pd.Timestamp("2021-01-04 09:33", tz=TZ_NAME)


def test_lean_option_universe_daily(store, tmp_path):
    rel = f"{LEAN}/option_universe_daily_greeks.csv"
    r = raw(rel)
    underlying = int(r["expiry"].isna().sum())                                       # README: the underlying's bar
    zero = int((r["expiry"].notna() & (r[["open", "high", "low", "close"]] == 0).all(axis=1)).sum())
    assert (len(r), underlying, zero) == (789, 21, 12)
    lake, summary = imported(store, tmp_path, rel)
    assert int(summary["rows"].sum()) == 789 - underlying - zero == 756
    opts = r[r["expiry"].notna()]
    k = opts.iloc[0]
    sym = option_symbol(k["root"], str(int(k["expiry"])), k["right"], k["strike"])
    bars = store.read_bars(lake, sym, timeframe="1d")
    assert bars.index[0] == pd.Timestamp(k["date"], tz=TZ_NAME)
    assert bars["close"].iloc[0] == k["close"]


def test_eod_long_file_with_root_column(store, tmp_path):
    rel = "eod_spx_vix_spy_qqq/ALL_eod.csv"
    r = raw(rel)
    cal = xcals.get_calendar("XNYS", start="1994-01-03", end="2026-12-31")
    vix = r[r["root"] == "VIX"]
    vix_holidays = int((~pd.to_datetime(vix["Date"]).isin(cal.sessions)).sum())     # Cboe publishes VIX on NYSE holidays
    assert vix_holidays == 29
    lake, summary = imported(store, tmp_path, rel)
    readme = {"SPX": 7836, "VIX": 7865, "SPY": 4056, "QQQ": 1283}
    for root, n in readme.items():
        bars = store.read_bars(lake, root, timeframe="1d")
        assert len(bars) == n - (vix_holidays if root == "VIX" else 0), root
        assert len(bars) == int(summary.loc[summary["symbol"] == root, "rows"].sum())
    spy = store.read_bars(lake, "SPY", timeframe="1d")
    np.testing.assert_array_equal(spy["close"].to_numpy(), r.loc[r["root"] == "SPY", "Close"].to_numpy(dtype=float))


# ---- option quotes --------------------------------------------------------------------------------------------

def test_lean_option_quotes(store, tmp_path):
    rel = f"{LEAN}/option_minute_quotes.csv"
    r = raw(rel)
    crossed = r["bid_close"] > r["ask_close"]                                         # documented rejection
    assert (len(r), int(crossed.sum())) == (29628, 56)
    lake, summary = imported(store, tmp_path, rel)
    assert int(summary["rows"].sum()) == 29628 - 56
    for root, n in r[~crossed].groupby("root").size().items():
        q = store.read_quotes(lake, root)
        assert len(q) == n, root
    q = store.read_quotes(lake, "SPXW", start="2021-01-04", end="2021-01-04")
    zero_dte = q[(q["expiry"] == pd.Timestamp("2021-01-04")) & (q["right"] == "C") & (q["strike"] == 3700)]
    assert len(zero_dte) == 390
    # the 09:30 bar's close bid/ask is the quote observed at 09:31
    first = zero_dte.sort_values("ts").iloc[0]
    src = r[(r["date"] == "2021-01-04") & (r["root"] == "SPXW") & (r["expiry"] == "2021-01-04") & (r["right"] == "C")
            & (r["strike"] == 3700) & (r["time_et"] == "09:30")].iloc[0]
    assert first["ts"] == pd.Timestamp("2021-01-04 09:31", tz=TZ_NAME)
    assert (first["bid"], first["ask"]) == (src["bid_close"], src["ask_close"])
    for d in ("2021-01-04", "2021-01-06", "2021-01-08"):                              # README: 0DTE on these days
        day = store.read_quotes(lake, "SPXW", start=d, end=d)
        assert (day["expiry"] == pd.Timestamp(d)).any(), d
    no_bid = r["bid_close"].isna() & ~crossed
    assert int((store.read_quotes(lake, "SPX")["bid"] == 0).sum()) == int(no_bid[r["root"] == "SPX"].sum())


def test_lean_open_interest(store, tmp_path):
    rel = f"{LEAN}/option_open_interest.csv"
    lake, summary = imported(store, tmp_path, rel)
    r = raw(rel)
    tables = [store.read_table(lake, f"open_interest/{root}") for root in ("SPX", "SPXW")]
    assert sum(len(t) for t in tables) == 28 == len(r) == int(summary["rows"].sum())
    assert sum(int(t["open_interest"].sum()) for t in tables) == int(r["open_interest"].sum())
    # re-import: nothing changes
    again = import_file(lake, Path(real_data_dir()) / rel)
    assert set(again["status"]) == {"unchanged"}


def test_cboe_eod_chain(store, tmp_path):
    rel = f"{EOD}/spxw_20190626_cboe_eod.csv"
    lake, _ = imported(store, tmp_path, rel)
    q = store.read_quotes(lake, "SPXW")
    assert len(q) == 10384
    assert (q["ts"] == pd.Timestamp("2019-06-26 15:45", tz=TZ_NAME)).all()
    z = q[q["expiry"] == pd.Timestamp("2019-06-26")]                                # README's 0DTE figures
    assert len(z) == 322 and z["strike"].nunique() == 161
    assert (z["strike"].min(), z["strike"].max()) == (1700, 3400)
    assert int((z["bid"] > 0).sum()) == 163
    assert int(z["volume"].sum()) == 196966 and int(z["open_interest"].sum()) == 294667
    assert q["expiry"].nunique() == 30


def test_wide_chain(store, tmp_path):
    rel = f"{EOD}/spxw_20250903_chain.csv"
    r = raw(rel)
    twice = r.duplicated(["ExpDate", "Strike"], keep=False)                          # documented rejection
    assert (len(r), int(twice.sum())) == (3036, 352)
    lake, _ = imported(store, tmp_path, rel)
    q = store.read_quotes(lake, "SPXW")
    assert len(q) == 2 * (3036 - 352)
    assert (q["ts"] == pd.Timestamp("2025-09-03 16:00", tz=TZ_NAME)).all()         # stamped at the session close
    one_dte = q[q["expiry"] == pd.Timestamp("2025-09-04")]
    assert one_dte["strike"].nunique() == 212 and len(one_dte) == 424
    assert not (q["expiry"] == pd.Timestamp("2025-09-03")).any()                    # README: no 0DTE rows
    calls = one_dte[one_dte["right"] == "C"].sort_values("strike")
    src = r[r["ExpDate"] == "2025-09-04"].sort_values("Strike")
    np.testing.assert_array_equal(calls["bid"].to_numpy(), src["CallBid"].to_numpy(dtype=float))
    [f] = load_file(Path(real_data_dir()) / rel, snapshot_time="15:45")
    assert (f.frame["ts"] == pd.Timestamp("2025-09-03 15:45", tz=TZ_NAME)).all()
