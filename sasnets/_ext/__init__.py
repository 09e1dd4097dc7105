"""Compiled (Cython) kernels.  Each has a pure-Python reference implementation
in the package that uses it; ``SASNETS_NO_EXT=1`` makes sasnets use the
references (and skips compiling these at build time)."""
