// quantbench-cli: the headless front end over the same core as the GUI.
#include "commands.h"
#include "error.h"
#include "kernels/openmp_wait_policy.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstring>
#include <exception>

namespace {

// Every subcommand, in the order `--help` lists them.
void addCommands(CLI::App &app, qbcli::CommandAction &action) {
    qbcli::addInspectCommand(app, action);
    qbcli::addAnalyzeCommand(app, action);
    qbcli::addQuantizeCommand(app, action);
    qbcli::addLabelsCommand(app, action);
    qbcli::addMakeModelCommand(app, action);
    qbcli::addMakeDemoCommand(app, action);
    qbcli::addOptimizeCommand(app, action);
    qbcli::addEvaluateCommand(app, action);
}

// The chosen command; its errors become the exit codes of commands.h (2 bad input, 1 failure).
int runAction(const qbcli::CommandAction &action) {
    try {
        return action ? action() : 2;
    } catch (const qb::Error &e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return e.kind() == qb::ErrorKind::BadInput ? 2 : 1;
    } catch (const std::exception &e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
}

} // namespace

int main(int argc, char **argv) {
    qb::preferPassiveOpenMpWait(argv);
    CLI::App app{"QuantBench: inspect, analyse and quantize GGUF models", "quantbench-cli"};
    app.set_version_flag("--version", std::string("quantbench-cli ") + QB_VERSION_STRING);
    app.require_subcommand(1);
    qbcli::CommandAction action;
    addCommands(app, action);

    // llama.cpp's -ngl is not a CLI11 option name (one dash, several letters): read it as its long form.
    for (int i = 1; i < argc; ++i)
        if (std::strcmp(argv[i], "-ngl") == 0) argv[i] = const_cast<char *>("--n-gpu-layers");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError &e) {
        return app.exit(e) == 0 ? 0 : 2;
    }
    return runAction(action);
}
