/* manifest_internal.h: what the manifest modules (hash, keys, writing, verify) share. */
#ifndef EVCLIP_SRC_MANIFEST_INTERNAL_H
#define EVCLIP_SRC_MANIFEST_INTERNAL_H

#include <stdint.h>
#include <sys/stat.h>

#include <jansson.h>
#include <sodium.h>

#include "src/manifest_json.h"

/* Base64 variant of key files, public keys and signature values. */
#define MANIFEST_B64 sodium_base64_VARIANT_ORIGINAL

/* A file's modification time in nanoseconds (hash cache, detection-log change check). */
static inline int64_t mtime_ns(const struct stat *st)
{
    return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

/* manifest_hash.c: as manifest_hash_file, but remembered by identity, size and mtime: only
 * for sources while writing manifests (verification always re-reads, since a same-size
 * rewrite within the filesystem's timestamp granularity keeps size and mtime).
 * Returns 0 or INPUT, NOMEM. */
int manifest_hash_source(const char *path, char hex[65], int64_t *size);

/* manifest_keys.c: a key's id: hex of the first 16 bytes of SHA-256(pk), into out[33]. */
void manifest_key_id(const unsigned char pk[crypto_sign_PUBLICKEYBYTES], char out[33]);

/* Reads an evclip public key file into pk. Returns 0 or INVALID (detail names the file). */
int manifest_read_public_key(const char *path, unsigned char pk[crypto_sign_PUBLICKEYBYTES]);

/* Signs m's canonical form with the secret key file key_path and adds the "signature"
 * member (see manifest.h). Returns 0 or INVALID (bad key file), NOMEM. */
int manifest_sign(json_t *m, const char *key_path);

#endif /* EVCLIP_SRC_MANIFEST_INTERNAL_H */
