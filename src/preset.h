/* preset.h: encoder presets: x264-scale names translated per encoder, validated with a list. */
#ifndef EVCLIP_SRC_PRESET_H
#define EVCLIP_SRC_PRESET_H

#include <stddef.h>

#include <libavcodec/avcodec.h>

/* Resolves the preset `name` (may be NULL: nothing to set) for `codec` into *out:
 * - NULL when the encoder has no preset option (e.g. h264_vaapi) or name is NULL;
 * - name itself when the encoder knows it (libx264's and libx265's are checked against x264's
 *   list, ultrafast..placebo; encoders with named presets against their AVOption constants);
 * - the encoder's equivalent of an x264-scale name: NVENC p1 (ultrafast, superfast),
 *   p2 (veryfast), p3 (faster, fast), p4 (medium), p5 (slow), p6 (slower), p7 (veryslow,
 *   placebo); QSV veryfast..veryslow (ends clamped).
 * Returns 0, or EVCLIP_ERR_INVALID (error text lists the encoder's valid presets). Encoders
 * whose preset is a free-form string evclip does not know pass name through unchecked. */
int preset_resolve(const AVCodec *codec, const char *name, const char **out);

/* Writes the encoder's valid preset names, ", "-separated, into buf (empty when it takes
 * free-form strings or has no preset option). */
void preset_list(const AVCodec *codec, char *buf, size_t size);

#endif /* EVCLIP_SRC_PRESET_H */
