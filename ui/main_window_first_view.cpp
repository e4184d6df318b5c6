// MainWindow's first view of a model just opened: something useful without a click. A model
// stored in a float type gets the default label's mix (Q4_K_M, llama.cpp's usual choice and
// Ollama's default); a model already quantized stays as stored, because requantizing loses
// quality and must be the user's decision. Then the largest tensor the mix quantizes is selected,
// so its histograms and metrics fill in at once.
#include "main_window.h"

#include "mix_controller.h"
#include "mix_document.h"
#include "model_session.h"
#include "tensor_panel.h"

#include "ggml_types.h"

namespace qbui {

int MainWindow::largestQuantizedTensor() const {
    const auto model = m_session->model();
    if (!model) return -1;
    // The largest the mix quantizes, or else the largest a label could change (a float model
    // whose default label was refused).
    int best = -1, bestChangeable = -1;
    int64_t bestElements = 0, bestChangeableElements = 0;
    for (int t = 0; t < m_mix->tensorCount(); ++t) {
        const int64_t elements = model->tensors()[size_t(t)].info->elements();
        if (qb::typeTraits(m_mix->chosenType(t)).quantized && elements > bestElements) {
            best = t;
            bestElements = elements;
        }
        if (m_mix->isOverridable(t) && elements > bestChangeableElements) {
            bestChangeable = t;
            bestChangeableElements = elements;
        }
    }
    return best >= 0 ? best : bestChangeable;
}

void MainWindow::showFirstView() {
    const auto model = m_session->model();
    if (!model) return;
    bool storedAsFloat = true;
    for (int t = 0; t < m_mix->tensorCount(); ++t)
        storedAsFloat = storedAsFloat &&
                        !(m_mix->isOverridable(t) && qb::typeTraits(model->tensors()[size_t(t)].info->type).quantized);
    // The label shows in the status bar's mix and is highlighted in the label list. A refusal (a
    // model the rules cannot quantize this way) leaves the stored types, silently: the label list
    // says why when the user picks the label.
    if (storedAsFloat) m_controller->chooseLabel(QString::fromLatin1(kDefaultLabel));
    if (const int tensor = largestQuantizedTensor(); tensor >= 0) m_tensors->selectTensor(tensor);
}

} // namespace qbui
