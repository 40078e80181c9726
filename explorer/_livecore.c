/* The hot loops of the liveness analysis (explorer/liveness.py), compiled.
 *
 * Raft-blind like the Python it mirrors: it sees the CSR arrays of a LiveGraph (offsets: int64
 * per state + 1, dst: int32 per edge) and byte masks (one byte per edge or per state, nonzero =
 * kept), all as buffer-protocol objects. Results come back as bytearrays (per-state masks, or
 * int32/int64 arrays the Python side views with memoryview.cast), so no per-element Python
 * objects are made. Each function matches its pure-Python reference in liveness.py exactly
 * (Tarjan below visits states and edges in the same order, so component ids are the same).
 * Long loops poll PyErr_CheckSignals, so Ctrl-C raises KeyboardInterrupt as the Python does.
 * Memory comes from PyMem_* so tracemalloc sees it.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define POLL_MASK 0xFFFF /* poll for signals every 65536 steps */

/* A contiguous buffer of `itemsize`-byte items; returns its item count or -1 (error set). */
static Py_ssize_t get_buf(PyObject *obj, Py_buffer *view, Py_ssize_t itemsize, int writable,
                          const char *what) {
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, view, flags) < 0) return -1;
    if (view->itemsize != itemsize) {
        PyErr_Format(PyExc_TypeError, "%s: items of %zd bytes expected, got %zd", what, itemsize,
                     view->itemsize);
        PyBuffer_Release(view);
        return -1;
    }
    return view->len / itemsize;
}

static PyObject *new_bytes(Py_ssize_t nbytes, int zero) {
    PyObject *ba = PyByteArray_FromStringAndSize(NULL, nbytes);
    if (ba != NULL && zero && nbytes) memset(PyByteArray_AS_STRING(ba), 0, (size_t)nbytes);
    return ba;
}

/* A CSR graph of n states and m edges: offsets from 0 to m, never decreasing, and (t not
 * NULL) every target in [0, n). The loops below index by them unchecked. */
static int csr_ok(const int64_t *offs, Py_ssize_t n, const int32_t *t, Py_ssize_t m) {
    if (offs[0] != 0 || offs[n] != m) {
        PyErr_SetString(PyExc_ValueError, "offsets do not span the edges");
        return 0;
    }
    for (Py_ssize_t i = 0; i < n; i++)
        if (offs[i + 1] < offs[i]) {
            PyErr_SetString(PyExc_ValueError, "offsets decrease");
            return 0;
        }
    for (Py_ssize_t e = 0; t != NULL && e < m; e++)
        if (t[e] < 0 || t[e] >= n) {
            PyErr_SetString(PyExc_ValueError, "an edge target is not a state of the graph");
            return 0;
        }
    return 1;
}

static int poll(Py_ssize_t i) { return (i & POLL_MASK) == 0 && PyErr_CheckSignals() < 0; }

/* reverse(offsets, dst, keep) -> (offsets by target: int64[n+1], source per kept edge:
 * int32[k]), sources in increasing edge order per target, as _reverse builds them. */
static PyObject *lc_reverse(PyObject *self, PyObject *args) {
    PyObject *o_offs, *o_dst, *o_keep;
    if (!PyArg_ParseTuple(args, "OOO:reverse", &o_offs, &o_dst, &o_keep)) return NULL;
    Py_buffer bo, bd, bk;
    Py_ssize_t n1 = get_buf(o_offs, &bo, 8, 0, "offsets");
    if (n1 < 0) return NULL;
    Py_ssize_t m = get_buf(o_dst, &bd, 4, 0, "dst");
    if (m < 0) { PyBuffer_Release(&bo); return NULL; }
    Py_ssize_t mk = get_buf(o_keep, &bk, 1, 0, "keep");
    if (mk < 0) { PyBuffer_Release(&bo); PyBuffer_Release(&bd); return NULL; }
    PyObject *count = NULL, *by = NULL, *result = NULL;
    int64_t *fill = NULL;
    if (mk != m || n1 < 1) {
        PyErr_SetString(PyExc_ValueError, "reverse: keep must have a byte per edge");
        goto done;
    }
    const int64_t *offs = bo.buf;
    const int32_t *dst = bd.buf;
    const uint8_t *keep = bk.buf;
    Py_ssize_t n = n1 - 1;
    count = new_bytes(8 * n1, 1);
    if (count == NULL) goto done;
    int64_t *c = (int64_t *)PyByteArray_AS_STRING(count);
    if (!csr_ok(offs, n, dst, m)) goto done;
    for (Py_ssize_t e = 0; e < m; e++) {
        if (keep[e]) c[dst[e] + 1]++;
        if (poll(e)) goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) c[i + 1] += c[i];
    by = new_bytes(4 * c[n], 0);
    fill = PyMem_Malloc(sizeof(int64_t) * (size_t)n1);
    if (by == NULL || fill == NULL) { PyErr_NoMemory(); goto done; }
    memcpy(fill, c, sizeof(int64_t) * (size_t)n1);
    int32_t *out = (int32_t *)PyByteArray_AS_STRING(by);
    for (Py_ssize_t s = 0; s < n; s++) {
        for (int64_t e = offs[s]; e < offs[s + 1]; e++)
            if (keep[e]) out[fill[dst[e]]++] = (int32_t)s;
        if (poll(s)) goto done;
    }
    result = PyTuple_Pack(2, count, by);
done:
    PyMem_Free(fill);
    Py_XDECREF(count);
    Py_XDECREF(by);
    PyBuffer_Release(&bo);
    PyBuffer_Release(&bd);
    PyBuffer_Release(&bk);
    return result;
}

/* backward(rev_offsets, by_target, seeds) -> bytearray: 1 where a kept path reaches a seed
 * (a state whose seeds byte is nonzero). */
static PyObject *lc_backward(PyObject *self, PyObject *args) {
    PyObject *o_offs, *o_by, *o_seeds;
    if (!PyArg_ParseTuple(args, "OOO:backward", &o_offs, &o_by, &o_seeds)) return NULL;
    Py_buffer bo, bb, bs;
    Py_ssize_t n1 = get_buf(o_offs, &bo, 8, 0, "rev offsets");
    if (n1 < 0) return NULL;
    Py_ssize_t k = get_buf(o_by, &bb, 4, 0, "by_target");
    if (k < 0) { PyBuffer_Release(&bo); return NULL; }
    Py_ssize_t n = get_buf(o_seeds, &bs, 1, 0, "seeds");
    if (n < 0) { PyBuffer_Release(&bo); PyBuffer_Release(&bb); return NULL; }
    PyObject *seen = NULL;
    int32_t *todo = NULL;
    if (n1 != n + 1) {
        PyErr_SetString(PyExc_ValueError, "backward: seeds must have a byte per state");
        goto fail;
    }
    const int64_t *offs = bo.buf;
    const int32_t *by = bb.buf;
    const uint8_t *seeds = bs.buf;
    if (!csr_ok(offs, n, by, k)) goto fail;
    seen = new_bytes(n, 1);
    todo = PyMem_Malloc(sizeof(int32_t) * (size_t)(n ? n : 1));
    if (seen == NULL || todo == NULL) { PyErr_NoMemory(); goto fail; }
    uint8_t *sn = (uint8_t *)PyByteArray_AS_STRING(seen);
    Py_ssize_t top = 0, steps = 0;
    for (Py_ssize_t s = 0; s < n; s++)
        if (seeds[s]) { sn[s] = 1; todo[top++] = (int32_t)s; }
    while (top) {
        int32_t t = todo[--top];
        for (int64_t i = offs[t]; i < offs[t + 1]; i++) {
            int32_t s = by[i];
            if (!sn[s]) { sn[s] = 1; todo[top++] = s; }
        }
        if (poll(++steps)) goto fail;
    }
    goto done;
fail:
    Py_CLEAR(seen);
done:
    PyMem_Free(todo);
    PyBuffer_Release(&bo);
    PyBuffer_Release(&bb);
    PyBuffer_Release(&bs);
    return seen;
}

/* sources(offsets, mask) -> bytearray: 1 for each state with an edge whose mask byte is set. */
static PyObject *lc_sources(PyObject *self, PyObject *args) {
    PyObject *o_offs, *o_mask;
    if (!PyArg_ParseTuple(args, "OO:sources", &o_offs, &o_mask)) return NULL;
    Py_buffer bo, bm;
    Py_ssize_t n1 = get_buf(o_offs, &bo, 8, 0, "offsets");
    if (n1 < 0) return NULL;
    Py_ssize_t m = get_buf(o_mask, &bm, 1, 0, "mask");
    if (m < 0) { PyBuffer_Release(&bo); return NULL; }
    PyObject *out = NULL;
    const int64_t *offs = bo.buf;
    if (n1 < 1) {
        PyErr_SetString(PyExc_ValueError, "sources: no offsets");
        goto done;
    }
    if (!csr_ok(offs, n1 - 1, NULL, m)) goto done;
    out = new_bytes(n1 - 1, 1);
    if (out == NULL) goto done;
    uint8_t *o = (uint8_t *)PyByteArray_AS_STRING(out);
    const uint8_t *mask = bm.buf;
    for (Py_ssize_t s = 0; s + 1 < n1; s++)
        for (int64_t e = offs[s]; e < offs[s + 1]; e++)
            if (mask[e]) { o[s] = 1; break; }
done:
    PyBuffer_Release(&bo);
    PyBuffer_Release(&bm);
    return out;
}

static int cmp_int32(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* One frame of the iterative depth-first search: a state and its next edge. */
typedef struct { int32_t v; int64_t e; } Frame;

/* sccs(offsets, dst, keep, state_ok, roots, want_cyclic) -> (comp: int32[n] as bytearray,
 * number of components, list of cyclic components (their sorted members as int32 bytearrays,
 * in completion order) or None). roots: None (every state in order) or a sequence of state numbers. The same
 * iterative Tarjan as liveness.sccs, step for step. */
static PyObject *lc_sccs(PyObject *self, PyObject *args) {
    PyObject *o_offs, *o_dst, *o_keep, *o_ok, *o_roots;
    int want_cyclic;
    if (!PyArg_ParseTuple(args, "OOOOOp:sccs", &o_offs, &o_dst, &o_keep, &o_ok, &o_roots,
                          &want_cyclic))
        return NULL;
    Py_buffer bo, bd, bk, bs;
    Py_ssize_t n1 = get_buf(o_offs, &bo, 8, 0, "offsets");
    if (n1 < 0) return NULL;
    Py_ssize_t m = get_buf(o_dst, &bd, 4, 0, "dst");
    if (m < 0) { PyBuffer_Release(&bo); return NULL; }
    Py_ssize_t mk = get_buf(o_keep, &bk, 1, 0, "keep");
    if (mk < 0) { PyBuffer_Release(&bo); PyBuffer_Release(&bd); return NULL; }
    Py_ssize_t n = get_buf(o_ok, &bs, 1, 0, "state_ok");
    if (n < 0) {
        PyBuffer_Release(&bo); PyBuffer_Release(&bd); PyBuffer_Release(&bk);
        return NULL;
    }
    PyObject *comp_obj = NULL, *cyclic = NULL, *roots_seq = NULL, *result = NULL;
    int32_t *low = NULL, *num = NULL, *stack = NULL;
    uint8_t *flagsv = NULL; /* bit 0: on the stack, bit 1: kept self-loop */
    Frame *work = NULL;
    if (mk != m || n1 != n + 1) {
        PyErr_SetString(PyExc_ValueError, "sccs: keep needs a byte per edge, state_ok per state");
        goto fail;
    }
    const int64_t *offs = bo.buf;
    const int32_t *dst = bd.buf;
    const uint8_t *keep = bk.buf, *ok = bs.buf;
    if (!csr_ok(offs, n, dst, m)) goto fail;
    Py_ssize_t nroots = n;
    if (o_roots != Py_None) {
        roots_seq = PySequence_Fast(o_roots, "sccs: roots must be a sequence");
        if (roots_seq == NULL) goto fail;
        nroots = PySequence_Fast_GET_SIZE(roots_seq);
    }
    comp_obj = new_bytes(4 * n, 0);
    size_t nn = (size_t)(n ? n : 1);
    low = PyMem_Malloc(sizeof(int32_t) * nn);
    num = PyMem_Malloc(sizeof(int32_t) * nn);
    stack = PyMem_Malloc(sizeof(int32_t) * nn);
    work = PyMem_Malloc(sizeof(Frame) * nn);
    flagsv = PyMem_Calloc(nn, 1);
    if (comp_obj == NULL || !low || !num || !stack || !work || !flagsv) {
        PyErr_NoMemory();
        goto fail;
    }
    if (want_cyclic && (cyclic = PyList_New(0)) == NULL) goto fail;
    int32_t *comp = (int32_t *)PyByteArray_AS_STRING(comp_obj);
    for (Py_ssize_t i = 0; i < n; i++) { comp[i] = -1; num[i] = -1; }
    int32_t counter = 0, ncomp = 0;
    Py_ssize_t sp = 0, steps = 0;
    for (Py_ssize_t r = 0; r < nroots; r++) {
        Py_ssize_t root = r;
        if (roots_seq != NULL) {
            root = PyLong_AsSsize_t(PySequence_Fast_GET_ITEM(roots_seq, r));
            if (root == -1 && PyErr_Occurred()) goto fail;
            if (root < 0 || root >= n) {
                PyErr_SetString(PyExc_IndexError, "sccs: root out of range");
                goto fail;
            }
        }
        if (num[root] >= 0 || !ok[root]) continue;
        Py_ssize_t wp = 0;
        work[wp++] = (Frame){(int32_t)root, offs[root]};
        num[root] = low[root] = counter++;
        stack[sp++] = (int32_t)root;
        flagsv[root] |= 1;
        while (wp) {
            if (poll(++steps)) goto fail;
            Frame *f = &work[wp - 1];
            int32_t v = f->v;
            int64_t e = f->e, end = offs[v + 1];
            int advanced = 0;
            while (e < end) {
                int32_t w = dst[e];
                int keep_it = keep[e] && ok[w];
                e++;
                if (!keep_it) continue;
                if (num[w] < 0) {
                    f->e = e;
                    num[w] = low[w] = counter++;
                    stack[sp++] = w;
                    flagsv[w] |= 1;
                    work[wp++] = (Frame){w, offs[w]};
                    advanced = 1;
                    break;
                }
                if (flagsv[w] & 1) {
                    if (num[w] < low[v]) low[v] = num[w];
                    if (w == v) flagsv[v] |= 2;
                }
            }
            if (advanced) continue;
            wp--;
            if (wp) {
                int32_t u = work[wp - 1].v;
                if (low[v] < low[u]) low[u] = low[v];
            }
            if (low[v] == num[v]) {
                Py_ssize_t at = sp - 1;
                while (stack[at] != v) at--;
                if (cyclic != NULL && (stack[sp - 1] != v || (flagsv[v] & 2))) {
                    Py_ssize_t size = sp - at;
                    /* members in increasing order, as int32 (4 bytes a member, where a list
                     * would take 40): mark them, then sweep their range, or sort */
                    PyObject *members = new_bytes(4 * size, 0);
                    if (members == NULL) goto fail;
                    int32_t *mem = (int32_t *)PyByteArray_AS_STRING(members);
                    int32_t lo = stack[at], hi = stack[at];
                    for (Py_ssize_t i = at; i < sp; i++) {
                        if (stack[i] < lo) lo = stack[i];
                        if (stack[i] > hi) hi = stack[i];
                        comp[stack[i]] = ncomp;
                    }
                    if ((int64_t)(hi - lo) <= 8 * (int64_t)size) {
                        Py_ssize_t j = 0;
                        for (int32_t x = lo; x <= hi; x++)
                            if (comp[x] == ncomp) mem[j++] = x;
                    } else {
                        memcpy(mem, stack + at, sizeof(int32_t) * (size_t)size);
                        qsort(mem, (size_t)size, sizeof(int32_t), cmp_int32);
                    }
                    int rc = PyList_Append(cyclic, members);
                    Py_DECREF(members);
                    if (rc < 0) goto fail;
                }
                for (Py_ssize_t i = at; i < sp; i++) {
                    comp[stack[i]] = ncomp;
                    flagsv[stack[i]] &= (uint8_t)~1;
                }
                sp = at;
                ncomp++;
            }
        }
    }
    result = Py_BuildValue("(NiO)", comp_obj, (int)ncomp, cyclic ? cyclic : Py_None);
    comp_obj = NULL;
fail:
    Py_XDECREF(comp_obj);
    Py_XDECREF(cyclic);
    Py_XDECREF(roots_seq);
    PyMem_Free(low);
    PyMem_Free(num);
    PyMem_Free(stack);
    PyMem_Free(work);
    PyMem_Free(flagsv);
    PyBuffer_Release(&bo);
    PyBuffer_Release(&bd);
    PyBuffer_Release(&bk);
    PyBuffer_Release(&bs);
    return result;
}

/* component(offsets, dst, keep, comp, label, key, members, c) -> (number of kept edges inside
 * component c, OR of their labels, set of their keys): the edges from a member (a sequence
 * of states) to a state of component c (comp: int32 per state) whose keep byte is set. */
static PyObject *lc_component(PyObject *self, PyObject *args) {
    PyObject *o_offs, *o_dst, *o_keep, *o_comp, *o_label, *o_key, *o_members;
    int c;
    if (!PyArg_ParseTuple(args, "OOOOOOOi:component", &o_offs, &o_dst, &o_keep, &o_comp,
                          &o_label, &o_key, &o_members, &c))
        return NULL;
    Py_buffer b[6];
    PyObject *objs[6] = {o_offs, o_dst, o_keep, o_comp, o_label, o_key};
    const Py_ssize_t sizes[6] = {8, 4, 1, 4, 1, 4};
    const char *what[6] = {"offsets", "dst", "keep", "comp", "label", "key"};
    Py_ssize_t len[6];
    int got = 0;
    PyObject *members = NULL, *keys = NULL, *result = NULL;
    for (; got < 6; got++) {
        len[got] = get_buf(objs[got], &b[got], sizes[got], 0, what[got]);
        if (len[got] < 0) goto done;
    }
    Py_ssize_t n = len[0] - 1, m = len[1];
    if (n < 0 || len[2] != m || len[4] != m || len[5] != m || len[3] != n) {
        PyErr_SetString(PyExc_ValueError, "component: arrays of mismatched lengths");
        goto done;
    }
    const int64_t *offs = b[0].buf;
    const int32_t *dst = b[1].buf, *comp = b[3].buf, *key = b[5].buf;
    const uint8_t *keep = b[2].buf, *label = b[4].buf;
    /* Called once per cyclic component: check only the edges it reads (a whole-graph check
     * here made the fair search quadratic). */
    if (offs[n] != m) {
        PyErr_SetString(PyExc_ValueError, "offsets do not span the edges");
        goto done;
    }
    /* members: int32 items (a component from sccs) or a sequence of ints */
    Py_buffer bm;
    const int32_t *mem32 = NULL;
    Py_ssize_t nm;
    if (PyObject_CheckBuffer(o_members)) {
        nm = get_buf(o_members, &bm, 4, 0, "members");
        if (nm < 0) goto done;
        mem32 = bm.buf;
    } else {
        members = PySequence_Fast(o_members, "component: members must be a sequence");
        if (members == NULL) goto done;
        nm = PySequence_Fast_GET_SIZE(members);
    }
    if ((keys = PySet_New(NULL)) == NULL) goto release;
    Py_ssize_t count = 0;
    unsigned labels = 0;
    int32_t last = 0;
    int have_last = 0;
    for (Py_ssize_t i = 0; i < nm; i++) {
        Py_ssize_t v = mem32 ? mem32[i] : PyLong_AsSsize_t(PySequence_Fast_GET_ITEM(members, i));
        if (v == -1 && PyErr_Occurred()) goto release;
        if (v < 0 || v >= n) {
            PyErr_SetString(PyExc_IndexError, "component: state out of range");
            goto release;
        }
        if (offs[v] < 0 || offs[v] > offs[v + 1] || offs[v + 1] > m) {
            PyErr_SetString(PyExc_ValueError, "component: offsets out of order");
            goto release;
        }
        for (int64_t e = offs[v]; e < offs[v + 1]; e++) {
            if (dst[e] < 0 || dst[e] >= n) {
                PyErr_SetString(PyExc_ValueError, "an edge target is not a state of the graph");
                goto release;
            }
            if (!keep[e] || comp[dst[e]] != c) continue;
            count++;
            labels |= label[e];
            if (have_last && key[e] == last) continue; /* runs of one key are common */
            PyObject *k = PyLong_FromLong(key[e]);
            if (k == NULL || PySet_Add(keys, k) < 0) { Py_XDECREF(k); goto release; }
            Py_DECREF(k);
            last = key[e];
            have_last = 1;
        }
        if (poll(i + 1)) goto release;
    }
    result = Py_BuildValue("(nIO)", count, labels, keys);
release:
    if (mem32 != NULL) PyBuffer_Release(&bm);
done:
    Py_XDECREF(members);
    Py_XDECREF(keys);
    for (int i = 0; i < got; i++) PyBuffer_Release(&b[i]);
    return result;
}

static PyMethodDef methods[] = {
    {"reverse", lc_reverse, METH_VARARGS,
     "reverse(offsets, dst, keep) -> (offsets by target, sources): the reverse CSR of kept edges"},
    {"backward", lc_backward, METH_VARARGS,
     "backward(rev_offsets, sources, seeds) -> bytearray: states from which a seed is reached"},
    {"sources", lc_sources, METH_VARARGS,
     "sources(offsets, mask) -> bytearray: states with an edge in mask"},
    {"sccs", lc_sccs, METH_VARARGS,
     "sccs(offsets, dst, keep, state_ok, roots, want_cyclic) -> (comp, count, cyclic or None)"},
    {"component", lc_component, METH_VARARGS,
     "component(offsets, dst, keep, comp, label, key, members, c) -> (edges, labels OR, keys)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_livecore",
    "Compiled kernels of the liveness analysis (SCCs, reverse graph, backward reachability).",
    -1, methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__livecore(void) { return PyModule_Create(&module); }
