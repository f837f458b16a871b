/* live.h: live mode internals shared with the unit tests (clock mapping, reconnect backoff). */
#ifndef EVCLIP_SRC_LIVE_H
#define EVCLIP_SRC_LIVE_H

#include <stdint.h>

/* Delay before reconnect attempt `attempt` (1 = first retry): min * 2^(attempt-1), capped at
 * max, times a jitter factor in [0.75, 1.25] taken from `unit_random` in [0, 1). */
double live_backoff(int attempt, double min, double max, double unit_random);

/*
 * Wall clock of a stream, in seconds. A stream's packets are put on one continuous timeline
 * whose time t maps to wall-clock epoch seconds `base + t`. `rtcp` is the server's mapping
 * (wall clock of stream time 0) or NAN when the server sends no sender report.
 */
typedef struct LiveClock {
    double base;      /* epoch seconds of timeline 0 */
    double offset;    /* timeline seconds = stream seconds + offset (current connection) */
    int anchored;     /* offset valid for the current connection */
    int rtcp;         /* 1 when the current offset comes from RTCP */
} LiveClock;

/* Maps stream seconds `t` of a packet that arrived at epoch `now` to timeline seconds *out.
 * With `rtcp_zero` (epoch seconds of stream time 0 by the server's sender reports; NAN when
 * unknown or given up) the mapping is the server's. Else it is anchored at arrival and only
 * moves earlier when a packet arrives sooner than it predicts (start-up bursts), or later when
 * a packet is more than `tolerance` seconds late (a pause). Returns 0 when unchanged; 1 when
 * the mapping was set or became the server's, 2 when it was refined (both: re-stamp what this
 * connection stored); 3 when it jumped (a pause or RTCP given up: what was stored stays). */
int live_clock_map(LiveClock *c, double t, double now, double rtcp_zero, double tolerance,
                   double *out);

#endif /* EVCLIP_SRC_LIVE_H */
