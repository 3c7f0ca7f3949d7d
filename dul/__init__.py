"""The DICOM Upper Layer (PS3.8), sans-I/O.

Bytes in, events out; primitives in, bytes out. Nothing in this package opens a
socket except :mod:`dul.net`, which drives the same association object over asyncio.
This package imports the standard library only.
"""
