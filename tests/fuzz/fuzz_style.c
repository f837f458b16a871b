/* fuzz_style.c: libFuzzer target for the style parser and chip templates (untrusted --style
 * files and job styles): parse, resolve and format for a few boxes; the first byte picks
 * whether the rest is a style or a bare template. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "src/style.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const EvclipDetection boxes[] = {
        { .label = "car", .score = 0.64, .track_id = 7 },
        { .label = "face", .score = EVCLIP_NONE, .track_id = EVCLIP_NONE },
        { .label = "", .score = 1e300, .track_id = INT64_MAX },
    };
    char out[256], err[256];
    if (size < 1 || size > 1 << 16)
        return 0;
    char *text = malloc(size);
    if (!text)
        return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = 0;
    if (data[0] & 1) {
        for (size_t i = 0; i < sizeof(boxes) / sizeof(boxes[0]); i++)
            style_format(text, &boxes[i], out, sizeof(out), err, sizeof(err));
        style_format(text, NULL, NULL, 0, err, sizeof(err));
    } else {
        Style *s = NULL;
        if (style_parse(&s, text) == 0) {
            for (size_t i = 0; i < sizeof(boxes) / sizeof(boxes[0]); i++) {
                BoxStyle b;
                style_resolve(s, &boxes[i], &b);
                if (b.template &&
                    style_format(b.template, &boxes[i], out, sizeof(out), err, sizeof(err)) < 0)
                    __builtin_trap(); /* a parsed template always formats */
            }
            style_legend(s);
        }
        style_free(&s);
    }
    free(text);
    return 0;
}
