/* lib.c: public entry points: version, default settings, renderer open/close and cancel. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "src/error.h"
#include "src/manifest.h"
#include "src/renderer.h"

const char *evclip_version(void)
{
#define STR2(x) #x
#define STR(x) STR2(x)
    return STR(EVCLIP_VERSION_MAJOR) "." STR(EVCLIP_VERSION_MINOR) "." STR(EVCLIP_VERSION_PATCH);
}

void evclip_default_settings(EvclipSettings *s)
{
    memset(s, 0, sizeof(*s));
    s->log_level = EVCLIP_LOG_INFO;
    s->encoder = "libx264";
    s->preset = "veryfast";
    s->crf = 23;
    s->audio = 1;
    s->manifest = 1;
    s->embed_detections = 1;
}

static int copy_string(char **dst, const char **field)
{
    if (!*field)
        return 0;
    *dst = strdup(*field);
    if (!*dst)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory copying settings");
    *field = *dst;
    return 0;
}

static int validate(const EvclipSettings *s)
{
    if (!s->encoder || !*s->encoder)
        return ev_error(EVCLIP_ERR_INVALID, "settings: encoder name is empty");
    if (s->crf < 0 || s->crf > 51)
        return ev_error(EVCLIP_ERR_INVALID, "settings: crf %d is outside 0..51", s->crf);
    if (s->bitrate < 0)
        return ev_error(EVCLIP_ERR_INVALID, "settings: bitrate must be >= 0");
    if (!(s->hold >= 0) || !isfinite(s->hold))
        return ev_error(EVCLIP_ERR_INVALID, "settings: hold must be a finite number >= 0");
    if (s->thickness < 0 || s->thickness > 256)
        return ev_error(EVCLIP_ERR_INVALID, "settings: thickness %d is outside 0..256",
                        s->thickness);
    if (s->font_size < 0 || s->font_size > 512)
        return ev_error(EVCLIP_ERR_INVALID, "settings: font size %d is outside 0..512",
                        s->font_size);
    if (s->threads < 0 || s->threads > 256)
        return ev_error(EVCLIP_ERR_INVALID, "settings: threads %d is outside 0..256",
                        s->threads);
    if (s->box_space != EVCLIP_BOX_DISPLAY && s->box_space != EVCLIP_BOX_STORED)
        return ev_error(EVCLIP_ERR_INVALID, "settings: box_space %d is not EVCLIP_BOX_DISPLAY "
                        "(0) or EVCLIP_BOX_STORED (1)", s->box_space);
    if (s->manifest && s->sign_key)
        return manifest_check_key(s->sign_key);
    return 0;
}

int evclip_open(EvclipRenderer **out, const EvclipSettings *settings)
{
    EvclipSettings defaults;
    int ret;

    ev_error_clear();
    if (!out)
        return ev_error(EVCLIP_ERR_INVALID, "evclip_open: out is NULL");
    *out = NULL;
    if (!settings) {
        evclip_default_settings(&defaults);
        settings = &defaults;
    }
    if ((ret = validate(settings)) < 0)
        return ret;
    EvclipRenderer *r = calloc(1, sizeof(*r));
    if (!r)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    r->settings = *settings;
    if ((ret = copy_string(&r->encoder, &r->settings.encoder)) < 0 ||
        (ret = copy_string(&r->preset, &r->settings.preset)) < 0 ||
        (ret = copy_string(&r->font, &r->settings.font)) < 0 ||
        (ret = copy_string(&r->title, &r->settings.title)) < 0 ||
        (ret = copy_string(&r->sign_key, &r->settings.sign_key)) < 0) {
        evclip_close(&r);
        return ret;
    }
    r->log = (Logger){ settings->log_callback, settings->log_opaque, settings->log_level };
    atomic_init(&r->cancel, 0);
    pthread_mutex_init(&r->stats_lock, NULL);
    *out = r;
    return 0;
}

void evclip_close(EvclipRenderer **pr)
{
    if (!pr || !*pr)
        return;
    EvclipRenderer *r = *pr;
    ev_log_release(&r->log);
    pthread_mutex_destroy(&r->stats_lock);
    free(r->encoder);
    free(r->preset);
    free(r->font);
    free(r->title);
    free(r->sign_key);
    free(r);
    *pr = NULL;
}

void evclip_cancel(EvclipRenderer *r)
{
    if (r)
        atomic_store(&r->cancel, 1);
}

void evclip_reset_cancel(EvclipRenderer *r)
{
    if (r)
        atomic_store(&r->cancel, 0);
}

int renderer_cancelled(EvclipRenderer *r)
{
    return atomic_load(&r->cancel) != 0;
}

void renderer_count(EvclipRenderer *r, int64_t sources, int64_t frames, int64_t seeks,
                    int64_t clips)
{
    pthread_mutex_lock(&r->stats_lock);
    r->stats.sources_opened += sources;
    r->stats.frames_decoded += frames;
    r->stats.seeks += seeks;
    r->stats.clips_rendered += clips;
    pthread_mutex_unlock(&r->stats_lock);
}

void evclip_get_stats(const EvclipRenderer *r, EvclipStats *stats)
{
    EvclipRenderer *m = (EvclipRenderer *)r;
    memset(stats, 0, sizeof(*stats));
    if (!r)
        return;
    pthread_mutex_lock(&m->stats_lock);
    *stats = r->stats;
    pthread_mutex_unlock(&m->stats_lock);
}
