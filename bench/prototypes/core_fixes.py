# Prototype of fixes C1-C4 of docs/performance.md (made against commit c8fe916), applied to a COPY of
# the repository, never to src/ itself:
#   cp -r CMakeLists.txt src plugin bench tests test-captures scripts /some/copy && python3 bench/prototypes/core_fixes.py /some/copy
# then build the copy with -DTCPSTATE_BENCH=ON and compare its bench/tcpstate_core_bench with the current one.
import sys
root = sys.argv[1]
p = root + '/src/engine.cpp'; s = open(p).read()
i = s.index('std::uint64_t endpoint_id('); j = s.index('namespace {', i)
s = s[:i] + '''std::uint64_t endpoint_id(const std::uint8_t* addr, std::size_t len, std::uint16_t port) {
    std::uint64_t a = 0, b = 0;
    if (addr && len == 4) {
        std::uint32_t v;
        std::memcpy(&v, addr, 4);
        a = v;
    } else if (addr && len == 16) {
        std::memcpy(&a, addr, 8);
        std::memcpy(&b, addr + 8, 8);
    } else {
        for (std::size_t i = 0; addr && i < len; ++i) a = (a ^ addr[i]) * 1099511628211ull;
    }
    std::uint64_t h = (a ^ (std::uint64_t{port} << 32) ^ (static_cast<std::uint64_t>(len) << 48)) * 0x9e3779b97f4a7c15ull;
    h ^= (b ^ (h >> 29)) * 0xbf58476d1ce4e5b9ull;
    return h == 0 ? 1 : h;
}

''' + s[j:]
s = s.replace('#include <algorithm>\n', '#include <algorithm>\n#include <cstring>\n', 1)
rep = [
('''    std::size_t n = conns_.capacity() * sizeof(Connection) + frames_.capacity() * sizeof(tcpstate_result);
    n += by_tuple_.size() * (sizeof(std::uint64_t) * 2 + 2 * sizeof(void*)) + by_tuple_.bucket_count() * sizeof(void*);''',
 '''    std::size_t n = conns_.memory() + frames_.memory() + by_tuple_.memory();'''),
('''    for (const auto& c : conns_)
        if (c.ws) n += sizeof(ws::Session);''', '''    conns_.for_each([&n](const Connection& c) {
        if (c.ws) n += sizeof(ws::Session);
    });'''),
('''        if (need > frames_.size()) frames_.resize(std::max(need, frames_.size() * 3 / 2 + 16));''', '''        frames_.grow_to(need);'''),
('''        conns_.resize(std::max<std::size_t>(std::size_t{seg.stream} + 1, conns_.size() * 3 / 2 + 16));''', '''        conns_.grow_to(std::size_t{seg.stream} + 1);'''),
('''        const auto prev = by_tuple_.find(c.tuple);
        if (bare_syn && prev != by_tuple_.end() && prev->second != s.stream && prev->second < conns_.size()) {
            const Connection& p = conns_[prev->second];''', '''        auto tuple_of = [this](std::uint32_t st) { return conns_[st].tuple; };
        const std::uint32_t* prev = by_tuple_.find(c.tuple, tuple_of);
        if (bare_syn && prev && *prev - 1 != s.stream && *prev - 1 < conns_.size()) {
            const Connection& p = conns_[*prev - 1];'''),
('''        by_tuple_[c.tuple] = s.stream;''', '''        by_tuple_.set(c.tuple, s.stream, tuple_of);'''),
]
for a, b in rep:
    assert a in s, a[:60]
    s = s.replace(a, b)
open(p, 'w').write(s)

p = root + '/src/engine.hpp'; s = open(p).read()
tables = '''// A dense table indexed from 0 that grows by fixed-size pages: no reallocation, no copy, no
// capacity slack beyond the last page, and growing never needs the old and new table at once.
template <typename T, unsigned kShift>
class PagedTable {
public:
    static constexpr std::size_t kPage = std::size_t{1} << kShift;
    std::size_t size() const { return size_; }
    T& operator[](std::size_t i) { return pages_[i >> kShift][i & (kPage - 1)]; }
    const T& operator[](std::size_t i) const { return pages_[i >> kShift][i & (kPage - 1)]; }
    void grow_to(std::size_t n) {  // makes [0, n) addressable, value-initialised
        while (pages_.size() * kPage < n) pages_.push_back(std::make_unique<T[]>(kPage));
        if (n > size_) size_ = n;
    }
    std::size_t memory() const { return pages_.size() * kPage * sizeof(T) + pages_.capacity() * sizeof(void*); }
    template <typename F> void for_each(F f) const {
        for (std::size_t i = 0; i < size_; ++i) f((*this)[i]);
    }
private:
    std::vector<std::unique_ptr<T[]>> pages_;
    std::size_t size_ = 0;
};

// 4-tuple -> latest stream, open addressing, 8 bytes a slot: the stream + 1 and the tuple's high
// 32 bits as a fingerprint; the full tuple is read from the connection only on a fingerprint match.
class TupleIndex {
public:
    template <typename Tuple> std::uint32_t* find(std::uint64_t tuple, Tuple tuple_of) {
        if (slots_.empty()) return nullptr;
        const auto fp = static_cast<std::uint32_t>(tuple >> 32);
        for (std::size_t i = hash(tuple);; i = (i + 1) & (slots_.size() - 1)) {
            Slot& v = slots_[i];
            if (v.stream1 == 0) return nullptr;
            if (v.fp == fp && tuple_of(v.stream1 - 1) == tuple) return &v.stream1;
        }
    }
    template <typename Tuple> void set(std::uint64_t tuple, std::uint32_t stream, Tuple tuple_of) {
        if (std::uint32_t* v = find(tuple, tuple_of)) { *v = stream + 1; return; }
        if ((used_ + 1) * 4 > slots_.size() * 3) rehash(tuple_of);
        insert({stream + 1, static_cast<std::uint32_t>(tuple >> 32)}, tuple);
        ++used_;
    }
    std::size_t memory() const { return slots_.capacity() * sizeof(Slot); }
private:
    struct Slot { std::uint32_t stream1 = 0, fp = 0; };
    std::size_t hash(std::uint64_t t) const {
        return static_cast<std::size_t>((t * 0x9e3779b97f4a7c15ull) >> 20) & (slots_.size() - 1);
    }
    void insert(Slot v, std::uint64_t tuple) {
        std::size_t i = hash(tuple);
        while (slots_[i].stream1 != 0) i = (i + 1) & (slots_.size() - 1);
        slots_[i] = v;
    }
    template <typename Tuple> void rehash(Tuple tuple_of) {
        std::vector<Slot> old(slots_.empty() ? 1024 : slots_.size() * 2);
        old.swap(slots_);
        for (const Slot& v : old)
            if (v.stream1 != 0) insert(v, tuple_of(v.stream1 - 1));
    }
    std::vector<Slot> slots_;
    std::size_t used_ = 0;
};

class Engine {'''
s = s.replace('class Engine {', tables, 1)
a = '''    std::vector<Connection> conns_;
    std::unordered_map<std::uint64_t, std::uint32_t> by_tuple_;  // 4-tuple -> latest stream
    std::vector<tcpstate_result> frames_;                        // index: frame number, layer 0'''
assert a in s
s = s.replace(a, '''    PagedTable<Connection, 8> conns_;
    TupleIndex by_tuple_;                      // 4-tuple -> latest stream
    PagedTable<tcpstate_result, 10> frames_;   // index: frame number, layer 0''')
open(p, 'w').write(s)
