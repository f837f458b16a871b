/* ring.c: a live stream's ring of encoded packets, bounded in seconds and bytes, GOP aligned. */
#include <stdlib.h>
#include <string.h>

#include "src/error.h"
#include "src/ring.h"

void ring_init(Ring *r, double max_seconds, size_t max_bytes)
{
    memset(r, 0, sizeof(*r));
    r->max_seconds = max_seconds;
    r->max_bytes = max_bytes;
    r->need_key = 1;
}

static RingEntry *at(const Ring *r, int i)
{
    return &r->items[(r->head + i) % r->capacity];
}

const RingEntry *ring_get(const Ring *r, int i)
{
    return at(r, i);
}

static int grow(Ring *r)
{
    int cap = r->capacity ? r->capacity * 2 : 256;
    RingEntry *items = malloc(sizeof(*items) * cap);
    if (!items)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    for (int i = 0; i < r->count; i++)
        items[i] = *at(r, i);
    free(r->items);
    r->items = items;
    r->capacity = cap;
    r->head = 0;
    return 0;
}

static void drop_front(Ring *r, int n)
{
    for (int i = 0; i < n; i++) {
        RingEntry *e = at(r, 0);
        r->bytes -= e->pkt->size;
        av_packet_free(&e->pkt);
        r->head = (r->head + 1) % r->capacity;
        r->count--;
        r->evicted++;
    }
}

/* Index of the second video keyframe (the start of the second GOP), or -1. */
static int second_key(const Ring *r)
{
    for (int i = 1; i < r->count; i++) {
        const RingEntry *e = at(r, i);
        if (e->video && e->key)
            return i;
    }
    return -1;
}

static void evict(Ring *r)
{
    while (r->count) {
        double newest = at(r, r->count - 1)->wallclock;
        int k = second_key(r);
        if (r->bytes > r->max_bytes) {
            if (k < 0) {
                /* One GOP over the byte bound: nothing decodable can be kept. */
                drop_front(r, r->count);
                r->need_key = 1;
                return;
            }
            drop_front(r, k);
        } else if (k >= 0 && newest - at(r, k)->wallclock >= r->max_seconds) {
            drop_front(r, k);
        } else {
            return;
        }
    }
}

/* Puts the keyframe just pushed before the audio that arrived ahead of it but plays at or after
 * it (a stream's audio often leads its video on the wire by a frame or more): a clip starting
 * at the keyframe then holds the audio of its first moments, and evicting the GOP before the
 * keyframe keeps that audio. The video before the keyframe stays before it, each kind in its
 * order; sequence numbers stay increasing in ring order. */
static void key_first(Ring *r)
{
    int last = r->count - 1, i = last, moved = 0;
    double t = at(r, last)->wallclock;
    while (i > 0) {
        const RingEntry *e = at(r, i - 1);
        if (e->video ? e->key : e->wallclock < t)
            break; /* the keyframe before it, or audio that plays before it */
        moved += !e->video;
        i--;
    }
    if (!moved)
        return;
    int64_t seq = at(r, i)->seq;
    for (int k = i + 1; k <= last; k++) /* video before audio, stable (a few packets) */
        for (int m = k; m > i && at(r, m)->video && !at(r, m - 1)->video; m--) {
            RingEntry e = *at(r, m);
            *at(r, m) = *at(r, m - 1);
            *at(r, m - 1) = e;
        }
    for (int k = i; k <= last; k++)
        at(r, k)->seq = seq++;
}

/* Appends info with its packet `own` (owned already), numbered. Returns 0, or NOMEM. */
static int append(Ring *r, const RingEntry *info, AVPacket *own)
{
    if (r->count == r->capacity && grow(r) < 0)
        return EVCLIP_ERR_NOMEM;
    RingEntry *e = at(r, r->count);
    *e = *info;
    e->pkt = own;
    e->seq = r->next_seq++;
    r->count++;
    r->bytes += own->size;
    return 0;
}

/* Drops the n oldest waiting audio packets. */
static void drop_waiting(Ring *r, int n)
{
    if (!n)
        return;
    for (int i = 0; i < n; i++)
        av_packet_free(&r->waiting[i].pkt);
    memmove(r->waiting, r->waiting + n, sizeof(*r->waiting) * (size_t)(r->nwaiting - n));
    r->nwaiting -= n;
    r->evicted += n;
}

#define WAIT_SECONDS 1.0 /* audio kept while waiting for a keyframe... */
#define WAIT_MAX 1024    /* ...and at most this many packets (timestamps may not advance) */

/* Keeps audio that came while the ring waits for a keyframe (its last WAIT_SECONDS): what of
 * it plays from the keyframe on follows the keyframe in the ring. Returns 0, or NOMEM. */
static int wait_audio(Ring *r, AVPacket *pkt, const RingEntry *info)
{
    int old = r->nwaiting >= WAIT_MAX ? r->nwaiting - WAIT_MAX + 1 : 0;
    while (old < r->nwaiting && r->waiting[old].wallclock < info->wallclock - WAIT_SECONDS)
        old++;
    drop_waiting(r, old);
    if (r->nwaiting == r->capwaiting) {
        int cap = r->capwaiting ? r->capwaiting * 2 : 64;
        RingEntry *p = realloc(r->waiting, sizeof(*p) * (size_t)cap);
        if (!p)
            return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
        r->waiting = p;
        r->capwaiting = cap;
    }
    AVPacket *own = av_packet_alloc();
    if (!own)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    av_packet_move_ref(own, pkt);
    r->waiting[r->nwaiting] = *info;
    r->waiting[r->nwaiting++].pkt = own;
    return 0;
}

/* The awaited keyframe (wall clock t) is in: the waiting audio that plays from it on follows
 * it, the rest is dropped. Returns 0, or NOMEM. */
static int place_waiting(Ring *r, double t)
{
    int before = 0, ret = 0;
    while (before < r->nwaiting && r->waiting[before].wallclock < t)
        before++;
    drop_waiting(r, before);
    for (int i = 0; i < r->nwaiting; i++) {
        if (ret >= 0 && (ret = append(r, &r->waiting[i], r->waiting[i].pkt)) >= 0)
            continue; /* the ring holds it now */
        av_packet_free(&r->waiting[i].pkt); /* after a failure: dropped */
        r->evicted++;
    }
    r->nwaiting = 0;
    return ret;
}

int ring_push(Ring *r, AVPacket *pkt, const RingEntry *info)
{
    int key = info->video && info->key;
    if (r->need_key && !key) {
        if (!info->video)
            return wait_audio(r, pkt, info);
        av_packet_unref(pkt);
        r->evicted++;
        return 0;
    }
    r->need_key = 0;
    AVPacket *own = av_packet_alloc();
    if (!own)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    av_packet_move_ref(own, pkt);
    if (append(r, info, own) < 0) {
        av_packet_free(&own);
        return EVCLIP_ERR_NOMEM;
    }
    int ret = 0;
    if (key) {
        key_first(r);
        ret = place_waiting(r, info->wallclock);
    }
    evict(r);
    return ret < 0 ? ret : 1;
}

int ring_find_start(const Ring *r, double t)
{
    int found = r->count ? 0 : -1;
    for (int i = 0; i < r->count; i++) {
        const RingEntry *e = at(r, i);
        if (e->wallclock > t)
            break;
        if (e->video && e->key)
            found = i;
    }
    return found;
}

RingEntry *ring_entry(Ring *r, int i)
{
    return at(r, i);
}

double ring_span(const Ring *r)
{
    return r->count ? at(r, r->count - 1)->wallclock - at(r, 0)->wallclock : 0;
}

void ring_clear(Ring *r)
{
    if (r->count)
        drop_front(r, r->count);
    drop_waiting(r, r->nwaiting);
    r->need_key = 1;
}

void ring_free(Ring *r)
{
    ring_clear(r);
    free(r->items);
    r->items = NULL;
    free(r->waiting);
    r->waiting = NULL;
    r->capwaiting = 0;
    r->capacity = 0;
}
