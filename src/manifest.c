/* manifest.c: evidence manifests (hashes, atomic JSON), Ed25519 keys, signing, verification. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <sodium.h>

#include "src/detections.h"
#include "src/error.h"
#include "src/manifest.h"
#include "src/orient.h"
#include "src/overlay.h"
#include "src/manifest_json.h"

#define CHUNK (1 << 20)
#define FORMAT_NAME "evclip-evidence-manifest"
#define FORMAT_VERSION 1
#define SECRET_HEADER "evclip-ed25519-secret-key-v1"
#define PUBLIC_HEADER "evclip-ed25519-public-key-v1"
#define FILE_FLAGS (JSON_SORT_KEYS | JSON_INDENT(2) | JSON_REAL_PRECISION(15))
#define CANON_FLAGS (JSON_SORT_KEYS | JSON_COMPACT | JSON_REAL_PRECISION(15))
#define B64 sodium_base64_VARIANT_ORIGINAL

/* ---- hashing ------------------------------------------------------------------------- */

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

static int64_t mtime_ns(const struct stat *st)
{
    return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

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
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ev_error(EVCLIP_ERR_INPUT, "cannot open '%s' for hashing: %s", path,
                        strerror(errno));
    int regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    int cached = use_cache && regular && cache_find(&st, hex);
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
    if (use_cache && !cached && regular && *size == (int64_t)st.st_size)
        cache_add(&st, hex);
    return 0;
}

int manifest_hash_file(const char *path, char hex[65], int64_t *size)
{
    return hash_file(path, hex, size, 0);
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
        rec[68] = (unsigned char)(e->normalized != 0);
        put_be(rec + 69, len, 4);
        crypto_hash_sha256_update(&st, rec, sizeof(rec));
        crypto_hash_sha256_update(&st, (const unsigned char *)(e->label ? e->label : ""), len);
    }
    crypto_hash_sha256_final(&st, digest);
    sodium_bin2hex(hex, 65, digest, sizeof(digest));
}

/* ---- keys ------------------------------------------------------------------------------ */

static void key_id(const unsigned char pk[crypto_sign_PUBLICKEYBYTES], char out[33])
{
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, pk, crypto_sign_PUBLICKEYBYTES);
    sodium_bin2hex(out, 33, digest, 16);
}

/* Reads a two-line key file (header, base64 key of exactly `len` bytes). A secret key file
 * must not be accessible by group or others. Returns 0 or INVALID. */
static int read_key(const char *path, const char *header, unsigned char *key, size_t len,
                    int secret)
{
    char buf[1024];
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ev_error(EVCLIP_ERR_INVALID, "cannot open key file '%s': %s", path,
                        strerror(errno));
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return ev_error(EVCLIP_ERR_INVALID, "key file '%s' is not a regular file", path);
    }
    if (secret && (st.st_mode & 077)) {
        close(fd);
        return ev_error(EVCLIP_ERR_INVALID, "secret key file '%s' is accessible by group or "
                        "others (mode %04o); refusing it: run chmod 600 '%s'", path,
                        (unsigned)(st.st_mode & 07777), path);
    }
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    buf[n > 0 ? n : 0] = 0;
    size_t hl = strlen(header), bin_len = 0;
    int ok = n > 0 && strncmp(buf, header, hl) == 0 && (buf[hl] == '\n' || buf[hl] == '\r') &&
             sodium_base642bin(key, len, buf + hl, strlen(buf + hl), " \t\r\n", &bin_len, NULL,
                               B64) == 0 && bin_len == len;
    sodium_memzero(buf, sizeof(buf));
    if (!ok)
        return ev_error(EVCLIP_ERR_INVALID, "'%s' is not an evclip %s key file (expected the "
                        "line '%s' then the base64 key)", path, secret ? "secret" : "public",
                        header);
    return 0;
}

static int read_secret(const char *path, unsigned char sk[crypto_sign_SECRETKEYBYTES])
{
    unsigned char pk[crypto_sign_PUBLICKEYBYTES], check[crypto_sign_SECRETKEYBYTES];
    int ret = read_key(path, SECRET_HEADER, sk, crypto_sign_SECRETKEYBYTES, 1);
    if (ret < 0)
        return ret;
    /* The public half must derive from the seed, or signatures would not verify. */
    crypto_sign_seed_keypair(pk, check, sk);
    int ok = sodium_memcmp(pk, sk + crypto_sign_SEEDBYTES, sizeof(pk)) == 0;
    sodium_memzero(check, sizeof(check));
    if (!ok) {
        sodium_memzero(sk, crypto_sign_SECRETKEYBYTES);
        return ev_error(EVCLIP_ERR_INVALID, "secret key file '%s' is corrupt", path);
    }
    return 0;
}

int manifest_check_key(const char *path)
{
    unsigned char sk[crypto_sign_SECRETKEYBYTES];
    if (sodium_init() < 0)
        return ev_error(EVCLIP_ERR_INTERNAL, "libsodium failed to initialise");
    int ret = read_secret(path, sk);
    sodium_memzero(sk, sizeof(sk));
    return ret;
}

/* Writes header + base64 key to a new file (O_EXCL) with `mode`. Returns 0 or a code. */
static int write_key(const char *path, const char *header, const unsigned char *key,
                     size_t len, mode_t mode)
{
    char text[256];
    size_t hl = (size_t)snprintf(text, sizeof(text), "%s\n", header);
    sodium_bin2base64(text + hl, sizeof(text) - hl - 1, key, len, B64);
    strcat(text, "\n");
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0) {
        sodium_memzero(text, sizeof(text));
        return ev_error(errno == EEXIST ? EVCLIP_ERR_EXISTS : EVCLIP_ERR_OUTPUT,
                        "cannot create key file '%s': %s", path, strerror(errno));
    }
    size_t n = strlen(text);
    /* fchmod: the umask may only have removed bits, but be explicit about the secret. */
    int ok = fchmod(fd, mode) == 0 && write(fd, text, n) == (ssize_t)n && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    sodium_memzero(text, sizeof(text));
    if (!ok) {
        unlink(path);
        return ev_error(EVCLIP_ERR_OUTPUT, "cannot write key file '%s'", path);
    }
    return 0;
}

EVCLIP_API int evclip_keygen(const char *prefix)
{
    ev_error_clear();
    if (!prefix || !*prefix)
        return ev_error(EVCLIP_ERR_INVALID, "evclip_keygen: empty prefix");
    if (sodium_init() < 0)
        return ev_error(EVCLIP_ERR_INTERNAL, "libsodium failed to initialise");
    size_t n = strlen(prefix) + 8;
    char *key_path = malloc(n), *pub_path = malloc(n);
    unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    int ret = key_path && pub_path ? 0 : ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    if (ret == 0) {
        snprintf(key_path, n, "%s.key", prefix);
        snprintf(pub_path, n, "%s.pub", prefix);
        if (access(pub_path, F_OK) == 0)
            ret = ev_error(EVCLIP_ERR_EXISTS, "'%s' already exists", pub_path);
    }
    if (ret == 0) {
        crypto_sign_keypair(pk, sk);
        ret = write_key(key_path, SECRET_HEADER, sk, sizeof(sk), 0600);
        if (ret == 0 && (ret = write_key(pub_path, PUBLIC_HEADER, pk, sizeof(pk), 0644)) < 0)
            unlink(key_path);
    }
    sodium_memzero(sk, sizeof(sk));
    free(key_path);
    free(pub_path);
    return ret;
}

/* ---- writing ----------------------------------------------------------------------------- */

/* Reals rounded so the canonical form is reproducible (see manifest.h). */
static json_t *real(double x)
{
    if (!isfinite(x))
        return json_null();
    double r = round(x * 1e6) / 1e6;
    return json_real(fabs(r) < 1e-4 ? 0.0 : r);
}

json_t *manifest_real(double x)
{
    return real(x);
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *abs_path(const char *path)
{
    char *p = realpath(path, NULL);
    json_t *j = p ? json_string(p) : json_null();
    free(p);
    return j;
}

/* {path, absolute_path, size, sha256} of a file; size and sha256 null for non-files (URLs).
 * `digest`: the hash taken while rendering (NULL or not hashed: hash the file by path). */
static int file_json(const char *path, const SourceDigest *digest, json_t **out)
{
    struct stat st;
    char hex[65];
    int64_t size = 0;
    *out = NULL;
    int given = digest && digest->hashed;
    int regular = given || (stat(path, &st) == 0 && S_ISREG(st.st_mode));
    if (!regular && strstr(path, "://") == NULL)
        return ev_error(EVCLIP_ERR_INPUT, "cannot hash '%s': not a readable file", path);
    int ret = regular && !given ? hash_file(path, hex, &size, 1) : 0;
    if (ret < 0)
        return ret;
    if (given) {
        memcpy(hex, digest->sha256, sizeof(hex));
        size = digest->size;
    }
    *out = json_pack("{s:s, s:o, s:o, s:o}", "path", path, "absolute_path",
                     regular ? abs_path(path) : json_null(),
                     "size", regular ? json_integer(size) : json_null(),
                     "sha256", regular ? json_string(hex) : json_null());
    return *out ? 0 : ev_error(EVCLIP_ERR_NOMEM, "out of memory (manifest)");
}

/* A log edited or replaced since it was loaded (e.g. a detector still appending to it)
 * cannot be hashed as it was read: the render fails (DETECTIONS) rather than certify a hash
 * of bytes that were not drawn, or no hash at all. */
static int logs_json(const EvclipDetections *d, json_t *logs)
{
    int n = 0;
    const DetectionsFile *files = d ? detections_files(d, &n) : NULL;
    for (int i = 0; i < n; i++) {
        struct stat st;
        json_t *f;
        if (stat(files[i].path, &st) < 0 || (int64_t)st.st_size != files[i].size ||
            mtime_ns(&st) != files[i].mtime_ns || (int64_t)st.st_dev != files[i].dev ||
            (int64_t)st.st_ino != files[i].ino)
            return ev_error(EVCLIP_ERR_DETECTIONS, "detection log '%s' changed (modified, "
                            "replaced or removed) after it was loaded: its hash would not "
                            "certify the boxes drawn; no clip is written", files[i].path);
        int ret = file_json(files[i].path, NULL, &f);
        if (ret < 0)
            return ret;
        json_array_append_new(logs, f);
    }
    return 0;
}

static int source_json(const EvclipSource *src, int index, const SourceDigest *digest,
                       json_t **out, const Logger *log)
{
    json_t *s = NULL, *logs = json_array();
    char hex[65];
    EvclipDetectionStats stats = { 0, 0 };
    int ret = logs ? file_json(src->path, digest, &s)
                   : ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    if (ret == 0)
        ret = logs_json(src->detections, logs);
    if (ret < 0) {
        json_decref(s);
        json_decref(logs);
        return ret;
    }
    evclip_detections_get_stats(src->detections, &stats);
    manifest_hash_detections(src->detections, hex);
    json_object_set_new(s, "index", json_integer(index));
    json_object_set_new(s, "window", json_pack("{s:o, s:o}", "start", real(src->start),
                                               "end", real(src->end)));
    json_object_set_new(s, "detections", json_pack("{s:I, s:s, s:o}", "count",
                        (json_int_t)stats.count, "sha256_canonical", hex, "logs", logs));
    int rotation = 0, mirror = 0;
    if (digest)
        orient_describe(digest->orient, &rotation, &mirror);
    json_object_set_new(s, "display", json_pack("{s:b, s:i, s:b}", "matrix",
                        digest && digest->display_matrix, "rotation", rotation, "mirror",
                        mirror));
    json_object_set_new(s, "damaged_packets", json_integer(digest ? digest->damaged : 0));
    *out = s;
    return 0;
}

static json_t *timing_json(const ManifestInfo *info)
{
    const EvclipClip *c = info->clip;
    const char *cap = c->max_duration <= 0 ? NULL :
                      c->cap_strategy == EVCLIP_CAP_FRAMEDROP ? "framedrop" : "timelapse";
    return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:i}",
                     "pre_roll", real(c->pre_roll), "post_roll", real(c->post_roll),
                     "speed_requested", real(c->speed > 0 ? c->speed : 1.0),
                     "speed", real(info->speed > 0 ? info->speed : 1.0),
                     "max_duration", c->max_duration > 0 ? real(c->max_duration) : json_null(),
                     "cap_strategy", str_or_null(cap),
                     "frame_step", info->frame_step > 0 ? info->frame_step : 1);
}

static json_t *encoder_json(const ManifestInfo *info)
{
    const EvclipSettings *s = info->settings;
    return json_pack("{s:s, s:o, s:o, s:o, s:I, s:i}",
                     "name", info->result->encoder, "requested", str_or_null(s->encoder),
                     "preset", str_or_null(s->preset),
                     "crf", s->bitrate > 0 ? json_null() : json_integer(s->crf),
                     "bitrate", (json_int_t)s->bitrate, "threads", s->threads);
}

/* The fixed drawing style (README "Colours"): colour order, palette, chip layout. */
static json_t *style_json(void)
{
    json_t *palette = json_array();
    for (int i = 0; palette && i < overlay_palette_size(); i++) {
        uint8_t rgb[3];
        char hex[8];
        overlay_palette_rgb(i, rgb);
        snprintf(hex, sizeof(hex), "#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
        json_array_append_new(palette, json_string(hex));
    }
    return json_pack("{s:i, s:[s, s, s], s:o, s:s, s:s, s:s}", "version", 1,
                     "color_by", "color", "track_id", "label", "palette", palette,
                     "same_label", "untracked boxes of one label in a frame: next palette "
                     "entries, left to right", "chip", "label #track score, above the box, "
                     "drawn after all outlines", "chip_text", "black or white, the higher WCAG "
                     "contrast");
}

static json_t *drawing_json(const ManifestInfo *info)
{
    const EvclipSettings *s = info->settings;
    return json_pack("{s:o, s:o, s:b, s:o, s:i, s:i, s:i, s:i, s:s, s:o}",
                     "hold", real(s->hold), "title", str_or_null(s->title),
                     "timestamp", s->timestamp != 0, "font", str_or_null(s->font),
                     "thickness", info->thickness, "font_size", info->font_size,
                     "thickness_requested", s->thickness,
                     "font_size_requested", s->font_size,
                     "box_space", s->box_space == EVCLIP_BOX_STORED ? "stored" : "display",
                     "style", style_json());
}

/* The result's warning lines as a JSON array of strings. */
static json_t *warnings_json(const EvclipResult *r)
{
    json_t *a = json_array();
    for (const char *p = r->warnings; a && *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        json_array_append_new(a, json_stringn(p, n));
        p += n + (nl != NULL);
    }
    return a;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static int build(const ManifestInfo *info, json_t **out, const Logger *log)
{
    const EvclipResult *r = info->result;
    char hex[65], created[32];
    int64_t size = 0;
    time_t now = time(NULL);
    struct tm tm;
    *out = NULL;
    int ret = manifest_hash_file(info->output_file ? info->output_file : info->clip->output,
                                 hex, &size);
    if (ret < 0)
        return ret;
    if (info->sha256_out)
        memcpy(info->sha256_out, hex, sizeof(hex));
    strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
    json_t *sources = json_array();
    for (int i = 0; sources && i < info->clip->nb_sources && ret == 0; i++) {
        json_t *s;
        const SourceDigest *digest = info->digests ? &info->digests[i] : NULL;
        ret = info->live ? manifest_live_source(info, &s)
                         : source_json(&info->clip->sources[i], i, digest, &s, log);
        if (ret == 0)
            json_array_append_new(sources, s);
    }
    if (ret < 0) {
        json_decref(sources);
        return ret;
    }
    json_t *output = json_pack("{s:s, s:I, s:s, s:I, s:o, s:i, s:i, s:b, s:o, s:o}",
        "file", base_name(info->clip->output), "size", (json_int_t)size, "sha256", hex,
        "frames", (json_int_t)r->frames, "duration", real(r->duration), "width", r->width,
        "height", r->height, "has_audio", r->has_audio, "first_source_time",
        real(r->first_time), "last_source_time", real(r->last_time));
    *out = json_pack("{s:s, s:i, s:s, s:s, s:o, s:o, s:I, s:b, s:o, s:o}",
        "format", FORMAT_NAME, "format_version", FORMAT_VERSION,
        "evclip_version", evclip_version(), "created_utc", created, "output", output,
        "sources", sources, "boxes_drawn", (json_int_t)r->boxes_drawn,
        "detections_embedded", info->settings->embed_detections != 0,
        "timing", timing_json(info), "encoder", encoder_json(info));
    if (*out && (json_object_set_new(*out, "drawing", drawing_json(info)) < 0 ||
                 json_object_set_new(*out, "warnings", warnings_json(r)) < 0 ||
                 (info->live && json_object_set_new(*out, "live",
                                                    manifest_live_json(info->live)) < 0))) {
        json_decref(*out);
        *out = NULL;
    }
    return *out ? 0 : ev_error(EVCLIP_ERR_NOMEM, "out of memory (manifest)");
}

static int sign(json_t *m, const char *key_path)
{
    unsigned char sk[crypto_sign_SECRETKEYBYTES], sig[crypto_sign_BYTES];
    char pk64[sodium_base64_ENCODED_LEN(crypto_sign_PUBLICKEYBYTES, B64)];
    char sig64[sodium_base64_ENCODED_LEN(crypto_sign_BYTES, B64)], kid[33];
    int ret = read_secret(key_path, sk);
    if (ret < 0)
        return ret;
    char *canon = json_dumps(m, CANON_FLAGS);
    if (!canon) {
        sodium_memzero(sk, sizeof(sk));
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory (manifest)");
    }
    crypto_sign_detached(sig, NULL, (const unsigned char *)canon, strlen(canon), sk);
    free(canon);
    const unsigned char *pk = sk + crypto_sign_SEEDBYTES;
    sodium_bin2base64(pk64, sizeof(pk64), pk, crypto_sign_PUBLICKEYBYTES, B64);
    sodium_bin2base64(sig64, sizeof(sig64), sig, sizeof(sig), B64);
    key_id(pk, kid);
    sodium_memzero(sk, sizeof(sk));
    json_t *s = json_pack("{s:s, s:s, s:s, s:s}", "algorithm", "ed25519", "public_key", pk64,
                          "key_id", kid, "value", sig64);
    if (!s || json_object_set_new(m, "signature", s) < 0)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory (manifest)");
    return 0;
}

/* Writes text to "<dir>/.<name>.<pid>-<random>.evclip-tmp", then renames it over path, or
 * (keep non-NULL) leaves it there and returns its name in *keep. */
static int write_atomic(const char *path, const char *text, char **keep)
{
    size_t dir_len = (size_t)(base_name(path) - path), size = strlen(path) + 48;
    char *tmp = malloc(size);
    if (!tmp)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    int fd = -1;
    for (int attempt = 0; fd < 0 && attempt < 100; attempt++) {
        /* the pid lets a later run remove it if this one is killed (mux_clean_stale) */
        snprintf(tmp, size, "%.*s.%s.%ld-%08x.evclip-tmp", (int)dir_len, path, base_name(path),
                 (long)getpid(), (unsigned)randombytes_random());
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    if (fd < 0) {
        int ret = ev_error(EVCLIP_ERR_OUTPUT, "cannot create a temp file for '%s': %s", path,
                           strerror(errno));
        free(tmp);
        return ret;
    }
    size_t n = strlen(text);
    int ok = write(fd, text, n) == (ssize_t)n && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    int err = errno;
    if (ok && keep) {
        *keep = tmp;
        return 0;
    }
    if (ok && rename(tmp, path) == 0) {
        free(tmp);
        return 0;
    }
    err = ok ? errno : err;
    unlink(tmp);
    free(tmp);
    return ev_error(EVCLIP_ERR_OUTPUT, "cannot write manifest '%s': %s", path, strerror(err));
}

static int write_manifest(const ManifestInfo *info, char **keep, const Logger *log);

int manifest_write(const ManifestInfo *info, const Logger *log)
{
    return write_manifest(info, NULL, log);
}

int manifest_write_temp(ManifestInfo *info, const Logger *log)
{
    info->manifest_temp = NULL;
    return write_manifest(info, &info->manifest_temp, log);
}

static int write_manifest(const ManifestInfo *info, char **keep, const Logger *log)
{
    const EvclipSettings *s = info->settings;
    json_t *m = NULL;
    char *text = NULL, *path = NULL;
    if (sodium_init() < 0)
        return ev_error(EVCLIP_ERR_INTERNAL, "libsodium failed to initialise");
    int ret = build(info, &m, log);
    if (ret == 0 && s->sign_key)
        ret = sign(m, s->sign_key);
    if (ret == 0) {
        text = json_dumps(m, FILE_FLAGS);
        size_t n = strlen(info->clip->output) + sizeof(".evidence.json");
        path = malloc(n);
        if (path)
            snprintf(path, n, "%s.evidence.json", info->clip->output);
        ret = text && path ? 0 : ev_error(EVCLIP_ERR_NOMEM, "out of memory (manifest)");
    }
    if (ret == 0) {
        size_t len = strlen(text);
        char *with_nl = realloc(text, len + 2);
        if (with_nl) {
            text = with_nl;
            memcpy(text + len, "\n", 2);
        }
        ret = write_atomic(path, text, keep);
    }
    if (ret == 0 && !keep)
        ev_log(log, EVCLIP_LOG_INFO, "%s: manifest written%s", path,
               s->sign_key ? " and signed" : "");
    json_decref(m);
    free(text);
    free(path);
    return ret;
}

/* ---- verification ------------------------------------------------------------------------ */

static void add_detail(EvclipVerifyResult *res, const char *fmt, ...) EV_PRINTF(2, 3);

static void add_detail(EvclipVerifyResult *res, const char *fmt, ...)
{
    size_t n = strlen(res->detail);
    if (n && n + 2 < sizeof(res->detail)) {
        memcpy(res->detail + n, "; ", 3);
        n += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->detail + n, sizeof(res->detail) - n, fmt, ap);
    va_end(ap);
}

static const char *jstr(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static int check_output(const char *clip, const json_t *m, EvclipVerifyResult *res)
{
    const json_t *out = json_object_get(m, "output");
    const char *want = jstr(out, "sha256");
    const json_t *want_size = json_object_get(out, "size");
    char hex[65];
    int64_t size = 0;
    if (!want || !json_is_integer(want_size)) {
        res->manifest = EVCLIP_CHECK_FAILED;
        add_detail(res, "manifest malformed: output.sha256 or output.size missing");
        return 0;
    }
    int ret = manifest_hash_file(clip, hex, &size);
    if (ret < 0)
        return ret;
    if (size == json_integer_value(want_size) && strcmp(hex, want) == 0) {
        res->output = EVCLIP_CHECK_PASSED;
        return 0;
    }
    res->output = EVCLIP_CHECK_FAILED;
    add_detail(res, "output modified: '%s' has %lld bytes and SHA-256 %s, the manifest records "
               "%lld bytes and SHA-256 %.64s", clip, (long long)size, hex,
               (long long)json_integer_value(want_size), want);
    return 0;
}

static void check_signature(const json_t *m, const unsigned char *given,
                            EvclipVerifyResult *res)
{
    const json_t *sig = json_object_get(m, "signature");
    const char *alg = jstr(sig, "algorithm"), *pk64 = jstr(sig, "public_key");
    const char *v64 = jstr(sig, "value");
    unsigned char pk[crypto_sign_PUBLICKEYBYTES], value[crypto_sign_BYTES];
    char given_id[33] = "";
    size_t pk_len = 0, v_len = 0;
    if (given)
        key_id(given, given_id);
    if (!sig) {
        if (given) {
            res->key = EVCLIP_CHECK_FAILED;
            add_detail(res, "not signed: the manifest has no signature (expected key %s)",
                       given_id);
        }
        return;
    }
    if (!alg || strcmp(alg, "ed25519") || !pk64 || !v64 ||
        sodium_base642bin(pk, sizeof(pk), pk64, strlen(pk64), NULL, &pk_len, NULL, B64) ||
        sodium_base642bin(value, sizeof(value), v64, strlen(v64), NULL, &v_len, NULL, B64) ||
        pk_len != sizeof(pk) || v_len != sizeof(value)) {
        res->signature = EVCLIP_CHECK_FAILED;
        res->key = given ? EVCLIP_CHECK_FAILED : EVCLIP_CHECK_SKIPPED;
        add_detail(res, "manifest edited: its signature object is malformed");
        return;
    }
    key_id(pk, res->key_id);
    json_t *copy = json_deep_copy(m);
    char *canon = NULL;
    if (copy && json_object_del(copy, "signature") == 0)
        canon = json_dumps(copy, CANON_FLAGS);
    json_decref(copy);
    int valid = canon && crypto_sign_verify_detached(value, (const unsigned char *)canon,
                                                     strlen(canon), pk) == 0;
    free(canon);
    res->signature = valid ? EVCLIP_CHECK_PASSED : EVCLIP_CHECK_FAILED;
    if (!valid)
        add_detail(res, "manifest edited: the signature (key %s) does not match the "
                   "manifest's content", res->key_id);
    if (!given)
        return;
    res->key = sodium_memcmp(given, pk, sizeof(pk)) ? EVCLIP_CHECK_FAILED : EVCLIP_CHECK_PASSED;
    if (res->key == EVCLIP_CHECK_FAILED)
        add_detail(res, "wrong key: signed by key %s, not by the given key %s", res->key_id,
                   given_id);
}

/* Re-hashes one {path, absolute_path, size, sha256} entry (a source or a detection log). */
static int check_file(const json_t *f, const char *what, EvclipVerifyResult *res)
{
    int is_video = !strcmp(what, "video");
    const char *path = jstr(f, "absolute_path"), *want = jstr(f, "sha256");
    const json_t *want_size = json_object_get(f, "size");
    char hex[65];
    int64_t size = 0;
    if (!path || access(path, F_OK) != 0)
        path = jstr(f, "path");
    if (!want && is_video && json_is_true(json_object_get(f, "live"))) {
        res->sources_live++; /* a live stream: no file to re-hash (said, not passed) */
        return 0;
    }
    if (!want && is_video && path && strstr(path, "://"))
        return 0; /* a URL source: nothing to re-hash */
    if (!want || !path) {
        /* A file recorded without a hash certifies nothing: anything could replace it. */
        res->sources_changed++;
        add_detail(res, "no hash recorded: %s '%s' has no sha256 in the manifest", what,
                   path ? path : "(no path)");
        return 0;
    }
    if (access(path, F_OK) != 0) {
        res->sources_missing++;
        add_detail(res, "source missing: %s '%s'", what, path);
        return 0;
    }
    int ret = manifest_hash_file(path, hex, &size);
    if (ret == EVCLIP_ERR_NOMEM)
        return ret;
    if (ret < 0) {
        res->sources_missing++;
        add_detail(res, "source unreadable: %s '%s'", what, path);
    } else if (strcmp(hex, want) || !json_is_integer(want_size) ||
               json_integer_value(want_size) != size) {
        res->sources_changed++;
        add_detail(res, "source changed: %s '%s' has SHA-256 %s, the manifest records %.64s",
                   what, path, hex, want);
    }
    return 0;
}

static int check_sources(const json_t *m, EvclipVerifyResult *res)
{
    const json_t *sources = json_object_get(m, "sources"), *s, *log;
    size_t i, j;
    int ret = 0;
    json_array_foreach(sources, i, s) {
        ret = ret < 0 ? ret : check_file(s, "video", res);
        const json_t *logs = json_object_get(json_object_get(s, "detections"), "logs");
        json_array_foreach(logs, j, log)
            ret = ret < 0 ? ret : check_file(log, "detection log", res);
    }
    res->sources = res->sources_missing || res->sources_changed ? EVCLIP_CHECK_FAILED
                   : res->sources_live && res->sources_live == (int)json_array_size(sources)
                       ? EVCLIP_CHECK_SKIPPED /* nothing could be re-hashed */
                       : EVCLIP_CHECK_PASSED;
    return ret;
}

/* Loads the manifest; a malformed one is a failed check, not an error. */
static json_t *load_manifest(const char *path, EvclipVerifyResult *res)
{
    json_error_t err;
    json_t *m = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
    const json_t *version = json_object_get(m, "format_version");
    if (!m || !json_is_object(m))
        add_detail(res, "manifest edited or corrupt: %s:%d:%d: %s", path, err.line,
                   err.column, m ? "not a JSON object" : err.text);
    else if (!jstr(m, "format") || strcmp(jstr(m, "format"), FORMAT_NAME))
        add_detail(res, "'%s' is not an evclip evidence manifest", path);
    else if (!json_is_integer(version) || json_integer_value(version) != FORMAT_VERSION)
        add_detail(res, "manifest '%s' has an unknown format_version", path);
    else {
        res->manifest = EVCLIP_CHECK_PASSED;
        res->nb_sources = (int)json_array_size(json_object_get(m, "sources"));
        return m;
    }
    res->manifest = EVCLIP_CHECK_FAILED;
    json_decref(m);
    return NULL;
}

EVCLIP_API int evclip_verify(const char *clip, const char *manifest, const char *pubkey_path,
                             unsigned flags, EvclipVerifyResult *res)
{
    ev_error_clear();
    unsigned char given[crypto_sign_PUBLICKEYBYTES];
    char *path = NULL;
    if (!clip || !res)
        return ev_error(EVCLIP_ERR_INVALID, "evclip_verify: NULL argument");
    memset(res, 0, sizeof(*res));
    if (sodium_init() < 0)
        return ev_error(EVCLIP_ERR_INTERNAL, "libsodium failed to initialise");
    int ret = pubkey_path ? read_key(pubkey_path, PUBLIC_HEADER, given, sizeof(given), 0) : 0;
    if (ret < 0)
        return ret;
    if (access(clip, R_OK) != 0)
        return ev_error(EVCLIP_ERR_INPUT, "cannot read clip '%s': %s", clip, strerror(errno));
    if (!manifest && (path = malloc(strlen(clip) + sizeof(".evidence.json"))))
        sprintf(path, "%s.evidence.json", clip);
    if (!manifest && !path)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    const char *mpath = manifest ? manifest : path;
    if (access(mpath, R_OK) != 0) {
        ret = ev_error(EVCLIP_ERR_INPUT, "cannot read manifest '%s': %s", mpath,
                       strerror(errno));
        free(path);
        return ret;
    }
    json_t *m = load_manifest(mpath, res);
    free(path);
    if (m)
        ret = check_output(clip, m, res);
    if (m && ret == 0) {
        check_signature(m, pubkey_path ? given : NULL, res);
        if (flags & EVCLIP_VERIFY_SOURCES)
            ret = check_sources(m, res);
    }
    json_decref(m);
    if (ret < 0)
        return ret;
    res->ok = res->manifest == EVCLIP_CHECK_PASSED && res->output != EVCLIP_CHECK_FAILED &&
              res->signature != EVCLIP_CHECK_FAILED && res->key != EVCLIP_CHECK_FAILED &&
              res->sources != EVCLIP_CHECK_FAILED;
    return 0;
}
