#!/usr/bin/env bash
# install-deps.sh: installs the Debian packages hogar builds with, only those missing, and
# says what it runs. Safe to run again: with everything present it changes nothing.
set -euo pipefail

packages=(
  cmake g++ ninja-build ccache pkg-config
  libcaf-dev                      # CAF 0.17: the actors (core + io)
  libcaf-openssl0.17              # CAF's openssl module: mutual TLS on the actor port (libssl-dev)
  openssl                         # scripts/make-certs.sh (and the TLS tests) make certificates
  libboost-program-options-dev    # config files and command-line flags
  libboost-dev                    # Boost.Beast and Boost.Asio (header-only): the HTTP front end
  libssl-dev                      # HTTPS (Beast over OpenSSL)
  libncurses-dev                  # hogar-inspect's terminal view
  libfmt-dev                      # formatting
  libyaml-cpp-dev                 # the graph language
  nlohmann-json3-dev              # KServe v2 JSON (writing; and error positions)
  libsimdjson-dev                 # KServe v2 JSON (reading client requests: fast, depth-limited)
  doctest-dev                     # tests
  libonnx-dev libprotobuf-dev     # ONNX models (protobuf)
  libopenblas-dev                 # the fast CPU path's matrix products
  libdnnl-dev                     # the fast CPU path's convolutions (oneDNN: kernels by CPU flags)
  libonnx-testdata                # ONNX's backend node tests: the conformance suite
  python3-venv                    # the virtual environment of Triton's client (scripts/python-env.sh)
  gnuplot-nox                     # bench/tuning/tuning_bench.py draws its figure
  libgraphviz-dev                 # the web page's graph view: Graphviz lays the graph out (libgvc)
  chromium chromium-driver python3-selenium  # the web page's tests drive a real browser
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages are installed"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "install-deps: missing: ${missing[*]}"
echo "install-deps: running: $sudo apt-get update"
$sudo apt-get update -qq
echo "install-deps: running: $sudo apt-get install -y ${missing[*]}"
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
