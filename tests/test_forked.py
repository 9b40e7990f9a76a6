"""The checks shared with forked processes (checks/forked.py): always the one-process result."""

import os
import signal

import pytest

from tflint_fn.checks import forked

pytestmark = pytest.mark.skipif(not forked.can_fork(), reason="no fork without exec here")

COUNT = forked.PARALLEL_FROM + 36


def square(index):
    return index * index


def here():
    return os.getpid()


@pytest.mark.parametrize("jobs", [2, 3])
def test_the_results_are_in_order_and_the_side_task_runs_in_a_child(jobs):
    results, side = forked.run_shared(COUNT, square, here, jobs)
    assert results == [index * index for index in range(COUNT)]
    assert side != os.getpid()  # the first child ran it: the work was shared


def test_a_small_run_or_one_job_forks_nothing():
    for count, jobs in ((forked.PARALLEL_FROM - 1, 2), (COUNT, 1)):
        results, side = forked.run_shared(count, square, here, jobs)
        assert results == [index * index for index in range(count)]
        assert side == os.getpid()


def test_a_child_that_raises_has_its_work_done_again_here():
    parent = os.getpid()

    def fails_in_a_child(index):
        if os.getpid() != parent:
            raise ValueError("only in the child")
        return square(index)

    def side_fails_in_a_child():
        if os.getpid() != parent:
            raise ValueError("only in the child")
        return "side"

    results, side = forked.run_shared(COUNT, fails_in_a_child, side_fails_in_a_child, 3)
    assert results == [index * index for index in range(COUNT)]
    assert side == "side"


def test_a_killed_child_has_its_work_done_again_here():
    parent = os.getpid()

    def killed():
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)
        return "side"

    results, side = forked.run_shared(COUNT, square, killed, 2)
    assert results == [index * index for index in range(COUNT)]
    assert side == "side"


def test_a_result_that_does_not_pickle_is_computed_here():
    parent = os.getpid()

    def unpicklable(index):
        return (lambda: index) if os.getpid() != parent else index

    results, _ = forked.run_shared(COUNT, unpicklable, here, 2)
    assert [result() if callable(result) else result for result in results] == list(range(COUNT))
    assert all(not callable(result) for result in results)


def test_an_error_is_the_one_the_one_process_run_raises_first():
    failing = {10, COUNT - 5}

    def task(index):
        if index in failing:
            raise ValueError(f"task {index}")
        return index

    for jobs in (1, 2, 3):
        with pytest.raises(ValueError, match="^task 10$"):
            forked.run_shared(COUNT, task, here, jobs)

    def side_fails():
        raise KeyError("side")

    with pytest.raises(KeyError, match="side"):
        forked.run_shared(COUNT, square, side_fails, 2)


def test_nothing_is_forked_while_another_thread_runs():
    """A lock another thread holds at the fork would stay held in the child forever."""
    import threading

    release = threading.Event()
    waiting = threading.Thread(target=release.wait)
    waiting.start()
    try:
        results, side = forked.run_shared(COUNT, square, here, 2)
    finally:
        release.set()
        waiting.join()
    assert results == [index * index for index in range(COUNT)]
    assert side == os.getpid()
