// cache.hpp: the `cache` kind, an LRU cache of the `fill_from` operator's output keyed by a
// hash of the cache's data inputs.
//
// run(): the key is the content hash of every data input (an absent input hashes as a fixed
// marker, so "a present, b absent" and "a present, b present" differ). A hit, not older than
// ttl_ms, emits the cached record plus {"condition": true}, so operators with
// `when: "!cache"` are skipped; a miss emits {"condition": false} and remembers the request's
// key until fill() (at most 4 x capacity pending misses; the oldest are forgotten first).
// fill(): the runtime hands over what `fill_from` produced for a request that missed; it is
// stored under that request's key (minus any "condition" tensor), evicting the least recently
// used entry beyond capacity. Every step is O(1). Keys are 64-bit hashes: two different inputs
// share an entry only on a hash collision (about 2^-64 per pair).
//
// Not thread-safe: one operator replica calls it from one actor.
#pragma once

#include <memory>

#include "kernels/operation.hpp"

namespace hogar::ops {

result<std::unique_ptr<operation>> make_cache(const graph::operator_spec& spec);
/// condition (bool scalar), plus on a hit the cached record of `fill_from` (every tensor of it
/// optional: a miss has none).
result<record_signature> cache_signature(const signature_call& call);

} // namespace hogar::ops
