/* live_reader.c: one reader thread per stream: connect, stamp wall clocks, fill the ring. */
#include "src/live_internal.h"

/* ---------------------------------------------------------------------------------------- */
/* Reader                                                                                   */

static int interrupt_cb(void *opaque)
{
    Stream *st = opaque;
    return atomic_load(&st->live->stop) || atomic_load(&st->removing) ||
           live_mono_now() > st->deadline;
}

/* 1 when the reader of st must stop: the pool closes or the stream is removed. */
static int stopping(Stream *st)
{
    return atomic_load(&st->live->stop) || atomic_load(&st->removing);
}

/* Sleeps up to `seconds`; returns 1 when the reader must stop. */
static int nap(Stream *st, double seconds)
{
    double until = live_mono_now() + seconds;
    while (!stopping(st)) {
        double left = until - live_mono_now();
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
    char timeout[32], shown[4096];
    int ret;

    manifest_strip_credentials(st->url, shown, sizeof(shown)); /* events never show a password */

    if (!fmt)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    fmt->interrupt_callback = (AVIOInterruptCB){ interrupt_cb, st };
    if (!strncmp(st->url, "rtsp://", 7) || !strncmp(st->url, "rtsps://", 8)) {
        av_dict_set(&opts, "rtsp_transport",
                    st->p.transport == EVCLIP_TRANSPORT_UDP ? "udp" : "tcp", 0);
        snprintf(timeout, sizeof(timeout), "%lld", (long long)(l->s.stall_timeout * 1e6));
        av_dict_set(&opts, "timeout", timeout, 0);
    }
    st->deadline = live_mono_now() + l->s.connect_timeout;
    ret = avformat_open_input(&fmt, st->url, NULL, &opts);
    av_dict_free(&opts);
    if (ret < 0)
        return ev_error_av(ret, EVCLIP_ERR_INPUT, "opening '%s'", shown);
    *out = fmt;
    if ((ret = avformat_find_stream_info(fmt, NULL)) < 0)
        return ev_error_av(ret, EVCLIP_ERR_INPUT, "probing '%s'", shown);
    *vidx = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    *aidx = av_find_best_stream(fmt, AVMEDIA_TYPE_AUDIO, -1, *vidx, NULL, 0);
    if (*vidx < 0)
        return ev_error(EVCLIP_ERR_NO_VIDEO, "'%s' has no video stream", shown);
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
 * so what the ring and the recording clips hold of it moves too, and so do the detections
 * pushed by its stream time and not yet taken by a clip (st->lock held). */
static void restamp(Stream *st)
{
    for (int i = 0; i < st->ndets; i++)
        if (st->dets[i].conn == st->conn)
            st->dets[i].d.ts = st->clock.base + st->dets[i].pts + st->clock.offset;
    for (int i = 0; i < st->ring.count; i++)
        restamp_entry(st, ring_entry(&st->ring, i));
    for (int i = 0; i < st->ring.nwaiting; i++)
        restamp_entry(st, &st->ring.waiting[i]);
    for (LiveClip *j = st->recording; j; j = j->next) {
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
    for (LiveClip *j = st->recording; j && ret >= 0; j = j->next) {
        if (j->reached || (!e->video && e->wallclock >= j->end + 0.5))
            continue;
        if (e->video && e->wallclock >= j->end) {
            j->reached = 1;
            continue;
        }
        ret = live_clip_append(j, e);
    }
    if (st->recording)
        pthread_cond_broadcast(&st->grow); /* the clips encoding read on */
    return ret < 0 ? ret : ring_push(&st->ring, pkt, e);
}

/* Stamps a packet with its wall clock, moves it to the stream's timeline and stores it in
 * the ring and in every recording clip. */
static int ingest(Stream *st, AVFormatContext *fmt, AVPacket *pkt, int video, double *t_out)
{
    AVRational tb = fmt->streams[pkt->stream_index]->time_base;
    int64_t ts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
    double now = live_wall_now(), rtcp = NAN, T;
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
        live_emit_stream(st, EVCLIP_LIVE_CLOCK, *moved ? moved : NULL, clock);
    return ret < 0 ? ret : 0;
}

#define HELD_MAX 16

/* Video packets without any timestamp, waiting for the next one that has one. FFmpeg 5.1's
 * RTSP demuxer gives the first IDR of a connection pts = dts = N/A: dropping it would lose
 * the whole first GOP (seconds with long-GOP cameras). */
typedef struct Held {
    AVPacket *pkts[HELD_MAX];
    int count;
} Held;

static void held_clear(Held *h)
{
    for (int i = 0; i < h->count; i++)
        av_packet_free(&h->pkts[i]);
    h->count = 0;
}

/* Keeps a timestamp-less video packet (moves its reference). Returns 0, or NOMEM. */
static int held_push(Held *h, AVPacket *pkt)
{
    if (h->count == HELD_MAX) {
        av_packet_unref(pkt); /* no timestamp in sight: the decoder could not place these */
        return 0;
    }
    if (!(h->pkts[h->count] = av_packet_alloc()))
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    av_packet_move_ref(h->pkts[h->count++], pkt);
    return 0;
}

/* Gives the held packets the timestamps before `next` (the next video packet's dts, or pts),
 * one packet duration apart (their own duration, else the stream's frame period), and
 * ingests them in order. */
static int held_flush(Stream *st, AVFormatContext *fmt, Held *h, int64_t next)
{
    int ret = 0;
    double t;
    if (!h->count || next == AV_NOPTS_VALUE)
        return 0;
    AVStream *v = fmt->streams[h->pkts[0]->stream_index];
    AVRational rate = v->avg_frame_rate.num > 0 ? v->avg_frame_rate : v->r_frame_rate;
    int64_t period = rate.num > 0 ? av_rescale_q(1, av_inv_q(rate), v->time_base)
                                  : av_rescale_q(1, (AVRational){ 1, 30 }, v->time_base);
    int64_t ts = next;
    for (int i = h->count - 1; i >= 0; i--) {
        ts -= h->pkts[i]->duration > 0 ? h->pkts[i]->duration : (period > 0 ? period : 1);
        h->pkts[i]->pts = h->pkts[i]->dts = ts;
    }
    for (int i = 0; i < h->count && ret >= 0; i++)
        ret = ingest(st, fmt, h->pkts[i], 1, &t);
    held_clear(h);
    return ret;
}

/* Idle cost (bench/README.md): FFmpeg's RTSP-over-TCP reader makes three blocking socket reads
 * per RTP packet, so a reader that keeps up wakes several times per frame as the packets
 * trickle in. Once a read had to wait (the socket was drained), the reader sleeps READ_BATCH
 * seconds (one sleep: stopping waits at most that) and then reads what arrived meanwhile
 * without blocking: a few wake-ups per batch
 * instead of per packet. Packets reach the ring at most READ_BATCH later (their wall clock
 * does not change: it comes from RTCP or the earliest arrival). Only for RTSP over TCP, whose
 * kernel socket buffer holds the batch without loss (UDP would drop). */
#define READ_BATCH 0.1
#define DRAINED_WAIT 0.002 /* a read that took longer waited for data */

static int reads_in_batches(const Stream *st)
{
    return !st->p.realtime && st->p.transport == EVCLIP_TRANSPORT_TCP &&
           (!strncmp(st->url, "rtsp://", 7) || !strncmp(st->url, "rtsps://", 8));
}

/* Reads until the connection fails or stalls; returns the reason (negative code). */
static int read_loop(Stream *st, AVFormatContext *fmt, int vidx, int aidx, char *why,
                     size_t size)
{
    EvclipLive *l = st->live;
    AVPacket *pkt = av_packet_alloc();
    double first_t = NAN, first_mono = 0, t = NAN;
    Held held = { 0 };
    int ret, batch = reads_in_batches(st);

    if (!pkt)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    for (;;) {
        double asked = live_mono_now();
        st->deadline = asked + l->s.stall_timeout;
        ret = av_read_frame(fmt, pkt);
        int drained = live_mono_now() - asked > DRAINED_WAIT;
        if (ret < 0) {
            if (stopping(st))
                snprintf(why, size, "%s", atomic_load(&st->removing) ? "removed" : "shutdown");
            else if (ret == AVERROR_EXIT || live_mono_now() > st->deadline)
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
        if (video && pkt->pts == AV_NOPTS_VALUE && pkt->dts == AV_NOPTS_VALUE) {
            if ((ret = held_push(&held, pkt)) < 0) {
                snprintf(why, size, "out of memory");
                break;
            }
            continue;
        }
        if ((video && (ret = held_flush(st, fmt, &held,
                                        pkt->dts != AV_NOPTS_VALUE ? pkt->dts : pkt->pts)) < 0) ||
            (ret = ingest(st, fmt, pkt, video, &t)) < 0) {
            snprintf(why, size, "out of memory");
            break;
        }
        av_packet_unref(pkt);
        if (batch && drained)
            av_usleep((unsigned)(READ_BATCH * 1e6)); /* one wake-up (nap() ticks) */
        if (batch && drained && stopping(st)) {
            snprintf(why, size, "%s", atomic_load(&st->removing) ? "removed" : "shutdown");
            break;
        }
        if (st->p.realtime && video && !isnan(t)) {
            if (isnan(first_t)) {
                first_t = t;
                first_mono = live_mono_now();
            }
            if (nap(st, first_mono + (t - first_t) - live_mono_now())) {
                snprintf(why, size, "shutdown");
                break;
            }
        }
    }
    held_clear(&held);
    av_packet_free(&pkt);
    return ret;
}

static void stream_down(Stream *st, const char *why)
{
    pthread_mutex_lock(&st->lock);
    st->connected = 0;
    pthread_mutex_unlock(&st->lock);
    live_emit_stream(st, EVCLIP_LIVE_STREAM_DOWN, why, NULL);
}

void *live_reader_main(void *arg)
{
    Stream *st = arg;
    EvclipLive *l = st->live;
    unsigned seed = (unsigned)(uintptr_t)st ^ (unsigned)av_gettime();
    char why[256];
    int attempt = 0;

    ev_log_capture_ffmpeg(&l->r->log);
    while (!stopping(st)) {
        AVFormatContext *fmt = NULL;
        int vidx = -1, aidx = -1;
        ev_error_clear();
        int ret = connect_stream(st, &fmt, &vidx, &aidx);
        if (ret >= 0 && (ret = stream_up(st, fmt, vidx, aidx)) >= 0) {
            attempt = 0;
            live_emit_stream(st, EVCLIP_LIVE_STREAM_UP, ret ? "ring kept" : NULL,
                        fmt->start_time_realtime > 0 ? "rtcp" : "arrival");
            read_loop(st, fmt, vidx, aidx, why, sizeof(why));
            stream_down(st, why);
        } else {
            snprintf(why, sizeof(why), "%s", ev_error_message());
            if (attempt == 0)
                stream_down(st, why); /* later failures are told by RECONNECTING */
        }
        avformat_close_input(&fmt);
        if (stopping(st))
            break;
        if (st->p.loop && !strcmp(why, "end of stream"))
            continue;
        attempt++;
        double delay = live_backoff(attempt, l->s.backoff_min, l->s.backoff_max,
                                    rand_r(&seed) / (RAND_MAX + 1.0));
        EvclipLiveEvent ev = { .type = EVCLIP_LIVE_RECONNECTING, .stream = st->name,
                               .message = why, .delay = delay, .attempt = attempt };
        live_emit(l, &ev);
        if (nap(st, delay))
            break;
    }
    ev_log_capture_ffmpeg(NULL);
    return NULL;
}
