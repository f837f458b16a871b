/* manifest.h: evidence manifests: hashes of sources, logs and output, signed with Ed25519. */
#ifndef EVCLIP_SRC_MANIFEST_H
#define EVCLIP_SRC_MANIFEST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "evclip/evclip.h"
#include "src/log.h"

/*
 * Manifest format (format "evclip-evidence-manifest", format_version 1), JSON object:
 *   format, format_version, evclip_version, created_utc ("YYYY-MM-DDTHH:MM:SSZ"),
 *   output:   {file (base name), size, sha256, frames, duration, width, height, has_audio,
 *              first_source_time, last_source_time}
 *   sources:  [{index, path (as given), absolute_path, size, sha256 (null for non-files such
 *              as URLs), window: {start, end}, detections: {count, sha256_canonical, logs:
 *              [{path, absolute_path, size, sha256}]}, display: {matrix (bool: the
 *              source has a display matrix), rotation (clockwise degrees 0/90/180/270 the
 *              pixels were turned), mirror (bool: then mirrored left-right)},
 *              damaged_packets, wallclock: {epoch, epoch_utc (wall clock of source time 0,
 *              epoch seconds and "YYYY-MM-DDTHH:MM:SS.mmmZ"), epoch_source ("option" | "log" |
 *              "creation_time"), start, start_utc, end, end_utc (the window on the wall
 *              clock)}, all null when the origin is unknown}]; a log modified or replaced
 *              between loading and the manifest fails the render (DETECTIONS), and verify
 *              fails any file entry without sha256 (only a URL source may have none)
 *   boxes_drawn, detections_embedded (SEI on/off)
 *   timing:   {pre_roll, post_roll, speed_requested, speed, max_duration, cap_strategy
 *              ("timelapse" | "framedrop" | null when no cap), frame_step}
 *   encoder:  {name (used), requested, preset, crf, bitrate, threads}
 *   drawing:  {hold (seconds), title, timestamp (bool), font (requested or null), thickness,
 *              font_size (pixels used), thickness_requested, font_size_requested (0 = auto),
 *              label_max (0 = no limit),
 *              interpolate (seconds, EvclipDrawOptions.interpolate; only when on),
 *              custom_style (EvclipDrawOptions.style, the JSON text as given; only when set),
 *              box_space ("display" | "stored": the space of the boxes of turned sources),
 *              style: {version 1, color_by ["color", "track_id", "label"], palette ["#rrggbb",
 *              ... RGB, indexed by track id % size or label hash], same_label, chip,
 *              chip_text (the fixed rules, in words)}}
 *   poster (EvclipSettings.poster only): {file (base name, beside the clip), size, sha256,
 *              width, height, boxes (boxes on that frame), source_time}
 *   native (EvclipSettings.native only): [{file (base name, beside the clip), container
 *              ("mp4" | "matroska"), size, sha256, source (index into sources), window
 *              {start, end} (as the source's), copy_start (source time of the keyframe the
 *              copy starts at, <= window.start), video and audio (null when the source has
 *              none): {stream_index (the source's), packets, first_pts, last_pts (decode
 *              order, source stream time base), time_base ("num/den"), sha256 (of the
 *              packet payloads concatenated in decode order, as read from the source)}},
 *              ...] one per source part
 *   wallclock (offline clips): {first_frame, first_frame_utc, last_frame, last_frame_utc (the
 *              wall clock of the clip's first and last frame; null when that source's origin
 *              is unknown), timezone (of drawn timestamps: EvclipDrawOptions.timezone or
 *              "UTC"), timestamp ("wallclock" | "source" | "mixed": what --timestamp drew;
 *              null when it was off)}
 *   warnings: [text, ...] (EvclipResult.warnings: the clip may be wrong; [] when none)
 *   worker (only when EvclipSettings.worker is set): the name of the worker that rendered it
 *   redaction (redacted clips only: the clip is a redacted derivative): {selectors [..], mode
 *              ("pixelate" | "blur" | "fill"), pad, label (chip text or null), regions
 *              (boxes redacted, all frames), frames (frames with one or more), ranges
 *              [{first_frame, last_frame, regions}] (output frame runs, at most 1000),
 *              ranges_truncated, log ({path, size, sha256} of --redact-detections, or null),
 *              rule}
 *   live (live clips only): {stream, url (credentials removed), trigger_ids [..], mode
 *              ("trigger" | "start"), window: {start, end, start_utc, end_utc} (wall clock,
 *              epoch seconds), first_frame, last_frame (wall clock), clock ("rtcp" |
 *              "arrival"), pre_roll: {requested, available, max}, gaps: [[from, to], ...],
 *              incomplete (bool), note, damaged_packets, native_only (bool: the output
 *              is the passthrough copy of the stream's packets, which "native" lists too;
 *              encoder {name "copy"}, drawing null)}; its one source is {index 0, path
 *              (the URL without credentials), absolute_path, size, sha256 all null, live
 *              true, window (wall clock), detections, damaged_packets}: a live stream has no
 *              file to re-hash (verify counts it in sources_live)
 *   signature (optional): {algorithm "ed25519", public_key (base64), key_id (hex of the first
 *              16 bytes of SHA-256(public key)), value (base64 of the detached signature of
 *              the canonical form)}
 * Hashes are lowercase hex SHA-256. Reals are rounded to 6 decimals, and |x| < 1e-4 written
 * as 0, so that the canonical form (keys sorted, "," and ":" separators, UTF-8, reals as
 * shortest round-trip decimals, no "signature" member) equals Python's
 * json.dumps(m, sort_keys=True, separators=(",", ":"), ensure_ascii=False).
 *
 * detections.sha256_canonical covers every detection of the store (file-loaded or added
 * through the API), in insertion order, each as: frame_idx i64, ts f64, x1 y1 x2 y2 f64,
 * score f64, track_id i64 (all big-endian), has_color u8, color 3 bytes (0 when unset),
 * normalized u8 (bit 1 set when a polygon follows; bit 2 when ts is the line's
 * wallclock key, epoch seconds), label length u32 big-endian, label
 * bytes; with a polygon: its point count u32 and each point's u, v (f32 bits, big-endian,
 * relative to the box: x = x1 + u (x2 - x1)). Detections without polygon hash as before.
 */

/* The hash of a source file taken through the descriptor it was decoded from, and what
 * decoding it found. */
typedef struct SourceDigest {
    int hashed;          /* 0: not a local file (a URL) or not hashed */
    int64_t size;
    char sha256[65];
    int display_matrix;  /* 1: the source asks players to turn it */
    int orient;          /* how it was turned (ORIENT_* bits, src/orient.h) */
    int64_t damaged;     /* damaged video packets met decoding its windows */
    int has_identity;    /* 1: identity below is the file's as rendered (a local file) */
    struct stat identity; /* fstat of the file rendered: a native copy must read the same */
    int epoch_known;     /* 1: its wall-clock origin was known while rendering: */
    double epoch;        /* wall clock of its source time 0, epoch seconds */
    int epoch_origin;    /* enum EvclipEpochOrigin */
} SourceDigest;

/* A live clip (manifest_live.c): its one source is the stream, described by the "live"
 * member (see the format above) instead of a file hash. Borrowed. */
typedef struct ManifestLive {
    const char *stream;              /* stream name */
    const char *url;                 /* stream URL as configured (written without credentials) */
    const char *const *trigger_ids;  /* ids of the triggers the clip holds (merged ones too) */
    int nb_trigger_ids;
    const char *mode;                /* "trigger" or "start" (open-ended recording) */
    double start, end;               /* wall-clock window, epoch seconds */
    double first_frame, last_frame;  /* wall clock of the first and last frame written */
    const char *clock;               /* "rtcp" or "arrival" */
    double pre_requested;            /* pre-roll asked (before pre_roll_max), seconds */
    double pre_available;            /* pre-roll the ring held */
    double pre_roll_max;
    const double *gaps;              /* ngaps (from, to) wall-clock pairs */
    int ngaps;
    int incomplete;
    const char *note;                /* what the clip lacks, or "" */
    int64_t damaged_packets;         /* video packets damaged (skipped or concealed) */
    const EvclipDetections *detections; /* the detections pushed for the window, ts in wall
                                        clock as pushed (hashed); NULL: the clip source's */
    double detection_delay;          /* seconds a frame waited at most for its detections */
    int64_t late_detections;         /* detections of the window that arrived after their
                                        frame was drawn (not drawn, not in `detections`) */
    double late_max_s;               /* the largest arrival minus time among them, seconds */
    struct Natives *natives;         /* the clip's passthrough copy (complete in its temp
                                        file), published with the clip and listed in "native";
                                        NULL: none */
    int native_only;                 /* the output is that copy: nothing decoded or encoded
                                        (encoder {name "copy"}, drawing null) */
} ManifestLive;

/* What a finished clip's manifest records. */
typedef struct ManifestInfo {
    const EvclipClip *clip;          /* sources (paths, windows, detection stores), rolls,
                                        speed, cap, output path */
    const EvclipSettings *settings;  /* encoder, preset, crf, bitrate, sign_key... */
    const EvclipResult *result;      /* frames, duration, boxes drawn, encoder used, size */
    double speed;                    /* effective playback speed */
    int frame_step;                  /* 1, or N when framedrop kept every Nth frame */
    const char *output_file;         /* file to hash as the output (the clip's complete temp
                                        file before publishing); NULL: clip->output */
    char *manifest_temp;             /* out: set by manifest_write_temp (caller frees) */
    const SourceDigest *digests;     /* per clip source: its hash as decoded; NULL entries
                                        (hashed 0) are hashed by path (live ring clips) */
    int thickness, font_size;        /* resolved box line width and label size, pixels */
    char *sha256_out;                /* optional, 65 bytes: receives the output's SHA-256 */
    const ManifestLive *live;        /* a live clip: its source is this stream; else NULL */
    const struct Poster *poster;     /* the clip's poster (written, in its temp), or NULL */
    const struct Natives *natives;   /* the clip's native copies (in their temps), or NULL */
    const struct Redactor *redaction; /* what was redacted (src/redact.h), or NULL */
} ManifestInfo;

/* Writes "<output>.evidence.json" atomically (temp + rename),
 * signing it when settings->sign_key is set. Returns 0 or a negative code (OUTPUT, INVALID
 * for a bad key file, INPUT when a source cannot be read for hashing, DETECTIONS when a
 * detection log changed since it was loaded, NOMEM). The caller
 * removes nothing: a failed manifest fails the clip, and the caller then deletes the clip. */
int manifest_write(const ManifestInfo *info, const Logger *log);

/* As manifest_write, but leaves the complete, synced manifest in a temp file beside it
 * (info->manifest_temp, to be renamed over "<output>.evidence.json" by the caller). */
int manifest_write_temp(ManifestInfo *info, const Logger *log);

/* Checks that `path` is a usable secret key (format, and not accessible by group or others),
 * so a render can refuse a bad --sign-key before encoding. Returns 0 or INVALID. */
int manifest_check_key(const char *path);

/* SHA-256 of a file read in 1 MiB chunks: lowercase hex into hex[65], size into *size.
 * Returns 0 or INPUT (cannot open or read; detail names the file), NOMEM. */
int manifest_hash_file(const char *path, char hex[65], int64_t *size);

/* SHA-256 of an open regular file read from offset 0 with pread (the descriptor's offset is
 * left alone), remembered by identity, size and mtime; `path` names it in errors.
 * Returns 0 or INPUT, NOMEM. */
int manifest_hash_fd(int fd, const char *path, char hex[65], int64_t *size);

/* Writes `url` without its user:password@ part ("rtsp://u:p@host/x" -> "rtsp://host/x")
 * into out (cut to size - 1 bytes). */
void manifest_strip_credentials(const char *url, char *out, size_t size);

/* Canonical SHA-256 (see above) of a detection store, lowercase hex into hex[65]. */
void manifest_hash_detections(const EvclipDetections *d, char hex[65]);

#endif /* EVCLIP_SRC_MANIFEST_H */
