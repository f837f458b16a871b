/* settings.c: renderer settings: defaults and the one validation every front end relies on. */
#include <math.h>
#include <string.h>

#include "src/error.h"
#include "src/manifest.h"
#include "src/redact.h"
#include "src/settings.h"
#include "src/tz.h"

void evclip_default_settings(EvclipSettings *s)
{
    if (!s)
        return;
    memset(s, 0, sizeof(*s));
    s->struct_size = sizeof(*s);
    s->log_level = EVCLIP_LOG_INFO;
    s->encoder = "libx264";
    s->preset = "veryfast";
    s->crf = 23;
    s->audio = 1;
    s->manifest = 1;
    s->embed_detections = 1;
}

int settings_check_size(size_t struct_size, size_t expected, const char *name)
{
    if (struct_size == expected)
        return 0;
    return ev_error(EVCLIP_ERR_INVALID, "%s.struct_size is %zu, this libevclip (API %d.%d.%d) "
                    "expects %zu: fill it with its default function and rebuild against "
                    "this evclip.h", name, struct_size, EVCLIP_API_VERSION_MAJOR,
                    EVCLIP_API_VERSION_MINOR, EVCLIP_API_VERSION_PATCH, expected);
}

int settings_check_reserved(const uint8_t *reserved, size_t size, const char *name)
{
    for (size_t i = 0; i < size; i++)
        if (reserved[i])
            return ev_error(EVCLIP_ERR_INVALID, "%s.reserved[%zu] is %d: reserved bytes must be "
                            "zero (zero-initialise the struct; a later evclip gives them a "
                            "meaning)", name, i, reserved[i]);
    return 0;
}

static int range(const char *field, int64_t v, int64_t lo, int64_t hi, const char *note)
{
    if (v >= lo && v <= hi)
        return 0;
    return ev_error(EVCLIP_ERR_INVALID, "settings: %s %lld is outside %lld..%lld%s", field,
                    (long long)v, (long long)lo, (long long)hi, note);
}

/* Drawing sizes: 0 is "scaled to the frame", else an explicit size in a sane range. */
static int size_range(const char *field, int v, int lo, int hi)
{
    if (v == 0 || (v >= lo && v <= hi))
        return 0;
    return ev_error(EVCLIP_ERR_INVALID, "settings: %s %d is outside %d..%d (0 = scaled to "
                    "the frame height)", field, v, lo, hi);
}

int evclip_settings_validate(const EvclipSettings *s)
{
    ev_error_clear();
    return settings_validate(s);
}

/* The worker name goes into manifests and queue results: short, printable. */
static int check_worker(const char *w)
{
    size_t n = strlen(w);
    if (n == 0 || n > 255)
        return ev_error(EVCLIP_ERR_INVALID, "settings: worker name of %zu bytes is outside "
                        "1..255", n);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)w[i] < 0x20 || w[i] == 0x7f)
            return ev_error(EVCLIP_ERR_INVALID, "settings: worker name has a control "
                            "character at byte %zu", i);
    return 0;
}

int settings_check_timezone(const char *zone, const char *what)
{
    Tz *tz = NULL;
    int ret = zone ? tz_open(&tz, zone) : 0;
    tz_close(&tz);
    return ret < 0 ? ev_error_wrap(ret, "%s", what) : 0;
}

int settings_validate(const EvclipSettings *s)
{
    int ret;
    if (!s)
        return ev_error(EVCLIP_ERR_INVALID, "settings: NULL");
    if ((ret = settings_check_size(s->struct_size, sizeof(*s), "EvclipSettings")) < 0 ||
        (ret = settings_check_reserved(s->reserved, sizeof(s->reserved), "EvclipSettings")) < 0 ||
        (ret = redact_validate(s->draw_options)) < 0 ||
        (ret = settings_check_timezone(s->draw_options ? s->draw_options->timezone : NULL,
                                       "settings: timezone")) < 0)
        return ret;
    if (!s->encoder || !*s->encoder)
        return ev_error(EVCLIP_ERR_INVALID, "settings: encoder name is empty");
    if ((ret = range("crf", s->crf, 0, 51, "")) < 0 ||
        (ret = range("bitrate", s->bitrate, 0, INT64_C(1000000000000), " (0 = use crf)")) < 0 ||
        (ret = range("threads", s->threads, 0, 256, " (0 = automatic)")) < 0 ||
        (ret = range("poster", s->poster, 0, 1, " (0 = none, 1 = OUT.jpg)")) < 0 ||
        (ret = range("native", s->native, 0, 1, " (0 = none, 1 = OUT.native.mp4)")) < 0 ||
        (ret = size_range("thickness", s->thickness, 1, 256)) < 0 ||
        (ret = size_range("font_size", s->font_size, 6, 512)) < 0 ||
        (ret = range("label_max", s->label_max, 0, 65535, " (0 = no limit)")) < 0)
        return ret;
    if (!(s->hold >= 0) || !(s->hold <= 3600))
        return ev_error(EVCLIP_ERR_INVALID, "settings: hold %g s is outside 0..3600 s",
                        s->hold);
    if (s->box_space != EVCLIP_BOX_DISPLAY && s->box_space != EVCLIP_BOX_STORED)
        return ev_error(EVCLIP_ERR_INVALID, "settings: box_space %d is not EVCLIP_BOX_DISPLAY "
                        "(0) or EVCLIP_BOX_STORED (1)", s->box_space);
    if (s->log_level < EVCLIP_LOG_ERROR || s->log_level > EVCLIP_LOG_DEBUG)
        return range("log level", s->log_level, EVCLIP_LOG_ERROR, EVCLIP_LOG_DEBUG, "");
    if (s->worker && (ret = check_worker(s->worker)) < 0)
        return ret;
    if (s->manifest && s->sign_key)
        return manifest_check_key(s->sign_key);
    return 0;
}
