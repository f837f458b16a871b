/* poster.c: a clip's poster: the drawn frame with the most boxes, as a JPEG beside the clip. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libswscale/swscale.h>

#include "src/error.h"
#include "src/manifest.h"
#include "src/poster.h"

struct Poster {
    AVFrame *best;        /* reference to the drawn frame kept */
    int64_t boxes;
    double time;
    int width, height;    /* of the JPEG */
    char *path, *temp;
    int published;
    int64_t size;
    char sha256[65];
};

char *poster_path(const char *output)
{
    size_t n = strlen(output);
    const char *slash = strrchr(output, '/');
    const char *dot = strrchr(output, '.');
    if (dot && (!slash || dot > slash + 1))
        n = (size_t)(dot - output);
    if (dot && (!slash || dot > slash + 1) && !strcmp(dot, ".jpg")) {
        ev_error(EVCLIP_ERR_INVALID, "output '%s': its poster would be the clip itself "
                 "(name the clip .mp4)", output);
        return NULL;
    }
    char *p = malloc(n + 5);
    if (!p) {
        ev_error(EVCLIP_ERR_NOMEM, "out of memory");
        return NULL;
    }
    memcpy(p, output, n);
    memcpy(p + n, ".jpg", 5);
    return p;
}

int poster_offer(Poster **pp, const AVFrame *drawn, int64_t boxes, double time)
{
    if (!*pp && !(*pp = calloc(1, sizeof(**pp))))
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    Poster *p = *pp;
    if (p->best && boxes <= p->boxes)
        return 0; /* ties keep the earliest */
    av_frame_free(&p->best);
    if (!(p->best = av_frame_clone(drawn)))
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory (poster)");
    p->boxes = boxes;
    p->time = time;
    return 0;
}

/* The kept frame scaled to at most POSTER_MAX_WIDTH wide, full-range 4:2:0 for JPEG. */
static int scale(Poster *p, AVFrame **out)
{
    const AVFrame *f = p->best;
    int w = f->width > POSTER_MAX_WIDTH ? POSTER_MAX_WIDTH : f->width;
    int h = (int)((int64_t)f->height * w / f->width);
    w &= ~1;
    h = h < 2 ? 2 : h & ~1;
    AVFrame *s = av_frame_alloc();
    /* Scaled to yuv420p with full-range output asked for explicitly: naming the yuvj format
     * to swscale makes it warn ("deprecated pixel format used") on every poster. */
    struct SwsContext *sws = sws_getContext(f->width, f->height, f->format, w, h,
                                            AV_PIX_FMT_YUV420P, SWS_BICUBIC, NULL, NULL, NULL);
    int *inv, *tab, src_range, dst_range, bright, contrast, sat;
    if (sws && sws_getColorspaceDetails(sws, &inv, &src_range, &tab, &dst_range, &bright,
                                        &contrast, &sat) >= 0)
        sws_setColorspaceDetails(sws, inv, f->color_range == AVCOL_RANGE_JPEG, tab, 1, bright,
                                 contrast, sat);
    int ret = s && sws ? 0 : ev_error(EVCLIP_ERR_NOMEM, "out of memory (poster)");
    if (ret == 0) {
        s->width = w;
        s->height = h;
        s->format = AV_PIX_FMT_YUVJ420P;
        if (av_frame_get_buffer(s, 0) < 0)
            ret = ev_error(EVCLIP_ERR_NOMEM, "out of memory (poster)");
    }
    if (ret == 0)
        sws_scale(sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, s->data,
                  s->linesize);
    sws_freeContext(sws);
    if (ret < 0)
        av_frame_free(&s);
    p->width = w;
    p->height = h;
    *out = s;
    return ret;
}

/* One JPEG image of frame s into *pkt. */
static int encode_jpeg(const AVFrame *s, AVPacket *pkt)
{
    const AVCodec *codec = avcodec_find_encoder(AV_CODEC_ID_MJPEG);
    if (!codec)
        return ev_error(EVCLIP_ERR_ENCODER, "poster: this FFmpeg has no JPEG encoder");
    AVCodecContext *c = avcodec_alloc_context3(codec);
    if (!c)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory (poster)");
    c->width = s->width;
    c->height = s->height;
    c->pix_fmt = AV_PIX_FMT_YUVJ420P;
    c->time_base = (AVRational){ 1, 25 };
    c->flags |= AV_CODEC_FLAG_QSCALE;
    c->global_quality = FF_QP2LAMBDA * 3;
    c->thread_count = 1;
    int ret = avcodec_open2(c, codec, NULL);
    if (ret >= 0)
        ret = avcodec_send_frame(c, s);
    if (ret >= 0)
        ret = avcodec_send_frame(c, NULL);
    if (ret >= 0)
        ret = avcodec_receive_packet(c, pkt);
    avcodec_free_context(&c);
    return ret < 0 ? ev_error_av(ret, EVCLIP_ERR_ENCODER, "poster: JPEG encoding") : 0;
}

/* Creates "<dir>/.<name>.<pid>-<tag>.evclip-tmp" exclusively (the clip's temp naming, so a
 * killed run's leftovers are cleaned the same way) and writes the bytes, synced. */
static int write_temp(Poster *p, const uint8_t *data, int size)
{
    const char *slash = strrchr(p->path, '/');
    int dir_len = slash ? (int)(slash - p->path) + 1 : 0;
    size_t n = strlen(p->path) + 64;
    if (!(p->temp = malloc(n)))
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    int fd = -1;
    for (unsigned attempt = 0; fd < 0 && attempt < 100; attempt++) {
        unsigned tag = (unsigned)getpid() * 2654435761u ^ (unsigned)clock() ^
                       (unsigned)time(NULL) ^ attempt * 40503u;
        snprintf(p->temp, n, "%.*s.%s.%ld-%08x.evclip-tmp", dir_len, p->path,
                 p->path + dir_len, (long)getpid(), tag);
        fd = open(p->temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    if (fd < 0) {
        int ret = ev_error(EVCLIP_ERR_OUTPUT, "cannot create poster '%s': %s", p->path,
                           strerror(errno));
        free(p->temp);
        p->temp = NULL;
        return ret;
    }
    int ok = write(fd, data, (size_t)size) == size && fsync(fd) == 0;
    ok &= close(fd) == 0;
    return ok ? 0 : ev_error(EVCLIP_ERR_OUTPUT, "cannot write poster '%s': %s", p->temp,
                             strerror(errno));
}

int poster_write_temp(Poster *p, const char *output, const Logger *log)
{
    AVFrame *s = NULL;
    AVPacket *pkt = av_packet_alloc();
    if (!p->best || !pkt) {
        av_packet_free(&pkt);
        return ev_error(p->best ? EVCLIP_ERR_NOMEM : EVCLIP_ERR_INTERNAL, "poster: no frame");
    }
    int ret = (p->path = poster_path(output)) ? 0 : EVCLIP_ERR_INVALID;
    if (ret == 0)
        ret = scale(p, &s);
    if (ret == 0)
        ret = encode_jpeg(s, pkt);
    if (ret == 0)
        ret = write_temp(p, pkt->data, pkt->size);
    if (ret == 0)
        ret = manifest_hash_file(p->temp, p->sha256, &p->size);
    av_frame_free(&s);
    av_packet_free(&pkt);
    av_frame_free(&p->best); /* the frame is no longer needed: release its buffer now */
    if (ret == 0)
        ev_log(log, EVCLIP_LOG_DEBUG, "poster '%s': %dx%d, %lld boxes at %.3f s", p->path,
               p->width, p->height, (long long)p->boxes, p->time);
    return ret;
}

const char *poster_final_path(const Poster *p) { return p->path; }
const char *poster_temp_path(const Poster *p) { return p->temp; }
const char *poster_sha256(const Poster *p) { return p->sha256; }
int64_t poster_size(const Poster *p) { return p->size; }

void poster_facts(const Poster *p, int *width, int *height, int64_t *boxes, double *time)
{
    *width = p->width;
    *height = p->height;
    *boxes = p->boxes;
    *time = p->time;
}

int poster_publish(Poster *p, int overwrite)
{
    if (overwrite ? rename(p->temp, p->path) != 0 : link(p->temp, p->path) != 0) {
        int exists = errno == EEXIST;
        return ev_error(exists ? EVCLIP_ERR_EXISTS : EVCLIP_ERR_OUTPUT, "poster '%s': %s",
                        p->path, exists ? "exists (use overwrite)" : strerror(errno));
    }
    if (!overwrite)
        unlink(p->temp);
    p->published = 1;
    return 0;
}

void poster_unpublish(Poster *p)
{
    if (p && p->published && p->path)
        unlink(p->path);
    if (p)
        p->published = 0;
}

void poster_close(Poster **pp)
{
    if (!pp || !*pp)
        return;
    Poster *p = *pp;
    av_frame_free(&p->best);
    if (p->temp && !p->published)
        unlink(p->temp);
    free(p->temp);
    free(p->path);
    free(p);
    *pp = NULL;
}
