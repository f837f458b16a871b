/* bench_reader.c: loads one detection log with evclip's reader (whole, or the window
 * [START, END] of its ts through evclip_detections_load_window) and prints what it cost
 * (count, seconds, peak RSS, store bytes per detection) as one JSON line for bench_reader.py. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "src/detections.h"
#include "src/error.h"
#include "src/reader.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static long max_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

int main(int argc, char **argv)
{
    if (argc != 2 && argc != 3 && argc != 5) {
        fprintf(stderr, "usage: bench_reader LOG [auto|jsonl|grouped|ultralytics|mot "
                "[START END]]\n");
        return 2;
    }
    int format = reader_format_from_name(argc > 2 ? argv[2] : "auto");
    EvclipDetections *d = NULL;
    if (format < 0 || evclip_detections_new(&d) < 0) {
        fprintf(stderr, "bench_reader: %s\n", evclip_last_error());
        return 1;
    }
    long rss0 = max_rss_kb();
    double t0 = now();
    int ret = argc == 5 ? evclip_detections_load_window(d, argv[1], argv[2], 0, atof(argv[3]),
                                                        atof(argv[4]))
                        : reader_load(d, argv[1], format, 0);
    double t1 = now();
    long rss1 = max_rss_kb();
    if (ret < 0) {
        fprintf(stderr, "bench_reader: %s\n", evclip_last_error());
        evclip_detections_free(&d);
        return 1;
    }
    EvclipDetectionStats st;
    evclip_detections_get_stats(d, &st);
    double n = st.count > 0 ? (double)st.count : 1.0;
    printf("{\"count\": %lld, \"skipped\": %lld, \"seconds\": %.6f, \"per_second\": %.0f, "
           "\"rss_start_kb\": %ld, \"rss_peak_kb\": %ld, \"rss_bytes_per_det\": %.1f, "
           "\"store_bytes_per_det\": %.1f}\n",
           (long long)st.count, (long long)st.skipped, t1 - t0, (double)st.count / (t1 - t0),
           rss0, rss1, (double)(rss1 - rss0) * 1024.0 / n,
           (double)detections_memory(d) / n);
    evclip_detections_free(&d);
    return 0;
}
