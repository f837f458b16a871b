/* manifest_keys.c: Ed25519 key files (generation, checks, reading) and manifest signing. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "src/error.h"
#include "src/manifest_internal.h"

#define SECRET_HEADER "evclip-ed25519-secret-key-v1"
#define PUBLIC_HEADER "evclip-ed25519-public-key-v1"

void manifest_key_id(const unsigned char pk[crypto_sign_PUBLICKEYBYTES], char out[33])
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
                               MANIFEST_B64) == 0 && bin_len == len;
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

int manifest_read_public_key(const char *path, unsigned char pk[crypto_sign_PUBLICKEYBYTES])
{
    return read_key(path, PUBLIC_HEADER, pk, crypto_sign_PUBLICKEYBYTES, 0);
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
    sodium_bin2base64(text + hl, sizeof(text) - hl - 1, key, len, MANIFEST_B64);
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

int manifest_sign(json_t *m, const char *key_path)
{
    unsigned char sk[crypto_sign_SECRETKEYBYTES], sig[crypto_sign_BYTES];
    char pk64[sodium_base64_ENCODED_LEN(crypto_sign_PUBLICKEYBYTES, MANIFEST_B64)];
    char sig64[sodium_base64_ENCODED_LEN(crypto_sign_BYTES, MANIFEST_B64)], kid[33];
    int ret = read_secret(key_path, sk);
    if (ret < 0)
        return ret;
    char *canon = json_dumps(m, MANIFEST_CANON_FLAGS);
    if (!canon) {
        sodium_memzero(sk, sizeof(sk));
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory (manifest)");
    }
    crypto_sign_detached(sig, NULL, (const unsigned char *)canon, strlen(canon), sk);
    free(canon);
    const unsigned char *pk = sk + crypto_sign_SEEDBYTES;
    sodium_bin2base64(pk64, sizeof(pk64), pk, crypto_sign_PUBLICKEYBYTES, MANIFEST_B64);
    sodium_bin2base64(sig64, sizeof(sig64), sig, sizeof(sig), MANIFEST_B64);
    manifest_key_id(pk, kid);
    sodium_memzero(sk, sizeof(sk));
    json_t *s = json_pack("{s:s, s:s, s:s, s:s}", "algorithm", "ed25519", "public_key", pk64,
                          "key_id", kid, "value", sig64);
    if (!s || json_object_set_new(m, "signature", s) < 0)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory (manifest)");
    return 0;
}

