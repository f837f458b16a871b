/* sei.c: per-frame detections as H.264 SEI user-data-unregistered: encode, attach, parse. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>

#include "src/detections.h"
#include "src/error.h"
#include "src/sei.h"

/* Fixed for evclip forever: readers find evclip's messages by it. */
const uint8_t SEI_UUID[16] = {
    0x6a, 0x2f, 0x0c, 0x51, 0x9e, 0x3d, 0x4b, 0x87, 0xa1, 0x52, 0xe7, 0x0d, 0x3c, 0x94, 0x6b, 0x1e,
};

#define HEADER_SIZE (16 + 1 + 1 + 2 + 8 + 2)
#define DET_FIXED_MAX (1 + 16 + 4 + 8 + 3 + 2) /* every field but the label's bytes */

enum {
    F_NORMALIZED = 1, F_COLOR = 2, F_SCORE = 4, F_TRACK = 8, F_LONG_LABEL = 16,
    F_MARK_SHIFT = 5, /* EVCLIP_BOX_* marks: bits 5-6 */
    F_POLYGON = 128,  /* a polygon in the trailing block */
    H_WALL_TIME = 1,  /* header flags: the frame's wall time (f64) ends the message */
};

/* ---- big-endian helpers --------------------------------------------------------------- */

static uint8_t *put_u16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
    return p + 2;
}

static uint8_t *put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (24 - 8 * i));
    return p + 4;
}

static uint8_t *put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (56 - 8 * i));
    return p + 8;
}

static uint8_t *put_f32(uint8_t *p, double v)
{
    float f = (float)v;
    uint32_t u;
    memcpy(&u, &f, 4);
    return put_u32(p, u);
}

static uint8_t *put_f64(uint8_t *p, double v)
{
    uint64_t u;
    memcpy(&u, &v, 8);
    return put_u64(p, u);
}

static uint64_t get_be(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

static double get_f32(const uint8_t *p)
{
    uint32_t u = (uint32_t)get_be(p, 4);
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static double get_f64(const uint8_t *p)
{
    uint64_t u = get_be(p, 8);
    double d;
    memcpy(&d, &u, 8);
    return d;
}

/* ---- payload ------------------------------------------------------------------------- */

static uint8_t *put_det(uint8_t *p, const EvclipDetection *d, unsigned mark)
{
    size_t n = d->label ? strlen(d->label) : 0; /* <= SEI_MAX_LABEL: sei_encode checked */
    int flags = (d->normalized & 1 ? F_NORMALIZED : 0) | (d->has_color ? F_COLOR : 0) |
                (d->score >= 0 ? F_SCORE : 0) | (d->track_id >= 0 ? F_TRACK : 0) |
                (n > 255 ? F_LONG_LABEL : 0) |
                (int)((mark & (EVCLIP_BOX_REDACTED | EVCLIP_BOX_INTERPOLATED)) << F_MARK_SHIFT);
    const float *uv;
    if (detection_polygon(d, &uv) > 0)
        flags |= F_POLYGON;
    *p++ = (uint8_t)flags;
    p = put_f32(p, d->x1);
    p = put_f32(p, d->y1);
    p = put_f32(p, d->x2);
    p = put_f32(p, d->y2);
    if (flags & F_SCORE)
        p = put_f32(p, d->score);
    if (flags & F_TRACK)
        p = put_u64(p, (uint64_t)d->track_id);
    if (flags & F_COLOR) {
        memcpy(p, d->color, 3);
        p += 3;
    }
    if (flags & F_LONG_LABEL)
        p = put_u16(p, (unsigned)n);
    else
        *p++ = (uint8_t)n;
    if (n)
        memcpy(p, d->label, n);
    return p + n;
}

/* The trailing block's entry of d (when it has a polygon): u16 count, f32 x, y pairs in the
 * box's space. */
static uint8_t *put_polygon(uint8_t *p, const EvclipDetection *d)
{
    const float *uv;
    int n = detection_polygon(d, &uv);
    if (n <= 0)
        return p;
    p = put_u16(p, (unsigned)n);
    for (int k = 0; k < n; k++) {
        p = put_f32(p, d->x1 + uv[2 * k] * (d->x2 - d->x1));
        p = put_f32(p, d->y1 + uv[2 * k + 1] * (d->y2 - d->y1));
    }
    return p;
}

int sei_encode(const EvclipDetection *dets, const uint8_t *marks, int n, double source_time,
               int source_index, double wall_time, uint8_t **out, size_t *size)
{
    *out = NULL;
    *size = 0;
    if (n < 0 || n > SEI_MAX_DETECTIONS)
        return ev_error(EVCLIP_ERR_INVALID, "SEI: %d detections on one frame (max %d)", n,
                        SEI_MAX_DETECTIONS);
    size_t total = HEADER_SIZE + (size_t)n * DET_FIXED_MAX + 8;
    for (int i = 0; i < n; i++) {
        size_t len = dets[i].label ? strlen(dets[i].label) : 0;
        if (len > SEI_MAX_LABEL)
            return ev_error(EVCLIP_ERR_INVALID, "SEI: the label of detection %d has %zu bytes, "
                            "more than the %d an SEI message carries (shorten it, or render "
                            "without embedded detections)", i, len, SEI_MAX_LABEL);
        const float *uv;
        total += len + 2 + (size_t)detection_polygon(&dets[i], &uv) * 8;
    }
    uint8_t *buf = malloc(total);
    if (!buf)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory (SEI)");
    uint8_t *p = buf;
    memcpy(p, SEI_UUID, 16);
    p += 16;
    *p++ = SEI_VERSION;
    *p++ = isfinite(wall_time) ? H_WALL_TIME : 0;
    p = put_u16(p, source_index < 0 ? 0 : source_index > 65535 ? 65535 : (unsigned)source_index);
    p = put_f64(p, source_time);
    p = put_u16(p, (unsigned)n);
    for (int i = 0; i < n; i++)
        p = put_det(p, &dets[i], marks ? marks[i] : 0);
    for (int i = 0; i < n; i++)
        p = put_polygon(p, &dets[i]);
    if (isfinite(wall_time))
        p = put_f64(p, wall_time);
    *out = buf;
    *size = (size_t)(p - buf);
    return 0;
}

void sei_frame_free(SeiFrame *f)
{
    free(f->dets);
    free(f->marks);
    free(f->nb_points);
    free(f->points);
    free(f->strings);
    for (int i = 0; i < f->nb_more; i++)
        free(f->more_strings[i]);
    free(f->more_strings);
    memset(f, 0, sizeof(*f));
}

/* Reads one detection at *pos; labels are copied to strings + *spos (NUL-terminated). */
static int get_det(const uint8_t *data, size_t size, size_t *pos, EvclipDetection *d,
                   uint8_t *mark, char *strings, size_t *spos, double source_time)
{
    size_t i = *pos;
    if (size - i < 17)
        return -1;
    int flags = data[i++];
    *mark = (uint8_t)((flags >> F_MARK_SHIFT) & (EVCLIP_BOX_REDACTED | EVCLIP_BOX_INTERPOLATED));
    *mark |= flags & F_POLYGON ? MARK_POLYGON : 0;
    memset(d, 0, sizeof(*d));
    d->frame_idx = EVCLIP_NONE;
    d->ts = source_time;
    d->normalized = flags & F_NORMALIZED ? 1 : 0;
    d->x1 = get_f32(data + i);
    d->y1 = get_f32(data + i + 4);
    d->x2 = get_f32(data + i + 8);
    d->y2 = get_f32(data + i + 12);
    i += 16;
    size_t need = (flags & F_SCORE ? 4 : 0) + (flags & F_TRACK ? 8 : 0) +
                  (flags & F_COLOR ? 3 : 0) + (flags & F_LONG_LABEL ? 2 : 1);
    if (size - i < need)
        return -1;
    d->score = flags & F_SCORE ? get_f32(data + i) : EVCLIP_NONE;
    i += flags & F_SCORE ? 4 : 0;
    d->track_id = flags & F_TRACK ? (int64_t)get_be(data + i, 8) : EVCLIP_NONE;
    i += flags & F_TRACK ? 8 : 0;
    if (flags & F_COLOR) {
        d->has_color = 1;
        memcpy(d->color, data + i, 3);
        i += 3;
    }
    size_t n = data[i++];
    if (flags & F_LONG_LABEL)
        n = n << 8 | data[i++];
    if (size - i < n)
        return -1;
    memcpy(strings + *spos, data + i, n);
    strings[*spos + n] = 0;
    d->label = strings + *spos; /* fixed up by the caller if strings moves (it does not) */
    *spos += n + 1;
    *pos = i + n;
    return 0;
}

/* Reads the trailing polygons of the boxes marked MARK_POLYGON (the mark is cleared) at pos;
 * points go to strings + *spos, 4-aligned. Returns 0 or -1 (truncated block). */
static int get_polygons(const uint8_t *data, size_t size, size_t *at, SeiFrame *f,
                        size_t *spos)
{
    size_t pos = *at;
    for (int i = 0; i < f->count; i++) {
        if (!(f->marks[i] & MARK_POLYGON))
            continue;
        f->marks[i] &= (uint8_t)~MARK_POLYGON;
        if (size - pos < 2)
            return -1;
        size_t n = (size_t)get_be(data + pos, 2);
        pos += 2;
        if (n < 3 || (size - pos) / 8 < n)
            return -1;
        *spos = (*spos + 3) & ~(size_t)3;
        float *xy = (float *)(void *)(f->strings + *spos);
        for (size_t k = 0; k < 2 * n; k++, pos += 4)
            xy[k] = (float)get_f32(data + pos);
        *spos += n * 8;
        f->nb_points[i] = (int)n;
        f->points[i] = xy;
    }
    *at = pos;
    return 0;
}

int sei_decode(const uint8_t *data, size_t size, SeiFrame *f)
{
    memset(f, 0, sizeof(*f));
    if (size < 16 || memcmp(data, SEI_UUID, 16))
        return 0;
    if (size < HEADER_SIZE || data[16] != SEI_VERSION)
        return ev_error(EVCLIP_ERR_INVALID, "evclip SEI: %s",
                        size < HEADER_SIZE ? "truncated header" : "unknown version");
    f->source_index = (int)get_be(data + 18, 2);
    f->source_time = get_f64(data + 20);
    int n = (int)get_be(data + 28, 2);
    size_t pos = HEADER_SIZE, spos = 0;
    /* Each detection takes at least 18 bytes, each label at most its bytes + 1. */
    if (n > SEI_MAX_DETECTIONS || (size_t)n * 18 > size - pos)
        return ev_error(EVCLIP_ERR_INVALID, "evclip SEI: count %d does not fit", n);
    f->dets = calloc(n ? (size_t)n : 1, sizeof(*f->dets));
    f->marks = calloc(n ? (size_t)n : 1, 1);
    f->nb_points = calloc(n ? (size_t)n : 1, sizeof(*f->nb_points));
    f->points = calloc(n ? (size_t)n : 1, sizeof(*f->points));
    /* labels (each with a NUL), then polygons (each 4-aligned): at most size + 4n + 4 */
    f->strings = malloc(size + 4 * (size_t)n + 4);
    if (!f->dets || !f->marks || !f->nb_points || !f->points || !f->strings) {
        sei_frame_free(f);
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory (SEI)");
    }
    for (int i = 0; i < n; i++) {
        if (get_det(data, size, &pos, &f->dets[i], &f->marks[i], f->strings, &spos,
                    f->source_time) < 0) {
            sei_frame_free(f);
            return ev_error(EVCLIP_ERR_INVALID, "evclip SEI: detection %d truncated", i);
        }
    }
    f->count = n;
    if (get_polygons(data, size, &pos, f, &spos) < 0) {
        sei_frame_free(f);
        return ev_error(EVCLIP_ERR_INVALID, "evclip SEI: polygon block truncated");
    }
    if (data[17] & H_WALL_TIME) {
        if (size - pos < 8) {
            sei_frame_free(f);
            return ev_error(EVCLIP_ERR_INVALID, "evclip SEI: wall time truncated");
        }
        f->has_wall = 1;
        f->wall_time = get_f64(data + pos);
    }
    return 1;
}

/* ---- H.264 NAL parsing ------------------------------------------------------------------ */

/* Copies a NAL unit's RBSP (emulation prevention bytes removed) into out; returns its size. */
static size_t unescape(const uint8_t *src, size_t n, uint8_t *out)
{
    size_t o = 0;
    int zeros = 0;
    for (size_t i = 0; i < n; i++) {
        if (zeros >= 2 && src[i] == 3) {
            zeros = 0;
            continue;
        }
        zeros = src[i] == 0 ? zeros + 1 : 0;
        out[o++] = src[i];
    }
    return o;
}

/* Appends a decoded continuation message's boxes to f (f takes t's storage). */
static int merge(SeiFrame *f, SeiFrame *t)
{
    if (!f->dets) {
        *f = *t;
        memset(t, 0, sizeof(*t));
        return 0;
    }
    EvclipDetection *d = realloc(f->dets, (size_t)(f->count + t->count + 1) * sizeof(*d));
    if (d)
        f->dets = d;
    uint8_t *mk = realloc(f->marks, (size_t)(f->count + t->count + 1));
    if (mk)
        f->marks = mk;
    int *np = realloc(f->nb_points, (size_t)(f->count + t->count + 1) * sizeof(*np));
    if (np)
        f->nb_points = np;
    const float **pt = realloc(f->points, (size_t)(f->count + t->count + 1) * sizeof(*pt));
    if (pt)
        f->points = pt;
    char **m = realloc(f->more_strings, (size_t)(f->nb_more + 1) * sizeof(*m));
    if (m)
        f->more_strings = m;
    if (!d || !m || !mk || !np || !pt) {
        sei_frame_free(t);
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory (SEI)");
    }
    memcpy(f->dets + f->count, t->dets, (size_t)t->count * sizeof(*d));
    memcpy(f->marks + f->count, t->marks, (size_t)t->count);
    memcpy(f->nb_points + f->count, t->nb_points, (size_t)t->count * sizeof(*np));
    memcpy(f->points + f->count, t->points, (size_t)t->count * sizeof(*pt));
    f->count += t->count;
    f->more_strings[f->nb_more++] = t->strings;
    free(t->dets);
    free(t->marks);
    free(t->nb_points);
    free(t->points);
    memset(t, 0, sizeof(*t));
    return 0;
}

/* Walks the SEI messages of one SEI RBSP (after the NAL header byte); every evclip message
 * is appended to f. Returns 1 when one was found, 0, or a negative code. */
static int scan_sei(const uint8_t *p, size_t n, SeiFrame *f)
{
    size_t i = 0;
    int found = 0;
    while (i < n && !(n - i == 1 && p[i] == 0x80)) { /* stop at rbsp trailing bits */
        size_t type = 0, size = 0;
        while (i < n && p[i] == 0xFF)
            type += p[i++];
        if (i >= n)
            return 0;
        type += p[i++];
        while (i < n && p[i] == 0xFF)
            size += p[i++];
        if (i >= n)
            return 0;
        size += p[i++];
        if (size > n - i)
            return 0;
        if (type == 5) {
            SeiFrame t;
            int ret = sei_decode(p + i, size, &t);
            if (ret < 0)
                return ret;
            if (ret > 0 && (ret = merge(f, &t)) < 0)
                return ret;
            found |= ret == 0 && f->dets;
        }
        i += size;
    }
    return found;
}

int sei_find_avcc(const uint8_t *data, size_t size, int length_size, SeiFrame *f)
{
    memset(f, 0, sizeof(*f));
    if (length_size < 1 || length_size > 4)
        return ev_error(EVCLIP_ERR_INVALID, "NAL length size %d", length_size);
    size_t i = 0;
    while (size - i > (size_t)length_size) {
        size_t n = (size_t)get_be(data + i, length_size);
        i += (size_t)length_size;
        if (n > size - i)
            break;
        if (n > 1 && (data[i] & 0x1F) == 6) {
            uint8_t *rbsp = malloc(n);
            if (!rbsp)
                return ev_error(EVCLIP_ERR_NOMEM, "out of memory (SEI)");
            size_t m = unescape(data + i + 1, n - 1, rbsp);
            int ret = scan_sei(rbsp, m, f);
            free(rbsp);
            if (ret < 0) {
                sei_frame_free(f);
                return ret;
            }
            (void)ret; /* 0 also after a malformed tail that followed an evclip message */
        }
        i += n;
    }
    /* What was merged is owned by f whatever scan_sei returned: report it so the caller
     * frees it. */
    return f->dets != NULL;
}

/* ---- encoder side ---------------------------------------------------------------------- */

int sei_attach(AVFrame *frame, const EvclipDetection *dets, const uint8_t *marks, int n,
               double source_time, int source_index, double wall_time)
{
    /* A decoded source frame may carry SEI side data (an x264 banner, or an older evclip
     * clip's boxes): only this frame's messages must reach the encoder. */
    av_frame_remove_side_data(frame, AV_FRAME_DATA_SEI_UNREGISTERED);
    int first = 1;
    /* Every drawn box is recorded: more than SEI_MAX_DETECTIONS take several messages. */
    for (int done = 0; done < n || first; first = 0) {
        int k = n - done > SEI_MAX_DETECTIONS ? SEI_MAX_DETECTIONS : n - done;
        uint8_t *buf;
        size_t size;
        int ret = sei_encode(dets + done, marks ? marks + done : NULL, k, source_time,
                             source_index, wall_time, &buf, &size);
        if (ret < 0)
            return ret;
        AVFrameSideData *sd = av_frame_new_side_data(frame, AV_FRAME_DATA_SEI_UNREGISTERED,
                                                     size);
        if (sd)
            memcpy(sd->data, buf, size);
        free(buf);
        if (!sd)
            return ev_error(EVCLIP_ERR_NOMEM, "out of memory (SEI side data)");
        done += k;
    }
    return 0;
}

/* ---- inspect ---------------------------------------------------------------------------- */

typedef struct Entry {
    int64_t pts;
    SeiFrame sei;
    int has;
} Entry;

static int cmp_entry(const void *a, const void *b)
{
    int64_t x = ((const Entry *)a)->pts, y = ((const Entry *)b)->pts;
    return x < y ? -1 : x > y;
}

static int open_clip(const char *path, AVFormatContext **fmt, int *stream, int *length_size)
{
    int ret = avformat_open_input(fmt, path, NULL, NULL);
    if (ret < 0)
        return ev_error_av(ret, EVCLIP_ERR_INPUT, "cannot open '%s'", path);
    if ((ret = avformat_find_stream_info(*fmt, NULL)) < 0)
        return ev_error_av(ret, EVCLIP_ERR_INPUT, "cannot read '%s'", path);
    *stream = av_find_best_stream(*fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    if (*stream < 0)
        return ev_error(EVCLIP_ERR_INPUT, "'%s' has no video stream", path);
    const AVCodecParameters *par = (*fmt)->streams[*stream]->codecpar;
    if (par->codec_id != AV_CODEC_ID_H264)
        return ev_error(EVCLIP_ERR_UNSUPPORTED, "'%s': video is %s, not H.264", path,
                        avcodec_get_name(par->codec_id));
    if (par->extradata_size < 7 || par->extradata[0] != 1)
        return ev_error(EVCLIP_ERR_UNSUPPORTED, "'%s': H.264 without avcC (not MP4-style "
                        "length-prefixed NAL units)", path);
    *length_size = (par->extradata[4] & 3) + 1;
    return 0;
}

static int read_entries(AVFormatContext *fmt, int stream, int length_size, Entry **out,
                        size_t *count)
{
    AVPacket *pkt = av_packet_alloc();
    Entry *list = NULL;
    size_t n = 0, cap = 0;
    int ret = pkt ? 0 : ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    while (ret >= 0) {
        int r = av_read_frame(fmt, pkt);
        if (r == AVERROR_EOF)
            break;
        if (r < 0) {
            ret = ev_error_av(r, EVCLIP_ERR_INPUT, "cannot read '%s'", fmt->url);
            break;
        }
        if (pkt->stream_index == stream && (pkt->flags & AV_PKT_FLAG_CORRUPT)) {
            ret = ev_error(EVCLIP_ERR_INPUT, "'%s' is truncated or corrupt (frame at pts %lld "
                           "is incomplete)", fmt->url, (long long)pkt->pts);
        } else if (pkt->stream_index == stream) {
            if (n == cap) {
                Entry *grown = realloc(list, (cap = cap ? cap * 2 : 256) * sizeof(*list));
                if (!grown) {
                    ret = ev_error(EVCLIP_ERR_NOMEM, "out of memory");
                    av_packet_unref(pkt);
                    break;
                }
                list = grown;
            }
            Entry *e = &list[n++];
            e->pts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
            r = sei_find_avcc(pkt->data, (size_t)pkt->size, length_size, &e->sei);
            e->has = r > 0;
            if (r < 0) {
                n--;
                ret = ev_error_wrap(EVCLIP_ERR_DECODE, "'%s': frame at pts %lld", fmt->url,
                                    (long long)e->pts);
            }
        }
        av_packet_unref(pkt);
    }
    av_packet_free(&pkt);
    /* The MP4 index lists every frame: fewer read means the file was cut. */
    int64_t want = fmt->streams[stream]->nb_frames;
    if (ret >= 0 && want > 0 && (int64_t)n < want)
        ret = ev_error(EVCLIP_ERR_INPUT, "'%s' is truncated: %zu of its %lld frames could be "
                       "read", fmt->url, n, (long long)want);
    *out = list;
    *count = n;
    return ret;
}

EVCLIP_API int evclip_inspect(const char *clip, EvclipInspectCallback cb, void *opaque)
{
    ev_error_clear();
    if (!clip || !cb)
        return ev_error(EVCLIP_ERR_INVALID, "evclip_inspect: NULL argument");
    AVFormatContext *fmt = NULL;
    Entry *list = NULL;
    size_t n = 0;
    int stream = 0, length_size = 4, with_data = 0;
    int ret = open_clip(clip, &fmt, &stream, &length_size);
    if (ret >= 0)
        ret = read_entries(fmt, stream, length_size, &list, &n);
    if (ret >= 0) {
        qsort(list, n, sizeof(*list), cmp_entry);
        AVStream *st = fmt->streams[stream];
        for (size_t i = 0; i < n && ret >= 0; i++) {
            EvclipInspectFrame fr = {
                .index = (int64_t)i,
                .time = (double)list[i].pts * av_q2d(st->time_base),
                .has_data = list[i].has,
                .source_index = list[i].sei.source_index,
                .source_time = list[i].sei.source_time,
                .detections = list[i].sei.dets,
                .nb_detections = list[i].sei.count,
                .box_flags = list[i].has ? list[i].sei.marks : NULL,
                .nb_points = list[i].has ? list[i].sei.nb_points : NULL,
                .points = list[i].has ? list[i].sei.points : NULL,
                .wall_time = list[i].has && list[i].sei.has_wall ? list[i].sei.wall_time : NAN,
            };
            with_data += list[i].has;
            if (cb(opaque, &fr))
                ret = ev_error(EVCLIP_ERR_CANCELED, "inspect stopped by the callback");
        }
    }
    for (size_t i = 0; i < n; i++)
        sei_frame_free(&list[i].sei);
    free(list);
    avformat_close_input(&fmt);
    return ret < 0 ? ret : with_data;
}
