/* live_native.c: live passthrough copies: a live clip's ring packets stream-copied (no decoding,
 * no encoding) to OUT.native.mp4, beside the encoded clip or alone with its own manifest. */
#include <errno.h>
#include <stdio.h>

#include "src/live_native.h"
#include "src/native.h"

/* Index of the clip's first video keyframe (the ring hands clips out from one), or -1. */
static int first_keyframe(const LiveClip *j)
{
    for (int i = 0; i < j->count; i++)
        if (j->pkts[i].video && j->pkts[i].key)
            return i;
    return -1;
}

/* Writes the clip's packets from its first keyframe (video to the window end as recorded,
 * audio from the keyframe's time on) through native.c's packet writer into a temp file beside
 * the native path of `output`. The window and copy_start are wall clock, as the live source's
 * window in the manifest. */
static int write_copy(EvclipLive *l, LiveClip *j, const char *output, Natives **n,
                      NativePart **part, int64_t *damaged)
{
    int k = first_keyframe(j);
    if (k < 0)
        return ev_error(EVCLIP_ERR_INPUT, "native copy of '%s': no video keyframe was recorded "
                        "in the window", j->st->name);
    const AVPacket *kf = j->pkts[k].pkt;
    NativeStreams in = { .vpar = j->vpar, .apar = j->apar, .vtb = j->vtb, .atb = j->atb,
                         .vrate = j->vrate, .vindex = 0, .aindex = 1 };
    int ret = native_part_open(n, part, output, 0, j->start, j->end, &in, kf->pts,
                               l->r->settings.overwrite);
    AVPacket *pkt = av_packet_alloc();
    int64_t afrom = av_rescale_q(kf->pts, j->vtb, j->atb);
    if (ret >= 0 && !pkt)
        ret = ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    *damaged = 0;
    for (int i = k; ret >= 0 && i < j->count; i++) {
        const RingEntry *e = &j->pkts[i];
        if (!e->video && (!j->apar || e->wallclock >= j->end || e->pkt->pts == AV_NOPTS_VALUE ||
                          e->pkt->pts < afrom))
            continue;
        if (e->video && (e->pkt->flags & AV_PKT_FLAG_CORRUPT))
            (*damaged)++;
        if ((ret = av_packet_ref(pkt, e->pkt)) < 0) {
            ret = ev_error(EVCLIP_ERR_NOMEM, "out of memory");
            break;
        }
        ret = native_part_write(*part, !e->video, pkt);
        av_packet_unref(pkt);
    }
    av_packet_free(&pkt);
    return ret < 0 ? ret : native_part_finish(*part, j->pkts[k].wallclock, j->st->name,
                                              &l->r->log);
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

int live_native_run(EvclipLive *l, LiveClip *j, EvclipClip *clip, const BatchInput *in,
                    EvclipResult *res)
{
    int only = l->s.native_only || j->st->p.native_only;
    int native = live_native_wanted(l, j);
    Natives *n = NULL;
    NativePart *part = NULL;
    int64_t damaged = 0;
    j->native_path[0] = 0;
    if (!native)
        return batch_run(l->r, clip, 1, res, 1, in);
    double t0 = live_mono_now();
    int ret = write_copy(l, j, clip->output, &n, &part, &damaged);
    if (ret >= 0 && only) {
        EvclipClip alone = *clip;
        alone.output = native_part_path(part);
        fill_result(j, part, damaged, res);
        ret = publish_alone(l, j, n, part, &alone, in->live, res);
        if (ret >= 0) {
            ev_log(&l->r->log, EVCLIP_LOG_INFO, "'%s': passthrough clip written in %.1f ms",
                   native_part_path(part), (live_mono_now() - t0) * 1e3);
            snprintf(j->native_path, sizeof(j->native_path), "%s", native_part_path(part));
            char *copy = strdup(j->native_path);
            if (copy) { /* the clip is the copy: events name it and its manifest */
                free(j->output);
                j->output = copy;
            }
        }
    } else if (ret >= 0) {
        in->live->natives = n; /* published with the clip, recorded in its manifest */
        ret = batch_run(l->r, clip, 1, res, 1, in);
        in->live->natives = NULL;
        if (ret >= 0 && res->status >= 0)
            snprintf(j->native_path, sizeof(j->native_path), "%s", native_part_path(part));
    }
    native_close(&n); /* published, or its temp file removed */
    return ret;
}
