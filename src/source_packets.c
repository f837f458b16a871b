/* source_packets.c: a source made of a list of encoded packets (a live recording), read by the
 * walker like a file: the same decoding, corrupt-data policy, seeking contract and index. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "src/error.h"
#include "src/source_packets.h"

#define DEFAULT_PERIOD (1 / 30.0) /* a live stream that states no rate */

static AVStream *add_stream(AVFormatContext *fmt, const AVCodecParameters *par,
                            AVRational tb)
{
    AVStream *st = avformat_new_stream(fmt, NULL);
    if (!st || avcodec_parameters_copy(st->codecpar, par) < 0)
        return NULL;
    st->time_base = tb;
    return st;
}

/* The timeline from the packets: source time 0 at the origin, duration to the last video
 * packet plus one frame. */
static void packet_timeline(Source *s, const PacketList *l)
{
    int64_t last = AV_NOPTS_VALUE;
    s->frame_period = l->vrate.num > 0 && l->vrate.den > 0 ? av_q2d(av_inv_q(l->vrate))
                                                           : DEFAULT_PERIOD;
    s->origin = l->origin;
    if (l->feed) {
        s->duration = -1; /* still growing: the feed's end is the source's */
        return;
    }
    for (int i = 0; i < l->count; i++)
        if (l->pkts[i].video && l->pkts[i].pkt->pts != AV_NOPTS_VALUE &&
            (last == AV_NOPTS_VALUE || l->pkts[i].pkt->pts > last))
            last = l->pkts[i].pkt->pts;
    s->duration = last == AV_NOPTS_VALUE ? -1 : source_time(s, last) + s->frame_period;
}

int source_open_packets(Source **out, const PacketList *l, int threads, const Logger *log)
{
    *out = NULL;
    if (!l->vpar)
        return ev_error(EVCLIP_ERR_NO_VIDEO, "stream '%s' has no video", l->name);
    Source *s = calloc(1, sizeof(*s));
    int ret = 0;
    if (!s || !(s->path = strdup(l->name)) || !(s->packet = av_packet_alloc()) ||
        !(s->frame = av_frame_alloc()) || !(s->fmt = avformat_alloc_context()) ||
        !(s->video = add_stream(s->fmt, l->vpar, l->vtb)) ||
        (l->apar && !(s->audio = add_stream(s->fmt, l->apar, l->atb))))
        ret = ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    if (ret >= 0) {
        s->log = log;
        s->packets = l->pkts;
        s->nb_packets = l->count;
        if ((s->feed = l->feed)) {
            s->nb_packets = 0;
            s->pulled_capacity = 256;
            if (!(s->pulled = calloc((size_t)s->pulled_capacity, sizeof(*s->pulled))))
                ret = ev_error(EVCLIP_ERR_NOMEM, "out of memory");
            s->packets = s->pulled;
        }
    }
    if (ret >= 0) {
        s->video->avg_frame_rate = s->video->r_frame_rate = l->vrate;
        s->video_streams = 1;
        s->threads = threads;
        s->rotation = NAN;
        packet_timeline(s, l);
        ret = source_open_decoder(s, &s->dec, threads);
    }
    if (ret < 0) {
        source_close(&s);
        return ret;
    }
    *out = s;
    return 0;
}

/* Pulls the feed's next packet into s->pulled. Returns 1, 0 at the feed's end, or an
 * AVERROR. */
static int pull(Source *s)
{
    if (s->nb_packets == s->pulled_capacity) {
        int cap = s->pulled_capacity * 2;
        RingEntry *p = realloc(s->pulled, sizeof(*p) * (size_t)cap);
        if (!p)
            return AVERROR(ENOMEM);
        s->packets = s->pulled = p;
        s->pulled_capacity = cap;
    }
    int ret = s->feed->pull(s->feed->opaque, s->nb_packets, &s->pulled[s->nb_packets]);
    if (ret > 0)
        s->nb_packets++;
    return ret;
}

void source_packets_free(Source *s)
{
    for (int i = 0; s->pulled && i < s->nb_packets; i++)
        av_packet_free(&s->pulled[i].pkt);
    free(s->pulled);
    s->pulled = NULL;
}

int source_packets_read(Source *s, AVPacket *pkt)
{
    for (;;) {
        if (s->next_packet >= s->nb_packets) {
            int ret = s->feed ? pull(s) : 0;
            if (ret <= 0)
                return ret < 0 ? ret : AVERROR_EOF;
        }
        const RingEntry *e = &s->packets[s->next_packet++];
        if (!e->video && !s->audio)
            continue;
        int ret = av_packet_ref(pkt, e->pkt);
        if (ret < 0)
            return ret;
        pkt->stream_index = e->video ? s->video->index : s->audio->index;
        return 0;
    }
}

/* Index of the last video keyframe with pts <= target, or -1. */
static int key_before(const Source *s, int64_t target)
{
    int found = -1;
    for (int i = 0; i < s->nb_packets; i++) {
        const RingEntry *e = &s->packets[i];
        if (e->video && e->key && e->pkt->pts != AV_NOPTS_VALUE && e->pkt->pts <= target)
            found = i;
    }
    return found;
}

void source_packets_seek(Source *s, int64_t target)
{
    int i = key_before(s, target);
    s->next_packet = i >= 0 ? i : 0;
}

int64_t source_packets_keyframe_before(const Source *s, int64_t target)
{
    int i = key_before(s, target);
    return i >= 0 ? s->packets[i].pkt->pts : AV_NOPTS_VALUE;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int source_packets_index(Source *s, int64_t until)
{
    int64_t *v = malloc(sizeof(*v) * (size_t)(s->nb_packets + 1));
    int64_t n = 0;
    if (!v)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory indexing '%s'", s->path);
    for (int i = 0; i < s->nb_packets; i++) {
        const AVPacket *p = s->packets[i].pkt;
        if (s->packets[i].video && p->pts != AV_NOPTS_VALUE && p->pts <= until &&
            !(p->flags & AV_PKT_FLAG_DISCARD))
            v[n++] = p->pts;
    }
    qsort(v, (size_t)n, sizeof(*v), cmp_i64);
    free(s->index_pts);
    s->index_pts = v;
    s->index_count = n;
    s->index_until = until;
    s->index_skipped = 0;
    return 0;
}
