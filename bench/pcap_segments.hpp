// The TCP segments of a pcap file in memory, as tcpstate_segments, for the core benchmark
// (bench/core_bench.cpp).
//
// Reads a little-endian pcap with Ethernet (VLAN tags skipped) or raw IP link type; IPv4 without
// fragments, IPv6 with TCP right after the fixed header. Header only, no dependency beyond
// tcpstate_core.h.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "tcpstate_core.h"

namespace tcpstate_pcap {

inline std::uint16_t be16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }
inline std::uint32_t be32(const std::uint8_t* p) { return std::uint32_t{be16(p)} << 16 | be16(p + 2); }
inline std::uint32_t le32(const std::uint8_t* p) {
    return std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16 | std::uint32_t{p[3]} << 24;
}

enum class Status { Ok, NotPcap, UnsupportedLink };

// Calls f(const tcpstate_segment&) for every TCP segment of the pcap `file` (n bytes), in file
// order. In the segment, stream is 0; frame is the record's number counting every record from 1;
// src_addr, dst_addr and payload point into `file` (payload is null when no payload byte was
// captured); time_ns is the record's time. *frames: the number of records; *link: the pcap link
// type (also when unsupported).
template <typename F>
Status for_each_segment(const std::uint8_t* file, std::size_t n, F&& f, std::uint32_t* frames = nullptr,
                        std::uint32_t* link_out = nullptr) {
    if (frames) *frames = 0;
    if (n < 24 || (le32(file) != 0xa1b2c3d4 && le32(file) != 0xa1b23c4d)) return Status::NotPcap;
    const std::uint32_t link = le32(file + 20);
    const bool nanosecond = le32(file) == 0xa1b23c4d;
    if (link_out) *link_out = link;
    if (link != 1 && link != 101 && link != 228 && link != 229) return Status::UnsupportedLink;
    std::uint32_t frame = 0;
    for (std::size_t off = 24; off + 16 <= n;) {
        const std::uint32_t incl = le32(file + off + 8);
        const std::uint8_t* p = file + off + 16;
        // The record's time: seconds, then microseconds (nanoseconds in a 0xa1b23c4d file).
        const std::int64_t sub = le32(file + off + 4);
        const std::int64_t time_ns = std::int64_t{le32(file + off)} * 1'000'000'000 + (nanosecond ? sub : sub * 1000);
        std::size_t len = std::min<std::size_t>(incl, n - off - 16);
        off += 16 + std::size_t{incl};
        ++frame;
        if (frames) *frames = frame;

        int version = 0;
        if (link == 1) {
            if (len < 14) continue;
            std::uint16_t type = be16(p + 12);
            p += 14;
            len -= 14;
            while ((type == 0x8100 || type == 0x88a8) && len >= 4) {
                type = be16(p + 2);
                p += 4;
                len -= 4;
            }
            version = type == 0x0800 ? 4 : type == 0x86dd ? 6 : 0;
        } else {
            version = link == 228 ? 4 : link == 229 ? 6 : (len > 0 ? p[0] >> 4 : 0);
        }
        tcpstate_segment s{};
        const std::uint8_t* l4;
        std::size_t l4_len, avail;
        if (version == 4) {
            if (len < 20 || p[9] != 6 || (be16(p + 6) & 0x3fff) != 0) continue;  // TCP, not a fragment
            const std::size_t ihl = (p[0] & 0x0fu) * 4u, total = be16(p + 2);
            if (ihl < 20 || total < ihl || len < ihl) continue;
            s.src_addr = p + 12;
            s.dst_addr = p + 16;
            s.addr_len = 4;
            l4 = p + ihl;
            l4_len = total - ihl;
            avail = len - ihl;
        } else if (version == 6) {
            if (len < 40 || p[6] != 6) continue;  // TCP right after the fixed header
            s.src_addr = p + 8;
            s.dst_addr = p + 24;
            s.addr_len = 16;
            l4 = p + 40;
            l4_len = be16(p + 4);
            avail = len - 40;
        } else {
            continue;
        }
        if (avail < 20 || l4_len < 20) continue;
        const std::size_t doff = (l4[12] >> 4) * 4u;
        if (doff < 20 || doff > l4_len || doff > avail) continue;

        s.frame = frame;
        s.time_ns = time_ns;
        s.src_port = be16(l4);
        s.dst_port = be16(l4 + 2);
        s.seq = be32(l4 + 4);
        s.ack = be32(l4 + 8);
        s.flags = static_cast<std::uint16_t>((l4[12] & 0x01u) << 8 | l4[13]);
        s.window = be16(l4 + 14);
        s.wscale = -1;
        for (std::size_t i = 20; i < doff;) {  // options: find window scale
            const std::uint8_t kind = l4[i];
            if (kind == 0) break;
            if (kind == 1) {
                ++i;
                continue;
            }
            if (i + 1 >= doff || l4[i + 1] < 2) break;
            if (kind == 3 && l4[i + 1] == 3 && i + 2 < doff) s.wscale = l4[i + 2];
            i += l4[i + 1];
        }
        s.payload_len = static_cast<std::uint32_t>(l4_len - doff);
        s.payload_captured = static_cast<std::uint32_t>(std::min(l4_len, avail) - doff);
        s.payload = s.payload_captured ? l4 + doff : nullptr;
        f(static_cast<const tcpstate_segment&>(s));
    }
    return Status::Ok;
}

}  // namespace tcpstate_pcap
