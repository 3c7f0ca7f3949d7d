"""Cython kernels on the pixel path. Every kernel releases the GIL."""
