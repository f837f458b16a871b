/* test_quick_scanner.c: the hand scanner of plain native, grouped and Ultralytics lines
 * (reader_quick.cpp) and what it hands on to simdjson, each line read as jansson reads it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/detections.h"
#include "src/error.h"
#include "src/reader.h"
#include "tests/unit/check.h"
#include "tests/unit/reader_agree.h"

/* Each of the n lines read after the first one, and the first one after it, as jansson
 * reads them: the scanner reads a line against the shape of the line before. */
static void after_each_other(const char *const *lines, size_t n, int format)
{
    for (size_t i = 0; i < n; i++) {
        char two[2048];
        snprintf(two, sizeof(two), "%s\n%s", lines[0], lines[i]);
        agree(two, format, 0);
        snprintf(two, sizeof(two), "%s\n%s", lines[i], lines[0]);
        agree(two, format, 1);
    }
}

/* The hand scanner of plain native, grouped and Ultralytics lines (reader_quick.cpp) and what
 * it hands on to simdjson: every shape at its edges reads as jansson reads it. */
static void test_quick_scanner(void)
{
    static const char *const native[] = {
        "{\"frame_idx\": 3, \"ts\": 0.1, \"bbox\": [1.5, 2, 3.25, 4], \"label\": \"car\", "
        "\"score\": 0.875, \"track_id\": 7}",
        "{\"label\":\"car\",\"bbox\":[1,2,3,4],\"ts\":0.033333,\"frame_idx\":0}",
        "   {  \"bbox\" : [ 1 , 2 , 3 , 4 ] , \"label\" : \"a\" , \"ts\" : 5 }   ",
        "{\"frame_idx\": -0, \"ts\": -0.0, \"bbox\": [-0.0, 0, 3, 4], \"label\": \"a\"}",
        "{\"frame_idx\": 1, \"bbox\": [0.1, 0.2, 0.30000000000000004, 4], \"label\": \"a\"}",
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\", "
        "\"score\": 0.123456789012345}",
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\", "
        "\"score\": 0.1234567890123456}",
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\", \"score\": 9.99999999999999}",
        "{\"frame_idx\": 123456789012345, \"bbox\": [1, 2, 3, 4], \"label\": \"a\"}",
        "{\"frame_idx\": 1234567890123456789, \"bbox\": [1, 2, 3, 4], \"label\": \"a\"}",
        "{\"frame_idx\": 999999999999999999, \"bbox\": [1, 2, 3, 4], \"label\": \"a\", "
        "\"track_id\": -999999999999999999, \"score\": 9007199254740993.5}",
        "{\"frame_idx\": 1, \"bbox\": [9007199254740993, 9007199254740.993, 3, 4], "
        "\"label\": \"a\", \"score\": 0.30000000000000004441}",
        "{\"frame_idx\": 12345678901234567890, \"bbox\": [1, 2, 3, 4], \"label\": \"a\"}",
        "{\"frame_idx\": 1.0, \"bbox\": [1, 2, 3, 4], \"label\": \"a\"}",
        "{\"frame_idx\": 1.5, \"bbox\": [1, 2, 3, 4], \"label\": \"a\"}",
        "{\"frame_idx\": -1, \"ts\": 2, \"bbox\": [1, 2, 3, 4], \"label\": \"a\"}",
        "{\"frame_idx\": 1, \"ts\": -2, \"bbox\": [1, 2, 3, 4], \"label\": \"a\"}",
        "{\"frame_idx\": 1, \"bbox\": [1e1, 2E+0, 3e-1, 4.5e2], \"label\": \"a\"}",
        "{\"frame_idx\": 01, \"bbox\": [1, 2, 3, 4], \"label\": \"a\"}",
        "{\"frame_idx\": 1, \"bbox\": [1., 2, 3, 4], \"label\": \"a\"}",
        "{\"frame_idx\": 1, \"bbox\": [.5, 2, 3, 4], \"label\": \"a\"}",
        "{\"frame_idx\": 1, \"bbox\": [-, 2, 3, 4], \"label\": \"a\"}",
        "{\"frame_idx\": 1, \"bbox\": [1.5.3, 2, 3, 4], \"label\": \"a\"}",
        "{\"frame_idx\": 1, \"bbox\": [1-2, 2, 3, 4], \"label\": \"a\"}",
        "{\"frame_idx\": 1, \"bbox\": [+1, 2, 3, 4], \"label\": \"a\"}",
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4, 5], \"label\": \"a\"}",
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3], \"label\": \"a\"}",
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4,], \"label\": \"a\"}",
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\",}",
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\"",
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a}",
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\"}}",
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\"} x",
        "{\"frame_idx\": 1 \"bbox\": [1, 2, 3, 4], \"label\": \"a\"}",
        "{\"frame_idx\" 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\"}",
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\", \"score\": null, "
        "\"track_id\": null, \"ts\": null, \"normalized\": null}",
        "{\"frame_idx\": 1, \"bbox\": [0.1, 0.2, 0.3, 0.4], \"label\": \"a\", "
        "\"normalized\": true}",
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\", \"normalized\": false}",
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\", \"normalized\": truex}",
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\", \"normalized\": 1}",
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\", \"score\": nul}",
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\", \"score\": nullx}",
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\", \"score\": \"0.5\"}",
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": null}",
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": 5}",
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"\"}",
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"caf\xc3\xa9 \xe5\xba\x97\"}",
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"caf\xc3\"}",
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"\xed\xa0\x80\"}",
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\", \"label\": \"b\"}",
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"bbox\": [1, 2, 3, 4], \"label\": \"a\"}",
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\", \"ts\": 1, \"ts\": 2}",
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\", \"\": 1}",
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\", \"track_id\": 2.5}",
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\", \"track_id\": -3}",
        "{\"frame_idx\": 1, \"bbox\": [4, 2, 3, 4], \"label\": \"a\"}",
        "{\"frame_idx\": 1, \"label\": \"a\"}",
        "{\"bbox\": [1, 2, 3, 4], \"label\": \"a\"}",
        "{}",
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\", \"colour\": 1}",
        "[{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\"}]",
        "\"frame_idx\"",
        /* A value followed by ':' (left to simdjson by the "color" key): an error. */
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\", \"score\": 0.5: \"x\", "
        "\"color\": \"red\"}",
        "{\"frame_idx\": 1, \"bbox\": [1: 2, 3, 4], \"label\": \"a\", \"color\": \"red\"}",
        "{\"frame_idx\": 1: 2, \"bbox\": [1, 2, 3, 4], \"label\": \"a\", \"color\": \"red\"}",
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\": \"b\", \"color\": \"red\"}",
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\", \"color\": \"red\": 1}",
        /* The scanner checks the bytes of strings itself (16 at a time, then one by one):
         * control bytes, escapes, UTF-8 before and after the 16th byte; CRs and spaces at
         * the end. */
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\tb\"}",
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\x01\"}",
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\\\"b\"}",
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\\u0041\"}",
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"abcdefghijklmno\"}",
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"abcdefghijklmnop\"}",
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"abcdefghijklmnopq\"}",
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"abcdefghijklmnopqrstuvwxyz "
        "caf\xc3\xa9\"}",
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"abcdefghijklmnopqrstuvwxyz "
        "caf\xc3\"}",
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"abcdefghijklmnopqrstuvwxyz\tb\"}",
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"abcdefghijklmnopqrstuvwxyz\\nb\"}",
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"abcdefghijklmnopqrstuvwxyz}",
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"\xc3\xa9\x7f}\"}",
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"lab\tel\": \"a\"}",
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\"}\r",
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\"}  \r\r",
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\"}\r  ",
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\"}\t",
        "{\"frame_idx\": 1,\t\"bbox\": [1, 2, 3, 4], \"label\": \"a\"}",
        "{\"frame_idx\": 1,\r\"bbox\": [1, 2, 3, 4], \"label\": \"a\"}",
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\"}\n"
        "{\"frame_idx\": 2, \"bbox\": [1, 2, 3, 4], \"label\": \"abcdefghijklmnopqrstu",
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\"}\n{\"frame_idx\": 2",
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\"}\n{\"frame_idx\": 2, \"",
        "}",
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\", \"score\": 5}",
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\", \"score\": 5.}",
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\", \"score\": -}",
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\", \"score\": 0}",
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\", \"score\": 5e}",
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\", \"score\": }",
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\", \"normalized\": tru}",
        /* Found by reader_diff (corpus/reader_diff/crash-quick-label-twice). */
        "{\"frame_idx\":0,\"bbox\":[0.1,2, 3, 4], \"label\": \"label\": \"car\", \"extra\": v}}\n"
        "{\"frame_id\"polygon\": [[0, 0,\"normalized\":false}\n",
    };
    static const char *const grouped[] = {
        "{\"frame_idx\": 1, \"ts\": 0.5, \"detections\": [{\"bbox\": [1, 2, 3, 4], "
        "\"label\": \"a\", \"score\": 0.5, \"track_id\": 1}, {\"bbox\": [5, 6, 7, 8], "
        "\"label\": \"b\"}]}",
        "{\"detections\": [{\"bbox\": [1, 2, 3, 4], \"label\": \"a\"}], \"frame_idx\": 4}",
        "{\"frame_idx\": 1, \"detections\": []}",
        "{\"frame_idx\": 1, \"detections\": [ ]}",
        "{\"frame_idx\": 1, \"detections\": [,]}",
        "{\"frame_idx\": 1, \"detections\": [{\"bbox\": [1, 2, 3, 4], \"label\": \"a\"},]}",
        "{\"frame_idx\": 1, \"detections\": [{\"bbox\": [1, 2, 3, 4], \"label\": \"a\"}}",
        "{\"frame_idx\": 1}",
        "{\"detections\": [{\"bbox\": [1, 2, 3, 4], \"label\": \"a\"}]}",
        "{\"frame_idx\": null, \"ts\": null, \"detections\": [{\"bbox\": [1, 2, 3, 4], "
        "\"label\": \"a\"}]}",
        "{\"frame_idx\": 2, \"normalized\": true, \"detections\": [{\"bbox\": [0.1, 0.2, 0.3, "
        "0.4], \"label\": \"a\"}, {\"bbox\": [1, 2, 3, 4], \"label\": \"b\", "
        "\"normalized\": false}]}",
        "{\"frame_idx\": 2, \"detections\": [{\"bbox\": [1, 2, 3, 4], \"label\": \"a\", "
        "\"frame_idx\": 9, \"ts\": 1.5}]}",
        "{\"frame_idx\": 2, \"detections\": [], \"detections\": []}",
        "{\"frame_idx\": 2, \"frame_idx\": 3, \"detections\": []}",
        "{\"frame_idx\": 2, \"camera\": \"x\", \"detections\": []}",
        "{\"frame_idx\": 2, \"detections\": {}}",
        "{\"frame_idx\": 2, \"detections\": [{\"bbox\": [1, 2, 3, 4], \"label\": \"a\"}",
        "{\"frame_idx\": 2, \"detections\": [{\"bbox\": [1, 2, 3, 4], \"label\": \"a\"},",
        "{\"frame_idx\": 2, \"detections\": [{\"bbox\": [1, 2, 3, 4], \"label\": \"a\tb\"}]}",
        "{\"frame_idx\": 2, \"detections\": [{\"box\": {\"x1\": 1, \"y1\": 2, \"x2\": 3, "
        "\"y2\": 4}, \"name\": \"a\"}]}",
        /* A detection the full reader must see after one the scanner stored: a box skipped,
         * a track id or frame index it leaves to the full reader. */
        "{\"frame_idx\": 1, \"detections\": [{\"bbox\": [1, 2, 3, 4], \"label\": \"a\"}, "
        "{\"bbox\": [3, 4, 1, 2], \"label\": \"b\"}]}",
        "{\"frame_idx\": 1, \"detections\": [{\"bbox\": [1, 2, 3, 4], \"label\": \"a\"}, "
        "{\"bbox\": [1, 2, 3, 4], \"label\": \"b\", \"track_id\": 1.5}]}",
        "{\"ts\": 1, \"detections\": [{\"bbox\": [1, 2, 3, 4], \"label\": \"a\"}, "
        "{\"bbox\": [1, 2, 3, 4], \"label\": \"b\", \"frame_idx\": -2}]}",
    };
    static const char *const rows[] = {
        "[{\"name\": \"car\", \"class\": 2, \"confidence\": 0.875, \"box\": {\"x1\": 1.5, "
        "\"y1\": 2, \"x2\": 30.25, \"y2\": 40}, \"track_id\": 3}, {\"class\": 0, \"box\": "
        "{\"y2\": 9, \"x2\": 8, \"y1\": 1, \"x1\": 0}}]",
        "[]",
        "[ ]",
        "[{\"name\": null, \"class\": 1.0, \"box\": {\"x1\": 1, \"y1\": 2, \"x2\": 3, "
        "\"y2\": 4}}]",
        "[{\"name\": null, \"class\": 1.5, \"box\": {\"x1\": 1, \"y1\": 2, \"x2\": 3, "
        "\"y2\": 4}}]",
        "[{\"name\": null, \"class\": null, \"box\": {\"x1\": 1, \"y1\": 2, \"x2\": 3, "
        "\"y2\": 4}}]",
        "[{\"name\": \"a\", \"confidence\": null, \"track_id\": null, \"box\": {\"x1\": 1, "
        "\"y1\": 2, \"x2\": 3, \"y2\": 4}}]",
        "[{\"name\": \"a\", \"box\": {\"x1\": 1, \"y1\": 2, \"x2\": 3}}]",
        "[{\"name\": \"a\", \"box\": {\"x1\": 1, \"y1\": 2, \"x2\": 3, \"y2\": 4, "
        "\"x1\": 5}}]",
        "[{\"name\": \"a\", \"box\": {\"x1\": 1, \"y1\": 2, \"x2\": 3, \"y2\": 4, "
        "\"x3\": 5, \"y3\": 6, \"x4\": 7, \"y4\": 8}}]",
        "[{\"name\": \"a\", \"box\": {\"x1\": 1, \"y1\": 2, \"x2\": 3, \"y2\": 4}, "
        "\"frame\": 7}]",
        "[{\"name\": \"a\", \"box\": {\"x1\": 1, \"y1\": 2, \"x2\": 3, \"y2\": 4}},]",
        "[{\"name\": \"a\", \"box\": {\"x1\": 1, \"y1\": 2, \"x2\": 3, \"y2\": 4}}] 1",
        "[{\"name\": \"a\", \"name\": \"b\", \"box\": {\"x1\": 1, \"y1\": 2, \"x2\": 3, "
        "\"y2\": 4}}]",
        "[{\"name\": \"a\", \"box\": {\"x1\": \"1\", \"y1\": 2, \"x2\": 3, \"y2\": 4}}]",
        "[{\"box\": {\"x1\": 1, \"y1\": 2, \"x2\": 3, \"y2\": 4}}]",
        "{\"name\": \"a\", \"box\": {\"x1\": 1, \"y1\": 2, \"x2\": 3, \"y2\": 4}}",
        "[{\"name\": \"a\tb\", \"box\": {\"x1\": 1, \"y1\": 2, \"x2\": 3, \"y2\": 4}}]",
        "[{\"name\": \"abcdefghijklmnopqrstuvwxyz \xe5\xba\x97\", \"box\": {\"x1\": 1, "
        "\"y1\": 2, \"x2\": 3, \"y2\": 4}}]\r",
        "[{\"name\": \"a\", \"box\": {\"x1\": 1, \"y1\": 2, \"x2\": 3, \"y2\": 4}}",
        "[{\"name\": \"a\", \"box\": {\"x1\": 1, \"y1\": 2, \"x2\": 3, \"y2\": 4}}]]",
        "[{\"name\": \"a\", \"box\": {\"x1\": 1, \"y1\": 2, \"x2\": 3, \"y2\": 4}},",
        "]",
        "[{\"name\": \"a\": \"b\", \"box\": {\"x1\": 1, \"y1\": 2, \"x2\": 3, \"y2\": 4}, "
        "\"frame\": 1}]",
        "[{\"name\": \"a\", \"box\": {\"x1\": 1: 5, \"y1\": 2, \"x2\": 3, \"y2\": 4}, "
        "\"frame\": 1}]",
        "[{\"name\": \"a\", \"box\": {\"x1\": 1, \"y1\": 2, \"x2\": 3, \"y2\": 4}}, "
        "{\"name\": \"b\", \"box\": {\"x1\": 1, \"y1\": 2, \"x2\": 1, \"y2\": 4}}]",
        "[{\"name\": \"a\", \"box\": {\"x1\": 1, \"y1\": 2, \"x2\": 3, \"y2\": 4}}, "
        "{\"class\": 1.5, \"box\": {\"x1\": 1, \"y1\": 2, \"x2\": 3, \"y2\": 4}}]",
        /* The corners are values of a row's shape: read against rows[0]'s, each of these has
         * its bytes between the corners and a corner that is not a plain number. */
        "[{\"name\": \"car\", \"class\": 2, \"confidence\": 0.875, \"box\": {\"x1\": null, "
        "\"y1\": 2, \"x2\": 30.25, \"y2\": 40}, \"track_id\": 3}]",
        "[{\"name\": \"car\", \"class\": 2, \"confidence\": 0.875, \"box\": {\"x1\": 1.5, "
        "\"y1\": 2, \"x2\": 3e1, \"y2\": 40}, \"track_id\": 3}]",
        "[{\"name\": \"car\", \"class\": 2, \"confidence\": 0.875, \"box\": {\"x1\": 1.5, "
        "\"y1\": 2, \"x2\": 30.25, \"y2\": -40}, \"track_id\": 3}]",
        "[{\"name\": \"car\", \"class\": 2, \"confidence\": 0.875, \"box\": {\"x1\": 1.5, "
        "\"y1\": 2, \"x2\": 30.25, \"y2\": \"40\"}, \"track_id\": 3}]",
        "[{\"name\": \"car\", \"class\": 2, \"confidence\": 0.875, \"box\": {\"x1\": 1.5, "
        "\"x1\": 2, \"x2\": 30.25, \"y2\": 40}, \"track_id\": 3}]",
        "[{\"name\": \"car\", \"class\": 2, \"confidence\": 0.875, \"box\": {\"y1\": 1.5, "
        "\"x1\": 2, \"x2\": 30.25, \"y2\": 40}, \"track_id\": 3}]",
        /* The second row is read as the first one's shape, corner by corner. */
        "[{\"name\": \"car\", \"class\": 2, \"confidence\": 0.875, \"box\": {\"x1\": 1.5, "
        "\"y1\": 2, \"x2\": 30.25, \"y2\": 40}, \"track_id\": 3}, {\"name\": \"bus\", "
        "\"class\": 5, \"confidence\": 0.5, \"box\": {\"x1\": 3, \"y1\": 1, \"x2\": 50, "
        "\"y2\": 60.5}, \"track_id\": 4}]",
    };
    for (int normalized = 0; normalized < 2; normalized++) {
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
            agree(rows[i], READER_ULTRALYTICS, normalized);
            agree(rows[i], READER_AUTO, normalized);
        }
        for (size_t i = 0; i < sizeof(native) / sizeof(native[0]); i++) {
            agree(native[i], READER_NATIVE, normalized);
            agree(native[i], READER_AUTO, normalized);
        }
        for (size_t i = 0; i < sizeof(grouped) / sizeof(grouped[0]); i++) {
            agree(grouped[i], READER_GROUPED, normalized);
            agree(grouped[i], READER_AUTO, normalized);
        }
    }
    /* Each native line after another (the scanner reads a line of the last line's shape
     * value by value: the same bytes between the values, each value checked as before), and
     * after one of its own shape with other values. */
    size_t nn = sizeof(native) / sizeof(native[0]);
    for (size_t i = 0; i < nn; i++) {
        static const char *const shapes[] = {
            "{\"frame_idx\": 3, \"ts\": 0.1, \"bbox\": [1.5, 2, 3.25, 4], \"label\": \"car\", "
            "\"score\": 0.875, \"track_id\": 7}",
            "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\", \"score\": 1}",
            "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\", \"normalized\": true}",
            "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\"}",
        };
        char two[2048];
        for (size_t k = 0; k < sizeof(shapes) / sizeof(shapes[0]); k++) {
            snprintf(two, sizeof(two), "%s\n%s", shapes[k], native[i]);
            agree(two, READER_NATIVE, 0);
        }
        snprintf(two, sizeof(two), "%s\n%s", native[i], native[(i + 1) % nn]);
        agree(two, READER_NATIVE, 0);
        snprintf(two, sizeof(two), "%s\n%s\n%s", native[i], native[i], native[0]);
        agree(two, READER_NATIVE, 1);
    }
    /* Grouped frames and detections and Ultralytics rows are read against the shape of the
     * last one. */
    after_each_other(grouped, sizeof(grouped) / sizeof(grouped[0]), READER_GROUPED);
    after_each_other(rows, sizeof(rows) / sizeof(rows[0]), READER_ULTRALYTICS);
    agree("[{\"name\": \"a\", \"box\": {\"x1\": 1, \"y1\": 2, \"x2\": 3, \"y2\": 4}},"
          "{\"name\": \"b\", \"box\": {\"x1\": 1, \"y1\": 2, \"x2\": 3, \"y2\": 4}},  "
          "{\"name\": \"c\", \"box\": {\"x1\": 1, \"y1\": 2, \"x2\": 3, \"y2\": 4}}, "
          "{\"name\": \"d\", \"box\": {\"x1\": 1, \"y1\": 2, \"x2\": 3, \"y2\": 4}} , "
          "{\"name\": \"e\", \"box\": {\"x1\": 1, \"y1\": 2, \"x2\": 3, \"y2\": 4}, "
          "\"name\": \"f\"}]", READER_ULTRALYTICS, 0);
    agree("{\"frame_idx\": 1, \"detections\": [{\"bbox\": [1, 2, 3, 4], \"label\": \"a\"}, "
          "{\"bbox\": [1, 2, 3, 4], \"label\": \"b\"}, {\"bbox\": [1, 2, 3, 4], "
          "\"label\": \"c\", \"bbox\": [1, 2, 3, 4]}]}", READER_GROUPED, 0);
    agree("{\"frame_idx\": 1, \"detections\": [{\"bbox\": [1, 2, 3, 4], \"label\": \"a\"}, "
          "{\"bbox\": [1, 2, 3, 4], \"label\": \"b\"}", READER_GROUPED, 0);
    static const char *const replays[] = {
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\", \"score\": 1}\n"
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\", \"score\": null}\n"
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\", \"score\": \"1\"}\n"
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\", \"score\": 1e5}\n"
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\", \"score\": 1 }\n"
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\", \"score\": 1}}\n"
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\", \"score\": 1, \"ts\": 2}\n"
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\", \"score\": }\n",
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\"}\n"
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\tb\"}\n"
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\\\"b\"}\n"
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"caf\xc3\"}\n"
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\", \"label\": \"b\"}\n"
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"abcdefghijklmnopqrstuvwxyz\"}\n"
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4, 5], \"label\": \"a\"}\n"
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\"}  \r\n"
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\"}\n"
        "{\"frame_idx\": 1, \"bbox\": [1, 2, 3, 4], \"label\": \"a\"",
    };
    for (size_t i = 0; i < sizeof(replays) / sizeof(replays[0]); i++)
        for (int normalized = 0; normalized < 2; normalized++)
            agree(replays[i], READER_NATIVE, normalized);

    /* Random decimals of 1..25 digits (Clinger's fast path up to 2^53, from_chars() past it),
     * every place of the point, signs: the same doubles. */
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < 3000; i++) {
        char num[4][40], line[512];
        for (int k = 0; k < 4; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            int digits = 1 + (int)(x % 25), point = (int)((x >> 8) % (uint64_t)(digits + 1));
            char *p = num[k];
            if ((x >> 20) % 8 == 0)
                *p++ = '-';
            for (int j = 0; j < digits; j++) {
                if (j == point && j > 0)
                    *p++ = '.';
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                *p++ = (char)('0' + (j == 0 && digits > 1 && point != 1 ? 1 + x % 9 : x % 10));
            }
            *p = '\0';
        }
        snprintf(line, sizeof(line), "{\"ts\": %s, \"bbox\": [%s, 0, 1e20, 1], \"label\": "
                 "\"a\", \"score\": %s}\n", num[0], num[1], num[2]);
        agree(line, READER_NATIVE, 0);
        snprintf(line, sizeof(line), "{\"ts\": %s, \"detections\": [{\"bbox\": [0, 0, 1, 1], "
                 "\"label\": \"a\", \"score\": %s}]}\n", num[3], num[2]);
        agree(line, READER_GROUPED, 0);
        snprintf(line, sizeof(line), "[{\"name\": \"a\", \"confidence\": %s, \"box\": "
                 "{\"x1\": 0, \"y1\": 0, \"x2\": %s, \"y2\": 1}}]\n", num[3], num[1]);
        agree(line, READER_ULTRALYTICS, 0);
    }
}

/* 40 000 lines (~4.7 MB: several read chunks) load from a file as jansson parses them. */

int main(void)
{
    test_quick_scanner();
    return test_summary();
}
