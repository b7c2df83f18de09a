#!/usr/bin/env python3
"""bench/models/ort_conv_layers.py: the peer of conv_bench's layer table. Times the one-node
Conv + Relu models that `conv_bench --write-models DIR` writes (and lists on stdout) in
onnxruntime's CPU provider, on 1 and on N intra-op threads, and prints GFLOP/s per layer in
the same markdown columns, so that the two tables can be read side by side.

    conv_bench --write-models /tmp/layers | python3 bench/models/ort_conv_layers.py --batch 1
"""
import argparse
import sys
import time

import numpy as np
import onnxruntime as ort


def best_seconds(session, feed, budget_s):
    session.run(None, feed)
    best, spent, calls = float("inf"), 0.0, 0
    while calls < 3 or spent < budget_s:
        start = time.perf_counter()
        session.run(None, feed)
        elapsed = time.perf_counter() - start
        best, spent, calls = min(best, elapsed), spent + elapsed, calls + 1
    return best


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--budget", type=float, default=0.5)
    args = parser.parse_args()
    print(f"| layer | batch | GFLOP | ort 1T GFLOP/s | ort {args.threads}T GFLOP/s |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for line in sys.stdin:
        path, channels, size, flops = line.split()
        flops = float(flops) * args.batch
        x = np.random.rand(args.batch, int(channels), int(size), int(size)).astype(np.float32)
        rates = []
        for threads in (1, args.threads):
            options = ort.SessionOptions()
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
            seconds = best_seconds(session, {session.get_inputs()[0].name: x}, args.budget)
            rates.append(flops / seconds / 1e9)
        name = path.rsplit("/", 1)[-1][:-5]
        print(f"| {name} | {args.batch} | {flops / 1e9:.3f} | {rates[0]:.1f} | {rates[1]:.1f} |")


if __name__ == "__main__":
    main()
