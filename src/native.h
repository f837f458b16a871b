/* native.h: a clip's original footage: the source's own packets of each window, stream-copied
 * beside the clip without re-encoding, with the digests that tie them to the source. */
#ifndef EVCLIP_SRC_NATIVE_H
#define EVCLIP_SRC_NATIVE_H

#include <stdint.h>
#include <sys/stat.h>

#include <jansson.h>
#include <libavcodec/avcodec.h>
#include <libavutil/rational.h>

#include "src/log.h"

/* One stream's packets copied (or found): decode order. */
typedef struct NativeRange {
    int present;               /* the stream exists (video always; audio when the source has) */
    int stream_index;          /* the source's stream index */
    int64_t packets;           /* packets copied */
    int64_t first_pts, last_pts; /* pts of the first and last packet in decode order, in the
                                  source stream's time base (AV_NOPTS_VALUE when unset) */
    AVRational time_base;      /* the source stream's */
    char sha256[65];           /* SHA-256 of the packet payloads, decode order, concatenated */
} NativeRange;

/* What one window's copy holds. */
typedef struct NativeScan {
    double copy_start;         /* source time (seconds, as the window) of the first keyframe */
    NativeRange video, audio;
} NativeScan;

typedef struct Natives Natives;
typedef struct NativePart NativePart;

/* The streams whose packets a copy holds (borrowed). */
typedef struct NativeStreams {
    const AVCodecParameters *vpar;  /* video (required) */
    const AVCodecParameters *apar;  /* audio, or NULL: none */
    AVRational vtb, atb;            /* time bases of the packets' timestamps */
    AVRational vrate;               /* nominal frame rate (dts of leading packets without
                                       one); 0/1 unknown */
    int vindex, aindex;             /* stream indexes the manifest records */
} NativeStreams;

/* The native copy path of clip `output`, part `part` (0-based) of `nb_parts`, extension `ext`
 * ("mp4", "mkv"): "a/b.mp4" -> "a/b.native.mp4", or "a/b.native.2.mp4" for part 1 of a
 * multi-source clip. malloc'ed; NULL when out of memory (NOMEM recorded). */
char *native_path(const char *output, int part, int nb_parts, const char *ext);
/* The extension of a copy of these streams (apar NULL: no audio): "mp4" when MP4 can carry
 * both codecs, else "mkv" (Matroska). */
const char *native_ext(const AVCodecParameters *vpar, const AVCodecParameters *apar);

/* Copies the packets of source `path` (clip source index `source`, video stream as
 * EvclipSource.stream `stream`, audio the best related to it; `identity`: the fstat of the
 * file the clip was rendered from, or NULL) for window [start, end)
 * seconds of its timeline (0 = its first video frame) into a synced temp file beside the
 * native path of part `part` of `nb_parts`, and hashes it. A local source is read through one
 * descriptor: another file than `identity` at `path`, or one modified meanwhile, is INPUT
 * (the copy must be the footage the clip and its manifest were made from). Creates *n on
 * first use. Returns 0 or INPUT (source unreadable or changed, no video), OUTPUT, EXISTS
 * (without overwrite), NOMEM. */
int native_write_temp(Natives **n, const char *output, int part, int nb_parts, int source,
                      const char *path, int stream, const struct stat *identity,
                      double start, double end, int overwrite, const Logger *log);

/* A copy from packets in memory (a live ring's, written as they arrive), through the same
 * packet writer as native_write_temp: a new part of *n (created on first use) for source
 * `source` of clip `output` (one part: OUT.native.mp4, or .mkv when MP4 cannot carry a codec
 * of `in`), its temp file created. Then native_part_write() each packet in decode order (its
 * timestamps in in->vtb / in->atb; the packet is changed): the first video packet's pts
 * becomes 0 (audio before it is dropped). native_part_finish() completes and syncs the temp
 * file and hashes it, recording the window [start, end) and copy_start (the first keyframe's
 * time, as the window) that the manifest lists (`from` names the source in the log).
 * Returns 0 or OUTPUT, EXISTS, NOMEM. */
int native_part_open(Natives **n, NativePart **out, const char *output, int source,
                     const NativeStreams *in, int overwrite);
int native_part_write(NativePart *p, int audio, AVPacket *pkt);
int native_part_finish(NativePart *p, double start, double end, double copy_start,
                       const char *from, const Logger *log);
/* The part's final path, its temp file (NULL before open), and what it holds. */
const char *native_part_path(const NativePart *p);
const char *native_part_temp(const NativePart *p);
const NativeScan *native_part_scan(const NativePart *p);
/* SHA-256 (hex) and size of the finished temp file. */
const char *native_part_sha256(const NativePart *p, int64_t *size);

/* Reads source `path`'s packets of window [start, end) as native_write_temp copies them,
 * without writing: the digests a copy would record. `streams`: the video and audio stream
 * indexes (audio -1 = none) a manifest recorded. Returns 0 or INPUT, NOMEM. */
int native_scan(const char *path, const int streams[2], double start, double end,
                NativeScan *out);

/* The packet digests of a native copy file (its first video stream and the audio stream
 * related to it, every packet).
 * Returns 0 or INPUT, NOMEM. */
int native_digest_file(const char *path, NativeScan *out);

/* The manifest's "native" array: per part {file (base name), container, size, sha256, source,
 * window {start, end}, copy_start, video {...}, audio {...} or null} (see manifest.h). */
json_t *native_json(const Natives *n);

/* Publishes every part (moves its temp file to its path; refused when one appeared
 * meanwhile without overwrite). On failure the parts already published are removed.
 * Returns 0 or OUTPUT, EXISTS. */
int native_publish(Natives *n);

/* Removes the published parts (a set that could not be completed). Accepts NULL. */
void native_unpublish(Natives *n);

/* Frees; removes unpublished temp files. Accepts NULL and &NULL. */
void native_close(Natives **n);

#endif /* EVCLIP_SRC_NATIVE_H */
