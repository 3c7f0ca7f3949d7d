"""Presentation context negotiation, both sides (PS3.8 §7.1.1.13, §9.3.2.2, §9.3.3.2).

The requestor proposes an abstract syntax with transfer syntaxes in its order of
preference; the acceptor answers each context with a result and one transfer syntax.
:func:`match_contexts` reads the answer as the requestor; :class:`AcceptorPolicy` and
:func:`evaluate_request` decide the answer as the acceptor.
"""

from dataclasses import dataclass, field

from dul.codes import ContextResult, RejectResult, RejectSource, describe_context_result
from dul.items import DICOM_APPLICATION_CONTEXT, PresentationContextAC, PresentationContextRQ


@dataclass(frozen=True, slots=True)
class NegotiatedContext:
    """One presentation context after negotiation."""

    context_id: int
    abstract_syntax: str
    transfer_syntax: str | None
    result: int

    @property
    def accepted(self) -> bool:
        return self.result == ContextResult.ACCEPTANCE and self.transfer_syntax is not None

    @property
    def description(self) -> str:
        return f"{self.abstract_syntax}: {describe_context_result(self.result)}"


def match_contexts(
    proposed: tuple[PresentationContextRQ, ...], answered: tuple[PresentationContextAC, ...]
) -> dict[int, NegotiatedContext]:
    """Join the acceptor's answers to what we proposed, by context ID.

    A context the acceptor did not answer counts as rejected (no reason), and an
    acceptance naming a transfer syntax we never offered is not usable: we could not
    decode what the peer sends on it.
    """
    answers = {a.context_id: a for a in answered}
    result = {}
    for context in proposed:
        answer = answers.get(context.context_id)
        if answer is None:
            result[context.context_id] = NegotiatedContext(
                context.context_id, context.abstract_syntax, None, ContextResult.NO_REASON
            )
            continue
        usable = answer.accepted and answer.transfer_syntax in context.transfer_syntaxes
        result[context.context_id] = NegotiatedContext(
            context.context_id,
            context.abstract_syntax,
            answer.transfer_syntax if usable else None,
            answer.result if not answer.accepted or usable else ContextResult.NO_REASON,
        )
    return result


@dataclass(frozen=True, slots=True)
class Reject:
    """The acceptor's A-ASSOCIATE-RJ decision."""

    result: int
    source: int
    reason: int


@dataclass(frozen=True, slots=True)
class Accept:
    """The acceptor's A-ASSOCIATE-AC decision: one answer per proposed context, and
    the Maximum Length to announce when it is not the acceptor's usual one."""

    contexts: tuple[PresentationContextAC, ...]
    max_pdu_length: int | None = None


@dataclass(frozen=True)
class AcceptorPolicy:
    """What an acceptor agrees to.

    ``ae_title`` is the called AE title we answer to (``None`` answers to any);
    ``calling_ae_titles`` the peers we know (``None`` knows everyone).
    ``abstract_syntaxes`` maps each supported SOP class to the transfer syntaxes we
    accept for it; the requestor's order of preference picks among them.
    """

    abstract_syntaxes: dict[str, tuple[str, ...]]
    ae_title: str | None = None
    calling_ae_titles: frozenset[str] | None = None
    require_an_accepted_context: bool = False
    extra: dict = field(default_factory=dict)


def evaluate_request(
    called_ae_title: str,
    calling_ae_title: str,
    application_context: str,
    contexts: tuple[PresentationContextRQ, ...],
    policy: AcceptorPolicy,
) -> Accept | Reject:
    """Decide how to answer an A-ASSOCIATE-RQ, with the result/source/reason PS3.8
    Table 9-21 gives for each refusal."""
    permanent, user = RejectResult.PERMANENT, RejectSource.SERVICE_USER
    if application_context != DICOM_APPLICATION_CONTEXT:
        return Reject(permanent, user, 2)
    if policy.ae_title is not None and called_ae_title.strip() != policy.ae_title.strip():
        return Reject(permanent, user, 7)
    if policy.calling_ae_titles is not None and calling_ae_title.strip() not in {
        t.strip() for t in policy.calling_ae_titles
    }:
        return Reject(permanent, user, 3)
    answers = []
    for context in contexts:
        supported = policy.abstract_syntaxes.get(context.abstract_syntax)
        if supported is None:
            answers.append(
                PresentationContextAC(
                    context.context_id, ContextResult.ABSTRACT_SYNTAX_NOT_SUPPORTED, ""
                )
            )
            continue
        chosen = next((ts for ts in context.transfer_syntaxes if ts in supported), None)
        if chosen is None:
            answers.append(
                PresentationContextAC(
                    context.context_id, ContextResult.TRANSFER_SYNTAXES_NOT_SUPPORTED, ""
                )
            )
        else:
            answers.append(
                PresentationContextAC(context.context_id, ContextResult.ACCEPTANCE, chosen)
            )
    if policy.require_an_accepted_context and not any(a.accepted for a in answers):
        return Reject(permanent, user, 1)
    return Accept(tuple(answers))
