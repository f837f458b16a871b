/* cli_spec.c: JSON clip specs (render --spec, batch job lines) -> EvclipClip. */
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/cli.h"
#include "tools/cli_spec.h"

int log_cache_get(LogCache *c, const char *path, EvclipDetections **out)
{
    for (int i = 0; i < c->count; i++)
        if (!strcmp(c->paths[i], path)) {
            *out = c->stores[i];
            return c->stores[i] ? 0 : EVCLIP_ERR_DETECTIONS;
        }
    char **paths = realloc(c->paths, (size_t)(c->count + 1) * sizeof(*paths));
    if (paths)
        c->paths = paths;
    EvclipDetections **stores = realloc(c->stores, (size_t)(c->count + 1) * sizeof(*stores));
    if (stores)
        c->stores = stores;
    if (!paths || !stores || !(c->paths[c->count] = strdup(path)))
        return EVCLIP_ERR_NOMEM;
    EvclipDetections *d = NULL;
    int ret = evclip_detections_new(&d);
    if (ret >= 0)
        ret = evclip_detections_load_format(d, path, c->format, c->normalized);
    if (ret < 0)
        evclip_detections_free(&d);
    c->stores[c->count++] = d;
    *out = d;
    return ret;
}

void log_cache_free(LogCache *c)
{
    for (int i = 0; i < c->count; i++) {
        free(c->paths[i]);
        evclip_detections_free(&c->stores[i]);
    }
    free(c->paths);
    free(c->stores);
    memset(c, 0, sizeof(*c));
}

int spec_parse_size(const char *s, int *w, int *h)
{
    char tail;
    if (!s || sscanf(s, "%dx%d%c", w, h, &tail) != 2 || *w <= 0 || *h <= 0 || *w % 2 ||
        *h % 2 || *w > 16384 || *h > 16384)
        return -1;
    return 0;
}

int spec_parse_strategy(const char *s)
{
    if (s && !strcmp(s, "timelapse"))
        return EVCLIP_CAP_TIMELAPSE;
    if (s && !strcmp(s, "framedrop"))
        return EVCLIP_CAP_FRAMEDROP;
    return -1;
}

int spec_parse_box_space(const char *s)
{
    if (s && !strcmp(s, "display"))
        return EVCLIP_BOX_DISPLAY;
    if (s && !strcmp(s, "stored"))
        return EVCLIP_BOX_STORED;
    return -1;
}

int spec_parse_ts_origin(const char *s)
{
    if (s && !strcmp(s, "start"))
        return EVCLIP_TS_START;
    if (s && !strcmp(s, "pts"))
        return EVCLIP_TS_PTS;
    return -1;
}

#define FAIL(...) (snprintf(err, errlen, __VA_ARGS__), -1)

static int get_number(json_t *obj, const char *key, double *out, const char *where, char *err,
                      size_t errlen)
{
    json_t *v = json_object_get(obj, key);
    if (!v)
        return 0;
    if (!json_is_number(v) || !isfinite(json_number_value(v)))
        return FAIL("%s: field '%s': expected a number", where, key);
    *out = json_number_value(v);
    return 0;
}

static int get_string(json_t *obj, const char *key, const char **out, const char *where,
                      char *err, size_t errlen)
{
    json_t *v = json_object_get(obj, key);
    if (!v)
        return 0;
    if (!json_is_string(v))
        return FAIL("%s: field '%s': expected a string", where, key);
    *out = json_string_value(v);
    return 0;
}

/* A time: a number of seconds, or a string as on the command line ("1:02.5"). */
static int get_time(json_t *obj, const char *key, double *out, const char *where, char *err,
                    size_t errlen)
{
    json_t *v = json_object_get(obj, key);
    if (v && json_is_string(v)) {
        if (cli_parse_time(json_string_value(v), out) < 0)
            return FAIL("%s: field '%s': '%.100s' is not a time (seconds, MM:SS.ms or "
                        "HH:MM:SS.ms, >= 0)", where, key, json_string_value(v));
        return 0;
    }
    if (v && (!json_is_number(v) || !isfinite(json_number_value(v))))
        return FAIL("%s: field '%s': expected seconds (a number, or a string such as "
                    "\"1:02.5\")", where, key);
    return get_number(obj, key, out, where, err, errlen);
}

/* A path field resolved against the spec file's folder; the copy is owned by spec. */
static int get_path(ClipSpec *spec, json_t *obj, const char *key, const char *base,
                    const char **out, const char *where, char *err, size_t errlen)
{
    const char *raw = NULL;
    if (get_string(obj, key, &raw, where, err, errlen) < 0)
        return -1;
    if (!raw)
        return 0;
    char **paths = realloc(spec->paths, (size_t)(spec->nb_paths + 1) * sizeof(*paths));
    if (!paths)
        return FAIL("out of memory");
    spec->paths = paths;
    if (!(paths[spec->nb_paths] = spec_resolve(base, raw)))
        return FAIL("out of memory");
    *out = paths[spec->nb_paths++];
    return 0;
}

static int get_bool(json_t *obj, const char *key, int *out, const char *where, char *err,
                    size_t errlen)
{
    json_t *v = json_object_get(obj, key);
    if (!v)
        return 0;
    if (!json_is_boolean(v))
        return FAIL("%s: field '%s': expected true or false", where, key);
    *out = json_is_true(v);
    return 0;
}

static const char *const clip_keys[] = {
    "output", "sources", "input", "detections", "start", "end", "pre", "post", "speed",
    "max_duration", "cap_strategy", "size", "encoder", "preset", "crf", "bitrate", "hold",
    "title", "timestamp", "font", "thickness", "font_size", "audio", "overwrite", "clamp",
    "manifest", "id", "ts_origin", "stream", "fps", "box_space", "mkdirs", "poster", "extra",
    "label_max", "native",
    "redact", "redact_mode", "redact_pad", "redact_label", "redact_detections", "interpolate",
    "style", "epoch", "tz",
    NULL,
};
static const char *const source_keys[] = {
    "input", "detections", "from", "to", "ts_origin", "stream", "fps", "epoch", NULL,
};

static int check_keys(json_t *obj, const char *const *known, const char *where, char *err,
                      size_t errlen)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        int ok = 0;
        for (int i = 0; known[i] && !ok; i++)
            ok = !strcmp(key, known[i]);
        if (!ok) {
            size_t n = 0;
            while (known[n])
                n++;
            const char *hint = cli_suggest(key, strlen(key), known, n);
            return FAIL("%s: unknown field '%.100s'%s%s%s", where, key,
                        hint ? " (did you mean '" : "", hint ? hint : "", hint ? "'?)" : "");
        }
    }
    return 0;
}

/* "epoch": the input's wall-clock origin, ISO 8601 text or epoch seconds. */
static int parse_epoch(EvclipSource *src, json_t *obj, const char *where, char *err,
                       size_t errlen)
{
    json_t *v = json_object_get(obj, "epoch");
    char text[64];
    if (!v || json_is_null(v))
        return 0;
    if (json_is_number(v))
        snprintf(text, sizeof(text), "%.17g", json_number_value(v));
    else if (!json_is_string(v))
        return FAIL("%s: field 'epoch': expected ISO 8601 text or epoch seconds", where);
    if (evclip_parse_wallclock(json_is_string(v) ? json_string_value(v) : text, &src->epoch) < 0)
        return FAIL("%s: field %s", where, evclip_last_error());
    src->epoch_known = 1;
    src->epoch_origin = EVCLIP_EPOCH_OPTION;
    return 0;
}

/* ts_origin, stream, fps and epoch of one input. */
static int parse_input_options(EvclipSource *src, json_t *obj, const char *where, char *err,
                               size_t errlen)
{
    if (parse_epoch(src, obj, where, err, errlen) < 0)
        return -1;
    const char *origin = NULL;
    double stream = -1, fps = 0;
    if (get_string(obj, "ts_origin", &origin, where, err, errlen) < 0 ||
        get_number(obj, "stream", &stream, where, err, errlen) < 0 ||
        get_number(obj, "fps", &fps, where, err, errlen) < 0)
        return -1;
    if (origin && (src->ts_origin = spec_parse_ts_origin(origin)) < 0)
        return FAIL("%s: field 'ts_origin': '%s' is not start or pts", where, origin);
    if (json_object_get(obj, "stream") && (stream != floor(stream) || stream < 0 ||
                                           stream > 1000))
        return FAIL("%s: field 'stream': expected a video stream number 0..1000", where);
    src->stream = stream >= 0 ? (int)stream + 1 : 0;
    if (json_object_get(obj, "fps") && !(fps >= 0.01 && fps <= 1000))
        return FAIL("%s: field 'fps': expected a frame rate in 0.01..1000", where);
    src->fps = fps;
    return 0;
}

static int parse_source(ClipSpec *spec, EvclipSource *src, json_t *obj, const char *where,
                        const char *base, LogCache *cache, char *err, size_t errlen,
                        const char *from_key, const char *to_key)
{
    const char *dets = NULL;
    src->start = src->end = NAN;
    if (get_path(spec, obj, "input", base, &src->path, where, err, errlen) < 0 ||
        get_path(spec, obj, "detections", base, &dets, where, err, errlen) < 0 ||
        get_time(obj, from_key, &src->start, where, err, errlen) < 0 ||
        get_time(obj, to_key, &src->end, where, err, errlen) < 0)
        return -1;
    if (parse_input_options(src, obj, where, err, errlen) < 0)
        return -1;
    if (!src->path)
        return FAIL("%s: field 'input' is required", where);
    if (isnan(src->start))
        return FAIL("%s: field '%s' is required", where, from_key);
    if (isnan(src->end)) {
        src->end = INFINITY; /* to the end of the input, as without --end */
        spec->to_end = 1;
    }
    if (dets) {
        EvclipDetections *d = NULL;
        int ret = log_cache_get(cache, dets, &d);
        if (ret < 0) {
            snprintf(err, errlen, "%s: field 'detections': %s", where, evclip_last_error());
            return ret;
        }
        src->detections = d;
    }
    return 0;
}

static int parse_sources(ClipSpec *spec, json_t *obj, const char *where, const char *base,
                         LogCache *cache, char *err, size_t errlen)
{
    json_t *list = json_object_get(obj, "sources");
    char sub[256];
    int ret;
    if (!list) {
        if (!(spec->sources = calloc(1, sizeof(*spec->sources))))
            return FAIL("out of memory");
        spec->clip.nb_sources = 1;
        return parse_source(spec, spec->sources, obj, where, base, cache, err, errlen, "start",
                            "end");
    }
    if (json_object_get(obj, "input") || json_object_get(obj, "start"))
        return FAIL("%s: give either 'sources' or 'input'/'start'/'end', not both", where);
    if (json_object_get(obj, "epoch"))
        return FAIL("%s: field 'epoch': each input has its own origin: give \"epoch\" in its "
                    "'sources' entry", where);
    if (!json_is_array(list) || json_array_size(list) == 0)
        return FAIL("%s: field 'sources': expected a non-empty array", where);
    size_t n = json_array_size(list);
    if (!(spec->sources = calloc(n, sizeof(*spec->sources))))
        return FAIL("out of memory");
    spec->clip.nb_sources = (int)n;
    for (size_t i = 0; i < n; i++) {
        json_t *item = json_array_get(list, i);
        snprintf(sub, sizeof(sub), "%s: sources[%zu]", where, i);
        if (!json_is_object(item))
            return FAIL("%s: expected an object", sub);
        if ((ret = check_keys(item, source_keys, sub, err, errlen)) < 0 ||
            (ret = parse_source(spec, &spec->sources[i], item, sub, base, cache, err, errlen,
                                "from", "to")) < 0)
            return ret;
    }
    return 0;
}

/* Keeps a malloc'ed string with the spec (freed by spec_free). */
static int own(ClipSpec *spec, char *text)
{
    char **paths = text ? realloc(spec->paths, (size_t)(spec->nb_paths + 1) * sizeof(*paths))
                        : NULL;
    if (!paths) {
        free(text);
        return -1;
    }
    spec->paths = paths;
    paths[spec->nb_paths++] = text;
    return 0;
}

/* "style": an object (the style itself) or a path to a style file. */
static int get_style(ClipSpec *spec, json_t *obj, const char *base, const char **out,
                     const char *where, char *err, size_t errlen)
{
    json_t *v = json_object_get(obj, "style");
    const char *file = NULL;
    char *text = NULL, msg[4200];
    if (!v)
        return 0;
    if (json_is_object(v)) {
        if (own(spec, json_dumps(v, JSON_COMPACT)) < 0)
            return FAIL("out of memory");
    } else if (json_is_string(v)) {
        if (get_path(spec, obj, "style", base, &file, where, err, errlen) < 0)
            return -1;
        if (cli_read_style(file, &text, msg, sizeof(msg)) < 0)
            return FAIL("%s: field 'style': %s", where, msg);
        if (own(spec, text) < 0)
            return FAIL("out of memory");
    } else {
        return FAIL("%s: field 'style': expected an object or a style file path", where);
    }
    *out = spec->paths[spec->nb_paths - 1];
    return 0;
}

/* "redact": a selector or an array of them (replacing the command line's), "redact_mode",
 * "redact_pad", "redact_label", "redact_detections" (a path, resolved as the others),
 * "interpolate" (seconds); checked
 * by parse_settings' evclip_settings_validate. */
static int parse_redact(ClipSpec *spec, json_t *obj, const char *where, const char *base,
                        char *err, size_t errlen)
{
    static const char *const keys[] = { "redact", "redact_mode", "redact_pad", "redact_label",
                                        "redact_detections", "interpolate", "style", "tz" };
    CliRedact *r = &spec->redact;
    const char *mode = NULL;
    double pad, gap;
    int any = 0;
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        any |= json_object_get(obj, keys[i]) != NULL;
    if (!any)
        return 0;
    cli_redact_copy(r, spec->settings.draw_options);
    r->used = 1;
    pad = r->opts.redact_pad;
    gap = r->opts.interpolate;
    json_t *sel = json_object_get(obj, "redact"), *v;
    size_t i;
    if (sel) {
        r->opts.nb_redact = 0;
        if (json_is_string(sel) && cli_redact_add(r, json_string_value(sel)) < 0)
            return -1; /* not reached: one selector */
        if (!json_is_string(sel) && !json_is_array(sel))
            return FAIL("%s: field 'redact': expected a selector string or an array of them",
                        where);
        json_array_foreach(sel, i, v) {
            if (!json_is_string(v))
                return FAIL("%s: field 'redact'[%zu]: expected a selector string", where, i);
            if (cli_redact_add(r, json_string_value(v)) < 0)
                return FAIL("%s: field 'redact': more than %d selectors", where,
                            EVCLIP_REDACT_MAX_SELECTORS);
        }
    }
    if (get_string(obj, "redact_mode", &mode, where, err, errlen) < 0 ||
        get_number(obj, "redact_pad", &pad, where, err, errlen) < 0 ||
        get_number(obj, "interpolate", &gap, where, err, errlen) < 0 ||
        get_string(obj, "redact_label", &r->opts.redact_label, where, err, errlen) < 0 ||
        get_string(obj, "tz", &r->opts.timezone, where, err, errlen) < 0 ||
        get_path(spec, obj, "redact_detections", base, &r->opts.redact_detections, where, err,
                 errlen) < 0)
        return -1;
    if (get_style(spec, obj, base, &r->opts.style, where, err, errlen) < 0)
        return -1;
    if (mode && (r->opts.redact_mode = cli_redact_parse_mode(mode)) < 0)
        return FAIL("%s: field 'redact_mode': '%s' is not pixelate, blur or fill", where, mode);
    if (!(pad >= 0 && pad <= 1000 && pad == floor(pad)))
        return FAIL("%s: field 'redact_pad': expected pixels, an integer in 0..1000", where);
    r->opts.redact_pad = (int)pad;
    r->opts.interpolate = gap; /* range: evclip_settings_validate */
    spec->settings.draw_options = &r->opts;
    return 0;
}

static int parse_settings(ClipSpec *spec, json_t *obj, const char *where, char *err,
                          size_t errlen)
{
    EvclipSettings *s = &spec->settings;
    double crf = s->crf, bitrate = (double)s->bitrate, hold = s->hold * 1000;
    double thickness = s->thickness, font_size = s->font_size, label_max = s->label_max;
    const char *box_space = NULL;
    if (get_string(obj, "encoder", &s->encoder, where, err, errlen) < 0 ||
        get_string(obj, "preset", &s->preset, where, err, errlen) < 0 ||
        get_string(obj, "title", &s->title, where, err, errlen) < 0 ||
        get_string(obj, "font", &s->font, where, err, errlen) < 0 ||
        get_number(obj, "crf", &crf, where, err, errlen) < 0 ||
        get_number(obj, "bitrate", &bitrate, where, err, errlen) < 0 ||
        get_number(obj, "hold", &hold, where, err, errlen) < 0 ||
        get_number(obj, "thickness", &thickness, where, err, errlen) < 0 ||
        get_number(obj, "font_size", &font_size, where, err, errlen) < 0 ||
        get_number(obj, "label_max", &label_max, where, err, errlen) < 0 ||
        get_bool(obj, "timestamp", &s->timestamp, where, err, errlen) < 0 ||
        get_bool(obj, "audio", &s->audio, where, err, errlen) < 0 ||
        get_bool(obj, "overwrite", &s->overwrite, where, err, errlen) < 0 ||
        get_bool(obj, "clamp", &s->clamp, where, err, errlen) < 0 ||
        get_bool(obj, "manifest", &s->manifest, where, err, errlen) < 0 ||
        get_bool(obj, "poster", &s->poster, where, err, errlen) < 0 ||
        get_bool(obj, "native", &s->native, where, err, errlen) < 0 ||
        get_string(obj, "box_space", &box_space, where, err, errlen) < 0)
        return -1;
    if (box_space && (s->box_space = spec_parse_box_space(box_space)) < 0)
        return FAIL("%s: field 'box_space': '%s' is not display or stored", where, box_space);
    if (crf != floor(crf) || thickness != floor(thickness) || font_size != floor(font_size) ||
        label_max != floor(label_max))
        return FAIL("%s: 'crf', 'thickness', 'font_size' and 'label_max' must be integers",
                    where);
    /* C-representable before the conversions (a huge double is undefined behaviour there);
     * the ranges themselves are the library's (evclip_settings_validate below). */
    if (!(fabs(bitrate) <= 1e15) || !(fabs(thickness) <= INT_MAX) || !(fabs(crf) <= INT_MAX) ||
        !(fabs(font_size) <= INT_MAX) || !(fabs(label_max) <= INT_MAX) ||
        !(fabs(hold) <= 1e12))
        return FAIL("%s: 'bitrate', 'crf', 'hold', 'thickness', 'font_size' or 'label_max' is "
                    "out of range", where);
    s->crf = (int)crf;
    s->bitrate = (int64_t)bitrate;
    s->hold = hold / 1000.0;
    s->thickness = (int)thickness;
    s->font_size = (int)font_size;
    s->label_max = (int)label_max;
    if (evclip_settings_validate(s) < 0)
        return FAIL("%s: %s", where, evclip_last_error());
    return 0;
}

static int parse_clip_fields(ClipSpec *spec, json_t *obj, const char *where, const char *base,
                             char *err, size_t errlen)
{
    EvclipClip *c = &spec->clip;
    const char *strategy = NULL, *size = NULL;
    int mkdirs = -1;
    if (get_path(spec, obj, "output", base, &c->output, where, err, errlen) < 0 ||
        get_time(obj, "pre", &c->pre_roll, where, err, errlen) < 0 ||
        get_time(obj, "post", &c->post_roll, where, err, errlen) < 0 ||
        get_number(obj, "speed", &c->speed, where, err, errlen) < 0 ||
        get_time(obj, "max_duration", &c->max_duration, where, err, errlen) < 0 ||
        get_string(obj, "cap_strategy", &strategy, where, err, errlen) < 0 ||
        get_string(obj, "size", &size, where, err, errlen) < 0 ||
        get_bool(obj, "mkdirs", &mkdirs, where, err, errlen) < 0)
        return -1;
    spec->mkdirs = mkdirs;
    if (!c->output)
        return FAIL("%s: field 'output' is required", where);
    if (json_object_get(obj, "speed") && !(c->speed > 0))
        return FAIL("%s: field 'speed': must be > 0", where);
    if (json_object_get(obj, "max_duration") && !(c->max_duration > 0))
        return FAIL("%s: field 'max_duration': must be > 0", where);
    if (strategy && (c->cap_strategy = spec_parse_strategy(strategy)) < 0)
        return FAIL("%s: field 'cap_strategy': '%s' is not timelapse or framedrop", where,
                    strategy);
    if (size && spec_parse_size(size, &c->width, &c->height) < 0)
        return FAIL("%s: field 'size': '%s' is not WxH with even sizes", where, size);
    return 0;
}

int spec_parse(ClipSpec *spec, json_t *obj, const char *where, const char *base_dir,
               const EvclipSettings *defaults, LogCache *cache, char *err, size_t errlen)
{
    int ret;
    memset(spec, 0, sizeof(*spec));
    spec->settings = *defaults;
    spec->mkdirs = -1;
    if (!json_is_object(obj))
        return FAIL("%s: expected a JSON object", where);
    json_t *extra = json_object_get(obj, "extra");
    if (extra && !json_is_object(extra))
        return FAIL("%s: field 'extra': expected an object (free-form, not rendered)", where);
    if ((ret = check_keys(obj, clip_keys, where, err, errlen)) < 0 ||
        (ret = parse_clip_fields(spec, obj, where, base_dir, err, errlen)) < 0 ||
        (ret = parse_redact(spec, obj, where, base_dir, err, errlen)) < 0 ||
        (ret = parse_settings(spec, obj, where, err, errlen)) < 0 ||
        (ret = parse_sources(spec, obj, where, base_dir, cache, err, errlen)) < 0)
        return ret;
    spec->clip.sources = spec->sources;
    spec->clip.settings = &spec->settings;
    return 0;
}

void spec_free(ClipSpec *spec)
{
    for (int i = 0; i < spec->nb_paths; i++)
        free(spec->paths[i]);
    free(spec->paths);
    free(spec->sources);
    memset(spec, 0, sizeof(*spec));
}

static _Thread_local char spec_error[1024];

int cli_spec_error(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(spec_error, sizeof(spec_error), fmt, ap);
    va_end(ap);
    return code;
}

const char *cli_spec_last_error(void)
{
    return spec_error;
}
