/* test_scan.c: evclip_detections_scan() (a log streamed detection by detection, in order,
 * across read blocks; stop; errors; wallclock keys marked), evclip_probe() and
 * evclip_probe_epoch(), through the public API. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "evclip/evclip.h"
#include "tests/unit/check.h"

#define LINES 40000 /* about 3.5 MB: many 256 KB read blocks */

static char dir[64], log_path[128];

typedef struct Seen {
    int64_t count, stop_after;
    int ordered;     /* every ts = frame_idx / 10, frames 0, 1, 2... in order */
    int labels_ok;
} Seen;

static int on_det(void *opaque, const EvclipDetection *d)
{
    Seen *s = opaque;
    char want[16];
    snprintf(want, sizeof(want), "l%d", (int)(s->count % 7));
    s->ordered &= d->frame_idx == s->count && fabs(d->ts - (double)s->count / 10) < 1e-9;
    s->labels_ok &= d->label && !strcmp(d->label, want);
    s->count++;
    return s->stop_after && s->count == s->stop_after;
}

static void write_log(const char *path, int lines, int broken_line)
{
    FILE *f = fopen(path, "w");
    for (int i = 0; f && i < lines; i++) {
        if (i + 1 == broken_line)
            fputs("{\"frame_idx\": 1, \"bbox\": [1, 2]}\n", f);
        else
            fprintf(f, "{\"frame_idx\": %d, \"ts\": %.1f, \"bbox\": [10, 20, 30, 40], "
                    "\"label\": \"l%d\", \"score\": 0.5}\n", i, i / 10.0, i % 7);
    }
    if (f)
        fclose(f);
}

static void test_scan(void)
{
    write_log(log_path, LINES, 0);
    Seen s = { .ordered = 1, .labels_ok = 1 };
    CHECK(evclip_detections_scan(log_path, NULL, 0, on_det, &s) == 0);
    CHECK_MSG(s.count == LINES, "%lld detections", (long long)s.count);
    CHECK(s.ordered && s.labels_ok);

    Seen stop = { .stop_after = 10, .ordered = 1, .labels_ok = 1 };
    CHECK(evclip_detections_scan(log_path, "jsonl", 0, on_det, &stop) == EVCLIP_ERR_CANCELED);
    CHECK(stop.count == 10);

    write_log(log_path, LINES, 30000);
    Seen bad = { .ordered = 1, .labels_ok = 1 };
    CHECK(evclip_detections_scan(log_path, NULL, 0, on_det, &bad) == EVCLIP_ERR_DETECTIONS);
    CHECK_MSG(strstr(evclip_last_error(), "log.jsonl:30000") != NULL, "%s",
              evclip_last_error());
    CHECK(bad.count < 30000 && bad.ordered);

    CHECK(evclip_detections_scan(NULL, NULL, 0, on_det, &s) == EVCLIP_ERR_INVALID);
    CHECK(evclip_detections_scan(log_path, NULL, 0, NULL, &s) == EVCLIP_ERR_INVALID);
    CHECK(evclip_detections_scan(log_path, "xml", 0, on_det, &s) == EVCLIP_ERR_INVALID);
    CHECK(evclip_detections_scan("/nonexistent/log", NULL, 0, on_det, &s) ==
          EVCLIP_ERR_DETECTIONS);
}

static void test_probe(void)
{
    const char *media = getenv("EVCLIP_MEDIA");
    char car[512];
    double duration = 0, period = 0;
    snprintf(car, sizeof(car), "%s/car-detection.mp4", media ? media : "../shared/media");
    int ret = evclip_probe(car, &duration, &period);
    CHECK_MSG(ret == 0, "%s", evclip_last_error());
    CHECK_MSG(fabs(duration - 30.16) < 0.05 && fabs(period - 0.08) < 1e-6, "%f %f", duration,
              period);
    CHECK(evclip_probe(log_path, &duration, &period) == EVCLIP_ERR_INPUT);
    CHECK(evclip_probe(NULL, &duration, &period) == EVCLIP_ERR_INVALID);
    CHECK(evclip_probe(car, NULL, &period) == EVCLIP_ERR_INVALID);
}

typedef struct WallSeen {
    int count, marked;   /* detections; those with EVCLIP_SCAN_WALLCLOCK */
    double first_ts;
} WallSeen;

static int on_wall(void *opaque, const EvclipDetection *d)
{
    WallSeen *w = opaque;
    if (!w->count++)
        w->first_ts = d->ts;
    w->marked += (d->normalized & EVCLIP_SCAN_WALLCLOCK) != 0;
    return 0;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

/* Lines keyed by wallclock are marked on request; the origin comes from the log's first line
 * with both ts and wallclock, else from creation_time; unknown with wallclock keys fails. */
static void test_wallclock(void)
{
    const char *media = getenv("EVCLIP_MEDIA");
    char car[512], wall[128], only[128], book[512];
    double epoch = 0;
    int origin = -1;
    snprintf(car, sizeof(car), "%s/car-detection.mp4", media ? media : "../shared/media");
    snprintf(book, sizeof(book), "%s/book.mkv", media ? media : "../shared/media");
    snprintf(wall, sizeof(wall), "%s/wall.jsonl", dir);
    snprintf(only, sizeof(only), "%s/only.jsonl", dir);
    write_text(wall, "{\"wallclock\": 1772460200.5, \"bbox\": [1, 2, 3, 4], \"label\": \"a\"}\n"
               "{\"ts\": 1, \"wallclock\": 1772460201.25, \"bbox\": [1, 2, 3, 4], "
               "\"label\": \"a\"}\n{\"ts\": 2, \"bbox\": [1, 2, 3, 4], \"label\": \"a\", "
               "\"normalized\": false}\n");
    write_text(only, "\n{\"wallclock\": \"2026-03-02T14:03:20.5Z\", \"bbox\": [1, 2, 3, 4], "
               "\"label\": \"a\"}\n");
    WallSeen w = { 0 };
    CHECK(evclip_detections_scan(wall, NULL, EVCLIP_SCAN_WALLCLOCK, on_wall, &w) == 0);
    CHECK_MSG(w.count == 3 && w.marked == 1 && w.first_ts == 1772460200.5, "%d %d %f",
              w.count, w.marked, w.first_ts);
    WallSeen plain = { 0 };
    CHECK(evclip_detections_scan(wall, NULL, 0, on_wall, &plain) == 0);
    CHECK(plain.count == 3 && plain.marked == 0);

    CHECK(evclip_probe_epoch(car, wall, NULL, &epoch, &origin) == 1);
    CHECK_MSG(epoch == 1772460200.25 && origin == EVCLIP_EPOCH_LOG, "%f %d", epoch, origin);
    CHECK(evclip_probe_epoch(car, only, NULL, &epoch, &origin) == 1); /* 2018-04-19T22:46Z */
    CHECK_MSG(epoch == 1524177960 && origin == EVCLIP_EPOCH_CREATION_TIME, "%f %d", epoch,
              origin);
    CHECK(evclip_probe_epoch(book, NULL, NULL, &epoch, &origin) == 0);
    CHECK(isnan(epoch));
    CHECK(evclip_probe_epoch(book, only, "jsonl", &epoch, &origin) == EVCLIP_ERR_DETECTIONS);
    CHECK_MSG(strstr(evclip_last_error(), "only.jsonl:2: field 'wallclock'") &&
              strstr(evclip_last_error(), "book.mkv"), "%s", evclip_last_error());
    CHECK(evclip_probe_epoch(NULL, wall, NULL, &epoch, &origin) == EVCLIP_ERR_INVALID);
    CHECK(evclip_probe_epoch(car, wall, NULL, NULL, &origin) == EVCLIP_ERR_INVALID);
    CHECK(evclip_probe_epoch(car, wall, "xml", &epoch, &origin) == EVCLIP_ERR_INVALID);
    CHECK(evclip_probe_epoch(car, "/nonexistent/log", NULL, &epoch, &origin) ==
          EVCLIP_ERR_DETECTIONS);
    CHECK(evclip_probe_epoch(wall, NULL, NULL, &epoch, &origin) == EVCLIP_ERR_INPUT);
    unlink(wall);
    unlink(only);
}

int main(void)
{
    snprintf(dir, sizeof(dir), "/tmp/evclip-test-scan-XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    snprintf(log_path, sizeof(log_path), "%s/log.jsonl", dir);
    test_scan();
    test_probe();
    test_wallclock();
    unlink(log_path);
    rmdir(dir);
    return test_summary();
}
