/* test_ring.c: unit tests of the live packet ring (bounds, GOP alignment), clock and backoff. */
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <libavcodec/packet.h>

#include "evclip/evclip.h"
#include "src/live.h"
#include "src/ring.h"
#include "tests/unit/check.h"

/* Pushes a packet of `size` bytes. */
static int push(Ring *r, double wall, int video, int key, int size)
{
    AVPacket *p = av_packet_alloc();
    CHECK(p && av_new_packet(p, size) == 0);
    memset(p->data, 0, size);
    RingEntry info = { .wallclock = wall, .video = video, .key = key };
    int ret = ring_push(r, p, &info);
    CHECK(p->size == 0); /* the reference was taken over (or dropped) */
    av_packet_free(&p);
    return ret;
}

/* 30 fps video, keyframe every 30 frames, audio every 1/50 s (interleaved). */
static void feed(Ring *r, double from, double to, int vsize)
{
    int n0 = (int)llround(from * 30), n1 = (int)llround(to * 30);
    for (int n = n0; n < n1; n++) {
        double t = n / 30.0;
        CHECK(push(r, t, 1, n % 30 == 0, n % 30 == 0 ? vsize * 4 : vsize) >= 0);
        CHECK(push(r, t + 0.001, 0, 0, 200) >= 0);
    }
}

static void check_invariants(const Ring *r)
{
    if (!r->count)
        return;
    const RingEntry *first = ring_get(r, 0);
    CHECK(first->video && first->key);
    size_t bytes = 0;
    for (int i = 0; i < r->count; i++) {
        bytes += ring_get(r, i)->pkt->size;
        if (i)
            CHECK(ring_get(r, i)->seq == ring_get(r, i - 1)->seq + 1);
    }
    CHECK(bytes == r->bytes);
}

static void test_time_bound(void)
{
    Ring r;
    ring_init(&r, 5.0, 1 << 30);
    /* Audio and video before the first keyframe are refused. */
    CHECK(push(&r, -1, 0, 0, 100) == 0);
    CHECK(push(&r, -0.5, 1, 0, 100) == 0);
    CHECK(r.count == 0);
    feed(&r, 0, 20, 1000);
    check_invariants(&r);
    /* Covers at least 5 s, at most 5 s + one GOP (1 s). */
    CHECK(ring_span(&r) >= 5.0 - 1.0 / 30);
    CHECK(ring_span(&r) <= 6.0 + 0.01);
    /* Start lookup: latest keyframe at or before t. */
    int i = ring_find_start(&r, 17.5);
    CHECK(i >= 0 && fabs(ring_get(&r, i)->wallclock - 17.0) < 1e-9);
    i = ring_find_start(&r, 18.0);
    CHECK(fabs(ring_get(&r, i)->wallclock - 18.0) < 1e-9);
    /* Older than the ring: its first keyframe. */
    CHECK(ring_find_start(&r, 0) == 0);
    ring_free(&r);
}

static void test_byte_bound(void)
{
    Ring r;
    ring_init(&r, 30.0, 200000);
    feed(&r, 0, 30, 1000); /* ~ 41 kB per second */
    check_invariants(&r);
    CHECK(r.bytes <= 200000);
    CHECK(ring_span(&r) > 3.0);
    /* One GOP larger than the bound: the ring empties and waits for a keyframe. */
    ring_free(&r);
    ring_init(&r, 30.0, 5000);
    feed(&r, 0, 1.5, 1000);
    CHECK(r.bytes <= 5000);
    check_invariants(&r);
    CHECK(push(&r, 2.0, 1, 0, 10) == 0 || r.count > 0);
    ring_clear(&r);
    CHECK(push(&r, 2.1, 0, 0, 10) == 0 && r.nwaiting == 1); /* audio waits for a keyframe */
    for (int i = 0; i < 5000; i++) /* a stuck audio clock: the wait is bounded in packets */
        CHECK(push(&r, 2.1, 0, 0, 10) == 0 && r.nwaiting <= 1024);
    ring_clear(&r);
    CHECK(r.count == 0 && r.bytes == 0 && r.need_key && r.nwaiting == 0);
    ring_free(&r);
    ring_free(&r); /* twice is harmless */
}

/* Audio arriving ahead of the video (by 0.1 s here): what plays from a keyframe on follows the
 * keyframe in the ring, so a clip starting at the keyframe and the ring after evicting the GOP
 * before it hold it; the audio of before the keyframe stays before it. Audio that came before
 * the ring's first keyframe waits for it (its last second) the same way. */
static void test_audio_ahead(void)
{
    Ring r;
    ring_init(&r, 2.0, 1 << 30);
    CHECK(push(&r, -5, 0, 0, 200) == 0); /* waits, dropped when the next is a second newer */
    for (int a = -10; a < 0; a++)
        CHECK(push(&r, (a + 5) / 50.0, 0, 0, 200) == 0);
    CHECK(r.count == 0 && r.nwaiting == 10 && r.evicted == 1);
    for (int n = 0; n < 150; n++) { /* 30 fps, keyframe each second; audio each 1/50 s */
        for (int a = (int)ceil(n * 50 / 30.0); a < (int)ceil((n + 1) * 50 / 30.0); a++)
            CHECK(push(&r, (a + 5) / 50.0, 0, 0, 200) >= 0);
        CHECK(push(&r, n / 30.0, 1, n % 30 == 0, 1000) >= 0);
        if (n == 0) { /* the first keyframe, then the audio of 0.0 to 0.12 that came before */
            CHECK(r.count == 8 && r.nwaiting == 0 && r.evicted == 6);
            for (int i = 0; i < r.count; i++)
                CHECK(!ring_get(&r, i)->video == (i > 0) &&
                      fabs(ring_get(&r, i)->wallclock - (i ? (i - 1) / 50.0 : 0)) < 1e-9);
            check_invariants(&r);
        }
    }
    check_invariants(&r); /* starts on a keyframe, seq increasing */
    int k = ring_find_start(&r, 3.5);
    const RingEntry *key = ring_get(&r, k);
    CHECK(key->video && key->key && fabs(key->wallclock - 3.0) < 1e-9);
    double first_audio = INFINITY;
    for (int i = k + 1; i < r.count; i++)
        if (!ring_get(&r, i)->video)
            first_audio = fmin(first_audio, ring_get(&r, i)->wallclock);
    CHECK(fabs(first_audio - 3.0) < 1e-9); /* the audio at 3.0 (pushed before it) follows it */
    for (int i = 0; i < k; i++)
        CHECK(ring_get(&r, i)->wallclock < 3.0);
    /* evicted up to a keyframe: its audio kept */
    CHECK(ring_get(&r, 0)->wallclock > 0 && !ring_get(&r, 1)->video &&
          ring_get(&r, 1)->wallclock == ring_get(&r, 0)->wallclock);
    ring_free(&r);
}

static void test_backoff(void)
{
    CHECK(fabs(live_backoff(1, 0.5, 30, 0.5) - 0.5) < 1e-9);
    CHECK(fabs(live_backoff(3, 0.5, 30, 0.5) - 2.0) < 1e-9);
    CHECK(fabs(live_backoff(20, 0.5, 30, 0.5) - 30) < 1e-9);
    CHECK(live_backoff(2, 0.5, 30, 0.0) >= 0.75 * 1.0 - 1e-9);
    CHECK(live_backoff(2, 0.5, 30, 0.999) <= 1.25 * 1.0);
}

static void test_clock(void)
{
    LiveClock c = { .base = 1000 };
    double T;
    /* Arrival: anchored at the first packet, then advanced by stream time. */
    CHECK(live_clock_map(&c, 5.0, 1000.0, NAN, 1.0, &T) == 1);
    CHECK(fabs(T - 0) < 1e-9 && !c.rtcp);
    CHECK(live_clock_map(&c, 6.0, 1001.3, NAN, 1.0, &T) == 0);
    CHECK(fabs(T - 1.0) < 1e-9);
    /* A packet sooner than predicted (the first ones came in a burst) refines it earlier. */
    CHECK(live_clock_map(&c, 7.0, 1001.5, NAN, 1.0, &T) == 2);
    CHECK(fabs(T - 1.5) < 1e-9);
    /* More late than the tolerance: a jump. */
    CHECK(live_clock_map(&c, 8.0, 1004.0, NAN, 1.0, &T) == 3);
    CHECK(fabs(T - 4.0) < 1e-9);
    /* RTCP mapping wins once known: wall(t) = rtcp_zero + t. */
    CHECK(live_clock_map(&c, 8.0, 1005.2, 997.0, 1.0, &T) == 1);
    CHECK(c.rtcp && fabs(c.base + T - 1005.0) < 1e-9);
    CHECK(live_clock_map(&c, 9.0, 1009.0, 997.0, 1.0, &T) == 0);
    CHECK(fabs(c.base + T - 1006.0) < 1e-9);
    /* RTCP given up: continues from arrival, without re-stamping. */
    CHECK(live_clock_map(&c, 10.0, 1012.0, NAN, 1.0, &T) == 3);
    CHECK(!c.rtcp && fabs(c.base + T - 1012.0) < 1e-9);
}

typedef struct Seen {
    atomic_int down, reconnecting; /* written by the pool's threads */
} Seen;

static void on_event(void *opaque, const EvclipLiveEvent *ev)
{
    Seen *seen = opaque;
    atomic_fetch_add(&seen->down, ev->type == EVCLIP_LIVE_STREAM_DOWN);
    atomic_fetch_add(&seen->reconnecting, ev->type == EVCLIP_LIVE_RECONNECTING);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The pool's API contract without a live server: validation, a stream that cannot connect
 * (reported, retried with backoff, never blocking close). */
static void test_pool(void)
{
    EvclipSettings s;
    EvclipLiveSettings ls;
    EvclipRenderer *r = NULL;
    EvclipLive *live = NULL;
    Seen seen;
    atomic_init(&seen.down, 0);
    atomic_init(&seen.reconnecting, 0);

    evclip_default_settings(&s);
    CHECK(evclip_open(&r, &s) == 0);
    evclip_live_default_settings(&ls);
    CHECK(ls.pre_roll_max == 30 && ls.workers == 2 && ls.overlap == EVCLIP_OVERLAP_MERGE);
    ls.workers = 0;
    CHECK(evclip_live_open(&live, r, &ls) == EVCLIP_ERR_INVALID && !live);
    evclip_live_default_settings(&ls);
    CHECK(ls.native == 0 && ls.native_only == 0);
    ls.native_only = 2; /* a flag: 0 or 1 */
    CHECK(evclip_live_open(&live, r, &ls) == EVCLIP_ERR_INVALID && !live);
    evclip_live_default_settings(&ls);
    ls.event_callback = on_event;
    ls.event_opaque = &seen;
    ls.backoff_min = 0.05;
    ls.backoff_max = 0.1;
    CHECK(evclip_live_open(&live, r, &ls) == 0 && live);

    EvclipStreamParams p = { .name = "a", .url = "/nonexistent/evclip-test.mp4" };
    CHECK(evclip_live_add_stream(live, &p) == 0);
    CHECK(evclip_live_add_stream(live, &p) == EVCLIP_ERR_INVALID); /* duplicate name */
    EvclipStreamParams bad = { .name = "b" };
    CHECK(evclip_live_add_stream(live, &bad) == EVCLIP_ERR_INVALID);
    EvclipStreamParams flag = { .name = "n", .url = "/nonexistent/evclip-test.mp4", .native = -1 };
    CHECK(evclip_live_add_stream(live, &flag) == EVCLIP_ERR_INVALID);
    CHECK(strstr(evclip_last_error(), "native and native_only are 0 or 1") != NULL);
    CHECK(evclip_live_trigger(live, "zz", 1, 1, "x.mp4", NULL) == EVCLIP_ERR_INVALID);
    CHECK(evclip_live_trigger(live, "a", 1, 1, "", NULL) == EVCLIP_ERR_INVALID);
    CHECK(evclip_live_trigger(live, "a", 1, 1, NULL, NULL) == EVCLIP_ERR_INPUT); /* default
                                                                name; nothing received yet */
    CHECK(evclip_live_start(live, "a", 1, 10, NULL, NULL) == EVCLIP_ERR_INVALID); /* no id */
    CHECK(evclip_live_start(live, "a", 1, 1e6, NULL, "r") == EVCLIP_ERR_INVALID); /* max */
    CHECK(evclip_live_start(live, "zz", 1, 10, NULL, "r") == EVCLIP_ERR_INVALID);
    CHECK(evclip_live_stop(live, "a", "r", 0) == EVCLIP_ERR_INVALID); /* not recording */
    CHECK(strstr(evclip_last_error(), "no open recording 'r'") != NULL);
    CHECK(evclip_live_stop(live, "a", "r", -1) == EVCLIP_ERR_INVALID);
    CHECK(evclip_live_remove_stream(live, "zz") == EVCLIP_ERR_INVALID);
    CHECK(evclip_live_control(live, "{\"type\":\"add_stream\",\"config\":3}") ==
          EVCLIP_ERR_INVALID);
    CHECK(evclip_live_control(live, "{\"type\":\"list\"}") == 0);
    CHECK(evclip_live_trigger(live, "a", 1, 1, "/nonexistent/x.mp4", NULL) ==
          EVCLIP_ERR_INPUT); /* nothing received yet */
    EvclipDetection d = { .x1 = 1, .y1 = 1, .x2 = 5, .y2 = 5, .label = "car" };
    CHECK(evclip_live_add_detections(live, "a", EVCLIP_KEY_WALLCLOCK, 1e9, &d, 1) == 0);
    /* Far-future detections could never be drawn and would never be evicted: refused. */
    CHECK(evclip_live_add_detections(live, "a", EVCLIP_KEY_WALLCLOCK, 1e10, &d, 1) ==
          EVCLIP_ERR_INVALID);
    CHECK(strstr(evclip_last_error(), "ahead of now") != NULL);
    CHECK(evclip_live_add_detections(live, "a", EVCLIP_KEY_PTS, 1, &d, 1) ==
          EVCLIP_ERR_INVALID); /* no timeline yet */
    CHECK(evclip_live_control(live, "{\"type\":\"stats\"}") == 0);
    CHECK(evclip_live_control(live, "{\"type\":\"quit\"}") == EVCLIP_LIVE_QUIT);
    CHECK(evclip_live_control(live, "{\"type\":\"trigger\"}") == EVCLIP_ERR_INVALID);
    CHECK(evclip_live_control(live, "not json") == EVCLIP_ERR_INVALID);
    CHECK(evclip_live_control(live, "{\"type\":\"detections\",\"stream\":\"a\","
                              "\"wallclock\":5,\"detections\":[{\"bbox\":[1],"
                              "\"label\":\"x\"}]}") == EVCLIP_ERR_INVALID);
    CHECK(strstr(evclip_last_error(), "bbox") != NULL);

    EvclipStreamStats st;
    double t0 = now_s();
    while (now_s() - t0 < 5 && atomic_load(&seen.reconnecting) < 2)
        nanosleep(&(struct timespec){ 0, 20000000 }, NULL);
    /* One outage, several retries. */
    CHECK(atomic_load(&seen.down) == 1 && atomic_load(&seen.reconnecting) >= 2);
    CHECK(evclip_live_get_stream_stats(live, "a", &st) == 0 && !st.connected &&
          st.packets == 0);
    /* Removing a stream that retries: its reader stops at once, the name is free again. */
    t0 = now_s();
    CHECK(evclip_live_remove_stream(live, "a") == 0 && now_s() - t0 < 2);
    CHECK(evclip_live_get_stream_stats(live, "a", &st) == EVCLIP_ERR_INVALID);
    CHECK(evclip_live_add_stream(live, &p) == 0);
    t0 = now_s();
    evclip_live_close(&live);
    CHECK(!live && now_s() - t0 < 2);
    evclip_live_close(&live);
    evclip_close(&r);
}

int main(void)
{
    test_time_bound();
    test_byte_bound();
    test_audio_ahead();
    test_backoff();
    test_clock();
    test_pool();
    return test_summary();
}
