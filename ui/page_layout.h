// Layouts several windows share: the pages that analyse the open model in the background (the
// overview, the quality chart) and the quantize dialogs' button row.
#pragma once

class QHBoxLayout;
class QWidget;

namespace qbui {

// Ends `controls` with the status (taking the spare width), the progress bar and the cancel button,
// and lays `page` out as that row above `body`, which fills the rest.
void layOutJobPage(QWidget *page, QHBoxLayout *controls, QWidget *status, QWidget *progress, QWidget *cancel,
                   QWidget *body);

// The quantize dialogs' button row: `left` on its own, then start, cancel and close at the right.
QHBoxLayout *quantizeButtonRow(QWidget *left, QWidget *start, QWidget *cancel, QWidget *close);

} // namespace qbui
