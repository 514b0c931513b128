"""The feature set on the synthetic market: the look-ahead proof over every registered feature, the count of distinct
features, absent-with-a-reason inputs, and the CLI."""
import json, subprocess, sys
from pathlib import Path
import numpy as np
import pandas as pd
import pytest
from zerodte.core import TZ_NAME
from zerodte.features.core import REGISTRY
from zerodte.features.pipeline import build_from_store, exact_duplicates, correlated_groups, feature_table, read_features

BIN = Path(sys.executable).parent / "zerodte"


@pytest.fixture(scope="module")
def full(synth_lake):
    return build_from_store(synth_lake)


def test_every_registered_feature_is_built_on_the_synthetic_market(full):
    assert full.attrs["absent"] == {}, full.attrs["absent"]
    assert set(full.columns) == set(REGISTRY)
    assert (full.dtypes == np.float32).all()


def test_no_lookahead_for_every_feature(synth_lake, full):
    "Truncating the lake's data at a cut never changes any feature at or before the cut (all features, not a sample)."
    rng = np.random.default_rng(20241124)
    grid = full.index
    # random cuts, plus ones that fall mid-way through 5m/15m/1h bars and at a session's last minute
    cuts = list(grid[rng.choice(np.arange(400, len(grid) - 1), size=4, replace=False)])
    cuts += [pd.Timestamp("2024-01-04 11:07", tz=TZ_NAME), pd.Timestamp("2024-01-05 15:59", tz=TZ_NAME)]
    for cut in cuts:
        part = build_from_store(synth_lake, end=cut.isoformat())
        assert part.index[-1] == cut
        ref = full.loc[:cut, part.columns]
        a, b = ref.to_numpy(), part.to_numpy()
        same = (a == b) | (np.isnan(a) & np.isnan(b))
        bad = [part.columns[j] for j in np.flatnonzero(~same.all(axis=0))]
        assert not bad, f"look-ahead at cut {cut}: {bad[:10]}"


def test_at_least_500_distinct_features(full):
    warm = full.iloc[-390:]                       # the last session: long windows have warmed up
    defined = warm.loc[:, warm.notna().any()]
    dups = exact_duplicates(defined)
    distinct = defined.shape[1] - len(dups)
    groups = correlated_groups(defined.iloc[:, :], threshold=0.99)
    print(f"{full.shape[1]} registered, {defined.shape[1]} defined on the last day, {len(dups)} exact duplicates, "
          f"{distinct} distinct; {len(groups)} groups correlated above 0.99")
    assert len(feature_table()) >= 500
    # features needing more than 6 sessions of history (e.g. 20-session relative volume) are still NaN here
    undefined = set(full.columns) - set(defined.columns)
    assert all(feature_table().set_index("name").loc[n, "warmup_minutes"] > 5 * 390 for n in undefined), undefined
    assert distinct + len(undefined) >= 500


def test_missing_inputs_are_absent_with_a_reason(synth_lake, tmp_path):
    from zerodte.data.store import read_bars, write_bars
    lake = tmp_path / "spy_only"
    write_bars(lake, "SPY", read_bars(synth_lake, "SPY"), timeframe="1min")
    f = build_from_store(lake)
    absent = f.attrs["absent"]
    assert "cross.vix_level.1m.0" in absent and "VIX" in absent["cross.vix_level.1m.0"]
    assert "chain.atm_iv.1m.0dte" in absent and "chain" in absent["chain.atm_iv.1m.0dte"]
    assert not any(c.startswith(("cross.", "chain.")) for c in f.columns)   # absent, never zeros


def test_cli_list_and_build(synth_lake, tmp_path):
    r = subprocess.run([str(BIN), "features", "list", "--json"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0
    data = json.loads(r.stdout)
    assert data["count"] >= 500 and sum(data["per_family"].values()) == data["count"]
    out = tmp_path / "f.parquet"
    r = subprocess.run([str(BIN), "features", "build", "--store", str(synth_lake), "--end", "2024-01-03 10:15",
                        "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    f = read_features(out)
    assert f.index[-1] == pd.Timestamp("2024-01-03 10:15", tz=TZ_NAME)
    r = subprocess.run([str(BIN), "features", "build", "--store", str(synth_lake), "--select", "tech.rsii",
                        "--out", str(tmp_path / "g.parquet")], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "did you mean" in r.stderr and not (tmp_path / "g.parquet").exists()
