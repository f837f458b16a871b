/* test_reader.c: detection log readers: native JSONL (valid logs, every malformed case, NaN
 * tokens, rollback), grouped JSONL, Ultralytics rows, MOTChallenge, normalised flags, format
 * detection. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "src/detections.h"
#include "src/reader.h"
#include "tests/unit/check.h"

#define GOOD "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\"}\n"

static int parse(EvclipDetections *d, const char *text)
{
    return reader_parse_jsonl(d, "t.jsonl", text, strlen(text));
}

static int64_t count_of(const EvclipDetections *d)
{
    EvclipDetectionStats st;
    evclip_detections_get_stats(d, &st);
    return st.count;
}

static int64_t skipped_of(const EvclipDetections *d)
{
    EvclipDetectionStats st;
    evclip_detections_get_stats(d, &st);
    return st.skipped;
}

/* All detections of the store in lookup order (frame-keyed first, then ts-keyed). */
static int all_of(EvclipDetections *d, DetList *out)
{
    detlist_clear(out);
    if (detections_prepare(d) < 0)
        return -1;
    return detections_lookup(d, 0, INT64_MAX, 0, INFINITY, out);
}

/* A line after one good line must fail naming line 2 and `expect`, leaving the store as it
 * was (one earlier detection). */
static void expect_error(const char *line, const char *expect)
{
    EvclipDetections *d = NULL;
    char text[1024];
    snprintf(text, sizeof(text), "%s%s\n%s", GOOD, line, GOOD);
    CHECK(evclip_detections_new(&d) == 0);
    CHECK(parse(d, GOOD) == 0);
    int ret = parse(d, text);
    const char *msg = evclip_last_error();
    CHECK_MSG(ret == EVCLIP_ERR_DETECTIONS, "%s -> %d", line, ret);
    CHECK_MSG(!strncmp(msg, "t.jsonl:2: ", 11) && strstr(msg, expect),
              "%s -> '%s' (want '%s')", line, msg, expect);
    CHECK_MSG(count_of(d) == 1 && skipped_of(d) == 0, "rollback after %s", line);
    evclip_detections_free(&d);
}

static void test_valid(void)
{
    EvclipDetections *d = NULL;
    DetList list = { 0 };
    const char *text =
        "{\"frame_idx\": 5, \"ts\": 0.2, \"bbox\": [1, 2, 3, 4], \"label\": \"car\", "
        "\"score\": 0.64, \"track_id\": 7, \"color\": [0, 0, 255], \"extra\": {}}\n"
        "{\"ts\": 0.1, \"bbox\": [10.5, 20, 30, 40.25], \"label\": \"person\"}\n"
        "{\"frame_idx\": 2, \"bbox\": [0, 0, 1, 1], \"label\": \"car\", \"score\": 1, "
        "\"track_id\": null, \"color\": null, \"score2\": [1, {\"x\": NaN}]}\n"
        "{\"label\": \"bus\", \"bbox\": [-5, -5, 5, 5], \"frame_idx\": 3.0, \"ts\": null}";
    CHECK(evclip_detections_new(&d) == 0);
    CHECK(parse(d, text) == 0);
    CHECK(count_of(d) == 4 && skipped_of(d) == 0);
    CHECK(detections_uses_frame_index(d));
    CHECK(all_of(d, &list) == 4);
    EvclipDetection *a = list.items;
    CHECK(a[0].frame_idx == 2 && a[0].score == 1 && a[0].track_id == EVCLIP_NONE);
    CHECK(!a[0].has_color && a[0].ts == EVCLIP_NONE);
    CHECK(a[1].frame_idx == 3 && !strcmp(a[1].label, "bus") && a[1].x1 == -5);
    CHECK(a[2].frame_idx == 5 && a[2].ts == 0.2 && a[2].score == 0.64 && a[2].track_id == 7);
    CHECK(a[2].has_color && a[2].color[0] == 0 && a[2].color[2] == 255);
    CHECK(!strcmp(a[2].label, "car") && a[2].label == a[0].label);
    CHECK(a[3].frame_idx == EVCLIP_NONE && a[3].ts == 0.1 && !strcmp(a[3].label, "person"));
    CHECK(a[3].x1 == 10.5 && a[3].y1 == 20 && a[3].x2 == 30 && a[3].y2 == 40.25);
    CHECK(a[3].score == EVCLIP_NONE && a[3].track_id == EVCLIP_NONE);
    detlist_free(&list);
    evclip_detections_free(&d);
}

static void test_malformed_json(void)
{
    expect_error("{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": x}",
                 "invalid JSON at column 49: invalid token near 'x'");
    expect_error("{\"frame_idx\": 1, ", "invalid JSON at column");
    expect_error("x", "invalid JSON at column 1: invalid token");
    expect_error("{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\"} 7",
                 "end of file expected");
    expect_error("{\"frame_idx\": 1, \"frame_idx\": 2, \"bbox\": [1, 2, 3, 4], \"label\": \"a\"}",
                 "duplicate object key");
    expect_error("{\"frame_idx\": 1e400, \"bbox\": [1, 2, 3, 4], \"label\": \"a\"}",
                 "real number overflow");
    expect_error("{\"frame_idx\": 99999999999999999999, \"bbox\": [1,2,3,4], \"label\": \"a\"}",
                 "too big integer");
    expect_error("{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\\u0000\"}",
                 "invalid JSON");
    expect_error("{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\", \"s\": -NaN}",
                 "invalid JSON");
    expect_error("[1, 2, 3]", "line is not a JSON object");
    expect_error("5", "line is not a JSON object");
    expect_error("\"text\"", "line is not a JSON object");
    expect_error("null", "line is not a JSON object");
}

/* jansson's column is reported on the original line although NaN was rewritten to null. */
static void test_column_after_nan(void)
{
    EvclipDetections *d = NULL;
    const char *with_nan = "{\"score\": NaN, \"bbox\": [NaN, 1, 2, 3], \"label\": x}";
    const char *same_len = "{\"score\": 0.0, \"bbox\": [0.0, 1, 2, 3], \"label\": x}";
    char want[256], got[256];
    CHECK(evclip_detections_new(&d) == 0);
    CHECK(parse(d, same_len) == EVCLIP_ERR_DETECTIONS);
    snprintf(want, sizeof(want), "%s", evclip_last_error());
    CHECK(parse(d, with_nan) == EVCLIP_ERR_DETECTIONS);
    snprintf(got, sizeof(got), "%s", evclip_last_error());
    CHECK_MSG(!strcmp(want, got), "'%s' vs '%s'", want, got);
    CHECK(strstr(got, "column 49"));
    evclip_detections_free(&d);
}

static void test_malformed_fields(void)
{
    expect_error("{\"frame_idx\": 1, \"label\": \"a\"}", "field 'bbox': missing");
    expect_error("{\"frame_idx\": 1, \"bbox\": \"1,2,3,4\", \"label\": \"a\"}", "field 'bbox'");
    expect_error("{\"frame_idx\": 1, \"bbox\": [1, 2, 3], \"label\": \"a\"}", "field 'bbox'");
    expect_error("{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4, 5], \"label\": \"a\"}",
                 "field 'bbox': expected [x1, y1, x2, y2] (4 numbers)");
    expect_error("{\"frame_idx\": 1, \"bbox\": [1, \"2\", 3, 4], \"label\": \"a\"}",
                 "field 'bbox'");
    expect_error("{\"frame_idx\": 1, \"bbox\": [1, true, 3, 4], \"label\": \"a\"}",
                 "field 'bbox'");
    expect_error("{\"frame_idx\": 1, \"bbox\": [[1], 2, 3, 4], \"label\": \"a\"}",
                 "field 'bbox'");
    expect_error("{\"frame_idx\": 1, \"bbox\": {}, \"label\": \"a\"}", "field 'bbox'");
    expect_error("{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4]}", "field 'label': missing");
    expect_error("{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": 3}",
                 "field 'label': expected a string");
    expect_error("{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": null}", "field 'label'");
    expect_error("{\"frame_idx\": -1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\"}",
                 "field 'frame_idx': expected an integer >= 0");
    expect_error("{\"frame_idx\": 3.5, \"bbox\": [1, 2, 3, 4], \"label\": \"a\"}",
                 "field 'frame_idx'");
    expect_error("{\"frame_idx\": \"3\", \"bbox\": [1, 2, 3, 4], \"label\": \"a\"}",
                 "field 'frame_idx'");
    expect_error("{\"frame_idx\": true, \"bbox\": [1, 2, 3, 4], \"label\": \"a\"}",
                 "field 'frame_idx'");
    expect_error("{\"frame_idx\": 1e300, \"bbox\": [1, 2, 3, 4], \"label\": \"a\"}",
                 "field 'frame_idx'");
    expect_error("{\"ts\": -0.5, \"bbox\": [1, 2, 3, 4], \"label\": \"a\"}",
                 "field 'ts': expected a finite number of seconds >= 0");
    expect_error("{\"ts\": \"1.0\", \"bbox\": [1, 2, 3, 4], \"label\": \"a\"}", "field 'ts'");
    expect_error("{\"frame_idx\": 4, \"ts\": [], \"bbox\": [1, 2, 3, 4], \"label\": \"a\"}",
                 "field 'ts'");
    expect_error("{\"ts\": Infinity, \"bbox\": [1, 2, 3, 4], \"label\": \"a\"}",
                 "field 'ts': NaN or infinite");
    expect_error("{\"bbox\": [1, 2, 3, 4], \"label\": \"a\"}",
                 "fields 'frame_idx' and 'ts': neither is set");
    expect_error("{\"frame_idx\": null, \"ts\": null, \"bbox\": [1, 2, 3, 4], \"label\": \"a\"}",
                 "fields 'frame_idx' and 'ts'");
}

static void test_malformed_optional(void)
{
    expect_error("{\"ts\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\", \"score\": \"0.5\"}",
                 "field 'score': expected a number");
    expect_error("{\"ts\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\", \"score\": true}",
                 "field 'score'");
    expect_error("{\"ts\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\", \"track_id\": 1.5}",
                 "field 'track_id': expected an integer");
    expect_error("{\"ts\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\", \"track_id\": \"7\"}",
                 "field 'track_id'");
    expect_error("{\"ts\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\", \"color\": [0, 0]}",
                 "field 'color': expected [B, G, R] (3 integers 0..255)");
    expect_error("{\"ts\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\", \"color\": [0, 0, 256]}",
                 "field 'color'");
    expect_error("{\"ts\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\", \"color\": [-1, 0, 0]}",
                 "field 'color'");
    expect_error("{\"ts\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\", \"color\": [0, 0, 1.5]}",
                 "field 'color'");
    expect_error("{\"ts\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\", \"color\": [0, \"1\", 0]}",
                 "field 'color'");
    expect_error("{\"ts\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\", \"color\": \"reddish\"}",
                 "field 'color'");
}

static void test_nonfinite_tokens(void)
{
    EvclipDetections *d = NULL;
    DetList list = { 0 };
    const char *text =
        "{\"ts\": 0.5, \"bbox\": [NaN, 2, 3, 4], \"label\": \"a\"}\n"
        "{\"ts\": 0.5, \"bbox\": [1, 2, Infinity, 4], \"label\": \"a\"}\n"
        "{\"ts\": 0.5, \"bbox\": [1,-Infinity,3,4], \"label\": \"a\"}\n"
        "{\"ts\": 0.5, \"bbox\": [1, 2, 3, 4], \"label\": \"NaN \\\"Infinity\", \"score\": NaN}\n"
        "{\"frame_idx\": 0, \"ts\": NaN, \"bbox\": [1, 2, 3, 4], \"label\": \"b\"}\n"
        "{\"ts\": 0.5, \"bbox\": [3, 2, 1, 4], \"label\": \"reversed\"}\n"
        "{\"ts\": 0.5, \"bbox\": [1, 2, 1, 4], \"label\": \"zero width\"}\n"
        "{\"ts\": 0.5, \"bbox\": [1, 4, 3, 4], \"label\": \"zero height\"}\n"
        "{\"ts\": 0.5, \"bbox\": [1, null, 3, 4], \"label\": \"null\"}\n";
    CHECK(evclip_detections_new(&d) == 0);
    CHECK(parse(d, text) == 0);
    CHECK(count_of(d) == 2 && skipped_of(d) == 7);
    CHECK_MSG(!strcmp(detections_skip_note(d),
                      "t.jsonl:1: field 'bbox': NaN or infinite coordinate, box skipped"),
              "%s", detections_skip_note(d));
    CHECK(all_of(d, &list) == 2);
    CHECK(list.items[0].frame_idx == 0 && list.items[0].ts == EVCLIP_NONE);
    CHECK(!strcmp(list.items[1].label, "NaN \"Infinity") && list.items[1].score == EVCLIP_NONE);
    detlist_free(&list);
    evclip_detections_free(&d);

    CHECK(evclip_detections_new(&d) == 0);
    CHECK(parse(d, "{\"ts\": 1, \"bbox\": [5, 2, 3, 4], \"label\": \"r\"}\n") == 0);
    CHECK(skipped_of(d) == 1 && strstr(detections_skip_note(d), "t.jsonl:1: field 'bbox'"));
    CHECK(strstr(detections_skip_note(d), "reversed"));
    evclip_detections_free(&d);
}

static void test_tolerated_layout(void)
{
    EvclipDetections *d = NULL;
    const char *text =
        "\xEF\xBB\xBF{\"ts\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\"}\r\n"
        "\r\n"
        "   \t \n"
        "\n"
        "{\"ts\": 2, \"bbox\": [1, 2, 3, 4], \"label\": \"a\", \"unknown\": {\"deep\": [[]]}}\r\n"
        "{\"ts\": 3, \"bbox\": [1, 2, 3, 4], \"label\": \"a\"}"; /* no final newline */
    CHECK(evclip_detections_new(&d) == 0);
    CHECK(parse(d, text) == 0);
    CHECK(count_of(d) == 3);
    CHECK(parse(d, "") == 0 && parse(d, "\n\n") == 0 && parse(d, "\xEF\xBB\xBF") == 0);
    CHECK(count_of(d) == 3);
    /* Blank lines still count: the error is on line 4. */
    CHECK(parse(d, "\r\n\n \n{}\n") == EVCLIP_ERR_DETECTIONS);
    CHECK_MSG(!strcmp(evclip_last_error(), "t.jsonl:4: not a detection log line: native: "
                      "field 'bbox': missing; grouped: no 'detections' array; ultralytics: "
                      "field 'box': missing; inspect: no 'source_time' and 'detections'; mot: "
                      "not comma-separated numbers (a JSON line)"), "%s", evclip_last_error());
    CHECK(count_of(d) == 3);
    evclip_detections_free(&d);
}

/* A failed load restores count, skip count and the first skip note. */
static void test_rollback(void)
{
    EvclipDetections *d = NULL;
    CHECK(evclip_detections_new(&d) == 0);
    CHECK(parse(d, GOOD "{\"ts\": 1, \"bbox\": [NaN, 2, 3, 4], \"label\": \"a\"}\n") == 0);
    CHECK(count_of(d) == 1 && skipped_of(d) == 1);
    const char *bad = GOOD GOOD "{\"ts\": 1, \"bbox\": [9, 2, 3, 4], \"label\": \"new\"}\n"
                      "{\"ts\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"b\", \"score\": \"x\"}\n";
    CHECK(reader_parse_jsonl(d, "other.jsonl", bad, strlen(bad)) == EVCLIP_ERR_DETECTIONS);
    CHECK(strstr(evclip_last_error(), "other.jsonl:4: field 'score'"));
    CHECK(count_of(d) == 1 && skipped_of(d) == 1);
    CHECK(!strncmp(detections_skip_note(d), "t.jsonl:2: ", 11));

    EvclipDetections *e = NULL;
    CHECK(evclip_detections_new(&e) == 0);
    CHECK(parse(e, "{\"ts\": 1, \"bbox\": [NaN, 2, 3, 4], \"label\": \"a\"}\n[]") < 0);
    CHECK(skipped_of(e) == 0 && !strcmp(detections_skip_note(e), ""));
    evclip_detections_free(&e);
    evclip_detections_free(&d);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void test_files(void)
{
    EvclipDetections *d = NULL;
    char dir[] = "/tmp/evclip_reader_XXXXXX", path[128], msg[256];
    CHECK(mkdtemp(dir) != NULL);
    CHECK(evclip_detections_new(&d) == 0);
    snprintf(path, sizeof(path), "%s/missing.jsonl", dir);
    CHECK(evclip_detections_load(d, path) == EVCLIP_ERR_DETECTIONS);
    snprintf(msg, sizeof(msg), "%s: No such file or directory", path);
    CHECK_MSG(!strcmp(evclip_last_error(), msg), "%s", evclip_last_error());
    CHECK(evclip_detections_load(d, dir) == EVCLIP_ERR_DETECTIONS);
    CHECK_MSG(strstr(evclip_last_error(), "Is a directory"), "%s", evclip_last_error());
    snprintf(path, sizeof(path), "%s/log.jsonl", dir);
    write_file(path, GOOD GOOD "{\"ts\": 1, \"bbox\": [1, 2, 3, 4], \"label\": 7}\n");
    CHECK(evclip_detections_load(d, path) == EVCLIP_ERR_DETECTIONS);
    snprintf(msg, sizeof(msg), "%s:3: field 'label': expected a string", path);
    CHECK_MSG(!strcmp(evclip_last_error(), msg), "%s", evclip_last_error());
    CHECK(count_of(d) == 0);
    write_file(path, GOOD GOOD);
    CHECK(evclip_detections_load(d, path) == 0 && count_of(d) == 2);
    CHECK(evclip_detections_load(d, NULL) == EVCLIP_ERR_INVALID);
    remove(path);
    rmdir(dir);
    evclip_detections_free(&d);
}

static int parse_as(EvclipDetections *d, const char *text, int format, int normalized)
{
    return reader_parse(d, "t.log", text, strlen(text), format, normalized);
}

/* `text` must fail in `format` with a message starting "t.log:LINE: " and containing
 * `expect`, leaving an empty store. */
static void expect_format_error(int format, const char *text, int line, const char *expect)
{
    EvclipDetections *d = NULL;
    char prefix[32];
    snprintf(prefix, sizeof(prefix), "t.log:%d: ", line);
    CHECK(evclip_detections_new(&d) == 0);
    int ret = parse_as(d, text, format, 0);
    const char *msg = evclip_last_error();
    CHECK_MSG(ret == EVCLIP_ERR_DETECTIONS, "%s -> %d", text, ret);
    CHECK_MSG(!strncmp(msg, prefix, strlen(prefix)) && strstr(msg, expect),
              "%s -> '%s' (want '%s%s')", text, msg, prefix, expect);
    CHECK(count_of(d) == 0 && skipped_of(d) == 0);
    evclip_detections_free(&d);
}

static void test_grouped(void)
{
    EvclipDetections *d = NULL;
    DetList list = { 0 };
    const char *text =
        "{\"frame_idx\": 3, \"ts\": 0.12, \"detections\": [{\"bbox\": [1, 2, 3, 4], "
        "\"label\": \"car\", \"score\": 0.5, \"track_id\": 2}, {\"bbox\": [5, 6, 7, 8], "
        "\"label\": \"bus\", \"color\": [1, 2, 3]}]}\n"
        "{\"frame_idx\": 4, \"detections\": []}\n"
        "{\"ts\": 0.5, \"normalized\": true, \"detections\": [{\"bbox\": [0.1, 0.2, 0.3, 0.4], "
        "\"label\": \"p\"}, {\"name\": \"dog\", \"class\": 16, \"confidence\": 0.9, \"box\": "
        "{\"x1\": 0.5, \"y1\": 0.5, \"x2\": 0.6, \"y2\": 0.7}, \"normalized\": false}]}\n"
        "{\"frame_idx\": 9, \"detections\": [{\"bbox\": [NaN, 2, 3, 4], \"label\": \"n\"}, "
        "{\"frame_idx\": 8, \"bbox\": [1, 1, 2, 2], \"label\": \"own key\"}]}\n";
    CHECK(evclip_detections_new(&d) == 0);
    CHECK_MSG(reader_parse(d, "t.log", text, strlen(text), READER_AUTO, 0) == 0, "%s",
              evclip_last_error());
    CHECK(count_of(d) == 5 && skipped_of(d) == 1);
    CHECK_MSG(!strcmp(detections_skip_note(d), "t.log:4: detections[0]: field 'bbox': NaN or "
                      "infinite coordinate, box skipped"), "%s", detections_skip_note(d));
    CHECK(all_of(d, &list) == 5);
    EvclipDetection *a = list.items;
    CHECK(a[0].frame_idx == 3 && a[0].ts == 0.12 && !strcmp(a[0].label, "car"));
    CHECK(a[0].score == 0.5 && a[0].track_id == 2 && !a[0].normalized);
    CHECK(a[1].frame_idx == 3 && !strcmp(a[1].label, "bus") && a[1].has_color);
    CHECK(a[1].color[2] == 3 && a[1].x2 == 7);
    CHECK(a[2].frame_idx == 8 && !strcmp(a[2].label, "own key"));
    CHECK(a[3].frame_idx == EVCLIP_NONE && a[3].ts == 0.5 && a[3].normalized);
    CHECK(a[3].x1 == (float)0.1 && !strcmp(a[3].label, "p"));
    CHECK(a[4].ts == 0.5 && !strcmp(a[4].label, "dog") && a[4].score == 0.9);
    CHECK(!a[4].normalized && a[4].y2 == (float)0.7); /* corners are stored as floats */
    detlist_free(&list);
    evclip_detections_free(&d);

    const char *g = "{\"frame_idx\": 1, \"detections\": []}\n";
    char text2[512];
#define GROUPED_ERROR(line, expect) \
    do { \
        snprintf(text2, sizeof(text2), "%s%s\n", g, line); \
        expect_format_error(READER_GROUPED, text2, 2, expect); \
    } while (0)
    GROUPED_ERROR("{\"frame_idx\": 1}", "field 'detections': missing");
    GROUPED_ERROR("{\"frame_idx\": 1, \"detections\": {}}",
                  "field 'detections': expected an array");
    GROUPED_ERROR("{\"detections\": []}", "fields 'frame_idx' and 'ts': neither is set");
    GROUPED_ERROR("{\"frame_idx\": -2, \"detections\": []}", "field 'frame_idx'");
    GROUPED_ERROR("{\"frame_idx\": 1, \"detections\": [{\"bbox\": [1, 2, 3, 4], \"label\": "
                  "\"a\"}, {\"bbox\": [1, 2], \"label\": \"a\"}]}",
                  "detections[1]: field 'bbox': expected [x1, y1, x2, y2]");
    GROUPED_ERROR("{\"frame_idx\": 1, \"detections\": [7]}", "detections[0]: expected a JSON "
                  "object");
    GROUPED_ERROR("{\"frame_idx\": 1, \"detections\": [{\"bbox\": [1, 2, 3, 4]}]}",
                  "detections[0]: field 'label': missing");
    GROUPED_ERROR("{\"frame_idx\": 1, \"normalized\": 1, \"detections\": []}",
                  "field 'normalized': expected true or false");
    GROUPED_ERROR("[]", "line is not a JSON object");
    GROUPED_ERROR("{\"frame_idx\": 1, \"detections\": [], }", "invalid JSON at column");
#undef GROUPED_ERROR
}

static void test_ultralytics(void)
{
    EvclipDetections *d = NULL;
    DetList list = { 0 };
    const char *text =
        "[{\"name\": \"person\", \"class\": 0, \"confidence\": 0.91, \"box\": {\"x1\": 10, "
        "\"y1\": 20, \"x2\": 30.5, \"y2\": 40}}]\n"
        "\n"
        "[]\n"
        "[{\"name\": \"car\", \"class\": 2, \"confidence\": 0.5, \"box\": {\"x1\": 1, \"y1\": 2, "
        "\"x2\": 3, \"y2\": 4}, \"track_id\": 7}, {\"class\": 5, \"box\": {\"x1\": 1, \"y1\": 2, "
        "\"x2\": 3, \"y2\": 4}, \"frame_idx\": 40}]\n"
        "{\"frame\": 12, \"name\": \"dog\", \"class\": 16, \"confidence\": 0.3, \"box\": "
        "{\"x1\": 0.1, \"y1\": 0.1, \"x2\": 0.2, \"y2\": 0.2}, \"normalized\": true}\n"
        "{\"ts\": 2.5, \"name\": \"cat\", \"box\": {\"x1\": 1, \"y1\": 2, \"x2\": 3, \"y2\": 4}}\n";
    CHECK(evclip_detections_new(&d) == 0);
    CHECK_MSG(parse_as(d, text, READER_AUTO, 0) == 0, "%s", evclip_last_error());
    CHECK(count_of(d) == 5 && skipped_of(d) == 0);
    CHECK(all_of(d, &list) == 5);
    EvclipDetection *a = list.items;
    /* Array lines without keys: frame = position among non-blank lines (0, [] is 1, 2). */
    CHECK(a[0].frame_idx == 0 && !strcmp(a[0].label, "person") && a[0].score == 0.91);
    CHECK(a[0].x2 == 30.5 && a[0].track_id == EVCLIP_NONE);
    CHECK(a[1].frame_idx == 2 && !strcmp(a[1].label, "car") && a[1].track_id == 7);
    CHECK(a[2].frame_idx == 12 && !strcmp(a[2].label, "dog") && a[2].normalized);
    CHECK(a[3].frame_idx == 40 && !strcmp(a[3].label, "class_5"));
    CHECK(a[3].score == EVCLIP_NONE);
    CHECK(a[4].frame_idx == EVCLIP_NONE && a[4].ts == 2.5 && !strcmp(a[4].label, "cat"));
    detlist_free(&list);
    evclip_detections_free(&d);

    /* The normalized option applies to every row; a row's flag overrides it. */
    CHECK(evclip_detections_new(&d) == 0);
    CHECK(parse_as(d, "[{\"name\": \"a\", \"box\": {\"x1\": 0, \"y1\": 0, \"x2\": 1, \"y2\": 1}},"
                   " {\"name\": \"b\", \"box\": {\"x1\": 0, \"y1\": 0, \"x2\": 1, \"y2\": 1}, "
                   "\"normalized\": false}]", READER_ULTRALYTICS, 1) == 0);
    CHECK(all_of(d, &list) == 2 && list.items[0].normalized && !list.items[1].normalized);
    detlist_free(&list);
    evclip_detections_free(&d);

    const char *box = "\"box\": {\"x1\": 1, \"y1\": 2, \"x2\": 3, \"y2\": 4}";
    char line[512];
    snprintf(line, sizeof(line), "[]\n[{\"name\": \"a\", %s}, {\"class\": \"x\", %s}]", box, box);
    expect_format_error(READER_ULTRALYTICS, line, 2, "[1]: field 'class': expected an integer");
    snprintf(line, sizeof(line), "[{\"confidence\": 1, %s}]", box);
    expect_format_error(READER_ULTRALYTICS, line, 1, "[0]: field 'name': missing");
    snprintf(line, sizeof(line), "[{\"name\": 3, %s}]", box);
    expect_format_error(READER_ULTRALYTICS, line, 1, "[0]: field 'name': expected a string");
    snprintf(line, sizeof(line), "[{\"name\": \"a\", \"confidence\": \"hi\", %s}]", box);
    expect_format_error(READER_ULTRALYTICS, line, 1, "field 'confidence': expected a number");
    expect_format_error(READER_ULTRALYTICS, "[{\"name\": \"a\"}]", 1,
                        "[0]: field 'box': missing");
    expect_format_error(READER_ULTRALYTICS, "[{\"name\": \"a\", \"box\": [1, 2, 3, 4]}]", 1,
                        "field 'box': expected {\"x1\", \"y1\", \"x2\", \"y2\"}");
    expect_format_error(READER_ULTRALYTICS, "[{\"name\": \"a\", \"box\": {\"x1\": 1, \"y1\": 2,"
                        " \"x2\": 3}}]", 1, "field 'box'");
    snprintf(line, sizeof(line), "{\"name\": \"a\", %s}", box);
    expect_format_error(READER_ULTRALYTICS, line, 1, "fields 'frame_idx' and 'ts'");
    snprintf(line, sizeof(line), "{\"frame\": -1, \"name\": \"a\", %s}", box);
    expect_format_error(READER_ULTRALYTICS, line, 1, "field 'frame': expected an integer >= 0");
    expect_format_error(READER_ULTRALYTICS, "[]\n\"row\"", 2, "not a JSON array or object");
    expect_format_error(READER_ULTRALYTICS, "[]\n[1]", 2, "[0]: expected a JSON object");
}

static void test_mot(void)
{
    EvclipDetections *d = NULL;
    DetList list = { 0 };
    const char *text =
        "1,-1,794.2,47.5,71.2,174.8,67.5,-1,-1,-1\n"
        "1,3,10,20,30,40,1,1,0.8\r\n"
        "\n"
        "2, 3, 11, 21, 30, 40\n"
        "3,4,5,5,-2,5,0.5\n"   /* negative width: skipped */
        "4,5,5,5,nan,5,0.5,\n"; /* NaN: skipped; trailing comma tolerated */
    CHECK(evclip_detections_new(&d) == 0);
    CHECK_MSG(parse_as(d, text, READER_AUTO, 0) == 0, "%s", evclip_last_error());
    CHECK(count_of(d) == 3 && skipped_of(d) == 2);
    CHECK(strstr(detections_skip_note(d), "t.log:5: "));
    CHECK(all_of(d, &list) == 3);
    EvclipDetection *a = list.items;
    CHECK(a[0].frame_idx == 0 && a[0].track_id == EVCLIP_NONE && a[0].score == 67.5);
    CHECK(a[0].x1 == (float)794.2 && a[0].y1 == 47.5 && fabs(a[0].x2 - 865.4) < 1e-4);
    CHECK(!strcmp(a[0].label, "obj") && !a[0].normalized && a[0].ts == EVCLIP_NONE);
    CHECK(a[1].frame_idx == 0 && a[1].track_id == 3 && a[1].score == 1 && a[1].y2 == 60);
    CHECK(a[2].frame_idx == 1 && a[2].x1 == 11 && a[2].score == EVCLIP_NONE);
    detlist_free(&list);
    evclip_detections_free(&d);

    CHECK(evclip_detections_new(&d) == 0);
    CHECK(parse_as(d, "1,1,0.1,0.1,0.5,0.5,-1", READER_MOT, 1) == 0);
    CHECK(all_of(d, &list) == 1 && list.items[0].normalized &&
          list.items[0].x2 == (float)0.6);
    CHECK(list.items[0].score == EVCLIP_NONE);
    detlist_free(&list);
    evclip_detections_free(&d);

    expect_format_error(READER_MOT, "1,1,1,1,1,1\n0,1,1,1,1,1", 2,
                        "field 'frame': expected an integer >= 1 (MOT frames are 1-based)");
    expect_format_error(READER_MOT, "1.5,1,1,1,1,1", 1, "field 'frame'");
    expect_format_error(READER_MOT, "1,x,1,1,1,1", 1, "field 'id': expected a number");
    expect_format_error(READER_MOT, "1,2.5,1,1,1,1", 1, "field 'id': expected an integer");
    expect_format_error(READER_MOT, "1,1,1,1,1", 1, "expected at least 6 comma-separated");
    expect_format_error(READER_MOT, "1,1,1,1,,1", 1, "field 'width': expected a number");
    expect_format_error(READER_MOT, "1,1,1,1,1,1,high", 1, "field 'conf': expected a number");
    expect_format_error(READER_MOT, "1,1,1,1,1,1e999999999999999999999999999999999999999999999"
                        "9999999999999999999999", 1, "field 'height': expected a number");
    expect_format_error(READER_MOT, "{\"frame_idx\": 1}", 1, "field 'frame'");
}

static void test_detection(void)
{
    EvclipDetections *d = NULL;
    DetList list = { 0 };
    CHECK(evclip_detections_new(&d) == 0);
    /* Native lines may carry the normalized flag too; the option sets the default. */
    CHECK(parse_as(d, "\n  \n{\"ts\": 1, \"bbox\": [0, 0, 0.5, 0.5], \"label\": \"a\", "
                   "\"normalized\": true}\n", READER_AUTO, 0) == 0);
    CHECK(parse_as(d, GOOD, READER_AUTO, 1) == 0);
    CHECK(parse_as(d, GOOD, READER_NATIVE, 0) == 0);
    CHECK(all_of(d, &list) == 3);
    /* Lookup order: frame-keyed (GOOD twice) first, then the ts-keyed line. */
    CHECK(list.items[0].normalized && !list.items[1].normalized && list.items[2].normalized);
    CHECK(list.items[2].ts == 1);
    detlist_free(&list);
    evclip_detections_free(&d);
    expect_format_error(READER_NATIVE, GOOD "{\"ts\": 1, \"bbox\": [1, 2, 3, 4], \"label\": "
                        "\"a\", \"normalized\": \"yes\"}", 2, "field 'normalized'");
    /* A forced format reports the line in its own terms. */
    expect_format_error(READER_NATIVE, "[]", 1, "line is not a JSON object");
    expect_format_error(READER_GROUPED, GOOD, 1, "field 'detections': missing");
    expect_format_error(READER_ULTRALYTICS, GOOD, 1, "field 'box': missing");
    /* Auto: an unparsable first line falls back to native, which reports it. */
    expect_format_error(READER_AUTO, "{\"x\": }", 1, "invalid JSON at column");
    expect_format_error(READER_AUTO, "frame,id,left", 1, "invalid JSON at column");

    CHECK(reader_format_from_name(NULL) == READER_AUTO);
    CHECK(reader_format_from_name("auto") == READER_AUTO);
    CHECK(reader_format_from_name("jsonl") == READER_NATIVE);
    CHECK(reader_format_from_name("grouped") == READER_GROUPED);
    CHECK(reader_format_from_name("ultralytics") == READER_ULTRALYTICS);
    CHECK(reader_format_from_name("mot") == READER_MOT);
    CHECK(reader_format_from_name("csv") == EVCLIP_ERR_INVALID);
    CHECK(strstr(evclip_last_error(), "unknown detection log format 'csv'"));
}

static void test_load_format(void)
{
    EvclipDetections *d = NULL;
    char dir[] = "/tmp/evclip_reader_XXXXXX", path[128], msg[256];
    CHECK(mkdtemp(dir) != NULL);
    CHECK(evclip_detections_new(&d) == 0);
    snprintf(path, sizeof(path), "%s/gt.txt", dir);
    write_file(path, "1,1,0.1,0.2,0.3,0.4,1\n2,1,0.1,0.2,0.3,0.4,1\n3,1,x\n");
    CHECK(evclip_detections_load_format(d, path, "mot", 1) == EVCLIP_ERR_DETECTIONS);
    snprintf(msg, sizeof(msg), "%s:3: field 'left': expected a number", path);
    CHECK_MSG(!strcmp(evclip_last_error(), msg), "%s", evclip_last_error());
    CHECK(count_of(d) == 0);
    write_file(path, "1,1,0.1,0.2,0.3,0.4,1\n2,1,0.1,0.2,0.3,0.4,1\n");
    CHECK(evclip_detections_load_format(d, path, NULL, 1) == 0 && count_of(d) == 2);
    CHECK(evclip_detections_load(d, path) == 0 && count_of(d) == 4);
    CHECK(evclip_detections_load_format(d, path, "jsonl", 0) == EVCLIP_ERR_DETECTIONS);
    CHECK(strstr(evclip_last_error(), ":1: invalid JSON"));
    CHECK(evclip_detections_load_format(d, path, "yolo", 0) == EVCLIP_ERR_INVALID);
    CHECK(evclip_detections_load_format(d, NULL, "mot", 0) == EVCLIP_ERR_INVALID);
    CHECK(evclip_detections_load_format(NULL, path, "mot", 0) == EVCLIP_ERR_INVALID);
    CHECK(count_of(d) == 4);
    remove(path);
    rmdir(dir);
    evclip_detections_free(&d);
}

/* Many lines, unsorted, to exercise buffers and the index (no timing here). */
static void test_large(void)
{
    enum { N = 100000 };
    size_t cap = (size_t)N * 96, len = 0;
    char *text = malloc(cap);
    EvclipDetections *d = NULL;
    DetList list = { 0 };
    CHECK(text != NULL);
    if (!text)
        return;
    for (int i = 0; i < N; i++) {
        int k = (int)(((int64_t)i * 7919) % N);
        len += (size_t)snprintf(text + len, cap - len, "{\"frame_idx\": %d, \"bbox\": [0, 0, "
                                "%d, 9], \"label\": \"c%d\", \"score\": NaN}\n", k, k + 1, k % 50);
    }
    CHECK(evclip_detections_new(&d) == 0);
    CHECK(reader_parse_jsonl(d, "big", text, len) == 0);
    CHECK(count_of(d) == N);
    CHECK(detections_prepare(d) == 0);
    CHECK(detections_lookup(d, 500, 503, 0, 0, &list) == 3);
    CHECK(list.count == 3 && list.items[0].frame_idx == 500 && list.items[2].x2 == 503);
    CHECK(!strcmp(list.items[1].label, "c1"));
    detlist_free(&list);
    evclip_detections_free(&d);
    free(text);
}

/* `evclip inspect` lines: boxes keyed by source_time, frames without data skipped, one source. */
static void test_inspect(void)
{
    EvclipDetections *d = NULL;
    DetList list = { 0 };
    const char *text =
        "{\"frame\": 0, \"pts\": 0.000000, \"source_index\": null, \"source_time\": null, "
        "\"detections\": []}\n"
        "{\"frame\": 1, \"pts\": 0.040000, \"source_index\": 0, \"source_time\": 4.04, "
        "\"detections\": [{\"label\": \"car\", \"score\": 0.5, \"track_id\": 7, "
        "\"box\": [1, 2, 30, 40], \"color\": [1, 2, 3]}, {\"label\": \"p\", "
        "\"box\": [0.1, 0.2, 0.3, 0.4], \"normalized\": true}]}\n";
    CHECK(evclip_detections_new(&d) == 0);
    CHECK_MSG(parse_as(d, text, READER_AUTO, 0) == 0, "%s", evclip_last_error());
    CHECK(all_of(d, &list) == 2);
    EvclipDetection *a = list.items;
    CHECK(a[0].ts == 4.04 && a[0].frame_idx == EVCLIP_NONE && !strcmp(a[0].label, "car"));
    CHECK(a[0].x2 == 30 && a[0].track_id == 7 && a[0].has_color && a[0].color[2] == 3);
    CHECK(a[1].normalized && a[1].x1 == (float)0.1 && a[1].score == EVCLIP_NONE);
    detlist_free(&list);
    evclip_detections_free(&d);
    CHECK(reader_format_from_name("inspect") == READER_INSPECT);
    const char *one = "{\"frame\": 0, \"pts\": 0, \"source_index\": 0, \"source_time\": 1, "
                      "\"detections\": []}\n";
    char text2[512];
    snprintf(text2, sizeof(text2), "%s{\"frame\": 1, \"pts\": 0.1, \"source_index\": 1, "
             "\"source_time\": 0, \"detections\": []}", one);
    expect_format_error(READER_AUTO, text2, 2, "field 'source_index': 1, but earlier lines are "
                        "of source 0");
    snprintf(text2, sizeof(text2), "%s{\"frame\": 1, \"source_time\": null, \"detections\": "
             "[{\"label\": \"a\", \"box\": [1, 2, 3, 4]}]}", one);
    expect_format_error(READER_AUTO, text2, 2, "field 'source_time': missing, and the frame has");
    snprintf(text2, sizeof(text2), "%s{\"frame\": 1, \"source_time\": 1, \"detections\": "
             "[{\"label\": \"a\", \"box\": [1, 2, 3]}]}", one);
    expect_format_error(READER_AUTO, text2, 2, "detections[0]: field 'box': expected [x1, y1");
    expect_format_error(READER_INSPECT, "{\"source_time\": \"1\", \"detections\": []}", 1,
                        "field 'source_time': expected a number");
}

/* A first line of no format names every format and why it does not fit. */
static void test_no_format(void)
{
    expect_format_error(READER_AUTO, "{\"frame_idx\": 0, \"box\": [1, 2, 3, 4], \"label\": "
                        "\"a\"}", 1, "not a detection log line: native: field 'bbox': missing "
                        "(found 'box': did you mean 'bbox'?); grouped: no 'detections' array; "
                        "ultralytics: field 'box': expected {\"x1\", \"y1\", \"x2\", \"y2\"}; "
                        "inspect: no 'source_time' and 'detections'; mot: not comma-separated "
                        "numbers (a JSON line)");
    expect_format_error(READER_AUTO, "{\"frame_idx\": 0, \"detection\": []}", 1,
                        "grouped: no 'detections' array (found 'detection': did you mean "
                        "'detections'?)");
    expect_format_error(READER_AUTO, "\n\nframe,id,left,top,width,height\n", 3,
                        "not a detection log line: native, grouped, ultralytics, inspect: invalid "
                        "JSON at column");
    expect_format_error(READER_AUTO, "frame,id,left", 1, "mot: not comma-separated numbers "
                        "(first field 'frame': a header line? MOT logs have none)");
    expect_format_error(READER_AUTO, "\"text\"", 1, "a JSON string, not an object or array");
    expect_format_error(READER_AUTO, "hello world\r\n", 1, "(first field 'hello world')");
    /* A line whose shape names a format keeps that format's precise error. */
    expect_format_error(READER_AUTO, "{\"bbox\": [1, 2, 3], \"label\": \"a\", \"ts\": 0}", 1,
                        "field 'bbox': expected [x1, y1, x2, y2]");
    expect_format_error(READER_AUTO, "{\"box\": {\"x1\": 1}, \"name\": \"a\", \"ts\": 0}", 1,
                        "field 'box': expected {");
}

/* "polygon": parsed into the store (box = its bounding box, outline relative to it),
 * normalised with the line, bad shapes refused with the point named. */
static void test_polygon(void)
{
    EvclipDetections *d = NULL;
    DetList list = { 0 };
    const float *uv;
    CHECK(evclip_detections_new(&d) == 0);
    CHECK(parse(d, "{\"frame_idx\": 0, \"label\": \"ship\", "
                   "\"polygon\": [[10, 0], [20, 10], [10, 20], [0, 10]]}\n"
                   "{\"frame_idx\": 1, \"bbox\": [0, 0, 1, 1], \"label\": \"s\", "
                   "\"normalized\": true, \"polygon\": [[0.5, 0.25], [0.75, 0.5], "
                   "[0.25, 0.5]]}\n") == 0);
    CHECK(all_of(d, &list) == 2);
    const EvclipDetection *a = &list.items[0], *b = &list.items[1];
    CHECK(a->x1 == 0 && a->y1 == 0 && a->x2 == 20 && a->y2 == 20);
    CHECK(strcmp(a->label, "ship") == 0 && !(a->normalized & DETECTION_TEXT));
    CHECK(detection_polygon(a, &uv) == 4);
    CHECK(uv[0] == 0.5f && uv[1] == 0.0f && uv[2] == 1.0f && uv[3] == 0.5f);
    CHECK((b->normalized & 1) && b->x1 == 0.25 && b->y1 == 0.25 && b->x2 == 0.75);
    CHECK(detection_polygon(b, &uv) == 3 && uv[0] == 0.5f && uv[1] == 0.0f);
    EvclipDetection got;
    evclip_detections_get(d, 0, &got); /* the public read: the bounding box, the label */
    CHECK(got.x2 == 20 && strcmp(got.label, "ship") == 0);
    detlist_free(&list);
    evclip_detections_free(&d);

    expect_error("{\"frame_idx\": 1, \"label\": \"a\", \"polygon\": [[1, 2], [3, 4]]}",
                 "field 'polygon': expected [[x, y], ...] with at least 3 points");
    expect_error("{\"frame_idx\": 1, \"label\": \"a\", \"polygon\": \"1 2 3\"}",
                 "field 'polygon': expected [[x, y], ...] with at least 3 points");
    expect_error("{\"frame_idx\": 1, \"label\": \"a\", "
                 "\"polygon\": [[1, 2], [3, 4], [5]]}",
                 "field 'polygon': point 2: expected [x, y] (2 finite numbers)");
    expect_error("{\"frame_idx\": 1, \"label\": \"a\", "
                 "\"polygon\": [[1, 2], [3, \"4\"], [5, 6]]}",
                 "field 'polygon': point 1: expected [x, y] (2 finite numbers)");
    expect_error("{\"frame_idx\": 1, \"label\": \"a\", "
                 "\"polygon\": [[1, 2], [3, NaN], [5, 6]]}",
                 "field 'polygon': point 1: expected [x, y] (2 finite numbers)");
    expect_error("{\"frame_idx\": 1, \"label\": \"a\", "
                 "\"polygon\": [[1, 2], [3, 4], [5, 1e39]]}",
                 "field 'polygon': NaN, infinite or out of range coordinate");
    expect_error("{\"frame_idx\": 1, \"label\": \"a\"}", "field 'bbox': missing");

    /* A bbox given too is replaced by the polygon's bounds; a grouped line's item has one. */
    CHECK(evclip_detections_new(&d) == 0);
    CHECK(parse(d, "{\"frame_idx\": 0, \"bbox\": [0, 0, 100, 100], \"label\": \"a\", "
                   "\"polygon\": [[1, 2], [9, 4], [5, 8]]}\n") == 0);
    CHECK(parse(d, "{\"frame_idx\": 1, \"detections\": [{\"label\": \"g\", "
                   "\"polygon\": [[10, 20], [30, 20], [20, 40]]}]}\n") == 0);
    CHECK(all_of(d, &list) == 2);
    if (list.count == 2) {
        a = &list.items[0];
        b = &list.items[1];
        CHECK(a->x1 == 1 && a->y1 == 2 && a->x2 == 9 && a->y2 == 8);
        CHECK(detection_polygon(a, &uv) == 3);
        CHECK(!strcmp(b->label, "g") && b->frame_idx == 1 && b->x1 == 10 && b->y2 == 40);
        CHECK(detection_polygon(b, &uv) == 3 && uv[4] == 0.5f && uv[5] == 1.0f);
    }
    detlist_free(&list);
    evclip_detections_free(&d);

    /* An Ultralytics OBB row (box x1..x4, y1..y4): its 4 corners are the polygon. */
    CHECK(evclip_detections_new(&d) == 0);
    CHECK(parse(d, "{\"frame_idx\": 2, \"name\": \"ship\", \"confidence\": 0.9, \"box\": "
                   "{\"x1\": 50, \"y1\": 10, \"x2\": 90, \"y2\": 50, \"x3\": 50, \"y3\": 90, "
                   "\"x4\": 10, \"y4\": 50}}\n") == 0);
    CHECK(all_of(d, &list) == 1);
    if (list.count == 1) {
        a = &list.items[0];
        CHECK(a->x1 == 10 && a->y1 == 10 && a->x2 == 90 && a->y2 == 90);
        CHECK(detection_polygon(a, &uv) == 4 && uv[0] == 0.5f && uv[1] == 0.0f &&
              uv[6] == 0.0f && uv[7] == 0.5f);
    }
    detlist_free(&list);
    evclip_detections_free(&d);
    CHECK(evclip_detections_new(&d) == 0);
    CHECK(parse(d, "{\"frame_idx\": 1, \"name\": \"a\", \"box\": {\"x1\": 1, \"y1\": 2, "
                   "\"x2\": 3, \"y2\": 4, \"x3\": 5}}\n") == EVCLIP_ERR_DETECTIONS);
    CHECK(strstr(evclip_last_error(), "t.jsonl:1: field 'box': an oriented box needs x1..x4, "
                 "y1..y4 (8 finite numbers)") != NULL);
    CHECK(count_of(d) == 0);
    evclip_detections_free(&d);

    /* A polygon with no area (points on one line) is a nonsense box: skipped, counted. */
    CHECK(evclip_detections_new(&d) == 0);
    CHECK(parse(d, "{\"frame_idx\": 1, \"label\": \"a\", "
                   "\"polygon\": [[1, 1], [2, 1], [3, 1]]}\n") == 0);
    CHECK(count_of(d) == 0 && skipped_of(d) == 1);
    evclip_detections_free(&d);
}

int main(void)
{
    test_valid();
    test_malformed_json();
    test_column_after_nan();
    test_malformed_fields();
    test_malformed_optional();
    test_nonfinite_tokens();
    test_tolerated_layout();
    test_rollback();
    test_files();
    test_large();
    test_grouped();
    test_ultralytics();
    test_mot();
    test_detection();
    test_load_format();
    test_inspect();
    test_no_format();
    test_polygon();
    return test_summary();
}
