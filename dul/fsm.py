"""The Upper Layer state machine of PS3.8 §9.2, as data.

:data:`STATES`, :data:`EVENTS` and :data:`ACTIONS` are Tables 9-1 to 9-9, and
:data:`TABLE_9_10` is the state transition table, written below as the standard
prints it (events down, states across) so the two can be read side by side. The
association object (:mod:`dul.association`) looks up every transition here and runs
the named action; nothing about transitions is decided anywhere else.

A "." is a cell the standard leaves empty. Some of those can still happen to a real
program (a local abort before the association exists, an ARTIM timer that fires as
it is being stopped, the transport closing in Sta1). :data:`UNDEFINED_CELL_POLICY`
says what we do there; every other empty cell is a local programming error.
"""

STATES = {
    "Sta1": "Idle",
    "Sta2": "Transport connection open (Awaiting A-ASSOCIATE-RQ PDU)",
    "Sta3": "Awaiting local A-ASSOCIATE response primitive (from local user)",
    "Sta4": "Awaiting transport connection opening to complete (from local transport service)",
    "Sta5": "Awaiting A-ASSOCIATE-AC or A-ASSOCIATE-RJ PDU",
    "Sta6": "Association established and ready for data transfer",
    "Sta7": "Awaiting A-RELEASE-RP PDU",
    "Sta8": "Awaiting local A-RELEASE response primitive (from local user)",
    "Sta9": "Release collision requestor side; awaiting A-RELEASE response (from local user)",
    "Sta10": "Release collision acceptor side; awaiting A-RELEASE-RP PDU",
    "Sta11": "Release collision requestor side; awaiting A-RELEASE-RP PDU",
    "Sta12": "Release collision acceptor side; awaiting A-RELEASE response primitive",
    "Sta13": "Awaiting Transport Connection Close Indication (Association no longer exists)",
}

EVENTS = {
    "Evt1": "A-ASSOCIATE Request (local user)",
    "Evt2": "Transport Connect Confirm (local transport service)",
    "Evt3": "A-ASSOCIATE-AC PDU (received on transport connection)",
    "Evt4": "A-ASSOCIATE-RJ PDU (received on transport connection)",
    "Evt5": "Transport Connection Indication (local transport service)",
    "Evt6": "A-ASSOCIATE-RQ PDU (received on transport connection)",
    "Evt7": "A-ASSOCIATE-response primitive (accept)",
    "Evt8": "A-ASSOCIATE-response primitive (reject)",
    "Evt9": "P-DATA request primitive",
    "Evt10": "P-DATA-TF PDU",
    "Evt11": "A-RELEASE Request primitive",
    "Evt12": "A-RELEASE-RQ PDU (received on open transport connection)",
    "Evt13": "A-RELEASE-RP PDU (received on transport connection)",
    "Evt14": "A-RELEASE Response primitive",
    "Evt15": "A-ABORT Request primitive",
    "Evt16": "A-ABORT PDU (received on open transport connection)",
    "Evt17": "Transport connection closed indication (local transport service)",
    "Evt18": "ARTIM timer expired (Association reject/release timer)",
    "Evt19": "Unrecognized or invalid PDU received",
}

# Action -> (definition from PS3.8 Tables 9-6 to 9-9, next state). AE-6 and AR-8 choose
# between two next states; the association object decides which, as the definition says.
ACTIONS = {
    "AE-1": ("Issue TRANSPORT CONNECT request primitive to local transport service", "Sta4"),
    "AE-2": ("Send A-ASSOCIATE-RQ-PDU", "Sta5"),
    "AE-3": ("Issue A-ASSOCIATE confirmation (accept) primitive", "Sta6"),
    "AE-4": ("Issue A-ASSOCIATE confirmation (reject) primitive and close transport", "Sta1"),
    "AE-5": ("Issue Transport connection response primitive; start ARTIM timer", "Sta2"),
    "AE-6": (
        "Stop ARTIM timer and if A-ASSOCIATE-RQ acceptable by service-provider: issue "
        "A-ASSOCIATE indication primitive (Sta3); otherwise issue A-ASSOCIATE-RJ-PDU and "
        "start ARTIM timer (Sta13)",
        "Sta3|Sta13",
    ),
    "AE-7": ("Send A-ASSOCIATE-AC PDU", "Sta6"),
    "AE-8": ("Send A-ASSOCIATE-RJ PDU and start ARTIM timer", "Sta13"),
    "DT-1": ("Send P-DATA-TF PDU", "Sta6"),
    "DT-2": ("Send P-DATA indication primitive", "Sta6"),
    "AR-1": ("Send A-RELEASE-RQ PDU", "Sta7"),
    "AR-2": ("Issue A-RELEASE indication primitive", "Sta8"),
    "AR-3": ("Issue A-RELEASE confirmation primitive, and close transport connection", "Sta1"),
    "AR-4": ("Issue A-RELEASE-RP PDU and start ARTIM timer", "Sta13"),
    "AR-5": ("Stop ARTIM timer", "Sta1"),
    "AR-6": ("Issue P-DATA indication", "Sta7"),
    "AR-7": ("Issue P-DATA-TF PDU", "Sta8"),
    "AR-8": (
        "Issue A-RELEASE indication (release collision): if association-requestor, next "
        "state is Sta9, if not Sta10",
        "Sta9|Sta10",
    ),
    "AR-9": ("Send A-RELEASE-RP PDU", "Sta11"),
    "AR-10": ("Issue A-RELEASE confirmation primitive", "Sta12"),
    "AA-1": (
        "Send A-ABORT PDU (service-user source) and start (or restart if already started) "
        "ARTIM timer",
        "Sta13",
    ),
    "AA-2": ("Stop ARTIM timer if running. Close transport connection", "Sta1"),
    "AA-3": (
        "If (service-user initiated abort): issue A-ABORT indication and close transport "
        "connection; otherwise (service-provider initiated abort): issue A-P-ABORT "
        "indication and close transport connection",
        "Sta1",
    ),
    "AA-4": ("Issue A-P-ABORT indication primitive", "Sta1"),
    "AA-5": ("Stop ARTIM timer", "Sta1"),
    "AA-6": ("Ignore PDU", "Sta13"),
    "AA-7": ("Send A-ABORT PDU", "Sta13"),
    "AA-8": (
        "Send A-ABORT PDU (service-provider source), issue an A-P-ABORT indication, and "
        "start ARTIM timer",
        "Sta13",
    ),
}

_TABLE_9_10_TEXT = """
        Sta1  Sta2  Sta3  Sta4  Sta5  Sta6  Sta7  Sta8  Sta9  Sta10 Sta11 Sta12 Sta13
Evt1    AE-1  .     .     .     .     .     .     .     .     .     .     .     .
Evt2    .     .     .     AE-2  .     .     .     .     .     .     .     .     .
Evt3    .     AA-1  AA-8  .     AE-3  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-6
Evt4    .     AA-1  AA-8  .     AE-4  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-6
Evt5    AE-5  .     .     .     .     .     .     .     .     .     .     .     .
Evt6    .     AE-6  AA-8  .     AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-7
Evt7    .     .     AE-7  .     .     .     .     .     .     .     .     .     .
Evt8    .     .     AE-8  .     .     .     .     .     .     .     .     .     .
Evt9    .     .     .     .     .     DT-1  .     AR-7  .     .     .     .     .
Evt10   .     AA-1  AA-8  .     AA-8  DT-2  AR-6  AA-8  AA-8  AA-8  AA-8  AA-8  AA-6
Evt11   .     .     .     .     .     AR-1  .     .     .     .     .     .     .
Evt12   .     AA-1  AA-8  .     AA-8  AR-2  AR-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-6
Evt13   .     AA-1  AA-8  .     AA-8  AA-8  AR-3  AA-8  AA-8  AR-10 AR-3  AA-8  AA-6
Evt14   .     .     .     .     .     .     .     AR-4  AR-9  .     .     AR-4  .
Evt15   .     .     AA-1  AA-2  AA-1  AA-1  AA-1  AA-1  AA-1  AA-1  AA-1  AA-1  .
Evt16   .     AA-2  AA-3  .     AA-3  AA-3  AA-3  AA-3  AA-3  AA-3  AA-3  AA-3  AA-2
Evt17   .     AA-5  AA-4  AA-4  AA-4  AA-4  AA-4  AA-4  AA-4  AA-4  AA-4  AA-4  AR-5
Evt18   .     AA-2  .     .     .     .     .     .     .     .     .     .     AA-2
Evt19   .     AA-1  AA-8  .     AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-7
"""


def _parse_grid(text: str) -> dict[tuple[str, str], str]:
    lines = [line.split() for line in text.strip().splitlines()]
    states = lines[0]
    table = {}
    for row in lines[1:]:
        event, cells = row[0], row[1:]
        if len(cells) != len(states):
            raise AssertionError(f"row {event} of Table 9-10 has {len(cells)} cells")
        for state, action in zip(states, cells, strict=True):
            if action != ".":
                table[(event, state)] = action
    return table


TABLE_9_10: dict[tuple[str, str], str] = _parse_grid(_TABLE_9_10_TEXT)
"""(event, state) -> action, for the 123 cells PS3.8 Table 9-10 defines."""

# What we do in the empty cells that a running program can reach. The key is (event,
# state); the value is an action of ACTIONS or "ignore". Anything not here and not in
# TABLE_9_10 raises LocalProtocolError: it can only come from a caller's mistake.
UNDEFINED_CELL_POLICY: dict[tuple[str, str], str] = {
    # A local abort while we wait for a peer's A-ASSOCIATE-RQ: just close (as DCMTK).
    ("Evt15", "Sta2"): "AA-2",
    # A local abort when nothing exists, or when the association is already gone.
    ("Evt15", "Sta1"): "ignore",
    ("Evt15", "Sta13"): "ignore",
    # The transport reports closing when we have none, or twice.
    ("Evt17", "Sta1"): "ignore",
    # ARTIM fires in a state that does not run it: it raced with being stopped.
    **{("Evt18", f"Sta{n}"): "ignore" for n in (1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)},
}
