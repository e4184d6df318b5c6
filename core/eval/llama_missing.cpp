// Built instead of llama_scorer.cpp when llama.cpp was not found at configure time.
#include "eval/token_scorer.h"

#include "error.h"

namespace qb::eval {

bool scorerAvailable() { return false; }

std::string scorerMissingMessage() {
    return "evaluate needs llama.cpp (libllama and llama.h), which this build was configured without: run "
           "packaging/llama-reference/fetch-llama.sh DIR and configure with -DQB_LLAMA_DIR=DIR/dist "
           "(or install llama.cpp's CMake package)";
}

std::unique_ptr<TokenScorer> openScorer(const std::filesystem::path &, int, const ScorerOptions &) {
    throw Error(scorerMissingMessage(), ErrorKind::BadInput);
}

} // namespace qb::eval
