"""The example models against onnxruntime (PyPI; tests only).

For each model named: seeded random inputs (ImageNet-normalised noise images for image models,
integers in 0..99 for int64 inputs such as token ids and masks, uniform features otherwise), onnxruntime's outputs for them written as an ONNX backend test case
(model.onnx and test_data_set_0/input_N.pb, output_N.pb), and `hogar model test CASE --device
all` must pass that case on every path this machine has (reference, fast CPU, and the GPU when
there is one), within the tolerance given.

  onnxruntime_match_test.py --hogar BIN (--models DIR | --generator FILE) [--batch N]
                            [--rtol R] [--atol A] NAME...

--models reads NAME/1/model.onnx of a model repository; --generator imports the Python FILE and
writes the model its build_model(NAME) returns (an onnx.ModelProto), as zoo_models.py does for
the model zoo's architectures.
"""
import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime
from onnx import numpy_helper

IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32).reshape(1, 3, 1, 1)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32).reshape(1, 3, 1, 1)


def sample(shape, dtype, rng):
    """An input of `shape` and `dtype` (onnxruntime's type name) as a user would send it."""
    if dtype == "tensor(int64)":
        # Token ids of a vocabulary of at least 100, and masks with some tokens left out (0):
        # hogar's own random inputs (kernels/random_tensor.hpp) are integers in 0..99 too.
        return rng.integers(0, 100, size=shape, dtype=np.int64)
    if len(shape) == 4 and shape[1] == 3:
        pixels = rng.integers(0, 256, size=shape).astype(np.float32)
        return ((pixels / 255.0 - IMAGENET_MEAN) / IMAGENET_STD).astype(np.float32)
    return rng.random(shape, dtype=np.float32)


def make_case(model_path, case_dir, batch, seed):
    """Writes the backend test case; returns the input shapes."""
    session = onnxruntime.InferenceSession(model_path, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(seed)
    feeds = {}
    for i in session.get_inputs():
        # The first dynamic extent is the batch; later ones (a sequence length) are 16.
        shape = [d if isinstance(d, int) and d > 0 else (batch if k == 0 else 16)
                 for k, d in enumerate(i.shape)]
        feeds[i.name] = sample(shape, i.type, rng)
    outputs = session.run(None, feeds)
    data = os.path.join(case_dir, "test_data_set_0")
    os.makedirs(data)
    shutil.copy(model_path, os.path.join(case_dir, "model.onnx"))
    for n, (name, value) in enumerate(feeds.items()):
        with open(os.path.join(data, f"input_{n}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(value, name).SerializeToString())
    for n, (info, value) in enumerate(zip(session.get_outputs(), outputs)):
        with open(os.path.join(data, f"output_{n}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(value, info.name).SerializeToString())
    return {k: v.shape for k, v in feeds.items()}


def load_generator(path):
    """The module in the Python file `path`."""
    spec = importlib.util.spec_from_file_location(
        os.path.splitext(os.path.basename(path))[0], path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--hogar", required=True)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--models")
    source.add_argument("--generator")
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--rtol", default="1e-3")
    parser.add_argument("--atol", default="1e-5")
    parser.add_argument("names", nargs="+")
    args = parser.parse_args()
    print(f"onnxruntime {onnxruntime.__version__}, onnx {onnx.__version__}")
    generator = load_generator(args.generator) if args.generator else None
    failed = []
    with tempfile.TemporaryDirectory(prefix="hogar_ort_match_") as tmp:
        for seed, name in enumerate(args.names):
            if generator:
                model = os.path.join(tmp, name + ".onnx")
                onnx.save(generator.build_model(name), model)
            else:
                model = os.path.join(args.models, name, "1", "model.onnx")
            case = os.path.join(tmp, name)
            shapes = make_case(model, case, args.batch, 1000 + seed)
            run = subprocess.run(
                [args.hogar, "model", "test", case, "--device", "all", "--rtol", args.rtol,
                 "--atol", args.atol], capture_output=True, text=True)
            print(f"{name} {shapes}:\n{run.stdout}{run.stderr}", end="")
            if run.returncode != 0:
                failed.append(name)
    if failed:
        print("FAILED: hogar's outputs differ from onnxruntime's for " + ", ".join(failed))
        return 1
    print(f"all {len(args.names)} models match onnxruntime")
    return 0


if __name__ == "__main__":
    sys.exit(main())
