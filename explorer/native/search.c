/* The compiled engine's breadth-first search: the same algorithm, step for step, as
 * explorer/explicit/bfs.py (its fused `Unseen` path), so both engines give the same
 * figures and the same counterexample. Included at the end of a generated model
 * (cgen.py), which defines W, NACT, the `act<i>`, `successors`, `init_states`,
 * `invariants`, `terminal`, `constraint` and `covers` functions. Nothing here comes from a spec.
 *
 * Memory: states are stored once, in SB bytes each (the bytes their bits need; they are
 * worked on as W words), in one flat array indexed by state number (BFS order, so the
 * array is also the queue); the seen set is an open-addressing table of state numbers;
 * parent links are one more array. No allocation per state. (Which action first reached
 * a state is not kept: a trace finds it again, engine.py.) */

#include <pthread.h>
#include <stdio.h>

/* what a run ended with (engine.py maps them to the Python engine's outcomes) */
enum { HOLDS, VIOLATION, DEADLOCK, FAULT, STOP_LIMIT, STOP_STATES, STOP_DEPTH, STOP_MEMORY,
       STOP_OVERFLOW, STOP_SHORTER, STOP_CAPACITY };

/* state numbers are int32 parent links and uint32 table entries (a test builds a smaller
 * capacity to reach it) */
#ifndef CAPACITY
#define CAPACITY INT32_MAX
#endif
/* where a fault was met */
enum { IN_INIT, IN_EXPAND, IN_INVARIANT, IN_TERMINAL, IN_CONSTRAINT };

static inline uint64_t mix(uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

static inline uint64_t hash_state(const uint64_t *s) {
    uint64_t h = 0x9e3779b97f4a7c15ULL;
    for (int k = 0; k < W; k++)
        h = mix(h ^ s[k]) + (uint64_t)k;
    return h;
}

static inline unsigned char *stored(const ctx_t *c, int64_t j) { return c->store + j * SB; }

/* where the seen set's key of state j is: its representative with symmetry, else itself */
static inline unsigned char *keyed(const ctx_t *c, int64_t j) {
#if SYM
    return c->keys + j * SB;
#else
    return stored(c, j);
#endif
}

/* A state's words hold its bits from the lowest up, and nothing above them: its SB bytes
 * are the first SB of its words in memory on a little-endian machine; elsewhere they are
 * moved byte by byte. */
#define LITTLE (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)

/* the SB bytes at b as words */
static inline void load_at(const unsigned char *b, uint64_t *s) {
    s[W - 1] = 0;
    if (LITTLE) {
        memcpy(s, b, SB);
        return;
    }
    memset(s, 0, sizeof(uint64_t) * W);
    for (int k = 0; k < SB; k++)
        s[k >> 3] |= (uint64_t)b[k] << (8 * (k & 7));
}

static inline void save_at(unsigned char *b, const uint64_t *s) {
    if (LITTLE) {
        memcpy(b, s, SB);
        return;
    }
    for (int k = 0; k < SB; k++)
        b[k] = (unsigned char)(s[k >> 3] >> (8 * (k & 7)));
}

/* state j as words */
static inline void load(const ctx_t *c, int64_t j, uint64_t *s) { load_at(stored(c, j), s); }

/* whether state j's key is s */
static inline int same(const ctx_t *c, int64_t j, const uint64_t *s) {
    if (LITTLE)
        return memcmp(keyed(c, j), s, SB) == 0;
    uint64_t t[W];
    load_at(keyed(c, j), t);
    return memcmp(t, s, sizeof t) == 0;
}

/* ---- symmetry ------------------------------------------------------------------------
 * The representative of a state's orbit under the permutations of the symmetric sets
 * (cgen.py emits the cells a permutation moves or changes as tables, SYM 1). The same
 * method as explorer/explicit/canon.py, not the same representative: each atom gets a
 * signature that a permutation carries along with it (a hash summed over what the state
 * says about the atom); the permutations that put the atoms in signature order (atoms
 * of equal signature in every order) give images, and the least image is the
 * representative. Exact: two states have the same representative iff they are
 * symmetric. */
#if SYM
/* whether leaf x holds a value in s (not a slot past a sequence's length, nor the inside
 * of a none) */
static inline int sym_holds(const uint64_t *s, const sym_leaf_t *x) {
    for (int g = 0; g < x->nguards; g++) {
        const sym_guard_t *d = &sym_guard[x->guard0 + g];
        if (rdv(s, d->off, d->width) <= d->k)
            return 0;
    }
    return 1;
}

/* which of x's steps over set j (but `skip`) are at atom a */
static inline uint64_t sym_flags(const sym_leaf_t *x, int j, int a, int skip) {
    uint64_t f = 0;
    for (int q = 0; q < x->nsteps; q++) {
        const sym_step_t *st = &sym_step[x->step0 + q];
        f = f << 1 | (uint64_t)(q != skip && st->set == j && st->index == a);
    }
    return f;
}

/* x's value v as atom a of set j sees it: itself, unless it holds atoms of a symmetric
 * set, which it names only by how they stand to a (a set: by its size and whether it
 * holds a) */
static inline uint64_t sym_seen(const sym_leaf_t *x, uint64_t v, int j, int a) {
    switch (x->kind) {
    case SYM_PLAIN:
        return v;
    case SYM_ATOM_SET:
        return (uint64_t)__builtin_popcountll(v) * 2 + (uint64_t)(x->vset == j && ((v >> a) & 1));
    case SYM_OPT_ATOM:
        if (!v)
            return 0x5ea1ULL;
        v--;
        /* fall through */
    default:
        return x->vset == j && v == (uint64_t)a ? 0x5e1fULL : 0x07e5ULL;
    }
}

/* one mix of four words, each spread by its own odd multiplier first: a collision only
 * merges two signatures (more orderings tried), never changes the representative */
static inline uint64_t sym_hash(uint64_t a, uint64_t b, uint64_t c, uint64_t d) {
    return mix(a * 0x9e3779b97f4a7c15ULL ^ b * 0xc2b2ae3d27d4eb4fULL ^ c * 0x165667b19e3779f9ULL ^
               d * 0xd6e8feb86659fd93ULL);
}

static void sym_signatures(const uint64_t *s, uint64_t sig[SYM_SETS][SYM_MAXN]) {
    memset(sig, 0, sizeof(uint64_t) * SYM_SETS * SYM_MAXN);
    for (int l = 0; l < SYM_LEAVES; l++) {
        const sym_leaf_t *x = &sym_leaf[l];
        if (x->nguards && !sym_holds(s, x))
            continue;
        uint64_t v = rdv(s, x->off, x->width);
        for (int q = 0; q < x->nsteps; q++) {
            const sym_step_t *st = &sym_step[x->step0 + q];
            sig[st->set][st->index] += sym_hash((uint64_t)x->cls, (uint64_t)q,
                                                sym_flags(x, st->set, st->index, q),
                                                sym_seen(x, v, st->set, st->index));
        }
        if (x->kind == SYM_ATOM || (x->kind == SYM_OPT_ATOM && v)) {
            uint64_t b = v - (x->kind == SYM_OPT_ATOM);
            if (b < (uint64_t)sym_n[x->vset])
                sig[x->vset][b] += sym_hash((uint64_t)x->cls, 0xa70aULL,
                                            sym_flags(x, x->vset, (int)b, -1), 1);
        } else if (x->kind == SYM_ATOM_SET && v) {
            /* a member that is none of the cell's coordinates: the same hash for all */
            uint64_t h0 = sym_hash((uint64_t)x->cls, 0x5e7ULL, 0, 2);
            for (uint64_t m = v; m; m &= m - 1) {
                int b = __builtin_ctzll(m);
                if (b >= sym_n[x->vset])
                    continue;
                uint64_t f = sym_flags(x, x->vset, b, -1);
                sig[x->vset][b] += f ? sym_hash((uint64_t)x->cls, 0x5e7ULL, f, 2) : h0;
            }
        }
    }
}

/* the image of s under p (p[j][a]: where atom a of set j goes) */
static void sym_apply(const uint64_t *s, int p[SYM_SETS][SYM_MAXN], uint64_t *out) {
    for (int k = 0; k < W; k++)
        out[k] = s[k] & sym_still[k];
    for (int l = 0; l < SYM_LEAVES; l++) {
        const sym_leaf_t *x = &sym_leaf[l];
        if (x->nguards && !sym_holds(s, x))
            continue;
        uint64_t v = rdv(s, x->off, x->width);
        const int *q = x->vset >= 0 ? p[x->vset] : NULL;
        if (x->kind == SYM_ATOM && v < (uint64_t)SYM_MAXN)
            v = (uint64_t)q[v];
        else if (x->kind == SYM_OPT_ATOM && v && v <= (uint64_t)SYM_MAXN)
            v = (uint64_t)q[v - 1] + 1;
        else if (x->kind == SYM_ATOM_SET) {
            uint64_t m = 0;
            for (uint64_t r = v; r; r &= r - 1) {
                int b = __builtin_ctzll(r);
                if (b < SYM_MAXN)
                    m |= 1ULL << q[b];
            }
            v = m;
        }
        int64_t dst = x->base;
        for (int t = 0; t < x->nsteps; t++) {
            const sym_step_t *st = &sym_step[x->step0 + t];
            dst += (int64_t)p[st->set][st->index] * st->width;
        }
        wrv(out, dst, x->width, v);
    }
}

/* the next arrangement of a[0..n) in lexicographic order; 0 (and a sorted) after the last */
static int sym_next_perm(int *a, int n) {
    int i = n - 2;
    while (i >= 0 && a[i] >= a[i + 1])
        i--;
    if (i < 0) {
        for (int l = 0, r = n - 1; l < r; l++, r--) {
            int t = a[l];
            a[l] = a[r];
            a[r] = t;
        }
        return 0;
    }
    int j = n - 1;
    while (a[j] <= a[i])
        j--;
    int t = a[i];
    a[i] = a[j];
    a[j] = t;
    for (int l = i + 1, r = n - 1; l < r; l++, r--) {
        t = a[l];
        a[l] = a[r];
        a[r] = t;
    }
    return 1;
}

/* the next order of the atoms that keeps them in signature order: the blocks of equal
 * signature, last first, each through its arrangements (an odometer); 0 after the last */
static int sym_next(int ord[SYM_SETS][SYM_MAXN], uint64_t sig[SYM_SETS][SYM_MAXN],
                    unsigned char alike[SYM_SETS][SYM_MAXN]) {
    for (int j = SYM_SETS - 1; j >= 0; j--) {
        int n = sym_n[j];
        int e = n;
        while (e > 0) {
            int b = e - 1;
            while (b > 0 && sig[j][ord[j][b - 1]] == sig[j][ord[j][e - 1]])
                b--;
            if (e - b > 1 && !alike[j][b] && sym_next_perm(ord[j] + b, e - b))
                return 1;
            e = b;
        }
    }
    return 0;
}

/* whether every permutation of the block ord[j][b..e) leaves s as it is: the swaps of
 * neighbours, which generate them, all do (then one order of the block is enough) */
static int sym_alike(const uint64_t *s, int j, const int *block, int len) {
    int p[SYM_SETS][SYM_MAXN];
    uint64_t img[W];
    for (int i = 0; i < SYM_SETS; i++)
        for (int a = 0; a < sym_n[i]; a++)
            p[i][a] = a;
    for (int k = 0; k + 1 < len; k++) {
        int a = block[k], b = block[k + 1];
        p[j][a] = b;
        p[j][b] = a;
        sym_apply(s, p, img);
        p[j][a] = a;
        p[j][b] = b;
        if (memcmp(img, s, sizeof img) != 0)
            return 0;
    }
    return 1;
}

static inline int sym_less(const uint64_t *a, const uint64_t *b) {
    for (int k = W - 1; k >= 0; k--)
        if (a[k] != b[k])
            return a[k] < b[k];
    return 0;
}

static void canon(const uint64_t *s, uint64_t *out) {
    uint64_t sig[SYM_SETS][SYM_MAXN];
    int ord[SYM_SETS][SYM_MAXN], p[SYM_SETS][SYM_MAXN];
    sym_signatures(s, sig);
    for (int j = 0; j < SYM_SETS; j++) { /* by signature, then atom: ascending blocks */
        for (int a = 0; a < sym_n[j]; a++) {
            int r = a;
            while (r > 0 && sig[j][ord[j][r - 1]] > sig[j][a]) {
                ord[j][r] = ord[j][r - 1];
                r--;
            }
            ord[j][r] = a;
        }
    }
    /* a block of atoms that s cannot tell apart gives the same image in every order: it
     * is tried in one (the usual worst case, every atom alike, costs k - 1 swaps instead
     * of k! images) */
    unsigned char alike[SYM_SETS][SYM_MAXN];
    for (int j = 0; j < SYM_SETS; j++) {
        for (int b = 0; b < sym_n[j];) {
            int e = b + 1;
            while (e < sym_n[j] && sig[j][ord[j][e]] == sig[j][ord[j][b]])
                e++;
            alike[j][b] = e - b > 1 && sym_alike(s, j, ord[j] + b, e - b);
            b = e;
        }
    }
    uint64_t img[W];
    int first = 1;
    do {
        for (int j = 0; j < SYM_SETS; j++)
            for (int r = 0; r < sym_n[j]; r++)
                p[j][ord[j][r]] = r;
        sym_apply(s, p, img);
        if (first || sym_less(img, out))
            memcpy(out, img, sizeof img);
        first = 0;
    } while (sym_next(ord, sig, alike));
}
#define KEY(c, b) ((c)->kbuf + (b) * W)
#else
#define KEY(c, b) ((c)->buf + (b) * W)
#endif

/* the keys of successors [b0, b1) of c's buffer (their representatives, with symmetry);
 * -1 when memory runs out */
static int keys_of(ctx_t *c, int64_t b0, int64_t b1) {
#if SYM
    if (c->kcap < c->bufcap) {
        uint64_t *k = realloc(c->kbuf, (size_t)c->bufcap * W * sizeof *k);
        if (!k)
            return -1;
        c->kbuf = k;
        c->kcap = c->bufcap;
    }
    for (int64_t b = b0; b < b1; b++)
        canon(c->buf + b * W, c->kbuf + b * W);
#else
    (void)c, (void)b0, (void)b1;
#endif
    return 0;
}

/* the number of the state whose key is s, or -1; *slot is where it would go */
static int64_t lookup(ctx_t *c, const uint64_t *s, uint64_t *slot) {
    uint64_t k = hash_state(s) & c->tmask;
    for (;;) {
        uint32_t e = c->table[k];
        if (e == 0) {
            *slot = k;
            return -1;
        }
        if (same(c, e - 1, s))
            return e - 1;
        k = (k + 1) & c->tmask;
    }
}

static int grow_table(ctx_t *c) {
    uint64_t size = (c->tmask + 1) * 2;
    uint32_t *t = calloc(size, sizeof *t);
    if (!t)
        return -1;
    uint64_t s[W];
    for (int64_t j = 0; j < c->n; j++) {
        load_at(keyed(c, j), s);
        uint64_t k = hash_state(s) & (size - 1);
        while (t[k])
            k = (k + 1) & (size - 1);
        t[k] = (uint32_t)(j + 1);
    }
    free(c->table);
    c->table = t;
    c->tmask = size - 1;
    return 0;
}

static int grow_store(ctx_t *c) {
    int64_t cap = c->cap * 2;
    unsigned char *st = realloc(c->store, (size_t)cap * SB);
    if (!st)
        return -1;
    c->store = st;
    int32_t *p = realloc(c->parent, (size_t)cap * sizeof *p);
    if (!p)
        return -1;
    c->parent = p;
#if SYM
    unsigned char *k = realloc(c->keys, (size_t)cap * SB);
    if (!k)
        return -1;
    c->keys = k;
#endif
    c->cap = cap;
    return 0;
}

/* 0 when one more state may be stored, else why not (--max-states, the capacity) */
static int room(const ctx_t *c) {
    if (c->n == c->max_states)
        return STOP_STATES;
    return c->n == CAPACITY ? STOP_CAPACITY : 0;
}

/* store s (its key not seen) as state number n; -1 when memory runs out */
static int store(ctx_t *c, const uint64_t *s, const uint64_t *key, uint64_t slot,
                 int32_t parent) {
    if (c->n == c->cap && grow_store(c) < 0)
        return -1;
    save_at(stored(c, c->n), s);
#if SYM
    save_at(keyed(c, c->n), key);
#else
    (void)key;
#endif
    c->parent[c->n] = parent;
    c->table[slot] = (uint32_t)(c->n + 1);
    c->n++;
    if ((uint64_t)c->n * 2 > c->tmask + 1 && grow_table(c) < 0)
        return -1;
    return 0;
}

static int put(ctx_t *c, const uint64_t *w, int aid) {
    if (c->bufn == c->bufcap) {
        int64_t cap = c->bufcap * 2;
        uint64_t *b = realloc(c->buf, (size_t)cap * W * sizeof *b);
        if (!b)
            return -1;
        c->buf = b;
        int16_t *a = realloc(c->buf_aid, (size_t)cap * sizeof *a);
        if (!a)
            return -1;
        c->buf_aid = a;
        c->bufcap = cap;
    }
#if EDGES
    if (c->bindcap < c->bufcap) {
        int64_t *b = realloc(c->buf_bind, (size_t)c->bufcap * MAXP * sizeof *b);
        if (!b)
            return -1;
        c->buf_bind = b;
        c->bindcap = c->bufcap;
    }
    memcpy(c->buf_bind + c->bufn * MAXP, c->bind_now, sizeof c->bind_now);
#endif
    memcpy(c->buf + c->bufn * W, w, sizeof(uint64_t) * W);
    c->buf_aid[c->bufn++] = (int16_t)aid;
    return 0;
}

#if EDGES
/* e_first up to state n (those without edges included) */
static int edges_upto(ctx_t *c, int64_t n) {
    if (c->e_firstcap <= n) {
        int64_t cap = c->e_firstcap ? c->e_firstcap : 1024;
        while (cap <= n)
            cap *= 2;
        int64_t *f = realloc(c->e_first, (size_t)cap * sizeof *f);
        if (!f)
            return -1;
        c->e_first = f;
        c->e_firstcap = cap;
    }
    while (c->e_nfirst <= n)
        c->e_first[c->e_nfirst++] = c->e_n;
    return 0;
}

/* the number of the fairness instance (aid, bind), numbering it if it is new; -2 out of
 * memory */
static int64_t instance(ctx_t *c, int aid, const int64_t *bind) {
    int np = NPARAMS[aid];
    if ((uint64_t)(c->i_n + 1) * 2 > c->i_mask + 1 || !c->i_table) {
        uint64_t size = c->i_table ? (c->i_mask + 1) * 2 : 1024;
        uint32_t *t = calloc(size, sizeof *t);
        if (!t)
            return -2;
        for (int64_t k = 0; k < c->i_n; k++) { /* rehash */
            const int64_t *key = c->i_key + k * (1 + MAXP);
            uint64_t h = (uint64_t)key[0];
            for (int p = 0; p < NPARAMS[key[0]]; p++)
                h = mix(h ^ (uint64_t)key[1 + p]);
            uint64_t slot = mix(h) & (size - 1);
            while (t[slot])
                slot = (slot + 1) & (size - 1);
            t[slot] = (uint32_t)(k + 1);
        }
        free(c->i_table);
        c->i_table = t;
        c->i_mask = size - 1;
    }
    uint64_t h = (uint64_t)aid;
    for (int p = 0; p < np; p++)
        h = mix(h ^ (uint64_t)bind[p]);
    uint64_t slot = mix(h) & c->i_mask;
    for (;;) {
        uint32_t k = c->i_table[slot];
        if (!k)
            break;
        const int64_t *key = c->i_key + (int64_t)(k - 1) * (1 + MAXP);
        int same = key[0] == aid;
        for (int p = 0; same && p < np; p++)
            same = key[1 + p] == bind[p];
        if (same)
            return k - 1;
        slot = (slot + 1) & c->i_mask;
    }
    if (c->i_n == c->i_cap) {
        int64_t cap = c->i_cap ? c->i_cap * 2 : 64;
        int64_t *key = realloc(c->i_key, (size_t)cap * (1 + MAXP) * sizeof *key);
        if (!key)
            return -2;
        c->i_key = key;
        c->i_cap = cap;
    }
    int64_t *key = c->i_key + c->i_n * (1 + MAXP);
    memset(key, 0, (1 + MAXP) * sizeof *key);
    key[0] = aid;
    memcpy(key + 1, bind, (size_t)np * sizeof *bind);
    c->i_table[slot] = (uint32_t)(c->i_n + 1);
    return c->i_n++;
}

/* the edge i -> j of action aid with its binding (i the state being expanded); a step to
 * the same state is stuttering, not an edge */
static int edge(ctx_t *c, int64_t i, int64_t j, int aid, const int64_t *bind) {
    if (i == j)
        return 0;
    if (edges_upto(c, i) < 0)
        return -1;
    if (c->e_n == c->e_cap) {
        int64_t cap = c->e_cap ? c->e_cap * 2 : 4096;
        int64_t *d = realloc(c->e_dst, (size_t)cap * sizeof *d);
        if (!d)
            return -1;
        c->e_dst = d;
        int32_t *f = realloc(c->e_inst, (size_t)cap * sizeof *f);
        if (!f)
            return -1;
        c->e_inst = f;
        int16_t *a = realloc(c->e_aid, (size_t)cap * sizeof *a);
        if (!a)
            return -1;
        c->e_aid = a;
        c->e_cap = cap;
    }
    int64_t k = -1;
    if (FAIR_OF[aid] && (k = instance(c, aid, bind)) == -2)
        return -1;
    c->e_dst[c->e_n] = j;
    c->e_aid[c->e_n] = (int16_t)aid;
    c->e_inst[c->e_n] = (int32_t)k;
    c->e_n++;
    return 0;
}
#endif

static int64_t generated(ctx_t *c) {
    int64_t g = c->n_init;
    for (int a = 0; a < NACT; a++)
        g += c->fired[a];
    return g;
}

static int finish(ctx_t *c, int status, int64_t at) {
    c->status = status;
    c->at = at;
    if (c->n > c->level_end) /* states of the next level are stored already */
        c->depth++;
    return status;
}

/* an initial state a constraint drops: kept aside, to be checked after the others */
static int drop_init(ctx_t *c, const uint64_t *w) {
    if (c->out_n == c->out_cap) {
        int64_t cap = c->out_cap ? 2 * c->out_cap : 16;
        uint64_t *o = realloc(c->out_init, (size_t)cap * W * sizeof *o);
        if (!o)
            return STOP_MEMORY;
        c->out_init = o;
        int64_t *u = realloc(c->out_upto, (size_t)cap * sizeof *u);
        if (!u)
            return STOP_MEMORY;
        c->out_upto = u;
        c->out_cap = cap;
    }
    memcpy(c->out_init + c->out_n * W, w, W * sizeof *w);
    c->out_upto[c->out_n++] = c->n_init;
    return 0;
}

/* the search ends in state t, which a constraint drops (successor of state `from`, -1
 * for an initial state): t is stored only as the trace's last state */
static int end_in_dropped(ctx_t *c, const uint64_t *t, const uint64_t *key, int64_t from,
                          int status, int where, int inv) {
    uint64_t slot;
    lookup(c, key, &slot);
    if (store(c, t, key, slot, (int32_t)from) < 0)
        return finish(c, STOP_MEMORY, -1);
    c->phantom = 1;
    c->where = where;
    c->invariant = inv;
    return finish(c, status, c->n - 1);
}

static int add_init(ctx_t *c, const uint64_t *w) {
    c->n_init++;
    if ((c->n_init & 1023) == 0 && c->poll(1, c->n, c->n_init, 0, 0))
        return STOP_LIMIT;
    uint64_t slot;
#if SYM
    uint64_t key[W];
    canon(w, key);
#else
    const uint64_t *key = w;
#endif
    if (lookup(c, key, &slot) >= 0)
        return 0;
    if (HAS_CONSTRAINT) {
        int in = constraint(w);
        if (OVF)
            return STOP_OVERFLOW;
        if (in == -2) { /* a fault at that state, not in computing it */
            if (store(c, w, key, slot, -1) < 0)
                return STOP_MEMORY;
            c->phantom = 1;
            c->where = IN_CONSTRAINT;
            return FAULT;
        }
        if (!in)
            return drop_init(c, w);
    }
    int full = room(c);
    if (full)
        return full;
    if (store(c, w, key, slot, -1) < 0)
        return STOP_MEMORY;
    int64_t *u = realloc(c->upto, (size_t)c->n * sizeof *u);
    if (!u)
        return STOP_MEMORY;
    c->upto = u;
    c->upto[c->n - 1] = c->n_init;
    return 0;
}

/* expand state k, the successors in the buffer; its count, -1 for a fault, -2 for
 * memory; `fired_now` holds the counts of the actions that completed */
static int64_t expand(ctx_t *c, int64_t k) {
    c->bufn = 0;
    memset(c->fired_now, 0, sizeof c->fired_now);
    uint64_t s[W];
    load(c, k, s);
    return successors(c, s);
}

/* state k has no successor: a deadlock unless it is terminal, or the fault of
 * evaluating `terminal` there; -1 when neither */
static int stuck(ctx_t *c, int64_t k) {
    uint64_t s[W];
    load(c, k, s);
    int t = HAS_TERMINAL ? terminal(s) : 0;
    if (t == -2) {
        c->where = IN_TERMINAL;
        return finish(c, FAULT, k);
    }
    return t ? -1 : finish(c, DEADLOCK, k);
}

/* a counterexample of length d+1 was met expanding state i (depth d): the first later
 * state of depth d that is a deadlock or fails `terminal` (length d), if any; nothing
 * is stored or counted */
static int shorter(ctx_t *c) {
    if (!c->deadlock)
        return -1;
    for (int64_t k = c->i + 1; k < c->level_end; k++) {
        if ((k & 1023) == 0 && c->poll(2, c->n, generated(c), c->depth, c->n - c->i))
            return finish(c, STOP_SHORTER, -1);
        int64_t r = expand(c, k);
        if (OVF)
            return finish(c, STOP_OVERFLOW, -1);
        if (r == -2)
            return finish(c, STOP_MEMORY, -1);
        if (r == 0) {
            int s = stuck(c, k);
            if (s >= 0)
                return s;
        }
    }
    return -1;
}

static int fault_or_shorter(ctx_t *c, int where, int64_t at) {
    int s = shorter(c);
    if (s >= 0)
        return s;
    c->where = where;
    return finish(c, FAULT, at);
}

static int violation_or_shorter(ctx_t *c, int inv, int64_t at) {
    int s = shorter(c);
    if (s >= 0)
        return s;
    c->invariant = inv;
    return finish(c, VIOLATION, at);
}

/* a successor t of state i, by action aid, with its key: stored unless seen, its
 * invariants checked (`bad` when the caller knows them already, -3 when not); a status
 * when the search ends there, -1 when it goes on; its number in *to, once it has one */
static int insert(ctx_t *c, const uint64_t *t, const uint64_t *key, int aid, int64_t i,
                  int bad, int64_t *to) {
    uint64_t slot;
    int64_t seen = lookup(c, key, &slot);
    if (seen >= 0) {
        *to = seen;
        return -1;
    }
    if (HAS_CONSTRAINT) { /* as TLC: checked against the invariants, neither stored nor expanded */
        int in = constraint(t), r;
        if (OVF)
            return finish(c, STOP_OVERFLOW, -1);
        if (in != 1) {
            if (in == 0 && bad == -3)
                bad = invariants(t);
            if (OVF)
                return finish(c, STOP_OVERFLOW, -1);
            if (in == 0 && bad == -1)
                return -1;
            if ((r = shorter(c)) >= 0)
                return r;
            return end_in_dropped(c, t, key, i, bad >= 0 && in == 0 ? VIOLATION : FAULT,
                                  in == -2 ? IN_CONSTRAINT : IN_INVARIANT, bad);
        }
    }
    int64_t j = c->n;
    int full = room(c);
    if (full)
        return finish(c, full, -1);
    if (store(c, t, key, slot, (int32_t)i) < 0)
        return finish(c, STOP_MEMORY, -1);
    *to = j;
    c->fresh[aid]++;
    if (bad == -3)
        bad = invariants(t);
    if (OVF)
        return finish(c, STOP_OVERFLOW, -1);
    if (bad == -2)
        return fault_or_shorter(c, IN_INVARIANT, j);
    if (bad >= 0)
        return violation_or_shorter(c, bad, j);
    return -1;
}

/* ---- several workers ------------------------------------------------------------------
 * Level-synchronous: a batch of the level's states is expanded by every worker at once
 * (in chunks of CHUNK states taken in turn, successors already seen before the batch
 * dropped, the invariants of the others evaluated), then the main thread takes the batch's states in
 * order and does exactly what the one-worker loop does with their successors. So the
 * states are numbered, and every figure and counterexample found, as with one worker. */

#define BATCH 4096
#define SEEN_BEFORE INT32_MIN

typedef struct {
    int64_t start, end, nsucc; /* its successors in its worker's buffer */
    int worker, ovf;
} expanded_t;

struct worker {
    ctx_t w; /* its own successor buffer and counts; the table is read through the pool's */
    int32_t *inv; /* per successor: its invariants' result, or SEEN_BEFORE */
    int64_t invcap;
    int index;
    struct pool *pool;
    pthread_t thread;
};

struct pool {
    ctx_t *c;
    int n, quit, failed;
    struct worker *ws;
    pthread_barrier_t start, done;
    int64_t b0, b1;
    int64_t next; /* the batch's next state not taken by a worker (atomic) */
    expanded_t ex[BATCH];
    int64_t fired[BATCH][NACT];
};

/* the states of a batch a worker takes at a time: few enough that the workers finish
 * together, enough that taking them costs nothing */
#define CHUNK 32

/* state k of the batch: its successors into the worker's buffer, each marked seen before
 * or with its invariants' result */
static void expand_one(struct worker *me, int64_t k) {
    struct pool *p = me->pool;
    ctx_t *w = &me->w;
    expanded_t *e = &p->ex[k - p->b0];
    OVF = 0;
    e->worker = me->index;
    e->start = w->bufn;
    memset(w->fired_now, 0, sizeof w->fired_now);
    uint64_t s[W];
    load(p->c, k, s);
    int64_t r = successors(w, s);
    memcpy(p->fired[k - p->b0], w->fired_now, sizeof w->fired_now);
    e->nsucc = r;
    if (r < 0)
        w->bufn = e->start; /* what a failing state made is not used */
    e->end = w->bufn;
    if (me->invcap < w->bufcap) {
        int32_t *inv = realloc(me->inv, (size_t)w->bufcap * sizeof *inv);
        if (!inv) {
            e->nsucc = -2;
            e->end = e->start;
            e->ovf = OVF;
            return;
        }
        me->inv = inv;
        me->invcap = w->bufcap;
    }
    if (keys_of(w, e->start, e->end) < 0) {
        e->nsucc = -2;
        e->end = e->start;
        e->ovf = OVF;
        return;
    }
    for (int64_t b = e->start; b < e->end; b++) {
        uint64_t slot;
        me->inv[b] = lookup(p->c, KEY(w, b), &slot) >= 0 ? SEEN_BEFORE
                                                         : invariants(w->buf + b * W);
    }
    e->ovf = OVF;
}

static void expand_share(struct worker *me) {
    struct pool *p = me->pool;
    me->w.bufn = 0;
    for (;;) {
        int64_t k0 = __atomic_fetch_add(&p->next, CHUNK, __ATOMIC_RELAXED);
        if (k0 >= p->b1)
            return;
        int64_t k1 = k0 + CHUNK < p->b1 ? k0 + CHUNK : p->b1;
        for (int64_t k = k0; k < k1; k++)
            expand_one(me, k);
    }
}

static void *work(void *arg) {
    struct worker *me = arg;
    struct pool *p = me->pool;
    for (;;) {
        pthread_barrier_wait(&p->start);
        if (p->quit)
            return NULL;
        expand_share(me);
        pthread_barrier_wait(&p->done);
    }
}

/* one batch: from state c->i to at most BATCH states on, within its level */
static int batch(ctx_t *c, struct pool *p) {
    int64_t b0 = c->i, b1 = c->level_end < b0 + BATCH ? c->level_end : b0 + BATCH;
    p->b0 = b0;
    p->b1 = b1;
    p->next = b0;
    pthread_barrier_wait(&p->start);
    expand_share(&p->ws[0]); /* the main thread is worker 0 */
    pthread_barrier_wait(&p->done);
    for (int64_t k = b0; k < b1; k++) {
        c->i = k;
        if ((k & 1023) == 0 && c->poll(0, c->n, generated(c), c->depth, c->n - k))
            return finish(c, STOP_LIMIT, -1);
        expanded_t *e = &p->ex[k - b0];
        for (int a = 0; a < NACT; a++)
            c->fired[a] += p->fired[k - b0][a];
        if (e->ovf)
            return finish(c, STOP_OVERFLOW, -1);
        if (e->nsucc == -2)
            return finish(c, STOP_MEMORY, -1);
        if (e->nsucc == -1)
            return fault_or_shorter(c, IN_EXPAND, k);
        struct worker *w = &p->ws[e->worker];
        for (int64_t b = e->start; b < e->end; b++) {
            int64_t j = -1;
            if (w->inv[b] == SEEN_BEFORE) {
#if EDGES
                uint64_t slot;
                j = lookup(c, KEY(&w->w, b), &slot);
                if (edge(c, k, j, w->w.buf_aid[b], w->w.buf_bind + b * MAXP) < 0)
                    return finish(c, STOP_MEMORY, -1);
#endif
                continue;
            }
            int r = insert(c, w->w.buf + b * W, KEY(&w->w, b), w->w.buf_aid[b], k, w->inv[b],
                           &j);
#if EDGES
            if (j >= 0 && edge(c, k, j, w->w.buf_aid[b], w->w.buf_bind + b * MAXP) < 0)
                return finish(c, STOP_MEMORY, -1);
#endif
            if (r >= 0)
                return r;
        }
        if (e->nsucc == 0 && c->deadlock) {
            int s = stuck(c, k);
            if (s >= 0)
                return s;
        }
    }
    c->i = b1;
    return -1;
}

static struct pool *pool_new(ctx_t *c, int n) {
    struct pool *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->c = c;
    p->n = n;
    p->ws = calloc((size_t)n, sizeof *p->ws);
    if (!p->ws)
        return NULL;
    pthread_barrier_init(&p->start, NULL, (unsigned)n);
    pthread_barrier_init(&p->done, NULL, (unsigned)n);
    for (int k = 0; k < n; k++) {
        struct worker *w = &p->ws[k];
        w->index = k;
        w->pool = p;
        w->w.bufcap = 64;
        w->w.buf = malloc((size_t)w->w.bufcap * W * sizeof *w->w.buf);
        w->w.buf_aid = malloc((size_t)w->w.bufcap * sizeof *w->w.buf_aid);
        if (!w->w.buf || !w->w.buf_aid)
            return NULL;
        if (k > 0 && pthread_create(&w->thread, NULL, work, w) != 0)
            return NULL;
    }
    return p;
}

static void pool_free(struct pool *p) {
    p->quit = 1;
    pthread_barrier_wait(&p->start);
    for (int k = 1; k < p->n; k++)
        pthread_join(p->ws[k].thread, NULL);
    for (int k = 0; k < p->n; k++) {
        free(p->ws[k].w.buf);
        free(p->ws[k].w.buf_aid);
        free(p->ws[k].w.kbuf);
        free(p->ws[k].inv);
#if EDGES
        free(p->ws[k].w.buf_bind);
#endif
    }
    pthread_barrier_destroy(&p->start);
    pthread_barrier_destroy(&p->done);
    free(p->ws);
    free(p);
}

static int search(ctx_t *c) {
    c->level_end = INT64_MAX;
    int r = init_states(c);
    if (OVF)
        return finish(c, STOP_OVERFLOW, -1);
    if (r < 0) {
        c->where = IN_INIT;
        return finish(c, FAULT, -1);
    }
    if (r > 0 && c->phantom) /* a constraint failed to evaluate at an initial state */
        return finish(c, r, c->n - 1);
    if (r > 0) {
        c->where = IN_INIT;
        return finish(c, r, -1);
    }
    for (int64_t j = 0; j < c->n; j++) {
        if ((j & 1023) == 1023 && c->poll(2, c->n, c->n_init, 0, 0))
            return finish(c, STOP_LIMIT, -1);
        uint64_t s[W];
        load(c, j, s);
        int bad = invariants(s);
        if (OVF)
            return finish(c, STOP_OVERFLOW, -1);
        if (bad != -1) {
            c->n_init = c->upto[j]; /* figures as if the search stopped there */
            if (bad == -2) {
                c->where = IN_INVARIANT;
                return finish(c, FAULT, j);
            }
            c->invariant = bad;
            return finish(c, VIOLATION, j);
        }
    }
    for (int64_t k = 0; k < c->out_n; k++) {
        const uint64_t *s = c->out_init + k * W;
        int bad = invariants(s);
        if (OVF)
            return finish(c, STOP_OVERFLOW, -1);
        if (bad != -1) {
            c->n_init = c->out_upto[k];
#if SYM
            uint64_t key[W];
            canon(s, key);
#else
            const uint64_t *key = s;
#endif
            return end_in_dropped(c, s, key, -1, bad == -2 ? FAULT : VIOLATION,
                                  IN_INVARIANT, bad);
        }
    }
    c->level_end = c->n;
    c->i = 0;
    while (c->i < c->n) {
        int64_t i = c->i;
        if (i == c->level_end) {
            c->depth++;
            c->level_end = c->n;
            if (c->max_depth >= 0 && c->depth > c->max_depth) {
                c->depth--;
                return finish(c, STOP_DEPTH, -1);
            }
        }
        if (c->pool) {
            int r = batch(c, c->pool);
            if (r >= 0)
                return r;
            continue;
        }
        if ((i & 1023) == 0 && c->poll(0, c->n, generated(c), c->depth, c->n - i))
            return finish(c, STOP_LIMIT, -1);
        int64_t nsucc = expand(c, i);
        for (int a = 0; a < NACT; a++)
            c->fired[a] += c->fired_now[a];
        if (OVF)
            return finish(c, STOP_OVERFLOW, -1);
        if (nsucc == -2)
            return finish(c, STOP_MEMORY, -1);
        if (nsucc == -1)
            return fault_or_shorter(c, IN_EXPAND, i);
        if (keys_of(c, 0, c->bufn) < 0)
            return finish(c, STOP_MEMORY, -1);
        for (int64_t b = 0; b < c->bufn; b++) {
            int64_t j = -1;
            int r = insert(c, c->buf + b * W, KEY(c, b), c->buf_aid[b], i, -3, &j);
#if EDGES
            if (j >= 0 && edge(c, i, j, c->buf_aid[b], c->buf_bind + b * MAXP) < 0)
                return finish(c, STOP_MEMORY, -1);
#endif
            if (r >= 0)
                return r;
        }
        if (nsucc == 0 && c->deadlock) {
            int s = stuck(c, i);
            if (s >= 0)
                return s;
        }
        c->i++;
    }
    return finish(c, HOLDS, -1);
}

/* ---- what engine.py calls ---------------------------------------------------------- */

#define EXPORT __attribute__((visibility("default")))

EXPORT int mx_words(void) { return W; }
EXPORT int mx_actions(void) { return NACT; }

EXPORT ctx_t *mx_new(void) {
    ctx_t *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->cap = 1024;
    c->bufcap = 64;
    c->store = malloc((size_t)c->cap * SB);
    c->parent = malloc((size_t)c->cap * sizeof *c->parent);
    c->table = calloc(2048, sizeof *c->table);
    c->tmask = 2047;
    c->buf = malloc((size_t)c->bufcap * W * sizeof *c->buf);
    c->buf_aid = malloc((size_t)c->bufcap * sizeof *c->buf_aid);
    if (!c->store || !c->parent || !c->table || !c->buf || !c->buf_aid)
        return NULL;
#if SYM
    c->keys = malloc((size_t)c->cap * SB);
    if (!c->keys)
        return NULL;
#endif
    return c;
}

EXPORT void mx_free(ctx_t *c) {
    if (!c)
        return;
    free(c->store);
    free(c->keys);
    free(c->kbuf);
    free(c->parent);
    free(c->upto);
    free(c->out_init);
    free(c->out_upto);
    free(c->table);
    free(c->buf);
    free(c->buf_aid);
#if EDGES
    free(c->buf_bind);
    free(c->e_first);
    free(c->e_dst);
    free(c->e_inst);
    free(c->e_aid);
    free(c->i_key);
    free(c->i_table);
#endif
    free(c);
}

/* results: int64 out[8] = status, at, where, invariant, distinct, generated, depth, queue;
 * fired and fresh: NACT each */
EXPORT int mx_run(ctx_t *c, int64_t max_states, int64_t max_depth, int deadlock, int workers,
                  poll_fn poll, int64_t *out, int64_t *fired, int64_t *fresh) {
    OVF = 0;
    c->pool = NULL;
    if (workers > 1 && !(c->pool = pool_new(c, workers)))
        return -1;
    c->where = -1;
    c->max_states = max_states;
    c->max_depth = max_depth;
    c->deadlock = deadlock;
    c->poll = poll;
    int status = search(c);
    if (c->pool)
        pool_free(c->pool);
    c->pool = NULL;
    out[0] = status;
    out[1] = c->at;
    out[2] = c->where;
    out[3] = c->invariant;
    out[4] = c->n - c->phantom;
    out[5] = generated(c);
    out[6] = c->depth;
    out[7] = c->n - c->phantom - c->i;
    memcpy(fired, c->fired, sizeof c->fired);
    memcpy(fresh, c->fresh, sizeof c->fresh);
    return status;
}

/* each cover's first state (-1: none) over the kept states, every cover evaluated in
 * every state; the first state where one fails to evaluate, or -1 */
EXPORT int64_t mx_covers(ctx_t *c, int64_t *first) {
    for (int k = 0; k < NCOVERS; k++)
        first[k] = -1;
    for (int64_t j = 0; j < c->n - c->phantom; j++) {
        uint64_t s[W];
        load(c, j, s);
        int64_t bits = covers(s);
        if (bits < 0)
            return j;
        for (int k = 0; k < NCOVERS; k++)
            if (first[k] < 0 && ((bits >> k) & 1))
                first[k] = j;
    }
    return -1;
}

EXPORT void mx_state(ctx_t *c, int64_t j, uint64_t *out) {
    load(c, j, out);
}

EXPORT int64_t mx_parent(ctx_t *c, int64_t j) { return c->parent[j]; }

/* the edges of a finished search (EDGES): their number, -1 without EDGES, -2 out of
 * memory; the arrays stay the context's. The instances: their number in *ninst, each as
 * 1 + MAXP int64 (action, binding values) in *keys. */
EXPORT int64_t mx_edges(ctx_t *c, int64_t **first, int64_t **dst, int16_t **aid,
                        int32_t **inst, int64_t **keys, int64_t *ninst) {
#if EDGES
    if (edges_upto(c, c->n) < 0)
        return -2;
    *first = c->e_first;
    *dst = c->e_dst;
    *aid = c->e_aid;
    *inst = c->e_inst;
    *keys = c->i_key;
    *ninst = c->i_n;
    return c->e_n;
#else
    (void)c, (void)first, (void)dst, (void)aid, (void)inst, (void)keys, (void)ninst;
    return -1;
#endif
}

#ifdef MX_MAIN
/* A standalone run, for the sanitizer tests: the search with no limits, its figures on
 * stdout as `status at distinct generated depth queue`, a line of fired/new counts and,
 * with EDGES, `edges <number> <checksum>`. */
static int no_poll(int kind, int64_t distinct, int64_t generated, int64_t depth,
                   int64_t queue) {
    (void)kind, (void)distinct, (void)generated, (void)depth, (void)queue;
    return 0;
}

int main(void) {
    ctx_t *c = mx_new();
    if (!c)
        return 2;
    int64_t out[8], fired[NACT], fresh[NACT];
    mx_run(c, -1, -1, 1, getenv("MX_WORKERS") ? atoi(getenv("MX_WORKERS")) : 1, no_poll,
           out, fired, fresh);
    printf("%lld %lld %lld %lld %lld %lld\n", (long long)out[0], (long long)out[1],
           (long long)out[4], (long long)out[5], (long long)out[6], (long long)out[7]);
    for (int a = 0; a < NACT; a++)
        printf("%lld/%lld ", (long long)fired[a], (long long)fresh[a]);
    printf("\n");
#if EDGES
    int64_t *first, *dst, *keys, ninst;
    int16_t *aid;
    int32_t *inst;
    int64_t m = mx_edges(c, &first, &dst, &aid, &inst, &keys, &ninst);
    uint64_t sum = 0; /* what the edges say, order included */
    for (int64_t e = 0; e < m; e++)
        sum = sum * 1000003u + (uint64_t)dst[e] * 31u + (uint64_t)aid[e] * 7u
              + (uint64_t)(inst[e] + 1);
    printf("edges %lld %llu %lld\n", (long long)m, (unsigned long long)sum, (long long)ninst);
#endif
    mx_free(c);
    return 0;
}
#endif
