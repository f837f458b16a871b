/* cli_events.h: `evclip events` internals: detections grouped into events (cli_events_group.c)
 * and output names from a pattern (cli_events_pattern.c). */
#ifndef EVCLIP_TOOLS_CLI_EVENTS_H
#define EVCLIP_TOOLS_CLI_EVENTS_H

#include <stddef.h>
#include <stdint.h>

typedef struct LabelCount {
    char *label;
    int64_t count;
} LabelCount;

/* One event: detections on the joined timeline of all inputs (seconds). */
typedef struct Event {
    double first, last;    /* times of its first and last detection */
    int64_t boxes;         /* detections */
    int64_t track;         /* --per-track: its track id; else -1 */
    int first_source, last_source; /* inputs its detections come from */
    int64_t index;         /* 1-based, in order of creation */
    LabelCount *labels;    /* in order of first appearance */
    int nb_labels;
} Event;

/* Returned by grouper_add for a detection earlier than the gap allows (log not in time
 * order). */
#define GROUPER_UNORDERED (-2)

typedef struct Grouper {
    double gap;            /* detections closer than this join one event */
    double min_duration;   /* shorter events are dropped */
    double frame_pad;      /* display time of one detection (a frame period) */
    int64_t min_boxes;     /* events with fewer detections are dropped */
    int per_track;         /* one event per track id (untracked detections ignored) */
    int (*emit)(void *opaque, const Event *e); /* < 0 stops with that error */
    void *opaque;

    double latest;         /* latest detection time seen (-INFINITY at first) */
    Event *open;
    int nb_open;
    int64_t count, dropped, untracked;
} Grouper;

/* Adds one detection at joined time t. Returns 0, GROUPER_UNORDERED, -1 (out of memory) or
 * the emit callback's error. */
int grouper_add(Grouper *g, double t, const char *label, int64_t track, int source);
/* Closes every open event (in order of their first detection). */
int grouper_finish(Grouper *g);
void grouper_free(Grouper *g);

/* The event's most frequent label (ties: the first seen). */
const char *event_label(const Event *e);

/* Values a pattern may name. */
typedef struct PatternValues {
    const char *source;    /* the first input's base name without extension */
    const char *label;
    double start, end, duration;
    int64_t index, track, part;
} PatternValues;

/* Expands `pattern` ({source}, {label}, {start}, {end}, {duration}, {index}, {track},
 * {part}, each with an optional printf-like spec after ':' as in Python: {start:08.2f},
 * {index:04d}; "{{" and "}}" are braces) into out. Text values are made file-name safe
 * (anything but ASCII letters, digits, '-' and '_' becomes '_'). Returns 0, or -1
 * with a message in err. */
int pattern_expand(const char *pattern, const PatternValues *v, char *out, size_t size,
                   char *err, size_t errlen);

#endif /* EVCLIP_TOOLS_CLI_EVENTS_H */
