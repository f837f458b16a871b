/* overlay.h: evidence styling: boxes, label chips, colours, title and timestamp on a frame. */
#ifndef EVCLIP_SRC_OVERLAY_H
#define EVCLIP_SRC_OVERLAY_H

#include "evclip/evclip.h"
#include "src/draw.h"

/* Maps source-frame box coordinates to output pixels: out = in * scale + offset
 * (identity: scale 1, offset 0; letterboxing in multi-source clips changes it). */
typedef struct BoxTransform {
    double scale_x, scale_y;
    double offset_x, offset_y;
} BoxTransform;

typedef struct OverlayParams {
    int width, height;       /* output frame size */
    enum DrawMatrix matrix;  /* YUV matrix of the output (DRAW_PACKED_*: packed images) */
    int full_range;          /* 0 = limited range output (evclip's output is always limited) */
    const char *font;        /* NULL = DejaVu Sans via fontconfig */
    int thickness;           /* 0 = auto: max(2, round(height / 400)) */
    int font_size;           /* 0 = auto: max(12, height / 40) */
    int label_max;           /* label characters (code points) shown, 0 = all; >= 0 */
} OverlayParams;

/* Per-frame styling state. Thread-safe for concurrent overlay_draw_* calls on distinct images. */
typedef struct Overlay Overlay;

/* Returns 0, EVCLIP_ERR_INVALID (size), EVCLIP_ERR_FONT or NOMEM. */
int overlay_open(Overlay **out, const OverlayParams *p);
void overlay_close(Overlay **o);

/* Resolved line thickness and label font size in pixels. */
int overlay_thickness(const Overlay *o);
int overlay_font_size(const Overlay *o);

/* Formats the chip text of d: "label #track score" (track and score only when present,
 * score with two decimals), e.g. "car #7 0.64". Returns the snprintf length. */
int overlay_format_label(const EvclipDetection *d, char *buf, size_t size);

/* RGB colour of a detection: explicit color (given as BGR) > palette[track_id] >
 * palette[hash(label)]. The palette is fixed and readable on video. */
void overlay_detection_rgb(const EvclipDetection *d, uint8_t rgb[3]);

/* The fixed palette: its number of entries, and entry i (0 <= i < size) as RGB. */
int overlay_palette_size(void);
void overlay_palette_rgb(int i, uint8_t rgb[3]);

/* WCAG 2 contrast ratio (1..21) of two sRGB colours. */
double overlay_contrast(const uint8_t a[3], const uint8_t b[3]);

/* 1 when chip text on a chip of this colour is black, 0 when white: whichever has the higher
 * WCAG contrast, which is >= 4.58 for every colour. */
int overlay_chip_text_black(const uint8_t chip_rgb[3]);

/* Default chip rectangle rect = {x, y, w, h} for label `text` on a box whose rounded,
 * transformed top-left corner is (x1, y1): above the box, or inside its top when there is no
 * room above, shifted left to stay inside the frame. */
void overlay_chip_rect(Overlay *o, const char *text, int x1, int y1, int rect[4]);

/* The text of d's chip (malloc'ed; NULL when out of memory): its label cut to label_max
 * characters with an ellipsis (U+2026), then " #track score", all cut with an ellipsis to
 * the frame width less the chip padding (text_fit: the label is cut first, then the rest), so
 * that no chip is wider than the frame. With a " #track score" part the label is isolated
 * (U+2068 .. U+2069, its own explicit bidi controls removed) so that part stays on its right.
 * Controls are stripped (shape_clean). */
char *overlay_chip_text(Overlay *o, const EvclipDetection *d);

/* Maps d through t (NULL = identity) to the rounded pixel box {x1, y1, x2, y2} that
 * overlay_draw_detections outlines; 0 when it is nonsense or wholly outside the frame. */
int overlay_map_box(const Overlay *o, const EvclipDetection *d, const BoxTransform *t, int b[4]);

/* Draws every box outline first, then every chip (so no outline crosses a label). Colours as
 * overlay_detection_rgb, except that untracked boxes of the same label without a colour get
 * distinct palette entries within the frame (left to right; the leftmost keeps the label's).
 * Each detection: box outline (transformed, rounded to pixels, clipped) and a filled chip
 * in the box colour holding its label text (black or white, whichever has the higher WCAG
 * contrast, overlay_chip_text_black) holding overlay_chip_text, at the first of these places
 * that overlaps no chip drawn before it (chips are placed in detection order): its default
 * place (overlay_chip_rect), inside the box top, below the box, then stacked one chip height
 * further above or below per step, alternately; the default place when the frame column has
 * no free place left. A style (overlay_set_style) may change, per box, the colour, line width,
 * chip (off, template, position inside/below: then placed there without a search), draw only
 * the corners and blend the interior. Returns the number of boxes drawn (boxes wholly outside
 * the frame are not counted). */
int overlay_draw_detections(Overlay *o, DrawImage *img, const EvclipDetection *dets, int n,
                            const BoxTransform *t);

/* The chip rectangles {x, y, w, h} that overlay_draw_detections would draw for dets, into
 * rects[0 .. n) ({0, 0, 0, 0} where a box or its chip is not drawn); draws nothing. */
void overlay_chip_layout(Overlay *o, const EvclipDetection *dets, int n, const BoxTransform *t,
                         int (*rects)[4]);

/* Custom styles (src/style.h) for the boxes drawn from now on; NULL = the built-in style.
 * Borrowed: s must outlive its use. */
struct Style;
void overlay_set_style(Overlay *o, const struct Style *s);

/* The RGB colour dets[i] is drawn with (its style's colour, else as overlay_draw_detections
 * picks it within the frame). */
void overlay_box_rgb(const Overlay *o, const EvclipDetection *dets, int n, int i,
                     uint8_t rgb[3]);

/* Draws a legend of n labels with their colour swatches on a translucent dark band in
 * `corner` (enum StyleLegend; NONE draws nothing). */
void overlay_draw_legend(Overlay *o, DrawImage *img, int corner, const char *const *labels,
                         const uint8_t (*rgb)[3], int n);

/* Draws `title` (may be NULL) in the top-left corner and `timestamp` (may be NULL) in the
 * bottom-left corner, white text on a translucent dark band; the same shaped text as chips,
 * cut with an ellipsis to the frame width. */
void overlay_draw_captions(Overlay *o, DrawImage *img, const char *title,
                           const char *timestamp);

#endif /* EVCLIP_SRC_OVERLAY_H */
