"""Build the Cython extensions in ``sasnets/_ext``.

Metadata lives in ``pyproject.toml``; this file only declares the compiled
modules.  Every ``sasnets/_ext/*.pyx`` becomes ``sasnets._ext.<name>``.  Set
``SASNETS_NO_EXT=1`` at build time to skip compilation (the pure-Python
reference implementations are then used).
"""
import glob
import os

from setuptools import setup


def _extensions():
    if os.environ.get("SASNETS_NO_EXT"):
        return []
    import numpy
    from Cython.Build import cythonize
    from setuptools import Extension

    sources = sorted(glob.glob(os.path.join("sasnets", "_ext", "*.pyx")))
    modules = [
        Extension(
            "sasnets._ext." + os.path.splitext(os.path.basename(src))[0],
            [src],
            include_dirs=[numpy.get_include()],
            define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        )
        for src in sources
    ]
    return cythonize(modules, language_level=3, quiet=True)


setup(ext_modules=_extensions())
