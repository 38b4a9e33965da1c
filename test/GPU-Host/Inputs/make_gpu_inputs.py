"""Writes inputs for gpu_bundle.manifest.json and upstream.manifest.json:
in = 0..7 (f32), out = zeros, lengths = [3, 5] (i32, host-placed; the host
code launches lengths[0] blocks). No scratch.npy: a workspace is never read
from a file on the GPU path."""
import os
import sys

import numpy as np

directory = sys.argv[1]
os.makedirs(directory, exist_ok=True)
np.save(os.path.join(directory, "in.npy"), np.arange(8, dtype=np.float32))
np.save(os.path.join(directory, "out.npy"), np.zeros(8, dtype=np.float32))
np.save(os.path.join(directory, "lengths.npy"), np.array([3, 5], np.int32))
