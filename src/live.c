/* live.c: live mode: per-stream reader threads feeding packet rings, triggers, clip workers. */
#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/time.h>
#include <jansson.h>

#include "src/detections.h"
#include "src/error.h"
#include "src/live.h"
#include "src/pipeline.h"
#include "src/reader.h"
#include "src/renderer.h"
#include "src/ring.h"

#define TICK_SECONDS 0.05
#define DRIFT_TOLERANCE 1.0
#define RTCP_MAX_SKEW 2.0
#define DEFAULT_ROLL 10.0
#define DETECTION_KEEP_EXTRA 60.0

typedef struct DetEntry {
    EvclipDetection d; /* ts = wall clock; label owned */
} DetEntry;

typedef struct ClipJob {
    struct ClipJob *next;
    struct Stream *st;
    char *output, *id;
    double start, end;         /* wall clock */
    double pre_available;
    int incomplete;
    char note[160];
    int reached;               /* a video packet at or past `end` arrived */
    int announced;             /* CLIP_STARTED was delivered: the clip may be handed over */
    double ready_at;           /* monotonic time to hand over to a worker */
    RingEntry *pkts;           /* copies (packet references) */
    int count, capacity;
    AVCodecParameters *vpar, *apar;
    AVRational vtb, atb, vrate;
    double base;               /* wall clock of timeline 0 */
    const char *clock;
    EvclipDetections *dets;    /* built at hand-over */
} ClipJob;

typedef struct Stream {
    struct EvclipLive *live;
    char *name, *url;
    EvclipStreamParams p;
    pthread_t thread;
    int started;
    pthread_mutex_t lock;      /* everything below */
    Ring ring;
    ClipJob *recording;
    AVCodecParameters *vpar, *apar;
    AVRational vtb, atb, vrate;
    LiveClock clock;
    int have_clock;
    DetEntry *dets;
    int ndets, capdets;
    int connected, was_up;
    int conn;                  /* connection number */
    int rtcp_rejected;         /* connection whose RTCP mapping disagreed with arrival */
    double late_since;         /* epoch since which packets are late on the RTCP mapping */
    int64_t packets, reconnects;
    double last_wall;          /* wall clock of the newest packet */
    double deadline;           /* monotonic; the interrupt callback fires past it */
} Stream;

struct EvclipLive {
    EvclipRenderer *r;
    EvclipLiveSettings s;
    char *output_dir;
    pthread_mutex_t lock;      /* streams, queue, stop */
    pthread_cond_t cond;
    pthread_mutex_t event_lock;
    Stream **streams;
    int nstreams;
    ClipJob *queue, *queue_tail;
    int busy;
    pthread_t *workers;
    int nworkers;
    pthread_t supervisor;
    int have_supervisor;
    atomic_int stop;
    int workers_stop;
};

static double mono_now(void)
{
    return av_gettime_relative() / 1e6;
}

static double wall_now(void)
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
        .pre_roll_max = 30, .ring_bytes = 64 << 20, .overlap = EVCLIP_OVERLAP_MERGE,
        .workers = 2, .stall_timeout = 5, .connect_timeout = 10, .backoff_min = 0.5,
        .backoff_max = 30, .detection_delay = 0.5, .outage_grace = 2,
    };
}

/* ---------------------------------------------------------------------------------------- */
/* Events                                                                                   */

static void emit(EvclipLive *l, EvclipLiveEvent *ev)
{
    if (!l->s.event_callback)
        return;
    pthread_mutex_lock(&l->event_lock);
    l->s.event_callback(l->s.event_opaque, ev);
    pthread_mutex_unlock(&l->event_lock);
}

static void emit_stream(Stream *st, int type, const char *message, const char *clock)
{
    EvclipLiveEvent ev = { .type = type, .stream = st->name, .message = message,
                           .clock = clock };
    emit(st->live, &ev);
}

static void emit_clip(ClipJob *j, int type, const EvclipResult *res, int status,
                      const char *message)
{
    EvclipLiveEvent ev = {
        .type = type, .stream = j->st->name, .clip_id = j->id, .path = j->output,
        .message = message && *message ? message : NULL, .clock = j->clock,
        .start = j->start, .end = j->end, .pre_available = j->pre_available,
        .incomplete = j->incomplete, .status = status,
    };
    if (res) {
        ev.duration = res->duration;
        ev.frames = res->frames;
    }
    emit(j->st->live, &ev);
}

/* ---------------------------------------------------------------------------------------- */
/* Clip jobs                                                                                */

static void job_free(ClipJob **pj)
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
    free(j);
    *pj = NULL;
}

static int job_append(ClipJob *j, const RingEntry *e)
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
    return 0;
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
    int64_t corrupt;           /* damaged packets skipped */
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
    if ((ret = detections_lookup(j->dets, -1, -1, lo, hi, &rd->matched)) < 0 ||
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
    return pipeline_video(rd->out, f, f->pts - rd->first_pts, duration, &rd->visible, &info);
}

static int on_frame(Render *rd)
{
    AVFrame *f = rd->frame;
    f->pts = f->best_effort_timestamp;
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
        /* A damaged packet (RTP loss, a connection cut mid-frame): skipped, as offline. */
        rd->corrupt++;
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
        ret = avcodec_send_packet(rd->dec, e->pkt);
        if (ret == AVERROR_INVALIDDATA)
            rd->corrupt++;
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
    if (rd->corrupt)
        ev_log(&rd->r->log, EVCLIP_LOG_WARNING, "clip '%s': %lld damaged packets skipped",
               j->output, (long long)rd->corrupt);
    if (!rd->out)
        return ev_error(EVCLIP_ERR_WINDOW, "no decodable video frame in the window");
    return write_audio(rd, j->count);
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
             (ret = open_decoder(&rd)) >= 0 && (ret = decode_packets(&rd)) >= 0)
        ret = pipeline_finish(rd.out, res);
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

static void *worker_main(void *arg)
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
        l->busy++;
        pthread_mutex_unlock(&l->lock);

        EvclipResult res = { 0 };
        ev_error_clear();
        int ret = render_job(l, j, &res);
        if (ret < 0)
            emit_clip(j, EVCLIP_LIVE_CLIP_FAILED, NULL, ret, ev_error_message());
        else
            emit_clip(j, EVCLIP_LIVE_CLIP_FINISHED, &res, 0, j->note);
        job_free(&j);

        pthread_mutex_lock(&l->lock);
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
static void hand_over(Stream *st, int force, const char *why)
{
    EvclipLive *l = st->live;
    ClipJob *ready = NULL, **tail = &ready, **pp;
    double mono = mono_now(), wall = wall_now();

    pthread_mutex_lock(&st->lock);
    for (pp = &st->recording; *pp;) {
        ClipJob *j = *pp;
        int late = wall >= j->end + l->s.outage_grace + l->s.detection_delay;
        if (j->announced && (force || late || (j->reached && mono >= j->ready_at))) {
            if (!j->reached) {
                j->incomplete = 1;
                snprintf(j->note, sizeof(j->note), "%s: recorded up to %.2f s of %.2f s",
                         force ? why : "no packets from the stream",
                         fmax(0, fmin(st->last_wall, j->end) - j->start), j->end - j->start);
            }
            *pp = j->next; /* moved, in order, to the ready list */
            j->next = NULL;
            *tail = j;
            tail = &j->next;
        } else {
            pp = &j->next;
        }
    }
    pthread_mutex_unlock(&st->lock);
    while (ready) {
        ClipJob *j = ready;
        ready = j->next;
        enqueue(l, j);
    }
}

static void *supervisor_main(void *arg)
{
    EvclipLive *l = arg;
    while (!atomic_load(&l->stop)) {
        av_usleep((unsigned)(TICK_SECONDS * 1e6));
        pthread_mutex_lock(&l->lock);
        int n = l->nstreams;
        pthread_mutex_unlock(&l->lock);
        for (int i = 0; i < n; i++) {
            pthread_mutex_lock(&l->lock);
            Stream *st = l->streams[i]; /* the array may be reallocated by add_stream */
            pthread_mutex_unlock(&l->lock);
            hand_over(st, 0, NULL);
        }
    }
    return NULL;
}

/* ---------------------------------------------------------------------------------------- */
/* Reader                                                                                   */

static int interrupt_cb(void *opaque)
{
    Stream *st = opaque;
    return atomic_load(&st->live->stop) || mono_now() > st->deadline;
}

/* Sleeps up to `seconds`; returns 1 when the pool is stopping. */
static int nap(EvclipLive *l, double seconds)
{
    double until = mono_now() + seconds;
    while (!atomic_load(&l->stop)) {
        double left = until - mono_now();
        if (left <= 0)
            return 0;
        av_usleep((unsigned)(fmin(left, TICK_SECONDS) * 1e6));
    }
    return 1;
}

static int same_video(const AVCodecParameters *a, const AVCodecParameters *b)
{
    return a && b && a->codec_id == b->codec_id && a->width == b->width &&
           a->height == b->height && a->extradata_size == b->extradata_size &&
           (!a->extradata_size || !memcmp(a->extradata, b->extradata, a->extradata_size));
}

static int connect_stream(Stream *st, AVFormatContext **out, int *vidx, int *aidx)
{
    EvclipLive *l = st->live;
    AVDictionary *opts = NULL;
    AVFormatContext *fmt = avformat_alloc_context();
    char timeout[32];
    int ret;

    if (!fmt)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    fmt->interrupt_callback = (AVIOInterruptCB){ interrupt_cb, st };
    if (!strncmp(st->url, "rtsp://", 7) || !strncmp(st->url, "rtsps://", 8)) {
        av_dict_set(&opts, "rtsp_transport",
                    st->p.transport == EVCLIP_TRANSPORT_UDP ? "udp" : "tcp", 0);
        snprintf(timeout, sizeof(timeout), "%lld", (long long)(l->s.stall_timeout * 1e6));
        av_dict_set(&opts, "timeout", timeout, 0);
    }
    st->deadline = mono_now() + l->s.connect_timeout;
    ret = avformat_open_input(&fmt, st->url, NULL, &opts);
    av_dict_free(&opts);
    if (ret < 0)
        return ev_error_av(ret, EVCLIP_ERR_INPUT, "opening '%s'", st->url);
    *out = fmt;
    if ((ret = avformat_find_stream_info(fmt, NULL)) < 0)
        return ev_error_av(ret, EVCLIP_ERR_INPUT, "probing '%s'", st->url);
    *vidx = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    *aidx = av_find_best_stream(fmt, AVMEDIA_TYPE_AUDIO, -1, *vidx, NULL, 0);
    if (*vidx < 0)
        return ev_error(EVCLIP_ERR_NO_VIDEO, "'%s' has no video stream", st->url);
    return 0;
}

/* Records the new connection's streams; keeps the ring when the video is the same. */
static int stream_up(Stream *st, AVFormatContext *fmt, int vidx, int aidx)
{
    AVStream *v = fmt->streams[vidx], *a = aidx >= 0 ? fmt->streams[aidx] : NULL;
    AVCodecParameters *vpar = avcodec_parameters_alloc(), *apar = NULL;
    if (!vpar || avcodec_parameters_copy(vpar, v->codecpar) < 0 ||
        (a && (!(apar = avcodec_parameters_alloc()) ||
               avcodec_parameters_copy(apar, a->codecpar) < 0))) {
        avcodec_parameters_free(&vpar);
        avcodec_parameters_free(&apar);
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    }
    pthread_mutex_lock(&st->lock);
    int keep = same_video(st->vpar, vpar) && av_cmp_q(st->vtb, v->time_base) == 0 &&
               !!st->apar == !!apar;
    if (!keep)
        ring_clear(&st->ring);
    avcodec_parameters_free(&st->vpar);
    avcodec_parameters_free(&st->apar);
    st->vpar = vpar;
    st->apar = apar;
    st->vtb = v->time_base;
    st->atb = a ? a->time_base : (AVRational){ 1, 1 };
    st->vrate = v->avg_frame_rate.num > 0 ? v->avg_frame_rate : v->r_frame_rate;
    st->clock.anchored = 0;
    st->clock.rtcp = 0;
    st->late_since = 0;
    st->conn++;
    st->connected = 1;
    if (st->was_up)
        st->reconnects++;
    st->was_up = 1;
    pthread_mutex_unlock(&st->lock);
    return keep;
}

/* Re-stamps a packet of the current connection with the current clock mapping. */
static void restamp_entry(Stream *st, RingEntry *e)
{
    if (e->conn != st->conn)
        return;
    double wall = st->clock.base + e->t + st->clock.offset;
    int64_t d = llround((wall - e->wallclock) / av_q2d(e->video ? st->vtb : st->atb));
    e->wallclock = wall;
    if (e->pkt->pts != AV_NOPTS_VALUE)
        e->pkt->pts += d;
    if (e->pkt->dts != AV_NOPTS_VALUE)
        e->pkt->dts += d;
}

/* The mapping of the current connection changed: one linear map holds for all of its packets,
 * so what the ring and the recording clips hold of it moves too (st->lock held). */
static void restamp(Stream *st)
{
    for (int i = 0; i < st->ring.count; i++)
        restamp_entry(st, ring_entry(&st->ring, i));
    for (ClipJob *j = st->recording; j; j = j->next) {
        for (int i = 0; i < j->count; i++)
            restamp_entry(st, &j->pkts[i]);
        if (j->count)
            j->start = j->pkts[0].wallclock;
    }
}

/* Maps stream time t of a packet that arrived at `now` to the stream's timeline (*T), keeping
 * the RTCP mapping only while it agrees with arrival; re-stamps what this connection stored
 * when the mapping moved. Returns live_clock_map()'s code; `moved` gets a note for the
 * CLOCK event. st->lock held. */
static int stamp(Stream *st, double t, double now, double rtcp, double *T, char *moved,
                 size_t size)
{
    if (!st->have_clock) {
        st->clock.base = now - t;
        st->have_clock = 1;
    }
    if (!isnan(rtcp) && st->clock.anchored && st->rtcp_rejected != st->conn) {
        /* Camera clocks can be far off, and FFmpeg keeps the first sender report only, which
         * goes stale when the server pauses: packets later than RTCP_MAX_SKEW on it for over
         * a second give it up for this connection. */
        double skew = st->clock.rtcp ? now - (rtcp + t)
                                     : rtcp - (st->clock.base + st->clock.offset);
        int late = skew > RTCP_MAX_SKEW;
        if (!st->clock.rtcp ? fabs(skew) > RTCP_MAX_SKEW
                            : late && st->late_since > 0 && now - st->late_since > 1.0) {
            snprintf(moved, size, "RTCP clock off by %+.3f s from arrival: using arrival",
                     skew);
            st->rtcp_rejected = st->conn;
        }
        st->late_since = st->clock.rtcp && late ? (st->late_since > 0 ? st->late_since : now)
                                                : 0;
    }
    if (st->rtcp_rejected == st->conn)
        rtcp = NAN;
    double old_wall = st->clock.anchored ? st->clock.base + t + st->clock.offset : NAN;
    int changed = live_clock_map(&st->clock, t, now, rtcp, DRIFT_TOLERANCE, T);
    if (changed && changed != 2 && !isnan(old_wall) && !*moved)
        snprintf(moved, size, "wall clock moved by %+.3f s", st->clock.base + *T - old_wall);
    if (changed && changed != 3)
        restamp(st);
    return changed;
}

/* Appends a stamped packet to the recording clips, then moves it into the ring. st->lock
 * held. */
static int store(Stream *st, AVPacket *pkt, const RingEntry *e)
{
    int ret = 0;
    st->packets++;
    if (e->video)
        st->last_wall = e->wallclock;
    for (ClipJob *j = st->recording; j && ret >= 0; j = j->next) {
        if (j->reached || (!e->video && e->wallclock >= j->end + 0.5))
            continue;
        if (e->video && e->wallclock >= j->end) {
            j->reached = 1;
            j->ready_at = mono_now() + st->live->s.detection_delay;
            continue;
        }
        ret = job_append(j, e);
    }
    return ret < 0 ? ret : ring_push(&st->ring, pkt, e);
}

/* Stamps a packet with its wall clock, moves it to the stream's timeline and stores it in
 * the ring and in every recording clip. */
static int ingest(Stream *st, AVFormatContext *fmt, AVPacket *pkt, int video, double *t_out)
{
    AVRational tb = fmt->streams[pkt->stream_index]->time_base;
    int64_t ts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
    double now = wall_now(), rtcp = NAN, T;
    char moved[96] = "";

    *t_out = NAN;
    if (ts == AV_NOPTS_VALUE)
        return 0;
    if (fmt->start_time_realtime != AV_NOPTS_VALUE && fmt->start_time_realtime > 0 &&
        !strncmp(st->url, "rtsp", 4))
        rtcp = fmt->start_time_realtime / 1e6;
    *t_out = ts * av_q2d(tb);
    pthread_mutex_lock(&st->lock);
    int changed = stamp(st, *t_out, now, rtcp, &T, moved, sizeof(moved));
    const char *clock = st->clock.rtcp ? "rtcp" : "arrival";
    /* The timeline: stream time + offset, in the stream's own time base. */
    int64_t shift = llround((T - *t_out) / av_q2d(tb));
    if (pkt->pts != AV_NOPTS_VALUE)
        pkt->pts += shift;
    if (pkt->dts != AV_NOPTS_VALUE)
        pkt->dts += shift;
    RingEntry e = { .pkt = pkt, .wallclock = st->clock.base + T, .video = video,
                    .key = video && (pkt->flags & AV_PKT_FLAG_KEY), .conn = st->conn,
                    .t = *t_out };
    int ret = store(st, pkt, &e);
    pthread_mutex_unlock(&st->lock);
    if (changed == 1 || changed == 3 || *moved)
        emit_stream(st, EVCLIP_LIVE_CLOCK, *moved ? moved : NULL, clock);
    return ret < 0 ? ret : 0;
}

/* Reads until the connection fails or stalls; returns the reason (negative code). */
static int read_loop(Stream *st, AVFormatContext *fmt, int vidx, int aidx, char *why,
                     size_t size)
{
    EvclipLive *l = st->live;
    AVPacket *pkt = av_packet_alloc();
    double first_t = NAN, first_mono = 0, t = NAN;
    int ret;

    if (!pkt)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    for (;;) {
        st->deadline = mono_now() + l->s.stall_timeout;
        if ((ret = av_read_frame(fmt, pkt)) < 0) {
            if (atomic_load(&l->stop))
                snprintf(why, size, "shutdown");
            else if (ret == AVERROR_EXIT || mono_now() > st->deadline)
                snprintf(why, size, "stalled: no packet for %.1f s", l->s.stall_timeout);
            else if (ret == AVERROR_EOF)
                snprintf(why, size, "end of stream");
            else
                av_strerror(ret, why, size);
            break;
        }
        int video = pkt->stream_index == vidx;
        if (!video && pkt->stream_index != aidx) {
            av_packet_unref(pkt);
            continue;
        }
        if ((ret = ingest(st, fmt, pkt, video, &t)) < 0) {
            snprintf(why, size, "out of memory");
            break;
        }
        av_packet_unref(pkt);
        if (st->p.realtime && video && !isnan(t)) {
            if (isnan(first_t)) {
                first_t = t;
                first_mono = mono_now();
            }
            if (nap(l, first_mono + (t - first_t) - mono_now())) {
                snprintf(why, size, "shutdown");
                break;
            }
        }
    }
    av_packet_free(&pkt);
    return ret;
}

static void stream_down(Stream *st, const char *why)
{
    pthread_mutex_lock(&st->lock);
    st->connected = 0;
    pthread_mutex_unlock(&st->lock);
    emit_stream(st, EVCLIP_LIVE_STREAM_DOWN, why, NULL);
}

static void *reader_main(void *arg)
{
    Stream *st = arg;
    EvclipLive *l = st->live;
    unsigned seed = (unsigned)(uintptr_t)st ^ (unsigned)av_gettime();
    char why[256];
    int attempt = 0;

    ev_log_capture_ffmpeg(&l->r->log);
    while (!atomic_load(&l->stop)) {
        AVFormatContext *fmt = NULL;
        int vidx = -1, aidx = -1;
        ev_error_clear();
        int ret = connect_stream(st, &fmt, &vidx, &aidx);
        if (ret >= 0 && (ret = stream_up(st, fmt, vidx, aidx)) >= 0) {
            attempt = 0;
            emit_stream(st, EVCLIP_LIVE_STREAM_UP, ret ? "ring kept" : NULL,
                        fmt->start_time_realtime > 0 ? "rtcp" : "arrival");
            read_loop(st, fmt, vidx, aidx, why, sizeof(why));
            stream_down(st, why);
        } else {
            snprintf(why, sizeof(why), "%s", ev_error_message());
            if (attempt == 0)
                stream_down(st, why); /* later failures are told by RECONNECTING */
        }
        avformat_close_input(&fmt);
        if (atomic_load(&l->stop))
            break;
        if (st->p.loop && !strcmp(why, "end of stream"))
            continue;
        attempt++;
        double delay = live_backoff(attempt, l->s.backoff_min, l->s.backoff_max,
                                    rand_r(&seed) / (RAND_MAX + 1.0));
        EvclipLiveEvent ev = { .type = EVCLIP_LIVE_RECONNECTING, .stream = st->name,
                               .message = why, .delay = delay, .attempt = attempt };
        emit(l, &ev);
        if (nap(l, delay))
            break;
    }
    ev_log_capture_ffmpeg(NULL);
    return NULL;
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
        !(s->outage_grace >= 0))
        return ev_error(EVCLIP_ERR_INVALID, "invalid live settings (pre_roll_max in (0, 3600], "
                        "ring_bytes >= 4096, workers 1..64, positive timeouts and backoff)");
    return 0;
}

int evclip_live_open(EvclipLive **out, EvclipRenderer *r, const EvclipLiveSettings *s)
{
    int ret;
    *out = NULL;
    if (!r || !s)
        return ev_error(EVCLIP_ERR_INVALID, "renderer and settings are required");
    if ((ret = check_settings(s)) < 0)
        return ret;
    EvclipLive *l = calloc(1, sizeof(*l));
    if (!l || !(l->workers = calloc(s->workers, sizeof(*l->workers)))) {
        free(l);
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    }
    l->r = r;
    l->s = *s;
    if (!(l->output_dir = strdup(s->output_dir ? s->output_dir : "."))) {
        free(l->workers);
        free(l);
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    }
    l->s.output_dir = l->output_dir;
    pthread_mutex_init(&l->lock, NULL);
    pthread_mutex_init(&l->event_lock, NULL);
    pthread_cond_init(&l->cond, NULL);
    for (; l->nworkers < s->workers; l->nworkers++)
        if (pthread_create(&l->workers[l->nworkers], NULL, worker_main, l))
            break;
    if (l->nworkers < s->workers ||
        !(l->have_supervisor = !pthread_create(&l->supervisor, NULL, supervisor_main, l))) {
        evclip_live_close(&l);
        return ev_error(EVCLIP_ERR_NOMEM, "cannot start the live threads");
    }
    *out = l;
    return 0;
}

static Stream *find_stream(EvclipLive *l, const char *name)
{
    Stream *found = NULL;
    pthread_mutex_lock(&l->lock);
    for (int i = 0; name && i < l->nstreams && !found; i++)
        if (!strcmp(l->streams[i]->name, name))
            found = l->streams[i];
    pthread_mutex_unlock(&l->lock);
    return found;
}

static void stream_free(Stream *st)
{
    ClipJob *j;
    while ((j = st->recording)) {
        st->recording = j->next;
        job_free(&j);
    }
    ring_free(&st->ring);
    for (int i = 0; i < st->ndets; i++)
        free((char *)st->dets[i].d.label);
    free(st->dets);
    avcodec_parameters_free(&st->vpar);
    avcodec_parameters_free(&st->apar);
    pthread_mutex_destroy(&st->lock);
    free(st->name);
    free(st->url);
    free(st);
}

int evclip_live_add_stream(EvclipLive *l, const EvclipStreamParams *p)
{
    if (!l || !p || !p->name || !*p->name || !p->url || !*p->url)
        return ev_error(EVCLIP_ERR_INVALID, "a stream needs a name and a url");
    if (find_stream(l, p->name))
        return ev_error(EVCLIP_ERR_INVALID, "stream '%s' exists already", p->name);
    if (p->pre < 0 || p->post < 0 || !isfinite(p->pre) || !isfinite(p->post))
        return ev_error(EVCLIP_ERR_INVALID, "stream '%s': negative pre/post roll", p->name);
    Stream *st = calloc(1, sizeof(*st));
    if (!st || !(st->name = strdup(p->name)) || !(st->url = strdup(p->url))) {
        if (st)
            free(st->name);
        free(st);
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    }
    st->live = l;
    st->p = *p;
    st->p.name = st->name;
    st->p.url = st->url;
    if (!st->p.pre)
        st->p.pre = DEFAULT_ROLL;
    if (!st->p.post)
        st->p.post = DEFAULT_ROLL;
    pthread_mutex_init(&st->lock, NULL);
    ring_init(&st->ring, l->s.pre_roll_max, (size_t)l->s.ring_bytes);

    pthread_mutex_lock(&l->lock);
    Stream **arr = realloc(l->streams, sizeof(*arr) * (l->nstreams + 1));
    if (arr)
        l->streams = arr;
    int ok = arr && !pthread_create(&st->thread, NULL, reader_main, st);
    if (ok)
        l->streams[l->nstreams++] = st;
    pthread_mutex_unlock(&l->lock);
    if (!ok) {
        stream_free(st);
        return ev_error(EVCLIP_ERR_NOMEM, "cannot start the reader of '%s'", p->name);
    }
    st->started = 1;
    return 0;
}

/* Extends the stream's latest recording clip (merge mode). Returns it, or NULL. */
static ClipJob *merge_into(Stream *st, double end)
{
    ClipJob *last = NULL;
    for (ClipJob *j = st->recording; j; j = j->next)
        if (!j->reached)
            last = j;
    if (last && end > last->end)
        last->end = end;
    return last;
}

static int new_clip(Stream *st, double now, double pre, double end, const char *output,
                    const char *id, ClipJob **out)
{
    ClipJob *j = calloc(1, sizeof(*j));
    int ret = 0;
    if (!j || !(j->output = strdup(output)) || (id && !(j->id = strdup(id))) ||
        !(j->vpar = avcodec_parameters_alloc()) ||
        avcodec_parameters_copy(j->vpar, st->vpar) < 0 ||
        (st->apar && (!(j->apar = avcodec_parameters_alloc()) ||
                      avcodec_parameters_copy(j->apar, st->apar) < 0))) {
        job_free(&j);
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    }
    j->st = st;
    j->vtb = st->vtb;
    j->atb = st->atb;
    j->vrate = st->vrate;
    j->base = st->clock.base;
    j->clock = st->clock.rtcp ? "rtcp" : "arrival";
    j->end = end;
    int first = ring_find_start(&st->ring, now - pre);
    j->start = first >= 0 ? ring_get(&st->ring, first)->wallclock : now;
    j->pre_available = now - j->start;
    for (int i = first; first >= 0 && i < st->ring.count && ret >= 0; i++)
        ret = job_append(j, ring_get(&st->ring, i));
    if (ret < 0) {
        job_free(&j);
        return ret;
    }
    if (!st->connected) {
        j->incomplete = 1;
        snprintf(j->note, sizeof(j->note), "stream down at the trigger: the clip holds what "
                 "the ring had");
    } else if (j->pre_available < pre - 1.0 / 8) {
        snprintf(j->note, sizeof(j->note), "only %.2f s of the %.2f s pre-roll were buffered",
                 j->pre_available, pre);
    }
    ClipJob **pp = &st->recording;
    while (*pp)
        pp = &(*pp)->next;
    *pp = j;
    *out = j;
    return 0;
}

int evclip_live_trigger(EvclipLive *l, const char *stream, double pre, double post,
                        const char *output, const char *event_id)
{
    Stream *st = l ? find_stream(l, stream) : NULL;
    if (!st)
        return ev_error(EVCLIP_ERR_INVALID, "unknown stream '%s'", stream ? stream : "(null)");
    if (!output || !*output || isnan(pre) || isnan(post) || pre > 86400 || post > 86400)
        return ev_error(EVCLIP_ERR_INVALID, "trigger on '%s': an output path and finite "
                        "pre/post are required", stream);
    if (!l->r->settings.overwrite && access(output, F_OK) == 0)
        return ev_error(EVCLIP_ERR_EXISTS, "'%s' exists (overwrite is off)", output);
    pre = fmin(pre < 0 ? st->p.pre : pre, l->s.pre_roll_max);
    post = post < 0 ? st->p.post : post;
    double now = wall_now();
    ClipJob *j = NULL;
    int ret = 0, merged = 0;
    char path[4096], id[256], note[256];
    EvclipLiveEvent ev = { 0 };

    pthread_mutex_lock(&st->lock);
    if (l->s.overlap == EVCLIP_OVERLAP_MERGE && (j = merge_into(st, now + post))) {
        merged = 1;
    } else if (!st->vpar) {
        ret = ev_error(EVCLIP_ERR_INPUT, "stream '%s' has not delivered any packet yet",
                       stream);
    } else {
        ret = new_clip(st, now, pre, now + post, output, event_id, &j);
    }
    if (j) {
        /* Copies: the callback runs without st->lock (it may ask for stats). */
        snprintf(path, sizeof(path), "%s", j->output);
        snprintf(id, sizeof(id), "%s", j->id ? j->id : "");
        snprintf(note, sizeof(note), "%s", merged ? (event_id ? event_id : "") : j->note);
        ev = (EvclipLiveEvent){
            .type = merged ? EVCLIP_LIVE_CLIP_EXTENDED : EVCLIP_LIVE_CLIP_STARTED,
            .stream = st->name, .clip_id = j->id ? id : NULL, .path = path, .clock = j->clock,
            .start = j->start, .end = j->end, .pre_available = j->pre_available,
            .incomplete = j->incomplete, .message = *note ? note : NULL,
        };
    }
    pthread_mutex_unlock(&st->lock);
    if (j) {
        emit(l, &ev);
        if (!merged) {
            pthread_mutex_lock(&st->lock);
            j->announced = 1; /* still in st->recording: hand_over skips unannounced clips */
            pthread_mutex_unlock(&st->lock);
        }
    }
    return ret < 0 ? ret : merged;
}

int evclip_live_add_detections(EvclipLive *l, const char *stream, int key, double time,
                               const EvclipDetection *dets, int nb)
{
    Stream *st = l ? find_stream(l, stream) : NULL;
    int ret = 0;
    if (!st)
        return ev_error(EVCLIP_ERR_INVALID, "unknown stream '%s'", stream ? stream : "(null)");
    if (!isfinite(time) || nb < 0 || (nb && !dets))
        return ev_error(EVCLIP_ERR_INVALID, "detections: bad time or count");
    for (int i = 0; i < nb; i++)
        if (!dets[i].label)
            return ev_error(EVCLIP_ERR_INVALID, "detection %d has no label", i);
    double cutoff = wall_now() - l->s.pre_roll_max - l->r->settings.hold - DETECTION_KEEP_EXTRA;

    pthread_mutex_lock(&st->lock);
    if (key == EVCLIP_KEY_PTS) {
        if (!st->clock.anchored)
            ret = ev_error(EVCLIP_ERR_INVALID, "stream '%s' has no timeline yet", stream);
        time = st->clock.base + time + st->clock.offset;
    }
    if (st->ndets && st->dets[0].d.ts < cutoff) {
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
    for (int i = 0; ret >= 0 && i < nb; i++) {
        EvclipDetection d = dets[i];
        d.frame_idx = EVCLIP_NONE;
        d.ts = time;
        if (!(d.label = strdup(dets[i].label)))
            ret = ev_error(EVCLIP_ERR_NOMEM, "out of memory");
        else
            st->dets[st->ndets++].d = d;
    }
    pthread_mutex_unlock(&st->lock);
    return ret;
}

int evclip_live_get_stream_stats(EvclipLive *l, const char *stream, EvclipStreamStats *s)
{
    Stream *st = l ? find_stream(l, stream) : NULL;
    if (!st || !s)
        return ev_error(EVCLIP_ERR_INVALID, "unknown stream '%s'", stream ? stream : "(null)");
    memset(s, 0, sizeof(*s));
    pthread_mutex_lock(&st->lock);
    s->connected = st->connected;
    s->packets = st->packets;
    s->ring_packets = st->ring.count;
    s->ring_bytes = (int64_t)st->ring.bytes;
    s->ring_seconds = ring_span(&st->ring);
    s->reconnects = st->reconnects;
    for (ClipJob *j = st->recording; j; j = j->next)
        s->recording++;
    if (st->clock.anchored)
        snprintf(s->clock, sizeof(s->clock), "%s", st->clock.rtcp ? "rtcp" : "arrival");
    pthread_mutex_unlock(&st->lock);
    return 0;
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
        hand_over(l->streams[i], 1, "shutdown");
    pthread_mutex_lock(&l->lock);
    l->workers_stop = 1;
    pthread_cond_broadcast(&l->cond);
    pthread_mutex_unlock(&l->lock);
    for (int i = 0; i < l->nworkers; i++)
        pthread_join(l->workers[i], NULL);
    for (int i = 0; i < l->nstreams; i++)
        stream_free(l->streams[i]);
    free(l->streams);
    free(l->workers);
    free(l->output_dir);
    pthread_cond_destroy(&l->cond);
    pthread_mutex_destroy(&l->lock);
    pthread_mutex_destroy(&l->event_lock);
    free(l);
    *pl = NULL;
}

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

static int control_trigger(EvclipLive *l, const json_t *msg, const char *stream)
{
    double pre = -1, post = -1;
    int ret;
    char name[4096], id_buf[64];
    const char *id = get_string(msg, "id"), *output = get_string(msg, "output");
    const json_t *idv = json_object_get(msg, "id");
    if ((ret = get_number(msg, "pre", &pre)) < 0 || (ret = get_number(msg, "post", &post)) < 0)
        return ret;
    if (pre < -1 || post < -1)
        return ev_error(EVCLIP_ERR_INVALID, "trigger: negative pre/post");
    if (!id && json_is_integer(idv)) {
        snprintf(id_buf, sizeof(id_buf), "%lld", (long long)json_integer_value(idv));
        id = id_buf;
    }
    if (!output) {
        char stamp[32], safe[64];
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
        /* The id comes from the control line: keep it to one harmless file name part. */
        snprintf(safe, sizeof(safe), "%s", id ? id : stamp);
        for (char *c = safe; *c; c++)
            if (!(isalnum((unsigned char)*c) || *c == '-' || *c == '_' || *c == '.'))
                *c = '_';
        snprintf(name, sizeof(name), "%s/%s-%s.mp4", l->output_dir, stream, safe);
        output = name;
    }
    return evclip_live_trigger(l, stream, pre, post, output, id);
}

static void emit_stats(EvclipLive *l, const char *only)
{
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
        evclip_live_get_stream_stats(l, st->name, &s);
        EvclipLiveEvent ev = { .type = EVCLIP_LIVE_STATS, .stream = st->name, .stats = &s,
                               .clock = *s.clock ? s.clock : NULL };
        emit(l, &ev);
    }
}

int evclip_live_control(EvclipLive *l, const char *text)
{
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
    else if (!stream)
        ret = ev_error(EVCLIP_ERR_INVALID, "control line: field 'stream' is required");
    else if (!strcmp(type, "detections"))
        ret = control_detections(l, msg, stream);
    else if (!strcmp(type, "trigger"))
        ret = control_trigger(l, msg, stream);
    else
        ret = ev_error(EVCLIP_ERR_INVALID, "control line: unknown type '%s'", type);
    json_decref(msg);
    return ret;
}

static int config_stream(EvclipLive *l, const json_t *cam, int index, const char *path)
{
    EvclipStreamParams p = { .name = get_string(cam, "name"), .url = get_string(cam, "url") };
    const char *transport = get_string(cam, "transport");
    int ret;
    if (!json_is_object(cam))
        return ev_error(EVCLIP_ERR_INVALID, "%s: streams[%d]: expected an object", path, index);
    if ((ret = get_number(cam, "pre", &p.pre)) < 0 || (ret = get_number(cam, "post", &p.post)) < 0)
        return ev_error(EVCLIP_ERR_INVALID, "%s: streams[%d]: %s", path, index,
                        ev_error_message());
    if (transport && strcmp(transport, "tcp") && strcmp(transport, "udp"))
        return ev_error(EVCLIP_ERR_INVALID, "%s: streams[%d]: field 'transport': 'tcp' or "
                        "'udp'", path, index);
    p.transport = transport && !strcmp(transport, "udp") ? EVCLIP_TRANSPORT_UDP
                                                          : EVCLIP_TRANSPORT_TCP;
    p.realtime = json_is_true(json_object_get(cam, "realtime"));
    p.loop = json_is_true(json_object_get(cam, "loop"));
    if ((ret = evclip_live_add_stream(l, &p)) < 0)
        return ev_error(ret, "%s: streams[%d]: %s", path, index, ev_error_message());
    return 0;
}

int evclip_live_add_config(EvclipLive *l, const char *path)
{
    json_error_t err;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
    int ret = 0;
    if (!root)
        return ev_error(EVCLIP_ERR_INVALID, "%s:%d:%d: %s", path, err.line, err.column,
                        err.text);
    const json_t *cams = json_is_array(root) ? root : json_object_get(root, "streams");
    if (!json_is_array(cams) || !json_array_size(cams))
        ret = ev_error(EVCLIP_ERR_INVALID, "%s: expected a non-empty array of streams (or "
                       "{\"streams\": [...]})", path);
    for (size_t i = 0; ret >= 0 && i < json_array_size(cams); i++)
        ret = config_stream(l, json_array_get(cams, i), (int)i, path);
    json_decref(root);
    return ret;
}
