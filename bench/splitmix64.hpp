// splitmix64: the seeded PRNG step of the bench capture generator (bench/make_bench_capture.cpp).
#pragma once

#include <cstdint>

inline std::uint64_t splitmix64_next(std::uint64_t& s) {
    std::uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
