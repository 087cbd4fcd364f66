// tcpstate::Seq: sequence numbers compare modulo 2^32 (RFC 9293 3.4; docs/model.md: "a < b iff
// (int32_t)(a - b) < 0"). Every expected value below is worked out by hand from that definition.
#include "seq.hpp"

#include <gtest/gtest.h>

#include <cstdint>

namespace tcpstate {
namespace {

constexpr std::uint32_t kTop = 0xFFFFFFFFu;  // 2^32 - 1

// RFC 9293 3.4: "the space ranges from 0 to 2^32 - 1 ... arithmetic must be performed modulo 2^32".
static_assert(Seq(kTop) < Seq(0));
static_assert(Seq(kTop) + 1u == Seq(0));

TEST(EngineSeq, OrdersNeighboursAwayFromTheWrap_Rfc9293_3_4) {
    EXPECT_LT(Seq(1000), Seq(1001));
    EXPECT_GT(Seq(1001), Seq(1000));
    EXPECT_LE(Seq(1000), Seq(1000));
    EXPECT_GE(Seq(1000), Seq(1000));
    EXPECT_FALSE(Seq(1000) < Seq(1000));
    EXPECT_EQ(Seq(1001) - Seq(1000), 1);
    EXPECT_EQ(Seq(1000) - Seq(1001), -1);
}

TEST(EngineSeq, OrdersAcrossTheWrap_Rfc9293_3_4) {
    // 2^32 - 1 is followed by 0: 0xFFFFFFFF < 0 < 0x10, although raw 0xFFFFFFFF > 0.
    EXPECT_LT(Seq(kTop), Seq(0));
    EXPECT_GT(Seq(0), Seq(kTop));
    EXPECT_LT(Seq(0xFFFFFF00u), Seq(0x100u));
    EXPECT_GT(Seq(0x100u), Seq(0xFFFFFF00u));
    EXPECT_LE(Seq(0xFFFFFFF0u), Seq(0x10u));
    EXPECT_GE(Seq(0x10u), Seq(0xFFFFFFF0u));
    EXPECT_FALSE(Seq(0x10u) < Seq(0xFFFFFFF0u));
}

TEST(EngineSeq, DistanceIsSignedAndWraps_Rfc9293_3_4) {
    // From 0xFFFFFFF0 to 0x10 is 0x20 forward.
    EXPECT_EQ(Seq(0x10u) - Seq(0xFFFFFFF0u), 0x20);
    EXPECT_EQ(Seq(0xFFFFFFF0u) - Seq(0x10u), -0x20);
    EXPECT_EQ(Seq(0) - Seq(kTop), 1);
}

TEST(EngineSeq, AdditionAndSubtractionWrap_Rfc9293_3_4) {
    // A SYN at 2^32 - 1 occupies that number; the next one is 0 (SEG.LEN counts the SYN, 3.4).
    EXPECT_EQ(Seq(kTop) + 1u, Seq(0));
    // 0x200 bytes from 0xFFFFFF01 end at 0x100; the next sequence number is 0x101.
    EXPECT_EQ(Seq(0xFFFFFF01u) + 0x200u, Seq(0x101u));
    EXPECT_EQ(Seq(5) - 10u, Seq(0xFFFFFFFBu));
    EXPECT_EQ((Seq(0xFFFFFFFBu) + 10u).v, 5u);
}

TEST(EngineSeq, HalfSpaceLimit_Rfc9293_3_4) {
    // Within 2^31 - 1 of each other the order is strict and antisymmetric.
    EXPECT_LT(Seq(0), Seq(0x7FFFFFFFu));
    EXPECT_FALSE(Seq(0x7FFFFFFFu) < Seq(0));
    EXPECT_LT(Seq(0x80000000u), Seq(kTop));
    // Beyond 2^31 the nearer way round wins: 0x80000001 is 2^31 - 1 *before* 0.
    EXPECT_LT(Seq(0x80000001u), Seq(0));
    // At exactly 2^31 the order is undefined (RFC 1982 3.2); with the model's formula
    // (int32_t)(a - b) = INT32_MIN < 0 both ways, so each compares less than the other.
    EXPECT_LT(Seq(0x80000000u), Seq(0));
    EXPECT_LT(Seq(0), Seq(0x80000000u));
}

TEST(EngineSeq, MaxPicksTheLaterAcrossTheWrap_Rfc9293_3_4) {
    // docs/model.md: snd_nxt / rcv_nxt / the right edge keep "the largest", modulo 2^32.
    EXPECT_EQ(seq_max(Seq(0xFFFFFFF0u), Seq(0x10u)), Seq(0x10u));
    EXPECT_EQ(seq_max(Seq(0x10u), Seq(0xFFFFFFF0u)), Seq(0x10u));
    EXPECT_EQ(seq_max(Seq(7), Seq(7)), Seq(7));
}

TEST(EngineSeq, AckAcceptabilityAcrossTheWrap_Rfc9293_3_4) {
    // RFC 9293 3.4: an acceptable ACK satisfies SND.UNA < SEG.ACK =< SND.NXT.
    const Seq una(0xFFFFFFF0u), nxt(0x10u);
    const auto acceptable = [&](std::uint32_t ack) { return una < Seq(ack) && Seq(ack) <= nxt; };
    EXPECT_TRUE(acceptable(0xFFFFFFF1u));
    EXPECT_TRUE(acceptable(0));
    EXPECT_TRUE(acceptable(0x10u));
    EXPECT_FALSE(acceptable(0xFFFFFFF0u));  // = SND.UNA: a duplicate
    EXPECT_FALSE(acceptable(0x11u));        // > SND.NXT: acknowledges something not yet sent
}

}  // namespace
}  // namespace tcpstate
