"""triton_client_test.py: Triton's own Python client (PyPI's tritonclient[http]) against a real
hogard, through every client call a Triton user makes: health, server and model metadata,
readiness, the repository index, load and unload, inference with binary and with JSON tensors,
requested outputs, async inference, the model configuration and the statistics extension, and
the failure answers. Each answer is checked field by field.

Run by ctest through triton_client_test.sh, which makes the virtual environment first:

    python triton_client_test.py --hogard BIN --hogar BIN --models DIR --source DIR
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import unittest

import numpy as np
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException

ARGS = None
DAEMON = None


def free_port():
    """A TCP port nobody listens on right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def eventually(condition, limit_s=20.0):
    """Waits until condition() holds, checking every 20 ms, for at most limit_s."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


class Daemon:
    """One hogard on free loopback ports, serving the build's example models."""

    def __init__(self):
        self.actor_port = free_port()
        self.http_port = free_port()
        self.log = tempfile.NamedTemporaryFile(prefix="hogar_triton_", suffix=".log", delete=False)
        self.process = subprocess.Popen(
            [ARGS.hogard, "--name=node1", "--host=127.0.0.1",
             f"--actor-port={self.actor_port}", f"--http-port={self.http_port}",
             "--cpu-threads=2", "--heartbeat-interval-ms=100", "--log-level=info",
             f"--model-repository={ARGS.models}"],
            stdout=self.log, stderr=subprocess.STDOUT)
        self.client = httpclient.InferenceServerClient(url=f"127.0.0.1:{self.http_port}")

    def ready(self):
        try:
            return self.client.is_server_ready()
        except Exception:  # not listening yet
            return False

    def cli(self, *args):
        env = dict(os.environ, HOGAR_MODEL_REPOSITORY=ARGS.models)
        return subprocess.run([ARGS.hogar, *args, "--cluster", f"127.0.0.1:{self.actor_port}"],
                              cwd=ARGS.source, env=env, capture_output=True, text=True,
                              timeout=60)

    def logs(self):
        with open(self.log.name, encoding="utf-8", errors="replace") as f:
            return f.read()

    def stop(self):
        self.client.close()
        self.process.kill()
        self.process.wait()


def setUpModule():
    global DAEMON
    DAEMON = Daemon()
    if not eventually(DAEMON.ready):
        raise RuntimeError("hogard did not become ready:\n" + DAEMON.logs())
    submitted = DAEMON.cli("submit", "config/graphs/image-analysis.yaml")
    if submitted.returncode != 0:
        raise RuntimeError("hogar submit failed: " + submitted.stderr + DAEMON.logs())
    if not eventually(lambda: DAEMON.client.is_model_ready("image-analysis")):
        raise RuntimeError("image-analysis did not become ready:\n" + DAEMON.logs())


def tearDownModule():
    if DAEMON:
        DAEMON.stop()


def image(seed):
    return np.random.default_rng(seed).integers(0, 256, size=(96, 128, 3), dtype=np.uint8)


def image_input(seed, binary):
    x = httpclient.InferInput("image", [96, 128, 3], "UINT8")
    x.set_data_from_numpy(image(seed), binary_data=binary)
    return x


def features_input(rows, binary, value=0.5):
    data = np.full((rows, 64), value, dtype=np.float32)
    data[:, ::3] = -value
    x = httpclient.InferInput("features", [rows, 64], "FP32")
    x.set_data_from_numpy(data, binary_data=binary)
    return x


# What image-analysis answers carry: the detector's candidate boxes, their scores per class and
# the rows [item, class, box] of the boxes it kept (as many as it kept), the car check's count
# and best score of kept cars, and, when there was a car, the plate reader's characters (7
# positions x 36 symbols).
ANALYSIS_OUTPUTS = [
    {"name": "analysis.boxes", "datatype": "FP32", "shape": [252, 4]},
    {"name": "analysis.scores", "datatype": "FP32", "shape": [4, 252]},
    {"name": "analysis.selected", "datatype": "INT64", "shape": [-1, 3]},
    {"name": "analysis.detections", "datatype": "INT64", "shape": []},
    {"name": "analysis.score", "datatype": "FP32", "shape": []},
    {"name": "analysis.characters", "datatype": "FP32", "shape": [7, 36]},
]
# The car check's threshold (config/graphs/image-analysis.yaml).
CAR = 1
CAR_THRESHOLD = 0.4
NUMPY_TYPES = {"FP32": np.float32, "INT64": np.int64}


class TritonClientTest(unittest.TestCase):
    """In order (unittest sorts by name): the statistics count what the earlier tests sent."""

    maxDiff = None
    # image-analysis answers so far, and those that carried a plate (the plate reader ran).
    analysis_answers = 0
    plates_read = 0
    # Whether the image of a seed showed a car (test_06 finds out).
    car = {}

    def setUp(self):
        self.client = DAEMON.client

    def assert_raises_status(self, status, call, *args, **kwargs):
        with self.assertRaises(InferenceServerException) as caught:
            call(*args, **kwargs)
        self.assertEqual(caught.exception.status(), str(status), caught.exception.message())
        return caught.exception.message()

    def check_analysis(self, result, expect_names=None, plate_ran=None):
        """Each tensor of an image-analysis answer has the metadata's datatype and shape.
        plate_ran: whether the plate reader ran, for an answer whose outputs were chosen."""
        response = result.get_response()
        names = [o["name"] for o in response["outputs"]]
        declared = {o["name"]: o for o in ANALYSIS_OUTPUTS}
        def fits(shape, declared_shape):  # -1: any extent
            return len(shape) == len(declared_shape) and all(
                d == w or w == -1 for d, w in zip(shape, declared_shape))
        for o in response["outputs"]:
            want = declared[o["name"]]
            self.assertEqual(o["datatype"], want["datatype"], o["name"])
            self.assertTrue(fits(o["shape"], want["shape"]), (o["name"], o["shape"]))
            array = result.as_numpy(o["name"])
            self.assertEqual(array.dtype, NUMPY_TYPES[want["datatype"]], o["name"])
            self.assertEqual(list(array.shape), o["shape"], o["name"])
        if expect_names is not None:
            self.assertEqual(names, expect_names)
        else:
            self.assertEqual(names[:5], [o["name"] for o in ANALYSIS_OUTPUTS[:5]])
        if "analysis.selected" in names and "analysis.scores" in names:
            # The car check counted the kept car boxes scoring at least its threshold.
            scores = result.as_numpy("analysis.scores")
            self.assertTrue(((scores >= 0) & (scores <= 1)).all())
            cars = [row for row in result.as_numpy("analysis.selected")
                    if row[1] == CAR and scores[CAR, row[2]] >= CAR_THRESHOLD]
            if "analysis.detections" in names:
                self.assertEqual(int(result.as_numpy("analysis.detections")), len(cars))
            if expect_names is None:
                self.assertEqual("analysis.characters" in names, len(cars) > 0)
        TritonClientTest.analysis_answers += 1
        TritonClientTest.plates_read += (plate_ran if plate_ran is not None
                                          else "analysis.characters" in names)
        return names

    def test_01_health(self):
        self.assertTrue(self.client.is_server_live())
        self.assertTrue(self.client.is_server_ready())

    def test_02_server_metadata_lists_every_extension(self):
        meta = self.client.get_server_metadata()
        self.assertEqual(meta["name"], "hogar")
        self.assertTrue(meta["version"])
        self.assertEqual(meta["extensions"], ["binary_tensor_data", "model_repository",
                                              "model_configuration", "statistics", "parameters"])

    def test_03_model_metadata_lists_the_tensors_answers_carry(self):
        meta = self.client.get_model_metadata("image-analysis")
        self.assertEqual(meta["name"], "image-analysis")
        self.assertEqual(meta["platform"], "hogar")
        self.assertEqual(meta["versions"], ["1"])
        self.assertEqual(meta["inputs"],
                         [{"name": "image", "datatype": "UINT8", "shape": [96, 128, 3]}])
        self.assertEqual(meta["outputs"], ANALYSIS_OUTPUTS)

    def test_04_readiness(self):
        self.assertTrue(self.client.is_model_ready("image-analysis"))
        self.assertFalse(self.client.is_model_ready("ghost"))

    def test_05_repository_index_marks_models_inside_a_graph_ready(self):
        index = {m["name"]: m for m in self.client.get_model_repository_index()}
        self.assertEqual(set(index), {"detector", "plate_reader", "classifier", "resnet18",
                                      "mobilenet_v2", "bert", "yolo"})
        for name in ("yolo", "plate_reader"):
            self.assertEqual(index[name]["state"], "READY", index[name])
            self.assertEqual(index[name]["reason"], "served in graph image-analysis")
            self.assertEqual(index[name]["version"], "1")
        self.assertEqual(index["classifier"]["state"], "UNAVAILABLE")
        self.assertEqual(index["classifier"]["reason"], "not loaded")

    def test_06_binary_and_json_tensors_give_the_same_answer(self):
        seen = set()
        for seed in range(8):
            binary = self.client.infer("image-analysis", [image_input(seed, True)])
            plain = self.client.infer(
                "image-analysis", [image_input(seed, False)],
                outputs=[httpclient.InferRequestedOutput(o["name"], binary_data=False)
                         for o in ANALYSIS_OUTPUTS])
            names = self.check_analysis(binary)
            self.assertEqual(self.check_analysis(plain), names)
            for name in names:
                np.testing.assert_allclose(binary.as_numpy(name), plain.as_numpy(name),
                                           rtol=1e-6)
            TritonClientTest.car[seed] = "analysis.characters" in names
            seen.add("analysis.characters" in names)
        # Random images find a car about half the time: both branches ran.
        self.assertEqual(seen, {True, False})

    def test_07_requested_outputs_are_honoured_by_their_answer_names(self):
        result = self.client.infer(
            "image-analysis", [image_input(3, True)],
            outputs=[httpclient.InferRequestedOutput("analysis.detections", binary_data=False),
                     httpclient.InferRequestedOutput("analysis.selected"),
                     httpclient.InferRequestedOutput("analysis.scores")])
        self.check_analysis(result, expect_names=["analysis.detections", "analysis.selected",
                                                  "analysis.scores"],
                            plate_ran=TritonClientTest.car[3])
        self.assertEqual(int(result.as_numpy("analysis.detections")) > 0,
                         TritonClientTest.car[3])
        message = self.assert_raises_status(
            400, self.client.infer, "image-analysis", [image_input(3, True)],
            outputs=[httpclient.InferRequestedOutput("analysis.plate")])
        self.assertIn("output 'analysis.plate' is not an output of graph 'image-analysis'",
                      message)

    def test_08_async_inference(self):
        pending = [self.client.async_infer("image-analysis", [image_input(seed, True)])
                   for seed in (11, 12)]
        for request in pending:
            self.check_analysis(request.get_result())

    def test_09_failures_raise_with_the_status_and_message(self):
        for call in (self.client.get_model_metadata, self.client.get_model_config,
                     self.client.get_inference_statistics):
            message = self.assert_raises_status(404, call, "ghost")
            self.assertIn("ghost", message)
        message = self.assert_raises_status(404, self.client.infer, "ghost",
                                            [image_input(1, True)])
        self.assertIn("graph 'ghost' is not deployed", message)
        wrong = httpclient.InferInput("image", [96, 128, 3], "FP32")
        wrong.set_data_from_numpy(image(1).astype(np.float32), binary_data=True)
        message = self.assert_raises_status(400, self.client.infer, "image-analysis", [wrong])
        self.assertIn("input 'image': dtype float32 does not match the declared uint8 "
                      "[96, 128, 3]", message)
        short = httpclient.InferInput("image", [96, 128], "UINT8")
        short.set_data_from_numpy(image(1)[:, :, 0], binary_data=False)
        message = self.assert_raises_status(400, self.client.infer, "image-analysis", [short])
        self.assertIn("input 'image': shape [96, 128] does not match", message)

    def test_10_model_configuration_of_a_graph(self):
        config = self.client.get_model_config("image-analysis")
        self.assertEqual(config["name"], "image-analysis")
        self.assertEqual(config["platform"], "hogar")
        self.assertEqual(config["max_batch_size"], 0)
        self.assertEqual(config["input"],
                         [{"name": "image", "data_type": "TYPE_UINT8", "dims": [96, 128, 3]}])
        self.assertEqual([(o["name"], o["data_type"], o["dims"]) for o in config["output"]],
                         [(o["name"], "TYPE_" + o["datatype"], o["shape"])
                          for o in ANALYSIS_OUTPUTS])
        # Two model operators batch: their settings are under "parameters", not top-level.
        self.assertNotIn("dynamic_batching", config)
        groups = {g["name"]: g for g in config["instance_group"]}
        self.assertEqual(groups["detector"]["count"], 2)  # replicas: 2, instances: 1
        self.assertEqual(groups["resize"], {"name": "resize", "kind": "KIND_CPU", "count": 1})
        self.assertIn(groups["detector"]["kind"], ("KIND_CPU", "KIND_GPU"))
        self.assertEqual(config["version_policy"], {"latest": {"num_versions": 1}})
        detector = json.loads(config["parameters"]["operator.detector"]["string_value"])
        self.assertEqual(detector["model"], "yolo")
        self.assertEqual(detector["versions"], [1])
        self.assertEqual(detector["version_policy"], "latest")
        self.assertEqual(detector["replicas"], 2)
        self.assertEqual(detector["batching"], {"policy": "static", "max_batch_size": 8,
                                                "max_queue_delay_microseconds": 500})
        self.assertIn("operator.plate_reader", config["parameters"])

    def test_11_statistics_of_a_graph_and_the_models_inside(self):
        stats = self.client.get_inference_statistics("image-analysis")["model_stats"]
        entries = {(s["name"], s["version"]): s for s in stats}
        self.assertEqual(set(entries), {("image-analysis", "1"), ("yolo", "1"),
                                        ("plate_reader", "1")})
        n = TritonClientTest.analysis_answers
        graph = entries[("image-analysis", "1")]
        self.assertEqual(graph["inference_count"], n)
        self.assertEqual(graph["inference_stats"]["success"]["count"], n)
        self.assertGreater(graph["inference_stats"]["success"]["ns"], 0)
        # The failures above were refused at admission (400, 404): none ran.
        self.assertEqual(graph["inference_stats"]["fail"]["count"], 0)
        self.assertGreater(graph["inference_stats"]["compute_infer"]["ns"], 0)
        self.assertGreater(graph["last_inference"], 1_600_000_000_000)
        detector = entries[("yolo", "1")]
        self.assertEqual(detector["inference_count"], n)
        self.assertEqual(detector["inference_stats"]["success"]["count"], n)
        self.assertEqual(detector["inference_stats"]["queue"]["count"], n)
        for figure in ("success", "queue", "compute_input", "compute_infer", "compute_output"):
            self.assertGreater(detector["inference_stats"][figure]["ns"], 0, figure)
        self.assertGreaterEqual(detector["execution_count"], 1)
        self.assertLessEqual(detector["execution_count"], n)
        batches = detector["batch_stats"]
        self.assertEqual(sum(b["batch_size"] * b["compute_infer"]["count"] for b in batches), n)
        self.assertEqual(sum(b["compute_infer"]["count"] for b in batches),
                         detector["execution_count"])
        # The plate reader ran for the answers that carried characters, no more.
        plate = entries[("plate_reader", "1")]
        self.assertEqual(plate["inference_count"], TritonClientTest.plates_read)
        self.assertEqual(plate["inference_stats"]["success"]["count"],
                         TritonClientTest.plates_read)
        # Every stats call sees all, including the graph's own entry.
        everything = self.client.get_inference_statistics()["model_stats"]
        self.assertIn(("image-analysis", "1"), {(s["name"], s["version"]) for s in everything})

    def test_12_a_model_loads_serves_counts_and_unloads(self):
        self.client.load_model("classifier")
        self.assertTrue(eventually(lambda: self.client.is_model_ready("classifier")))
        index = {m["name"]: m for m in self.client.get_model_repository_index()}
        self.assertEqual(index["classifier"]["state"], "READY")

        meta = self.client.get_model_metadata("classifier")
        self.assertEqual(meta["versions"], ["1"])
        self.assertEqual(meta["inputs"], [{"name": "features", "datatype": "FP32", "shape": [-1, 64]}])
        self.assertEqual(meta["outputs"],
                         [{"name": "probabilities", "datatype": "FP32", "shape": [-1, 10]}])

        config = self.client.get_model_config("classifier")
        self.assertEqual(config["max_batch_size"], 32)
        self.assertEqual(config["input"], [{"name": "features", "data_type": "TYPE_FP32", "dims": [64]}])
        self.assertEqual(config["output"],
                         [{"name": "probabilities", "data_type": "TYPE_FP32", "dims": [10]}])
        self.assertEqual(config["dynamic_batching"],
                         {"max_queue_delay_microseconds": 0, "preferred_batch_size": [32]})
        self.assertEqual(len(config["instance_group"]), 1)
        self.assertEqual(config["instance_group"][0]["count"], 1)
        self.assertEqual(config["version_policy"], {"latest": {"num_versions": 1}})

        for binary in (True, False):
            result = self.client.infer("classifier", [features_input(2, binary)])
            self.assertEqual(result.get_response()["model_version"], "1")
            probabilities = result.as_numpy("probabilities")
            self.assertEqual(probabilities.shape, (2, 10))
            np.testing.assert_allclose(probabilities.sum(axis=1), [1, 1], rtol=1e-5)
        # A NaN reaches the model and is refused there: a failure of classifier:1.
        message = self.assert_raises_status(400, self.client.infer, "classifier",
                                            [features_input(1, True, value=np.nan)])
        self.assertIn("holds NaN", message)

        stats = self.client.get_inference_statistics("classifier")["model_stats"]
        self.assertEqual([(s["name"], s["version"]) for s in stats], [("classifier", "1")])
        s = stats[0]
        self.assertEqual(s["inference_count"], 4)  # two requests of two items
        self.assertEqual(s["inference_stats"]["success"]["count"], 2)
        self.assertEqual(s["inference_stats"]["fail"]["count"], 1)
        self.assertGreater(s["inference_stats"]["compute_infer"]["ns"], 0)
        self.assertEqual(sum(b["batch_size"] * b["compute_infer"]["count"]
                             for b in s["batch_stats"]), 4)

        self.client.unload_model("classifier")
        self.assertFalse(self.client.is_model_ready("classifier"))
        index = {m["name"]: m for m in self.client.get_model_repository_index()}
        self.assertEqual(index["classifier"]["state"], "UNAVAILABLE")
        self.assert_raises_status(404, self.client.get_model_metadata, "classifier")


def main():
    global ARGS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hogard", required=True)
    parser.add_argument("--hogar", required=True)
    parser.add_argument("--models", required=True)
    parser.add_argument("--source", required=True)
    ARGS, rest = parser.parse_known_args()
    program = unittest.main(argv=[sys.argv[0], "-v", *rest], exit=False)
    if DAEMON is not None:
        if not program.result.wasSuccessful():
            print("---- hogard log ----\n" + DAEMON.logs(), file=sys.stderr)
        os.unlink(DAEMON.log.name)
    return 0 if program.result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
