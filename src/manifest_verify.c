/* manifest_verify.c: evclip_verify: a clip against its manifest, signature, key and sources. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "src/error.h"
#include "src/manifest_internal.h"
#include "src/native.h"

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

/* A file the manifest records beside the clip (`p`: {file, sha256}; `what`: "poster",
 * "native copy"): missing or changed fails the output check, since it is an output of the
 * same render. `key`: its place in the manifest, for errors. Its path goes to path[4096] ("" when
 * the entry is malformed). */
static int check_beside(const char *clip, const json_t *p, const char *what, const char *key,
                        EvclipVerifyResult *res, char *path)
{
    const char *file = jstr(p, "file"), *want = jstr(p, "sha256");
    path[0] = 0;
    if (!file || !want || strchr(file, '/') || !*file || !strcmp(file, ".") ||
        !strcmp(file, "..")) {
        res->manifest = EVCLIP_CHECK_FAILED;
        add_detail(res, "manifest malformed: %s.file or %s.sha256 missing or bad (the name of a "
                   "file beside the clip)", key, key);
        return 0;
    }
    const char *slash = strrchr(clip, '/');
    int dir = slash ? (int)(slash - clip) + 1 : 0;
    char hex[65];
    int64_t size = 0;
    snprintf(path, 4096, "%.*s%s", dir, clip, file);
    if (access(path, F_OK) != 0) {
        res->output = EVCLIP_CHECK_FAILED;
        add_detail(res, "%s missing: '%s' (recorded in the manifest)", what, path);
        return 0;
    }
    int ret = manifest_hash_file(path, hex, &size);
    if (ret < 0)
        return ret;
    if (strcmp(hex, want) != 0) {
        res->output = EVCLIP_CHECK_FAILED;
        add_detail(res, "%s modified: '%s' has SHA-256 %s, the manifest records %.64s", what,
                   path, hex, want);
    }
    return 0;
}

static int check_poster(const char *clip, const json_t *m, EvclipVerifyResult *res)
{
    const json_t *p = json_object_get(m, "poster");
    char path[4096];
    return p ? check_beside(clip, p, "poster", "poster", res, path) : 0;
}

/* Whether a scan holds the packets an entry's "video"/"audio" member records. */
static int same_range(const json_t *want, const NativeRange *r)
{
    if (json_is_null(want) || !want)
        return !r->present;
    const json_t *n = json_object_get(want, "packets");
    const char *sha = jstr(want, "sha256");
    return r->present && json_is_integer(n) && json_integer_value(n) == r->packets && sha &&
           !strcmp(sha, r->sha256);
}

static int stream_of(const json_t *range)
{
    const json_t *i = json_object_get(range, "stream_index");
    return json_is_integer(i) ? (int)json_integer_value(i) : -1;
}

/* The native copies: each file's hash; with `sources`, the packet digests recomputed from
 * the source (the footage is the source's) and from the copy (it holds those packets). */
static int verify_natives(const char *clip, const json_t *m, int sources,
                          EvclipVerifyResult *res)
{
    const json_t *list = json_object_get(m, "native"), *e;
    size_t i;
    int ret = 0;
    if (list && !json_is_array(list)) {
        res->manifest = EVCLIP_CHECK_FAILED;
        add_detail(res, "manifest malformed: native is not an array");
        return 0;
    }
    json_array_foreach(list, i, e) {
        char path[4096], key[32];
        snprintf(key, sizeof(key), "native[%zu]", i);
        if ((ret = check_beside(clip, e, "native copy", key, res, path)) < 0)
            break;
        if (!sources || !*path)
            continue;
        const json_t *src = json_array_get(json_object_get(m, "sources"),
                                           (size_t)json_integer_value(json_object_get(e,
                                                                                "source")));
        const json_t *w = json_object_get(e, "window");
        const char *spath = jstr(src, "absolute_path") ? jstr(src, "absolute_path")
                                                       : jstr(src, "path");
        const json_t *video = json_object_get(e, "video"), *audio = json_object_get(e, "audio");
        int streams[2] = { stream_of(video), stream_of(audio) };
        NativeScan from_source, in_copy;
        if (!spath || !json_is_number(json_object_get(w, "start")) ||
            !json_is_number(json_object_get(w, "end")) || streams[0] < 0) {
            res->manifest = EVCLIP_CHECK_FAILED;
            add_detail(res, "manifest malformed: native copy '%s': source, window or video "
                       "missing", path);
            continue;
        }
        if (access(spath, R_OK) != 0 || access(path, R_OK) != 0)
            continue; /* reported as a missing source or native copy */
        if (native_scan(spath, streams, json_number_value(json_object_get(w, "start")),
                        json_number_value(json_object_get(w, "end")), &from_source) < 0 ||
            !same_range(video, &from_source.video) || !same_range(audio, &from_source.audio)) {
            res->sources_changed++;
            add_detail(res, "native copy '%s': the packets of '%s' in its window no longer "
                       "match the digests the manifest records", path, spath);
        } else if (native_digest_file(path, &in_copy) < 0 ||
                   !same_range(video, &in_copy.video) || !same_range(audio, &in_copy.audio)) {
            res->sources_changed++;
            add_detail(res, "native copy '%s' does not hold the packets of '%s' the manifest "
                       "records", path, spath);
        }
    }
    return ret;
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
        manifest_key_id(given, given_id);
    if (!sig) {
        if (given) {
            res->key = EVCLIP_CHECK_FAILED;
            add_detail(res, "not signed: the manifest has no signature (expected key %s)",
                       given_id);
        }
        return;
    }
    if (!alg || strcmp(alg, "ed25519") || !pk64 || !v64 ||
        sodium_base642bin(pk, sizeof(pk), pk64, strlen(pk64), NULL, &pk_len, NULL, MANIFEST_B64) ||
        sodium_base642bin(value, sizeof(value), v64, strlen(v64), NULL, &v_len, NULL,
                          MANIFEST_B64) ||
        pk_len != sizeof(pk) || v_len != sizeof(value)) {
        res->signature = EVCLIP_CHECK_FAILED;
        res->key = given ? EVCLIP_CHECK_FAILED : EVCLIP_CHECK_SKIPPED;
        add_detail(res, "manifest edited: its signature object is malformed");
        return;
    }
    manifest_key_id(pk, res->key_id);
    json_t *copy = json_deep_copy(m);
    char *canon = NULL;
    if (copy && json_object_del(copy, "signature") == 0)
        canon = json_dumps(copy, MANIFEST_CANON_FLAGS);
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
        add_detail(res, "source unreadable: %s '%s': %s", what, path, evclip_last_error());
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
    else if (!jstr(m, "format") || strcmp(jstr(m, "format"), MANIFEST_FORMAT_NAME))
        add_detail(res, "'%s' is not an evclip evidence manifest", path);
    else if (!json_is_integer(version) || json_integer_value(version) != MANIFEST_FORMAT_VERSION)
        add_detail(res, "manifest '%s' has an unknown format_version", path);
    else {
        res->manifest = EVCLIP_CHECK_PASSED;
        res->nb_sources = (int)json_array_size(json_object_get(m, "sources"));
        res->redacted = json_is_object(json_object_get(m, "redaction"));
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
    int ret = pubkey_path ? manifest_read_public_key(pubkey_path, given) : 0;
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
    if (m && ret == 0)
        ret = check_poster(clip, m, res);
    if (m && ret == 0)
        ret = verify_natives(clip, m, flags & EVCLIP_VERIFY_SOURCES, res);
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
