/* source_packets.h: a source made of a list of encoded packets (a live recording: the ring's
 * packets for a clip's window), read by the same walker and clip engine as a file. */
#ifndef EVCLIP_SRC_SOURCE_PACKETS_H
#define EVCLIP_SRC_SOURCE_PACKETS_H

#include "src/source.h"

/* A packet list that grows while it is read (a live clip while it records). */
typedef struct PacketFeed {
    /* Blocks until packet number `index` of the list exists (and may be decoded), then puts
     * a copy in *out whose packet (a new reference) the caller owns. Returns 1, 0 when the
     * list ended before `index`, or a negative AVERROR (AVERROR_EXIT: cancelled). */
    int (*pull)(void *opaque, int index, RingEntry *out);
    void *opaque;
} PacketFeed;

/* What a packet source is made of. Everything is borrowed for the life of the Source. */
typedef struct PacketList {
    const char *name;               /* the source's name in messages (a stream URL) */
    const RingEntry *pkts;          /* in decoding order; `video` says which stream; video pts
                                       on one timeline (source time = (pts - origin) * vtb) */
    int count;
    const AVCodecParameters *vpar;  /* the video stream (required) */
    const AVCodecParameters *apar;  /* the audio stream, or NULL (its packets are dropped) */
    AVRational vtb, atb;            /* time bases of the packets' timestamps */
    AVRational vrate;               /* nominal frame rate; 0/1 = unknown (30 fps assumed) */
    int64_t origin;                 /* video pts that is source time 0 */
    const PacketFeed *feed;         /* NULL, or the list grows: pkts/count are then ignored,
                                       packets come from feed->pull as they are read, the
                                       duration is unknown (the feed's end ends the source) */
} PacketList;

/* Opens a packet source (decoder ready; `threads` 0 = auto). Its duration runs to the last
 * video packet plus one frame period (unknown, -1, for a feed). Errors: NO_VIDEO (no video
 * parameters), DECODE (no decoder), NOMEM. Close with source_close(). */
int source_open_packets(Source **out, const PacketList *list, int threads, const Logger *log);

/* The next packet of s (a reference in *pkt, stream_index 0 video / 1 audio), or AVERROR_EOF.
 * Packets of a stream the source does not carry are skipped. */
int source_packets_read(Source *s, AVPacket *pkt);

/* Frees the packets a feed source pulled (source_close()). */
void source_packets_free(Source *s);

/* Makes reading restart at the last video keyframe with pts <= target (the first packet when
 * none is that early: nothing exists before it). */
void source_packets_seek(Source *s, int64_t target);

/* Pts of the last video keyframe with pts <= target, or AV_NOPTS_VALUE. */
int64_t source_packets_keyframe_before(const Source *s, int64_t target);

/* Presentation index of the video packets with pts <= until (sorted pts; packets flagged
 * discard excluded), as source_build_index() for a file. Returns 0 or NOMEM. */
int source_packets_index(Source *s, int64_t until);

#endif /* EVCLIP_SRC_SOURCE_PACKETS_H */
