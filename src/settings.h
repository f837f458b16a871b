/* settings.h: renderer settings validation shared by evclip_open, per-clip overrides, live. */
#ifndef EVCLIP_SRC_SETTINGS_H
#define EVCLIP_SRC_SETTINGS_H

#include <stddef.h>
#include <stdint.h>

#include "evclip/evclip.h"

/* Refuses a caller's struct_size that is not this library's sizeof: INVALID naming `name`
 * and both sizes. Returns 0 when equal. */
int settings_check_size(size_t struct_size, size_t expected, const char *name);

/* Refuses reserved bytes that are not zero (a later API version gives them a meaning, so a
 * caller's garbage there would change behaviour): INVALID naming `name` and the byte. */
int settings_check_reserved(const uint8_t *reserved, size_t size, const char *name);

/* Checks that `zone` (NULL: none given) names a time zone (tz_open's rules; opened once
 * here): INVALID prefixed with `what` ("settings: timezone") otherwise. Returns 0 or it. */
int settings_check_timezone(const char *zone, const char *what);

/* evclip_settings_validate() without clearing the thread's error first (for internal
 * callers: evclip_open, per-clip overrides). */
int settings_validate(const EvclipSettings *s);

#endif /* EVCLIP_SRC_SETTINGS_H */
