// Google Benchmark of the tcpstate core alone, through the C ABI (issue 6).
//
//   tcpstate_core_bench [--capture=FILE] [Google Benchmark flags]
//
// BM_Mix/R        every TCP segment of the bench capture (scripts/make-bench-capture), read into
//                 memory once, through tcpstate_engine_process, in frame order, into a fresh engine
//                 per iteration. R > 1 replays the capture R times as R disjoint copies (new stream
//                 ids, frame numbers and addresses): R times the segments and connections, for the
//                 linear-growth check (time of /10 over time of /1).
// BM_SynFlood/N   N distinct connections, one SYN each (half-open), as from a SYN flood.
// BM_FrameMemory/N one connection of N segments: what the engine keeps per frame (marginal).
//
// Every iteration uses a fresh engine and starts with memory new to the process (malloc_trim), as
// tshark does when it opens a file; page faults are part of the cost. Rates use CPU time.
// Counters: segments/s; engine_MiB = tcpstate_engine_memory(); B/frame = engine memory / frames;
// B/conn = (engine memory - that of one connection with as many frames) / connections, i.e. the
// per-connection state without the per-frame results; heap_* = the same from glibc's own count of
// bytes in use (mallinfo2), which also sees allocator overhead and anything the engine does not
// count itself.
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "pcap_segments.hpp"
#include "tcpstate_core.h"

namespace {

std::string g_capture_path = TCPSTATE_BENCH_DEFAULT_CAPTURE;

std::size_t heap_in_use() {
    const struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

// ---- The bench capture, parsed once --------------------------------------------------------------
struct StreamAddrs {
    std::array<std::uint8_t, 16> a{}, b{};  // a: the first sender
    std::uint16_t a_port = 0;
};

struct Capture {
    std::vector<std::uint8_t> bytes;        // the whole file; payload pointers point into it
    std::vector<tcpstate_segment> segs;     // replica 0
    std::vector<std::uint8_t> from_a;       // per segment: sent by the stream's first sender
    std::vector<StreamAddrs> streams;
    std::uint32_t frames = 0;               // pcap records (frame numbers 1..frames)
    std::size_t ipv6 = 0;
    std::string error;
};

struct TupleKey {
    std::array<std::uint8_t, 37> k{};
    bool operator==(const TupleKey&) const = default;
};
struct TupleHash {
    std::size_t operator()(const TupleKey& t) const {
        std::uint64_t h = 1469598103934665603ull;
        for (const std::uint8_t b : t.k) h = (h ^ b) * 1099511628211ull;
        return static_cast<std::size_t>(h);
    }
};

Capture load_capture(const std::string& path) {
    Capture c;
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) {
        c.error = "cannot open " + path + " (run scripts/make-bench-capture, or pass --capture=FILE)";
        return c;
    }
    std::fseek(f, 0, SEEK_END);
    const long size = std::ftell(f);
    std::fseek(f, 0, SEEK_SET);
    c.bytes.resize(size > 0 ? static_cast<std::size_t>(size) : 0);
    if (std::fread(c.bytes.data(), 1, c.bytes.size(), f) != c.bytes.size()) c.error = "short read of " + path;
    std::fclose(f);
    if (!c.error.empty()) return c;
    std::unordered_map<TupleKey, std::uint32_t, TupleHash> ids;
    c.segs.reserve(c.bytes.size() / 400);
    c.from_a.reserve(c.bytes.size() / 400);
    std::uint32_t link = 0;
    const tcpstate_pcap::Status st = tcpstate_pcap::for_each_segment(c.bytes.data(), c.bytes.size(), [&](tcpstate_segment s) {
        const std::uint8_t* src = s.src_addr;
        const std::uint8_t* dst = s.dst_addr;
        const std::uint8_t alen = s.addr_len;

        // tcp.stream: in order of first appearance of the 4-tuple (both directions one stream).
        TupleKey key;
        const bool src_low = std::memcmp(src, dst, alen) < 0 || (std::memcmp(src, dst, alen) == 0 && s.src_port <= s.dst_port);
        const std::uint8_t* lo = src_low ? src : dst;
        const std::uint8_t* hi = src_low ? dst : src;
        std::memcpy(key.k.data(), lo, alen);
        std::memcpy(key.k.data() + 16, hi, alen);
        const std::uint16_t lo_port = src_low ? s.src_port : s.dst_port, hi_port = src_low ? s.dst_port : s.src_port;
        key.k[32] = static_cast<std::uint8_t>(lo_port >> 8);
        key.k[33] = static_cast<std::uint8_t>(lo_port);
        key.k[34] = static_cast<std::uint8_t>(hi_port >> 8);
        key.k[35] = static_cast<std::uint8_t>(hi_port);
        key.k[36] = alen;
        const auto [it, fresh] = ids.try_emplace(key, static_cast<std::uint32_t>(c.streams.size()));
        if (fresh) {
            StreamAddrs a;
            std::memcpy(a.a.data(), src, alen);
            std::memcpy(a.b.data(), dst, alen);
            a.a_port = s.src_port;
            c.streams.push_back(a);
            if (alen == 16) ++c.ipv6;
        }
        s.stream = it->second;
        const StreamAddrs& sa = c.streams[s.stream];
        c.from_a.push_back(std::memcmp(sa.a.data(), src, alen) == 0 && s.src_port == sa.a_port ? 1 : 0);
        c.segs.push_back(s);
    }, &c.frames, &link);
    if (st == tcpstate_pcap::Status::NotPcap) {
        c.error = path + ": not a little-endian pcap file";
        return c;
    }
    if (st == tcpstate_pcap::Status::UnsupportedLink) {
        c.error = path + ": link type " + std::to_string(link) + " not supported (Ethernet or raw IP only)";
        return c;
    }
    if (c.segs.empty()) c.error = path + ": no TCP segment";
    // Addresses from the per-stream table, not from the packet bytes: in Wireshark the packet was
    // just dissected and is in cache, while here a read from the file buffer would be a cache miss
    // per segment that measures the benchmark, not the engine. (Payload pointers stay in the file.)
    for (std::size_t i = 0; i < c.segs.size(); ++i) {
        tcpstate_segment& s = c.segs[i];
        const StreamAddrs& sa = c.streams[s.stream];
        s.src_addr = c.from_a[i] ? sa.a.data() : sa.b.data();
        s.dst_addr = c.from_a[i] ? sa.b.data() : sa.a.data();
    }
    return c;
}

const Capture& capture() {
    static const Capture c = load_capture(g_capture_path);
    return c;
}

// R disjoint copies of the capture. Copy k > 0 XORs the first address byte of both ends with k
// (so no 4-tuple repeats across copies) and shifts stream ids and frame numbers past copy k-1.
struct Mix {
    std::vector<tcpstate_segment> segs;
    std::vector<std::vector<StreamAddrs>> addrs;  // per copy > 0
    std::uint64_t frames = 0, conns = 0;
};

const Mix& mix(unsigned copies) {
    static std::map<unsigned, Mix> cache;
    auto [it, fresh] = cache.try_emplace(copies);
    Mix& m = it->second;
    if (!fresh) return m;
    const Capture& c = capture();
    m.frames = std::uint64_t{c.frames} * copies;
    m.conns = c.streams.size() * std::uint64_t{copies};
    m.segs.reserve(c.segs.size() * copies);
    m.segs = c.segs;
    m.addrs.resize(copies);
    for (unsigned k = 1; k < copies; ++k) {
        std::vector<StreamAddrs>& a = m.addrs[k];
        a = c.streams;
        for (StreamAddrs& s : a) {
            s.a[0] ^= static_cast<std::uint8_t>(k);
            s.b[0] ^= static_cast<std::uint8_t>(k);
        }
        for (std::size_t i = 0; i < c.segs.size(); ++i) {
            tcpstate_segment s = c.segs[i];
            const StreamAddrs& sa = a[s.stream];
            s.src_addr = c.from_a[i] ? sa.a.data() : sa.b.data();
            s.dst_addr = c.from_a[i] ? sa.b.data() : sa.a.data();
            s.stream += static_cast<std::uint32_t>(k * c.streams.size());
            s.frame += k * c.frames;
            m.segs.push_back(s);
        }
    }
    return m;
}

// What the engine holds for `frames` frames of a single connection: the per-frame part.
struct FrameRef {
    std::size_t engine = 0, heap = 0;
    double seconds = 0;
};

FrameRef frames_only(std::uint32_t frames) {
    static std::map<std::uint32_t, FrameRef> cache;
    if (auto it = cache.find(frames); it != cache.end()) return it->second;
    static const std::uint8_t a[4] = {10, 0, 0, 1}, b[4] = {192, 0, 2, 1};
    const std::size_t before = heap_in_use();
    tcpstate_engine* e = tcpstate_engine_new();
    tcpstate_segment s{};
    s.stream = 0;
    s.addr_len = 4;
    s.window = 502;
    s.wscale = -1;
    tcpstate_result r;
    for (std::uint32_t f = 1; f <= frames; ++f) {
        const bool client = f % 2 == 1;
        s.frame = f;
        s.src_addr = client ? a : b;
        s.dst_addr = client ? b : a;
        s.src_port = client ? 40000 : 80;
        s.dst_port = client ? 80 : 40000;
        s.flags = f == 1 ? TCPSTATE_SYN : f == 2 ? TCPSTATE_SYN | TCPSTATE_ACK : TCPSTATE_ACK;
        s.seq = client ? 1000 : 5000;
        s.ack = f == 1 ? 0 : client ? 5001 : 1001;
        tcpstate_engine_process(e, &s, 0, &r);
    }
    FrameRef ref{tcpstate_engine_memory(e), heap_in_use() - before, 0};
    tcpstate_engine_free(e);
    cache[frames] = ref;
    return ref;
}

void set_memory_counters(benchmark::State& st, std::size_t engine, std::size_t heap, std::uint64_t frames,
                         std::uint64_t conns) {
    const FrameRef ref = frames_only(static_cast<std::uint32_t>(frames));
    st.counters["frames"] = static_cast<double>(frames);
    st.counters["conns"] = static_cast<double>(conns);
    st.counters["engine_MiB"] = static_cast<double>(engine) / (1 << 20);
    st.counters["heap_MiB"] = static_cast<double>(heap) / (1 << 20);
    st.counters["B/frame"] = static_cast<double>(engine) / static_cast<double>(frames);
    st.counters["B/conn"] = (static_cast<double>(engine) - static_cast<double>(ref.engine)) / static_cast<double>(conns);
    st.counters["heap_B/conn"] = (static_cast<double>(heap) - static_cast<double>(ref.heap)) / static_cast<double>(conns);
}

// Outside the timed part: what engine `e` held (its own count, and the heap's growth since
// `heap_before`), then `e` freed and its memory returned to the system, so that every iteration
// starts like a fresh process whose memory is new to it.
std::pair<std::size_t, std::size_t> end_iteration(benchmark::State& st, tcpstate_engine* e, std::size_t heap_before) {
    st.PauseTiming();
    const std::pair<std::size_t, std::size_t> held{tcpstate_engine_memory(e), heap_in_use() - heap_before};
    tcpstate_engine_free(e);
    malloc_trim(0);
    st.ResumeTiming();
    return held;
}

// ---- Benchmarks -------------------------------------------------------------------------------------
void BM_Mix(benchmark::State& st) {
    const Capture& c = capture();
    if (!c.error.empty()) {
        st.SkipWithError(c.error.c_str());
        return;
    }
    const Mix& m = mix(static_cast<unsigned>(st.range(0)));
    std::size_t engine = 0, heap = 0;
    for (auto _ : st) {
        const std::size_t before = heap_in_use();
        tcpstate_engine* e = tcpstate_engine_new();
        tcpstate_result r;
        const std::size_t count = m.segs.size();
        const tcpstate_segment* segs = m.segs.data();
        for (std::size_t i = 0; i < count; ++i) {
            // In Wireshark the packet was just dissected: its bytes are in cache. Here they are in a
            // file-sized buffer; prefetch a few segments ahead so the engine is measured, not DRAM.
            if (i + 8 < count && segs[i + 8].payload) __builtin_prefetch(segs[i + 8].payload);
            tcpstate_engine_process(e, &segs[i], 0, &r);
        }
        benchmark::DoNotOptimize(r);
        std::tie(engine, heap) = end_iteration(st, e, before);
    }
    st.counters["segments/s"] = benchmark::Counter(static_cast<double>(m.segs.size()), benchmark::Counter::kIsIterationInvariantRate);
    st.counters["segments"] = static_cast<double>(m.segs.size());
    set_memory_counters(st, engine, heap, m.frames, m.conns);
}

struct Flood {
    std::vector<tcpstate_segment> segs;
    std::vector<std::array<std::uint8_t, 4>> addrs;
};

const Flood& flood(std::uint32_t n) {
    static std::map<std::uint32_t, Flood> cache;
    auto [it, fresh] = cache.try_emplace(n);
    Flood& f = it->second;
    if (!fresh) return f;
    static const std::uint8_t server[4] = {192, 0, 2, 80};
    f.addrs.resize(n);
    f.segs.resize(n);
    std::uint64_t x = 0x9e3779b97f4a7c15ull;
    for (std::uint32_t i = 0; i < n; ++i) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        f.addrs[i] = {static_cast<std::uint8_t>(10 + (i >> 24)), static_cast<std::uint8_t>(i >> 16),
                      static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i)};
        tcpstate_segment& s = f.segs[i];
        s.stream = i;
        s.frame = i + 1;
        s.src_addr = f.addrs[i].data();
        s.dst_addr = server;
        s.addr_len = 4;
        s.src_port = static_cast<std::uint16_t>(1024 + x % 64000);
        s.dst_port = 80;
        s.seq = static_cast<std::uint32_t>(x >> 32);
        s.flags = TCPSTATE_SYN;
        s.window = 64240;
        s.wscale = 7;
    }
    return f;
}

void BM_SynFlood(benchmark::State& st) {
    const auto n = static_cast<std::uint32_t>(st.range(0));
    const Flood& f = flood(n);
    std::size_t engine = 0, heap = 0;
    for (auto _ : st) {
        const std::size_t before = heap_in_use();
        tcpstate_engine* e = tcpstate_engine_new();
        tcpstate_result r;
        for (const tcpstate_segment& s : f.segs) tcpstate_engine_process(e, &s, 0, &r);
        benchmark::DoNotOptimize(r);
        std::tie(engine, heap) = end_iteration(st, e, before);
    }
    st.counters["segments/s"] = benchmark::Counter(n, benchmark::Counter::kIsIterationInvariantRate);
    set_memory_counters(st, engine, heap, n, n);
    st.counters["B/conn_total"] = static_cast<double>(engine) / n;  // with the SYN's own result
}

// The memory a frame adds: (memory with n frames - memory with 1 frame) / (n - 1), one connection,
// so the fixed cost of the connection and of the first table pages is not spread over the frames.
void BM_FrameMemory(benchmark::State& st) {
    const auto n = static_cast<std::uint32_t>(st.range(0));
    FrameRef ref, one;
    for (auto _ : st) {  // cached after the first iteration: time is not the point
        ref = frames_only(n);
        one = frames_only(1);
    }
    st.counters["frames"] = n;
    st.counters["engine_MiB"] = static_cast<double>(ref.engine) / (1 << 20);
    st.counters["B/frame"] = (static_cast<double>(ref.engine) - static_cast<double>(one.engine)) / (n - 1);
    st.counters["heap_B/frame"] = (static_cast<double>(ref.heap) - static_cast<double>(one.heap)) / (n - 1);
}

// CPU time, not wall time: "segments per second on one core" is what the thread spent, and it does
// not count the time the machine gave to other processes. (Wall time is printed beside it.)
BENCHMARK(BM_Mix)->Arg(1)->Arg(10)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SynFlood)->Arg(1000000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FrameMemory)->Arg(1000000)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
    std::vector<char*> args;
    for (int i = 0; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a.substr(0, 10) == "--capture=") g_capture_path = std::string(a.substr(10));
        else args.push_back(argv[i]);
    }
    int n = static_cast<int>(args.size());
    benchmark::Initialize(&n, args.data());
    if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 1;
    benchmark::AddCustomContext("capture", g_capture_path);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
