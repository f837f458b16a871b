/* reader_quick.cpp: the fast path's hand scanner of the common plain JSON lines (native and
 * grouped detections of known keys), its exact number reader and its line check; any other
 * line is left to simdjson (reader_fast.cpp). */
#include <cstring>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "src/reader_quick.h"

namespace evclip_fast {

namespace {

/* Powers of ten, exact as doubles (up to 10^22). */
const double POW10[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12,
                         1e13, 1e14, 1e15 };

bool digit(char c)
{
    return c >= '0' && c <= '9';
}

/* The keys the scanner reads (any other key leaves the line to simdjson). */
enum QuickKey { Q_OTHER, Q_BBOX, Q_LABEL, Q_SCORE, Q_TRACK_ID, Q_FRAME_IDX, Q_TS, Q_NORMALIZED,
                Q_DETECTIONS, Q_BOX, Q_NAME, Q_CLASS, Q_CONFIDENCE };

/* k (already known to have the name's length) is the name. */
template <size_t N> bool is(std::string_view k, const char (&name)[N])
{
    return !std::memcmp(k.data(), name, N - 1);
}

/* By length, then bytes (fixed-size compares, no call). */
QuickKey key_of(std::string_view k)
{
    switch (k.size()) {
    case 2:
        return is(k, "ts") ? Q_TS : Q_OTHER;
    case 3:
        return is(k, "box") ? Q_BOX : Q_OTHER;
    case 4:
        return is(k, "bbox") ? Q_BBOX : is(k, "name") ? Q_NAME : Q_OTHER;
    case 5:
        if (is(k, "label"))
            return Q_LABEL;
        return is(k, "score") ? Q_SCORE : is(k, "class") ? Q_CLASS : Q_OTHER;
    case 8:
        return is(k, "track_id") ? Q_TRACK_ID : Q_OTHER;
    case 9:
        return is(k, "frame_idx") ? Q_FRAME_IDX : Q_OTHER;
    case 10:
        if (is(k, "normalized"))
            return Q_NORMALIZED;
        if (is(k, "confidence"))
            return Q_CONFIDENCE;
        return is(k, "detections") ? Q_DETECTIONS : Q_OTHER;
    default:
        return Q_OTHER;
    }
}

/* The number at *pos (-?int or -?int.frac, at most 15 digits in all), *pos moved after it.
 * Returns false when there is none of that shape. Inlined: 7 numbers a line. */
__attribute__((always_inline)) inline bool number_at(const char **pos, const char *end,
                                                    Number *n)
{
    const char *p = *pos;
    bool neg = p < end && *p == '-';
    p += neg;
    if (p == end || !digit(*p) || (*p == '0' && p + 1 < end && digit(p[1])))
        return false; /* not a number, or a leading zero: simdjson's error */
    const char *start = p;
    uint64_t m = 0; /* wraps for long tokens, which are refused below */
    while (p < end && digit(*p))
        m = m * 10 + (uint64_t)(*p++ - '0');
    size_t digits = (size_t)(p - start), frac = 0;
    bool dot = p < end && *p == '.';
    if (dot) {
        const char *f = ++p;
        while (p < end && digit(*p))
            m = m * 10 + (uint64_t)(*p++ - '0');
        frac = (size_t)(p - f);
        digits += frac;
        if (frac == 0)
            return false;
    }
    if (digits > 15)
        return false;
    *pos = p;
    if (!dot) {
        n->integer = true;
        n->i = neg ? -(int64_t)m : (int64_t)m;
        return true;
    }
    /* Exact: m < 10^15 < 2^53 and 10^frac are doubles, and one division rounds correctly, as
     * strtod() and simdjson do. */
    n->integer = false;
    n->r = (double)m / POW10[frac];
    if (neg)
        n->r = -n->r;
    return true;
}

/* A cursor over a plain line (no control byte, so the only whitespace is ' '). Each reader
 * skips the spaces before what it reads and returns false when the text is not what it
 * wants. */
struct Scan {
    const char *p, *end;

    void ws()
    {
        while (p < end && *p == ' ')
            p++;
    }

    bool eat(char c)
    {
        ws();
        if (p < end && *p == c) {
            p++;
            return true;
        }
        return false;
    }

    /* A string without backslash (the line has none): its text between the quotes. */
    bool string(std::string_view *out)
    {
        if (!eat('"'))
            return false;
        const char *close = p;
        while (close < end && *close != '"') /* short strings: no memchr() call */
            close++;
        if (close == end)
            return false;
        *out = std::string_view(p, (size_t)(close - p));
        p = close + 1;
        return true;
    }

    /* A key and its colon. */
    bool key(std::string_view *k)
    {
        return string(k) && eat(':');
    }

    /* A number (the caller checks what follows: ',' '}' or ']'). */
    bool number(Number *n)
    {
        ws();
        return number_at(&p, end, n) && !(p < end && (*p == 'e' || *p == 'E'));
    }

    bool word(const char *w, size_t n)
    {
        ws();
        if ((size_t)(end - p) < n || std::memcmp(p, w, n))
            return false;
        p += n;
        return true; /* "nullx": the caller finds no ',' '}' or ']' after it */
    }

    bool number_or_null(bool *has, Number *n, bool *is_null)
    {
        *has = true;
        ws();
        *is_null = p < end && *p == 'n';
        return *is_null ? word("null", 4) : number(n);
    }

    bool boolean_or_null(bool *has, bool *value, bool *is_null)
    {
        *has = true;
        ws();
        *is_null = p < end && *p == 'n';
        if (*is_null)
            return word("null", 4);
        *value = p < end && *p == 't';
        return *value ? word("true", 4) : word("false", 5);
    }

    bool bbox(Item *it)
    {
        it->has_bbox = true;
        if (!eat('['))
            return false;
        for (int i = 0; i < 4; i++) {
            Number n;
            if (!number(&n) || !eat(i < 3 ? ',' : ']'))
                return false;
            it->bbox[i] = n.value();
        }
        return true;
    }

    /* The keys of a detection object that the simdjson path reads the same way. */
    bool item(Item *it)
    {
        if (!eat('{'))
            return false;
        unsigned seen = 0;
        do {
            std::string_view k;
            if (!key(&k))
                return false;
            unsigned bit;
            bool ok;
            switch (key_of(k)) {
            case Q_BBOX:
                bit = 1, ok = bbox(it);
                break;
            case Q_LABEL:
                bit = 2, ok = string(&it->label);
                it->has_label = true;
                break;
            case Q_SCORE:
                bit = 4, ok = number_or_null(&it->has_score, &it->score, &it->null_score);
                break;
            case Q_TRACK_ID:
                bit = 8, ok = number_or_null(&it->has_track, &it->track, &it->null_track);
                break;
            case Q_FRAME_IDX:
                bit = 16, ok = number_or_null(&it->has_idx, &it->idx, &it->null_idx);
                break;
            case Q_TS:
                bit = 32, ok = number_or_null(&it->has_ts, &it->ts, &it->null_ts);
                break;
            case Q_NORMALIZED:
                bit = 64, ok = boolean_or_null(&it->has_norm, &it->norm, &it->null_norm);
                break;
            default:
                return false;
            }
            if (!ok || (seen & bit))
                return false;
            seen |= bit;
        } while (eat(','));
        return eat('}');
    }

    /* An Ultralytics "box": exactly x1, y1, x2, y2, numbers, in any order. */
    bool box(Item *it)
    {
        it->has_box = true;
        if (!eat('{'))
            return false;
        unsigned got = 0;
        do {
            std::string_view k;
            Number n;
            if (!key(&k) || k.size() != 2 || (k[0] != 'x' && k[0] != 'y') ||
                (k[1] != '1' && k[1] != '2'))
                return false;
            unsigned i = (k[0] == 'y') + 2u * (k[1] == '2');
            if ((got >> i & 1) || !number(&n))
                return false;
            it->box[i] = n.value();
            got |= 1u << i;
        } while (eat(','));
        return got == 15 && eat('}');
    }

    /* An Ultralytics row (results.to_json()): the keys the simdjson path reads the same. */
    bool row(Item *it)
    {
        if (!eat('{'))
            return false;
        unsigned seen = 0;
        do {
            std::string_view k;
            if (!key(&k))
                return false;
            unsigned bit;
            bool ok;
            switch (key_of(k)) {
            case Q_BOX:
                bit = 1, ok = box(it);
                break;
            case Q_NAME:
                bit = 2, it->has_name = true;
                ws();
                it->null_name = p < end && *p == 'n';
                ok = it->null_name ? word("null", 4) : string(&it->name);
                break;
            case Q_CLASS:
                bit = 4, ok = number_or_null(&it->has_class, &it->cls, &it->null_class);
                break;
            case Q_CONFIDENCE:
                bit = 8, ok = number_or_null(&it->has_conf, &it->conf, &it->null_conf);
                break;
            case Q_TRACK_ID:
                bit = 16, ok = number_or_null(&it->has_track, &it->track, &it->null_track);
                break;
            default:
                return false;
            }
            if (!ok || (seen & bit))
                return false;
            seen |= bit;
        } while (eat(','));
        return eat('}');
    }

    /* Nothing but spaces left. */
    bool done()
    {
        ws();
        return p == end;
    }
};

} /* namespace */

bool quick_number(std::string_view raw, Number *n)
{
    const char *p = raw.data(), *end = p + raw.size();
    if (!number_at(&p, end, n))
        return false;
    for (; p < end; p++)
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
            return false; /* an exponent, or no number at all */
    return true;
}

bool plain_line(const char *text, size_t *len, LineBytes *bytes)
{
    *bytes = LineBytes();
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    while (*len && text[*len - 1] == '\r')
        (*len)--;
    size_t i = 0;
#ifdef __SSE2__
    /* 16 bytes at a time: a byte < 0x20 or >= 0x80 (signed < 0x20), or a backslash. */
    const __m128i space = _mm_set1_epi8(0x20), slash = _mm_set1_epi8('\\');
    for (; i + 16 <= *len; i += 16) {
        __m128i w = _mm_loadu_si128(reinterpret_cast<const __m128i *>(text + i));
        if (_mm_movemask_epi8(_mm_or_si128(_mm_cmplt_epi8(w, space), _mm_cmpeq_epi8(w, slash)))) {
            for (size_t j = i; j < i + 16; j++) {
                unsigned char c = (unsigned char)text[j];
                if (c < 0x20)
                    return false;
                bytes->escapes |= c == '\\';
                bytes->high |= c >= 0x80;
            }
        }
    }
#endif
    for (; i + 8 <= *len; i += 8) {
        uint64_t w;
        std::memcpy(&w, text + i, 8);
        uint64_t slash = w ^ (ones * '\\');
        /* A byte < 0x20 or == '\\' (or >= 0x80: UTF-8), looked at bytewise. */
        if (((w - ones * 0x20) | (slash - ones) | w) & highs) {
            for (size_t j = i; j < i + 8; j++) {
                unsigned char c = (unsigned char)text[j];
                if (c < 0x20)
                    return false;
                bytes->escapes |= c == '\\';
                bytes->high |= c >= 0x80;
            }
        }
    }
    for (; i < *len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c < 0x20)
            return false;
        bytes->escapes |= c == '\\';
        bytes->high |= c >= 0x80;
    }
    return *len > 0;
}

bool quick_native(const char *text, size_t len, Item *it)
{
    Scan s = { text, text + len };
    return s.item(it) && s.done();
}

bool quick_group(const char *text, size_t len, Item *frame, std::vector<Item> *items)
{
    Scan s = { text, text + len };
    items->clear();
    if (!s.eat('{'))
        return false;
    unsigned seen = 0;
    do {
        std::string_view k;
        if (!s.key(&k))
            return false;
        unsigned bit;
        bool ok = true;
        switch (key_of(k)) {
        case Q_DETECTIONS:
            bit = 1;
            if (!s.eat('['))
                return false;
            if (!s.eat(']')) {
                do {
                    if (items->size() == (size_t)MAX_ITEMS)
                        return false;
                    items->emplace_back();
                    if (!s.item(&items->back()))
                        return false;
                } while (s.eat(','));
                ok = s.eat(']');
            }
            break;
        case Q_FRAME_IDX:
            bit = 2, ok = s.number_or_null(&frame->has_idx, &frame->idx, &frame->null_idx);
            break;
        case Q_TS:
            bit = 4, ok = s.number_or_null(&frame->has_ts, &frame->ts, &frame->null_ts);
            break;
        case Q_NORMALIZED:
            bit = 8, ok = s.boolean_or_null(&frame->has_norm, &frame->norm, &frame->null_norm);
            break;
        default:
            return false;
        }
        if (!ok || (seen & bit))
            return false;
        seen |= bit;
    } while (s.eat(','));
    return s.eat('}') && s.done() && (seen & 1);
}

} /* namespace evclip_fast */

namespace evclip_fast {

bool quick_rows(const char *text, size_t len, std::vector<Item> *items)
{
    Scan s = { text, text + len };
    items->clear();
    if (!s.eat('['))
        return false;
    if (!s.eat(']')) {
        do {
            if (items->size() == (size_t)MAX_ITEMS)
                return false;
            items->emplace_back();
            if (!s.row(&items->back()))
                return false;
        } while (s.eat(','));
        if (!s.eat(']'))
            return false;
    }
    return s.done();
}

} /* namespace evclip_fast */
