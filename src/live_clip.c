/* live_clip.c: live clips: packet copies, rendering by the clip engine while they record (a
 * clip's packets are a growing packet source for the walker of batch.c), hand-over. */
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
    evclip_detections_free(&j->timed);
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

/* Takes the detections pushed since the last call that fall in j's window (or the hold
 * before it): those of frames still to be encoded join j's stores (j->dets as pushed, wall
 * clock: the manifest hashes them; j->timed on the clip's source timeline: the engine
 * matches them), those of frames gone to the encoder are counted late. st->lock held.
 * Returns the number taken, or NOMEM. */
static int take_detections(LiveClip *j, double hold)
{
    Stream *st = j->st;
    int i = st->ndets, taken = 0, ret = 0;
    while (i > 0 && st->dets[i - 1].seq > j->det_seq) /* entries are in arrival order */
        i--;
    double lo = fmax(j->start - hold - 1, j->base), hi = j->end + 1;
    for (; ret >= 0 && i < st->ndets; i++) {
        const DetEntry *e = &st->dets[i];
        EvclipDetection d = e->d;
        j->det_seq = e->seq;
        if (!(d.ts >= lo && d.ts < hi))
            continue;
        if (d.ts < j->closed_upto) {
            j->late++;
            j->late_max = fmax(j->late_max, e->arrived - d.ts);
        } else if ((ret = detections_add_checked(j->dets, &d, NULL)) >= 0) {
            d.ts -= j->base;
            ret = detections_add_checked(j->timed, &d, NULL);
            taken++;
        }
    }
    return ret < 0 ? ret : taken;
}

/* 1 when packet e may go to the encoder: audio; or video whose frame's detections are in (a
 * detection message for its time or later came), waited st->delay, or will never come (or
 * are not drawn: a passthrough-only clip). */
static int frame_ready(const LiveClip *j, const RingEntry *e, double now)
{
    const Stream *st = j->st;
    return !e->video || j->forced || j->copy_only || now >= e->wallclock + st->delay ||
           st->det_latest >= e->wallclock - j->period / 2;
}

/* The end of j's feed (st->lock held): its manifest section gets what the recording became. */
static void feed_ended(LiveClip *j)
{
    ManifestLive *m = j->mlive;
    m->start = j->start;
    m->end = j->end;
    m->trigger_ids = (const char *const *)j->ids;
    m->nb_trigger_ids = j->nids;
    m->gaps = j->ngaps ? &j->gaps[0][0] : NULL;
    m->ngaps = j->ngaps;
    m->incomplete = j->incomplete;
    m->late_detections = j->late;
    m->late_max_s = j->late_max;
}

/* Waits for st->grow until `until` (wall clock) at most. */
static void wait_grow(Stream *st, double until)
{
    double t = fmin(until, live_wall_now() + TICK_SECONDS);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    double left = fmax(0, t - live_wall_now());
    ts.tv_sec += (time_t)left;
    ts.tv_nsec += (long)((left - floor(left)) * 1e9);
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&st->grow, &st->lock, &ts);
}

/* PacketFeed.pull of a clip: packet `index` of its recording once its frame may be drawn;
 * with a passthrough copy, the copy gets it too (and is finished at the feed's end). */
static int pull(void *opaque, int index, RingEntry *out)
{
    LiveClip *j = opaque;
    Stream *st = j->st;
    EvclipLive *l = st->live;
    int ret = 0, taken = 0;
    double end;
    pthread_mutex_lock(&st->lock);
    for (;;) {
        if (j->restart) {
            ret = AVERROR_EXIT; /* a merge moved the start: render_job begins again */
            break;
        }
        if ((ret = take_detections(j, l->r->settings.hold)) < 0)
            break;
        taken += ret;
        ret = 0;
        double now = live_wall_now(), until = now + TICK_SECONDS;
        if (index < j->count) {
            const RingEntry *e = &j->pkts[index];
            if (frame_ready(j, e, now)) {
                *out = *e;
                if (!(out->pkt = av_packet_clone(e->pkt))) {
                    ret = AVERROR(ENOMEM);
                    break;
                }
                if (e->video && !j->copy_only) /* a detection for it is late from now */
                    j->closed_upto = fmax(j->closed_upto, e->wallclock + j->period / 2);
                ret = 1;
                break;
            }
            until = e->wallclock + st->delay;
        } else if (j->detached) {
            feed_ended(j);
            break;
        } else if (j->reached) {
            live_clip_detach(j, 0, NULL); /* complete: nothing more comes */
            continue;
        }
        if (renderer_cancelled(l->r)) {
            ret = AVERROR_EXIT;
            break;
        }
        wait_grow(st, until);
    }
    end = j->end;
    pthread_mutex_unlock(&st->lock);
    if (taken && detections_prepare(j->timed) < 0) {
        if (ret > 0)
            av_packet_free(&out->pkt);
        ret = AVERROR(ENOMEM);
    }
    if (j->copy && ret >= 0 && live_native_feed(j, ret ? out : NULL, end) < 0 && ret) {
        av_packet_free(&out->pkt);
        ret = 0; /* the copy failed: the feed ends, the clip fails with the copy's error */
    }
    return ret;
}

/* The clip's packets as the engine's source (BatchInput.open): source time 0 (video pts
 * j->origin_pts) is wall clock j->base; they come from the feed as they are recorded. */
static int open_packets(void *opaque, Source **out, const EvclipSource *in, int threads,
                        const Logger *log)
{
    LiveClip *j = opaque;
    PacketList list = {
        .name = in->path, .vpar = j->vpar, .apar = j->apar, .vtb = j->vtb, .atb = j->atb,
        .vrate = j->vrate, .origin = j->origin_pts, .feed = &j->feed,
    };
    return source_open_packets(out, &list, threads, log);
}

/* BatchInput.window_end: the window end as merges and stops moved it (half a frame of slack
 * as at the start: the feed, which stops at the end, ends the clip). */
static double window_end(void *opaque)
{
    LiveClip *j = opaque;
    pthread_mutex_lock(&j->st->lock);
    double end = j->end - j->base + j->period / 2;
    pthread_mutex_unlock(&j->st->lock);
    return end;
}

/* The clip's HLS preview directory: settings.preview_hls/NAME, NAME the output's file name
 * without its extension (a leading '.' made '_': never hidden, never ".."). */
static void live_preview_dir(const EvclipLive *l, const char *output, char *out, size_t size)
{
    const char *slash = strrchr(output, '/'), *name = slash ? slash + 1 : output;
    const char *dot = strrchr(name, '.');
    int len = dot && dot > name ? (int)(dot - name) : (int)strlen(name);
    snprintf(out, size, "%s/%s%.*s", l->preview_hls, *name == '.' ? "_" : "", len, name);
}

/* One encode of the clip from its first packet (st->lock held): fresh detection stores,
 * those pushed so far taken; *src the window as it is now. Returns 0 or NOMEM. */
static int begin_encode(LiveClip *j, double hold, EvclipSource *src)
{
    evclip_detections_free(&j->dets);
    evclip_detections_free(&j->timed);
    j->det_seq = 0;
    j->closed_upto = -INFINITY;
    j->late = 0;
    j->late_max = 0;
    j->restart = 0;
    j->encoding = 1;
    feed_ended(j); /* what it is so far (a clip failing early reports that) */
    /* Half a frame of slack before the first keyframe: its wall clock and its pts agree only
     * to the time base's rounding. */
    src->start = fmax(0, j->start - j->base - j->period / 2);
    src->end = j->end - j->base + j->period / 2;
    int ret = evclip_detections_new(&j->dets);
    if (ret >= 0)
        ret = evclip_detections_new(&j->timed);
    if (ret >= 0 && (ret = take_detections(j, hold)) >= 0)
        ret = detections_prepare(j->timed);
    src->detections = j->timed;
    return ret;
}

/* The stream's (or the pool's) zone replaces the renderer's in the clip's settings `s`, on a
 * copy of its draw options in *draw: the drawn timestamps and the manifest follow it. */
static void live_clip_zone(const LiveClip *j, EvclipSettings *s, EvclipDrawOptions *draw)
{
    const char *zone = live_stream_zone(j->st);
    if (!zone)
        return;
    if (s->draw_options)
        *draw = *s->draw_options;
    draw->timezone = zone;
    s->draw_options = draw;
}

/* Renders the clip with the clip engine (batch.c: the walker, ClipRun, pipeline, manifest)
 * over its packets as they are recorded, published with its evidence manifest (stream URL
 * without credentials, trigger ids, wall-clock window, clock, pre-roll, gaps, damaged
 * packets, detections hash, late detections, output hash, signature). A merged trigger whose
 * pre-roll reaches before the clip's start begins the encode again from the new start. */
static int render_job(EvclipLive *l, LiveClip *j, EvclipResult *res)
{
    EvclipSettings s = l->r->settings;
    EvclipDrawOptions draw = { .struct_size = sizeof(draw) };
    char url[4096];
    int ret, again;
    s.clamp = 1; /* the clip holds what was recorded (an outage, a stream removed: incomplete) */
    live_clip_zone(j, &s, &draw);
    manifest_strip_credentials(j->st->url, url, sizeof(url));
    ManifestLive live = {
        .stream = j->st->name, .url = j->st->url, .mode = j->open_ended ? "start" : "trigger",
        .clock = j->clock, .pre_requested = j->pre_asked, .pre_available = j->pre_available,
        .pre_roll_max = l->s.pre_roll_max, .note = j->note, .detection_delay = j->st->delay,
    };
    BatchInput in = { .open = open_packets, .opaque = j, .live = &live, .wall0 = j->base,
                      .window_end = window_end };
    EvclipSource src = { .path = url };
    char preview[4096];
    if (l->preview_hls)
        live_preview_dir(l, j->output, preview, sizeof(preview));
    in.preview_hls = l->preview_hls ? preview : NULL;
    EvclipClip clip = { .sources = &src, .nb_sources = 1, .output = j->output, .settings = &s };
    j->feed = (PacketFeed){ .pull = pull, .opaque = j };
    pthread_mutex_lock(&j->st->lock);
    j->mlive = &live;
    do {
        ret = begin_encode(j, s.hold, &src);
        pthread_mutex_unlock(&j->st->lock);
        live.detections = j->dets;
        memset(res, 0, sizeof(*res));
        if (ret >= 0)
            ret = live_native_run(l, j, &clip, &in, res); /* batch_run, and a copy */
        pthread_mutex_lock(&j->st->lock);
        again = j->restart; /* its run stopped and left nothing */
    } while (again);
    j->ready_after = live_wall_now() - j->end;
    j->mlive = NULL;
    pthread_mutex_unlock(&j->st->lock);
    if (ret < 0)
        return ret;
    j->damaged = res->damaged_packets;
    /* damaged packets were warned of by the engine (a warning of the result) */
    return res->status < 0 ? ev_error(res->status, "%s", res->error) : 0;
}

/* Takes j off st->recording when it is there (st->lock held). */
static void unlink_recording(Stream *st, LiveClip *j)
{
    for (LiveClip **pp = &st->recording; *pp; pp = &(*pp)->next)
        if (*pp == j) {
            *pp = j->next;
            break;
        }
}

/* Takes j off the list of handed-over clips and frees it (off st->recording already). */
static void forget(EvclipLive *l, LiveClip *j)
{
    pthread_mutex_lock(&l->lock);
    for (LiveClip **pp = &l->handed; *pp; pp = &(*pp)->next_handed)
        if (*pp == j) {
            *pp = j->next_handed;
            break;
        }
    live_clip_free(&j);
    pthread_cond_broadcast(&l->cond);
    pthread_mutex_unlock(&l->lock);
}

/* A task of the worker pool: renders one clip as it records, reports it and frees it. */
static void clip_task(void *arg)
{
    LiveClip *j = arg;
    Stream *st = j->st;
    EvclipLive *l = st->live;
    EvclipResult res = { 0 };
    ev_log_capture_ffmpeg(&l->r->log);
    ev_error_clear();
    int ret = render_job(l, j, &res);
    pthread_mutex_lock(&st->lock); /* a clip that failed early: the reader appends no more */
    if (!j->detached)
        live_clip_detach(j, 1, "encoding failed");
    pthread_mutex_unlock(&st->lock);
    if (ret < 0)
        live_emit_clip(j, EVCLIP_LIVE_CLIP_FAILED, NULL, ret, ev_error_message());
    else
        live_emit_clip(j, EVCLIP_LIVE_CLIP_FINISHED, &res, 0, j->note);
    ev_log_capture_ffmpeg(NULL);
    forget(l, j);
}

void live_clip_start(LiveClip *j)
{
    EvclipLive *l = j->st->live;
    if (j->started)
        return;
    j->started = 1;
    pthread_mutex_lock(&l->lock);
    j->next_handed = l->handed;
    l->handed = j;
    pthread_mutex_unlock(&l->lock);
    int ret = worker_pool_task(l->pool, clip_task, j);
    if (ret >= 0)
        return;
    if (!j->detached)
        live_clip_detach(j, 1, "cannot queue its encode");
    live_emit_clip(j, EVCLIP_LIVE_CLIP_FAILED, NULL, ret, ev_error_message());
    forget(l, j);
}

void live_clip_detach(LiveClip *j, int force, const char *why)
{
    Stream *st = j->st;
    if (j->reached && j->open_ended && !j->stopped)
        snprintf(j->note, sizeof(j->note), "no stop before the max duration guard (%.0f s): "
                 "recording ended there", j->max);
    if (!j->reached) {
        j->incomplete = 1;
        snprintf(j->note, sizeof(j->note), "%s: recorded up to %.2f s of %.2f s",
                 force ? why : "no packets from the stream",
                 fmax(0, fmin(st->last_wall, j->end) - j->start), j->end - j->start);
    }
    unlink_recording(st, j);
    j->detached = 1;
    j->forced = force;
    live_clip_gaps(j);
    pthread_cond_broadcast(&st->grow);
}

void live_hand_over(Stream *st, int force, const char *why)
{
    EvclipLive *l = st->live;
    double wall = live_wall_now();

    pthread_mutex_lock(&st->lock);
    for (LiveClip *j = st->recording, *next; j; j = next) {
        next = j->next;
        int late = wall >= j->end + l->s.outage_grace + st->delay;
        if (j->announced && (force || late || j->reached)) {
            live_clip_detach(j, force, why);
            live_clip_start(j); /* a "start" recording's encode begins at its end */
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
