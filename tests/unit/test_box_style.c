/* test_box_style.c: style templates (fields, formats, absent fields, errors with the column,
 * extra keys from a read log), style parsing (errors name the place) and resolution (track >
 * label > default). */
#include <string.h>

#include "src/detections.h"
#include "src/error.h"
#include "src/reader.h"
#include "src/style.h"
#include "tests/unit/check.h"

static const char *fmt(const char *tmpl, const EvclipDetection *d)
{
    static char buf[128];
    char err[128];
    if (style_format(tmpl, d, buf, sizeof(buf), err, sizeof(err)) < 0)
        return "ERROR";
    return buf;
}

static const char *fmt_error(const char *tmpl)
{
    static char err[256];
    char buf[64];
    err[0] = 0;
    if (style_format(tmpl, NULL, buf, sizeof(buf), err, sizeof(err)) == 0)
        return "";
    return err;
}

static void test_templates(void)
{
    EvclipDetection d = { .label = "car", .score = 0.6449, .track_id = 7 };
    EvclipDetection bare = { .label = "car", .score = EVCLIP_NONE, .track_id = EVCLIP_NONE };
    CHECK(!strcmp(fmt("{label} #{track_id} {score:.0%}", &d), "car #7 64%"));
    CHECK(!strcmp(fmt("{label} #{track_id} {score:.0%}", &bare), "car"));
    CHECK(!strcmp(fmt("{label} {score}", &d), "car 0.64"));
    CHECK(!strcmp(fmt("{score:.3f}|{score:.1%}|{track_id:d}", &d), "0.645|64.5%|7"));
    CHECK(!strcmp(fmt("{{{label}}}", &d), "{car}"));
    CHECK(!strcmp(fmt("id {track_id}: {label}", &bare), ": car"));
    CHECK(!strcmp(fmt("plain", &d), "plain"));
    CHECK(strstr(fmt_error("{label} {scor}"), "unknown field 'scor'"));
    CHECK(strstr(fmt_error("{label:.2f}"), "unknown field 'label:.2f'"));
    CHECK(strstr(fmt_error("{score:.9f}"), "format ':.9f' of field 'score'"));
    CHECK(strstr(fmt_error("{label"), "'{' at column 1 is not closed"));
    CHECK(strstr(fmt_error("ab}"), "single '}' at column 3"));
    CHECK(!strcmp(fmt_error("{label} #{track_id:d} {score:.2%}"), ""));
    /* a long label is cut, never overflowed */
    char big[300];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    EvclipDetection l = { .label = big, .score = EVCLIP_NONE, .track_id = EVCLIP_NONE };
    CHECK(strlen(fmt("{label}{label}", &l)) == 127);
}

/* {extra[key]} of detections read from a native log, by both reader paths. */
static void test_extra(int flags)
{
    static const char log[] =
        "{\"frame_idx\": 0, \"bbox\": [0, 0, 10, 10], \"label\": \"car\", \"score\": 0.5, "
        "\"extra\": {\"plate\": \"AB-123\", \"speed\": 42.5, \"n\": 3, \"ok\": true, "
        "\"r\": 0.125, \"z\": null, \"l\": [1], \"o\": {\"p\": 1}}}\n"
        "{\"frame_idx\": 1, \"bbox\": [0, 0, 10, 10], \"label\": \"car\", \"extra\": {}}\n"
        "{\"frame_idx\": 2, \"label\": \"plate\", \"polygon\": [[0, 0], [8, 1], [7, 9]], "
        "\"extra\": {\"plate\": \"XY-9\"}}\n";
    EvclipDetections *d = NULL;
    DetList l = { 0 };
    CHECK(evclip_detections_new(&d) == 0);
    CHECK(reader_parse_flags(d, "t.jsonl", log, sizeof(log) - 1, READER_AUTO, 0, flags) == 0);
    CHECK(detections_prepare(d) == 0 && detections_lookup(d, 0, 3, 0, 0, &l) == 3);
    if (l.count == 3) {
        const EvclipDetection *a = &l.items[0], *b = &l.items[1], *c = &l.items[2];
        CHECK(!strcmp(a->label, "car") && !(a->normalized & DETECTION_TEXT));
        CHECK(!strcmp(fmt("{label} {extra[plate]}", a), "car AB-123"));
        CHECK(!strcmp(fmt("{label} {extra[plate]} {extra[speed]:.1f}", a), "car AB-123 42.5"));
        CHECK(!strcmp(fmt("{label}|{extra[z]}|{extra[l]}|{extra[o]}", a), "car"));
        CHECK(!strcmp(fmt("{extra[speed]:.1f} km/h|{extra[speed]:.0%}", a), "42.5 km/h|4250%"));
        CHECK(!strcmp(fmt("{extra[speed]} {extra[n]} {extra[n]:d} {extra[r]}", a),
                      "42.5 3 3 0.125"));
        /* missing key, other types, a spec that does not fit: left out with the text before */
        CHECK(!strcmp(fmt("{label} ({extra[owner]}) {extra[ok]}|{extra[plate]:.1f}", a), "car"));
        CHECK(!strcmp(fmt("{label} {extra[plate]} {score:.0%}", b), "car")); /* "extra": {} */
        CHECK(!(b->normalized & DETECTION_EXTRA) && !detection_extra(b));
        const float *uv;
        CHECK(!strcmp(fmt("{label}: {extra[plate]}", c), "plate: XY-9"));
        CHECK(detection_polygon(c, &uv) == 3 && uv[2] == 1.0f); /* polygon kept beside it */
        CHECK(!strcmp(detection_extra(a),
                      "{\"plate\":\"AB-123\",\"speed\":42.5,\"n\":3,\"ok\":true,\"r\":0.125,"
                      "\"z\":null,\"l\":[1],\"o\":{\"p\":1}}"));
    }
    /* a box without extra: a store entry only for those that have one */
    CHECK(detections_extra_at(d, 1) == NULL && detections_extra_at(d, 0) != NULL);
    detlist_free(&l);
    evclip_detections_free(&d);
    /* hand-made detections (painter, Python) have no extra: the field is left out */
    EvclipDetection p = { .label = "car", .score = EVCLIP_NONE, .track_id = EVCLIP_NONE };
    CHECK(!strcmp(fmt("{label} {extra[plate]}", &p), "car"));
    /* errors name the field */
    CHECK(strstr(fmt_error("{extra[plate}"), "unknown field 'extra[plate'"));
    CHECK(strstr(fmt_error("{extra[]}"), "unknown field 'extra[]'"));
    CHECK(strstr(fmt_error("{extra[a]b]}"), "unknown field 'extra[a]b]'"));
    CHECK(strstr(fmt_error("{extra[a:b]}"), "format ':b]' of field 'extra[a'"));
    CHECK(strstr(fmt_error("{extra[speed]:.9f}"), "format ':.9f' of field 'extra[speed]'"));
    CHECK(strstr(fmt_error("{label} {extras}"), "(fields: label, track_id, score, extra[KEY])"));
    CHECK(!strcmp(fmt_error("{extra[a b-c]:.2%} {extra[x]:d}"), ""));
    char big[400] = "{extra[";
    memset(big + 7, 'k', 300);
    strcpy(big + 307, "]}");
    CHECK(strstr(fmt_error(big), "field at column 1 is longer than 255 characters"));
}

static int parse_error(const char *json, const char *want)
{
    Style *s = NULL;
    int ret = style_parse(&s, json);
    int ok = ret == EVCLIP_ERR_INVALID && !s && strstr(ev_error_message(), want);
    if (!ok)
        fprintf(stderr, "style %s: got '%s', want '%s'\n", json, ev_error_message(), want);
    style_free(&s);
    return ok;
}

static void test_parse_errors(void)
{
    CHECK(parse_error("{", "style: line 1"));
    CHECK(parse_error("[]", "expected a JSON object"));
    CHECK(parse_error("{\"colour\": 1}", "unknown key 'colour'"));
    CHECK(parse_error("{\"labels\": {\"face\": {\"template\": \"{scor}\"}}}",
                      "style: labels.face.template: unknown field 'scor'"));
    CHECK(parse_error("{\"labels\": {\"face\": {\"color\": \"rouge\"}}}",
                      "labels.face.color: 'rouge'"));
    CHECK(parse_error("{\"labels\": {\"face\": {\"color\": [1, 2, 300]}}}",
                      "labels.face.color[2]"));
    CHECK(parse_error("{\"tracks\": {\"x7\": {}}}", "tracks: 'x7' is not a track id"));
    CHECK(parse_error("{\"tracks\": {\"7\": {\"thickness\": 0}}}", "tracks.7.thickness"));
    CHECK(parse_error("{\"default\": {\"fill_alpha\": 1.5}}", "default.fill_alpha"));
    CHECK(parse_error("{\"default\": {\"chip\": 1}}", "default.chip: expected true or false"));
    CHECK(parse_error("{\"default\": {\"chip_position\": \"left\"}}", "default.chip_position"));
    CHECK(parse_error("{\"default\": {\"size\": 3}}", "default: unknown key 'size'"));
    CHECK(parse_error("{\"legend\": \"middle\"}", "legend"));
    CHECK(parse_error("{\"labels\": {\"a\": 5}}", "labels.a: expected an object"));
    CHECK(parse_error("{\"labels\": {\"a\": {}, \"a\": {}}}", "duplicate"));
}

static void test_resolve(void)
{
    Style *s = NULL;
    CHECK(style_parse(&s, "{\"default\": {\"thickness\": 3, \"template\": \"{label}\"},"
                          " \"labels\": {\"car\": {\"color\": \"#ff0000\", \"chip\": false,"
                          " \"corners\": true}},"
                          " \"tracks\": {\"7\": {\"color\": [0, 255, 0], \"chip\": true,"
                          " \"chip_position\": \"below\", \"fill_alpha\": 0.5}},"
                          " \"legend\": \"bottom-left\"}") == 0 && s);
    EvclipDetection car = { .label = "car", .track_id = EVCLIP_NONE };
    EvclipDetection car7 = { .label = "car", .track_id = 7 };
    EvclipDetection dog = { .label = "dog", .track_id = 3 };
    BoxStyle b;
    style_resolve(s, &car, &b);
    CHECK(b.has_color && b.rgb[0] == 255 && b.rgb[1] == 0 && !b.chip && b.corners &&
          b.thickness == 3 && !strcmp(b.template, "{label}") && b.fill_alpha == 0);
    style_resolve(s, &car7, &b);
    CHECK(b.rgb[1] == 255 && b.rgb[0] == 0 && b.chip && b.position == STYLE_BELOW &&
          b.fill_alpha == 128 && b.corners);
    style_resolve(s, &dog, &b);
    CHECK(!b.has_color && b.chip && !b.corners && b.thickness == 3 &&
          b.position == STYLE_ABOVE);
    CHECK(style_legend(s) == STYLE_LEGEND_BOTTOM_LEFT);
    style_free(&s);
    style_free(&s);
    style_resolve(NULL, &dog, &b); /* no style: the built-in one */
    CHECK(!b.has_color && b.chip && !b.template && !b.thickness);
    CHECK(style_legend(NULL) == STYLE_LEGEND_NONE);
}

/* evclip_detections_add_extra: the C API's extra keys reach templates; bad extra refused. */
static void test_add_extra(void)
{
    EvclipDetections *d = NULL;
    DetList l = { 0 };
    EvclipDetection e = { .frame_idx = 0, .ts = EVCLIP_NONE, .x1 = 0, .y1 = 0, .x2 = 10,
                          .y2 = 10, .label = "car", .score = EVCLIP_NONE,
                          .track_id = EVCLIP_NONE };
    double xy[] = { 0, 0, 8, 1, 7, 9 };
    CHECK(evclip_detections_new(&d) == 0);
    CHECK(evclip_detections_add_extra(d, &e, NULL, NULL, 0, "{\"plate\": \"AB-1\"}") == 0);
    CHECK(evclip_detections_add_extra(d, &e, "chip", xy, 3, "{\"plate\": \"P-2\"}") == 0);
    CHECK(evclip_detections_add_extra(d, &e, NULL, NULL, 0, NULL) == 0);
    CHECK(evclip_detections_add_extra(d, &e, NULL, NULL, 0, "[1]") == EVCLIP_ERR_INVALID);
    CHECK(strstr(evclip_last_error(), "extra: expected a JSON object"));
    CHECK(evclip_detections_add_extra(d, &e, NULL, NULL, 0, "{\"a\": 1, \"a\": 2}") ==
          EVCLIP_ERR_INVALID);
    CHECK(evclip_detections_add_extra(d, &e, NULL, NULL, 0, "{bad") == EVCLIP_ERR_INVALID);
    CHECK(detections_prepare(d) == 0 && detections_lookup(d, 0, 1, 0, 0, &l) == 3);
    if (l.count == 3) {
        const float *uv;
        CHECK(!strcmp(fmt("{label} {extra[plate]}", &l.items[0]), "car AB-1"));
        CHECK(!strcmp(fmt("{label} {extra[plate]}", &l.items[1]), "car P-2"));
        CHECK(detection_polygon(&l.items[1], &uv) == 3);
        CHECK(!strcmp(fmt("{label} {extra[plate]}", &l.items[2]), "car"));
    }
    detlist_free(&l);
    evclip_detections_free(&d);
}

int main(void)
{
    test_add_extra();
    test_templates();
    test_extra(0);
    test_extra(READER_NO_FAST);
    test_parse_errors();
    test_resolve();
    return test_summary();
}
