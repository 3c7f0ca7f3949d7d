"""Result, source and reason codes of PS3.8 §9.3, each with its meaning as a sentence.

The numbers are the bytes on the wire; the sentences are what we print when an
association is rejected or aborted, so a person sees both the DICOM terms and what
they mean.
"""

from enum import IntEnum


class RejectResult(IntEnum):
    """A-ASSOCIATE-RJ Result (PS3.8 Table 9-21)."""

    PERMANENT = 1
    TRANSIENT = 2


class RejectSource(IntEnum):
    """A-ASSOCIATE-RJ Source (PS3.8 Table 9-21)."""

    SERVICE_USER = 1
    SERVICE_PROVIDER_ACSE = 2
    SERVICE_PROVIDER_PRESENTATION = 3


class AbortSource(IntEnum):
    """A-ABORT Source (PS3.8 Table 9-26). 1 is reserved."""

    SERVICE_USER = 0
    RESERVED = 1
    SERVICE_PROVIDER = 2


class AbortReason(IntEnum):
    """A-ABORT Reason/Diag. when the source is the service provider (PS3.8 Table 9-26)."""

    NOT_SPECIFIED = 0
    UNRECOGNIZED_PDU = 1
    UNEXPECTED_PDU = 2
    RESERVED = 3
    UNRECOGNIZED_PDU_PARAMETER = 4
    UNEXPECTED_PDU_PARAMETER = 5
    INVALID_PDU_PARAMETER = 6


class ContextResult(IntEnum):
    """Presentation context result/reason in an A-ASSOCIATE-AC (PS3.8 Table 9-18)."""

    ACCEPTANCE = 0
    USER_REJECTION = 1
    NO_REASON = 2
    ABSTRACT_SYNTAX_NOT_SUPPORTED = 3
    TRANSFER_SYNTAXES_NOT_SUPPORTED = 4


REJECT_RESULT_MEANING = {
    1: "rejected-permanent: do not retry without changing the request",
    2: "rejected-transient: the peer may accept a later attempt",
}

REJECT_SOURCE_MEANING = {
    1: "DICOM UL service-user",
    2: "DICOM UL service-provider (ACSE related function)",
    3: "DICOM UL service-provider (Presentation related function)",
}

# Reason meanings depend on the source (PS3.8 Table 9-21).
REJECT_REASON_MEANING = {
    1: {
        1: "no-reason-given: the peer refused without saying why",
        2: (
            "application-context-name-not-supported: "
            "the peer does not speak DICOM's application context"
        ),
        3: "calling-AE-title-not-recognized: the peer does not know our AE title",
        7: "called-AE-title-not-recognized: the peer is not the AE title we called",
    },
    2: {
        1: "no-reason-given: the peer's Upper Layer refused without saying why",
        2: (
            "protocol-version-not-supported: "
            "the peer does not support our Upper Layer protocol version"
        ),
    },
    3: {
        1: "temporary-congestion: the peer is too busy now",
        2: "local-limit-exceeded: the peer has reached its limit of associations",
    },
}

ABORT_SOURCE_MEANING = {
    0: "DICOM UL service-user",
    1: "reserved source",
    2: "DICOM UL service-provider",
}

ABORT_REASON_MEANING = {
    0: "reason-not-specified",
    1: "unrecognized-PDU: a PDU of unknown type was received",
    2: "unexpected-PDU: a PDU arrived that is not allowed in the association's state",
    3: "reserved reason",
    4: "unrecognized-PDU-parameter: a PDU contained an item of unknown type",
    5: "unexpected-PDU-parameter: a PDU contained an item that is not allowed there",
    6: "invalid-PDU-parameter-value: a PDU contained a length or value that cannot be right",
}

CONTEXT_RESULT_MEANING = {
    0: "acceptance",
    1: "user-rejection: the peer chose not to accept this context",
    2: "no-reason (provider rejection)",
    3: "abstract-syntax-not-supported (provider rejection): the peer lacks this SOP class",
    4: "transfer-syntaxes-not-supported (provider rejection): none of ours is acceptable",
}


def describe_reject(result: int, source: int, reason: int) -> str:
    """One sentence for an A-ASSOCIATE-RJ, in DICOM terms and in plain words."""
    result_text = REJECT_RESULT_MEANING.get(result, f"unknown result {result}")
    source_text = REJECT_SOURCE_MEANING.get(source, f"unknown source {source}")
    reason_text = REJECT_REASON_MEANING.get(source, {}).get(reason, f"reserved reason {reason}")
    return (
        f"association rejected (result {result}, source {source}, reason {reason}): "
        f"{reason_text}; {result_text}; rejected by the {source_text}"
    )


def describe_abort(source: int, reason: int) -> str:
    """One sentence for an A-ABORT or A-P-ABORT."""
    source_text = ABORT_SOURCE_MEANING.get(source, f"unknown source {source}")
    if source == AbortSource.SERVICE_PROVIDER:
        reason_text = ABORT_REASON_MEANING.get(reason, f"unknown reason {reason}")
    else:
        reason_text = "no reason is given by a service-user abort"
    return (
        f"association aborted by the {source_text} (source {source}, reason {reason}): "
        f"{reason_text}"
    )


def describe_context_result(result: int) -> str:
    """The meaning of one presentation context result."""
    return CONTEXT_RESULT_MEANING.get(result, f"unknown result {result}")
