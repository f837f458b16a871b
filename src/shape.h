/* shape.h: label text to positioned glyphs: control stripping, FriBidi order, HarfBuzz shaping. */
#ifndef EVCLIP_SRC_SHAPE_H
#define EVCLIP_SRC_SHAPE_H

#include <stddef.h>
#include <stdint.h>

#include <hb.h>

/* One positioned glyph of a shaped line, in visual (left to right) order. */
typedef struct ShapeGlyph {
    uint32_t glyph;  /* glyph id in its face */
    uint32_t face;   /* index of its face in the caller's face list */
    int32_t x, y;    /* origin in 26.6 pixels: x from the line start, y up from the baseline */
} ShapeGlyph;

/* A shaped line; immutable once built. */
typedef struct Shaped {
    int n;           /* glyphs */
    int64_t width;   /* advance sum, 26.6 pixels */
    ShapeGlyph g[];
} Shaped;

/* Font choice for shaping: face_for returns the face that draws code point cp (the caller's
 * fallback order); hb_font returns that face's HarfBuzz font (immutable, so hb_shape may run
 * without a lock), NULL when it cannot be loaded (its text is then shaped with face 0). */
typedef struct ShapeFonts {
    int (*face_for)(void *opaque, uint32_t cp);
    int (*face_has)(void *opaque, int face, uint32_t cp); /* 1 when that face has cp */
    hb_font_t *(*hb_font)(void *opaque, int face);
    void *opaque;
} ShapeFonts;

/* 1 for code points stripped from labels: C0 and C1 controls (U+0000..001F, U+007F..009F)
 * and the line/paragraph separators U+2028, U+2029. Tab, line feeds and the separators become
 * a space (shape_clean), the rest are dropped. */
int shape_is_control(uint32_t cp);

/* 1 for the controls that separate words (tab, LF, VT, FF, CR, NEL, U+2028, U+2029): shown as a
 * space rather than gluing the words together. */
int shape_is_space_control(uint32_t cp);

/* 1 for the explicit bidi controls: embeddings and overrides (U+202A..202E) and isolates
 * (U+2066..2069). */
int shape_is_bidi_control(uint32_t cp);

/* Decodes `utf8` (invalid bytes become U+FFFD) into *out (malloc'ed, free it), keeping at most
 * `max` code points (< 0: all); tab, CR, LF, VT, FF, NEL and U+2028/2029 become spaces, other
 * controls are dropped. Returns the count or EVCLIP_ERR_NOMEM. */
int shape_clean(const char *utf8, int max, uint32_t **out);

/* 1 when cp joins the preceding character (combining marks, joiners, variation selectors,
 * emoji modifiers, tags): text is never cut before such a code point, and it keeps the font of
 * that character when the font has it or when it is invisible anyway (joiners, variation
 * selectors, tags: HarfBuzz hides them). */
int shape_is_extender(uint32_t cp);

/* Shapes n code points into one line: paragraph direction from the first strong character,
 * runs split at bidi level, font and script changes, each run shaped by HarfBuzz and placed
 * in visual order. Returns a malloc'ed Shaped (free()), or NULL when out of memory. */
Shaped *shape_line(const uint32_t *cps, int n, const ShapeFonts *fonts);

#endif /* EVCLIP_SRC_SHAPE_H */
