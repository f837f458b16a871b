/* fuzz_spec.c: libFuzzer target for clip specs (render --spec files, batch job lines): each
 * input line is one JSON clip object, parsed as the CLI does, sharing one log cache. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "tests/fuzz/fuzz_tmp.h"
#include "tools/cli_spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A small detection log "d.jsonl" in the scratch directory, which becomes the working
 * directory, so that specs naming it load it. */
static int setup(void)
{
    static int done;
    static const char log[] = "{\"frame_idx\": 0, \"bbox\": [1, 2, 30, 40], \"label\": \"car\"}\n";
    if (done)
        return 0;
    const char *path = fuzz_tmp_write(0, "d.jsonl", (const uint8_t *)log, sizeof(log) - 1, 0600);
    if (!path)
        return -1;
    char dir[512];
    snprintf(dir, sizeof(dir), "%s", path);
    *strrchr(dir, '/') = '\0';
    if (chdir(dir) < 0)
        return -1;
    done = 1;
    return 0;
}

static void check(const ClipSpec *spec)
{
    const EvclipClip *c = &spec->clip;
    if (c->nb_sources < 1 || !c->sources || !c->output || c->settings != &spec->settings)
        __builtin_trap();
    for (int i = 0; i < c->nb_sources; i++)
        if (!c->sources[i].path)
            __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    EvclipSettings defaults;
    LogCache cache = { 0 };
    char err[1024];
    if (setup() < 0)
        return 0;
    evclip_default_settings(&defaults);
    const char *p = (const char *)data, *end = p + size;
    for (int line = 1; p < end; line++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        json_error_t jerr;
        json_t *obj = json_loadb(p, len, JSON_REJECT_DUPLICATES, &jerr);
        p += len + (nl != NULL);
        if (!obj)
            continue;
        ClipSpec spec;
        char where[32];
        snprintf(where, sizeof(where), "fuzz:%d", line);
        err[0] = '\0';
        int ret = spec_parse(&spec, obj, where, NULL, &defaults, &cache, err,
                             sizeof(err));
        if (ret == 0)
            check(&spec);
        else if (!*err)
            __builtin_trap(); /* every refusal says why */
        spec_free(&spec);
        json_decref(obj);
    }
    log_cache_free(&cache);
    return 0;
}
