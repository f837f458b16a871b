/* reader_quick.cpp: the fast path's hand scanner of the common plain JSON lines (native and
 * grouped detections of known keys), its exact number reader and its line check; any other
 * line is left to simdjson (reader_fast.cpp). */
#include <charconv>
#include <cmath>
#include <cstring>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "src/reader_quick.h"

namespace evclip_fast {

namespace {

/* Powers of ten, exact as doubles (up to 10^22; a mantissa has at most 19 digits). */
const double POW10[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12,
                         1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19 };

bool digit(char c)
{
    return c >= '0' && c <= '9';
}

/* The digit c as an unsigned value, > 9 when c is not a digit: one compare tells, with no
 * sign extension. */
inline uint64_t digit_value(char c)
{
    return (uint64_t)(unsigned char)c - (uint64_t)'0';
}

/* The keys the scanner reads (any other key leaves the line to simdjson); Q_OTHER is 0, so
 * that no shape's key mask (bits 1 << key) admits it. Q_X1..Q_Y2 are the corners of an
 * Ultralytics "box", values of a row's recorded shape (Template) only, in box[] order. */
enum QuickKey { Q_OTHER, Q_BBOX, Q_LABEL, Q_SCORE, Q_TRACK_ID, Q_FRAME_IDX, Q_TS, Q_NORMALIZED,
                Q_DETECTIONS, Q_BOX, Q_NAME, Q_CLASS, Q_CONFIDENCE, Q_X1, Q_Y1, Q_X2, Q_Y2 };

constexpr unsigned bit(QuickKey k)
{
    return 1u << k;
}

/* The keys of each shape (masks of bit(key)): a native detection object, an Ultralytics row
 * (results.to_json()) and a grouped line's frame object. */
constexpr unsigned NATIVE_KEYS = bit(Q_BBOX) | bit(Q_LABEL) | bit(Q_SCORE) | bit(Q_TRACK_ID) |
                                 bit(Q_FRAME_IDX) | bit(Q_TS) | bit(Q_NORMALIZED);
constexpr unsigned ROW_KEYS = bit(Q_BOX) | bit(Q_NAME) | bit(Q_CLASS) | bit(Q_CONFIDENCE) |
                              bit(Q_TRACK_ID);
constexpr unsigned GROUP_KEYS = bit(Q_DETECTIONS) | bit(Q_FRAME_IDX) | bit(Q_TS) |
                                bit(Q_NORMALIZED);

/* k (already known to have the name's length) is the name: names of more than 8 bytes as
 * two 8-byte words that overlap (a constant-size memcmp() of 9-16 bytes is a call). */
template <size_t N> bool is(std::string_view k, const char (&name)[N])
{
    if constexpr (N - 1 > 8) {
        static_assert(N - 1 <= 16, "two words");
        uint64_t a, b, c, d;
        std::memcpy(&a, k.data(), 8);
        std::memcpy(&b, name, 8);
        std::memcpy(&c, k.data() + (N - 1 - 8), 8);
        std::memcpy(&d, name + (N - 1 - 8), 8);
        return a == b && c == d;
    } else {
        return !std::memcmp(k.data(), name, N - 1);
    }
}

/* By length, then bytes (fixed-size compares, no call). */
__attribute__((always_inline)) inline QuickKey key_of(std::string_view k)
{
    switch (k.size()) { /* inlined: one call a key costs more than the compares */
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

/* The real of the digits [start, p) (one '.' among them), exactly as strtod() (jansson)
 * rounds it: Clinger's fast path when the mantissa m is at most 2^53 (m and 10^frac <= 10^19
 * are exact doubles, and one division rounds correctly), else from_chars() (correctly
 * rounded too, locale-free). False when that fails. */
inline bool real_of(uint64_t m, size_t digits, size_t frac, const char *start, const char *p,
                    double *r)
{
    if (digits <= 19 && m <= (uint64_t)1 << 53) {
        *r = (double)m / POW10[frac];
        return true;
    }
    std::from_chars_result res = std::from_chars(start, p, *r);
    return res.ec == std::errc() && res.ptr == p && std::isfinite(*r);
}

/* The number at *pos (-?int or -?int.frac; integers of at most 18 digits), *pos moved after
 * it. Returns false when there is none of that shape. Bounded false: the text ends with a byte
 * that is not part of a number (the scanner's lines end with '}' or ']'), so the loops need no
 * check of `end`. Inlined: 7 numbers a line. */
template <bool Bounded>
__attribute__((always_inline)) inline bool number_at(const char **pos, const char *end,
                                                    Number *n)
{
    const char *p = *pos;
    auto more = [&](const char *q) { return !Bounded || q < end; };
    bool neg = more(p) && *p == '-';
    p += neg;
    if (!more(p))
        return false;
    /* m wraps for tokens of more than 19 digits: real_of() reads those. */
    uint64_t m = digit_value(*p);
    if (m > 9 || (m == 0 && more(p + 1) && digit(p[1])))
        return false; /* not a number, or a leading zero: simdjson's error */
    const char *start = p;
    auto digits_to = [&](const char *q) {
        for (; more(q); q++) {
            uint64_t d = digit_value(*q);
            if (d > 9)
                break;
            m = m * 10 + d;
        }
        return q;
    };
    p = digits_to(p + 1);
    size_t digits = (size_t)(p - start), frac = 0;
    bool dot = more(p) && *p == '.';
    if (dot) {
        const char *f = ++p;
        uint64_t d = more(p) ? digit_value(*p) : 10;
        if (d > 9)
            return false; /* no digit after the '.' */
        m = m * 10 + d;
        p = digits_to(p + 1);
        frac = (size_t)(p - f);
        digits += frac;
    }
    if (!dot) {
        if (digits > 18)
            return false; /* beyond 10^18 - 1: int64 range is simdjson's question */
        *pos = p;
        n->integer = true;
        n->i = neg ? -(int64_t)m : (int64_t)m;
        return true;
    }
    n->integer = false;
    if (!real_of(m, digits, frac, start, p, &n->r))
        return false;
    if (neg)
        n->r = -n->r;
    *pos = p;
    return true;
}

/* Where the closing quote of the string whose text starts at p is (p < end), or nullptr when
 * it is not a plain string of the line: no closing quote before end, or a control byte or a
 * backslash in it (simdjson reads those lines). A byte >= 0x80 sets *high (the caller checks
 * the line's UTF-8). Reads up to 16 bytes from p, maybe beyond end (QUICK_PADDING). */
inline const char *string_end(const char *p, const char *end, bool *high)
{
#ifdef __SSE2__
    __m128i w = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p));
    unsigned quotes = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(w, _mm_set1_epi8('"')));
    if (quotes) { /* the usual short string: its closing quote in these 16 bytes */
        unsigned at = (unsigned)__builtin_ctz(quotes);
        if (at >= (size_t)(end - p))
            return nullptr;
        unsigned odd = (unsigned)_mm_movemask_epi8(
            _mm_or_si128(_mm_cmplt_epi8(w, _mm_set1_epi8(0x20)),
                         _mm_cmpeq_epi8(w, _mm_set1_epi8('\\'))));
        if (!(odd & ((1u << at) - 1)))
            return p + at;
    }
#endif
    for (; p < end && *p != '"'; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20 || c == '\\')
            return nullptr;
        *high |= c >= 0x80;
    }
    return p < end ? p : nullptr;
}

/* Where the values of an object start and stop, and their keys (object()). */
struct Marks {
    static const int MAX = 8;
    int n = 0;
    QuickKey key[MAX];
    const char *start[MAX], *stop[MAX];

    /* The value of key k starts at p. False when there is no room: never for the shapes'
     * keys, each read at most once (a row has the most values: 4 keys and 4 corners). */
    bool start_at(QuickKey k, const char *p)
    {
        if (n == MAX)
            return false;
        key[n] = k;
        start[n] = p;
        return true;
    }
    void stop_at(const char *p) { stop[n++] = p; }
};

/* t from the literals around the values of an object read whole from text to end (marks);
 * none (n 0) when they do not fit. */
void record(Template *t, const char *text, const char *end, const Marks &m)
{
    t->n = 0;
    size_t off = 0;
    for (int i = 0; i <= m.n; i++) {
        const char *from = i ? m.stop[i - 1] : text, *to = i < m.n ? m.start[i] : end;
        size_t len = (size_t)(to - from);
        if (off + len > Template::BYTES)
            return;
        std::memcpy(t->bytes + off, from, len);
        t->off[i] = (uint16_t)off;
        t->len[i] = (uint16_t)len;
        off += len;
        if (i < m.n)
            t->key[i] = (uint8_t)m.key[i];
    }
    t->n = m.n;
}

/* A cursor over a line that ends with its closing '}' or ']' (no space after it), with
 * QUICK_PADDING bytes readable after it. Each reader skips the spaces before what it reads and
 * returns false when the text is not what it wants. The readers run before the line's last
 * byte (after a ',' ':' '[' '{', a number, a string or a word, none of which can end the
 * line), so their loops stop at that byte at the latest; only the object of a list (a group's
 * detection) may end with the line's last byte: list() checks for the end after one. */
struct Scan {
    const char *p, *end;
    bool high; /* a byte >= 0x80 in a string */
    Template *shape; /* of the objects of a list (replayed, recorded), or nullptr */

    void ws()
    {
        while (*p == ' ')
            p++;
    }

    bool eat(char c)
    {
        if (*p == c) { /* the usual case: no space before ',' ':' ']' '}' */
            p++;
            return true;
        }
        ws();
        if (*p == c) {
            p++;
            return true;
        }
        return false;
    }

    /* A string without escapes: its text between the quotes. */
    bool string(std::string_view *out)
    {
        if (!eat('"'))
            return false;
        const char *close = string_end(p, end, &high);
        if (!close)
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
        return number_here(n);
    }

    /* A number right at the cursor (no exponent: 'e' and 'E' are one compare apart). */
    bool number_here(Number *n)
    {
        return number_at<false>(&p, end, n) && (*p | 0x20) != 'e';
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
        return *is_null ? word("null", 4) : number_here(n);
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

    /* An Ultralytics "box": exactly x1, y1, x2, y2, numbers, in any order. Inlined: called
     * out of line, it took twice the instructions (its cursor then lives in memory). With
     * marks, each corner is marked as a value of its own (Q_X1..Q_Y2): a row's shape then
     * holds the box's keys in its literals, and its replay reads no key. */
    __attribute__((always_inline)) bool box(Item *it, Marks *marks)
    {
        it->has_box = true;
        if (!eat('{'))
            return false;
        unsigned got = 0;
        do {
            std::string_view k;
            if (!key(&k) || k.size() != 2 || (k[0] != 'x' && k[0] != 'y') ||
                (k[1] != '1' && k[1] != '2'))
                return false;
            unsigned i = (k[0] == 'y') + 2u * (k[1] == '2');
            if (got >> i & 1)
                return false;
            ws();
            if (marks && !marks->start_at((QuickKey)(Q_X1 + i), p))
                return false;
            if (!corner(it, i))
                return false;
            if (marks)
                marks->stop_at(p);
            got |= 1u << i;
        } while (eat(','));
        return got == 15 && eat('}');
    }

    /* Corner i of an Ultralytics "box" (box[] order: x1, y1, x2, y2). */
    __attribute__((always_inline)) bool corner(Item *it, unsigned i)
    {
        Number n;
        if (!number(&n))
            return false;
        it->has_box = true;
        it->box[i] = n.value();
        return true;
    }

    bool string_or_null(bool *has, std::string_view *text, bool *is_null)
    {
        *has = true;
        ws();
        *is_null = p < end && *p == 'n';
        return *is_null ? word("null", 4) : string(text);
    }

    /* The value of key k into *it: the union of the shapes' keys, read as the simdjson path's
     * read_field() reads them (a group's "detections" is list()'s). */
    __attribute__((always_inline)) bool field(QuickKey k, Item *it)
    {
        switch (k) {
        case Q_BBOX:
            return bbox(it);
        case Q_LABEL:
            it->has_label = true;
            return string(&it->label);
        case Q_SCORE:
            return number_or_null(&it->has_score, &it->score, &it->null_score);
        case Q_TRACK_ID:
            return number_or_null(&it->has_track, &it->track, &it->null_track);
        case Q_FRAME_IDX:
            return number_or_null(&it->has_idx, &it->idx, &it->null_idx);
        case Q_TS:
            return number_or_null(&it->has_ts, &it->ts, &it->null_ts);
        case Q_NORMALIZED:
            return boolean_or_null(&it->has_norm, &it->norm, &it->null_norm);
        case Q_BOX:
            return box(it, nullptr);
        case Q_X1:
        case Q_Y1:
        case Q_X2:
        case Q_Y2:
            return corner(it, (unsigned)(k - Q_X1));
        case Q_NAME:
            return string_or_null(&it->has_name, &it->name, &it->null_name);
        case Q_CLASS:
            return number_or_null(&it->has_class, &it->cls, &it->null_class);
        case Q_CONFIDENCE:
            return number_or_null(&it->has_conf, &it->conf, &it->null_conf);
        default:
            return false;
        }
    }

    /* The value of key q of a shape whose keys are Keys: a field of *it, or a group's
     * "detections" into *items as native objects. */
    template <unsigned Keys>
    __attribute__((always_inline)) bool value(QuickKey q, Item *it, ItemList *items)
    {
        if constexpr ((Keys & bit(Q_DETECTIONS)) != 0) {
            if (q == Q_DETECTIONS)
                return list<NATIVE_KEYS>(items);
        }
        return field(q, it);
    }

    /* An object whose keys are among Keys (a shape's mask), each at most once, read into *it
     * (a group's "detections" into *items). *seen: the keys read. */
    template <unsigned Keys>
    bool object(Item *it, ItemList *items, unsigned *seen, Marks *marks = nullptr)
    {
        if (!eat('{'))
            return false;
        *seen = 0;
        do {
            std::string_view k;
            if (!key(&k))
                return false;
            QuickKey q = key_of(k);
            if (!(Keys & bit(q)) || (*seen & bit(q)))
                return false;
            *seen |= bit(q);
            if constexpr ((Keys & bit(Q_BOX)) != 0) {
                if (marks && q == Q_BOX) { /* marked corner by corner */
                    if (!box(it, marks))
                        return false;
                    continue;
                }
            }
            if (marks) {
                ws(); /* the spaces before the value belong to the literal before it */
                if (!marks->start_at(q, p))
                    return false;
            }
            if (!value<Keys>(q, it, items))
                return false;
            if (marks)
                marks->stop_at(p);
        } while (eat(','));
        return eat('}');
    }

    /* The bytes of literal i of t at the cursor, moved over them. */
    bool literal(const Template &t, int i)
    {
        size_t len = t.len[i];
        const char *want = t.bytes + t.off[i];
        if ((size_t)(end - p) < len)
            return false;
#ifdef __SSE2__
        /* 16 bytes at a time: p + k < end (QUICK_PADDING after it), want has 16 after it. The
         * usual literal (a separator and the next key) fits in one compare. */
        if (len <= 16) {
            unsigned same = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(
                _mm_loadu_si128(reinterpret_cast<const __m128i *>(p)),
                _mm_loadu_si128(reinterpret_cast<const __m128i *>(want))));
            if (~same & ((1u << len) - 1))
                return false;
            p += len;
            return true;
        }
        for (size_t k = 0; k < len; k += 16) {
            unsigned same = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(
                _mm_loadu_si128(reinterpret_cast<const __m128i *>(p + k)),
                _mm_loadu_si128(reinterpret_cast<const __m128i *>(want + k))));
            unsigned mask = len - k >= 16 ? 0xFFFFu : (1u << (len - k)) - 1;
            if ((same & mask) != mask)
                return false;
        }
#else
        if (std::memcmp(p, want, len))
            return false;
#endif
        p += len;
        return true;
    }

    /* The object at the cursor read as the one recorded in t (from an object of the shape
     * Keys) was: the same bytes between its values, each value read by value() for its key.
     * The same reads in the same order as object() would make of these bytes. */
    template <unsigned Keys>
    __attribute__((always_inline)) bool replay(const Template &t, Item *it,
                                               ItemList *items = nullptr)
    {
        for (int i = 0; i < t.n; i++)
            if (!literal(t, i) || !value<Keys>((QuickKey)t.key[i], it, items))
                return false;
        return literal(t, t.n);
    }

    /* An array of at most MAX_ITEMS objects of the shape Keys into *items. */
    template <unsigned Keys> bool list(ItemList *items)
    {
        static_assert(!(Keys & bit(Q_DETECTIONS)), "no nested groups");
        items->clear();
        if (!eat('['))
            return false;
        if (eat(']'))
            return true;
        do {
            if (items->size() == (size_t)MAX_ITEMS)
                return false;
            Item *it = items->add();
            ws(); /* the first object and those after a ',' start alike */
            const char *at = p;
            if (!shape || !shape->n || !replay<Keys>(*shape, it)) {
                p = at;
                it->reset();
                Marks marks;
                unsigned seen;
                if (!object<Keys>(it, nullptr, &seen, shape ? &marks : nullptr))
                    return false;
                if (shape)
                    record(shape, at, p, marks);
            }
            if (p == end)
                return false;
        } while (eat(','));
        return eat(']');
    }

    /* Nothing left (the caller cut the spaces after the last byte off). */
    bool done()
    {
        return p == end;
    }
};

} /* namespace */

bool quick_number(std::string_view raw, Number *n)
{
    const char *p = raw.data(), *end = p + raw.size();
    if (!number_at<true>(&p, end, n))
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

namespace {

/* The line's length without the CRs and then the spaces at its end (as plain_line() and a
 * final skip of spaces would see it), when its last byte is then `close`; else 0. */
size_t closed_length(const char *text, size_t len, char close)
{
    while (len && text[len - 1] == '\r')
        len--;
    while (len && text[len - 1] == ' ')
        len--;
    return len && text[len - 1] == close ? len : 0;
}

/* The object that fills the line (s at its first byte, s.end after its last; none when
 * empty) into *it, a group's "detections" into *items: read as the shape in *t when it has
 * it, else scanned whole, with at least the keys `needed`, and its shape recorded in *t.
 * *high: a byte >= 0x80 in a string. */
template <unsigned Keys>
__attribute__((always_inline)) inline bool line_object(Scan s, Item *it, ItemList *items,
                                                       Template *t, unsigned needed, bool *high)
{
    const char *text = s.p;
    if (s.end == text)
        return false;
    if (t->n && s.replay<Keys>(*t, it, items) && s.done()) {
        *high = s.high;
        return true;
    }
    s = { text, s.end, false, s.shape };
    it->reset();
    if (items)
        items->clear();
    Marks marks;
    unsigned seen;
    bool ok = s.object<Keys>(it, items, &seen, &marks) && s.done() && (seen & needed) == needed;
    *high = s.high;
    if (ok)
        record(t, text, s.end, marks);
    return ok;
}

} /* namespace */

bool quick_native(const char *text, size_t len, Item *it, bool *high, Template *t)
{
    Scan s = { text, text + closed_length(text, len, '}'), false, nullptr };
    return line_object<NATIVE_KEYS>(s, it, nullptr, t, 0, high);
}

bool quick_group(const char *text, size_t len, Item *frame, ItemList *items, bool *high,
                 Template *frame_t, Template *t)
{
    /* A frame's shape is recorded with "detections": its replay reads them too. */
    Scan s = { text, text + closed_length(text, len, '}'), false, t };
    return line_object<GROUP_KEYS>(s, frame, items, frame_t, bit(Q_DETECTIONS), high);
}

bool quick_rows(const char *text, size_t len, ItemList *items, bool *high, Template *t)
{
    Scan s = { text, text + closed_length(text, len, ']'), false, t };
    bool ok = s.end != text && s.list<ROW_KEYS>(items) && s.done();
    *high = s.high;
    return ok;
}

} /* namespace evclip_fast */
