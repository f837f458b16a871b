/* cli_worker_unit.c: one work unit of `evclip worker`: its clips parsed as batch job lines,
 * the ones already done skipped, the others rendered as one batch, one result per clip. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/cli_jobs.h"
#include "tools/cli_worker.h"

/* A unit being worked on. */
typedef struct Unit {
    json_t *payload;
    json_t *clips;      /* payload's "clips": [{id, line, spec}] */
    Jobs j;
    LogCache cache;
    EvclipSettings defaults;
    int *skipped;       /* job -> 1 when its output and manifest already verify */
    char error[1024];   /* the unit's first error (recorded for the dead letters) */
} Unit;

static const char result_script[] =
    "if ARGV[2] == 'ok' then "
    "if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[3]) == 0 then return 0 end "
    "redis.call('HDEL', KEYS[3], ARGV[1]) "
    "else if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 0 end "
    "redis.call('HSET', KEYS[3], ARGV[1], ARGV[3]) end "
    "redis.call('XADD', KEYS[2], '*', 'id', ARGV[1], 'status', ARGV[2], 'result', ARGV[3]) "
    "return 1";

/* Parses the payload and its clips (as batch job lines). Returns 0 or -1 with u->error. */
static int unit_parse(Unit *u, Worker *w, const char *text)
{
    json_error_t je;
    const char *jobs_path, *base;
    int mkdirs = 0;
    u->payload = json_loads(text, 0, &je);
    if (!u->payload || json_unpack(u->payload, "{s:s, s:s, s:b, s:o}", "jobs", &jobs_path,
                                   "base", &base, "mkdirs", &mkdirs, "clips", &u->clips) ||
        !json_is_array(u->clips) || json_array_size(u->clips) == 0) {
        snprintf(u->error, sizeof(u->error), "unit %s: malformed payload (not written by "
                 "evclip submit?)", w->unit_id);
        return -1;
    }
    evclip_default_settings(&u->defaults);
    u->defaults.worker = w->a.name;
    u->defaults.log_callback = cli_log;
    u->defaults.log_opaque = &w->a.cli;
    u->defaults.ffmpeg_log = 1;
    u->defaults.progress_callback = w->progress;
    u->defaults.progress_opaque = w;
    size_t i;
    json_t *item;
    json_array_foreach(u->clips, i, item) {
        json_t *spec = json_object_get(item, "spec");
        int line = (int)json_integer_value(json_object_get(item, "line"));
        if (!json_is_string(json_object_get(item, "id")) ||
            jobs_add(&u->j, spec ? json_incref(spec) : NULL, spec ? NULL : "no spec", line))
            return snprintf(u->error, sizeof(u->error), "unit %s: malformed clip %zu",
                            w->unit_id, i), -1;
    }
    u->skipped = calloc((size_t)u->j.count + 1, sizeof(*u->skipped));
    if (!u->skipped || jobs_parse(&u->j, jobs_path, base, &u->defaults, mkdirs,
                                  &u->cache) < 0)
        return snprintf(u->error, sizeof(u->error), "out of memory"), -1;
    return 0;
}

/* Marks the clips already done (output and manifest verify); the others get overwrite, so
 * that an earlier attempt's unverified leftover is replaced. Returns the clips to render. */
static int unit_select(Unit *u)
{
    int n = 0;
    for (int i = 0; i < u->j.count; i++) {
        if (u->j.line_errors[i])
            continue;
        ClipSpec *spec = &u->j.specs[i];
        EvclipVerifyResult vr;
        memset(&vr, 0, sizeof(vr));
        if (evclip_verify(spec->clip.output, NULL, NULL, 0, &vr) == 0 && vr.ok) {
            u->skipped[i] = 1;
            continue;
        }
        if (access(spec->clip.output, F_OK) == 0)
            spec->settings.overwrite = 1;
        n++;
    }
    return n;
}

/* Renders the selected clips as one batch. Returns 0, or -1 when abandoned. */
static int unit_render(Unit *u, Worker *w, int n)
{
    EvclipClip *clips = calloc((size_t)n + 1, sizeof(*clips));
    EvclipResult *results = calloc((size_t)n + 1, sizeof(*results));
    EvclipRenderer *r = NULL;
    int k = 0;
    if (!clips || !results) {
        free(clips), free(results);
        snprintf(u->error, sizeof(u->error), "out of memory");
        return 0;
    }
    for (int i = 0; i < u->j.count; i++)
        if (!u->j.line_errors[i] && !u->skipped[i]) {
            u->j.clip_index[i] = k;
            clips[k++] = u->j.specs[i].clip;
        }
    int ret = evclip_open(&r, &u->defaults);
    if (ret >= 0) {
        *w->renderer = r;
        if (*w->abandon) /* the signal came before the renderer was visible to it */
            evclip_cancel(r);
        ret = evclip_render_batch(r, clips, n, results, w->a.jobs);
        *w->renderer = NULL;
    }
    if (ret < 0)
        for (int i = 0; i < n; i++)
            if (results[i].status >= 0 && !results[i].frames) {
                results[i].status = ret;
                snprintf(results[i].error, sizeof(results[i].error), "%s",
                         *evclip_last_error() ? evclip_last_error() : evclip_strerror(ret));
            }
    evclip_close(&r);
    memcpy(u->j.results, results, (size_t)n * sizeof(*results));
    free(clips);
    free(results);
    return *w->abandon ? -1 : 0;
}

/* The facts a skipped clip's manifest records: frames, duration, output sha256. */
static void from_manifest(const char *output, json_t *res)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s.evidence.json", output);
    json_t *m = json_load_file(path, 0, NULL);
    json_t *o = json_object_get(m, "output");
    json_object_set(res, "frames", json_object_get(o, "frames"));
    json_object_set(res, "seconds", json_object_get(o, "duration"));
    json_object_set(res, "output_sha256", json_object_get(o, "sha256"));
    if (json_is_string(json_object_get(m, "worker"))) /* who rendered it, not who checked */
        json_object_set(res, "worker", json_object_get(m, "worker"));
    json_decref(m);
}

/* Job i's result line (new reference), its status in *ok. */
static json_t *result_json(const Unit *u, const Worker *w, int i, int *ok)
{
    const ClipSpec *spec = &u->j.specs[i];
    int k = u->j.clip_index[i];
    const EvclipResult *res = k >= 0 ? &u->j.results[k] : NULL;
    const char *error = u->j.line_errors[i] ? u->j.line_errors[i] :
                        res && res->status < 0 ? res->error : NULL;
    const char *output = spec->clip.output;
    char manifest[4200], sha[65] = "";
    *ok = !error;
    json_t *o = json_pack("{s:O, s:s, s:i, s:O, s:s, s:s, s:b, s:s?, s:s, s:i, s:f}",
        "id", json_object_get(json_array_get(u->clips, (size_t)i), "id"), "unit", w->unit_id,
        "line", u->j.lines[i], "spec", json_object_get(json_array_get(u->clips, (size_t)i),
                                                        "spec"),
        "output", output ? output : "", "status", *ok ? "ok" : "error",
        "skipped", u->skipped[i], "error", error, "worker", w->a.name, "attempt", w->attempt,
        "finished_utc", queue_wall_now());
    if (!o)
        return NULL;
    json_object_del(o, "spec");
    if (u->skipped[i]) {
        json_object_set_new(o, "checked_by", json_string(w->a.name));
        from_manifest(output, o);
    }
    else if (res && *ok)
        json_object_set_new(o, "frames", json_integer(res->frames)),
        json_object_set_new(o, "seconds", json_real(res->duration)),
        json_object_set_new(o, "output_sha256", json_string(res->output_sha256));
    snprintf(manifest, sizeof(manifest), "%s.evidence.json", output ? output : "");
    if (*ok && queue_file_sha256(manifest, sha) == 0)
        json_object_set_new(o, "manifest_sha256", json_string(sha));
    return o;
}

/* Publishes every clip's result (retrying through reconnects). Returns the failed clips, or
 * -1 when abandoned. */
static int unit_publish(Unit *u, Worker *w)
{
    int failed = 0;
    for (int i = 0; i < u->j.count; i++) {
        int ok;
        json_t *o = result_json(u, w, i, &ok);
        char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
        json_decref(o);
        if (!text)
            return -1;
        if (!ok) {
            failed++;
            if (!*u->error)
                snprintf(u->error, sizeof(u->error), "clip %s (line %d): %s",
                         json_string_value(json_object_get(json_array_get(u->clips,
                         (size_t)i), "id")), u->j.lines[i], u->j.line_errors[i] ?
                         u->j.line_errors[i] : u->j.results[u->j.clip_index[i]].error);
        }
        const char *keys[] = { w->q.done, w->q.results, w->q.failed };
        const char *args[] = { json_string_value(json_object_get(json_array_get(u->clips,
                               (size_t)i), "id")), ok ? "ok" : "error", text };
        redisReply *r = queue_eval(&w->q, result_script, 3, keys, 3, args);
        free(text);
        if (!r)
            return -1;
        freeReplyObject(r);
    }
    return failed;
}

/* Acks a finished unit, or records why it failed (it stays pending, to be retried). */
static void unit_finish(Unit *u, Worker *w, int failed)
{
    redisReply *r;
    if (!failed) {
        freeReplyObject(queue_cmd(&w->q, "XACK %s %s %s", w->q.stream, w->a.group,
                                  w->unit_entry));
        r = queue_cmd(&w->q, "HDEL %s %s", w->q.errors, w->unit_id);
        w->units_done++;
    } else {
        r = queue_cmd(&w->q, "HSET %s %s %s", w->q.errors, w->unit_id, u->error);
        fprintf(stderr, "evclip: error: unit %s (attempt %d of %d) failed, left to retry after "
                "--claim-timeout: %s\n", w->unit_id, w->attempt, w->a.max_attempts, u->error);
    }
    freeReplyObject(r);
}

static void unit_free(Unit *u)
{
    jobs_free(&u->j);
    log_cache_free(&u->cache);
    free(u->skipped);
    json_decref(u->payload);
}

int worker_run_unit(Worker *w, const char *payload)
{
    Unit u = { 0 };
    volatile sig_atomic_t *idle_stop = w->q.stop;
    double started = cli_now();
    int ret = 0, failed = 1;
    w->q.stop = w->abandon; /* the first signal lets the unit finish, results included */
    if (unit_parse(&u, w, payload) < 0) {
        unit_finish(&u, w, 1);
    } else {
        int n = unit_select(&u);
        if ((n && unit_render(&u, w, n) < 0) || (failed = unit_publish(&u, w)) < 0) {
            ret = -1;
            fprintf(stderr, "evclip: unit %s abandoned (left unacked, to be taken over)\n",
                    w->unit_id);
        } else {
            unit_finish(&u, w, failed);
            int skipped = 0, invalid = 0;
            for (int i = 0; i < u.j.count; i++)
                skipped += u.skipped[i], invalid += u.j.line_errors[i] != NULL;
            if (!w->a.cli.quiet)
                fprintf(stderr, "evclip: unit %s (attempt %d): %d clip%s: %d rendered, %d "
                        "already done, %d failed, %.2f s\n", w->unit_id, w->attempt,
                        u.j.count, u.j.count == 1 ? "" : "s", n - (failed - invalid),
                        skipped, failed, cli_now() - started);
        }
    }
    w->q.stop = idle_stop;
    unit_free(&u);
    return ret;
}
