/* manifest_live.c: the live parts of an evidence manifest: the stream as the clip's source
 * (URL without credentials, no file hash) and the "live" member (window, clock, gaps...). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "src/error.h"
#include "src/manifest_json.h"

void manifest_strip_credentials(const char *url, char *out, size_t size)
{
    const char *scheme = strstr(url, "://");
    const char *host = scheme ? scheme + 3 : url;
    size_t auth_len = strcspn(host, "/?#");
    const char *at = NULL;
    for (const char *p = host; p < host + auth_len; p++)
        if (*p == '@')
            at = p; /* the last '@' of the authority: a password may hold '@' unescaped */
    if (!scheme || !at) {
        snprintf(out, size, "%s", url);
        return;
    }
    snprintf(out, size, "%.*s%s", (int)(host - url), url, at + 1);
}

int manifest_live_source(const ManifestInfo *info, json_t **out)
{
    const ManifestLive *lv = info->live;
    const EvclipDetections *dets = lv->detections ? lv->detections
                                                  : info->clip->sources[0].detections;
    EvclipDetectionStats stats = { 0, 0 };
    char url[4096], hex[65];
    manifest_strip_credentials(lv->url, url, sizeof(url));
    evclip_detections_get_stats(dets, &stats);
    manifest_hash_detections(dets, hex);
    *out = json_pack("{s:i, s:s, s:n, s:n, s:n, s:b, s:{s:o, s:o}, s:{s:I, s:s, s:[]}, s:I}",
                     "index", 0, "path", url, "absolute_path", "size", "sha256", "live", 1,
                     "window", "start", manifest_real(lv->start), "end", manifest_real(lv->end),
                     "detections", "count", (json_int_t)stats.count, "sha256_canonical", hex,
                     "logs", "damaged_packets", (json_int_t)lv->damaged_packets);
    return *out ? 0 : ev_error(EVCLIP_ERR_NOMEM, "out of memory (manifest)");
}

static json_t *utc(double t)
{
    char buf[40];
    time_t sec = (time_t)floor(t);
    struct tm tm;
    if (!isfinite(t) || !gmtime_r(&sec, &tm))
        return json_null();
    size_t n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, sizeof(buf) - n, ".%03dZ", (int)((t - floor(t)) * 1000) % 1000);
    return json_string(buf);
}

static json_t *gaps_json(const ManifestLive *lv)
{
    json_t *a = json_array();
    for (int i = 0; a && i < lv->ngaps; i++)
        json_array_append_new(a, json_pack("[o, o]", manifest_real(lv->gaps[2 * i]),
                                           manifest_real(lv->gaps[2 * i + 1])));
    return a;
}

json_t *manifest_live_json(const ManifestLive *lv)
{
    char url[4096];
    json_t *ids = json_array();
    manifest_strip_credentials(lv->url, url, sizeof(url));
    for (int i = 0; ids && i < lv->nb_trigger_ids; i++)
        json_array_append_new(ids, json_string(lv->trigger_ids[i]));
    return json_pack("{s:s, s:s, s:o, s:s, s:{s:o, s:o, s:o, s:o}, s:o, s:o, s:s, "
                     "s:{s:o, s:o, s:o}, s:o, s:b, s:s, s:I, s:{s:I, s:o, s:o}, s:b}",
                     "stream", lv->stream, "url", url, "trigger_ids", ids, "mode", lv->mode,
                     "window", "start", manifest_real(lv->start), "end", manifest_real(lv->end),
                     "start_utc", utc(lv->start), "end_utc", utc(lv->end),
                     "first_frame", manifest_real(lv->first_frame),
                     "last_frame", manifest_real(lv->last_frame), "clock", lv->clock,
                     "pre_roll", "requested", manifest_real(lv->pre_requested),
                     "available", manifest_real(lv->pre_available),
                     "max", manifest_real(lv->pre_roll_max),
                     "gaps", gaps_json(lv), "incomplete", lv->incomplete != 0,
                     "note", lv->note ? lv->note : "",
                     "damaged_packets", (json_int_t)lv->damaged_packets,
                     "late_detections", "count", (json_int_t)lv->late_detections,
                     "max_s", manifest_real(lv->late_max_s),
                     "delay_s", manifest_real(lv->detection_delay),
                     "native_only", lv->native_only != 0);
}
