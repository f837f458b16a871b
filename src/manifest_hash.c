/* manifest_hash.c: SHA-256 of files (remembered for unchanged sources) and of detection stores. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <sodium.h>

#include "src/detections.h"
#include "src/error.h"
#include "src/manifest_internal.h"

#define CHUNK (1 << 20)

/* Hashes of unchanged files are remembered: a batch of many clips from one large source must
 * not re-read the whole source for every clip. Keyed by identity, size and mtime. */
typedef struct HashCacheEntry {
    dev_t dev;
    ino_t ino;
    int64_t size, mtime_ns;
    char hex[65];
} HashCacheEntry;

#define HASH_CACHE_SIZE 32
static HashCacheEntry hash_cache[HASH_CACHE_SIZE];
static int hash_cache_next;
static pthread_mutex_t hash_cache_lock = PTHREAD_MUTEX_INITIALIZER;

static int cache_find(const struct stat *st, char hex[65])
{
    int found = 0;
    pthread_mutex_lock(&hash_cache_lock);
    for (int i = 0; i < HASH_CACHE_SIZE && !found; i++) {
        const HashCacheEntry *e = &hash_cache[i];
        if (e->hex[0] && e->dev == st->st_dev && e->ino == st->st_ino &&
            e->size == (int64_t)st->st_size && e->mtime_ns == mtime_ns(st)) {
            memcpy(hex, e->hex, 65);
            found = 1;
        }
    }
    pthread_mutex_unlock(&hash_cache_lock);
    return found;
}

static void cache_add(const struct stat *st, const char hex[65])
{
    pthread_mutex_lock(&hash_cache_lock);
    HashCacheEntry *e = &hash_cache[hash_cache_next++ % HASH_CACHE_SIZE];
    *e = (HashCacheEntry){ st->st_dev, st->st_ino, (int64_t)st->st_size, mtime_ns(st), "" };
    memcpy(e->hex, hex, 65);
    pthread_mutex_unlock(&hash_cache_lock);
}

/* Hashes an open descriptor from offset 0 to its end with OpenSSL's SHA-256 (it uses the CPU's SHA
 * instructions: several times faster than libsodium's portable code on multi-GB sources).
 * Returns 0 or -errno. */
static int hash_fd(int fd, char hex[65], int64_t *size)
{
    unsigned char *buf = malloc(CHUNK), digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    EVP_MD_CTX *st = EVP_MD_CTX_new();
    int64_t total = 0;
    int err = buf && st && EVP_DigestInit_ex(st, EVP_sha256(), NULL) == 1 ? 0 : -ENOMEM;
    while (!err) {
        /* pread from 0: the descriptor may be shared with a decoder (source_file.c) */
        ssize_t n = pread(fd, buf, CHUNK, (off_t)total);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            err = -errno;
        if (n <= 0)
            break;
        if (EVP_DigestUpdate(st, buf, (size_t)n) != 1)
            err = -EIO;
        total += n;
    }
    free(buf);
    if (!err && EVP_DigestFinal_ex(st, digest, &digest_len) != 1)
        err = -EIO;
    EVP_MD_CTX_free(st);
    if (!err)
        sodium_bin2hex(hex, 65, digest, digest_len);
    *size = total;
    return err;
}

/* use_cache: only for sources while writing manifests; verification always re-reads, since
 * a same-size rewrite within the filesystem's timestamp granularity keeps size and mtime. */
static int hash_file(const char *path, char hex[65], int64_t *size, int use_cache)
{
    struct stat st;
    /* O_NONBLOCK: opening a FIFO would otherwise wait for a writer (verify would hang). */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return ev_error(EVCLIP_ERR_INPUT, "cannot open '%s' for hashing: %s", path,
                        strerror(errno));
    int regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    if (!regular) {
        close(fd);
        return ev_error(EVCLIP_ERR_INPUT, "cannot hash '%s': not a regular file (a FIFO, "
                        "device or directory has no fixed bytes to certify)", path);
    }
    int cached = use_cache && cache_find(&st, hex);
    int err = 0;
    if (cached)
        *size = (int64_t)st.st_size;
    else
        err = hash_fd(fd, hex, size);
    close(fd);
    if (err == -ENOMEM)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory (hashing '%s')", path);
    if (err < 0)
        return ev_error(EVCLIP_ERR_INPUT, "cannot read '%s' for hashing: %s", path,
                        strerror(-err));
    if (use_cache && !cached && *size == (int64_t)st.st_size)
        cache_add(&st, hex);
    return 0;
}

int manifest_hash_file(const char *path, char hex[65], int64_t *size)
{
    return hash_file(path, hex, size, 0);
}

int manifest_hash_source(const char *path, char hex[65], int64_t *size)
{
    return hash_file(path, hex, size, 1);
}

int manifest_hash_fd(int fd, const char *path, char hex[65], int64_t *size)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return ev_error(EVCLIP_ERR_INPUT, "cannot hash '%s': %s", path, strerror(errno));
    if (cache_find(&st, hex)) {
        *size = (int64_t)st.st_size;
        return 0;
    }
    int err = hash_fd(fd, hex, size);
    if (err == -ENOMEM)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory (hashing '%s')", path);
    if (err < 0)
        return ev_error(EVCLIP_ERR_INPUT, "cannot read '%s' for hashing: %s", path,
                        strerror(-err));
    if (*size == (int64_t)st.st_size)
        cache_add(&st, hex);
    return 0;
}

static void put_be(unsigned char *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (unsigned char)(v >> (8 * (n - 1 - i)));
}

static uint64_t f64_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, 8);
    return u;
}

void manifest_hash_detections(const EvclipDetections *d, char hex[65])
{
    crypto_hash_sha256_state st;
    unsigned char rec[8 * 8 + 1 + 3 + 1 + 4], digest[crypto_hash_sha256_BYTES];
    size_t count = d ? detections_count(d) : 0;
    crypto_hash_sha256_init(&st);
    for (size_t i = 0; i < count; i++) {
        EvclipDetection item;
        detections_get(d, i, &item);
        const EvclipDetection *e = &item;
        const double v[6] = { e->ts, e->x1, e->y1, e->x2, e->y2, e->score };
        size_t len = e->label ? strlen(e->label) : 0;
        put_be(rec, (uint64_t)e->frame_idx, 8);
        for (int k = 0; k < 6; k++)
            put_be(rec + 8 + 8 * k, f64_bits(v[k]), 8);
        put_be(rec + 56, (uint64_t)e->track_id, 8);
        rec[64] = (unsigned char)(e->has_color != 0);
        for (int k = 0; k < 3; k++)
            rec[65 + k] = e->has_color ? e->color[k] : 0;
        const float *uv;
        int np = detections_polygon_at(d, i, &uv);
        rec[68] = (unsigned char)((e->normalized & 1) | (np > 0 ? 2 : 0) |
                                  (e->normalized & DETECTION_WALLCLOCK ? 4 : 0));
        put_be(rec + 69, len, 4);
        crypto_hash_sha256_update(&st, rec, sizeof(rec));
        crypto_hash_sha256_update(&st, (const unsigned char *)(e->label ? e->label : ""), len);
        unsigned char pt[8];
        put_be(pt, (uint64_t)np, 4);
        if (np > 0)
            crypto_hash_sha256_update(&st, pt, 4);
        for (int k = 0; k < np; k++) { /* each point as f32 x, y bits (box-relative) */
            uint32_t bu, bv;
            memcpy(&bu, &uv[2 * k], 4);
            memcpy(&bv, &uv[2 * k + 1], 4);
            put_be(pt, bu, 4);
            put_be(pt + 4, bv, 4);
            crypto_hash_sha256_update(&st, pt, 8);
        }
    }
    crypto_hash_sha256_final(&st, digest);
    sodium_bin2hex(hex, 65, digest, sizeof(digest));
}
