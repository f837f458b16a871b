/* test_preset.c: presets translated per encoder (NVENC p1..p7, QSV) and refused with a list. */
#include <string.h>

#include "src/error.h"
#include "src/preset.h"
#include "tests/unit/check.h"

static const char *resolve(const char *encoder, const char *name, int *ret)
{
    const AVCodec *codec = avcodec_find_encoder_by_name(encoder);
    const char *out = "unset";
    *ret = codec ? preset_resolve(codec, name, &out) : -100;
    return out;
}

static void test_x264(void)
{
    int ret;
    const char *out = resolve("libx264", "veryfast", &ret);
    CHECK(ret == 0 && out && !strcmp(out, "veryfast"));
    out = resolve("libx264", "turbo", &ret);
    CHECK(ret == EVCLIP_ERR_INVALID);
    const char *msg = ev_error_message();
    CHECK_MSG(strstr(msg, "encoder libx264: unknown preset 'turbo'; valid presets: "
                          "ultrafast, superfast, veryfast, faster, fast, medium, slow, slower, "
                          "veryslow, placebo"), "%s", msg);
    CHECK_MSG(!strstr(msg, "0x"), "no pointer in %s", msg);
    out = resolve("libx264", NULL, &ret);
    CHECK(ret == 0 && out == NULL);
}

static void test_nvenc(void)
{
    static const char *const x264[] = { "ultrafast", "superfast", "veryfast", "faster", "fast",
                                        "medium", "slow", "slower", "veryslow", "placebo" };
    static const char *const nvenc[] = { "p1", "p1", "p2", "p3", "p3", "p4", "p5", "p6", "p7",
                                         "p7" };
    int ret;
    if (!avcodec_find_encoder_by_name("h264_nvenc")) {
        printf("h264_nvenc not in this FFmpeg: NVENC checks skipped\n");
        return;
    }
    for (int i = 0; i < 10; i++) {
        const char *out = resolve("h264_nvenc", x264[i], &ret);
        CHECK_MSG(ret == 0 && out && !strcmp(out, nvenc[i]), "%s -> %s", x264[i],
                  out ? out : "NULL");
    }
    const char *out = resolve("h264_nvenc", "p5", &ret);
    CHECK(ret == 0 && out && !strcmp(out, "p5"));
    resolve("h264_nvenc", "turbo", &ret);
    CHECK(ret == EVCLIP_ERR_INVALID);
    CHECK_MSG(strstr(ev_error_message(), "p1, p2, p3, p4, p5, p6, p7"), "%s",
              ev_error_message());
}

static void test_others(void)
{
    int ret;
    const char *out;
    if (avcodec_find_encoder_by_name("h264_qsv")) {
        out = resolve("h264_qsv", "ultrafast", &ret);
        CHECK_MSG(ret == 0 && out && !strcmp(out, "veryfast"), "%s", out ? out : "NULL");
        out = resolve("h264_qsv", "slower", &ret);
        CHECK(ret == 0 && out && !strcmp(out, "slower"));
    }
    if (avcodec_find_encoder_by_name("h264_vaapi")) {
        out = resolve("h264_vaapi", "veryfast", &ret);
        CHECK(ret == 0 && out == NULL); /* no preset option: nothing to set */
    }
    out = resolve("mpeg4", "veryfast", &ret);
    CHECK(ret == 0 && out == NULL);
}

int main(void)
{
    test_x264();
    test_nvenc();
    test_others();
    return test_summary();
}
