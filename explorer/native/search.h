/* What the generated model code (explorer/native/cgen.py) needs: the search's context, the
 * successor buffer, and the helpers its expressions call. Included after the model's
 * `#define W` (words per state) and `#define NACT` (actions). Nothing here comes from a
 * spec. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NONE INT64_MIN /* none, in an optional scalar */

typedef struct ctx ctx_t;
typedef int (*poll_fn)(int kind, int64_t distinct, int64_t generated, int64_t depth,
                       int64_t queue);

/* Symmetry (search.c's canonical form; the tables come from cgen.py, as numbers): a
 * cell a permutation moves or changes, one function step on its path over a symmetric
 * set, and a guard (the cell holds a value only where the bits at `off` read more than
 * k: a sequence's length, an optional value's tag). */
typedef struct {
    int64_t off, base;
    int width, kind, vset, cls;
    int step0, nsteps, guard0, nguards;
} sym_leaf_t;
typedef struct {
    int set, index;
    int64_t width;
} sym_step_t;
typedef struct {
    int64_t off;
    int width;
    uint64_t k;
} sym_guard_t;
enum { SYM_PLAIN, SYM_ATOM, SYM_OPT_ATOM, SYM_ATOM_SET };

struct ctx {
    /* the states, SB bytes each (the state's bits, not its W words) */
    unsigned char *store;
    /* with symmetry, each state's representative (SB bytes each): the seen set's keys */
    unsigned char *keys;
    int64_t n, cap;
    int32_t *parent;
    int64_t *upto; /* initial states: generated up to each distinct one */
    /* the seen set: state number + 1, 0 when free */
    uint32_t *table;
    uint64_t tmask;
    /* one state's successors, before they are stored (and their representatives) */
    uint64_t *buf, *kbuf;
    int16_t *buf_aid;
    int64_t bufn, bufcap, kcap;
    int64_t fired_now[NACT];
    /* figures */
    int64_t fired[NACT], fresh[NACT];
    int64_t n_init, depth, i, level_end, max_states, max_depth;
    int deadlock;
    poll_fn poll;
    struct pool *pool; /* several workers; NULL for one */
#if EDGES
    /* the binding of the successor being made, and of each one in buf (MAXP values) */
    int64_t bind_now[MAXP];
    int64_t *buf_bind, bindcap;
    /* every edge (to another state): those out of state s are e_first[s] ..
     * e_first[s + 1] - 1, with their target, action and binding */
    int64_t *e_first, e_nfirst, e_firstcap;
    int64_t *e_dst;
    int32_t *e_inst; /* its fairness instance, or -1 */
    int16_t *e_aid;
    int64_t e_n, e_cap;
    /* the fairness instances, numbered as first met: (action, MAXP binding values) each,
     * and a hash table of them (number + 1, 0 when free) */
    int64_t *i_key, i_n, i_cap;
    uint32_t *i_table;
    uint64_t i_mask;
#endif
    /* initial states a constraint drops (W words each), checked against the invariants
     * after the others, and how many initial states were generated up to each */
    uint64_t *out_init;
    int64_t *out_upto, out_n, out_cap;
    /* 1 when state n - 1 is one a constraint drops, stored only for the trace of the
     * violation or fault found in it */
    int phantom;
    /* the result */
    int status, where, invariant;
    int64_t at;
};

static int put(ctx_t *c, const uint64_t *w, int aid);
static int add_init(ctx_t *c, const uint64_t *w);

/* Set when a value leaves what the compiled code represents (an integer overflow, a set
 * element beyond 64 bits): the run stops and the check runs on the Python engine. */
static _Thread_local int OVF;

static inline uint64_t rdv(const uint64_t *s, int64_t off, int w) {
    int64_t i = off >> 6;
    int sh = (int)(off & 63);
    uint64_t v = s[i] >> sh;
    if (sh + w > 64 && i + 1 < W) /* i + 1 < W always: it tells the compiler so */
        v |= s[i + 1] << (64 - sh);
    return w >= 64 ? v : (v & ((1ULL << w) - 1));
}

static inline void wrv(uint64_t *s, int64_t off, int w, uint64_t bits) {
    int64_t i = off >> 6;
    int sh = (int)(off & 63);
    uint64_t m = w >= 64 ? UINT64_MAX : ((1ULL << w) - 1);
    bits &= m;
    s[i] = (s[i] & ~(m << sh)) | (bits << sh);
    if (sh + w > 64 && i + 1 < W) {
        int lo = 64 - sh;
        s[i + 1] = (s[i + 1] & ~(m >> lo)) | (bits >> lo);
    }
}

/* shifts by a run-time amount, 64 and beyond included (0 bits left) */
static inline uint64_t shl(uint64_t x, int64_t k) { return k >= 64 ? 0 : x << k; }
static inline uint64_t shr(uint64_t x, int64_t k) { return k >= 64 ? 0 : x >> k; }
static inline uint64_t low_bits(uint64_t x, int64_t k) {
    return k >= 64 ? x : x & ((1ULL << k) - 1);
}

static inline uint64_t setbit(int64_t v, int64_t base) {
    int64_t b = v - base;
    if (b < 0 || b > 63) {
        OVF = 1;
        return 0;
    }
    return 1ULL << b;
}

static inline int inset(int64_t v, uint64_t m, int64_t base) {
    int64_t b = v - base;
    return b >= 0 && b <= 63 && ((m >> b) & 1);
}

static inline uint64_t rngmask(int64_t lo, int64_t hi, int64_t base) {
    if (hi < lo)
        return 0;
    if (lo - base < 0 || hi - base > 63) {
        OVF = 1;
        return 0;
    }
    uint64_t n = (uint64_t)(hi - lo + 1);
    uint64_t m = n >= 64 ? UINT64_MAX : ((1ULL << n) - 1);
    return m << (lo - base);
}

static inline int64_t minbit(uint64_t m, int64_t base) {
    return m ? (int64_t)__builtin_ctzll(m) + base : NONE;
}

static inline int64_t maxbit(uint64_t m, int64_t base) {
    return m ? 63 - (int64_t)__builtin_clzll(m) + base : NONE;
}

static inline int64_t ar_add(int64_t a, int64_t b) {
    int64_t r;
    if (__builtin_add_overflow(a, b, &r) || r == NONE) {
        OVF = 1;
        return 0;
    }
    return r;
}

static inline int64_t ar_sub(int64_t a, int64_t b) {
    int64_t r;
    if (__builtin_sub_overflow(a, b, &r) || r == NONE) {
        OVF = 1;
        return 0;
    }
    return r;
}

static inline int64_t ar_mul(int64_t a, int64_t b) {
    int64_t r;
    if (__builtin_mul_overflow(a, b, &r) || r == NONE) {
        OVF = 1;
        return 0;
    }
    return r;
}

/* floor division and modulo, as the language (and Python) define them */
static inline int64_t fdiv_(int *F, int64_t a, int64_t b) {
    if (b == 0) {
        *F = 1;
        return 0;
    }
    if (b == -1) /* INT64_MIN / -1 overflows */
        return ar_sub(0, a);
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

/* a ** b; a negative exponent is a runtime error, a result beyond 64 bits an overflow */
static inline int64_t ipow_(int *F, int64_t a, int64_t b) {
    if (b < 0) {
        *F = 1;
        return 0;
    }
    int64_t r = 1;
    for (int64_t k = 0; k < b && !OVF; k++)
        r = ar_mul(r, a);
    return r;
}

static inline int64_t fmod_(int *F, int64_t a, int64_t b) {
    if (b == 0) {
        *F = 1;
        return 0;
    }
    if (b == -1)
        return 0;
    int64_t r = a % b;
    if (r != 0 && ((r < 0) != (b < 0)))
        r += b;
    return r;
}
