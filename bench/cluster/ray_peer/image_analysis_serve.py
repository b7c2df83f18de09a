"""The image-analysis graph (config/graphs/image-analysis-simulated.yaml) as a Ray Serve application.

This is the peer hogar's cluster benchmark is compared against: the same operators, each one a
Ray Serve deployment (as each hogar operator is a set of actor replicas), composed by an ingress
deployment through DeploymentHandles, served over HTTP with the KServe v2 JSON body:

    POST /v2/models/image-analysis/infer
    {"inputs": [{"name": "image", "datatype": "UINT8", "shape": [96, 128, 3], "data": [...]}]}

or the same with the binary tensor extension (Inference-Header-Content-Length: the JSON's
length; the input says "parameters": {"binary_data_size": 36864} and its raw bytes follow),

answers {"model_name": "image-analysis", "outputs": [...]} with the tensors hogar's `analysis`
output carries: analysis.scores (FP32[4]), analysis.label (INT64[]), analysis.score (FP32[]),
and analysis.plate (INT32[7]) only when a car was found. GET /v2/health/ready answers 200 once
the application is up (run_peer.sh polls it).

The graph, operator by operator (the math follows kernels/ops/*.cpp):
    resize        96x128x3 uint8 -> 64x64x3 uint8, bilinear with half-pixel centres
    normalize     float32 (x / 255 - mean[c]) / std[c], ImageNet mean and std
    detector      simulated model: busy for cost_ms, 4 scores in [0, 1) from a hash of its input,
                  the very values hogar's `simulate` gives (2 replicas, as in the YAML)
    car_check     classify over [person, car, bicycle, dog]: label = argmax, score = max,
                  condition = scores[car] >= 0.5
    plate_crop    centre crop 48x96 of the original image, only when car_check said yes
    plate_reader  simulated model: busy for cost_ms, 7 int32 in [0, 100) from a hash of the crop,
                  as hogar's `simulate`
    analysis      merge of detector, car_check and (when present) plate_reader

Run on its own (starts a local Ray with 2 CPUs unless --address is given):
    cc -O2 -shared -fPIC -o libhogar_hash.so hogar_hash.c
    python3 image_analysis_serve.py --port 8000 --hash-library libhogar_hash.so \
        [--cost-ms 2 1 | --zero-cost] [--address auto]
It serves until SIGINT or SIGTERM. run_peer.sh starts Ray, runs this, and drives the load.
"""

import argparse
import asyncio
import ctypes
import json
import os
import signal
import sys
import threading

import numpy as np
import ray
from ray import serve
from ray.serve.handle import DeploymentHandle
from starlette.requests import Request
from starlette.responses import JSONResponse

GRAPH_NAME = "image-analysis"
INFER_PATH = f"/v2/models/{GRAPH_NAME}/infer"
READY_PATH = "/v2/health/ready"
IMAGE_SHAPE = (96, 128, 3)
RESIZED_HW = (64, 64)
CROP_HW = (48, 96)
NORMALIZE_SCALE = 1.0 / 255.0
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
LABELS = ("person", "car", "bicycle", "dog")
CAR_INDEX = LABELS.index("car")
CAR_THRESHOLD = 0.5
PLATE_LENGTH = 7
PLATE_INT_BOUND = 100

# Every replica asks for 0 logical CPUs: the 9 replicas share the machine's 2 cores (as hogar's
# actors share its scheduler threads); Serve's default of 1 CPU each would not even fit.
# Access logs off: one log line per request and replica is work hogar does not do either.
CHEAP_OP = dict(
    ray_actor_options={"num_cpus": 0},
    # Serve's default (5 in flight per replica) would queue requests in front of operators
    # that take microseconds; the closed loop goes up to 64 in flight.
    max_ongoing_requests=256,
    logging_config={"enable_access_log": False, "log_level": "WARNING"},
)
# A simulated model holds its replica for its whole cost, one request at a time, as hogar's
# `simulate` holds its replica: concurrency comes from replicas, not from overlapping sleeps.
MODEL_OP = dict(
    ray_actor_options={"num_cpus": 0},
    max_ongoing_requests=1,
    logging_config={"enable_access_log": False, "log_level": "WARNING"},
)


def bilinear_taps(size_in, size_out):
    """Source rows (or columns) and weights, as make_taps in kernels/ops/image.cpp."""
    centre = (np.arange(size_out, dtype=np.float64) + 0.5) * (size_in / size_out)
    src = np.maximum(centre - 0.5, 0.0)
    i0 = np.minimum(src.astype(np.int64), size_in - 1)
    i1 = np.minimum(i0 + 1, size_in - 1)
    return i0, i1, (src - i0).astype(np.float32)


# hogar's dtype codes (base/dtype.hpp) of the tensors the simulated models read.
HOGAR_DTYPES = {np.dtype(np.float32): 0, np.dtype(np.uint8): 5}
MASK64 = (1 << 64) - 1


class HogarSimulate:
    """The outputs of hogar's `simulate` operator (kernels/ops/simulate.cpp) for a one-tensor
    input record: a seed hashed from the record (hogar_hash.c, through ctypes), then splitmix64
    values, as uniform_tensor in kernels/random_tensor.cpp makes them. With it, the peer's
    detector and plate reader answer exactly what hogar's do for the same image."""

    def __init__(self, library):
        self.lib = ctypes.CDLL(library)
        self.lib.hogar_simulate_seed.restype = ctypes.c_uint64
        self.lib.hogar_simulate_seed.argtypes = [
            ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_int64), ctypes.c_int,
            ctypes.c_void_p, ctypes.c_size_t,
        ]

    def _values(self, name, array, count):
        a = np.ascontiguousarray(array)
        shape = (ctypes.c_int64 * a.ndim)(*a.shape)
        state = self.lib.hogar_simulate_seed(
            name.encode(), HOGAR_DTYPES[a.dtype], shape, a.ndim, a.ctypes.data, a.nbytes
        )
        out = []
        for _ in range(count):
            state = (state + 0x9E3779B97F4A7C15) & MASK64
            z = state
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
            out.append(z ^ (z >> 31))
        return out

    def floats(self, name, array, count):
        """float32 values in [0, 1): 24 random bits each."""
        return np.array([(v >> 40) * 2.0**-24 for v in self._values(name, array, count)],
                        dtype=np.float32)

    def ints(self, name, array, count, bound):
        return np.array([v % bound for v in self._values(name, array, count)], dtype=np.int32)


@serve.deployment(**CHEAP_OP)
class Resize:
    def __init__(self):
        # The taps depend only on the shapes: computed once per replica.
        self.y0, self.y1, wy = bilinear_taps(IMAGE_SHAPE[0], RESIZED_HW[0])
        self.x0, self.x1, wx = bilinear_taps(IMAGE_SHAPE[1], RESIZED_HW[1])
        self.wy = wy[:, None, None]
        self.wx = wx[None, :, None]

    def resize(self, image):
        f = image.astype(np.float32)
        r0, r1 = f[self.y0], f[self.y1]
        top = r0[:, self.x0] * (1 - self.wx) + r0[:, self.x1] * self.wx
        bottom = r1[:, self.x0] * (1 - self.wx) + r1[:, self.x1] * self.wx
        v = top * (1 - self.wy) + bottom * self.wy
        # Round half away from zero (values are >= 0) and clamp, as to_element<uint8_t> does.
        return np.clip(np.floor(v + 0.5), 0, 255).astype(np.uint8)


@serve.deployment(**CHEAP_OP)
class Normalize:
    def __init__(self):
        # As normalize_image in kernels/ops/image.cpp: x * (scale / std) - mean / std, in
        # double, rounded to float32 once (the same bits as hogar's, so the same scores).
        std = np.asarray(IMAGENET_STD, dtype=np.float64)
        self.a = NORMALIZE_SCALE / std
        self.b = np.asarray(IMAGENET_MEAN, dtype=np.float64) / std

    def normalize(self, image):
        return (image.astype(np.float64) * self.a - self.b).astype(np.float32)


@serve.deployment(num_replicas=2, **MODEL_OP)
class Detector:
    def __init__(self, cost_ms, hash_library):
        self.cost_s = cost_ms / 1000.0
        self.simulate = HogarSimulate(hash_library)

    async def detect(self, normalized):
        # hogar's records keep the input's tensor name ("image") through resize and normalize.
        scores = self.simulate.floats("image", normalized, len(LABELS))
        # asyncio.sleep, not time.sleep: the cost holds the replica (max_ongoing_requests=1),
        # not a thread, as hogar's `simulate` in sleep mode.
        if self.cost_s > 0:
            await asyncio.sleep(self.cost_s)
        return scores


@serve.deployment(**CHEAP_OP)
class CarCheck:
    def classify(self, scores):
        best = int(np.argmax(scores))
        return {
            "label": np.int64(best),
            "score": np.float32(scores[best]),
            "condition": bool(scores[CAR_INDEX] >= CAR_THRESHOLD),
        }


@serve.deployment(**CHEAP_OP)
class PlateCrop:
    def crop(self, image):
        top = (image.shape[0] - CROP_HW[0]) // 2
        left = (image.shape[1] - CROP_HW[1]) // 2
        return np.ascontiguousarray(image[top : top + CROP_HW[0], left : left + CROP_HW[1]])


@serve.deployment(**MODEL_OP)
class PlateReader:
    def __init__(self, cost_ms, hash_library):
        self.cost_s = cost_ms / 1000.0
        self.simulate = HogarSimulate(hash_library)

    async def read(self, crop):
        plate = self.simulate.ints("image", crop, PLATE_LENGTH, PLATE_INT_BOUND)
        if self.cost_s > 0:
            await asyncio.sleep(self.cost_s)
        return plate


@serve.deployment(**CHEAP_OP)
class Merge:
    def merge(self, detection, check, plate):
        """The union of the present inputs' tensors; `condition` is dropped, as merge does."""
        out = {"scores": detection, "label": check["label"], "score": check["score"]}
        if plate is not None:
            out["plate"] = plate
        return out


KSERVE_DATATYPES = {
    np.dtype(np.float32): "FP32",
    np.dtype(np.int64): "INT64",
    np.dtype(np.int32): "INT32",
    np.dtype(np.uint8): "UINT8",
}


def kserve_tensor(name, value):
    a = np.asarray(value)
    if a.dtype == np.float32:
        # Shortest form that reads back as the same float32 (0.1, not 0.10000000149011612),
        # as hogar writes them: same answers, same bytes on the wire.
        data = [float(str(v)) for v in a.reshape(-1)]
    else:
        data = a.reshape(-1).tolist()
    return {
        "name": name,
        "datatype": KSERVE_DATATYPES[a.dtype],
        "shape": list(a.shape),
        "data": data,
    }


class BadRequest(Exception):
    pass


def parse_image(body, binary=b""):
    """The `image` input of a KServe v2 request as a uint8 array of IMAGE_SHAPE. `binary`: the
    bytes after the JSON of a binary-tensor-extension request (the image's raw bytes when the
    input says parameters.binary_data_size)."""
    if not isinstance(body, dict) or not isinstance(body.get("inputs"), list):
        raise BadRequest('the body must be a JSON object with an "inputs" list')
    for entry in body["inputs"]:
        if not isinstance(entry, dict) or entry.get("name") != "image":
            continue
        if entry.get("datatype") != "UINT8":
            raise BadRequest(f'input "image": datatype must be UINT8, got {entry.get("datatype")!r}')
        if list(entry.get("shape") or []) != list(IMAGE_SHAPE):
            raise BadRequest(
                f'input "image": shape must be {list(IMAGE_SHAPE)}, got {entry.get("shape")!r}'
            )
        size = (entry.get("parameters") or {}).get("binary_data_size")
        if size is not None:
            if size != int(np.prod(IMAGE_SHAPE)) or len(binary) != size:
                raise BadRequest(
                    f'input "image": binary_data_size {size!r} with {len(binary)} bytes after '
                    f"the JSON; shape {list(IMAGE_SHAPE)} needs {int(np.prod(IMAGE_SHAPE))}"
                )
            return np.frombuffer(binary, dtype=np.uint8).reshape(IMAGE_SHAPE)
        try:
            data = np.asarray(entry.get("data"), dtype=np.int64).reshape(-1)
        except (TypeError, ValueError) as e:
            raise BadRequest(f'input "image": data is not a list of integers ({e})') from None
        if data.size != np.prod(IMAGE_SHAPE):
            raise BadRequest(
                f'input "image": data holds {data.size} values, shape {list(IMAGE_SHAPE)} '
                f"needs {int(np.prod(IMAGE_SHAPE))}"
            )
        if data.min() < 0 or data.max() > 255:
            raise BadRequest('input "image": UINT8 values must lie in 0..255')
        return data.astype(np.uint8).reshape(IMAGE_SHAPE)
    raise BadRequest('the request has no input named "image"')


@serve.deployment(**CHEAP_OP)
class ImageAnalysis:
    """Ingress: parses the request, walks the graph through the handles, answers KServe JSON."""

    def __init__(
        self,
        resize: DeploymentHandle,
        normalize: DeploymentHandle,
        detector: DeploymentHandle,
        car_check: DeploymentHandle,
        plate_crop: DeploymentHandle,
        plate_reader: DeploymentHandle,
        merge: DeploymentHandle,
    ):
        self.resize = resize
        self.normalize = normalize
        self.detector = detector
        self.car_check = car_check
        self.plate_crop = plate_crop
        self.plate_reader = plate_reader
        self.merge = merge

    async def __call__(self, request: Request):
        path = request.url.path.rstrip("/")
        if request.method == "GET" and path == READY_PATH:
            return JSONResponse({"ready": True})
        if request.method != "POST" or path != INFER_PATH:
            return JSONResponse(
                {"error": f"no route {request.method} {path}; use POST {INFER_PATH}"},
                status_code=404,
            )
        # The binary tensor extension: the JSON is the first Inference-Header-Content-Length
        # bytes of the body, the tensors' raw bytes follow.
        raw = await request.body()
        binary = b""
        header_length = request.headers.get("inference-header-content-length")
        if header_length is not None:
            if not header_length.isdigit() or int(header_length) > len(raw):
                return JSONResponse(
                    {"error": f"bad Inference-Header-Content-Length {header_length!r}"},
                    status_code=400,
                )
            raw, binary = raw[: int(header_length)], raw[int(header_length) :]
        try:
            body = json.loads(raw)
        except ValueError as e:
            return JSONResponse({"error": f"the body is not JSON: {e}"}, status_code=400)
        try:
            image = parse_image(body, binary)
        except BadRequest as e:
            return JSONResponse({"error": str(e)}, status_code=400)

        resized = await self.resize.resize.remote(image)
        normalized = await self.normalize.normalize.remote(resized)
        detection = await self.detector.detect.remote(normalized)
        check = await self.car_check.classify.remote(detection)
        plate = None
        if check["condition"]:  # the `when: car_check` branch; skipped otherwise
            crop = await self.plate_crop.crop.remote(image)
            plate = await self.plate_reader.read.remote(crop)
        merged = await self.merge.merge.remote(detection, check, plate)

        answer = {
            "model_name": GRAPH_NAME,
            "outputs": [kserve_tensor(f"analysis.{k}", v) for k, v in merged.items()],
        }
        if isinstance(body, dict) and "id" in body:
            answer["id"] = body["id"]
        return JSONResponse(answer)


def build_app(detector_cost_ms, plate_reader_cost_ms, hash_library):
    return ImageAnalysis.bind(
        Resize.bind(),
        Normalize.bind(),
        Detector.bind(detector_cost_ms, hash_library),
        CarCheck.bind(),
        PlateCrop.bind(),
        PlateReader.bind(plate_reader_cost_ms, hash_library),
        Merge.bind(),
    )


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--port", type=int, required=True, help="HTTP port on --host")
    p.add_argument("--host", default="127.0.0.1", help="HTTP address (default 127.0.0.1)")
    costs = p.add_mutually_exclusive_group()
    costs.add_argument(
        "--cost-ms",
        type=float,
        nargs=2,
        metavar=("DETECTOR", "PLATE_READER"),
        default=(2.0, 1.0),
        help="simulated cost of the detector and the plate reader in ms (default 2 1)",
    )
    costs.add_argument(
        "--zero-cost", action="store_true", help="both simulated costs 0: pure serving overhead"
    )
    p.add_argument(
        "--address",
        default=None,
        help='Ray cluster to join ("auto": the one `ray start` began); '
        "default: start a local Ray inside this process",
    )
    p.add_argument(
        "--hash-library",
        required=True,
        help="hogar_hash.c compiled as a shared library (run_peer.sh builds it)",
    )
    p.add_argument("--num-cpus", type=int, default=2, help="CPUs of a local Ray (default 2)")
    p.add_argument(
        "--object-store-mb", type=int, default=500, help="object store of a local Ray (MB)"
    )
    args = p.parse_args()
    detector_cost, reader_cost = (0.0, 0.0) if args.zero_cost else args.cost_ms
    if detector_cost < 0 or reader_cost < 0:
        p.error(f"--cost-ms must be >= 0, got {detector_cost} {reader_cost}")

    if args.address:
        ray.init(address=args.address, logging_level="WARNING")
    else:
        ray.init(
            num_cpus=args.num_cpus,
            object_store_memory=args.object_store_mb * 1000 * 1000,
            include_dashboard=False,
            logging_level="WARNING",
        )
    serve.start(http_options={"host": args.host, "port": args.port})
    serve.run(
        build_app(detector_cost, reader_cost, os.path.abspath(args.hash_library)),
        name=GRAPH_NAME,
        route_prefix="/",
        logging_config={"enable_access_log": False, "log_level": "WARNING"},
    )
    print(
        f"ready: POST http://{args.host}:{args.port}{INFER_PATH} "
        f"(detector {detector_cost} ms, plate_reader {reader_cost} ms)",
        flush=True,
    )

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    # A timed wait, so the signal handler runs promptly whatever the platform's lock semantics.
    while not stop.wait(1.0):
        pass
    serve.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
