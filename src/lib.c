/* lib.c: public entry points: version, default settings, renderer open/close and cancel. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "src/error.h"
#include "src/redact.h"
#include "src/renderer.h"
#include "src/settings.h"

const char *evclip_version(void)
{
#define STR2(x) #x
#define STR(x) STR2(x)
    return STR(EVCLIP_VERSION_MAJOR) "." STR(EVCLIP_VERSION_MINOR) "." STR(EVCLIP_VERSION_PATCH);
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
    if ((ret = settings_validate(settings)) < 0)
        return ret;
    EvclipRenderer *r = calloc(1, sizeof(*r));
    if (!r)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    r->settings = *settings;
    if ((ret = copy_string(&r->encoder, &r->settings.encoder)) < 0 ||
        (ret = copy_string(&r->preset, &r->settings.preset)) < 0 ||
        (ret = copy_string(&r->font, &r->settings.font)) < 0 ||
        (ret = copy_string(&r->title, &r->settings.title)) < 0 ||
        (ret = copy_string(&r->sign_key, &r->settings.sign_key)) < 0 ||
        (ret = copy_string(&r->worker, &r->settings.worker)) < 0 ||
        (ret = redact_options_copy(&r->draw_options, settings->draw_options)) < 0) {
        evclip_close(&r);
        return ret;
    }
    r->settings.draw_options = r->draw_options;
    r->log = (Logger){ settings->log_callback, settings->log_opaque, settings->log_level,
                      settings->ffmpeg_log != 0 };
    atomic_init(&r->cancel, 0);
    *out = r;
    return 0;
}

void evclip_close(EvclipRenderer **pr)
{
    if (!pr || !*pr)
        return;
    EvclipRenderer *r = *pr;
    ev_log_release(&r->log);
    free(r->encoder);
    free(r->preset);
    free(r->font);
    free(r->title);
    free(r->sign_key);
    free(r->worker);
    redact_options_free(&r->draw_options);
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
    atomic_fetch_add(&r->sources_opened, sources);
    atomic_fetch_add(&r->frames_decoded, frames);
    atomic_fetch_add(&r->seeks, seeks);
    atomic_fetch_add(&r->clips_rendered, clips);
}

void evclip_get_stats(const EvclipRenderer *r, EvclipStats *stats)
{
    if (!stats)
        return;
    memset(stats, 0, sizeof(*stats));
    if (!r)
        return;
    stats->sources_opened = atomic_load(&r->sources_opened);
    stats->frames_decoded = atomic_load(&r->frames_decoded);
    stats->seeks = atomic_load(&r->seeks);
    stats->clips_rendered = atomic_load(&r->clips_rendered);
}
