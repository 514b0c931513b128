"""Benchmark: write one year (252 sessions) of the full synthetic market — SPY/QQQ/VIX minute bars and the SPY
option chains (4 expiries × 31 strikes × 2 rights every minute, ~24M quote rows) — into a fresh lake.

Runs in a subprocess that reports its own peak resident memory (ru_maxrss of itself), so the figure is the market
writer's alone.
One run (a repeat costs a minute; the machine is shared): the figure is that run's wall time.
"""
import json, os, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_CHILD = r"""
import sys, time, json, resource
from zerodte.data.synth import SynthConfig, write_market
cfg = SynthConfig(start="2024-01-02", days=int(sys.argv[2]), seed=7)
t0 = time.perf_counter()
write_market(cfg, sys.argv[1])
print(json.dumps({"seconds": time.perf_counter() - t0,
                  "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))   # this process's own peak (KB)
"""

def measure(days: int = 252) -> dict:
    "Seconds and peak RSS (GB) of writing `days` sessions, in a fresh process."
    with tempfile.TemporaryDirectory(prefix="bench_synth_") as d:
        env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        # warm the numba cache outside the timed run (a one-session market)
        subprocess.run([sys.executable, "-c", _CHILD, str(Path(d) / "warm"), "1"], check=True, env=env,
                       capture_output=True, text=True)
        p = subprocess.run([sys.executable, "-c", _CHILD, str(Path(d) / "lake"), str(days)], check=True, env=env,
                           capture_output=True, text=True)
        out = json.loads(p.stdout.strip().splitlines()[-1])
        size = sum(f.stat().st_size for f in (Path(d) / "lake").rglob("*") if f.is_file())
    return {"seconds": out["seconds"], "peak_gb": out["peak_kb"] / 1024 ** 2, "lake_gb": size / 1024 ** 3}

def run() -> dict:
    m = measure(252)
    return {
        "synth.one_year_seconds": {"value": m["seconds"], "unit": "s", "target": 60.0, "better": "lower"},
        "synth.one_year_peak_memory_gb": {"value": m["peak_gb"], "unit": "GB", "target": 4.0, "better": "lower"},
        "synth.one_year_lake_size_gb": {"value": m["lake_gb"], "unit": "GB", "target": 2.0, "better": "lower"},
    }

if __name__ == "__main__":
    print(json.dumps(run(), indent=1))
