// quantbench: the workbench window. `quantbench [MODEL.gguf] [IMATRIX.dat]`, or
// `quantbench --screenshot FILE [MODEL.gguf]` to render the window offscreen into a PNG.
#include "kernels/openmp_wait_policy.h"
#include "main_window.h"
#include "screenshot_driver.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>

#include <cstdio>
#include <cstring>

namespace {

// The demo model the build writes next to the binaries (build/bin -> build/share/quantbench).
QString demoModelPath() {
    return QDir(QCoreApplication::applicationDirPath()).filePath(QStringLiteral("../share/quantbench/demo.gguf"));
}

void describeApplication() {
    QCoreApplication::setApplicationName(QStringLiteral("QuantBench"));
    QCoreApplication::setOrganizationName(QStringLiteral("QuantBench"));
    QCoreApplication::setApplicationVersion(QStringLiteral(QB_VERSION_STRING));
}

// The command line, one description for both the display-free and the windowed start.
QCommandLineOption describeOptions(QCommandLineParser &parser) {
    parser.setApplicationDescription(QStringLiteral("A workbench for quantizing GGUF language models."));
    parser.addHelpOption();
    parser.addVersionOption();
    QCommandLineOption screenshot(QStringLiteral("screenshot"),
                                  QStringLiteral("Render the window with MODEL (default: the demo model) into FILE (PNG) and exit."),
                                  QStringLiteral("FILE"));
    parser.addOption(screenshot);
    parser.addPositionalArgument(QStringLiteral("files"), QStringLiteral("A .gguf model and/or an importance matrix."),
                                 QStringLiteral("[MODEL.gguf] [IMATRIX.dat]"));
    return screenshot;
}

// --help and --version print and exit without a window, so they must not need a display:
// QApplication aborts without a Qt platform. This only decides which application object
// QCommandLineParser runs on; the parser itself reads the arguments.
bool asksForInformationOnly(int argc, char **argv) {
    for (int i = 1; i < argc; ++i) {
        for (const char *flag : {"-h", "--help", "--help-all", "-v", "--version"})
            if (std::strcmp(argv[i], flag) == 0) return true;
    }
    return false;
}

} // namespace

int main(int argc, char **argv) {
    qb::preferPassiveOpenMpWait(argv);
    // A screenshot needs no display: choose the offscreen platform before Qt starts.
    for (int i = 1; i < argc; ++i)
        if (std::strcmp(argv[i], "--screenshot") == 0 && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
            qputenv("QT_QPA_PLATFORM", "offscreen");

    if (asksForInformationOnly(argc, argv)) {
        QCoreApplication app(argc, argv);
        describeApplication();
        QCommandLineParser parser;
        describeOptions(parser);
        parser.process(app);  // prints the help or the version and exits (1 for a bad option beside them)
        return 0;
    }

    QApplication app(argc, argv);
    describeApplication();
    QCommandLineParser parser;
    const QCommandLineOption screenshot = describeOptions(parser);
    parser.process(app);

    qbui::MainWindow window;
    if (parser.isSet(screenshot)) {
        const QStringList files = parser.positionalArguments();
        const QString model = files.isEmpty() ? demoModelPath() : files.first();
        window.resize(1680, 1050);
        window.show();
        auto *driver = new qbui::ScreenshotDriver(&window, parser.value(screenshot), &window);
        int status = 1;
        QObject::connect(driver, &qbui::ScreenshotDriver::done, &app, [&status](bool ok, const QString &message) {
            std::fprintf(ok ? stdout : stderr, "%s%s\n", ok ? "" : "error: ", qPrintable(message));
            status = ok ? 0 : 1;
            QCoreApplication::exit(status);
        });
        driver->start(model);
        app.exec();
        return status;
    }

    window.show();
    for (const QString &path : parser.positionalArguments()) window.openPath(path);
    return app.exec();
}
