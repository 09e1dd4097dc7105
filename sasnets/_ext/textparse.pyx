# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Fast parsers for the numeric text the stores read (compiled; see
:mod:`sasnets.stores._textparse_py` for the pure-Python reference that
defines the behaviour and :mod:`sasnets.stores._textparse` for the selector).

Two entry points, identical in signature and result to the reference:

``parse_rows(data, n_int=0, dtype=numpy.float64)``
    Rows of numbers, one row per non-blank line; tokens separated by
    whitespace or commas; ``#`` starts a comment that runs to the end of the
    line.  The first ``n_int`` tokens of each row are exact int64 integers,
    the rest floating point.  Returns ``(ints, values, counts)``: an
    ``(nrows, n_int)`` int64 array, all rows' floats concatenated, and the
    number of floats in each row.

``parse_nested_lists(data, dtype=numpy.float64)``
    One Python/JSON list literal (``[1.0, 2.5]``, ``[[1, 2], [3]]``) or
    PostgreSQL array literal (``{1,2}``).  Returns ``(values, lengths)``: the
    numbers of every innermost list concatenated, and each innermost list's
    length.

Floats are parsed exactly (correctly rounded to float64): decimal numbers
with at most 19 significant digits, a mantissa below 2**53 and a decimal
exponent within ±22 take the exact fast path (one IEEE multiply or divide of
exact operands); anything else (longer mantissas, huge exponents, ``nan``,
``inf``) goes through the C library's ``strtod``.
"""
import numpy as np

cimport numpy as cnp
from libc.stdlib cimport free, malloc, realloc, strtod
from libc.stdint cimport int64_t, uint64_t
from libc.string cimport memcpy

cnp.import_array()

cdef double[23] _POW10 = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
                          1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22]
cdef uint64_t _MAX_EXACT = 9007199254740992  # 2**53


cdef inline bint _is_space(char c) nogil:
    return c == c' ' or c == c'\t' or c == c'\r' or c == c',' or c == c'\v' or c == c'\f'


cdef inline bint _is_digit(char c) nogil:
    return c'0' <= c <= c'9'


cdef inline bint _ends_token(char c) nogil:
    return (c == 0 or c == c' ' or c == c'\t' or c == c'\r' or c == c'\n' or c == c','
            or c == c']' or c == c'}' or c == c')' or c == c'#' or c == c'\v' or c == c'\f')


cdef const char* _parse_double(const char* p, double* out) noexcept nogil:
    """Parse one float at ``p``; return the end of the token or NULL if it is
    not a number.  The buffer is NUL-terminated (a Python bytes object)."""
    cdef const char* s = p
    cdef bint neg = False
    cdef uint64_t mant = 0
    cdef int ndig = 0, nsig = 0, dexp = 0, e = 0, esign = 1
    cdef bint any_digit = False
    cdef double value
    cdef char* endp
    if s[0] == c'-':
        neg = True
        s += 1
    elif s[0] == c'+':
        s += 1
    while _is_digit(s[0]):
        any_digit = True
        if nsig or s[0] != c'0':
            nsig += 1
            if nsig <= 19:
                mant = mant * 10 + <uint64_t>(s[0] - c'0')
            else:
                dexp += 1
        s += 1
    if s[0] == c'.':
        s += 1
        while _is_digit(s[0]):
            any_digit = True
            if nsig or s[0] != c'0':
                nsig += 1
                if nsig <= 19:
                    mant = mant * 10 + <uint64_t>(s[0] - c'0')
                    dexp -= 1
            else:
                dexp -= 1
            s += 1
    if not any_digit:
        return _parse_slow(p, out)
    if s[0] == c'e' or s[0] == c'E':
        s += 1
        if s[0] == c'-':
            esign = -1
            s += 1
        elif s[0] == c'+':
            s += 1
        if not _is_digit(s[0]):
            return NULL
        while _is_digit(s[0]):
            if e < 100000:
                e = e * 10 + (s[0] - c'0')
            s += 1
        dexp += esign * e
    if not _ends_token(s[0]):
        return NULL
    if nsig > 19 or mant > _MAX_EXACT or dexp > 22 or dexp < -22:
        return _parse_slow(p, out)
    value = <double>mant
    if dexp >= 0:
        value = value * _POW10[dexp]
    else:
        value = value / _POW10[-dexp]
    out[0] = -value if neg else value
    return s


cdef const char* _parse_slow(const char* p, double* out) noexcept nogil:
    cdef char* endp
    out[0] = strtod(p, &endp)
    if endp == p or not _ends_token(endp[0]):
        return NULL
    return endp


cdef const char* _parse_int(const char* p, int64_t* out) noexcept nogil:
    cdef const char* s = p
    cdef bint neg = False
    cdef uint64_t v = 0
    cdef int n = 0
    if s[0] == c'-':
        neg = True
        s += 1
    elif s[0] == c'+':
        s += 1
    while _is_digit(s[0]):
        v = v * 10 + <uint64_t>(s[0] - c'0')
        n += 1
        s += 1
    if n == 0 or n > 19 or not _ends_token(s[0]) or v > (<uint64_t>9223372036854775807 + neg):
        return NULL
    out[0] = -<int64_t>v if neg else <int64_t>v
    return s


cdef class _Growable:
    """A malloc'ed buffer of doubles or int64 that doubles when full."""
    cdef void* data
    cdef Py_ssize_t n, cap, item

    def __cinit__(self, Py_ssize_t cap, Py_ssize_t item):
        self.cap = cap if cap > 16 else 16
        self.item = item
        self.n = 0
        self.data = malloc(self.cap * item)
        if self.data == NULL:
            raise MemoryError()

    def __dealloc__(self):
        free(self.data)

    cdef int grow(self) except -1:
        cdef void* new = realloc(self.data, 2 * self.cap * self.item)
        if new == NULL:
            raise MemoryError()
        self.data = new
        self.cap *= 2
        return 0

    cdef object to_array(self, object dtype):
        cdef cnp.ndarray out
        if self.item == 8 and dtype is np.int64:
            out = np.empty(self.n, np.int64)
            if self.n:
                memcpy(cnp.PyArray_DATA(out), self.data, self.n * 8)
            return out
        out = np.empty(self.n, np.float64)
        if self.n:
            memcpy(cnp.PyArray_DATA(out), self.data, self.n * 8)
        return out if dtype is np.float64 else out.astype(dtype)


cdef object _token(const char* p):
    """The token at ``p`` (for error messages), never reading past the end."""
    cdef Py_ssize_t n = 0
    while n < 30 and not _ends_token(p[n]):
        n += 1
    return (<bytes>p[:n]).decode("ascii", "replace")


cdef int _line_of(const char* start, const char* p) noexcept nogil:
    cdef int line = 1
    while start < p:
        if start[0] == c'\n':
            line += 1
        start += 1
    return line


cdef object _as_bytes(object data):
    if isinstance(data, bytes):
        return data
    if isinstance(data, str):
        return (<str>data).encode("ascii", "replace")
    return bytes(data)


def parse_rows(data, int n_int=0, dtype=np.float64):
    """Rows of numbers (see the module docstring); returns ``(ints, values, counts)``."""
    if n_int < 0:
        raise ValueError("n_int must be >= 0")
    cdef bytes buf = _as_bytes(data)
    cdef const char* start = buf
    cdef const char* p = start
    cdef const char* q
    cdef Py_ssize_t size = len(buf)
    cdef _Growable vals = _Growable(size // 8 + 16, 8)
    cdef _Growable ints = _Growable(16, 8)
    cdef _Growable counts = _Growable(16, 8)
    cdef double* vp
    cdef int64_t* ip
    cdef int64_t* cp
    cdef int64_t nrow = 0, ntok
    cdef int k
    while p[0] != 0:
        # skip separators and blank lines
        while _is_space(p[0]) or p[0] == c'\n':
            p += 1
        if p[0] == 0:
            break
        if p[0] == c'#':
            while p[0] != 0 and p[0] != c'\n':
                p += 1
            continue
        # one row
        for k in range(n_int):
            while _is_space(p[0]):
                p += 1
            if ints.n == ints.cap:
                ints.grow()
            ip = <int64_t*>ints.data
            q = _parse_int(p, &ip[ints.n])
            if q == NULL:
                raise ValueError(f"line {_line_of(start, p)}: expected {n_int} integers at the start of the row")
            ints.n += 1
            p = q
        ntok = 0
        while True:
            while _is_space(p[0]):
                p += 1
            if p[0] == 0 or p[0] == c'\n' or p[0] == c'#':
                break
            if vals.n == vals.cap:
                vals.grow()
            vp = <double*>vals.data
            q = _parse_double(p, &vp[vals.n])
            if q == NULL:
                raise ValueError(f"line {_line_of(start, p)}: {_token(p)!r} is not a number")
            vals.n += 1
            ntok += 1
            p = q
        if p[0] == c'#':
            while p[0] != 0 and p[0] != c'\n':
                p += 1
        if counts.n == counts.cap:
            counts.grow()
        cp = <int64_t*>counts.data
        cp[counts.n] = ntok
        counts.n += 1
        nrow += 1
    return (ints.to_array(np.int64).reshape(nrow, n_int), vals.to_array(dtype), counts.to_array(np.int64))


def parse_nested_lists(data, dtype=np.float64):
    """One nested list literal (see the module docstring); returns ``(values, lengths)``."""
    cdef bytes buf = _as_bytes(data)
    cdef const char* start = buf
    cdef const char* p = start
    cdef const char* q
    cdef Py_ssize_t size = len(buf)
    cdef _Growable vals = _Growable(size // 8 + 16, 8)
    cdef _Growable lengths = _Growable(16, 8)
    cdef double* vp
    cdef int64_t* lp
    cdef int depth = 0, maxdepth = 64
    cdef int64_t[64] count
    cdef bint[64] has_sub
    cdef bint seen = False
    while True:
        while _is_space(p[0]) or p[0] == c'\n':
            p += 1
        if p[0] == 0:
            break
        if p[0] == c'[' or p[0] == c'{' or p[0] == c'(':
            if seen and depth == 0:
                raise ValueError(f"line {_line_of(start, p)}: text after the end of the list")
            if depth and count[depth - 1]:
                raise ValueError(f"line {_line_of(start, p)}: a list mixes numbers and lists")
            if depth == maxdepth:
                raise ValueError("lists nested too deeply")
            if depth:
                has_sub[depth - 1] = True
            count[depth] = 0
            has_sub[depth] = False
            depth += 1
            seen = True
            p += 1
        elif p[0] == c']' or p[0] == c'}' or p[0] == c')':
            if depth == 0:
                raise ValueError(f"line {_line_of(start, p)}: unbalanced closing bracket")
            depth -= 1
            if not has_sub[depth]:
                if lengths.n == lengths.cap:
                    lengths.grow()
                lp = <int64_t*>lengths.data
                lp[lengths.n] = count[depth]
                lengths.n += 1
            p += 1
        else:
            if depth == 0:
                raise ValueError(f"line {_line_of(start, p)}: expected a list, found {_token(p)!r}")
            if has_sub[depth - 1]:
                raise ValueError(f"line {_line_of(start, p)}: a list mixes numbers and lists")
            if vals.n == vals.cap:
                vals.grow()
            vp = <double*>vals.data
            q = _parse_double(p, &vp[vals.n])
            if q == NULL:
                raise ValueError(f"line {_line_of(start, p)}: {_token(p)!r} is not a number")
            vals.n += 1
            count[depth - 1] += 1
            p = q
    if depth:
        raise ValueError("unterminated list")
    if not seen:
        raise ValueError("no list found")
    return vals.to_array(dtype), lengths.to_array(np.int64)
