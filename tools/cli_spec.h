/* cli_spec.h: JSON clip specs (render --spec, batch job lines) -> EvclipClip. */
#ifndef EVCLIP_TOOLS_CLI_SPEC_H
#define EVCLIP_TOOLS_CLI_SPEC_H

#include <jansson.h>

#include "evclip/evclip.h"
#include "tools/cli_redact.h"

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
    CliRedact redact; /* the clip's redaction keys (settings.draw_options points here) */
    char **paths;    /* input, detections and output paths resolved against the file's folder */
    int nb_paths;
    int mkdirs;      /* "mkdirs": 1 true, 0 false, -1 absent (the command line decides) */
    int to_end;      /* 1 when a window has no end (runs to the end of its input) */
} ClipSpec;

/* Loads (or finds) a detection log; errors carry evclip_last_error(). */
int log_cache_get(LogCache *cache, const char *path, EvclipDetections **out);
void log_cache_free(LogCache *cache);

/* Parses one clip object. `where` ("jobs.jsonl:3") prefixes errors written to err. Relative
 * input, detections and output paths are resolved against `base_dir` (the folder of the jobs or
 * spec file; NULL = as given). Times (start, end, from, to, pre, post, max_duration) are numbers
 * or strings as on the command line ("12.5", "1:02.5", "01:02:03.25"); a missing end or to runs
 * to the end of the input. `defaults` are the command line's settings, overridden per clip.
 * Returns 0 or -1 with err set, or the (negative) evclip code of a detection log that failed to
 * load. */
int spec_parse(ClipSpec *spec, json_t *obj, const char *where, const char *base_dir,
               const EvclipSettings *defaults, LogCache *cache, char *err, size_t errlen);
void spec_free(ClipSpec *spec);

/* Records a spec error as evclip_last_error()-style text for cli_print_error: prints nothing,
 * returns code. */
int cli_spec_error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The message recorded by cli_spec_error ("" when none). */
const char *cli_spec_last_error(void);

/* cli_values.c: the folder of `file` (malloc'ed), or NULL when it has none (working folder). */
char *spec_base_dir(const char *file);

/* cli_values.c: path resolved against base_dir (kept as is when base_dir is NULL, the path is
 * absolute or a URL); malloc'ed, NULL when out of memory. */
char *spec_resolve(const char *base_dir, const char *path);

/* cli_values.c: checks that the folder of `output` exists; with mkdirs creates the missing
 * folders (as mkdir -p); through evclip_output_dir(), which the Python binding calls too.
 * Returns 0, or -1 with "output folder 'x' does not exist (...)" or "cannot create output
 * folder 'x': why" in err. */
int cli_output_dir(const char *output, int mkdirs, char *err, size_t errlen);

/* Parses "WxH" (even, positive). Returns 0 or -1. */
int spec_parse_size(const char *s, int *w, int *h);

/* Parses "timelapse" / "framedrop". Returns the enum or -1. */
int spec_parse_strategy(const char *s);

/* Parses "start" / "pts" (EvclipTsOrigin). Returns the enum or -1. */
int spec_parse_ts_origin(const char *s);
/* "display" / "stored" -> enum EvclipBoxSpace, else -1. */
int spec_parse_box_space(const char *s);

#endif /* EVCLIP_TOOLS_CLI_SPEC_H */
