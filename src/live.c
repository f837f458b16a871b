/* live.c: live mode: the stream pool, its public API, clocks and events. */
#include <sys/stat.h>

#include "src/live_internal.h"
#include "src/live_native.h"
#include "src/settings.h"

double live_mono_now(void)
{
    return av_gettime_relative() / 1e6;
}

double live_wall_now(void)
{
    return av_gettime() / 1e6;
}

double live_backoff(int attempt, double min, double max, double unit_random)
{
    double d = min * pow(2, attempt > 0 ? attempt - 1 : 0);
    if (d > max)
        d = max;
    return d * (0.75 + 0.5 * unit_random);
}

int live_clock_map(LiveClock *c, double t, double now, double rtcp_zero, double tolerance,
                   double *out)
{
    int changed = 0;
    if (!isnan(rtcp_zero)) {
        double offset = rtcp_zero - c->base;
        if (!c->anchored || !c->rtcp)
            changed = 1;
        else if (fabs(offset - c->offset) > 1e-4)
            changed = 2;
        c->offset = offset;
        c->anchored = c->rtcp = 1;
    } else if (!c->anchored) {
        changed = 1;
        c->offset = now - c->base - t;
        c->anchored = 1;
    } else {
        double late = now - (c->base + t + c->offset);
        if (late < -0.002 && !c->rtcp) {
            /* Arrived sooner than the mapping allows: the first packets were delayed (servers
             * send a burst at start): move the whole mapping earlier. */
            c->offset += late;
            changed = 2;
        } else if (late > tolerance || c->rtcp) {
            /* A pause, a timestamp jump, or RTCP given up: what was stamped stays. */
            c->offset += late;
            changed = 3;
        }
        c->rtcp = 0;
    }
    *out = t + c->offset;
    return changed;
}

void evclip_live_default_settings(EvclipLiveSettings *s)
{
    *s = (EvclipLiveSettings){
        .struct_size = sizeof(*s),
        .pre_roll_max = 30, .ring_bytes = 64 << 20, .overlap = EVCLIP_OVERLAP_MERGE,
        .workers = 2, .stall_timeout = 5, .connect_timeout = 10, .backoff_min = 0.5,
        .backoff_max = 30, .detection_delay = 1, .outage_grace = 2,
    };
}

/* ---------------------------------------------------------------------------------------- */
/* Events                                                                                   */

void live_emit(EvclipLive *l, EvclipLiveEvent *ev)
{
    if (!l->s.event_callback)
        return;
    pthread_mutex_lock(&l->event_lock);
    l->s.event_callback(l->s.event_opaque, ev);
    pthread_mutex_unlock(&l->event_lock);
}

void live_emit_stream(Stream *st, int type, const char *message, const char *clock)
{
    EvclipLiveEvent ev = { .type = type, .stream = st->name, .message = message,
                           .clock = clock };
    live_emit(st->live, &ev);
}

void live_emit_clip(LiveClip *j, int type, const EvclipResult *res, int status,
                    const char *message)
{
    EvclipLiveEvent ev = {
        .type = type, .stream = j->st->name, .clip_id = j->id, .path = j->output,
        .message = message && *message ? message : NULL, .clock = j->clock,
        .start = j->start, .end = j->end, .pre_available = j->pre_available,
        .incomplete = j->incomplete, .status = status, .pre_requested = j->pre_asked,
        .gaps = j->ngaps ? &j->gaps[0][0] : NULL, .ngaps = j->ngaps,
        .late_detections = j->late, .late_max_s = j->late_max,
    };
    char manifest[4096];
    if (res) {
        ev.ready_after_end_s = j->ready_after;
        ev.duration = res->duration;
        ev.frames = res->frames;
        ev.damaged_packets = j->damaged;
        snprintf(manifest, sizeof(manifest), "%s.evidence.json", j->output);
        ev.manifest = j->st->live->r->settings.manifest ? manifest : NULL;
    }
    ev.native_path = res && *j->native_path ? j->native_path : NULL;
    ev.trigger_ids = (const char *const *)j->ids;
    ev.nb_trigger_ids = j->nids;
    if (type != EVCLIP_LIVE_CLIP_FINISHED && type != EVCLIP_LIVE_CLIP_FAILED) {
        live_emit(j->st->live, &ev);
        return;
    }
    /* One outcome per trigger id (a merged trigger learns which file holds it), and one
     * without id when the clip's own trigger had none. */
    if (!j->id) {
        ev.clip_id = NULL;
        live_emit(j->st->live, &ev);
    }
    for (int i = 0; i < j->nids; i++) {
        ev.clip_id = j->ids[i];
        live_emit(j->st->live, &ev);
    }
}


/* ---------------------------------------------------------------------------------------- */
/* Pool                                                                                     */

static int check_settings(const EvclipLiveSettings *s)
{
    if (!(s->pre_roll_max > 0 && s->pre_roll_max <= 3600) || s->ring_bytes < 4096 ||
        (s->overlap != EVCLIP_OVERLAP_MERGE && s->overlap != EVCLIP_OVERLAP_SEPARATE) ||
        s->workers < 1 || s->workers > 64 || !(s->stall_timeout > 0) ||
        !(s->connect_timeout > 0) || !(s->backoff_min > 0) ||
        !(s->backoff_max >= s->backoff_min) || !(s->detection_delay >= 0) ||
        !(s->outage_grace >= 0) || (unsigned)s->native > 1 || (unsigned)s->native_only > 1)
        return ev_error(EVCLIP_ERR_INVALID, "invalid live settings (pre_roll_max in (0, 3600], "
                        "ring_bytes >= 4096, workers 1..64, positive timeouts and backoff, "
                        "native and native_only 0 or 1)");
    return 0;
}

int evclip_live_open(EvclipLive **out, EvclipRenderer *r, const EvclipLiveSettings *s)
{
    ev_error_clear();
    int ret;
    *out = NULL;
    if (!r || !s)
        return ev_error(EVCLIP_ERR_INVALID, "renderer and settings are required");
    if ((ret = settings_check_size(s->struct_size, sizeof(*s), "EvclipLiveSettings")) < 0 ||
        (ret = check_settings(s)) < 0)
        return ret;
    struct stat dir;
    if (s->preview_hls && (stat(s->preview_hls, &dir) != 0 || !S_ISDIR(dir.st_mode)))
        return ev_error(EVCLIP_ERR_INVALID, "preview_hls '%s' is not a directory",
                        s->preview_hls);
    if ((ret = settings_check_timezone(s->timezone, "live settings: timezone")) < 0)
        return ret;
    EvclipLive *l = calloc(1, sizeof(*l));
    if (!l || !(l->output_dir = strdup(s->output_dir ? s->output_dir : ".")) ||
        (s->preview_hls && !(l->preview_hls = strdup(s->preview_hls))) ||
        (s->timezone && !(l->timezone = strdup(s->timezone)))) {
        if (l) {
            free(l->output_dir);
            free(l->preview_hls);
        }
        free(l);
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    }
    l->r = r;
    l->s = *s;
    l->s.output_dir = l->output_dir;
    l->s.preview_hls = l->preview_hls;
    l->s.timezone = l->timezone;
    pthread_mutex_init(&l->lock, NULL);
    pthread_mutex_init(&l->pass_lock, NULL);
    pthread_mutex_init(&l->event_lock, NULL);
    pthread_cond_init(&l->cond, NULL);
    /* Clips are rendered by the engine's worker pool, one clip per task. */
    if (worker_pool_open(&l->pool, s->workers) < 0 ||
        !(l->have_supervisor = !pthread_create(&l->supervisor, NULL, live_supervisor_main, l))) {
        evclip_live_close(&l);
        return ev_error(EVCLIP_ERR_NOMEM, "cannot start the live threads");
    }
    *out = l;
    return 0;
}

Stream *live_stream_find(EvclipLive *l, const char *name)
{
    Stream *found = NULL;
    for (int i = 0; name && i < l->nstreams && !found; i++)
        if (!strcmp(l->streams[i]->name, name))
            found = l->streams[i];
    return found;
}

Stream *live_stream_get(EvclipLive *l, const char *name)
{
    if (!l)
        return NULL;
    pthread_mutex_lock(&l->lock);
    Stream *st = live_stream_find(l, name);
    if (st)
        st->refs++;
    pthread_mutex_unlock(&l->lock);
    if (!st)
        ev_error(EVCLIP_ERR_INVALID, "unknown stream '%s'", name ? name : "(null)");
    return st;
}

void live_stream_put(Stream *st)
{
    EvclipLive *l = st->live;
    pthread_mutex_lock(&l->lock);
    st->refs--;
    pthread_cond_broadcast(&l->cond);
    pthread_mutex_unlock(&l->lock);
}

void live_stream_free(Stream *st)
{
    LiveClip *j;
    while ((j = st->recording)) {
        st->recording = j->next;
        live_clip_free(&j);
    }
    ring_free(&st->ring);
    for (int i = 0; i < st->ndets; i++)
        free((char *)st->dets[i].d.label);
    free(st->dets);
    avcodec_parameters_free(&st->vpar);
    avcodec_parameters_free(&st->apar);
    pthread_mutex_destroy(&st->lock);
    pthread_cond_destroy(&st->grow);
    free(st->name);
    free(st->url);
    free(st->timezone);
    free(st);
}

const char *live_stream_zone(const Stream *st)
{
    return st->timezone ? st->timezone : st->live->timezone;
}

int live_check_stream(EvclipLive *l, const EvclipStreamParams *p)
{
    char what[160];
    if (!l || !p || !p->name || !*p->name || !p->url || !*p->url)
        return ev_error(EVCLIP_ERR_INVALID, "a stream needs a name and a url");
    if (settings_check_reserved(p->reserved, sizeof(p->reserved), "EvclipStreamParams") < 0)
        return EVCLIP_ERR_INVALID;
    pthread_mutex_lock(&l->lock);
    int exists = live_stream_find(l, p->name) != NULL;
    pthread_mutex_unlock(&l->lock);
    if (exists)
        return ev_error(EVCLIP_ERR_INVALID, "stream '%s' exists already", p->name);
    if (p->pre < 0 || p->post < 0 || !isfinite(p->pre) || !isfinite(p->post))
        return ev_error(EVCLIP_ERR_INVALID, "stream '%s': negative pre/post roll", p->name);
    if (!isfinite(p->detection_delay) || p->detection_delay > 60)
        return ev_error(EVCLIP_ERR_INVALID, "stream '%s': detection_delay %g s: at most 60 s "
                        "(0 = the pool's, < 0 = frames do not wait)", p->name,
                        p->detection_delay);
    if ((unsigned)p->native > 1 || (unsigned)p->native_only > 1)
        return ev_error(EVCLIP_ERR_INVALID, "stream '%s': native and native_only are 0 or 1",
                        p->name);
    snprintf(what, sizeof(what), "stream '%.100s': timezone", p->name);
    return settings_check_timezone(p->timezone, what);
}

int evclip_live_add_stream(EvclipLive *l, const EvclipStreamParams *p)
{
    ev_error_clear();
    int ret = live_check_stream(l, p);
    if (ret < 0)
        return ret;
    Stream *st = calloc(1, sizeof(*st));
    if (!st || !(st->name = strdup(p->name)) || !(st->url = strdup(p->url)) ||
        (p->timezone && !(st->timezone = strdup(p->timezone)))) {
        if (st) {
            free(st->name);
            free(st->url);
        }
        free(st);
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    }
    st->live = l;
    st->p = *p;
    st->p.name = st->name;
    st->p.url = st->url;
    st->p.timezone = st->timezone;
    if (!st->p.pre)
        st->p.pre = DEFAULT_ROLL;
    if (!st->p.post)
        st->p.post = DEFAULT_ROLL;
    st->delay = p->detection_delay > 0 ? p->detection_delay
                : p->detection_delay < 0 ? 0 : l->s.detection_delay;
    pthread_mutex_init(&st->lock, NULL);
    pthread_cond_init(&st->grow, NULL);
    ring_init(&st->ring, l->s.pre_roll_max, (size_t)l->s.ring_bytes);

    pthread_mutex_lock(&l->lock);
    Stream **arr = realloc(l->streams, sizeof(*arr) * (l->nstreams + 1));
    if (arr)
        l->streams = arr;
    int ok = arr && !pthread_create(&st->thread, NULL, live_reader_main, st);
    if (ok)
        l->streams[l->nstreams++] = st;
    pthread_mutex_unlock(&l->lock);
    if (!ok) {
        live_stream_free(st);
        return ev_error(EVCLIP_ERR_NOMEM, "cannot start the reader of '%s'", p->name);
    }
    st->started = 1;
    return 0;
}

/* The stream's latest triggered clip still recording (merge mode takes triggers into it;
 * open-ended "start" recordings take none), or NULL. st->lock held. */
static LiveClip *merge_target(Stream *st)
{
    LiveClip *last = NULL;
    for (LiveClip *j = st->recording; j; j = j->next)
        if (!j->reached && !j->open_ended)
            last = j;
    return last;
}

/* Merges a trigger into j: its end moves to `end` when later, its own pre-roll widens the
 * start when the ring still has those packets, its id joins the clip's. st->lock held.
 * Returns 0 or NOMEM. */
static int merge_into(Stream *st, LiveClip *j, double now, double pre, double end,
                      const char *id)
{
    int ret = 0;
    if (end > j->end)
        j->end = end;
    if (now - pre < j->start - 1e-6) {
        int first = ring_find_start(&st->ring, now - pre);
        ret = live_clip_prepend(j, &st->ring, first);
        if (ret > 0 && j->encoding) {
            j->restart = 1; /* its encode began at the old start: it begins again */
            pthread_cond_broadcast(&st->grow);
        }
    }
    for (int i = 0; ret >= 0 && id && i < j->nids; i++)
        if (!strcmp(j->ids[i], id))
            return 0; /* the same id again: one outcome event for it */
    return ret < 0 ? ret : id ? live_clip_add_id(j, id) : 0;
}

/* Says what the clip lacks at its start: pre-roll cut by pre_roll_max or not buffered. */
static void pre_roll_note(LiveClip *j, double pre, double asked, double max)
{
    if (!j->st->connected) {
        j->incomplete = 1;
        snprintf(j->note, sizeof(j->note), "stream down at the trigger: the clip holds what "
                 "the ring had");
    } else if (asked > max && j->pre_available < asked - 1.0 / 8) {
        snprintf(j->note, sizeof(j->note), "only %.2f of %.2f s pre-roll: --pre-roll-max is "
                 "%.2f s", j->pre_available, asked, max);
    } else if (j->pre_available < pre - 1.0 / 8) {
        snprintf(j->note, sizeof(j->note), "only %.2f of %.2f s pre-roll: the ring held no "
                 "more", j->pre_available, asked);
    }
}

/* Seconds of stream time kept before the pre-roll limit when a clip's source time 0 is placed
 * (see LiveClip.origin_pts). */
#define CLIP_ORIGIN_MARGIN 60.0

static int new_clip(Stream *st, double now, double pre, double end, const char *output,
                    const char *id, LiveClip **out)
{
    LiveClip *j = calloc(1, sizeof(*j));
    int ret = 0;
    if (!j || !(j->output = strdup(output)) || (id && !(j->id = strdup(id))) ||
        !(j->vpar = avcodec_parameters_alloc()) ||
        avcodec_parameters_copy(j->vpar, st->vpar) < 0 ||
        (st->apar && (!(j->apar = avcodec_parameters_alloc()) ||
                      avcodec_parameters_copy(j->apar, st->apar) < 0))) {
        live_clip_free(&j);
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    }
    if (id && live_clip_add_id(j, id) < 0) {
        live_clip_free(&j);
        return EVCLIP_ERR_NOMEM;
    }
    j->st = st;
    j->vtb = st->vtb;
    j->atb = st->atb;
    j->vrate = st->vrate;
    j->period = st->vrate.num > 0 && st->vrate.den > 0 ? 1 / av_q2d(st->vrate) : 1 / 30.0;
    j->closed_upto = -INFINITY;
    /* Source time 0 early enough that every packet the clip can hold (the ring's pre-roll,
     * a merge's wider pre, RTCP re-stamps) has a positive source time. */
    double vtb = av_q2d(st->vtb), origin = fmin(0, now - st->clock.base - st->live->s.pre_roll_max
                                                - CLIP_ORIGIN_MARGIN);
    j->origin_pts = (int64_t)floor(origin / vtb);
    j->base = st->clock.base + j->origin_pts * vtb;
    j->clock = st->clock.rtcp ? "rtcp" : "arrival";
    j->end = end;
    int first = ring_find_start(&st->ring, now - pre);
    j->start = first >= 0 ? ring_get(&st->ring, first)->wallclock : now;
    j->pre_available = now - j->start;
    for (int i = first; first >= 0 && i < st->ring.count && ret >= 0; i++)
        ret = live_clip_append(j, ring_get(&st->ring, i));
    if (ret < 0) {
        live_clip_free(&j);
        return ret;
    }
    LiveClip **pp = &st->recording;
    while (*pp)
        pp = &(*pp)->next;
    *pp = j;
    *out = j;
    return 0;
}

/* 1 when a clip of st with this id is recording, queued or being encoded. st->lock held
 * (taken before l->lock: nothing takes them the other way round). */
static int id_in_flight(Stream *st, const char *id)
{
    int found = 0;
    for (LiveClip *j = st->recording; j && !found; j = j->next)
        found = j->id && !strcmp(j->id, id);
    pthread_mutex_lock(&st->live->lock);
    for (LiveClip *j = st->live->handed; j && !found; j = j->next_handed)
        found = j->st == st && j->id && !strcmp(j->id, id);
    pthread_mutex_unlock(&st->live->lock);
    return found;
}

/* Refuses a merged trigger's own output: merge mode writes one file per recording. */
static int refuse_merged_output(Stream *st, LiveClip *j, const char *output, const char *id)
{
    return ev_error(EVCLIP_ERR_INVALID, "trigger%s%s%s on '%s' would merge into the clip "
                    "recording into '%s' (--overlap merge): a merged trigger cannot have its "
                    "own output '%s'; leave out \"output\" (the trigger is then held by that "
                    "file) or use --overlap separate", id ? " '" : "", id ? id : "",
                    id ? "'" : "", st->name, j->output, output);
}

/* EXISTS when overwrite is off and the file a clip recorded into `output` is published as
 * exists: `output`, or the copy of a native-only clip (the only file it writes). */
static int output_free(EvclipLive *l, Stream *st, const char *output)
{
    if (l->r->settings.overwrite)
        return 0;
    char *copy = live_copy_only_path(l, st, st->vpar, st->apar, output);
    const char *file = copy ? copy : output;
    int ret = access(file, F_OK) == 0
                  ? ev_error(EVCLIP_ERR_EXISTS, "'%s' exists (overwrite is off)", file) : 0;
    free(copy);
    return ret;
}

/* A trigger (max 0) or, with max > 0, an open-ended recording ("start": never merged, ends
 * at "stop" or after max seconds). */
static int trigger(EvclipLive *l, Stream *st, double pre, double post, const char *output,
                   const char *event_id, double max)
{
    const char *stream = st->name;
    char defpath[4096];
    if ((output && !*output) || isnan(pre) || isnan(post) || pre > 86400 || post > 86400)
        return ev_error(EVCLIP_ERR_INVALID, "trigger on '%s': an output path (or NULL) and "
                        "finite pre/post are required", stream);
    double asked = pre < 0 ? st->p.pre : pre;
    pre = fmin(asked, l->s.pre_roll_max);
    post = post < 0 ? st->p.post : post;
    double now = live_wall_now();
    LiveClip *j = NULL;
    int ret = 0, merged = 0;
    char path[4096], id[256], note[256];
    EvclipLiveEvent ev = { 0 };

    if (atomic_load(&st->removing))
        return ev_error(EVCLIP_ERR_INVALID, "stream '%s' is being removed", stream);
    pthread_mutex_lock(&st->lock);
    LiveClip *target = l->s.overlap == EVCLIP_OVERLAP_MERGE && !max ? merge_target(st) : NULL;
    if (target && output && strcmp(output, target->output)) {
        ret = refuse_merged_output(st, target, output, event_id);
    } else if (target) {
        merged = 1;
        j = target;
        ret = merge_into(st, j, now, pre, now + post, event_id);
    } else if (!st->vpar) {
        ret = ev_error(EVCLIP_ERR_INPUT, "stream '%s' has not delivered any packet yet",
                       stream);
    } else if ((l->s.overlap == EVCLIP_OVERLAP_SEPARATE || max) && event_id &&
               id_in_flight(st, event_id)) {
        ret = ev_error(EVCLIP_ERR_INVALID, "%s on '%s': id '%s' is already recording or "
                       "encoding (ids must be unique%s)", max ? "start" : "trigger", stream,
                       event_id, max ? "" : " in separate mode");
    } else {
        if (!output) {
            live_default_output(l, stream, event_id, defpath, sizeof(defpath));
            output = defpath;
        }
        if ((ret = output_free(l, st, output)) >= 0 &&
            (ret = new_clip(st, now, pre, now + (max ? max : post), output, event_id,
                            &j)) >= 0) {
            j->pre_asked = asked;
            j->open_ended = max > 0;
            j->max = max;
            pre_roll_note(j, pre, asked, l->s.pre_roll_max);
            if (max && !*j->note)
                snprintf(j->note, sizeof(j->note), "recording until stop (at most %.0f s)",
                         max);
        }
    }
    if (j && ret >= 0) {
        /* Copies: the callback runs without st->lock (it may ask for stats). A native-only
         * clip is named by the copy it is published as. */
        char *copy = live_copy_only_path(l, st, j->vpar, j->apar, j->output);
        snprintf(path, sizeof(path), "%s", copy ? copy : j->output);
        free(copy);
        snprintf(id, sizeof(id), "%s", merged ? (event_id ? event_id : "")
                                              : (j->id ? j->id : ""));
        snprintf(note, sizeof(note), "%s", merged ? "" : j->note);
        if (merged)
            snprintf(note, sizeof(note), "merged into the clip recording into '%s'%s%s%s",
                     j->output, j->id ? " (trigger '" : "", j->id ? j->id : "",
                     j->id ? "')" : "");
        ev = (EvclipLiveEvent){
            .type = merged ? EVCLIP_LIVE_CLIP_EXTENDED : EVCLIP_LIVE_CLIP_STARTED,
            .stream = st->name, .clip_id = *id ? id : NULL, .path = path, .clock = j->clock,
            .start = j->start, .end = j->end,
            .pre_available = merged ? now - j->start : j->pre_available,
            .incomplete = j->incomplete, .message = *note ? note : NULL,
            .pre_requested = merged ? asked : j->pre_asked,
        };
    }
    pthread_mutex_unlock(&st->lock);
    if (j && ret >= 0) {
        live_emit(l, &ev);
        if (!merged) {
            pthread_mutex_lock(&st->lock);
            j->announced = 1; /* still in st->recording: live_hand_over skips unannounced clips */
            if (!j->open_ended)
                live_clip_start(j); /* encodes from now on, as its packets arrive */
            pthread_mutex_unlock(&st->lock);
        }
    }
    return ret < 0 ? ret : merged;
}

int evclip_live_trigger(EvclipLive *l, const char *stream, double pre, double post,
                        const char *output, const char *event_id)
{
    ev_error_clear();
    Stream *st = live_stream_get(l, stream);
    if (!st)
        return EVCLIP_ERR_INVALID;
    int ret = trigger(l, st, pre, post, output, event_id, 0);
    live_stream_put(st);
    return ret;
}

int evclip_live_start(EvclipLive *l, const char *stream, double pre, double max,
                      const char *output, const char *id)
{
    ev_error_clear();
    if (!id || !*id)
        return ev_error(EVCLIP_ERR_INVALID, "start on '%s': an id is required (stop names "
                        "the recording by it)", stream ? stream : "(null)");
    if (max <= 0)
        max = DEFAULT_MAX;
    if (!(max <= 86400))
        return ev_error(EVCLIP_ERR_INVALID, "start on '%s': max must be at most 86400 s",
                        stream ? stream : "(null)");
    Stream *st = live_stream_get(l, stream);
    if (!st)
        return EVCLIP_ERR_INVALID;
    int ret = trigger(l, st, pre, 0, output, id, max);
    live_stream_put(st);
    return ret;
}

/* Detections later than this after now are refused: they would wait in memory for a clip. */
#define MAX_FUTURE_DETECTION 3600.0

static int add_detections(EvclipLive *l, Stream *st, int key, double time,
                          const EvclipDetection *dets, int nb)
{
    const char *stream = st->name;
    int ret = 0;
    if (!isfinite(time) || nb < 0 || (nb && !dets))
        return ev_error(EVCLIP_ERR_INVALID, "detections: bad time or count");
    for (int i = 0; i < nb; i++)
        if (!dets[i].label)
            return ev_error(EVCLIP_ERR_INVALID, "detection %d has no label", i);
    double cutoff = live_wall_now() - l->s.pre_roll_max - l->r->settings.hold -
                    DETECTION_KEEP_EXTRA;

    double pts = time;
    pthread_mutex_lock(&st->lock);
    if (key == EVCLIP_KEY_PTS) {
        if (!st->clock.anchored)
            ret = ev_error(EVCLIP_ERR_INVALID, "stream '%s' has no timeline yet", stream);
        time = st->clock.base + time + st->clock.offset;
    }
    int conn = key == EVCLIP_KEY_PTS ? st->conn : 0;
    if (ret >= 0 && time > live_wall_now() + MAX_FUTURE_DETECTION)
        ret = ev_error(EVCLIP_ERR_INVALID, "detections for '%s' at %.3f are %.0f s ahead of "
                       "now: no clip can hold them (check the detector's clock)", stream, time,
                       time - live_wall_now());
    if (st->ndets) { /* not in time order: any entry may be old */
        int k = 0;
        for (int i = 0; i < st->ndets; i++) {
            if (st->dets[i].d.ts < cutoff)
                free((char *)st->dets[i].d.label);
            else
                st->dets[k++] = st->dets[i];
        }
        st->ndets = k;
    }
    if (ret >= 0 && st->ndets + nb > st->capdets) {
        int cap = (st->ndets + nb) * 2;
        DetEntry *p = realloc(st->dets, sizeof(*p) * cap);
        if (p) {
            st->dets = p;
            st->capdets = cap;
        } else {
            ret = ev_error(EVCLIP_ERR_NOMEM, "out of memory");
        }
    }
    double arrived = live_wall_now();
    for (int i = 0; ret >= 0 && i < nb; i++) {
        EvclipDetection d = dets[i];
        d.frame_idx = EVCLIP_NONE;
        d.ts = time;
        if (!(d.label = strdup(dets[i].label)))
            ret = ev_error(EVCLIP_ERR_NOMEM, "out of memory");
        else
            st->dets[st->ndets++] = (DetEntry){ .d = d, .seq = ++st->det_seq,
                                                .arrived = arrived, .pts = pts, .conn = conn };
    }
    if (ret >= 0 && time > st->det_latest) { /* an empty message says "nothing up to here" */
        st->det_latest = time;
        pthread_cond_broadcast(&st->grow); /* frames waiting for it go on */
    }
    pthread_mutex_unlock(&st->lock);
    return ret;
}

int evclip_live_add_detections(EvclipLive *l, const char *stream, int key, double time,
                               const EvclipDetection *dets, int nb)
{
    ev_error_clear();
    Stream *st = live_stream_get(l, stream);
    if (!st)
        return EVCLIP_ERR_INVALID;
    int ret = add_detections(l, st, key, time, dets, nb);
    live_stream_put(st);
    return ret;
}

int evclip_live_get_stream_stats(EvclipLive *l, const char *stream, EvclipStreamStats *s)
{
    ev_error_clear();
    if (!s)
        return ev_error(EVCLIP_ERR_INVALID, "evclip_live_get_stream_stats: NULL stats");
    Stream *st = live_stream_get(l, stream);
    if (!st)
        return EVCLIP_ERR_INVALID;
    live_stream_stats(st, s);
    live_stream_put(st);
    return 0;
}

void live_stream_stats(Stream *st, EvclipStreamStats *s)
{
    memset(s, 0, sizeof(*s));
    pthread_mutex_lock(&st->lock);
    s->connected = st->connected;
    s->packets = st->packets;
    s->ring_packets = st->ring.count;
    s->ring_bytes = (int64_t)st->ring.bytes;
    s->ring_seconds = ring_span(&st->ring);
    s->reconnects = st->reconnects;
    for (LiveClip *j = st->recording; j; j = j->next)
        s->recording++;
    if (st->clock.anchored)
        snprintf(s->clock, sizeof(s->clock), "%s", st->clock.rtcp ? "rtcp" : "arrival");
    snprintf(s->state, sizeof(s->state), "%s", atomic_load(&st->removing) ? "removing"
                                               : st->connected ? "up"
                                               : st->was_up ? "down" : "connecting");
    pthread_mutex_unlock(&st->lock);
}

void evclip_live_close(EvclipLive **pl)
{
    if (!pl || !*pl)
        return;
    EvclipLive *l = *pl;
    atomic_store(&l->stop, 1);
    for (int i = 0; i < l->nstreams; i++)
        if (l->streams[i]->started)
            pthread_join(l->streams[i]->thread, NULL);
    if (l->have_supervisor)
        pthread_join(l->supervisor, NULL);
    for (int i = 0; i < l->nstreams; i++)
        live_hand_over(l->streams[i], 1, "shutdown");
    worker_pool_close(&l->pool); /* renders what was handed over, then stops */
    for (int i = 0; i < l->nstreams; i++)
        live_stream_free(l->streams[i]);
    free(l->streams);
    free(l->output_dir);
    free(l->preview_hls);
    free(l->timezone);
    pthread_cond_destroy(&l->cond);
    pthread_mutex_destroy(&l->lock);
    pthread_mutex_destroy(&l->pass_lock);
    pthread_mutex_destroy(&l->event_lock);
    free(l);
    *pl = NULL;
}
