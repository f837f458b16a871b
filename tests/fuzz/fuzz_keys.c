/* fuzz_keys.c: libFuzzer target for the Ed25519 key file readers (secret key check, public
 * key of evclip_verify). */
#include <stddef.h>
#include <stdint.h>

#include "evclip/evclip.h"
#include "src/manifest.h"
#include "tests/fuzz/fuzz_tmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    EvclipVerifyResult res;
    const char *key = fuzz_tmp_write(0, "key", data, size, 0600);
    if (!key)
        return 0;
    manifest_check_key(key);
    /* The public key is read before the (missing) clip: exercises the public header path. */
    int ret = evclip_verify("/nonexistent/evclip-fuzz.mp4", NULL, key, 0, &res);
    if (ret == 0)
        __builtin_trap();
    return 0;
}
