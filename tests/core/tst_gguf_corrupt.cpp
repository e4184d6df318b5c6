// The GGUF reader on hostile input: every prefix of a real header, and hand-made files with one
// defect each (counts, lengths, types, nesting, shapes, offsets, alignment). Each must throw
// qb::Error naming the byte offset and the key or tensor concerned, without a large allocation.
#include "golden.h"

#include "error.h"
#include "gguf/gguf_file.h"
#include "gguf/gguf_json.h"

#include <QtTest>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <new>

// Largest single allocation since the last reset: the reader must never size memory by a
// number it has not checked against the bytes it holds.
namespace {
std::atomic<size_t> g_largestAllocation{0};
}

void *operator new(size_t size) {
    size_t seen = g_largestAllocation.load(std::memory_order_relaxed);
    while (size > seen && !g_largestAllocation.compare_exchange_weak(seen, size, std::memory_order_relaxed)) {}
    if (void *p = std::malloc(size ? size : 1)) return p;
    throw std::bad_alloc();
}
void *operator new[](size_t size) { return operator new(size); }
void operator delete(void *p) noexcept { std::free(p); }
void operator delete[](void *p) noexcept { std::free(p); }
void operator delete(void *p, size_t) noexcept { std::free(p); }
void operator delete[](void *p, size_t) noexcept { std::free(p); }

namespace {

// Builds GGUF bytes field by field; `mark()` remembers where the defect of a case starts.
class GgufBytes {
public:
    GgufBytes &u8(uint8_t v) { return raw(&v, 1); }
    GgufBytes &u16(uint16_t v) { return raw(&v, 2); }
    GgufBytes &u32(uint32_t v) { return raw(&v, 4); }
    GgufBytes &u64(uint64_t v) { return raw(&v, 8); }
    GgufBytes &str(const std::string &s) { return u64(s.size()).raw(s.data(), s.size()); }
    GgufBytes &raw(const void *p, size_t n) {
        const auto *b = static_cast<const uint8_t *>(p);
        m_bytes.insert(m_bytes.end(), b, b + n);
        return *this;
    }
    GgufBytes &header(uint64_t tensors, uint64_t kvs, uint32_t version = 3) {
        return raw("GGUF", 4).u32(version).u64(tensors).u64(kvs);
    }
    GgufBytes &kvU32(const std::string &key, uint32_t v) { return str(key).u32(4).u32(v); }
    // A tensor info: name, dims, ne..., type, offset.
    GgufBytes &tensor(const std::string &name, std::vector<uint64_t> ne, uint32_t type, uint64_t offset) {
        str(name).u32(uint32_t(ne.size()));
        for (uint64_t n : ne) u64(n);
        return u32(type).u64(offset);
    }
    GgufBytes &padTo(size_t alignment) {
        m_bytes.resize((m_bytes.size() + alignment - 1) / alignment * alignment, 0);
        return *this;
    }
    GgufBytes &zeros(size_t n) {
        m_bytes.resize(m_bytes.size() + n, 0);
        return *this;
    }
    GgufBytes &mark() {
        m_mark = m_bytes.size();
        return *this;
    }

    size_t size() const { return m_bytes.size(); }
    size_t marked() const { return m_mark; }
    const std::vector<uint8_t> &bytes() const { return m_bytes; }

private:
    std::vector<uint8_t> m_bytes;
    size_t m_mark = 0;
};

constexpr uint32_t kF32 = 0, kQ4_0 = 2;
constexpr uint32_t kTypeU8 = 0, kTypeU32 = 4, kTypeBool = 7, kTypeString = 8, kTypeArray = 9, kTypeU64 = 10;

using Builder = std::function<GgufBytes()>;

// `depth` arrays inside each other, the innermost holding one u8.
GgufBytes nestedArrays(int depth) {
    GgufBytes b;
    b.header(0, 1).str("deep").u32(kTypeArray);
    for (int d = 1; d < depth; ++d) {
        if (d == 9) b.mark();  // the header of the ninth array
        b.u32(kTypeArray).u64(1);
    }
    if (depth == 9) b.mark();
    return b.u32(kTypeU8).u64(1).u8(7);
}

} // namespace

Q_DECLARE_METATYPE(Builder)

class TestGgufCorrupt : public QObject {
    Q_OBJECT
private slots:
    void everyTruncatedHeaderIsRejected();
    void truncatedDataIsRejected();
    void corruptFileIsRejected_data();
    void corruptFileIsRejected();
    void validHandMadeFilesParse();
};

void TestGgufCorrupt::everyTruncatedHeaderIsRejected() {
    const std::vector<uint8_t> tiny = qbtest::readAll(qbtest::golden("models/tiny.f16.gguf"));
    const auto whole = qb::GgufFile::parse(tiny, "tiny");
    const size_t dataOffset = size_t(whole->dataOffset());
    QVERIFY(dataOffset > 1000);
    for (size_t len = 0; len < dataOffset; ++len) {
        g_largestAllocation = 0;
        try {
            qb::GgufFile::parse(std::span(tiny.data(), len), "prefix");
            QFAIL(qPrintable(QStringLiteral("a prefix of %1 bytes was accepted").arg(len)));
        } catch (const qb::Error &e) {
            const std::string what = e.what();
            QVERIFY2(what.rfind("prefix: byte ", 0) == 0, what.c_str());
        }
        QVERIFY2(g_largestAllocation <= 64 * 1024, qPrintable(QStringLiteral("prefix %1").arg(len)));
    }
}

void TestGgufCorrupt::truncatedDataIsRejected() {
    const std::vector<uint8_t> tiny = qbtest::readAll(qbtest::golden("models/tiny.f16.gguf"));
    const auto whole = qb::GgufFile::parse(tiny, "tiny");
    const qb::GgufTensorInfo &last = whole->tensors().back();
    const size_t end = size_t(whole->dataOffset() + last.offset + last.nbytes);
    for (size_t len : {size_t(whole->dataOffset()), end - 1, size_t(whole->dataOffset() + 5000)}) {
        try {
            qb::GgufFile::parse(std::span(tiny.data(), len), "cut");
            QFAIL(qPrintable(QStringLiteral("a file cut at %1 bytes was accepted").arg(len)));
        } catch (const qb::Error &e) {
            QVERIFY2(std::string(e.what()).find("lies outside the data section") != std::string::npos, e.what());
        }
    }
    // The padding after the last tensor is not required.
    QCOMPARE(qb::GgufFile::parse(std::span(tiny.data(), end), "unpadded")->tensors().size(), size_t(21));
}

void TestGgufCorrupt::corruptFileIsRejected_data() {
    QTest::addColumn<Builder>("build");
    QTest::addColumn<QString>("expected");  // in the message, besides the byte offset of the mark
    const uint64_t huge60 = uint64_t(1) << 60;

    QTest::newRow("bad-magic") << Builder([] { return GgufBytes().mark().raw("GGUX", 4).u32(3).u64(0).u64(0); })
                               << "not a GGUF file";
    QTest::newRow("version-1") << Builder([] { return GgufBytes().raw("GGUF", 4).mark().u32(1).u64(0).u64(0); })
                               << "version 1 is not supported";
    QTest::newRow("version-4") << Builder([] { return GgufBytes().raw("GGUF", 4).mark().u32(4).u64(0).u64(0); })
                               << "unsupported GGUF version 4";
    QTest::newRow("big-endian") << Builder([] { return GgufBytes().raw("GGUF", 4).mark().u32(3u << 24).u64(0).u64(0); })
                                << "big-endian";
    QTest::newRow("tensor-count-2^60") << Builder([=] { return GgufBytes().raw("GGUF", 4).u32(3).mark().u64(huge60).u64(0); })
                                       << "tensor count 1152921504606846976";
    QTest::newRow("kv-count-2^60") << Builder([=] { return GgufBytes().raw("GGUF", 4).u32(3).u64(0).mark().u64(huge60); })
                                   << "metadata key count 1152921504606846976";
    QTest::newRow("key-length-2^62") << Builder([] { return GgufBytes().header(0, 1).mark().u64(uint64_t(1) << 62).zeros(64); })
                                     << "metadata key claims a length of 4611686018427387904";
    QTest::newRow("string-length-2^62") << Builder([] {
        GgufBytes b;
        b.header(0, 1).str("general.name").u32(kTypeString).mark().u64(uint64_t(1) << 62).zeros(64);
        return b;
    }) << "key 'general.name'";
    QTest::newRow("array-2^61-u8") << Builder([] {
        GgufBytes b;
        b.header(0, 1).str("tokenizer.ggml.scores").u32(kTypeArray).mark().u32(kTypeU8).u64(uint64_t(1) << 61).zeros(64);
        return b;
    }) << "key 'tokenizer.ggml.scores': array of 2305843009213693952 u8";
    QTest::newRow("array-2^61-strings") << Builder([] {
        GgufBytes b;
        b.header(0, 1).str("tokenizer.ggml.tokens").u32(kTypeArray).mark().u32(kTypeString).u64(uint64_t(1) << 61);
        return b.str("a").str("b");
    }) << "key 'tokenizer.ggml.tokens': array of 2305843009213693952 str ";
    QTest::newRow("array-of-arrays-2^61") << Builder([] {
        GgufBytes b;
        b.header(0, 1).str("nested").u32(kTypeArray).u32(kTypeArray).u64(1).mark().u32(kTypeArray).u64(uint64_t(1) << 61);
        return b.zeros(64);
    }) << "key 'nested': array of 2305843009213693952 arr ";
    QTest::newRow("arrays-nested-9-deep") << Builder([] { return nestedArrays(9); }) << "key 'deep': arrays nested deeper than 8";
    QTest::newRow("value-type-99") << Builder([] { return GgufBytes().header(0, 1).str("k").mark().u32(99).u32(1); })
                                   << "key 'k': unknown value type 99";
    QTest::newRow("array-element-type-13") << Builder([] {
        return GgufBytes().header(0, 1).str("k").u32(kTypeArray).mark().u32(13).u64(1).u32(0);
    }) << "key 'k': unknown value type 13";
    QTest::newRow("bool-2") << Builder([] { return GgufBytes().header(0, 1).str("flag").u32(kTypeBool).mark().u8(2); })
                            << "key 'flag': bool value 2";
    QTest::newRow("truncated-value") << Builder([] { return GgufBytes().header(0, 1).str("n").u32(kTypeU64).mark().u32(5); })
                                     << "key 'n'";
    QTest::newRow("empty-key") << Builder([] { return GgufBytes().header(0, 1).mark().str("").u32(kTypeU8).u8(0).zeros(8); })
                               << "key #0 is empty";
    QTest::newRow("duplicate-key") << Builder([] {
        GgufBytes b;
        b.header(0, 2).kvU32("general.quantization_version", 2).mark().kvU32("general.quantization_version", 2);
        return b;
    }) << "duplicate metadata key 'general.quantization_version'";
    QTest::newRow("tensor-type-99") << Builder([] {
        GgufBytes b;
        b.header(1, 0).str("w").u32(1).u64(32).mark().u32(99).u64(0);
        return b.padTo(32).zeros(128);
    }) << "tensor 'w': unknown type id 99";
    QTest::newRow("tensor-type-removed-4") << Builder([] {
        GgufBytes b;
        b.header(1, 0).str("w").u32(1).u64(32).mark().u32(4).u64(0);
        return b.padTo(32).zeros(128);
    }) << "tensor 'w': type id 4 was removed";
    QTest::newRow("duplicate-tensor") << Builder([] {
        GgufBytes b;
        b.header(2, 0).tensor("w", {8}, kF32, 0).mark().tensor("w", {8}, kF32, 32);
        return b.padTo(32).zeros(64);
    }) << "duplicate tensor name 'w'";
    QTest::newRow("empty-tensor-name") << Builder([] { return GgufBytes().header(1, 0).mark().tensor("", {8}, kF32, 0).padTo(32).zeros(32); })
                                       << "tensor #0 has an empty name";
    QTest::newRow("tensor-name-64") << Builder([] {
        return GgufBytes().header(1, 0).mark().tensor(std::string(64, 'n'), {8}, kF32, 0).padTo(32).zeros(32);
    }) << "longer than 63 bytes";
    QTest::newRow("dims-0") << Builder([] { return GgufBytes().header(1, 0).str("w").mark().u32(0).u32(kF32).u64(0).padTo(32); })
                            << "tensor 'w': 0 dimensions";
    QTest::newRow("dims-5") << Builder([] {
        GgufBytes b;
        b.header(1, 0).str("w").mark().u32(5);
        for (int i = 0; i < 5; ++i) b.u64(1);
        return b.u32(kF32).u64(0).padTo(32).zeros(32);
    }) << "tensor 'w': 5 dimensions";
    QTest::newRow("ne-zero") << Builder([] {
        return GgufBytes().header(1, 0).str("w").u32(2).u64(8).mark().u64(0).u32(kF32).u64(0).padTo(32).zeros(32);
    }) << "tensor 'w': dimension 1 is zero";
    QTest::newRow("ne-negative") << Builder([] {
        return GgufBytes().header(1, 0).str("w").u32(2).u64(8).mark().u64(uint64_t(-4)).u32(kF32).u64(0).padTo(32);
    }) << "tensor 'w': dimension 1 is negative";
    QTest::newRow("ne-product-overflow") << Builder([] {
        GgufBytes b;
        b.header(1, 0).str("w").u32(3).u64(uint64_t(1) << 32).u64(uint64_t(1) << 30).mark().u64(4);
        return b.u32(kF32).u64(0).padTo(32);
    }) << "tensor 'w': element count overflows";
    QTest::newRow("data-size-overflow") << Builder([] {
        GgufBytes b;
        b.header(1, 0).str("w").u32(2).u64(uint64_t(1) << 31).u64(uint64_t(1) << 31).mark().u32(28).u64(0);
        return b.padTo(32);
    }) << "tensor 'w': data size overflows";
    QTest::newRow("row-not-whole-blocks") << Builder([] {
        return GgufBytes().header(1, 0).str("w").u32(2).u64(48).u64(2).mark().u32(kQ4_0).u64(0).padTo(32).zeros(64);
    }) << "tensor 'w': row length 48 is not a whole number of q4_0 blocks of 32";
    QTest::newRow("misaligned-offset") << Builder([] {
        GgufBytes b;
        b.header(2, 0).tensor("a", {8}, kF32, 0).str("b").u32(1).u64(8).u32(kF32).mark().u64(48);
        return b.padTo(32).zeros(128);
    }) << "tensor 'b': data offset 48 is not a multiple of the alignment 32";
    QTest::newRow("offset-out-of-range") << Builder([] {
        GgufBytes b;
        b.header(1, 0).str("w").u32(1).u64(8).u32(kF32).mark().u64(4096).padTo(32).zeros(64);
        return b;
    }) << "tensor 'w': data [4096, +32) lies outside the data section of 64 bytes";
    QTest::newRow("offset-near-2^64") << Builder([] {
        GgufBytes b;
        b.header(1, 0).str("w").u32(1).u64(8).u32(kF32).mark().u64(~uint64_t(31)).padTo(32).zeros(64);
        return b;
    }) << "tensor 'w': data [18446744073709551584, +32)";
    QTest::newRow("overlapping-tensors") << Builder([] {
        GgufBytes b;
        b.header(2, 0).tensor("a", {16}, kF32, 0).str("b").u32(1).u64(8).u32(kF32).mark().u64(32).padTo(32);
        b.zeros(96);
        return b;
    }) << "tensor 'b': data [32, +32) overlaps tensor 'a'";
    QTest::newRow("alignment-0") << Builder([] { return GgufBytes().header(0, 1).str("general.alignment").u32(kTypeU32).mark().u32(0); })
                                 << "key 'general.alignment' is 0, not a non-zero power of two";
    QTest::newRow("alignment-48") << Builder([] { return GgufBytes().header(0, 1).str("general.alignment").u32(kTypeU32).mark().u32(48); })
                                  << "key 'general.alignment' is 48, not a non-zero power of two";
    QTest::newRow("alignment-u64") << Builder([] { return GgufBytes().header(0, 1).str("general.alignment").u32(kTypeU64).mark().u64(32); })
                                   << "key 'general.alignment' must be a u32";
    // A valid power of two, but the writer would pad the header and every tensor to 2 GiB; a file
    // without tensors used to pass the reader, as would a sparse one large enough for the offsets.
    QTest::newRow("alignment-2^31") << Builder([] {
        return GgufBytes().header(0, 1).str("general.alignment").u32(kTypeU32).mark().u32(1u << 31);
    }) << "key 'general.alignment' is 2147483648, more than the 65536 bytes any real file uses";
    QTest::newRow("alignment-2^31-with-tensor") << Builder([] {
        GgufBytes b;
        b.header(1, 1).str("general.alignment").u32(kTypeU32).mark().u32(1u << 31).tensor("w", {8}, kF32, 0).zeros(64);
        return b;
    }) << "key 'general.alignment' is 2147483648";
    QTest::newRow("alignment-128K") << Builder([] {
        return GgufBytes().header(0, 1).str("general.alignment").u32(kTypeU32).mark().u32(1u << 17);
    }) << "key 'general.alignment' is 131072, more than the 65536 bytes";
    // Names the GGUF specification forbids: not UTF-8. The offset is the first bad byte's.
    QTest::newRow("key-not-utf8") << Builder([] {
        return GgufBytes().header(0, 1).u64(4).raw("gen", 3).mark().raw("\xff", 1).u32(kTypeU8).u8(0);
    }) << "metadata key #0 'gen\\xff' is not valid UTF-8 (byte 0xff at offset 3 of the name)";
    QTest::newRow("key-overlong-slash") << Builder([] {
        return GgufBytes().header(0, 1).u64(3).raw("a", 1).mark().raw("\xc0\xaf", 2).u32(kTypeU8).u8(0);
    }) << "metadata key #0 'a\\xc0\\xaf' is not valid UTF-8";
    QTest::newRow("key-surrogate") << Builder([] {
        return GgufBytes().header(0, 1).u64(4).raw("k", 1).mark().raw("\xed\xa0\x80", 3).u32(kTypeU8).u8(0);
    }) << "is not valid UTF-8 (byte 0xed";
    QTest::newRow("second-key-not-utf8") << Builder([] {
        GgufBytes b;
        b.header(0, 2).kvU32("general.quantization_version", 2).u64(2).mark().raw("\x80x", 2).u32(kTypeU8).u8(0);
        return b;
    }) << "metadata key #1";
    QTest::newRow("tensor-name-not-utf8") << Builder([] {
        GgufBytes b;
        b.header(1, 0).u64(6).raw("blk.", 4).mark().raw("\xc3(", 2).u32(1).u64(8).u32(kF32).u64(0);
        return b.padTo(32).zeros(32);
    }) << "the name of tensor #0 'blk.\\xc3(' is not valid UTF-8 (byte 0xc3 at offset 4 of the name)";
    QTest::newRow("tensor-name-cut-sequence") << Builder([] {
        GgufBytes b;
        b.header(1, 0).u64(3).raw("w", 1).mark().raw("\xe2\x82", 2).u32(1).u64(8).u32(kF32).u64(0);
        return b.padTo(32).zeros(32);
    }) << "the name of tensor #0 'w\\xe2\\x82' is not valid UTF-8";
}

void TestGgufCorrupt::corruptFileIsRejected() {
    QFETCH(Builder, build);
    QFETCH(QString, expected);
    const GgufBytes file = build();
    g_largestAllocation = 0;
    try {
        qb::GgufFile::parse(file.bytes(), "corrupt.gguf");
        QFAIL("the corrupt file was accepted");
    } catch (const qb::Error &e) {
        const QString what = QString::fromStdString(e.what());
        QCOMPARE(e.kind(), qb::ErrorKind::BadInput);
        QVERIFY2(what.startsWith(QStringLiteral("corrupt.gguf: byte %1: ").arg(file.marked())), e.what());
        QVERIFY2(what.contains(expected), e.what());
    }
    QVERIFY2(g_largestAllocation <= 64 * 1024, qPrintable(QStringLiteral("allocated %1 bytes").arg(g_largestAllocation)));
}

// Controls for the builder and for the limits: the same shapes, made valid, parse.
void TestGgufCorrupt::validHandMadeFilesParse() {
    const auto deep = qb::GgufFile::parse(nestedArrays(8).bytes(), "deep");
    QVERIFY(deep->find("deep")->isArray());

    GgufBytes b;
    b.header(2, 1).kvU32("general.alignment", 64).tensor("a", {16}, kF32, 0).tensor("b", {64, 2}, kQ4_0, 64).padTo(64);
    b.zeros(64 + 72);
    const auto file = qb::GgufFile::parse(b.bytes(), "valid");
    QCOMPARE(file->alignment(), uint64_t(64));
    QCOMPARE(file->tensors().size(), size_t(2));
    QCOMPARE(file->findTensor("b")->nbytes, uint64_t(4 * 18));

    // Valid UTF-8 names beyond ASCII parse; a string value that is not UTF-8 is kept (values are
    // not refused) and shown with its bad bytes escaped, in text and in JSON.
    GgufBytes text;
    text.header(1, 2).str("general.n\xc3\xa4me").u32(kTypeString).str("caf\xc3\xa9 \\ \xff\xfe end");
    text.str("tokenizer.ggml.\xf0\x9f\x98\x80").u32(kTypeString).str("\xe2\x82");
    text.tensor("w\xc3\xa9ight", {8}, kF32, 0).padTo(32).zeros(32);
    const auto named = qb::GgufFile::parse(text.bytes(), "utf8");
    QVERIFY(named->findTensor("w\xc3\xa9ight"));
    QCOMPARE(named->find("general.n\xc3\xa4me")->toDisplayString(), std::string("\"caf\xc3\xa9 \\\\ \\xff\\xfe end\""));
    QCOMPARE(named->find("tokenizer.ggml.\xf0\x9f\x98\x80")->toDisplayString(), std::string("\"\\xe2\\x82\""));
    QCOMPARE(qb::toJson(*named->find("tokenizer.ggml.\xf0\x9f\x98\x80")).get<std::string>(), std::string("\\xe2\\x82"));

    // The largest alignment accepted: a page of 64 KiB.
    GgufBytes paged;
    paged.header(1, 1).kvU32("general.alignment", 65536).tensor("a", {16}, kF32, 0).padTo(65536).zeros(64);
    QCOMPARE(qb::GgufFile::parse(paged.bytes(), "paged")->alignment(), uint64_t(65536));
}

QTEST_GUILESS_MAIN(TestGgufCorrupt)
#include "tst_gguf_corrupt.moc"
