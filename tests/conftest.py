"""Shared pytest fixtures for zerodte's tests (no test touches the internet; servers are started on 127.0.0.1)."""
import os
import pytest
from zerodte.core import real_data_dir, real_data_missing_reason


@pytest.fixture
def real_dir():
    "The real market data folder, or skip the test with the reason it is missing."
    d = real_data_dir()
    if d is None:
        pytest.skip(real_data_missing_reason())
    return d


@pytest.fixture(autouse=True)
def _no_alpaca_keys(monkeypatch):
    "Tests never see a developer's real Alpaca keys."
    monkeypatch.delenv("APCA_API_KEY_ID", raising=False)
    monkeypatch.delenv("APCA_API_SECRET_KEY", raising=False)


@pytest.fixture(scope="session")
def synth_lake(tmp_path_factory):
    "A small synthetic lake (6 sessions from 2024-01-02, seed 3, default effects), written once per test session."
    from zerodte.data.synth import SynthConfig, write_market
    out = tmp_path_factory.mktemp("synth") / "lake"
    write_market(SynthConfig(start="2024-01-02", days=6, seed=3), out)
    return out
