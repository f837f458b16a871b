/* source_file.h: a local source file read through one open descriptor, so that the bytes
 * hashed for the manifest are the bytes decoded, and a source changed underneath is caught. */
#ifndef EVCLIP_SRC_SOURCE_FILE_H
#define EVCLIP_SRC_SOURCE_FILE_H

#include <stdint.h>
#include <sys/stat.h>

#include <libavformat/avio.h>

typedef struct SourceFile {
    int fd;              /* opened once; every read of the source goes through it */
    struct stat st;      /* fstat at open: identity, size and mtime to compare at the end */
    char *path;
    int hashed;          /* sha256/size below are known */
    char sha256[65];
    int64_t size;
} SourceFile;

/* Opens `path` when it is a regular file (*out NULL, returns 0 for anything else: URLs,
 * devices, pipes are read by FFmpeg by name). Returns 0 or INPUT / NOMEM. */
int source_file_open(SourceFile **out, const char *path);
void source_file_close(SourceFile **f);

/* A new AVIOContext reading f's descriptor with its own position (several contexts, e.g.
 * the decoder's and the indexer's, may share one file). Returns 0 or NOMEM. */
int source_file_avio(SourceFile *f, AVIOContext **out);
/* Frees a context made by source_file_avio (sets NULL, accepts &NULL). */
void source_file_avio_free(AVIOContext **pb);

/* SHA-256 of the whole file read through the descriptor (once; later calls return the
 * stored value). Returns 0 or INPUT / NOMEM. */
int source_file_hash(SourceFile *f);

/* Fails (INPUT, naming the file and what changed) when the file was modified since it was
 * opened (size or mtime of the descriptor) or `path` now names another file (replaced,
 * e.g. by mv, or removed). Returns 0 when unchanged. */
int source_file_check(const SourceFile *f);

#endif /* EVCLIP_SRC_SOURCE_FILE_H */
