# Sourced by bench-quantize.sh and bench-quantize-many.sh: their shared command line, checks, work
# folder and generated input model, and the median of a column of numbers.
#
# bench_setup DEFAULT_THREADS DEFAULT_REPEAT "$@": parses [-c CLI] [-s SIZE_MB] [-t THREADS]
# [-r REPEAT] [-w WORKDIR] [-i none|imatrix|both] [LABEL...] into CLI, SIZE_MB, THREADS, REPEAT,
# WORK, IMATRIX_MODE and LABELS (the labels given, possibly none); on a bad option prints the
# calling script's usage (its opening comment) and exits 2; exits 2 when the CLI or /usr/bin/time is missing. Without -w, WORK is a temporary
# folder removed on exit.
bench_setup() {
    CLI=build/bin/quantbench-cli
    SIZE_MB=300
    THREADS=$1
    REPEAT=$2
    WORK=""
    IMATRIX_MODE=none
    shift 2
    local opt OPTIND=1
    while getopts "c:s:t:r:w:i:" opt; do
        case $opt in
            c) CLI=$OPTARG ;;
            s) SIZE_MB=$OPTARG ;;
            t) THREADS=$OPTARG ;;
            r) REPEAT=$OPTARG ;;
            w) WORK=$OPTARG ;;
            i) IMATRIX_MODE=$OPTARG ;;
            *) awk 'NR > 1 && /^#/ { print; next } NR > 1 { exit }' "$0"; exit 2 ;;
        esac
    done
    shift $((OPTIND - 1))
    LABELS=("$@")
    [ -x "$CLI" ] || { echo "quantbench-cli not found at $CLI (build it or pass -c)"; exit 2; }
    [ -x /usr/bin/time ] || { echo "/usr/bin/time is needed (Debian package 'time')"; exit 2; }
    if [ -z "$WORK" ]; then
        WORK=$(mktemp -d)
        trap 'rm -rf "$WORK"' EXIT
    fi
}

# bench_make_model: the deterministic llama-style F16 input of SIZE_MB in WORK, as MODEL; exits 1
# when it cannot be made. make-model's own output goes to stdout (redirect the call to hide it).
bench_make_model() {
    MODEL="$WORK/bench-f16.gguf"
    "$CLI" make-model "$MODEL" --size-mb "$SIZE_MB" || exit 1
}

# median: the median of the numbers on stdin, one a line.
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
