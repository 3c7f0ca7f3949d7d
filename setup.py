"""Build the Cython kernels under hcs/_fastpath/.

Every ``*.pyx`` there becomes an extension module. The default build is portable
(``-O3``); ``HCS_NATIVE=1`` adds ``-march=native`` for a machine-specific build.
A kernel that does not compile stops the build: there is no pure-Python fallback
that would silently make hcs slow.
"""

import glob
import os

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup

compile_args = ["-O3"]
if os.environ.get("HCS_NATIVE") == "1":
    compile_args.append("-march=native")

extensions = [
    Extension(
        name=path[:-4].replace(os.sep, "."),
        sources=[path],
        include_dirs=[numpy.get_include()],
        extra_compile_args=compile_args,
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    )
    for path in sorted(glob.glob(os.path.join("hcs", "_fastpath", "*.pyx")))
]

setup(
    ext_modules=cythonize(
        extensions,
        language_level=3,
        compiler_directives={"boundscheck": False, "wraparound": False, "cdivision": True},
    ),
)
