/* live_clip.c: live clips: packet copies, hand-over to workers, rendering by the clip engine
 * (a clip's packets are a packet source for the walker of batch.c). */
#include "src/batch.h"
#include "src/live_internal.h"
#include "src/live_native.h"
#include "src/source_packets.h"

/* ---------------------------------------------------------------------------------------- */
/* Clip jobs                                                                                */

void live_clip_free(LiveClip **pj)
{
    LiveClip *j = *pj;
    if (!j)
        return;
    for (int i = 0; i < j->count; i++)
        av_packet_free(&j->pkts[i].pkt);
    free(j->pkts);
    avcodec_parameters_free(&j->vpar);
    avcodec_parameters_free(&j->apar);
    evclip_detections_free(&j->dets);
    free(j->output);
    free(j->id);
    free(j->gaps);
    free(j->gap_at);
    for (int i = 0; i < j->nids; i++)
        free(j->ids[i]);
    free(j->ids);
    free(j);
    *pj = NULL;
}

/* Records an outage between the clip's newest video packet and e (a new connection, or a
 * silence of GAP_MIN seconds or more): the clip keeps the hole in its timestamps and says so.
 * e is pkts[index], the packet after those seen so far. */
static int note_gap(LiveClip *j, const RingEntry *e, int index)
{
    if (!e->video)
        return 0;
    double from = j->last_video;
    int gap = from > 0 && e->wallclock > from &&
              (e->conn != j->last_conn || e->wallclock - from >= GAP_MIN);
    int before = j->last_index;
    j->last_video = e->wallclock;
    j->last_conn = e->conn;
    j->last_index = index;
    if (!gap)
        return 0;
    if (j->ngaps == j->capgaps) {
        int cap = j->capgaps ? j->capgaps * 2 : 4;
        int (*p)[2] = realloc(j->gap_at, sizeof(*p) * cap);
        double (*q)[2] = p ? realloc(j->gaps, sizeof(*q) * cap) : NULL;
        if (p)
            j->gap_at = p;
        if (!q)
            return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
        j->gaps = q;
        j->capgaps = cap;
    }
    j->gap_at[j->ngaps][0] = before;
    j->gap_at[j->ngaps][1] = index;
    j->ngaps++;
    j->incomplete = 1;
    return 0;
}

void live_clip_gaps(LiveClip *j)
{
    for (int i = 0; i < j->ngaps; i++) {
        j->gaps[i][0] = j->pkts[j->gap_at[i][0]].wallclock;
        j->gaps[i][1] = j->pkts[j->gap_at[i][1]].wallclock;
    }
}

int live_clip_append(LiveClip *j, const RingEntry *e)
{
    if (j->count == j->capacity) {
        int cap = j->capacity ? j->capacity * 2 : 512;
        RingEntry *p = realloc(j->pkts, sizeof(*p) * cap);
        if (!p)
            return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
        j->pkts = p;
        j->capacity = cap;
    }
    RingEntry *c = &j->pkts[j->count];
    *c = *e;
    if (!(c->pkt = av_packet_clone(e->pkt)))
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    j->count++;
    return note_gap(j, c, j->count - 1);
}

int live_clip_add_id(LiveClip *j, const char *id)
{
    char **p = realloc(j->ids, sizeof(*p) * (j->nids + 1));
    if (!p)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    j->ids = p;
    if (!(j->ids[j->nids] = strdup(id)))
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    j->nids++;
    return 0;
}

int live_clip_prepend(LiveClip *j, const Ring *ring, int first)
{
    int64_t seq0 = j->count ? j->pkts[0].seq : INT64_MAX;
    int n = 0, ret = 0;
    while (first >= 0 && first + n < ring->count && ring_get(ring, first + n)->seq < seq0)
        n++;
    if (!n)
        return 0;
    RingEntry *p = malloc(sizeof(*p) * (j->count + n));
    for (int i = 0; p && i < n; i++) {
        p[i] = *ring_get(ring, first + i);
        if (!(p[i].pkt = av_packet_clone(p[i].pkt))) {
            while (i--)
                av_packet_free(&p[i].pkt);
            free(p);
            p = NULL;
        }
    }
    if (!p)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    memcpy(p + n, j->pkts, sizeof(*p) * j->count);
    free(j->pkts);
    j->pkts = p;
    j->count += n;
    j->capacity = j->count;
    /* the gaps again, over the whole list (indexes moved, and the new head may hold some) */
    j->ngaps = 0;
    j->last_video = 0;
    for (int i = 0; i < j->count && ret >= 0; i++)
        ret = note_gap(j, &j->pkts[i], i);
    j->start = j->pkts[0].wallclock;
    return ret < 0 ? ret : n;
}

/* Copies the detections of the clip's window (plus the hold before it) into its own stores:
 * j->dets as pushed (wall clock: the manifest hashes them) and *timed on the clip's source
 * timeline (seconds since the stream's timeline origin j->base: the engine matches them). */
static int take_detections(LiveClip *j, double hold, EvclipDetections **timed)
{
    Stream *st = j->st;
    int ret = evclip_detections_new(&j->dets);
    if (ret >= 0)
        ret = evclip_detections_new(timed);
    double lo = fmax(j->start - hold - 1, j->base), hi = j->end + 1;
    pthread_mutex_lock(&st->lock);
    for (int i = 0; ret >= 0 && i < st->ndets; i++) {
        EvclipDetection d = st->dets[i].d;
        if (d.ts >= lo && d.ts < hi && (ret = evclip_detections_add(j->dets, &d)) >= 0) {
            d.ts -= j->base;
            ret = evclip_detections_add(*timed, &d);
        }
    }
    pthread_mutex_unlock(&st->lock);
    return ret;
}

/* The clip's packets as the engine's source (BatchInput.open): pts 0 is wall clock j->base. */
static int open_packets(void *opaque, Source **out, const EvclipSource *in, int threads,
                        const Logger *log)
{
    const LiveClip *j = opaque;
    PacketList list = {
        .name = in->path, .pkts = j->pkts, .count = j->count, .vpar = j->vpar,
        .apar = j->apar, .vtb = j->vtb, .atb = j->atb, .vrate = j->vrate, .origin = 0,
    };
    return source_open_packets(out, &list, threads, log);
}

/* Renders the clip with the clip engine (batch.c: the walker, ClipRun, pipeline, manifest)
 * over its packets, published with its evidence manifest (stream URL without credentials,
 * trigger ids, wall-clock window, clock, pre-roll, gaps, damaged packets, detections hash,
 * output hash, signature). */
static int render_job(EvclipLive *l, LiveClip *j, EvclipResult *res)
{
    EvclipSettings s = l->r->settings;
    char url[4096];
    double period = j->vrate.num > 0 ? 1 / av_q2d(j->vrate) : 1 / 30.0;
    s.clamp = 1; /* the clip holds what was recorded (an outage, a stream removed: incomplete) */
    manifest_strip_credentials(j->st->url, url, sizeof(url));
    /* Half a frame of slack before the first keyframe: its wall clock and its pts agree only
     * to the time base's rounding. */
    EvclipSource src = { .path = url, .detections = NULL, .end = j->end - j->base,
                         .start = fmax(0, j->start - j->base - period / 2) };
    EvclipClip clip = { .sources = &src, .nb_sources = 1, .output = j->output, .settings = &s };
    ManifestLive live = {
        .stream = j->st->name, .url = j->st->url, .trigger_ids = (const char *const *)j->ids,
        .nb_trigger_ids = j->nids, .mode = j->open_ended ? "start" : "trigger",
        .start = j->start, .end = j->end, .clock = j->clock, .pre_requested = j->pre_asked,
        .pre_available = j->pre_available, .pre_roll_max = l->s.pre_roll_max,
        .gaps = j->ngaps ? &j->gaps[0][0] : NULL, .ngaps = j->ngaps,
        .incomplete = j->incomplete, .note = j->note,
    };
    BatchInput in = { .open = open_packets, .opaque = j, .live = &live, .wall0 = j->base };
    EvclipDetections *timed = NULL;
    EvclipDetectionStats stats;
    int ret = take_detections(j, s.hold, &timed);
    evclip_detections_get_stats(timed, &stats);
    src.detections = stats.count ? timed : NULL; /* a trigger without detections: no warning */
    live.detections = j->dets;
    if (ret >= 0)
        ret = live_native_run(l, j, &clip, &in, res); /* batch_run, with or without copy */
    evclip_detections_free(&timed);
    if (ret < 0)
        return ret;
    j->damaged = res->damaged_packets;
    /* damaged packets were warned of by the engine (a warning of the result) */
    return res->status < 0 ? ev_error(res->status, "%s", res->error) : 0;
}

/* Takes j off the list of handed-over clips and frees it. */
static void forget(EvclipLive *l, LiveClip *j)
{
    pthread_mutex_lock(&l->lock);
    for (LiveClip **pp = &l->handed; *pp; pp = &(*pp)->next)
        if (*pp == j) {
            *pp = j->next;
            break;
        }
    live_clip_free(&j);
    pthread_cond_broadcast(&l->cond);
    pthread_mutex_unlock(&l->lock);
}

/* A task of the worker pool: renders one handed-over clip, reports it and frees it. */
static void clip_task(void *arg)
{
    LiveClip *j = arg;
    EvclipLive *l = j->st->live;
    EvclipResult res = { 0 };
    ev_log_capture_ffmpeg(&l->r->log);
    ev_error_clear();
    int ret = render_job(l, j, &res);
    if (ret < 0)
        live_emit_clip(j, EVCLIP_LIVE_CLIP_FAILED, NULL, ret, ev_error_message());
    else
        live_emit_clip(j, EVCLIP_LIVE_CLIP_FINISHED, &res, 0, j->note);
    ev_log_capture_ffmpeg(NULL);
    forget(l, j);
}

/* Hands j to the worker pool (st->lock held: a clip is always in one list, see
 * id_in_flight). */
static void enqueue(EvclipLive *l, LiveClip *j)
{
    pthread_mutex_lock(&l->lock);
    j->next = l->handed;
    l->handed = j;
    pthread_mutex_unlock(&l->lock);
    int ret = worker_pool_task(l->pool, clip_task, j);
    if (ret >= 0)
        return;
    live_emit_clip(j, EVCLIP_LIVE_CLIP_FAILED, NULL, ret, ev_error_message());
    forget(l, j);
}

/* Removes the clips of st that are ready (or must be cut: `force`) from its recording list
 * and queues them. Call without st->lock. */
void live_hand_over(Stream *st, int force, const char *why)
{
    EvclipLive *l = st->live;
    LiveClip **pp;
    double mono = live_mono_now(), wall = live_wall_now();

    pthread_mutex_lock(&st->lock);
    for (pp = &st->recording; *pp;) {
        LiveClip *j = *pp;
        int late = wall >= j->end + l->s.outage_grace + l->s.detection_delay;
        if (j->announced && (force || late || (j->reached && mono >= j->ready_at))) {
            if (j->reached && j->open_ended && !j->stopped)
                snprintf(j->note, sizeof(j->note), "no stop before the max duration guard "
                         "(%.0f s): recording ended there", j->max);
            if (!j->reached) {
                j->incomplete = 1;
                snprintf(j->note, sizeof(j->note), "%s: recorded up to %.2f s of %.2f s",
                         force ? why : "no packets from the stream",
                         fmax(0, fmin(st->last_wall, j->end) - j->start), j->end - j->start);
            }
            *pp = j->next;
            live_clip_gaps(j);
            enqueue(l, j); /* under st->lock: a clip is always in one list (id_in_flight) */
        } else {
            pp = &j->next;
        }
    }
    pthread_mutex_unlock(&st->lock);
}

void *live_supervisor_main(void *arg)
{
    EvclipLive *l = arg;
    while (!atomic_load(&l->stop)) {
        av_usleep((unsigned)(TICK_SECONDS * 1e6));
        pthread_mutex_lock(&l->pass_lock); /* no stream is unlinked during the pass */
        pthread_mutex_lock(&l->lock);
        int n = l->nstreams;
        pthread_mutex_unlock(&l->lock);
        for (int i = 0; i < n; i++) {
            pthread_mutex_lock(&l->lock);
            Stream *st = l->streams[i]; /* the array may be reallocated by add_stream */
            pthread_mutex_unlock(&l->lock);
            live_hand_over(st, 0, NULL);
        }
        pthread_mutex_unlock(&l->pass_lock);
    }
    return NULL;
}
