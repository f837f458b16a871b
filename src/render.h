/* render.h: offline rendering of one clip from a recorded source. */
#ifndef EVCLIP_SRC_RENDER_H
#define EVCLIP_SRC_RENDER_H

#include "src/renderer.h"

/* Checks a clip's arguments (sources, windows, rolls, output) before any I/O.
 * Returns 0 or INVALID / WINDOW / UNSUPPORTED with a detail message. */
int render_check_clip(const EvclipClip *clip);

#endif /* EVCLIP_SRC_RENDER_H */
