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
    void literalPatternsFindWhatRegexSearchFinds();
    void patternsOfAMixHaveATotalBudget();
    void exactNameListsAreAccepted();
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

// Patterns that only spell out characters skip std::regex; on names with the bytes that make the
// difference ('.', '\n', '\r', '$', '^', '\\') they must still find exactly what it finds.
void TestTensorPattern::literalPatternsFindWhatRegexSearchFinds() {
    const std::string names[] = {"", "a", "ab", "a.b", "axb", "a\nb", "a\rb", "a$", "^a", "a\\", "$", "\\$", ".",
                                 "ba", "aab", "ab\n", "\na", "b\r", "blk.0.attn_q.weight", "blk.10.attn_q.weight",
                                 "xblk.0.attn_q.weightx"};
    const std::string patterns[] = {"a", "a.b", "^a", "b$", "^ab$", "^$", "^", "$", ".", "\\.", "a\\$", "\\^a", "a\\\\",
                                    "a\\\\$", "\\$$", "blk.0.attn_q.weight", "^blk\\.0\\.attn_q\\.weight$",
                                    "blk\\.0\\.", ".b$", "^.", "a..", "\\/", "\\-", "^\\$", "ab", "b"};
    int literal = 0;
    for (const auto &p : patterns) {
        const qb::TensorPattern guarded(p, "test");
        literal += guarded.states() == 0;
        const std::regex plain(p);
        for (const auto &n : names)
            QVERIFY2(guarded.search(n) == std::regex_search(n, plain),
                     qPrintable(QString::fromStdString("'" + p + "' in '" + n + "'")));
    }
    QCOMPARE(literal, int(std::size(patterns)));  // all of them took the literal path
    // Escaped letters and digits are classes, anchors or back-references: not literal.
    for (const char *p : {"\\d", "\\ba", "a\\w", "\\n"})
        QVERIFY2(qb::TensorPattern(p, "test").states() > 0, p);
}

// Each pattern of a mix is searched in every tensor name, so their regex states add up to a
// budget: past it, the mix is refused with a message naming the pattern that crossed it.
// Measured (release, 2 cores): at the budget, copies of the costliest accepted pattern take
// about 30 s on 1,000 tensors with 63-byte names.
void TestTensorPattern::patternsOfAMixHaveATotalBudget() {
    const std::string worst = "(" + repeated(".*", 14) + "){60}b";
    const long states = qb::TensorPattern(worst, "test").states();
    QVERIFY(states > 1000 && states <= qb::TensorPattern::kMaxStates);
    const size_t fit = size_t(qb::TensorPattern::kMaxTotalStates / states);
    std::vector<std::string> patterns(fit, worst);
    QCOMPARE(qb::compileTensorPatterns(patterns, "test").size(), fit);
    patterns.push_back(worst);
    const QString error = errorOf([&] { qb::compileTensorPatterns(patterns, "--tensor-type"); });
    QVERIFY2(error.startsWith(QStringLiteral("--tensor-type: pattern #%1 '(.*.*").arg(fit + 1)), qPrintable(error));
    QVERIFY2(error.contains(QStringLiteral("over %1 regex states").arg(qb::TensorPattern::kMaxTotalStates)), qPrintable(error));

    // The same through decideMix, as a preset's rules or a --tensor-type-file reach it.
    const auto model = qb::GgufModel::open(qbtest::golden("models/tiny.f16.gguf"));
    qb::QuantizeOptions options;
    for (const auto &p : patterns)
        options.tensorTypes.push_back({p, qb::GgmlType::Q8_0});
    const QString mixError = errorOf([&] { qb::decideMix(*model, *qb::findQuantLabel("Q4_0"), options, nullptr); });
    QVERIFY2(mixError.contains(QLatin1String("brings the patterns together over")), qPrintable(mixError));

    // Capture groups cost the breadth-first executor a copy of every group per state and step;
    // the search regex keeps none (nosubs), so 250 groups of .* cost what 250 .* do (with
    // captures: about 75 times more, 150 ms per 63-byte name). Compared, not timed, so a faster
    // or a sanitizer build does not change the verdict.
    const std::string name(63, 'a');
    auto searchTime = [&](const std::string &pattern) {
        const auto compiled = qb::compileTensorPatterns(std::vector<std::string>(5, pattern), "test");
        QElapsedTimer timer;
        timer.start();
        for (const auto &p : compiled)
            if (!p.search(name)) return qint64(-1);
        return timer.nsecsElapsed();
    };
    const qint64 plain = searchTime(repeated(".*", 250));
    const qint64 groups = searchTime(repeated("(.*)", 250));
    QVERIFY(plain > 0 && groups > 0);
    QVERIFY2(groups < 5 * plain + 20'000'000,
             qPrintable(QStringLiteral("groups %1 ns, plain %2 ns").arg(groups).arg(plain)));
}

// Listing every tensor by exact name is the common large list (a --tensor-type-file written by a
// script, a preset's tensor_types): 2,000 names in each spelling are accepted, cost no regex
// states, and pick exactly their tensor. So is the entry limit's worth of plain names.
void TestTensorPattern::exactNameListsAreAccepted() {
    std::vector<std::string> names, escaped, anchored, bare;
    for (int i = 0; i < 2000; ++i) {
        names.push_back("blk." + std::to_string(i / 10) + ".ffn_" + std::to_string(i % 10) + ".weight");
        escaped.push_back(std::string());
        for (char c : names.back()) {
            if (c == '.') escaped.back() += '\\';
            escaped.back() += c;
        }
        anchored.push_back(qb::exactNamePattern(names.back()));
        bare.push_back(names.back());
    }
    for (const auto *list : {&escaped, &anchored, &bare}) {
        const auto compiled = qb::compileTensorPatterns(*list, "test");
        long states = 0;
        for (const auto &p : compiled)
            states += p.states();
        QCOMPARE(states, 0L);
        for (size_t i = 0; i < names.size(); i += 97) {
            QVERIFY(compiled[i].search(names[i]));
            QVERIFY(!compiled[i].search(names[(i + 1) % names.size()]));
        }
    }
    // Through the file parser, at the entry limit.
    std::string file;
    for (size_t i = 0; i < qb::kMaxTensorTypeEntries; ++i)
        file += "blk\\." + std::to_string(i) + "\\.ffn_down=q8_0\n";
    const auto entries = qb::parseTensorTypeList(file, "--tensor-type-file f");
    std::vector<std::string> patterns;
    for (const auto &e : entries)
        patterns.push_back(e.pattern);
    QCOMPARE(qb::compileTensorPatterns(patterns, "test").size(), qb::kMaxTensorTypeEntries);
}

QTEST_GUILESS_MAIN(TestTensorPattern)
#include "tst_tensor_pattern.moc"
