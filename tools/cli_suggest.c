/* cli_suggest.c: did-you-mean for misspelt commands, options and spec keys (edit distance). */
#include <string.h>

#include "tools/cli.h"

#define WORD_MAX 64

/* Optimal-string-alignment distance (insertions, deletions, substitutions, adjacent
 * transpositions), capped: words longer than WORD_MAX compare as far apart. */
static int distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    int d[WORD_MAX + 1][WORD_MAX + 1];

    if (n > WORD_MAX || m > WORD_MAX)
        return WORD_MAX;
    for (size_t i = 0; i <= n; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= m; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= n; i++) {
        for (size_t j = 1; j <= m; j++) {
            int best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    }
    return d[n][m];
}

/* How far word is from candidate, in half edits: twice the edit distance, or 1 when word is a
 * prefix of it (at least 3 characters: what getopt would have silently accepted), so "--enc"
 * suggests "--encoder" before "--end". */
static int score(const char *word, size_t len, const char *candidate)
{
    if (len >= 3 && !strncmp(word, candidate, len))
        return 1;
    char w[WORD_MAX + 1];
    if (len > WORD_MAX)
        return 2 * WORD_MAX;
    memcpy(w, word, len);
    w[len] = '\0';
    return 2 * distance(w, candidate);
}

const char *cli_suggest(const char *word, size_t len, const char *const *candidates, size_t n)
{
    const char *best = NULL;
    int best_score = 2 * WORD_MAX;
    /* Up to 2 edits (1 for words under 5 characters), and fewer edits than the word has
     * characters: "x" must not suggest "o". */
    int limit = len >= 5 ? 4 : 2;

    for (size_t i = 0; i < n; i++) {
        int s = score(word, len, candidates[i]);
        if (s < best_score) {
            best_score = s;
            best = candidates[i];
        }
    }
    return best && best_score <= limit && (size_t)best_score < 2 * len ? best : NULL;
}
