"""zerodte.data.alpaca against a fake Alpaca server on 127.0.0.1 (tests/fake_alpaca.py), through the real alpaca-py clients.

Nothing here touches the internet: every client is pointed at the fake with AlpacaConfig(url_override=...).
"""
import logging, socket, time, traceback

import pandas as pd
import pytest

from fake_alpaca import FakeAlpaca, make_bars, make_snapshot
from zerodte.core import BrokerError, CredentialsError, DataError, TZ_NAME
from zerodte.data.alpaca import (AlpacaConfig, credentials_from_env, fetch_option_bars, fetch_option_chain,
                                 fetch_stock_bars, fetch_to_store, option_client, stock_client)
from zerodte.data.schema import validate_quotes

NY = TZ_NAME


@pytest.fixture
def fake(monkeypatch):
    with FakeAlpaca() as f:
        monkeypatch.setenv("APCA_API_KEY_ID", f.key_id)
        monkeypatch.setenv("APCA_API_SECRET_KEY", f.secret_key)
        yield f


def fast(fake, **kw) -> AlpacaConfig:
    "A config pointed at the fake, with tiny waits."
    args = dict(url_override=fake.url, backoff_seconds=0.01, max_backoff_seconds=0.05, timeout_seconds=2.0)
    args.update(kw)
    return AlpacaConfig(**args)


def expected_frame(raw: list[dict]) -> pd.DataFrame:
    "The bars contract built directly from raw Alpaca bars (the reference the module must match)."
    idx = pd.DatetimeIndex([pd.Timestamp(b["t"]).tz_convert(NY) for b in raw], name="ts").as_unit("ns")
    return pd.DataFrame({"open": [b["o"] for b in raw], "high": [b["h"] for b in raw], "low": [b["l"] for b in raw],
                         "close": [b["c"] for b in raw], "volume": [b["v"] for b in raw],
                         "vwap": [b["vw"] for b in raw], "trade_count": [float(b["n"]) for b in raw]},
                        index=idx, dtype="float64")


def assert_bars_equal(got: pd.DataFrame, raw: list[dict]):
    pd.testing.assert_frame_equal(got[["open", "high", "low", "close", "volume", "vwap", "trade_count"]],
                                  expected_frame(raw), check_freq=False)


# ---------------------------------------------------------------- bars: time mapping, pagination, filtering
def test_bars_utc_to_new_york_bar_start(fake):
    # hand-checked: 14:30Z in January is 09:30 EST; 13:30Z in July is 09:30 EDT; the Mondays after both DST changes
    raw = [make_bars(t, 1, seed=i)[0] for i, t in enumerate(
        ["2024-01-02T14:30:00Z", "2024-03-11T13:30:00Z", "2024-07-01T13:30:00Z", "2024-11-04T14:30:00Z"])]
    fake.stock_bars["SPY"] = raw
    got = fetch_stock_bars("SPY", "2024-01-01", "2024-12-31", config=fast(fake))["SPY"]
    assert [t.strftime("%Y-%m-%d %H:%M %z") for t in got.index] == [
        "2024-01-02 09:30 -0500", "2024-03-11 09:30 -0400", "2024-07-01 09:30 -0400", "2024-11-04 09:30 -0500"]
    assert str(got.index.tz) == NY and got.index.name == "ts"
    assert_bars_equal(got, raw)


def test_multi_symbol_pagination_follows_tokens(fake):
    fake.page_size = 100                              # the server cuts pages at 100 bars (of all symbols together)
    spy, qqq = make_bars("2024-01-02T14:30:00Z", 390, seed=1), make_bars("2024-01-02T14:30:00Z", 390, price=400, seed=2)
    fake.stock_bars.update(SPY=spy, QQQ=qqq)
    got = fetch_stock_bars(["SPY", "QQQ"], "2024-01-02", "2024-01-02", config=fast(fake))
    assert set(got) == {"SPY", "QQQ"}
    assert_bars_equal(got["SPY"], spy)                # no duplicate, no missing bar across 8 pages
    assert_bars_equal(got["QQQ"], qqq)
    hits = fake.hits("/v2/stocks/bars")
    assert len(hits) == 8                             # ceil(780 / 100)
    assert "page_token" not in hits[0].query
    for prev, cur in zip(hits, hits[1:]):
        assert cur.query["page_token"] == prev.next_page_token   # the SDK followed each token it was given
    assert hits[-1].next_page_token is None
    q = hits[0].query
    assert q["symbols"] == "SPY,QQQ" and q["timeframe"] == "1Min" and q["limit"] == "10000"
    assert q["feed"] == "sip" and q["adjustment"] == "raw"
    assert pd.Timestamp(q["start"]) == pd.Timestamp("2024-01-02 00:00", tz=NY)
    assert pd.Timestamp(q["end"]) == pd.Timestamp("2024-01-02 23:59:59.999999", tz=NY)
    for h in hits:                                    # keys sent on every page
        assert h.headers["APCA-API-KEY-ID"] == fake.key_id and h.headers["APCA-API-SECRET-KEY"] == fake.secret_key


def test_feed_adjustment_and_timeframe_are_sent(fake):
    fake.stock_bars["SPY"] = make_bars("2024-01-02T05:00:00Z", 3, step_minutes=24 * 60)   # daily bars: NY midnight
    got = fetch_stock_bars("SPY", "2024-01-02", "2024-01-04", timeframe="1d",
                           config=fast(fake, feed="iex", adjustment="all"))["SPY"]
    q = fake.hits("/v2/stocks/bars")[0].query
    assert (q["feed"], q["adjustment"], q["timeframe"]) == ("iex", "all", "1Day")
    assert list(got.index) == list(pd.date_range("2024-01-02", periods=3, freq="D", tz=NY, name="ts"))
    assert got.attrs["timeframe"] == "1d"


def test_extended_hours_dropped_unless_asked(fake):
    raw = make_bars("2024-01-02T09:00:00Z", 12 * 60, seed=3)   # 04:00 .. 15:59 New York
    raw += make_bars("2024-01-02T21:00:00Z", 60, seed=4)       # 16:00 .. 16:59 post-market
    fake.stock_bars["SPY"] = raw
    regular = fetch_stock_bars("SPY", "2024-01-02", "2024-01-02", config=fast(fake))["SPY"]
    hhmm = [pd.Timestamp(b["t"]).tz_convert(NY).strftime("%H:%M") for b in raw]
    assert_bars_equal(regular, [b for b, t in zip(raw, hhmm) if "09:30" <= t < "16:00"])
    assert len(regular) == 390
    everything = fetch_stock_bars("SPY", "2024-01-02", "2024-01-02", config=fast(fake, extended_hours=True))["SPY"]
    assert_bars_equal(everything, raw)


def test_symbols_are_chunked(fake):
    for i, s in enumerate(["AAA", "BBB", "CCC"]): fake.stock_bars[s] = make_bars("2024-01-02T14:30:00Z", 5, seed=i)
    got = fetch_stock_bars(["AAA", "BBB", "CCC"], "2024-01-02", "2024-01-02", config=fast(fake, symbols_per_request=2))
    assert sorted(got) == ["AAA", "BBB", "CCC"]
    assert [h.query["symbols"] for h in fake.hits("/v2/stocks/bars")] == ["AAA,BBB", "CCC"]


def test_empty_response_is_a_clear_error(fake):
    fake.stock_bars["SPY"] = make_bars("2024-01-02T14:30:00Z", 5)
    with pytest.raises(DataError) as e:
        fetch_stock_bars("SPY", "2024-01-06", "2024-01-07", config=fast(fake))   # a weekend
    msg = str(e.value)
    assert "no 1min bars for SPY in 2024-01-06 00:00..2024-01-07 23:59 New York" in msg and "weekends" in msg
    assert len(fake.hits("/v2/stocks/bars")) == 1
    with pytest.raises(DataError, match="no 1min bars for QQQ in"):            # one of two symbols missing
        fetch_stock_bars(["SPY", "QQQ"], "2024-01-02", "2024-01-02", config=fast(fake))


# ---------------------------------------------------------------- option bars and the chain
def test_option_bars_per_contract(fake):
    fake.page_size = 7
    c475, c480 = "SPY240102C00475000", "SPY240102C00480000"
    fake.option_bars[c475] = make_bars("2024-01-02T14:30:00Z", 20, price=1.2, seed=5)
    fake.option_bars[c480] = make_bars("2024-01-02T15:00:00Z", 4, step_minutes=5, price=0.3, seed=6)
    got = fetch_option_bars([c475, c480, "SPY240102C00600000"], "2024-01-02", "2024-01-02", config=fast(fake))
    assert sorted(got) == [c475, c480]               # the untraded contract has no bars and is left out
    assert_bars_equal(got[c475], fake.option_bars[c475])
    assert_bars_equal(got[c480], fake.option_bars[c480])
    hits = fake.hits("/v1beta1/options/bars")
    assert len(hits) == 4 and hits[0].query["symbols"] == f"{c475},{c480},SPY240102C00600000"  # ceil(24 / 7)
    with pytest.raises(DataError, match="no 1min bars for SPY240102C00600000"):
        fetch_option_bars(["SPY240102C00600000"], "2024-01-02", "2024-01-02", config=fast(fake))


def _chain(fake):
    t = "2024-01-02T15:00:00Z"
    fake.chains["SPY"] = {
        "SPY240102C00475000": make_snapshot(t, 1.21, 1.24, 40, 55, last=1.22),
        "SPY240102P00475000": make_snapshot("2024-01-02T14:59:30Z", 0.98, 1.01, 30, 20),
        "SPY240102C00480000": make_snapshot(t, 0.05, 0.07),
        "SPY240102P00470000": make_snapshot(t, 0.40, 0.39),                 # crossed: dropped
        "SPY240102P00400000": {"latestTrade": {"t": t, "p": 0.01, "s": 1}},  # no quote: dropped
        "SPY240103C00475000": make_snapshot(t, 2.50, 2.55),                 # another expiry
    }


def test_option_chain_snapshot_to_quotes(fake):
    fake.page_size = 2
    _chain(fake)
    cfg = fast(fake)
    q = fetch_option_chain("SPY", expiry="2024-01-02", config=cfg)
    hits = fake.hits("/v1beta1/options/snapshots/SPY")
    assert len(hits) == 3                                     # 5 contracts expiring that day, 2 per page
    assert hits[0].query["expiration_date"] == "2024-01-02" and hits[0].query["feed"] == "indicative"
    assert hits[0].query["limit"] == "1000"
    assert [h.query.get("page_token") for h in hits[1:]] == [h.next_page_token for h in hits[:-1]]
    pd.testing.assert_frame_equal(validate_quotes(q), q)     # passes the contract as returned
    # by hand: quote time order (the put's quote is 30 s older), then expiry, right, strike
    assert list(zip(q["right"], q["strike"], q["bid"], q["ask"])) == [
        ("P", 475.0, 0.98, 1.01), ("C", 475.0, 1.21, 1.24), ("C", 480.0, 0.05, 0.07)]
    assert q["ts"].tolist() == [pd.Timestamp("2024-01-02 09:59:30", tz=NY)] + [pd.Timestamp("2024-01-02 10:00", tz=NY)] * 2
    assert (q["expiry"] == pd.Timestamp("2024-01-02")).all() and (q["root"] == "SPY").all()
    assert q.loc[q["strike"].eq(475) & q["right"].eq("C"), ["bid_size", "ask_size", "last"]].values.tolist() == [[40, 55, 1.22]]
    assert q.attrs["dropped"] == {"no_quote": 1, "crossed": 1}
    # every expiry, and "0dte" relative to a given now
    assert len(fetch_option_chain("SPY", config=cfg)) == 4
    zero = fetch_option_chain("SPY", expiry="1dte", config=cfg, now=pd.Timestamp("2024-01-02 15:00", tz=NY))
    assert zero["strike"].tolist() == [475.0] and fake.requests[-1].query["expiration_date"] == "2024-01-03"
    with pytest.raises(DataError, match="no option contracts for SPY expiring 2024-01-05"):
        fetch_option_chain("SPY", expiry="2024-01-05", config=cfg)


def test_option_chain_feed_is_sent(fake):
    _chain(fake)
    fetch_option_chain("SPY", expiry="2024-01-03", config=fast(fake, option_feed="opra"))
    assert fake.hits("/v1beta1/options/snapshots/SPY")[0].query["feed"] == "opra"


# ---------------------------------------------------------------- retries and failures
def test_retries_then_success(fake):
    fake.stock_bars["SPY"] = raw = make_bars("2024-01-02T14:30:00Z", 10)
    fake.fail(429, times=2)
    t0 = time.perf_counter()
    got = fetch_stock_bars("SPY", "2024-01-02", "2024-01-02", config=fast(fake, backoff_seconds=0.05, max_backoff_seconds=1))
    elapsed = time.perf_counter() - t0
    assert_bars_equal(got["SPY"], raw)
    assert [h.status for h in fake.hits()] == [429, 429, 200]
    assert elapsed >= 0.05 + 0.10                             # the backoff doubled: 0.05 s then 0.10 s


def test_a_failed_page_is_retried_not_the_whole_download(fake):
    fake.page_size = 100
    fake.stock_bars["SPY"] = raw = make_bars("2024-01-02T14:30:00Z", 390)
    fake.fail(500, times=1, after=2)                          # the third request (page 3) fails once
    got = fetch_stock_bars("SPY", "2024-01-02", "2024-01-02", config=fast(fake))
    assert_bars_equal(got["SPY"], raw)
    hits = fake.hits()
    assert [h.status for h in hits] == [200, 200, 500, 200, 200]   # 4 pages + 1 retry
    assert hits[2].query == hits[3].query and "page_token" in hits[2].query


def test_retries_exhausted_is_a_clear_broker_error(fake):
    fake.stock_bars["SPY"] = make_bars("2024-01-02T14:30:00Z", 10)
    fake.fail(503, times=None)
    with pytest.raises(BrokerError) as e:
        fetch_stock_bars("SPY", "2024-01-02", "2024-01-02", config=fast(fake, max_retries=2))
    err, msg = e.value, str(e.value)
    assert "HTTP 503" in msg and "after 3 attempts" in msg and f"{fake.url}/v2/stocks/bars" in msg and "Fix:" in msg
    assert (err.status, err.attempts, err.endpoint) == (503, 3, f"{fake.url}/v2/stocks/bars")
    assert len(fake.hits()) == 3
    fake.requests.clear(); fake.clear_failures(); fake.fail(429, times=None)
    with pytest.raises(BrokerError, match="rate limit"):
        fetch_stock_bars("SPY", "2024-01-02", "2024-01-02", config=fast(fake, max_retries=1))
    assert len(fake.hits()) == 2


def test_sdk_own_retry_loop_is_off(fake):
    # alpaca-py alone would retry a 429 three times, 3 s apart; with max_retries=0 we must see exactly one request
    fake.fail(429, times=None)
    t0 = time.perf_counter()
    with pytest.raises(BrokerError, match="after 1 attempt"):
        fetch_stock_bars("SPY", "2024-01-02", "2024-01-02", config=fast(fake, max_retries=0))
    assert len(fake.hits()) == 1 and time.perf_counter() - t0 < 1.0


def test_retry_after_is_honoured_and_capped(fake):
    fake.stock_bars["SPY"] = make_bars("2024-01-02T14:30:00Z", 3)
    fake.fail(429, times=1, headers={"Retry-After": "0.3"})
    t0 = time.perf_counter()
    fetch_stock_bars("SPY", "2024-01-02", "2024-01-02", config=fast(fake, max_backoff_seconds=1.0))
    assert time.perf_counter() - t0 >= 0.3
    fake.fail(429, times=1, headers={"Retry-After": "120"})
    t0 = time.perf_counter()
    fetch_stock_bars("SPY", "2024-01-02", "2024-01-02", config=fast(fake, max_backoff_seconds=0.1))
    assert time.perf_counter() - t0 < 2.0


def test_client_errors_are_not_retried(fake):
    fake.fail(422, times=None, body={"code": 42210000, "message": "invalid symbol: SPYY"})
    with pytest.raises(BrokerError) as e:
        fetch_stock_bars("SPYY", "2024-01-02", "2024-01-02", config=fast(fake))
    assert "HTTP 422" in str(e.value) and "invalid symbol: SPYY" in str(e.value) and "check the symbols" in str(e.value)
    assert len(fake.hits()) == 1


def test_subscription_403_is_not_a_key_problem(fake):
    fake.fail(403, body={"message": "subscription does not permit querying recent SIP data"})
    with pytest.raises(BrokerError) as e:
        fetch_stock_bars("SPY", "2024-01-02", "2024-01-02", config=fast(fake))
    assert not isinstance(e.value, CredentialsError) and "feed='iex'" in str(e.value)


def test_rejected_keys(fake, monkeypatch):
    monkeypatch.setenv("APCA_API_SECRET_KEY", "wrong-secret-value-123")
    with pytest.raises(CredentialsError) as e:
        fetch_stock_bars("SPY", "2024-01-02", "2024-01-02", config=fast(fake))
    assert "rejected" in str(e.value) and "HTTP 401" in str(e.value) and "wrong-secret-value-123" not in str(e.value)
    assert len(fake.hits()) == 1


def test_timeout_then_broker_error(fake):
    fake.hang(1.5, times=None)
    t0 = time.perf_counter()
    with pytest.raises(BrokerError, match="timeout") as e:
        fetch_stock_bars("SPY", "2024-01-02", "2024-01-02", config=fast(fake, timeout_seconds=0.2, max_retries=1))
    assert time.perf_counter() - t0 < 1.2 and e.value.status is None and len(fake.hits()) == 2


def test_unreachable_server(monkeypatch):
    monkeypatch.setenv("APCA_API_KEY_ID", "PKFAKE0000000000TEST"); monkeypatch.setenv("APCA_API_SECRET_KEY", "s3cr3t-value-xyz")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]   # closed when the block ends: nothing listens there
    cfg = AlpacaConfig(url_override=f"http://127.0.0.1:{port}", backoff_seconds=0.01, max_retries=1, timeout_seconds=1)
    with pytest.raises(BrokerError, match="could not reach the server.*after 2 attempts.*check the network"):
        fetch_stock_bars("SPY", "2024-01-02", "2024-01-02", config=cfg)


def test_malformed_answers(fake):
    fake.raw("this is not json")
    with pytest.raises(BrokerError, match="not valid JSON"):
        fetch_stock_bars("SPY", "2024-01-02", "2024-01-02", config=fast(fake))
    assert len(fake.hits()) == 1
    fake.raw('{"bars": null, "next_page_token": null}')
    with pytest.raises(BrokerError, match="unexpected response from Alpaca"):
        fetch_stock_bars("SPY", "2024-01-02", "2024-01-02", config=fast(fake))


# ---------------------------------------------------------------- keys
def test_missing_keys_no_network_call():
    with FakeAlpaca() as f:
        cfg = AlpacaConfig(url_override=f.url)
        for call in [lambda: fetch_stock_bars("SPY", "2024-01-02", "2024-01-02", config=cfg),
                     lambda: fetch_option_bars("SPY240102C00475000", "2024-01-02", "2024-01-02", config=cfg),
                     lambda: fetch_option_chain("SPY", config=cfg),
                     lambda: stock_client(cfg)]:
            with pytest.raises(CredentialsError) as e:
                call()
            assert "APCA_API_KEY_ID and APCA_API_SECRET_KEY are not set" in str(e.value) and "Fix: export" in str(e.value)
        assert f.requests == []


def test_one_key_missing(monkeypatch):
    monkeypatch.setenv("APCA_API_KEY_ID", "PKFAKE0000000000TEST")
    with pytest.raises(CredentialsError) as e:
        fetch_stock_bars("SPY", "2024-01-02", "2024-01-02", config=AlpacaConfig(url_override="http://127.0.0.1:9"))
    assert "APCA_API_SECRET_KEY is not set" in str(e.value) and "PKFAKE0000000000TEST" not in str(e.value)


def test_secret_never_shown(fake, caplog):
    secret, key = fake.secret_key, fake.key_id
    cfg = fast(fake, max_retries=1)
    shown = [repr(cfg), str(cfg), repr(credentials_from_env()), str(credentials_from_env()),
             repr(stock_client(cfg)), str(stock_client(cfg)), repr(option_client(cfg)), str(cfg.to_dict())]
    for s in shown:
        assert secret not in s and key not in s, s
    # a server that echoes the request headers (keys included) into its error body: scrubbed from our message
    caplog.set_level(logging.DEBUG)
    fake.fail(500, times=None, echo_headers=True)
    with pytest.raises(BrokerError) as e:
        fetch_stock_bars("SPY", "2024-01-02", "2024-01-02", config=cfg)
    text = "".join(traceback.format_exception(e.value))
    assert "***" in str(e.value)                               # the echo did carry the keys, and they were replaced
    assert secret not in text and key not in text
    assert fake.hits()[0].headers["APCA-API-SECRET-KEY"] == secret   # (the keys were really sent)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert logged and secret not in logged and key not in logged


# ---------------------------------------------------------------- into the lake
@pytest.fixture
def store():
    return pytest.importorskip("zerodte.data.store", reason="zerodte.data.store is not built yet")


def test_fetch_to_store_round_trip(fake, tmp_path, store):
    spy, qqq = make_bars("2024-01-02T14:30:00Z", 390, seed=1), make_bars("2024-01-03T14:30:00Z", 390, price=400, seed=2)
    fake.stock_bars.update(SPY=spy, QQQ=qqq)
    cfg = fast(fake)
    summary = fetch_to_store(tmp_path, "bars", ["SPY", "QQQ"], "2024-01-02", "2024-01-03", "1min", config=cfg)
    assert set(summary["status"]) == {"written"} and summary["rows"].sum() == 780
    assert_bars_equal(store.read_bars(tmp_path, "SPY", timeframe="1min"), spy)
    assert_bars_equal(store.read_bars(tmp_path, "QQQ", timeframe="1min"), qqq)
    fetched = fetch_stock_bars("SPY", "2024-01-02", "2024-01-02", config=cfg)["SPY"]
    pd.testing.assert_frame_equal(store.read_bars(tmp_path, "SPY", timeframe="1min"), fetched, check_freq=False)
    again = fetch_to_store(tmp_path, "bars", ["SPY", "QQQ"], "2024-01-02", "2024-01-03", "1min", config=cfg)
    assert set(again["status"]) == {"unchanged"}


def test_fetch_to_store_writes_nothing_on_failure(fake, tmp_path, store):
    fake.stock_bars["SPY"] = make_bars("2024-01-02T14:30:00Z", 30)
    fake.stock_bars["QQQ"] = make_bars("2024-01-03T14:30:00Z", 30, price=400)
    fetch_to_store(tmp_path, "bars", ["SPY"], "2024-01-02", "2024-01-02", "1min", config=fast(fake))
    before = store.show(tmp_path)
    fake.fail(503, times=None, path="/v2/stocks/bars", after=1)      # the second symbol chunk fails
    with pytest.raises(BrokerError):
        fetch_to_store(tmp_path, "bars", ["QQQ", "SPY"], "2024-01-02", "2024-01-03", "1min",
                       config=fast(fake, symbols_per_request=1, max_retries=1))
    pd.testing.assert_frame_equal(store.show(tmp_path), before)      # QQQ (fetched fine) was not written either
    fake.clear_failures()
    with pytest.raises(DataError, match="no 1min bars for IWM"):     # validation-side failure: same
        fetch_to_store(tmp_path, "bars", ["QQQ", "IWM"], "2024-01-03", "2024-01-03", "1min", config=fast(fake))
    pd.testing.assert_frame_equal(store.show(tmp_path), before)


def test_fetch_to_store_is_one_transaction(fake, tmp_path, store):
    from zerodte.core import StoreError
    fake.stock_bars["QQQ"] = make_bars("2024-01-03T14:30:00Z", 30, price=400, seed=1)
    fetch_to_store(tmp_path, "bars", ["QQQ"], "2024-01-03", "2024-01-03", "1min", config=fast(fake))
    before = store.show(tmp_path)
    fake.stock_bars["QQQ"] = make_bars("2024-01-03T14:30:00Z", 30, price=401, seed=2)   # Alpaca "revised" QQQ
    fake.stock_bars["SPY"] = make_bars("2024-01-03T14:30:00Z", 30, seed=3)
    with pytest.raises(StoreError):          # SPY is written first, then QQQ overlaps with different data
        fetch_to_store(tmp_path, "bars", ["SPY", "QQQ"], "2024-01-03", "2024-01-03", "1min", config=fast(fake))
    pd.testing.assert_frame_equal(store.show(tmp_path), before)      # SPY's write was rolled back
    s = fetch_to_store(tmp_path, "bars", ["SPY", "QQQ"], "2024-01-03", "2024-01-03", "1min", replace=True,
                       config=fast(fake))
    assert dict(zip(s["symbol"], s["status"])) == {"SPY": "written", "QQQ": "replaced"}
    assert_bars_equal(store.read_bars(tmp_path, "QQQ"), fake.stock_bars["QQQ"])


def test_fetch_to_store_option_bars_and_chain(fake, tmp_path, store):
    c = "SPY240102C00475000"
    fake.option_bars[c] = make_bars("2024-01-02T14:30:00Z", 15, price=1.2, seed=7)
    _chain(fake)
    cfg = fast(fake)
    s1 = fetch_to_store(tmp_path, "option-bars", [c], "2024-01-02", "2024-01-02", "1min", config=cfg)
    assert s1["rows"].sum() == 15
    assert_bars_equal(store.read_bars(tmp_path, c, timeframe="1min"), fake.option_bars[c])
    s2 = fetch_to_store(tmp_path, "chain", ["SPY"], config=cfg)
    assert s2["rows"].sum() == 4
    pd.testing.assert_frame_equal(store.read_quotes(tmp_path, "SPY")[["root", "right", "strike", "bid", "ask"]]
                                  .sort_values(["strike", "right"]).reset_index(drop=True),
                                  fetch_option_chain("SPY", config=cfg)[["root", "right", "strike", "bid", "ask"]]
                                  .sort_values(["strike", "right"]).reset_index(drop=True))
