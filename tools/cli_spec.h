/* cli_spec.h: JSON clip specs (render --spec, batch job lines) -> EvclipClip. */
#ifndef EVCLIP_TOOLS_CLI_SPEC_H
#define EVCLIP_TOOLS_CLI_SPEC_H

#include <jansson.h>

#include "evclip/evclip.h"

/* Detection logs loaded once per path and shared by the clips that name them. */
typedef struct LogCache {
    const char *format;  /* log format for loads (NULL = auto) */
    int normalized;      /* default for normalised coordinates */
    char **paths;
    EvclipDetections **stores;
    int count;
} LogCache;

/* A parsed clip: owns its sources and settings copy (strings point into the JSON object,
 * which must outlive the spec). */
typedef struct ClipSpec {
    EvclipClip clip;
    EvclipSource *sources;
    EvclipSettings settings;
} ClipSpec;

/* Loads (or finds) a detection log; errors carry evclip_last_error(). */
int log_cache_get(LogCache *cache, const char *path, EvclipDetections **out);
void log_cache_free(LogCache *cache);

/* Parses one clip object. `where` ("jobs.jsonl:3") prefixes errors written to err.
 * `defaults` are the command line's settings, overridden per clip. Returns 0 or -1 with err
 * set, or the (negative) evclip code of a detection log that failed to load. */
int spec_parse(ClipSpec *spec, json_t *obj, const char *where, const EvclipSettings *defaults,
               LogCache *cache, char *err, size_t errlen);
void spec_free(ClipSpec *spec);

/* Records a spec error as evclip_last_error()-style text for cli_print_error: prints nothing,
 * returns code. */
int cli_spec_error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The message recorded by cli_spec_error ("" when none). */
const char *cli_spec_last_error(void);

/* Parses "WxH" (even, positive). Returns 0 or -1. */
int spec_parse_size(const char *s, int *w, int *h);

/* Parses "timelapse" / "framedrop". Returns the enum or -1. */
int spec_parse_strategy(const char *s);

/* Parses "start" / "pts" (EvclipTsOrigin). Returns the enum or -1. */
int spec_parse_ts_origin(const char *s);
/* "display" / "stored" -> enum EvclipBoxSpace, else -1. */
int spec_parse_box_space(const char *s);

#endif /* EVCLIP_TOOLS_CLI_SPEC_H */
