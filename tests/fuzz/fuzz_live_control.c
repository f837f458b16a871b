/* fuzz_live_control.c: libFuzzer target for live control lines (trigger, detections, stats,
 * quit) on a pool with one stream that never connects. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "evclip/evclip.h"
#include "tests/fuzz/fuzz_tmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static EvclipRenderer *renderer;
static EvclipLive *pool;
static int uses;

/* The pool is reused across inputs (threads are slow to start) and renewed now and then so
 * that detections pushed by inputs do not pile up. */
static int open_pool(void)
{
    EvclipLiveSettings ls;
    EvclipStreamParams sp = { .name = "cam", .url = "/nonexistent/evclip-fuzz-stream.mp4" };
    if (pool && ++uses < 256)
        return 0;
    evclip_live_close(&pool);
    uses = 0;
    if (!renderer && evclip_open(&renderer, NULL) < 0)
        return -1;
    evclip_live_default_settings(&ls);
    ls.backoff_min = ls.backoff_max = 60; /* one failed connection, then quiet */
    ls.output_dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    if (evclip_live_open(&pool, renderer, &ls) < 0)
        return -1;
    return evclip_live_add_stream(pool, &sp) < 0 ? -1 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (open_pool() < 0)
        return 0;
    char *line = malloc(size + 1);
    if (!line)
        return 0;
    memcpy(line, data, size);
    line[size] = '\0';
    int ret = evclip_live_control(pool, line);
    /* Only a "quit" line returns QUIT; a failure always says why. */
    if (ret < 0 && !*evclip_last_error())
        __builtin_trap();
    free(line);
    return 0;
}
