/* shape.c: label text to positioned glyphs: control stripping, FriBidi order, HarfBuzz shaping. */
#include <stdlib.h>
#include <string.h>

#include <fribidi.h>

#include "src/error.h"
#include "src/shape.h"
#include "src/utf8.h"

/* A maximal stretch of text with one bidi level, one face and one script. */
typedef struct Run {
    int start, len;
    int level;
    int face;
    hb_script_t script;
} Run;

/* Growing glyph output. */
typedef struct Out {
    Shaped *s;
    int cap;
    int64_t pen; /* 26.6 */
} Out;

int shape_is_control(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029;
}

int shape_is_space_control(uint32_t cp)
{
    return (cp >= 0x09 && cp <= 0x0D) || cp == 0x85 || cp == 0x2028 || cp == 0x2029;
}

int shape_is_bidi_control(uint32_t cp)
{
    return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

int shape_clean(const char *utf8, int max, uint32_t **out)
{
    size_t len = utf8 ? strlen(utf8) : 0;
    uint32_t *cps = malloc((len + 1) * sizeof(*cps)), cp;
    int n = 0;

    *out = NULL;
    if (!cps)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory (label text)");
    while (utf8 && (max < 0 || n < max) && n < INT32_MAX - 1 && (cp = utf8_next(&utf8))) {
        if (shape_is_space_control(cp))
            cps[n++] = ' ';
        else if (!shape_is_control(cp))
            cps[n++] = cp;
    }
    *out = cps;
    return n;
}

/* Default-ignorable extenders: drawn as nothing by HarfBuzz when the font lacks them. */
static int is_invisible(uint32_t cp)
{
    return cp == 0x200C || cp == 0x200D || (cp >= 0xFE00 && cp <= 0xFE0F) ||
           (cp >= 0xE0100 && cp <= 0xE01EF) || (cp >= 0xE0020 && cp <= 0xE007F);
}

int shape_is_extender(uint32_t cp)
{
    hb_unicode_general_category_t gc;

    if (is_invisible(cp) || (cp >= 0x1F3FB && cp <= 0x1F3FF))
        return 1;
    gc = hb_unicode_general_category(hb_unicode_funcs_get_default(), cp);
    return gc == HB_UNICODE_GENERAL_CATEGORY_NON_SPACING_MARK ||
           gc == HB_UNICODE_GENERAL_CATEGORY_SPACING_MARK ||
           gc == HB_UNICODE_GENERAL_CATEGORY_ENCLOSING_MARK;
}

/* Bidi embedding levels of the paragraph (rules P2-P3: direction of the first strong
 * character). Returns 0 or -1 when out of memory. */
static int bidi_levels(const uint32_t *cps, int n, FriBidiLevel *levels)
{
    FriBidiCharType *types = malloc((size_t)n * sizeof(*types));
    FriBidiBracketType *brackets = malloc((size_t)n * sizeof(*brackets));
    FriBidiParType dir = FRIBIDI_PAR_ON;
    int ok = 0;

    if (types && brackets) {
        fribidi_get_bidi_types(cps, n, types);
        fribidi_get_bracket_types(cps, n, types, brackets);
        ok = fribidi_get_par_embedding_levels_ex(types, brackets, n, &dir, levels) != 0;
    }
    free(types);
    free(brackets);
    return ok ? 0 : -1;
}

/* Script of each code point; common and inherited ones take their neighbour's script. */
static void scripts(const uint32_t *cps, int n, hb_script_t *sc)
{
    hb_unicode_funcs_t *uf = hb_unicode_funcs_get_default();
    hb_script_t cur = HB_SCRIPT_COMMON;

    for (int i = 0; i < n; i++) {
        sc[i] = hb_unicode_script(uf, cps[i]);
        if (cur == HB_SCRIPT_COMMON && sc[i] != HB_SCRIPT_COMMON &&
            sc[i] != HB_SCRIPT_INHERITED && sc[i] != HB_SCRIPT_UNKNOWN)
            cur = sc[i]; /* the first real script also covers the leading common text */
    }
    for (int i = 0; i < n; i++) {
        if (sc[i] == HB_SCRIPT_COMMON || sc[i] == HB_SCRIPT_INHERITED ||
            sc[i] == HB_SCRIPT_UNKNOWN)
            sc[i] = cur;
        else
            cur = sc[i];
    }
}

/* Splits the text into runs; returns their count or -1 when out of memory. */
static int itemize(const uint32_t *cps, int n, const ShapeFonts *fonts, Run **out)
{
    FriBidiLevel *levels = malloc((size_t)n * sizeof(*levels));
    hb_script_t *sc = malloc((size_t)n * sizeof(*sc));
    Run *runs = malloc((size_t)n * sizeof(*runs));
    int nb = -1, face = 0;

    if (levels && sc && runs && bidi_levels(cps, n, levels) == 0) {
        scripts(cps, n, sc);
        nb = 0;
        for (int i = 0; i < n; i++) {
            if (i == 0 || !shape_is_extender(cps[i]) ||
                !(is_invisible(cps[i]) || fonts->face_has(fonts->opaque, face, cps[i])))
                face = fonts->face_for(fonts->opaque, cps[i]);
            Run *r = nb ? &runs[nb - 1] : NULL;
            if (r && r->level == levels[i] && r->face == face && r->script == sc[i]) {
                r->len++;
                continue;
            }
            runs[nb++] = (Run){ .start = i, .len = 1, .level = levels[i], .face = face,
                                .script = sc[i] };
        }
    }
    free(levels);
    free(sc);
    if (nb < 0)
        free(runs);
    *out = nb < 0 ? NULL : runs;
    return nb;
}

/* Visual order of the runs (rule L2 at run granularity): from the highest level down to the
 * lowest odd one, every sequence of runs at that level or above is reversed. */
static void reorder(const Run *runs, int nb, int *order)
{
    int max = 0, min_odd = 255;

    for (int i = 0; i < nb; i++) {
        order[i] = i;
        max = runs[i].level > max ? runs[i].level : max;
        if (runs[i].level & 1 && runs[i].level < min_odd)
            min_odd = runs[i].level;
    }
    for (int lev = max; lev >= min_odd; lev--) {
        for (int i = 0; i < nb;) {
            if (runs[order[i]].level < lev) {
                i++;
                continue;
            }
            int j = i;
            while (j < nb && runs[order[j]].level >= lev)
                j++;
            for (int a = i, b = j - 1; a < b; a++, b--) {
                int t = order[a];
                order[a] = order[b];
                order[b] = t;
            }
            i = j;
        }
    }
}

/* 26.6 value rounded to whole pixels. */
static int64_t round_px(int64_t v)
{
    return (v + 32) & ~(int64_t)63;
}

/* Appends the glyphs of a shaped buffer. Returns 0 or -1 when out of memory. */
static int append(Out *o, hb_buffer_t *buf, int face)
{
    unsigned count = 0;
    hb_glyph_info_t *info = hb_buffer_get_glyph_infos(buf, &count);
    hb_glyph_position_t *pos = hb_buffer_get_glyph_positions(buf, NULL);

    if ((int)count > o->cap - o->s->n) {
        int cap = o->s->n + (int)count + o->cap;
        Shaped *s = realloc(o->s, sizeof(*s) + (size_t)cap * sizeof(s->g[0]));
        if (!s)
            return -1;
        o->s = s;
        o->cap = cap;
    }
    /* Whole-pixel advances and offsets (as FreeType's hinted advances): glyph bitmaps are
     * rendered at pixel origins, and a line measures the sum of its parts. */
    for (unsigned i = 0; i < count; i++) {
        ShapeGlyph *g = &o->s->g[o->s->n++];
        int64_t x = o->pen + round_px(pos[i].x_offset);
        g->glyph = info[i].codepoint;
        g->face = (uint32_t)face;
        g->x = x > INT32_MAX ? INT32_MAX : (int32_t)x;
        g->y = (int32_t)round_px(pos[i].y_offset);
        o->pen += round_px(pos[i].x_advance);
    }
    return 0;
}

static int shape_run(Out *o, hb_buffer_t *buf, const uint32_t *cps, int n, const Run *r,
                     const ShapeFonts *fonts)
{
    int face = r->face;
    hb_font_t *font = fonts->hb_font(fonts->opaque, face);

    if (!font) {
        face = 0;
        font = fonts->hb_font(fonts->opaque, 0);
        if (!font)
            return 0;
    }
    hb_buffer_clear_contents(buf);
    hb_buffer_add_codepoints(buf, cps, n, (unsigned)r->start, r->len);
    hb_buffer_set_direction(buf, r->level & 1 ? HB_DIRECTION_RTL : HB_DIRECTION_LTR);
    hb_buffer_set_script(buf, r->script);
    /* No language: language-neutral shaping, the same whatever the process locale. */
    hb_shape(font, buf, NULL, 0);
    if (!hb_buffer_allocation_successful(buf))
        return -1;
    return append(o, buf, face);
}

Shaped *shape_line(const uint32_t *cps, int n, const ShapeFonts *fonts)
{
    Out o = { .s = calloc(1, sizeof(Shaped) + 16 * sizeof(ShapeGlyph)), .cap = 16 };
    Run *runs = NULL;
    int *order = NULL, nb = 0, ret = 0;
    hb_buffer_t *buf = NULL;

    if (!o.s || n <= 0)
        return o.s;
    nb = itemize(cps, n, fonts, &runs);
    order = nb > 0 ? malloc((size_t)nb * sizeof(*order)) : NULL;
    buf = hb_buffer_create();
    if (nb < 0 || !order || !hb_buffer_allocation_successful(buf)) {
        ret = -1;
    } else {
        reorder(runs, nb, order);
        for (int i = 0; i < nb && ret == 0; i++)
            ret = shape_run(&o, buf, cps, n, &runs[order[i]], fonts);
    }
    hb_buffer_destroy(buf);
    free(order);
    free(runs);
    if (ret < 0) {
        free(o.s);
        return NULL;
    }
    o.s->width = o.pen;
    return o.s;
}
