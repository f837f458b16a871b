/* preset.c: encoder presets: x264-scale names translated per encoder, validated with a list. */
#include <string.h>

#include <libavutil/opt.h>

#include "src/error.h"
#include "src/preset.h"

#define NB_X264 (sizeof(x264_presets) / sizeof(x264_presets[0]))

/* x264.h's x264_preset_names (also libx265's), fastest first; the two tables below give the
 * same tier on NVENC's and QSV's scales. */
static const char *const x264_presets[] = {
    "ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower",
    "veryslow", "placebo",
};
static const char *const nvenc_scale[] = {
    "p1", "p1", "p2", "p3", "p3", "p4", "p5", "p6", "p7", "p7",
};
static const char *const qsv_scale[] = {
    "veryfast", "veryfast", "veryfast", "faster", "fast", "medium", "slow", "slower",
    "veryslow", "veryslow",
};

static const AVOption *find_preset(const AVCodec *codec)
{
    if (!codec->priv_class)
        return NULL;
    const AVClass *cls = codec->priv_class;
    return av_opt_find2(&cls, "preset", NULL, 0, AV_OPT_SEARCH_FAKE_OBJ, NULL);
}

/* Calls fn(name, opaque) for each named constant of the preset option; stops when fn
 * returns non-zero and returns that value. */
static int each_constant(const AVCodec *codec, const AVOption *preset,
                         int (*fn)(const char *, void *), void *opaque)
{
    const AVClass *cls = codec->priv_class;
    const AVOption *o = NULL;
    if (!preset->unit)
        return 0;
    while ((o = av_opt_next(&cls, o))) {
        if (o->type == AV_OPT_TYPE_CONST && o->unit && !strcmp(o->unit, preset->unit)) {
            int ret = fn(o->name, opaque);
            if (ret)
                return ret;
        }
    }
    return 0;
}

static int count_one(const char *name, void *opaque)
{
    (void)name;
    ++*(int *)opaque;
    return 0;
}

static int is_name(const char *name, void *opaque)
{
    return !strcmp(name, (const char *)opaque);
}

typedef struct ListBuf {
    char *buf;
    size_t size, len;
} ListBuf;

static int append(const char *name, void *opaque)
{
    ListBuf *l = opaque;
    int n = snprintf(l->buf + l->len, l->size - l->len, "%s%s", l->len ? ", " : "", name);
    if (n > 0)
        l->len = l->len + (size_t)n < l->size ? l->len + (size_t)n : l->size - 1;
    return 0;
}

static int x264_family(const AVCodec *codec)
{
    return !strcmp(codec->name, "libx264") || !strcmp(codec->name, "libx264rgb") ||
           !strcmp(codec->name, "libx265");
}

static int x264_index(const char *name)
{
    for (size_t i = 0; i < NB_X264; i++)
        if (!strcmp(name, x264_presets[i]))
            return (int)i;
    return -1;
}

void preset_list(const AVCodec *codec, char *buf, size_t size)
{
    ListBuf l = { buf, size, 0 };
    const AVOption *preset = find_preset(codec);
    if (!size)
        return;
    buf[0] = '\0';
    if (!preset)
        return;
    if (x264_family(codec)) {
        for (size_t i = 0; i < NB_X264; i++)
            append(x264_presets[i], &l);
        return;
    }
    each_constant(codec, preset, append, &l);
}

static int unknown(const AVCodec *codec, const AVOption *preset, const char *name)
{
    char list[1024];
    preset_list(codec, list, sizeof(list));
    int translated = !x264_family(codec) && preset->unit;
    return ev_error(EVCLIP_ERR_INVALID, "encoder %s: unknown preset '%s'; valid presets: %s%s",
                    codec->name, name, list, translated ? " (or x264's ultrafast..placebo, "
                    "translated)" : "");
}

int preset_resolve(const AVCodec *codec, const char *name, const char **out)
{
    const AVOption *preset = find_preset(codec);
    int nb_constants = 0;
    *out = NULL;
    if (!name || !preset)
        return 0;
    if (x264_family(codec)) {
        if (x264_index(name) < 0)
            return unknown(codec, preset, name);
        *out = name;
        return 0;
    }
    each_constant(codec, preset, count_one, &nb_constants);
    if (nb_constants == 0) {
        *out = name; /* free-form (or numeric) preset of an encoder evclip does not know */
        return 0;
    }
    /* x264 names first: NVENC also has legacy "fast"/"slow" presets on another scale. */
    int tier = x264_index(name);
    if (tier >= 0 && each_constant(codec, preset, is_name, (void *)nvenc_scale[tier]))
        *out = nvenc_scale[tier];
    else if (tier >= 0 && each_constant(codec, preset, is_name, (void *)qsv_scale[tier]))
        *out = qsv_scale[tier];
    else if (each_constant(codec, preset, is_name, (void *)name))
        *out = name;
    return *out ? 0 : unknown(codec, preset, name);
}
