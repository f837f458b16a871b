/* fuzz_sei.c: libFuzzer target for the SEI parsers (AVCC NAL scan and evclip payload decode). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "src/sei.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    SeiFrame f;
    if (size < 1)
        return 0;
    /* First byte picks the NAL length size; the rest is an access unit, and also a payload. */
    if (sei_find_avcc(data + 1, size - 1, (data[0] & 3) + 1, &f) > 0)
        sei_frame_free(&f);
    if (sei_decode(data + 1, size - 1, &f) > 0) {
        for (int i = 0; i < f.count; i++) { /* touch every label and polygon point */
            (void)strlen(f.dets[i].label);
            volatile float sum = 0;
            for (int k = 0; k < 2 * f.nb_points[i]; k++)
                sum += f.points[i][k];
        }
        sei_frame_free(&f);
    }
    return 0;
}
