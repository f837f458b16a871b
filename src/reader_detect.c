/* reader_detect.c: picks a detection log's format from its first line; when the line fits no
 * format, names every format tried and why it failed. */
#include <stdio.h>
#include <string.h>

#include "src/error.h"
#include "src/reader.h"
#include "src/reader_detect.h"

int reader_key_distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    int row[32];
    if (n > 30 || m > 30)
        return 3;
    for (size_t j = 0; j <= m; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= n; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= m; j++) {
            int up = row[j], best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            diag = up;
            row[j] = best;
        }
    }
    return row[m] < 3 ? row[m] : 3;
}

/* " (found 'box': did you mean 'bbox'?)" when obj has a key close to `want`, else "". */
static void did_you_mean(char *out, size_t size, const json_t *obj, const char *want)
{
    const char *key, *best = NULL;
    const json_t *value;
    int best_dist = 3;
    out[0] = '\0';
    json_object_foreach((json_t *)obj, key, value) {
        int dist = reader_key_distance(key, want);
        if (dist > 0 && dist < best_dist) {
            best_dist = dist;
            best = key;
        }
    }
    if (best)
        snprintf(out, size, " (found '%.60s': did you mean '%s'?)", best, want);
}

/* Why a JSON object is none of the JSON formats; written to out. */
static void object_reasons(char *out, size_t size, const json_t *obj)
{
    char bbox[128], dets[128], box[128];
    const json_t *b = json_object_get(obj, "box");
    did_you_mean(bbox, sizeof(bbox), obj, "bbox");
    did_you_mean(dets, sizeof(dets), obj, "detections");
    did_you_mean(box, sizeof(box), obj, "box");
    snprintf(out, size, "native: field 'bbox': missing%s; grouped: no 'detections' array%s; "
             "ultralytics: %s%s; inspect: no 'source_time' and 'detections'; mot: not "
             "comma-separated numbers (a JSON line)", bbox, dets,
             b ? "field 'box': expected {\"x1\", \"y1\", \"x2\", \"y2\"}" : "field 'box': missing",
             b ? "" : box);
}

/* Why a line that is not JSON (or JSON but no object or array) is none of the formats. */
static void text_reasons(char *out, size_t size, const char *text, size_t len, const json_t *v)
{
    char json_why[200];
    const char *comma = memchr(text, ',', len);
    if (v) {
        snprintf(json_why, sizeof(json_why), "a JSON %s, not an object or array",
                 json_is_string(v) ? "string" : json_is_boolean(v) ? "boolean" :
                 json_is_null(v) ? "null" : "number");
    } else {
        json_error_t err;
        json_t *bad = json_loadb(text, len, JSON_DECODE_ANY, &err);
        json_decref(bad);
        snprintf(json_why, sizeof(json_why), "invalid JSON at column %d: %s", err.column,
                 err.text);
    }
    size_t first = comma ? (size_t)(comma - text) : len;
    snprintf(out, size, "native, grouped, ultralytics, inspect: %s; mot: not comma-separated "
             "numbers (first field '%.*s'%s)", json_why, (int)(first < 40 ? first : 40), text,
             comma ? ": a header line? MOT logs have none" : "");
}

int reader_detect_line(const char *name, size_t number, const char *text, size_t len,
                       const json_t *v)
{
    size_t i = 0;
    char why[1024];
    while (len > 0 && (text[len - 1] == '\r' || text[len - 1] == ' ' || text[len - 1] == '\t'))
        len--; /* CRLF logs: no CR in the message */
    while (i < len && (text[i] == ' ' || text[i] == '\t'))
        i++;
    if (i < len && text[i] >= '0' && text[i] <= '9')
        return READER_MOT;
    if (!v && i < len && (text[i] == '{' || text[i] == '['))
        return READER_NATIVE; /* JSON with a syntax error: the native reader says where */
    if (json_is_array(v))
        return READER_ULTRALYTICS;
    if (json_is_object(v)) {
        if (json_object_get(v, "detections"))
            return json_object_get(v, "source_time") ? READER_INSPECT : READER_GROUPED;
        if (json_object_get(v, "bbox") || json_object_get(v, "polygon"))
            return READER_NATIVE;
        if (json_is_object(json_object_get(v, "box")))
            return READER_ULTRALYTICS;
        object_reasons(why, sizeof(why), v);
    } else {
        text_reasons(why, sizeof(why), text + i, len - i, v);
    }
    return ev_error(EVCLIP_ERR_DETECTIONS, "%s:%zu: not a detection log line: %s", name,
                    number, why);
}

const char *reader_container_magic(const char *buf, size_t len)
{
    const unsigned char *b = (const unsigned char *)buf;
    if (len >= 8 && !memcmp(b + 4, "ftyp", 4))
        return "MP4/MOV";
    if (len >= 4 && !memcmp(b, "\x1A\x45\xDF\xA3", 4))
        return "Matroska/WebM";
    if (len >= 12 && !memcmp(b, "RIFF", 4) && !memcmp(b + 8, "AVI ", 4))
        return "AVI";
    if (len >= 377 && b[0] == 0x47 && b[188] == 0x47 && b[376] == 0x47)
        return "MPEG-TS";
    return NULL;
}

int reader_format_from_name(const char *name)
{
    static const struct { const char *name; int format; } names[] = {
        { "auto", READER_AUTO }, { "jsonl", READER_NATIVE }, { "native", READER_NATIVE },
        { "grouped", READER_GROUPED }, { "ultralytics", READER_ULTRALYTICS },
        { "inspect", READER_INSPECT }, { "mot", READER_MOT },
    };
    if (!name)
        return READER_AUTO;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (!strcmp(name, names[i].name))
            return names[i].format;
    }
    return ev_error(EVCLIP_ERR_INVALID, "unknown detection log format '%s' (expected auto, "
                    "jsonl, grouped, ultralytics, inspect or mot)", name);
}
