"""The open-loop schedule: request i is due at start + i / rate, whatever the server does.

Latency is measured from the due time, not from when the request actually left, so a stall
(of the server, or of the generator itself) shows in the percentiles instead of delaying the
requests that would have measured it (coordinated omission).
"""


def request_count(rate: float, duration_s: float) -> int:
    """How many requests a step of ``duration_s`` at ``rate`` per second sends."""
    if rate <= 0 or duration_s <= 0:
        raise ValueError("rate and duration must be positive")
    return max(1, round(rate * duration_s))


def due_at(start: float, index: int, rate: float) -> float:
    """When request ``index`` (from 0) is due, on the clock ``start`` is read from."""
    return start + index / rate


def achieved_rate(answered: int, start: float, last_answer: float) -> float:
    """Answers per second from the start of the step to its last answer."""
    span = last_answer - start
    return answered / span if span > 0 else 0.0
