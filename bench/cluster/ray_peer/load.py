"""Closed-loop HTTP load for a KServe v2 image endpoint: N requests, C in flight.

Each of the C workers builds its random image bodies once (one by default,
--images-per-worker K for more; seeded by worker and image, so runs are repeatable) and sends
them in turn, one request at a time, over its own keep-alive connection, until N requests have
been sent in all. Prints one JSON line:

    {"url", "concurrency", "encoding", "requests", "failed", "seconds", "rps", "p50_ms", "p99_ms",
     "with_plate", "first_error"}

`with_plate` counts the measured answers that carry analysis.plate: whether the car branch ran
depends on the image, so with one image per worker it runs for all of a worker's requests or
for none; compare peers at equal branch rates (more images per worker even them out).

`seconds` and `rps` cover the measured requests only (the warm-up ones are not counted);
percentiles are nearest-rank over the successful requests, as scheduling/latency_summary.cpp
computes them. A failed request (an HTTP status other than 200, a refused connection, a
timeout) is counted and the run goes on; `first_error` says what the first one was.

    python3 load.py --url http://127.0.0.1:8000/v2/models/image-analysis/infer -n 200 -c 8
"""

import argparse
import asyncio
import json
import math
import sys
import time

import aiohttp
import numpy as np

PLATE_MARKER = b'"analysis.plate"'


def image_body(seed, shape, binary):
    """The request body and its headers; serialized once, so that the load generator spends its
    CPU on sending, not on encoding. `binary`: the binary tensor extension (a JSON header, then
    the image's raw bytes; Inference-Header-Content-Length gives the JSON's length), as Triton's
    clients send tensors by default."""
    pixels = np.random.default_rng(seed).integers(0, 256, size=math.prod(shape), dtype=np.uint8)
    tensor = {"name": "image", "datatype": "UINT8", "shape": list(shape)}
    if not binary:
        tensor["data"] = pixels.tolist()
        body = json.dumps({"inputs": [tensor]}, separators=(",", ":")).encode()
        return body, {"Content-Type": "application/json"}
    tensor["parameters"] = {"binary_data_size": pixels.size}
    header = json.dumps({"inputs": [tensor]}, separators=(",", ":")).encode()
    return header + pixels.tobytes(), {
        "Content-Type": "application/octet-stream",
        "Inference-Header-Content-Length": str(len(header)),
    }


def percentile(sorted_values, p):
    if not sorted_values:
        return 0.0
    rank = max(1, min(len(sorted_values), math.ceil(p / 100.0 * len(sorted_values))))
    return sorted_values[rank - 1]


async def run(url, requests, concurrency, warmup, shape, timeout_s, images_per_worker, binary):
    bodies = [
        [image_body(1000 * (w + 1) + k, shape, binary) for k in range(images_per_worker)]
        for w in range(concurrency)
    ]
    latencies_ms = []
    failed = 0
    with_plate = 0
    first_error = None
    next_index = 0
    counted_from = warmup  # requests with a lower index warm up and are not counted
    started = None

    def take():
        nonlocal next_index, started
        if next_index >= warmup + requests:
            return None
        i = next_index
        next_index += 1
        if i == counted_from:
            started = time.perf_counter()
        return i

    async def worker(w, session):
        nonlocal failed, first_error, with_plate
        sent = 0
        while (i := take()) is not None:
            body, headers = bodies[w][sent % images_per_worker]
            sent += 1
            t0 = time.perf_counter()
            error = None
            payload = b""
            try:
                async with session.post(url, data=body, headers=headers) as response:
                    payload = await response.read()
                    if response.status != 200:
                        error = f"HTTP {response.status}: {payload[:200].decode(errors='replace')}"
            except (aiohttp.ClientError, asyncio.TimeoutError) as e:
                error = f"{type(e).__name__}: {e}"
            elapsed_ms = (time.perf_counter() - t0) * 1000.0
            if i < counted_from:
                continue
            if error is None:
                latencies_ms.append(elapsed_ms)
                with_plate += PLATE_MARKER in payload
            else:
                failed += 1
                first_error = first_error or error

    # One connection per worker (limit=concurrency), kept alive between its requests.
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        await asyncio.gather(*(worker(w, session) for w in range(concurrency)))
    seconds = time.perf_counter() - started if started is not None else 0.0
    latencies_ms.sort()
    return {
        "url": url,
        "concurrency": concurrency,
        "encoding": "binary" if binary else "json",
        "requests": requests,
        "failed": failed,
        "seconds": round(seconds, 4),
        "rps": round(requests / seconds, 1) if seconds > 0 else 0.0,
        "p50_ms": round(percentile(latencies_ms, 50), 3),
        "p99_ms": round(percentile(latencies_ms, 99), 3),
        "with_plate": with_plate,
        "first_error": first_error,
    }


def sample(url, shape, binary, timeout_s):
    body, headers = image_body(1, shape, binary)

    async def send():
        timeout = aiohttp.ClientTimeout(total=timeout_s)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            async with session.post(url, data=body, headers=headers) as response:
                return response.status, await response.read()

    status, payload = asyncio.run(send())
    if status != 200:
        print(f"HTTP {status}: {payload[:400].decode(errors='replace')}", file=sys.stderr)
        return 1
    outputs = sorted(json.loads(payload)["outputs"], key=lambda t: t["name"])
    print(json.dumps(outputs, sort_keys=True, separators=(",", ":")), flush=True)
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", required=True, help="the KServe v2 infer URL")
    p.add_argument("-n", "--requests", type=int, default=200, help="measured requests")
    p.add_argument("-c", "--concurrency", type=int, default=1, help="requests in flight")
    p.add_argument(
        "--warmup",
        type=int,
        default=None,
        help="requests sent first and not counted (default: max(10, N/10))",
    )
    p.add_argument(
        "--shape", default="96,128,3", help="image shape, comma-separated (default 96,128,3)"
    )
    p.add_argument("--timeout-s", type=float, default=30.0, help="per-request timeout")
    p.add_argument(
        "--images-per-worker", type=int, default=1, help="distinct images each worker cycles"
    )
    p.add_argument(
        "--encoding",
        choices=("binary", "json"),
        default="binary",
        help="binary: the image as raw bytes (binary tensor extension, as Triton's clients "
        "send by default); json: as a list of numbers (default binary)",
    )
    p.add_argument(
        "--sample",
        action="store_true",
        help="send one request (the image of seed 1) and print its outputs, sorted by name, "
        "as one JSON line; for comparing the answers of two servers",
    )
    args = p.parse_args()
    shape = tuple(int(x) for x in args.shape.split(","))
    if args.sample:
        return sample(args.url, shape, args.encoding == "binary", args.timeout_s)
    if args.requests < 1 or args.concurrency < 1 or args.images_per_worker < 1:
        p.error("--requests, --concurrency and --images-per-worker must be at least 1")
    warmup = max(10, args.requests // 10) if args.warmup is None else args.warmup
    result = asyncio.run(
        run(
            args.url,
            args.requests,
            args.concurrency,
            warmup,
            shape,
            args.timeout_s,
            args.images_per_worker,
            args.encoding == "binary",
        )
    )
    print(json.dumps(result), flush=True)
    return 0 if result["failed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
