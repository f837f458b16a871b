/* cli_redact.h: the draw options of render and batch (--redact ..., --interpolate). */
#ifndef EVCLIP_TOOLS_CLI_REDACT_H
#define EVCLIP_TOOLS_CLI_REDACT_H

#include <getopt.h>
#include <stddef.h>

#include "evclip/evclip.h"

/* Option values (above every subcommand's own). */
enum {
    CLI_OPT_REDACT = 1000, CLI_OPT_REDACT_MODE, CLI_OPT_REDACT_PAD, CLI_OPT_REDACT_LABEL,
    CLI_OPT_REDACT_DETECTIONS, CLI_OPT_INTERPOLATE, CLI_OPT_STYLE, CLI_OPT_TZ,
};

/* Entries for a subcommand's getopt_long table. */
#define CLI_REDACT_LONG_OPTIONS \
    { "redact", required_argument, NULL, CLI_OPT_REDACT }, \
    { "redact-mode", required_argument, NULL, CLI_OPT_REDACT_MODE }, \
    { "redact-pad", required_argument, NULL, CLI_OPT_REDACT_PAD }, \
    { "redact-label", required_argument, NULL, CLI_OPT_REDACT_LABEL }, \
    { "redact-detections", required_argument, NULL, CLI_OPT_REDACT_DETECTIONS }, \
    { "interpolate", required_argument, NULL, CLI_OPT_INTERPOLATE }, \
    { "style", required_argument, NULL, CLI_OPT_STYLE }, \
    { "tz", required_argument, NULL, CLI_OPT_TZ }

#define CLI_REDACT_USAGE \
    "Redaction (the clip is then a redacted derivative; see README \"Redaction\"):\n" \
    "      --redact SELECTOR   hide the boxes it selects: all, label=NAME, track=N\n" \
    "                          (repeatable; a box matching any is hidden on every frame\n" \
    "                          it is drawn, --hold included)\n" \
    "      --redact-mode MODE  pixelate (default), blur or fill\n" \
    "      --redact-pad PX     grow each hidden region by PX pixels (default 0)\n" \
    "      --redact-label TEXT chip text of hidden boxes (default: no chip)\n" \
    "      --redact-detections FILE  hide every box of this log too (not drawn; e.g. a\n" \
    "                          face detector's output), single-input clips only\n" \
    "Smooth boxes:\n" \
    "      --interpolate S     a track with no box on a frame between two of its detections\n" \
    "                          at most S seconds apart gets one there, linear in time\n" \
    "                          (0..60; untracked boxes only --hold)\n" \
    "Styles:\n" \
    "      --style FILE.json   per label / track colour, thickness, chip on/off, chip\n" \
    "                          template and position, corners, fill, legend (README\n" \
    "                          \"Styles\")\n" \
    "Wall clock:\n" \
    "      --tz ZONE           zone of --timestamp's wall-clock time: an IANA name\n" \
    "                          (Europe/Berlin), UTC, or an offset (+05:30); default UTC\n"

/* Redaction options being built: the selectors' array lives here. */
typedef struct CliRedact {
    EvclipDrawOptions opts;
    const char *selectors[EVCLIP_REDACT_MAX_SELECTORS];
    int used;  /* 1 when any redaction option was given */
    char *style_text;  /* --style: the file's text (owned) */
} CliRedact;

/* Frees what r owns (the --style text). */
void cli_redact_free(CliRedact *r);

/* Reads a style file (at most 1 MiB) into *out (malloc'ed, NUL-terminated). Returns 0, or -1
 * with "cannot read style 'F': why" in err. */
int cli_read_style(const char *path, char **out, char *err, size_t errlen);

/* Zeroes r with opts.struct_size set. */
void cli_redact_init(CliRedact *r);

/* Copies `from` (may be NULL) into r, selectors included. */
void cli_redact_copy(CliRedact *r, const EvclipDrawOptions *from);

/* Handles one redaction option. Returns 0, CLI_REDACT_BAD with the error (naming the option)
 * in err, or CLI_REDACT_NOT_MINE when opt is not a redaction option. */
#define CLI_REDACT_BAD (-2)
#define CLI_REDACT_NOT_MINE (-1)
int cli_redact_option(CliRedact *r, int opt, const char *arg, char *err, size_t errlen);

/* Adds a selector; -1 when there are too many. */
int cli_redact_add(CliRedact *r, const char *selector);

/* "pixelate" / "blur" / "fill" -> enum EvclipRedactMode, else -1. */
int cli_redact_parse_mode(const char *s);

/* s->draw_options = &r->opts when r->used, else left as it is. */
void cli_redact_apply(CliRedact *r, EvclipSettings *s);

#endif /* EVCLIP_TOOLS_CLI_REDACT_H */
