"""Run every benchmark in bench/bench_*.py and write their figures to one JSON file.

Each bench module defines `run() -> dict` mapping a benchmark name to
{"value": number, "unit": str, "target": number, "better": "higher"|"lower"} plus "peer" and "ratio"
where a peer library was measured in the same run. Machines are shared and noisy: benches time several repeats
and report the median.

Usage: python bench/run.py [--out bench/results.json] [--only NAME_SUBSTRING]
"""
import argparse, importlib.util, json, os, sys, time, traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(HERE / "results.json"))
    ap.add_argument("--only", default="", help="run only bench files whose name contains this")
    args = ap.parse_args(argv)
    results, failed = {}, []
    for f in sorted(HERE.glob("bench_*.py")):
        if args.only and args.only not in f.stem: continue
        spec = importlib.util.spec_from_file_location(f.stem, f)
        mod = importlib.util.module_from_spec(spec)
        t0 = time.perf_counter()
        try:
            spec.loader.exec_module(mod)
            res = mod.run()
        except Exception:
            traceback.print_exc()
            failed.append(f.name)
            continue
        for name, r in res.items():
            missing = {"value", "unit", "target", "better"} - set(r)
            if missing: raise SystemExit(f"{f.name}: benchmark {name} lacks {sorted(missing)}")
            ok = r["value"] <= r["target"] if r["better"] == "lower" else r["value"] >= r["target"]
            extra = f"  peer {r['peer']:.4g}  ratio {r['ratio']:.3g}" if "ratio" in r else ""
            print(f"{name:48s} {r['value']:12.4g} {r['unit']:10s} target {r['target']:g} ({r['better']})"
                  f" {'OK' if ok else 'MISSED'}{extra}")
        results.update(res)
        print(f"  [{f.name} took {time.perf_counter() - t0:.1f}s]")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(results, indent=2, sort_keys=True))
    os.replace(tmp, out)
    print(f"wrote {len(results)} figures to {out}")
    if failed:
        print(f"benchmarks that failed to run: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
