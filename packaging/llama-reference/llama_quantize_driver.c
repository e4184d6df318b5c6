/* A llama-quantize stand-in for benchmarks: `llama-quantize-lib IN OUT LABEL [THREADS]`.
 *
 * llama.cpp's llama-quantize is a thin command line around one library call,
 * llama_model_quantize(); this program makes the same call with the same defaults, so timing it
 * times llama.cpp's quantizer. It exists because no llama-quantize binary can be built on our
 * machines (no network but Debian and npm), while npm serves llama.cpp's prebuilt libllama
 * (packaging/llama-reference/fetch.sh). Only the two leading fields of the parameter struct are
 * set: they have kept their place in every llama.h since quantization was added; the rest keeps
 * the library's defaults, as llama-quantize does without options. It takes no importance matrix
 * (llama.cpp passes that as a C++ map): for runs with one, use fetch-llama-quantize.sh's llama-quantize. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Prefix of llama_model_quantize_params; the padding is larger than the real struct, which is
 * returned through a caller-provided buffer (SysV ABI for structs over 16 bytes). */
struct quantize_params_prefix {
    int32_t nthread;
    int32_t ftype;
    unsigned char rest[1024];
};

extern void llama_backend_init(void);
extern void llama_backend_free(void);
extern struct quantize_params_prefix llama_model_quantize_default_params(void);
extern uint32_t llama_model_quantize(const char *in, const char *out, const struct quantize_params_prefix *params);

/* llama_ftype ids of the labels the benchmark uses (llama.h); a number is taken as an id. */
static const struct { const char *label; int id; } k_labels[] = {
    {"Q4_0", 2}, {"Q4_1", 3}, {"Q8_0", 7}, {"Q5_0", 8}, {"Q5_1", 9}, {"Q2_K", 10},
    {"Q3_K_S", 11}, {"Q3_K_M", 12}, {"Q3_K_L", 13}, {"Q4_K_S", 14}, {"Q4_K_M", 15},
    {"Q5_K_S", 16}, {"Q5_K_M", 17}, {"Q6_K", 18}, {"IQ2_XXS", 19}, {"IQ2_XS", 20}, {"Q2_K_S", 21},
    {"IQ3_XS", 22}, {"IQ3_XXS", 23}, {"IQ1_S", 24}, {"IQ4_NL", 25}, {"IQ3_S", 26}, {"IQ3_M", 27},
    {"IQ2_S", 28}, {"IQ2_M", 29}, {"IQ4_XS", 30}, {"IQ1_M", 31}, {"TQ1_0", 36}, {"TQ2_0", 37},
};

static int ftype_of(const char *label) {
    for (size_t i = 0; i < sizeof k_labels / sizeof k_labels[0]; ++i)
        if (strcmp(k_labels[i].label, label) == 0) return k_labels[i].id;
    char *end = NULL;
    long id = strtol(label, &end, 10);
    return (*label && *end == '\0' && id > 0 && id < 1000) ? (int)id : -1;
}

int main(int argc, char **argv) {
    if (argc < 4 || argc > 5) {
        fprintf(stderr, "usage: %s IN OUT LABEL [THREADS]\n", argv[0]);
        return 2;
    }
    struct quantize_params_prefix params = llama_model_quantize_default_params();
    params.ftype = ftype_of(argv[3]);
    if (params.ftype < 0) {
        fprintf(stderr, "unknown label '%s'\n", argv[3]);
        return 2;
    }
    if (argc == 5) params.nthread = atoi(argv[4]);
    llama_backend_init();
    uint32_t rc = llama_model_quantize(argv[1], argv[2], &params);
    llama_backend_free();
    if (rc != 0) fprintf(stderr, "llama_model_quantize failed (%u)\n", rc);
    return rc == 0 ? 0 : 1;
}
