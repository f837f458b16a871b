/* test_manifest.c: manifests, key files, signatures and verification, on small synthetic files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dirent.h>

#include "src/manifest.h"
#include "tests/unit/check.h"

static char dir[256];

static const char *at(const char *name)
{
    static char paths[8][512];
    static int next;
    char *p = paths[next++ % 8];
    snprintf(p, 512, "%s/%s", dir, name);
    return p;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = calloc(1, 1 << 16);
    if (f && buf)
        buf[fread(buf, 1, (1 << 16) - 1, f)] = 0;
    if (f)
        fclose(f);
    return buf;
}

/* Replaces the first occurrence of `from` with `to` (same length) in a file. */
static int edit_file(const char *path, const char *from, const char *to)
{
    char *text = read_file(path), *p = text ? strstr(text, from) : NULL;
    if (p) {
        memcpy(p, to, strlen(to));
        write_file(path, text);
    }
    free(text);
    return p != NULL;
}

static void flip_byte(const char *path, long offset)
{
    FILE *f = fopen(path, "r+b");
    if (!f)
        return;
    fseek(f, offset, SEEK_SET);
    int c = fgetc(f);
    fseek(f, offset, SEEK_SET);
    fputc(c ^ 1, f);
    fclose(f);
}

static int count_entries(void)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += e->d_name[0] != '.' || strstr(e->d_name, "evclip-tmp") != NULL;
    if (d)
        closedir(d);
    return n;
}

static void test_hash(void)
{
    char hex[65];
    int64_t size = 0;
    write_file(at("abc"), "abc");
    CHECK(manifest_hash_file(at("abc"), hex, &size) == 0 && size == 3);
    CHECK(!strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    CHECK(manifest_hash_file(at("missing"), hex, &size) == EVCLIP_ERR_INPUT);

    EvclipDetections *a = NULL, *b = NULL;
    EvclipDetection d = { 3, EVCLIP_NONE, 1, 2, 3, 4, "car", 0.5, 7, 0, { 0, 0, 0 }, 0 };
    char ha[65], hb[65];
    evclip_detections_new(&a);
    evclip_detections_new(&b);
    evclip_detections_add(a, &d);
    d.score = 0.25;
    evclip_detections_add(b, &d);
    manifest_hash_detections(a, ha);
    manifest_hash_detections(b, hb);
    CHECK(strcmp(ha, hb) != 0); /* the canonical hash covers API-added detections' fields */
    d.score = 0.5;
    evclip_detections_free(&b);
    evclip_detections_new(&b);
    evclip_detections_add(b, &d);
    manifest_hash_detections(b, hb);
    CHECK(!strcmp(ha, hb));
    /* a store without polygons hashes as before polygons existed */
    CHECK(!strcmp(ha, "0f670da05b8ec5fae5188f631cf3dbef237f6bcf08aaa22a9e22a2b27b318617"));
    /* A polygon is covered: same bounding box, with and without it, or another polygon. */
    static const double diamond[] = { 2, 2, 3, 3, 2, 4, 1, 3 }, tri[] = { 1, 2, 3, 3, 1, 4 };
    char hc[65];
    evclip_detections_free(&b);
    evclip_detections_new(&b);
    CHECK(evclip_detections_add_polygon(b, &d, NULL, diamond, 4) == 0);
    manifest_hash_detections(b, hb);
    CHECK(strcmp(ha, hb) != 0);
    evclip_detections_free(&b);
    evclip_detections_new(&b);
    CHECK(evclip_detections_add_polygon(b, &d, NULL, tri, 3) == 0);
    manifest_hash_detections(b, hc);
    CHECK(strcmp(ha, hc) != 0 && strcmp(hb, hc) != 0);
    evclip_detections_free(&a);
    evclip_detections_free(&b);
}

static void test_keys(void)
{
    struct stat st;
    CHECK(evclip_keygen(at("k1")) == 0);
    CHECK(stat(at("k1.key"), &st) == 0 && (st.st_mode & 0777) == 0600);
    CHECK(stat(at("k1.pub"), &st) == 0 && (st.st_mode & 0777) == 0644);
    CHECK(evclip_keygen(at("k1")) == EVCLIP_ERR_EXISTS);
    CHECK(stat(at("k1.key"), &st) == 0 && (st.st_mode & 0777) == 0600);
    CHECK(evclip_keygen(at("k2")) == 0);
    CHECK(evclip_keygen("") == EVCLIP_ERR_INVALID);
    CHECK(manifest_check_key(at("k1.key")) == 0);
    CHECK(manifest_check_key(at("k1.pub")) == EVCLIP_ERR_INVALID); /* not a secret key */
    CHECK(manifest_check_key(at("missing.key")) == EVCLIP_ERR_INVALID);
    chmod(at("k2.key"), 0640);
    CHECK(manifest_check_key(at("k2.key")) == EVCLIP_ERR_INVALID);
    CHECK(strstr(evclip_last_error(), "group or others") != NULL);
    chmod(at("k2.key"), 0600);
    CHECK(manifest_check_key(at("k2.key")) == 0);
    char *text = read_file(at("k1.pub"));
    CHECK(text && !strncmp(text, "evclip-ed25519-public-key-v1\n", 29));
    free(text);
}

typedef struct Fixture {
    char source[512], output[512], key[512]; /* own copies: at() recycles its buffers */
    EvclipDetections *dets;
    EvclipSource src;
    EvclipClip clip;
    EvclipSettings s;
    EvclipResult res;
    ManifestInfo info;
} Fixture;

static void fixture(Fixture *f, const char *key)
{
    memset(f, 0, sizeof(*f));
    write_file(at("source.mp4"), "pretend video bytes");
    write_file(at("clip.mp4"), "pretend clip bytes, long enough to flip one of them");
    write_file(at("dets.jsonl"),
               "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"car\"}\n");
    evclip_detections_new(&f->dets);
    CHECK(evclip_detections_load(f->dets, at("dets.jsonl")) == 0);
    EvclipDetection d = { 2, EVCLIP_NONE, 5, 6, 7, 8, "api", EVCLIP_NONE, EVCLIP_NONE, 0,
                          { 0, 0, 0 }, 0 };
    evclip_detections_add(f->dets, &d);
    snprintf(f->source, sizeof(f->source), "%s", at("source.mp4"));
    snprintf(f->output, sizeof(f->output), "%s", at("clip.mp4"));
    f->src = (EvclipSource){ f->source, f->dets, 1.5, 4.25 };
    f->clip = (EvclipClip){ &f->src, 1, f->output, 0.5, 0, 0, 0, 0, 0, 0, NULL };
    evclip_default_settings(&f->s);
    snprintf(f->key, sizeof(f->key), "%s", key ? key : "");
    f->s.sign_key = key ? f->key : NULL;
    f->res.frames = 10;
    f->res.duration = 1.0 / 3.0;
    f->res.boxes_drawn = 2;
    snprintf(f->res.encoder, sizeof(f->res.encoder), "libx264");
    f->info = (ManifestInfo){ &f->clip, &f->s, &f->res, 1.0, 1 };
}

static void test_write_and_verify(void)
{
    Fixture f;
    EvclipVerifyResult v;
    struct stat st;
    fixture(&f, at("k1.key"));
    int before = count_entries();
    CHECK(manifest_write(&f.info, NULL) == 0);
    CHECK(count_entries() == before + 1); /* the manifest, no temp file left */
    char mpath[512]; /* at() recycles its buffers */
    snprintf(mpath, sizeof(mpath), "%s", at("clip.mp4.evidence.json"));
    CHECK(stat(mpath, &st) == 0 && !(st.st_mode & 0111));
    char *text = read_file(mpath);
    CHECK(text && strstr(text, "\"format\": \"evclip-evidence-manifest\""));
    CHECK(text && strstr(text, "dets.jsonl") && strstr(text, "\"signature\""));
    CHECK(text && strstr(text, "\"duration\": 0.333333,")); /* reals rounded */
    free(text);

    CHECK(evclip_verify(at("clip.mp4"), NULL, at("k1.pub"), EVCLIP_VERIFY_SOURCES, &v) == 0);
    CHECK_MSG(v.ok && v.output == EVCLIP_CHECK_PASSED && v.signature == EVCLIP_CHECK_PASSED &&
              v.key == EVCLIP_CHECK_PASSED && v.sources == EVCLIP_CHECK_PASSED, "%s", v.detail);
    CHECK(v.nb_sources == 1 && strlen(v.key_id) == 32);
    CHECK(evclip_verify(at("clip.mp4"), NULL, NULL, 0, &v) == 0 && v.ok);
    CHECK(v.key == EVCLIP_CHECK_SKIPPED && v.sources == EVCLIP_CHECK_SKIPPED);

    /* Another key. */
    CHECK(evclip_verify(at("clip.mp4"), NULL, at("k2.pub"), 0, &v) == 0);
    CHECK(!v.ok && v.key == EVCLIP_CHECK_FAILED && v.signature == EVCLIP_CHECK_PASSED);
    CHECK(strstr(v.detail, "wrong key") != NULL);
    CHECK(evclip_verify(at("clip.mp4"), NULL, at("k1.key"), 0, &v) == EVCLIP_ERR_INVALID);

    /* One byte of the clip. */
    flip_byte(at("clip.mp4"), 7);
    CHECK(evclip_verify(at("clip.mp4"), NULL, at("k1.pub"), 0, &v) == 0);
    CHECK(!v.ok && v.output == EVCLIP_CHECK_FAILED && v.signature == EVCLIP_CHECK_PASSED);
    CHECK(strstr(v.detail, "output modified") != NULL);
    flip_byte(at("clip.mp4"), 7);

    /* One manifest field. */
    CHECK(edit_file(mpath, "\"boxes_drawn\": 2", "\"boxes_drawn\": 3"));
    CHECK(evclip_verify(at("clip.mp4"), NULL, at("k1.pub"), 0, &v) == 0);
    CHECK(!v.ok && v.signature == EVCLIP_CHECK_FAILED && v.output == EVCLIP_CHECK_PASSED);
    CHECK(strstr(v.detail, "manifest edited") != NULL);
    CHECK(edit_file(mpath, "\"boxes_drawn\": 3", "\"boxes_drawn\": 2"));
    CHECK(evclip_verify(at("clip.mp4"), NULL, at("k1.pub"), 0, &v) == 0 && v.ok);

    /* Sources changed, then missing. */
    write_file(at("source.mp4"), "pretend video bytez");
    CHECK(evclip_verify(at("clip.mp4"), NULL, NULL, EVCLIP_VERIFY_SOURCES, &v) == 0);
    CHECK(!v.ok && v.sources == EVCLIP_CHECK_FAILED && v.sources_changed == 1);
    CHECK(strstr(v.detail, "source changed") != NULL);
    unlink(at("source.mp4"));
    CHECK(evclip_verify(at("clip.mp4"), NULL, NULL, EVCLIP_VERIFY_SOURCES, &v) == 0);
    CHECK(!v.ok && v.sources_missing == 1 && strstr(v.detail, "source missing"));
    CHECK(evclip_verify(at("clip.mp4"), NULL, NULL, 0, &v) == 0 && v.ok);

    /* Malformed and missing manifests. */
    write_file(mpath, "{\"format\": ");
    CHECK(evclip_verify(at("clip.mp4"), NULL, NULL, 0, &v) == 0);
    CHECK(!v.ok && v.manifest == EVCLIP_CHECK_FAILED);
    unlink(mpath);
    CHECK(evclip_verify(at("clip.mp4"), NULL, NULL, 0, &v) == EVCLIP_ERR_INPUT);
    evclip_detections_free(&f.dets);
}

static void test_unsigned_and_failures(void)
{
    Fixture f;
    EvclipVerifyResult v;
    fixture(&f, NULL);
    CHECK(manifest_write(&f.info, NULL) == 0);
    CHECK(evclip_verify(at("clip.mp4"), NULL, NULL, 0, &v) == 0 && v.ok);
    CHECK(v.signature == EVCLIP_CHECK_SKIPPED && v.key_id[0] == 0);
    CHECK(evclip_verify(at("clip.mp4"), NULL, at("k1.pub"), 0, &v) == 0);
    CHECK(!v.ok && v.key == EVCLIP_CHECK_FAILED && strstr(v.detail, "not signed"));
    unlink(at("clip.mp4.evidence.json"));

    /* A key readable by others is refused and nothing is written. */
    int before = count_entries();
    chmod(at("k2.key"), 0644);
    snprintf(f.key, sizeof(f.key), "%s", at("k2.key"));
    f.s.sign_key = f.key;
    CHECK(manifest_write(&f.info, NULL) == EVCLIP_ERR_INVALID);
    CHECK(count_entries() == before);
    chmod(at("k2.key"), 0600);

    /* A detection log edited after loading. */
    f.s.sign_key = NULL;
    write_file(at("dets.jsonl"),
               "{\"frame_idx\": 9, \"bbox\": [1, 2, 3, 4], \"label\": \"cats\"}\n");
    before = count_entries();
    CHECK(manifest_write(&f.info, NULL) == EVCLIP_ERR_DETECTIONS);
    CHECK(strstr(evclip_last_error(), "changed") && count_entries() == before);
    evclip_detections_free(&f.dets);
}

/* Credentials never reach a live clip's manifest; nothing else of the URL changes. */
static void test_strip_credentials(void)
{
    static const char *const cases[][2] = {
        { "rtsp://alice:pw@cam-3:554/stream", "rtsp://cam-3:554/stream" },
        { "rtsp://alice@cam-3/stream", "rtsp://cam-3/stream" },
        { "rtsp://a:p@ss@10.0.0.7/x", "rtsp://10.0.0.7/x" },  /* '@' in the password */
        { "rtsp://cam/x?token=a@b", "rtsp://cam/x?token=a@b" }, /* '@' after the host */
        { "http://cam/p@th", "http://cam/p@th" },
        { "srt://u:p@host:9000", "srt://host:9000" },
        { "/srv/a@b.mp4", "/srv/a@b.mp4" },                 /* a file: no authority */
        { "rtsp://cam", "rtsp://cam" },
    };
    char out[256];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        manifest_strip_credentials(cases[i][0], out, sizeof(out));
        CHECK(!strcmp(out, cases[i][1]));
    }
    manifest_strip_credentials("rtsp://u:p@host/long", out, 8);
    CHECK(!strcmp(out, "rtsp://")); /* cut to size, never past the buffer */
}

int main(void)
{
    snprintf(dir, sizeof(dir), "/tmp/evclip-test-manifest-XXXXXX");
    if (!mkdtemp(dir))
        return TEST_SKIP;
    test_hash();
    test_strip_credentials();
    test_keys();
    test_write_and_verify();
    test_unsigned_and_failures();
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (getenv("EVCLIP_KEEP_TEST_DIR"))
        return test_summary();
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return test_summary();
}
