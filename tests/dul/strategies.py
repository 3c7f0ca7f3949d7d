"""Hypothesis strategies for the Upper Layer: AE titles, UIDs, items, sub-items and PDUs.

Every value drawn here encodes, and decodes back to itself: AE titles carry no leading or
trailing space (the decoder strips them, PS3.8 Table 9-11), UIDs and names no trailing
space or NUL (the decoder strips padding), and User Information stays well under the
65535 bytes its 2-byte item length can hold.
"""

import itertools
import string

from hypothesis import strategies as st

from dul.items import (
    PresentationContextAC,
    PresentationContextRQ,
    RoleSelection,
    SOPClassCommonExtendedNegotiation,
    SOPClassExtendedNegotiation,
    UserIdentityAC,
    UserIdentityRQ,
    UserInformation,
)
from dul.pdu import (
    AAbort,
    AAssociateAC,
    AAssociateRJ,
    AAssociateRQ,
    AReleaseRP,
    AReleaseRQ,
    PDataTF,
)
from dul.pdu_values import PresentationDataValue

# PS3.5 Table 6.2-1, AE: default repertoire, no backslash, no control characters.
AE_CHARACTERS = "".join(chr(c) for c in range(0x20, 0x7F) if chr(c) != "\\")

ae_titles = st.text(alphabet=AE_CHARACTERS, min_size=1, max_size=16).map(str.strip).filter(bool)
"""1 to 16 printable characters, no backslash, not all spaces, no edge spaces."""

# str(int) never has a leading zero; mostly short components, sometimes long ones.
_uid_components = (st.integers(0, 99) | st.integers(0, 10**15)).map(str)
uids = (
    st.lists(_uid_components, min_size=2, max_size=12)
    .map(".".join)
    .filter(lambda uid: len(uid) <= 64)
)
"""Valid UIDs (PS3.5 §9.1): digits and dots, no leading zeros, at most 64 characters."""

version_names = (
    st.text(alphabet=string.ascii_letters + string.digits + "_. -", min_size=1, max_size=16)
    .map(str.rstrip)
    .filter(bool)
)
u8s = st.integers(0, 0xFF)
u16s = st.integers(0, 0xFFFF)
u32s = st.integers(0, 0xFFFFFFFF)
odd_context_ids = st.integers(0, 127).map(lambda n: 2 * n + 1)
small_bytes = st.binary(max_size=64)


@st.composite
def unique_context_ids(draw: st.DrawFn, min_size: int = 0, max_size: int = 5) -> list[int]:
    return draw(st.lists(odd_context_ids, min_size=min_size, max_size=max_size, unique=True))


@st.composite
def presentation_contexts_rq(draw: st.DrawFn, context_id: int | None = None):
    return PresentationContextRQ(
        context_id if context_id is not None else draw(odd_context_ids),
        draw(uids),
        tuple(draw(st.lists(uids, min_size=1, max_size=3))),
    )


@st.composite
def presentation_contexts_ac(draw: st.DrawFn, context_id: int | None = None):
    result = draw(st.integers(0, 4))
    # A rejected context's transfer syntax "shall not be tested": often empty.
    transfer = draw(uids) if result == 0 else draw(st.one_of(st.just(""), uids))
    return PresentationContextAC(
        context_id if context_id is not None else draw(odd_context_ids), result, transfer
    )


role_selections = st.builds(RoleSelection, uids, st.booleans(), st.booleans())
extended_negotiations = st.builds(SOPClassExtendedNegotiation, uids, small_bytes)
common_extended_negotiations = st.builds(
    SOPClassCommonExtendedNegotiation,
    uids,
    uids,
    st.lists(uids, max_size=2).map(tuple),
)
user_identities_rq = st.builds(
    UserIdentityRQ, st.integers(1, 5) | u8s, st.booleans(), small_bytes, small_bytes
)
user_identities_ac = st.builds(UserIdentityAC, small_bytes)


def _maybe(strategy: st.SearchStrategy) -> st.SearchStrategy:
    return st.none() | strategy


user_informations = st.builds(
    UserInformation,
    max_length=_maybe(u32s),
    implementation_class_uid=_maybe(uids),
    implementation_version_name=_maybe(version_names),
    async_operations_window=_maybe(st.tuples(u16s, u16s)),
    role_selections=st.lists(role_selections, max_size=3).map(tuple),
    extended_negotiations=st.lists(extended_negotiations, max_size=2).map(tuple),
    common_extended_negotiations=st.lists(common_extended_negotiations, max_size=2).map(tuple),
    user_identity_rq=_maybe(user_identities_rq),
    user_identity_ac=_maybe(user_identities_ac),
)
"""User Information with every combination of sub-items present or absent."""


@st.composite
def associate_rqs(draw: st.DrawFn) -> AAssociateRQ:
    ids = draw(unique_context_ids(min_size=1))
    return AAssociateRQ(
        called_ae_title=draw(ae_titles),
        calling_ae_title=draw(ae_titles),
        presentation_contexts=tuple(draw(presentation_contexts_rq(i)) for i in ids),
        user_information=draw(user_informations),
        application_context=draw(st.just("1.2.840.10008.3.1.1.1") | uids),
        protocol_version=draw(st.just(1) | u16s),
    )


@st.composite
def associate_acs(draw: st.DrawFn) -> AAssociateAC:
    ids = draw(unique_context_ids())
    return AAssociateAC(
        called_ae_title=draw(ae_titles),
        calling_ae_title=draw(ae_titles),
        presentation_contexts=tuple(draw(presentation_contexts_ac(i)) for i in ids),
        user_information=draw(user_informations),
        application_context=draw(st.just("1.2.840.10008.3.1.1.1") | uids),
        protocol_version=draw(st.just(1) | u16s),
    )


associate_rjs = st.builds(
    AAssociateRJ, st.integers(1, 2) | u8s, st.integers(1, 3) | u8s, st.integers(0, 10) | u8s
)
aborts = st.builds(AAbort, st.sampled_from([0, 1, 2]) | u8s, st.integers(0, 6) | u8s)
pdvs = st.builds(PresentationDataValue, odd_context_ids, st.booleans(), st.booleans(), st.binary())
pdata_tfs = st.lists(pdvs, min_size=1, max_size=6).map(tuple).map(PDataTF)

any_pdus = st.one_of(
    associate_rqs(),
    associate_acs(),
    associate_rjs,
    pdata_tfs,
    st.just(AReleaseRQ()),
    st.just(AReleaseRP()),
    aborts,
)
"""One of each of the seven PDUs of PS3.8 §9.3, with random contents."""


@st.composite
def chunkings(draw: st.DrawFn, data: bytes) -> list[bytes]:
    """``data`` cut at random places, as TCP might deliver it."""
    if not data:
        return [b""]
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=8)))
    bounds = [0, *cuts, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(bounds)]
