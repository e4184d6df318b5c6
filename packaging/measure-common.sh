# Sourced by measure-optimize-kld.sh and measure-role-sensitivity.sh with their arguments [CLI]
# [OUTDIR]: the settings both take (cli, out, golden, model, text, ctx from the arguments and the
# environment: QB_GOLDEN_DIR, MODEL, TEXT, CTX), and OUTDIR made.
here="$(cd "$(dirname "$0")" && pwd)"
cli="${1:-$here/../build/bin/quantbench-cli}"
out="${2:-$(mktemp -d)}"
golden="${QB_GOLDEN_DIR:-$here/../../shared/golden}"
model="${MODEL:-$golden/models/stories-d256.f32.gguf}"
text="${TEXT:-$golden/text/stories-sample.txt}"
ctx="${CTX:-256}"
mkdir -p "$out"
