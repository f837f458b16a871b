/* preview.c: a progressive HLS preview (fMP4 segments) of a clip being encoded. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "src/error.h"
#include "src/preview.h"

#define SEGMENT_SECONDS "1"

struct Preview {
    AVFormatContext *fmt;
    AVPacket *pkt;
    char *dir;
    AVRational time_base; /* of the packets given to preview_write */
    int created;        /* DIR was made here (removed with the files on failure) */
    int started;        /* header written: the trailer is due */
    int failed;
    const Logger *log;
};

static int open_muxer(Preview *p, const AVStream *video)
{
    char playlist[4200], segments[4200];
    AVDictionary *opts = NULL;
    snprintf(playlist, sizeof(playlist), "%s/index.m3u8", p->dir);
    snprintf(segments, sizeof(segments), "%s/seg-%%05d.m4s", p->dir);
    int ret = avformat_alloc_output_context2(&p->fmt, NULL, "hls", playlist);
    AVStream *st = ret >= 0 ? avformat_new_stream(p->fmt, NULL) : NULL;
    if (!st || avcodec_parameters_copy(st->codecpar, video->codecpar) < 0)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory (preview)");
    st->time_base = video->time_base;
    st->avg_frame_rate = video->avg_frame_rate;
    av_dict_set(&opts, "hls_segment_type", "fmp4", 0);
    av_dict_set(&opts, "hls_time", SEGMENT_SECONDS, 0);
    av_dict_set(&opts, "hls_playlist_type", "event", 0);
    av_dict_set(&opts, "hls_segment_filename", segments, 0);
    av_dict_set(&opts, "hls_flags", "independent_segments+temp_file", 0);
    ret = avformat_write_header(p->fmt, &opts);
    av_dict_free(&opts);
    if (ret < 0)
        return ev_error_av(ret, EVCLIP_ERR_OUTPUT, "preview '%s': cannot start", playlist);
    p->started = 1;
    return 0;
}

int preview_open(Preview **out, const char *dir, const AVStream *video, const Logger *log)
{
    char playlist[4200];
    *out = NULL;
    snprintf(playlist, sizeof(playlist), "%s/index.m3u8", dir);
    if (access(playlist, F_OK) == 0)
        return ev_error(EVCLIP_ERR_OUTPUT, "preview '%s' exists: another clip of that name is "
                        "previewed there (remove it)", playlist);
    Preview *p = calloc(1, sizeof(*p));
    if (!p || !(p->dir = strdup(dir)) || !(p->pkt = av_packet_alloc())) {
        preview_close(&p, 1);
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory (preview)");
    }
    p->log = log;
    p->time_base = video->time_base;
    if (mkdir(dir, 0777) == 0)
        p->created = 1;
    else if (errno != EEXIST) {
        int ret = ev_error(EVCLIP_ERR_OUTPUT, "preview directory '%s': %s", dir,
                           strerror(errno));
        preview_close(&p, 1);
        return ret;
    }
    int ret = open_muxer(p, video);
    if (ret < 0) {
        preview_close(&p, 0);
        return ret;
    }
    *out = p;
    return 0;
}

void preview_write(Preview *p, const AVPacket *pkt)
{
    if (!p || p->failed)
        return;
    int ret = av_packet_ref(p->pkt, pkt);
    if (ret >= 0) {
        p->pkt->stream_index = 0;
        av_packet_rescale_ts(p->pkt, p->time_base, p->fmt->streams[0]->time_base);
        ret = av_write_frame(p->fmt, p->pkt);
    }
    av_packet_unref(p->pkt);
    if (ret < 0) {
        char why[128];
        av_strerror(ret, why, sizeof(why));
        ev_log(p->log, EVCLIP_LOG_WARNING, "preview '%s': %s: the preview stops here (the "
               "clip goes on)", p->dir, why);
        p->failed = 1;
    }
}

/* Removes the preview's files (and DIR when it was made here). */
static void remove_files(const Preview *p)
{
    DIR *d = opendir(p->dir);
    struct dirent *e;
    char path[4600];
    while (d && (e = readdir(d))) {
        const char *n = e->d_name;
        size_t len = strlen(n);
        int ours = !strcmp(n, "index.m3u8") || !strcmp(n, "init.mp4") ||
                   (!strncmp(n, "seg-", 4) && len > 4 && !strcmp(n + len - 4, ".m4s")) ||
                   (len > 4 && !strcmp(n + len - 4, ".tmp"));
        if (ours && snprintf(path, sizeof(path), "%s/%s", p->dir, n) < (int)sizeof(path))
            unlink(path);
    }
    if (d)
        closedir(d);
    if (p->created)
        rmdir(p->dir);
}

void preview_close(Preview **pp, int complete)
{
    Preview *p = pp ? *pp : NULL;
    if (!p)
        return;
    if (p->started)
        av_write_trailer(p->fmt);
    avformat_free_context(p->fmt);
    if (!complete && p->dir)
        remove_files(p);
    av_packet_free(&p->pkt);
    free(p->dir);
    free(p);
    *pp = NULL;
}
