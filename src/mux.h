/* mux.h: MP4 writing (faststart) into a temp file beside the output, published atomically. */
#ifndef EVCLIP_SRC_MUX_H
#define EVCLIP_SRC_MUX_H

#include <libavformat/avformat.h>

#include "src/log.h"

typedef struct Mux {
    char *path;            /* final output path */
    char *temp;            /* temp file in the same directory */
    AVFormatContext *fmt;
    int overwrite;
    int started, completed, committed;
    int lock_fd;           /* the temp file, flock'ed while this Mux lives; -1 when none */
} Mux;

/* Checks an output path without creating anything: its extension is not another container's
 * (INVALID for "clip.mkv"; .mp4, .m4v, .mov and unknown extensions pass), directory exists,
 * path is not a directory, and EXISTS when it exists and overwrite is off. */
int mux_check(const char *path, int overwrite);

/* mux_check for a file of FFmpeg muxer `format` ("mp4" as mux_check; another format skips
 * the extension check). */
int mux_check_as(const char *path, int overwrite, const char *format);

/* Checks the output (directory exists, not a directory itself, EXISTS unless overwrite) and
 * creates the temp file. Returns 0, INVALID, OUTPUT, EXISTS or NOMEM. */
int mux_open(Mux **out, const char *path, int overwrite);

/* mux_open writing FFmpeg muxer `format` ("mp4" or "matroska"; faststart / cues first). */
int mux_open_as(Mux **out, const char *path, int overwrite, const char *format);

/* Adds a stream; returns it or NULL (NOMEM recorded). */
AVStream *mux_add_stream(Mux *m);

/* Writes the header. Returns 0 or OUTPUT. */
int mux_start(Mux *m);

/* Writes one packet (time base of its stream; interleaved). Returns 0 or OUTPUT. */
int mux_write(Mux *m, AVPacket *packet);

/* Finishes the file (moov moved first), syncs it and moves it to the output path.
 * Returns 0, OUTPUT or EXISTS (output appeared meanwhile and overwrite is off). */
int mux_commit(Mux *m);

/* mux_commit in two steps: mux_complete finishes and syncs the temp file (m->temp, complete
 * afterwards, so it can be hashed); mux_publish moves it to the output path. */
int mux_complete(Mux *m);
int mux_publish(Mux *m);

/* Removes the ".evclip-tmp" files of dir_path left by runs that were killed (their process
 * is gone and their lock is free); logs each at INFO. Best effort. */
void mux_clean_stale(const char *dir_path, const Logger *log);

/* Frees; an uncommitted temp file is removed. Sets *m to NULL; accepts &NULL. */
void mux_close(Mux **m);

#endif /* EVCLIP_SRC_MUX_H */
