/* test_api.c: public API contracts: every int-returning entry point clears the thread's last
 * error (void ones keep it, so cleanup between a failure and its report keeps the message),
 * struct_size mismatches are refused, the API version is the header's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavutil/log.h>

#include "evclip/evclip.h"
#include "tests/unit/check.h"

static char dir[256];

/* Leaves an error message in this thread (evclip_open with a NULL out). */
static void provoke(void)
{
    evclip_open(NULL, NULL);
}

/* After `call` (which must succeed), the thread's message must be "". */
#define CLEARS(call) \
    do { \
        provoke(); \
        CHECK_MSG(*evclip_last_error(), "no error provoked before %s", #call); \
        call; \
        CHECK_MSG(!*evclip_last_error(), "%s left \"%s\"", #call, evclip_last_error()); \
    } while (0)

/* After `call` (void), the provoked message must still be there. */
#define KEEPS(call) \
    do { \
        provoke(); \
        char before[256]; \
        snprintf(before, sizeof(before), "%s", evclip_last_error()); \
        call; \
        CHECK_MSG(!strcmp(before, evclip_last_error()), "%s changed the error to \"%s\"", \
                  #call, evclip_last_error()); \
    } while (0)

#define CLEARS_OK(call) CLEARS(CHECK_MSG((call) >= 0, "%s failed: %s", #call, \
                                         evclip_last_error()))

static int make_clip(EvclipRenderer *r, const char *path)
{
    static uint8_t y[64 * 48], u[32 * 24], v[32 * 24];
    EvclipWriterParams wp = { .output = path, .width = 64, .height = 48, .fps_num = 10,
                              .fps_den = 1 };
    EvclipWriter *w = NULL;
    EvclipDetection det = { .frame_idx = EVCLIP_NONE, .ts = EVCLIP_NONE, .x1 = 4, .y1 = 4,
                            .x2 = 30, .y2 = 30, .label = "car", .score = 0.5,
                            .track_id = EVCLIP_NONE };
    memset(y, 90, sizeof(y));
    memset(u, 128, sizeof(u));
    memset(v, 128, sizeof(v));
    CLEARS_OK(evclip_writer_open(&w, r, &wp));
    for (int i = 0; i < 5; i++) {
        EvclipFrame f = { .format = EVCLIP_PIXFMT_YUV420P, .width = 64, .height = 48,
                          .data = { y, u, v }, .linesize = { 64, 32, 32 }, .time = i * 0.1 };
        CLEARS_OK(evclip_writer_push(w, &f, &det, 1));
    }
    CLEARS_OK(evclip_writer_finish(w, NULL));
    KEEPS(evclip_writer_close(&w));
    return 0;
}

/* evclip_render and evclip_verify (a rendered clip has a manifest) on the test media. */
static void render_and_verify(EvclipRenderer *r)
{
    const char *media = getenv("EVCLIP_MEDIA");
    char video[4200], out[512];
    snprintf(video, sizeof(video), "%s/car-detection.mp4", media ? media : "");
    snprintf(out, sizeof(out), "%s/render.mp4", dir);
    if (!media || access(video, R_OK) != 0) {
        printf("EVCLIP_MEDIA not set: evclip_render/evclip_verify not checked\n");
        return;
    }
    EvclipSource src = { .path = video, .start = 5, .end = 5.5 };
    EvclipClip clip = { .sources = &src, .nb_sources = 1, .output = out };
    EvclipResult res;
    EvclipVerifyResult vr;
    CLEARS_OK(evclip_render(r, &clip, &res));
    CLEARS_OK(evclip_verify(out, NULL, NULL, 0, &vr));
    CHECK_MSG(vr.ok, "%s", vr.detail);
}

static int count_frames(void *opaque, const EvclipInspectFrame *f)
{
    (void)f;
    ++*(int *)opaque;
    return 0;
}

static void test_errors_cleared(void)
{
    char log[512], clip[512], key[512];
    snprintf(log, sizeof(log), "%s/log.jsonl", dir);
    snprintf(clip, sizeof(clip), "%s/clip.mp4", dir);
    snprintf(key, sizeof(key), "%s/k", dir);
    FILE *f = fopen(log, "w");
    CHECK(f != NULL);
    if (!f)
        return;
    fputs("{\"frame_idx\": 1, \"bbox\": [1, 2, 30, 40], \"label\": \"car\"}\n", f);
    fclose(f);

    EvclipDetections *d = NULL;
    EvclipDetectionStats ds;
    EvclipDetection det = { .frame_idx = 2, .ts = EVCLIP_NONE, .x1 = 1, .y1 = 1, .x2 = 5,
                            .y2 = 5, .label = "x", .score = EVCLIP_NONE,
                            .track_id = EVCLIP_NONE };
    CLEARS_OK(evclip_detections_new(&d));
    CLEARS_OK(evclip_detections_load(d, log));
    CLEARS_OK(evclip_detections_load_format(d, log, "jsonl", 0));
    CLEARS_OK(evclip_detections_add(d, &det));
    CLEARS_OK(evclip_detections_prepare(d));
    KEEPS(evclip_detections_get_stats(d, &ds));
    KEEPS(evclip_detections_free(&d));

    EvclipSettings s;
    EvclipRenderer *r = NULL;
    EvclipStats st;
    KEEPS(evclip_default_settings(&s));
    s.preset = "ultrafast";
    CLEARS_OK(evclip_settings_validate(&s));
    CLEARS_OK(evclip_open(&r, &s));
    KEEPS(evclip_reset_cancel(r));
    KEEPS(evclip_get_stats(r, &st));
    KEEPS(evclip_cancel(r));
    evclip_reset_cancel(r);
    CLEARS_OK(evclip_render_batch(r, NULL, 0, NULL, 1));
    make_clip(r, clip);
    int frames = 0;
    CLEARS_OK(evclip_inspect(clip, count_frames, &frames));
    CHECK(frames == 5);
    CLEARS_OK(evclip_keygen(key));
    render_and_verify(r);

    EvclipLiveSettings ls;
    EvclipLive *live = NULL;
    KEEPS(evclip_live_default_settings(&ls));
    ls.workers = 1;
    CLEARS_OK(evclip_live_open(&live, r, &ls));
    CLEARS_OK(evclip_live_control(live, "{\"type\": \"stats\"}"));
    KEEPS(evclip_live_close(&live));
    KEEPS(evclip_close(&r));
}

/* A settings struct of another size (a caller built against another evclip.h) is refused by
 * every function taking settings, naming both sizes. */
static void test_struct_size(void)
{
    EvclipSettings s;
    EvclipRenderer *r = NULL;
    char want[160];
    evclip_default_settings(&s);
    CHECK(s.struct_size == sizeof(EvclipSettings));
    CHECK(evclip_struct_size("EvclipSettings") == sizeof(EvclipSettings));
    s.struct_size -= 8;
    snprintf(want, sizeof(want), "EvclipSettings.struct_size is %zu, this libevclip (API %d.%d.%d)"
             " expects %zu", sizeof(EvclipSettings) - 8, EVCLIP_API_VERSION_MAJOR,
             EVCLIP_API_VERSION_MINOR, EVCLIP_API_VERSION_PATCH, sizeof(EvclipSettings));
    CHECK(evclip_open(&r, &s) == EVCLIP_ERR_INVALID && r == NULL);
    CHECK_MSG(strstr(evclip_last_error(), want), "%s", evclip_last_error());
    CHECK(evclip_settings_validate(&s) == EVCLIP_ERR_INVALID);
    memset(&s, 0, sizeof(s)); /* filled by hand, without evclip_default_settings */
    s.encoder = "libx264";
    CHECK(evclip_open(&r, &s) == EVCLIP_ERR_INVALID);
    CHECK_MSG(strstr(evclip_last_error(), "fill it with its default function"), "%s",
              evclip_last_error());

    /* A per-clip override is checked the same way. */
    evclip_default_settings(&s);
    CHECK(evclip_open(&r, &s) == 0);
    EvclipSettings clip_s = s;
    clip_s.struct_size = 1;
    char out[512];
    snprintf(out, sizeof(out), "%s/never.mp4", dir);
    EvclipSource src = { .path = "/nonexistent.mp4", .start = 0, .end = 1 };
    EvclipClip clip = { .sources = &src, .nb_sources = 1, .output = out,
                        .settings = &clip_s };
    EvclipResult res;
    CHECK(evclip_render(r, &clip, &res) == EVCLIP_ERR_INVALID);
    CHECK_MSG(strstr(res.error, "EvclipSettings.struct_size is 1"), "%s", res.error);

    /* Reserved bytes must be zero: a later version gives them a meaning. */
    EvclipClip dirty = clip;
    dirty.settings = NULL;
    dirty.reserved[3] = 1;
    CHECK(evclip_render(r, &dirty, &res) == EVCLIP_ERR_INVALID);
    CHECK_MSG(strstr(res.error, "EvclipClip.reserved[3] is 1: reserved bytes must be zero"),
              "%s", res.error);
    EvclipSource dirty_src = src;
    dirty_src.reserved[0] = 7;
    dirty.reserved[3] = 0;
    dirty.sources = &dirty_src;
    CHECK(evclip_render(r, &dirty, &res) == EVCLIP_ERR_INVALID);
    CHECK_MSG(strstr(res.error, "EvclipSource.reserved[0] is 7"), "%s", res.error);
    EvclipWriterParams wp = { .output = out, .width = 64, .height = 48, .fps_num = 10,
                              .fps_den = 1, .reserved = { [31] = 2 } };
    EvclipWriter *w = NULL;
    CHECK(evclip_writer_open(&w, r, &wp) == EVCLIP_ERR_INVALID && !w);
    CHECK_MSG(strstr(evclip_last_error(), "EvclipWriterParams.reserved[31] is 2"), "%s",
              evclip_last_error());
    EvclipSettings dirty_s;
    evclip_default_settings(&dirty_s);
    dirty_s.reserved[0] = 1;
    CHECK(evclip_settings_validate(&dirty_s) == EVCLIP_ERR_INVALID);

    EvclipLiveSettings ls;
    EvclipLive *live = NULL;
    evclip_live_default_settings(&ls);
    CHECK(ls.struct_size == sizeof(ls));
    ls.struct_size = 0;
    CHECK(evclip_live_open(&live, r, &ls) == EVCLIP_ERR_INVALID && !live);
    CHECK_MSG(strstr(evclip_last_error(), "EvclipLiveSettings.struct_size is 0"), "%s",
              evclip_last_error());
    evclip_close(&r);
}

/* FFmpeg's process-wide log: the host's callback stays unless a renderer opts in. */
static int host_lines, renderer_lines;

static void host_log(void *avcl, int level, const char *fmt, va_list vl)
{
    (void)avcl, (void)level, (void)fmt, (void)vl;
    host_lines++;
}

static void renderer_log(void *opaque, int level, const char *message)
{
    (void)opaque, (void)level;
    renderer_lines += !strncmp(message, "ffmpeg: ", 8);
}

static void test_ffmpeg_log(void)
{
    EvclipSettings s;
    EvclipRenderer *r = NULL;
    char clip[512];
    snprintf(clip, sizeof(clip), "%s/log.mp4", dir);
    av_log_set_callback(host_log);
    evclip_default_settings(&s);
    s.overwrite = 1;
    s.log_callback = renderer_log;
    s.log_level = EVCLIP_LOG_DEBUG;
    CHECK(s.ffmpeg_log == 0);
    CHECK(evclip_open(&r, &s) == 0);
    make_clip(r, clip); /* libx264 logs its settings through av_log */
    evclip_close(&r);
    CHECK_MSG(host_lines > 0 && renderer_lines == 0, "default: host %d, renderer %d lines",
              host_lines, renderer_lines);

    s.ffmpeg_log = 1;
    host_lines = 0;
    CHECK(evclip_open(&r, &s) == 0);
    make_clip(r, clip);
    CHECK_MSG(renderer_lines > 0, "ffmpeg_log: no FFmpeg line reached the renderer");
    evclip_close(&r);
    int before = renderer_lines;
    av_log_set_level(AV_LOG_QUIET);
    av_log(NULL, AV_LOG_ERROR, "after close\n");
    CHECK_MSG(renderer_lines == before, "a closed renderer received an FFmpeg line");
}

static void test_version(void)
{
    int v = evclip_version_api();
    CHECK(v == EVCLIP_API_VERSION);
    CHECK(v >> 16 == EVCLIP_API_VERSION_MAJOR && ((v >> 8) & 0xff) == EVCLIP_API_VERSION_MINOR);
    CHECK(EVCLIP_API_VERSION_MAJOR >= 1); /* structs changed since the 0.x soname */
    CHECK(evclip_struct_size("NoSuchStruct") == 0 && evclip_struct_size(NULL) == 0);
}

/* Writes `text` to DIR/name and returns the path (static buffer). */
static const char *write_config(const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    CHECK(f && fputs(text, f) >= 0);
    if (f)
        fclose(f);
    return path;
}

/* The live zones (pool, stream, camera config): a bad one is refused, naming it, before any
 * stream starts; a config with a bad entry adds none of its streams. */
static void test_live_zones(void)
{
    EvclipSettings s;
    EvclipRenderer *r = NULL;
    EvclipLiveSettings ls;
    EvclipLive *live = NULL;
    EvclipStreamStats st;
    evclip_default_settings(&s);
    CHECK(evclip_open(&r, &s) == 0);
    evclip_live_default_settings(&ls);
    CHECK(ls.timezone == NULL);
    static const struct { const char *zone, *why; } bad[] = {
        { "Mars/Base", "unknown zone" }, { "../../etc/passwd", "not a zone name" },
        { "Europe/../../etc/shadow", "not a zone name" }, { "+99:00", "offset" },
    };
    char huge[8192];
    memset(huge, 'A', sizeof(huge) - 1);
    huge[sizeof(huge) - 1] = '\0';
    for (size_t i = 0; i <= sizeof(bad) / sizeof(bad[0]); i++) {
        int last = i == sizeof(bad) / sizeof(bad[0]); /* then a huge name */
        ls.timezone = last ? huge : bad[i].zone;
        CHECK(evclip_live_open(&live, r, &ls) == EVCLIP_ERR_INVALID && !live);
        CHECK_MSG(strstr(evclip_last_error(), "live settings: timezone") &&
                  strstr(evclip_last_error(), last ? "not a zone name" : bad[i].why), "%s: %s",
                  last ? "huge" : bad[i].zone, evclip_last_error());
    }
    char zone[32] = "Europe/Berlin"; /* the pool keeps its own copy */
    ls.timezone = zone;
    ls.connect_timeout = 0.2;
    CHECK(evclip_live_open(&live, r, &ls) == 0);
    memset(zone, 0, sizeof(zone));
    EvclipStreamParams p = { .name = "x", .url = "/nonexistent/x.mp4", .timezone = "Mars" };
    CHECK(evclip_live_add_stream(live, &p) == EVCLIP_ERR_INVALID);
    CHECK_MSG(strstr(evclip_last_error(), "stream 'x': timezone: time zone 'Mars': unknown"),
              "%s", evclip_last_error());
    CHECK(evclip_live_get_stream_stats(live, "x", &st) == EVCLIP_ERR_INVALID);
    static const struct { const char *text, *why; } configs[] = {
        { "[{\"name\": \"ok\", \"url\": \"/nonexistent/a.mp4\"},"
          " {\"name\": \"bad\", \"url\": \"/nonexistent/b.mp4\", \"tz\": \"Europe/../x\"}]",
          "streams[1]: stream 'bad': timezone: time zone 'Europe/../x': not a zone name" },
        { "[{\"name\": \"ok\", \"url\": \"a\"}, {\"name\": \"n\", \"url\": \"b\", \"tz\": 5}]",
          "streams[1]: field 'tz': expected a zone name" },
        { "[{\"name\": \"ok\", \"url\": \"a\"}, {\"name\": \"ok\", \"url\": \"b\"}]",
          "streams[1]: stream 'ok' is named twice" },
        { "[{\"name\": \"ok\", \"url\": \"a\"}, {\"name\": \"n\", \"url\": \"b\", \"pre\": -1}]",
          "streams[1]: stream 'n': negative pre/post roll" },
    };
    for (size_t i = 0; i < sizeof(configs) / sizeof(configs[0]); i++) {
        CHECK(evclip_live_add_config(live, write_config("cams.json", configs[i].text)) ==
              EVCLIP_ERR_INVALID);
        CHECK_MSG(strstr(evclip_last_error(), configs[i].why), "config %zu: %s", i,
                  evclip_last_error());
        CHECK_MSG(evclip_live_get_stream_stats(live, "ok", &st) == EVCLIP_ERR_INVALID,
                  "config %zu: its first stream was added", i);
    }
    CHECK(evclip_live_add_config(live, write_config("cams.json",
          "[{\"name\": \"ok\", \"url\": \"/nonexistent/a.mp4\", \"tz\": \"+05:30\"}]")) == 0);
    CHECK(evclip_live_get_stream_stats(live, "ok", &st) == 0);
    CHECK(evclip_live_control(live, "{\"type\": \"add_stream\", \"config\": {\"name\": \"c\","
                              " \"url\": \"u\", \"tz\": \"UTC/..\"}}") == EVCLIP_ERR_INVALID);
    CHECK_MSG(strstr(evclip_last_error(), "add_stream: config: stream 'c': timezone"), "%s",
              evclip_last_error());
    evclip_live_close(&live);
    evclip_close(&r);
}

int main(void)
{
    snprintf(dir, sizeof(dir), "/tmp/evclip-test-api-XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    test_version();
    test_errors_cleared();
    test_struct_size();
    test_ffmpeg_log();
    test_live_zones();
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return test_summary();
}
