"""The Python package on torch tensors, as a serving engine holds them, on
a real GPU: a bundle compiled for the device's chip, called with CUDA
tensors bound in place on torch's current stream (bf16 as torch.bfloat16),
with a torch workspace, synchronously and stream-ordered; every array must
be what kvcache-run --device cuda leaves, bit for bit. CPU tensors on a
CPU bundle are NumPy views, written back in place.

    torch_tensors.py GRAPH INPUTS CPU_BUNDLE EXPECTED_CPU WORK

The GPU bundle and kvcache-run's answer on it are made here (WORK/gpu,
WORK/expected-gpu): the chip is the device's."""

import os
import subprocess
import sys

import numpy as np
import torch

import kvcache
from common import load_arrays, report


def to_torch(array, device):
    if array.dtype == np.uint16:  # bf16 bit patterns
        return torch.from_numpy(array.view(np.int16)).view(
            torch.bfloat16).to(device)
    return torch.from_numpy(array).to(device)


def to_numpy(tensor):
    tensor = tensor.cpu()
    if tensor.dtype == torch.bfloat16:
        return tensor.view(torch.int16).numpy().view(np.uint16)
    return tensor.numpy()


def main(graph, inputs, cpu_bundle, expected_cpu, work):
    major, minor = torch.cuda.get_device_capability()
    chip = f"sm_{major}{minor}" + ("a" if major == 9 else "")
    bundle = kvcache.compile(graph, target=chip,
                             out=os.path.join(work, "gpu"))
    expected_gpu = os.path.join(work, "expected-gpu")
    subprocess.run(["kvcache-run", bundle.path, "--device", "cuda",
                    "--entry", "decode", "--inputs", inputs, "--outputs",
                    expected_gpu], check=True)
    host = load_arrays(inputs)
    placement = {a.name: a.placement for a in bundle.arguments("decode")}

    def tensors():
        return {name: to_torch(value, "cuda")
                if placement[name] == "device" and value.ndim else value
                for name, value in host.items() if name in placement}

    arrays = tensors()
    bundle.decode(**arrays)
    torch.cuda.synchronize()
    report("torch CUDA tensors, torch's stream",
           {k: to_numpy(v) if torch.is_tensor(v) else v
            for k, v in arrays.items()}, expected_gpu)

    arrays = tensors()
    stream = torch.cuda.Stream()
    workspace = torch.empty(bundle.workspace_bytes("decode", **arrays),
                            dtype=torch.uint8, device="cuda")
    with torch.cuda.stream(stream):
        pending = bundle.decode(workspace=workspace, wait=False, **arrays)
    pending.wait()
    report("stream-ordered on a side stream with a torch workspace",
           {k: to_numpy(v) if torch.is_tensor(v) else v
            for k, v in arrays.items()}, expected_gpu)

    cpu = kvcache.load(cpu_bundle)
    arrays = {name: to_torch(value, "cpu") if value.ndim else value
              for name, value in host.items()
              if name in {a.name for a in cpu.arguments("decode")}}
    cpu.decode(**arrays)
    report("torch CPU tensors on a CPU bundle",
           {k: to_numpy(v) if torch.is_tensor(v) else v
            for k, v in arrays.items()}, expected_cpu)


if __name__ == "__main__":
    main(*sys.argv[1:6])
