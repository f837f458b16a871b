/* overlay.c: evidence styling: box outlines, label chips, colours and captions on a frame. */
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/detections.h"
#include "src/error.h"
#include "src/overlay.h"
#include "src/shape.h"
#include "src/style.h"
#include "src/text.h"
#include "src/utf8.h"

#define LABEL_MAX 256
#define CAPTION_ALPHA 160
#define NB_COLORS (sizeof(palette) / sizeof(palette[0]))

/* Mutually distinct RGB colours that stay readable on typical video, indexed by track id or
 * label hash. */
static const uint8_t palette[][3] = {
    { 0xFF, 0x38, 0x38 }, { 0xFF, 0x9D, 0x97 }, { 0xFF, 0x70, 0x1F }, { 0xFF, 0xB2, 0x1D },
    { 0xCF, 0xD2, 0x31 }, { 0x48, 0xF9, 0x0A }, { 0x92, 0xCC, 0x17 }, { 0x3D, 0xDB, 0x86 },
    { 0x1A, 0x93, 0x34 }, { 0x00, 0xD4, 0xBB }, { 0x2C, 0x99, 0xA8 }, { 0x00, 0xC2, 0xFF },
    { 0x34, 0x45, 0x93 }, { 0x64, 0x73, 0xFF }, { 0x00, 0x18, 0xEC }, { 0x84, 0x38, 0xFF },
    { 0x52, 0x00, 0x85 }, { 0xCB, 0x38, 0xFF }, { 0xFF, 0x95, 0xC8 }, { 0xFF, 0x37, 0xC7 },
};

struct Overlay {
    int width, height;
    enum DrawMatrix matrix;
    int full_range;
    int thickness, font_size;
    int pad_x, pad_y;      /* chip padding around the text line */
    int line_height;
    int label_max;         /* label code points shown, 0 = all */
    TextFont *font;
    DrawColor black, white;
    const Style *style;    /* custom styles, or NULL */
};

static const BoxTransform identity = { 1.0, 1.0, 0.0, 0.0 };

static int check_params(const OverlayParams *p)
{
    if (!p || p->width <= 0 || p->height <= 0)
        return ev_error(EVCLIP_ERR_INVALID, "overlay: invalid frame size %dx%d",
                        p ? p->width : 0, p ? p->height : 0);
    if (p->matrix != DRAW_BT601 && p->matrix != DRAW_BT709 && p->matrix != DRAW_PACKED_BGR &&
        p->matrix != DRAW_PACKED_RGB)
        return ev_error(EVCLIP_ERR_INVALID, "overlay: unknown colour matrix %d", p->matrix);
    if (p->thickness < 0)
        return ev_error(EVCLIP_ERR_INVALID, "overlay: thickness %d is negative", p->thickness);
    if (p->font_size < 0 || (p->font_size > 0 && p->font_size < 4))
        return ev_error(EVCLIP_ERR_INVALID, "overlay: font size %d is below 4", p->font_size);
    if (p->label_max < 0)
        return ev_error(EVCLIP_ERR_INVALID, "overlay: label_max %d is negative", p->label_max);
    return 0;
}

int overlay_open(Overlay **out, const OverlayParams *p)
{
    Overlay *o;
    int ret;

    *out = NULL;
    if ((ret = check_params(p)) < 0)
        return ret;
    o = calloc(1, sizeof(*o));
    if (!o)
        return ev_error(EVCLIP_ERR_NOMEM, "overlay: out of memory");
    o->width = p->width;
    o->height = p->height;
    o->matrix = p->matrix;
    o->full_range = p->full_range ? 1 : 0;
    o->label_max = p->label_max;
    /* Auto sizes: max(2, round(height / 400)) and max(12, height / 40). */
    int t = p->height / 400 + (p->height % 400 >= 200), fs = p->height / 40;
    o->thickness = p->thickness ? p->thickness : t > 2 ? t : 2;
    o->font_size = p->font_size ? p->font_size : fs > 12 ? fs : 12;
    o->pad_x = o->font_size / 4 > 2 ? o->font_size / 4 : 2;
    o->pad_y = o->font_size / 8 > 1 ? o->font_size / 8 : 1;
    if ((ret = text_font_open(&o->font, p->font, o->font_size)) < 0) {
        free(o);
        return ret;
    }
    text_font_metrics(o->font, NULL, &o->line_height);
    o->black = draw_color_from_rgb(0, 0, 0, o->matrix, o->full_range);
    o->white = draw_color_from_rgb(255, 255, 255, o->matrix, o->full_range);
    *out = o;
    return 0;
}

void overlay_close(Overlay **po)
{
    if (!po || !*po)
        return;
    text_font_close(&(*po)->font);
    free(*po);
    *po = NULL;
}

int overlay_thickness(const Overlay *o)
{
    return o->thickness;
}

int overlay_font_size(const Overlay *o)
{
    return o->font_size;
}

/* Cuts a UTF-8 sequence that truncation left incomplete at the end of s. */
static void trim_utf8(char *s, size_t len)
{
    size_t i = len;
    int need;

    while (i > 0 && ((unsigned char)s[i - 1] & 0xC0) == 0x80)
        i--;
    if (i == 0)
        return;
    unsigned char lead = (unsigned char)s[i - 1];
    need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    if (len - (i - 1) < (size_t)need)
        s[i - 1] = '\0';
}

int overlay_format_label(const EvclipDetection *d, char *buf, size_t size)
{
    char track[32] = "", score[48] = "";
    int len;

    if (d->normalized & DETECTION_TEXT) { /* the chip text given with the detection */
        len = snprintf(buf, size, "%s", d->label + strlen(d->label) + 1);
        if (len >= 0 && size > 0 && (size_t)len >= size)
            trim_utf8(buf, size - 1);
        return len;
    }
    if (d->track_id >= 0)
        snprintf(track, sizeof(track), " #%" PRId64, d->track_id);
    if (isfinite(d->score) && d->score >= 0) {
        /* Integer formatting: "%.2f" would follow the caller's LC_NUMERIC (e.g. "0,64"). */
        double v = d->score * 100.0 + 0.5;
        long long h = v < 1e15 ? (long long)v : (long long)1e15;
        snprintf(score, sizeof(score), " %lld.%02lld", h / 100, h % 100);
    }
    len = snprintf(buf, size, "%s%s%s", d->label ? d->label : "", track, score);
    if (len >= 0 && size > 0 && (size_t)len >= size)
        trim_utf8(buf, size - 1);
    return len;
}

/* FNV-1a: stable across runs and platforms, so a class keeps its colour everywhere. */
static uint32_t hash_label(const char *s)
{
    uint32_t h = 2166136261u;

    for (; s && *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

void overlay_detection_rgb(const EvclipDetection *d, uint8_t rgb[3])
{
    const uint8_t *c;

    if (d->has_color) {
        rgb[0] = d->color[2];
        rgb[1] = d->color[1];
        rgb[2] = d->color[0];
        return;
    }
    if (d->track_id >= 0)
        c = palette[(uint64_t)d->track_id % NB_COLORS];
    else
        c = palette[hash_label(d->label) % NB_COLORS];
    memcpy(rgb, c, 3);
}

int overlay_palette_size(void)
{
    return (int)NB_COLORS;
}

void overlay_palette_rgb(int i, uint8_t rgb[3])
{
    memcpy(rgb, palette[(unsigned)i % NB_COLORS], 3);
}

EVCLIP_API void evclip_palette_color(const char *label, int64_t track_id, uint8_t bgr[3])
{
    EvclipDetection d = { .label = label ? label : "", .track_id = track_id };
    uint8_t rgb[3];
    if (!bgr)
        return;
    overlay_detection_rgb(&d, rgb);
    bgr[0] = rgb[2];
    bgr[1] = rgb[1];
    bgr[2] = rgb[0];
}

/* WCAG 2 relative luminance of an sRGB colour (0 black .. 1 white). */
static double luminance(const uint8_t rgb[3])
{
    static const double weight[3] = { 0.2126, 0.7152, 0.0722 };
    double l = 0;
    for (int i = 0; i < 3; i++) {
        double c = rgb[i] / 255.0;
        c = c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4);
        l += weight[i] * c;
    }
    return l;
}

double overlay_contrast(const uint8_t a[3], const uint8_t b[3])
{
    double la = luminance(a), lb = luminance(b);
    return la > lb ? (la + 0.05) / (lb + 0.05) : (lb + 0.05) / (la + 0.05);
}

int overlay_chip_text_black(const uint8_t chip_rgb[3])
{
    static const uint8_t black[3] = { 0, 0, 0 }, white[3] = { 255, 255, 255 };
    return overlay_contrast(chip_rgb, black) >= overlay_contrast(chip_rgb, white);
}

static int same_label(const char *a, const char *b)
{
    return !strcmp(a ? a : "", b ? b : "");
}

static int by_palette_label(const EvclipDetection *d)
{
    return !d->has_color && d->track_id < 0;
}

/* Colour of dets[i] within its frame: as overlay_detection_rgb, except that untracked boxes
 * sharing a label (whose chips would read the same) get successive palette entries, in
 * left-to-right (then top-to-bottom) order; the leftmost keeps the label's colour. */
static void frame_rgb(const EvclipDetection *dets, int n, int i, uint8_t rgb[3])
{
    const EvclipDetection *d = &dets[i];
    int k = 0;
    overlay_detection_rgb(d, rgb);
    if (!by_palette_label(d))
        return;
    for (int j = 0; j < n; j++) {
        const EvclipDetection *e = &dets[j];
        if (j == i || !by_palette_label(e) || !same_label(d->label, e->label))
            continue;
        if (e->x1 < d->x1 || (e->x1 == d->x1 && (e->y1 < d->y1 || (e->y1 == d->y1 && j < i))))
            k++;
    }
    memcpy(rgb, palette[(hash_label(d->label) % NB_COLORS + (uint32_t)k) % NB_COLORS], 3);
}

/* Width of a chip or caption band around text (saturates instead of overflowing). */
static int band_width(Overlay *o, const char *text)
{
    int tw = text_measure(o->font, text);

    return tw > INT_MAX - 2 * o->pad_x ? INT_MAX : tw + 2 * o->pad_x;
}

/* Default chip place for a chip w x h on a box whose top-left corner is (x1, y1): above the
 * box, or just inside its top when there is no room above; shifted left to stay in the frame. */
static void default_rect(const Overlay *o, int w, int h, int x1, int y1, int rect[4])
{
    int x = x1 < 0 ? 0 : x1;
    int y = y1 - h;

    if (y < 0)
        y = y1 < 0 ? 0 : y1; /* no room above: just inside the box top */
    if (x > o->width - w)
        x = o->width - w;
    if (x < 0)
        x = 0;
    rect[0] = x;
    rect[1] = y;
    rect[2] = w;
    rect[3] = h;
}

void overlay_chip_rect(Overlay *o, const char *text, int x1, int y1, int rect[4])
{
    default_rect(o, band_width(o, text), o->line_height + 2 * o->pad_y, x1, y1, rect);
}

/* Rounds a transformed coordinate, clamped far outside any frame so int never overflows. */
static int to_pixel(double v, double scale, double offset)
{
    v = v * scale + offset;
    return v < -1e9 ? -1000000000 : v > 1e9 ? 1000000000 : (int)lround(v);
}

int overlay_map_box(const Overlay *o, const EvclipDetection *d, const BoxTransform *t, int b[4])
{
    if (!t)
        t = &identity;
    if (!isfinite(d->x1) || !isfinite(d->y1) || !isfinite(d->x2) || !isfinite(d->y2))
        return 0;
    b[0] = to_pixel(d->x1, t->scale_x, t->offset_x);
    b[1] = to_pixel(d->y1, t->scale_y, t->offset_y);
    b[2] = to_pixel(d->x2, t->scale_x, t->offset_x);
    b[3] = to_pixel(d->y2, t->scale_y, t->offset_y);
    if (b[2] < b[0] || b[3] < b[1])
        return 0;
    b[2] += b[2] == b[0]; /* keep sub-pixel boxes visible */
    b[3] += b[3] == b[1];
    return b[2] > 0 && b[0] < o->width && b[3] > 0 && b[1] < o->height;
}

/* 1 when s is clean (no control, no explicit bidi control) and has at most max code points
 * (max 0: any number). */
static int short_and_clean(const char *s, int max)
{
    uint32_t cp;
    int n = 0;

    while ((cp = utf8_next(&s))) {
        if (shape_is_control(cp) || shape_is_bidi_control(cp) || (max && ++n > max))
            return 0;
    }
    return 1;
}

/* "#track score" part of a chip, with its leading space, into buf. */
static void format_suffix(const EvclipDetection *d, char *buf, size_t size)
{
    EvclipDetection tail = *d;

    tail.label = NULL;
    overlay_format_label(&tail, buf, size);
}

/* text cut with an ellipsis to the frame width less the chip padding (malloc'ed; NULL when
 * out of memory). */
static char *fit_to_frame(Overlay *o, const char *text)
{
    char *fitted = NULL;
    int avail = o->width - 2 * o->pad_x;

    if (text_measure(o->font, text) <= avail)
        return strdup(text);
    if (text_fit(o->font, text, 0, NULL, avail, &fitted) < 0)
        return NULL;
    return fitted;
}

char *overlay_chip_text(Overlay *o, const EvclipDetection *d)
{
    char suffix[96], small[LABEL_MAX], *text = NULL;
    const char *label = d->label ? d->label : "";
    size_t ll = strlen(label);
    int avail = o->width - 2 * o->pad_x;

    if (d->normalized & DETECTION_TEXT) { /* the caller's own chip text, whole */
        overlay_format_label(d, small, sizeof(small));
        return fit_to_frame(o, small);
    }
    format_suffix(d, suffix, sizeof(suffix));
    /* The common case, short and fitting: one cached measure, no allocation but the copy.
     * As text_fit: the label isolated (U+2068 .. U+2069) before "#track score". */
    if (ll + strlen(suffix) + 6 < sizeof(small) && short_and_clean(label, o->label_max)) {
        snprintf(small, sizeof(small), suffix[0] ? "\xE2\x81\xA8%s\xE2\x81\xA9%s" : "%s%s",
                 label, suffix);
        if (text_measure(o->font, small) <= avail)
            return strdup(small);
    }
    if (text_fit(o->font, label, o->label_max, suffix, avail, &text) < 0)
        return NULL;
    return text;
}

/* The text of d's chip under style bs: its template's text (cut with an ellipsis to the frame
 * width, as captions) or overlay_chip_text. Malloc'ed; NULL when out of memory. */
static char *styled_chip_text(Overlay *o, const EvclipDetection *d, const BoxStyle *bs)
{
    char text[LABEL_MAX], err[8];

    if (!bs->template)
        return overlay_chip_text(o, d);
    style_format(bs->template, d, text, sizeof(text), err, sizeof(err)); /* validated */
    return fit_to_frame(o, text);
}

/* 1 when rectangles {x, y, w, h} a and b share a pixel. */
static int overlaps(const int a[4], const int b[4])
{
    return a[0] < b[0] + b[2] && b[0] < a[0] + a[2] && a[1] < b[1] + b[3] && b[1] < a[1] + a[3];
}

static int is_free(const int r[4], const int (*placed)[4], int np)
{
    for (int i = 0; i < np; i++)
        if (overlaps(r, placed[i]))
            return 0;
    return 1;
}

/* Chip place for box b that overlaps none of the chips placed so far: above the box, inside its
 * top, below it, then stacked further above and below, one chip height per step, in that
 * order; the default place when the whole column is taken. */
static void place_chip(const Overlay *o, int w, int h, const int b[4], const int (*placed)[4],
                       int np, int r[4])
{
    default_rect(o, w, h, b[0], b[1], r);
    if (is_free(r, placed, np))
        return;
    int x = r[0], steps = o->height / (h > 0 ? h : 1) + 2;
    int64_t y1 = b[1], y2 = b[3];
    for (int k = 0; k <= steps; k++) {
        int64_t cand[3] = { y1 - (int64_t)h * (k + 1), k ? INT64_MIN : y1, y2 + (int64_t)h * k };
        for (int c = 0; c < 3; c++) {
            int t[4] = { x, 0, w, h };
            if (cand[c] < 0 || cand[c] + h > o->height)
                continue;
            t[1] = (int)cand[c];
            if (is_free(t, placed, np)) {
                memcpy(r, t, sizeof(t));
                return;
            }
        }
    }
}

/* Chip place for a style that asks for a position inside or below the box (no search: the
 * user chose the place). */
static void styled_rect(const Overlay *o, int w, int h, const int b[4], int position, int r[4])
{
    default_rect(o, w, h, b[0], b[1], r);
    if (position == STYLE_INSIDE) {
        r[1] = b[1] < 0 ? 0 : b[1];
    } else if (position == STYLE_BELOW) {
        r[1] = b[3];
        if (r[1] + r[3] > o->height) /* no room below: just inside the box bottom */
            r[1] = (b[3] > o->height ? o->height : b[3]) - r[3];
    }
}

/* Places (and with img, draws) d's chip; rect gets its place ({0, 0, 0, 0} for no chip). */
static void chip(Overlay *o, DrawImage *img, const EvclipDetection *d, const int b[4],
                 const uint8_t rgb[3], DrawColor c, const BoxStyle *bs, int (*placed)[4],
                 int *np, int rect[4])
{
    char *text = bs->chip ? styled_chip_text(o, d, bs) : NULL;
    int r[4] = { 0, 0, 0, 0 };

    if (text && text[0]) {
        int h = o->line_height + 2 * o->pad_y, w = band_width(o, text);
        if (bs->position == STYLE_INSIDE || bs->position == STYLE_BELOW)
            styled_rect(o, w, h, b, bs->position, r);
        else if (placed)
            place_chip(o, w, h, b, (const int (*)[4])placed, *np, r);
        else
            default_rect(o, w, h, b[0], b[1], r);
        if (placed)
            memcpy(placed[(*np)++], r, sizeof(r));
        if (img) {
            draw_fill_rect(img, r[0], r[1], r[2], r[3], c);
            text_draw(o->font, img, r[0] + o->pad_x, r[1] + o->pad_y, text,
                      overlay_chip_text_black(rgb) ? o->black : o->white);
        }
    }
    if (rect)
        memcpy(rect, r, sizeof(r));
    free(text);
}

void overlay_set_style(Overlay *o, const Style *style)
{
    o->style = style;
}

void overlay_box_rgb(const Overlay *o, const EvclipDetection *dets, int n, int i,
                     uint8_t rgb[3])
{
    BoxStyle bs;
    style_resolve(o->style, &dets[i], &bs);
    if (bs.has_color)
        memcpy(rgb, bs.rgb, 3);
    else
        frame_rgb(dets, n, i, rgb);
}

/* The four corners of a box: L shapes a quarter of the shorter side long. */
static void draw_corners(DrawImage *img, const int b[4], int th, DrawColor c)
{
    int w = b[2] - b[0], h = b[3] - b[1], len = (w < h ? w : h) / 4;
    if (len < th * 2)
        len = th * 2;
    draw_fill_rect(img, b[0], b[1], len, th, c);
    draw_fill_rect(img, b[0], b[1], th, len, c);
    draw_fill_rect(img, b[2] - len, b[1], len, th, c);
    draw_fill_rect(img, b[2] - th, b[1], th, len, c);
    draw_fill_rect(img, b[0], b[3] - th, len, th, c);
    draw_fill_rect(img, b[0], b[3] - len, th, len, c);
    draw_fill_rect(img, b[2] - len, b[3] - th, len, th, c);
    draw_fill_rect(img, b[2] - th, b[3] - len, th, len, c);
}

/* Box of one detection under its style: blended interior, corners or outline. */
static void box(Overlay *o, DrawImage *img, const int b[4], const BoxStyle *bs, DrawColor c)
{
    int th = bs->thickness ? bs->thickness : o->thickness;

    if (bs->fill_alpha > 0)
        draw_blend_rect(img, b[0], b[1], b[2] - b[0], b[3] - b[1], c, bs->fill_alpha);
    if (bs->corners && b[2] - b[0] > 2 * th && b[3] - b[1] > 2 * th)
        draw_corners(img, b, th, c);
    else
        draw_box_outline(img, b[0], b[1], b[2], b[3], th, c);
}

/* Pixel position of point k of d's polygon (uv relative to d's box) under t. */
static void polygon_point(const EvclipDetection *d, const float *uv, int k,
                          const BoxTransform *t, double *x, double *y)
{
    *x = (d->x1 + uv[2 * k] * (d->x2 - d->x1)) * t->scale_x + t->offset_x;
    *y = (d->y1 + uv[2 * k + 1] * (d->y2 - d->y1)) * t->scale_y + t->offset_y;
}

/* Outline of d's polygon (n points) in the box's colour and thickness; *top_x gets the x of
 * its top-most point (the leftmost of ties), where its chip goes. */
static void polygon(Overlay *o, DrawImage *img, const EvclipDetection *d, const float *uv,
                    int n, const BoxTransform *t, const BoxStyle *bs, DrawColor c, int *top_x)
{
    int th = bs->thickness ? bs->thickness : o->thickness;
    double px, py, qx, qy, tx = 0, ty = INFINITY;
    polygon_point(d, uv, n - 1, t, &px, &py);
    for (int k = 0; k < n; k++, px = qx, py = qy) {
        polygon_point(d, uv, k, t, &qx, &qy);
        if (img)
            draw_line(img, px, py, qx, qy, th, c);
        if (qy < ty || (qy == ty && qx < tx)) {
            tx = qx;
            ty = qy;
        }
    }
    *top_x = tx < -1e9 ? -1000000000 : tx > 1e9 ? 1000000000 : (int)lround(tx);
}

/* Draws (img) or only lays out (rects) the boxes and chips of one frame. */
static int detections(Overlay *o, DrawImage *img, const EvclipDetection *dets, int n,
                      const BoxTransform *t, int (*rects)[4])
{
    int drawn = 0, np = 0, stack[64][4];
    /* Chips placed so far (for n > 64 on the heap; without it chips keep their default place). */
    int (*placed)[4] = n <= 64 ? stack : malloc((size_t)(n > 0 ? n : 1) * sizeof(*placed));

    /* Two passes: every outline first, then every chip, so no box line crosses a label. */
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < n; i++) {
            uint8_t rgb[3];
            int b[4];
            BoxStyle bs;
            if (rects && pass == 0)
                memset(rects[i], 0, sizeof(rects[i]));
            if (!overlay_map_box(o, &dets[i], t, b))
                continue;
            style_resolve(o->style, &dets[i], &bs);
            overlay_box_rgb(o, dets, n, i, rgb);
            DrawColor c = draw_color_from_rgb(rgb[0], rgb[1], rgb[2], o->matrix,
                                              o->full_range);
            const float *uv;
            int npts = detection_polygon(&dets[i], &uv);
            if (npts > 0) /* the outline instead of the box, the chip at the top-most point */
                polygon(o, pass == 0 ? img : NULL, &dets[i], uv, npts, t ? t : &identity, &bs,
                        c, &b[0]);
            if (pass == 0) {
                if (img && npts == 0)
                    box(o, img, b, &bs, c);
                drawn++;
            } else {
                chip(o, img, &dets[i], b, rgb, c, &bs, placed, &np, rects ? rects[i] : NULL);
            }
        }
    }
    if (placed != stack)
        free(placed);
    return drawn;
}

int overlay_draw_detections(Overlay *o, DrawImage *img, const EvclipDetection *dets, int n,
                            const BoxTransform *t)
{
    return detections(o, img, dets, n, t, NULL);
}

void overlay_chip_layout(Overlay *o, const EvclipDetection *dets, int n, const BoxTransform *t,
                         int (*rects)[4])
{
    detections(o, NULL, dets, n, t, rects);
}

void overlay_draw_legend(Overlay *o, DrawImage *img, int corner, const char *const *labels,
                         const uint8_t (*rgb)[3], int n)
{
    int line = o->line_height + 2 * o->pad_y, sw = o->line_height, w = 0;
    if (n <= 0 || corner == STYLE_LEGEND_NONE)
        return;
    for (int i = 0; i < n; i++) {
        int tw = text_measure(o->font, labels[i]);
        w = tw > w ? tw : w;
    }
    w += sw + 3 * o->pad_x;
    int h = n * line + 2 * o->pad_y;
    int x = corner == STYLE_LEGEND_TOP_RIGHT || corner == STYLE_LEGEND_BOTTOM_RIGHT
                ? o->width - w : 0;
    int y = corner == STYLE_LEGEND_BOTTOM_LEFT || corner == STYLE_LEGEND_BOTTOM_RIGHT
                ? o->height - h : 0;
    draw_blend_rect(img, x, y, w, h, o->black, CAPTION_ALPHA);
    for (int i = 0; i < n; i++) {
        DrawColor c = draw_color_from_rgb(rgb[i][0], rgb[i][1], rgb[i][2], o->matrix,
                                          o->full_range);
        int ly = y + o->pad_y + i * line;
        draw_fill_rect(img, x + o->pad_x, ly + o->pad_y, sw, o->line_height, c);
        text_draw(o->font, img, x + 2 * o->pad_x + sw, ly + o->pad_y, labels[i], o->white);
    }
}

static void caption(Overlay *o, DrawImage *img, const char *text, int bottom)
{
    int h = o->line_height + 2 * o->pad_y;
    int y = bottom ? img->height - h : 0;
    /* Same path as chips: cleaned, shaped, cut with an ellipsis to the frame width. */
    char *fitted = fit_to_frame(o, text);
    if (!fitted || !fitted[0]) {
        free(fitted);
        return;
    }
    draw_blend_rect(img, 0, y, band_width(o, fitted), h, o->black, CAPTION_ALPHA);
    text_draw(o->font, img, o->pad_x, y + o->pad_y, fitted, o->white);
    free(fitted);
}

void overlay_draw_captions(Overlay *o, DrawImage *img, const char *title,
                           const char *timestamp)
{
    if (title && title[0])
        caption(o, img, title, 0);
    if (timestamp && timestamp[0])
        caption(o, img, timestamp, 1);
}
