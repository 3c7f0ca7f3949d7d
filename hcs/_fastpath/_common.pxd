# Shared helpers of the kernels: per-thread scratch memory and array layout
# checks (see _common.pyx for the reasons).

cimport numpy as cnp

cdef struct Rows:
    # A 2-D view of an array as rows of contiguous bytes.
    char* data          # first byte of row 0
    Py_ssize_t nrows
    Py_ssize_t rowbytes  # bytes of payload in one row
    Py_ssize_t stride    # bytes from one row to the next (may be negative)

cdef char* scratch(Py_ssize_t nbytes, int slot) except NULL
cdef cnp.ndarray as_array(object obj, str name)
cdef int check_writeable(cnp.ndarray arr, str name) except -1
cdef int flat_or_rows(cnp.ndarray arr, str name, Rows* rows) except -1
cdef int image_rows(cnp.ndarray arr, str name, Py_ssize_t pixbytes, Rows* rows) except -1
cdef int uint8_image(object arr, str name, Rows* rows, Py_ssize_t* h, Py_ssize_t* w) except -1
cdef bint rows_overlap(Rows* a, Rows* b) noexcept
