/* redact.c: redaction of detected regions (pixelate, blur, fill) in YUV frames, with the
 * record of what was hidden that the evidence manifest carries. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "src/error.h"
#include "src/interpolate.h"
#include "src/redact.h"
#include "src/settings.h"
#include "src/style.h"

#define MAX_RANGES 1000
#define MAX_PAD 1000
#define FILL_VALUE 128

typedef struct RedactRange {
    int64_t first, last, regions;
} RedactRange;

struct Redactor {
    const EvclipDrawOptions *o;
    int64_t regions, frames;
    int64_t selected[EVCLIP_REDACT_MAX_SELECTORS]; /* boxes each selector selected */
    int64_t logged;                                /* redaction-log boxes met */
    RedactRange ranges[MAX_RANGES];
    int nb_ranges, truncated;
    char *log_path;
    char log_sha256[65];
    int64_t log_size;
};

static const char *const mode_names[] = { "pixelate", "blur", "fill" };

/* Parses "track=N" (N a decimal integer >= 0); 1 when s is one. */
static int parse_track(const char *s, int64_t *id)
{
    char *end;
    if (strncmp(s, "track=", 6) || s[6] < '0' || s[6] > '9')
        return 0;
    errno = 0;
    long long v = strtoll(s + 6, &end, 10);
    if (errno || *end)
        return 0;
    *id = v;
    return 1;
}

static int check_selector(const char *s, int i)
{
    int64_t id;
    if (!s)
        return ev_error(EVCLIP_ERR_INVALID, "draw options: redact selector %d is NULL", i + 1);
    if (!strcmp(s, "all") || parse_track(s, &id) || (!strncmp(s, "label=", 6) && s[6]))
        return 0;
    return ev_error(EVCLIP_ERR_INVALID, "draw options: redact selector %d '%s' is not one of "
                    "'all', 'label=NAME', 'track=N' (N an integer >= 0)", i + 1, s);
}

int redact_validate(const EvclipDrawOptions *o)
{
    int ret;
    if (!o)
        return 0;
    if ((ret = settings_check_size(o->struct_size, sizeof(*o), "EvclipDrawOptions")) < 0 ||
        (ret = settings_check_reserved(o->reserved, sizeof(o->reserved),
                                       "EvclipDrawOptions")) < 0)
        return ret;
    if (o->nb_redact < 0 || o->nb_redact > EVCLIP_REDACT_MAX_SELECTORS)
        return ev_error(EVCLIP_ERR_INVALID, "draw options: %d redact selectors (0..%d)",
                        o->nb_redact, EVCLIP_REDACT_MAX_SELECTORS);
    if (o->nb_redact > 0 && !o->redact)
        return ev_error(EVCLIP_ERR_INVALID, "draw options: nb_redact is %d but redact is NULL",
                        o->nb_redact);
    for (int i = 0; i < o->nb_redact; i++)
        if ((ret = check_selector(o->redact[i], i)) < 0)
            return ret;
    if (o->redact_mode < EVCLIP_REDACT_PIXELATE || o->redact_mode > EVCLIP_REDACT_FILL)
        return ev_error(EVCLIP_ERR_INVALID, "draw options: redact mode %d is not pixelate (0), "
                        "blur (1) or fill (2)", o->redact_mode);
    if (o->redact_pad < 0 || o->redact_pad > MAX_PAD)
        return ev_error(EVCLIP_ERR_INVALID, "draw options: redact pad %d px is outside 0..%d",
                        o->redact_pad, MAX_PAD);
    if (!(o->interpolate >= 0 && o->interpolate <= INTERPOLATE_MAX_GAP))
        return ev_error(EVCLIP_ERR_INVALID, "draw options: interpolate %g s is outside "
                        "0..%g s (0 = off)", o->interpolate, INTERPOLATE_MAX_GAP);
    if (o->style) {
        Style *st = NULL;
        if ((ret = style_parse(&st, o->style)) < 0)
            return ret;
        style_free(&st);
    }
    if (o->redact_detections && !o->redact_detections[0])
        return ev_error(EVCLIP_ERR_INVALID, "draw options: redact_detections is an empty path");
    return 0;
}

int redact_enabled(const EvclipDrawOptions *o)
{
    return o && (o->nb_redact > 0 || o->redact_detections);
}

/* Copies of the options' strings live in one block after the struct. */
int redact_options_copy(EvclipDrawOptions **out, const EvclipDrawOptions *o)
{
    *out = NULL;
    if (!o)
        return 0;
    size_t need = sizeof(*o) + (size_t)o->nb_redact * sizeof(char *);
    const char *strs[4] = { o->redact_label, o->redact_detections, o->style, o->timezone };
    for (int i = 0; i < o->nb_redact; i++)
        need += strlen(o->redact[i]) + 1;
    for (int i = 0; i < 4; i++)
        need += strs[i] ? strlen(strs[i]) + 1 : 0;
    EvclipDrawOptions *c = malloc(need);
    if (!c)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory copying draw options");
    *c = *o;
    const char **sel = (const char **)(c + 1);
    char *p = (char *)(sel + o->nb_redact);
    for (int i = 0; i < o->nb_redact; i++) {
        sel[i] = strcpy(p, o->redact[i]);
        p += strlen(p) + 1;
    }
    c->redact = o->nb_redact ? sel : NULL;
    const char **dst[4] = { &c->redact_label, &c->redact_detections, &c->style,
                            &c->timezone };
    for (int i = 0; i < 4; i++) {
        *dst[i] = strs[i] ? strcpy(p, strs[i]) : NULL;
        p += strs[i] ? strlen(p) + 1 : 0;
    }
    *out = c;
    return 0;
}

void redact_options_free(EvclipDrawOptions **o)
{
    if (o) {
        free(*o);
        *o = NULL;
    }
}

/* ---- pixels ------------------------------------------------------------------------------ */

/* Replaces each bs x bs block of the w x h region at p with its mean. */
static void pixelate_plane(uint8_t *p, ptrdiff_t stride, int w, int h, int bs)
{
    for (int by = 0; by < h; by += bs) {
        int bh = h - by < bs ? h - by : bs;
        for (int bx = 0; bx < w; bx += bs) {
            int bw = w - bx < bs ? w - bx : bs;
            uint32_t sum = 0;
            for (int y = 0; y < bh; y++)
                for (int x = 0; x < bw; x++)
                    sum += p[(by + y) * stride + bx + x];
            uint8_t mean = (uint8_t)((sum + (uint32_t)(bw * bh) / 2) / (uint32_t)(bw * bh));
            for (int y = 0; y < bh; y++)
                memset(p + (by + y) * stride + bx, mean, (size_t)bw);
        }
    }
}

#define GRID 64 /* most cells of a blur grid per side */

/* Means of the cell x cell cells of the w x h region at p into grid (gw x gh). */
static void cell_means(const uint8_t *p, ptrdiff_t stride, int w, int h, int cell,
                       int gw, int gh, int grid[GRID][GRID])
{
    uint32_t sum[GRID];
    for (int gy = 0; gy < gh; gy++) {
        int y0 = gy * cell, y1 = y0 + cell < h ? y0 + cell : h;
        memset(sum, 0, sizeof(sum));
        for (int y = y0; y < y1; y++) {
            const uint8_t *row = p + y * stride;
            for (int gx = 0, x = 0; gx < gw; gx++) {
                int x1 = x + cell < w ? x + cell : w;
                uint32_t acc = 0;
                for (; x < x1; x++)
                    acc += row[x];
                sum[gx] += acc;
            }
        }
        for (int gx = 0; gx < gw; gx++) {
            int cw = (gx + 1) * cell < w ? cell : w - gx * cell;
            grid[gy][gx] = (int)(sum[gx] / (uint32_t)(cw * (y1 - y0)));
        }
    }
}

/* Smooths the grid with a 3 x 3 box (edges clamped), in place. */
static void smooth_grid(int gw, int gh, int grid[GRID][GRID])
{
    static _Thread_local int tmp[GRID][GRID];
    for (int y = 0; y < gh; y++)
        for (int x = 0; x < gw; x++) {
            int acc = 0;
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++) {
                    int yy = y + dy < 0 ? 0 : y + dy >= gh ? gh - 1 : y + dy;
                    int xx = x + dx < 0 ? 0 : x + dx >= gw ? gw - 1 : x + dx;
                    acc += grid[yy][xx];
                }
            tmp[y][x] = acc;
        }
    for (int y = 0; y < gh; y++)
        for (int x = 0; x < gw; x++)
            grid[y][x] = tmp[y][x]; /* 9 x the mean: the weights below divide it out */
}

/* Position of pixel i between the centres of cells: index of the cell before it and the
 * weight (0..256) of the one after. */
static void lerp_at(int i, int cell, int n, int *g, int *wt)
{
    int pos = ((2 * i + 1) * 256) / (2 * cell) - 128; /* in 1/256 cells from centre 0 */
    if (pos < 0)
        pos = 0;
    *g = pos >> 8;
    *wt = pos & 255;
    if (*g >= n - 1) {
        *g = n - 1;
        *wt = 0;
    }
}

/* A strong blur at the cost of about two reads per pixel: the region's cell means, smoothed,
 * then interpolated bilinearly back over the region (no sharp edge survives, no block
 * either). The grid rows are first expanded to full width (rows[]), so the per-pixel loop is
 * a plain blend of two rows that compilers vectorise. Returns 0, or -1 without memory (the
 * caller pixelates instead). */
static int blur_plane(uint8_t *p, ptrdiff_t stride, int w, int h, int cell)
{
    static _Thread_local int grid[GRID][GRID];
    if (cell < (w + GRID - 1) / GRID)
        cell = (w + GRID - 1) / GRID;
    if (cell < (h + GRID - 1) / GRID)
        cell = (h + GRID - 1) / GRID;
    int gw = (w + cell - 1) / cell, gh = (h + cell - 1) / cell;
    int32_t *rows = malloc(sizeof(*rows) * (size_t)gh * (size_t)w);
    if (!rows)
        return -1;
    cell_means(p, stride, w, h, cell, gw, gh, grid);
    smooth_grid(gw, gh, grid);
    for (int x = 0; x < w; x++) {
        int g, wt;
        lerp_at(x, cell, gw, &g, &wt);
        int g2 = g + 1 < gw ? g + 1 : g;
        for (int gy = 0; gy < gh; gy++) /* 256 x the smoothed mean */
            rows[(size_t)gy * w + x] = (grid[gy][g] * (256 - wt) + grid[gy][g2] * wt + 4) / 9;
    }
    for (int y = 0; y < h; y++) {
        int g, wt;
        lerp_at(y, cell, gh, &g, &wt);
        const int32_t *a = rows + (size_t)g * w;
        const int32_t *b = rows + (size_t)(g + 1 < gh ? g + 1 : g) * w;
        uint8_t *row = p + y * stride;
        for (int x = 0; x < w; x++)
            row[x] = (uint8_t)((a[x] * (256 - wt) + b[x] * wt + 32768) >> 16);
    }
    free(rows);
    return 0;
}

static void fill_plane(uint8_t *p, ptrdiff_t stride, int w, int h)
{
    for (int y = 0; y < h; y++)
        memset(p + y * stride, FILL_VALUE, (size_t)w);
}

static int clampi(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

void redact_region(DrawImage *img, int mode, int x1, int y1, int x2, int y2)
{
    x1 = clampi(x1, 0, img->width);
    x2 = clampi(x2, 0, img->width);
    y1 = clampi(y1, 0, img->height);
    y2 = clampi(y2, 0, img->height);
    if (x2 <= x1 || y2 <= y1)
        return;
    int side = x2 - x1 < y2 - y1 ? x2 - x1 : y2 - y1;
    /* chroma: every sample covering a redacted luma pixel */
    int cx1 = x1 / 2, cy1 = y1 / 2, cx2 = (x2 + 1) / 2, cy2 = (y2 + 1) / 2;
    int rect[3][4] = { { x1, y1, x2 - x1, y2 - y1 },
                       { cx1, cy1, cx2 - cx1, cy2 - cy1 }, { cx1, cy1, cx2 - cx1, cy2 - cy1 } };
    for (int k = 0; k < 3; k++) {
        int *q = rect[k], sub = k ? 2 : 1;
        uint8_t *p = img->plane[k] + q[1] * img->stride[k] + q[0];
        if (mode == EVCLIP_REDACT_FILL) {
            fill_plane(p, img->stride[k], q[2], q[3]);
        } else if (mode == EVCLIP_REDACT_BLUR &&
                   blur_plane(p, img->stride[k], q[2], q[3],
                              (side / 6 > 4 ? side / 6 : 4) / sub) == 0) {
            continue;
        } else { /* pixelate (and a blur that found no memory: still hidden) */
            int bs = (side / 8 > 4 ? side / 8 : 4) / sub;
            pixelate_plane(p, img->stride[k], q[2], q[3], bs > 1 ? bs : 1);
        }
    }
}

/* ---- per clip ---------------------------------------------------------------------------- */

int redactor_open(Redactor **out, const EvclipDrawOptions *o)
{
    *out = NULL;
    if (!redact_enabled(o))
        return 0;
    Redactor *r = calloc(1, sizeof(*r));
    if (!r)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    r->o = o;
    *out = r;
    return 0;
}

void redactor_close(Redactor **r)
{
    if (!r || !*r)
        return;
    free((*r)->log_path);
    free(*r);
    *r = NULL;
}

/* 1 when selector s selects d. */
static int selector_matches(const char *s, const EvclipDetection *d)
{
    int64_t id;
    return !strcmp(s, "all") ||
           (!strncmp(s, "label=", 6) && d->label && !strcmp(s + 6, d->label)) ||
           (parse_track(s, &id) && d->track_id == id);
}

int redactor_selects(const Redactor *r, const EvclipDetection *d)
{
    for (int i = 0; r && i < r->o->nb_redact; i++)
        if (selector_matches(r->o->redact[i], d))
            return 1;
    return 0;
}

/* Counts, per selector, the boxes it selects among dets[0..n); returns 1 when any does. */
static int count_selected(Redactor *r, const EvclipDetection *d)
{
    int any = 0;
    for (int i = 0; i < r->o->nb_redact; i++)
        if (selector_matches(r->o->redact[i], d)) {
            r->selected[i]++;
            any = 1;
        }
    return any;
}

const char *redactor_unused(const Redactor *r, int *i)
{
    for (; r && *i < r->o->nb_redact; (*i)++)
        if (!r->selected[*i])
            return r->o->redact[(*i)++];
    return NULL;
}

int redactor_log_unused(const Redactor *r)
{
    return r && r->o->redact_detections && !r->logged;
}

static void count_frame(Redactor *r, int64_t frame, int regions)
{
    r->regions += regions;
    r->frames++;
    RedactRange *last = r->nb_ranges ? &r->ranges[r->nb_ranges - 1] : NULL;
    if (last && last->last == frame - 1) {
        last->last = frame;
        last->regions += regions;
    } else if (r->nb_ranges < MAX_RANGES) {
        r->ranges[r->nb_ranges++] = (RedactRange){ frame, frame, regions };
    } else {
        r->truncated = 1; /* the totals stay exact */
    }
}

int redactor_frame(Redactor *r, const Overlay *o, DrawImage *img, const EvclipDetection *dets,
                   int n, int forced, const BoxTransform *t, int64_t frame, uint8_t *marks)
{
    int count = 0, pad = r->o->redact_pad;
    for (int i = 0; i < n; i++) {
        int b[4];
        if (i >= n - forced)
            r->logged++; /* a redaction-log box: always hidden */
        else if (!count_selected(r, &dets[i]))
            continue;
        marks[i] |= EVCLIP_BOX_REDACTED;
        if (!overlay_map_box(o, &dets[i], t, b))
            continue; /* wholly outside the frame: nothing to hide */
        redact_region(img, r->o->redact_mode, b[0] - pad, b[1] - pad, b[2] + pad, b[3] + pad);
        count++;
    }
    if (count)
        count_frame(r, frame, count);
    return count;
}

void redactor_set_log(Redactor *r, const char *path, const char *sha256, int64_t size)
{
    if (!r || !path)
        return;
    free(r->log_path);
    r->log_path = strdup(path);
    snprintf(r->log_sha256, sizeof(r->log_sha256), "%s", sha256);
    r->log_size = size;
}

json_t *redactor_json(const Redactor *r)
{
    json_t *sel = json_array(), *ranges = json_array();
    for (int i = 0; sel && i < r->o->nb_redact; i++)
        json_array_append_new(sel, json_string(r->o->redact[i]));
    for (int i = 0; ranges && i < r->nb_ranges; i++)
        json_array_append_new(ranges, json_pack("{s:I, s:I, s:I}",
                              "first_frame", (json_int_t)r->ranges[i].first,
                              "last_frame", (json_int_t)r->ranges[i].last,
                              "regions", (json_int_t)r->ranges[i].regions));
    json_t *log = r->log_path ? json_pack("{s:s, s:I, s:s}", "path", r->log_path,
                                          "size", (json_int_t)r->log_size,
                                          "sha256", r->log_sha256)
                              : json_null();
    return json_pack("{s:o, s:s, s:i, s:o, s:I, s:I, s:o, s:b, s:o, s:s}",
                     "selectors", sel, "mode", mode_names[r->o->redact_mode],
                     "pad", r->o->redact_pad,
                     "label", r->o->redact_label ? json_string(r->o->redact_label)
                                                 : json_null(),
                     "regions", (json_int_t)r->regions, "frames", (json_int_t)r->frames,
                     "ranges", ranges, "ranges_truncated", r->truncated, "log", log,
                     "rule", "every output frame where a selected box is drawn, hold included");
}
