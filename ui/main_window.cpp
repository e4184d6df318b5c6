#include "main_window.h"

#include <QLabel>

namespace qbui {

MainWindow::MainWindow(QWidget *parent) : QMainWindow(parent) {
    setWindowTitle(QStringLiteral("QuantBench"));
    setCentralWidget(new QLabel(tr("Open a GGUF model to begin."), this));
    resize(1200, 800);
}

} // namespace qbui
