"""zerodte.agents: every agent trains; saved models reload and reproduce their decisions bit-for-bit; the encoders
learn a signal a stand-in env plants; training is reproducible from its seed; model folders refuse what they must.
Tiny networks and a few thousand steps each: the whole file runs in well under 90 s on 2 cores."""
import json
import shutil

import gymnasium as gym
import numpy as np
import pandas as pd
import pytest
import torch
from gymnasium import spaces

import zerodte
from zerodte.core import ConfigError, ZerodteError
from zerodte.agents import (AGENT_KINDS, RULES, Agent, agent_config, build_model, data_fingerprint, load_agent,
                            make_env, predict_day, run_day, train, train_agent)
from zerodte.data.synth import SynthConfig, write_market

torch.set_num_threads(1)

TINY = dict(units=16, d_model=16, heads=2, net_arch=(32,), n_steps=512, batch_size=64, n_epochs=2)
TRAIN, TEST_DAY = ("2024-01-02", "2024-01-04"), "2024-01-05"


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    "Four sessions of the synthetic market with 0DTE chains only (fast to write and to load)."
    out = tmp_path_factory.mktemp("agents") / "lake"
    write_market(SynthConfig(start="2024-01-02", days=4, seed=5, expiries=("0dte",)), out)
    return out


# -- a stand-in env with the same spaces as DayEnv, where the right action is planted in the observation ----------
class Signal(gym.Env):
    """Contextual bandit over a (20, 5) window: action 1 pays +1 when the newest row's close column is > 0, action 2
    when it is <= 0, the other wrong one pays −1, hold (0) and action 3 pay 0. With multi=True the action is
    (structure, size): the right structure with the right size (0 if the newest open column is > 0, else 2) earns
    +1 more."""
    def __init__(self, multi=False, length=32):
        self.observation_space = spaces.Box(-10, 10, (20, 5), np.float32)
        self.action_space = spaces.MultiDiscrete([4, 3]) if multi else spaces.Discrete(4)
        self.multi, self.length = multi, length

    def _obs(self):
        self._o = self.np_random.normal(size=(20, 5)).astype(np.float32)
        return self._o

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed); self._k = 0
        return self._obs(), {}

    def right(self, o):
        s = 1 if o[-1, 3] > 0 else 2
        return (s, 0 if o[-1, 0] > 0 else 2) if self.multi else s

    def step(self, a):
        want = self.right(self._o)
        a = tuple(int(x) for x in np.asarray(a).reshape(-1)) if self.multi else int(a)
        s, ws = (a[0], want[0]) if self.multi else (a, want)
        r = 1.0 if s == ws else (0.0 if s in (0, 3) else -1.0)
        if self.multi and s == ws and a[1] == want[1]: r += 1.0      # the size head earns its own bonus
        self._k += 1
        return self._obs(), r, self._k >= self.length, False, {}


LEARN = dict(TINY, n_steps=256, n_epochs=10, learning_rate=3e-3, gamma=0.5, ent_coef=0.0, stop_loss=None)


@pytest.mark.parametrize("kind", AGENT_KINDS)
def test_agent_learns_planted_signal(kind):
    "Each policy, trained a few thousand steps, picks the planted right action far above chance (0.5 or 0.25)."
    changes = dict(LEARN, batch_size=256) if kind == "recurrent" else LEARN
    cfg = agent_config(kind, **changes)
    env = Signal(multi=kind == "multihead")
    model = build_model(cfg, env, seed=0)
    model.learn(6144 if kind == "multihead" else 4096)
    test = Signal(multi=kind == "multihead"); test.reset(seed=123)
    hits, state = np.zeros(2), None
    for i in range(400):
        o = test._obs()
        if kind == "recurrent":
            a, state = model.predict(o, state=state, episode_start=np.array([i == 0]), deterministic=True)
        else:
            a, _ = model.predict(o, deterministic=True)
        got, want = np.asarray(a).reshape(-1), np.asarray(test.right(o)).reshape(-1)
        hits[:len(got)] += got == want
    acc = hits / 400
    assert acc[0] >= 0.75, f"{kind}: structure accuracy {acc[0]:.3f}"     # chance: 0.5 between the two paying actions
    if kind == "multihead": assert acc[1] >= 0.75, f"size accuracy {acc[1]:.3f}"   # chance: 1/3


@pytest.mark.parametrize("kind", AGENT_KINDS)
def test_saved_model_reproduces_decisions(kind, lake, tmp_path):
    "Train tiny on the real env, save, load: the saved model's decisions equal the in-memory model's, twice."
    cfg = agent_config(kind, **(dict(TINY, batch_size=128) if kind == "recurrent" else TINY))
    agent = train(cfg, lake, *TRAIN, timesteps=2048, seed=1)
    assert agent.model.num_timesteps >= 2048
    from zerodte.agents import save_agent
    path = save_agent(agent, tmp_path / kind)
    live = run_day(agent, lake, TEST_DAY)
    first = predict_day(path, lake, TEST_DAY)
    second = predict_day(path, lake, TEST_DAY)
    pd.testing.assert_frame_equal(first, live)
    pd.testing.assert_frame_equal(second, live)
    assert len(live) > 300 and live.index.tz is not None
    # the loaded weights are the trained ones, and the config round-trips
    loaded = load_agent(path)
    for a, b in zip(loaded.model.policy.state_dict().values(), agent.model.policy.state_dict().values()):
        assert torch.equal(a, b)
    assert loaded.config == cfg
    meta = json.loads((path / "agent.json").read_text())
    assert meta["kind"] == kind and meta["zerodte_version"] == zerodte.__version__
    assert meta["days"] == ["2024-01-02", "2024-01-03", "2024-01-04"]
    assert meta["features"][:5] == ["open", "high", "low", "close", "volume"]
    assert len(meta["actions"]) == make_env(cfg, lake).unwrapped.action_space.n


def test_training_is_reproducible_from_seed(lake):
    cfg = agent_config("lstm", **TINY)
    a = train(cfg, lake, *TRAIN, timesteps=1024, seed=3)
    b = train(cfg, lake, *TRAIN, timesteps=1024, seed=3)
    c = train(cfg, lake, *TRAIN, timesteps=1024, seed=4)
    sa, sb, sc = (m.model.policy.state_dict() for m in (a, b, c))
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert not all(torch.equal(sa[k], sc[k]) for k in sa)


def test_train_agent_writes_atomically_and_refuses(lake, tmp_path):
    out = tmp_path / "models" / "base"
    p = train_agent("baseline", lake, *TRAIN, timesteps=512, seed=0, out=out, progress=False, **TINY)
    assert p == out and sorted(x.name for x in out.iterdir()) == ["agent.json", "model.zip"]
    assert not [x for x in out.parent.iterdir() if x.name.startswith(".")]       # no temporary folder left
    before = (out / "model.zip").read_bytes()
    with pytest.raises(ZerodteError, match="no day in"):   # a failed run keeps the old model
        train_agent("baseline", lake, "2024-02-01", "2024-02-05", timesteps=512, seed=0, out=out, progress=False, **TINY)
    assert (out / "model.zip").read_bytes() == before
    # a model from another zerodte version is refused with a fix
    meta = json.loads((out / "agent.json").read_text()); meta["zerodte_version"] = "0.0.1"
    (out / "agent.json").write_text(json.dumps(meta))
    with pytest.raises(ConfigError, match="zerodte version 0.0.1"):
        load_agent(out)


def test_data_fingerprint_follows_the_data(lake, tmp_path):
    days = pd.to_datetime(["2024-01-02", "2024-01-03"])
    other = tmp_path / "other"
    write_market(SynthConfig(start="2024-01-02", days=2, seed=6, expiries=("0dte",)), other)
    same = tmp_path / "same"
    shutil.copytree(lake, same)
    assert data_fingerprint(lake, days) == data_fingerprint(same, days)        # the same files: the same hash
    assert data_fingerprint(lake, days) != data_fingerprint(other, days)       # other data: another hash


def test_rules_on_the_real_env(lake):
    "Rule baselines: flat all day earns 0; the 10:00 structures open once and are flat at the end of the day."
    eq = {name: run_day(rule, lake, TEST_DAY) for name, rule in RULES.items()}
    assert (eq["never_trade"]["equity"] == 0).all()
    for name in ("short_strangle_16d", "long_straddle"):
        d = eq[name]
        opens = d.index[d["meaning"].str.startswith("open")]
        assert list(opens.strftime("%H:%M")) == ["10:00"], name
        assert d["position"].iloc[-1] == "flat" and d["equity"].iloc[-1] != 0
