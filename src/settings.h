/* settings.h: renderer settings validation shared by evclip_open, per-clip overrides, live. */
#ifndef EVCLIP_SRC_SETTINGS_H
#define EVCLIP_SRC_SETTINGS_H

#include <stddef.h>

#include "evclip/evclip.h"

/* Refuses a caller's struct_size that is not this library's sizeof: INVALID naming `name`
 * and both sizes. Returns 0 when equal. */
int settings_check_size(size_t struct_size, size_t expected, const char *name);

/* evclip_settings_validate() without clearing the thread's error first (for internal
 * callers: evclip_open, per-clip overrides). */
int settings_validate(const EvclipSettings *s);

#endif /* EVCLIP_SRC_SETTINGS_H */
