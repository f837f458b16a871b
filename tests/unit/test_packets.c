/* test_packets.c: unit tests of the packet-list source (a live recording read like a file):
 * frames in order, timeline, seeking to a keyframe, keyframe lookup, index, damaged packets,
 * and the clip engine rendering from it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavutil/opt.h>

#include "src/batch.h"
#include "src/error.h"
#include "src/source_packets.h"
#include "tests/unit/check.h"

#define W 64
#define H 48
#define FRAMES 30
#define GOP 10

/* Encodes FRAMES frames (frame i has luma 16 + 6 * i) at 30 fps, time base 1/30, a keyframe
 * every GOP frames; an audio-like entry (video 0) after each video packet. */
static int encode(RingEntry *out, int *count, AVCodecParameters *par)
{
    const AVCodec *codec = avcodec_find_encoder_by_name("libx264");
    if (!codec)
        return -1;
    AVCodecContext *enc = avcodec_alloc_context3(codec);
    AVFrame *f = av_frame_alloc();
    AVPacket *pkt = av_packet_alloc();
    CHECK(enc && f && pkt);
    enc->width = W;
    enc->height = H;
    enc->pix_fmt = AV_PIX_FMT_YUV420P;
    enc->time_base = (AVRational){ 1, 30 };
    enc->gop_size = GOP;
    enc->keyint_min = GOP;
    enc->max_b_frames = 0;
    enc->thread_count = 1;
    av_opt_set(enc->priv_data, "preset", "ultrafast", 0);
    av_opt_set(enc->priv_data, "x264-params", "scenecut=0", 0);
    CHECK(avcodec_open2(enc, codec, NULL) == 0);
    f->width = W;
    f->height = H;
    f->format = AV_PIX_FMT_YUV420P;
    CHECK(av_frame_get_buffer(f, 0) == 0);
    *count = 0;
    for (int i = 0; i <= FRAMES; i++) {
        if (i < FRAMES) {
            CHECK(av_frame_make_writable(f) == 0);
            memset(f->data[0], 16 + 6 * i, (size_t)f->linesize[0] * H);
            memset(f->data[1], 128, (size_t)f->linesize[1] * H / 2);
            memset(f->data[2], 128, (size_t)f->linesize[2] * H / 2);
            f->pts = i;
        }
        CHECK(avcodec_send_frame(enc, i < FRAMES ? f : NULL) == 0);
        while (avcodec_receive_packet(enc, pkt) == 0) {
            RingEntry *e = &out[(*count)++];
            *e = (RingEntry){ .pkt = av_packet_clone(pkt), .video = 1,
                              .key = !!(pkt->flags & AV_PKT_FLAG_KEY) };
            RingEntry *a = &out[(*count)++];
            *a = (RingEntry){ .pkt = av_packet_clone(pkt), .video = 0 };
            a->pkt->pts = a->pkt->dts = AV_NOPTS_VALUE; /* never read: no audio stream */
            av_packet_unref(pkt);
        }
    }
    CHECK(avcodec_parameters_from_context(par, enc) >= 0);
    avcodec_free_context(&enc);
    av_frame_free(&f);
    av_packet_free(&pkt);
    return 0;
}

static int luma_index(const AVFrame *f)
{
    return (int)lround((f->data[0][f->linesize[0] * (H / 2) + W / 2] - 16) / 6.0);
}

/* Reads every frame from the current position: their pts (and luma) in out, returns count. */
static int read_all(Source *s, int64_t *pts, int *luma)
{
    int n = 0, ev;
    while ((ev = source_next(s, 1)) == SOURCE_FRAME) {
        pts[n] = s->frame->pts;
        luma[n] = luma_index(s->frame);
        n++;
    }
    CHECK_MSG(ev == SOURCE_END, "ev %d (%s)", ev, ev_error_message());
    return n;
}

static void test_read_and_seek(const PacketList *list)
{
    Source *s = NULL;
    int64_t pts[FRAMES + 8];
    int luma[FRAMES + 8];
    CHECK(source_open_packets(&s, list, 1, NULL) == 0 && s);
    if (!s)
        return;
    CHECK(fabs(s->frame_period - 1 / 30.0) < 1e-9);
    CHECK_MSG(fabs(s->duration - 1.0) < 1e-9, "duration %f", s->duration); /* 30 frames */
    CHECK(s->audio == NULL && s->file == NULL);
    int n = read_all(s, pts, luma);
    CHECK_MSG(n == FRAMES, "%d frames", n);
    for (int i = 0; i < n && i < FRAMES; i++)
        CHECK_MSG(pts[i] == i && luma[i] == i, "frame %d: pts %lld luma %d", i,
                  (long long)pts[i], luma[i]);
    CHECK(s->damaged == 0);
    /* keyframes at 0, 10, 20: 0.5 s (pts 15) starts again at 10 */
    CHECK(fabs(source_keyframe_before(s, 0.5) - 10 / 30.0) < 1e-9);
    CHECK(fabs(source_keyframe_before(s, 0.0) - 0) < 1e-9);
    CHECK(source_seek(s, 0.5) == 0);
    n = read_all(s, pts, luma);
    CHECK_MSG(n == FRAMES - 10 && pts[0] == 10 && luma[0] == 10, "%d frames from %lld", n,
              (long long)pts[0]);
    /* before the first keyframe: the first packet (nothing exists before it) */
    CHECK(source_seek(s, -3) == 0);
    CHECK(read_all(s, pts, luma) == FRAMES && pts[0] == 0);
    /* presentation index from the packets */
    CHECK(source_build_index(s, 29) == 0);
    CHECK(s->index_count == FRAMES);
    CHECK(source_frame_index(s, 17) == 17 && source_index_pts(s, 29) == 29);
    source_close(&s);
    CHECK(s == NULL);
    source_close(&s); /* idempotent */
}

/* A packet flagged corrupt (as an RTP loss or MPEG-TS continuity error marks it) and a packet
 * of garbage bytes: decoding goes on, each is counted once in s->damaged. */
static void test_damaged(const PacketList *good, RingEntry *pkts)
{
    RingEntry copy[2 * (FRAMES + 4)];
    memcpy(copy, pkts, sizeof(*copy) * good->count);
    AVPacket *flagged = av_packet_clone(copy[2 * 13].pkt);
    AVPacket *garbage = av_packet_clone(copy[2 * 25].pkt);
    CHECK(flagged && garbage && av_packet_make_writable(garbage) == 0);
    flagged->flags |= AV_PKT_FLAG_CORRUPT;
    for (int i = 0; i < garbage->size; i++)
        garbage->data[i] = (uint8_t)(i * 37 + 11);
    copy[2 * 13].pkt = flagged;
    copy[2 * 25].pkt = garbage;
    PacketList list = *good;
    list.pkts = copy;
    Source *s = NULL;
    int64_t pts[FRAMES + 8];
    int luma[FRAMES + 8];
    CHECK(source_open_packets(&s, &list, 1, NULL) == 0);
    if (s) {
        int n = read_all(s, pts, luma);
        CHECK_MSG(n >= FRAMES - 1, "%d frames despite the damage", n);
        CHECK_MSG(s->damaged >= 2, "damaged %lld", (long long)s->damaged);
        CHECK_MSG(s->damaged <= 1 + FRAMES - 25, "damaged %lld", (long long)s->damaged);
    }
    source_close(&s);
    av_packet_free(&flagged);
    av_packet_free(&garbage);
}

/* A list cut mid-GOP (as a ring evicted up to a P frame would be): the frames that cannot be
 * decoded without their keyframe are skipped, decoding resumes at the next keyframe; an empty
 * list has no duration and ends at once. */
static void test_cut_and_empty(const PacketList *good)
{
    PacketList cut = *good;
    cut.pkts += 2 * 5; /* from frame 5: keyframes at 10 and 20 remain */
    cut.count -= 2 * 5;
    Source *s = NULL;
    int64_t pts[FRAMES + 8];
    int luma[FRAMES + 8];
    CHECK(source_open_packets(&s, &cut, 1, NULL) == 0);
    if (s) {
        int n = read_all(s, pts, luma);
        CHECK_MSG(n >= FRAMES - 10 && n <= FRAMES - 5, "%d frames", n);
        CHECK(n > 0 && pts[n - 1] == FRAMES - 1 && luma[n - 1] == FRAMES - 1);
        for (int i = 0; i < n; i++)
            CHECK_MSG(pts[i] < 10 || luma[i] == pts[i], "frame %lld luma %d",
                      (long long)pts[i], luma[i]);
    }
    source_close(&s);
    PacketList empty = *good;
    empty.count = 0;
    CHECK(source_open_packets(&s, &empty, 1, NULL) == 0);
    if (s) {
        CHECK(s->duration < 0);
        CHECK(source_next(s, 1) == SOURCE_END);
        CHECK(isnan(source_keyframe_before(s, 1.0)));
    }
    source_close(&s);
}

static int open_list(void *opaque, Source **out, const EvclipSource *in, int threads,
                     const Logger *log)
{
    (void)in;
    return source_open_packets(out, opaque, threads, log);
}

/* The clip engine (batch_run, the walker, ClipRun) over a packet source: the window's frames
 * are written; a list without a keyframe fails the clip with WINDOW, nothing written. */
static void test_engine(const PacketList *good)
{
    char dir[] = "/tmp/evclip-test-packets-XXXXXX", out[64];
    EvclipSettings s;
    EvclipRenderer *r = NULL;
    evclip_default_settings(&s);
    s.manifest = 0;
    s.preset = "ultrafast";
    CHECK(mkdtemp(dir) != NULL);
    CHECK(evclip_open(&r, &s) == 0);
    snprintf(out, sizeof(out), "%s/clip.mp4", dir);
    EvclipSource src = { .path = "test://packets", .start = 0.25, .end = 0.75 };
    EvclipClip clip = { .sources = &src, .nb_sources = 1, .output = out };
    EvclipResult res;
    BatchInput in = { .open = open_list, .opaque = (void *)good };
    CHECK(batch_run(r, &clip, 1, &res, 1, &in) == 0);
    CHECK_MSG(res.status == 0 && res.frames == 15, "status %d frames %lld: %s", res.status,
              (long long)res.frames, res.error);
    CHECK_MSG(fabs(res.first_time - 8 / 30.0) < 1e-6 && res.damaged_packets == 0,
              "first %f damaged %lld", res.first_time, (long long)res.damaged_packets);
    CHECK(access(out, F_OK) == 0);
    unlink(out);

    PacketList nokey = *good;
    nokey.pkts += 2; /* frames 1..9: no keyframe before the window */
    nokey.count = 2 * 9;
    in.opaque = &nokey;
    src.start = 0.05;
    src.end = 0.3;
    CHECK(batch_run(r, &clip, 1, &res, 1, &in) == 1);
    CHECK_MSG(res.status == EVCLIP_ERR_WINDOW && strstr(res.error, "no decodable video frame"),
              "status %d: %s", res.status, res.error);
    CHECK_MSG(res.damaged_packets == 0, "%lld", (long long)res.damaged_packets); /* failed */
    CHECK(access(out, F_OK) != 0);
    evclip_close(&r);
    rmdir(dir);
}

int main(void)
{
    RingEntry pkts[2 * (FRAMES + 4)];
    int count = 0;
    av_log_set_level(AV_LOG_ERROR);
    AVCodecParameters *par = avcodec_parameters_alloc();
    CHECK(par != NULL);
    if (encode(pkts, &count, par) < 0) {
        printf("SKIP: no libx264 encoder\n");
        return TEST_SKIP;
    }
    CHECK(count == 2 * FRAMES);
    PacketList list = { .name = "test://packets", .pkts = pkts, .count = count, .vpar = par,
                        .vtb = { 1, 30 }, .atb = { 1, 30 }, .vrate = { 30, 1 } };
    test_read_and_seek(&list);
    test_damaged(&list, pkts);
    test_cut_and_empty(&list);
    test_engine(&list);

    Source *s = (Source *)&list;
    PacketList none = { .name = "test://none" };
    CHECK(source_open_packets(&s, &none, 1, NULL) == EVCLIP_ERR_NO_VIDEO && s == NULL);
    CHECK(strstr(ev_error_message(), "test://none") != NULL);

    for (int i = 0; i < count; i++)
        av_packet_free(&pkts[i].pkt);
    avcodec_parameters_free(&par);
    return test_summary();
}
