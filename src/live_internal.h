/* live_internal.h: shared state of live mode's modules (pool, clip rendering, readers,
 * control). Not installed. */
#ifndef EVCLIP_SRC_LIVE_INTERNAL_H
#define EVCLIP_SRC_LIVE_INTERNAL_H

#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/time.h>
#include <jansson.h>

#include "src/detections.h"
#include "src/error.h"
#include "src/live.h"
#include "src/manifest.h"
#include "src/reader.h"
#include "src/render.h"
#include "src/renderer.h"
#include "src/ring.h"
#include "src/source_packets.h"

#define TICK_SECONDS 0.05
#define DRIFT_TOLERANCE 1.0
#define RTCP_MAX_SKEW 2.0
#define DEFAULT_ROLL 10.0
#define DETECTION_KEEP_EXTRA 60.0
#define DEFAULT_MAX 600.0          /* max duration guard of a "start" recording, seconds */
#define GAP_MIN 1.0                /* seconds between two video packets of one connection
                                      that make a gap (a reconnect always does) */

typedef struct DetEntry {
    EvclipDetection d; /* ts = wall clock; label owned */
    int64_t seq;       /* order of arrival on the stream (1, 2, ...) */
    double arrived;    /* wall clock of its arrival */
    double pts;        /* EVCLIP_KEY_PTS: the stream time it was pushed at */
    int conn;          /* EVCLIP_KEY_PTS: the connection whose timeline that is; 0 = pushed
                          by wall clock */
} DetEntry;

typedef struct LiveCopy LiveCopy; /* a clip's passthrough copy being written (live_native.c) */

typedef struct LiveClip {
    struct LiveClip *next;         /* in st->recording */
    struct LiveClip *next_handed;  /* in live->handed */
    struct Stream *st;
    char *output, *id;
    double start, end;         /* wall clock */
    double pre_available;
    int incomplete;
    char note[160];
    double pre_asked;          /* pre-roll the trigger asked for (before --pre-roll-max) */
    int (*gap_at)[2];          /* outages inside the window: indexes in pkts of the last video
                                  packet before and the first after */
    double (*gaps)[2];         /* their wall clocks, set at hand-over (re-stamps are over) */
    int ngaps, capgaps;
    double last_video;         /* wall clock of the newest video packet held, 0 = none */
    int last_conn;             /* its connection number */
    int last_index;            /* its index in pkts */
    int reached;               /* a video packet at or past `end` arrived */
    int announced;             /* CLIP_STARTED was delivered: the clip may be handed over */
    int started;               /* its encode was queued (a trigger's at once, a "start"
                                  recording's at its stop) */
    int detached;              /* off st->recording: it has all of its packets */
    int forced;                /* detached by shutdown or removal: frames wait no more */
    int encoding;              /* its encode began (from j->start) */
    int restart;               /* a merge prepended packets: the encode begins again */
    double period;             /* nominal frame period, seconds */
    double closed_upto;        /* wall clock up to which frames went to the encoder: a
                                  detection before it is late */
    int64_t det_seq;           /* last detection entry of the stream looked at */
    EvclipDetections *timed;   /* the detections taken, on the clip's source timeline */
    int64_t late;              /* detections of the window that came after their frame */
    double late_max;           /* their largest arrival minus time, seconds */
    double ready_after;        /* publish minus window end, seconds */
    ManifestLive *mlive;       /* while encoding: its manifest section (set at the feed's end) */
    PacketFeed feed;           /* the clip's packets as the engine reads them */
    RingEntry *pkts;           /* copies (packet references) */
    int count, capacity;
    AVCodecParameters *vpar, *apar;
    AVRational vtb, atb, vrate;
    double base;               /* wall clock of the clip source's time 0 (video pts origin_pts) */
    int64_t origin_pts;        /* video pts that is the clip source's time 0: 0, or earlier
                                  when the stream's timeline is young (packets that a clock
                                  mapping re-stamped before the timeline's 0 stay in the
                                  clip, at positive source times) */
    const char *clock;
    EvclipDetections *dets;    /* the detections taken, as pushed (wall clock) */
    char **ids;                /* ids of every trigger the clip holds (merged ones after id) */
    int nids;
    int open_ended;            /* a "start" recording: ends at "stop" or at its max guard */
    double max;                /* its max duration guard, seconds */
    int stopped;               /* "stop" received */
    int64_t damaged;           /* video packets damaged (skipped or concealed), at encoding */
    char native_path[4096];    /* its passthrough copy once published (live_native.c), or "" */
    struct LiveCopy *copy;     /* while it is made: its passthrough copy, fed by its feed */
    int copy_only;             /* passthrough only: nothing is drawn, frames wait for no
                                  detections */
} LiveClip;

typedef struct Stream {
    struct EvclipLive *live;
    char *name, *url;
    char *timezone;            /* its own zone (EvclipStreamParams.timezone, copied), or NULL */
    EvclipStreamParams p;
    pthread_t thread;
    int started;
    double delay;              /* detection wait of its frames, seconds */
    pthread_mutex_t lock;      /* everything below */
    pthread_cond_t grow;       /* with lock: packets or detections arrived, a clip moved */
    Ring ring;
    LiveClip *recording;
    AVCodecParameters *vpar, *apar;
    AVRational vtb, atb, vrate;
    LiveClock clock;
    int have_clock;
    DetEntry *dets;            /* in arrival order */
    int ndets, capdets;
    int64_t det_seq;           /* entries pushed so far */
    double det_latest;         /* latest time of a detection message (empty ones too) */
    int connected, was_up;
    int conn;                  /* connection number */
    int rtcp_rejected;         /* connection whose RTCP mapping disagreed with arrival */
    double late_since;         /* epoch since which packets are late on the RTCP mapping */
    int64_t packets, reconnects;
    double last_wall;          /* wall clock of the newest packet */
    double deadline;           /* monotonic; the interrupt callback fires past it */
    atomic_int removing;       /* evclip_live_remove_stream: the reader stops */
    int refs;                  /* callers using it (find_stream); guarded by live->lock */
} Stream;

struct EvclipLive {
    EvclipRenderer *r;
    EvclipLiveSettings s;
    char *output_dir;
    char *preview_hls;         /* copy of s.preview_hls, or NULL */
    char *timezone;            /* copy of s.timezone (the pool's zone), or NULL */
    pthread_mutex_t lock;      /* streams, queue, stop */
    pthread_cond_t cond;
    pthread_mutex_t event_lock;
    Stream **streams;
    int nstreams;
    LiveClip *handed;          /* clips queued on the pool or being rendered (next_handed) */
    WorkerPool *pool;          /* the engine's worker pool: renders each clip as a task */
    pthread_mutex_t pass_lock; /* held by a pass over the streams (supervisor, stats, list):
                                  a stream is unlinked only between passes */
    pthread_t supervisor;
    int have_supervisor;
    atomic_int stop;
};

/* Streams by name: find (l->lock held), get (takes a reference that keeps the stream from
 * being freed by evclip_live_remove_stream; sets the error when unknown), put (releases it). */
Stream *live_stream_find(EvclipLive *l, const char *name);
Stream *live_stream_get(EvclipLive *l, const char *name);
void live_stream_put(Stream *st);
void live_stream_stats(Stream *st, EvclipStreamStats *s);
void live_stream_free(Stream *st);
/* Checks a stream's parameters as evclip_live_add_stream() does (name, url, values, zone, a
 * name not in the pool yet) without adding it. Returns 0 or INVALID. */
int live_check_stream(EvclipLive *l, const EvclipStreamParams *p);
/* The zone of st's drawn timestamps: its own, else the pool's, else NULL (the renderer's). */
const char *live_stream_zone(const Stream *st);
/* One EVCLIP_LIVE_LIST event per stream ({"type":"list"}). */
void live_list(EvclipLive *l);

/* Shared between the live modules. */
double live_mono_now(void);
double live_wall_now(void);
void live_emit(EvclipLive *l, EvclipLiveEvent *ev);
void live_emit_stream(Stream *st, int type, const char *message, const char *clock);
void live_emit_clip(LiveClip *j, int type, const EvclipResult *res, int status,
                    const char *message);
void live_clip_free(LiveClip **pj);
int live_clip_append(LiveClip *j, const RingEntry *e);
/* Adds an id to j->ids (copied). Returns 0 or NOMEM. */
int live_clip_add_id(LiveClip *j, const char *id);
/* Puts the ring's packets from index `first` that are older than j's first packet in front
 * of j's packets (a merged trigger's longer pre-roll) and lists the gaps again. Returns the
 * number of packets added or NOMEM. */
int live_clip_prepend(LiveClip *j, const Ring *ring, int first);
/* Default output path of a clip: DIR/STREAM-ID.mp4 (or STREAM-UTCSTAMP.mp4 without id), both
 * parts sanitised so that they never leave the output directory. */
void live_default_output(const EvclipLive *l, const char *stream, const char *id, char *out,
                         size_t size);
/* Sets j->gaps from the packets' final wall clocks. st->lock held, or j handed over. */
void live_clip_gaps(LiveClip *j);
/* Takes j off st->recording with all of its packets (its encode ends after them): `force`
 * (shutdown, removal: `why`) cuts it there, and its frames wait for detections no more; its
 * note says what it lacks. st->lock held. */
void live_clip_detach(LiveClip *j, int force, const char *why);
/* Queues j's encode on the worker pool (once); it reads j's packets as they arrive. st->lock
 * held. */
void live_clip_start(LiveClip *j);
/* Finishes the clips of st that are complete (or must be cut: `force`, `why`), or past their
 * outage grace: their packets are all in, their encode ends. Call without st->lock. */
void live_hand_over(Stream *st, int force, const char *why);
/* Thread bodies: the hand-over supervisor (live_clip.c), stream readers (live_reader.c). */
void *live_supervisor_main(void *arg);
void *live_reader_main(void *arg);

/* Called by live_config_parse() for each stream of a camera config (params borrowed). */
typedef int (*LiveConfigAdd)(void *opaque, const EvclipStreamParams *params);

/* Parses a camera config (see evclip_live_add_config) held in memory, calling `add` for each
 * stream in order; `path` names it in errors. Returns 0, INVALID or add's code. */
int live_config_parse(const char *text, size_t len, const char *path, LiveConfigAdd add,
                      void *opaque);

#endif /* EVCLIP_SRC_LIVE_INTERNAL_H */
