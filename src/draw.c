/* draw.c: clipped rectangles, box outlines, blends and alpha masks painted into YUV 4:2:0 or
 * packed 3-byte (BGR/RGB) images. */
#include <math.h>
#include <string.h>

#include "src/draw.h"

/* A clipped, non-empty luma rectangle [x0, x1) x [y0, y1). */
typedef struct Rect {
    int x0, y0, x1, y1;
} Rect;

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* Clips [x0, x1) x [y0, y1), given in 64 bits so that x + w never overflows, to the image.
 * Returns 0 when nothing is left. */
static int clip(const DrawImage *img, int64_t x0, int64_t y0, int64_t x1, int64_t y1, Rect *r)
{
    if (!img || img->width <= 0 || img->height <= 0)
        return 0;
    r->x0 = (int)clamp64(x0, 0, img->width);
    r->x1 = (int)clamp64(x1, 0, img->width);
    r->y0 = (int)clamp64(y0, 0, img->height);
    r->y1 = (int)clamp64(y1, 0, img->height);
    return r->x0 < r->x1 && r->y0 < r->y1;
}

/* The chroma samples touched by a luma rectangle: any sample covering a painted luma pixel. */
static Rect chroma_of(const Rect *r)
{
    return (Rect){ r->x0 >> 1, r->y0 >> 1, (r->x1 + 1) >> 1, (r->y1 + 1) >> 1 };
}

/* memset of one row (n >= 1); the narrow rows of box sides are set inline, without a call. */
static inline void set_row(uint8_t *p, size_t n, uint8_t v)
{
    const uint64_t pat = 0x0101010101010101ull * v;
    const uint32_t pat4 = (uint32_t)pat;

    if (n > 16) {
        memset(p, v, n);
    } else if (n >= 8) { /* two overlapping 8-byte stores */
        memcpy(p, &pat, 8);
        memcpy(p + n - 8, &pat, 8);
    } else if (n >= 4) {
        memcpy(p, &pat4, 4);
        memcpy(p + n - 4, &pat4, 4);
    } else {
        p[0] = p[n / 2] = p[n - 1] = v;
    }
}

static void fill_plane(uint8_t *plane, ptrdiff_t stride, const Rect *r, uint8_t v)
{
    uint8_t *row = plane + r->y0 * stride + r->x0;
    size_t n = (size_t)(r->x1 - r->x0);

    for (int y = r->y0; y < r->y1; y++, row += stride)
        set_row(row, n, v);
}

/* The first pixel of r in a packed image. */
static uint8_t *packed_at(const DrawImage *img, int x, int y)
{
    return img->plane[0] + y * img->stride[0] + 3 * (ptrdiff_t)x;
}

/* Packed images: the first row is written pixel by pixel, the others copied from it. */
static void fill_packed(DrawImage *img, const Rect *r, DrawColor c)
{
    uint8_t *first = packed_at(img, r->x0, r->y0);
    size_t n = (size_t)(r->x1 - r->x0);

    for (size_t x = 0; x < n; x++) {
        first[3 * x] = c.y;
        first[3 * x + 1] = c.u;
        first[3 * x + 2] = c.v;
    }
    for (int y = r->y0 + 1; y < r->y1; y++)
        memcpy(packed_at(img, r->x0, y), first, 3 * n);
}

static void fill(DrawImage *img, const Rect *r, DrawColor c)
{
    Rect cr = chroma_of(r);

    if (img->packed) {
        fill_packed(img, r, c);
        return;
    }

    fill_plane(img->plane[0], img->stride[0], r, c.y);
    fill_plane(img->plane[1], img->stride[1], &cr, c.u);
    fill_plane(img->plane[2], img->stride[2], &cr, c.v);
}

/* (dst * (255 - a) + v * a) / 255 rounded: s / 255 == (s + 1 + (s >> 8)) >> 8 for every s
 * here (checked exhaustively), in 16 bits so that loops vectorize. a = 0 keeps dst exactly. */
static inline uint8_t mix(uint8_t dst, uint8_t v, uint8_t a)
{
    uint16_t s = (uint16_t)(dst * (255 - a) + v * a + 127);

    return (uint8_t)((s + 1 + (s >> 8)) >> 8);
}

static void blend_plane(uint8_t *plane, ptrdiff_t stride, const Rect *r, uint8_t v, uint8_t a)
{
    uint8_t *row = plane + r->y0 * stride;

    for (int y = r->y0; y < r->y1; y++, row += stride)
        for (int x = r->x0; x < r->x1; x++)
            row[x] = mix(row[x], v, a);
}

static int to_byte(double v)
{
    return v <= 0.0 ? 0 : v >= 255.0 ? 255 : (int)(v + 0.5);
}

DrawColor draw_color_from_rgb(uint8_t r, uint8_t g, uint8_t b, enum DrawMatrix matrix,
                              int full_range)
{
    if (matrix == DRAW_PACKED_BGR)
        return (DrawColor){ b, g, r };
    if (matrix == DRAW_PACKED_RGB)
        return (DrawColor){ r, g, b };
    double kr = matrix == DRAW_BT709 ? 0.2126 : 0.299;
    double kb = matrix == DRAW_BT709 ? 0.0722 : 0.114;
    double luma = kr * r + (1.0 - kr - kb) * g + kb * b;
    double cb = (b - luma) / (2.0 * (1.0 - kb)); /* -127.5 .. 127.5 */
    double cr = (r - luma) / (2.0 * (1.0 - kr));

    if (full_range)
        return (DrawColor){ to_byte(luma), to_byte(128.0 + cb), to_byte(128.0 + cr) };
    return (DrawColor){ to_byte(16.0 + luma * 219.0 / 255.0),
                        to_byte(128.0 + cb * 224.0 / 255.0),
                        to_byte(128.0 + cr * 224.0 / 255.0) };
}

int draw_rgb_luma(uint8_t r, uint8_t g, uint8_t b)
{
    /* Rec. 601 weights: perceptual enough to choose black or white text. */
    return (299 * r + 587 * g + 114 * b + 500) / 1000;
}

void draw_fill_rect(DrawImage *img, int x, int y, int w, int h, DrawColor c)
{
    Rect r;

    if (w > 0 && h > 0 && clip(img, x, y, (int64_t)x + w, (int64_t)y + h, &r))
        fill(img, &r, c);
}

/* Liang-Barsky: cuts the segment p + t (q - p), t in [0, 1], to [lo, hi] on one axis. */
static int clip_axis(double p, double d, double lo, double hi, double *t0, double *t1)
{
    if (d == 0)
        return p >= lo && p <= hi;
    double a = (lo - p) / d, b = (hi - p) / d;
    if (a > b) {
        double t = a;
        a = b;
        b = t;
    }
    *t0 = a > *t0 ? a : *t0;
    *t1 = b < *t1 ? b : *t1;
    return *t0 <= *t1;
}

void draw_line(DrawImage *img, double x0, double y0, double x1, double y1, int thickness,
               DrawColor c)
{
    double t0 = 0, t1 = 1, dx = x1 - x0, dy = y1 - y0, m = thickness + 1.0;
    if (thickness < 1 || !isfinite(dx) || !isfinite(dy) ||
        !clip_axis(x0, dx, -m, img->width + m, &t0, &t1) ||
        !clip_axis(y0, dy, -m, img->height + m, &t0, &t1))
        return;
    double ax = x0 + t0 * dx, ay = y0 + t0 * dy, len = (t1 - t0) * hypot(dx, dy);
    int steps = (int)ceil(len * 2) + 1, half = thickness / 2;
    for (int i = 0; i <= steps; i++) {
        double f = steps ? (double)i / steps * (t1 - t0) : 0;
        int x = (int)lround(ax + f * dx) - half, y = (int)lround(ay + f * dy) - half;
        draw_fill_rect(img, x, y, thickness, thickness, c);
    }
}

void draw_blend_rect(DrawImage *img, int x, int y, int w, int h, DrawColor c, int alpha)
{
    Rect r, cr;

    if (w <= 0 || h <= 0 || alpha <= 0 || !clip(img, x, y, (int64_t)x + w, (int64_t)y + h, &r))
        return;
    if (alpha >= 255) {
        fill(img, &r, c);
        return;
    }
    if (img->packed) {
        const uint8_t v[3] = { c.y, c.u, c.v };
        for (int row = r.y0; row < r.y1; row++) {
            uint8_t *p = packed_at(img, r.x0, row);
            for (int i = 0; i < 3 * (r.x1 - r.x0); i++)
                p[i] = mix(p[i], v[i % 3], (uint8_t)alpha);
        }
        return;
    }
    cr = chroma_of(&r);
    blend_plane(img->plane[0], img->stride[0], &r, c.y, (uint8_t)alpha);
    blend_plane(img->plane[1], img->stride[1], &cr, c.u, (uint8_t)alpha);
    blend_plane(img->plane[2], img->stride[2], &cr, c.v, (uint8_t)alpha);
}

static void fill64(DrawImage *img, int64_t x0, int64_t y0, int64_t x1, int64_t y1, DrawColor c)
{
    Rect r;

    if (clip(img, x0, y0, x1, y1, &r))
        fill(img, &r, c);
}

void draw_box_outline(DrawImage *img, int x1, int y1, int x2, int y2, int thickness,
                      DrawColor c)
{
    int64_t t = thickness;

    if (x2 <= x1 || y2 <= y1 || thickness < 1)
        return;
    if ((int64_t)x2 - x1 <= 2 * t || (int64_t)y2 - y1 <= 2 * t) {
        fill64(img, x1, y1, x2, y2, c);
        return;
    }
    /* Top and bottom span the full width; the sides fill the rows between them. */
    fill64(img, x1, y1, x2, y1 + t, c);
    fill64(img, x1, y2 - t, x2, y2, c);
    fill64(img, x1, y1 + t, x1 + t, y2 - t, c);
    fill64(img, x2 - t, y1 + t, x2, y2 - t, c);
}

/* Branch-free so that it vectorizes: coverage 0 leaves a pixel as it was. */
static void mask_luma(DrawImage *img, const Rect *r, const uint8_t *mask, ptrdiff_t ms,
                      uint8_t v)
{
    uint8_t *row = img->plane[0] + r->y0 * img->stride[0] + r->x0;
    int n = r->x1 - r->x0;

    for (int y = r->y0; y < r->y1; y++, row += img->stride[0], mask += ms)
        for (int x = 0; x < n; x++)
            row[x] = mix(row[x], v, mask[x]);
}

static inline uint8_t max2(uint8_t a, uint8_t b)
{
    return a > b ? a : b;
}

/* Chroma alpha of the samples [cx0, cx0 + n) (n <= 64) of one chroma row whose luma rows are
 * m0 and m1 (the same row at a clipped edge): the largest coverage of the (up to four) luma
 * pixels of a sample, so that an opaque mask paints chroma exactly like draw_fill_rect.
 * Two simple passes (rows, then column pairs) so that both vectorize. */
static void chroma_alpha(const Rect *r, const uint8_t *m0, const uint8_t *m1, int cx0, int n,
                         uint8_t *a)
{
    int w = r->x1 - r->x0, lx = 2 * cx0 - r->x0, m = 2 * n;
    int s = lx < 0, e = lx + m > w ? m - 1 : m; /* in-mask part of the luma columns */
    uint8_t col[128];

    for (int j = s; j < e; j++)
        col[j] = max2(m0[lx + j], m1[lx + j]);
    if (s) /* clipped columns count as their neighbour */
        col[0] = max2(m0[0], m1[0]);
    if (e < m)
        col[m - 1] = max2(m0[w - 1], m1[w - 1]);
    for (int k = 0; k < n; k++)
        a[k] = max2(col[2 * k], col[2 * k + 1]);
}

/* `mask` is at (r->x0, r->y0). Alphas are gathered per chunk so that the blends vectorize. */
static void mask_chroma(DrawImage *img, const Rect *r, const uint8_t *mask, ptrdiff_t ms,
                        DrawColor c)
{
    Rect cr = chroma_of(r);
    uint8_t *u = img->plane[1] + cr.y0 * img->stride[1];
    uint8_t *v = img->plane[2] + cr.y0 * img->stride[2];
    uint8_t a[64];

    for (int cy = cr.y0; cy < cr.y1; cy++, u += img->stride[1], v += img->stride[2]) {
        int ya = 2 * cy < r->y0 ? r->y0 : 2 * cy;
        int yb = 2 * cy + 1 < r->y1 ? 2 * cy + 1 : r->y1 - 1;
        for (int cx = cr.x0; cx < cr.x1; cx += (int)sizeof(a)) {
            int n = cr.x1 - cx < (int)sizeof(a) ? cr.x1 - cx : (int)sizeof(a);
            chroma_alpha(r, mask + (ya - r->y0) * ms, mask + (yb - r->y0) * ms, cx, n, a);
            for (int k = 0; k < n; k++)
                u[cx + k] = mix(u[cx + k], c.u, a[k]);
            for (int k = 0; k < n; k++)
                v[cx + k] = mix(v[cx + k], c.v, a[k]);
        }
    }
}

/* Packed images: every byte of a pixel blended with its coverage. */
static void mask_packed(DrawImage *img, const Rect *r, const uint8_t *mask, ptrdiff_t ms,
                        DrawColor c)
{
    int n = r->x1 - r->x0;

    for (int y = r->y0; y < r->y1; y++, mask += ms) {
        uint8_t *p = packed_at(img, r->x0, y);
        for (int x = 0; x < n; x++, p += 3) {
            p[0] = mix(p[0], c.y, mask[x]);
            p[1] = mix(p[1], c.u, mask[x]);
            p[2] = mix(p[2], c.v, mask[x]);
        }
    }
}

void draw_alpha_mask(DrawImage *img, int x, int y, const uint8_t *mask, int mask_w, int mask_h,
                     ptrdiff_t mask_stride, DrawColor c)
{
    Rect r;

    if (!mask || mask_w <= 0 || mask_h <= 0)
        return;
    if (!clip(img, x, y, (int64_t)x + mask_w, (int64_t)y + mask_h, &r))
        return;
    /* Start of the visible part of the mask: the offsets are < mask size once clipped. */
    mask += ((int64_t)r.y0 - y) * mask_stride + ((int64_t)r.x0 - x);
    if (img->packed) {
        mask_packed(img, &r, mask, mask_stride, c);
        return;
    }
    mask_luma(img, &r, mask, mask_stride, c.y);
    mask_chroma(img, &r, mask, mask_stride, c);
}
