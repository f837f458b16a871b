/* manifest.c: builds a clip's evidence manifest (sources, logs, settings, drawing), writes it. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "src/detections.h"
#include "src/error.h"
#include "src/manifest_internal.h"
#include "src/orient.h"
#include "src/overlay.h"
#include "src/native.h"
#include "src/poster.h"
#include "src/redact.h"
#include "src/wallclock.h"

#define FILE_FLAGS (JSON_SORT_KEYS | JSON_INDENT(2) | JSON_REAL_PRECISION(15))

/* Reals rounded so the canonical form is reproducible (see manifest.h). */
static json_t *real(double x)
{
    if (!isfinite(x))
        return json_null();
    double r = round(x * 1e6) / 1e6;
    return json_real(fabs(r) < 1e-4 ? 0.0 : r);
}

json_t *manifest_real(double x)
{
    return real(x);
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *abs_path(const char *path)
{
    char *p = realpath(path, NULL);
    json_t *j = p ? json_string(p) : json_null();
    free(p);
    return j;
}

/* {path, absolute_path, size, sha256} of a file; size and sha256 null for non-files (URLs).
 * `digest`: the hash taken while rendering (NULL or not hashed: hash the file by path). */
static int file_json(const char *path, const SourceDigest *digest, json_t **out)
{
    struct stat st;
    char hex[65];
    int64_t size = 0;
    *out = NULL;
    int given = digest && digest->hashed;
    int regular = given || (stat(path, &st) == 0 && S_ISREG(st.st_mode));
    if (!regular && strstr(path, "://") == NULL)
        return ev_error(EVCLIP_ERR_INPUT, "cannot hash '%s': not a readable file", path);
    int ret = regular && !given ? manifest_hash_source(path, hex, &size) : 0;
    if (ret < 0)
        return ret;
    if (given) {
        memcpy(hex, digest->sha256, sizeof(hex));
        size = digest->size;
    }
    *out = json_pack("{s:s, s:o, s:o, s:o}", "path", path, "absolute_path",
                     regular ? abs_path(path) : json_null(),
                     "size", regular ? json_integer(size) : json_null(),
                     "sha256", regular ? json_string(hex) : json_null());
    return *out ? 0 : ev_error(EVCLIP_ERR_NOMEM, "out of memory (manifest)");
}

/* A log edited or replaced since it was loaded (e.g. a detector still appending to it)
 * cannot be hashed as it was read: the render fails (DETECTIONS) rather than certify a hash
 * of bytes that were not drawn, or no hash at all. */
static int logs_json(const EvclipDetections *d, json_t *logs)
{
    int n = 0;
    const DetectionsFile *files = d ? detections_files(d, &n) : NULL;
    for (int i = 0; i < n; i++) {
        struct stat st;
        json_t *f;
        if (stat(files[i].path, &st) < 0 || (int64_t)st.st_size != files[i].size ||
            mtime_ns(&st) != files[i].mtime_ns || (int64_t)st.st_dev != files[i].dev ||
            (int64_t)st.st_ino != files[i].ino)
            return ev_error(EVCLIP_ERR_DETECTIONS, "detection log '%s' changed (modified, "
                            "replaced or removed) after it was loaded: its hash would not "
                            "certify the boxes drawn; no clip is written", files[i].path);
        int ret = file_json(files[i].path, NULL, &f);
        if (ret < 0)
            return ret;
        json_array_append_new(logs, f);
    }
    return 0;
}

/* An epoch and its UTC text ({"name": x, "name_utc": "...Z"}) set on obj, or nulls. */
static void set_wall(json_t *obj, const char *name, int known, double epoch)
{
    char iso[40] = "", key[64];
    known = known && isfinite(epoch);
    if (known)
        wallclock_iso_utc(epoch, iso, sizeof(iso));
    snprintf(key, sizeof(key), "%s_utc", name);
    json_object_set_new(obj, name, known ? real(epoch) : json_null());
    json_object_set_new(obj, key, known ? json_string(iso) : json_null());
}

/* A source's wall-clock origin, where it came from, and its window on the wall clock. */
static json_t *source_wall_json(const EvclipSource *src, const SourceDigest *d)
{
    int known = d && d->epoch_known;
    json_t *w = json_object();
    if (!w)
        return NULL;
    json_object_set_new(w, "epoch_source", known ? json_string(wallclock_origin_name(
                        d->epoch_origin)) : json_null());
    set_wall(w, "epoch", known, known ? d->epoch : 0);
    set_wall(w, "start", known, known ? d->epoch + src->start : 0);
    set_wall(w, "end", known && isfinite(src->end), known ? d->epoch + src->end : 0);
    return w;
}

/* The clip's wall-clock window: first and last frame (null when their origin is unknown; a
 * live clip's is its stream clock), and the zone of its drawn timestamps. */
static json_t *clip_wall_json(const ManifestInfo *info)
{
    const SourceDigest *d = info->digests;
    const EvclipDrawOptions *o = info->settings->draw_options;
    const ManifestLive *lv = info->live;
    int n = info->clip->nb_sources;
    int first = lv || (d && d[0].epoch_known), last = lv || (d && d[n - 1].epoch_known);
    int drawn = info->settings->timestamp && !(lv && lv->native_only);
    json_t *w = json_object();
    if (!w)
        return NULL;
    set_wall(w, "first_frame", first, lv ? lv->first_frame
                                         : first ? d[0].epoch + info->result->first_time : 0);
    set_wall(w, "last_frame", last, lv ? lv->last_frame
                                       : last ? d[n - 1].epoch + info->result->last_time : 0);
    json_object_set_new(w, "timezone", json_string(o && o->timezone ? o->timezone : "UTC"));
    json_object_set_new(w, "timestamp", !drawn ? json_null() :
                        json_string(first && last ? "wallclock" : !first && !last ? "source"
                                    : "mixed"));
    return w;
}

static int source_json(const EvclipSource *src, int index, const SourceDigest *digest,
                       json_t **out, const Logger *log)
{
    json_t *s = NULL, *logs = json_array();
    char hex[65];
    EvclipDetectionStats stats = { 0, 0 };
    int ret = logs ? file_json(src->path, digest, &s)
                   : ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    if (ret == 0)
        ret = logs_json(src->detections, logs);
    if (ret < 0) {
        json_decref(s);
        json_decref(logs);
        return ret;
    }
    evclip_detections_get_stats(src->detections, &stats);
    manifest_hash_detections(src->detections, hex);
    json_object_set_new(s, "index", json_integer(index));
    json_object_set_new(s, "window", json_pack("{s:o, s:o}", "start", real(src->start),
                                               "end", real(src->end)));
    json_object_set_new(s, "detections", json_pack("{s:I, s:s, s:o}", "count",
                        (json_int_t)stats.count, "sha256_canonical", hex, "logs", logs));
    int rotation = 0, mirror = 0;
    if (digest)
        orient_describe(digest->orient, &rotation, &mirror);
    json_object_set_new(s, "display", json_pack("{s:b, s:i, s:b}", "matrix",
                        digest && digest->display_matrix, "rotation", rotation, "mirror",
                        mirror));
    json_object_set_new(s, "damaged_packets", json_integer(digest ? digest->damaged : 0));
    json_object_set_new(s, "wallclock", source_wall_json(src, digest));
    *out = s;
    return 0;
}

static json_t *timing_json(const ManifestInfo *info)
{
    const EvclipClip *c = info->clip;
    const char *cap = c->max_duration <= 0 ? NULL :
                      c->cap_strategy == EVCLIP_CAP_FRAMEDROP ? "framedrop" : "timelapse";
    return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:i}",
                     "pre_roll", real(c->pre_roll), "post_roll", real(c->post_roll),
                     "speed_requested", real(c->speed > 0 ? c->speed : 1.0),
                     "speed", real(info->speed > 0 ? info->speed : 1.0),
                     "max_duration", c->max_duration > 0 ? real(c->max_duration) : json_null(),
                     "cap_strategy", str_or_null(cap),
                     "frame_step", info->frame_step > 0 ? info->frame_step : 1);
}

static json_t *encoder_json(const ManifestInfo *info)
{
    const EvclipSettings *s = info->settings;
    if (info->live && info->live->native_only)
        return json_pack("{s:s, s:s, s:n, s:n, s:i, s:i}", "name", "copy", "requested", "copy",
                         "preset", "crf", "bitrate", 0, "threads", 0);
    return json_pack("{s:s, s:o, s:o, s:o, s:I, s:i}",
                     "name", info->result->encoder, "requested", str_or_null(s->encoder),
                     "preset", str_or_null(s->preset),
                     "crf", s->bitrate > 0 ? json_null() : json_integer(s->crf),
                     "bitrate", (json_int_t)s->bitrate, "threads", s->threads);
}

/* The fixed drawing style (README "Colours"): colour order, palette, chip layout. */
static json_t *style_json(void)
{
    json_t *palette = json_array();
    for (int i = 0; palette && i < overlay_palette_size(); i++) {
        uint8_t rgb[3];
        char hex[8];
        overlay_palette_rgb(i, rgb);
        snprintf(hex, sizeof(hex), "#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
        json_array_append_new(palette, json_string(hex));
    }
    return json_pack("{s:i, s:[s, s, s], s:o, s:s, s:s, s:s}", "version", 1,
                     "color_by", "color", "track_id", "label", "palette", palette,
                     "same_label", "untracked boxes of one label in a frame: next palette "
                     "entries, left to right", "chip", "label #track score, above the box "
                     "(else inside its top, below it or stacked: chips never overlap), cut "
                     "with an ellipsis at label_max characters and at the frame width, drawn "
                     "after all outlines", "chip_text", "black or white, the higher WCAG "
                     "contrast");
}

static json_t *drawing_fields(const ManifestInfo *info);

static json_t *drawing_json(const ManifestInfo *info)
{
    const EvclipSettings *s = info->settings;
    json_t *d = drawing_fields(info);
    double gap = s->draw_options ? s->draw_options->interpolate : 0;
    const char *style = s->draw_options ? s->draw_options->style : NULL;
    if (d && ((gap > 0 && json_object_set_new(d, "interpolate", real(gap)) < 0) ||
              (style && json_object_set_new(d, "custom_style", json_string(style)) < 0))) {
        json_decref(d);
        return NULL;
    }
    return d;
}

/* The drawing settings every manifest has. */
static json_t *drawing_fields(const ManifestInfo *info)
{
    const EvclipSettings *s = info->settings;
    return json_pack("{s:o, s:o, s:b, s:o, s:i, s:i, s:i, s:i, s:i, s:s, s:o}",
                     "hold", real(s->hold), "title", str_or_null(s->title),
                     "timestamp", s->timestamp != 0, "font", str_or_null(s->font),
                     "thickness", info->thickness, "font_size", info->font_size,
                     "thickness_requested", s->thickness,
                     "font_size_requested", s->font_size, "label_max", s->label_max,
                     "box_space", s->box_space == EVCLIP_BOX_STORED ? "stored" : "display",
                     "style", style_json());
}

/* The result's warning lines as a JSON array of strings. */
static json_t *warnings_json(const EvclipResult *r)
{
    json_t *a = json_array();
    for (const char *p = r->warnings; a && *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        json_array_append_new(a, json_stringn(p, n));
        p += n + (nl != NULL);
    }
    return a;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static json_t *poster_json(const struct Poster *p)
{
    int w, h;
    int64_t boxes;
    double time;
    poster_facts(p, &w, &h, &boxes, &time);
    return json_pack("{s:s, s:I, s:s, s:i, s:i, s:I, s:o}", "file",
                     base_name(poster_final_path(p)), "size", (json_int_t)poster_size(p),
                     "sha256", poster_sha256(p), "width", w, "height", h, "boxes",
                     (json_int_t)boxes, "source_time", real(time));
}

static int build(const ManifestInfo *info, json_t **out, const Logger *log)
{
    const EvclipResult *r = info->result;
    char hex[65], created[32];
    int64_t size = 0;
    time_t now = time(NULL);
    struct tm tm;
    *out = NULL;
    int ret = manifest_hash_file(info->output_file ? info->output_file : info->clip->output,
                                 hex, &size);
    if (ret < 0)
        return ret;
    if (info->sha256_out)
        memcpy(info->sha256_out, hex, sizeof(hex));
    strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
    json_t *sources = json_array();
    for (int i = 0; sources && i < info->clip->nb_sources && ret == 0; i++) {
        json_t *s;
        const SourceDigest *digest = info->digests ? &info->digests[i] : NULL;
        ret = info->live ? manifest_live_source(info, &s)
                         : source_json(&info->clip->sources[i], i, digest, &s, log);
        if (ret == 0)
            json_array_append_new(sources, s);
    }
    if (ret < 0) {
        json_decref(sources);
        return ret;
    }
    json_t *output = json_pack("{s:s, s:I, s:s, s:I, s:o, s:i, s:i, s:b, s:o, s:o}",
        "file", base_name(info->clip->output), "size", (json_int_t)size, "sha256", hex,
        "frames", (json_int_t)r->frames, "duration", real(r->duration), "width", r->width,
        "height", r->height, "has_audio", r->has_audio, "first_source_time",
        real(r->first_time), "last_source_time", real(r->last_time));
    *out = json_pack("{s:s, s:i, s:s, s:s, s:o, s:o, s:I, s:b, s:o, s:o}",
        "format", MANIFEST_FORMAT_NAME, "format_version", MANIFEST_FORMAT_VERSION,
        "evclip_version", evclip_version(), "created_utc", created, "output", output,
        "sources", sources, "boxes_drawn", (json_int_t)r->boxes_drawn,
        "detections_embedded", info->settings->embed_detections != 0,
        "timing", timing_json(info), "encoder", encoder_json(info));
    int drawn = !info->live || !info->live->native_only;
    if (*out && (json_object_set_new(*out, "drawing", drawn ? drawing_json(info)
                                                            : json_null()) < 0 ||
                 json_object_set_new(*out, "warnings", warnings_json(r)) < 0 ||
                 (info->settings->worker && json_object_set_new(*out, "worker",
                                                json_string(info->settings->worker)) < 0) ||
                 (info->poster && json_object_set_new(*out, "poster",
                                                      poster_json(info->poster)) < 0) ||
                 (info->natives && json_object_set_new(*out, "native",
                                                       native_json(info->natives)) < 0) ||
                 json_object_set_new(*out, "wallclock", clip_wall_json(info)) < 0 ||
                 (info->live && json_object_set_new(*out, "live",
                                                    manifest_live_json(info->live)) < 0) ||
                 (info->redaction && json_object_set_new(*out, "redaction",
                                                         redactor_json(info->redaction)) < 0))) {
        json_decref(*out);
        *out = NULL;
    }
    return *out ? 0 : ev_error(EVCLIP_ERR_NOMEM, "out of memory (manifest)");
}

/* Writes text to "<dir>/.<name>.<pid>-<random>.evclip-tmp", then renames it over path, or
 * (keep non-NULL) leaves it there and returns its name in *keep. */
static int write_atomic(const char *path, const char *text, char **keep)
{
    size_t dir_len = (size_t)(base_name(path) - path), size = strlen(path) + 48;
    char *tmp = malloc(size);
    if (!tmp)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    int fd = -1;
    for (int attempt = 0; fd < 0 && attempt < 100; attempt++) {
        /* the pid lets a later run remove it if this one is killed (mux_clean_stale) */
        snprintf(tmp, size, "%.*s.%s.%ld-%08x.evclip-tmp", (int)dir_len, path, base_name(path),
                 (long)getpid(), (unsigned)randombytes_random());
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    if (fd < 0) {
        int ret = ev_error(EVCLIP_ERR_OUTPUT, "cannot create a temp file for '%s': %s", path,
                           strerror(errno));
        free(tmp);
        return ret;
    }
    size_t n = strlen(text);
    int ok = write(fd, text, n) == (ssize_t)n && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    int err = errno;
    if (ok && keep) {
        *keep = tmp;
        return 0;
    }
    if (ok && rename(tmp, path) == 0) {
        free(tmp);
        return 0;
    }
    err = ok ? errno : err;
    unlink(tmp);
    free(tmp);
    return ev_error(EVCLIP_ERR_OUTPUT, "cannot write manifest '%s': %s", path, strerror(err));
}

static int write_manifest(const ManifestInfo *info, char **keep, const Logger *log);

int manifest_write(const ManifestInfo *info, const Logger *log)
{
    return write_manifest(info, NULL, log);
}

int manifest_write_temp(ManifestInfo *info, const Logger *log)
{
    info->manifest_temp = NULL;
    return write_manifest(info, &info->manifest_temp, log);
}

static int write_manifest(const ManifestInfo *info, char **keep, const Logger *log)
{
    const EvclipSettings *s = info->settings;
    json_t *m = NULL;
    char *text = NULL, *path = NULL;
    if (sodium_init() < 0)
        return ev_error(EVCLIP_ERR_INTERNAL, "libsodium failed to initialise");
    int ret = build(info, &m, log);
    if (ret == 0 && s->sign_key)
        ret = manifest_sign(m, s->sign_key);
    if (ret == 0) {
        text = json_dumps(m, FILE_FLAGS);
        size_t n = strlen(info->clip->output) + sizeof(".evidence.json");
        path = malloc(n);
        if (path)
            snprintf(path, n, "%s.evidence.json", info->clip->output);
        ret = text && path ? 0 : ev_error(EVCLIP_ERR_NOMEM, "out of memory (manifest)");
    }
    if (ret == 0) {
        size_t len = strlen(text);
        char *with_nl = realloc(text, len + 2);
        if (with_nl) {
            text = with_nl;
            memcpy(text + len, "\n", 2);
        }
        ret = write_atomic(path, text, keep);
    }
    if (ret == 0 && !keep)
        ev_log(log, EVCLIP_LOG_INFO, "%s: manifest written%s", path,
               s->sign_key ? " and signed" : "");
    json_decref(m);
    free(text);
    free(path);
    return ret;
}
