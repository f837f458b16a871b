/* fuzz_live_config.c: libFuzzer target for camera config files (evclip live --config); the
 * streams found are checked, not started. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "src/live_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What evclip_live_add_stream() relies on: strings or NULL, a known transport. */
static int check_stream(void *opaque, const EvclipStreamParams *p)
{
    int *count = opaque;
    if ((p->name && strlen(p->name) > (size_t)1 << 30) || (p->url && strlen(p->url) > 1u << 30))
        __builtin_trap();
    if (p->transport != EVCLIP_TRANSPORT_TCP && p->transport != EVCLIP_TRANSPORT_UDP)
        __builtin_trap();
    if (!p->name || !p->url)
        return ev_error(EVCLIP_ERR_INVALID, "missing name or url");
    (*count)++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int count = 0;
    int ret = live_config_parse((const char *)data, size, "fuzz.json", check_stream, &count);
    if (ret < 0 && !*ev_error_message())
        __builtin_trap();
    return 0;
}
