"""What the Python tests share: a bundle's inputs as kvcache-run wrote
them, and comparing results with kvcache-run's bit for bit."""

import os

import numpy as np

import kvcache


def load_arrays(directory):
    """Every NAME.npy of `directory` as {NAME: array}."""
    return {name[:-4]: np.load(os.path.join(directory, name))
            for name in sorted(os.listdir(directory)) if name.endswith(".npy")}


def inputs_for(bundle, entry, directory):
    """The arrays of `directory` that `entry` takes, by argument name."""
    arrays = load_arrays(directory)
    return {argument.name: arrays[argument.name]
            for argument in bundle.arguments(entry)}


def differences(arrays, expected_directory):
    """The names whose array differs from kvcache-run's (bytes, dtype or
    shape) in `expected_directory`."""
    expected = load_arrays(expected_directory)
    # kvcache-run writes back every memref; scalars have no file.
    return [name for name, array in sorted(arrays.items())
            if np.ndim(array) or name in expected
            if name not in expected or not (np.asarray(array).dtype == expected[name].dtype
                    and np.asarray(array).shape == expected[name].shape
                    and np.asarray(array).tobytes() ==
                    expected[name].tobytes())]


def report(what, arrays, expected_directory):
    wrong = differences(arrays, expected_directory)
    print(f"{what}: " + ("kvcache-run's answer" if not wrong else
                         "DIFFERS from kvcache-run in " + ", ".join(wrong)))


def refused(what, call):
    """Prints the kvcache.Error that `call` raises, or that it raised none."""
    try:
        call()
    except kvcache.Error as error:
        print(f"{what}: {error.status.name}: {error.message}")
    else:
        print(f"{what}: NOT REFUSED")
