/* live_native.c: live passthrough copies: a live clip's ring packets stream-copied (no decoding,
 * no encoding) to OUT.native.mp4 while it records, beside the encoded clip or alone with its
 * own manifest. */
#include <errno.h>
#include <stdio.h>

#include "src/live_native.h"
#include "src/native.h"

/* A live clip's passthrough copy, written as the clip's feed hands its packets out (to the
 * engine, or to nothing for a passthrough-only clip). Used by the clip's task thread only.
 *
 * The live clock re-stamps every packet of a connection when its mapping moves (a first RTCP
 * report, packets arriving sooner than mapped), those copied already too. The copy keeps the
 * mapping its first keyframe had (each packet's own stream time decides its place, as in the
 * final recording), so its packets keep their spacing and order. The packets of a later
 * connection (after an outage) are copied at the feed's end, when the mappings are final:
 * the hole between connections is then the one the clip's gaps list. */
struct LiveCopy {
    EvclipLive *l;
    Natives *n;
    NativePart *part;
    AVPacket *pkt;             /* the reference being written */
    int next;                  /* index of the feed's next packet */
    int key;                   /* index in j->pkts of the copy's first packet (a video
                                  keyframe), -1 before it */
    int conn;                  /* its connection */
    double map;                /* its wall clock minus stream time when it was copied */
    int tail;                  /* index of the first packet of a later connection, or -1 */
    int64_t afrom;             /* audio pts (as copied) from which audio is copied */
    RingEntry *held;           /* audio past the window end as it was (merges move it) */
    int nheld;
    int64_t damaged;           /* damaged video packets copied */
    int finished;
    double ended;              /* monotonic time the feed ended at */
    int ret;                   /* 0, or the copy's failure (sticky: the feed then ends) */
    char error[512];           /* its message */
};

/* Records the copy's failure `ret` (the feed ends, the clip fails with it). */
static int fail(LiveCopy *c, int ret)
{
    if (c->ret >= 0) {
        c->ret = ret;
        snprintf(c->error, sizeof(c->error), "%s", ev_error_message());
    }
    return ret;
}

/* Copies e's packet, its timestamps moved by `shift` seconds (onto the copy's timeline). */
static int copy_packet(LiveCopy *c, const LiveClip *j, const RingEntry *e, double shift)
{
    if (av_packet_ref(c->pkt, e->pkt) < 0)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    int64_t d = llround(shift / av_q2d(e->video ? j->vtb : j->atb));
    if (c->pkt->pts != AV_NOPTS_VALUE)
        c->pkt->pts += d;
    if (c->pkt->dts != AV_NOPTS_VALUE)
        c->pkt->dts += d;
    if (e->video && c->key == c->next) /* the first keyframe: audio from its time on */
        c->afrom = av_rescale_q(c->pkt->pts, j->vtb, j->atb);
    if (!e->video && (c->pkt->pts == AV_NOPTS_VALUE || c->pkt->pts < c->afrom)) {
        av_packet_unref(c->pkt);
        return 0;
    }
    if (e->video && (e->pkt->flags & AV_PKT_FLAG_CORRUPT))
        c->damaged++;
    int ret = native_part_write(c->part, !e->video, c->pkt);
    av_packet_unref(c->pkt);
    return ret;
}

/* The shift that puts e (of the first keyframe's connection, stamped as it is now) on the
 * copy's timeline. */
static double shift_of(const LiveCopy *c, const RingEntry *e)
{
    return c->map - (e->wallclock - e->t);
}

/* Copies the held audio that the window (ending at `end`) now holds; `drop`: drops the rest. */
static int copy_held(LiveCopy *c, const LiveClip *j, double end, int drop)
{
    int ret = 0, i = 0;
    for (; ret >= 0 && i < c->nheld && c->held[i].wallclock < end; i++)
        ret = copy_packet(c, j, &c->held[i], shift_of(c, &c->held[i]));
    int n = drop ? c->nheld : i;
    if (!n)
        return ret;
    for (int k = 0; k < n; k++)
        av_packet_free(&c->held[k].pkt);
    memmove(c->held, c->held + n, sizeof(*c->held) * (size_t)(c->nheld - n));
    c->nheld -= n;
    return ret;
}

/* Video from the first keyframe to the window end as recorded, audio from the keyframe's time
 * to the window end (`end` as it is now: audio past it waits, a merge may extend it). */
static int feed_packet(LiveCopy *c, const LiveClip *j, const RingEntry *e, double end)
{
    int ret = copy_held(c, j, end, 0);
    if (c->key < 0 && e->video && e->key) {
        c->key = c->next;
        c->conn = e->conn;
        c->map = e->wallclock - e->t;
    }
    if (c->key >= 0 && c->tail < 0 && e->conn != c->conn)
        c->tail = c->next; /* a later connection: copied at the end */
    if (ret < 0 || c->key < 0 || c->tail >= 0 || (!e->video && !j->apar))
        return ret;
    if (e->video || e->wallclock < end)
        return copy_packet(c, j, e, shift_of(c, e));
    RingEntry *h = realloc(c->held, sizeof(*h) * (size_t)(c->nheld + 1));
    if (!h)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    c->held = h;
    h[c->nheld] = *e;
    if (!(h[c->nheld].pkt = av_packet_clone(e->pkt)))
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    c->nheld++;
    return 0;
}

/* The feed ended (j is off the recording list: its packets move no more): the packets of
 * later connections are copied, each moved as the first keyframe's connection was, and the
 * copy is completed with the window as recorded (wall clock, as the live source's window in
 * the manifest) and its first keyframe's wall clock. */
static int finish(LiveCopy *c, LiveClip *j)
{
    Stream *st = j->st;
    pthread_mutex_lock(&st->lock);
    double start = j->start, end = j->end;
    pthread_mutex_unlock(&st->lock);
    int ret = copy_held(c, j, end, 1);
    c->finished = 1;
    c->ended = live_mono_now();
    if (ret >= 0 && c->key < 0)
        return ev_error(EVCLIP_ERR_INPUT, "native copy of '%s': no video keyframe was "
                        "recorded in the window", st->name);
    const RingEntry *key = &j->pkts[c->key];
    double shift = shift_of(c, key);
    for (int i = c->tail; ret >= 0 && i >= 0 && i < j->count; i++) {
        const RingEntry *e = &j->pkts[i];
        if (e->video || (j->apar && e->wallclock < end))
            ret = copy_packet(c, j, e, shift);
    }
    return ret < 0 ? ret : native_part_finish(c->part, start, end, key->wallclock, st->name,
                                              &c->l->r->log);
}

int live_native_feed(LiveClip *j, const RingEntry *e, double end)
{
    LiveCopy *c = j->copy;
    int ret = c->ret;
    if (ret < 0 || c->finished)
        return ret;
    ret = e ? feed_packet(c, j, e, end) : finish(c, j);
    c->next++;
    return ret < 0 ? fail(c, ret) : 0;
}

/* Reads j's feed to its end (its packets go to the copy, which is then finished), from the
 * packet the engine did not read (all of them for a passthrough-only clip). Returns 0 or the
 * copy's failure, CANCELED. */
static int drain(LiveClip *j)
{
    LiveCopy *c = j->copy;
    RingEntry e;
    int ret = 1;
    while (c->ret >= 0 && !c->finished && (ret = j->feed.pull(j->feed.opaque, c->next, &e)) > 0)
        av_packet_free(&e.pkt);
    if (c->ret < 0)
        return ev_error(c->ret, "%s", c->error);
    if (ret < 0)
        return ret == AVERROR_EXIT ? ev_error(EVCLIP_ERR_CANCELED, "render cancelled")
                                   : ev_error_av(ret, EVCLIP_ERR_NOMEM, "native copy");
    return 0;
}

/* BatchInput.complete of a clip with a copy: the copy is complete before the clip is
 * published with it. */
static int complete(void *opaque)
{
    return drain(opaque);
}

/* Opens j's copy (its temp file beside the native path of `output`: an existing copy is
 * refused now, before any work). */
static int copy_open(EvclipLive *l, LiveClip *j, const char *output, LiveCopy *c)
{
    NativeStreams in = { .vpar = j->vpar, .apar = j->apar, .vtb = j->vtb, .atb = j->atb,
                         .vrate = j->vrate, .vindex = 0, .aindex = 1 };
    *c = (LiveCopy){ .l = l, .key = -1, .tail = -1 };
    if (!(c->pkt = av_packet_alloc()))
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    return native_part_open(&c->n, &c->part, output, 0, &in, l->r->settings.overwrite);
}

static void copy_close(LiveCopy *c)
{
    for (int i = 0; i < c->nheld; i++)
        av_packet_free(&c->held[i].pkt);
    free(c->held);
    av_packet_free(&c->pkt);
    native_close(&c->n); /* published, or its temp file removed */
}

/* What a passthrough-only clip holds, as a clip result: video packets as frames, the span of
 * their timestamps plus one frame as the duration. */
static void fill_result(const LiveClip *j, const NativePart *p, int64_t damaged,
                        EvclipResult *res)
{
    const NativeScan *scan = native_part_scan(p);
    double period = j->vrate.num > 0 ? 1 / av_q2d(j->vrate) : 1 / 30.0;
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (int i = 0; i < j->count; i++)
        if (j->pkts[i].video && j->pkts[i].pkt->pts != AV_NOPTS_VALUE) {
            lo = FFMIN(lo, j->pkts[i].pkt->pts);
            hi = FFMAX(hi, j->pkts[i].pkt->pts);
        }
    memset(res, 0, sizeof(*res));
    res->frames = scan->video.packets;
    res->duration = lo <= hi ? (hi - lo) * av_q2d(j->vtb) + period : 0;
    res->first_time = lo <= hi ? (lo - j->origin_pts) * av_q2d(j->vtb) : 0;
    res->last_time = lo <= hi ? (hi - j->origin_pts) * av_q2d(j->vtb) : 0;
    res->width = j->vpar->width;
    res->height = j->vpar->height;
    res->has_audio = scan->audio.packets > 0;
    res->damaged_packets = damaged;
    snprintf(res->encoder, sizeof(res->encoder), "copy");
}

/* Publishes a passthrough-only copy with its manifest (NATIVE.evidence.json: the same shape
 * as an encoded live clip's, its output being the copy, which its "native" array lists too):
 * the manifest is completed first; with overwrite it is renamed first and the copy last,
 * without the copy is linked first and removed again if the manifest cannot follow. */
static int publish_alone(EvclipLive *l, LiveClip *j, Natives *n, const NativePart *p,
                         EvclipClip *clip, ManifestLive *live, EvclipResult *res)
{
    const EvclipSettings *s = clip->settings;
    char path[4096];
    int64_t size;
    int ret;
    snprintf(res->output_sha256, sizeof(res->output_sha256), "%s", native_part_sha256(p, &size));
    if (!s->manifest)
        return native_publish(n);
    ManifestInfo info = { .clip = clip, .settings = s, .result = res, .speed = 1,
                          .frame_step = 1, .output_file = native_part_temp(p), .live = live,
                          .natives = n, .thickness = 0, .font_size = 0 };
    live->first_frame = j->base + res->first_time;
    live->last_frame = j->base + res->last_time;
    live->damaged_packets = res->damaged_packets;
    live->native_only = 1;
    snprintf(path, sizeof(path), "%s.evidence.json", clip->output);
    if ((ret = manifest_write_temp(&info, &l->r->log)) < 0)
        return ret;
    if (s->overwrite) {
        if (rename(info.manifest_temp, path) != 0)
            ret = ev_error(EVCLIP_ERR_OUTPUT, "cannot write manifest '%s': %s", path,
                           strerror(errno));
        else
            ret = native_publish(n);
    } else if ((ret = native_publish(n)) >= 0 && rename(info.manifest_temp, path) != 0) {
        ret = ev_error(EVCLIP_ERR_OUTPUT, "cannot write manifest '%s': %s", path,
                       strerror(errno));
        native_unpublish(n);
    }
    unlink(info.manifest_temp); /* gone after a rename; removed after a failure */
    free(info.manifest_temp);
    return ret;
}

int live_native_wanted(const EvclipLive *l, const LiveClip *j)
{
    const EvclipStreamParams *p = &j->st->p;
    return l->s.native_only || p->native_only || l->s.native || p->native;
}

char *live_copy_only_path(const EvclipLive *l, const Stream *st, const AVCodecParameters *vpar,
                          const AVCodecParameters *apar, const char *output)
{
    if (!l->s.native_only && !st->p.native_only)
        return NULL;
    return native_path(output, 0, 1, native_ext(vpar, apar));
}

/* A passthrough-only clip: its feed read to the end into the copy (frames wait for no
 * detections: nothing is drawn), published with its own manifest. */
static int run_alone(EvclipLive *l, LiveClip *j, LiveCopy *c, EvclipClip *clip,
                     const BatchInput *in, EvclipResult *res)
{
    int ret = drain(j);
    if (ret < 0)
        return ret;
    EvclipClip alone = *clip;
    alone.output = native_part_path(c->part);
    fill_result(j, c->part, c->damaged, res);
    if ((ret = publish_alone(l, j, c->n, c->part, &alone, in->live, res)) < 0)
        return ret;
    ev_log(&l->r->log, EVCLIP_LOG_INFO, "'%s': passthrough clip published %.1f ms after its "
           "last packet", native_part_path(c->part), (live_mono_now() - c->ended) * 1e3);
    snprintf(j->native_path, sizeof(j->native_path), "%s", native_part_path(c->part));
    char *copy = strdup(j->native_path);
    if (copy) { /* the clip is the copy: events name it and its manifest */
        free(j->output);
        j->output = copy;
    }
    return 0;
}

int live_native_run(EvclipLive *l, LiveClip *j, EvclipClip *clip, const BatchInput *in,
                    EvclipResult *res)
{
    LiveCopy c;
    j->native_path[0] = 0;
    if (!live_native_wanted(l, j))
        return batch_run(l->r, clip, 1, res, 1, in);
    int ret = copy_open(l, j, clip->output, &c);
    j->copy = &c;
    j->copy_only = l->s.native_only || j->st->p.native_only;
    if (ret >= 0 && j->copy_only) {
        ret = run_alone(l, j, &c, clip, in, res);
    } else if (ret >= 0) {
        BatchInput with = *in;
        with.complete = complete;
        in->live->natives = c.n; /* published with the clip, recorded in its manifest */
        ret = batch_run(l->r, clip, 1, res, 1, &with);
        in->live->natives = NULL;
        if (ret >= 0 && res->status >= 0)
            snprintf(j->native_path, sizeof(j->native_path), "%s", native_part_path(c.part));
    }
    j->copy = NULL;
    j->copy_only = 0;
    copy_close(&c);
    return ret;
}
