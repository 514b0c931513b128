"""Bad-input corpus for zerodte.data.files: every file in tests/corpus/ is refused with a message naming the file, the
line (or row) and the rule, and a failed import leaves the lake byte-identical."""
import hashlib
from pathlib import Path

import pandas as pd
import pytest

from zerodte.core import DataError, StoreError, ZerodteError, TZ_NAME
from zerodte.data.files import load_file, import_file

CORPUS = Path(__file__).parent / "corpus"
NY = "America/New_York"

# (file, load_file keywords, the rule the message must contain, the location it must contain)
BAD = [
    ("empty.csv", {}, "the file is empty", "empty.csv"),
    ("header_only.csv", {}, "header but no data rows", "header_only.csv"),
    ("missing_volume.csv", {"symbol": "SPY"}, "lacks column(s) ['volume']", "missing_volume.csv"),
    ("wrong_columns.csv", {"symbol": "SPY"}, "cannot tell whether the file holds bars or quotes", "wrong_columns.csv"),
    ("wrong_columns.csv", {"symbol": "SPY", "kind": "bars"}, "no time column", "wrong_columns.csv"),
    ("non_numeric.csv", {"symbol": "SPY"}, "non-numeric value 'abc'", "non_numeric.csv line 4"),
    ("nan_price.csv", {"symbol": "SPY"}, "NaN or infinite price", "nan_price.csv line 3"),
    ("inf_price.csv", {"symbol": "SPY"}, "NaN or infinite price", "inf_price.csv line 3"),
    ("negative_price.csv", {"symbol": "SPY"}, "price <= 0", "negative_price.csv line 3"),
    ("zero_price.csv", {"symbol": "SPY"}, "price <= 0", "zero_price.csv line 3"),
    ("high_below_low.csv", {"symbol": "SPY"}, "high < low", "high_below_low.csv line 3"),
    ("duplicate_ts.csv", {"symbol": "SPY"}, "duplicate timestamp", "duplicate_ts.csv line 4"),
    ("unsorted_ts.csv", {"symbol": "SPY"}, "timestamps not sorted ascending", "unsorted_ts.csv line 4"),
    ("naive_ts.csv", {"symbol": "SPY"}, "timestamps are naive", "naive_ts.csv"),
    ("holiday.csv", {"symbol": "SPY"}, "not an NYSE session", "holiday.csv line 4"),
    ("outside_session.csv", {"symbol": "SPY", "session": "reject"}, "bar outside the regular session",
     "outside_session.csv line 2"),
    ("dst_nonexistent.csv", {"symbol": "SPY", "tz": NY}, "does not exist", "dst_nonexistent.csv line 3"),
    ("dst_ambiguous.csv", {"symbol": "SPY", "tz": NY}, "is ambiguous", "dst_ambiguous.csv line 3"),
    ("bad_timestamp.csv", {"symbol": "SPY"}, "does not parse", "bad_timestamp.csv line 3"),
    ("ragged.csv", {"symbol": "SPY"}, "malformed CSV", "line 3"),
    ("headerless.csv", {"symbol": "SPY"}, "looks like data, not a header", "headerless.csv line 1"),
    ("not_utf8.csv", {"symbol": "SPY"}, "not UTF-8", "not_utf8.csv"),
    ("quotes_crossed.csv", {}, "bid > ask", "quotes_crossed.csv line 3"),
    ("quotes_negative_size.csv", {}, "negative size", "quotes_negative_size.csv line 3"),
    ("quotes_strike_zero.csv", {}, "strike missing, infinite or <= 0", "quotes_strike_zero.csv line 3"),
    ("quotes_unknown_right.csv", {}, "unknown right 'X'", "quotes_unknown_right.csv line 3"),
    ("quotes_expiry_before.csv", {}, "expiry 2023-12-29 is before the quote date 2024-01-02",
     "quotes_expiry_before.csv line 3"),
    ("quotes_duplicate.csv", {}, "duplicate quote", "quotes_duplicate.csv line 3"),
    # a Lean option-quote file, sorted by time inside the importer: the line number still points at the bad row
    ("lean_option_quotes_bad_right.csv", {}, "unknown right 'Q'", "lean_option_quotes_bad_right.csv line 4"),
    ("truncated.parquet", {"symbol": "SPY"}, "not a readable parquet file", "truncated.parquet"),
    ("high_below_low.parquet", {"symbol": "SPY", "tz": NY}, "high < low", "high_below_low.parquet row 5"),
    ("garbage.bin", {"symbol": "SPY"}, "binary data", "garbage.bin"),
    ("garbage.csv", {"symbol": "SPY"}, "binary data", "garbage.csv"),
    ("garbage.bin", {"symbol": "SPY", "format": "parquet"}, "not a readable parquet file", "garbage.bin"),
]


def _id(case): return f"{case[0]}-{'-'.join(f'{k}={v}' for k, v in case[1].items())}"


@pytest.mark.parametrize("name,kw,rule,where", BAD, ids=[_id(c) for c in BAD])
def test_bad_file_is_refused_with_rule_and_location(name, kw, rule, where):
    with pytest.raises(DataError) as e:
        load_file(CORPUS / name, **kw)
    msg = str(e.value)
    assert rule in msg, msg
    assert where in msg, msg
    assert "Fix:" in msg, msg          # every refusal says how to fix it


def test_corpus_is_fully_covered():
    "Every corpus file is either a bad case above or one of the named good fixtures."
    good = {"good_spy_1min.csv", "good_spy_1min.parquet", "outside_session.csv", "multi_conflict.csv",
            "spy_daily_seed.csv", "README.md"}
    assert {p.name for p in CORPUS.iterdir()} == {c[0] for c in BAD} | good


def test_good_fixtures_load():
    [f] = load_file(CORPUS / "good_spy_1min.csv", symbol="SPY")
    assert (f.kind, f.symbol, f.timeframe, f.rows) == ("bars", "SPY", "1min", 3)
    assert f.frame.index[0] == pd.Timestamp("2024-01-02 09:30", tz=TZ_NAME)
    [p] = load_file(CORPUS / "good_spy_1min.parquet", symbol="SPY")
    assert p.rows == 20 and p.frame.index.tz is not None
    # the parquet file's first 3 bars are the CSV's first bar repeated at 09:30..09:32 with the same prices
    pd.testing.assert_series_equal(p.frame["close"].iloc[:1], f.frame["close"].iloc[:1], check_freq=False)


def test_outside_session_is_flagged_by_default():
    [f] = load_file(CORPUS / "outside_session.csv", symbol="SPY")
    assert f.rows == 4                                   # kept
    assert f.frame.attrs["outside_session"] == 2         # 08:00 and 08:01 (before the 09:30 open)
    assert any("2 bars outside the regular session" in n for n in f.notes)
    [g] = load_file(CORPUS / "outside_session.csv", symbol="SPY", session="ignore")
    assert g.rows == 4


def test_end_stamped_bars_shift_back_one_bar():
    [start] = load_file(CORPUS / "good_spy_1min.csv", symbol="SPY")
    [end] = load_file(CORPUS / "good_spy_1min.csv", symbol="SPY", bar_time="end")
    assert (start.frame.index - end.frame.index == pd.Timedelta("1min")).all()
    [end5] = load_file(CORPUS / "good_spy_1min.csv", symbol="SPY", bar_time="end", timeframe="5min")
    assert (start.frame.index - end5.frame.index == pd.Timedelta("5min")).all()


def test_column_mapping_and_separate_date_time(tmp_path):
    p = tmp_path / "vendor.csv"
    p.write_text("Day,Clock,O,H,L,C,Qty,Sym\n2024-01-02,14:30,1,2,1,2,5,spy\n2024-01-02,14:31,2,3,2,3,5,spy\n")
    [f] = load_file(p, columns={"Day": "date", "Clock": "time", "O": "open", "H": "high", "L": "low", "C": "close",
                                "Qty": "volume", "Sym": "symbol"}, tz="UTC")
    assert f.symbol == "SPY"
    assert f.frame.index[0] == pd.Timestamp("2024-01-02 09:30", tz=TZ_NAME)   # 14:30 UTC = 09:30 EST
    assert f.frame["volume"].tolist() == [5.0, 5.0]


# ---- the lake: a failed import changes nothing ----------------------------------------------------------------

@pytest.fixture
def store():
    "zerodte.data.store (these tests skip until it exists)."
    return pytest.importorskip("zerodte.data.store")


def _hash_tree(root: Path) -> dict:
    "Relative path → sha256 of every file under root (the lake's exact bytes)."
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def seeded_lake(tmp_path, store):
    lake = tmp_path / "lake"
    import_file(lake, CORPUS / "good_spy_1min.csv", symbol="SPY")
    import_file(lake, CORPUS / "spy_daily_seed.csv")
    return lake


@pytest.mark.parametrize("name,kw,rule,where", BAD, ids=[_id(c) for c in BAD])
def test_failed_import_leaves_lake_byte_identical(seeded_lake, name, kw, rule, where):
    before = _hash_tree(seeded_lake)
    assert before, "the seeded lake holds files"
    with pytest.raises(ZerodteError) as e:
        import_file(seeded_lake, CORPUS / name, **kw)
    assert rule in str(e.value)
    assert _hash_tree(seeded_lake) == before


def test_bad_file_never_creates_a_lake(tmp_path, store):
    with pytest.raises(DataError):
        import_file(tmp_path / "new_lake", CORPUS / "high_below_low.csv", symbol="SPY")
    assert not (tmp_path / "new_lake").exists()


def test_multi_symbol_import_is_all_or_nothing(seeded_lake, store):
    "QQQ is new and fine, SPY conflicts with the lake: neither is written, and replace=True writes both."
    before = _hash_tree(seeded_lake)
    with pytest.raises(StoreError):
        import_file(seeded_lake, CORPUS / "multi_conflict.csv")
    assert _hash_tree(seeded_lake) == before
    assert "QQQ" not in set(store.show(seeded_lake)["symbol"])
    summary = import_file(seeded_lake, CORPUS / "multi_conflict.csv", replace=True)
    assert set(summary["symbol"]) == {"QQQ", "SPY"}
    assert store.read_bars(seeded_lake, "SPY", timeframe="1d")["close"].tolist() == [470.5]
    assert store.read_bars(seeded_lake, "QQQ", timeframe="1d")["close"].tolist() == [400.5]


def test_reimport_is_unchanged(seeded_lake):
    before = _hash_tree(seeded_lake)
    summary = import_file(seeded_lake, CORPUS / "good_spy_1min.csv", symbol="SPY")
    assert set(summary["status"]) == {"unchanged"}
    assert int(summary["rows"].sum()) == 3
    assert _hash_tree(seeded_lake) == before
