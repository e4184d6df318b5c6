// Role sensitivities measured on the user's own model, with llama.cpp's inference: the per-model
// form of the calibration behind builtinRoleSensitivity().
//
// Why: the built-in table was measured on one trained model and does not transfer exactly to
// others (on stories260K its attention and output weights are 4-18 times too high relative to the
// feed-forward weights, and the optimizer then loses to a label). Calibrating on the model itself
// is the method, not a constant: for each tensor role, only that role's free tensors are set to a
// probe type (the candidate nearest probeBitsPerWeight), every other free tensor to its dearest
// candidate, the file quantized to a temporary file and its mean KL divergence against the
// original measured on a text (qb::eval, llama.cpp); the role's sensitivity is that divergence
// divided by the optimizer's predicted error of those tensors (Σ n/N · e², the curves' plainError).
// Sensitivities are scaled so that their parameter-weighted mean is 1 (only ratios matter to the
// allocation). A role whose measurement is not usable (no free tensor, no error, a divergence
// within noise) takes the median of the others.
#pragma once

#include "eval/evaluation_runner.h"
#include "optimize/size_optimizer.h"

#include <atomic>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace qb {

struct RoleProbe {
    TensorRole role = TensorRole::Other;
    size_t tensors = 0;        // free tensors of the role
    std::string probeTypes;    // the types they were set to, e.g. "q4_0" or "q4_K, q5_0"
    double predicted = 0;      // Σ plainError of those tensors at the probe types
    double kld = 0;            // measured mean KL divergence with only them at the probe
    bool measured = false;     // false: the role took the median (reason in note)
    std::string note;
    double sensitivity = 0;    // the weight the objective uses
};

struct RoleCalibration {
    RoleSensitivity sensitivity;
    std::vector<RoleProbe> probes;
    std::string text;          // the text file measured on
    int ctx = 0, chunks = 0;
    double seconds = 0;
    std::string toJson() const;
    // Whole or not at all (writeTextFileAtomically); throws qb::Error.
    void save(const std::filesystem::path &path) const;
};

struct CalibrationRequest {
    std::filesystem::path model;          // the file the curves were built from
    eval::EvalSettings eval;              // text, ctx, chunks, scorer threads
    double probeBitsPerWeight = 4.5;      // where the sensitivity is measured
    int threads = 1;                      // for quantizing the probes
    const std::atomic<bool> *cancel = nullptr;
    std::function<void(const std::string &)> progress;  // one line per step
};

// Throws qb::Error (BadInput for a bad text or model, Runtime without llama.cpp, Cancelled).
RoleCalibration calibrateRoles(const MixCurves &curves, const CalibrationRequest &request);

// Re-weighs every point's error with `sensitivity` (error = plainError · s(role)).
void applySensitivity(MixCurves &curves, const RoleSensitivity &sensitivity);

// Reads the "sensitivity" object of a calibration file written by RoleCalibration::toJson();
// throws qb::Error (BadInput) naming the file and the key that is wrong.
RoleSensitivity loadRoleSensitivity(const std::filesystem::path &file);

} // namespace qb
