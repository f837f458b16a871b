/* evclip.h: public API of libevclip, evidence clips (trimmed H.264 MP4 with burned-in detections). */
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
 *
 * API changelog:
 * - 0.1.0: renderer, detection store, single-source render, frame writer.
 * - 0.2.0: multi-source clips, speed and duration cap, per-clip settings, batch rendering,
 *          renderer statistics, normalised detection coordinates.
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

/** Library version string, e.g. "0.1.0". Static. */
EVCLIP_API const char *evclip_version(void);

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
    double x1, y1;      /**< top-left corner, pixels of the source frame */
    double x2, y2;      /**< bottom-right corner (exclusive), pixels; x2 > x1 and y2 > y1 */
    const char *label;  /**< UTF-8 class label, required, copied */
    double score;       /**< confidence, drawn with two decimals, or EVCLIP_NONE */
    int64_t track_id;   /**< tracker id (>= 0) or EVCLIP_NONE */
    int has_color;      /**< 1 when color is set; else colour comes from track id or label */
    uint8_t color[3];   /**< explicit box colour as B, G, R (the seed schema's order) */
    int normalized;     /**< 1 when x1..y2 are fractions of the frame size (0..1) */
} EvclipDetection;

/** A detection store: a log of detections for one source. Not thread-safe while adding. */
typedef struct EvclipDetections EvclipDetections;

/** Counts kept by a store. */
typedef struct EvclipDetectionStats {
    int64_t count;    /**< detections stored */
    int64_t skipped;  /**< nonsense boxes skipped (NaN, infinite, reversed or empty corners) */
} EvclipDetectionStats;

/** Creates an empty store. Returns 0 or NOMEM. */
EVCLIP_API int evclip_detections_new(EvclipDetections **out);

/**
 * Reads a detection log (native JSONL: one detection object per line, lines in any order,
 * blank lines ignored) and appends its detections to the store. Nonsense boxes are skipped
 * and counted. Returns 0, or DETECTIONS with "file:line: field 'x': why" in
 * evclip_last_error(); on error the store is left as it was before the call.
 */
EVCLIP_API int evclip_detections_load(EvclipDetections *dets, const char *path);

/**
 * Adds one detection (validated like a log line; the label is copied). A nonsense box is
 * counted as skipped and returns 0. Returns 0, or INVALID when label is NULL or neither
 * frame_idx nor ts is set.
 */
EVCLIP_API int evclip_detections_add(EvclipDetections *dets, const EvclipDetection *det);

/** Fills *stats. */
EVCLIP_API void evclip_detections_get_stats(const EvclipDetections *dets,
                                            EvclipDetectionStats *stats);

/** Frees the store and sets *dets to NULL. Accepts NULL and &NULL. */
EVCLIP_API void evclip_detections_free(EvclipDetections **dets);

/* ---------------------------------------------------------------------------------------- */
/* Renderer settings                                                                        */

/**
 * Renderer settings. Fill with evclip_default_settings(), then change fields. Order of
 * precedence for the encoder, as in x264: defaults -> preset -> crf/bitrate.
 * Strings are copied by evclip_open().
 */
typedef struct EvclipSettings {
    /* Logging. */
    EvclipLogCallback log_callback;  /**< default NULL: messages are dropped */
    void *log_opaque;                /**< passed to log_callback; default NULL */
    int log_level;                   /**< most verbose level delivered; default EVCLIP_LOG_INFO */

    /* Progress. */
    EvclipProgressCallback progress_callback; /**< default NULL */
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
    int timestamp;        /**< 1 = draw the source time in the bottom-left corner; default 0 */
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
} EvclipSettings;

/** Fills *s with the defaults documented above. */
EVCLIP_API void evclip_default_settings(EvclipSettings *s);

/* ---------------------------------------------------------------------------------------- */
/* Renderer                                                                                 */

/**
 * A renderer: settings, font cache and encoder choice shared by the clips it renders.
 * One render at a time per renderer; distinct renderers may run in parallel threads.
 * evclip_cancel() is the only function safe to call concurrently.
 */
typedef struct EvclipRenderer EvclipRenderer;

/** Opens a renderer. Returns 0, INVALID (bad settings), FONT or NOMEM. */
EVCLIP_API int evclip_open(EvclipRenderer **out, const EvclipSettings *settings);

/** Closes a renderer and sets *r to NULL. Accepts NULL and &NULL. */
EVCLIP_API void evclip_close(EvclipRenderer **r);

/**
 * Requests cancellation of the render running on r (if any) and of later renders until
 * evclip_reset_cancel(). Async-signal-safe; callable from any thread.
 */
EVCLIP_API void evclip_cancel(EvclipRenderer *r);

/** Clears a cancellation request. */
EVCLIP_API void evclip_reset_cancel(EvclipRenderer *r);

/** One input of a clip: a video, its own detection log and a window on its own timeline. */
typedef struct EvclipSource {
    const char *path;                    /**< any input FFmpeg reads (file path or URL) */
    const EvclipDetections *detections;  /**< boxes to draw; NULL = none */
    double start;  /**< window start, seconds from the source's first video frame (>= 0) */
    double end;    /**< window end (exclusive), seconds; must be > start */
} EvclipSource;

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
                            default NULL = the renderer's settings */
} EvclipClip;

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
} EvclipResult;

/**
 * Renders clips as a batch: sources shared by several clips are demuxed and decoded once,
 * in time order, over the union of the needed windows (far-apart windows are reached by
 * seeking), and each decoded frame is handed to every clip whose window covers it. Encoders
 * of concurrently open clips run on up to `jobs` threads (0 = number of cores). A failing
 * clip fails alone: `results[i]` (nb_clips entries, required) holds each clip's outcome.
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
} EvclipFrame;

/** Output stream parameters of a writer. */
typedef struct EvclipWriterParams {
    const char *output;  /**< output .mp4 path (temp file + rename, as evclip_render) */
    int width, height;   /**< frame size in pixels (odd sizes allowed) */
    int fps_num, fps_den; /**< nominal frame rate for rate control, e.g. 30/1 */
} EvclipWriterParams;

/** A writer: frames in, evidence clip out. */
typedef struct EvclipWriter EvclipWriter;

/** Opens a writer on r (which must outlive it). Returns 0, INVALID, OUTPUT, EXISTS, ENCODER. */
EVCLIP_API int evclip_writer_open(EvclipWriter **out, EvclipRenderer *r,
                                  const EvclipWriterParams *params);

/** Draws dets (frame_idx/ts ignored) onto a copy of frame and encodes it. */
EVCLIP_API int evclip_writer_push(EvclipWriter *w, const EvclipFrame *frame,
                                  const EvclipDetection *dets, int nb_dets);

/** Flushes the encoder and atomically publishes the output. `result` may be NULL. */
EVCLIP_API int evclip_writer_finish(EvclipWriter *w, EvclipResult *result);

/** Frees the writer; an unfinished output is removed. Sets *w to NULL; accepts &NULL. */
EVCLIP_API void evclip_writer_close(EvclipWriter **w);

#ifdef __cplusplus
}
#endif

#endif /* EVCLIP_EVCLIP_H */
