"""The peers of bench/models/model_bench: the same ONNX model on onnxruntime and PyTorch.

Prints one JSON object per point, as model_bench reads them:
    {"runner", "batch", "images_per_s", "p50_ms", "p99_ms", "runs"}
or {"runner", "skipped": "why"} when a peer cannot run here (not installed, no GPU).

    python3 bench/models/peers.py --model build/models/resnet18/1/model.onnx \
        --peers ort-cpu,ort-cuda,torch-cuda,torch-cuda-host --batches 1,8,64 --seconds 3 --threads 2

Runners:
  ort-cpu     onnxruntime, CPUExecutionProvider, intra_op_num_threads = --threads, all graph
              optimizations on (its own BatchNorm folding and fusions).
  ort-cuda    onnxruntime, CUDAExecutionProvider.
  torch-cuda  PyTorch in eval mode, torch.backends.cudnn.benchmark = True, fp32 (TF32 off for
              convolutions and matrix products, as hogar's GPU path computes in strict fp32):
              the network is torchvision's resnet18 with the ONNX file's weights (the example
              ResNet-18 uses torchvision's layer names) when the `onnx` package can read them,
              else with torchvision's own initial weights, which cost the same to run. The
              batch is on the GPU already and the result stays there.
  torch-cuda-host
              the same, from a batch in host memory and back to it (x.cuda(), then .cpu()):
              what a server does with a request's bytes, and what hogar's GPU rows include.

Each point: two warm-up runs, then runs for --seconds (at least --min-runs); images/s over all
runs, p50/p99 per batch (nearest rank), as model_bench measures hogar.

With --serve (ort-cpu only), the session stays open and runs slices on demand, so that
model_bench can alternate short slices of hogar and onnxruntime: this shared machine's speed
drifts by a third within seconds, and only slices made side by side see the same machine. Each
line read from stdin, "BATCH SECONDS MIN_RUNS", runs the batch for that long (two warm-up runs
the first time a batch comes) and answers one line:
    {"runner", "batch", "seconds", "latencies_ms": [...]}
The first line says it is ready, with its process id (model_bench waits for its threads to
stop spinning before it runs hogar's slice). End of input ends the process.
"""

import argparse
import json
import math
import os
import sys
import time


def percentile(values, p):
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(p / 100.0 * len(ordered))))
    return ordered[rank - 1]


def timed_runs(run, seconds, min_runs, sync=lambda: None):
    """Runs for `seconds` (at least `min_runs` times): each run's latency in ms, and the time."""
    latencies = []
    started = time.perf_counter()
    while len(latencies) < min_runs or time.perf_counter() - started < seconds:
        t0 = time.perf_counter()
        run()
        sync()
        latencies.append((time.perf_counter() - t0) * 1000.0)
    return latencies, time.perf_counter() - started


def measure(run, batch, seconds, min_runs, sync=lambda: None):
    for _ in range(2):
        run()
    sync()
    latencies, total = timed_runs(run, seconds, min_runs, sync)
    return {
        "batch": batch,
        "images_per_s": round(batch * len(latencies) / total, 3),
        "p50_ms": round(percentile(latencies, 50), 4),
        "p99_ms": round(percentile(latencies, 99), 4),
        "runs": len(latencies),
    }


def emit(obj):
    print(json.dumps(obj), flush=True)


def input_shape(model_path):
    """The first input's shape with the batch dimension left as None (onnxruntime's view)."""
    import onnxruntime as ort

    session = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
    first = session.get_inputs()[0]
    return first.name, [d if isinstance(d, int) else None for d in first.shape]


def ort_session(args, provider):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = args.threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(args.model, options, providers=[provider])


def ort_feeds(session, batch, sequence, rng):
    """Every input, as model_bench feeds hogar: the batch first, `sequence` for the other
    dynamic extents; int64 inputs (token ids, masks) integers in 0..255, floats in [0, 1)."""
    import numpy as np

    feeds = {}
    for i in session.get_inputs():
        dims = [batch] + [d if isinstance(d, int) else sequence for d in i.shape[1:]]
        if i.type == "tensor(int64)":
            feeds[i.name] = rng.integers(0, 256, size=dims, dtype=np.int64)
        else:
            feeds[i.name] = rng.random(dims, dtype=np.float32)
    return feeds


def serve_ort(args):
    """--serve: slices of onnxruntime CPU runs on demand (see the module's docstring)."""
    runner = "onnxruntime cpu"
    try:
        import numpy as np
        session = ort_session(args, "CPUExecutionProvider")
    except ImportError as e:
        emit({"runner": runner, "skipped": f"onnxruntime is not installed ({e})"})
        return
    emit({"runner": runner, "ready": True, "pid": os.getpid()})
    rng = np.random.default_rng(1)
    feeds_by_batch = {}
    for line in sys.stdin:
        batch, seconds, min_runs = line.split()
        batch, seconds, min_runs = int(batch), float(seconds), int(min_runs)
        if batch not in feeds_by_batch:
            feeds_by_batch[batch] = ort_feeds(session, batch, args.sequence, rng)
            for _ in range(2):
                session.run(None, feeds_by_batch[batch])
        feeds = feeds_by_batch[batch]
        latencies, total = timed_runs(lambda: session.run(None, feeds), seconds, min_runs)
        emit({"runner": runner, "batch": batch, "seconds": total,
              "latencies_ms": [round(ms, 4) for ms in latencies]})


def run_ort(args, provider, runner):
    try:
        import numpy as np
        import onnxruntime as ort
    except ImportError as e:
        emit({"runner": runner, "skipped": f"onnxruntime is not installed ({e})"})
        return
    if provider not in ort.get_available_providers():
        emit({"runner": runner, "skipped": f"{provider} is not available here"})
        return
    session = ort_session(args, provider)
    rng = np.random.default_rng(1)
    for batch in args.batches:
        feeds = ort_feeds(session, batch, args.sequence, rng)
        point = measure(lambda: session.run(None, feeds), batch, args.seconds, args.min_runs)
        point["runner"] = runner
        emit(point)


def torch_resnet18_with_onnx_weights(model_path, torch):
    import torchvision

    net = torchvision.models.resnet18()
    note = "torchvision's initial weights"
    try:
        import onnx
        from onnx import numpy_helper

        weights = {t.name: numpy_helper.to_array(t) for t in onnx.load(model_path).graph.initializer}
        state = net.state_dict()
        matched = {k: torch.from_numpy(weights[k].copy()) for k in state if k in weights}
        if len(matched) == len([k for k in state if not k.endswith("num_batches_tracked")]):
            state.update(matched)
            net.load_state_dict(state)
            note = "the ONNX file's weights"
    except ImportError:
        pass
    return net, note


def run_torch(args, host_tensors=False):
    runner = "torch cuda (host tensors)" if host_tensors else "torch cuda"
    try:
        import torch
    except ImportError as e:
        emit({"runner": runner, "skipped": f"PyTorch is not installed ({e})"})
        return
    if not torch.cuda.is_available():
        emit({"runner": runner, "skipped": "no CUDA device for PyTorch"})
        return
    torch.backends.cudnn.benchmark = True
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False
    net, note = torch_resnet18_with_onnx_weights(args.model, torch)
    print(f"torch cuda: resnet18 with {note}", file=sys.stderr, flush=True)
    net = net.eval().cuda()
    _, shape = input_shape(args.model)
    with torch.inference_mode():
        for batch in args.batches:
            dims = [batch] + [d if d is not None else 1 for d in shape[1:]]
            if host_tensors:
                x = torch.rand(dims, dtype=torch.float32)
                run = lambda: net(x.cuda()).cpu()
            else:
                x = torch.rand(dims, device="cuda", dtype=torch.float32)
                run = lambda: net(x)
            point = measure(run, batch, args.seconds, args.min_runs, sync=torch.cuda.synchronize)
            point["runner"] = runner
            emit(point)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", required=True)
    p.add_argument("--peers", default="ort-cpu")
    p.add_argument("--batches", default="1,8,64")
    p.add_argument("--seconds", type=float, default=3.0)
    p.add_argument("--min-runs", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--sequence", type=int, default=1)
    p.add_argument("--serve", action="store_true",
                   help="ort-cpu only: run slices on demand, one per line of stdin")
    args = p.parse_args()
    if args.serve:
        serve_ort(args)
        return 0
    args.batches = [int(b) for b in args.batches.split(",")]
    for peer in args.peers.split(","):
        if peer == "ort-cpu":
            run_ort(args, "CPUExecutionProvider", "onnxruntime cpu")
        elif peer == "ort-cuda":
            run_ort(args, "CUDAExecutionProvider", "onnxruntime cuda")
        elif peer == "torch-cuda":
            run_torch(args)
        elif peer == "torch-cuda-host":
            run_torch(args, host_tensors=True)
        else:
            emit({"runner": peer, "skipped": "unknown peer"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
