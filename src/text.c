/* text.c: FreeType text rendering with a per-font glyph cache, drawn into DrawImage. */
#include <ctype.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <fontconfig/fontconfig.h>
#include <ft2build.h>
#include FT_FREETYPE_H

#include "src/error.h"
#include "src/text.h"
#include "src/utf8.h"

#define DEFAULT_FONT "DejaVu Sans"
#define MAX_PIXEL_SIZE 2048
#define KERN_UNKNOWN INT16_MIN

/* A rendered glyph: immutable once cached, freed only with its font. */
typedef struct Glyph {
    unsigned index;    /* glyph index in the face (for kerning) */
    int left, top;     /* bitmap offset from the pen position and the baseline (up) */
    int w, h;          /* bitmap size; the bitmap is w * h bytes of coverage */
    FT_Pos advance;    /* 26.6 pixels */
    uint8_t *bitmap;
} Glyph;

struct TextFont {
    pthread_mutex_t lock;  /* guards face, glyphs and ascii */
    FT_Library lib;
    FT_Face face;
    int has_kerning;
    int ascent, line_height;
    char *path;
    long nb_glyphs;
    Glyph **glyphs;        /* by glyph index, loaded on first use */
    const Glyph *ascii[128]; /* code point shortcut for the common case */
    int16_t kern[128][128];  /* 26.6 kerning of ASCII pairs, KERN_UNKNOWN until looked up */
};

/* Layout position along a line. */
typedef struct Pen {
    int64_t x;        /* 26.6 pixels */
    unsigned prev;    /* glyph index of the previous character, 0 at the start */
    uint32_t prev_cp; /* its code point */
} Pen;

/* The one place FreeType errors become evclip codes. */
static int ft_fail(const char *name, const char *what, FT_Error err)
{
    const char *text = FT_Error_String(err); /* NULL unless FreeType was built with them */

    if (err == FT_Err_Cannot_Open_Resource)
        text = "cannot open the file";
    else if (err == FT_Err_Unknown_File_Format)
        text = "not a font file";
    if (err == FT_Err_Out_Of_Memory)
        return ev_error(EVCLIP_ERR_NOMEM, "font '%s': %s: out of memory", name, what);
    if (text)
        return ev_error(EVCLIP_ERR_FONT, "font '%s': %s: %s", name, what, text);
    return ev_error(EVCLIP_ERR_FONT, "font '%s': %s: FreeType error %d", name, what, err);
}

static int is_file(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Generic names that fontconfig resolves to some installed family by design. */
static int is_generic(const FcChar8 *family)
{
    static const char *const generic[] = {
        "sans-serif", "sans", "serif", "monospace", "mono", "cursive", "fantasy", "system-ui",
    };

    for (size_t i = 0; i < sizeof(generic) / sizeof(generic[0]); i++)
        if (!FcStrCmpIgnoreCase(family, (const FcChar8 *)generic[i]))
            return 1;
    return 0;
}

/* Compares family names ignoring case and blanks ("DejaVuSans" names "DejaVu Sans"). */
static int same_family(const char *a, const char *b)
{
    for (;;) {
        while (*a == ' ')
            a++;
        while (*b == ' ')
            b++;
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return 0;
        if (!*a)
            return 1;
        a++;
        b++;
    }
}

/* 1 when `match` is the family that was asked for: fontconfig always returns some font, and a
 * silently substituted one would hide a typo in the font name. */
static int family_ok(const FcChar8 *wanted, FcPattern *match)
{
    FcChar8 *family;

    if (!wanted || is_generic(wanted))
        return 1;
    for (int i = 0; FcPatternGetString(match, FC_FAMILY, i, &family) == FcResultMatch; i++)
        if (same_family((const char *)family, (const char *)wanted))
            return 1;
    return 0;
}

/* Copies the file and face index of fontconfig's best match for `name` to *path, *index. */
static int match_file(const char *name, FcConfig *cfg, FcPattern *pat, char **path, int *index)
{
    FcChar8 *wanted = NULL, *file;
    FcResult res;
    FcPattern *match;
    int ret = 0;

    if (FcPatternGetString(pat, FC_FAMILY, 0, &wanted) == FcResultMatch &&
        !(wanted = FcStrCopy(wanted)))
        return ev_error(EVCLIP_ERR_NOMEM, "font '%s': out of memory", name);
    FcConfigSubstitute(cfg, pat, FcMatchPattern);
    FcDefaultSubstitute(pat);
    match = FcFontMatch(cfg, pat, &res);
    if (!match || !family_ok(wanted, match) ||
        FcPatternGetString(match, FC_FILE, 0, &file) != FcResultMatch) {
        ret = ev_error(EVCLIP_ERR_FONT, "font '%s': no such file or installed font family",
                       name);
    } else {
        if (FcPatternGetInteger(match, FC_INDEX, 0, index) != FcResultMatch)
            *index = 0;
        *path = strdup((const char *)file);
        if (!*path)
            ret = ev_error(EVCLIP_ERR_NOMEM, "font '%s': out of memory", name);
    }
    if (match)
        FcPatternDestroy(match);
    FcStrFree(wanted);
    return ret;
}

/* Resolves `name` (an existing file or a fontconfig pattern) to a font file and face index.
 * A private fontconfig configuration (a few ms, once per font) leaves the application's global
 * one alone and is freed completely afterwards. */
static int find_font(const char *name, char **path, int *index)
{
    FcConfig *cfg;
    FcPattern *pat;
    int ret;

    *index = 0;
    if (is_file(name)) {
        *path = strdup(name);
        return *path ? 0 : ev_error(EVCLIP_ERR_NOMEM, "font '%s': out of memory", name);
    }
    pat = FcNameParse((const FcChar8 *)name);
    if (!pat)
        return ev_error(EVCLIP_ERR_FONT, "font '%s': not a file nor a fontconfig pattern",
                        name);
    cfg = FcInitLoadConfigAndFonts();
    if (cfg) {
        ret = match_file(name, cfg, pat, path, index);
        FcConfigDestroy(cfg);
    } else {
        ret = ev_error(EVCLIP_ERR_FONT, "font '%s': cannot load the fontconfig configuration",
                       name);
    }
    FcPatternDestroy(pat);
    return ret;
}

/* Loads the face and scales it so that ascender + descender spans pixel_size pixels. */
static int load_face(TextFont *f, const char *name, int index, int pixel_size)
{
    FT_Size_RequestRec req = {
        .type = FT_SIZE_REQUEST_TYPE_CELL, .width = 0, .height = (FT_Long)pixel_size << 6,
    };
    FT_Error err;

    if ((err = FT_Init_FreeType(&f->lib)))
        return ft_fail(name, "cannot start FreeType", err);
    if ((err = FT_New_Face(f->lib, f->path, index, &f->face)))
        return ft_fail(name, f->path, err);
    if (!f->face->charmap && FT_Select_Charmap(f->face, FT_ENCODING_UNICODE))
        return ev_error(EVCLIP_ERR_FONT, "font '%s': %s has no Unicode character map",
                        name, f->path);
    if ((err = FT_Request_Size(f->face, &req)))
        return ft_fail(name, "cannot scale the font", err);
    /* The line is exactly pixel_size high, split at the rounded ascender. */
    f->ascent = (int)((f->face->size->metrics.ascender + 32) >> 6);
    f->ascent = f->ascent < 1 ? 1 : f->ascent > pixel_size ? pixel_size : f->ascent;
    f->line_height = pixel_size;
    f->has_kerning = FT_HAS_KERNING(f->face) ? 1 : 0;
    for (int a = 0; a < 128; a++)
        for (int b = 0; b < 128; b++)
            f->kern[a][b] = KERN_UNKNOWN;
    f->nb_glyphs = f->face->num_glyphs;
    f->glyphs = calloc(f->nb_glyphs > 0 ? (size_t)f->nb_glyphs : 1, sizeof(*f->glyphs));
    if (!f->glyphs)
        return ev_error(EVCLIP_ERR_NOMEM, "font '%s': out of memory", name);
    return 0;
}

int text_font_open(TextFont **out, const char *font, int pixel_size)
{
    const char *name = font ? font : DEFAULT_FONT;
    TextFont *f;
    int index, ret;

    *out = NULL;
    if (pixel_size < 4 || pixel_size > MAX_PIXEL_SIZE)
        return ev_error(EVCLIP_ERR_FONT, "font '%s': pixel size %d outside 4..%d", name,
                        pixel_size, MAX_PIXEL_SIZE);
    f = calloc(1, sizeof(*f));
    if (!f)
        return ev_error(EVCLIP_ERR_NOMEM, "font '%s': out of memory", name);
    if (pthread_mutex_init(&f->lock, NULL)) {
        free(f);
        return ev_error(EVCLIP_ERR_NOMEM, "font '%s': cannot create a mutex", name);
    }
    ret = find_font(name, &f->path, &index);
    if (!ret)
        ret = load_face(f, name, index, pixel_size);
    if (ret < 0) {
        text_font_close(&f);
        return ret;
    }
    *out = f;
    return 0;
}

void text_font_close(TextFont **pf)
{
    TextFont *f = pf ? *pf : NULL;

    if (!f)
        return;
    for (long i = 0; f->glyphs && i < f->nb_glyphs; i++) {
        if (f->glyphs[i])
            free(f->glyphs[i]->bitmap);
        free(f->glyphs[i]);
    }
    free(f->glyphs);
    if (f->face)
        FT_Done_Face(f->face);
    if (f->lib)
        FT_Done_FreeType(f->lib);
    pthread_mutex_destroy(&f->lock);
    free(f->path);
    free(f);
    *pf = NULL;
}

const char *text_font_path(const TextFont *f)
{
    return f->path;
}

void text_font_metrics(const TextFont *f, int *ascent, int *line_height)
{
    if (ascent)
        *ascent = f->ascent;
    if (line_height)
        *line_height = f->line_height;
}

/* Copies the rendered bitmap of the face's current glyph into g (rows made contiguous). */
static int copy_bitmap(Glyph *g, const FT_GlyphSlot slot)
{
    const FT_Bitmap *bm = &slot->bitmap;

    g->left = slot->bitmap_left;
    g->top = slot->bitmap_top;
    if (bm->pixel_mode != FT_PIXEL_MODE_GRAY || !bm->width || !bm->rows)
        return 0; /* blank (space) or a mode we do not draw */
    g->bitmap = malloc((size_t)bm->width * bm->rows);
    if (!g->bitmap)
        return -1;
    for (unsigned y = 0; y < bm->rows; y++) {
        const unsigned char *src = bm->buffer + (ptrdiff_t)y * bm->pitch;
        if (bm->pitch < 0)
            src = bm->buffer + (ptrdiff_t)(bm->rows - 1 - y) * -bm->pitch;
        memcpy(g->bitmap + (size_t)y * bm->width, src, bm->width);
    }
    g->w = (int)bm->width;
    g->h = (int)bm->rows;
    return 0;
}

/* Renders and caches glyph `index`; called with the lock held. NULL when out of memory.
 * A glyph FreeType cannot render is cached blank so that it is not retried on every frame. */
static const Glyph *load_glyph(TextFont *f, unsigned index)
{
    Glyph *g;

    if ((long)index >= f->nb_glyphs)
        index = 0;
    if (f->glyphs[index])
        return f->glyphs[index];
    g = calloc(1, sizeof(*g));
    if (!g)
        return NULL;
    g->index = index;
    if (!FT_Load_Glyph(f->face, index, FT_LOAD_DEFAULT | FT_LOAD_TARGET_LIGHT) &&
        !FT_Render_Glyph(f->face->glyph, FT_RENDER_MODE_NORMAL)) {
        g->advance = f->face->glyph->advance.x;
        if (copy_bitmap(g, f->face->glyph) < 0) {
            free(g);
            return NULL;
        }
    }
    f->glyphs[index] = g;
    return g;
}

/* Kerning (26.6) between the glyph at pen and glyph g of code point cp; lock held. FreeType's
 * lookup is a table search, so ASCII pairs are remembered. */
static FT_Pos kerning(TextFont *f, const Pen *pen, const Glyph *g, uint32_t cp)
{
    int16_t *known = pen->prev_cp < 128 && cp < 128 ? &f->kern[pen->prev_cp][cp] : NULL;
    FT_Vector k;

    if (known && *known != KERN_UNKNOWN)
        return *known;
    if (FT_Get_Kerning(f->face, pen->prev, g->index, FT_KERNING_DEFAULT, &k))
        k.x = 0;
    if (known && k.x > KERN_UNKNOWN && k.x <= INT16_MAX)
        *known = (int16_t)k.x;
    return k.x;
}

/* Returns the glyph of code point cp (missing ones give glyph 0, the .notdef box) and moves the
 * pen by the kerning after the previous glyph. NULL when out of memory. */
static const Glyph *next_glyph(TextFont *f, uint32_t cp, Pen *pen)
{
    const Glyph *g;

    pthread_mutex_lock(&f->lock);
    g = cp < 128 ? f->ascii[cp] : NULL;
    if (!g) {
        g = load_glyph(f, FT_Get_Char_Index(f->face, cp));
        if (g && cp < 128)
            f->ascii[cp] = g;
    }
    if (g && f->has_kerning && pen->prev)
        pen->x += kerning(f, pen, g, cp);
    pthread_mutex_unlock(&f->lock);
    if (g) {
        pen->prev = g->index;
        pen->prev_cp = cp;
    }
    return g;
}

int text_measure(TextFont *f, const char *utf8)
{
    Pen pen = { 0, 0, 0 };
    uint32_t cp;
    int64_t w;

    if (!f || !utf8)
        return 0;
    while ((cp = utf8_next(&utf8))) {
        const Glyph *g = next_glyph(f, cp, &pen);
        if (g)
            pen.x += g->advance;
    }
    w = (pen.x + 32) >> 6;
    return w > INT_MAX ? INT_MAX : w < 0 ? 0 : (int)w;
}

/* Glyphs composed into one coverage mask and blended at once: wide rows vectorize, and chroma
 * samples shared by neighbouring glyphs are blended once. About 17 KB, on text_draw's stack. */
typedef struct Run {
    int x0, y0, x1, y1; /* clipped box of the glyphs placed so far; empty when n == 0 */
    int n;
    struct {
        const Glyph *g;
        int x, y;       /* bitmap top-left in the image */
    } at[64];
    uint8_t mask[16384];
} Run;

/* dst += src over the first `overlap` bytes (saturating: coverage of abutting glyphs adds up),
 * then a plain copy into the still blank rest. */
static void add_row(uint8_t *restrict dst, const uint8_t *restrict src, int n, int overlap)
{
    int k = overlap < 0 ? 0 : overlap < n ? overlap : n;

    for (int x = 0; x < k; x++)
        dst[x] = (uint8_t)(dst[x] + src[x] > 255 ? 255 : dst[x] + src[x]);
    if (n > k)
        memcpy(dst + k, src + k, (size_t)(n - k));
}

static void run_flush(Run *run, DrawImage *img, DrawColor c)
{
    int w = run->x1 - run->x0, h = run->y1 - run->y0;

    if (!run->n)
        return;
    memset(run->mask, 0, (size_t)w * h);
    /* Columns right of every glyph placed so far are still blank: copied, not added. */
    for (int i = 0, right = run->x0; i < run->n; i++) {
        const Glyph *g = run->at[i].g;
        int gx = run->at[i].x, gy = run->at[i].y;
        int xa = gx > run->x0 ? gx : run->x0, xb = gx + g->w < run->x1 ? gx + g->w : run->x1;
        for (int y = gy > run->y0 ? gy : run->y0; y < gy + g->h && y < run->y1; y++)
            add_row(run->mask + (ptrdiff_t)(y - run->y0) * w + (xa - run->x0),
                    g->bitmap + (ptrdiff_t)(y - gy) * g->w + (xa - gx), xb - xa, right - xa);
        right = xb > right ? xb : right;
    }
    draw_alpha_mask(img, run->x0, run->y0, run->mask, w, h, w, c);
    run->n = 0;
}

/* Adds glyph g with its bitmap at (gx, gy), flushing the run first when it would overflow. */
static void run_add(Run *run, DrawImage *img, const Glyph *g, int64_t gx, int64_t gy,
                    DrawColor c)
{
    int64_t x0 = gx < 0 ? 0 : gx, y0 = gy < 0 ? 0 : gy;
    int64_t x1 = gx + g->w > img->width ? img->width : gx + g->w;
    int64_t y1 = gy + g->h > img->height ? img->height : gy + g->h;

    if (!g->bitmap || x0 >= x1 || y0 >= y1)
        return; /* blank or wholly clipped: gx and gy now fit in int */
    if (run->n) {
        int64_t ux0 = x0 < run->x0 ? x0 : run->x0, uy0 = y0 < run->y0 ? y0 : run->y0;
        int64_t ux1 = x1 > run->x1 ? x1 : run->x1, uy1 = y1 > run->y1 ? y1 : run->y1;
        if (run->n == 64 || (ux1 - ux0) * (uy1 - uy0) > (int64_t)sizeof(run->mask))
            run_flush(run, img, c);
        else
            x0 = ux0, y0 = uy0, x1 = ux1, y1 = uy1;
    }
    if ((x1 - x0) * (y1 - y0) > (int64_t)sizeof(run->mask)) {
        draw_alpha_mask(img, (int)gx, (int)gy, g->bitmap, g->w, g->h, g->w, c); /* huge glyph */
        return;
    }
    run->at[run->n].g = g;
    run->at[run->n].x = (int)gx;
    run->at[run->n].y = (int)gy;
    run->n++;
    run->x0 = (int)x0, run->y0 = (int)y0, run->x1 = (int)x1, run->y1 = (int)y1;
}

void text_draw(TextFont *f, DrawImage *img, int x, int y_top, const char *utf8, DrawColor c)
{
    Pen pen = { (int64_t)x * 64, 0, 0 };
    int64_t baseline;
    uint32_t cp;
    Run run;

    if (!f || !img || !utf8 || img->width <= 0 || img->height <= 0)
        return;
    run.n = 0;
    baseline = (int64_t)y_top + f->ascent;
    while ((cp = utf8_next(&utf8))) {
        const Glyph *g = next_glyph(f, cp, &pen);
        if (!g)
            continue;
        int64_t gx = ((pen.x + 32) >> 6) + g->left;
        if (gx >= img->width)
            break; /* advances are positive: the rest is off the right edge */
        run_add(&run, img, g, gx, baseline - g->top, c);
        pen.x += g->advance;
    }
    run_flush(&run, img, c);
}
