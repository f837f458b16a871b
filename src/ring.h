/* ring.h: a live stream's ring of encoded packets, bounded in seconds and bytes, GOP aligned. */
#ifndef EVCLIP_SRC_RING_H
#define EVCLIP_SRC_RING_H

#include <stddef.h>
#include <stdint.h>

#include <libavcodec/packet.h>
#include <libavutil/avutil.h>

/* One packet in the ring. `seq` numbers packets in arrival order over the ring's life. */
typedef struct RingEntry {
    AVPacket *pkt;     /* owned (reference-counted data, shared with clips) */
    double wallclock;  /* epoch seconds at which this packet was captured */
    int64_t seq;
    int video;         /* 1 for the video stream, 0 for audio */
    int key;           /* video keyframe */
    int conn;          /* connection number of the stream when it was read */
    double t;          /* the packet's own time on its connection (pts * time base, s) */
} RingEntry;

/*
 * The ring always starts on a video keyframe (packets before the first keyframe are refused)
 * and covers at least max_seconds of wall-clock time when it has that much, plus at most one
 * GOP: the oldest GOP is evicted once the GOPs after it still cover max_seconds. The byte
 * bound is hard: GOPs are evicted while bytes > max_bytes; a single GOP larger than max_bytes
 * empties the ring, which then waits for the next keyframe. Not thread-safe: the owner locks.
 */
typedef struct Ring {
    RingEntry *items;  /* circular array */
    int capacity, head, count;
    size_t bytes;      /* sum of packet sizes held */
    double max_seconds;
    size_t max_bytes;
    int64_t next_seq;
    int need_key;      /* drop packets until the next video keyframe */
    RingEntry *waiting; /* audio come while need_key (its last second, arrival order): what of
                           it plays from the keyframe on goes in after the keyframe */
    int nwaiting, capwaiting;
    int64_t evicted;   /* packets evicted or refused since init */
} Ring;

void ring_init(Ring *r, double max_seconds, size_t max_bytes);

/* Adds a packet (takes over *pkt's reference and leaves *pkt blank) with info's wallclock,
 * video, key, conn and t (info->pkt and info->seq are ignored), then evicts. A video keyframe
 * goes before the audio packets that came last, ahead of it, with a wallclock at or after its
 * own (they play from it: a clip or GOP starting at it holds them); audio waiting for the
 * ring's first keyframe is kept aside (`waiting`) and goes in after it the same way.
 * Returns 1 when stored, 0 when refused or set aside (waiting for a keyframe), or
 * EVCLIP_ERR_NOMEM. */
int ring_push(Ring *r, AVPacket *pkt, const RingEntry *info);

/* The i-th oldest entry (0 <= i < count). */
const RingEntry *ring_get(const Ring *r, int i);

/* Index of the latest video keyframe with wallclock <= t; the oldest entry (a keyframe) when
 * none is that old; -1 when the ring is empty. */
int ring_find_start(const Ring *r, double t);

/* The i-th oldest entry, writable (to restamp it; its order must not change). */
RingEntry *ring_entry(Ring *r, int i);

/* Wall-clock seconds covered (newest - oldest), 0 when empty. */
double ring_span(const Ring *r);

/* Drops everything (e.g. on reconnect: the next packets are a new timeline). */
void ring_clear(Ring *r);
void ring_free(Ring *r);

#endif /* EVCLIP_SRC_RING_H */
