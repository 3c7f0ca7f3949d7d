"""The queue's rules, without I/O: priority then FIFO, pre-emption between films,
resumption, groups (first free, then sticky), cancel, hold and retarget."""

from hcs.server.queue import Entry, JobQueue, Priority, State, order_of


def entry(
    queue: JobQueue,
    job_id: str,
    priority: str = "MED",
    films: int = 1,
    target: str = "p",
    candidates=("p",),
) -> Entry:
    e = Entry(
        job_id, Priority[priority], queue.next_seq(), target, films, candidates=tuple(candidates)
    )
    queue.add(e)
    return e


def drain(queue: JobQueue, printer: str = "p") -> list[str]:
    """Print everything on one printer, film by film; returns job ids in film order."""
    printed = []
    while (e := queue.next_film(printer)) is not None:
        queue.start_film(e, printer)
        printed.append(e.job_id)
        queue.film_done(e)
    return printed


def test_priority_then_fifo():
    q = JobQueue()
    for job_id, priority in [
        ("l1", "LOW"),
        ("m1", "MED"),
        ("h1", "HIGH"),
        ("l2", "LOW"),
        ("h2", "HIGH"),
        ("m2", "MED"),
    ]:
        entry(q, job_id, priority)
    assert drain(q) == ["h1", "h2", "m1", "m2", "l1", "l2"]
    assert order_of([]) == []


def test_high_job_preempts_between_films_and_low_job_resumes():
    q = JobQueue()
    low = entry(q, "low", "LOW", films=10)
    printed = []
    for _ in range(3):
        e = q.next_film("p")
        q.start_film(e, "p")
        printed.append(e.job_id)
        q.film_done(e)
    assert q.preempting("p", low) is None
    high = entry(q, "high", "HIGH", films=2)
    assert q.preempting("p", low) is high
    printed += drain(q)
    assert printed == ["low"] * 3 + ["high"] * 2 + ["low"] * 7
    assert low.state is State.DONE and low.next_film == 10


def test_a_printing_job_is_not_given_to_a_second_printer():
    q = JobQueue()
    e = entry(q, "g", films=3, target="grp", candidates=("a", "b"))
    assert q.next_film("b") is e
    q.start_film(e, "a")
    assert q.next_film("b") is None  # in hand on a
    q.film_done(e)
    assert q.next_film("b") is None  # sticky: its films come out of one printer
    assert q.next_film("a") is e


def test_group_job_goes_to_the_first_free_printer():
    q = JobQueue()
    first = entry(q, "one", target="grp", candidates=("a", "b"))
    second = entry(q, "two", target="grp", candidates=("a", "b"))
    q.start_film(q.next_film("a"), "a")
    assert q.next_film("b") is second
    assert first.printer == "a"


def test_cancel_waiting_now_and_printing_after_the_film():
    q = JobQueue()
    waiting = entry(q, "w")
    busy = entry(q, "b", "HIGH", films=3)
    q.start_film(busy, "p")
    assert q.cancel(waiting) is True and waiting.state is State.CANCELLED
    assert q.cancel(busy) is False and busy.cancel_requested
    assert q.next_film("p") is None
    assert q.film_done(busy) is State.CANCELLED


def test_hold_release_and_retarget():
    q = JobQueue()
    a = entry(q, "a", target="gone", candidates=("gone",))
    b = entry(q, "b")
    changed = q.retarget({"p": ("p",)})
    assert changed == [a] and a.state is State.HELD and "gone" in a.reason
    assert b.state is State.QUEUED and q.next_film("p") is b
    assert q.retarget({"p": ("p",), "gone": ("new",)}) == [a]
    assert a.state is State.QUEUED and q.next_film("new") is a
    q.hold(b, "printer not ready")
    assert q.next_film("p") is None and q.waiting()[-1] is b
    q.release(b)
    assert q.next_film("p") is b
