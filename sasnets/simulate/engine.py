"""Choosing and building sasmodels kernels.

``engine``:

``auto``
    a GPU through OpenCL (pyopencl) or CUDA (pycuda) when one is present,
    otherwise the compiled C kernel (DLL);
``opencl`` / ``cuda``
    that GPU route; the OpenCL device is chosen the way sasmodels chooses it
    (``SAS_OPENCL`` or ``PYOPENCL_CTX``);
``dll``
    the model compiled to a shared library with the system C compiler.

``precision``: ``auto`` computes in single precision where the model declares
that safe (sasmodels' ``single = True``; the rule sasmodels itself applies on
GPUs) and in double precision otherwise; ``single``, ``double``, ``fast``
(single with fast native math on GPUs) and ``long`` (long double, DLL only)
force one.  Stored intensities are float32 either way.

Each process builds a kernel once per (model, precision, engine) and keeps it
(:func:`get_kernel`).  DLL compilation is guarded by a file lock so parallel
workers never load a half-written library.
"""
from __future__ import annotations

import contextlib
import functools
import os

from ..errors import UsageError

__all__ = ["resolve_engine", "sasmodels_dtype", "get_kernel", "clear_kernel_cache"]

_PLATFORM = {"opencl": "ocl", "cuda": "cuda", "dll": "dll"}
_KERNELS: dict = {}


@functools.lru_cache(maxsize=None)
def _opencl_gpu_present() -> bool:
    try:
        import pyopencl as cl  # noqa: F401
    except Exception:
        return False
    try:
        return any(d.type & cl.device_type.GPU for p in cl.get_platforms() for d in p.get_devices())
    except Exception:
        return False


@functools.lru_cache(maxsize=None)
def _cuda_gpu_present() -> bool:
    try:
        import pycuda.driver as drv
        drv.init()
        return drv.Device.count() > 0
    except Exception:
        return False


def resolve_engine(engine: str = "auto") -> str:
    """The concrete engine (``opencl``, ``cuda`` or ``dll``) for ``engine``.

    An explicitly requested GPU engine that is not available is a
    :class:`UsageError`; ``auto`` falls back to ``dll`` silently.
    """
    if engine == "auto":
        if os.environ.get("SAS_OPENCL", "").lower() == "none":
            return "dll"
        if _opencl_gpu_present():
            return "opencl"
        if _cuda_gpu_present():
            return "cuda"
        return "dll"
    if engine == "opencl" and not _opencl_gpu_present():
        raise UsageError("--engine opencl needs pyopencl and an OpenCL GPU, and none was found; use --engine auto or dll.")
    if engine == "cuda" and not _cuda_gpu_present():
        raise UsageError("--engine cuda needs pycuda and a CUDA GPU, and none was found; use --engine auto or dll.")
    if engine not in _PLATFORM:
        raise UsageError(f"--engine must be auto, opencl, cuda or dll, not {engine!r}.")
    return engine


def sasmodels_dtype(info, precision: str, engine: str) -> str:
    """The sasmodels dtype name for ``precision`` on ``engine`` for model ``info``."""
    if precision == "auto":
        return "single" if info.single else "double"
    if precision == "long":
        if engine != "dll":
            raise UsageError("--precision long is only available with --engine dll.")
        return "quad"
    return precision


@contextlib.contextmanager
def _dll_lock(name: str):
    """Serialise DLL compilation of one model across processes (POSIX flock)."""
    try:
        import fcntl
        from sasmodels import kerneldll
    except ImportError:  # Windows: no flock; sasmodels compiles in place
        yield
        return
    lock_dir = os.path.abspath(kerneldll.SAS_DLL_PATH)
    os.makedirs(lock_dir, exist_ok=True)
    with open(os.path.join(lock_dir, f".sasnets-{name}.lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _build_dll(core, info, dtype, attempts: int = 3, wait: float = 1.0):
    """Build a DLL model under the lock; retry a load that fails because another
    program (not using the lock) is still writing the same library file."""
    import time

    for attempt in range(attempts):
        try:
            with _dll_lock(info.id):
                return core.build_model(info, dtype=dtype, platform="dll")
        except OSError:
            if attempt == attempts - 1:
                raise
            time.sleep(wait)


def get_kernel(model_ref: str, precision: str = "auto", engine: str = "dll"):
    """The built sasmodels ``KernelModel`` for a model name or file (cached per process).

    ``engine`` must be concrete (see :func:`resolve_engine`).
    """
    key = (model_ref, precision, engine)
    kernel = _KERNELS.get(key)
    if kernel is None:
        from sasmodels import core

        from .catalog import load_model_info

        info = load_model_info(model_ref)
        dtype = sasmodels_dtype(info, precision, engine)
        platform = _PLATFORM[engine]
        if platform == "dll":
            kernel = _build_dll(core, info, dtype)
        else:
            kernel = core.build_model(info, dtype=dtype, platform=platform)
        _KERNELS[key] = kernel
    return kernel


def clear_kernel_cache() -> None:
    """Forget built kernels (tests use this)."""
    _KERNELS.clear()
