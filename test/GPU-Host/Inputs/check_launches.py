"""Checks the launches the stand-in libcuda recorded for one kvcache-run call.

Usage: check_launches.py --log LOG.jsonl --ptx-dir DIR [--placement FILE
       --manifest MANIFEST --function NAME] [--expect-grid KERNEL=X,Y,Z ...]
       [--expect-grid-yz KERNEL=Y,Z ...] [--all-device-arguments-used]

The stand-in runs no kernel; it logs every launch with each parameter
classified as `device`, `host` or `value`. This script checks, independently
of the stand-in's own checks:
  - there is at least one launch and no error was logged;
  - each launch passes as many parameters as the kernel's `.param` list in
    DIR/*.ptx (parsed here again, not trusted from the log);
  - every `.ptr` parameter is a device address;
  - with --placement (kvcache-run --verbose's output) and --manifest: no
    host-placed argument (max_lengths, MHA dispatch metadata) reaches a
    kernel, by address, and with --all-device-arguments-used every
    device-placed argument does, as a device pointer;
  - grids: a kernel whose name starts with KERNEL has grid (X, Y, Z), or
    (_, Y, Z) for --expect-grid-yz.
It prints one line per launch and a summary; exit status 1 on a violation.
"""
import argparse
import glob
import json
import re
import sys

parser = argparse.ArgumentParser()
parser.add_argument("--log", required=True)
parser.add_argument("--ptx-dir", required=True)
parser.add_argument("--placement")
parser.add_argument("--manifest")
parser.add_argument("--function")
parser.add_argument("--expect-grid", action="append", default=[])
parser.add_argument("--expect-grid-yz", action="append", default=[])
parser.add_argument("--all-device-arguments-used", action="store_true")
args = parser.parse_args()

problems = []


def ptx_param_counts(directory):
    """{kernel: number of .param entries} from every .entry in DIR/*.ptx."""
    counts = {}
    for path in sorted(glob.glob(directory + "/*.ptx")):
        text = open(path).read()
        text = re.sub(r"//[^\n]*", "", text)
        text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
        for match in re.finditer(r"\.entry\s+([\w$%]+)\s*(\(([^)]*)\))?", text):
            params = match.group(3) or ""
            counts[match.group(1)] = len(re.findall(r"\.param\b", params))
    return counts


events = [json.loads(line) for line in open(args.log) if line.strip()]
launches = [e for e in events if e["event"] == "launch"]
for error in (e for e in events if e["event"] == "error"):
    problems.append("the stand-in logged an error: %s: %s"
                    % (error["call"], error["message"]))
if not launches:
    problems.append("no launch was recorded")

counts = ptx_param_counts(args.ptx_dir)
if not counts:
    problems.append("no .entry in %s/*.ptx" % args.ptx_dir)
for launch in launches:
    name = launch["kernel"]
    print("launch %s grid %s block %s params %d"
          % (name, launch["grid"], launch["block"], launch["num_params"]))
    if "error" in launch:
        problems.append("launch of %s failed: %s" % (name, launch["error"]))
    if name not in counts:
        problems.append("kernel %s is not an .entry of the PTX" % name)
    elif launch["num_params"] != counts[name] or \
            len(launch["params"]) != counts[name]:
        problems.append("%s: %d parameters launched, the PTX declares %d"
                        % (name, len(launch["params"]), counts[name]))
    for param in launch["params"]:
        if param["ptr"] and param["kind"] != "device":
            problems.append("%s: .ptr parameter %s is %s"
                            % (name, param["name"], param["kind"]))


def expectations(items):
    result = []
    for item in items:
        prefix, dims = item.split("=")
        result.append((prefix, [int(d) for d in dims.split(",")]))
    return result


for prefix, grid in expectations(args.expect_grid):
    matching = [l for l in launches if l["kernel"].startswith(prefix)]
    if not matching:
        problems.append("no launch of a kernel named %s*" % prefix)
    for launch in matching:
        if launch["grid"] != grid:
            problems.append("%s: grid %s, expected %s"
                            % (launch["kernel"], launch["grid"], grid))
for prefix, yz in expectations(args.expect_grid_yz):
    matching = [l for l in launches if l["kernel"].startswith(prefix)]
    if not matching:
        problems.append("no launch of a kernel named %s*" % prefix)
    for launch in matching:
        if launch["grid"][1:] != yz:
            problems.append("%s: grid %s, expected (_, %d, %d)"
                            % (launch["kernel"], launch["grid"], *yz))

if args.placement:
    placed = {}
    pattern = re.compile(
        r"^argument '(\w+)' \(#\d+\): (device|host) (0x[0-9a-f]+) (\d+) bytes$")
    for line in open(args.placement):
        match = pattern.match(line.strip())
        if match:
            placed[match.group(1)] = (match.group(2), int(match.group(3), 16),
                                      int(match.group(4)))
    manifest = json.load(open(args.manifest))
    function = next(f for f in manifest["functions"]
                    if f["name"] == args.function)
    values = [(launch["kernel"], p) for launch in launches
              for p in launch["params"] if "value" in p]
    host_args, device_args = [], []
    for argument in function["arguments"]:
        if argument["kind"] != "memref":
            continue
        name = argument["name"]
        if name not in placed:
            problems.append("--verbose did not report argument %s" % name)
            continue
        where, address, size = placed[name]
        if where != argument["placement"]:
            problems.append("%s: placed on the %s, the manifest says %s"
                            % (name, where, argument["placement"]))
        inside = [(k, p) for k, p in values
                  if address <= p["value"] < address + max(size, 1)]
        if where == "host":
            host_args.append(name)
            for kernel, param in inside:
                problems.append("host argument %s reaches kernel %s as %s"
                                % (name, kernel, param["name"]))
        else:
            device_args.append(name)
            for kernel, param in inside:
                if param["kind"] != "device":
                    problems.append("%s reaches kernel %s as a %s parameter"
                                    % (name, kernel, param["kind"]))
            if args.all_device_arguments_used and not inside:
                problems.append("device argument %s reaches no kernel" % name)
    print("host arguments kept from kernels: " + ", ".join(host_args))
    print("device arguments: " + ", ".join(device_args))

# The runtime caches functions and uses one stream: however many launches,
# one lookup per kernel and one stream.
lookups = [e["kernel"] for e in events if e["event"] == "get_function"]
print("module loads %d, function lookups %d for %d kernels, streams created %d"
      % (sum(e["event"] == "module_load" for e in events), len(lookups),
         len(set(lookups)),
         sum(e["event"] == "stream_create" for e in events)))

for problem in problems:
    print("error: " + problem)
if problems:
    sys.exit(1)
print("ok: %d launches; parameter counts match the PTX; every .ptr "
      "parameter is a device address" % len(launches))
