/* source.h: open and probe a video source, its timeline, accurate seeking and decoding. */
#ifndef EVCLIP_SRC_SOURCE_H
#define EVCLIP_SRC_SOURCE_H

#include <stdint.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>

#include "evclip/evclip.h"
#include "src/log.h"
#include "src/orient.h"
#include "src/ring.h"
#include "src/source_file.h"

typedef struct Source {
    char *path;
    SourceFile *file;    /* a local file: read through one descriptor; NULL for URLs */
    AVIOContext *pb;     /* fmt's custom I/O on `file`, or NULL */
    AVFormatContext *fmt;
    AVCodecContext *dec;
    AVStream *video;     /* the decoded video stream */
    int video_streams;   /* video streams of the input that are not cover art */
    AVStream *audio;     /* best audio stream, or NULL */
    int64_t origin;      /* video pts (stream time base) that is time 0 of this source */
    double duration;     /* seconds of video from the origin; < 0 when unknown */
    double frame_period; /* nominal seconds per frame (from the stream's rate) */
    AVPacket *packet;
    AVFrame *frame;
    int demux_eof, decode_eof;
    int64_t frames_decoded;
    int64_t corrupt_packets; /* video packets the decoder rejected */
    int64_t damaged;     /* video packets damaged: flagged corrupt by the demuxer, rejected
                            by the decoder, or decoded with concealed errors */
    int64_t flagged_pending; /* flagged packets sent whose damaged frame is still due */
    int orient;          /* display orientation (ORIENT_* bits, src/orient.h); 0 = as stored */
    double rotation;     /* clockwise degrees the display matrix asks for; NAN = no matrix */
    int rotation_odd;    /* 1: the matrix's angle is not a multiple of 90 (snapped) */
    int threads;         /* decoder threads asked for (the index decodes the same way) */
    double fps;          /* EvclipSource.fps: rate of an input without timestamps, 0 = its own */
    int synth_ts;        /* 1: the input has no timestamps; frame n gets pts n * synth_step */
    int64_t synth_step, synth_next;
    int64_t *index_pts;  /* sorted pts of every frame the decoder outputs from the file start */
    int64_t index_count;
    int64_t index_until; /* pts up to which index_pts is complete */
    int index_decoded;   /* 1 when the index had to be built by decoding (see source_index.c) */
    int64_t index_skipped; /* leading packets the decoder outputs no frame for */
    const RingEntry *packets; /* a packet-list source (source_packets.c), borrowed; NULL for
                                 files and URLs */
    int nb_packets, next_packet;
    const struct PacketFeed *feed; /* a growing packet list: packets pulled so far are owned in
                                      `pulled` (packets points there) */
    RingEntry *pulled;
    int pulled_capacity;
    const Logger *log;
} Source;

/* Opens and probes in->path (its video stream chosen by in->stream, timed by in->fps when it
 * has no timestamps; decoder ready, `threads` 0 = auto). Errors: INPUT (missing, unreadable,
 * not media, truncated header), NO_VIDEO (none, or no stream in->stream), DECODE (no
 * decoder), NOMEM. */
int source_open(Source **out, const EvclipSource *in, int threads, const Logger *log);
void source_close(Source **s);

/* Opens s->path (through s->file's descriptor when local) and reads its stream info
 * (errors: INPUT). */
int source_open_format(const Source *s, AVFormatContext **fmt, AVIOContext **pb);
/* Closes what source_open_format() opened. */
void source_close_format(AVFormatContext **fmt, AVIOContext **pb);
/* Opens a decoder of s's video stream in *out (freed by the caller even on error). */
int source_open_decoder(const Source *s, AVCodecContext **out, int threads);

/* Seconds of source time of a video pts, and back. */
double source_time(const Source *s, int64_t pts);

/* The index of the video stream a source reads: the first that is not cover art, or (wanted
 * > 0) video stream wanted - 1 counting every video stream; -1 when none. *nb_video receives
 * the video streams, *video_streams those that are not cover art. */
int source_find_video(const AVFormatContext *fmt, int wanted, int *nb_video,
                      int *video_streams);
int64_t source_pts(const Source *s, double seconds);

/* Seeks so that decoding restarts at the keyframe at or before `seconds` (best effort; the
 * caller checks the first frame and asks again for an earlier time if needed). Flushes the
 * decoder. Returns 0 or INPUT when the source cannot seek. */
int source_seek(Source *s, double seconds);

enum SourceEvent {
    SOURCE_FRAME = 1, /* s->frame holds the next video frame in presentation order */
    SOURCE_AUDIO = 2, /* s->packet holds an audio packet of s->audio */
    SOURCE_END = 3,   /* no more frames */
};

/* Produces the next event. The frame / packet stay valid until the next call. Corrupt packets
 * are counted and skipped. Returns an event > 0 or a negative code (INPUT for read errors,
 * DECODE). */
int source_next(Source *s, int want_audio);

/* Makes the presentation index of every frame with pts <= until_pts known, on a second handle
 * from the start of the file. Frame i is the i-th frame the decoder outputs (what OpenCV's
 * read() and PyAV's decode() enumerate): leading frames that cannot be decoded and edit-list
 * discards have no index. Demuxing alone gives it when the container has a pts for every
 * packet and the decoded head of the stream matches the packets; else the frames are decoded
 * (skipping the costly parts of decoding). Returns 0, INPUT, DECODE or NOMEM. */
int source_build_index(Source *s, int64_t until_pts);

/* Source time of the last keyframe at or before `seconds` according to the container's index
 * (MP4, MKV cues...), or NAN when the container has no index. */
double source_keyframe_before(const Source *s, double seconds);

/* 0-based presentation index of the frame with this pts (valid after source_build_index
 * covering it), or -1. */
int64_t source_frame_index(const Source *s, int64_t pts);

/* Pts of the frame with presentation index i, or AV_NOPTS_VALUE when not indexed. */
int64_t source_index_pts(const Source *s, int64_t i);

#endif /* EVCLIP_SRC_SOURCE_H */
