/* cli_events_group.c: detections (in time order) grouped into events for `evclip events`:
 * gap joining, per-track keys, label counts; memory bounded by the events open at once. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tools/cli_events.h"

static void event_free(Event *e)
{
    for (int i = 0; i < e->nb_labels; i++)
        free(e->labels[i].label);
    free(e->labels);
    memset(e, 0, sizeof(*e));
}

static int count_label(Event *e, const char *label)
{
    for (int i = 0; i < e->nb_labels; i++)
        if (!strcmp(e->labels[i].label, label)) {
            e->labels[i].count++;
            return 0;
        }
    LabelCount *l = realloc(e->labels, (size_t)(e->nb_labels + 1) * sizeof(*l));
    if (!l)
        return -1;
    e->labels = l;
    if (!(l[e->nb_labels].label = strdup(label)))
        return -1;
    l[e->nb_labels++].count = 1;
    return 0;
}

/* Closes (emits or drops) the open event i. */
static int close_event(Grouper *g, int i)
{
    Event e = g->open[i];
    g->open[i] = g->open[--g->nb_open];
    int ret = 0;
    if (e.boxes >= g->min_boxes && e.last - e.first + g->frame_pad >= g->min_duration)
        ret = g->emit(g->opaque, &e);
    else
        g->dropped++;
    event_free(&e);
    return ret;
}

/* Closes every open event that no detection at time t or later can extend. */
static int sweep(Grouper *g, double t)
{
    for (int i = 0; i < g->nb_open;) {
        if (g->open[i].last + g->gap < t) {
            int ret = close_event(g, i);
            if (ret < 0)
                return ret;
        } else {
            i++;
        }
    }
    return 0;
}

int grouper_add(Grouper *g, double t, const char *label, int64_t track, int source)
{
    if (g->per_track && track < 0) {
        g->untracked++;
        return 0;
    }
    if (t < g->latest - g->gap)
        return GROUPER_UNORDERED;
    if (t > g->latest) {
        g->latest = t;
        int ret = sweep(g, t);
        if (ret < 0)
            return ret;
    }
    int k = 0;
    while (k < g->nb_open && g->per_track && g->open[k].track != track)
        k++;
    if (k == g->nb_open) {
        Event *o = realloc(g->open, (size_t)(g->nb_open + 1) * sizeof(*o));
        if (!o)
            return -1;
        g->open = o;
        o[k] = (Event){ .first = t, .last = t, .track = g->per_track ? track : -1,
                        .first_source = source, .index = ++g->count };
        g->nb_open++;
    }
    Event *e = &g->open[k];
    e->first = fmin(e->first, t);
    e->last = fmax(e->last, t);
    e->first_source = source < e->first_source ? source : e->first_source;
    e->last_source = source > e->last_source ? source : e->last_source;
    e->boxes++;
    return count_label(e, label);
}

int grouper_finish(Grouper *g)
{
    int ret = 0;
    /* Emitted in order of their first detection. */
    while (g->nb_open > 0 && ret >= 0) {
        int best = 0;
        for (int i = 1; i < g->nb_open; i++)
            if (g->open[i].first < g->open[best].first)
                best = i;
        ret = close_event(g, best);
    }
    return ret;
}

void grouper_free(Grouper *g)
{
    for (int i = 0; i < g->nb_open; i++)
        event_free(&g->open[i]);
    free(g->open);
    g->open = NULL;
    g->nb_open = 0;
}

const char *event_label(const Event *e)
{
    int best = 0;
    for (int i = 1; i < e->nb_labels; i++)
        if (e->labels[i].count > e->labels[best].count)
            best = i; /* ties: the label seen first */
    return e->nb_labels ? e->labels[best].label : "";
}
