// The workbench's main window.
#pragma once

#include <QMainWindow>

namespace qbui {

class MainWindow final : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget *parent = nullptr);
};

} // namespace qbui
