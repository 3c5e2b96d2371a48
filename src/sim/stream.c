/* One random stream per person, derived from (seed, person index).
 *
 * The streams are GSL's taus2 generator, whose seed is 32 bits wide. Hashing
 * (seed, index) into 32 bits would give about n^2 / 2^33 pairs of persons
 * with the same seed: ~116 identical twins in a million persons. Instead the
 * index goes through a 32-bit Feistel network keyed by the seed: a bijection,
 * so that within one run every person has a different taus2 seed (and taus2's
 * seeding maps distinct non-zero seeds to distinct states), while different
 * seeds give unrelated seed sequences. This is a hash, not a generator: all
 * random numbers come from GSL. */
#include "sim_internal.h"

/* The SplitMix64 finaliser (Steele, Lea and Flood 2014): a strong 64-bit mix. */
static uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static uint32_t feistel32(uint64_t seed, uint32_t x) {
  uint32_t l = x >> 16, r = x & 0xffffu;
  uint64_t key = mix64(seed ^ 0x7065696c73696dULL); /* "peilsim" */
  for (uint64_t round = 0; round < 4; round++) {
    uint32_t f = (uint32_t)(mix64(key + round * 0x9e3779b97f4a7c15ULL + r) >> 48);
    uint32_t t = r;
    r = l ^ f;
    l = t;
  }
  return (l << 16) | r;
}

unsigned long sim_stream_seed(uint64_t seed, uint64_t index) {
  uint32_t s = feistel32(seed, (uint32_t)index);
  /* taus2 treats seed 0 as 1: give the one index that maps to 0 the image
   * of 2^32 - 1, which no person has (persons < 2^31). */
  if (s == 0) s = feistel32(seed, 0xffffffffu);
  return s;
}
