/* fuzz_manifest.c: libFuzzer target for manifest loading and verification (evclip_verify with
 * source re-hashing) on a manifest file holding the input. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "evclip/evclip.h"
#include "tests/fuzz/fuzz_tmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t clip_bytes[] = "not really an mp4";
    EvclipVerifyResult res;
    const char *clip = fuzz_tmp_write(0, "clip.mp4", clip_bytes, sizeof(clip_bytes) - 1, 0600);
    const char *manifest = fuzz_tmp_write(1, "clip.mp4.evidence.json", data, size, 0600);
    if (!clip || !manifest)
        return 0;
    int ret = evclip_verify(clip, manifest, NULL, EVCLIP_VERIFY_SOURCES, &res);
    /* A malformed manifest is a failed check, never a pass. */
    if (ret == 0 && res.ok && res.manifest != EVCLIP_CHECK_PASSED)
        __builtin_trap();
    if (ret == 0 && strnlen(res.detail, sizeof(res.detail)) == sizeof(res.detail))
        __builtin_trap();
    return 0;
}
