/* live_clip.c: live clips: packet copies, hand-over to workers, decode-draw-encode. */
#include "src/frame_boxes.h"
#include "src/live_internal.h"
#include "src/publish.h"

/* ---------------------------------------------------------------------------------------- */
/* Clip jobs                                                                                */

void live_job_free(ClipJob **pj)
{
    ClipJob *j = *pj;
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
static int note_gap(ClipJob *j, const RingEntry *e, int index)
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

void live_job_gaps(ClipJob *j)
{
    for (int i = 0; i < j->ngaps; i++) {
        j->gaps[i][0] = j->pkts[j->gap_at[i][0]].wallclock;
        j->gaps[i][1] = j->pkts[j->gap_at[i][1]].wallclock;
    }
}

int live_job_append(ClipJob *j, const RingEntry *e)
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

int live_job_add_id(ClipJob *j, const char *id)
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

int live_job_prepend(ClipJob *j, const Ring *ring, int first)
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

/* Copies the detections of the clip's window (plus the hold before it) into its own store. */
static int job_take_detections(ClipJob *j, double hold)
{
    Stream *st = j->st;
    int ret = evclip_detections_new(&j->dets);
    double lo = j->start - hold - 1, hi = j->end + 1;
    pthread_mutex_lock(&st->lock);
    for (int i = 0; ret >= 0 && i < st->ndets; i++) {
        const EvclipDetection *d = &st->dets[i].d;
        if (d->ts >= lo && d->ts < hi)
            ret = evclip_detections_add(j->dets, d);
    }
    pthread_mutex_unlock(&st->lock);
    return ret < 0 ? ret : detections_prepare(j->dets);
}

#define DAMAGED_SEEN 64

typedef struct Render {
    ClipJob *j;
    EvclipRenderer *r;
    AVCodecContext *dec;
    AVFormatContext *afmt;     /* holds the audio stream description for the pipeline */
    Pipeline *out;
    AVFrame *frame, *pending;
    int have_pending;
    double prev_time, last_time, period;
    int64_t first_pts, a_start, a_end;
    HoldState hold;
    DetList matched, visible;
    int first_audio;           /* index of the first audio packet not yet written */
    int64_t damaged_pts[DAMAGED_SEEN]; /* pts of the latest damaged packets counted */
    unsigned damaged_next;
} Render;

static double frame_wall(const Render *rd, int64_t pts)
{
    return rd->j->base + pts * av_q2d(rd->j->vtb);
}

static int open_decoder(Render *rd)
{
    ClipJob *j = rd->j;
    const AVCodec *codec = avcodec_find_decoder(j->vpar->codec_id);
    if (!codec)
        return ev_error(EVCLIP_ERR_DECODE, "no decoder for %s",
                        avcodec_get_name(j->vpar->codec_id));
    if (!(rd->dec = avcodec_alloc_context3(codec)) ||
        avcodec_parameters_to_context(rd->dec, j->vpar) < 0)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    rd->dec->pkt_timebase = j->vtb;
    rd->dec->thread_count = rd->r->settings.threads;
    int ret = avcodec_open2(rd->dec, codec, NULL);
    if (ret < 0)
        return ev_error_av(ret, EVCLIP_ERR_DECODE, "opening the %s decoder", codec->name);
    if (j->apar && rd->r->settings.audio) {
        AVStream *as;
        if (!(rd->afmt = avformat_alloc_context()) ||
            !(as = avformat_new_stream(rd->afmt, NULL)) ||
            avcodec_parameters_copy(as->codecpar, j->apar) < 0)
            return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
        as->time_base = j->atb;
    }
    return 0;
}

static int write_audio(Render *rd, int upto)
{
    ClipJob *j = rd->j;
    int ret = 0;
    for (; rd->first_audio < upto && ret >= 0; rd->first_audio++) {
        const RingEntry *e = &j->pkts[rd->first_audio];
        if (!e->video)
            ret = pipeline_audio(rd->out, e->pkt, j->atb, rd->a_start, rd->a_end, 0);
    }
    return ret;
}

static int open_output(Render *rd, const AVFrame *f)
{
    ClipJob *j = rd->j;
    PipelineParams pp = {
        .output = j->output, .width = f->width, .height = f->height, .format = f->format,
        .range = f->color_range, .space = f->colorspace != AVCOL_SPC_UNSPECIFIED
                                              ? f->colorspace : j->vpar->color_space,
        .primaries = j->vpar->color_primaries, .transfer = j->vpar->color_trc,
        .sample_aspect = f->sample_aspect_ratio, .time_base = j->vtb,
        .framerate = j->vrate.num > 0 ? j->vrate : (AVRational){ 0, 1 },
        .audio = rd->afmt ? rd->afmt->streams[0] : NULL,
    };
    int ret = pipeline_open(&rd->out, rd->r, &pp);
    if (ret < 0)
        return ret;
    pipeline_defer_publish(rd->out); /* published with its manifest (publish_clip) */
    rd->first_pts = f->pts;
    if (rd->afmt) {
        rd->a_start = av_rescale_q(f->pts, j->vtb, j->atb);
        rd->a_end = av_rescale_q((int64_t)llround((j->end - j->base) / av_q2d(j->vtb)),
                                 j->vtb, j->atb);
    }
    return 0;
}

static void format_wall(double t, char *buf, size_t size)
{
    time_t sec = (time_t)floor(t);
    struct tm tm;
    gmtime_r(&sec, &tm);
    size_t n = strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm);
    snprintf(buf + n, size - n, ".%03d UTC", (int)((t - floor(t)) * 1000) % 1000);
}

/* Matches detections to the pending frame, then draws and encodes it when in the window. */
static int process_pending(Render *rd, double next)
{
    ClipJob *j = rd->j;
    AVFrame *f = rd->pending;
    double t = frame_wall(rd, f->pts), lo, hi;
    char stamp[48];
    int ret;

    rd->have_pending = 0;
    if (t >= j->end)
        return 0;
    detections_frame_span(rd->prev_time, t, next, rd->period, &lo, &hi);
    rd->prev_time = t;
    detlist_clear(&rd->matched);
    if ((ret = frame_boxes_lookup(j->dets, -1, -1, lo, hi, f->width, f->height,
                                  &rd->matched)) < 0 ||
        (ret = hold_update(&rd->hold, t, &rd->matched, &rd->visible)) < 0)
        return ret;
    if (t < j->start - rd->period / 2) /* leading frames of an open GOP */
        return 0;
    if (!rd->out && (ret = open_output(rd, f)) < 0)
        return ret;
    double dur_s = isnan(next) || next >= j->end ? fmin(rd->period, j->end - t) : next - t;
    int64_t duration = llround(dur_s / av_q2d(j->vtb));
    if (duration <= 0)
        duration = 1;
    if (rd->r->settings.timestamp)
        format_wall(t, stamp, sizeof(stamp));
    FrameInfo info = { t - j->base, 0, rd->r->settings.timestamp ? stamp : NULL };
    if (!pipeline_frames(rd->out))
        j->first_frame = t;
    j->last_frame = t;
    return pipeline_video(rd->out, f, f->pts - rd->first_pts, duration, &rd->visible, &info);
}

/* Counts a damaged packet once, by its pts (a packet flagged or refused, then concealed in
 * the frame decoded from it, is one damaged packet). */
static void count_damaged(Render *rd, int64_t pts)
{
    for (int i = 0; i < DAMAGED_SEEN; i++)
        if (rd->damaged_pts[i] == pts && pts != AV_NOPTS_VALUE)
            return;
    rd->damaged_pts[rd->damaged_next++ % DAMAGED_SEEN] = pts;
    rd->j->damaged++;
}

static int on_frame(Render *rd)
{
    AVFrame *f = rd->frame;
    f->pts = f->best_effort_timestamp;
    if (f->decode_error_flags || (f->flags & AV_FRAME_FLAG_CORRUPT))
        count_damaged(rd, f->pts); /* concealed: drawn and kept, and counted */
    if (f->pts == AV_NOPTS_VALUE)
        return 0;
    double t = frame_wall(rd, f->pts);
    int ret = 0;
    if (!isnan(rd->last_time) && t <= rd->last_time) {
        av_frame_unref(f); /* timeline stepped back (clock re-anchored): drop */
        return 0;
    }
    rd->last_time = t;
    if (rd->have_pending && (ret = process_pending(rd, t)) < 0)
        return ret;
    av_frame_unref(rd->pending);
    av_frame_move_ref(rd->pending, f);
    rd->have_pending = 1;
    return 0;
}

static int drain(Render *rd)
{
    int ret;
    while ((ret = avcodec_receive_frame(rd->dec, rd->frame)) >= 0)
        if ((ret = on_frame(rd)) < 0)
            return ret;
    if (ret == AVERROR_INVALIDDATA) {
        /* A damaged packet (RTP loss, a connection cut mid-frame): skipped and counted. */
        count_damaged(rd, AV_NOPTS_VALUE);
        return 0;
    }
    return ret == AVERROR(EAGAIN) || ret == AVERROR_EOF ? 0
                                                        : ev_error_av(ret, EVCLIP_ERR_DECODE,
                                                                      "decoding");
}

static int decode_packets(Render *rd)
{
    ClipJob *j = rd->j;
    int ret;
    for (int i = 0; i < j->count; i++) {
        const RingEntry *e = &j->pkts[i];
        if (renderer_cancelled(rd->r))
            return ev_error(EVCLIP_ERR_CANCELED, "clip cancelled");
        if (!e->video)
            continue;
        if (e->pkt->flags & AV_PKT_FLAG_CORRUPT)
            count_damaged(rd, e->pkt->pts);
        ret = avcodec_send_packet(rd->dec, e->pkt);
        if (ret == AVERROR_INVALIDDATA)
            count_damaged(rd, e->pkt->pts);
        else if (ret < 0 && ret != AVERROR(EAGAIN))
            return ev_error_av(ret, EVCLIP_ERR_DECODE, "decoding");
        if ((ret = drain(rd)) < 0)
            return ret;
        if (rd->out && (ret = write_audio(rd, i)) < 0)
            return ret;
    }
    avcodec_send_packet(rd->dec, NULL);
    if ((ret = drain(rd)) < 0)
        return ret;
    if (rd->have_pending && (ret = process_pending(rd, NAN)) < 0)
        return ret;
    if (j->damaged)
        ev_log(&rd->r->log, EVCLIP_LOG_WARNING, "clip '%s': %lld damaged video packets "
               "skipped or concealed (counted in the manifest)", j->output,
               (long long)j->damaged);
    if (!rd->out)
        return ev_error(EVCLIP_ERR_WINDOW, "no decodable video frame in the window");
    return write_audio(rd, j->count);
}

/* Publishes the clip with its evidence manifest (when the renderer writes manifests): the
 * stream (URL without credentials), trigger ids, wall-clock window, clock, pre-roll, gaps,
 * damaged packets, detections hash, output hash and signature. */
static int publish(EvclipLive *l, ClipJob *j, Pipeline *out, EvclipResult *res)
{
    const EvclipSettings *s = &l->r->settings;
    EvclipSource src = { .path = j->st->url, .detections = j->dets, .start = j->start,
                         .end = j->end };
    EvclipClip clip = { .sources = &src, .nb_sources = 1, .output = j->output };
    ManifestLive live = {
        .stream = j->st->name, .url = j->st->url, .trigger_ids = (const char *const *)j->ids,
        .nb_trigger_ids = j->nids, .mode = j->open_ended ? "start" : "trigger",
        .start = j->start, .end = j->end, .first_frame = j->first_frame,
        .last_frame = j->last_frame, .clock = j->clock, .pre_requested = j->pre_asked,
        .pre_available = j->pre_available, .pre_roll_max = l->s.pre_roll_max,
        .gaps = j->ngaps ? &j->gaps[0][0] : NULL, .ngaps = j->ngaps,
        .incomplete = j->incomplete, .note = j->note, .damaged_packets = j->damaged,
    };
    ManifestInfo info = { .clip = &clip, .settings = s, .result = res, .speed = 1,
                          .frame_step = 1, .live = &live };
    res->first_time = j->first_frame - j->base;
    res->last_time = j->last_frame - j->base;
    return publish_clip(out, j->output, s, s->manifest ? &info : NULL, res->output_sha256,
                        &l->r->log);
}

static int render_job(EvclipLive *l, ClipJob *j, EvclipResult *res)
{
    Render rd = { .j = j, .r = l->r, .prev_time = NAN, .last_time = NAN };
    int ret;

    hold_init(&rd.hold, l->r->settings.hold);
    rd.period = j->vrate.num > 0 ? 1 / av_q2d(j->vrate) : 1 / 30.0;
    if (!(rd.frame = av_frame_alloc()) || !(rd.pending = av_frame_alloc()))
        ret = ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    else if ((ret = job_take_detections(j, l->r->settings.hold)) >= 0 &&
             (ret = open_decoder(&rd)) >= 0 && (ret = decode_packets(&rd)) >= 0 &&
             (ret = pipeline_finish(rd.out, res)) >= 0)
        ret = publish(l, j, rd.out, res);
    pipeline_close(&rd.out);
    av_frame_free(&rd.frame);
    av_frame_free(&rd.pending);
    avcodec_free_context(&rd.dec);
    avformat_free_context(rd.afmt);
    hold_free(&rd.hold);
    detlist_free(&rd.matched);
    detlist_free(&rd.visible);
    return ret;
}

void *live_worker_main(void *arg)
{
    EvclipLive *l = arg;
    ev_log_capture_ffmpeg(&l->r->log);
    pthread_mutex_lock(&l->lock);
    for (;;) {
        while (!l->queue && !l->workers_stop)
            pthread_cond_wait(&l->cond, &l->lock);
        ClipJob *j = l->queue;
        if (!j)
            break;
        l->queue = j->next;
        if (!l->queue)
            l->queue_tail = NULL;
        j->next = l->running;
        l->running = j;
        l->busy++;
        pthread_mutex_unlock(&l->lock);

        EvclipResult res = { 0 };
        ev_error_clear();
        int ret = render_job(l, j, &res);
        if (ret < 0)
            live_emit_clip(j, EVCLIP_LIVE_CLIP_FAILED, NULL, ret, ev_error_message());
        else
            live_emit_clip(j, EVCLIP_LIVE_CLIP_FINISHED, &res, 0, j->note);
        pthread_mutex_lock(&l->lock);
        for (ClipJob **pp = &l->running; *pp; pp = &(*pp)->next)
            if (*pp == j) {
                *pp = j->next;
                break;
            }
        live_job_free(&j);
        l->busy--;
        pthread_cond_broadcast(&l->cond);
    }
    pthread_mutex_unlock(&l->lock);
    ev_log_capture_ffmpeg(NULL);
    return NULL;
}

static void enqueue(EvclipLive *l, ClipJob *j)
{
    j->next = NULL;
    pthread_mutex_lock(&l->lock);
    if (l->queue_tail)
        l->queue_tail->next = j;
    else
        l->queue = j;
    l->queue_tail = j;
    pthread_cond_broadcast(&l->cond);
    pthread_mutex_unlock(&l->lock);
}

/* Removes the clips of st that are ready (or must be cut: `force`) from its recording list
 * and queues them. Call without st->lock. */
void live_hand_over(Stream *st, int force, const char *why)
{
    EvclipLive *l = st->live;
    ClipJob **pp;
    double mono = live_mono_now(), wall = live_wall_now();

    pthread_mutex_lock(&st->lock);
    for (pp = &st->recording; *pp;) {
        ClipJob *j = *pp;
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
            live_job_gaps(j);
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
