/* cli_report.h: `evclip report` internals: what each clip card shows (cli_report.c gathers it,
 * cli_report_html.c writes the page). */
#ifndef EVCLIP_TOOLS_CLI_REPORT_H
#define EVCLIP_TOOLS_CLI_REPORT_H

#include <stdint.h>
#include <stdio.h>

/* Columns of a clip's detection timeline. */
#define REPORT_BINS 120

/* Integrity state of a clip, verified when the page is written. */
enum ReportState { STATE_OK, STATE_UNSIGNED, STATE_MODIFIED, STATE_MISSING };

typedef struct ReportLabel {
    char *label;
    int64_t boxes;          /* boxes with this label over all frames */
    int bins[REPORT_BINS];  /* per timeline column: most boxes of this label on one frame */
    uint8_t rgb[3];         /* the box colour of this label (evclip_palette_color) */
} ReportLabel;

typedef struct ReportClip {
    char *path;             /* as given (or found in the folder / batch report) */
    char *href;             /* relative to the page, percent-encoded */
    char *poster_href;      /* or NULL */
    char *source;           /* first source's file name, or "" without a manifest */
    double start, end;      /* window on the first / last source's timeline (NAN unknown) */
    int nb_sources;
    double duration;        /* output seconds (manifest, else the last frame's time) */
    int64_t boxes, frames;  /* boxes drawn (manifest); frames read from the clip */
    int64_t frames_total;   /* frames the manifest records (0 unknown) */
    char created[32];       /* manifest's created_utc, or "" */
    int state;              /* enum ReportState */
    char reason[1100];
    ReportLabel *labels;
    int nb_labels;
    int max_bin;            /* most boxes on one frame (timeline scale) */
} ReportClip;

/* A job a batch report lists as failed. */
typedef struct ReportFailure {
    char *output, *status, *error;
    int line;
} ReportFailure;

typedef struct Report {
    const char *title;
    ReportClip *clips;
    int nb_clips;
    ReportFailure *failures;
    int nb_failures;
} Report;

/* Writes the whole page. Returns 0 or -1 (write error). */
int report_write_html(FILE *f, const Report *r);

/* Writes s HTML-escaped (& < > " ' and control characters). */
void report_escape(FILE *f, const char *s);

#endif /* EVCLIP_TOOLS_CLI_REPORT_H */
