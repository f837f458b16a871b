/* style.c: custom box styles (EvclipDrawOptions.style): per label / track colour, thickness,
 * chip on/off, chip template and position, corners-only boxes, fill, legend. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "src/color.h"
#include "src/detections.h"
#include "src/error.h"
#include "src/style.h"

#define MAX_RULES 4096

/* A rule as written: every field may be unset (inherit). */
typedef struct Rule {
    int has_color;
    uint8_t rgb[3];
    int thickness;     /* 0 = unset */
    int chip;          /* -1 = unset */
    char *template;
    int position;      /* -1 = unset */
    int corners;       /* -1 = unset */
    int fill_alpha;    /* -1 = unset */
} Rule;

struct Style {
    Rule def;
    char **labels;
    Rule *label_rules;
    int nb_labels;
    int64_t *tracks;
    Rule *track_rules;
    int nb_tracks;
    int legend;
};

#define FAIL(...) ev_error(EVCLIP_ERR_INVALID, __VA_ARGS__)

/* ---- templates --------------------------------------------------------------------------- */

typedef struct Out {
    char *buf;
    size_t size, len;
    size_t mark;  /* length before the literal text preceding the current field */
} Out;

static void put(Out *o, const char *s, size_t n)
{
    for (size_t i = 0; i < n && o->buf && o->len + 1 < o->size; i++)
        o->buf[o->len++] = s[i];
    if (o->buf && o->size)
        o->buf[o->len] = 0;
}

/* Writes v with `digits` decimals (-1: 2), as a percentage when `percent`; integer arithmetic,
 * as "%f" would follow the caller's LC_NUMERIC. */
static void put_number(Out *o, double v, int digits, int percent)
{
    char tmp[64];
    int n = digits < 0 ? 2 : digits;
    const char *sign = v < 0 ? "-" : "";
    double scale = pow(10, n), a = (percent ? fabs(v) * 100 : fabs(v)) * scale + 0.5;
    long long q = a < 1e15 ? (long long)a : (long long)1e15, p = (long long)scale;
    if (q == 0)
        sign = "";
    if (n)
        snprintf(tmp, sizeof(tmp), "%s%lld.%0*lld%s", sign, q / p, n, q % p, percent ? "%" : "");
    else
        snprintf(tmp, sizeof(tmp), "%s%lld%s", sign, q, percent ? "%" : "");
    put(o, tmp, strlen(tmp));
}

/* The value of {extra[key]} (key: klen bytes) from d's extra object: a string as it is, an
 * integer as is ("d" or no spec), a number with .Nf / .N% like score (a real without spec:
 * its shortest round-trip form); 0 when d lacks the key or its value is of another type. */
static int extra_field(const char *key, size_t klen, const char *spec, int digits, int percent,
                       const EvclipDetection *d, Out *o)
{
    const char *text = d ? detection_extra(d) : NULL;
    if (!text)
        return 0;
    json_t *obj = json_loads(text, 0, NULL), *v;
    char name[256], tmp[64];
    snprintf(name, sizeof(name), "%.*s", (int)klen, key);
    int ret = 1;
    v = json_object_get(obj, name);
    if (json_is_string(v) && !spec) {
        put(o, json_string_value(v), json_string_length(v));
    } else if (json_is_integer(v) && (!spec || spec[0] == 'd')) {
        snprintf(tmp, sizeof(tmp), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        put(o, tmp, strlen(tmp));
    } else if (json_is_number(v) && spec && spec[0] == '.') {
        put_number(o, json_number_value(v), digits, percent);
    } else if (json_is_real(v) && !spec) {
        double x = json_real_value(v);
        for (int p = 1; p <= 17; p++) { /* Python's str(float) for usual values */
            snprintf(tmp, sizeof(tmp), "%.*g", p, x);
            for (char *c = tmp; *c; c++)
                *c = *c == ',' ? '.' : *c; /* a comma LC_NUMERIC */
            if (strtod(tmp, NULL) == x || p == 17)
                break;
        }
        if (!strpbrk(tmp, ".en"))
            strcat(tmp, ".0");
        put(o, tmp, strlen(tmp));
    } else {
        ret = 0;
    }
    json_decref(obj);
    return ret;
}

/* Formats one field "{name[:spec]}" (name and spec as given); 1 when written, 0 when d lacks
 * it, -1 on a bad field (err set). */
static int field(const char *name, size_t nlen, const char *spec, const EvclipDetection *d,
                 Out *o, char *err, size_t errlen)
{
    char tmp[64];
    int digits = -1, percent = 0;
    if (spec) {
        size_t sl = strlen(spec);
        if (sl >= 3 && spec[0] == '.' && spec[1] >= '0' && spec[1] <= '6' &&
            (spec[2] == 'f' || spec[2] == '%') && sl == 3) {
            digits = spec[1] - '0';
            percent = spec[2] == '%';
        } else if (!(sl == 1 && spec[0] == 'd')) {
            snprintf(err, errlen, "format ':%s' of field '%.*s' is not .Nf, .N%% (N 0..6) or d",
                     spec, (int)nlen, name);
            return -1;
        }
    }
    if (nlen == 5 && !strncmp(name, "label", 5) && !spec) {
        if (d)
            put(o, d->label ? d->label : "", strlen(d->label ? d->label : ""));
        return 1;
    }
    if (nlen == 8 && !strncmp(name, "track_id", 8) && (!spec || spec[0] == 'd')) {
        if (!d || d->track_id < 0)
            return d ? 0 : 1;
        snprintf(tmp, sizeof(tmp), "%" PRId64, d->track_id);
        put(o, tmp, strlen(tmp));
        return 1;
    }
    if (nlen == 5 && !strncmp(name, "score", 5) && (!spec || spec[0] == '.')) {
        if (!d || !(d->score >= 0) || !isfinite(d->score))
            return d ? 0 : 1;
        put_number(o, d->score, digits, percent);
        return 1;
    }
    if (nlen > 7 && !strncmp(name, "extra[", 6) && name[nlen - 1] == ']' &&
        !memchr(name + 6, '[', nlen - 7) && !memchr(name + 6, ']', nlen - 7))
        return d ? extra_field(name + 6, nlen - 7, spec, digits, percent, d, o) : 1;
    snprintf(err, errlen, "unknown field '%.*s%s%s' (fields: label, track_id, score, extra[KEY])",
             (int)nlen, name, spec ? ":" : "", spec ? spec : "");
    return -1;
}

int style_format(const char *t, const EvclipDetection *d, char *buf, size_t size, char *err,
                 size_t errlen)
{
    Out o = { buf, size, 0, 0 };
    if (buf && size)
        buf[0] = 0;
    for (size_t i = 0; t[i];) {
        if ((t[i] == '{' && t[i + 1] == '{') || (t[i] == '}' && t[i + 1] == '}')) {
            put(&o, t + i, 1);
            i += 2;
            continue;
        }
        if (t[i] == '}') {
            snprintf(err, errlen, "single '}' at column %zu (write '}}')", i + 1);
            return -1;
        }
        if (t[i] != '{') {
            put(&o, t + i++, 1);
            continue;
        }
        const char *close = strchr(t + i, '}');
        if (!close) {
            snprintf(err, errlen, "'{' at column %zu is not closed", i + 1);
            return -1;
        }
        char inner[256], *colon;
        size_t n = (size_t)(close - t - i - 1);
        if (n >= sizeof(inner)) {
            snprintf(err, errlen, "field at column %zu is longer than %zu characters", i + 1,
                     sizeof(inner) - 1);
            return -1;
        }
        snprintf(inner, sizeof(inner), "%.*s", (int)n, t + i + 1);
        colon = strchr(inner, ':');
        if (colon)
            *colon = 0;
        int ret = field(inner, strlen(inner), colon ? colon + 1 : NULL, d, &o, err, errlen);
        if (ret < 0)
            return -1;
        if (ret == 0) { /* absent: drop the literal text written since the previous field */
            o.len = o.mark;
            if (buf && size)
                buf[o.len < size ? o.len : size - 1] = 0;
        }
        i = (size_t)(close - t) + 1;
        o.mark = o.len;
    }
    return 0;
}

/* ---- parsing ----------------------------------------------------------------------------- */

static int parse_color(json_t *v, Rule *r, const char *where)
{
    if (json_is_string(v)) {
        uint8_t bgr[3];
        if (color_parse(json_string_value(v), bgr) < 0)
            return FAIL("style: %s.color: '%s' is not #rrggbb or a CSS colour name", where,
                        json_string_value(v));
        r->rgb[0] = bgr[2], r->rgb[1] = bgr[1], r->rgb[2] = bgr[0];
    } else if (json_is_array(v) && json_array_size(v) == 3) {
        for (int i = 0; i < 3; i++) {
            json_t *c = json_array_get(v, (size_t)i);
            if (!json_is_integer(c) || json_integer_value(c) < 0 || json_integer_value(c) > 255)
                return FAIL("style: %s.color[%d]: expected an integer 0..255", where, i);
            r->rgb[2 - i] = (uint8_t)json_integer_value(c); /* given as B, G, R */
        }
    } else {
        return FAIL("style: %s.color: expected \"#rrggbb\", a CSS colour name or [B, G, R]",
                    where);
    }
    r->has_color = 1;
    return 0;
}

static int parse_bool(json_t *v, int *out, const char *where, const char *key)
{
    if (!json_is_boolean(v))
        return FAIL("style: %s.%s: expected true or false", where, key);
    *out = json_is_true(v);
    return 0;
}

static int parse_field(const char *key, json_t *v, Rule *r, const char *where)
{
    if (!strcmp(key, "color"))
        return parse_color(v, r, where);
    if (!strcmp(key, "thickness")) {
        if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 256)
            return FAIL("style: %s.thickness: expected an integer 1..256", where);
        r->thickness = (int)json_integer_value(v);
        return 0;
    }
    if (!strcmp(key, "chip"))
        return parse_bool(v, &r->chip, where, key);
    if (!strcmp(key, "corners"))
        return parse_bool(v, &r->corners, where, key);
    if (!strcmp(key, "fill_alpha")) {
        if (!json_is_number(v) || !(json_number_value(v) >= 0 && json_number_value(v) <= 1))
            return FAIL("style: %s.fill_alpha: expected a number 0..1", where);
        r->fill_alpha = (int)lround(json_number_value(v) * 255);
        return 0;
    }
    if (!strcmp(key, "chip_position")) {
        static const char *const names[] = { "above", "inside", "below" };
        for (int i = 0; json_is_string(v) && i < 3; i++)
            if (!strcmp(json_string_value(v), names[i])) {
                r->position = i;
                return 0;
            }
        return FAIL("style: %s.chip_position: expected \"above\", \"inside\" or \"below\"",
                    where);
    }
    if (!strcmp(key, "template")) {
        char err[256];
        if (!json_is_string(v))
            return FAIL("style: %s.template: expected a string", where);
        if (style_format(json_string_value(v), NULL, NULL, 0, err, sizeof(err)) < 0)
            return FAIL("style: %s.template: %s", where, err);
        if (!(r->template = strdup(json_string_value(v))))
            return ev_error(EVCLIP_ERR_NOMEM, "out of memory (style)");
        return 0;
    }
    return FAIL("style: %s: unknown key '%s' (color, thickness, chip, template, "
                "chip_position, corners, fill_alpha)", where, key);
}

static int parse_rule(json_t *obj, Rule *r, const char *where)
{
    const char *key;
    json_t *v;
    *r = (Rule){ .chip = -1, .position = -1, .corners = -1, .fill_alpha = -1 };
    if (!json_is_object(obj))
        return FAIL("style: %s: expected an object", where);
    json_object_foreach(obj, key, v) {
        int ret = parse_field(key, v, r, where);
        if (ret < 0)
            return ret;
    }
    return 0;
}

/* Parses the "labels" or "tracks" object into n rules (names or ids). */
static int parse_map(json_t *obj, const char *what, Rule **rules, int *n, char ***names,
                     int64_t **ids)
{
    char where[300];
    const char *key;
    json_t *v;
    if (!json_is_object(obj))
        return FAIL("style: %s: expected an object", what);
    size_t count = json_object_size(obj);
    if (count > MAX_RULES)
        return FAIL("style: %s: %zu entries (at most %d)", what, count, MAX_RULES);
    *rules = calloc(count ? count : 1, sizeof(**rules));
    if (names)
        *names = calloc(count ? count : 1, sizeof(**names));
    if (ids)
        *ids = calloc(count ? count : 1, sizeof(**ids));
    if (!*rules || (names && !*names) || (ids && !*ids))
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory (style)");
    json_object_foreach(obj, key, v) {
        snprintf(where, sizeof(where), "%s.%.200s", what, key);
        if (ids) {
            char *end;
            long long id = strtoll(key, &end, 10);
            if (!*key || *end || id < 0)
                return FAIL("style: %s: '%s' is not a track id (an integer >= 0)", what, key);
            (*ids)[*n] = id;
        } else if (!((*names)[*n] = strdup(key))) {
            return ev_error(EVCLIP_ERR_NOMEM, "out of memory (style)");
        }
        int ret = parse_rule(v, &(*rules)[(*n)++], where);
        if (ret < 0)
            return ret;
    }
    return 0;
}

static int parse_legend(json_t *v, Style *s)
{
    static const char *const names[] = { "top-left", "top-right", "bottom-left",
                                         "bottom-right" };
    if (json_is_false(v))
        return 0;
    for (int i = 0; json_is_string(v) && i < 4; i++)
        if (!strcmp(json_string_value(v), names[i])) {
            s->legend = STYLE_LEGEND_TOP_LEFT + i;
            return 0;
        }
    return FAIL("style: legend: expected false, \"top-left\", \"top-right\", \"bottom-left\" "
                "or \"bottom-right\"");
}

static int parse_style(Style *s, json_t *root)
{
    const char *key;
    json_t *v;
    int ret = 0;
    s->def = (Rule){ .chip = -1, .position = -1, .corners = -1, .fill_alpha = -1 };
    if (!json_is_object(root))
        return FAIL("style: expected a JSON object");
    json_object_foreach(root, key, v) {
        if (!strcmp(key, "default"))
            ret = parse_rule(v, &s->def, "default");
        else if (!strcmp(key, "labels"))
            ret = parse_map(v, "labels", &s->label_rules, &s->nb_labels, &s->labels, NULL);
        else if (!strcmp(key, "tracks"))
            ret = parse_map(v, "tracks", &s->track_rules, &s->nb_tracks, NULL, &s->tracks);
        else if (!strcmp(key, "legend"))
            ret = parse_legend(v, s);
        else
            ret = FAIL("style: unknown key '%s' (default, labels, tracks, legend)", key);
        if (ret < 0)
            return ret;
    }
    return 0;
}

int style_parse(Style **out, const char *text)
{
    json_error_t jerr;
    *out = NULL;
    if (!text)
        return FAIL("style: NULL");
    json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return FAIL("style: line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
    Style *s = calloc(1, sizeof(*s));
    int ret = s ? parse_style(s, root) : ev_error(EVCLIP_ERR_NOMEM, "out of memory (style)");
    json_decref(root);
    if (ret < 0) {
        style_free(&s);
        return ret;
    }
    *out = s;
    return 0;
}

void style_free(Style **ps)
{
    if (!ps || !*ps)
        return;
    Style *s = *ps;
    free(s->def.template);
    for (int i = 0; i < s->nb_labels; i++) {
        free(s->labels[i]);
        free(s->label_rules[i].template);
    }
    for (int i = 0; i < s->nb_tracks; i++)
        free(s->track_rules[i].template);
    free(s->labels);
    free(s->label_rules);
    free(s->tracks);
    free(s->track_rules);
    free(s);
    *ps = NULL;
}

/* ---- resolution -------------------------------------------------------------------------- */

/* Fields set in r replace those of out. */
static void apply(const Rule *r, BoxStyle *out)
{
    if (r->has_color) {
        out->has_color = 1;
        memcpy(out->rgb, r->rgb, 3);
    }
    if (r->thickness)
        out->thickness = r->thickness;
    if (r->chip >= 0)
        out->chip = r->chip;
    if (r->template)
        out->template = r->template;
    if (r->position >= 0)
        out->position = r->position;
    if (r->corners >= 0)
        out->corners = r->corners;
    if (r->fill_alpha >= 0)
        out->fill_alpha = r->fill_alpha;
}

void style_resolve(const Style *s, const EvclipDetection *d, BoxStyle *out)
{
    *out = (BoxStyle){ .chip = 1, .position = STYLE_ABOVE };
    if (!s)
        return;
    apply(&s->def, out);
    for (int i = 0; i < s->nb_labels; i++)
        if (d->label && !strcmp(s->labels[i], d->label))
            apply(&s->label_rules[i], out);
    for (int i = 0; i < s->nb_tracks; i++)
        if (d->track_id >= 0 && s->tracks[i] == d->track_id)
            apply(&s->track_rules[i], out);
}

int style_legend(const Style *s)
{
    return s ? s->legend : STYLE_LEGEND_NONE;
}
