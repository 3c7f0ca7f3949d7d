"""Every fault the virtual printer injects, seen from a real SCU (pynetdicom, and our own
stack where pynetdicom hides the detail), and the printer ready for the next association."""

import pytest

from dimse import uids
from dul.net import AssociationAbortedError, AssociationRejectedError
from hcs.vprinter.faults import REJECT_REASONS, FaultPicker, parse_fault
from tests.hcs.vprinter.helpers import (
    Scu,
    background_printer,
    gray,
    print_one,
    read_json,
    run,
    running_printer,
)
from tests.hcs.vprinter.pyscu import Received, associate, print_job, release

REJECTIONS = [(source, reason) for source, reasons in REJECT_REASONS.items() for reason in reasons]


def assert_ready(printer) -> None:
    """A normal job on the next association prints."""
    result = print_job(printer.port)
    assert result["n_action"] == 0 and result["n_delete"] == 0, result["statuses"]


@pytest.mark.parametrize(("source", "reason"), REJECTIONS)
def test_reject_with_each_source_and_reason(tmp_path, source, reason):
    result_code = 1 if reason % 2 else 2
    fault = f"reject:result={result_code},source={source},reason={reason},calling_ae=REJECT_ME"
    with background_printer(tmp_path, [fault]) as printer:
        for _ in range(3):  # pynetdicom 3.0.4 now and then reports an abort for a rejection
            result = print_job(printer.port, calling_ae="REJECT_ME")
            if result["rejected"]:
                break
        assert result["rejected"] and result["reject"] == (result_code, source, reason)
        assert_ready(printer)
        printer.wait_idle()
    assert read_json(tmp_path / "associations" / "a0001.json")["end"] == "rejected"


def test_calling_ae_title_check_and_refused_contexts(tmp_path):
    with background_printer(tmp_path, ["contexts:refuse=color,print_job,assoc=1"]) as printer:
        assoc = associate(printer.port, color=True)
        refused = {str(c.abstract_syntax): c.result for c in assoc.rejected_contexts}
        accepted = {str(c.abstract_syntax) for c in assoc.accepted_contexts}
        release(assoc)
        assert refused == {uids.BASIC_COLOR_PRINT_MANAGEMENT_META: 3, uids.PRINT_JOB: 3}
        assert uids.BASIC_GRAYSCALE_PRINT_MANAGEMENT_META in accepted
        result = print_job(printer.port)
        assert result["n_action"] == 0
    with background_printer(tmp_path / "2", ["contexts:only=grayscale,result=1"]) as printer:
        assoc = associate(printer.port, color=True)
        assert {str(c.abstract_syntax) for c in assoc.accepted_contexts} == {
            uids.BASIC_GRAYSCALE_PRINT_MANAGEMENT_META
        }
        assert {c.result for c in assoc.rejected_contexts} == {1}
        release(assoc)


def test_abort_after_n_messages_with_the_chosen_source_and_reason(tmp_path):
    with background_printer(tmp_path, ["abort:after=2,source=2,reason=6,assoc=1"]) as printer:
        result = print_job(printer.port)
        assert result["stopped_at"] == "N-CREATE Film Session" and result["aborted"]
        assert_ready(printer)

    async def scenario():  # our stack shows the source and reason pynetdicom keeps to itself
        async with running_printer(faults=["abort:after=1,source=2,reason=6"]) as printer:
            client = await Scu.open(printer.port)
            with pytest.raises(AssociationAbortedError) as error:
                await client.film_session()
            assert (error.value.event.source, error.value.event.reason) == (2, 6)
            await client.dimse.close()

    run(scenario())


def test_tcp_dropped_mid_pdu(tmp_path):
    with background_printer(tmp_path, ["drop:after=3,assoc=1"]) as printer:
        result = print_job(printer.port)
        assert result["stopped_at"] == "N-CREATE Film Box" and result["aborted"]
        assert_ready(printer)
        printer.wait_idle()
    record = read_json(tmp_path / "associations" / "a0001.json")
    assert record["end"] == "dropped by the printer mid-PDU (fault)"
    assert any(e.get("what") == "connection dropped mid-PDU (fault)" for e in record["messages"])


def test_stall_makes_the_scu_time_out(tmp_path):
    with background_printer(tmp_path, ["stall:op=N-ACTION,assoc=1"]) as printer:
        result = print_job(printer.port, dimse_timeout=1)
        assert result["stopped_at"] == "N-ACTION Film Box" and result["aborted"]
        assert_ready(printer)
        printer.wait_idle()
    assert read_json(tmp_path / "associations" / "a0001.json")["end"].startswith("aborted")


def test_delayed_answers_still_print(tmp_path):
    with background_printer(tmp_path, ["delay:op=N-SET,seconds=0.1,assoc=1"]) as printer:
        result = print_job(printer.port)
        assert result["n_action"] == 0
        printer.wait_idle()
    record = read_json(tmp_path / "associations" / "a0001.json")
    assert sum(1 for e in record["messages"] if e.get("what", "").startswith("answer delayed")) == 4


def test_chosen_status_with_error_comment_and_offending_element(tmp_path):
    faults = [
        "status:op=N-SET,class=image-box,code=C605,comment=out of film memory,"
        "element=7FE0,0010,nth=2,assoc=1",
        "status:op=N-ACTION,code=B604,assoc=2",
    ]
    with background_printer(tmp_path, faults) as printer:
        result = print_job(printer.port)
        assert result["n_set"] == [0, 0xC605]
        _, _, status, _ = result["steps"][-1]
        assert status.ErrorComment == "out of film memory"  # pynetdicom drops N-SET's (0000,0901)
        warned = print_job(printer.port)
        assert warned["n_action"] == 0xB604 and warned["n_delete"] == 0
        assert_ready(printer)
        printer.wait_idle()
    assert (tmp_path / "films" / "a0002-f001.png").exists()  # a warning still prints
    record = read_json(tmp_path / "associations" / "a0001.json")
    forced = [e for e in record["messages"] if e.get("status") == 0xC605]
    assert forced[0]["offending_element"] == ["(7FE0,0010)"]
    assert forced[0]["error_comment"] == "out of film memory"


def test_printer_failure_status_and_failed_print_job(tmp_path):
    fault = "printer:status=FAILURE,info=SUPPLY EMPTY,assoc=1"
    with background_printer(tmp_path, [fault], print_time=0.2) as printer:
        assoc = associate(printer.port)
        _, attributes = assoc.send_n_get(
            [0x21100010, 0x21100020],
            uids.PRINTER,
            uids.PRINTER_INSTANCE,
            meta_uid=uids.BASIC_GRAYSCALE_PRINT_MANAGEMENT_META,
        )
        printer_state = (attributes.PrinterStatus, attributes.PrinterStatusInfo)
        assert printer_state == ("FAILURE", "SUPPLY EMPTY")
        release(assoc)
        assert_ready(printer)  # association 2 has no fault
    failing_fault = "printer:status=FAILURE,info=FILM JAM"
    with background_printer(tmp_path / "job", [failing_fault], print_time=0.2) as printer:
        events = Received()
        result = print_job(printer.port, received=events)
        printer.wait_idle()
    assert result["printer_status"] == "FAILURE" and result["n_action"] == 0
    jobs = [(k, i.ExecutionStatusInfo) for c, k, i in events.events if c == uids.PRINT_JOB]
    assert jobs == [(1, "NORMAL"), (2, "NORMAL"), (4, "FILM JAM")]
    film = read_json(tmp_path / "job" / "films" / "a0001-f001.json")
    assert film["status"] == "FAILURE: FILM JAM"
    assert not (tmp_path / "job" / "films" / "a0001-f001.png").exists()
    with background_printer(
        printer__status="WARNING", printer__status_info="SUPPLY LOW"
    ) as printer:
        result = print_job(printer.port)
        assert result["printer_status"] == "WARNING" and result["n_action"] == 0


def test_printer_events_at_chosen_moments(tmp_path):
    faults = [
        "event:type=NORMAL,at=start",
        "event:type=WARNING,info=SUPPLY LOW,at=before:N-ACTION",
        "event:type=FAILURE,info=FILM JAM,at=message:2",
    ]

    async def scenario():
        async with running_printer(tmp_path, faults) as printer:
            client = await Scu.open(printer.port)
            await print_one(client, [50], "STANDARD\\1,1")
            await printer.wait_jobs()
            await client.release()
            await printer.wait_idle()
            printer_events = [e for e in client.events if e.affected_sop_class_uid == uids.PRINTER]
            assert [e.event_type_id for e in printer_events] == [1, 3, 2]
            assert {e.affected_sop_instance_uid for e in printer_events} == {uids.PRINTER_INSTANCE}
            info = printer_events[2].decode_dataset(client.transfer_syntax(1))
            assert info.PrinterStatusInfo == "SUPPLY LOW"

    run(scenario())
    record = read_json(tmp_path / "associations" / "a0001.json")
    out = [(e["message"], e.get("event_type_id")) for e in record["messages"] if e["dir"] == "out"]
    warning = out.index(("N-EVENT-REPORT-RQ", 2))
    assert out[warning + 1][0] == "N-ACTION-RSP"  # between the request and its response
    answered = [e for e in record["messages"] if e["message"] == "N-EVENT-REPORT-RSP"]
    assert len(answered) == 3 and all(e["status"] == 0 for e in answered)


def test_pynetdicom_hears_a_printer_warning_while_waiting_for_its_n_action(tmp_path):
    # Only while a request is outstanding: pynetdicom 3.0.4 can deadlock on an event that
    # arrives while it starts a request (its reactor-pause flag is shared with the thread
    # that answers events).
    received = Received()
    fault = "event:type=WARNING,info=SUPPLY LOW,at=before:N-ACTION"
    with background_printer(tmp_path, [fault]) as printer:
        result = print_job(printer.port, received=received)
        printer.wait_idle()
    assert result["n_action"] == 0
    printer_events = [(k, i) for c, k, i in received.events if c == uids.PRINTER]
    assert [k for k, _ in printer_events] == [2]
    assert printer_events[0][1].PrinterStatusInfo == "SUPPLY LOW"


def test_tiny_max_pdu_makes_the_scu_fragment(tmp_path):
    with background_printer(tmp_path, ["max_pdu:size=512,assoc=1"]) as printer:
        result = print_job(printer.port, size=(64, 64))
        assert result["n_action"] == 0 and result["n_set"] == [0, 0, 0, 0]
        assert_ready(printer)
        printer.wait_idle()
    record = read_json(tmp_path / "associations" / "a0001.json")
    assert record["max_pdu"]["ours"] == 512


def test_slow_reads_still_deliver_every_image(tmp_path):
    with background_printer(tmp_path, ["slow_read:rate=400000,assoc=1"]) as printer:
        result = print_job(printer.port, size=(128, 128))
        assert result["n_action"] == 0
        assert_ready(printer)
        printer.wait_idle()
    film = read_json(tmp_path / "films" / "a0001-f001.json")
    assert [b["image"]["rows"] for b in film["boxes"]] == [128, 128, 128, 128]
    assert read_json(tmp_path / "associations" / "a0001.json")["faults"] == [
        "slow_read:rate=400000,assoc=1"
    ]


def test_random_faults_replay_with_a_seed(tmp_path):
    spec = "abort:p=0.5,after=1"
    expected = FaultPicker([parse_fault(spec)], seed=11)
    predicted = [bool(expected.pick(n, "PYNETDICOM").specs) for n in range(1, 9)]
    assert any(predicted) and not all(predicted)
    with background_printer(tmp_path, [spec], fault_seed=11) as printer:
        results = [print_job(printer.port) for _ in range(8)]
        printer.wait_idle()
    assert [r["aborted"] for r in results] == predicted
    assert all(
        r["n_action"] == 0 for r, aborted in zip(results, predicted, strict=True) if not aborted
    )


def test_a_rejected_association_from_our_own_stack_reads_the_same():
    async def scenario():
        async with running_printer(faults=["reject:result=1,source=1,reason=3"]) as printer:
            with pytest.raises(AssociationRejectedError) as error:
                await Scu.open(printer.port)
            event = error.value.event
            assert (event.result, event.source, event.reason) == (1, 1, 3)
        async with running_printer() as printer:
            with pytest.raises(AssociationRejectedError) as error:
                await Scu.open(printer.port, called_ae="SOMEONE")
            assert error.value.event.reason == 7  # called AE title not recognised
            client = await Scu.open(printer.port)
            session = await client.film_session()
            _, boxes, _, _ = await client.film_box(session)
            assert (await client.set_image(boxes[0], 1, gray(1))).status == 0
            await client.release()

    run(scenario())
