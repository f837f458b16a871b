/* text.c: shaped text (HarfBuzz + FriBidi, fontconfig fallback) drawn into DrawImage through
 * FreeType with per-face glyph caches and a cache of shaped lines. */
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <ft2build.h>
#include FT_FREETYPE_H
#include <hb-ot.h>

#include "src/error.h"
#include "src/fontfind.h"
#include "src/shape.h"
#include "src/text.h"
#include "src/utf8.h"

#define DEFAULT_FONT "DejaVu Sans"
#define MAX_PIXEL_SIZE 2048
#define CACHE_BUCKETS 1024
#define CACHE_MAX 4096   /* shaped lines kept; the cache is emptied when it is full */
#define ELLIPSIS 0x2026u
#define FSI 0x2068u      /* first strong isolate */
#define PDI 0x2069u      /* pop directional isolate */

/* A rendered glyph: immutable once cached, freed only with its font. */
typedef struct Glyph {
    int left, top;     /* bitmap offset from the pen position and the baseline (up) */
    int w, h;          /* bitmap size; the bitmap is w * h bytes of coverage */
    uint8_t *bitmap;
} Glyph;

/* One font file of the fallback chain, loaded on first use. */
typedef struct Face {
    const FontFile *file;
    int state;         /* 0 not loaded yet, 1 loaded, -1 cannot be loaded */
    FT_Face ft;
    hb_font_t *hb;     /* immutable once loaded: hb_shape runs without the lock */
    long nb_glyphs;
    Glyph **glyphs;    /* by glyph id, rendered on first use */
} Face;

/* A cached shaped line, shared by reference: the cache may drop it while a drawer holds it. */
typedef struct Entry {
    struct Entry *next;
    atomic_int refs;
    uint32_t hash;
    Shaped *shaped;
    char key[];
} Entry;

struct TextFont {
    pthread_mutex_t lock;  /* guards face loading, glyph caches and the line cache */
    FT_Library lib;
    int pixel_size, ascent, line_height;
    FontFile *files;
    int nb_faces;
    Face *faces;           /* faces[0] is the font asked for, then the fallbacks */
    Entry *buckets[CACHE_BUCKETS];
    int nb_entries;
};

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

/* HarfBuzz font on the same file, scaled like the FreeType face (positions in 26.6 pixels). */
static hb_font_t *make_hb_font(const Face *fc)
{
    hb_blob_t *blob = hb_blob_create_from_file_or_fail(fc->file->path);
    hb_face_t *face;
    hb_font_t *font;
    const FT_Size_Metrics *m = &fc->ft->size->metrics;

    if (!blob)
        return NULL;
    face = hb_face_create(blob, (unsigned)fc->file->index);
    hb_blob_destroy(blob);
    font = hb_font_create(face);
    hb_face_destroy(face);
    if (font == hb_font_get_empty())
        return NULL;
    hb_font_set_scale(font,
                      (int)(((int64_t)m->x_scale * fc->ft->units_per_EM + (1 << 15)) >> 16),
                      (int)(((int64_t)m->y_scale * fc->ft->units_per_EM + (1 << 15)) >> 16));
    hb_font_make_immutable(font);
    return font;
}

/* Loads face i at the font's pixel size (ascender + descender span pixel_size pixels);
 * lock held. Returns 0, or a negative code with the error set (state becomes -1). */
static int load_face(TextFont *f, int i, const char *name)
{
    Face *fc = &f->faces[i];
    FT_Size_RequestRec req = {
        .type = FT_SIZE_REQUEST_TYPE_CELL, .width = 0, .height = (FT_Long)f->pixel_size << 6,
    };
    FT_Error err;

    if (fc->state)
        return fc->state > 0 ? 0 : EVCLIP_ERR_FONT;
    fc->state = -1;
    if ((err = FT_New_Face(f->lib, fc->file->path, fc->file->index, &fc->ft)))
        return ft_fail(name, fc->file->path, err);
    if (!fc->ft->charmap && FT_Select_Charmap(fc->ft, FT_ENCODING_UNICODE))
        return ev_error(EVCLIP_ERR_FONT, "font '%s': %s has no Unicode character map",
                        name, fc->file->path);
    if (!FT_IS_SCALABLE(fc->ft) || (err = FT_Request_Size(fc->ft, &req)))
        return err ? ft_fail(name, "cannot scale the font", err)
                   : ev_error(EVCLIP_ERR_FONT, "font '%s': %s is not scalable", name,
                              fc->file->path);
    fc->nb_glyphs = fc->ft->num_glyphs;
    fc->glyphs = calloc(fc->nb_glyphs > 0 ? (size_t)fc->nb_glyphs : 1, sizeof(*fc->glyphs));
    if (!fc->glyphs)
        return ev_error(EVCLIP_ERR_NOMEM, "font '%s': out of memory", name);
    if (!(fc->hb = make_hb_font(fc)))
        return ev_error(EVCLIP_ERR_FONT, "font '%s': HarfBuzz cannot read %s", name,
                        fc->file->path);
    fc->state = 1;
    return 0;
}

/* Line metrics from the primary face: the line is exactly pixel_size high, split at the rounded
 * ascender. */
static void set_metrics(TextFont *f)
{
    f->ascent = (int)((f->faces[0].ft->size->metrics.ascender + 32) >> 6);
    f->ascent = f->ascent < 1 ? 1 : f->ascent > f->pixel_size ? f->pixel_size : f->ascent;
    f->line_height = f->pixel_size;
}

int text_font_open(TextFont **out, const char *font, int pixel_size)
{
    const char *name = font ? font : DEFAULT_FONT;
    TextFont *f;
    FT_Error err;
    int ret;

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
    f->pixel_size = pixel_size;
    ret = fontfind_resolve(name, &f->files, &f->nb_faces);
    if (ret >= 0 && !(f->faces = calloc((size_t)f->nb_faces, sizeof(*f->faces))))
        ret = ev_error(EVCLIP_ERR_NOMEM, "font '%s': out of memory", name);
    for (int i = 0; ret >= 0 && i < f->nb_faces; i++)
        f->faces[i].file = &f->files[i];
    if (ret >= 0 && (err = FT_Init_FreeType(&f->lib)))
        ret = ft_fail(name, "cannot start FreeType", err);
    if (ret >= 0)
        ret = load_face(f, 0, name);
    if (ret < 0) {
        text_font_close(&f);
        return ret;
    }
    set_metrics(f);
    *out = f;
    return 0;
}

static void entry_release(Entry *e)
{
    if (e && atomic_fetch_sub(&e->refs, 1) == 1) {
        free(e->shaped);
        free(e);
    }
}

/* Empties the line cache; lock held (or the font being freed). */
static void cache_clear(TextFont *f)
{
    for (int b = 0; b < CACHE_BUCKETS; b++) {
        while (f->buckets[b]) {
            Entry *e = f->buckets[b];
            f->buckets[b] = e->next;
            entry_release(e);
        }
    }
    f->nb_entries = 0;
}

void text_font_close(TextFont **pf)
{
    TextFont *f = pf ? *pf : NULL;

    if (!f)
        return;
    cache_clear(f);
    for (int i = 0; f->faces && i < f->nb_faces; i++) {
        Face *fc = &f->faces[i];
        for (long g = 0; fc->glyphs && g < fc->nb_glyphs; g++) {
            if (fc->glyphs[g])
                free(fc->glyphs[g]->bitmap);
            free(fc->glyphs[g]);
        }
        free(fc->glyphs);
        if (fc->hb)
            hb_font_destroy(fc->hb);
        if (fc->ft)
            FT_Done_Face(fc->ft);
    }
    free(f->faces);
    fontfind_free(&f->files, f->nb_faces);
    if (f->lib)
        FT_Done_FreeType(f->lib);
    pthread_mutex_destroy(&f->lock);
    free(f);
    *pf = NULL;
}

const char *text_font_path(const TextFont *f)
{
    return f->files[0].path;
}

void text_font_metrics(const TextFont *f, int *ascent, int *line_height)
{
    if (ascent)
        *ascent = f->ascent;
    if (line_height)
        *line_height = f->line_height;
}

/* ---- shaping ------------------------------------------------------------------------- */

/* First face of the fallback chain that has cp (the font asked for when none has it: its
 * missing-glyph box then shows). Charsets are immutable: no lock needed. */
static int face_for(void *opaque, uint32_t cp)
{
    const TextFont *f = opaque;

    for (int i = 0; i < f->nb_faces; i++)
        if (FcCharSetHasChar(f->files[i].charset, cp))
            return i;
    return 0;
}

static int face_has(void *opaque, int i, uint32_t cp)
{
    const TextFont *f = opaque;

    return FcCharSetHasChar(f->files[i].charset, cp);
}

static hb_font_t *hb_font_of(void *opaque, int i)
{
    TextFont *f = opaque;
    hb_font_t *font;

    pthread_mutex_lock(&f->lock);
    if (load_face(f, i, f->files[0].path) < 0) {
        ev_error_clear(); /* a broken fallback is skipped, not an error of the caller's text */
        font = NULL;
    } else {
        font = f->faces[i].hb;
    }
    pthread_mutex_unlock(&f->lock);
    return font;
}

/* Shapes n code points (uncached). NULL when out of memory. */
static Shaped *shape_cps(TextFont *f, const uint32_t *cps, int n)
{
    ShapeFonts fonts = {
        .face_for = face_for, .face_has = face_has, .hb_font = hb_font_of, .opaque = f,
    };

    return shape_line(cps, n, &fonts);
}

static uint32_t hash_key(const char *s, size_t len)
{
    uint32_t h = 2166136261u;

    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

/* The shaped line of utf8, from the cache or shaped and added; release with entry_release.
 * NULL when out of memory. */
static Entry *shaped_line(TextFont *f, const char *utf8)
{
    size_t len = strlen(utf8);
    uint32_t h = hash_key(utf8, len), *cps;
    Entry *e, **bucket = &f->buckets[h % CACHE_BUCKETS];
    int n;

    pthread_mutex_lock(&f->lock);
    for (e = *bucket; e; e = e->next)
        if (e->hash == h && !strcmp(e->key, utf8))
            break;
    if (e)
        atomic_fetch_add(&e->refs, 1);
    pthread_mutex_unlock(&f->lock);
    if (e)
        return e;
    if ((n = shape_clean(utf8, -1, &cps)) < 0)
        return NULL;
    e = malloc(sizeof(*e) + len + 1);
    if (e && !(e->shaped = shape_cps(f, cps, n))) {
        free(e);
        e = NULL;
    }
    free(cps);
    if (!e)
        return NULL;
    atomic_init(&e->refs, 2); /* the cache's and the caller's */
    e->hash = h;
    memcpy(e->key, utf8, len + 1);
    pthread_mutex_lock(&f->lock);
    if (f->nb_entries >= CACHE_MAX)
        cache_clear(f);
    e->next = *bucket;
    *bucket = e;
    f->nb_entries++;
    pthread_mutex_unlock(&f->lock);
    return e;
}

static int to_pixels(int64_t w)
{
    w = (w + 32) >> 6;
    return w > INT_MAX ? INT_MAX : w < 0 ? 0 : (int)w;
}

int text_measure(TextFont *f, const char *utf8)
{
    Entry *e;
    int w;

    if (!f || !utf8 || !(e = shaped_line(f, utf8)))
        return 0;
    w = to_pixels(e->shaped->width);
    entry_release(e);
    return w;
}

int text_glyphs(TextFont *f, const char *utf8, TextGlyph *out, int max)
{
    Entry *e;
    int n;

    if (!f || !utf8 || !(e = shaped_line(f, utf8)))
        return EVCLIP_ERR_NOMEM;
    n = e->shaped->n;
    for (int i = 0; i < n && i < max; i++) {
        const ShapeGlyph *g = &e->shaped->g[i];
        out[i] = (TextGlyph){ .glyph = g->glyph, .x = g->x, .y = g->y,
                              .path = f->files[g->face].path,
                              .face_index = f->files[g->face].index };
    }
    entry_release(e);
    return n;
}

/* ---- rasterising ----------------------------------------------------------------------- */

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

/* Renders and caches glyph id of face fi. NULL when out of memory or the face is not loaded.
 * A glyph FreeType cannot render is cached blank so that it is not retried on every frame. */
static const Glyph *get_glyph(TextFont *f, uint32_t fi, uint32_t id)
{
    Face *fc = &f->faces[fi];
    Glyph *g = NULL;

    pthread_mutex_lock(&f->lock);
    if (fc->state > 0) {
        if ((long)id >= fc->nb_glyphs)
            id = 0;
        g = fc->glyphs[id];
        if (!g && (g = calloc(1, sizeof(*g)))) {
            if (!FT_Load_Glyph(fc->ft, id, FT_LOAD_DEFAULT | FT_LOAD_TARGET_LIGHT) &&
                !FT_Render_Glyph(fc->ft->glyph, FT_RENDER_MODE_NORMAL) &&
                copy_bitmap(g, fc->ft->glyph) < 0) {
                free(g);
                g = NULL;
            }
            if (g)
                fc->glyphs[id] = g;
        }
    }
    pthread_mutex_unlock(&f->lock);
    return g;
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

/* dst += src (saturating: coverage of abutting or overlapping glyphs adds up). */
static void add_row(uint8_t *restrict dst, const uint8_t *restrict src, int n)
{
    for (int x = 0; x < n; x++)
        dst[x] = (uint8_t)(dst[x] + src[x] > 255 ? 255 : dst[x] + src[x]);
}

static void run_flush(Run *run, DrawImage *img, DrawColor c)
{
    int w = run->x1 - run->x0, h = run->y1 - run->y0;

    if (!run->n)
        return;
    memset(run->mask, 0, (size_t)w * h);
    for (int i = 0; i < run->n; i++) {
        const Glyph *g = run->at[i].g;
        int gx = run->at[i].x, gy = run->at[i].y;
        int xa = gx > run->x0 ? gx : run->x0, xb = gx + g->w < run->x1 ? gx + g->w : run->x1;
        for (int y = gy > run->y0 ? gy : run->y0; y < gy + g->h && y < run->y1; y++)
            add_row(run->mask + (ptrdiff_t)(y - run->y0) * w + (xa - run->x0),
                    g->bitmap + (ptrdiff_t)(y - gy) * g->w + (xa - gx), xb - xa);
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
    int64_t baseline;
    Entry *e;
    Run run;

    if (!f || !img || !utf8 || img->width <= 0 || img->height <= 0 ||
        !(e = shaped_line(f, utf8)))
        return;
    run.n = 0;
    baseline = (int64_t)y_top + f->ascent;
    for (int i = 0; i < e->shaped->n; i++) {
        const ShapeGlyph *sg = &e->shaped->g[i];
        int64_t px = (int64_t)x + ((sg->x + 32) >> 6);
        if (px >= img->width + f->pixel_size)
            break; /* glyphs go left to right: the rest is off the right edge */
        const Glyph *g = get_glyph(f, sg->face, sg->glyph);
        if (g)
            run_add(&run, img, g, px + g->left, baseline - ((sg->y + 32) >> 6) - g->top, c);
    }
    run_flush(&run, img, c);
    entry_release(e);
}

/* ---- fitting ---------------------------------------------------------------------------- */

/* buf = [FSI] cps[0..k) [ellipsis] [PDI] tail[0..nt), the isolates with iso; returns its
 * length. buf has room for k + nt + 3. */
static int compose(uint32_t *buf, const uint32_t *cps, int k, int ellipsis,
                   const uint32_t *tail, int nt, int iso)
{
    int n = 0;

    if (iso)
        buf[n++] = FSI;
    if (k)
        memcpy(buf + n, cps, (size_t)k * sizeof(*buf));
    n += k;
    if (ellipsis)
        buf[n++] = ELLIPSIS;
    if (iso)
        buf[n++] = PDI;
    if (nt)
        memcpy(buf + n, tail, (size_t)nt * sizeof(*buf));
    return n + nt;
}

/* Width in 26.6 of what compose makes in buf (*len its length); -1 when out of memory. */
static int64_t width_of(TextFont *f, uint32_t *buf, const uint32_t *cps, int k, int ellipsis,
                        const uint32_t *tail, int nt, int iso, int *len)
{
    int n = compose(buf, cps, k, ellipsis, tail, nt, iso);
    Shaped *s = shape_cps(f, buf, n);
    int64_t w;

    if (!s)
        return -1;
    w = s->width;
    free(s);
    if (len)
        *len = n;
    return w;
}

/* Largest k such that head[0..k) + ellipsis + tail fits in max (26.6), never cutting before an
 * extender; -1 when none fits, -2 when out of memory. */
static int longest_fit(TextFont *f, uint32_t *buf, const uint32_t *head, int nh,
                       const uint32_t *tail, int nt, int iso, int64_t max)
{
    int lo = 0, hi = nh - 1, best = -1;

    while (lo <= hi) {
        int k = lo + (hi - lo) / 2, kk = k;
        while (kk > 0 && shape_is_extender(head[kk]))
            kk--;
        int64_t w = width_of(f, buf, head, kk, 1, tail, nt, iso, NULL);
        if (w < 0)
            return -2;
        if (w <= max) {
            best = kk > best ? kk : best;
            lo = k + 1;
        } else {
            hi = k - 1;
        }
    }
    return best;
}

/* Encodes cps as UTF-8 into a new string. */
static char *encode(const uint32_t *cps, int n)
{
    char *s = malloc((size_t)n * 4 + 1), *p = s;

    if (!s)
        return NULL;
    for (int i = 0; i < n; i++)
        p += utf8_put(cps[i], p);
    *p = 0;
    return s;
}

/* Head limited to max_chars code points (0 = no limit) and the marks and joiners that follow
 * the last one; *cut is set when that removed some. */
static int head_limit(const uint32_t *h, int nh, int max_chars, int *cut)
{
    int limit = nh;

    if (max_chars > 0 && nh > max_chars) {
        limit = max_chars;
        while (limit < nh && shape_is_extender(h[limit]))
            limit++;
    }
    *cut = limit < nh;
    return limit;
}

/* The fitted text of all = head (nh) + tail (nt) into *out; 0 or -1 when out of memory. */
static int fit(TextFont *f, uint32_t *buf, uint32_t *all, int nh, int nt, int max_chars,
               int whole, int64_t max, char **out)
{
    int cut, limit = head_limit(all, nh, max_chars, &cut), k, n, iso = nt > 0;

    if (!cut && whole) {
        int64_t w = width_of(f, buf, all, nh, 0, all + nh, nt, iso, &n);
        if (w < 0)
            return -1;
        if (w <= max)
            return (*out = encode(buf, n)) ? 0 : -1; /* fits whole: no ellipsis */
    }
    /* Cut the head, keeping the tail (e.g. "#track score"); when even that cannot fit, cut
     * head and tail as one text. */
    k = longest_fit(f, buf, all, cut ? limit + 1 : nh, all + nh, nt, iso, max);
    if (k == -1 && !(cut && limit == 0)) {
        memmove(all + limit, all + nh, (size_t)nt * sizeof(*all));
        k = longest_fit(f, buf, all, limit + nt, NULL, 0, 0, max);
        nt = iso = 0;
    }
    if (k == -2)
        return -1;
    if (k == -1)
        return (*out = calloc(1, 1)) ? 0 : -1; /* not even an ellipsis fits */
    if (width_of(f, buf, all, k, 1, all + nh, nt, iso, &n) < 0)
        return -1;
    return (*out = encode(buf, n)) ? 0 : -1;
}

/* Removes explicit bidi controls from cps; returns the new count. */
static int strip_bidi(uint32_t *cps, int n)
{
    int m = 0;

    for (int i = 0; i < n; i++)
        if (!shape_is_bidi_control(cps[i]))
            cps[m++] = cps[i];
    return m;
}

int text_fit(TextFont *f, const char *head, int max_chars, const char *tail, int max_width,
             char **out)
{
    uint32_t *h = NULL, *t = NULL, *all = NULL, *buf = NULL;
    int nh = 0, nt = 0, ret = -1;
    int64_t max = (int64_t)(max_width < 0 ? 0 : max_width) << 6;
    /* Nothing past 4 code points per pixel can show (bounds the work on huge labels). */
    int cap = max_width > INT_MAX / 8 ? INT_MAX / 2 : (max_width < 0 ? 0 : max_width) * 4 + 64;

    *out = NULL;
    if ((nh = shape_clean(head, cap, &h)) >= 0 && (nt = shape_clean(tail, cap, &t)) >= 0 &&
        (all = malloc(((size_t)nh + nt + 1) * sizeof(*all))) &&
        (buf = malloc(((size_t)nh + nt + 3) * sizeof(*buf)))) {
        if (nt > 0)
            nh = strip_bidi(h, nh); /* the head can then never reorder the tail */
        memcpy(all, h, (size_t)nh * sizeof(*all));
        memcpy(all + nh, t, (size_t)nt * sizeof(*all));
        if (max_chars <= 0 && nh == cap)
            max_chars = nh - 1; /* the cap cut it: show that it was cut */
        ret = fit(f, buf, all, nh, nt, max_chars, nt < cap, max, out);
    }
    free(h);
    free(t);
    free(all);
    free(buf);
    return ret < 0 ? ev_error(EVCLIP_ERR_NOMEM, "out of memory (label text)") : 0;
}
