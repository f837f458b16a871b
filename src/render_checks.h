/* render_checks.h: checks a render makes before any work (render_checks.c). */
#ifndef EVCLIP_SRC_RENDER_CHECKS_H
#define EVCLIP_SRC_RENDER_CHECKS_H

#include "evclip/evclip.h"
#include "src/log.h"

/* The clip's outputs (clip, manifest, poster, native copies) never replace an input (video,
 * detection log, redaction log), whatever `overwrite` says; an existing native copy needs
 * overwrite. Returns 0 or OUTPUT/INVALID/NOMEM with the reason in the error message. */
int render_check_outputs(const EvclipClip *clip, const EvclipSettings *s);

/* With a manifest, every detection log must be a regular file (its bytes are hashed into the
 * manifest): 0, or INPUT naming the log. */
int render_check_logs_certifiable(const EvclipClip *clip);

/* Removes temp files that killed runs left beside the output (mux_clean_stale). */
void render_clean_stale(const char *output, const Logger *log);

#endif /* EVCLIP_SRC_RENDER_CHECKS_H */
