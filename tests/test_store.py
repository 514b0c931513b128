"""zerodte.data.store: what a notebook cell cannot show — crashed and concurrent processes, byte-identical lakes built
by separate interpreters, injected failures in the exported module, and round trips of real market data."""
import os, subprocess, sys, textwrap, time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from zerodte.core import TZ_NAME, StoreError, DataError, session_minutes
from zerodte.data import store
from zerodte.data.schema import validate_bars, validate_quotes
from zerodte.data.store import (Lake, gc, read_bars, read_quotes, show, snapshot, transaction, write_bars,
                                write_quotes, write_table, read_table, write_json, verify)

ROOT = Path(__file__).resolve().parent.parent
SESSIONS = ["2024-03-07", "2024-03-08", "2024-03-11", "2024-03-12", "2024-03-13"]


def bars_day(day, symbol_shift=0.0, n=None):
    ts = session_minutes(day)
    n = n or len(ts)
    close = 100 + symbol_shift + np.cumsum(np.full(n, 0.01))
    return pd.DataFrame({"open": close, "high": close + 0.05, "low": close - 0.05, "close": close,
                         "volume": np.arange(n, dtype=float)}, index=pd.DatetimeIndex(ts[:n], name="ts", freq=None))


def quotes_day(day, root="SPY", minutes=30):
    ts = session_minutes(day)[:minutes]
    k = np.array([500.0, 501.0, 502.0])
    n = len(ts) * len(k) * 2
    return pd.DataFrame({"ts": np.repeat(ts, len(k) * 2), "root": root, "expiry": day,
                         "right": np.tile(np.repeat(["C", "P"], len(k)), len(ts)), "strike": np.tile(k, 2 * len(ts)),
                         "bid": np.round(np.linspace(1, 2, n), 2), "ask": np.round(np.linspace(1, 2, n), 2) + 0.01,
                         "bid_size": 5.0, "ask_size": 7.0})


def ns(frame):
    "A validated frame with its timestamps in the lake's unit (ns); the values are unchanged."
    if "ts" in frame.columns: return frame.assign(ts=frame["ts"].dt.as_unit("ns"))
    return frame.set_axis(frame.index.as_unit("ns"))


def run_py(code, **kw):
    "Run Python code in a fresh interpreter with the project importable."
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], env=env, **kw)


@pytest.fixture
def lake(tmp_path):
    "A lake holding SPY bars on two days and SPY quotes on one."
    root = tmp_path / "lake"
    write_bars(root, "SPY", pd.concat([bars_day(d) for d in SESSIONS[:2]]))
    write_quotes(root, "SPY", quotes_day(SESSIONS[0]))
    return root


def _reads(root):
    return read_bars(root, "SPY"), read_quotes(root, "SPY")


def _assert_same(root, files, reads):
    assert snapshot(root) == files
    for a, b in zip(_reads(root), reads): pd.testing.assert_frame_equal(a, b)


def test_parquet_writer_fails_after_second_partition(lake, monkeypatch):
    files, reads = snapshot(lake), _reads(lake)
    calls, real = [0], store._encode
    def failing(table, kind):
        calls[0] += 1
        if calls[0] > 2: raise OSError("parquet writer failed (injected)")
        return real(table, kind)
    monkeypatch.setattr(store, "_encode", failing)
    with pytest.raises(OSError, match="injected"):
        write_bars(lake, "QQQ", pd.concat([bars_day(d, 50) for d in SESSIONS]))
    assert calls[0] == 3
    _assert_same(lake, files, reads)


def test_validation_error_in_third_symbol_of_a_transaction(lake):
    files, reads = snapshot(lake), _reads(lake)
    bad = bars_day(SESSIONS[2]); bad.iloc[5, bad.columns.get_loc("low")] = 1e6
    with pytest.raises(DataError, match="high < low"):
        with transaction(lake):
            write_bars(lake, "QQQ", pd.concat([bars_day(d, 50) for d in SESSIONS]))
            write_quotes(lake, "QQQ", quotes_day(SESSIONS[2], "QQQ"))
            write_bars(lake, "IWM", bad)
    _assert_same(lake, files, reads)


def test_failure_while_replacing_the_manifest(lake, monkeypatch):
    files, reads = snapshot(lake), _reads(lake)
    def boom(root, data, durable): raise OSError("rename failed (injected)")
    monkeypatch.setattr(store, "_replace_manifest", boom)
    with pytest.raises(OSError, match="injected"):
        write_bars(lake, "SPY", bars_day(SESSIONS[2]))
    _assert_same(lake, files, reads)


def test_keyboard_interrupt_inside_a_transaction(lake):
    files, reads = snapshot(lake), _reads(lake)
    with pytest.raises(KeyboardInterrupt):
        with transaction(lake):
            write_bars(lake, "SPY", bars_day(SESSIONS[2]))
            raise KeyboardInterrupt
    _assert_same(lake, files, reads)


def test_killed_writer_leaves_only_invisible_orphans(lake):
    "A process killed mid-transaction (os._exit: no cleanup runs) changes no read; gc() restores every byte."
    files, reads = snapshot(lake), _reads(lake)
    p = run_py(f"""
        import os, numpy as np, pandas as pd
        from zerodte.core import session_minutes
        from zerodte.data.store import transaction, write_bars
        ts = session_minutes("{SESSIONS[3]}")
        bars = pd.DataFrame({{"open": 1.0, "high": 1.0, "low": 1.0, "close": 1.0, "volume": 0.0}}, index=ts)
        with transaction({str(lake)!r}):
            write_bars({str(lake)!r}, "QQQ", bars)
            os._exit(3)
    """)
    assert p.wait(timeout=60) == 3
    orphans = set(snapshot(lake)) - set(files)
    assert orphans and all(o.startswith("bars/QQQ/") for o in orphans)
    assert snapshot(lake)["manifest.json"] == files["manifest.json"]
    for a, b in zip(_reads(lake), reads): pd.testing.assert_frame_equal(a, b)
    assert "QQQ" not in set(show(lake)["symbol"])
    assert sorted(gc(lake)) == sorted(o for o in orphans if not (lake / o).is_dir())
    assert snapshot(lake) == files
    # the killed writer's lock died with it
    write_bars(Lake(lake, lock_timeout=2), "QQQ", bars_day(SESSIONS[3]))


def test_a_second_writer_waits_for_the_lock(lake, tmp_path):
    flag = tmp_path / "holding"
    p = run_py(f"""
        import time
        from pathlib import Path
        from zerodte.data.store import transaction
        with transaction({str(lake)!r}):
            Path({str(flag)!r}).write_text("x")
            time.sleep(3)
    """)
    try:
        t0 = time.monotonic()
        while not flag.exists():
            assert time.monotonic() - t0 < 60 and p.poll() is None
            time.sleep(0.05)
        with pytest.raises(StoreError, match="locked by another writer"):
            write_bars(Lake(lake, lock_timeout=0.3), "QQQ", bars_day(SESSIONS[3]))
        write_bars(Lake(lake, lock_timeout=30), "QQQ", bars_day(SESSIONS[3]))   # waits, then succeeds
        assert p.wait(timeout=60) == 0
    finally:
        if p.poll() is None: p.kill()
    pd.testing.assert_frame_equal(read_bars(lake, "QQQ"), validate_bars(bars_day(SESSIONS[3])))


def test_concurrent_writers_lose_no_update(tmp_path):
    "Two processes writing 5 days each, interleaved, to one lake: all 10 partitions are there afterwards."
    root = tmp_path / "lake"
    code = """
        import sys, pandas as pd, numpy as np
        from zerodte.core import session_minutes
        from zerodte.data.store import write_bars, Lake
        sym = sys.argv[1] if len(sys.argv) > 1 else "{sym}"
        for day in {days}:
            ts = session_minutes(day)
            bars = pd.DataFrame({{"open": 1.0, "high": 1.0, "low": 1.0, "close": 1.0, "volume": 0.0}}, index=ts)
            write_bars(Lake({root!r}, lock_timeout=60), "{sym}", bars)
    """
    procs = [run_py(code.format(sym=s, days=SESSIONS, root=str(root))) for s in ("AAA", "BBB")]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    s = show(root)
    assert s["symbol"].tolist() == ["AAA", "BBB"] and s["days"].tolist() == [5, 5]
    assert verify(root).empty


def test_readers_see_old_or_new_never_a_mix(tmp_path):
    "A reader polling while another process replaces a day back and forth sees exactly one of the two versions."
    root = tmp_path / "lake"
    a, b = bars_day(SESSIONS[0]), bars_day(SESSIONS[0], 7.0)
    write_bars(root, "SPY", a)
    p = run_py(f"""
        import pandas as pd
        from zerodte.data.store import write_bars
        a = pd.read_pickle({str(tmp_path / 'a.pkl')!r}); b = pd.read_pickle({str(tmp_path / 'b.pkl')!r})
        for i in range(30): write_bars({str(root)!r}, "SPY", b if i % 2 == 0 else a, replace=True)
    """) if not (a.to_pickle(tmp_path / "a.pkl") or b.to_pickle(tmp_path / "b.pkl")) else None
    va, vb, seen = validate_bars(a), validate_bars(b), set()
    while p.poll() is None:
        got = read_bars(root, "SPY")
        seen.add("a" if got.equals(va) else "b" if got.equals(vb) else "mixed")
    assert p.wait() == 0
    assert "mixed" not in seen and seen <= {"a", "b"}


def test_same_writes_in_separate_processes_give_byte_identical_lakes(tmp_path):
    code = """
        import numpy as np, pandas as pd
        from zerodte.core import session_minutes
        from zerodte.data.store import transaction, write_bars, write_quotes, write_table, write_json
        root = {root!r}
        with transaction(root):
            for i, day in enumerate({days}):
                ts = session_minutes(day)
                c = 100 + np.arange(len(ts)) * 0.01 + i
                write_bars(root, "SPY", pd.DataFrame({{"open": c, "high": c + 1, "low": c - 1, "close": c,
                                                      "volume": 1.0}}, index=ts))
            write_table(root, "truth/regimes", pd.DataFrame({{"day": {days}, "regime": ["calm", "stress"] * 2 + ["calm"]}}))
            write_json(root, "truth/config", {{"seed": 7, "days": {days}}})
    """
    procs = [run_py(code.format(root=str(tmp_path / n), days=SESSIONS)) for n in ("one", "two")]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    one, two = snapshot(tmp_path / "one"), snapshot(tmp_path / "two")
    assert one == two and len(one) == 1 + 1 + 5 + 2   # manifest, .lock, 5 partitions, table, json


def test_reading_opens_only_the_needed_partitions(lake, monkeypatch):
    opened, real = [], store._read_bytes
    monkeypatch.setattr(store, "_read_bytes", lambda root, entry: opened.append(entry["file"]) or real(root, entry))
    read_bars(lake, "SPY", SESSIONS[1], SESSIONS[1])
    assert len(opened) == 1 and SESSIONS[1] in opened[0]


def test_real_daily_hourly_minute_bars_round_trip(real_dir, tmp_path):
    lean = real_dir / "quantconnect_lean_samples"
    daily = pd.read_csv(lean / "spy_daily.csv")
    daily.index = pd.DatetimeIndex(pd.to_datetime(daily.pop("date")), name="ts").tz_localize(TZ_NAME)
    hour = pd.read_csv(lean / "spy_hour.csv")
    hour.index = pd.DatetimeIndex(pd.to_datetime(hour.pop("bar_start_et")), name="ts").tz_localize(TZ_NAME)
    minute = pd.read_csv(lean / "spy_equity_minute_trades.csv")
    minute.index = pd.DatetimeIndex(pd.to_datetime(minute.pop("date") + " " + minute.pop("time_et")), name="ts").tz_localize(TZ_NAME)
    root = tmp_path / "lake"
    with transaction(root):
        assert write_bars(root, "SPY", daily)["status"].eq("written").all()
        write_bars(root, "SPY", hour)
        r = write_bars(root, "SPY", minute)
    assert r.attrs["outside_session"] > 0                  # 2023-08-03 has extended hours: kept and counted
    for frame, tf in [(daily, "1d"), (hour, "1h"), (minute, "1min")]:
        pd.testing.assert_frame_equal(read_bars(root, "SPY", timeframe=tf), ns(validate_bars(frame)))
    s = show(root).set_index("timeframe")
    assert s.loc["1d", "rows"] == len(daily) and s.loc["1d", "days"] == len(daily)
    assert s.loc["1h", "days"] == daily.index.normalize().isin(hour.index.normalize()).sum()
    n_year_files = len(list((root / "bars/SPY/1d").iterdir()))
    assert n_year_files == daily.index.year.nunique()      # one file per year, not thousands
    # re-importing a year's slice of what is there is 'unchanged'; one changed day is an overlap naming that day
    assert write_bars(root, "SPY", daily.loc["2020"])["status"].tolist() == ["unchanged"]
    changed = daily.loc["2020"].copy(); changed.loc["2020-03-16", "volume"] += 1
    with pytest.raises(StoreError, match="2020-03-16"):
        write_bars(root, "SPY", changed)


def test_real_option_quotes_round_trip_by_root(real_dir, tmp_path):
    q = pd.read_csv(real_dir / "quantconnect_lean_samples" / "option_minute_quotes.csv")
    q["ts"] = pd.to_datetime(q["date"] + " " + q["time_et"]).dt.tz_localize(TZ_NAME)
    q = q.rename(columns={"bid_close": "bid", "ask_close": "ask"}).sort_values("ts", kind="stable").reset_index(drop=True)
    q[["bid", "ask"]] = q[["bid", "ask"]].fillna(0.0)      # a side with no market is 0 in the contract
    q = q[q["bid"] <= q["ask"]].reset_index(drop=True)     # minute-bar closes can cross; the contract refuses them
    root = tmp_path / "lake"
    summary = write_quotes(root, None, q, source="option_minute_quotes.csv")
    assert sorted(summary["symbol"].unique()) == sorted(q["root"].unique())
    assert summary["rows"].sum() == len(q)
    v = ns(validate_quotes(q))
    for r in q["root"].unique():
        want = v[v["root"] == r].reset_index(drop=True)
        pd.testing.assert_frame_equal(read_quotes(root, r), want)
