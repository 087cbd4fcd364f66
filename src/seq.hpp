// Sequence numbers as a type: comparisons are modulo 2^32 (RFC 9293 3.4), never raw `<` on uint32_t.
#pragma once

#include <cstdint>

namespace tcpstate {

struct Seq {
    std::uint32_t v = 0;

    constexpr Seq() = default;
    constexpr explicit Seq(std::uint32_t value) : v(value) {}

    // Signed distance from `o` to this, valid while the two are within 2^31 of each other.
    constexpr std::int32_t operator-(Seq o) const { return static_cast<std::int32_t>(v - o.v); }
    constexpr Seq operator+(std::uint32_t n) const { return Seq(v + n); }
    constexpr Seq operator-(std::uint32_t n) const { return Seq(v - n); }
    constexpr bool operator==(const Seq&) const = default;
    constexpr bool operator<(Seq o) const { return (*this - o) < 0; }
    constexpr bool operator<=(Seq o) const { return (*this - o) <= 0; }
    constexpr bool operator>(Seq o) const { return (*this - o) > 0; }
    constexpr bool operator>=(Seq o) const { return (*this - o) >= 0; }
};

constexpr Seq seq_max(Seq a, Seq b) { return a < b ? b : a; }

}  // namespace tcpstate
