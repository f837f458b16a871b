/* text.h: FreeType text rendering with a glyph cache, drawn into DrawImage. */
#ifndef EVCLIP_SRC_TEXT_H
#define EVCLIP_SRC_TEXT_H

#include "src/draw.h"

/* A font face at one pixel size with its glyph cache. Thread-safe: text_measure and text_draw
 * may be called from several threads at once (the cache is guarded by a mutex). */
typedef struct TextFont TextFont;

/* Opens `font` (a file path if it names an existing file, else a fontconfig pattern such as
 * "DejaVu Sans:bold"; NULL = "DejaVu Sans") at `pixel_size` (text line height in pixels,
 * >= 4). Returns 0, EVCLIP_ERR_FONT (detail names the font and why) or NOMEM. */
int text_font_open(TextFont **out, const char *font, int pixel_size);

/* Frees the font and sets *f to NULL; accepts NULL and &NULL. */
void text_font_close(TextFont **f);

/* Path of the font file actually loaded. */
const char *text_font_path(const TextFont *f);

/* Line metrics in pixels: ascent (baseline below the line top) and total line height. */
void text_font_metrics(const TextFont *f, int *ascent, int *line_height);

/* Width in pixels of the UTF-8 string (advance sum, kerning included). */
int text_measure(TextFont *f, const char *utf8);

/* Draws the UTF-8 string with its line top at (x, y_top), anti-aliased in colour c, clipped to
 * the image. Code points missing from the font draw the font's missing-glyph box. */
void text_draw(TextFont *f, DrawImage *img, int x, int y_top, const char *utf8, DrawColor c);

#endif /* EVCLIP_SRC_TEXT_H */
