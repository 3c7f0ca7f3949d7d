"""Data sets <-> bytes in the presentation context's transfer syntax, through pydicom.

Only the two little endian uncompressed transfer syntaxes are supported: implicit VR
(every peer must accept it, PS3.5 §10.1) and explicit VR. Anything else is a
``ValueError``, since the caller chose it when it negotiated the association.

Encoding a bad ``Dataset`` is our mistake and raises ``ValueError``. Decoding a peer's
bytes first checks their structure (:mod:`dimse.dataset_structure`, because pydicom
reads truncated data without complaint), then parses every element eagerly so that a
malformed value fails here, as :class:`~dimse.errors.DIMSEProtocolError`, rather than
later in whoever reads the attribute.
"""

from io import BytesIO

from pydicom.dataset import Dataset
from pydicom.filebase import DicomBytesIO
from pydicom.filereader import read_dataset
from pydicom.filewriter import write_dataset

from dimse import uids
from dimse.dataset_structure import check_dataset_structure
from dimse.errors import DIMSEProtocolError

_IMPLICIT_VR = {uids.IMPLICIT_VR_LITTLE_ENDIAN: True, uids.EXPLICIT_VR_LITTLE_ENDIAN: False}


def is_implicit_vr(transfer_syntax_uid: str) -> bool:
    """Whether the transfer syntax is implicit VR; ``ValueError`` if we do not support it."""
    try:
        return _IMPLICIT_VR[transfer_syntax_uid]
    except KeyError:
        raise ValueError(
            f"unsupported transfer syntax {uids.uid_name(transfer_syntax_uid)};"
            " dimse speaks implicit and explicit VR little endian only"
        ) from None


def encode_dataset(dataset: Dataset, transfer_syntax_uid: str) -> bytes:
    """Encode ``dataset`` for a P-DATA value; ``ValueError`` if pydicom cannot encode it.

    pydicom may resolve ambiguous VRs (OB/OW, US/SS) in ``dataset`` itself, as its own
    writer always does.
    """
    implicit = is_implicit_vr(transfer_syntax_uid)
    fp = DicomBytesIO()
    fp.is_little_endian = True
    fp.is_implicit_VR = implicit
    try:
        write_dataset(fp, dataset)
    except Exception as exc:  # pydicom raises what it likes: AttributeError, TypeError, ...
        raise ValueError(
            f"cannot encode the data set in {uids.uid_name(transfer_syntax_uid)}: {exc}"
        ) from exc
    return fp.getvalue()


def _convert_all(dataset: Dataset) -> None:
    """Turn every raw element into a real one, so that bad values fail now."""
    for element in dataset:  # iterating converts raw elements
        if element.VR == "SQ":
            for item in element.value:
                _convert_all(item)


def decode_dataset(data: bytes | bytearray | memoryview, transfer_syntax_uid: str) -> Dataset:
    """Decode a peer's data set; :class:`DIMSEProtocolError` if it is malformed."""
    implicit = is_implicit_vr(transfer_syntax_uid)
    check_dataset_structure(data, implicit)
    try:
        dataset = read_dataset(BytesIO(data), is_implicit_VR=implicit, is_little_endian=True)
        _convert_all(dataset)
    except Exception as exc:  # any failure inside pydicom means the bytes were bad
        raise DIMSEProtocolError(f"cannot decode the data set: {exc}") from exc
    if dataset.original_encoding[0] is not implicit:
        raise DIMSEProtocolError(
            f"the data set is not encoded in {uids.uid_name(transfer_syntax_uid)}"
        )
    return dataset
