/* orient.c: display orientation of a video (display matrix): sizes, pixels and boxes turned
 * from stored to display space, as players show them. */
#include <math.h>

#include <libavutil/display.h>

#include "src/orient.h"

#define TILE 32 /* transposing tile: rows of both planes stay in cache */

int orient_from_matrix(const int32_t *matrix, double *degrees, int *odd)
{
    *degrees = NAN;
    *odd = 0;
    if (!matrix)
        return 0;
    double theta = -round(av_display_rotation_get(matrix));
    if (isnan(theta))
        return 0;
    theta -= 360 * floor(theta / 360 + 0.9 / 360); /* 0 .. 360 */
    *degrees = theta;
    double snapped = 90 * round(theta / 90);
    *odd = fabs(theta - snapped) > 1.0;
    int quarter = (int)snapped / 90 % 4;
    /* As fftools' autorotate: the mirror in the matrix is read from its signs. */
    switch (quarter) {
    case 1: return matrix[3] > 0 ? ORIENT_TRANSPOSE : ORIENT_TRANSPOSE | ORIENT_HFLIP;
    case 2: return (matrix[0] < 0 ? ORIENT_HFLIP : 0) | (matrix[4] < 0 ? ORIENT_VFLIP : 0);
    case 3: return matrix[3] < 0 ? ORIENT_TRANSPOSE | ORIENT_HFLIP | ORIENT_VFLIP
                                 : ORIENT_TRANSPOSE | ORIENT_VFLIP;
    default: return matrix[4] < 0 ? ORIENT_VFLIP : 0;
    }
}

void orient_describe(int o, int *rotation, int *mirror)
{
    static const int rot[8] = { 0, 90, 0, 90, 180, 270, 180, 270 };
    static const int mir[8] = { 0, 1, 1, 0, 1, 0, 0, 1 };
    /* index = o: 0 none, T = 90 + mirror, H = mirror, T|H = 90, V = 180 + mirror,
     * T|V = 270, H|V = 180, T|H|V = 270 + mirror */
    *rotation = rot[o & 7];
    *mirror = mir[o & 7];
}

void orient_size(int o, int w, int h, int *dw, int *dh)
{
    *dw = o & ORIENT_TRANSPOSE ? h : w;
    *dh = o & ORIENT_TRANSPOSE ? w : h;
}

static void map_point(int o, int dw, int dh, double *x, double *y)
{
    if (o & ORIENT_TRANSPOSE) {
        double t = *x;
        *x = *y;
        *y = t;
    }
    if (o & ORIENT_HFLIP)
        *x = dw - *x;
    if (o & ORIENT_VFLIP)
        *y = dh - *y;
}

void orient_box(int o, int w, int h, double *x1, double *y1, double *x2, double *y2)
{
    int dw, dh;
    if (!o)
        return;
    orient_size(o, w, h, &dw, &dh);
    double ax = *x1, ay = *y1, bx = *x2, by = *y2;
    map_point(o, dw, dh, &ax, &ay);
    map_point(o, dw, dh, &bx, &by);
    *x1 = fmin(ax, bx);
    *x2 = fmax(ax, bx);
    *y1 = fmin(ay, by);
    *y2 = fmax(ay, by);
}

void orient_plane(int o, uint8_t *dst, ptrdiff_t dst_stride, int dw, int dh,
                  const uint8_t *src, ptrdiff_t src_stride)
{
    /* Address in src of display pixel (0, 0), and its steps along display x and y. */
    ptrdiff_t step_x, step_y;
    const uint8_t *origin = src;
    if (o & ORIENT_TRANSPOSE) {
        step_x = o & ORIENT_HFLIP ? -src_stride : src_stride;
        step_y = o & ORIENT_VFLIP ? -1 : 1;
        origin += (o & ORIENT_HFLIP ? (ptrdiff_t)(dw - 1) * src_stride : 0) +
                  (o & ORIENT_VFLIP ? dh - 1 : 0);
    } else {
        step_x = o & ORIENT_HFLIP ? -1 : 1;
        step_y = o & ORIENT_VFLIP ? -src_stride : src_stride;
        origin += (o & ORIENT_HFLIP ? dw - 1 : 0) +
                  (o & ORIENT_VFLIP ? (ptrdiff_t)(dh - 1) * src_stride : 0);
    }
    for (int ty = 0; ty < dh; ty += TILE) {
        int yend = ty + TILE < dh ? ty + TILE : dh;
        for (int tx = 0; tx < dw; tx += TILE) {
            int xend = tx + TILE < dw ? tx + TILE : dw;
            for (int y = ty; y < yend; y++) {
                uint8_t *d = dst + (ptrdiff_t)y * dst_stride;
                const uint8_t *s = origin + (ptrdiff_t)y * step_y + (ptrdiff_t)tx * step_x;
                for (int x = tx; x < xend; x++, s += step_x)
                    d[x] = *s;
            }
        }
    }
}
