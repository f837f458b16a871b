/* test_orient.c: display orientation: matrices decided as ffmpeg's autorotate, and pixels and
 * boxes turned the same way for all 8 orientations and odd sizes. */
#include <stdlib.h>
#include <string.h>

#include <libavutil/display.h>

#include "src/orient.h"
#include "tests/unit/check.h"

static int from_rotation(double angle, int hflip, int vflip)
{
    int32_t m[9];
    double degrees;
    int odd;
    av_display_rotation_set(m, angle);
    av_display_matrix_flip(m, hflip, vflip);
    return orient_from_matrix(m, &degrees, &odd);
}

static void test_matrix(void)
{
    double degrees;
    int odd;
    CHECK(orient_from_matrix(NULL, &degrees, &odd) == 0 && degrees != degrees && !odd);
    /* ffmpeg shows a matrix from av_display_rotation_set(m, a) turned clockwise by a
     * (transpose=clock for 90, cclock for -90; the 7.0 docs call it a clockwise rotation). */
    CHECK(from_rotation(90, 0, 0) == (ORIENT_TRANSPOSE | ORIENT_HFLIP));  /* 90 clockwise */
    CHECK(from_rotation(-90, 0, 0) == (ORIENT_TRANSPOSE | ORIENT_VFLIP)); /* 270 clockwise */
    CHECK(from_rotation(180, 0, 0) == (ORIENT_HFLIP | ORIENT_VFLIP));
    CHECK(from_rotation(0, 0, 0) == 0);
    CHECK(from_rotation(0, 1, 0) == ORIENT_HFLIP);
    CHECK(from_rotation(0, 0, 1) == ORIENT_VFLIP);
    int32_t m[9];
    av_display_rotation_set(m, 37);
    CHECK(orient_from_matrix(m, &degrees, &odd) == 0 && odd && degrees > 36 && degrees < 38);
    av_display_rotation_set(m, 80);
    CHECK(orient_from_matrix(m, &degrees, &odd) == (ORIENT_TRANSPOSE | ORIENT_HFLIP) && odd);
    int rotation, mirror;
    orient_describe(ORIENT_TRANSPOSE | ORIENT_HFLIP, &rotation, &mirror);
    CHECK(rotation == 90 && !mirror);
    orient_describe(ORIENT_TRANSPOSE, &rotation, &mirror);
    CHECK(rotation == 90 && mirror);
    orient_describe(ORIENT_VFLIP, &rotation, &mirror);
    CHECK(rotation == 180 && mirror);
}

/* Every stored pixel, marked alone, lands in the display picture inside the box that
 * orient_box gives for its 1x1 box: pixels and boxes turn alike. */
static void test_pixels_and_boxes(int o, int w, int h)
{
    int dw, dh;
    orient_size(o, w, h, &dw, &dh);
    CHECK(dw * dh == w * h && (o & ORIENT_TRANSPOSE ? dw == h : dw == w));
    uint8_t *src = calloc((size_t)w * h, 1), *dst = malloc((size_t)dw * dh);
    int bad = 0;
    for (int y = 0; y < h && !bad; y += 3) {
        for (int x = 0; x < w && !bad; x += 2) {
            memset(src, 0, (size_t)w * h);
            src[y * w + x] = 255;
            orient_plane(o, dst, dw, dw, dh, src, w);
            double x1 = x, y1 = y, x2 = x + 1, y2 = y + 1;
            orient_box(o, w, h, &x1, &y1, &x2, &y2);
            int found = -1;
            for (int i = 0; i < dw * dh; i++)
                if (dst[i] == 255)
                    found = i;
            int fx = found % dw, fy = found / dw;
            bad = found < 0 || x2 - x1 != 1 || y2 - y1 != 1 || fx != (int)x1 || fy != (int)y1;
        }
    }
    CHECK_MSG(!bad, "orientation %d, %dx%d", o, w, h);
    free(src);
    free(dst);
}

int main(void)
{
    test_matrix();
    for (int o = 0; o < 8; o++) {
        test_pixels_and_boxes(o, 7, 5);
        test_pixels_and_boxes(o, 40, 33); /* past one tile */
    }
    return test_summary();
}
