/* source_index.c: presentation index of a source: frame i is the i-th frame its decoder outputs
 * from the start of the file (what OpenCV's read() loop and PyAV's decode() count). */
#include <stdlib.h>
#include <string.h>

#include "src/error.h"
#include "src/source_packets.h"

#define HEAD_FRAMES 16 /* decoded frames compared with the demuxed index before trusting it */

typedef struct PtsList {
    int64_t *v;
    int64_t n, cap;
} PtsList;

/* One pass over the video packets of a second handle. In demux mode the packets' pts are the
 * index and only the head of the stream is decoded, to check it; in full mode (no pts in the
 * packets, or a head that disagrees) every frame is decoded and its timestamp recorded. */
typedef struct Scan {
    Source *s;
    AVFormatContext *fmt;
    AVCodecContext *dec;
    AVPacket *pkt;
    AVFrame *frame;
    PtsList demuxed, decoded;
    int64_t until;
    int full;
    int untimed;     /* demux mode met a packet without pts: redo in full mode */
    int demux_done;  /* demux mode: every packet with pts <= until was seen */
    int decode_done; /* enough frames decoded (head, or past until) or decoder drained */
} Scan;

static int push(PtsList *l, int64_t pts, const char *path)
{
    if (l->n == l->cap) {
        int64_t n = l->cap ? l->cap * 2 : 4096;
        int64_t *p = realloc(l->v, (size_t)n * sizeof(*p));
        if (!p)
            return ev_error(EVCLIP_ERR_NOMEM, "out of memory indexing '%s'", path);
        l->v = p;
        l->cap = n;
    }
    l->v[l->n++] = pts;
    return 0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Collects the frames the decoder has ready, by the timestamp the walker also uses. */
static int receive(Scan *sc)
{
    for (;;) {
        int r = avcodec_receive_frame(sc->dec, sc->frame);
        if (r == AVERROR(EAGAIN))
            return 0;
        if (r == AVERROR_EOF) {
            sc->decode_done = 1;
            return 0;
        }
        if (r == AVERROR_INVALIDDATA)
            continue; /* a damaged frame: no frame, as in the walker */
        if (r < 0)
            return ev_error_av(r, EVCLIP_ERR_DECODE, "input '%s': indexing", sc->s->path);
        int64_t pts = sc->frame->best_effort_timestamp;
        av_frame_unref(sc->frame);
        if (pts == AV_NOPTS_VALUE)
            continue;
        if (sc->full && pts > sc->until) {
            sc->decode_done = 1; /* frames come out in presentation order */
            return 0;
        }
        if ((r = push(&sc->decoded, pts, sc->s->path)) < 0)
            return r;
        if (!sc->full && sc->decoded.n >= HEAD_FRAMES)
            sc->decode_done = 1;
    }
}

static int decode(Scan *sc, const AVPacket *pkt)
{
    int r = avcodec_send_packet(sc->dec, pkt);
    /* Undecodable data (a recording cut mid-GOP) yields no frame, as in the walker. */
    if (r < 0 && r != AVERROR_INVALIDDATA && r != AVERROR(EINVAL) && r != AVERROR_EOF)
        return ev_error_av(r, EVCLIP_ERR_DECODE, "input '%s': indexing", sc->s->path);
    return receive(sc);
}

static int demux(Scan *sc, const AVPacket *pkt)
{
    const Source *s = sc->s;
    int64_t slack = source_pts(s, 2.0) - s->origin;
    if (pkt->pts == AV_NOPTS_VALUE) {
        sc->untimed = 1;
        return 0;
    }
    int64_t order = pkt->dts != AV_NOPTS_VALUE ? pkt->dts : pkt->pts - slack;
    if (order > sc->until) {
        sc->demux_done = 1; /* every later packet has pts >= dts > until */
        return 0;
    }
    return pkt->flags & AV_PKT_FLAG_DISCARD ? 0 : push(&sc->demuxed, pkt->pts, s->path);
}

static int scan_loop(Scan *sc)
{
    int ret = 0, vi = sc->s->video->index;
    while (ret == 0 && !sc->untimed && !(sc->decode_done && (sc->full || sc->demux_done))) {
        int r = av_read_frame(sc->fmt, sc->pkt);
        if (r == AVERROR_EOF) {
            sc->demux_done = 1;
            while (ret == 0 && !sc->decode_done)
                ret = decode(sc, NULL);
            break;
        }
        if (r < 0)
            return ev_error_av(r, EVCLIP_ERR_INPUT, "input '%s': indexing", sc->s->path);
        if (sc->pkt->stream_index == vi) {
            if (!sc->full && !sc->demux_done)
                ret = demux(sc, sc->pkt);
            if (ret == 0 && !sc->decode_done)
                ret = decode(sc, sc->pkt);
        }
        av_packet_unref(sc->pkt);
    }
    return ret;
}

/* Demux mode: the decoded head must be a run of the sorted packet pts; packets before it are
 * leading frames the decoder never outputs. Returns 1 when the index is trusted. */
static int adopt_demuxed(Scan *sc)
{
    Source *s = sc->s;
    PtsList *d = &sc->demuxed;
    qsort(d->v, (size_t)d->n, sizeof(*d->v), cmp_i64);
    int64_t first = 0;
    if (sc->decoded.n > 0) {
        while (first < d->n && d->v[first] < sc->decoded.v[0])
            first++;
        for (int64_t k = 0; k < sc->decoded.n; k++)
            if (first + k >= d->n ? sc->decoded.v[k] <= sc->until
                                  : d->v[first + k] != sc->decoded.v[k])
                return 0;
    } else {
        first = d->n; /* nothing decodable: no frame has an index */
    }
    free(s->index_pts);
    s->index_pts = d->v;
    s->index_count = d->n - first;
    if (first)
        memmove(s->index_pts, s->index_pts + first, (size_t)s->index_count * sizeof(int64_t));
    s->index_skipped = first;
    d->v = NULL;
    return 1;
}

static int scan(Source *s, int64_t until, int full)
{
    Scan sc = { .s = s, .until = until, .full = full };
    AVIOContext *pb = NULL;
    int ret = source_open_format(s, &sc.fmt, &pb);
    if (ret >= 0 && (unsigned)s->video->index >= sc.fmt->nb_streams)
        ret = ev_error(EVCLIP_ERR_INPUT, "input '%s' changed while indexing", s->path);
    if (ret >= 0 && (ret = source_open_decoder(s, &sc.dec, s->threads)) >= 0) {
        /* Only timestamps are needed: skip the costly parts of decoding. */
        sc.dec->skip_loop_filter = AVDISCARD_ALL;
        sc.dec->skip_idct = AVDISCARD_ALL;
        for (unsigned i = 0; i < sc.fmt->nb_streams; i++)
            if ((int)i != s->video->index)
                sc.fmt->streams[i]->discard = AVDISCARD_ALL;
        sc.pkt = av_packet_alloc();
        sc.frame = av_frame_alloc();
        ret = sc.pkt && sc.frame ? scan_loop(&sc) : ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    }
    if (ret >= 0 && full) {
        free(s->index_pts);
        s->index_pts = sc.decoded.v; /* presentation order already */
        s->index_count = sc.decoded.n;
        s->index_skipped = 0;
        sc.decoded.v = NULL;
        ret = 1;
    } else if (ret >= 0) {
        ret = !sc.untimed && adopt_demuxed(&sc);
    }
    av_packet_free(&sc.pkt);
    av_frame_free(&sc.frame);
    avcodec_free_context(&sc.dec);
    source_close_format(&sc.fmt, &pb);
    free(sc.demuxed.v);
    free(sc.decoded.v);
    return ret;
}

/* Inputs without timestamps: the walker numbers the frames it decodes (pts n * synth_step),
 * so frame n is index n. */
static int synthesize(Source *s, int64_t until)
{
    int64_t n = until / s->synth_step + 1;
    int64_t *v = realloc(s->index_pts, (size_t)n * sizeof(*v));
    if (!v)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory indexing '%s'", s->path);
    for (int64_t i = 0; i < n; i++)
        v[i] = i * s->synth_step;
    s->index_pts = v;
    s->index_count = n;
    s->index_until = until;
    return 0;
}

int source_build_index(Source *s, int64_t until_pts)
{
    if (s->index_pts && s->index_until >= until_pts)
        return 0;
    if (s->synth_ts)
        return synthesize(s, until_pts);
    if (s->packets)
        return source_packets_index(s, until_pts); /* every packet is at hand, with its pts */
    int ret = s->index_decoded ? 0 : scan(s, until_pts, 0);
    if (ret == 0) {
        s->index_decoded = 1;
        ret = scan(s, until_pts, 1);
    }
    if (ret < 0)
        return ret;
    s->index_until = until_pts;
    ev_log(s->log, EVCLIP_LOG_DEBUG, "input '%s': %lld frames indexed by %s%s", s->path,
           (long long)s->index_count, s->index_decoded ? "decoding" : "demuxing",
           s->index_skipped ? " (leading undecodable frames skipped)" : "");
    return 0;
}

int64_t source_frame_index(const Source *s, int64_t pts)
{
    int64_t lo = 0, hi = s->index_count;

    if (!s->index_pts || pts > s->index_until)
        return -1;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (s->index_pts[mid] < pts)
            lo = mid + 1;
        else
            hi = mid;
    }
    /* An exact match is the norm; otherwise take the nearest indexed frame. */
    if (lo > 0 && (lo == s->index_count || pts - s->index_pts[lo - 1] < s->index_pts[lo] - pts))
        lo--;
    return lo < s->index_count ? lo : -1;
}

int64_t source_index_pts(const Source *s, int64_t i)
{
    if (!s->index_pts || i < 0 || i >= s->index_count)
        return AV_NOPTS_VALUE;
    return s->index_pts[i];
}
