/* text.h: shaped text (HarfBuzz + FriBidi, fontconfig fallback) drawn into DrawImage. */
#ifndef EVCLIP_SRC_TEXT_H
#define EVCLIP_SRC_TEXT_H

#include "src/draw.h"

/* A font at one pixel size: the font asked for, its fontconfig fallback chain (FcFontSort, each
 * code point drawn by the first font that has it), glyph caches and a cache of shaped lines.
 * Text is cleaned (shape_clean: controls stripped), ordered by the Unicode bidi algorithm
 * (FriBidi) and shaped by HarfBuzz. Thread-safe: text_measure, text_draw, text_glyphs and
 * text_fit may be called from several threads at once (caches are guarded by a mutex; shaping
 * itself runs outside it). */
typedef struct TextFont TextFont;

/* Opens `font` (a file path if it names an existing file, else a fontconfig pattern such as
 * "DejaVu Sans:bold"; NULL = "DejaVu Sans") at `pixel_size` (text line height in pixels,
 * >= 4). Returns 0, EVCLIP_ERR_FONT (detail names the font and why) or NOMEM. */
int text_font_open(TextFont **out, const char *font, int pixel_size);

/* Frees the font and sets *f to NULL; accepts NULL and &NULL. */
void text_font_close(TextFont **f);

/* Path of the font file asked for (the first of the fallback chain). */
const char *text_font_path(const TextFont *f);

/* Line metrics in pixels: ascent (baseline below the line top) and total line height. */
void text_font_metrics(const TextFont *f, int *ascent, int *line_height);

/* Width in pixels of the shaped UTF-8 string (advance sum). */
int text_measure(TextFont *f, const char *utf8);

/* Draws the shaped UTF-8 string with its line top at (x, y_top), anti-aliased in colour c,
 * clipped to the image. Code points that no font of the chain has draw the first font's
 * missing-glyph box. */
void text_draw(TextFont *f, DrawImage *img, int x, int y_top, const char *utf8, DrawColor c);

/* One shaped glyph, for tests and tools: what text_draw places. */
typedef struct TextGlyph {
    uint32_t glyph;      /* glyph id in its font (0 = missing glyph) */
    int32_t x, y;        /* origin, 26.6 pixels from the line start and up from the baseline */
    const char *path;    /* font file (owned by the font) */
    int face_index;      /* face in that file */
} TextGlyph;

/* Fills out[0 .. min(n, max)) with the glyphs of the shaped string in visual order. Returns
 * their count n (may exceed max) or EVCLIP_ERR_NOMEM. */
int text_glyphs(TextFont *f, const char *utf8, TextGlyph *out, int max);

/* Fits head + tail into max_width pixels, head first cut to max_chars code points (0 = no
 * limit) with an ellipsis (U+2026). *out (malloc'ed) is the cleaned text unchanged when it fits
 * whole, else the longest head prefix + ellipsis + tail that fits, else the longest prefix of
 * head + tail + ellipsis, else "". Text is never cut before a combining mark or joiner. With a
 * non-empty tail, the head loses its explicit bidi controls (shape_is_bidi_control) and is
 * wrapped in U+2068 .. U+2069 (first strong isolate), so a right-to-left head reads right to
 * left and the tail still follows it on its right. head and tail may be NULL. Returns 0 or
 * EVCLIP_ERR_NOMEM. */
int text_fit(TextFont *f, const char *head, int max_chars, const char *tail, int max_width,
             char **out);

#endif /* EVCLIP_SRC_TEXT_H */
