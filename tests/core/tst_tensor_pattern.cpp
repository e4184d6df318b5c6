// User patterns (TensorPattern) and quantize's option values (option_values.h): patterns that
// would make std::regex overflow the stack, allocate hugely or backtrack for ever are refused
// with a message naming the pattern and where it came from (option, file, preset field); accepted
// patterns find exactly what std::regex_search finds, in bounded time.
#include "golden.h"

#include "error.h"
#include "gguf/gguf_model.h"
#include "mix/mix_rules.h"
#include "mix/option_values.h"
#include "mix/preset.h"
#include "mix/tensor_pattern.h"

#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QtTest>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <thread>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

QString errorOf(const std::function<void()> &f) {
    try {
        f();
    } catch (const qb::Error &e) {
        return QString::fromUtf8(e.what());
    }
    return {};
}

std::string repeated(const std::string &s, int n) {
    std::string out;
    for (int i = 0; i < n; ++i)
        out += s;
    return out;
}

// A named pipe that a thread fills with "yes\n" until the reader closes it, as `<(yes)` would.
class EndlessFifo {
public:
    explicit EndlessFifo(const std::string &path) : m_path(path) {
        QVERIFY(::mkfifo(path.c_str(), 0600) == 0);
        m_oldHandler = std::signal(SIGPIPE, SIG_IGN);  // the write after the reader left fails with EPIPE
        m_writer = std::thread([path] {
            const int fd = ::open(path.c_str(), O_WRONLY);  // waits for the reader
            if (fd < 0) return;
            const std::string chunk = repeated("yes\n", 16384);
            while (::write(fd, chunk.data(), chunk.size()) > 0) {}
            ::close(fd);
        });
    }
    ~EndlessFifo() {
        m_writer.join();
        std::signal(SIGPIPE, m_oldHandler);
    }

private:
    std::string m_path;
    std::thread m_writer;
    void (*m_oldHandler)(int) = nullptr;
};

} // namespace

class TestTensorPattern : public QObject {
    Q_OBJECT
  private slots:
    void refusals_data();
    void refusals();
    void findsWhatRegexSearchFinds();
    void pathologicalPatternsStayFast();
    void tensorTypeOption();
    void tensorTypeFile();
    void endlessInputsAreRefused();
    void presetNamesTheField_data();
    void presetNamesTheField();
    void mixRulesRefuseToo();
};

void TestTensorPattern::refusals_data() {
    QTest::addColumn<QString>("pattern");
    QTest::addColumn<QString>("reason");
    QTest::newRow("huge count") << QStringLiteral("a{99999999}")
                                << QStringLiteral("repeats 99999999 times, more than 63");
    QTest::newRow("huge range") << QStringLiteral("blk{2,1000}") << QStringLiteral("repeats 1000 times");
    QTest::newRow("open range") << QStringLiteral("x{64,}") << QStringLiteral("repeats 64 times");
    QTest::newRow("deep nesting") << QString::fromStdString(repeated("(", 17) + "a" + repeated(")", 17))
                                  << QStringLiteral("nests groups more than 16 deep");
    QTest::newRow("stack-overflow nesting") << QString::fromStdString(repeated("(", 500) + "a" + repeated(")", 500))
                                            << QStringLiteral("nests groups more than 16 deep");
    QTest::newRow("too long") << QString(1025, QLatin1Char('a'))
                              << QStringLiteral("(1025 bytes) is longer than 1024 bytes");
    QTest::newRow("nested counts") << QStringLiteral("((a{60}){60})") << QStringLiteral("is too complex (over 2000");
    QTest::newRow("nested lookaheads") << QStringLiteral("(?=(.*)*(?=(.*)*(?=(.*)*b)))")
                                       << QStringLiteral("is too complex");
    QTest::newRow("back-reference") << QStringLiteral("(a)\\1") << QStringLiteral("uses a back-reference (\\1)");
    QTest::newRow("syntax") << QStringLiteral("([") << QStringLiteral("is not a valid regular expression");
    QTest::newRow("unbalanced") << QStringLiteral("a)|(b") << QStringLiteral("is not a valid regular expression");
}

void TestTensorPattern::refusals() {
    QFETCH(QString, pattern);
    QFETCH(QString, reason);
    const std::string p = pattern.toStdString();
    const QString message = errorOf([&] { qb::TensorPattern(p, "--tensor-type"); });
    QVERIFY2(message.startsWith(QLatin1String("--tensor-type: pattern '") + pattern.left(80)), qPrintable(message));
    QVERIFY2(message.contains(reason), qPrintable(message));
    QVERIFY(qb::TensorPattern::problem(p).has_value());
}

// The guard changes how a pattern runs, never what it finds: compared with the plain
// std::regex_search llama-quantize uses, on every tensor name of a real model.
void TestTensorPattern::findsWhatRegexSearchFinds() {
    const auto model = qb::GgufModel::open(qbtest::golden("models/llama256.f16.gguf"));
    const char *patterns[] = {"attn_v",
                              "^blk\\.0\\.",
                              "weight$",
                              "\\battn",
                              "blk\\.[0-9]+\\.attn_(q|k|v)",
                              "^(?!.*ffn_down).*weight",
                              "(?=blk\\.1)",
                              "ffn_(up|gate)\\.w",
                              "^output\\.weight$",
                              "[0-3]\\.ffn",
                              "a{2}",
                              "(a|aa)*b",
                              "^token_embd",
                              "t{0,3}n_",
                              "\\d\\.attn",
                              "^$",
                              "output|norm",
                              "k.*?v"};
    int matches = 0;
    for (const char *p : patterns) {
        const qb::TensorPattern guarded(p, "test");
        const std::regex plain(p);
        for (const auto &t : model->tensors()) {
            const bool expected = std::regex_search(t.info->name, plain);
            QVERIFY2(guarded.search(t.info->name) == expected,
                     qPrintable(QString::fromLatin1(p) + QLatin1Char(' ') + QString::fromStdString(t.info->name)));
            matches += expected;
        }
    }
    QVERIFY(matches > 100); // the patterns do match things
}

// Patterns the backtracking matcher never finishes on a 63-byte name (checked by hand: over 10
// minutes) run here in milliseconds; the bound is generous for sanitizer builds.
void TestTensorPattern::pathologicalPatternsStayFast() {
    const std::string name(63, 'a');
    const std::string patterns[] = {"(a*)*b",
                                    "(a|aa)*b",
                                    "(a|a)*b",
                                    "(" + repeated(".*", 14) + "){60}b",
                                    "((((a|.)*(.|a)*){8})*)*b",
                                    "(?=(.*)*(.*)*(.*)*b)"};
    for (const auto &p : patterns) {
        QElapsedTimer timer;
        timer.start();
        const qb::TensorPattern guarded(p, "test");
        QVERIFY(!guarded.search(name));
        QVERIFY2(timer.elapsed() < 2000, p.c_str());
    }
}

void TestTensorPattern::tensorTypeOption() {
    const auto o = qb::parseTensorTypeOption("ffn_down=q8_0", "--tensor-type");
    QCOMPARE(o.pattern, std::string("ffn_down"));
    QVERIFY(o.type == qb::GgmlType::Q8_0);
    // Split at the first '=' (llama-quantize's rule): the rest is the type.
    QCOMPARE(errorOf([] { qb::parseTensorTypeOption("a=b=q4_0", "--tensor-type"); }),
             QStringLiteral("--tensor-type: unknown type 'b=q4_0'"));
    QCOMPARE(errorOf([] { qb::parseTensorTypeOption("ffn_down", "--tensor-type"); }),
             QStringLiteral("--tensor-type 'ffn_down': expected PATTERN=TYPE"));
    QCOMPARE(errorOf([] { qb::parseTensorTypeOption("=q8_0", "--tensor-type"); }),
             QStringLiteral("--tensor-type '=q8_0': expected PATTERN=TYPE"));
    QCOMPARE(errorOf([] { qb::parseTensorTypeOption("x=q9_9", "--tensor-type"); }),
             QStringLiteral("--tensor-type: unknown type 'q9_9'"));
    QVERIFY(errorOf([] {
                qb::parseTensorTypeOption("a{99999999}=q8_0", "--tensor-type");
            }).startsWith(QLatin1String("--tensor-type: pattern 'a{99999999}' repeats 99999999 times")));
    QCOMPARE(errorOf([] { qb::parseTypeOption("Q4_K_X", "--output-tensor-type"); }),
             QStringLiteral("--output-tensor-type: unknown type 'Q4_K_X'"));
}

void TestTensorPattern::tensorTypeFile() {
    const auto list = qb::parseTensorTypeList(" attn_v=q8_0\n\tffn_down=Q6_K \r\n", "--tensor-type-file f");
    QCOMPARE(list.size(), size_t(2));
    QCOMPARE(list[1].pattern, std::string("ffn_down"));
    QVERIFY(list[1].type == qb::GgmlType::Q6_K);
    QVERIFY(qb::parseTensorTypeList(" \n ", "f").empty());
    QVERIFY(errorOf([] {
                qb::parseTensorTypeList("ok=q8_0 (a*){99}=q4_0", "--tensor-type-file f.txt");
            }).startsWith(QLatin1String("--tensor-type-file f.txt: pattern '(a*){99}' repeats 99 times")));
    std::string many;
    for (size_t i = 0; i <= qb::kMaxTensorTypeEntries; ++i)
        many += "a=q8_0 ";
    QVERIFY(errorOf([&] { qb::parseTensorTypeList(many, "f"); }).contains(QLatin1String("more than 100000 entries")));

    QTemporaryDir dir;
    const std::string path = dir.filePath(QStringLiteral("types.txt")).toStdString();
    std::ofstream(path) << "blk\\.0\\.=q8_0\n([=q4_0\n";
    QVERIFY(errorOf([&] {
                qb::readTensorTypeFile(path);
            }).startsWith(QString::fromStdString("--tensor-type-file " + path + ": pattern '(['")));
    std::ofstream(path) << "blk\\.0\\.=q8_0\n";
    QCOMPARE(qb::readTensorTypeFile(path).size(), size_t(1));
    // A huge file (sparse: no disk used) is refused before anything is read.
    std::filesystem::resize_file(path, qb::kMaxTensorTypeFileBytes + 1);
    QVERIFY(errorOf([&] { qb::readTensorTypeFile(path); }).endsWith(QLatin1String(": larger than 16 MiB")));
    QCOMPARE(errorOf([&] { qb::readTensorTypeFile(path + ".missing"); }),
             QString::fromStdString("--tensor-type-file: cannot open " + path + ".missing"));
}

// A pipe or /dev/zero reports no usable size (-1 or 0): the readers must stop after their limit
// instead of reading for ever.
void TestTensorPattern::endlessInputsAreRefused() {
    QCOMPARE(errorOf([] { qb::readTensorTypeFile("/dev/zero"); }),
             QStringLiteral("--tensor-type-file /dev/zero: larger than 16 MiB"));
    QCOMPARE(errorOf([] { qb::MixPreset::load("/dev/zero"); }),
             QStringLiteral("/dev/zero: too large for a preset (over 16 MiB)"));
    QTemporaryDir dir;
    const std::string types = dir.filePath(QStringLiteral("types.fifo")).toStdString();
    {
        EndlessFifo fifo(types);
        QCOMPARE(errorOf([&] { qb::readTensorTypeFile(types); }),
                 QString::fromStdString("--tensor-type-file " + types + ": larger than 16 MiB"));
    }
    const std::string preset = dir.filePath(QStringLiteral("preset.fifo")).toStdString();
    {
        EndlessFifo fifo(preset);
        QCOMPARE(errorOf([&] { qb::MixPreset::load(preset); }),
                 QString::fromStdString(preset + ": too large for a preset (over 16 MiB)"));
    }
    // Exactly at the limit is still read (and then parsed: all whitespace, no entries).
    const std::string full = dir.filePath(QStringLiteral("full.txt")).toStdString();
    std::ofstream(full) << std::string(qb::kMaxTensorTypeFileBytes, ' ');
    QVERIFY(qb::readTensorTypeFile(full).empty());
}

void TestTensorPattern::presetNamesTheField_data() {
    QTest::addColumn<QString>("json");
    QTest::addColumn<QString>("message");
    const QString head = QStringLiteral(R"({"format":"quantbench-preset","version":1,"base_label":"Q4_0",)");
    QTest::newRow("repeat")
        << head + QStringLiteral(R"("rules":[{"pattern":"a","type":"Q8_0"},{"pattern":"a{99999999}","type":"Q8_0"}]})")
        << QStringLiteral("p.json: rules[1].pattern: pattern 'a{99999999}' repeats 99999999 times");
    QTest::newRow("nesting") << head + QStringLiteral(R"("rules":[{"pattern":")") + QString(40, QLatin1Char('(')) +
                                    QString(40, QLatin1Char(')')) + QStringLiteral(R"(","type":"Q8_0"}]})")
                             << QStringLiteral("p.json: rules[0].pattern: pattern '((((((((");
    QTest::newRow("backtracking bomb")
        << head + QStringLiteral(R"("rules":[{"pattern":"((a{60}){60})*b","type":"Q8_0"}]})")
        << QStringLiteral("p.json: rules[0].pattern: pattern '((a{60}){60})*b' is too complex");
    QTest::newRow("long tensor name") << head + QStringLiteral(R"("tensor_types":{")") + QString(64, QLatin1Char('x')) +
                                             QStringLiteral(R"(":"Q8_0"}})")
                                      << QStringLiteral("p.json: tensor_types.xxxx");
}

void TestTensorPattern::presetNamesTheField() {
    QFETCH(QString, json);
    QFETCH(QString, message);
    const QString error = errorOf([&] { qb::MixPreset::fromJson(json.toStdString(), "p.json"); });
    QVERIFY2(error.startsWith(message), qPrintable(error));
    if (QTest::currentDataTag() == QLatin1String("long tensor name"))
        QVERIFY2(error.endsWith(QLatin1String("longer than 63 bytes, the longest GGUF tensor name")),
                 qPrintable(error));
}

// Options built by other means (the GUI) go through the same guard when the mix is decided.
void TestTensorPattern::mixRulesRefuseToo() {
    const auto model = qb::GgufModel::open(qbtest::golden("models/tiny.f16.gguf"));
    qb::QuantizeOptions options;
    options.tensorTypes.push_back({"x{1000}", qb::GgmlType::Q8_0});
    const QString error = errorOf([&] { qb::decideMix(*model, *qb::findQuantLabel("Q8_0"), options, nullptr); });
    QVERIFY2(error.startsWith(QLatin1String("--tensor-type: pattern 'x{1000}' repeats 1000 times")), qPrintable(error));
    options.tensorTypes.front().pattern = "(attn_v|ffn_down)";
    const auto mix = qb::decideMix(*model, *qb::findQuantLabel("Q4_0"), options, nullptr);
    int overridden = 0;
    for (const auto &d : mix.tensors)
        overridden += d.target == qb::GgmlType::Q8_0;
    QVERIFY(overridden > 0);
}

QTEST_GUILESS_MAIN(TestTensorPattern)
#include "tst_tensor_pattern.moc"
