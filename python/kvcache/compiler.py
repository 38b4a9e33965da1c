"""kvcache.compile: a graph to a bundle, through kvcache-compile."""

import os
import subprocess
import tempfile

from . import _paths
from ._library import Error, Status
from .bundle import load

__all__ = ["compile"]


def _compiler():
    return os.environ.get("KVCACHE_COMPILE", _paths.KVCACHE_COMPILE)


def compile(graph, target="cpu", out=None, options=(), driver=None,
            device=0):
    """Compiles `graph` (MLIR text, or the path of a .mlir file) for
    `target` ("cpu", "sim" or a chip such as "sm_90a") into the bundle
    directory `out` (default: a temporary directory, removed when the
    bundle is closed or collected), and opens
    it. `options` are more kvcache-compile flags. Raises Error (INPUT) with
    the compiler's diagnostics when the graph does not compile."""
    owned = None
    if out is None:
        owned = tempfile.TemporaryDirectory(prefix="kvcache-bundle-")
        out = owned.name
    out = os.fspath(out)
    source = os.fspath(graph) if isinstance(graph, os.PathLike) else graph
    text = None
    if not isinstance(source, str):
        raise Error(Status.USAGE,
                    f"graph: expected MLIR text or a path, got "
                    f"{type(graph).__name__}")
    if "\n" in source or not os.path.isfile(source):
        if isinstance(graph, os.PathLike) or not any(
                token in source for token in ("func.func", "module", "{")):
            raise Error(Status.INPUT, f"graph: no file '{source}'")
        text, source = source, "-"
    command = [_compiler(), source, f"--target={target}", "-o", out,
               *options]
    try:
        result = subprocess.run(command, input=text, capture_output=True,
                                text=True)
    except OSError as error:
        raise Error(Status.UNSUPPORTED,
                    f"cannot run kvcache-compile ('{command[0]}'): "
                    f"{error}") from None
    if result.returncode != 0:
        raise Error(Status.INPUT,
                    f"kvcache-compile failed (exit {result.returncode}):\n"
                    f"{result.stderr.strip()}")
    bundle = load(out, driver=driver, device=device)
    bundle._owned_directory = owned  # removed when the bundle closes
    return bundle
