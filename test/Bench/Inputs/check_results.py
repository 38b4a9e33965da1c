"""Checks the results.json and decode.png that bench/gpu/run.sh wrote."""
import json
import os
import sys

out = sys.argv[1]
with open(os.path.join(out, "results.json")) as f:
    r = json.load(f)
required = ["device", "driver", "commit", "correctness", "memcheck", "decode",
            "peers", "copy_bandwidth", "targets"]
missing = [k for k in required if k not in r]
assert not missing, f"results.json lacks {missing}"
assert r["complete"] is True and r["mode"] == "cpu-only", (r["complete"], r["mode"])
# The GPU sections say skipped, with a reason.
for key in ("driver", "memcheck", "decode", "peers", "copy_bandwidth"):
    assert r[key].get("skipped") is True and r[key].get("reason"), key
assert r["device"]["gpu"]["skipped"] is True
# The CPU parts ran (whether the kernels are right is the CPU suite's
# business; here every case must have a record with a known status).
cases = r["correctness"]["cases"]
assert r["correctness"]["total"] == len(cases) >= 1, r["correctness"]
assert all(c["status"] in ("pass", "fail", "error", "timeout") for c in cases)
points = r["decode"]["cpu_placeholder"]["points"]
assert points and all(p["gbps"] > 0 for p in points if p["status"] == "ok"), points
sweep = r["decode"]["cpu_placeholder"]["split_sweep"]
assert [(p["batch"], p["context"], p["splits"]) for p in sweep] == \
    [(1, 256, 1), (1, 256, 4)], sweep
assert all(p["status"] == "ok" and p["gbps"] > 0 for p in sweep), sweep
assert [t["status"] for t in r["targets"]] == ["unknown"] * 5, r["targets"]
assert r["commit"]["bundles"]["hash"] or r["commit"]["bundles"]["hash"] is None
with open(os.path.join(out, "decode.png"), "rb") as f:
    assert f.read(8) == b"\x89PNG\r\n\x1a\n", "decode.png is not a PNG"
print(f"results ok: {r['correctness']['pass']}/{r['correctness']['total']} "
      f"cases, {len(points)} placeholder points, plot by {r['plot']['writer']}")
