/* live_control.c: JSON control lines and camera config files for live mode. */
#include <errno.h>
#include <stdio.h>

#include "src/live_internal.h"

/* ---------------------------------------------------------------------------------------- */
/* JSON control lines and camera configs                                                    */

static int get_number(const json_t *obj, const char *key, double *out)
{
    const json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_number(v))
        return ev_error(EVCLIP_ERR_INVALID, "field '%s': expected a number", key);
    *out = json_number_value(v);
    return 1;
}

static const char *get_string(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* {"type":"detections","stream":S,"wallclock"|"pts":T,"detections":[...]} */
static int control_detections(EvclipLive *l, const json_t *msg, const char *stream)
{
    double t = NAN;
    int key = EVCLIP_KEY_WALLCLOCK, ret;
    const json_t *items = json_object_get(msg, "detections");
    if ((ret = get_number(msg, "wallclock", &t)) < 0)
        return ret;
    if (!ret) {
        key = EVCLIP_KEY_PTS;
        if ((ret = get_number(msg, "pts", &t)) <= 0)
            return ret < 0 ? ret : ev_error(EVCLIP_ERR_INVALID, "detections: 'wallclock' or "
                                            "'pts' is required");
    }
    if (!json_is_array(items))
        return ev_error(EVCLIP_ERR_INVALID, "field 'detections': expected an array");
    /* Reuse the grouped-JSONL reader for the items (same fields, same errors). */
    json_t *line = json_pack("{s:f, s:O}", "ts", 0.0, "detections", items);
    char *text = line ? json_dumps(line, JSON_COMPACT) : NULL;
    EvclipDetections *tmp = NULL;
    DetList list = { 0 };
    json_decref(line);
    if (!text || (ret = evclip_detections_new(&tmp)) < 0)
        ret = ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    else if ((ret = reader_parse(tmp, "control", text, strlen(text), READER_GROUPED, 0)) < 0 ||
             (ret = detections_prepare(tmp)) < 0 ||
             (ret = detections_lookup(tmp, -1, -1, -1, 1, &list)) < 0)
        ret = ret == EVCLIP_ERR_DETECTIONS ? EVCLIP_ERR_INVALID : ret;
    else
        ret = evclip_live_add_detections(l, stream, key, t, list.items, list.count);
    detlist_free(&list);
    evclip_detections_free(&tmp);
    free(text);
    return ret;
}

/* Keeps a stream name or an event id to one harmless file-name part (both come from users
 * and control lines): letters, digits, '-', '_' and '.' stay, anything else (a '/' above all)
 * becomes '_', a leading '.' too (no hidden files, no "..") and it is cut to size - 1 bytes. */
static void safe_part(const char *in, char *out, size_t size)
{
    size_t n = 0;
    for (; in[n] && n + 1 < size; n++) {
        unsigned char c = (unsigned char)in[n];
        out[n] = isalnum(c) || c == '-' || c == '_' || (c == '.' && n) ? (char)c : '_';
    }
    out[n] = '\0';
}

void live_default_output(const EvclipLive *l, const char *stream, const char *id, char *out,
                         size_t size)
{
    char stamp[32], safe_id[64], safe_stream[64];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
    /* Both parts come from users: neither may leave --output-dir. */
    safe_part(id ? id : stamp, safe_id, sizeof(safe_id));
    safe_part(stream, safe_stream, sizeof(safe_stream));
    snprintf(out, size, "%s/%s-%s.mp4", l->output_dir, safe_stream, safe_id);
}

static int control_trigger(EvclipLive *l, const json_t *msg, const char *stream)
{
    double pre = -1, post = -1;
    int ret;
    char id_buf[64];
    const char *id = get_string(msg, "id"), *output = get_string(msg, "output");
    const json_t *idv = json_object_get(msg, "id");
    if ((ret = get_number(msg, "pre", &pre)) < 0 || (ret = get_number(msg, "post", &post)) < 0)
        return ret;
    if (pre < -1 || post < -1)
        return ev_error(EVCLIP_ERR_INVALID, "trigger: negative pre/post");
    if (idv && !json_is_string(idv) && !json_is_integer(idv))
        return ev_error(EVCLIP_ERR_INVALID, "trigger: field 'id': expected a string or an "
                        "integer");
    if (!id && json_is_integer(idv)) {
        snprintf(id_buf, sizeof(id_buf), "%lld", (long long)json_integer_value(idv));
        id = id_buf;
    }
    return evclip_live_trigger(l, stream, pre, post, output, id);
}

static void emit_stats(EvclipLive *l, const char *only)
{
    pthread_mutex_lock(&l->pass_lock);
    pthread_mutex_lock(&l->lock);
    int n = l->nstreams;
    pthread_mutex_unlock(&l->lock);
    for (int i = 0; i < n; i++) {
        pthread_mutex_lock(&l->lock);
        Stream *st = l->streams[i];
        pthread_mutex_unlock(&l->lock);
        EvclipStreamStats s;
        if (only && strcmp(only, st->name))
            continue;
        live_stream_stats(st, &s);
        EvclipLiveEvent ev = { .type = EVCLIP_LIVE_STATS, .stream = st->name, .stats = &s,
                               .clock = *s.clock ? s.clock : NULL };
        live_emit(l, &ev);
    }
    pthread_mutex_unlock(&l->pass_lock);
}

/* {"type":"start","stream":S,"id":ID,"pre":P,"max":M,"output":PATH} */
static int control_start(EvclipLive *l, const json_t *msg, const char *stream)
{
    double pre = -1, max = 0;
    int ret;
    char id_buf[64];
    const char *id = get_string(msg, "id");
    if ((ret = get_number(msg, "pre", &pre)) < 0 || (ret = get_number(msg, "max", &max)) < 0)
        return ret;
    if (json_is_integer(json_object_get(msg, "id"))) {
        snprintf(id_buf, sizeof(id_buf), "%lld",
                 (long long)json_integer_value(json_object_get(msg, "id")));
        id = id_buf;
    }
    if (pre < -1 || max < 0)
        return ev_error(EVCLIP_ERR_INVALID, "start: negative pre/max");
    return evclip_live_start(l, stream, pre, max, get_string(msg, "output"), id);
}

/* {"type":"stop","stream":S,"id":ID,"post":Q} */
static int control_stop(EvclipLive *l, const json_t *msg, const char *stream)
{
    double post = 0;
    int ret;
    char id_buf[64];
    const char *id = get_string(msg, "id");
    if ((ret = get_number(msg, "post", &post)) < 0)
        return ret;
    if (json_is_integer(json_object_get(msg, "id"))) {
        snprintf(id_buf, sizeof(id_buf), "%lld",
                 (long long)json_integer_value(json_object_get(msg, "id")));
        id = id_buf;
    }
    return evclip_live_stop(l, stream, id, post);
}

static int add_to_pool(void *opaque, const EvclipStreamParams *params);
static int config_stream(const json_t *cam, const char *where, LiveConfigAdd add,
                         void *opaque);

/* {"type":"add_stream","config":{"name", "url", ...as in cameras.json}} */
static int control_add_stream(EvclipLive *l, const json_t *msg)
{
    const json_t *cfg = json_object_get(msg, "config");
    if (!json_is_object(cfg))
        return ev_error(EVCLIP_ERR_INVALID, "add_stream: field 'config': expected an object "
                        "as in the camera config ({\"name\", \"url\", ...})");
    return config_stream(cfg, "add_stream: config", add_to_pool, l);
}

int evclip_live_control(EvclipLive *l, const char *text)
{
    ev_error_clear();
    json_error_t err;
    json_t *msg = json_loads(text, JSON_REJECT_DUPLICATES, &err);
    int ret = 0;
    if (!msg)
        return ev_error(EVCLIP_ERR_INVALID, "control line, column %d: %s", err.column,
                        err.text);
    const char *type = get_string(msg, "type"), *stream = get_string(msg, "stream");
    if (!json_is_object(msg) || !type)
        ret = ev_error(EVCLIP_ERR_INVALID, "control line: an object with a 'type' is needed");
    else if (!strcmp(type, "stats"))
        emit_stats(l, stream);
    else if (!strcmp(type, "quit"))
        ret = EVCLIP_LIVE_QUIT;
    else if (!strcmp(type, "list"))
        live_list(l);
    else if (!strcmp(type, "add_stream"))
        ret = control_add_stream(l, msg);
    else if (!stream)
        ret = ev_error(EVCLIP_ERR_INVALID, "control line: field 'stream' is required");
    else if (!strcmp(type, "detections"))
        ret = control_detections(l, msg, stream);
    else if (!strcmp(type, "trigger"))
        ret = control_trigger(l, msg, stream);
    else if (!strcmp(type, "start"))
        ret = control_start(l, msg, stream);
    else if (!strcmp(type, "stop"))
        ret = control_stop(l, msg, stream);
    else if (!strcmp(type, "remove_stream"))
        ret = evclip_live_remove_stream(l, stream);
    else
        ret = ev_error(EVCLIP_ERR_INVALID, "control line: unknown type '%s'", type);
    json_decref(msg);
    return ret;
}

/* An optional boolean key of a camera object into *out. Returns 0 or INVALID. */
static int get_flag(const json_t *cam, const char *key, const char *where, int *out)
{
    const json_t *v = json_object_get(cam, key);
    if (v && !json_is_boolean(v))
        return ev_error(EVCLIP_ERR_INVALID, "%s: field '%s': true or false", where, key);
    *out = json_is_true(v);
    return 0;
}

/* One camera object; `where` ("cameras.json: streams[2]") prefixes errors. */
static int config_stream(const json_t *cam, const char *where, LiveConfigAdd add,
                         void *opaque)
{
    EvclipStreamParams p = { .name = get_string(cam, "name"), .url = get_string(cam, "url"),
                             .timezone = get_string(cam, "tz") };
    const char *transport = get_string(cam, "transport");
    const json_t *tz = json_object_get(cam, "tz");
    int ret;
    if (!json_is_object(cam))
        return ev_error(EVCLIP_ERR_INVALID, "%s: expected an object", where);
    if (tz && !json_is_null(tz) && !json_is_string(tz))
        return ev_error(EVCLIP_ERR_INVALID, "%s: field 'tz': expected a zone name (IANA name, "
                        "\"UTC\" or an offset such as \"+05:30\")", where);
    if ((ret = get_number(cam, "pre", &p.pre)) < 0 ||
        (ret = get_number(cam, "post", &p.post)) < 0 ||
        (ret = get_number(cam, "detection_delay", &p.detection_delay)) < 0)
        return ev_error_wrap(EVCLIP_ERR_INVALID, "%s", where);
    if (transport && strcmp(transport, "tcp") && strcmp(transport, "udp"))
        return ev_error(EVCLIP_ERR_INVALID, "%s: field 'transport': 'tcp' or 'udp'", where);
    p.transport = transport && !strcmp(transport, "udp") ? EVCLIP_TRANSPORT_UDP
                                                          : EVCLIP_TRANSPORT_TCP;
    p.realtime = json_is_true(json_object_get(cam, "realtime"));
    p.loop = json_is_true(json_object_get(cam, "loop"));
    if ((ret = get_flag(cam, "native", where, &p.native)) < 0 ||
        (ret = get_flag(cam, "native_only", where, &p.native_only)) < 0)
        return ret;
    if ((ret = add(opaque, &p)) < 0)
        return ev_error_wrap(ret, "%s", where);
    return 0;
}

int live_config_parse(const char *text, size_t len, const char *path, LiveConfigAdd add,
                      void *opaque)
{
    json_error_t err;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
    int ret = 0;
    if (!root)
        return ev_error(EVCLIP_ERR_INVALID, "%s:%d:%d: %s", path, err.line, err.column,
                        err.text);
    const json_t *cams = json_is_array(root) ? root : json_object_get(root, "streams");
    if (!json_is_array(cams) || !json_array_size(cams))
        ret = ev_error(EVCLIP_ERR_INVALID, "%s: expected a non-empty array of streams (or "
                       "{\"streams\": [...]})", path);
    for (size_t i = 0; ret >= 0 && i < json_array_size(cams); i++) {
        char where[4200];
        snprintf(where, sizeof(where), "%s: streams[%zu]", path, i);
        ret = config_stream(json_array_get(cams, i), where, add, opaque);
    }
    json_decref(root);
    return ret;
}

static int add_to_pool(void *opaque, const EvclipStreamParams *params)
{
    return evclip_live_add_stream(opaque, params);
}

/* A camera config's first pass: every entry is checked (names unique in the file and the
 * pool, values, zone) before any stream starts. */
typedef struct ConfigCheck {
    EvclipLive *live;
    const char **names;
    size_t count;
} ConfigCheck;

static int check_entry(void *opaque, const EvclipStreamParams *params)
{
    ConfigCheck *c = opaque;
    int ret = live_check_stream(c->live, params);
    for (size_t i = 0; ret >= 0 && i < c->count; i++)
        if (!strcmp(c->names[i], params->name))
            ret = ev_error(EVCLIP_ERR_INVALID, "stream '%s' is named twice", params->name);
    const char **names = ret >= 0 ? realloc(c->names, (c->count + 1) * sizeof(*names)) : NULL;
    if (ret >= 0 && !names)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    if (ret >= 0) {
        c->names = names;
        c->names[c->count++] = params->name; /* valid until the config's JSON is freed */
    }
    return ret;
}

int evclip_live_add_config(EvclipLive *l, const char *path)
{
    char *text = NULL;
    size_t len = 0;
    ev_error_clear();
    if (!l || !path)
        return ev_error(EVCLIP_ERR_INVALID, "evclip_live_add_config: NULL argument");
    FILE *f = fopen(path, "rb");
    if (!f)
        return ev_error(EVCLIP_ERR_INVALID, "%s: %s", path, strerror(errno));
    int ret = reader_read_all(f, path, &text, &len);
    fclose(f);
    if (ret < 0)
        return EVCLIP_ERR_INVALID;
    ConfigCheck check = { .live = l };
    ret = live_config_parse(text, len, path, check_entry, &check);
    free(check.names);
    if (ret >= 0)
        ret = live_config_parse(text, len, path, add_to_pool, l);
    free(text);
    return ret;
}
