/* test_color.c: "color" given as "#rrggbb" or a CSS name: parsed to BGR, in logs too. */
#include <math.h>
#include <string.h>

#include "src/color.h"
#include "src/overlay.h"
#include "src/detections.h"
#include "src/reader.h"
#include "tests/unit/check.h"

static int is_bgr(const char *text, int b, int g, int r)
{
    uint8_t c[3] = { 1, 2, 3 };
    return color_parse(text, c) == 0 && c[0] == b && c[1] == g && c[2] == r;
}

static void test_parse(void)
{
    CHECK(is_bgr("#ff8000", 0x00, 0x80, 0xff));
    CHECK(is_bgr("#FF8000", 0x00, 0x80, 0xff));
    CHECK(is_bgr("red", 0, 0, 255));
    CHECK(is_bgr("Red", 0, 0, 255));
    CHECK(is_bgr("aliceblue", 0xff, 0xf8, 0xf0));      /* first of the table */
    CHECK(is_bgr("yellowgreen", 0x32, 0xcd, 0x9a));    /* last */
    CHECK(is_bgr("rebeccapurple", 0x99, 0x33, 0x66));
    CHECK(is_bgr("grey", 128, 128, 128) && is_bgr("gray", 128, 128, 128));
    CHECK(is_bgr("teal", 128, 128, 0));
    static const char *const bad[] = { "", "#", "#fff", "#ff800", "#ff80000", "#gg0000",
                                       "redd", "re d", "ff0000", "#ff 000", "transparent" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint8_t c[3] = { 7, 7, 7 };
        CHECK_MSG(color_parse(bad[i], c) == -1 && c[0] == 7, "'%s' refused", bad[i]);
    }
    CHECK(color_parse(NULL, (uint8_t[3]){ 0 }) == -1);
}

static void test_in_log(void)
{
    static const char log[] =
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\", \"color\": \"#0000ff\"}\n"
        "{\"frame_idx\": 2, \"bbox\": [1, 2, 3, 4], \"label\": \"a\", \"color\": \"lime\"}\n"
        "{\"frame_idx\": 3, \"bbox\": [1, 2, 3, 4], \"label\": \"a\", \"color\": [255, 0, 0]}\n";
    EvclipDetections *d = NULL;
    DetList list = { 0 };
    CHECK(evclip_detections_new(&d) == 0);
    CHECK(reader_parse_jsonl(d, "c.jsonl", log, strlen(log)) == 0);
    CHECK(detections_prepare(d) == 0);
    CHECK(detections_lookup(d, 0, INT64_MAX, 0, INFINITY, &list) >= 0);
    CHECK(list.count == 3);
    if (list.count == 3) {
        /* "#0000ff" is blue, the same as the BGR array [255, 0, 0]. */
        CHECK(list.items[0].has_color && !memcmp(list.items[0].color, list.items[2].color, 3));
        CHECK(list.items[1].has_color && list.items[1].color[0] == 0 &&
              list.items[1].color[1] == 255 && list.items[1].color[2] == 0);
    }
    static const char bad[] =
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\", \"color\": \"redish\"}\n";
    CHECK(reader_parse_jsonl(d, "c.jsonl", bad, strlen(bad)) == EVCLIP_ERR_DETECTIONS);
    CHECK_MSG(strstr(evclip_last_error(), "c.jsonl:1: field 'color': expected [B, G, R] (3 "
                     "integers 0..255), \"#rrggbb\" or a CSS colour name"), "%s",
              evclip_last_error());
    detlist_free(&list);
    evclip_detections_free(&d);
}

/* The public entry points the Python binding calls (one colour table, one palette). */
static void test_public(void)
{
    uint8_t bgr[3] = { 7, 7, 7 };
    CHECK(evclip_color_parse("Teal", bgr) == 0 && bgr[0] == 128 && bgr[1] == 128 && bgr[2] == 0);
    CHECK(evclip_color_parse("#FF0080", bgr) == 0 && bgr[0] == 0x80 && bgr[2] == 0xFF);
    CHECK(evclip_color_parse("#ff008", bgr) == EVCLIP_ERR_INVALID && bgr[0] == 0x80);
    CHECK_MSG(!strcmp(evclip_last_error(), "colour '#ff008' is neither \"#rrggbb\" nor a CSS "
                      "colour name"), "%s", evclip_last_error());
    CHECK(evclip_color_parse(NULL, bgr) == EVCLIP_ERR_INVALID);
    /* palette_color = what the overlay draws an uncoloured box with (RGB there, BGR here). */
    const char *labels[] = { "car", "person", "", "\xC3\xA9t\xC3\xA9" };
    for (int i = 0; i < 4; i++) {
        for (int64_t track = -1; track < 45; track += 7) {
            EvclipDetection d = { .label = labels[i], .track_id = track };
            uint8_t rgb[3];
            overlay_detection_rgb(&d, rgb);
            evclip_palette_color(labels[i], track, bgr);
            CHECK(bgr[0] == rgb[2] && bgr[1] == rgb[1] && bgr[2] == rgb[0]);
        }
    }
    uint8_t a[3], b[3];
    evclip_palette_color("x", 21, a);
    evclip_palette_color("y", 1, b);
    CHECK(!memcmp(a, b, 3)); /* 20 entries */
    evclip_palette_color(NULL, -1, a);
    evclip_palette_color("", -1, b);
    CHECK(!memcmp(a, b, 3));
}

int main(void)
{
    test_parse();
    test_in_log();
    test_public();
    return test_summary();
}
