#include "main_window.h"

#include <QApplication>

int main(int argc, char **argv) {
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("QuantBench"));
    QApplication::setApplicationVersion(QStringLiteral(QB_VERSION_STRING));
    qbui::MainWindow window;
    window.show();
    return app.exec();
}
