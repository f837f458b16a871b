/* detections_store.h: the detection store's layout, shared by its modules (detections.c:
 * adding and reading; detections_index.c: the sorted lookup index). Internal. */
#ifndef EVCLIP_SRC_DETECTIONS_STORE_H
#define EVCLIP_SRC_DETECTIONS_STORE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "src/detections.h"

/* What renders sharing a const store change: the index lock and the count of renders drawing
 * from the store (allocated apart so a const store can still lock and count). */
typedef struct StoreSync {
    pthread_mutex_t index_lock;
    atomic_int users;        /* renders drawing from the store now (detections_use) */
} StoreSync;

/* One stored detection: 56 bytes where EvclipDetection takes 96. Corners are floats (24-bit
 * mantissa: within 1/2048 px below 8192 px); ts and score stay doubles; the label is an index
 * into the store's label table. */
typedef struct Stored {
    double ts;
    int64_t frame_idx;
    int64_t track_id;
    double score;
    float x1, y1, x2, y2;
    uint32_t label;
    uint8_t color[3];
    uint8_t flags;
} Stored;
_Static_assert(sizeof(Stored) == 56, "a stored detection takes 56 bytes");

/* STORED_TEXT: `label` indexes `texts` (a label with its own entry), not `labels`; the entry
 * holds a chip text unless STORED_NO_CHIP, the detection's extra JSON text ("...\0") after
 * it with STORED_EXTRA, and a polygon after that with STORED_POLY. */
enum { STORED_HAS_COLOR = 1, STORED_NORMALIZED = 2, STORED_TEXT = 4, STORED_POLY = 8,
       STORED_NO_CHIP = 16, STORED_EXTRA = 32,
       STORED_WALL = 64 /* ts holds the line's wallclock key (epoch seconds) */ };

/* A lookup index lists positions in key order (stable for ties); NULL with `identity` when
 * every stored detection has that key and they were added in key order (logs written as the
 * detector runs), so no index is kept at all. */
typedef struct KeyIndex {
    uint32_t *pos;
    size_t count;
    int identity;
} KeyIndex;

/* A label interned lately: its id + 1 (0: none) and its length. */
typedef struct RecentLabel {
    uint32_t id;
    size_t len;
} RecentLabel;

struct EvclipDetections {
    Stored *items;           /* malloc'ed, or mapped when items_mapped */
    size_t count, capacity;
    int items_mapped;
    size_t nb_frame_keyed;   /* items with frame_idx >= 0 */
    size_t nb_wall_keyed;    /* items keyed by wallclock (STORED_WALL) */
    char wall_where[256];    /* "file:line" of the first line keyed by wallclock */
    int has_wall_origin;     /* a line gave both ts and wallclock: */
    double wall_minus_ts;    /* its wallclock - ts (the source's origin on the ts timeline) */
    int64_t skipped;
    char skip_note[512];

    char **labels;           /* label text by id, each allocated once */
    char **texts;            /* "label\0chip text" of detections added with a chip text */
    size_t nb_texts, texts_cap;
    size_t poly_bytes;       /* bytes of the polygons in texts (detections_memory) */
    size_t extra_bytes;      /* bytes of the extra JSON texts in texts (detections_memory) */
    uint32_t nb_labels, labels_cap;
    uint32_t *label_slots;   /* open-addressing hash set of label id + 1 (0 = empty) */
    size_t nb_slots;
    RecentLabel recent[8];   /* label last seen per (length, first byte): most logs repeat a
                              * few labels, so most lookups skip the hash */

    /* The sorted lookup index, valid when !dirty: a cache that renders sharing the (const)
     * store build once, under sync->index_lock (detections_prepare); lookups after a prepare
     * read it without locking (the lock orders them after the build). Adds need exclusive
     * use (refused while renders draw the store: sync->users). */
    KeyIndex by_idx, by_ts, by_wall;
    int dirty;
    StoreSync *sync;

    DetectionsFile *files;   /* logs loaded by evclip_detections_load */
    int nb_files;

    char *warnings[DETECTIONS_MAX_WARNINGS]; /* reader warnings (detections_warn) */
    int nb_warnings;
};

/* The store addresses detections and labels with 32-bit positions. */
#define MAX_STORED ((size_t)UINT32_MAX)

#endif /* EVCLIP_SRC_DETECTIONS_STORE_H */
