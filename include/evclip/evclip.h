/* evclip.h: public API of libevclip: evidence clips (trimmed H.264 MP4, burned-in boxes). */
#ifndef EVCLIP_EVCLIP_H
#define EVCLIP_EVCLIP_H

/*
 * Conventions (apply to every function below):
 * - Every int return is >= 0 on success or a negative EVCLIP_ERR_* code.
 * - On failure, evclip_last_error() returns a detailed message (what, where, why) for the
 *   calling thread; evclip_strerror() gives the short static text of any code.
 * - Pointer arguments are borrowed for the duration of the call only; the library copies what
 *   it keeps (strings included).
 * - Handles are opened with evclip_*_open/new(&out, ...) and freed with evclip_*_close/free(&p),
 *   which set *p to NULL and accept a pointer to NULL.
 * - The library never prints: it logs through EvclipSettings.log_callback.
 * - No FFmpeg or FreeType type appears here; the header is C99 and C++ clean.
 * - Threads: evclip_last_error() is per thread. Every function returning an int code clears
 *   the calling thread's message at entry, so after a successful call it is "" (a stale
 *   message never describes a later success). Functions returning void or a value (close,
 *   free, defaults, statistics, cancel, version, strerror) leave it as it is, so cleaning up
 *   between a failure and its report keeps the message.
 *
 * ABI (as dav1d): EVCLIP_API_VERSION_MAJOR/MINOR/PATCH (evclip/version.h) version the ABI;
 * the shared library's soname is libevclip.so.MAJOR and the major changes whenever a public
 * struct changes size or layout or a function changes. Structs the caller allocates either
 * carry `struct_size` (EvclipSettings, EvclipLiveSettings: set by their default function and
 * checked by the library, which refuses another size with INVALID naming both sizes) or end in
 * `reserved` bytes that later minor versions turn into fields (keep them zero: zero-initialise
 * the struct). EvclipDetection has neither (it is an array element of the stores): it only
 * changes with the major. Structs the library allocates and hands to callbacks
 * (EvclipProgress, EvclipInspectFrame, EvclipLiveEvent) may grow at their end in a minor
 * version; never allocate or copy them by value. evclip_struct_size() gives the library's
 * sizeof of every public struct, for bindings to check theirs against.
 *
 * API changelog:
 * - 0.1.0: renderer, detection store, single-source render, frame writer.
 * - 0.2.0: multi-source clips, speed and duration cap, per-clip settings, batch rendering,
 *          renderer statistics, normalised detection coordinates, detection log formats
 *          (evclip_detections_load_format), evidence manifests and signatures
 *          (evclip_keygen, evclip_verify), SEI detections (evclip_inspect), live mode,
 *          EvclipResult warnings and output_sha256, EvclipSource.end INFINITY.
 * - API 1.0.0 (soname libevclip.so.1; 0.x structs grew under soname 0): EVCLIP_API_VERSION_*,
 *          evclip_version_api(), evclip_struct_size(); struct_size in EvclipSettings and
 *          EvclipLiveSettings; reserved tails in the other caller-allocated structs;
 *          EvclipSettings.ffmpeg_log (FFmpeg's process-wide log no longer captured unless
 *          asked); a progress callback's cancel stops only its own render; detection stores
 *          shared by concurrent renders (index built once under the store's lock);
 *          evclip_settings_validate(); EvclipSettings.clip_done_callback (per-clip completion);
 *          EvclipSource ts_origin, stream, fps; display orientation (rotated phone video is
 *          rendered upright), EvclipSettings.box_space; EvclipResult.damaged_packets; live
 *          manifests (EvclipVerifyResult.sources_live), evclip_live_start/stop/remove_stream,
 *          LIST and STREAM_REMOVED events, EvclipLiveEvent damaged_packets/manifest/
 *          trigger_ids, EvclipStreamStats.state, evclip_live_trigger output NULL;
 *          evclip_detections_load_window (windowed loading through PATH.evidx).
 * - API 1.1.0: evclip_output_dir() (output folder checked or created, as the CLI's --mkdirs),
 *          evclip_detections_get() (a store's detections read back).
 * - API 1.2.0: evclip_painter_new/draw/free (the clip overlay drawn into caller frames),
 *          evclip_painter_label() (the chip text), evclip_detections_add_text() (a chip
 *          text of the caller's, e.g. a Python label_formatter's);
 *          EvclipSettings.worker (the worker name recorded in manifests);
 *          EvclipSettings.poster (from reserved), evclip_detections_scan() (a log streamed
 *          detection by detection), evclip_probe() (a video's duration and frame period);
 *          EvclipSettings.label_max (labels shaped with HarfBuzz/FriBidi, font fallback,
 *          chips cut to the frame and kept apart);
 *          EvclipDrawOptions (redaction) through EvclipSettings.draw_options;
 *          EvclipVerifyResult.redacted; EvclipInspectFrame.box_flags (EVCLIP_BOX_*);
 *          EvclipSettings.native (the source's packets stream-copied beside the clip);
 *          evclip_detections_add_polygon() (polygon outlines: oriented boxes, masks),
 *          EvclipInspectFrame.nb_points and points (the polygons carried by the SEI),
 *          evclip_painter_draw_polygons(); evclip_detections_add_extra() (extra keys for
 *          chip templates).
 * - API 1.3.0: wall-clock time: EvclipSource epoch/epoch_known/epoch_origin (enum
 *          EvclipEpochOrigin), EvclipDrawOptions.timezone, evclip_parse_wallclock(),
 *          EvclipInspectFrame.wall_time; live clips encoded while they record:
 *          EvclipLiveSettings.preview_hls, EvclipStreamParams.detection_delay (and
 *          EvclipLiveSettings.detection_delay now a per-frame wait, default 1 s),
 *          EvclipLiveEvent ready_after_end_s/late_detections/late_max_s; live passthrough
 *          copies: EvclipLiveSettings/EvclipStreamParams native and native_only,
 *          EvclipLiveEvent.native_path.
 * - API 1.4.0: live wall-clock zones: EvclipLiveSettings.timezone, EvclipStreamParams.timezone
 *          (from reserved); wall-clock keyed logs read by scans: EVCLIP_SCAN_WALLCLOCK,
 *          evclip_probe_epoch().
 */

#include <stddef.h>
#include <stdint.h>

#include "evclip/version.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(EVCLIP_BUILDING) && defined(__GNUC__)
#define EVCLIP_API __attribute__((visibility("default")))
#else
#define EVCLIP_API
#endif

/* ---------------------------------------------------------------------------------------- */
/* Errors                                                                                   */

/** Negative return codes. 0 (EVCLIP_OK) is success. */
enum EvclipError {
    EVCLIP_OK = 0,
    EVCLIP_ERR_INVALID = -1,      /**< invalid argument, option or settings value */
    EVCLIP_ERR_NOMEM = -2,        /**< out of memory */
    EVCLIP_ERR_INPUT = -3,        /**< input missing, unreadable, not a video or truncated */
    EVCLIP_ERR_NO_VIDEO = -4,     /**< input has no video stream */
    EVCLIP_ERR_DETECTIONS = -5,   /**< detection log missing, unreadable or malformed */
    EVCLIP_ERR_WINDOW = -6,       /**< window empty, reversed or outside the video */
    EVCLIP_ERR_OUTPUT = -7,       /**< output directory missing or output not writable */
    EVCLIP_ERR_EXISTS = -8,       /**< output exists and overwrite is off */
    EVCLIP_ERR_ENCODER = -9,      /**< encoder unknown or failed to open / encode */
    EVCLIP_ERR_DECODE = -10,      /**< decoding failed */
    EVCLIP_ERR_FONT = -11,        /**< font not found or not loadable */
    EVCLIP_ERR_CANCELED = -12,    /**< cancelled by evclip_cancel() or the progress callback */
    EVCLIP_ERR_UNSUPPORTED = -13, /**< valid request that this build cannot do */
    EVCLIP_ERR_INTERNAL = -14,    /**< a bug: please report with the log */
};

/** Static, never NULL, English text for any code (unknown codes give "unknown error"). */
EVCLIP_API const char *evclip_strerror(int code);

/**
 * Detailed message of the most recent failure of an evclip call in the calling thread
 * (e.g. "detections.jsonl:17: field 'bbox': expected 4 numbers"). Never NULL; "" when none.
 * Valid until the next evclip call on the same thread.
 */
EVCLIP_API const char *evclip_last_error(void);

/** Library (release) version string, e.g. "0.2.0". Static. */
EVCLIP_API const char *evclip_version(void);

/**
 * API version of the loaded library, packed as EVCLIP_API_VERSION_INT(major, minor, patch)
 * ((major << 16) | (minor << 8) | patch). A program built against EVCLIP_API_VERSION_MAJOR M
 * runs with any library whose major is M and whose minor is at least the one it was built
 * with.
 */
EVCLIP_API int evclip_version_api(void);

/**
 * sizeof of the public struct `name` ("EvclipSettings", "EvclipResult", ... every struct
 * typedef of this header) in the loaded library, or 0 for an unknown name. Bindings (the
 * Python one does at import) compare it with their own layout.
 */
EVCLIP_API size_t evclip_struct_size(const char *name);

/* ---------------------------------------------------------------------------------------- */
/* Logging and progress                                                                     */

/** Log levels, most severe first. */
enum EvclipLogLevel {
    EVCLIP_LOG_ERROR = 0,
    EVCLIP_LOG_WARNING = 1,
    EVCLIP_LOG_INFO = 2,
    EVCLIP_LOG_DEBUG = 3,
};

/** Log sink. `message` is one line without trailing newline, valid during the call only. */
typedef void (*EvclipLogCallback)(void *opaque, int level, const char *message);

/** Progress of one render, delivered after each output frame. */
typedef struct EvclipProgress {
    int64_t frames_done;    /**< frames written to the output so far */
    int64_t frames_total;   /**< estimated frames in the output; 0 when unknown */
    double seconds_done;    /**< output seconds written so far */
    double seconds_total;   /**< expected output duration in seconds */
} EvclipProgress;

/** Progress sink. Return non-zero to cancel the render (it then fails with CANCELED). */
typedef int (*EvclipProgressCallback)(void *opaque, const EvclipProgress *progress);

/* ---------------------------------------------------------------------------------------- */
/* Detections                                                                               */

/** "Absent" value of the optional numeric detection fields. */
#define EVCLIP_NONE (-1)

/**
 * One detection, as in the native JSONL schema. A detection is keyed to a frame of its source
 * by frame_idx when frame_idx >= 0, else by ts (seconds; matched to the nearest frame within
 * half a frame duration, never by ts * fps).
 */
typedef struct EvclipDetection {
    int64_t frame_idx;  /**< 0-based presentation index in its source, or EVCLIP_NONE */
    double ts;          /**< seconds from the source's first video frame, or EVCLIP_NONE */
    double x1, y1;      /**< top-left corner, pixels of the source frame (of a rotated source:
                             as displayed, or as stored, per EvclipSettings.box_space) */
    double x2, y2;      /**< bottom-right corner (exclusive), pixels; x2 > x1 and y2 > y1 */
    const char *label;  /**< UTF-8 class label, required, copied */
    double score;       /**< confidence, drawn with two decimals, or EVCLIP_NONE */
    int64_t track_id;   /**< tracker id (>= 0) or EVCLIP_NONE */
    int has_color;      /**< 1 when color is set; else colour comes from track id or label */
    uint8_t color[3];   /**< explicit box colour as B, G, R (the seed schema's order) */
    int normalized;     /**< 1 when x1..y2 are fractions of the frame size (0..1) */
} EvclipDetection;

/**
 * A detection store: a log of detections for one source.
 * Threads: loading and adding need exclusive use of the store. Once filled, a store is read
 * only by renders: any number of renders (on one or several renderers, in several threads)
 * may share it; the lookup index is built once, on the first render's use, under the store's
 * own lock (or ahead of time by evclip_detections_prepare()). Adding to a store while a render
 * uses it is refused (INVALID, "the detection store is being drawn by N renders").
 */
typedef struct EvclipDetections EvclipDetections;

/** Counts kept by a store. */
typedef struct EvclipDetectionStats {
    int64_t count;    /**< detections stored */
    int64_t skipped;  /**< nonsense boxes skipped (NaN, infinite, reversed or empty corners) */
    uint8_t reserved[16]; /**< room for later fields (written as zero) */
} EvclipDetectionStats;

/** Creates an empty store. Returns 0 or NOMEM. */
EVCLIP_API int evclip_detections_new(EvclipDetections **out);

/**
 * Reads a detection log (native JSONL: one detection object per line, lines in any order,
 * blank lines ignored) and appends its detections to the store. Nonsense boxes are skipped
 * and counted. A native line's optional "wallclock" (epoch seconds or ISO 8601 text with a
 * zone, API 1.3) keys it when it has neither ts nor frame_idx (matched once its source's
 * wall-clock origin is known: EvclipSource.epoch_known); with ts, it gives that origin. A
 * native, grouped or inspect item's optional "polygon": [[x, y], ...] (3 or
 * more points) is stored as by evclip_detections_add_polygon() (its "bbox" may then be left
 * out). Returns 0, or DETECTIONS with "file:line: field 'x': why" in
 * evclip_last_error(); on error the store is left as it was before the call.
 */
EVCLIP_API int evclip_detections_load(EvclipDetections *dets, const char *path);

/**
 * Reads a detection log of the given format and appends its detections to the store (errors
 * and rollback as evclip_detections_load(), which equals format NULL, normalized 0).
 * - format: NULL or "auto" (guessed from the first non-blank line), "jsonl" (native, one
 *   detection per line), "grouped" (one frame per line: {"frame_idx", "ts", "detections":
 *   [...]}), "ultralytics" (summary()/to_json() rows: name, class, confidence, box {x1, y1,
 *   x2, y2}, optional track_id; one row object or one array of rows per line, with frame_idx
 *   (or frame) / ts; an array line without them is frame N, N = its 0-based position among
 *   non-blank lines), "inspect" (`evclip inspect` lines: boxes of "detections" keyed by
 *   "source_time"; one source_index per log) or "mot" (MOTChallenge txt:
 *   frame,id,left,top,width,height[,conf,...], 1-based frames, id -1 = untracked; "obj").
 * - normalized: 1 = coordinates are fractions of the frame size (EvclipDetection.normalized);
 *   JSON lines may override it with "normalized": true/false. Default 0.
 * Returns 0, INVALID (NULL argument, unknown format name), DETECTIONS or NOMEM.
 */
EVCLIP_API int evclip_detections_load_format(EvclipDetections *dets, const char *path,
                                             const char *format, int normalized);

/**
 * Reads the part of a detection log that a window of its `ts` needs (format and normalized as
 * evclip_detections_load_format()). Appends every detection whose ts is in [start, end]
 * seconds, every detection without ts, and possibly others near the window (whole blocks of
 * about 256 KB are read). The first call reads the whole log (appending all of it) and writes
 * a block index beside it, PATH.evidx (best effort: no index in a read-only directory); later
 * calls read only the blocks whose ts range meets the window. The index is used only when it
 * matches the log (size, mtime, inode, a hash of its first and last 64 KB, the format and
 * normalized flag, its own checksum) and each block read matches its hash; otherwise the log
 * is read whole again and the index rewritten. Since the index is written only after a full
 * load succeeded, errors are those of a full load. A log in any order works; a log sorted by
 * ts reads least. Stats and warnings count the detections read.
 * Returns 0, INVALID (NULL argument, unknown format, start > end or NaN), DETECTIONS or NOMEM;
 * on error the store is left as it was.
 */
EVCLIP_API int evclip_detections_load_window(EvclipDetections *dets, const char *path,
                                             const char *format, int normalized,
                                             double start, double end);

/**
 * Adds one detection (validated like a log line; the label is copied). A nonsense box is
 * counted as skipped and returns 0. Returns 0, or INVALID when label is NULL or neither
 * frame_idx nor ts is set.
 */
EVCLIP_API int evclip_detections_add(EvclipDetections *dets, const EvclipDetection *det);

/**
 * As evclip_detections_add(), with `text` (UTF-8, copied; NULL = the default chip) as the
 * text of the detection's label chip in clips: the label, score and track id stay the
 * detection's for everything else (colour, embedded SEI detections, manifests, `inspect`,
 * evclip_detections_get()); "" draws no chip. Returns as evclip_detections_add().
 */
EVCLIP_API int evclip_detections_add_text(EvclipDetections *dets, const EvclipDetection *det,
                                          const char *text);

/**
 * As evclip_detections_add_text() (text NULL = the default chip), for a detection outlined by
 * a polygon (an oriented box, a segmentation outline): `xy` holds n points as x, y pairs
 * (3 <= n <= 65535, finite), in det's space (pixels, or fractions with det->normalized).
 * det's corners are ignored: its box becomes the polygon's bounding box, the box that the
 * SEI, manifests and evclip_detections_get() give. Clips draw the polygon's outline instead
 * of the box (colour and thickness of the box, clipped to the frame) and its chip at the
 * polygon's top-most point (with EVCLIP_BOX_STORED on a turned source: its turned bounding
 * box, drawn and in the SEI). A polygon with no area is skipped and counted as a nonsense box.
 * Returns as evclip_detections_add(), and INVALID ("field 'polygon': why") for a bad polygon.
 */
EVCLIP_API int evclip_detections_add_polygon(EvclipDetections *dets,
                                             const EvclipDetection *det, const char *text,
                                             const double *xy, int n);

/**
 * The general add: as evclip_detections_add_polygon() with a polygon (xy, n) or as
 * evclip_detections_add_text() without one (xy NULL, n 0), and with `extra` (NULL = none): the
 * text of a JSON object of the detection's extra keys (as a log line's "extra"), kept for
 * style chip templates ({extra[KEY]}, see EvclipDrawOptions.style). An `extra` that is not a
 * JSON object is refused (INVALID, naming the parse error); duplicate keys are refused as by
 * the log readers. Returns as evclip_detections_add().
 */
EVCLIP_API int evclip_detections_add_extra(EvclipDetections *dets, const EvclipDetection *det,
                                           const char *text, const double *xy, int n,
                                           const char *extra);

/**
 * Builds the store's lookup index now (renders otherwise build it on first use). Optional:
 * call it after the last add to keep that cost out of the first render. Thread-safe with
 * renders of the store. Returns 0, INVALID (NULL) or NOMEM.
 */
EVCLIP_API int evclip_detections_prepare(EvclipDetections *dets);

/** Fills *stats. */
EVCLIP_API void evclip_detections_get_stats(const EvclipDetections *dets,
                                            EvclipDetectionStats *stats);

/**
 * Copies detection number `index` of the store (0-based, in the order added; the count is
 * evclip_detections_get_stats()'s) into *out, as the reader stored it: corners rounded to
 * 32-bit floats, frame_idx / ts / score / track_id EVCLIP_NONE when absent; out->label points
 * into the store (valid until it is freed). Lets a binding read a log through the C reader.
 * A line keyed by "wallclock" alone (API 1.3) reads back with that wall-clock time (epoch
 * seconds) as ts and frame_idx EVCLIP_NONE. Not to be called while the store is being
 * filled. Returns 0, or INVALID (NULL argument, index out of range).
 */
EVCLIP_API int evclip_detections_get(const EvclipDetections *dets, int64_t index,
                                     EvclipDetection *out);

/** Frees the store and sets *dets to NULL. Accepts NULL and &NULL. */
EVCLIP_API void evclip_detections_free(EvclipDetections **dets);

/** Receives one detection of evclip_detections_scan(); its label is valid during the call
 * only. Return 0 to go on, non-zero to stop the scan. */
typedef int (*EvclipDetectionFn)(void *opaque, const EvclipDetection *det);

/**
 * Streams a detection log (format and normalized as evclip_detections_load_format()) to fn,
 * detection by detection in file order, holding only one read block (about 256 KB of lines)
 * at a time: memory stays bounded whatever the log's size (`evclip events` on huge logs).
 * Detections are delivered as evclip_detections_get() returns them; with
 * EVCLIP_SCAN_WALLCLOCK ORed into `normalized` (API 1.4), a detection keyed by "wallclock"
 * alone also has that bit set in its `normalized` (its ts holds the wall-clock time: see
 * evclip_probe_epoch() for its source's origin). On a malformed line the
 * detections of the lines before it's block may already have been delivered.
 * Returns 0, INVALID (NULL path or fn, unknown format), DETECTIONS ("file:line: field: why"),
 * CANCELED (fn returned non-zero) or NOMEM.
 */
EVCLIP_API int evclip_detections_scan(const char *path, const char *format, int normalized,
                                      EvclipDetectionFn fn, void *opaque);

/** Flag of evclip_detections_scan()'s `normalized` and of the detections it delivers: keyed by
 * "wallclock" alone (API 1.4). */
#define EVCLIP_SCAN_WALLCLOCK 2

/**
 * Parses a colour given as text, as a log's "color" string: "#rrggbb" (RGB hex, either case)
 * or a CSS named colour ("red", "teal", "rebeccapurple"; case-insensitive), into
 * bgr = {B, G, R} (the order of EvclipDetection.color). Returns 0, or INVALID (bgr untouched,
 * evclip_last_error() names the text) for anything else, NULL included.
 */
EVCLIP_API int evclip_color_parse(const char *text, uint8_t bgr[3]);

/**
 * The colour {B, G, R} a detection without an explicit colour is drawn with: the fixed
 * palette's entry for track_id when >= 0, else for a hash of label (NULL = ""). (Untracked
 * boxes of one label in one frame may be given the next entries: see README "Colours".)
 */
EVCLIP_API void evclip_palette_color(const char *label, int64_t track_id, uint8_t bgr[3]);

/**
 * Checks that the folder of the output path `output` (the part before its last '/') exists,
 * as the CLI's --mkdirs and a spec's "mkdirs" do; a bare file name or a file in / needs
 * nothing. With `mkdirs` 0 a missing folder (or a file of that name) is OUTPUT, message
 * "output folder 'DIR' does not exist"; with `mkdirs` non-zero every missing folder is created
 * (as mkdir -p, mode 0777 minus the umask), and stays even if a later render fails.
 * Returns 0, OUTPUT ("output folder 'DIR' does not exist", or "cannot create output folder
 * 'DIR': why" when a folder cannot be made or a file has its name), INVALID (output NULL or
 * ""), NOMEM.
 */
EVCLIP_API int evclip_output_dir(const char *output, int mkdirs);

/**
 * Probes a video as a render would open it (first video stream that is not cover art):
 * *duration = seconds of video from its first frame (< 0 when the container does not say),
 * *frame_period = nominal seconds per frame (0 when unknown). Returns 0, INVALID (NULL
 * argument), INPUT, NO_VIDEO, DECODE or NOMEM.
 */
EVCLIP_API int evclip_probe(const char *path, double *duration, double *frame_period);

/* ---------------------------------------------------------------------------------------- */
/* Renderer settings                                                                        */

struct EvclipResult;

/**
 * Per-clip completion sink (EvclipSettings.clip_done_callback): `index` is the clip's
 * position in the batch, `result` its final outcome (valid during the call only).
 */
typedef void (*EvclipClipDoneCallback)(void *opaque, int index,
                                       const struct EvclipResult *result);

/**
 * Coordinate space of the detection boxes of a source whose container asks players to turn
 * it (a display matrix, e.g. phone video shot upright: stored 1920x1080, shown 1080x1920).
 * Clips always show such a source as players do (the pixels are turned; the output has no
 * display matrix). Sources without a display matrix have one space: the value is moot.
 */
enum EvclipBoxSpace {
    EVCLIP_BOX_DISPLAY = 0, /**< boxes are pixels of the frame as players show it (upright):
                                 what ffmpeg, browsers and OpenCV 4.7-4.10 and >= 4.12 give */
    EVCLIP_BOX_STORED = 1,  /**< boxes are pixels of the frame as stored (not turned): what
                                 PyAV's decode() gives, and OpenCV with
                                 CAP_PROP_ORIENTATION_AUTO off (4.11's default); evclip
                                 turns them with the picture */
};

/** How a redacted box is hidden (EvclipDrawOptions.redact_mode). */
enum EvclipRedactMode {
    EVCLIP_REDACT_PIXELATE = 0, /**< blocks of the box's mean colour; block side
                                     max(4, min(box width, box height) / 8) pixels */
    EVCLIP_REDACT_BLUR = 1,     /**< cell means (cell side max(4, min(w, h) / 6) pixels),
                                     smoothed 3 x 3 and interpolated bilinearly back over the
                                     box: no edge and no block survives */
    EVCLIP_REDACT_FILL = 2,     /**< solid mid grey */
};

/** Most redaction selectors in one EvclipDrawOptions. */
#define EVCLIP_REDACT_MAX_SELECTORS 64

/**
 * Drawing options beyond EvclipSettings (EvclipSettings.draw_options): redaction,
 * interpolation and styles. Zero-initialise, then set struct_size = sizeof(EvclipDrawOptions).
 * Checked by evclip_settings_validate(); copied (strings included) by evclip_open(); as part
 * of a clip's own settings, borrowed for the render call. Read only by evclip.
 *
 * Redaction rule: a box is redacted on every output frame where it is drawn, which includes
 * the frames where EvclipSettings.hold keeps it after its last detection, so a detector that
 * misses a face for a few frames does not leak it (set hold to cover the detector's gaps).
 * Pixels are changed in YUV on the decoded (converted) frame, before any box or chip is
 * drawn; the box outline is then drawn in neutral grey, with no chip (or with redact_label's
 * chip). The manifest records the redaction ("redaction"), evclip_verify() sets
 * EvclipVerifyResult.redacted and the SEI marks each redacted box (EVCLIP_BOX_REDACTED).
 */
typedef struct EvclipDrawOptions {
    size_t struct_size;          /**< sizeof(EvclipDrawOptions); another value is refused
                                      (INVALID) */
    const char *const *redact;   /**< nb_redact selectors, each "all", "label=NAME" (exact,
                                      case-sensitive label) or "track=N" (N >= 0). A box
                                      matching any of them is redacted. Default NULL */
    int nb_redact;               /**< entries in redact, 0..EVCLIP_REDACT_MAX_SELECTORS;
                                      default 0 = nothing redacted */
    int redact_mode;             /**< enum EvclipRedactMode; default EVCLIP_REDACT_PIXELATE */
    int redact_pad;              /**< pixels (of the output frame) added on every side of a
                                      redacted box, 0..1000; default 0 */
    const char *redact_label;    /**< chip text of redacted boxes (no track or score); default
                                      NULL = redacted boxes get no chip */
    const char *redact_detections; /**< detection log (any evclip_detections_load_format
                                      format, guessed) whose boxes, on the clip's single
                                      source, are redacted (selectors ignored: every box of
                                      it) and not drawn; hold applies to them too. Default
                                      NULL. Multi-source clips refuse it (INVALID) */
    double interpolate;          /**< seconds, 0..60; default 0 = off. A track (track_id >= 0)
                                      with no box on a frame but detections before and after it
                                      at most this far apart gets a box there: corners (and the
                                      score) linear in time between the two, label and colour
                                      of the earlier; marked EVCLIP_BOX_INTERPOLATED in the SEI.
                                      Untracked boxes only hold (EvclipSettings.hold). Applies
                                      to the redaction log too, and interpolated boxes are
                                      redacted as detected ones */
    const char *style;           /**< custom box styles as JSON text, or NULL (default) for the
                                      built-in style:
                                      {"default": RULE, "labels": {"NAME": RULE},
                                      "tracks": {"N": RULE}, "legend": false | "top-left" |
                                      "top-right" | "bottom-left" | "bottom-right"}; RULE:
                                      {"color": "#rrggbb" | CSS name | [B, G, R],
                                      "thickness": 1..256, "chip": bool, "template": TEXT,
                                      "chip_position": "above" | "inside" | "below",
                                      "corners": bool, "fill_alpha": 0..1}; a track's rule
                                      beats its label's, which beats "default". Templates:
                                      {label}, {track_id}, {score}, {score:.Nf},
                                      {score:.N%}; a field the box lacks is left out with the
                                      text just before it. Errors (INVALID) name the place:
                                      "style: labels.face.template: unknown field 'scor'".
                                      The legend lists the labels drawn so far in the clip */
    const char *timezone;        /**< zone of the drawn wall-clock timestamps
                                      (EvclipSettings.timestamp): an IANA name read from
                                      /usr/share/zoneinfo ("Europe/Berlin"), "UTC", or a fixed
                                      offset "+05:30" / "-08:00" / "+0530" / "+05" (at most
                                      18:00); default NULL = UTC. Unknown or malformed names
                                      (and "." / ".." parts) are refused (INVALID) by
                                      evclip_settings_validate() (API 1.3) */
    uint8_t reserved[40];        /**< room for later fields; must be zero */
} EvclipDrawOptions;

/**
 * Renderer settings. Fill with evclip_default_settings(), then change fields. Order of
 * precedence for the encoder, as in x264: defaults -> preset -> crf/bitrate.
 * Strings are copied by evclip_open().
 */
typedef struct EvclipSettings {
    size_t struct_size;  /**< sizeof(EvclipSettings) this caller was built with; set by
                              evclip_default_settings(); any other value is refused (INVALID)
                              by every function taking settings */

    /* Logging. */
    EvclipLogCallback log_callback;  /**< default NULL: messages are dropped */
    void *log_opaque;                /**< passed to log_callback; default NULL */
    int log_level;                   /**< most verbose level delivered; default EVCLIP_LOG_INFO */
    int ffmpeg_log;       /**< 1 = route FFmpeg's own messages (av_log) to log_callback while
                               this renderer renders. FFmpeg's log callback is process-wide:
                               evclip installs its own (av_log_set_callback) once, the first
                               time a renderer with ffmpeg_log renders, and keeps it for the
                               process; messages of FFmpeg's worker threads go to the last
                               such renderer still open (none after it closes; evclip_close
                               waits for a message being delivered to it). Default 0: FFmpeg's
                               logging is left as the host set it (the CLI sets 1) */

    /* Progress. */
    EvclipProgressCallback progress_callback; /**< default NULL. Called on the thread that
                                                   called evclip_render/evclip_render_batch;
                                                   a non-zero return cancels that render only
                                                   (other renders, concurrent or later, on
                                                   the same renderer are not affected) */
    void *progress_opaque;                    /**< passed to progress_callback; default NULL */

    /* Encoder. */
    const char *encoder;  /**< FFmpeg encoder name, or "auto" (try NVENC, VAAPI, QSV, then
                               libx264); default "libx264" */
    const char *preset;   /**< encoder preset; default "veryfast" (see bench/README.md);
                               NULL = the encoder's own default */
    int crf;              /**< constant rate factor 0..51; default 23; ignored when bitrate > 0 */
    int64_t bitrate;      /**< target bits per second; default 0 (use crf) */
    int threads;          /**< encoder and decoder threads; default 0 = automatic */

    /* Audio. */
    int audio;            /**< 1 = keep the source's audio trimmed to the window (stream copy
                               when MP4 can carry it, else AAC); 0 = drop; default 1 */

    /* Drawing. */
    const char *font;     /**< font file path or fontconfig pattern; default NULL =
                               "DejaVu Sans" found through fontconfig */
    double hold;          /**< seconds a box stays after its last detection; default 0 */
    const char *title;    /**< text drawn in the top-left corner; default NULL = none */
    int timestamp;        /**< 1 = draw the frame's time in the bottom-left corner: its
                               wall-clock time ("2026-03-02 14:03:22.140 UTC", in
                               EvclipDrawOptions.timezone) when its source's wall-clock origin
                               is known (EvclipSource.epoch_known), else its source time
                               ("00:00:04.320"); a log line says which; default 0 */
    int thickness;        /**< box line width in pixels; default 0 = scaled to frame height */
    int font_size;        /**< label text height in pixels; default 0 = scaled to frame height */

    /* Output and window. */
    int overwrite;        /**< 1 = replace an existing output; default 0 = fail with EXISTS */
    int clamp;            /**< 1 = clamp a window that leaves the video instead of failing;
                               default 0 */

    /* Evidence integrity. */
    int manifest;         /**< 1 = write OUT.mp4.evidence.json beside each clip; default 1 */
    const char *sign_key; /**< Ed25519 secret key file to sign the manifest; default NULL */
    int embed_detections; /**< 1 = carry each frame's drawn detections in H.264 SEI
                               user-data-unregistered messages; default 1 */

    /* Detections (continued). */
    int box_space;        /**< enum EvclipBoxSpace of the boxes of rotated sources; default
                               EVCLIP_BOX_DISPLAY. A warning tells when the boxes fit the other
                               space's frame size but not this one's */

    /* Batch. */
    EvclipClipDoneCallback clip_done_callback; /**< default NULL. Called by
                               evclip_render_batch (and evclip_render) once per clip, as soon
                               as that clip is published or has failed, with its index and
                               final result, on the thread that called the render; the
                               batch's later clips wait for it (it may write and fsync a
                               report line) */
    void *clip_done_opaque;                    /**< passed to clip_done_callback */

    /* Outputs beside the clip (API 1.2). */
    int poster;           /**< 1 = also write OUT.jpg beside each clip (OUT = the output path
                               without ".mp4"): the frame with the most boxes (ties: the
                               earliest) as drawn, scaled to at most 640 pixels wide, published
                               with the clip and recorded (file, sha256) in its manifest;
                               default 0 */

    /* Drawing (continued, API 1.2). */
    int label_max;        /**< label characters (Unicode code points) drawn in a chip; a longer
                               label is cut with an ellipsis "\u2026" (the SEI keeps the whole
                               label); default 0 = no limit; 0..65535. Whatever the limit, a
                               chip is cut with an ellipsis to the frame width */

    /* Scale-out (API 1.2). */
    const char *worker;   /**< name of the machine/process that rendered the clip, recorded as
                               "worker" in the manifest (`evclip worker --name`); at most 255
                               bytes, no control characters; default NULL = not recorded */

    /* Drawing options beyond the above (API 1.2). */
    const struct EvclipDrawOptions *draw_options; /**< redaction, interpolation and styles (see
                               EvclipDrawOptions); default NULL = none. Copied by evclip_open();
                               for a clip's own settings (EvclipClip.settings) borrowed for the
                               call */

    /* Outputs beside the clip (continued, API 1.2). */
    int native;           /**< 1 = also write the source's own packets of each window beside
                               the clip, stream-copied without re-encoding (audio included,
                               from the keyframe at or before the window start to the window
                               end, timestamps from 0, faststart): OUT.native.mp4 (OUT.native.mkv
                               when MP4 cannot carry the codec), OUT.native.N.mp4 for source N
                               (from 1) of a multi-source clip; published with the clip and
                               recorded (file, sha256, packet range and digests) in its
                               manifest; offline renders only; default 0 */

    uint8_t reserved[4];  /**< room for later fields; zero (evclip_default_settings) */
} EvclipSettings;

/** Fills *s with the defaults documented above (struct_size included). */
EVCLIP_API void evclip_default_settings(EvclipSettings *s);

/**
 * Checks every field of *s against its documented range (struct_size, encoder name, crf
 * 0..51, bitrate >= 0, threads 0..256, hold finite >= 0, thickness 0..256, font_size 0 or
 * 6..512, label_max 0..65535, the signing key when manifest and sign_key are set). This is the
 * one validation of settings: evclip_open(), per-clip EvclipClip.settings, the CLI (options
 * and clip specs) and the Python binding all use it. Returns 0 or INVALID with
 * "settings: <field> <value> is outside <range>" in evclip_last_error().
 */
EVCLIP_API int evclip_settings_validate(const EvclipSettings *s);

/* ---------------------------------------------------------------------------------------- */
/* Renderer                                                                                 */

/**
 * A renderer: settings and encoder choice shared by the clips it renders.
 * Threads: evclip_render(), evclip_render_batch() and evclip_writer_*() may run concurrently
 * on one renderer from several threads (each render has its own state; counters are locked);
 * evclip_cancel() and evclip_reset_cancel() may be called from any thread at any time;
 * evclip_close() must not run concurrently with any other use of the renderer.
 */
typedef struct EvclipRenderer EvclipRenderer;

/** Opens a renderer. Returns 0, INVALID (bad settings), FONT or NOMEM. */
EVCLIP_API int evclip_open(EvclipRenderer **out, const EvclipSettings *settings);

/** Closes a renderer and sets *r to NULL. Accepts NULL and &NULL. */
EVCLIP_API void evclip_close(EvclipRenderer **r);

/**
 * Requests cancellation of every render running on r (if any) and of later renders until
 * evclip_reset_cancel(). Async-signal-safe; callable from any thread. (A progress callback's
 * non-zero return, by contrast, cancels only the render that called it.)
 */
EVCLIP_API void evclip_cancel(EvclipRenderer *r);

/** Clears a cancellation request. */
EVCLIP_API void evclip_reset_cancel(EvclipRenderer *r);

/** What a detection's ts counts from (EvclipSource.ts_origin). */
enum EvclipTsOrigin {
    EVCLIP_TS_START = 0, /**< seconds from the video stream's start time: 0 is the stream's
                              start_time, as OpenCV's CAP_PROP_POS_MSEC / 1000 after read() */
    EVCLIP_TS_PTS = 1,   /**< the stream's own timestamps, pts * time_base, start offset
                              included, as PyAV's frame.pts * frame.time_base (frame.time) */
};

/** One input of a clip: a video, its own detection log and a window on its own timeline.
 * Zero-initialised fields after `end` take their defaults. */
typedef struct EvclipSource {
    const char *path;                    /**< any input FFmpeg reads (file path or URL) */
    const EvclipDetections *detections;  /**< boxes to draw; NULL = none. Only read: the
                                              store's contents are not changed by rendering;
                                              its lookup index is built once under the
                                              store's lock (see EvclipDetections) */
    double start;  /**< window start, seconds from the video stream's start time (>= 0) */
    double end;    /**< window end (exclusive), seconds; must be > start; INFINITY = to the
                        end of the video (needs a known duration) */
    int ts_origin; /**< enum EvclipTsOrigin of the detections' ts; default EVCLIP_TS_START */
    int stream;    /**< video stream: 0 = the first that is not cover art (default); N > 0 =
                        the input's video stream N - 1 (as ffmpeg -map 0:v:N-1 and PyAV's
                        container.streams.video[N-1]) */
    double fps;    /**< frame rate to time a stream that has no timestamps (raw H.264/HEVC);
                        default 0 = the rate the stream declares, else 25 */
    double epoch;  /**< wall-clock time of source time 0 (the video stream's start), seconds
                        since 1970-01-01T00:00:00Z, 0..253402300799.999 (else INVALID); read
                        only when epoch_known is 1 (API 1.3) */
    int epoch_known; /**< 1 = `epoch` is the source's wall-clock origin; 0 (default) = found
                        by the library, in order: the detection log's lines that carry both
                        "ts" and "wallclock" (epoch = wallclock - ts of the first such line),
                        the container's creation_time metadata (format, then video stream),
                        else unknown; -1 = unknown (look for none). The manifest records the
                        origin, where it came from and the clip's wall-clock window; a log
                        keyed by "wallclock" needs a known origin (else DETECTIONS naming
                        the line) (API 1.3) */
    int epoch_origin; /**< enum EvclipEpochOrigin: where a given epoch (epoch_known 1) came
                        from, recorded as the manifest's epoch_source; default
                        EVCLIP_EPOCH_OPTION (API 1.3) */
    uint8_t reserved[16]; /**< room for later fields; must be zero */
} EvclipSource;

/** Where a source's wall-clock origin came from (EvclipSource.epoch_origin, manifests'
 * "epoch_source"). */
enum EvclipEpochOrigin {
    EVCLIP_EPOCH_OPTION = 0,        /**< given by the caller ("option": --epoch, spec "epoch",
                                         Python epoch=) */
    EVCLIP_EPOCH_LOG = 1,           /**< the detection log's wallclock fields ("log") */
    EVCLIP_EPOCH_CREATION_TIME = 2, /**< the container's creation_time ("creation_time") */
};

/**
 * Parses a wall-clock time (EvclipSource.epoch): epoch seconds ("1772460202.14") or ISO 8601
 * with a zone designator ("2026-03-02T14:03:22.140Z", "2026-03-02 15:03:22+01:00",
 * "...+0100", "...+01"; seconds and fraction optional). A time without zone is refused (it
 * would be read in some machine's zone). Range 1970-01-01T00:00:00Z..9999-12-31T23:59:59Z.
 * Returns 0 with *epoch set, or INVALID with "epoch 'TEXT': why" in evclip_last_error()
 * (API 1.3).
 */
EVCLIP_API int evclip_parse_wallclock(const char *text, double *epoch);

/**
 * The wall-clock origin that a render of `video` with the detection log `log` finds by itself
 * (EvclipSource.epoch_known 0), API 1.4: from the log's first line with both "ts" and
 * "wallclock" (epoch = wallclock - ts), else from the container's creation_time (format, then
 * video stream). `log` may be NULL (no log); it is streamed as by evclip_detections_scan()
 * (format as there). Returns 1 with *epoch (seconds since 1970-01-01T00:00:00Z of source time
 * 0) and *origin (enum EvclipEpochOrigin) set; 0 when unknown and no line of the log is keyed
 * by "wallclock" alone; DETECTIONS when unknown while one is (as a render of it fails: "file:
 * line: field 'wallclock': boxes keyed by wall-clock time need the wall-clock origin of input
 * ..."), or for a malformed log; INVALID (NULL video, epoch or origin; unknown format),
 * INPUT, NO_VIDEO or NOMEM.
 */
EVCLIP_API int evclip_probe_epoch(const char *video, const char *log, const char *format,
                                  double *epoch, int *origin);

/** How a clip longer than max_duration is made to fit. */
enum EvclipCapStrategy {
    EVCLIP_CAP_TIMELAPSE = 0, /**< keep every frame, compress time (speed = window / cap) */
    EVCLIP_CAP_FRAMEDROP = 1, /**< keep the frame rate, keep every Nth frame */
};

/**
 * One clip to render. Zero-initialised fields take their defaults, so `{ &src, 1, "out.mp4" }`
 * is a complete single-source clip.
 */
typedef struct EvclipClip {
    const EvclipSource *sources; /**< the sources, in order; their windows are joined into one
                                      continuous clip */
    int nb_sources;              /**< number of sources, >= 1 */
    const char *output;          /**< output .mp4 path; written to a temp file beside it and
                                      renamed when complete */
    double pre_roll;   /**< seconds added before the first source's start (clamped at its
                            video start); >= 0; default 0 */
    double post_roll;  /**< seconds added after the last source's end (clamped at its video
                            end); >= 0; default 0 */
    double speed;      /**< playback speed, > 0; default 0 = 1.0. A floor: the cap may raise
                            it, never lower it. Audio is dropped when the effective speed is
                            not 1 */
    double max_duration; /**< output duration cap in seconds; default 0 = none */
    int cap_strategy;  /**< enum EvclipCapStrategy used when the cap applies; default
                            TIMELAPSE */
    int width, height; /**< output size (even); default 0 = the first source's size. Sources of
                            another size are scaled to fit, aspect kept, letterboxed, and their
                            boxes transformed the same way */
    const EvclipSettings *settings; /**< per-clip override of the renderer's encoder, audio,
                            drawing and output fields (callbacks stay the renderer's);
                            default NULL = the renderer's settings; checked by
                            evclip_settings_validate(), struct_size included */
    uint8_t reserved[32]; /**< room for later fields; must be zero */
} EvclipClip;

/** Size of EvclipResult.warnings in bytes. */
#define EVCLIP_WARNINGS_SIZE 4096

/** Outcome of one render. */
typedef struct EvclipResult {
    int status;              /**< 0 or the negative code the render returned */
    char error[512];         /**< evclip_last_error() text when status < 0, else "" */
    int64_t frames;          /**< video frames written */
    double duration;         /**< output duration, seconds */
    double first_time;       /**< source time of the first output frame, seconds */
    double last_time;        /**< source time of the last output frame, seconds */
    int64_t boxes_drawn;     /**< boxes drawn over all frames */
    int64_t frames_decoded;  /**< video frames decoded (includes lead-in from the keyframe) */
    int has_audio;           /**< 1 when the output has an audio track */
    char encoder[64];        /**< name of the encoder actually used */
    int width, height;       /**< output frame size */
    char output_sha256[65];  /**< lowercase hex SHA-256 of the published output; "" on
                                  failure */
    int nb_warnings;         /**< warnings found for this clip (0 = none); may exceed the lines
                                  kept in `warnings` */
    char warnings[EVCLIP_WARNINGS_SIZE]; /**< the clip rendered but may be wrong: one warning
                                  per line, each ending in '\n', in the order found ("" when
                                  none). Found once, by the library, for offline, batch and
                                  Python renders alike: no detection in the window (with the
                                  log's ts/frame range), every coordinate <= 1 without
                                  normalized, boxes outside the frame (count, first one), a
                                  log for another frame size, sparse detections (suggests
                                  hold), skipped nonsense boxes and the log reader's warnings
                                  (unknown keys, with a suggestion). Lines past the buffer
                                  are dropped (counted in nb_warnings) */
    int64_t damaged_packets; /**< damaged video packets met while decoding the clip's windows
                                  (from the keyframe before each): flagged corrupt by the
                                  demuxer (e.g. MPEG-TS continuity errors), rejected by the
                                  decoder (skipped) or decoded with errors concealed. 0 = none;
                                  else a warning names each source and its count */
    uint8_t reserved[128];   /**< room for later fields (written as zero) */
} EvclipResult;

/**
 * Renders clips as a batch: sources shared by several clips are demuxed and decoded once,
 * in time order, over the union of the needed windows (far-apart windows are reached by
 * seeking), and each decoded frame is handed to every clip whose window covers it. Encoders
 * of concurrently open clips run on up to `jobs` threads (0 = number of cores). A failing
 * clip fails alone: `results[i]` (nb_clips entries, required) holds each clip's outcome (and
 * its error text: evclip_last_error() is "" when the batch ran).
 * Returns the number of failed clips (>= 0), or INVALID / NOMEM / CANCELED for the batch.
 */
EVCLIP_API int evclip_render_batch(EvclipRenderer *r, const EvclipClip *clips, int nb_clips,
                                   EvclipResult *results, int jobs);

/** Cumulative work counters of a renderer (for tests and tuning). */
typedef struct EvclipStats {
    int64_t sources_opened;  /**< inputs opened for decoding */
    int64_t frames_decoded;  /**< video frames decoded, over all renders */
    int64_t seeks;           /**< seeks performed */
    int64_t clips_rendered;  /**< clips completed successfully */
    uint8_t reserved[32];    /**< room for later fields (written as zero) */
} EvclipStats;

/** Fills *stats with r's counters since evclip_open(). */
EVCLIP_API void evclip_get_stats(const EvclipRenderer *r, EvclipStats *stats);

/**
 * Renders one clip. Validates the window against the video's real duration (EVCLIP_ERR_WINDOW
 * names both, unless settings.clamp), decodes from the keyframe before the window, draws the
 * detections of each kept frame and encodes H.264 yuv420p MP4 (faststart) with timestamps
 * from 0. Never leaves a partial file at clip->output. `result` may be NULL.
 * Returns 0 or a negative code (INVALID, INPUT, NO_VIDEO, WINDOW, OUTPUT, EXISTS, ENCODER,
 * DECODE, CANCELED, NOMEM).
 */
EVCLIP_API int evclip_render(EvclipRenderer *r, const EvclipClip *clip, EvclipResult *result);

/* ---------------------------------------------------------------------------------------- */
/* Frame writer: render frames the caller already has (synthetic, live, from Python).       */

/** Pixel layouts accepted by evclip_writer_push(). */
enum EvclipPixelFormat {
    EVCLIP_PIXFMT_YUV420P = 0, /**< 3 planes, limited range */
    EVCLIP_PIXFMT_BGR24 = 1,   /**< 1 packed plane, as OpenCV / numpy frames */
    EVCLIP_PIXFMT_RGB24 = 2,   /**< 1 packed plane */
};

/** A picture pushed by the caller; borrowed for the call. */
typedef struct EvclipFrame {
    int format;               /**< enum EvclipPixelFormat */
    int width, height;        /**< must equal the writer's size */
    const uint8_t *data[3];   /**< planes (one for packed formats) */
    int linesize[3];          /**< bytes per row of each plane */
    double time;              /**< presentation time in seconds; strictly increasing */
    uint8_t reserved[32];     /**< room for later fields; must be zero */
} EvclipFrame;

/** Output stream parameters of a writer. */
typedef struct EvclipWriterParams {
    const char *output;  /**< output .mp4 path (temp file + rename, as evclip_render) */
    int width, height;   /**< frame size in pixels (odd sizes allowed) */
    int fps_num, fps_den; /**< nominal frame rate for rate control, e.g. 30/1 */
    uint8_t reserved[32]; /**< room for later fields; must be zero */
} EvclipWriterParams;

/** A writer: frames in, evidence clip out. */
typedef struct EvclipWriter EvclipWriter;

/** Opens a writer on r (which must outlive it). Returns 0, INVALID, OUTPUT, EXISTS, ENCODER. */
EVCLIP_API int evclip_writer_open(EvclipWriter **out, EvclipRenderer *r,
                                  const EvclipWriterParams *params);

/**
 * Draws dets (frame_idx/ts ignored) onto a copy of frame and encodes it. The boxes are
 * validated as evclip_detections_add() does (label required: INVALID; nonsense boxes skipped
 * and counted) and normalised boxes (EvclipDetection.normalized) are fractions of the frame,
 * drawn at the same pixels as evclip_render() and live mode draw them.
 */
EVCLIP_API int evclip_writer_push(EvclipWriter *w, const EvclipFrame *frame,
                                  const EvclipDetection *dets, int nb_dets);

/** Flushes the encoder and atomically publishes the output. `result` may be NULL. */
EVCLIP_API int evclip_writer_finish(EvclipWriter *w, EvclipResult *result);

/** Frees the writer; an unfinished output is removed. Sets *w to NULL; accepts &NULL. */
EVCLIP_API void evclip_writer_close(EvclipWriter **w);

/* ---------------------------------------------------------------------------------------- */
/* Painter: the boxes and label chips of a clip drawn into the caller's own frames (e.g. an */
/* OpenCV loop), with the clips' drawing code: same outlines, chips, fonts and colours.     */
/* ---------------------------------------------------------------------------------------- */

/** A painter for frames of one size and pixel format. Not thread-safe: one per thread. */
typedef struct EvclipPainter EvclipPainter;

/**
 * Opens a painter for width x height frames of `format` (enum EvclipPixelFormat: BGR24 and
 * RGB24 are packed 3-byte pixels; YUV420P is limited-range BT.709 when height >= 720, else
 * BT.601, as SD/HD video). font: a font file or fontconfig name, NULL = DejaVu Sans;
 * thickness and font_size in pixels, 0 = scaled to the frame height as in clips
 * (max(2, round(height / 400)) and max(12, height / 40)), else in the ranges of
 * EvclipSettings.thickness and font_size. Returns 0, INVALID (NULL out, size not 1..16384,
 * unknown format, thickness or font_size out of range), FONT or NOMEM; *out is NULL on error.
 */
EVCLIP_API int evclip_painter_new(EvclipPainter **out, int width, int height, int format,
                                  const char *font, int thickness, int font_size);

/**
 * Draws dets (nb_dets >= 0; frame_idx and ts ignored) in place into one frame: data[0] (and
 * data[1], data[2] for YUV420P) with linesize[i] bytes per row (>= the row's width in bytes),
 * written inside the frame only. Boxes are validated as evclip_detections_add() does (a NULL
 * label is INVALID, nonsense boxes are skipped), normalised ones scaled to the frame. Colours
 * and chip text as in clips (evclip_palette_color(), "label #track score"); texts (NULL, or
 * nb_dets entries, each NULL for the default) replaces the chip text of dets[i] as
 * evclip_detections_add_text() does.
 * Returns the number of boxes drawn (boxes wholly outside the frame are not counted),
 * INVALID (NULL painter, data or linesize, a too small linesize, nb_dets < 0 or dets NULL
 * with nb_dets > 0) or NOMEM. The frame is untouched on error.
 */
EVCLIP_API int evclip_painter_draw(EvclipPainter *p, uint8_t *const data[3],
                                   const int linesize[3], const EvclipDetection *dets,
                                   const char *const *texts, int nb_dets);

/**
 * evclip_painter_draw() with polygons (NULL, or nb_dets entries, each NULL for a plain box):
 * polygons[i] holds nb_points[i] points of dets[i] as x, y pairs, drawn and validated as
 * evclip_detections_add_polygon() does (a bad polygon is INVALID, the frame untouched).
 */
EVCLIP_API int evclip_painter_draw_polygons(EvclipPainter *p, uint8_t *const data[3],
                                            const int linesize[3],
                                            const EvclipDetection *dets,
                                            const char *const *texts,
                                            const double *const *polygons,
                                            const int *nb_points, int nb_dets);

/** Frees the painter and sets *p to NULL. Accepts NULL and &NULL. */
EVCLIP_API void evclip_painter_free(EvclipPainter **p);

/**
 * Writes the chip text clips and painters draw for d into buf (size bytes, NUL-terminated,
 * truncated to fit): "label #track score", track and score only when set (>= 0), score with
 * two decimals, e.g. "car #7 0.64". Returns the length of the full text (as snprintf), or
 * INVALID when d is NULL (buf untouched).
 */
EVCLIP_API int evclip_painter_label(const EvclipDetection *d, char *buf, size_t size);

/* ---------------------------------------------------------------------------------------- */
/* Evidence integrity: manifests, Ed25519 signatures, detections embedded in the video.     */
/*                                                                                          */
/* Manifest: "OUT.mp4.evidence.json" beside each clip (EvclipSettings.manifest), JSON with  */
/* the evclip version, creation time (UTC), every source (path, size, SHA-256, window), the  */
/* detection logs (paths, SHA-256, counts), rolls, speed, cap, encoder settings, boxes drawn */
/* and the output's size and SHA-256. When EvclipSettings.sign_key is set it holds a         */
/* "signature" object: {"algorithm": "ed25519", "public_key": base64, "key_id": hex,       */
/* "value": base64} where value signs the canonical form: the manifest object without its   */
/* "signature" member, serialised as UTF-8 JSON with keys sorted, no whitespace (","  and   */
/* ":" separators) and non-integers printed as the shortest round-trip decimal (every real  */
/* in a manifest is rounded to 6 decimals first), i.e. Python's                             */
/* json.dumps(m, sort_keys=True, separators=(",", ":"), ensure_ascii=False).                */
/* key_id is the hex of the first 16 bytes of SHA-256(public key).                          */

/**
 * Creates an Ed25519 key pair (libsodium): `prefix`.key (secret; created with O_EXCL and
 * mode 0600, never readable by group or others) and `prefix`.pub (public, mode 0644). Both are
 * two-line text files: a header line, "evclip-ed25519-secret-key-v1" or
 * "evclip-ed25519-public-key-v1", then the key in standard base64 (secret: libsodium's 64-byte
 * seed || public key; public: 32 bytes). Existing files are never overwritten.
 * Returns 0, EXISTS (either file exists; nothing is written), OUTPUT (cannot write),
 * INVALID (NULL or empty prefix).
 */
EVCLIP_API int evclip_keygen(const char *prefix);

/** Outcome of one check of evclip_verify(). */
enum EvclipCheck {
    EVCLIP_CHECK_SKIPPED = 0, /**< not run: not requested or nothing to check */
    EVCLIP_CHECK_PASSED = 1,  /**< ran and passed */
    EVCLIP_CHECK_FAILED = 2,  /**< ran and failed (see EvclipVerifyResult.detail) */
};

/** evclip_verify() flag: also re-hash every source listed in the manifest. */
#define EVCLIP_VERIFY_SOURCES 1u

/** What evclip_verify() found; each check field holds an enum EvclipCheck. */
typedef struct EvclipVerifyResult {
    int ok;              /**< 1 when the manifest was read and no check failed */
    int manifest;        /**< manifest is valid JSON of a known format version */
    int output;          /**< clip size and SHA-256 equal the manifest's, and the poster and
                              native copies it records exist with their SHA-256 (FAILED: one
                              was modified or is missing, or the manifest's fields edited) */
    int signature;       /**< signature valid over the canonical manifest (FAILED: manifest
                              edited after signing, or signed by another key than the one
                              given); SKIPPED when the manifest is unsigned */
    int key;             /**< signed by the public key passed to evclip_verify (FAILED: another
                              key, or the manifest is unsigned); SKIPPED when none passed */
    int sources;         /**< every source exists with its recorded size and SHA-256, and
                              each native copy holds the packets the source gives for its
                              window (both matching the recorded digests); SKIPPED
                              without EVCLIP_VERIFY_SOURCES, or when every source is a live
                              stream (see sources_live) */
    int nb_sources;      /**< sources listed in the manifest */
    int sources_missing; /**< sources not found (EVCLIP_VERIFY_SOURCES) */
    int sources_changed; /**< sources found with another size or SHA-256, and native copies
                              whose packets are not the source's (or not the recorded ones) */
    int sources_live;    /**< sources recorded from a live stream (EVCLIP_VERIFY_SOURCES): a
                              stream has no file to re-hash, so they are neither passed nor
                              failed; `sources` is SKIPPED when every source is one (the
                              clip then rests on its output hash and signature) */
    char key_id[40];     /**< key_id of the manifest's signature; "" when unsigned */
    char detail[1024];   /**< each failure in words ("output modified: ..."), "; "-separated;
                              "" when ok */
    int redacted;        /**< 1 when the manifest records a redaction: the clip is a redacted
                              derivative of its sources (their pixels were hidden in places) */
    uint8_t reserved[60];  /**< room for later fields (written as zero) */
} EvclipVerifyResult;

/**
 * Verifies `clip` against its manifest: recomputes the clip's SHA-256, checks the signature
 * (with the key in `pubkey_path`, a .pub file from evclip_keygen, when given; else with the key
 * recorded in the manifest, which proves the manifest unedited but not who signed it) and,
 * with EVCLIP_VERIFY_SOURCES in `flags`, re-hashes the sources and recomputes the packet
 * digests of each native copy (EvclipSettings.native) from its source and from the copy.
 * `manifest` NULL means clip + ".evidence.json". `res` is required.
 * Returns 0 when the checks ran (read res->ok), or INPUT (clip or manifest missing or
 * unreadable), INVALID (NULL argument, unreadable or malformed public key file), NOMEM.
 */
EVCLIP_API int evclip_verify(const char *clip, const char *manifest, const char *pubkey_path,
                             unsigned flags, EvclipVerifyResult *res);

/** The detections embedded in one video frame of a clip (see evclip_inspect()). */
typedef struct EvclipInspectFrame {
    int64_t index;         /**< 0-based frame index, presentation order */
    double time;           /**< presentation time, seconds from the clip's first frame */
    int has_data;          /**< 1 when the frame carries evclip's SEI message; else the fields
                                below are 0 / NULL */
    int source_index;      /**< position of the frame's source in the clip's source list */
    double source_time;    /**< time of the frame on its source's timeline, seconds */
    const EvclipDetection *detections; /**< the boxes drawn on the frame (source-space, as
                                the source is displayed; box
                                coordinates carried as 32-bit floats; frame_idx EVCLIP_NONE,
                                ts = source_time); valid during the callback only */
    int nb_detections;     /**< entries in detections */
    const uint8_t *box_flags; /**< nb_detections entries (EVCLIP_BOX_* bits) of the boxes'
                                marks; NULL when has_data is 0 */
    const int *nb_points;  /**< nb_detections entries: points of each box's polygon (0: a
                                plain box); NULL when has_data is 0 */
    const float *const *points; /**< nb_detections entries: 2 * nb_points[i] floats, the x, y
                                of each point (space of the box, which is the polygon's
                                bounding box), or NULL; NULL when has_data is 0 */
    double wall_time;      /**< wall-clock time of the frame, seconds since 1970-01-01 UTC,
                                as carried in its SEI (the source's origin was known when it
                                was rendered); NAN when the frame carries none (API 1.3,
                                appended) */
} EvclipInspectFrame;

/** EvclipInspectFrame.box_flags bit: the box's pixels were redacted in the clip. */
#define EVCLIP_BOX_REDACTED 1u
/** EvclipInspectFrame.box_flags bit: the box was not detected on this frame but interpolated
 * between two detections of its track (EvclipDrawOptions.interpolate). */
#define EVCLIP_BOX_INTERPOLATED 2u

/** Per-frame callback of evclip_inspect(); return non-zero to stop (CANCELED). */
typedef int (*EvclipInspectCallback)(void *opaque, const EvclipInspectFrame *frame);

/**
 * Reads the detections embedded in an evidence clip's H.264 stream (SEI user data
 * unregistered with evclip's UUID) and calls `cb` once per video frame, in presentation order.
 * Returns the number of frames that carry evclip data (>= 0), or INPUT (unreadable, no video
 * stream), UNSUPPORTED (video is not H.264 in a length-prefixed container such as MP4),
 * DECODE (malformed evclip payload), CANCELED (cb returned non-zero), INVALID, NOMEM.
 */
EVCLIP_API int evclip_inspect(const char *clip, EvclipInspectCallback cb, void *opaque);

/* ---------------------------------------------------------------------------------------- */
/* Live mode                                                                                */

/**
 * Live mode keeps, per stream, a ring of the last seconds of *encoded* packets (video and
 * audio; no decoding while idle), and turns a trigger into a clip: from the video keyframe at
 * or before `now - pre` to `now + post`, decoded, drawn and encoded on a worker thread once
 * the post-roll has arrived. Each stream has its own reader thread that reconnects with
 * exponential backoff and jitter; one stream's failure never affects the others.
 *
 * Every packet carries a wall-clock time (epoch seconds): from the RTSP server's RTCP sender
 * reports when it sends them and they agree with arrival within 2 s (clock "rtcp"), else from
 * arrival: the stream's timestamps anchored at the earliest arrival seen (clock "arrival").
 * A mapping that goes stale (packets over 2 s late on it for over a second, e.g. after the
 * server paused) is dropped for arrival; each change is told by an EVCLIP_LIVE_CLOCK event.
 * Live detections are keyed by that wall clock (or by stream time) and matched to frames with
 * the offline rules (nearest frame within half a frame; EvclipSettings.hold applies).
 *
 * Threads: one reader per stream (FFmpeg's demuxers block; the interrupt callback bounds every
 * read by stall_timeout), `workers` encoder threads shared by all streams, one supervisor that
 * hands finished recordings to the workers. A reader only demuxes and copies packet references,
 * so encoding never slows a reader down.
 */

/** What EvclipLiveSettings.overlap does with a trigger while a clip of the stream records. */
enum EvclipOverlap {
    EVCLIP_OVERLAP_MERGE = 0,    /**< extend the recording clip's end to the new trigger's */
    EVCLIP_OVERLAP_SEPARATE = 1, /**< start a separate clip with its own pre-roll */
};

/** Kinds of live events. */
enum EvclipLiveEventType {
    EVCLIP_LIVE_STREAM_UP = 0,       /**< connected; `clock` says which wall-clock mapping */
    EVCLIP_LIVE_STREAM_DOWN = 1,     /**< connection lost or stalled; `message` says why */
    EVCLIP_LIVE_RECONNECTING = 2,    /**< next attempt after `delay` seconds */
    EVCLIP_LIVE_CLIP_STARTED = 3,    /**< trigger accepted; `start` = first packet's time */
    EVCLIP_LIVE_CLIP_EXTENDED = 4,   /**< merge mode: a trigger (`clip_id`) was merged into
                                          the clip at `path` (`start`/`end` widened), or a
                                          "start" recording got its stop (message "stopped") */
    EVCLIP_LIVE_CLIP_FINISHED = 5,   /**< file published at `path` */
    EVCLIP_LIVE_CLIP_FAILED = 6,     /**< nothing written; `status`, `message` say why */
    EVCLIP_LIVE_CLOCK = 7,           /**< the wall-clock mapping changed (`clock`) */
    EVCLIP_LIVE_STATS = 8,           /**< answer to a "stats" control line (`stats`) */
    EVCLIP_LIVE_STREAM_REMOVED = 9,  /**< evclip_live_remove_stream() done: the stream's clips
                                          were finished first */
    EVCLIP_LIVE_LIST = 10,           /**< answer to a "list" control line, one per stream:
                                          `stats` (with its state), `path` = the stream's URL
                                          without credentials, `trigger_ids` = ids of its clips
                                          recording ("" for a trigger without id) */
};

typedef struct EvclipStreamStats EvclipStreamStats;

/**
 * One live event. Strings are valid during the callback only. Unused fields are NULL or 0.
 */
typedef struct EvclipLiveEvent {
    int type;               /**< enum EvclipLiveEventType */
    const char *stream;     /**< stream name */
    const char *clip_id;    /**< trigger's event id (clip events) */
    const char *path;       /**< clip output path (clip events) */
    const char *message;    /**< human-readable detail, or NULL */
    const char *clock;      /**< "rtcp" or "arrival" (STREAM_UP, CLOCK, clip events) */
    double start, end;      /**< clip window, wall-clock epoch seconds (clip events) */
    double duration;        /**< FINISHED: output duration in seconds */
    int64_t frames;         /**< FINISHED: frames written */
    double pre_available;   /**< STARTED, EXTENDED: seconds of pre-roll the clip holds before
                                 the (merged) trigger */
    int incomplete;         /**< clip events: 1 when an outage or shutdown cut the clip short
                                 of its requested window (it holds what exists) */
    int status;             /**< FAILED: negative error code */
    double delay;           /**< RECONNECTING: seconds until the next attempt */
    int attempt;            /**< RECONNECTING: consecutive failed attempts so far */
    const EvclipStreamStats *stats; /**< STATS: the stream's state */
    double pre_requested;   /**< clip events: pre-roll the trigger asked for, in seconds (before
                                 pre_roll_max); pre_available < pre_requested says how much
                                 is missing */
    const double *gaps;     /**< FINISHED, FAILED: `ngaps` pairs (from, to) of wall-clock epoch
                                 seconds: outages inside the clip's window (from = last video
                                 packet before, to = first after). The clip keeps the hole in
                                 its timestamps and is `incomplete` */
    int ngaps;              /**< number of pairs in `gaps` */
    int64_t damaged_packets; /**< FINISHED: video packets of the window that were damaged (a
                                 decoder refused them, or the demuxer flagged them corrupt, or
                                 the frame decoded from them was concealed); the clip skips or
                                 conceals them and the manifest records the count */
    const char *manifest;   /**< FINISHED: path of the clip's evidence manifest, or NULL when
                                 manifests are off */
    const char *const *trigger_ids; /**< FINISHED, FAILED: ids of every trigger the clip holds
                                 (merge mode: the first trigger's, then the merged ones'); one
                                 FINISHED/FAILED event is delivered per id, `clip_id` naming it */
    int nb_trigger_ids;     /**< entries in trigger_ids */
    double ready_after_end_s; /**< FINISHED: seconds from the end of the clip's window (`end`)
                                 to its atomic publish (a clip is encoded while it records:
                                 what remains at its end is its last frames' detection wait,
                                 the encoder flush, faststart and the manifest); negative when
                                 a shutdown or removal cut the clip before its end */
    int64_t late_detections; /**< FINISHED, FAILED: detections of the clip's window that
                                 arrived after their frame went to the encoder: not drawn, not
                                 in the manifest's detection hash, counted there as late */
    double late_max_s;      /**< FINISHED, FAILED: the largest (arrival - time) of those late
                                 detections, seconds (0 when none) */
    const char *native_path; /**< FINISHED: path of the clip's passthrough copy
                                 (EvclipLiveSettings.native / native_only), or NULL */
} EvclipLiveEvent;

/**
 * Event sink. Called from evclip's reader, worker and supervisor threads, one call at a time
 * (serialised by the library); must not call back into the EvclipLive handle except
 * evclip_live_get_stream_stats().
 */
typedef void (*EvclipLiveCallback)(void *opaque, const EvclipLiveEvent *event);

/** Pool settings. Fill with evclip_live_default_settings(), then change fields. */
typedef struct EvclipLiveSettings {
    size_t struct_size;     /**< sizeof(EvclipLiveSettings) the caller was built with; set by
                                 evclip_live_default_settings(); another value is refused */
    EvclipLiveCallback event_callback; /**< default NULL: events are dropped */
    void *event_opaque;                /**< passed to event_callback; default NULL */
    double pre_roll_max;    /**< seconds each ring keeps (plus up to one GOP); default 30 */
    int64_t ring_bytes;     /**< hard bound of each ring in bytes; default 64 MiB */
    int overlap;            /**< enum EvclipOverlap; default EVCLIP_OVERLAP_MERGE */
    int workers;            /**< clip encoding threads shared by all streams; default 2 */
    double stall_timeout;   /**< seconds without a packet before reconnecting; default 5 */
    double connect_timeout; /**< seconds allowed to open a stream; default 10 */
    double backoff_min;     /**< first reconnect delay in seconds; default 0.5 */
    double backoff_max;     /**< reconnect delay cap in seconds (doubles per failure, +-25 %
                                 jitter); default 30 */
    double detection_delay; /**< seconds a frame of a clip waits at most, after its wall-clock
                                 time, for its detections before it is drawn and encoded (it
                                 goes on at once when a detection message for its time or
                                 later arrives): detections later than that are not drawn and
                                 are counted late (EvclipLiveEvent.late_detections, manifest);
                                 it also bounds what it adds to a clip's ready time; per stream:
                                 EvclipStreamParams.detection_delay; default 1 */
    double outage_grace;    /**< seconds past a clip's end without packets after which the clip
                                 is finished with what exists; default 2 */
    const char *output_dir; /**< directory of clips triggered without an output path (named
                                 STREAM-ID.mp4, or STREAM-YYYYMMDDTHHMMSSZ.mp4 without id);
                                 copied; default NULL = "." */
    const char *preview_hls; /**< NULL (default), or an existing directory: each clip, while
                                 it is encoded, also gets an HLS preview there, DIR/NAME/
                                 index.m3u8 (NAME = the output's file name without extension)
                                 with init.mp4 and ~1 s fMP4 segments seg-NNNNN.m4s of the same
                                 encoded video (a keyframe each second; no audio). Its playlist
                                 ends (#EXT-X-ENDLIST) when the clip is published; a failed clip
                                 removes it. Not evidence: the MP4 is still published
                                 atomically with its manifest. Copied; INVALID when not a
                                 directory */
    int native;             /**< 1 = every clip of every stream also gets OUT.native.mp4 (or
                                 .mkv when MP4 cannot carry the codec): the ring packets the
                                 clip was made from, stream-copied (keyframe at or before the
                                 window start to its end, audio included, timestamps from 0,
                                 faststart, gaps kept), published with the clip and recorded in
                                 its manifest's "native" array; default 0 */
    int native_only;        /**< 1 = clips are ONLY that passthrough copy (no decoding, no
                                 encoding; OUT.native.mp4 with its own manifest
                                 OUT.native.mp4.evidence.json; FINISHED's `path` and
                                 `native_path` name it); default 0 */
    const char *timezone;   /**< zone of every stream's drawn wall-clock timestamps
                                 (EvclipSettings.timestamp) and of its clips' manifest
                                 "wallclock.timezone", as EvclipDrawOptions.timezone: an IANA
                                 name ("Europe/Berlin", daylight saving time followed), "UTC",
                                 or a fixed offset ("+05:30"); a stream's own
                                 EvclipStreamParams.timezone beats it. Default NULL = the
                                 renderer's EvclipDrawOptions.timezone (itself default UTC).
                                 Copied; an unknown or malformed name (and "." / ".." parts)
                                 is refused (INVALID) by evclip_live_open() (API 1.4) */
    uint8_t reserved[8];    /**< room for later fields; zero */
} EvclipLiveSettings;

/** Fills *s with the defaults documented above. */
EVCLIP_API void evclip_live_default_settings(EvclipLiveSettings *s);

/** RTSP transport of a stream. */
enum EvclipTransport {
    EVCLIP_TRANSPORT_TCP = 0, /**< RTP interleaved in the RTSP TCP connection (default) */
    EVCLIP_TRANSPORT_UDP = 1, /**< RTP over UDP */
};

/** One stream of the pool; borrowed for the call (strings copied). */
typedef struct EvclipStreamParams {
    const char *name;   /**< unique name used by triggers and events; required */
    const char *url;    /**< rtsp://, http(s)://, srt://, udp://, or a file; required */
    int transport;      /**< enum EvclipTransport (RTSP only); default TCP */
    int realtime;       /**< 1 = read at native speed (files, for demos and tests); default 0 */
    int loop;           /**< 1 = with realtime, restart a file at its end; default 0 */
    double pre, post;   /**< default pre-/post-roll of this stream's triggers, seconds;
                             0 = 10 / 10 */
    double detection_delay; /**< seconds this stream's frames wait for their detections (see
                             EvclipLiveSettings.detection_delay), at most 60; 0 = the pool's
                             setting, < 0 = they do not wait */
    int native;         /**< 1 = this stream's clips also get the passthrough copy
                             (EvclipLiveSettings.native, which applies to every stream);
                             default 0 */
    int native_only;    /**< 1 = this stream's clips are only the passthrough copy
                             (EvclipLiveSettings.native_only); default 0 */
    const char *timezone; /**< zone of this stream's drawn wall-clock timestamps and of its
                             clips' manifest "wallclock.timezone" (as
                             EvclipLiveSettings.timezone, which it beats); default NULL = the
                             pool's. Copied; an unknown or malformed name is refused
                             (INVALID) by evclip_live_add_stream() before its reader starts
                             (API 1.4) */
    uint8_t reserved[8];  /**< room for later fields; must be zero */
} EvclipStreamParams;

/** A pool of live streams. All functions are thread-safe, except close. */
typedef struct EvclipLive EvclipLive;

/**
 * Opens an empty pool. `r` renders the clips (its settings: encoder, drawing, hold, overwrite,
 * manifest) and must outlive the pool; evclip_cancel(r) makes clips being encoded fail and
 * leave nothing. Returns 0, INVALID (bad settings) or NOMEM.
 */
EVCLIP_API int evclip_live_open(EvclipLive **out, EvclipRenderer *r,
                                const EvclipLiveSettings *settings);

/** Adds a stream and starts its reader thread (it connects in the background). Returns 0,
 *  INVALID (missing/duplicate name or url, bad values, unknown timezone) or NOMEM. */
EVCLIP_API int evclip_live_add_stream(EvclipLive *live, const EvclipStreamParams *params);

/**
 * Triggers a clip on `stream`: [keyframe at or before now - pre, now + post]. pre < 0 / post
 * < 0 use the stream's defaults; pre is capped by pre_roll_max. `output` is the clip path, or
 * NULL for settings.output_dir/STREAM-ID.mp4 (name and id sanitised); `event_id` names the
 * trigger in events (may be NULL). During an outage the clip holds what the ring has, and says
 * so (incomplete = 1). In merge mode a trigger while a triggered clip of the stream records is
 * merged into it: its end and (when the ring still has it) its pre-roll widen the clip, its id
 * gets its own FINISHED/FAILED naming that clip's path; a merged trigger with an `output` other
 * than that clip's is refused (INVALID). Returns 0 when accepted, 1 when merged
 * into a recording clip (its output path is kept), INVALID (unknown stream, bad numbers),
 * EXISTS (output exists and the renderer's overwrite is off), INPUT (the stream never
 * delivered a packet) or NOMEM. The outcome is reported by events (CLIP_STARTED is always
 * delivered before the clip's FINISHED or FAILED).
 */
EVCLIP_API int evclip_live_trigger(EvclipLive *live, const char *stream, double pre,
                                   double post, const char *output, const char *event_id);

/**
 * Starts an open-ended recording on `stream` (Smart Record's start): from the keyframe at or
 * before now - pre until evclip_live_stop() with the same `id`, or until `max` seconds after
 * now (a guard: the clip then ends there and its message says so). Never merged with
 * triggers; `id` (required) must not be recording or encoding on the stream. `output` as in
 * evclip_live_trigger() (NULL: the default name). pre < 0: the stream's default; max <= 0:
 * 600 s. Returns 0, INVALID (unknown stream, no id, id in use, max > 86400), EXISTS, INPUT or
 * NOMEM; the outcome is reported by events as for a trigger.
 */
EVCLIP_API int evclip_live_start(EvclipLive *live, const char *stream, double pre, double max,
                                 const char *output, const char *id);

/**
 * Stops the open-ended recording `id` of `stream` at now + post (post in [0, 3600] s; its
 * clip is then encoded and published as a trigger's). Delivers a CLIP_EXTENDED event with
 * message "stopped" and the new end. Returns 0 or INVALID (unknown stream, no open recording
 * with that id: never started, stopped already, or ended at its max duration).
 */
EVCLIP_API int evclip_live_stop(EvclipLive *live, const char *stream, const char *id,
                                double post);

/**
 * Removes a stream at runtime: its reader stops, its clips still recording are cut at the
 * last packet (incomplete, "stream removed: recorded up to ...") and, with those already
 * queued, encoded and published before it returns; then STREAM_REMOVED is delivered and the
 * name is free again. Must not be called from the event callback. Returns 0 or INVALID
 * (unknown stream, or being removed by another call).
 */
EVCLIP_API int evclip_live_remove_stream(EvclipLive *live, const char *stream);

/** What EvclipDetection.ts means for evclip_live_add_detections(). */
enum EvclipLiveKey {
    EVCLIP_KEY_WALLCLOCK = 0, /**< epoch seconds at which the detector saw the frame */
    EVCLIP_KEY_PTS = 1,       /**< seconds of the stream's own timeline (packet pts * time base) */
};

/**
 * Adds detections for `stream`, all keyed by `key` at `time` (their ts and frame_idx are
 * ignored). Detections older than pre_roll_max + hold + 60 s are forgotten. Returns 0,
 * INVALID (unknown stream, no label; a PTS key before the stream's first connection) or NOMEM.
 */
EVCLIP_API int evclip_live_add_detections(EvclipLive *live, const char *stream, int key,
                                          double time, const EvclipDetection *dets, int nb);

/** State of one stream. */
struct EvclipStreamStats {
    int connected;          /**< 1 while the reader has a live connection */
    int64_t packets;        /**< packets read since the pool opened */
    int64_t ring_packets;   /**< packets held in the ring now */
    int64_t ring_bytes;     /**< bytes held in the ring now */
    double ring_seconds;    /**< wall-clock seconds the ring covers now */
    int64_t reconnects;     /**< successful reconnections after the first connection */
    int recording;          /**< clips of this stream waiting for their post-roll */
    char clock[16];         /**< "rtcp", "arrival" or "" before the first packet */
    char state[16];         /**< "connecting" (never up yet), "up", "down" (reconnecting) or
                                 "removing" */
    uint8_t reserved[32];   /**< room for later fields (written as zero) */
};

/** Fills *stats. Returns 0 or INVALID (unknown stream). */
EVCLIP_API int evclip_live_get_stream_stats(EvclipLive *live, const char *stream,
                                            EvclipStreamStats *stats);

/** evclip_live_control() return value of a {"type":"quit"} line. */
#define EVCLIP_LIVE_QUIT 2

/**
 * Executes one control line (JSON object, as `evclip live` reads on stdin):
 * - {"type":"trigger","stream":S,"pre":P,"post":Q,"id":ID,"output":PATH}: pre, post, id and
 *   output optional (defaults: the stream's rolls, settings.output_dir);
 * - {"type":"detections","stream":S,"wallclock":T | "pts":T,"detections":[...]}: items as in
 *   the grouped JSONL log (bbox, label, score, track_id, color, normalized);
 * - {"type":"stats"} (optionally "stream"): one STATS event per stream;
 * - {"type":"start","stream":S,"id":ID,"pre":P,"max":M,"output":PATH} and
 *   {"type":"stop","stream":S,"id":ID,"post":Q}: evclip_live_start() / evclip_live_stop();
 * - {"type":"add_stream","config":{"name","url",...}}: a stream as in the camera config
 *   ("tz" included);
 * - {"type":"remove_stream","stream":S}: evclip_live_remove_stream();
 * - {"type":"list"}: one LIST event per stream;
 * - {"type":"quit"}: returns EVCLIP_LIVE_QUIT (the caller then closes the pool).
 * Returns 0 (1 for a merged trigger), EVCLIP_LIVE_QUIT, or a negative code (INVALID for a
 * malformed line, with the field in evclip_last_error(); EXISTS; NOMEM).
 */
EVCLIP_API int evclip_live_control(EvclipLive *live, const char *line);

/**
 * Adds the streams of a camera config file: a JSON array (or {"streams": [...]}) of objects
 * {"name", "url", "pre", "post", "transport": "tcp"|"udp", "realtime", "loop",
 * "detection_delay", "native", "native_only", "tz"} as in EvclipStreamParams ("tz" is its
 * timezone). Every entry is checked (values, zone, names unique in the file and the pool)
 * before any stream is added: a bad entry adds none. Returns 0 or INVALID
 * ("path:line:column: why" or "path: streams[i]: why").
 */
EVCLIP_API int evclip_live_add_config(EvclipLive *live, const char *path);

/**
 * Stops the pool: readers stop, clips still recording are cut at the last packet received and
 * encoded (incomplete = 1), queued clips are encoded, then the workers exit. Call
 * evclip_cancel() on the renderer first to abandon unfinished clips instead (their temp files
 * are removed). Sets *live to NULL; accepts NULL and &NULL.
 */
EVCLIP_API void evclip_live_close(EvclipLive **live);

#ifdef __cplusplus
}
#endif

#endif /* EVCLIP_EVCLIP_H */
