// quantbench: the workbench window. `quantbench [MODEL.gguf] [IMATRIX.dat]`.
#include "main_window.h"

#include <QApplication>
#include <QCommandLineParser>

int main(int argc, char **argv) {
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("QuantBench"));
    QApplication::setOrganizationName(QStringLiteral("QuantBench"));
    QApplication::setApplicationVersion(QStringLiteral(QB_VERSION_STRING));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("A workbench for quantizing GGUF language models."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("files"), QStringLiteral("A .gguf model and/or an importance matrix."),
                                 QStringLiteral("[MODEL.gguf] [IMATRIX.dat]"));
    parser.process(app);

    qbui::MainWindow window;
    window.show();
    for (const QString &path : parser.positionalArguments()) window.openPath(path);
    return app.exec();
}
