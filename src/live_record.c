/* live_record.c: recording control of live mode: stop an open-ended recording, remove a
 * stream at runtime (its clips finished first), list the streams. */
#include "src/live_internal.h"

/* The open-ended recording of st with this id that has not been stopped (st->lock held). */
static LiveClip *open_recording(Stream *st, const char *id)
{
    for (LiveClip *j = st->recording; j; j = j->next)
        if (j->open_ended && !j->stopped && !j->reached && j->id && !strcmp(j->id, id))
            return j;
    return NULL;
}

int evclip_live_stop(EvclipLive *l, const char *stream, const char *id, double post)
{
    ev_error_clear();
    if (!id || !*id || !(post >= 0 && post <= 3600))
        return ev_error(EVCLIP_ERR_INVALID, "stop on '%s': an id and a post-roll in [0, 3600] "
                        "s are required", stream ? stream : "(null)");
    Stream *st = live_stream_get(l, stream);
    if (!st)
        return EVCLIP_ERR_INVALID;
    EvclipLiveEvent ev = { 0 };
    char path[4096];
    int ret = 0;
    pthread_mutex_lock(&st->lock);
    LiveClip *j = open_recording(st, id);
    if (!j) {
        ret = ev_error(EVCLIP_ERR_INVALID, "stop on '%s': no open recording '%s' (never "
                       "started, stopped already, or ended at its max duration)", st->name, id);
    } else {
        j->stopped = 1;
        j->end = fmin(j->end, live_wall_now() + post);
        snprintf(path, sizeof(path), "%s", j->output);
        ev = (EvclipLiveEvent){ .type = EVCLIP_LIVE_CLIP_EXTENDED, .stream = st->name,
                                .clip_id = id, .path = path, .clock = j->clock,
                                .start = j->start, .end = j->end, .message = "stopped",
                                .pre_requested = j->pre_asked };
        snprintf(j->note, sizeof(j->note), "stopped after %.2f s", j->end - j->start);
        live_clip_start(j); /* encodes while its post-roll records */
    }
    pthread_mutex_unlock(&st->lock);
    if (j)
        live_emit(l, &ev);
    live_stream_put(st);
    return ret;
}

/* 1 while a clip of st is queued or being encoded (l->lock held). */
static int clips_pending(EvclipLive *l, Stream *st)
{
    for (LiveClip *j = l->handed; j; j = j->next_handed)
        if (j->st == st)
            return 1;
    return 0;
}

int evclip_live_remove_stream(EvclipLive *l, const char *stream)
{
    ev_error_clear();
    Stream *st = live_stream_get(l, stream);
    if (!st)
        return EVCLIP_ERR_INVALID;
    if (atomic_exchange(&st->removing, 1)) {
        live_stream_put(st);
        return ev_error(EVCLIP_ERR_INVALID, "stream '%s' is being removed already", stream);
    }
    /* The reader stops (its interrupt callback fires); what it recorded is finished. */
    pthread_join(st->thread, NULL);
    st->started = 0;
    live_hand_over(st, 1, "stream removed");
    pthread_mutex_lock(&l->pass_lock); /* no pass over the streams holds it now */
    pthread_mutex_lock(&l->lock);
    for (int i = 0; i < l->nstreams; i++)
        if (l->streams[i] == st) {
            memmove(&l->streams[i], &l->streams[i + 1],
                    sizeof(*l->streams) * (l->nstreams - i - 1));
            l->nstreams--;
            break;
        }
    pthread_mutex_unlock(&l->pass_lock);
    st->refs--; /* ours */
    while (st->refs > 0) /* a trigger that found it before it was unlinked */
        pthread_cond_wait(&l->cond, &l->lock);
    pthread_mutex_unlock(&l->lock);
    live_hand_over(st, 1, "stream removed"); /* what such a trigger started */
    pthread_mutex_lock(&l->lock);
    while (clips_pending(l, st))
        pthread_cond_wait(&l->cond, &l->lock);
    pthread_mutex_unlock(&l->lock);
    live_emit_stream(st, EVCLIP_LIVE_STREAM_REMOVED, NULL, NULL);
    live_stream_free(st);
    return 0;
}

#define LIST_MAX_IDS 256

/* Emits one LIST event per stream: its stats and state, URL (without credentials) and the
 * ids of its clips recording. */
void live_list(EvclipLive *l)
{
    pthread_mutex_lock(&l->pass_lock);
    pthread_mutex_lock(&l->lock);
    int n = l->nstreams;
    pthread_mutex_unlock(&l->lock);
    for (int i = 0; i < n; i++) {
        pthread_mutex_lock(&l->lock);
        Stream *st = l->streams[i];
        pthread_mutex_unlock(&l->lock);
        EvclipStreamStats s;
        char url[4096];
        char *ids[LIST_MAX_IDS];
        int nids = 0;
        live_stream_stats(st, &s);
        manifest_strip_credentials(st->url, url, sizeof(url));
        pthread_mutex_lock(&st->lock); /* copies: the callback runs without it */
        for (LiveClip *j = st->recording; j && nids < LIST_MAX_IDS; j = j->next)
            if ((ids[nids] = strdup(j->id ? j->id : "")))
                nids++;
        pthread_mutex_unlock(&st->lock);
        EvclipLiveEvent ev = { .type = EVCLIP_LIVE_LIST, .stream = st->name, .stats = &s,
                               .clock = *s.clock ? s.clock : NULL, .path = url,
                               .trigger_ids = (const char *const *)ids,
                               .nb_trigger_ids = nids };
        live_emit(l, &ev);
        while (nids--)
            free(ids[nids]);
    }
    pthread_mutex_unlock(&l->pass_lock);
}
