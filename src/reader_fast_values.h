/* reader_fast_values.h: the simdjson fast path's value readers (reader_fast_values.cpp): a
 * detection object's fields and any value checked as jansson would read it, for the line and
 * store code of reader_fast.cpp. C++ only, internal; anything in doubt throws Defer. */
#ifndef EVCLIP_SRC_READER_FAST_VALUES_H
#define EVCLIP_SRC_READER_FAST_VALUES_H

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <simdjson.h>

#include "src/reader_quick.h"

namespace evclip_fast {

namespace od = simdjson::ondemand;

const int MAX_KEYS = 64; /* keys per object checked for duplicates */

/* Why a line is left to the jansson reader: any error, any doubt. */
struct Defer {};

/* The value of r, or Defer. */
template <typename T> T need(simdjson::simdjson_result<T> &&r)
{
    T v;
    if (std::move(r).get(v))
        throw Defer();
    return v;
}

inline bool need_bool(simdjson::simdjson_result<bool> &&r)
{
    bool v;
    if (std::move(r).get(v))
        throw Defer();
    return v;
}

/* The line being read, set by fast_reader_line(): whether it holds a backslash, its end, the
 * x, y of its polygons (Item::poly_off) and the compact JSON texts of its non-empty "extra"
 * objects, each NUL-terminated (Item::extra_off). */
extern thread_local bool line_escapes;
extern thread_local const char *line_end;
extern thread_local std::vector<double> line_points;
extern thread_local std::string line_extras;

/* An integer, or a real holding an exact integer (|n| <= 2^53), into *out. */
bool integral(const Number &n, int64_t *out);

/* The keys the readers know, as small ids (bit positions in Keys::known). */
enum KeyId {
    K_OTHER = -1, K_BBOX, K_BOX, K_LABEL, K_NAME, K_CLASS, K_SCORE, K_CONF, K_TRACK, K_COLOR,
    K_FRAME_IDX, K_FRAME, K_TS, K_NORM, K_EXTRA, K_DETECTIONS, K_X1, K_Y1, K_X2, K_Y2,
    K_POLYGON,
};

/* Reads the keys of an object one by one; a repeated key defers (JSON_REJECT_DUPLICATES). */
struct Keys {
    uint32_t known = 0;          /* bit per KeyId seen */
    const char *other[MAX_KEYS]; /* other keys seen (left uninitialised: only [0, n) read) */
    size_t other_len[MAX_KEYS];
    int n = 0;

    /* Returns the key's id; a repeated key defers. */
    KeyId add(std::string_view k);
};

/* A field's key: on a line without backslash, the text up to its closing quote, in place. */
std::string_view key_text(od::field &f);

/* Consumes any value, checking what On-Demand skips without checking (numbers, literals,
 * string contents, repeated keys). */
void validate(od::value v, int depth);

/* One field of a detection object (native or Ultralytics row: the union of their keys). */
void read_field(KeyId k, od::value v, Item *it);

/* The fields of a detection object. */
Item read_fields(od::object obj);

} /* namespace evclip_fast */

#endif /* EVCLIP_SRC_READER_FAST_VALUES_H */
