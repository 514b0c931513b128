"""zerodte.env: raw DayEnv steps per second with random actions (target 20,000), and SB3 PPO (MlpPolicy) steps per
second on DayEnv against a trivial env with the same observation and action spaces (target ratio 0.8).

Setup: a 3-session synthetic lake (SynthConfig(start="2024-01-02", days=3, seed=1)) written to a temporary folder;
the env's day cache is warmed first (a cold first reset of a day costs ~0.1-0.4 s: loading and precomputing it).
PPO: n_steps=1024, batch_size=64, n_epochs=10 (SB3 defaults otherwise), 4,096 timesteps per run, torch threads = 1,
CPU. Three repeats of each, alternating; medians reported."""
import tempfile, time
from pathlib import Path

import numpy as np

PPO_STEPS, RANDOM_STEPS, REPEATS = 4096, 20_000, 3


def _lake() -> Path:
    from zerodte.data.synth import SynthConfig, write_market
    d = Path(tempfile.mkdtemp(prefix="bench_env_")) / "lake"
    write_market(SynthConfig(start="2024-01-02", days=3, seed=1), d)
    return d


def _trivial_env_class():
    import gymnasium as gym

    class Trivial(gym.Env):
        "Same spaces as DayEnv; zero observations, zero reward, 350-step episodes."
        def __init__(self, observation_space, action_space, length=350):
            self.observation_space, self.action_space, self.length = observation_space, action_space, length
            self._zero = np.zeros(observation_space.shape, observation_space.dtype)
        def reset(self, *, seed=None, options=None):
            super().reset(seed=seed); self.t = 0
            return self._zero.copy(), {}
        def step(self, action):
            self.t += 1
            return self._zero.copy(), 0.0, self.t >= self.length, False, {}
    return Trivial


def _random_steps_per_s(env, n=RANDOM_STEPS, seed=0) -> float:
    acts = np.random.default_rng(seed).integers(env.action_space.n, size=n)
    env.reset(seed=seed)
    t0 = time.perf_counter()
    for a in acts:
        if env.step(int(a))[2]: env.reset()
    return n / (time.perf_counter() - t0)


def _ppo_steps_per_s(env, seed=0) -> float:
    from stable_baselines3 import PPO
    model = PPO("MlpPolicy", env, n_steps=1024, batch_size=64, seed=seed, device="cpu", verbose=0)
    t0 = time.perf_counter()
    model.learn(total_timesteps=PPO_STEPS)
    return PPO_STEPS / (time.perf_counter() - t0)


def run() -> dict:
    import torch
    from zerodte.env import DayEnv, EnvConfig
    torch.set_num_threads(1)
    lake = _lake()
    env = DayEnv(EnvConfig(store=lake))
    for d in env.days: env.reset(options={"day": d})          # warm the day cache
    random_rates = [_random_steps_per_s(env, seed=s) for s in range(REPEATS)]
    peer_env = _trivial_env_class()(env.observation_space, env.action_space)
    ours, peer = [], []
    for s in range(REPEATS):
        ours.append(_ppo_steps_per_s(env, seed=s)); peer.append(_ppo_steps_per_s(peer_env, seed=s))
    o, p = float(np.median(ours)), float(np.median(peer))
    return {
        "env.random_steps_per_s": {"value": float(np.median(random_rates)), "unit": "steps/s", "target": 20000.0,
                                   "better": "higher"},
        # the target is a ratio of 0.8 to the peer; expressed in steps/s so bench/run.py's OK/MISSED checks it
        "env.ppo_mlp_steps_per_s": {"value": o, "unit": "steps/s", "target": 0.8 * p, "better": "higher", "peer": p,
                                    "ratio": o / p, "target_ratio": 0.8, "torch_threads": 1},
    }


if __name__ == "__main__":
    for k, v in run().items(): print(k, v)
