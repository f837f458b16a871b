/* native.c: a clip's original footage: the source's own packets of each window, stream-copied
 * beside the clip without re-encoding, with the digests that tie them to the source. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <sodium.h>

#include "src/error.h"
#include "src/manifest.h"
#include "src/mux.h"
#include "src/native.h"
#include "src/source.h"
#include "src/source_file.h"

/* Leading video packets without a dts (Matroska after a seek) held until one has one. */
#define MAX_HELD 64

/* One stream being digested (and copied). */
typedef struct Track {
    int index;                 /* input stream index; -1 none */
    int out;                   /* output stream index; -1 not written */
    AVRational tb;             /* time base of the packets given */
    crypto_hash_sha256_state sha;
    NativeRange *range;
} Track;

/* The packet copy: digests of every packet given and, with a mux, the packets written with
 * timestamps from 0. Offline copies (a source file) and live ones (a ring's packets) both
 * write through it. */
typedef struct Writer {
    Track video, audio;
    Mux *mux;                  /* NULL: digests only */
    int64_t shift;             /* first keyframe pts, video time base: becomes 0 */
    AVRational vrate;          /* frame rate (dts of held packets); 0/1 unknown */
    AVPacket *held[MAX_HELD];
    int nb_held;
    int64_t last_dts;
} Writer;

struct NativePart {
    int source;
    double start, end;
    char *path;                /* final path */
    const char *container;     /* "mp4" or "matroska" */
    Mux *mux;
    NativeScan scan;
    Writer w;                  /* its packet writer */
    int64_t size;
    char sha256[65];
    int published;
};

struct Natives {
    NativePart *parts;
    int count;
};

/* A read of the window of a source file: input and the writer its packets go through. */
typedef struct Copy {
    AVFormatContext *in;
    SourceFile *file;          /* a local source: read through its descriptor */
    AVIOContext *pb;
    Writer *w;
} Copy;

char *native_path(const char *output, int part, int nb_parts, const char *ext)
{
    size_t n = strlen(output);
    const char *slash = strrchr(output, '/'), *dot = strrchr(output, '.');
    if (dot && (!slash || dot > slash + 1))
        n = (size_t)(dot - output);
    size_t size = n + strlen(ext) + 32;
    char *p = malloc(size);
    if (!p) {
        ev_error(EVCLIP_ERR_NOMEM, "out of memory");
        return NULL;
    }
    if (nb_parts > 1)
        snprintf(p, size, "%.*s.native.%d.%s", (int)n, output, part + 1, ext);
    else
        snprintf(p, size, "%.*s.native.%s", (int)n, output, ext);
    return p;
}

const char *native_ext(const AVCodecParameters *vpar, const AVCodecParameters *apar)
{
    const AVOutputFormat *mp4 = av_guess_format("mp4", NULL, NULL);
    int fits = avformat_query_codec(mp4, vpar->codec_id, FF_COMPLIANCE_NORMAL) == 1 &&
               (!apar || avformat_query_codec(mp4, apar->codec_id, FF_COMPLIANCE_NORMAL) == 1);
    return fits ? "mp4" : "mkv";
}

static void range_init(Track *t, NativeRange *r, int index, AVRational tb)
{
    memset(r, 0, sizeof(*r));
    t->index = index;
    t->out = -1;
    t->range = r;
    t->tb = tb;
    r->first_pts = r->last_pts = AV_NOPTS_VALUE;
    if (index < 0)
        return;
    r->present = 1;
    r->stream_index = index;
    r->time_base = tb;
    crypto_hash_sha256_init(&t->sha);
}

/* A writer of the streams of `in` into *scan (digests only until a mux is set). */
static void writer_init(Writer *w, const NativeStreams *in, NativeScan *scan)
{
    memset(w, 0, sizeof(*w));
    w->last_dts = AV_NOPTS_VALUE;
    w->vrate = in->vrate;
    range_init(&w->video, &scan->video, in->vindex, in->vtb);
    range_init(&w->audio, &scan->audio, in->apar ? in->aindex : -1, in->atb);
}

static void range_add(Track *t, const AVPacket *pkt)
{
    NativeRange *r = t->range;
    if (r->packets++ == 0)
        r->first_pts = pkt->pts;
    r->last_pts = pkt->pts;
    crypto_hash_sha256_update(&t->sha, pkt->data, (unsigned long long)pkt->size);
}

static void range_end(Track *t)
{
    unsigned char d[crypto_hash_sha256_BYTES];
    if (t->index < 0)
        return;
    crypto_hash_sha256_final(&t->sha, d);
    sodium_bin2hex(t->range->sha256, sizeof(t->range->sha256), d, sizeof(d));
}

/* Opens `path`; its video stream is the source's (EvclipSource.stream `wanted`) or, with
 * `streams` (a manifest's video and audio stream indexes, -1 = none), those. */
static int open_input(Copy *c, const char *path, int wanted, const int *streams,
                      const struct stat *identity, NativeScan *out)
{
    int nb_video, real, v, a, n;
    int ret = source_file_open(&c->file, path);
    if (ret < 0)
        return ret;
    const struct stat *st = c->file ? &c->file->st : NULL;
    if (identity && (!st || st->st_dev != identity->st_dev || st->st_ino != identity->st_ino ||
                     st->st_size != identity->st_size ||
                     st->st_mtim.tv_sec != identity->st_mtim.tv_sec ||
                     st->st_mtim.tv_nsec != identity->st_mtim.tv_nsec))
        return ev_error(EVCLIP_ERR_INPUT, "native copy: input '%s' was modified or replaced "
                        "after rendering: no clip is written", path);
    Source src = { .file = c->file, .path = (char *)path };
    if ((ret = source_open_format(&src, &c->in, &c->pb)) < 0)
        return ret;
    n = (int)c->in->nb_streams;
    v = streams ? streams[0] : source_find_video(c->in, wanted, &nb_video, &real);
    if (v < 0 || v >= n || c->in->streams[v]->codecpar->codec_type != AVMEDIA_TYPE_VIDEO)
        return ev_error(EVCLIP_ERR_INPUT, "native copy: '%s' has no video stream %d", path,
                        streams ? v : wanted);
    a = streams ? streams[1] : av_find_best_stream(c->in, AVMEDIA_TYPE_AUDIO, -1, v, NULL, 0);
    if (a >= n || (a >= 0 && c->in->streams[a]->codecpar->codec_type != AVMEDIA_TYPE_AUDIO))
        return ev_error(EVCLIP_ERR_INPUT, "native copy: '%s' has no audio stream %d", path, a);
    AVStream *vs = c->in->streams[v], *as = a >= 0 ? c->in->streams[a] : NULL;
    NativeStreams ns = {
        .vpar = vs->codecpar, .vtb = vs->time_base, .vindex = v,
        .vrate = vs->avg_frame_rate.num > 0 ? vs->avg_frame_rate : vs->r_frame_rate,
        .apar = as ? as->codecpar : NULL, .atb = as ? as->time_base : (AVRational){ 1, 1 },
        .aindex = a,
    };
    writer_init(c->w, &ns, out);
    return 0;
}

static void writer_drop_held(Writer *w)
{
    for (int i = 0; i < w->nb_held; i++)
        av_packet_free(&w->held[i]);
    w->nb_held = 0;
}

static void close_input(Copy *c)
{
    writer_drop_held(c->w);
    source_close_format(&c->in, &c->pb);
    source_file_close(&c->file);
}

static int64_t window_pts(const AVStream *v, double seconds)
{
    int64_t origin = v->start_time != AV_NOPTS_VALUE ? v->start_time : 0;
    if (!isfinite(seconds))
        return seconds > 0 ? INT64_MAX / 2 : origin;
    return origin + llround(seconds * v->time_base.den / v->time_base.num);
}

static int seek(Copy *c, int64_t pts)
{
    av_seek_frame(c->in, c->w->video.index, pts, AVSEEK_FLAG_BACKWARD); /* else: from here */
    return 0;
}

/* The pts of the last keyframe at or before `start` (the first keyframe when none is). */
static int find_keyframe(Copy *c, int64_t start, const char *path, int64_t *kf)
{
    AVPacket *pkt = av_packet_alloc();
    int ret = pkt ? 0 : ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    *kf = AV_NOPTS_VALUE;
    seek(c, start);
    while (ret >= 0 && (ret = av_read_frame(c->in, pkt)) >= 0) {
        int video = pkt->stream_index == c->w->video.index;
        int64_t t = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
        int key = video && (pkt->flags & AV_PKT_FLAG_KEY) && t != AV_NOPTS_VALUE;
        if (key && (t <= start || *kf == AV_NOPTS_VALUE))
            *kf = t;
        int past = video && pkt->dts != AV_NOPTS_VALUE && pkt->dts > start;
        av_packet_unref(pkt);
        if (past || (key && t > start))
            break;
    }
    av_packet_free(&pkt);
    if (ret < 0 && ret != AVERROR_EOF)
        return ev_error_av(ret, EVCLIP_ERR_INPUT, "native copy: reading '%s'", path);
    if (*kf == AV_NOPTS_VALUE)
        return ev_error(EVCLIP_ERR_INPUT, "native copy: no keyframe in '%s' at or after the "
                        "window start", path);
    return 0;
}

/* Hashes a packet and writes it (shifted to start at 0) when copying. */
static int emit(Writer *w, Track *t, AVPacket *pkt)
{
    range_add(t, pkt);
    if (!w->mux)
        return 0;
    AVStream *out = w->mux->fmt->streams[t->out];
    int64_t shift = av_rescale_q(w->shift, w->video.tb, t->tb);
    if (pkt->pts != AV_NOPTS_VALUE)
        pkt->pts -= shift;
    if (pkt->dts != AV_NOPTS_VALUE)
        pkt->dts -= shift;
    av_packet_rescale_ts(pkt, t->tb, out->time_base);
    pkt->stream_index = t->out;
    pkt->pos = -1;
    return mux_write(w->mux, pkt);
}

/* Video packet: the leading ones without dts are held, then given dts counted back from the
 * first known one (one frame each), so the MP4 muxer gets increasing dts. */
static int emit_video(Writer *w, AVPacket *pkt)
{
    if (pkt->dts == AV_NOPTS_VALUE && w->video.range->packets == 0 && w->nb_held < MAX_HELD) {
        if (!(w->held[w->nb_held] = av_packet_clone(pkt)))
            return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
        w->nb_held++;
        return 0;
    }
    int64_t step = w->vrate.num > 0 ? av_rescale_q(1, av_inv_q(w->vrate), w->video.tb) : 1;
    int64_t dts = pkt->dts != AV_NOPTS_VALUE ? pkt->dts : w->last_dts + 1;
    int ret = 0;
    step = step > 0 ? step : 1;
    for (int i = 0; i < w->nb_held && ret >= 0; i++) {
        AVPacket *h = w->held[i];
        h->dts = dts - (w->nb_held - i) * step;
        if (h->pts != AV_NOPTS_VALUE && h->dts > h->pts)
            h->dts = h->pts;
        ret = emit(w, &w->video, h);
        av_packet_free(&w->held[i]);
    }
    w->nb_held = 0;
    if (pkt->dts == AV_NOPTS_VALUE)
        pkt->dts = dts;
    w->last_dts = pkt->dts;
    return ret < 0 ? ret : emit(w, &w->video, pkt);
}

/* The stream ended while packets were held (no dts known): each gets the smallest pts of it
 * and the packets after it, made strictly increasing. Then the digests are final. */
static int writer_end(Writer *w)
{
    int ret = 0;
    for (int i = w->nb_held - 1; i >= 0; i--) {
        AVPacket *h = w->held[i];
        int64_t next = i + 1 < w->nb_held ? w->held[i + 1]->dts - 1 : INT64_MAX;
        h->dts = h->pts != AV_NOPTS_VALUE && h->pts < next ? h->pts : next;
    }
    for (int i = 0; i < w->nb_held; i++) {
        if (ret >= 0)
            ret = emit(w, &w->video, w->held[i]);
        av_packet_free(&w->held[i]);
    }
    w->nb_held = 0;
    if (ret >= 0) {
        range_end(&w->video);
        range_end(&w->audio);
    }
    return ret;
}

/* Reads the window from its keyframe: video packets in decode order until the first whose
 * dts reaches `end` (every frame shown before `end` and its references), audio packets
 * whose pts lie in [keyframe, end). */
static int copy_window(Copy *c, int64_t kf, int64_t end, const char *path)
{
    Writer *w = c->w;
    AVStream *v = c->in->streams[w->video.index];
    AVPacket *pkt = av_packet_alloc();
    int ret = pkt ? 0 : ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    int started = 0, video_done = 0, audio_done = w->audio.index < 0, rd = 0;
    w->shift = kf;
    seek(c, kf);
    while (ret >= 0 && !(video_done && audio_done) && (rd = av_read_frame(c->in, pkt)) >= 0) {
        if (pkt->stream_index == w->video.index && !video_done) {
            int64_t t = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
            if (!started && (pkt->flags & AV_PKT_FLAG_KEY) && t == kf)
                started = 1;
            if (started && pkt->dts != AV_NOPTS_VALUE && pkt->dts >= end)
                video_done = 1;
            else if (started)
                ret = emit_video(w, pkt);
        } else if (pkt->stream_index == w->audio.index && !audio_done &&
                   pkt->pts != AV_NOPTS_VALUE) {
            AVStream *a = c->in->streams[w->audio.index];
            int64_t lo = av_rescale_q(kf, v->time_base, a->time_base);
            int64_t hi = av_rescale_q(end, v->time_base, a->time_base);
            if (pkt->pts >= hi)
                audio_done = video_done;
            else if (pkt->pts >= lo)
                ret = emit(w, &w->audio, pkt);
        }
        av_packet_unref(pkt);
    }
    if (ret >= 0 && rd < 0 && rd != AVERROR_EOF)
        ret = ev_error_av(rd, EVCLIP_ERR_INPUT, "native copy: reading '%s'", path);
    if (ret >= 0)
        ret = writer_end(w);
    av_packet_free(&pkt);
    if (ret < 0)
        return ret;
    if (!started)
        return ev_error(EVCLIP_ERR_INPUT, "native copy: keyframe at %lld not found again in "
                        "'%s'", (long long)kf, path);
    return 0;
}

/* Opens part p's temp file (MP4, or Matroska when MP4 cannot carry a codec of `in`) at the
 * native path of part `index` of `nb_parts` of `output`, with the streams of p->w. */
static int part_open_mux(NativePart *p, const NativeStreams *in, const char *output, int index,
                         int nb_parts, int overwrite)
{
    const char *ext = native_ext(in->vpar, in->apar);
    int ret = 0;
    p->container = strcmp(ext, "mp4") ? "matroska" : "mp4";
    if (!(p->path = native_path(output, index, nb_parts, ext)))
        return EVCLIP_ERR_NOMEM;
    if ((ret = mux_open_as(&p->mux, p->path, overwrite, p->container)) < 0)
        return ret;
    Track *tracks[2] = { &p->w.video, &p->w.audio };
    const AVCodecParameters *pars[2] = { in->vpar, in->apar };
    for (int i = 0; i < 2; i++) {
        if (tracks[i]->index < 0)
            continue;
        AVStream *o = mux_add_stream(p->mux);
        if (!o || avcodec_parameters_copy(o->codecpar, pars[i]) < 0)
            return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
        o->codecpar->codec_tag = 0;
        o->time_base = tracks[i]->tb;
        tracks[i]->out = o->index;
    }
    p->w.mux = p->mux;
    return mux_start(p->mux);
}

/* Reads the window of `path` (streams as open_input) through writer w; with `part` (whose
 * writer w is), into a new Mux at the part's path. */
static int run(const char *path, int wanted, const int *streams, double start, double end,
               const struct stat *identity, NativeScan *out, Writer *w, NativePart *part,
               const char *output, int index, int nb_parts, int overwrite)
{
    Copy c = { .w = w };
    int64_t kf;
    memset(out, 0, sizeof(*out));
    int ret = open_input(&c, path, wanted, streams, identity, out);
    AVStream *v = ret >= 0 ? c.in->streams[w->video.index] : NULL;
    if (ret >= 0)
        ret = find_keyframe(&c, window_pts(v, start), path, &kf);
    if (ret >= 0 && part) {
        AVStream *a = w->audio.index >= 0 ? c.in->streams[w->audio.index] : NULL;
        NativeStreams ns = { .vpar = v->codecpar, .apar = a ? a->codecpar : NULL };
        ret = part_open_mux(part, &ns, output, index, nb_parts, overwrite);
    }
    if (ret >= 0)
        ret = copy_window(&c, kf, window_pts(v, end), path);
    if (ret >= 0)
        out->copy_start = (kf - (v->start_time != AV_NOPTS_VALUE ? v->start_time : 0)) *
                          av_q2d(v->time_base);
    if (ret >= 0 && c.file && (ret = source_file_check(c.file)) < 0)
        ev_error(EVCLIP_ERR_INPUT, "native copy: input '%s' was modified while copying: no "
                 "clip is written", path);
    if (ret >= 0 && part)
        ret = mux_complete(part->mux);
    close_input(&c);
    return ret;
}

int native_scan(const char *path, const int streams[2], double start, double end,
                NativeScan *out)
{
    Writer w = { 0 };
    return run(path, 0, streams, start, end, NULL, out, &w, NULL, NULL, 0, 1, 0);
}

/* A new part of *pn (created on first use). */
static int add_part(Natives **pn, NativePart **out, int source, double start, double end)
{
    if (!*pn && !(*pn = calloc(1, sizeof(**pn))))
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    Natives *n = *pn;
    NativePart *parts = realloc(n->parts, (size_t)(n->count + 1) * sizeof(*parts));
    if (!parts)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    n->parts = parts;
    NativePart *p = &parts[n->count++];
    memset(p, 0, sizeof(*p));
    p->source = source;
    p->start = start;
    p->end = end;
    *out = p;
    return 0;
}

/* The part's temp file is complete: its hash. */
static int part_hash(NativePart *p, const char *from, const Logger *log)
{
    int ret = manifest_hash_file(p->mux->temp, p->sha256, &p->size);
    if (ret >= 0)
        ev_log(log, EVCLIP_LOG_DEBUG, "'%s': %lld video and %lld audio packets of '%s' copied "
               "from %.3f s", p->path, (long long)p->scan.video.packets,
               (long long)p->scan.audio.packets, from, p->scan.copy_start);
    return ret;
}

int native_write_temp(Natives **pn, const char *output, int part, int nb_parts, int source,
                      const char *path, int stream, const struct stat *identity,
                      double start, double end, int overwrite, const Logger *log)
{
    NativePart *p = NULL;
    int ret = add_part(pn, &p, source, start, end);
    if (ret >= 0)
        ret = run(path, stream, NULL, start, end, identity, &p->scan, &p->w, p, output, part,
                  nb_parts, overwrite);
    return ret < 0 ? ret : part_hash(p, path, log);
}

int native_part_open(Natives **pn, NativePart **out, const char *output, int source,
                     const NativeStreams *in, int overwrite)
{
    NativePart *p = NULL;
    int ret = add_part(pn, &p, source, NAN, NAN);
    if (ret < 0)
        return ret;
    writer_init(&p->w, in, &p->scan);
    p->w.shift = AV_NOPTS_VALUE; /* the first video packet's */
    *out = p;
    return part_open_mux(p, in, output, 0, 1, overwrite);
}

int native_part_write(NativePart *p, int audio, AVPacket *pkt)
{
    if (audio)
        return p->w.audio.index < 0 || p->w.shift == AV_NOPTS_VALUE
                   ? 0 : emit(&p->w, &p->w.audio, pkt);
    if (p->w.shift == AV_NOPTS_VALUE)
        p->w.shift = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
    return emit_video(&p->w, pkt);
}

int native_part_finish(NativePart *p, double start, double end, double copy_start,
                       const char *from, const Logger *log)
{
    int ret = writer_end(&p->w);
    p->start = start;
    p->end = end;
    p->scan.copy_start = copy_start;
    if (ret >= 0)
        ret = mux_complete(p->mux);
    return ret < 0 ? ret : part_hash(p, from, log);
}

const char *native_part_path(const NativePart *p)
{
    return p->path;
}

const char *native_part_temp(const NativePart *p)
{
    return p->mux ? p->mux->temp : NULL;
}

const NativeScan *native_part_scan(const NativePart *p)
{
    return &p->scan;
}

const char *native_part_sha256(const NativePart *p, int64_t *size)
{
    *size = p->size;
    return p->sha256;
}

int native_digest_file(const char *path, NativeScan *out)
{
    Writer w = { 0 };
    Copy c = { .w = &w };
    memset(out, 0, sizeof(*out));
    int ret = open_input(&c, path, 0, NULL, NULL, out);
    AVPacket *pkt = ret >= 0 ? av_packet_alloc() : NULL;
    if (ret >= 0 && !pkt)
        ret = ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    int reading = ret >= 0; /* a failure from here on is av_read_frame's */
    while (ret >= 0 && (ret = av_read_frame(c.in, pkt)) >= 0) {
        if (pkt->stream_index == w.video.index)
            range_add(&w.video, pkt);
        else if (pkt->stream_index == w.audio.index)
            range_add(&w.audio, pkt);
        av_packet_unref(pkt);
    }
    av_packet_free(&pkt);
    if (ret == AVERROR_EOF)
        ret = writer_end(&w); else if (ret < 0 && reading) {
        ret = ev_error_av(ret, EVCLIP_ERR_INPUT, "native copy '%s': reading", path);
    }
    close_input(&c);
    return ret;
}

static json_t *range_json(const NativeRange *r)
{
    if (!r->present)
        return json_null();
    char tb[48];
    snprintf(tb, sizeof(tb), "%d/%d", r->time_base.num, r->time_base.den);
    return json_pack("{s:i, s:I, s:I, s:I, s:s, s:s}", "stream_index", r->stream_index,
                     "packets", (json_int_t)r->packets,
                     "first_pts", (json_int_t)r->first_pts, "last_pts", (json_int_t)r->last_pts,
                     "time_base", tb, "sha256", r->sha256);
}

json_t *native_json(const Natives *n)
{
    json_t *a = json_array();
    for (int i = 0; a && n && i < n->count; i++) {
        const NativePart *p = &n->parts[i];
        const char *slash = strrchr(p->path, '/');
        json_t *o = json_pack("{s:s, s:s, s:I, s:s, s:i, s:{s:f, s:f}, s:f, s:o, s:o}",
                              "file", slash ? slash + 1 : p->path, "container", p->container,
                              "size", (json_int_t)p->size, "sha256", p->sha256,
                              "source", p->source, "window", "start", p->start, "end", p->end,
                              "copy_start", p->scan.copy_start,
                              "video", range_json(&p->scan.video),
                              "audio", range_json(&p->scan.audio));
        if (!o || json_array_append_new(a, o) < 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

int native_publish(Natives *n)
{
    for (int i = 0; n && i < n->count; i++) {
        int ret = mux_publish(n->parts[i].mux);
        if (ret < 0) {
            native_unpublish(n);
            return ret;
        }
        n->parts[i].published = 1;
    }
    return 0;
}

void native_unpublish(Natives *n)
{
    for (int i = 0; n && i < n->count; i++) {
        if (n->parts[i].published)
            unlink(n->parts[i].path);
        n->parts[i].published = 0;
    }
}

void native_close(Natives **pn)
{
    if (!pn || !*pn)
        return;
    for (int i = 0; i < (*pn)->count; i++) {
        writer_drop_held(&(*pn)->parts[i].w);
        mux_close(&(*pn)->parts[i].mux);
        free((*pn)->parts[i].path);
    }
    free((*pn)->parts);
    free(*pn);
    *pn = NULL;
}
