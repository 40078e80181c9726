/* The compiled exploration core: breadth-first search over packed cluster states.
 *
 * The rules stay Python functions and the only source of truth. This core never evaluates a
 * rule: every node-local step, every delivery, every history update and every symmetry move is
 * asked of the Python model once (through the `tables` object, model/core_tables.py) and
 * cached here by interned id. What the core owns is the cluster-level bookkeeping that
 * model/cluster.py's `successors` performs (which actions are enabled under the budgets and the
 * network capacity, the sorted message multiset) and the search itself: packed fixed-width
 * states, an open-addressing set (exact, or 64-bit fingerprints), parent links and successor
 * ordinals so that shortest traces can be rebuilt by replaying the Python model.
 *
 * A state is W = n + nb + 1 + max_msgs 32-bit words: node-state ids, budgets, history id, then
 * message ids sorted ascending and padded with EMPTY. The successor order equals the Python
 * model's, so an ordinal names the same action in both.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <signal.h>
#include <pthread.h>
#include <errno.h>
#include <fcntl.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

/* Set in a thread that expands states while the search runs in parallel (explore --workers):
 * there the caches are read-only, and a look-up that would have to ask Python (or raise a
 * Python error) fails quietly instead: the main thread then redoes that state with the GIL. */
static _Thread_local int tl_frozen;
#define FROZEN_FAIL(ret) do { if (tl_frozen) return (ret); } while (0)

#define EMPTY 0xFFFFFFFFu
#define RES_NONE (-1)    /* not enabled (or breaks the term bound) */
#define RES_NOOP (-2)    /* enabled, changes nothing, sends nothing */
#define NO_PARENT 0xFFFFFFFFu
#define NKINDS 13
#define MAXN 16
#define MAXW 64
#define MAXSUCC 1024

enum { K_TICK, K_TIMEOUT, K_HEARTBEAT, K_TRANSFER, K_APPEND, K_RESTART, K_DELIVER, K_DROP,
       K_DUPLICATE, K_HEAL, K_SPLIT, K_APPLY, K_PROPOSE_CONF };
/* message link bits (model/core_tables.py's msg_net): on a link the partition cuts; lossy */
enum { NET_PART = 1, NET_LOSSY = 2 };
enum { B_DUP, B_RESTART, B_TRANSFER, B_APPEND };

/* ---- growable int32 vector -------------------------------------------------------------- */
typedef struct { int32_t *v; size_t len, cap; } IVec;

static int ivec_reserve(IVec *a, size_t need) {
    if (need <= a->cap) return 0;
    size_t cap = a->cap ? a->cap : 1024;
    while (cap < need) cap *= 2;
    int32_t *v = realloc(a->v, cap * sizeof(int32_t));
    if (!v) { PyErr_NoMemory(); return -1; }
    a->v = v; a->cap = cap;
    return 0;
}

/* ---- u64 -> i32 map, open addressing (caches keyed by pairs of ids) ---------------------- */
typedef struct { uint64_t *keys; int32_t *vals; size_t cap, len; } Map;

static inline uint64_t mix64(uint64_t x) {
    x ^= x >> 33; x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33; x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static int map_init(Map *m, size_t cap) {
    m->keys = calloc(cap, sizeof(uint64_t));
    m->vals = malloc(cap * sizeof(int32_t));
    if (!m->keys || !m->vals) { PyErr_NoMemory(); return -1; }
    m->cap = cap; m->len = 0;
    return 0;
}

static void map_free(Map *m) { free(m->keys); free(m->vals); m->keys = NULL; m->vals = NULL; }

/* Keys are stored +1 so that 0 marks an empty slot. */
static inline int map_get(const Map *m, uint64_t key, int32_t *out) {
    uint64_t k = key + 1;
    size_t mask = m->cap - 1, i = (size_t)mix64(k) & mask;
    while (m->keys[i]) {
        if (m->keys[i] == k) { *out = m->vals[i]; return 1; }
        i = (i + 1) & mask;
    }
    return 0;
}

static int map_put(Map *m, uint64_t key, int32_t val) {
    if ((m->len + 1) * 2 > m->cap) {
        Map bigger;
        if (map_init(&bigger, m->cap * 2) < 0) return -1;
        for (size_t j = 0; j < m->cap; j++) {
            if (!m->keys[j]) continue;
            size_t mask = bigger.cap - 1, i = (size_t)mix64(m->keys[j]) & mask;
            while (bigger.keys[i]) i = (i + 1) & mask;
            bigger.keys[i] = m->keys[j]; bigger.vals[i] = m->vals[j];
        }
        bigger.len = m->len;
        map_free(m);
        *m = bigger;
    }
    uint64_t k = key + 1;
    size_t mask = m->cap - 1, i = (size_t)mix64(k) & mask;
    while (m->keys[i] && m->keys[i] != k) i = (i + 1) & mask;
    if (!m->keys[i]) m->len++;
    m->keys[i] = k; m->vals[i] = val;
    return 0;
}

/* ---- the core object -------------------------------------------------------------------- */
typedef struct {
    int32_t tick, timeout, beat, append, restart, ntr, tr_off, done;
    /* membership changes (model/cluster.py conf_steps): apply, and `nprop` proposals at
     * `prop_off` in the pool as [budgeted 0/1, result] pairs */
    int32_t apply, nprop, prop_off;
} Local;

typedef struct {
    PyObject_HEAD
    PyObject *tables;
    int n, nb, hp, W, max_msgs, drop, nnames, fp_mode, symmetry;
    /* a network (model/network.py): the budget words of the heal/split budget and of the cut
     * links, and whether a partition exists to split. The cut word is 0 or 1 here (the links
     * are cut all together, so the mask is 0 or the partition's, `part_mask` in Python). */
    int net, net_b, cut_b, has_part;
    PyObject *part_mask;
    /* membership changes: the budget word of the conf-change budget, or -1 (tables.conf_budget);
     * QuorumOverlap counts only campaigns that can win: per event id whether it holds a
     * campaign record, per node-state id its log key, and (history, event, keys) -> history */
    int conf_b;
    IVec ev_camp, log_key, landed;
    Map campaign;
    /* caches filled from Python */
    IVec pool;          /* results: [new_ix, event, term_moved, nouts, outs...]; transfers */
    Local *local; size_t local_cap;   /* indexed by node id * n + i */
    Map deliver, hist_after, forget;
    IVec term;          /* node-state id -> term */
    IVec msg_to;        /* message id -> receiver (1-based) */
    IVec msg_net;       /* message id -> NET_PART | NET_LOSSY bits (networks only) */
    IVec hist_flags;    /* history id -> violated-invariant bits, -1 unknown */
    Map canon_plan;     /* hash of node ids -> plan offset in plans (symmetry) */
    IVec plans;         /* [count, (perm, node ids x n) x count] with the key's node ids first */
    Map msg_perm, hist_perm;
    /* the search */
    uint32_t *arena; size_t arena_cap; uint64_t base;   /* states base .. base+arena_len */
    size_t arena_len;
    uint32_t *table32; uint64_t *table64; size_t tcap;
    uint32_t *parent; uint16_t *ord; size_t pcap;
    uint64_t count;
    /* the search's progress, kept between calls of run() so that a run can continue (and be
     * saved by dump() and restored by load(): checkpoints, explorer/checkpoint.py) */
    int started;            /* the initial states are in */
    uint64_t head, level_start, level_end;
    long long depth, max_depth_seen, transitions, kind_counts[NKINDS];
    int64_t found[32];
    int nfound;
    int redo_from;          /* > 0: state `head` was cut after this many successors */
    /* spilling (fingerprint mode, after spill()): the queue and the parent links beyond a
     * window live in files (see "the disk-backed queue" below). While `tail_on`, the queued
     * states base .. count are, in order: the arena (base .. base+arena_len), the queue file
     * (qf_lo .. qf_hi) and the tail buffer (qf_hi .. count), where new states are appended.
     * Links of states 0 .. lbase-1 are in the link files; parent[i - lbase] holds the rest. */
    int spill_on, spill_open, qfd, pfd, ofd, spill_errno, tail_on;
    size_t qwin, lwin;      /* queued states / links kept in memory */
    uint32_t *tail; size_t tail_len, tail_cap;
    uint64_t qf_lo, qf_hi, qf_origin;   /* state qf_origin is at offset 0 of the queue file */
    uint64_t lbase, spill_peak;
    char *spill_dir;
    int fill_more;          /* fingerprint set near the memory budget: fill to 3/4 (set_over) */
} Core;

/* What the search holds in memory: the set by capacity (calloc'ed, its pages all touched as it
 * fills), the queue and the parent links by length (grown by doubling with realloc, the pages
 * past the length are not touched, so not resident). */
static size_t core_bytes(const Core *c) {
    return (c->arena_len + c->tail_len) * (size_t)c->W * 4 + c->tcap * (c->fp_mode ? 8 : 4) +
           (size_t)(c->count - c->lbase) * 6;
}

/* ---- cache look-ups (call into Python on a miss) ----------------------------------------- */
static int32_t push_result(Core *c, PyObject *res) {
    if (res == Py_None) return RES_NONE;
    if (!PyTuple_Check(res)) { PyErr_SetString(PyExc_TypeError, "core: result not a tuple"); return -3; }
    Py_ssize_t k = PyTuple_GET_SIZE(res);
    if (k == 0) return RES_NOOP;
    if (k < 3 || k - 3 > MAXN * 2) {
        PyErr_SetString(PyExc_ValueError, "core: malformed step result");
        return -3;
    }
    size_t off = c->pool.len;
    if (ivec_reserve(&c->pool, off + (size_t)k + 1) < 0) return -3;
    c->pool.v[off] = (int32_t)PyLong_AsLong(PyTuple_GET_ITEM(res, 0));
    c->pool.v[off + 1] = (int32_t)PyLong_AsLong(PyTuple_GET_ITEM(res, 1));
    c->pool.v[off + 2] = (int32_t)PyLong_AsLong(PyTuple_GET_ITEM(res, 2));
    c->pool.v[off + 3] = (int32_t)(k - 3);
    for (Py_ssize_t j = 3; j < k; j++)
        c->pool.v[off + 1 + (size_t)j] = (int32_t)PyLong_AsLong(PyTuple_GET_ITEM(res, j));
    if (PyErr_Occurred()) return -3;
    c->pool.len = off + (size_t)k + 1;
    return (int32_t)off;
}

/* Append obj.method(len(v)) (a list of ints: the table's entries from there on) to v. */
static int fill_from(PyObject *obj, IVec *v, const char *method) {
    PyObject *lst = PyObject_CallMethod(obj, method, "n", (Py_ssize_t)v->len);
    if (!lst) return -1;
    PyObject *seq = PySequence_Fast(lst, "core: expected a list");
    Py_DECREF(lst);
    if (!seq) return -1;
    Py_ssize_t k = PySequence_Fast_GET_SIZE(seq);
    if (ivec_reserve(v, v->len + (size_t)k) < 0) { Py_DECREF(seq); return -1; }
    for (Py_ssize_t j = 0; j < k; j++)
        v->v[v->len + (size_t)j] = (int32_t)PyLong_AsLong(PySequence_Fast_GET_ITEM(seq, j));
    v->len += (size_t)k;
    Py_DECREF(seq);
    return PyErr_Occurred() ? -1 : 0;
}

static int fill_ivec(Core *c, IVec *v, const char *method) {
    return fill_from(c->tables, v, method);
}

/* Entry `ix` of a table filled from Python by `method` (see fill_ivec). */
static inline int table_of(Core *c, IVec *v, const char *method, uint32_t ix, int32_t *out) {
    if (ix >= v->len) FROZEN_FAIL(-1);
    if (ix >= v->len && fill_ivec(c, v, method) < 0) return -1;
    if (ix >= v->len) { PyErr_Format(PyExc_IndexError, "core: %s: unknown id", method); return -1; }
    *out = v->v[ix];
    return 0;
}

static inline int term_of(Core *c, uint32_t nix, int32_t *out) {
    return table_of(c, &c->term, "node_terms", nix, out);
}

static inline int msg_to_of(Core *c, uint32_t mid, int32_t *out) {
    return table_of(c, &c->msg_to, "msg_to", mid, out);
}

static inline int msg_net_of(Core *c, uint32_t mid, int32_t *out) {
    return table_of(c, &c->msg_net, "msg_net", mid, out);
}

/* Append k ints to the pool; their offset, or -1 (memory). */
static int32_t pool_append(Core *c, const int32_t *vals, size_t k) {
    size_t off = c->pool.len;
    if (ivec_reserve(&c->pool, off + k + 1) < 0) return -1;
    memcpy(c->pool.v + off, vals, k * sizeof(int32_t));
    c->pool.len = off + k;
    return (int32_t)off;
}

static Local *local_of(Core *c, uint32_t nix, int i) {
    size_t slot = (size_t)nix * (size_t)c->n + (size_t)i;
    if (slot >= c->local_cap) FROZEN_FAIL(NULL);
    if (slot >= c->local_cap) {
        size_t cap = c->local_cap ? c->local_cap : 4096;
        while (cap <= slot) cap *= 2;
        Local *l = realloc(c->local, cap * sizeof(Local));
        if (!l) { PyErr_NoMemory(); return NULL; }
        memset(l + c->local_cap, 0, (cap - c->local_cap) * sizeof(Local));
        c->local = l; c->local_cap = cap;
    }
    Local *L = &c->local[slot];
    if (L->done) return L;
    FROZEN_FAIL(NULL);
    PyObject *r = PyObject_CallMethod(c->tables, "local", "ni", (Py_ssize_t)nix, i + 1);
    if (!r) return NULL;
    const Py_ssize_t want = c->conf_b >= 0 ? 8 : 6;
    if (!PyTuple_Check(r) || PyTuple_GET_SIZE(r) != want) {
        Py_DECREF(r);
        PyErr_SetString(PyExc_TypeError, want == 8 ? "core: local() must return an 8-tuple"
                                                   : "core: local() must return a 6-tuple");
        return NULL;
    }
    Local tmp;
    memset(&tmp, 0, sizeof tmp);
    tmp.apply = RES_NONE;
    if ((tmp.tick = push_result(c, PyTuple_GET_ITEM(r, 0))) == -3) goto fail;
    if ((tmp.timeout = push_result(c, PyTuple_GET_ITEM(r, 1))) == -3) goto fail;
    if ((tmp.beat = push_result(c, PyTuple_GET_ITEM(r, 2))) == -3) goto fail;
    if ((tmp.append = push_result(c, PyTuple_GET_ITEM(r, 4))) == -3) goto fail;
    if ((tmp.restart = push_result(c, PyTuple_GET_ITEM(r, 5))) == -3) goto fail;
    PyObject *trs = PyTuple_GET_ITEM(r, 3);
    Py_ssize_t ntr = trs == Py_None ? 0 : PySequence_Size(trs);
    if (ntr < 0) goto fail;
    int32_t tmp_tr[MAXN * 2];
    if (ntr > MAXN) { PyErr_SetString(PyExc_ValueError, "core: too many transfers"); goto fail; }
    for (Py_ssize_t j = 0; j < ntr; j++) {
        PyObject *pair = PySequence_GetItem(trs, j);
        if (!pair) goto fail;
        tmp_tr[2 * j] = (int32_t)PyLong_AsLong(PyTuple_GetItem(pair, 0));
        tmp_tr[2 * j + 1] = push_result(c, PyTuple_GetItem(pair, 1));
        Py_DECREF(pair);
        if (tmp_tr[2 * j + 1] == -3 || PyErr_Occurred()) goto fail;
    }
    if ((tmp.tr_off = pool_append(c, tmp_tr, (size_t)ntr * 2)) < 0) goto fail;
    tmp.ntr = (int32_t)ntr;
    if (want == 8) {
        if ((tmp.apply = push_result(c, PyTuple_GET_ITEM(r, 6))) == -3) goto fail;
        PyObject *props = PySequence_Fast(PyTuple_GET_ITEM(r, 7), "core: proposals must be a list");
        if (!props) goto fail;
        Py_ssize_t np = PySequence_Fast_GET_SIZE(props);
        int32_t tmp_pr[MAXSUCC];
        if (np > MAXSUCC / 2) {
            Py_DECREF(props);
            PyErr_SetString(PyExc_ValueError, "core: too many conf proposals");
            goto fail;
        }
        for (Py_ssize_t j = 0; j < np; j++) {
            PyObject *pair = PySequence_Fast_GET_ITEM(props, j);
            tmp_pr[2 * j] = (int32_t)PyLong_AsLong(PyTuple_GetItem(pair, 0));
            tmp_pr[2 * j + 1] = PyErr_Occurred() ? -3 : push_result(c, PyTuple_GetItem(pair, 1));
            if (tmp_pr[2 * j + 1] < 0) {   /* a proposal is always a change */
                if (!PyErr_Occurred())
                    PyErr_SetString(PyExc_RuntimeError, "core: a conf proposal changes nothing");
                Py_DECREF(props);
                goto fail;
            }
        }
        Py_DECREF(props);
        if ((tmp.prop_off = pool_append(c, tmp_pr, (size_t)np * 2)) < 0) goto fail;
        tmp.nprop = (int32_t)np;
    }
    tmp.done = 1;
    Py_DECREF(r);
    L = &c->local[slot];
    *L = tmp;
    return L;
fail:
    Py_DECREF(r);
    return NULL;
}

static int call_int(Core *c, const char *method, long a, long b, int32_t *out) {
    PyObject *r = PyObject_CallMethod(c->tables, method, "ll", a, b);
    if (!r) return -1;
    long v = PyLong_AsLong(r);
    Py_DECREF(r);
    if (v == -1 && PyErr_Occurred()) return -1;
    *out = (int32_t)v;
    return 0;
}

static inline int cached_pair(Core *c, Map *m, const char *method, uint32_t a, uint32_t b,
                              int32_t *out) {
    uint64_t key = ((uint64_t)a << 32) | b;
    if (map_get(m, key, out)) return 0;
    FROZEN_FAIL(-1);
    if (call_int(c, method, (long)a, (long)b, out) < 0) return -1;
    return map_put(m, key, *out);
}

/* With membership changes, a step that starts a campaign: its history comes from Python with
 * every node's log key (model/cluster.py campaign_landing), cached here by a 64-bit hash of
 * (history, event, keys) that is checked against the stored keys. Returns 1 when `ev` starts
 * a campaign (then *h is the history after it), 0 when not, -1 on error. */
static int campaign_landing(Core *c, const uint32_t *st, int i, uint32_t new_ix, int32_t ev,
                            int32_t *h) {
    int32_t has;
    if (table_of(c, &c->ev_camp, "event_campaigns", (uint32_t)ev, &has) < 0) return -1;
    if (!has) return 0;
    int32_t keys[MAXN];
    uint64_t hash = mix64(((uint64_t)(uint32_t)*h << 32) | (uint32_t)ev);
    for (int j = 0; j < c->n; j++) {
        if (table_of(c, &c->log_key, "node_log_keys", j == i ? new_ix : st[j], &keys[j]) < 0)
            return -1;
        hash = mix64(hash ^ (uint32_t)keys[j]) + (uint64_t)j;
    }
    hash >>= 1;   /* map keys are stored +1 */
    /* probe the hashes' chain; each entry is [hist, ev, keys..., result] in `landed` */
    for (uint64_t probe = hash;; probe = mix64(probe + 1) >> 1) {
        int32_t off;
        if (!map_get(&c->campaign, probe, &off)) break;
        const int32_t *e = c->landed.v + off;
        if (e[0] == *h && e[1] == ev && memcmp(e + 2, keys, (size_t)c->n * 4) == 0) {
            *h = e[2 + c->n];
            return 1;
        }
    }
    FROZEN_FAIL(-1);
    PyObject *kt = PyTuple_New(c->n);
    if (!kt) return -1;
    for (int j = 0; j < c->n; j++) PyTuple_SET_ITEM(kt, j, PyLong_FromLong(keys[j]));
    PyObject *r = PyObject_CallMethod(c->tables, "campaign_landing", "iiO", *h, ev, kt);
    Py_DECREF(kt);
    if (!r) return -1;
    long v = PyLong_AsLong(r);
    Py_DECREF(r);
    if (v == -1 && PyErr_Occurred()) return -1;
    size_t off = c->landed.len;
    if (ivec_reserve(&c->landed, off + 3 + (size_t)c->n) < 0) return -1;
    int32_t *e = c->landed.v + off;
    e[0] = *h; e[1] = ev;
    memcpy(e + 2, keys, (size_t)c->n * 4);
    e[2 + c->n] = (int32_t)v;
    c->landed.len = off + 3 + (size_t)c->n;
    uint64_t probe = hash;
    for (int32_t dummy; map_get(&c->campaign, probe, &dummy);) probe = mix64(probe + 1) >> 1;
    if (map_put(&c->campaign, probe, (int32_t)off) < 0) return -1;
    *h = (int32_t)v;
    return 1;
}

static inline int deliver_of(Core *c, uint32_t nix, uint32_t mid, int32_t *out) {
    uint64_t key = ((uint64_t)nix << 32) | mid;
    if (map_get(&c->deliver, key, out)) return 0;
    FROZEN_FAIL(-1);
    PyObject *r = PyObject_CallMethod(c->tables, "deliver", "nn", (Py_ssize_t)nix, (Py_ssize_t)mid);
    if (!r) return -1;
    int32_t res = push_result(c, r);
    Py_DECREF(r);
    if (res == -3) return -1;
    *out = res;
    return map_put(&c->deliver, key, res);
}

static inline int flags_of(Core *c, uint32_t hix, int32_t *out) {
    while (hix >= c->hist_flags.len) {
        if (ivec_reserve(&c->hist_flags, c->hist_flags.len + 1) < 0) return -1;
        c->hist_flags.v[c->hist_flags.len++] = -1;
    }
    if (c->hist_flags.v[hix] < 0) {
        int32_t f;
        if (call_int(c, "hist_flags", (long)hix, 0, &f) < 0) return -1;
        c->hist_flags.v[hix] = f;
    }
    *out = c->hist_flags.v[hix];
    return 0;
}

/* ---- successors ------------------------------------------------------------------------- */
static inline int nmsgs_of(const Core *c, const uint32_t *st) {
    int k = 0;
    while (k < c->max_msgs && st[c->hp + 1 + k] != EMPTY) k++;
    return k;
}

/* The state after node i moved to `new_ix` (its term changed if `moved`) with history `h`,
 * sending `sent` (nsent ids, in any order), with messages `rest` (sorted, nrest of them) and
 * the given budgets: history terms below every node's term forgotten, messages merged. */
static int compose_landed(Core *c, const uint32_t *st, int i, uint32_t new_ix, int32_t moved,
                          int32_t h, const uint32_t *sent, int nsent, const uint32_t *rest,
                          int nrest, const uint32_t *budgets, uint32_t *out) {
    memcpy(out, st, (size_t)c->n * 4);
    out[i] = new_ix;
    memcpy(out + c->n, budgets, (size_t)c->nb * 4);
    if (moved && h) {
        int32_t low, t;
        if (term_of(c, new_ix, &low) < 0) return -1;
        for (int j = 0; j < c->n; j++) {
            if (j == i) continue;
            if (term_of(c, st[j], &t) < 0) return -1;
            if (t < low) low = t;
        }
        if (cached_pair(c, &c->forget, "forget", (uint32_t)h, (uint32_t)low, &h) < 0) return -1;
    }
    out[c->hp] = (uint32_t)h;
    /* merge the sorted rest with the (small) outs, sorted by insertion */
    uint32_t outs[MAXN * 2];
    for (int j = 0; j < nsent; j++) {
        uint32_t v = sent[j];
        int k = j;
        while (k > 0 && outs[k - 1] > v) { outs[k] = outs[k - 1]; k--; }
        outs[k] = v;
    }
    uint32_t *m = out + c->hp + 1;
    int a = 0, b = 0, w = 0;
    while (a < nrest || b < nsent) {
        if (b >= nsent || (a < nrest && rest[a] <= outs[b])) m[w++] = rest[a++];
        else m[w++] = outs[b++];
    }
    while (w < c->max_msgs) m[w++] = EMPTY;
    return 0;
}

/* Write the state reached when node i takes local step `res` sending `sent` (nsent ids, in any
 * order), with messages `rest` (sorted, nrest of them) and the given budgets. Mirrors
 * ClusterModel.successors' `land` (and model/network.py's `emit` outside liveness mode). */
static int land_sent(Core *c, const uint32_t *st, int i, int32_t res, const uint32_t *sent,
                     int nsent, const uint32_t *rest, int nrest, const uint32_t *budgets,
                     uint32_t *out) {
    const int32_t *r = c->pool.v + res;
    int32_t ev = r[1], h = (int32_t)st[c->hp];
    int landed = 0;
    if (ev >= 0 && c->conf_b >= 0 &&
        (landed = campaign_landing(c, st, i, (uint32_t)r[0], ev, &h)) < 0) return -1;
    if (ev >= 0 && !landed && cached_pair(c, &c->hist_after, "hist_after", (uint32_t)h, (uint32_t)ev, &h) < 0)
        return -1;
    return compose_landed(c, st, i, (uint32_t)r[0], r[2], h, sent, nsent, rest, nrest, budgets,
                          out);
}

static int land(Core *c, const uint32_t *st, int i, int32_t res, const uint32_t *rest, int nrest,
                const uint32_t *budgets, uint32_t *out) {
    const int32_t *r = c->pool.v + res;
    uint32_t sent[MAXN * 2];
    for (int j = 0; j < r[3]; j++) sent[j] = (uint32_t)r[4 + j];
    return land_sent(c, st, i, res, sent, r[3], rest, nrest, budgets, out);
}

static int net_successors(Core *c, const uint32_t *st, uint32_t *out, uint8_t *kinds);

/* Every successor of `st` in the Python model's order; returns how many, or -1. */
static int successors(Core *c, const uint32_t *st, uint32_t *out, uint8_t *kinds) {
    if (c->net) return net_successors(c, st, out, kinds);
    const int n = c->n, W = c->W;
    const uint32_t *msgs = st + c->hp + 1;
    const int nm = nmsgs_of(c, st);
    const int room = c->max_msgs - nm;
    const uint32_t *budgets = st + n;
    uint32_t b2[8];
    int k = 0;
#define EMIT(kind) do { kinds[k] = (kind); k++; if (k >= MAXSUCC) goto overflow; } while (0)
    for (int i = 0; i < n; i++) {
        Local *L = local_of(c, st[i], i);
        if (!L) return -1;
        if (L->tick >= 0) {
            if (land(c, st, i, L->tick, msgs, nm, budgets, out + (size_t)k * W) < 0) return -1;
            EMIT(K_TICK);
        }
        if (L->timeout >= 0 && c->pool.v[L->timeout + 3] <= room) {
            if (land(c, st, i, L->timeout, msgs, nm, budgets, out + (size_t)k * W) < 0) return -1;
            EMIT(K_TIMEOUT);
        }
        if (L->beat >= 0) {
            if (c->pool.v[L->beat + 3] <= room && n > 1) {
                if (land(c, st, i, L->beat, msgs, nm, budgets, out + (size_t)k * W) < 0) return -1;
                EMIT(K_HEARTBEAT);
            }
            if (budgets[B_TRANSFER] > 0 && room >= 1) {
                memcpy(b2, budgets, (size_t)c->nb * 4);
                b2[B_TRANSFER]--;
                for (int t = 0; t < L->ntr; t++) {
                    int32_t res = c->pool.v[L->tr_off + 2 * t + 1];
                    if (res < 0) {
                        FROZEN_FAIL(-1);
                        PyErr_SetString(PyExc_RuntimeError, "core: disabled transfer result");
                        return -1;
                    }
                    if (land(c, st, i, res, msgs, nm, b2, out + (size_t)k * W) < 0) return -1;
                    EMIT(K_TRANSFER);
                }
            }
            if (budgets[B_APPEND] > 0 && L->append != RES_NONE) {
                if (L->append < 0) {
                    FROZEN_FAIL(-1);
                    PyErr_SetString(PyExc_RuntimeError, "core: client append changes nothing");
                    return -1;
                }
              if (c->pool.v[L->append + 3] <= room) {
                memcpy(b2, budgets, (size_t)c->nb * 4);
                b2[B_APPEND]--;
                if (land(c, st, i, L->append, msgs, nm, b2, out + (size_t)k * W) < 0) return -1;
                EMIT(K_APPEND);
              }
            }
        }
        if (L->restart >= 0 && budgets[B_RESTART] > 0) {
            memcpy(b2, budgets, (size_t)c->nb * 4);
            b2[B_RESTART]--;
            if (land(c, st, i, L->restart, msgs, nm, b2, out + (size_t)k * W) < 0) return -1;
            EMIT(K_RESTART);
        }
        if (c->conf_b >= 0) {   /* ClusterModel._conf_moves: apply, then each proposal */
            if (L->apply >= 0 && c->pool.v[L->apply + 3] <= room) {
                if (land(c, st, i, L->apply, msgs, nm, budgets, out + (size_t)k * W) < 0) return -1;
                EMIT(K_APPLY);
            }
            for (int p = 0; p < L->nprop; p++) {
                const int32_t budgeted = c->pool.v[L->prop_off + 2 * p];
                const int32_t res = c->pool.v[L->prop_off + 2 * p + 1];
                if (budgeted && budgets[c->conf_b] == 0) continue;
                if (c->pool.v[res + 3] > room) continue;
                memcpy(b2, budgets, (size_t)c->nb * 4);
                if (budgeted) b2[c->conf_b]--;
                if (land(c, st, i, res, msgs, nm, b2, out + (size_t)k * W) < 0) return -1;
                EMIT(K_PROPOSE_CONF);
            }
        }
    }
    uint32_t rest[MAXW];
    uint32_t prev = EMPTY;
    const int dup = budgets[B_DUP] > 0;
    for (int j = 0; j < nm; j++) {
        uint32_t mid = msgs[j];
        if (mid == prev) continue;
        prev = mid;
        memcpy(rest, msgs, (size_t)j * 4);
        memcpy(rest + j, msgs + j + 1, (size_t)(nm - j - 1) * 4);
        if (c->drop) {
            uint32_t *o = out + (size_t)k * W;
            memcpy(o, st, (size_t)(c->hp + 1) * 4);
            memcpy(o + c->hp + 1, rest, (size_t)(nm - 1) * 4);
            for (int w = nm - 1; w < c->max_msgs; w++) o[c->hp + 1 + w] = EMPTY;
            EMIT(K_DROP);
        }
        int32_t to, res;
        if (msg_to_of(c, mid, &to) < 0) return -1;
        int i = to - 1;
        if (deliver_of(c, st[i], mid, &res) < 0) return -1;
        if (res == RES_NONE) continue;
        if (res == RES_NOOP) {
            uint32_t *o = out + (size_t)k * W;
            memcpy(o, st, (size_t)(c->hp + 1) * 4);
            memcpy(o + c->hp + 1, rest, (size_t)(nm - 1) * 4);
            for (int w = nm - 1; w < c->max_msgs; w++) o[c->hp + 1 + w] = EMPTY;
            EMIT(K_DELIVER);
            continue;
        }
        int32_t nouts = c->pool.v[res + 3];
        if (nouts <= room + 1) {
            if (land(c, st, i, res, rest, nm - 1, budgets, out + (size_t)k * W) < 0) return -1;
            EMIT(K_DELIVER);
        }
        if (dup && nouts <= room) {
            memcpy(b2, budgets, (size_t)c->nb * 4);
            b2[B_DUP]--;
            if (land(c, st, i, res, msgs, nm, b2, out + (size_t)k * W) < 0) return -1;
            EMIT(K_DUPLICATE);
        }
    }
    return k;
overflow:
    FROZEN_FAIL(-1);
    PyErr_SetString(PyExc_RuntimeError, "core: too many successors");
    return -1;
#undef EMIT
}

/* ---- successors over a network (model/network.py's net_successors outside liveness mode) -- */

/* The messages of step `res` that survive the cut links (all of them when nothing is cut). */
static int alive(Core *c, int32_t res, int cut, uint32_t *sent, int *nsent) {
    const int32_t *r = c->pool.v + res;
    int k = 0;
    for (int j = 0; j < r[3]; j++) {
        uint32_t mid = (uint32_t)r[4 + j];
        if (cut) {
            int32_t f;
            if (msg_net_of(c, mid, &f) < 0) return -1;
            if (f & NET_PART) continue;
        }
        sent[k++] = mid;
    }
    *nsent = k;
    return 0;
}

/* A successor that changes no node: the state with these budgets and messages. */
static void land_plain(Core *c, const uint32_t *st, const uint32_t *budgets, const uint32_t *msgs,
                       int nm, uint32_t *o) {
    memcpy(o, st, (size_t)c->n * 4);
    memcpy(o + c->n, budgets, (size_t)c->nb * 4);
    o[c->hp] = st[c->hp];
    memcpy(o + c->hp + 1, msgs, (size_t)nm * 4);
    for (int w = nm; w < c->max_msgs; w++) o[c->hp + 1 + w] = EMPTY;
}

static int net_successors(Core *c, const uint32_t *st, uint32_t *out, uint8_t *kinds) {
    const int n = c->n, W = c->W;
    const uint32_t *msgs = st + c->hp + 1;
    const int nm = nmsgs_of(c, st);
    const int room = c->max_msgs - nm;
    const uint32_t *budgets = st + n;
    const int cut = budgets[c->cut_b] != 0;
    uint32_t b2[8], sent[MAXN * 2];
    int ns, k = 0;
#define EMIT(kind) do { kinds[k] = (kind); k++; if (k >= MAXSUCC) goto overflow; } while (0)
#define SLOT (out + (size_t)k * W)
    for (int i = 0; i < n; i++) {
        Local *L = local_of(c, st[i], i);
        if (!L) return -1;
        if (L->tick >= 0) {   /* the network's rules land a tick and a restart sending nothing */
            if (land_sent(c, st, i, L->tick, sent, 0, msgs, nm, budgets, SLOT) < 0) return -1;
            EMIT(K_TICK);
        }
        if (L->timeout >= 0) {
            if (alive(c, L->timeout, cut, sent, &ns) < 0) return -1;
            if (ns <= room) {
                if (land_sent(c, st, i, L->timeout, sent, ns, msgs, nm, budgets, SLOT) < 0)
                    return -1;
                EMIT(K_TIMEOUT);
            }
        }
        if (L->beat >= 0) {
            if (n > 1) {
                if (alive(c, L->beat, cut, sent, &ns) < 0) return -1;
                if (ns <= room) {
                    if (land_sent(c, st, i, L->beat, sent, ns, msgs, nm, budgets, SLOT) < 0)
                        return -1;
                    EMIT(K_HEARTBEAT);
                }
            }
            if (budgets[B_TRANSFER] > 0 && room >= 1) {
                memcpy(b2, budgets, (size_t)c->nb * 4);
                b2[B_TRANSFER]--;
                for (int t = 0; t < L->ntr; t++) {
                    int32_t res = c->pool.v[L->tr_off + 2 * t + 1];
                    if (res == RES_NONE) continue;
                    if (res < 0) {
                        FROZEN_FAIL(-1);
                        PyErr_SetString(PyExc_RuntimeError, "core: transfer changes nothing");
                        return -1;
                    }
                    if (alive(c, res, cut, sent, &ns) < 0) return -1;
                    if (land_sent(c, st, i, res, sent, ns, msgs, nm, b2, SLOT) < 0) return -1;
                    EMIT(K_TRANSFER);
                }
            }
            if (budgets[B_APPEND] > 0 && L->append != RES_NONE) {
                if (L->append < 0) {
                    FROZEN_FAIL(-1);
                    PyErr_SetString(PyExc_RuntimeError, "core: client append changes nothing");
                    return -1;
                }
                if (alive(c, L->append, cut, sent, &ns) < 0) return -1;
                if (ns <= room) {
                    memcpy(b2, budgets, (size_t)c->nb * 4);
                    b2[B_APPEND]--;
                    if (land_sent(c, st, i, L->append, sent, ns, msgs, nm, b2, SLOT) < 0)
                        return -1;
                    EMIT(K_APPEND);
                }
            }
        }
        if (L->restart >= 0 && budgets[B_RESTART] > 0) {
            memcpy(b2, budgets, (size_t)c->nb * 4);
            b2[B_RESTART]--;
            if (land_sent(c, st, i, L->restart, sent, 0, msgs, nm, b2, SLOT) < 0) return -1;
            EMIT(K_RESTART);
        }
        if (c->conf_b >= 0) {   /* model/network.py: apply, then each proposal, cut links */
            if (L->apply >= 0) {
                if (alive(c, L->apply, cut, sent, &ns) < 0) return -1;
                if (ns <= room) {
                    if (land_sent(c, st, i, L->apply, sent, ns, msgs, nm, budgets, SLOT) < 0)
                        return -1;
                    EMIT(K_APPLY);
                }
            }
            for (int p = 0; p < L->nprop; p++) {
                const int32_t budgeted = c->pool.v[L->prop_off + 2 * p];
                const int32_t res = c->pool.v[L->prop_off + 2 * p + 1];
                if (budgeted && budgets[c->conf_b] == 0) continue;
                if (alive(c, res, cut, sent, &ns) < 0) return -1;
                if (ns > room) continue;
                memcpy(b2, budgets, (size_t)c->nb * 4);
                if (budgeted) b2[c->conf_b]--;
                if (land_sent(c, st, i, res, sent, ns, msgs, nm, b2, SLOT) < 0) return -1;
                EMIT(K_PROPOSE_CONF);
            }
        }
    }
    uint32_t rest[MAXW];
    uint32_t prev = EMPTY;
    const int dup = budgets[B_DUP] > 0;
    for (int j = 0; j < nm; j++) {
        uint32_t mid = msgs[j];
        if (mid == prev) continue;
        prev = mid;
        memcpy(rest, msgs, (size_t)j * 4);
        memcpy(rest + j, msgs + j + 1, (size_t)(nm - j - 1) * 4);
        int32_t link, to, res;
        if (msg_net_of(c, mid, &link) < 0) return -1;
        if ((link & NET_LOSSY) || c->drop) {   /* a lossy link drops even without the fault */
            land_plain(c, st, budgets, rest, nm - 1, SLOT);
            EMIT(K_DROP);
        }
        if (msg_to_of(c, mid, &to) < 0) return -1;
        int i = to - 1;
        if (deliver_of(c, st[i], mid, &res) < 0) return -1;
        if (res == RES_NONE) continue;
        if (res == RES_NOOP) {
            land_plain(c, st, budgets, rest, nm - 1, SLOT);
            EMIT(K_DELIVER);
            continue;
        }
        if (alive(c, res, cut, sent, &ns) < 0) return -1;
        if (ns <= room + 1) {
            if (land_sent(c, st, i, res, sent, ns, rest, nm - 1, budgets, SLOT) < 0) return -1;
            EMIT(K_DELIVER);
        }
        if (dup && ns <= room) {
            memcpy(b2, budgets, (size_t)c->nb * 4);
            b2[B_DUP]--;
            if (land_sent(c, st, i, res, sent, ns, msgs, nm, b2, SLOT) < 0) return -1;
            EMIT(K_DUPLICATE);
        }
    }
    if (budgets[c->net_b] > 0 && (cut || c->has_part)) {
        /* the partition heals as a whole, or is cut again: messages on its links are lost */
        memcpy(b2, budgets, (size_t)c->nb * 4);
        b2[c->net_b]--;
        b2[c->cut_b] = !cut;
        int kept = 0;
        for (int j = 0; j < nm; j++) {
            int32_t link = 0;
            if (!cut && msg_net_of(c, msgs[j], &link) < 0) return -1;
            if (cut || !(link & NET_PART)) rest[kept++] = msgs[j];
        }
        land_plain(c, st, b2, rest, kept, SLOT);
        EMIT(cut ? K_HEAL : K_SPLIT);
    }
    return k;
overflow:
    FROZEN_FAIL(-1);
    PyErr_SetString(PyExc_RuntimeError, "core: too many successors");
    return -1;
#undef SLOT
#undef EMIT
}

/* ---- symmetry: representatives by the Python model's plans -------------------------------- */
static int plan_of(Core *c, const uint32_t *st, int32_t *out) {
    uint64_t h = 0x9E3779B97F4A7C15ULL;
    for (int i = 0; i < c->n; i++) h = mix64(h ^ st[i]) + (uint64_t)i;
    h >>= 1;   /* map keys are stored +1 */
    /* a hash collision between node-id tuples is checked against the stored key */
    for (uint64_t probe = h;; probe = mix64(probe + 1) >> 1) {
        int32_t off;
        if (!map_get(&c->canon_plan, probe, &off)) break;
        if (memcmp(c->plans.v + off, st, (size_t)c->n * 4) == 0) { *out = off; return 0; }
    }
    FROZEN_FAIL(-1);
    PyObject *key = PyTuple_New(c->n);
    if (!key) return -1;
    for (int i = 0; i < c->n; i++) PyTuple_SET_ITEM(key, i, PyLong_FromUnsignedLong(st[i]));
    PyObject *r = PyObject_CallMethod(c->tables, "plan", "(O)", key);
    Py_DECREF(key);
    if (!r) return -1;
    PyObject *seq = PySequence_Fast(r, "core: plan must be a list");
    Py_DECREF(r);
    if (!seq) return -1;
    Py_ssize_t np = PySequence_Fast_GET_SIZE(seq);
    size_t off = c->plans.len;
    if (ivec_reserve(&c->plans, off + (size_t)c->n + 1 + (size_t)np * (1 + (size_t)c->n)) < 0) {
        Py_DECREF(seq);
        return -1;
    }
    int32_t *p = c->plans.v + off;
    for (int i = 0; i < c->n; i++) p[i] = (int32_t)st[i];
    p[c->n] = (int32_t)np;
    int32_t *q = p + c->n + 1;
    for (Py_ssize_t j = 0; j < np; j++) {
        PyObject *item = PySequence_Fast_GET_ITEM(seq, j);   /* (perm, (node ids...)) */
        PyObject *nodes = PyTuple_GetItem(item, 1);
        if (!nodes) { Py_DECREF(seq); return -1; }
        *q++ = (int32_t)PyLong_AsLong(PyTuple_GetItem(item, 0));
        for (int i = 0; i < c->n; i++) *q++ = (int32_t)PyLong_AsLong(PyTuple_GetItem(nodes, i));
    }
    Py_DECREF(seq);
    if (PyErr_Occurred()) return -1;
    c->plans.len = off + (size_t)c->n + 1 + (size_t)np * (1 + (size_t)c->n);
    uint64_t probe = h;
    int32_t dummy;
    while (map_get(&c->canon_plan, probe, &dummy)) probe = mix64(probe + 1) >> 1;
    if (map_put(&c->canon_plan, probe, (int32_t)off) < 0) return -1;
    *out = (int32_t)off;
    return 0;
}

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Overwrite `st` with its representative (the smallest image among the plan's permutations),
 * compared as Python compares the tuples: element by element, a shorter prefix first. */
static int canonicalise(Core *c, uint32_t *st) {
    int32_t off;
    if (plan_of(c, st, &off) < 0) return -1;
    const int32_t *p = c->plans.v + off;
    int np = p[c->n];
    if (np == 0) return 0;
    const int32_t *q = p + c->n + 1;
    const int nm = nmsgs_of(c, st);
    uint32_t best[MAXW], cand[MAXW];
    int have = 0;
    for (int j = 0; j < np; j++, q += 1 + c->n) {
        uint32_t pix = (uint32_t)q[0];
        for (int i = 0; i < c->n; i++) cand[i] = (uint32_t)q[1 + i];
        memcpy(cand + c->n, st + c->n, (size_t)c->nb * 4);
        int32_t h = (int32_t)st[c->hp];
        if (h && cached_pair(c, &c->hist_perm, "move_hist", pix, (uint32_t)h, &h) < 0) return -1;
        cand[c->hp] = (uint32_t)h;
        for (int m = 0; m < nm; m++) {
            int32_t moved;
            if (cached_pair(c, &c->msg_perm, "move_msg", pix, st[c->hp + 1 + m], &moved) < 0)
                return -1;
            cand[c->hp + 1 + m] = (uint32_t)moved;
        }
        qsort(cand + c->hp + 1, (size_t)nm, 4, cmp_u32);
        for (int m = nm; m < c->max_msgs; m++) cand[c->hp + 1 + m] = EMPTY;
        /* EMPTY pads sort last, exactly like a shorter tuple (all message ids are below it),
         * and every image has as many messages as `st`: word order is Python's tuple order. */
        int less = !have;
        for (int w = 0; have && w < c->W; w++) {
            if (cand[w] != best[w]) { less = cand[w] < best[w]; break; }
        }
        if (less) { memcpy(best, cand, (size_t)c->W * 4); have = 1; }
    }
    memcpy(st, best, (size_t)c->W * 4);
    return 0;
}

/* ---- the state set ---------------------------------------------------------------------- */
/* Linear probing: a set grows past 1/2 full, except a fingerprint set whose doubling would
 * cross the memory budget (`fill_more`, decided between states or blocks): that one fills to
 * 3/4 first, so that a run the budget stops holds up to half as many states again (measured:
 * about 10% slower look-ups at 3/4 than at 1/2, so not sooner than needed). */
static inline int set_over(int fill_more, size_t len, size_t cap) {
    return fill_more ? len * 4 > cap * 3 : len * 2 > cap;
}

static inline uint64_t hash_state(const uint32_t *st, int W) {
    uint64_t h = 0x243F6A8885A308D3ULL;
    for (int w = 0; w < W; w++) h = (h ^ st[w]) * 0x100000001B3ULL + (h >> 29);
    return mix64(h) | 1;   /* never 0: 0 marks an empty fingerprint slot */
}

static inline uint32_t *state_at(Core *c, uint64_t idx) {
    return c->arena + (size_t)(idx - c->base) * (size_t)c->W;
}

static int grow_table(Core *c) {
    size_t cap = c->tcap * 2, mask = cap - 1;
    if (c->fp_mode) {
        uint64_t *t = calloc(cap, 8);
        if (!t) { PyErr_NoMemory(); return -1; }
        for (size_t j = 0; j < c->tcap; j++) {
            uint64_t f = c->table64[j];
            if (!f) continue;
            size_t i = (size_t)f & mask;
            while (t[i]) i = (i + 1) & mask;
            t[i] = f;
        }
        free(c->table64); c->table64 = t;
    } else {
        uint32_t *t = calloc(cap, 4);
        if (!t) { PyErr_NoMemory(); return -1; }
        for (size_t j = 0; j < c->tcap; j++) {
            uint32_t e = c->table32[j];
            if (!e) continue;
            size_t i = (size_t)hash_state(state_at(c, e - 1), c->W) & mask;
            while (t[i]) i = (i + 1) & mask;
            t[i] = e;
        }
        free(c->table32); c->table32 = t;
    }
    c->tcap = cap;
    return 0;
}

/* Room for `more` states at the queue's end: the arena, or the tail buffer while the queue
 * spills. Returns where the first of them goes, or NULL (MemoryError set); queue_added() then
 * counts them in. */
static uint32_t *queue_room(Core *c, size_t more) {
    uint32_t **buf = c->tail_on ? &c->tail : &c->arena;
    size_t *len = c->tail_on ? &c->tail_len : &c->arena_len;
    size_t *cap = c->tail_on ? &c->tail_cap : &c->arena_cap;
    if (*len + more > *cap) {
        size_t ncap = *cap ? *cap : 1 << 16;
        while (ncap < *len + more) ncap *= 2;
        uint32_t *a = realloc(*buf, ncap * (size_t)c->W * 4);
        if (!a) { PyErr_NoMemory(); return NULL; }
        *buf = a; *cap = ncap;
    }
    return *buf + *len * (size_t)c->W;
}

static void queue_added(Core *c, size_t k) {
    if (c->tail_on) c->tail_len += k;
    else c->arena_len += k;
}

/* Room for the parent links of `more` new states; 0, or -1 with MemoryError. */
static int links_room(Core *c, size_t more) {
    size_t need = (size_t)(c->count - c->lbase) + more;
    if (need <= c->pcap) return 0;
    size_t cap = c->pcap ? c->pcap : 1 << 16;
    while (cap < need) cap *= 2;
    uint32_t *p = realloc(c->parent, cap * 4);
    if (!p) { PyErr_NoMemory(); return -1; }
    c->parent = p;
    uint16_t *o = realloc(c->ord, cap * 2);
    if (!o) { PyErr_NoMemory(); return -1; }
    c->ord = o; c->pcap = cap;
    return 0;
}

/* Append a state to the queue (and its parent link); returns 0 or -1. */
static int arena_push(Core *c, const uint32_t *st, uint32_t parent, uint16_t ord) {
    uint32_t *dst = queue_room(c, 1);
    if (!dst || links_room(c, 1) < 0) return -1;
    memcpy(dst, st, (size_t)c->W * 4);
    queue_added(c, 1);
    c->parent[c->count - c->lbase] = parent;
    c->ord[c->count - c->lbase] = ord;
    c->count++;
    return 0;
}

/* 1 if new (and added), 0 if seen, -1 on error; `h` is the state's hash (dist_absorb computes it
   ahead to prefetch the slots). */
static int insert_hashed(Core *c, const uint32_t *st, uint64_t h, uint32_t parent, uint16_t ord) {
    if (set_over(c->fill_more, (size_t)c->count + 1, c->tcap) && grow_table(c) < 0) return -1;
    size_t mask = c->tcap - 1, i = (size_t)h & mask;
    if (c->fp_mode) {
        while (c->table64[i]) {
            if (c->table64[i] == h) return 0;
            i = (i + 1) & mask;
        }
        if (arena_push(c, st, parent, ord) < 0) return -1;
        c->table64[i] = h;
        return 1;
    }
    while (c->table32[i]) {
        if (memcmp(state_at(c, c->table32[i] - 1), st, (size_t)c->W * 4) == 0) return 0;
        i = (i + 1) & mask;
    }
    if (arena_push(c, st, parent, ord) < 0) return -1;
    c->table32[i] = (uint32_t)c->count;   /* index + 1 */
    return 1;
}

/* 1 if new (and added), 0 if seen, -1 on error. */
static int insert(Core *c, const uint32_t *st, uint32_t parent, uint16_t ord) {
    return insert_hashed(c, st, hash_state(st, c->W), parent, ord);
}

/* Fingerprint mode keeps only the unexpanded states: drop the expanded prefix now and then. */
static void compact(Core *c, uint64_t head) {
    if (!c->fp_mode) return;
    size_t done = (size_t)(head - c->base);
    if (done < (1u << 16) || done * 2 < c->arena_len) return;
    memmove(c->arena, c->arena + done * (size_t)c->W, (c->arena_len - done) * (size_t)c->W * 4);
    c->arena_len -= done;
    c->base = head;
}

/* ---- the disk-backed queue and parent links (fingerprint mode, spill()) -------------------
 *
 * A long fingerprint run ends when memory is full, and besides the set most of it is the queue
 * (at BFS's widest levels a large share of all states) and the parent links (one per state,
 * read only to rebuild traces). Once spill() has opened the files, the search keeps about
 * `qwin` queued states in memory: the front of the queue (which is being expanded) and the
 * tail (where new states are appended); the states between go to the queue file in large
 * sequential writes and come back, in order, when the search reaches them. The links of all
 * but the most recent `lwin` states go to two append-only files (parents, ordinals), read back
 * with pread by path(). All file I/O happens in spill_step(), at points where the search is
 * consistent (between states, or between blocks of the parallel search), and changes the
 * core's bookkeeping only when it succeeded: a failed write (disk full) stops the search
 * there, with a result that can still be checkpointed. The files are unlinked as soon as they
 * are opened, so they vanish with the core, however the process ends. */

static int write_all(int fd, const void *buf, size_t len, uint64_t off) {
    const char *p = buf;
    while (len) {
        ssize_t w = pwrite(fd, p, len > (1u << 30) ? (1u << 30) : len, (off_t)off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return w < 0 ? errno : EIO;
        p += w; len -= (size_t)w; off += (uint64_t)w;
    }
    return 0;
}

static int read_all(int fd, void *buf, size_t len, uint64_t off) {
    char *p = buf;
    while (len) {
        ssize_t r = pread(fd, p, len > (1u << 30) ? (1u << 30) : len, (off_t)off);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return r < 0 ? errno : EIO;
        p += r; len -= (size_t)r; off += (uint64_t)r;
    }
    return 0;
}

static inline size_t state_bytes(const Core *c) { return (size_t)c->W * 4; }

static void spill_note_peak(Core *c) {
    uint64_t on_disk = (c->qf_hi - c->qf_lo) * state_bytes(c) + c->lbase * 6;
    if (on_disk > c->spill_peak) c->spill_peak = on_disk;
}

/* Write the links of states lbase .. count-1 to the link files; 0 or an errno. */
static int links_flush(Core *c) {
    size_t k = (size_t)(c->count - c->lbase);
    int e = write_all(c->pfd, c->parent, k * 4, c->lbase * 4);
    if (!e) e = write_all(c->ofd, c->ord, k * 2, c->lbase * 2);
    if (e) return e;
    c->lbase = c->count;
    spill_note_peak(c);
    return 0;
}

/* A state's parent link, from memory or from the link files; 0 or an errno. */
static int link_of(Core *c, uint64_t idx, uint32_t *parent, uint16_t *ord) {
    if (idx >= c->lbase) {
        *parent = c->parent[idx - c->lbase];
        *ord = c->ord[idx - c->lbase];
        return 0;
    }
    int e = read_all(c->pfd, parent, 4, idx * 4);
    return e ? e : read_all(c->ofd, ord, 2, idx * 2);
}

/* The queue outgrew the window: keep its first qwin/2 states (from `head`) in the arena, write
 * the rest to the queue file, and append from now on to the tail buffer. */
static int queue_spill_start(Core *c, uint64_t head) {
    const size_t S = state_bytes(c), keep = c->qwin / 2;
    uint64_t cut = head + keep;
    int e = write_all(c->qfd, state_at(c, cut), (size_t)(c->count - cut) * S, 0);
    if (e) return e;
    c->qf_origin = c->qf_lo = cut;
    c->qf_hi = c->count;
    memmove(c->arena, state_at(c, head), keep * S);
    c->base = head;
    c->arena_len = keep;
    uint32_t *a = realloc(c->arena, keep * S);   /* give the doubled capacity back */
    if (a) { c->arena = a; c->arena_cap = keep; }
    c->tail_on = 1;
    c->tail_len = 0;
    spill_note_peak(c);
    return 0;
}

/* Append the tail buffer to the queue file. */
static int queue_flush_tail(Core *c) {
    const size_t S = state_bytes(c);
    int e = write_all(c->qfd, c->tail, c->tail_len * S, (c->qf_hi - c->qf_origin) * S);
    if (e) return e;
    c->qf_hi += c->tail_len;
    c->tail_len = 0;
    spill_note_peak(c);
    return 0;
}

/* The search reached the end of the arena: read the next states from the queue file, or, when
 * it is empty, make the tail the arena (the queue fits in memory again). */
static int queue_refill(Core *c) {
    const size_t S = state_bytes(c);
    if (c->qf_lo < c->qf_hi) {
        size_t k = (size_t)(c->qf_hi - c->qf_lo);
        if (k > c->qwin / 2) k = c->qwin / 2;
        if (k > c->arena_cap) {
            uint32_t *a = realloc(c->arena, k * S);
            if (!a) return ENOMEM;
            c->arena = a; c->arena_cap = k;
        }
        uint64_t off = (c->qf_lo - c->qf_origin) * S;
        int e = read_all(c->qfd, c->arena, k * S, off);
        if (e) return e;
#ifdef FALLOC_FL_PUNCH_HOLE
        /* the states read are expanded next and never read again: free their blocks */
        (void)fallocate(c->qfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off,
                        (off_t)(k * S));
#endif
        c->base = c->qf_lo;
        c->arena_len = k;
        c->qf_lo += k;
        return 0;
    }
    uint32_t *a = c->arena;
    size_t cap = c->arena_cap;
    c->arena = c->tail; c->arena_cap = c->tail_cap; c->arena_len = c->tail_len;
    c->tail = a; c->tail_cap = cap; c->tail_len = 0;
    c->base = c->count - c->arena_len;
    c->tail_on = 0;
    if (ftruncate(c->qfd, 0) != 0) return errno;
    c->qf_lo = c->qf_hi = c->qf_origin = 0;
    return 0;
}

/* Between states (serial) or blocks (parallel), before state `head` is read: move what is
 * beyond the windows to disk, and bring the queue's next states in. 0, or -1 with the reason in
 * spill_errno (the search stops: spill_reason()). */
static int spill_step(Core *c, uint64_t head) {
    int e = 0;
    if (c->count - c->lbase >= c->lwin) e = links_flush(c);
    if (!e && c->tail_on && c->tail_len > c->qwin / 2) e = queue_flush_tail(c);
    if (!e && c->tail_on && head == c->base + c->arena_len && head < c->count) e = queue_refill(c);
    if (!e && !c->tail_on && c->count - head > c->qwin) e = queue_spill_start(c, head);
    if (e) c->spill_errno = e;
    return e ? -1 : 0;
}

static const char *spill_reason(Core *c, char *buf, size_t bufsz) {
    if (c->spill_errno == ENOSPC || c->spill_errno == EDQUOT)
        snprintf(buf, bufsz, "disk full while spilling to %s", c->spill_dir);
    else
        snprintf(buf, bufsz, "spilling to %s failed: %s", c->spill_dir, strerror(c->spill_errno));
    return buf;
}

/* A queued state's words (into `buf` when it is in the queue file); NULL if it is not kept. */
static const uint32_t *queued_state(Core *c, uint64_t idx, uint32_t *buf, int *err) {
    *err = 0;
    if (idx >= c->base && idx < c->base + c->arena_len) return state_at(c, idx);
    if (c->tail_on && idx >= c->qf_hi && idx < c->count)
        return c->tail + (size_t)(idx - c->qf_hi) * (size_t)c->W;
    if (c->tail_on && idx >= c->qf_lo && idx < c->qf_hi) {
        *err = read_all(c->qfd, buf, state_bytes(c), (idx - c->qf_origin) * state_bytes(c));
        return *err ? NULL : buf;
    }
    return NULL;
}

static void spill_close(Core *c) {
    if (!c->spill_open) return;
    c->spill_open = 0;
    if (c->qfd >= 0) close(c->qfd);
    if (c->pfd >= 0) close(c->pfd);
    if (c->ofd >= 0) close(c->ofd);
    c->qfd = c->pfd = c->ofd = -1;
    free(c->spill_dir);
    c->spill_dir = NULL;
}

static int open_unlinked(const char *dir, const char *name, int *fd) {
    size_t len = strlen(dir) + strlen(name) + 2;
    char *path = malloc(len);
    if (!path) return ENOMEM;
    snprintf(path, len, "%s/%s", dir, name);
    *fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_TRUNC | O_CLOEXEC, 0600);
    int e = *fd < 0 ? errno : 0;
    if (*fd >= 0 && unlink(path) != 0) e = errno;
    free(path);
    return e;
}

/* spill(dir, queue_window, link_window): spill beyond these many queued states and links to
 * files in `dir` (fingerprint mode; before the search or between runs). OSError if the files
 * cannot be made. */
static PyObject *Core_spill(Core *c, PyObject *args) {
    PyObject *dir_obj;
    Py_ssize_t qwin, lwin;
    if (!PyArg_ParseTuple(args, "O&nn", PyUnicode_FSConverter, &dir_obj, &qwin, &lwin))
        return NULL;
    if (!c->fp_mode || c->spill_on || qwin < 2 || lwin < 1) {
        Py_DECREF(dir_obj);
        PyErr_SetString(PyExc_ValueError,
                        "core: spill() needs a fingerprint core, once, windows >= 2 and 1");
        return NULL;
    }
    const char *dir = PyBytes_AS_STRING(dir_obj);
    c->qfd = c->pfd = c->ofd = -1;
    c->spill_open = 1;
    int e = open_unlinked(dir, "queue", &c->qfd);
    if (!e) e = open_unlinked(dir, "parents", &c->pfd);
    if (!e) e = open_unlinked(dir, "ordinals", &c->ofd);
    c->spill_dir = strdup(dir);
    if (e || !c->spill_dir) {
        spill_close(c);
        errno = e ? e : ENOMEM;
        PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, dir_obj);
        Py_DECREF(dir_obj);
        return NULL;
    }
    Py_DECREF(dir_obj);
    c->spill_on = 1;
    c->qwin = (size_t)qwin;
    c->lwin = (size_t)lwin;
    Py_RETURN_NONE;
}

/* spill_close(): close (and so delete) the spill files. */
static PyObject *Core_spill_close(Core *c, PyObject *args) {
    (void)args;
    spill_close(c);
    c->spill_on = 0;
    Py_RETURN_NONE;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int to_words(Core *c, PyObject *tup, uint32_t *st) {
    PyObject *seq = PySequence_Fast(tup, "core: a state is a tuple");
    if (!seq) return -1;
    Py_ssize_t k = PySequence_Fast_GET_SIZE(seq);
    if (k < c->hp + 1 || k > c->W) {
        Py_DECREF(seq);
        PyErr_SetString(PyExc_ValueError, "core: state does not fit the layout");
        return -1;
    }
    for (Py_ssize_t j = 0; j < k; j++) {
        PyObject *v = PySequence_Fast_GET_ITEM(seq, j);
        if (c->net && j == c->n + c->cut_b) {   /* the cut mask: 0 or the partition's */
            int on = PyObject_IsTrue(v);
            if (on < 0) { Py_DECREF(seq); return -1; }
            st[j] = (uint32_t)on;
        } else {
            st[j] = (uint32_t)PyLong_AsUnsignedLong(v);
        }
    }
    for (Py_ssize_t j = k; j < c->W; j++) st[j] = EMPTY;
    Py_DECREF(seq);
    return PyErr_Occurred() ? -1 : 0;
}

static PyObject *from_words(Core *c, const uint32_t *st) {
    int k = c->hp + 1 + nmsgs_of(c, st);
    PyObject *t = PyTuple_New(k);
    if (!t) return NULL;
    for (int j = 0; j < k; j++) {
        PyObject *v;
        if (c->net && j == c->n + c->cut_b) {
            v = st[j] ? c->part_mask : PyLong_FromLong(0);
            if (st[j]) Py_INCREF(v);
        } else {
            v = PyLong_FromUnsignedLong(st[j]);
        }
        PyTuple_SET_ITEM(t, j, v);
    }
    return t;
}

/* Ctrl-C while the search runs. Python's own handler would raise KeyboardInterrupt inside
 * whichever callback into the model happens to run next, which loses the partial summary and
 * the checkpoint; so while Python's default handler is in charge, run() takes SIGINT itself
 * and stops as "interrupted" at the next consistent point. */
static volatile sig_atomic_t sigint_seen = 0;
static void on_sigint(int sig) { (void)sig; sigint_seen = 1; }

static int take_sigint(struct sigaction *old) {
    sigint_seen = 0;   /* a flag left by an earlier run must not stop this one */
    PyObject *mod = PyImport_ImportModule("signal");
    if (!mod) { PyErr_Clear(); return 0; }
    PyObject *cur = PyObject_CallMethod(mod, "getsignal", "i", SIGINT);
    /* A Ctrl-C that arrived while C code ran is delivered here, as this call's exception:
     * Python's default handler is then the one in charge, and the search stops at once. */
    int pending = !cur && PyErr_ExceptionMatches(PyExc_KeyboardInterrupt);
    PyObject *dflt = PyObject_GetAttrString(mod, "default_int_handler");
    int ours = pending || (cur && dflt && cur == dflt);
    Py_XDECREF(cur); Py_XDECREF(dflt); Py_DECREF(mod);
    PyErr_Clear();
    if (!ours) return 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigint_seen = pending;
    return sigaction(SIGINT, &sa, old) == 0;
}

/* The checks between states (serial search) or blocks (parallel search): Ctrl-C, the time
 * limit, the memory budget, and the progress report. Returns why to stop, or NULL to go on;
 * sets *err on a Python error other than KeyboardInterrupt. */
static const char *periodic_checks(double start, double now, double *last_report,
                                   double time_limit, long long max_memory, size_t bytes,
                                   PyObject *progress, double interval, uint64_t count,
                                   long long transitions, uint64_t head, long long depth,
                                   char *buf, size_t bufsz, int *err) {
    if (sigint_seen || PyErr_CheckSignals() < 0) {
        if (sigint_seen) PyErr_SetNone(PyExc_KeyboardInterrupt);
        if (!PyErr_ExceptionMatches(PyExc_KeyboardInterrupt)) { *err = 1; return NULL; }
        PyErr_Clear();
        return "interrupted";
    }
    if (time_limit >= 0 && now - start >= time_limit) {
        snprintf(buf, bufsz, "time limit %gs reached", time_limit);
        return buf;
    }
    if (max_memory >= 0 && (long long)bytes >= max_memory) return "memory budget reached";
    if (progress != Py_None && now - *last_report >= interval) {
        *last_report = now;
        PyObject *r = PyObject_CallFunction(progress, "KLKLd", (unsigned long long)count,
                                            transitions, (unsigned long long)(count - head),
                                            depth, now - start);
        if (!r) {
            if (!PyErr_ExceptionMatches(PyExc_KeyboardInterrupt)) { *err = 1; return NULL; }
            PyErr_Clear();
            return "interrupted";
        }
        Py_DECREF(r);
    }
    return NULL;
}

/* run(inits, max_states, max_depth, time_limit, keep_going, progress, interval, max_memory
 *     [, pause]): a second call continues the search where the first stopped (the initial
 * states are only inserted by the first); `pause` >= 0 returns with stop_reason "pause" at a
 * consistent point after that many seconds, so that the caller can save a checkpoint. */
static PyObject *Core_run(Core *c, PyObject *args) {
    PyObject *inits, *progress;
    long long max_states, max_depth, max_memory;
    double time_limit, interval, pause = -1;
    int keep_going;
    if (!PyArg_ParseTuple(args, "OLLdpOdL|d", &inits, &max_states, &max_depth, &time_limit,
                          &keep_going, &progress, &interval, &max_memory, &pause))
        return NULL;
    const double start = now_s();
    double last_report = start;
    const int W = c->W;
    uint32_t *succ = malloc((size_t)MAXSUCC * (size_t)W * 4);
    uint8_t *kinds = malloc(MAXSUCC);
    uint32_t cur[MAXW], st[MAXW];
    int64_t found[32];
    long long kind_counts[NKINDS];
    int nfound = c->nfound;
    memcpy(found, c->found, sizeof found);
    memcpy(kind_counts, c->kind_counts, sizeof kind_counts);
    const char *stop_reason = NULL;
    char reason_buf[96], spill_buf[1024];
    struct sigaction old_sigint;
    int took_sigint = 0;
    if (!succ || !kinds) { free(succ); free(kinds); return PyErr_NoMemory(); }
    if (!c->tcap) {
        c->tcap = 1 << 16;
        if (c->fp_mode) c->table64 = calloc(c->tcap, 8);
        else c->table32 = calloc(c->tcap, 4);
        if (!c->table64 && !c->table32) { free(succ); free(kinds); return PyErr_NoMemory(); }
    }
    const int resumed = c->started;   /* a continued search (checkpoint, pause) */
    PyObject *seq = c->started ? NULL : PySequence_Fast(inits, "core: inits must be a list");
    if (!seq && !c->started) goto error;
    for (Py_ssize_t j = 0; !c->started && j < PySequence_Fast_GET_SIZE(seq); j++) {
        if (to_words(c, PySequence_Fast_GET_ITEM(seq, j), st) < 0) { Py_DECREF(seq); goto error; }
        if (c->symmetry && canonicalise(c, st) < 0) { Py_DECREF(seq); goto error; }
        int r = insert(c, st, NO_PARENT, 0);
        if (r < 0) { Py_DECREF(seq); goto error; }
        if (r == 0) continue;
        int32_t f;
        if (flags_of(c, st[c->hp], &f) < 0) { Py_DECREF(seq); goto error; }
        for (int b = 0; b < c->nnames; b++)
            if (((f >> b) & 1) && found[b] < 0) { found[b] = (int64_t)c->count - 1; nfound++; }
    }
    Py_XDECREF(seq);
    if (!c->started) { c->started = 1; c->level_end = c->count; }

    uint64_t head = c->head, level_end = c->level_end, level_start = c->level_start;
    long long depth = c->depth, max_depth_seen = c->max_depth_seen, transitions = c->transitions;
    const uint64_t entry_head = head;
    int stop = nfound > 0 && !keep_going;
    took_sigint = take_sigint(&old_sigint);
    /* a resumed search that already holds max_states states stops before finding another (a
     * fresh one expands its first state whatever the limit, as the reference engine does) */
    if (resumed && !stop && head < c->count && max_states >= 0 &&
        (long long)c->count >= max_states) {
        snprintf(reason_buf, sizeof reason_buf, "state limit %lld reached", max_states);
        stop_reason = reason_buf;
        stop = 1;
    }
    while (head < c->count && !stop) {
        if (head == level_end) {
            depth++;
            level_start = head;
            level_end = c->count;
        }
        /* checked at the first state of each level (again when a run continues there) */
        if (head == level_start && depth > 0 && max_depth >= 0 && depth >= max_depth) {
            snprintf(reason_buf, sizeof reason_buf, "depth limit %lld reached", max_depth);
            stop_reason = reason_buf;
            break;
        }
        if (head % 512 == 0 && head) {
            double now = now_s();
            int err = 0;
            stop_reason = periodic_checks(start, now, &last_report, time_limit, max_memory,
                                          core_bytes(c), progress, interval, c->count,
                                          transitions, head, depth, reason_buf,
                                          sizeof reason_buf, &err);
            if (err) goto error;
            if (stop_reason) break;
            if (pause >= 0 && now - start >= pause && head != entry_head) {
                stop_reason = "pause";
                break;
            }
            compact(c, head);
            c->fill_more = c->fp_mode && max_memory >= 0 &&
                           (long long)(core_bytes(c) + c->tcap * 8) > max_memory;
        }
        if (c->spill_on && spill_step(c, head) < 0) {   /* head is not expanded yet */
            stop_reason = spill_reason(c, spill_buf, sizeof spill_buf);
            break;
        }
        memcpy(cur, state_at(c, head), (size_t)W * 4);
        int ns = successors(c, cur, succ, kinds);
        if (ns < 0) goto error;
        int s0 = 0;
        if (c->redo_from) {   /* counted when it was cut: insert the rest of its successors */
            s0 = c->redo_from;
            c->redo_from = 0;
        } else {
            transitions += ns;
            for (int s = 0; s < ns; s++) kind_counts[kinds[s]]++;
        }
        for (int s = s0; s < ns; s++) {
            uint32_t *nxt = succ + (size_t)s * W;
            if (c->symmetry && canonicalise(c, nxt) < 0) goto error;
            int r = insert(c, nxt, (uint32_t)head, (uint16_t)s);
            if (r < 0) goto error;
            if (r == 0) continue;
            max_depth_seen = depth + 1;
            int32_t f;
            if (flags_of(c, nxt[c->hp], &f) < 0) goto error;
            if (f) {
                for (int b = 0; b < c->nnames; b++)
                    if (((f >> b) & 1) && found[b] < 0) { found[b] = (int64_t)c->count - 1; nfound++; }
                if (!keep_going || nfound == c->nnames) { stop = 1; break; }
            }
            if (max_states >= 0 && (long long)c->count >= max_states) {
                snprintf(reason_buf, sizeof reason_buf, "state limit %lld reached", max_states);
                stop_reason = reason_buf;
                stop = 1;
                c->redo_from = s + 1;
                break;
            }
        }
        if (!c->redo_from) head++;
    }
    if (took_sigint) {
        sigaction(SIGINT, &old_sigint, NULL);
        /* a Ctrl-C after the last check: a pause for a checkpoint becomes the interruption
         * (a finished run, or one stopped by a violation or a limit, keeps its result) */
        if (sigint_seen && stop_reason && strcmp(stop_reason, "pause") == 0)
            stop_reason = "interrupted";
    }
    free(succ);
    free(kinds);
    c->head = head; c->level_start = level_start; c->level_end = level_end;
    c->depth = depth; c->max_depth_seen = max_depth_seen; c->transitions = transitions;
    c->nfound = nfound;
    memcpy(c->found, found, sizeof found);
    memcpy(c->kind_counts, kind_counts, sizeof kind_counts);
    PyObject *found_d = PyDict_New();
    PyObject *kinds_l = PyList_New(NKINDS);
    if (!found_d || !kinds_l) { Py_XDECREF(found_d); Py_XDECREF(kinds_l); return NULL; }
    for (int b = 0; b < c->nnames; b++) {
        if (found[b] < 0) continue;
        PyObject *k = PyLong_FromLong(b), *v = PyLong_FromLongLong(found[b]);
        PyDict_SetItem(found_d, k, v);
        Py_DECREF(k); Py_DECREF(v);
    }
    for (int j = 0; j < NKINDS; j++) PyList_SET_ITEM(kinds_l, j, PyLong_FromLongLong(kind_counts[j]));
    return Py_BuildValue("{s:K,s:L,s:L,s:K,s:z,s:N,s:N,s:d,s:n,s:K}",
        "distinct", (unsigned long long)c->count, "transitions", transitions,
        "max_depth", max_depth_seen, "head", (unsigned long long)head,
        "stop_reason", stop_reason, "found", found_d, "kinds", kinds_l,
        "seconds", now_s() - start, "bytes", (Py_ssize_t)core_bytes(c),
        "spilled", (unsigned long long)c->spill_peak);
error:
    if (took_sigint) sigaction(SIGINT, &old_sigint, NULL);
    free(succ);
    free(kinds);
    return NULL;
}

/* ---- parallel search (explore --workers N) ---------------------------------------------------
 *
 * Block-synchronous breadth-first search. The frontier is expanded in blocks of at most BLOCK
 * states of one level, each block in three steps:
 *   1. expand (parallel): thread t takes a contiguous slice of the block and writes every
 *      successor, canonicalised, with its hash, parent and ordinal to its own buffer. The
 *      caches are read-only meanwhile (tl_frozen): a state whose step is not cached yet is
 *      left out and listed; then the main thread expands those with the GIL (asking Python,
 *      filling the caches) and splices their successors in where they belong (par_fill);
 *   2. insert (parallel): the state set is split into NPART partitions by the top hash bits;
 *      thread t owns partitions p with p % T == t and inserts their candidates in block order
 *      (producer by producer, each in order), so the first occurrence of a state is the one
 *      the serial search would keep. New candidates are listed per owner, in block order;
 *   3. commit: the main thread merges the owners' lists in block order, numbers the new states
 *      and applies the serial search's stops (invariant flags, state limit) state by state;
 *      then the threads copy the new states to the arena and point the set at them.
 * The arena, parent links and ordinals are therefore exactly those of the serial search, and so
 * are counts, depth, verdicts and traces. Limits, Ctrl-C, the memory budget and progress are
 * checked between blocks by the main thread. */
#define MAXWORKERS 16
#define NPART 64
#define BLOCK 32768
#define MINPAR 512          /* smaller blocks are expanded by the main thread alone */
#define TAG 0x80000000u     /* an exact-set entry naming a candidate of the current block */
#define REF_Q(r) (((r) >> 27) & 15u)
#define REF_I(r) ((r) & 0x7FFFFFFu)

typedef struct { uint32_t *t32; uint64_t *t64; size_t cap, len; } Part;

typedef struct { uint32_t ref, slot; } NewRef;

typedef struct { uint64_t head; size_t off, ns; } Missed;

typedef struct {
    /* candidates of this producer in the current block */
    uint32_t *words; uint64_t *hash; uint64_t *parent; uint16_t *ord; uint8_t *kind;
    size_t len, cap;
    uint64_t lo, hi, pos;       /* slice of the block, next state to expand */
    int miss, oom;
    long long transitions, kinds[NKINDS];
    /* states this thread could not expand from the caches */
    Missed *missed; size_t nmissed, missed_cap;
    size_t pcount[NPART];       /* candidates per partition */
    uint32_t *succ; uint8_t *skinds;
    /* owner side: new candidates of this thread's partitions, in block order */
    NewRef *news; size_t nnews, news_cap;
    /* commit: range of order[] to write */
    size_t c_lo, c_hi;
} Worker;

typedef struct {
    Core *c;
    int T;                      /* threads in this step */
    uint8_t owner[NPART];       /* the thread that inserts into each partition */
    Worker w[MAXWORKERS];
    Worker side;                /* successors of left-out states, expanded by the main thread */
    Part part[NPART];
    NewRef *order; size_t order_cap;   /* accepted new candidates, in block order */
    uint64_t first;             /* index of order[0] */
    uint32_t *dst;              /* where order[0]'s words go (queue_room) */
} Par;

static inline size_t part_of(uint64_t h) { return (size_t)(h >> 58); }
static inline size_t slot_of(uint64_t h, size_t mask) { return (size_t)(h >> 1) & mask; }

static inline const uint32_t *cand_words(Par *P, uint32_t ref) {
    return P->w[REF_Q(ref)].words + (size_t)REF_I(ref) * (size_t)P->c->W;
}

static int cand_reserve(Worker *w, size_t need, int W) {
    if (need <= w->cap) return 0;
    size_t cap = w->cap ? w->cap : 4096;
    while (cap < need) cap *= 2;
    uint32_t *a = realloc(w->words, cap * (size_t)W * 4);
    if (a) w->words = a;
    uint64_t *h = realloc(w->hash, cap * 8);
    if (h) w->hash = h;
    uint64_t *p = realloc(w->parent, cap * 8);
    if (p) w->parent = p;
    uint16_t *o = realloc(w->ord, cap * 2);
    if (o) w->ord = o;
    uint8_t *k = realloc(w->kind, cap);
    if (k) w->kind = k;
    if (!a || !h || !p || !o || !k) return -1;
    w->cap = cap;
    return 0;
}

/* Append the `ns` successors of `head` (canonical) as candidates; -1 out of memory. */
static int cand_append(Worker *w, uint64_t head, const uint32_t *succ, const uint8_t *kinds,
                       int ns, int W) {
    if (cand_reserve(w, w->len + (size_t)ns, W) < 0) return -1;
    for (int s = 0; s < ns; s++) {
        size_t i = w->len + (size_t)s;
        const uint32_t *nxt = succ + (size_t)s * W;
        memcpy(w->words + i * (size_t)W, nxt, (size_t)W * 4);
        w->hash[i] = hash_state(nxt, W);
        w->pcount[part_of(w->hash[i])]++;
        w->parent[i] = head;
        w->ord[i] = (uint16_t)s;
        w->kind[i] = kinds[s];
        w->kinds[kinds[s]]++;
    }
    w->len += (size_t)ns;
    w->transitions += ns;
    return 0;
}

static void cand_move(Worker *d, size_t to, const Worker *s, size_t from, size_t cnt, int W) {
    memmove(d->words + to * (size_t)W, s->words + from * (size_t)W, cnt * (size_t)W * 4);
    memmove(d->hash + to, s->hash + from, cnt * 8);
    memmove(d->parent + to, s->parent + from, cnt * 8);
    memmove(d->ord + to, s->ord + from, cnt * 2);
    memmove(d->kind + to, s->kind + from, cnt);
}

/* Step 1 for one thread: expand its slice. A state the caches cannot expand yet is left out
 * and listed (with where its successors belong); the main thread expands those with the GIL
 * and splices them in (par_fill). */
static void par_expand(Par *P, int t) {
    Core *c = P->c;
    Worker *w = &P->w[t];
    const int W = c->W;
    uint32_t cur[MAXW];
    for (; w->pos < w->hi; w->pos++) {
        memcpy(cur, state_at(c, w->pos), (size_t)W * 4);
        int ns = successors(c, cur, w->succ, w->skinds);
        for (int s = 0; s < ns; s++)
            if (c->symmetry && canonicalise(c, w->succ + (size_t)s * W) < 0) { ns = -1; break; }
        if (ns < 0) {
            if (!tl_frozen) { w->miss = 1; return; }   /* a Python error is set */
            if (w->nmissed == w->missed_cap) {
                size_t cap = w->missed_cap ? w->missed_cap * 2 : 256;
                Missed *m = realloc(w->missed, cap * sizeof(Missed));
                if (!m) { w->oom = 1; return; }
                w->missed = m; w->missed_cap = cap;
            }
            w->missed[w->nmissed].head = w->pos;
            w->missed[w->nmissed].off = w->len;
            w->nmissed++;
            continue;
        }
        if (cand_append(w, w->pos, w->succ, w->skinds, ns, W) < 0) { w->oom = 1; return; }
    }
}

/* With the GIL: expand the states thread t left out (filling the caches from Python) and put
 * their successors where they belong in its buffer. 0, or -1 with a Python error. */
static int par_fill(Par *P, int t, uint32_t *succ, uint8_t *kinds) {
    Core *c = P->c;
    Worker *w = &P->w[t], *side = &P->side;
    const int W = c->W;
    uint32_t cur[MAXW];
    side->len = 0; side->transitions = 0;
    memset(side->kinds, 0, sizeof side->kinds);
    memset(side->pcount, 0, sizeof side->pcount);
    for (size_t m = 0; m < w->nmissed; m++) {
        memcpy(cur, state_at(c, w->missed[m].head), (size_t)W * 4);
        int ns = successors(c, cur, succ, kinds);
        if (ns < 0) return -1;
        for (int s = 0; s < ns; s++)
            if (c->symmetry && canonicalise(c, succ + (size_t)s * W) < 0) return -1;
        if (cand_append(side, w->missed[m].head, succ, kinds, ns, W) < 0) {
            PyErr_NoMemory();
            return -1;
        }
        w->missed[m].ns = (size_t)ns;
    }
    if (cand_reserve(w, w->len + side->len, W) < 0) { PyErr_NoMemory(); return -1; }
    size_t shift = side->len;   /* successors of missed states m..end */
    for (size_t m = w->nmissed; m-- > 0;) {
        size_t off = w->missed[m].off, end = m + 1 < w->nmissed ? w->missed[m + 1].off : w->len;
        cand_move(w, off + shift, w, off, end - off, W);
        shift -= w->missed[m].ns;
        cand_move(w, off + shift, side, shift, w->missed[m].ns, W);
    }
    w->len += side->len;
    w->transitions += side->transitions;
    for (int k = 0; k < NKINDS; k++) w->kinds[k] += side->kinds[k];
    for (int p = 0; p < NPART; p++) w->pcount[p] += side->pcount[p];
    w->nmissed = 0;
    return 0;
}

static int part_alloc(Part *p, size_t cap, int fp) {
    p->cap = cap;
    if (fp) p->t64 = calloc(cap, 8);
    else p->t32 = calloc(cap, 4);
    return (fp ? (void *)p->t64 : (void *)p->t32) ? 0 : -1;
}

/* Make room for `need` more entries; every exact entry is an arena index here. */
static int part_grow(Core *c, Part *p, size_t need) {
    if (!set_over(c->fill_more, p->len + need, p->cap)) return 0;
    size_t cap = p->cap;
    while (set_over(c->fill_more, p->len + need, cap)) cap *= 2;
    size_t mask = cap - 1;
    if (c->fp_mode) {
        uint64_t *t = calloc(cap, 8);
        if (!t) return -1;
        for (size_t j = 0; j < p->cap; j++) {
            uint64_t f = p->t64[j];
            if (!f) continue;
            size_t i = slot_of(f, mask);
            while (t[i]) i = (i + 1) & mask;
            t[i] = f;
        }
        free(p->t64); p->t64 = t;
    } else {
        uint32_t *t = calloc(cap, 4);
        if (!t) return -1;
        for (size_t j = 0; j < p->cap; j++) {
            uint32_t e = p->t32[j];
            if (!e) continue;
            size_t i = slot_of(hash_state(state_at(c, e - 1), c->W), mask);
            while (t[i]) i = (i + 1) & mask;
            t[i] = e;
        }
        free(p->t32); p->t32 = t;
    }
    p->cap = cap;
    return 0;
}

/* Step 2 for one thread: insert the candidates of the partitions it owns, in block order. */
static void par_insert(Par *P, int t) {
    Core *c = P->c;
    const int T = P->T, W = c->W;
    Worker *me = &P->w[t];
    const uint8_t *owner = P->owner;
    me->nnews = 0;
    size_t total = 0;
    for (size_t p = (size_t)t; p < NPART; p += (size_t)T) {
        size_t need = 0;
        for (int q = 0; q < T; q++) need += P->w[q].pcount[p];
        if (part_grow(c, &P->part[p], need) < 0) { me->oom = 1; return; }
        total += need;
    }
    if (total > me->news_cap) {
        NewRef *n = realloc(me->news, total * sizeof(NewRef));
        if (!n) { me->oom = 1; return; }
        me->news = n; me->news_cap = total;
    }
    for (int q = 0; q < T; q++) {
        const Worker *w = &P->w[q];
        for (size_t i = 0; i < w->len; i++) {
            uint64_t h = w->hash[i];
            size_t p = part_of(h);
            if (owner[p] != t) continue;
            Part *pt = &P->part[p];
            size_t mask = pt->cap - 1, s = slot_of(h, mask);
            uint32_t ref = ((uint32_t)q << 27) | (uint32_t)i;
            if (c->fp_mode) {
                int seen = 0;
                while (pt->t64[s]) {
                    if (pt->t64[s] == h) { seen = 1; break; }
                    s = (s + 1) & mask;
                }
                if (seen) continue;
                pt->t64[s] = h;
            } else {
                const uint32_t *st = w->words + i * (size_t)W;
                int seen = 0;
                uint32_t e;
                while ((e = pt->t32[s])) {
                    const uint32_t *other = (e & TAG) ? cand_words(P, e & ~TAG)
                                                      : state_at(c, e - 1);
                    if (memcmp(other, st, (size_t)W * 4) == 0) { seen = 1; break; }
                    s = (s + 1) & mask;
                }
                if (seen) continue;
                pt->t32[s] = TAG | ref;
            }
            pt->len++;
            me->news[me->nnews].ref = ref;
            me->news[me->nnews].slot = (uint32_t)s;
            me->nnews++;
        }
    }
}

/* Step 3b for one thread: write its share of the accepted new states. */
static void par_commit(Par *P, int t) {
    Core *c = P->c;
    const int W = c->W;
    Worker *me = &P->w[t];
    for (size_t k = me->c_lo; k < me->c_hi; k++) {
        NewRef nr = P->order[k];
        const Worker *w = &P->w[REF_Q(nr.ref)];
        size_t i = REF_I(nr.ref);
        uint64_t idx = P->first + k;
        memcpy(P->dst + k * (size_t)W, w->words + i * (size_t)W, (size_t)W * 4);
        c->parent[idx - c->lbase] = (uint32_t)w->parent[i];
        c->ord[idx - c->lbase] = w->ord[i];
        if (!c->fp_mode) P->part[part_of(w->hash[i])].t32[nr.slot] = (uint32_t)(idx + 1);
    }
}

typedef struct { Par *P; int t; void (*fn)(Par *, int); } ThreadArg;

static void *par_thread(void *arg) {
    ThreadArg *a = arg;
    tl_frozen = 1;
    a->fn(a->P, a->t);
    return NULL;
}

/* Run fn(P, t) for t < P->T: on threads, frozen, without the GIL (the caller released it);
 * with one thread, on the caller's thread as it is. */
static void par_each(Par *P, void (*fn)(Par *, int)) {
    if (P->T == 1) { fn(P, 0); return; }
    pthread_t th[MAXWORKERS];
    ThreadArg args[MAXWORKERS];
    int started[MAXWORKERS] = {0};
    for (int t = 1; t < P->T; t++) {
        args[t].P = P; args[t].t = t; args[t].fn = fn;
        started[t] = pthread_create(&th[t], NULL, par_thread, &args[t]) == 0;
    }
    int was = tl_frozen;
    tl_frozen = 1;
    fn(P, 0);
    for (int t = 1; t < P->T; t++) if (!started[t]) fn(P, t);   /* no thread: do it here */
    tl_frozen = was;
    for (int t = 1; t < P->T; t++) if (started[t]) pthread_join(th[t], NULL);
}

static void par_each_nogil(Par *P, void (*fn)(Par *, int)) {
    if (P->T == 1) { par_each(P, fn); return; }
    Py_BEGIN_ALLOW_THREADS
    par_each(P, fn);
    Py_END_ALLOW_THREADS
}

static size_t par_bytes(const Core *c, const Par *P) {
    size_t b = core_bytes(c) + P->order_cap * sizeof(NewRef);
    for (int p = 0; p < NPART; p++) b += P->part[p].cap * (c->fp_mode ? 8 : 4);
    for (int t = 0; t < MAXWORKERS; t++)
        b += P->w[t].cap * ((size_t)c->W * 4 + 19) + P->w[t].news_cap * sizeof(NewRef);
    return b;
}

static size_t par_set_bytes(const Core *c, const Par *P) {
    size_t b = 0;
    for (int p = 0; p < NPART; p++) b += P->part[p].cap * (c->fp_mode ? 8 : 4);
    return b;
}

static void par_free(Par *P) {
    for (int p = 0; p < NPART; p++) { free(P->part[p].t32); free(P->part[p].t64); }
    for (int t = 0; t < MAXWORKERS; t++) {
        Worker *w = &P->w[t];
        free(w->words); free(w->hash); free(w->parent); free(w->ord); free(w->kind);
        free(w->succ); free(w->skinds); free(w->news); free(w->missed);
    }
    free(P->side.words); free(P->side.hash); free(P->side.parent); free(P->side.ord);
    free(P->side.kind);
    free(P->order);
    free(P);
}

/* Insert one state on the main thread (initial states); 1 new, 0 seen, -1 error. */
static int par_insert_one(Par *P, const uint32_t *st) {
    Core *c = P->c;
    uint64_t h = hash_state(st, c->W);
    Part *pt = &P->part[part_of(h)];
    if (part_grow(c, pt, 1) < 0) { PyErr_NoMemory(); return -1; }
    size_t mask = pt->cap - 1, s = slot_of(h, mask);
    if (c->fp_mode) {
        while (pt->t64[s]) {
            if (pt->t64[s] == h) return 0;
            s = (s + 1) & mask;
        }
    } else {
        while (pt->t32[s]) {
            if (memcmp(state_at(c, pt->t32[s] - 1), st, (size_t)c->W * 4) == 0) return 0;
            s = (s + 1) & mask;
        }
    }
    if (arena_push(c, st, NO_PARENT, 0) < 0) return -1;
    if (c->fp_mode) pt->t64[s] = h;
    else pt->t32[s] = (uint32_t)c->count;
    pt->len++;
    return 1;
}

/* Room for `more` new states and their links; where the first state's words go (P->dst). */
static int par_reserve(Par *P, uint64_t more) {
    P->dst = queue_room(P->c, (size_t)more);
    return P->dst && links_room(P->c, (size_t)more) == 0 ? 0 : -1;
}

/* run_parallel(workers, inits, max_states, max_depth, time_limit, keep_going, progress,
 * interval, max_memory[, block, min_parallel]): as run, on `workers` threads; the same result
 * on a fresh core. `block` (states per block, default BLOCK) and `min_parallel` (smaller blocks
 * run on the main thread alone, default MINPAR) are for tests. */
static PyObject *Core_run_parallel(Core *c, PyObject *args) {
    PyObject *inits, *progress;
    long long max_states, max_depth, max_memory;
    double time_limit, interval;
    int keep_going, workers;
    Py_ssize_t block = BLOCK, min_parallel = MINPAR;
    if (!PyArg_ParseTuple(args, "iOLLdpOdL|nn", &workers, &inits, &max_states, &max_depth,
                          &time_limit, &keep_going, &progress, &interval, &max_memory, &block,
                          &min_parallel))
        return NULL;
    if (block < 1 || block > BLOCK || min_parallel < 1) {
        PyErr_SetString(PyExc_ValueError, "core: block must be 1 to 32768, min_parallel >= 1");
        return NULL;
    }
    if (workers < 1 || workers > MAXWORKERS) {
        PyErr_Format(PyExc_ValueError, "core: workers must be 1 to %d", MAXWORKERS);
        return NULL;
    }
    if (c->count || c->tcap) {
        PyErr_SetString(PyExc_ValueError, "core: run_parallel needs a core that has not run");
        return NULL;
    }
    const double start = now_s();
    double last_report = start;
    const int W = c->W;
    int64_t found[32];
    long long kind_counts[NKINDS] = {0};
    int nfound = 0;
    const char *stop_reason = NULL;
    char reason_buf[96], spill_buf[1024];
    uint32_t st[MAXW];
    uint32_t *tmp_succ = NULL;
    uint8_t tmp_kinds[MAXSUCC];
    struct sigaction old_sigint;
    int took_sigint = 0;
    Par *P = calloc(1, sizeof(Par));
    if (!P) return PyErr_NoMemory();
    P->c = c;
    for (int j = 0; j < 32; j++) found[j] = -1;
    for (int p = 0; p < NPART; p++)
        if (part_alloc(&P->part[p], 1 << 10, c->fp_mode) < 0) { PyErr_NoMemory(); goto error; }
    tmp_succ = malloc((size_t)MAXSUCC * (size_t)W * 4);
    if (!tmp_succ) { PyErr_NoMemory(); goto error; }
    for (int t = 0; t < workers; t++) {
        P->w[t].succ = malloc((size_t)MAXSUCC * (size_t)W * 4);
        P->w[t].skinds = malloc(MAXSUCC);
        if (!P->w[t].succ || !P->w[t].skinds) { PyErr_NoMemory(); goto error; }
    }
    PyObject *seq = PySequence_Fast(inits, "core: inits must be a list");
    if (!seq) goto error;
    for (Py_ssize_t j = 0; j < PySequence_Fast_GET_SIZE(seq); j++) {
        if (to_words(c, PySequence_Fast_GET_ITEM(seq, j), st) < 0) { Py_DECREF(seq); goto error; }
        if (c->symmetry && canonicalise(c, st) < 0) { Py_DECREF(seq); goto error; }
        int r = par_insert_one(P, st);
        if (r < 0) { Py_DECREF(seq); goto error; }
        if (r == 0) continue;
        int32_t f;
        if (flags_of(c, st[c->hp], &f) < 0) { Py_DECREF(seq); goto error; }
        for (int b = 0; b < c->nnames; b++)
            if (((f >> b) & 1) && found[b] < 0) { found[b] = (int64_t)c->count - 1; nfound++; }
    }
    Py_DECREF(seq);

    uint64_t head = 0, level_end = c->count;
    long long depth = 0, max_depth_seen = 0, transitions = 0;
    int stop = nfound > 0 && !keep_going;
    /* as run(): Ctrl-C while the main thread fills caches stops at the next block */
    took_sigint = take_sigint(&old_sigint);
    while (head < c->count && !stop) {
        if (head == level_end) {
            depth++;
            level_end = c->count;
            if (max_depth >= 0 && depth >= max_depth) {
                snprintf(reason_buf, sizeof reason_buf, "depth limit %lld reached", max_depth);
                stop_reason = reason_buf;
                break;
            }
        }
        if (head) {
            double now = now_s();
            int err = 0;
            stop_reason = periodic_checks(start, now, &last_report, time_limit, max_memory,
                                          par_bytes(c, P), progress, interval, c->count,
                                          transitions, head, depth, reason_buf,
                                          sizeof reason_buf, &err);
            if (err) goto error;
            if (stop_reason) break;
            compact(c, head);
        }
        c->fill_more = c->fp_mode && max_memory >= 0 &&
                       (long long)(par_bytes(c, P) + par_set_bytes(c, P)) > max_memory;
        if (c->spill_on && spill_step(c, head) < 0) {
            stop_reason = spill_reason(c, spill_buf, sizeof spill_buf);
            break;
        }
        if (!c->fp_mode && c->count + (uint64_t)BLOCK * MAXSUCC >= TAG) {
            PyErr_SetString(PyExc_OverflowError,
                            "core: too many states for the parallel exact set (use fingerprints)");
            goto error;
        }
        /* 1. expand */
        uint64_t bend = level_end - head > (uint64_t)block ? head + (uint64_t)block : level_end;
        if (bend > c->base + c->arena_len) bend = c->base + c->arena_len;   /* in memory */
        uint64_t nb = bend - head;
        P->T = nb >= (uint64_t)min_parallel ? workers : 1;
        for (int p = 0; p < NPART; p++) P->owner[p] = (uint8_t)(p % P->T);
        for (int t = 0; t < P->T; t++) {
            Worker *w = &P->w[t];
            w->lo = w->pos = head + nb * (uint64_t)t / (uint64_t)P->T;
            w->hi = head + nb * (uint64_t)(t + 1) / (uint64_t)P->T;
            w->len = 0; w->miss = 0; w->oom = 0; w->transitions = 0; w->nmissed = 0;
            memset(w->kinds, 0, sizeof w->kinds);
            memset(w->pcount, 0, sizeof w->pcount);
        }
        par_each_nogil(P, par_expand);
        for (int t = 0; t < P->T; t++) {
            Worker *w = &P->w[t];
            if (w->oom) { PyErr_NoMemory(); goto error; }
            if (w->miss) goto error;   /* not frozen: a Python error is set */
            if (!w->nmissed) continue;
            if (par_fill(P, t, tmp_succ, tmp_kinds) < 0) goto error;
        }
        /* 2. insert */
        par_each_nogil(P, par_insert);
        for (int t = 0; t < P->T; t++) if (P->w[t].oom) { PyErr_NoMemory(); goto error; }
        /* 3a. commit in block order: merge the owners' lists, number, check, stop */
        size_t nnew = 0;
        for (int t = 0; t < P->T; t++) nnew += P->w[t].nnews;
        if (nnew > P->order_cap) {
            NewRef *o = realloc(P->order, nnew * sizeof(NewRef));
            if (!o) { PyErr_NoMemory(); goto error; }
            P->order = o; P->order_cap = nnew;
        }
        size_t ptr[MAXWORKERS] = {0}, accepted = 0;
        P->first = c->count;
        uint64_t cut_head = 0;
        int cut = 0;
        for (;;) {
            int best = -1;
            for (int t = 0; t < P->T; t++)
                if (ptr[t] < P->w[t].nnews &&
                    (best < 0 || P->w[t].news[ptr[t]].ref < P->w[best].news[ptr[best]].ref))
                    best = t;
            if (best < 0) break;
            NewRef nr = P->w[best].news[ptr[best]++];
            P->order[accepted++] = nr;
            const Worker *w = &P->w[REF_Q(nr.ref)];
            size_t i = REF_I(nr.ref);
            uint64_t idx = P->first + accepted - 1;   /* count - 1 after the serial insert */
            max_depth_seen = depth + 1;
            int32_t f;
            if (flags_of(c, w->words[i * (size_t)W + (size_t)c->hp], &f) < 0) goto error;
            if (f) {
                for (int b = 0; b < c->nnames; b++)
                    if (((f >> b) & 1) && found[b] < 0) { found[b] = (int64_t)idx; nfound++; }
                if (!keep_going || nfound == c->nnames) { cut = 1; cut_head = w->parent[i]; break; }
            }
            if (max_states >= 0 && (long long)(idx + 1) >= max_states) {
                snprintf(reason_buf, sizeof reason_buf, "state limit %lld reached", max_states);
                stop_reason = reason_buf;
                cut = 1; cut_head = w->parent[i];
                break;
            }
        }
        /* 3b. write the accepted states */
        if (par_reserve(P, accepted) < 0) goto error;
        for (int t = 0; t < P->T; t++) {
            P->w[t].c_lo = accepted * (size_t)t / (size_t)P->T;
            P->w[t].c_hi = accepted * (size_t)(t + 1) / (size_t)P->T;
        }
        par_each_nogil(P, par_commit);
        queue_added(c, accepted);
        c->count += accepted;
        if (!cut) {
            for (int t = 0; t < P->T; t++) {
                transitions += P->w[t].transitions;
                for (int k = 0; k < NKINDS; k++) kind_counts[k] += P->w[t].kinds[k];
            }
            head = bend;
            continue;
        }
        /* the serial search counts every successor of the state it stopped in */
        for (int t = 0; t < P->T; t++) {
            const Worker *w = &P->w[t];
            for (size_t i = 0; i < w->len && w->parent[i] <= cut_head; i++) {
                transitions++;
                kind_counts[w->kind[i]]++;
            }
        }
        head = cut_head + 1;
        stop = 1;
    }
    if (took_sigint) sigaction(SIGINT, &old_sigint, NULL);
    free(tmp_succ);
    size_t bytes = par_bytes(c, P);
    par_free(P);
    PyObject *found_d = PyDict_New();
    PyObject *kinds_l = PyList_New(NKINDS);
    if (!found_d || !kinds_l) { Py_XDECREF(found_d); Py_XDECREF(kinds_l); return NULL; }
    for (int b = 0; b < c->nnames; b++) {
        if (found[b] < 0) continue;
        PyObject *k = PyLong_FromLong(b), *v = PyLong_FromLongLong(found[b]);
        PyDict_SetItem(found_d, k, v);
        Py_DECREF(k); Py_DECREF(v);
    }
    for (int j = 0; j < NKINDS; j++) PyList_SET_ITEM(kinds_l, j, PyLong_FromLongLong(kind_counts[j]));
    return Py_BuildValue("{s:K,s:L,s:L,s:K,s:z,s:N,s:N,s:d,s:n,s:i,s:K}",
        "distinct", (unsigned long long)c->count, "transitions", transitions,
        "max_depth", max_depth_seen, "head", (unsigned long long)head,
        "stop_reason", stop_reason, "found", found_d, "kinds", kinds_l,
        "seconds", now_s() - start, "bytes", (Py_ssize_t)bytes, "workers", workers,
        "spilled", (unsigned long long)c->spill_peak);
error:
    if (took_sigint) sigaction(SIGINT, &old_sigint, NULL);
    free(tmp_succ);
    par_free(P);
    return NULL;
}

/* path(idx) -> [ordinals from the initial state], initial index */
static PyObject *Core_path(Core *c, PyObject *args) {
    unsigned long long idx;
    if (!PyArg_ParseTuple(args, "K", &idx)) return NULL;
    if (idx >= c->count) { PyErr_SetString(PyExc_IndexError, "core: no such state"); return NULL; }
    PyObject *ords = PyList_New(0);
    if (!ords) return NULL;
    for (;;) {
        uint32_t parent;
        uint16_t ord;
        int e = link_of(c, idx, &parent, &ord);
        if (e) {
            Py_DECREF(ords);
            errno = e;
            return PyErr_SetFromErrno(PyExc_OSError);
        }
        if (parent == NO_PARENT) break;
        PyObject *o = PyLong_FromLong(ord);
        if (!o || PyList_Append(ords, o) < 0) { Py_XDECREF(o); Py_DECREF(ords); return NULL; }
        Py_DECREF(o);
        idx = parent;
    }
    if (PyList_Reverse(ords) < 0) { Py_DECREF(ords); return NULL; }
    return Py_BuildValue("NK", ords, idx);
}

/* state(idx): exact mode (or a state still queued in fingerprint mode, read back from the
 * queue file if it is there) */
static PyObject *Core_state(Core *c, PyObject *args) {
    unsigned long long idx;
    uint32_t buf[MAXW];
    int err;
    if (!PyArg_ParseTuple(args, "K", &idx)) return NULL;
    const uint32_t *st = queued_state(c, idx, buf, &err);
    if (err) {
        errno = err;
        return PyErr_SetFromErrno(PyExc_OSError);
    }
    if (!st || idx >= c->count) {
        PyErr_SetString(PyExc_IndexError, "core: state not kept");
        return NULL;
    }
    return from_words(c, st);
}

/* successors(state) -> [(ordinal, kind, next state)], for tests of the core itself */
static PyObject *Core_successors(Core *c, PyObject *args) {
    PyObject *tup;
    uint32_t st[MAXW];
    if (!PyArg_ParseTuple(args, "O", &tup)) return NULL;
    if (to_words(c, tup, st) < 0) return NULL;
    uint32_t *succ = malloc((size_t)MAXSUCC * (size_t)c->W * 4);
    uint8_t kinds[MAXSUCC];
    if (!succ) return PyErr_NoMemory();
    int ns = successors(c, st, succ, kinds);
    if (ns < 0) { free(succ); return NULL; }
    PyObject *out = PyList_New(ns);
    for (int s = 0; out && s < ns; s++) {
        uint32_t *nxt = succ + (size_t)s * c->W;
        if (c->symmetry && canonicalise(c, nxt) < 0) { Py_DECREF(out); out = NULL; break; }
        PyList_SET_ITEM(out, s, Py_BuildValue("iiN", s, kinds[s], from_words(c, nxt)));
    }
    free(succ);
    return out;
}

/* ==== the liveness graph (explore --liveness) ==================================================
 *
 * `live_graph` builds explorer/liveness.py's LiveGraph on this core: the same breadth-first
 * search as `explore_graph` over model/network.py's `net_successors` in liveness mode, with
 * every transition's label and fairness key, the keys a bound disabled, and per state the flags.
 * As for the safety search, no rule is evaluated here. What is asked of Python (the `live`
 * object, model/live_tables.py) and cached by interned ids or exact keys:
 *   - node-local steps and deliveries, as for the safety search (`local`, `deliver`);
 *   - per node id whether it is a leader (the CHANGE label compares roles and terms);
 *   - per message id whether it is campaign traffic on a link (the solo-campaigns timing);
 *   - the timing labels per (node ids, cut links, traffic) and the state flags per (node ids,
 *     cut links): model/liveness.py memoises them by exactly these keys; per message id the
 *     flags a message in flight takes away (`msg_unsettling`), cleared from the state's;
 *   - normalisation (`rebase`) of a successor that is not an explored state (an explored state
 *     is its own normal form), cached by the raw successor, the cache bounded.
 * The successors are generated in model/network.py's order and each one is normalised at the
 * point where Python would normalise it, so that values are interned in the same order and the
 * ids, hence the states and their numbering, equal those of the reference builder. */

/* exact-key map: K words -> int32, open addressing (keys compared in full, never hashed away) */
typedef struct { uint32_t *keys; int32_t *vals; uint8_t *used; size_t cap, len; int K; } KMap;

static int kmap_init(KMap *m, int K, size_t cap) {
    m->K = K; m->cap = cap; m->len = 0;
    m->keys = malloc(cap * (size_t)K * 4);
    m->vals = malloc(cap * sizeof(int32_t));
    m->used = calloc(cap, 1);
    if (!m->keys || !m->vals || !m->used) { PyErr_NoMemory(); return -1; }
    return 0;
}

static void kmap_free(KMap *m) {
    free(m->keys); free(m->vals); free(m->used);
    m->keys = NULL; m->vals = NULL; m->used = NULL; m->cap = m->len = 0;
}

static void kmap_clear(KMap *m) { memset(m->used, 0, m->cap); m->len = 0; }

static inline size_t kmap_slot(const KMap *m, const uint32_t *key) {
    size_t mask = m->cap - 1, i = (size_t)hash_state(key, m->K) & mask;
    while (m->used[i] && memcmp(m->keys + i * (size_t)m->K, key, (size_t)m->K * 4) != 0)
        i = (i + 1) & mask;
    return i;
}

static inline int kmap_get(const KMap *m, const uint32_t *key, int32_t *out) {
    size_t i = kmap_slot(m, key);
    if (!m->used[i]) return 0;
    *out = m->vals[i];
    return 1;
}

static int kmap_put(KMap *m, const uint32_t *key, int32_t val) {
    if ((m->len + 1) * 2 > m->cap) {
        KMap bigger;
        if (kmap_init(&bigger, m->K, m->cap * 2) < 0) return -1;
        for (size_t j = 0; j < m->cap; j++) {
            if (!m->used[j]) continue;
            size_t i = kmap_slot(&bigger, m->keys + j * (size_t)m->K);
            memcpy(bigger.keys + i * (size_t)m->K, m->keys + j * (size_t)m->K, (size_t)m->K * 4);
            bigger.vals[i] = m->vals[j]; bigger.used[i] = 1; bigger.len++;
        }
        kmap_free(m);
        *m = bigger;
    }
    size_t i = kmap_slot(m, key);
    if (!m->used[i]) {
        m->used[i] = 1; m->len++;
        memcpy(m->keys + i * (size_t)m->K, key, (size_t)m->K * 4);
    }
    m->vals[i] = val;
    return 0;
}

/* growable byte buffer (the graph's arrays) */
typedef struct { char *p; size_t len, cap; } LBuf;

static inline int lbuf_put(LBuf *b, const void *v, size_t sz) {
    if (b->len + sz > b->cap) {
        size_t cap = b->cap ? b->cap : 1 << 16;
        while (cap < b->len + sz) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) { PyErr_NoMemory(); return -1; }
        b->p = p; b->cap = cap;
    }
    memcpy(b->p + b->len, v, sz);
    b->len += sz;
    return 0;
}

/* raw successors whose normal form is kept, then the cache is cleared: few repeat (most
 * successors are explored states or already normal), so it stays small */
#define LIVE_NORM_CAP (1u << 16)

typedef struct {
    Core *c;
    PyObject *live;
    /* model/network.py's and explorer/liveness.py's numbering, handed over by Python */
    int fault, untimely, change, shift, racing;
    int key_tick, key_timeout, key_beat, key_deliver;
    int max_term, use_known;
    IVec leader;      /* node id -> 1 if a leader */
    IVec msg_live;    /* message id -> 1 if campaign traffic on a link between two nodes */
    IVec msg_clear;   /* message id -> the state flags it takes away while in flight */
    KMap flags;       /* node ids + cut -> state flags */
    KMap timing;      /* node ids + cut + traffic -> offset in tpool */
    IVec tpool;       /* per entry: n tick labels (-1: not asked yet), n timeout labels */
    KMap norm;        /* raw successor -> offset in npool */
    IVec npool;       /* per entry: W words of the normal form, its highest term, shifted */
    long long rebase_calls, norm_hits, known_hits, normal_hits, shift_hits;
    /* a successor whose normal form only moves every term down by delta (no index shift, the
     * entry terms below every node term consecutive): (id << 32 | delta) -> the moved id, as
     * live.shift_node / shift_msg intern it (model/live_tables.py) */
    Map node_shift, msg_shift;
    /* the normal-form test (live_is_normal): per node id an offset in `logs` ([len, entry
     * terms...]); per message id an offset in `msgs` ([class, term, log term, index, len,
     * entry terms...]; class bit 1: MsgApp, bit 2: a vote or pre-vote request) */
    IVec node_log, logs, msg_info, minfo;
    int splits;       /* a lasting cut splits the nodes into groups (normalised apart) */
    int verify;       /* ask Python anyway and compare (tests) */
    /* the successors of the state being expanded */
    uint32_t *succ; int8_t *lab; int32_t *key; uint8_t *kind; int k;
    IVec bounded;
} Live;

static int live_fill(Live *L, IVec *v, const char *method) {
    return fill_from(L->live, v, method);
}

static inline int live_leader(Live *L, uint32_t nix, int *out) {
    if (nix >= L->leader.len && live_fill(L, &L->leader, "node_leader") < 0) return -1;
    if (nix >= L->leader.len) { PyErr_SetString(PyExc_IndexError, "live: unknown node id"); return -1; }
    *out = L->leader.v[nix];
    return 0;
}

static inline int live_msg(Live *L, uint32_t mid, int *out) {
    if (mid >= L->msg_live.len && live_fill(L, &L->msg_live, "msg_traffic") < 0) return -1;
    if (mid >= L->msg_live.len) { PyErr_SetString(PyExc_IndexError, "live: unknown message id"); return -1; }
    *out = L->msg_live.v[mid];
    return 0;
}

/* Call live.<method>(state) and read an int, or a sequence of ints into out[0..want). */
static int live_ask(Live *L, const char *method, const uint32_t *st, int32_t *out, int want) {
    PyObject *t = from_words(L->c, st);
    if (!t) return -1;
    PyObject *r = PyObject_CallMethod(L->live, method, "(O)", t);
    Py_DECREF(t);
    if (!r) return -1;
    if (want == 0) {
        out[0] = (int32_t)PyLong_AsLong(r);
    } else {
        PyObject *seq = PySequence_Fast(r, "live: expected a sequence");
        if (!seq) { Py_DECREF(r); return -1; }
        if (PySequence_Fast_GET_SIZE(seq) != want) {
            Py_DECREF(seq); Py_DECREF(r);
            PyErr_SetString(PyExc_ValueError, "live: wrong number of labels");
            return -1;
        }
        for (int j = 0; j < want; j++)
            out[j] = (int32_t)PyLong_AsLong(PySequence_Fast_GET_ITEM(seq, j));
        Py_DECREF(seq);
    }
    Py_DECREF(r);
    return PyErr_Occurred() ? -1 : 0;
}

/* The state's flags: those of its node ids and cut links (asked once per key), less what each
 * message in flight takes away (asked once per message id). */
static int live_flags(Live *L, const uint32_t *st, int32_t *out) {
    Core *c = L->c;
    uint32_t key[MAXN + 1];
    memcpy(key, st, (size_t)c->n * 4);
    key[c->n] = c->net ? st[c->n + c->cut_b] : 0;
    if (!kmap_get(&L->flags, key, out)) {
        if (live_ask(L, "flags", st, out, 0) < 0) return -1;
        if (kmap_put(&L->flags, key, *out) < 0) return -1;
    }
    const int nm = nmsgs_of(c, st);
    for (int j = 0; j < nm && *out; j++) {
        uint32_t mid = st[c->hp + 1 + j];
        if (mid >= L->msg_clear.len && live_fill(L, &L->msg_clear, "msg_unsettling") < 0)
            return -1;
        if (mid >= L->msg_clear.len) {
            PyErr_SetString(PyExc_IndexError, "live: unknown message id");
            return -1;
        }
        *out &= ~L->msg_clear.v[mid];
    }
    return 0;
}

/* The timing labels of st's transitions: n tick labels, then n timeout labels. */
static int32_t *live_timing(Live *L, const uint32_t *st, int nm) {
    Core *c = L->c;
    const int n = c->n;
    const int cut = c->net ? st[n + c->cut_b] != 0 : 0;
    int traffic = 0;
    for (int j = 0; j < nm && !traffic; j++) {
        uint32_t mid = st[c->hp + 1 + j];
        int e;
        int32_t f;
        if (live_msg(L, mid, &e) < 0 || msg_net_of(c, mid, &f) < 0) return NULL;
        if (e && !(f & NET_LOSSY) && !(cut && (f & NET_PART))) traffic = 1;
    }
    uint32_t key[MAXN + 2];
    memcpy(key, st, (size_t)n * 4);
    key[n] = (uint32_t)cut;
    key[n + 1] = (uint32_t)traffic;
    int32_t off;
    if (kmap_get(&L->timing, key, &off)) return L->tpool.v + off;
    off = (int32_t)L->tpool.len;
    if (ivec_reserve(&L->tpool, L->tpool.len + 2 * (size_t)n) < 0) return NULL;
    for (int i = 0; i < n; i++) L->tpool.v[off + i] = -1;
    if (live_ask(L, "timeout_labels", st, L->tpool.v + off + n, n) < 0) return NULL;
    L->tpool.len += 2 * (size_t)n;
    if (kmap_put(&L->timing, key, off) < 0) return NULL;
    return L->tpool.v + off;
}

/* Node i's tick label: asked once node i's local steps are known (asking earlier would intern
 * them earlier than the reference does). */
static int live_tick_label(Live *L, const uint32_t *st, int32_t *row, int i) {
    if (row[i] >= 0) return row[i];
    PyObject *t = from_words(L->c, st);
    if (!t) return -1;
    PyObject *r = PyObject_CallMethod(L->live, "tick_label", "Oi", t, i);
    Py_DECREF(t);
    if (!r) return -1;
    long v = PyLong_AsLong(r);
    Py_DECREF(r);
    if (v < 0) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "live: negative tick label");
        return -1;
    }
    row[i] = (int32_t)v;
    return (int)v;
}

/* An explored state's index, or -1. */
static int64_t live_find(Core *c, const uint32_t *st) {
    uint64_t h = hash_state(st, c->W);
    size_t mask = c->tcap - 1, i = (size_t)h & mask;
    while (c->table32[i]) {
        if (memcmp(state_at(c, c->table32[i] - 1), st, (size_t)c->W * 4) == 0)
            return (int64_t)c->table32[i] - 1;
        i = (i + 1) & mask;
    }
    return -1;
}

/* The index of `st`, added (with its parent) if new; *is_new says which. -1 on error. */
static int64_t live_insert(Core *c, const uint32_t *st, uint32_t parent, int *is_new) {
    if ((c->count + 1) * 2 > c->tcap && grow_table(c) < 0) return -1;
    uint64_t h = hash_state(st, c->W);
    size_t mask = c->tcap - 1, i = (size_t)h & mask;
    while (c->table32[i]) {
        if (memcmp(state_at(c, c->table32[i] - 1), st, (size_t)c->W * 4) == 0) {
            *is_new = 0;
            return (int64_t)c->table32[i] - 1;
        }
        i = (i + 1) & mask;
    }
    if (c->count >= 0xFFFFFFF0u) { PyErr_SetString(PyExc_OverflowError, "live: too many states"); return -1; }
    if (arena_push(c, st, parent, 0) < 0) return -1;
    c->table32[i] = (uint32_t)c->count;
    *is_new = 1;
    return (int64_t)c->count - 1;
}

/* Fill per-id offsets from a Python list of int tuples (node_logs / msg_norm). */
static int live_fill_rows(Live *L, IVec *offs, IVec *pool, const char *method) {
    PyObject *lst = PyObject_CallMethod(L->live, method, "n", (Py_ssize_t)offs->len);
    if (!lst) return -1;
    PyObject *seq = PySequence_Fast(lst, "live: expected a list");
    Py_DECREF(lst);
    if (!seq) return -1;
    Py_ssize_t k = PySequence_Fast_GET_SIZE(seq);
    if (ivec_reserve(offs, offs->len + (size_t)k) < 0) { Py_DECREF(seq); return -1; }
    for (Py_ssize_t j = 0; j < k; j++) {
        PyObject *row = PySequence_Fast(PySequence_Fast_GET_ITEM(seq, j), "live: a row");
        if (!row) { Py_DECREF(seq); return -1; }
        Py_ssize_t w = PySequence_Fast_GET_SIZE(row);
        if (ivec_reserve(pool, pool->len + (size_t)w) < 0) { Py_DECREF(row); Py_DECREF(seq); return -1; }
        offs->v[offs->len + (size_t)j] = (int32_t)pool->len;
        for (Py_ssize_t q = 0; q < w; q++)
            pool->v[pool->len + (size_t)q] = (int32_t)PyLong_AsLong(PySequence_Fast_GET_ITEM(row, q));
        pool->len += (size_t)w;
        Py_DECREF(row);
    }
    offs->len += (size_t)k;
    Py_DECREF(seq);
    return PyErr_Occurred() ? -1 : 0;
}

static inline int live_log(Live *L, uint32_t nix, const int32_t **row) {
    if (nix >= L->node_log.len && live_fill_rows(L, &L->node_log, &L->logs, "node_logs") < 0)
        return -1;
    if (nix >= L->node_log.len) { PyErr_SetString(PyExc_IndexError, "live: unknown node id"); return -1; }
    *row = L->logs.v + L->node_log.v[nix];
    return 0;
}

static inline int live_minfo(Live *L, uint32_t mid, const int32_t **row) {
    if (mid >= L->msg_info.len && live_fill_rows(L, &L->msg_info, &L->minfo, "msg_norm") < 0)
        return -1;
    if (mid >= L->msg_info.len) { PyErr_SetString(PyExc_IndexError, "live: unknown message id"); return -1; }
    *row = L->minfo.v + L->msg_info.v[mid];
    return 0;
}

/* model/liveness.py's `_common`: the shared prefix of a and b, at most `limit`. */
static inline int live_common(const int32_t *a, const int32_t *b, int blen, int limit) {
    int k = limit < blen ? limit : blen, i = 0;
    while (i < k && a[i] == b[i]) i++;
    return i;
}

/* Whether `rebase` would hand `st` back unchanged (then *high is its highest term): the test
 * that opens Liveness.rebase, in the same steps, for the common case of a successor that is
 * already normal (most new states are). 1: normal; 0: not, or not decided here (a lasting
 * cut into groups, an index shift, many entry terms): Python normalises it; -1: error. */
static int live_is_normal(Live *L, const uint32_t *st, int *high, int *delta) {
    Core *c = L->c;
    const int n = c->n;
    if (c->net && L->splits && st[n + c->net_b] == 0 && st[n + c->cut_b]) return 0;
    const int nm = nmsgs_of(c, st);
    const int32_t BIG = 1 << 30;
    int32_t tmin = BIG, hi = 0, min_req = BIG, t;
    int has_app = 0;
    for (int i = 0; i < n; i++) {
        if (term_of(c, st[i], &t) < 0) return -1;
        if (t < tmin) tmin = t;
        if (t > hi) hi = t;
    }
    const int32_t *mi[MAXW];
    for (int j = 0; j < nm; j++) {
        if (live_minfo(L, st[c->hp + 1 + j], &mi[j]) < 0) return -1;
        t = mi[j][1];
        if (t < tmin) tmin = t;
        if (t > hi) hi = t;
        if (mi[j][0] & 1) has_app = 1;
        else if ((mi[j][0] & 2) && mi[j][3] < min_req) min_req = mi[j][3];
    }
    if (tmin == 0) { *high = hi; return 1; }
    const int32_t *lg[MAXN];
    for (int i = 0; i < n; i++)
        if (live_log(L, st[i], &lg[i]) < 0) return -1;
    /* the index shift: all but the last of the entries every log and MsgApp shares */
    const int32_t *first = lg[0] + 1;
    int p = lg[0][0];
    int d = 0;
    if (p >= 2 && min_req >= 1) {
        for (int i = 1; i < n; i++) {
            p = live_common(first, lg[i] + 1, lg[i][0], p);
            if (p < 2) break;
        }
        if (p >= 2 && has_app)
            for (int j = 0; j < nm; j++)
                if (mi[j][0] & 1) p = live_common(first, mi[j] + 5, mi[j][4], p);
        d = p - 1 < min_req ? p - 1 : min_req;
        if (d < 0) d = 0;
    }
    if (d) return 0;
    /* entry terms below every node term: distinct values, kept small */
    int32_t below[64];
    int nb = 0;
#define BELOW(v) do { int32_t v_ = (v); int q_ = 0; while (q_ < nb && below[q_] != v_) q_++; \
                      if (q_ == nb) { if (nb == 64) return 0; below[nb++] = v_; } } while (0)
    for (int i = 0; i < n; i++)
        for (int q = 0; q < lg[i][0]; q++) {
            if (lg[i][1 + q] >= tmin) break;
            BELOW(lg[i][1 + q]);
        }
    for (int j = 0; j < nm; j++) {
        if (0 < mi[j][2] && mi[j][2] < tmin) BELOW(mi[j][2]);
        for (int q = 0; q < mi[j][4]; q++) {
            if (mi[j][5 + q] >= tmin) break;
            BELOW(mi[j][5 + q]);
        }
    }
#undef BELOW
    int32_t base = tmin - nb, lowest = BIG;
    for (int q = 0; q < nb; q++) if (below[q] < lowest) lowest = below[q];
    if (base - 1 == 0 && (nb == 0 || lowest == base)) { *high = hi; return 1; }
    /* The entry terms below tmin are base..tmin-1, so `rebase` renumbers every entry term and
     * node term the same way, v -> v - delta: a uniform term shift (2). */
    if (nb == 0 || lowest == base) { *high = hi; *delta = base - 1; return 2; }
    return 0;
}

/* The id of node (or message) `x` with every term moved down by delta: asked from Python once
 * per (id, delta), which interns it in the order `rebase` would. */
static int live_shifted(Live *L, Map *m, const char *method, uint32_t x, int delta,
                        uint32_t *out) {
    uint64_t key = ((uint64_t)x << 32) | (uint32_t)delta;
    int32_t v;
    if (map_get(m, key, &v)) { *out = (uint32_t)v; return 0; }
    PyObject *r = PyObject_CallMethod(L->live, method, "Ii", x, delta);
    if (!r) return -1;
    long got = PyLong_AsLong(r);
    Py_DECREF(r);
    if (got < 0) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "live: negative id");
        return -1;
    }
    *out = (uint32_t)got;
    return map_put(m, key, (int32_t)got);
}

/* `st` moved down by delta (in place): node ids in order, then message ids in order, then the
 * messages sorted, as `rebase` builds it. */
static int live_shift(Live *L, uint32_t *st, int delta) {
    Core *c = L->c;
    for (int i = 0; i < c->n; i++)
        if (live_shifted(L, &L->node_shift, "shift_node", st[i], delta, &st[i]) < 0) return -1;
    const int nm = nmsgs_of(c, st);
    uint32_t *ms = st + c->hp + 1;
    for (int j = 0; j < nm; j++)
        if (live_shifted(L, &L->msg_shift, "shift_msg", ms[j], delta, &ms[j]) < 0) return -1;
    for (int j = 1; j < nm; j++) {
        uint32_t v = ms[j];
        int q = j;
        while (q > 0 && ms[q - 1] > v) { ms[q] = ms[q - 1]; q--; }
        ms[q] = v;
    }
    return 0;
}

/* The normal form of a raw successor (in place): its highest term and whether it moved. */
static int live_rebase(Live *L, uint32_t *st, int *high, int *shifted) {
    Core *c = L->c;
    const int W = c->W;
    int32_t off;
    int delta = 0;
    int normal = live_is_normal(L, st, high, &delta);
    if (normal < 0) return -1;
    if (normal == 1 && !L->verify) {
        L->normal_hits++;
        *shifted = 0;
        return 0;
    }
    uint32_t moved[MAXW];
    if (normal == 2) {
        memcpy(moved, st, (size_t)W * 4);
        if (live_shift(L, moved, delta) < 0) return -1;
        if (!L->verify) {
            L->shift_hits++;
            memcpy(st, moved, (size_t)W * 4);
            *high -= delta;
            *shifted = 1;
            return 0;
        }
        normal = 0;   /* verifying: Python's rebase must give the same below */
    }
    if (!normal && !delta && kmap_get(&L->norm, st, &off)) {
        L->norm_hits++;
    } else {
        L->rebase_calls++;
        PyObject *t = from_words(c, st);
        if (!t) return -1;
        PyObject *r = PyObject_CallMethod(L->live, "rebase", "(O)", t);
        Py_DECREF(t);
        if (!r) return -1;
        if (!PyTuple_Check(r) || PyTuple_GET_SIZE(r) != 3) {
            Py_DECREF(r);
            PyErr_SetString(PyExc_TypeError, "live: rebase must return a 3-tuple");
            return -1;
        }
        if (L->norm.len >= LIVE_NORM_CAP) { kmap_clear(&L->norm); L->npool.len = 0; }
        off = (int32_t)L->npool.len;
        if (ivec_reserve(&L->npool, L->npool.len + (size_t)W + 2) < 0) { Py_DECREF(r); return -1; }
        int32_t *v = L->npool.v + off;
        if (to_words(c, PyTuple_GET_ITEM(r, 0), (uint32_t *)v) < 0) { Py_DECREF(r); return -1; }
        v[W] = (int32_t)PyLong_AsLong(PyTuple_GET_ITEM(r, 1));
        v[W + 1] = PyObject_IsTrue(PyTuple_GET_ITEM(r, 2));
        Py_DECREF(r);
        if (PyErr_Occurred() || v[W + 1] < 0) return -1;
        L->npool.len += (size_t)W + 2;
        if (kmap_put(&L->norm, st, off) < 0) return -1;
    }
    const int32_t *v = L->npool.v + off;
    if (normal) {   /* verifying: Python must agree that st is normal */
        L->normal_hits++;
        if (memcmp(st, v, (size_t)W * 4) != 0 || v[W] != *high || v[W + 1]) {
            PyErr_SetString(PyExc_AssertionError, "live: the normal-form test disagrees with rebase");
            return -1;
        }
        *shifted = 0;
        return 0;
    }
    if (delta && (memcmp(moved, v, (size_t)W * 4) != 0 || v[W] != *high - delta || !v[W + 1])) {
        PyErr_SetString(PyExc_AssertionError, "live: the term shift disagrees with rebase");
        return -1;
    }
    memcpy(st, v, (size_t)W * 4);
    *high = v[W];
    *shifted = v[W + 1];
    return 0;
}

/* model/network.py's over_room: an action a bound disabled, reported by its key. */
static int live_over_room(Live *L, int key, int label) {
    if (label & L->fault) return 0;
    int32_t v;
    if (!(label & L->untimely)) v = key;
    else if (label & L->racing) v = -2 - key;
    else return 0;
    if (ivec_reserve(&L->bounded, L->bounded.len + 1) < 0) return -1;
    L->bounded.v[L->bounded.len++] = v;
    return 0;
}

static inline int live_room_for_edge(Live *L) {
    if (L->k >= MAXSUCC) {
        PyErr_SetString(PyExc_RuntimeError, "live: too many successors");
        return -1;
    }
    return 0;
}

/* model/network.py's `emit`: node i takes step `res` (no history in liveness mode). */
static int live_emit(Live *L, const uint32_t *st, int i, int32_t res, const uint32_t *sent,
                     int nsent, const uint32_t *rest, int nrest, const uint32_t *budgets,
                     int label, int key, int kind, int top) {
    Core *c = L->c;
    if (live_room_for_edge(L) < 0) return -1;
    uint32_t *out = L->succ + (size_t)L->k * (size_t)c->W;
    const int32_t *r = c->pool.v + res;
    uint32_t new_ix = (uint32_t)r[0];
    if (compose_landed(c, st, i, new_ix, r[2], (int32_t)st[c->hp], sent, nsent, rest, nrest,
                       budgets, out) < 0)
        return -1;
    /* CHANGE: the highest-term leader steps down, or a leader above it is elected */
    int old_lead, new_lead;
    int32_t old_t, new_t;
    if (live_leader(L, st[i], &old_lead) < 0 || live_leader(L, new_ix, &new_lead) < 0 ||
        term_of(c, st[i], &old_t) < 0 || term_of(c, new_ix, &new_t) < 0)
        return -1;
    if (old_lead && old_t == top && !new_lead) label |= L->change;
    else if (new_lead && !old_lead && new_t > top) label |= L->change;
    if (!(L->use_known && live_find(c, out) >= 0)) {
        int high, shifted;
        if (live_rebase(L, out, &high, &shifted) < 0) return -1;
        if (high > L->max_term) return live_over_room(L, key, label);
        if (shifted) label |= L->shift;
    } else {
        L->known_hits++;
    }
    L->lab[L->k] = (int8_t)label; L->key[L->k] = key; L->kind[L->k] = (uint8_t)kind;
    L->k++;
    return 0;
}

/* model/network.py's `_land_plain`: no node changes, only the messages and budgets. */
static int live_plain(Live *L, const uint32_t *st, const uint32_t *budgets, const uint32_t *msgs,
                      int nm, int label, int key, int kind) {
    Core *c = L->c;
    if (live_room_for_edge(L) < 0) return -1;
    uint32_t *o = L->succ + (size_t)L->k * (size_t)c->W;
    land_plain(c, st, budgets, msgs, nm, o);
    if (!(L->use_known && live_find(c, o) >= 0)) {
        int high, shifted;
        if (live_rebase(L, o, &high, &shifted) < 0) return -1;
        if (shifted) label |= L->shift;
    } else {
        L->known_hits++;
    }
    L->lab[L->k] = (int8_t)label; L->key[L->k] = key; L->kind[L->k] = (uint8_t)kind;
    L->k++;
    return 0;
}

/* model/network.py's net_successors in liveness mode, in its order. */
static int live_successors(Live *L, const uint32_t *st) {
    Core *c = L->c;
    const int n = c->n;
    const uint32_t *msgs = st + c->hp + 1;
    const int nm = nmsgs_of(c, st);
    const int room = c->max_msgs - nm;
    const uint32_t *budgets = st + n;
    const int cut = c->net ? budgets[c->cut_b] != 0 : 0;
    const int NO_KEY = -1;
    uint32_t b2[8], sent[MAXN * 2];
    int ns;
    L->k = 0;
    L->bounded.len = 0;
    /* an offset, not a pointer: tpool may move while this state is expanded */
    const int32_t *row0 = live_timing(L, st, nm);
    if (!row0) return -1;
    const size_t trow = (size_t)(row0 - L->tpool.v);
    int top = -1;
    for (int i = 0; i < n; i++) {
        int lead;
        int32_t t;
        if (live_leader(L, st[i], &lead) < 0 || term_of(c, st[i], &t) < 0) return -1;
        if (lead && t > top) top = t;
    }
    for (int i = 0; i < n; i++) {
        const int nid = i + 1;
        Local *Lc = local_of(c, st[i], i);
        if (!Lc) return -1;
        if (Lc->tick >= 0) {
            int label = live_tick_label(L, st, L->tpool.v + trow, i);
            if (label < 0) return -1;
            if (live_emit(L, st, i, Lc->tick, sent, 0, msgs, nm, budgets, label,
                          L->key_tick + nid, K_TICK, top) < 0) return -1;
        }
        if (Lc->timeout >= 0) {
            if (alive(c, Lc->timeout, cut, sent, &ns) < 0) return -1;
            int label = L->tpool.v[trow + (size_t)n + (size_t)i];
            if (ns <= room) {
                if (live_emit(L, st, i, Lc->timeout, sent, ns, msgs, nm, budgets, label,
                              L->key_timeout + nid, K_TIMEOUT, top) < 0) return -1;
            } else if (live_over_room(L, L->key_timeout + nid, label) < 0) {
                return -1;
            }
        }
        if (Lc->beat >= 0) {
            if (n > 1) {
                if (alive(c, Lc->beat, cut, sent, &ns) < 0) return -1;
                if (ns <= room) {
                    if (live_emit(L, st, i, Lc->beat, sent, ns, msgs, nm, budgets, 0,
                                  L->key_beat + nid, K_HEARTBEAT, top) < 0) return -1;
                } else if (live_over_room(L, L->key_beat + nid, 0) < 0) {
                    return -1;
                }
            }
            if (budgets[B_TRANSFER] > 0 && room >= 1) {
                memcpy(b2, budgets, (size_t)c->nb * 4);
                b2[B_TRANSFER]--;
                for (int t = 0; t < Lc->ntr; t++) {
                    int32_t res = c->pool.v[Lc->tr_off + 2 * t + 1];
                    if (res == RES_NONE) continue;
                    if (res < 0) {
                        PyErr_SetString(PyExc_RuntimeError, "live: transfer changes nothing");
                        return -1;
                    }
                    if (alive(c, res, cut, sent, &ns) < 0) return -1;
                    if (live_emit(L, st, i, res, sent, ns, msgs, nm, b2, L->fault, NO_KEY,
                                  K_TRANSFER, top) < 0) return -1;
                }
            }
            if (budgets[B_APPEND] > 0 && Lc->append != RES_NONE) {
                if (Lc->append < 0) {
                    PyErr_SetString(PyExc_RuntimeError, "live: client append changes nothing");
                    return -1;
                }
                if (alive(c, Lc->append, cut, sent, &ns) < 0) return -1;
                if (ns <= room) {
                    memcpy(b2, budgets, (size_t)c->nb * 4);
                    b2[B_APPEND]--;
                    if (live_emit(L, st, i, Lc->append, sent, ns, msgs, nm, b2, 0, NO_KEY,
                                  K_APPEND, top) < 0) return -1;
                } else if (live_over_room(L, NO_KEY, 0) < 0) {
                    return -1;
                }
            }
        }
        if (Lc->restart >= 0 && budgets[B_RESTART] > 0) {
            memcpy(b2, budgets, (size_t)c->nb * 4);
            b2[B_RESTART]--;
            if (live_emit(L, st, i, Lc->restart, sent, 0, msgs, nm, b2, L->fault, NO_KEY,
                          K_RESTART, top) < 0) return -1;
        }
    }
    uint32_t rest[MAXW];
    uint32_t prev = EMPTY;
    const int dup = budgets[B_DUP] > 0;
    for (int j = 0; j < nm; j++) {
        uint32_t mid = msgs[j];
        if (mid == prev) continue;
        prev = mid;
        memcpy(rest, msgs, (size_t)j * 4);
        memcpy(rest + j, msgs + j + 1, (size_t)(nm - j - 1) * 4);
        int32_t link, to, res;
        if (msg_net_of(c, mid, &link) < 0) return -1;
        const int lossy = (link & NET_LOSSY) != 0;
        if (lossy || c->drop) {
            if (live_plain(L, st, budgets, rest, nm - 1, lossy ? 0 : L->fault, NO_KEY,
                           K_DROP) < 0) return -1;
        }
        if (msg_to_of(c, mid, &to) < 0) return -1;
        int i = to - 1;
        if (deliver_of(c, st[i], mid, &res) < 0) return -1;
        const int fkey = lossy ? NO_KEY : L->key_deliver + (int)mid;
        if (res == RES_NONE) continue;
        if (res == RES_NOOP) {
            if (live_plain(L, st, budgets, rest, nm - 1, 0, fkey, K_DELIVER) < 0) return -1;
            continue;
        }
        if (alive(c, res, cut, sent, &ns) < 0) return -1;
        if (ns <= room + 1) {
            if (live_emit(L, st, i, res, sent, ns, rest, nm - 1, budgets, 0, fkey, K_DELIVER,
                          top) < 0) return -1;
        } else if (live_over_room(L, fkey, 0) < 0) {
            return -1;
        }
        if (dup && ns <= room) {
            memcpy(b2, budgets, (size_t)c->nb * 4);
            b2[B_DUP]--;
            if (live_emit(L, st, i, res, sent, ns, msgs, nm, b2, L->fault, NO_KEY, K_DUPLICATE,
                          top) < 0) return -1;
        }
    }
    if (c->net && budgets[c->net_b] > 0 && (cut || c->has_part)) {
        memcpy(b2, budgets, (size_t)c->nb * 4);
        b2[c->net_b]--;
        b2[c->cut_b] = !cut;
        int kept = 0;
        for (int j = 0; j < nm; j++) {
            int32_t link = 0;
            if (!cut && msg_net_of(c, msgs[j], &link) < 0) return -1;
            if (cut || !(link & NET_PART)) rest[kept++] = msgs[j];
        }
        if (live_plain(L, st, b2, rest, kept, L->fault, NO_KEY, cut ? K_HEAL : K_SPLIT) < 0)
            return -1;
    }
    return L->k;
}

static void live_free(Live *L) {
    free(L->leader.v); free(L->msg_live.v); free(L->msg_clear.v); free(L->tpool.v);
    free(L->npool.v);
    free(L->bounded.v);
    free(L->node_log.v); free(L->logs.v); free(L->msg_info.v); free(L->minfo.v);
    kmap_free(&L->flags); kmap_free(&L->timing); kmap_free(&L->norm);
    map_free(&L->node_shift); map_free(&L->msg_shift);
    free(L->succ); free(L->lab); free(L->key); free(L->kind);
}

/* The search is over: the arena and parent links need no room to grow (state(i) reads them). */
static void live_shrink(Core *c) {
    if (c->count == 0) return;
    uint32_t *a = realloc(c->arena, (size_t)c->count * (size_t)c->W * 4);
    if (a) { c->arena = a; c->arena_cap = c->count; }
    uint32_t *p = realloc(c->parent, (size_t)c->count * 4);
    uint16_t *o = realloc(c->ord, (size_t)c->count * 2);
    if (p) c->parent = p;
    if (o) c->ord = o;
    if (p && o) c->pcap = c->count;
}

static PyObject *lbuf_bytes(LBuf *b) {
    PyObject *r = PyBytes_FromStringAndSize(b->p ? b->p : "", (Py_ssize_t)b->len);
    free(b->p);
    b->p = NULL; b->len = b->cap = 0;
    return r;
}

/* live_graph(live, inits, consts, max_term, use_known, max_states, max_depth, time_limit,
 *            progress, interval[, splits, verify]) -> dict of the graph's arrays (as bytes) and the search's
 * outcome. `consts` = (FAULT, UNTIMELY, CHANGE, SHIFT, RACING, KEY_TICK, KEY_TIMEOUT,
 * KEY_HEARTBEAT, KEY_DELIVER); limits < 0 are off. A fresh core only (it keeps the states:
 * state(i) decodes them afterwards). Ctrl-C raises KeyboardInterrupt, as the reference does. */
static PyObject *Core_live_graph(Core *c, PyObject *args) {
    PyObject *live, *inits, *progress;
    long long max_states, max_depth;
    double time_limit, interval;
    int max_term, use_known;
    Live L;
    memset(&L, 0, sizeof L);
    if (!PyArg_ParseTuple(args, "OO(iiiiiiiii)ipLLdOd|pp", &live, &inits, &L.fault, &L.untimely,
                          &L.change, &L.shift, &L.racing, &L.key_tick, &L.key_timeout,
                          &L.key_beat, &L.key_deliver, &max_term, &use_known, &max_states,
                          &max_depth, &time_limit, &progress, &interval, &L.splits, &L.verify))
        return NULL;
    if (c->started || c->count) {
        PyErr_SetString(PyExc_RuntimeError, "live: the core has already searched");
        return NULL;
    }
    if (c->symmetry || c->fp_mode) {
        PyErr_SetString(PyExc_ValueError, "live: needs an exact core without symmetry");
        return NULL;
    }
    c->started = 1;
    L.c = c; L.live = live; L.max_term = max_term; L.use_known = use_known;
    const int W = c->W, n = c->n;
    const double start = now_s();
    double last = start;
    LBuf offsets = {0}, dst = {0}, label = {0}, key = {0}, flags = {0};
    LBuf bstates = {0}, boffs = {0}, bvals = {0};
    int32_t zero = 0;
    const char *stop_reason = NULL;
    char reason_buf[96];
    long long counts[NKINDS] = {0};
    int64_t off0 = 0;
    uint32_t cur[MAXW];
    if (lbuf_put(&boffs, &zero, 4) < 0) return NULL;
    L.succ = malloc((size_t)MAXSUCC * (size_t)W * 4);
    L.lab = malloc(MAXSUCC); L.key = malloc(MAXSUCC * 4); L.kind = malloc(MAXSUCC);
    if (!L.succ || !L.lab || !L.key || !L.kind) { PyErr_NoMemory(); goto error; }
    if (kmap_init(&L.flags, n + 1, 1 << 12) < 0 || kmap_init(&L.timing, n + 2, 1 << 12) < 0 ||
        kmap_init(&L.norm, W, 1 << 16) < 0 || map_init(&L.node_shift, 1 << 12) < 0 ||
        map_init(&L.msg_shift, 1 << 12) < 0)
        goto error;
    if (!c->tcap) {
        c->tcap = 1 << 16;
        c->table32 = calloc(c->tcap, 4);
        if (!c->table32) { PyErr_NoMemory(); goto error; }
    }
    if (lbuf_put(&offsets, &off0, 8) < 0) goto error;
    {
        PyObject *seq = PySequence_Fast(inits, "live: inits must be a list");
        if (!seq) goto error;
        for (Py_ssize_t j = 0; j < PySequence_Fast_GET_SIZE(seq); j++) {
            int is_new;
            int32_t f;
            if (to_words(c, PySequence_Fast_GET_ITEM(seq, j), cur) < 0 ||
                live_insert(c, cur, NO_PARENT, &is_new) < 0) { Py_DECREF(seq); goto error; }
            if (!is_new) continue;
            if (live_flags(&L, cur, &f) < 0) { Py_DECREF(seq); goto error; }
            int8_t fb = (int8_t)f;
            if (lbuf_put(&flags, &fb, 1) < 0) { Py_DECREF(seq); goto error; }
        }
        Py_DECREF(seq);
    }
    uint64_t head = 0, level_end = c->count;
    long long depth = 0, max_depth_seen = 0, transitions = 0;
    while (head < c->count) {
        if (head == level_end) {
            depth++;
            level_end = c->count;
            if (max_depth >= 0 && depth >= max_depth) {
                snprintf(reason_buf, sizeof reason_buf, "depth limit %lld reached", max_depth);
                stop_reason = reason_buf;
                break;
            }
        }
        if (head % 256 == 0 && head) {
            if (PyErr_CheckSignals() < 0) goto error;
            double now = now_s();
            if (time_limit >= 0 && now - start >= time_limit) {
                snprintf(reason_buf, sizeof reason_buf, "time limit %gs reached", time_limit);
                stop_reason = reason_buf;
                break;
            }
            if (progress != Py_None && now - last >= interval) {
                last = now;
                PyObject *r = PyObject_CallFunction(progress, "KLKLd",
                    (unsigned long long)c->count, transitions,
                    (unsigned long long)(c->count - head), depth, now - start);
                if (!r) goto error;
                Py_DECREF(r);
            }
        }
        memcpy(cur, state_at(c, head), (size_t)W * 4);
        int ns = live_successors(&L, cur);
        if (ns < 0) goto error;
        if (L.bounded.len) {   /* CSR: bound state numbers, offsets, keys */
            int32_t h32 = (int32_t)head, end;
            if (lbuf_put(&bstates, &h32, 4) < 0 ||
                lbuf_put(&bvals, L.bounded.v, L.bounded.len * 4) < 0) goto error;
            end = (int32_t)(bvals.len / 4);
            if (lbuf_put(&boffs, &end, 4) < 0) goto error;
        }
        for (int s = 0; s < ns; s++) {
            int is_new;
            int64_t idx = live_insert(c, L.succ + (size_t)s * W, (uint32_t)head, &is_new);
            if (idx < 0) goto error;
            if (is_new) {
                int32_t f;
                if (live_flags(&L, L.succ + (size_t)s * W, &f) < 0) goto error;
                int8_t fb = (int8_t)f;
                if (lbuf_put(&flags, &fb, 1) < 0) goto error;
                max_depth_seen = depth + 1;
            }
            int32_t d = (int32_t)idx;
            if (lbuf_put(&dst, &d, 4) < 0 || lbuf_put(&label, &L.lab[s], 1) < 0 ||
                lbuf_put(&key, &L.key[s], 4) < 0) goto error;
            counts[L.kind[s]]++;
        }
        transitions += ns;
        int64_t end = transitions;
        if (lbuf_put(&offsets, &end, 8) < 0) goto error;
        head++;
        if (max_states >= 0 && (long long)c->count >= max_states && head < c->count) {
            snprintf(reason_buf, sizeof reason_buf, "state limit %lld reached", max_states);
            stop_reason = reason_buf;
            break;
        }
    }
    {
        double seconds = now_s() - start;
        if (progress != Py_None) {
            PyObject *r = PyObject_CallFunction(progress, "KLKLd", (unsigned long long)c->count,
                transitions, (unsigned long long)(c->count - head), max_depth_seen, seconds);
            if (!r) goto error;
            Py_DECREF(r);
        }
        /* states never expanded keep an empty edge list (the run is incomplete then) */
        int64_t end = transitions;
        for (uint64_t s = head; s < c->count; s++)
            if (lbuf_put(&offsets, &end, 8) < 0) goto error;
        PyObject *kinds_l = PyList_New(NKINDS);
        if (!kinds_l) goto error;
        for (int j = 0; j < NKINDS; j++) PyList_SET_ITEM(kinds_l, j, PyLong_FromLongLong(counts[j]));
        PyObject *parent = PyBytes_FromStringAndSize((const char *)c->parent,
                                                     (Py_ssize_t)c->count * 4);
        live_shrink(c);
        PyObject *out = Py_BuildValue(
            "{s:N,s:N,s:N,s:N,s:N,s:N,s:N,s:N,s:z,s:L,s:K,s:d,s:L,s:L,s:L,s:L,s:L,s:n}",
            "offsets", lbuf_bytes(&offsets), "dst", lbuf_bytes(&dst),
            "label", lbuf_bytes(&label), "key", lbuf_bytes(&key), "flags", lbuf_bytes(&flags),
            "parent", parent, "bounded", Py_BuildValue("NNN", lbuf_bytes(&bstates),
                                                       lbuf_bytes(&boffs), lbuf_bytes(&bvals)),
            "kinds", kinds_l,
            "stop_reason", stop_reason, "max_depth", max_depth_seen,
            "distinct", (unsigned long long)c->count, "seconds", seconds,
            "rebase_calls", L.rebase_calls, "norm_hits", L.norm_hits,
            "known_hits", L.known_hits, "normal_hits", L.normal_hits,
            "shift_hits", L.shift_hits, "core_bytes", (Py_ssize_t)core_bytes(c));
        live_free(&L);
#ifdef __GLIBC__
        malloc_trim(0);   /* hand the growth buffers' freed pages back (they were large) */
#endif
        return out;
    }
error:
    live_free(&L);
    free(bstates.p); free(boffs.p); free(bvals.p);
    free(offsets.p); free(dst.p); free(label.p); free(key.p); free(flags.p);
    return NULL;
}
/* ==== end of the liveness graph ============================================================ */

/* ---- checkpoints: the state set and the search's progress, to a file and back ------------ */
#define DUMP_MAGIC "raftcheck-core\n"   /* 16 bytes with its NUL */
#define DUMP_VERSION 3   /* 2: heal and split counted (NKINDS 11); the network in the header;
                           3: apply and propose-conf counted (NKINDS 13), the conf budget word */

typedef struct { FILE *f; uint64_t sum; int bad; } Dump;

/* A running checksum of everything written or read (FNV-like over 64-bit words). */
static void dump_sum(Dump *d, const void *buf, size_t len) {
    const unsigned char *p = buf;
    uint64_t h = d->sum;
    size_t j = 0;
    for (; j + 8 <= len; j += 8) {
        uint64_t w;
        memcpy(&w, p + j, 8);
        h = (h ^ w) * 0x100000001B3ULL;
        h ^= h >> 29;
    }
    for (; j < len; j++) h = (h ^ p[j]) * 0x100000001B3ULL;
    d->sum = h;
}

static void dump_put(Dump *d, const void *buf, size_t len) {
    if (d->bad || !len) return;
    if (fwrite(buf, 1, len, d->f) != len) { d->bad = 1; return; }
    dump_sum(d, buf, len);
}

static void dump_get(Dump *d, void *buf, size_t len) {
    if (d->bad || !len) return;
    if (fread(buf, 1, len, d->f) != len) { d->bad = 1; return; }
    dump_sum(d, buf, len);
}

/* A dump is written through a staging buffer, so that a section gathered from pieces (memory,
 * then a spill file, ...) gets the checksum of the same bytes written at once: dump_sum works
 * in 8-byte words, so every piece but a section's last must be a multiple of 8 bytes. Loading
 * reads a section in the same STAGE-sized pieces for the same reason. */
#define STAGE ((size_t)1 << 22)
typedef struct { Dump *d; char *buf; size_t len; } Stage;

static void stage_flush(Stage *s) {
    dump_put(s->d, s->buf, s->len);
    s->len = 0;
}

static void stage_put(Stage *s, const void *p, size_t len) {
    const char *q = p;
    while (len && !s->d->bad) {
        size_t k = STAGE - s->len < len ? STAGE - s->len : len;
        memcpy(s->buf + s->len, q, k);
        s->len += k; q += k; len -= k;
        if (s->len == STAGE) stage_flush(s);
    }
}

/* `len` bytes of a spill file from `off` into the dump */
static void stage_from_fd(Stage *s, int fd, uint64_t off, size_t len) {
    while (len && !s->d->bad) {
        size_t k = STAGE - s->len < len ? STAGE - s->len : len;
        int e = read_all(fd, s->buf + s->len, k, off);
        if (e) { errno = e; s->d->bad = 1; return; }
        s->len += k; off += k; len -= k;
        if (s->len == STAGE) stage_flush(s);
    }
}

/* Where a loaded section's bytes go: bytes up to `end` (from the previous segment's end) to
 * memory, or to a spill file from offset 0 (fd >= 0), or nowhere (neither). */
typedef struct { size_t end; char *mem; int fd; } Seg;

/* Read a `len`-byte section in STAGE-sized pieces into its segments (the last one ends at
 * `len`). 0, or the errno of a failed write to a spill file (a failed read sets d->bad). */
static int load_section(Dump *d, char *buf, size_t len, const Seg *seg, int nseg) {
    int q = 0;
    size_t start = 0;   /* of segment q */
    for (size_t pos = 0; pos < len && !d->bad;) {
        size_t k = len - pos < STAGE ? len - pos : STAGE;
        dump_get(d, buf, k);
        for (size_t j = 0; j < k && !d->bad;) {
            while (q < nseg - 1 && pos + j >= seg[q].end) start = seg[q++].end;
            size_t m = seg[q].end - (pos + j) < k - j ? seg[q].end - (pos + j) : k - j;
            size_t off = pos + j - start;
            if (seg[q].mem) memcpy(seg[q].mem + off, buf + j, m);
            else if (seg[q].fd >= 0) {
                int e = write_all(seg[q].fd, buf + j, m, off);
                if (e) return e;
            }
            j += m;
        }
        pos += k;
    }
    return 0;
}

/* The fixed-size part of a dump: the layout it was made for and the search's progress. */
typedef struct {
    char magic[16];
    int32_t version, n, nb, max_msgs, drop, nnames, fp_mode, symmetry, W, started, nfound,
            redo_from, net, net_b, cut_b, has_part, conf_b;
    uint64_t count, base, arena_len, tcap, head, level_start, level_end;
    int64_t depth, max_depth_seen, transitions, kind_counts[NKINDS], found[32];
} DumpHeader;

static void header_of(const Core *c, DumpHeader *h) {
    memset(h, 0, sizeof *h);
    memcpy(h->magic, DUMP_MAGIC, sizeof h->magic);
    h->version = DUMP_VERSION; h->n = c->n; h->nb = c->nb; h->max_msgs = c->max_msgs;
    h->drop = c->drop; h->nnames = c->nnames; h->fp_mode = c->fp_mode; h->symmetry = c->symmetry;
    h->net = c->net; h->net_b = c->net_b; h->cut_b = c->cut_b; h->has_part = c->has_part;
    h->conf_b = c->conf_b;
    h->W = c->W; h->started = c->started; h->nfound = c->nfound; h->redo_from = c->redo_from;
    h->count = c->count; h->base = c->base; h->arena_len = c->count - c->base; h->tcap = c->tcap;
    h->head = c->head; h->level_start = c->level_start; h->level_end = c->level_end;
    h->depth = c->depth; h->max_depth_seen = c->max_depth_seen; h->transitions = c->transitions;
    for (int j = 0; j < NKINDS; j++) h->kind_counts[j] = c->kind_counts[j];
    for (int j = 0; j < 32; j++) h->found[j] = c->found[j];
}

/* dump(path): write the state set, parent links and progress (then fsync). Only between runs. */
static PyObject *Core_dump(Core *c, PyObject *args) {
    PyObject *path_obj;
    if (!PyArg_ParseTuple(args, "O&", PyUnicode_FSConverter, &path_obj)) return NULL;
    Dump d = {fopen(PyBytes_AS_STRING(path_obj), "wb"), 0x84222325CBF29CE4ULL, 0};
    if (!d.f) {
        PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, path_obj);
        Py_DECREF(path_obj);
        return NULL;
    }
    Stage st = {&d, malloc(STAGE), 0};
    if (!st.buf) {
        fclose(d.f);
        Py_DECREF(path_obj);
        return PyErr_NoMemory();
    }
    DumpHeader h;
    header_of(c, &h);
    dump_put(&d, &h, sizeof h);
    /* the whole queue, in order: arena, queue file, tail (as if it had never spilled) */
    const size_t S = state_bytes(c);
    stage_put(&st, c->arena, c->arena_len * S);
    if (c->tail_on) {
        stage_from_fd(&st, c->qfd, (c->qf_lo - c->qf_origin) * S,
                      (size_t)(c->qf_hi - c->qf_lo) * S);
        stage_put(&st, c->tail, c->tail_len * S);
    }
    stage_flush(&st);
    if (c->fp_mode) dump_put(&d, c->table64, c->tcap * 8);
    else dump_put(&d, c->table32, c->tcap * 4);
    /* every parent link, then every ordinal: the link files, then memory */
    size_t mem_links = (size_t)(c->count - c->lbase);
    if (c->lbase) stage_from_fd(&st, c->pfd, 0, (size_t)c->lbase * 4);
    stage_put(&st, c->parent, mem_links * 4);
    stage_flush(&st);
    if (c->lbase) stage_from_fd(&st, c->ofd, 0, (size_t)c->lbase * 2);
    stage_put(&st, c->ord, mem_links * 2);
    stage_flush(&st);
    free(st.buf);
    uint64_t sum = d.sum;
    if (!d.bad && fwrite(&sum, 1, 8, d.f) != 8) d.bad = 1;
    if (!d.bad && fflush(d.f) != 0) d.bad = 1;
    if (!d.bad && fsync(fileno(d.f)) != 0) d.bad = 1;
    if (fclose(d.f) != 0) d.bad = 1;
    if (d.bad) {
        PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, path_obj);
        Py_DECREF(path_obj);
        return NULL;
    }
    Py_DECREF(path_obj);
    return PyLong_FromUnsignedLongLong((unsigned long long)core_bytes(c));
}

/* load(path): restore a dump into a core that has not run yet, made with the same layout.
 * ValueError (with the reason) for a file that is not such a dump, or is damaged. */
static PyObject *Core_load(Core *c, PyObject *args) {
    PyObject *path_obj;
    if (!PyArg_ParseTuple(args, "O&", PyUnicode_FSConverter, &path_obj)) return NULL;
    if (c->started || c->count) {
        Py_DECREF(path_obj);
        PyErr_SetString(PyExc_RuntimeError, "core: load() needs a core that has not run");
        return NULL;
    }
    Dump d = {fopen(PyBytes_AS_STRING(path_obj), "rb"), 0x84222325CBF29CE4ULL, 0};
    if (!d.f) {
        PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, path_obj);
        Py_DECREF(path_obj);
        return NULL;
    }
    Py_DECREF(path_obj);
    DumpHeader h, mine;
    const char *why = NULL;
    dump_get(&d, &h, sizeof h);
    header_of(c, &mine);
    if (d.bad || memcmp(h.magic, DUMP_MAGIC, sizeof h.magic) != 0) why = "not a core dump";
    else if (h.version != DUMP_VERSION) why = "core dump of another format version";
    else if (h.n != mine.n || h.nb != mine.nb || h.max_msgs != mine.max_msgs ||
             h.drop != mine.drop || h.nnames != mine.nnames || h.fp_mode != mine.fp_mode ||
             h.symmetry != mine.symmetry || h.W != mine.W || h.net != mine.net ||
             h.net_b != mine.net_b || h.cut_b != mine.cut_b || h.has_part != mine.has_part ||
             h.conf_b != mine.conf_b)
        why = "core dump of another layout";
    else if (h.arena_len > h.count || h.base + h.arena_len != h.count || h.head > h.count ||
             set_over(h.fp_mode, h.count, h.tcap) ||   /* a fingerprint set may be 3/4 full */
             (h.tcap & (h.tcap - 1)) || h.count >= NO_PARENT || (!h.fp_mode && h.base) || h.nfound < 0 || h.nfound > 32 || h.redo_from < 0)
        why = "damaged core dump (inconsistent header)";
    if (why) { fclose(d.f); PyErr_SetString(PyExc_ValueError, why); return NULL; }
    /* A spilling core (spill() before load()) keeps only the windows in memory: the first
     * qwin/2 queued states if the queue is longer than qwin (the expanded states before the
     * head are skipped then), and no link if there are lwin. */
    const size_t S = (size_t)h.W * 4;
    const int spill_q = c->spill_on && h.count - h.head > c->qwin;
    const int spill_l = c->spill_on && h.count >= c->lwin;
    const size_t done = spill_q ? (size_t)(h.head - h.base) : 0;
    size_t qmem = spill_q ? c->qwin / 2 : (size_t)h.arena_len;
    uint64_t lbase = spill_l ? h.count : 0;
    size_t lmem = (size_t)(h.count - lbase);
    size_t acap = spill_q ? qmem : qmem > (1u << 16) ? qmem : (1u << 16);
    size_t pcap = lmem > (1u << 16) ? lmem : (1u << 16);
    uint32_t *arena = malloc(acap * S);
    uint32_t *parent = malloc(pcap * 4);
    uint16_t *ord = malloc(pcap * 2);
    void *table = calloc((size_t)h.tcap, h.fp_mode ? 8 : 4);
    char *buf = malloc(STAGE);
    if (!arena || !parent || !ord || !table || !buf) {
        free(arena); free(parent); free(ord); free(table); free(buf); fclose(d.f);
        return PyErr_NoMemory();
    }
    const size_t qlen = (size_t)h.arena_len * S;
    Seg q[3] = {{done * S, NULL, -1}, {(done + qmem) * S, (char *)arena, -1}, {qlen, NULL, c->qfd}};
    Seg p[2] = {{(size_t)lbase * 4, NULL, c->pfd}, {(size_t)h.count * 4, (char *)parent, -1}};
    Seg o[2] = {{(size_t)lbase * 2, NULL, c->ofd}, {(size_t)h.count * 2, (char *)ord, -1}};
    int e = load_section(&d, buf, qlen, q, 3);
    dump_get(&d, table, (size_t)h.tcap * (h.fp_mode ? 8 : 4));
    if (!e) e = load_section(&d, buf, (size_t)h.count * 4, p, 2);
    if (!e) e = load_section(&d, buf, (size_t)h.count * 2, o, 2);
    free(buf);
    uint64_t expect = d.sum, sum = 0;
    char extra;
    if (!e && !d.bad && fread(&sum, 1, 8, d.f) != 8) d.bad = 1;
    if (!e && !d.bad && (sum != expect || fread(&extra, 1, 1, d.f) != 0)) d.bad = 1;
    fclose(d.f);
    if (e || d.bad) {
        free(arena); free(parent); free(ord); free(table);
        if (e) {
            errno = e;
            return PyErr_SetFromErrno(PyExc_OSError);   /* writing the spill files */
        }
        PyErr_SetString(PyExc_ValueError, "damaged core dump (truncated, or checksum mismatch)");
        return NULL;
    }
    free(c->arena); free(c->parent); free(c->ord); free(c->table32); free(c->table64);
    c->arena = arena; c->arena_cap = acap; c->arena_len = qmem; c->base = h.base + done;
    c->parent = parent; c->ord = ord; c->pcap = pcap; c->lbase = lbase;
    if (spill_q) {
        c->tail_on = 1;
        c->tail_len = 0;
        c->qf_origin = c->qf_lo = c->base + qmem;
        c->qf_hi = h.count;
    }
    c->table32 = h.fp_mode ? NULL : table;
    c->table64 = h.fp_mode ? table : NULL;
    c->tcap = (size_t)h.tcap; c->count = h.count;
    c->started = h.started; c->nfound = h.nfound; c->redo_from = h.redo_from;
    c->head = h.head; c->level_start = h.level_start; c->level_end = h.level_end;
    c->depth = h.depth; c->max_depth_seen = h.max_depth_seen; c->transitions = h.transitions;
    for (int j = 0; j < NKINDS; j++) c->kind_counts[j] = h.kind_counts[j];
    for (int j = 0; j < 32; j++) c->found[j] = h.found[j];
    spill_note_peak(c);
    Py_RETURN_NONE;
}

static void Core_dealloc(Core *c) {
    Py_XDECREF(c->tables);
    Py_XDECREF(c->part_mask);
    free(c->pool.v); free(c->local); free(c->term.v); free(c->msg_to.v); free(c->hist_flags.v);
    free(c->msg_net.v);
    free(c->ev_camp.v); free(c->log_key.v); free(c->landed.v); map_free(&c->campaign);
    free(c->plans.v);
    map_free(&c->deliver); map_free(&c->hist_after); map_free(&c->forget);
    map_free(&c->canon_plan); map_free(&c->msg_perm); map_free(&c->hist_perm);
    free(c->arena); free(c->table32); free(c->table64); free(c->parent); free(c->ord);
    free(c->tail);
    spill_close(c);
    Py_TYPE(c)->tp_free((PyObject *)c);
}

/* Core(tables, n, nb, max_msgs, drop, nnames, fingerprint, symmetry) */
static int Core_init(Core *c, PyObject *args, PyObject *kw) {
    PyObject *tables;
    int n, nb, max_msgs, drop, nnames, fp, sym;
    (void)kw;
    if (!PyArg_ParseTuple(args, "Oiiipipp", &tables, &n, &nb, &max_msgs, &drop, &nnames, &fp, &sym))
        return -1;
    if (n < 1 || n > MAXN || nb < 0 || nb > 8 || max_msgs < 0 || nnames > 31 ||
        n + nb + 1 + max_msgs > MAXW) {
        PyErr_SetString(PyExc_ValueError, "core: configuration outside the compiled limits");
        return -1;
    }
    Py_INCREF(tables);
    c->tables = tables;
    c->n = n; c->nb = nb; c->hp = n + nb; c->W = n + nb + 1 + max_msgs;
    c->max_msgs = max_msgs; c->drop = drop; c->nnames = nnames; c->fp_mode = fp; c->symmetry = sym;
    for (int j = 0; j < 32; j++) c->found[j] = -1;
    /* tables.network: None, or (heal/split budget word, cut word, partition mask) */
    PyObject *net = PyObject_GetAttrString(tables, "network");
    if (!net) { PyErr_Clear(); net = Py_None; Py_INCREF(net); }
    if (net != Py_None) {
        PyObject *mask = NULL;
        int ok = PyArg_ParseTuple(net, "iiO", &c->net_b, &c->cut_b, &mask);
        if (ok && (c->net_b < 0 || c->net_b >= nb || c->cut_b < 0 || c->cut_b >= nb)) {
            PyErr_SetString(PyExc_ValueError, "core: network words outside the budgets");
            ok = 0;
        }
        int part = ok ? PyObject_IsTrue(mask) : -1;
        if (part < 0) { Py_DECREF(net); return -1; }
        c->net = 1; c->has_part = part;
        Py_INCREF(mask);
        Py_XDECREF(c->part_mask);
        c->part_mask = mask;
    }
    Py_DECREF(net);
    /* tables.conf_budget: the conf-change budget word, -1 (or absent) without changes */
    c->conf_b = -1;
    PyObject *cb = PyObject_GetAttrString(tables, "conf_budget");
    if (!cb) PyErr_Clear();
    else {
        long v = PyLong_AsLong(cb);
        Py_DECREF(cb);
        if (v == -1 && PyErr_Occurred()) return -1;
        if (v >= nb) {
            PyErr_SetString(PyExc_ValueError, "core: conf budget word outside the budgets");
            return -1;
        }
        c->conf_b = v < 0 ? -1 : (int)v;
    }
    if (map_init(&c->deliver, 1 << 12) < 0 || map_init(&c->hist_after, 1 << 10) < 0 ||
        map_init(&c->forget, 1 << 10) < 0 || map_init(&c->canon_plan, 1 << 10) < 0 ||
        map_init(&c->msg_perm, 1 << 10) < 0 || map_init(&c->hist_perm, 1 << 10) < 0 ||
        map_init(&c->campaign, 1 << 10) < 0)
        return -1;
    return 0;
}

/* ---- distributed search (explorer/distributed.py): expand, route and absorb batches --------
 * Each worker of a distributed search owns the states whose hash falls in its partition. A
 * routed record is W state words, the parent's index in its owner's set, and the successor
 * ordinal (the initial state's index for an initial state, whose parent is NO_PARENT). */

static inline uint32_t owner_of(const uint32_t *st, int W, uint32_t nparts) {
    /* the hash's high half: the set's slots use the low bits */
    return (uint32_t)(hash_state(st, W) >> 32) % nparts;
}

typedef struct { uint32_t *v; size_t len, cap; } UVec;

static int uvec_put(UVec *a, const uint32_t *words, size_t k) {
    if (a->len + k > a->cap) {
        size_t cap = a->cap ? a->cap : 4096;
        while (cap < a->len + k) cap *= 2;
        uint32_t *v = realloc(a->v, cap * 4);
        if (!v) { PyErr_NoMemory(); return -1; }
        a->v = v; a->cap = cap;
    }
    memcpy(a->v + a->len, words, k * 4);
    a->len += k;
    return 0;
}

static int dist_table(Core *c) {
    if (c->tcap) return 0;
    c->tcap = 1 << 16;
    if (c->fp_mode) c->table64 = calloc(c->tcap, 8);
    else c->table32 = calloc(c->tcap, 4);
    if (!c->table64 && !c->table32) { PyErr_NoMemory(); return -1; }
    return 0;
}

static void uvecs_free(UVec *outs, uint32_t nparts) {
    for (uint32_t p = 0; p < nparts; p++) free(outs[p].v);
    free(outs);
}

static PyObject *routed_lists(UVec *outs, uint32_t nparts) {
    PyObject *lst = PyList_New(nparts);
    for (uint32_t p = 0; lst && p < nparts; p++) {
        PyObject *b = PyBytes_FromStringAndSize((const char *)outs[p].v,
                                                (Py_ssize_t)outs[p].len * 4);
        if (!b) { Py_DECREF(lst); lst = NULL; break; }
        PyList_SET_ITEM(lst, p, b);
    }
    uvecs_free(outs, nparts);
    return lst;
}

/* dist_pack(states, nparts) -> [bytes per owner]: the initial states (canonical under
 * symmetry) as records, the j-th distinct one with ordinal j */
static PyObject *Core_dist_pack(Core *c, PyObject *args) {
    PyObject *states;
    unsigned int nparts;
    if (!PyArg_ParseTuple(args, "OI", &states, &nparts)) return NULL;
    if (nparts < 1) { PyErr_SetString(PyExc_ValueError, "core: no partitions"); return NULL; }
    PyObject *seq = PySequence_Fast(states, "core: states must be a list");
    if (!seq) return NULL;
    const int W = c->W;
    Py_ssize_t k = PySequence_Fast_GET_SIZE(seq);
    uint32_t *seen = malloc(((size_t)k + 1) * (size_t)W * 4);
    UVec *outs = calloc(nparts, sizeof(UVec));
    uint32_t rec[MAXW + 2];
    size_t nseen = 0;
    if (!seen || !outs) { free(seen); free(outs); Py_DECREF(seq); return PyErr_NoMemory(); }
    for (Py_ssize_t j = 0; j < k; j++) {
        if (to_words(c, PySequence_Fast_GET_ITEM(seq, j), rec) < 0) goto error;
        if (c->symmetry && canonicalise(c, rec) < 0) goto error;
        int dup = 0;
        for (size_t i = 0; i < nseen && !dup; i++)
            dup = memcmp(seen + i * (size_t)W, rec, (size_t)W * 4) == 0;
        if (dup) continue;
        memcpy(seen + nseen * (size_t)W, rec, (size_t)W * 4);
        rec[W] = NO_PARENT;
        rec[W + 1] = (uint32_t)nseen++;
        if (uvec_put(&outs[owner_of(rec, W, nparts)], rec, (size_t)W + 2) < 0) goto error;
    }
    free(seen);
    Py_DECREF(seq);
    return routed_lists(outs, nparts);
error:
    free(seen);
    Py_DECREF(seq);
    uvecs_free(outs, nparts);
    return NULL;
}

/* dist_expand(lo, hi, nparts, cache) -> ([bytes per owner], transitions, [count per kind]):
 * every successor of the held states lo..hi-1 (canonical under symmetry), routed to its owner,
 * except those found in `cache`: a writable buffer of a power of two of W-word slots (all
 * 0xFF at first), direct-mapped by hash, of states this worker has routed before. Their owner
 * has them already or gets them this round, so skipping them loses nothing; it saves most
 * of the records, as most successors are states seen before. */
static PyObject *Core_dist_expand(Core *c, PyObject *args) {
    unsigned long long lo, hi;
    unsigned int nparts;
    Py_buffer cbuf;
    if (!PyArg_ParseTuple(args, "KKIw*", &lo, &hi, &nparts, &cbuf)) return NULL;
    const size_t slot_bytes = (size_t)c->W * 4;
    size_t nslots = (size_t)cbuf.len / slot_bytes;
    uint32_t *cache = cbuf.buf;
    PyBuffer_Release(&cbuf);   /* the caller keeps the buffer alive during the call */
    if (nslots == 0 || (nslots & (nslots - 1)) || (size_t)cbuf.len % slot_bytes) {
        PyErr_SetString(PyExc_ValueError, "core: the cache is not a power of two of states");
        return NULL;
    }
    if (nparts < 1 || lo < c->base || hi > c->count || lo > hi) {
        PyErr_SetString(PyExc_IndexError, "core: states not kept");
        return NULL;
    }
    compact(c, lo);   /* fingerprint mode: drop the expanded prefix now and then */
    const int W = c->W;
    uint32_t *succ = malloc((size_t)MAXSUCC * (size_t)W * 4);
    uint8_t *kinds = malloc(MAXSUCC);
    UVec *outs = calloc(nparts, sizeof(UVec));
    long long transitions = 0, kc[NKINDS] = {0};
    uint32_t cur[MAXW];
    if (!succ || !kinds || !outs) { free(succ); free(kinds); free(outs); return PyErr_NoMemory(); }
    for (uint64_t idx = lo; idx < hi; idx++) {
        memcpy(cur, state_at(c, idx), (size_t)W * 4);
        int ns = successors(c, cur, succ, kinds);
        if (ns < 0) goto error;
        transitions += ns;
        for (int s = 0; s < ns; s++) {
            uint32_t *nxt = succ + (size_t)s * W;
            kc[kinds[s]]++;
            if (c->symmetry && canonicalise(c, nxt) < 0) goto error;
            uint64_t h = hash_state(nxt, W);
            uint32_t *slot = cache + ((size_t)(h >> 7) & (nslots - 1)) * (size_t)W;
            if (memcmp(slot, nxt, slot_bytes) == 0) continue;   /* routed before */
            memcpy(slot, nxt, slot_bytes);
            UVec *o = &outs[(uint32_t)(h >> 32) % nparts];
            uint32_t link[2] = {(uint32_t)idx, (uint32_t)s};
            if (uvec_put(o, nxt, (size_t)W) < 0 || uvec_put(o, link, 2) < 0) goto error;
        }
    }
    free(succ);
    free(kinds);
    PyObject *lst = routed_lists(outs, nparts);
    if (!lst) return NULL;
    PyObject *kl = PyList_New(NKINDS);
    if (!kl) { Py_DECREF(lst); return NULL; }
    for (int j = 0; j < NKINDS; j++) PyList_SET_ITEM(kl, j, PyLong_FromLongLong(kc[j]));
    return Py_BuildValue("NLN", lst, transitions, kl);
error:
    free(succ);
    free(kinds);
    uvecs_free(outs, nparts);
    return NULL;
}

#define ABSORB_AHEAD 16   /* records whose set slots are fetched ahead of their look-up */

/* dist_absorb(records) -> (new states, {invariant bit: index of its first violating new
 * state}): the records' states that are new join the set with their parent links, and the
 * invariants are checked on them (their history ids must be interned here already) */
static PyObject *Core_dist_absorb(Core *c, PyObject *args) {
    Py_buffer buf;
    if (!PyArg_ParseTuple(args, "y*", &buf)) return NULL;
    const int W = c->W;
    const size_t rw = (size_t)W + 2;
    if (buf.len % (Py_ssize_t)(rw * 4)) {
        PyBuffer_Release(&buf);
        PyErr_SetString(PyExc_ValueError, "core: records do not fit the layout");
        return NULL;
    }
    if (dist_table(c) < 0) { PyBuffer_Release(&buf); return NULL; }
    const size_t nrec = (size_t)buf.len / (rw * 4);
    const uint32_t *recs = buf.buf;
    const uint64_t before = c->count;
    PyObject *found = PyDict_New();
    if (!found) { PyBuffer_Release(&buf); return NULL; }
    /* the records come in no useful order: every look-up is a cache miss in a set of
     * hundreds of MB, so each record's set slot is fetched ABSORB_AHEAD records before its
     * look-up, and (exact set) the state that slot names half as many records before */
    uint64_t hs[ABSORB_AHEAD];
    for (size_t r = 0; r < nrec && r < ABSORB_AHEAD; r++) {
        hs[r] = hash_state(recs + r * rw, W);
        if (c->fp_mode) __builtin_prefetch(&c->table64[(size_t)hs[r] & (c->tcap - 1)]);
        else __builtin_prefetch(&c->table32[(size_t)hs[r] & (c->tcap - 1)]);
    }
    for (size_t r = 0; r < nrec; r++) {
        const uint32_t *rec = recs + r * rw;
        const uint64_t h = hs[r % ABSORB_AHEAD];
        if (!c->fp_mode && r + ABSORB_AHEAD / 2 < nrec) {
            uint32_t e = c->table32[(size_t)hs[(r + ABSORB_AHEAD / 2) % ABSORB_AHEAD] &
                                    (c->tcap - 1)];
            if (e) __builtin_prefetch(state_at(c, e - 1));
        }
        if (r + ABSORB_AHEAD < nrec) {
            uint64_t hn = hash_state(recs + (r + ABSORB_AHEAD) * rw, W);
            hs[r % ABSORB_AHEAD] = hn;
            if (c->fp_mode) __builtin_prefetch(&c->table64[(size_t)hn & (c->tcap - 1)]);
            else __builtin_prefetch(&c->table32[(size_t)hn & (c->tcap - 1)]);
        }
        int added = insert_hashed(c, rec, h, rec[W], (uint16_t)rec[W + 1]);
        if (added < 0) goto error;
        if (!added) continue;
        int32_t f;
        if (flags_of(c, rec[c->hp], &f) < 0) goto error;
        for (int b = 0; f && b < c->nnames; b++) {
            if (!((f >> b) & 1)) continue;
            PyObject *key = PyLong_FromLong(b);
            if (!key) goto error;
            int has = PyDict_Contains(found, key);
            PyObject *v = has ? NULL : PyLong_FromUnsignedLongLong(c->count - 1);
            if (has < 0 || (!has && (!v || PyDict_SetItem(found, key, v) < 0))) {
                Py_DECREF(key); Py_XDECREF(v); goto error;
            }
            Py_DECREF(key); Py_XDECREF(v);
        }
    }
    PyBuffer_Release(&buf);
    return Py_BuildValue("KN", (unsigned long long)(c->count - before), found);
error:
    PyBuffer_Release(&buf);
    Py_DECREF(found);
    return NULL;
}

/* dist_info() -> (states held, bytes of the core's structures) */
static PyObject *Core_dist_info(Core *c, PyObject *args) {
    (void)args;
    return Py_BuildValue("Kn", (unsigned long long)c->count, (Py_ssize_t)core_bytes(c));
}

/* dist_link(idx) -> (parent's index in its owner's set, or -1; successor ordinal) */
static PyObject *Core_dist_link(Core *c, PyObject *args) {
    unsigned long long idx;
    if (!PyArg_ParseTuple(args, "K", &idx)) return NULL;
    if (idx >= c->count) { PyErr_SetString(PyExc_IndexError, "core: no such state"); return NULL; }
    uint32_t p;
    uint16_t o;
    int e = link_of(c, idx, &p, &o);
    if (e) { errno = e; return PyErr_SetFromErrno(PyExc_OSError); }
    return Py_BuildValue("Li", p == NO_PARENT ? -1LL : (long long)p, (int)o);
}

/* dist_owner(state, nparts) -> the worker that owns the (packed as given) state */
static PyObject *Core_dist_owner(Core *c, PyObject *args) {
    PyObject *tup;
    unsigned int nparts;
    uint32_t st[MAXW];
    if (!PyArg_ParseTuple(args, "OI", &tup, &nparts)) return NULL;
    if (nparts < 1) { PyErr_SetString(PyExc_ValueError, "core: no partitions"); return NULL; }
    if (to_words(c, tup, st) < 0) return NULL;
    return PyLong_FromUnsignedLong(owner_of(st, c->W, nparts));
}

static PyMethodDef Core_methods[] = {
    {"run", (PyCFunction)Core_run, METH_VARARGS, "Breadth-first search from the given states."},
    {"run_parallel", (PyCFunction)Core_run_parallel, METH_VARARGS,
     "As run, on several threads (the first argument): the same result."},
    {"path", (PyCFunction)Core_path, METH_VARARGS, "Successor ordinals from an initial state."},
    {"state", (PyCFunction)Core_state, METH_VARARGS, "A kept state, decoded."},
    {"successors", (PyCFunction)Core_successors, METH_VARARGS, "The core's successors of a state."},
    /* the liveness graph (its own section above) */
    {"live_graph", (PyCFunction)Core_live_graph, METH_VARARGS,
     "Build the labelled, normalised liveness graph (explorer/livegraph.py)."},
    {"dump", (PyCFunction)Core_dump, METH_VARARGS, "Save the search to a file (checkpoints)."},
    {"spill", (PyCFunction)Core_spill, METH_VARARGS,
     "Spill the queue and parent links beyond windows to files in a directory."},
    {"spill_close", (PyCFunction)Core_spill_close, METH_NOARGS, "Close (delete) the spill files."},
    {"load", (PyCFunction)Core_load, METH_VARARGS, "Restore a saved search into a new core."},
    /* the distributed search's steps (explorer/distributed.py) */
    {"dist_pack", (PyCFunction)Core_dist_pack, METH_VARARGS, "Initial states as routed records."},
    {"dist_expand", (PyCFunction)Core_dist_expand, METH_VARARGS,
     "Successors of held states, routed to their owners."},
    {"dist_absorb", (PyCFunction)Core_dist_absorb, METH_VARARGS,
     "Add routed records; the new states and first violations."},
    {"dist_info", (PyCFunction)Core_dist_info, METH_NOARGS, "(states held, bytes)."},
    {"dist_link", (PyCFunction)Core_dist_link, METH_VARARGS, "A state's parent link."},
    {"dist_owner", (PyCFunction)Core_dist_owner, METH_VARARGS, "The owner of a state."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject CoreType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "explorer._fastcore.Core",
    .tp_basicsize = sizeof(Core),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Core_init,
    .tp_dealloc = (destructor)Core_dealloc,
    .tp_methods = Core_methods,
    .tp_doc = "Packed-state breadth-first search over a cluster model's cached steps.",
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "explorer._fastcore", "The compiled exploration core.", -1, NULL,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__fastcore(void) {
    if (PyType_Ready(&CoreType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (!m) return NULL;
    Py_INCREF(&CoreType);
    if (PyModule_AddObject(m, "Core", (PyObject *)&CoreType) < 0) { Py_DECREF(m); return NULL; }
    PyModule_AddIntConstant(m, "MAX_NODES", MAXN);
    PyModule_AddIntConstant(m, "MAX_WORDS", MAXW);
    PyModule_AddIntConstant(m, "MAX_WORKERS", MAXWORKERS);
    return m;
}
