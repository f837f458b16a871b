/* fuzz_wallclock.c: libFuzzer target for the wall-clock parsers: ISO 8601 / epoch text and
 * TZif zone files (with their POSIX TZ footer rule), then lookups over the whole range. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "src/tz.h"
#include "src/wallclock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (data[0] & 1) { /* text: NUL-terminated copy */
        char *text = malloc(size);
        double epoch;
        if (!text)
            return 0;
        memcpy(text, data + 1, size - 1);
        text[size - 1] = '\0';
        if (wallclock_parse(text, &epoch, "epoch") == 0 && !(epoch >= 0 && epoch <= 3e11))
            abort(); /* accepted values are in range */
        free(text);
        return 0;
    }
    Tz *tz = NULL;
    if (tz_load_buffer(&tz, data + 1, size - 1, "fuzz") == 0) {
        char buf[WALLCLOCK_TEXT];
        for (double t = 0; t < 2.6e11; t = t * 3 + 86399.5)
            wallclock_format(tz, t, buf, sizeof(buf));
        tz_close(&tz);
    }
    return 0;
}
