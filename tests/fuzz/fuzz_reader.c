/* fuzz_reader.c: libFuzzer target for every detection log format (native, grouped,
 * Ultralytics, MOT, evclip inspect), with and without normalised coordinates. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "src/detections.h"
#include "src/reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    EvclipDetections *d = NULL;
    DetList all = { 0 };
    if (size < 1 || evclip_detections_new(&d) < 0)
        return 0;
    /* First byte: format (auto, native, grouped, ultralytics, mot, inspect) and the normalized
     * default. */
    int format = (data[0] & 7) % 6, normalized = (data[0] >> 3) & 1;
    int ret = reader_parse(d, "fuzz", (const char *)data + 1, size - 1, format, normalized);
    if (ret == 0 && detections_prepare(d) == 0 &&
        detections_lookup(d, INT64_MIN, INT64_MAX, -INFINITY, INFINITY, &all) == 0) {
        for (int i = 0; i < all.count; i++) {
            const EvclipDetection *e = &all.items[i];
            /* Stored boxes are never nonsense: the reader skips those. */
            if (!(e->x2 > e->x1 && e->y2 > e->y1) || !e->label)
                __builtin_trap();
        }
    }
    detlist_free(&all);
    evclip_detections_free(&d);
    return 0;
}
