"""zerodte.agents: training speed (env steps per second of PPO.learn, rollouts and updates included) of the windowed
LSTM and attention encoders and of sb3-contrib's RecurrentPPO, all at their preset sizes (LSTM 128 units,
attention d_model 64 × 4 heads, RecurrentPPO MlpLstmPolicy 128 units; net_arch 64×64; n_steps 1024, batch 128,
4 epochs; 1 torch thread) on the real DayEnv over a 3-session synthetic lake (0DTE chains,
the baseline stop-loss and fixed sizing wrappers). Median of `repeats` runs of `timesteps` steps each.

Targets: RecurrentPPO was seen at ~115 steps/s here, so the windowed LSTM should reach 3× that (345 steps/s) and a
3× speed-up; the attention encoder the same 345 steps/s. RecurrentPPO's own figure has no target (0)."""
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from zerodte.agents import agent_config, build_model, make_env
from zerodte.data.synth import SynthConfig, write_market

RECURRENT_SEEN = 115.0     # steps/s of RecurrentPPO on this machine kind (docs/STACK notes)


def _steps_per_s(kind: str, lake: Path, timesteps: int, repeats: int) -> float:
    cfg = agent_config(kind)
    rates = []
    for r in range(repeats):
        model = build_model(cfg, make_env(cfg, lake), seed=r)
        t0 = time.perf_counter()
        model.learn(timesteps)
        rates.append(model.num_timesteps / (time.perf_counter() - t0))
    return float(np.median(rates))


def run(timesteps: int = 2048, repeats: int = 3) -> dict:
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        lake = Path(tmp) / "lake"
        write_market(SynthConfig(start="2024-01-02", days=3, seed=1, expiries=("0dte",)), lake)
        make_env(agent_config("baseline"), lake).reset(seed=0)          # warm-up (imports, calendar)
        rate = {k: _steps_per_s(k, lake, timesteps, repeats) for k in ("lstm", "attention", "recurrent")}
    unit = "steps/s (DayEnv)"
    out = {
        "agents.lstm_steps_per_s": {"value": rate["lstm"], "unit": unit, "target": 3 * RECURRENT_SEEN, "better": "higher"},
        "agents.attention_steps_per_s": {"value": rate["attention"], "unit": unit, "target": 3 * RECURRENT_SEEN,
                                         "better": "higher"},
        "agents.recurrent_steps_per_s": {"value": rate["recurrent"], "unit": unit, "target": 0.0, "better": "higher"},
        "agents.lstm_vs_recurrent_speedup": {"value": rate["lstm"] / rate["recurrent"], "unit": "x", "target": 3.0,
                                             "better": "higher", "peer": rate["recurrent"],
                                             "ratio": rate["lstm"] / rate["recurrent"]},
    }
    return out


if __name__ == "__main__":
    for k, v in run().items(): print(k, v)
