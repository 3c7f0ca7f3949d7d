"""The Annex H rules, one module per SOP class: a handler takes the association's
:class:`~hcs.vprinter.session.PrintSession`, the presentation context and the request,
and returns a :class:`~hcs.vprinter.replies.Reply` (or raises
:class:`~hcs.vprinter.replies.Failure`). :data:`hcs.vprinter.dispatch.HANDLERS` says which
handler answers which SOP class and operation.
"""
