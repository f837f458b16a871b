/* tz.h: time zones without process state: fixed offsets, and IANA zones read from their TZif
 * files (transitions, then the POSIX TZ rule of the footer), plus the civil calendar. */
#ifndef EVCLIP_SRC_TZ_H
#define EVCLIP_SRC_TZ_H

#include <stddef.h>
#include <stdint.h>

/* Where IANA zone files are read from (Debian package tzdata). */
#define TZ_DIR "/usr/share/zoneinfo"

typedef struct Tz Tz;

/* Opens zone `name`: "UTC" or "Z"; a fixed offset "+HH:MM", "-HH:MM", "+HHMM" or "+HH"
 * (at most 18:00); else an IANA name ("Europe/Berlin") read from TZ_DIR: letters, digits,
 * '_', '-', '+', '/' only, no "." or ".." component, and the file found must lie inside
 * TZ_DIR. Returns 0, INVALID (bad or unknown name, malformed file; the message names it) or
 * NOMEM. A Tz is immutable once open: any number of threads may use it. */
int tz_open(Tz **out, const char *name);

/* As tz_open for an IANA zone, from the TZif file at `path` (tests). */
int tz_load_file(Tz **out, const char *path, const char *name);

/* As tz_load_file from `size` bytes in memory (fuzzing). */
int tz_load_buffer(Tz **out, const uint8_t *data, size_t size, const char *name);

/* Frees *tz and sets it to NULL; accepts NULL and &NULL. */
void tz_close(Tz **tz);

/* The zone's name as opened ("UTC" for "Z"). */
const char *tz_name(const Tz *tz);

/* The UTC offset (seconds east) at epoch second t and its abbreviation ("CEST", "UTC",
 * "+0530"; never NULL). */
int32_t tz_offset(const Tz *tz, int64_t t, const char **abbr);

/* Days since 1970-01-01 of a proleptic Gregorian date (month 1..12, day 1..31). */
int64_t tz_days_from_civil(int64_t y, int m, int d);

/* The date of day `days` since 1970-01-01. */
void tz_civil_from_days(int64_t days, int64_t *y, int *m, int *d);

/* Days in month m (1..12) of year y. */
int tz_month_days(int64_t y, int m);

#endif /* EVCLIP_SRC_TZ_H */
