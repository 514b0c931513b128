"""Benchmark: every registered feature (500+) for one year of the synthetic SPY/QQQ/VIX minute market with chains.

A child process writes a 252-session lake (not timed), then times, in a fresh process:
- the whole build from the lake (`build_from_store`: reading bars and quotes, the per-minute option-surface metrics,
  every family, alignment) and its peak resident memory;
- each family alone on inputs already in memory, and the option-surface step on its own;
- the bare TA-Lib calls the technical family makes, by wrapping every talib function with a timer during a build of
  that family: the family's time over the sum of its TA-Lib calls is the pipeline's overhead for resampling,
  alignment and bookkeeping.
One run each (a year lake costs about a minute to write on this machine).
"""
import json, os, subprocess, sys, tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_WRITE = r"""
import sys
from zerodte.data.synth import SynthConfig, write_market
write_market(SynthConfig(start="2024-01-02", days=int(sys.argv[2]), seed=7), sys.argv[1])
"""
_MEASURE = r"""
import sys, time, json, functools
import talib
from zerodte.features.pipeline import build_from_store, load_inputs, feature_table
from zerodte.features.core import build_features
from zerodte.features import technical
lake = sys.argv[1]
t0 = time.perf_counter(); full = build_from_store(lake); total = time.perf_counter() - t0
out = {"total": total, "features": full.shape[1], "rows": len(full), "absent": len(full.attrs["absent"])}
t0 = time.perf_counter(); bars, minutes, extra, notes = load_inputs(lake); out["load_and_surface"] = time.perf_counter() - t0
fams = sorted(feature_table()["family"].unique())
out["family"] = {}
for fam in fams:
    t0 = time.perf_counter(); build_features(bars, fam, base_minutes=minutes, extra=extra)
    out["family"][fam] = time.perf_counter() - t0
spent = [0.0]
class _Timed:
    def __getattr__(self, name):
        fn = getattr(talib, name)
        @functools.wraps(fn)
        def timed(*a, **k):
            t = time.perf_counter(); r = fn(*a, **k); spent[0] += time.perf_counter() - t; return r
        return timed
technical.talib = _Timed()
t0 = time.perf_counter(); build_features(bars, "tech", base_minutes=minutes); tech = time.perf_counter() - t0
technical.talib = talib
out["tech_pipeline"], out["talib_bare"] = tech, spent[0]
import resource
out["peak_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss   # this process's own peak (KB)
print(json.dumps(out))
"""

def measure(days: int = 252) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench_features_") as d:
        env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        lake = str(Path(d) / "lake")
        subprocess.run([sys.executable, "-c", _WRITE, lake, str(days)], check=True, env=env, capture_output=True, text=True)
        p = subprocess.run([sys.executable, "-c", _MEASURE, lake], check=True, env=env, capture_output=True, text=True)
        m = json.loads(p.stdout.strip().splitlines()[-1])
        m["peak_gb"] = m["peak_kb"] / 1024 ** 2
    return m

def run() -> dict:
    m = measure(252)
    print(f"  {m['features']} features x {m['rows']:,} minutes ({m['absent']} absent); load+surface {m['load_and_surface']:.1f}s; "
          "per family: " + ", ".join(f"{k} {v:.2f}s" for k, v in m["family"].items()))
    out = {
        "features.one_year_seconds": {"value": m["total"], "unit": "s", "target": 30.0, "better": "lower"},
        "features.one_year_peak_memory_gb": {"value": m["peak_gb"], "unit": "GB", "target": 4.0, "better": "lower"},
        "features.count": {"value": float(m["features"]), "unit": "features", "target": 500.0, "better": "higher"},
        "features.load_and_surface_seconds": {"value": m["load_and_surface"], "unit": "s", "target": 15.0, "better": "lower"},
        "features.tech_overhead_vs_talib": {"value": m["tech_pipeline"] / m["talib_bare"], "unit": "x", "target": 3.0,
                                            "better": "lower", "peer": m["talib_bare"], "ratio": m["tech_pipeline"] / m["talib_bare"]},
    }
    for fam, sec in m["family"].items():
        out[f"features.family_seconds.{fam}"] = {"value": sec, "unit": "s", "target": 10.0, "better": "lower"}
    return out

if __name__ == "__main__":
    print(json.dumps(run(), indent=1))
