/* hogar_hash.c: the seed hogar's `simulate` operator derives from its input, for the Ray peer.
 *
 * The peer's simulated models must answer what hogar's do for the same image (same scores, so
 * the car branch runs for the same requests on both sides, and the same plate). The seed is a
 * sequential hash over the input's bytes (kernels/tensor.cpp: mix, hash_bytes,
 * tensor::content_hash, content_hash(record); kernels/ops/simulate.cpp: the seed), which numpy
 * cannot vectorise and pure Python would take milliseconds for; run_peer.sh compiles this file
 * with `cc -O2 -shared` and image_analysis_serve.py calls it through ctypes. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static uint64_t mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h;
}

static uint64_t hash_bytes(const unsigned char* bytes, size_t size, uint64_t h) {
  size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    uint64_t word;
    memcpy(&word, bytes + i, 8);
    h = mix(h, word * 0xff51afd7ed558ccdULL);
  }
  for (; i < size; ++i)
    h = (h ^ bytes[i]) * 0x100000001b3ULL;
  return h;
}

static uint64_t splitmix64_first(uint64_t state) {
  uint64_t z = state + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* The seed of `simulate` for a one-input operator whose input record holds one tensor:
 * `name`, dtype code `dtype` (hogar's enum: float32 0, float64 1, int8 2, int32 3, int64 4,
 * uint8 5, bool 6), `rank` extents, and its row-major bytes. */
uint64_t hogar_simulate_seed(const char* name, int dtype, const int64_t* shape, int rank,
                             const void* bytes, size_t size) {
  uint64_t t = mix(0xcbf29ce484222325ULL, (uint64_t)dtype);
  for (int i = 0; i < rank; ++i)
    t = mix(t, (uint64_t)shape[i]);
  t = hash_bytes((const unsigned char*)bytes, size, t);
  uint64_t r = hash_bytes((const unsigned char*)name, strlen(name), 0x84222325cbf29ce4ULL);
  r = mix(r, t);
  return splitmix64_first(0x5eed5eed5eed5eedULL ^ r);
}
