// quantbench-cli's subcommands. Each add*Command registers its options on the parser and,
// when chosen, stores the function that runs it in `action`.
// Exit codes for every command: 0 success, 1 runtime failure, 2 bad input or usage; quantize
// exits with 128 + N when signal N (Ctrl-C: 130) interrupted it, after removing its output.
#pragma once

#include <functional>

namespace CLI { class App; }

namespace qbcli {

using CommandAction = std::function<int()>;

void addInspectCommand(CLI::App &app, CommandAction &action);
void addAnalyzeCommand(CLI::App &app, CommandAction &action);
void addQuantizeCommand(CLI::App &app, CommandAction &action);
void addLabelsCommand(CLI::App &app, CommandAction &action);
void addMakeModelCommand(CLI::App &app, CommandAction &action);
void addMakeDemoCommand(CLI::App &app, CommandAction &action);
void addEvaluateCommand(CLI::App &app, CommandAction &action);
void addOptimizeCommand(CLI::App &app, CommandAction &action);

} // namespace qbcli
