"""The remote engine's HTTP client: its event-loop thread ends when it is closed, once."""

from __future__ import annotations

import gc
import warnings

from completion.openai_client import CompletionsClient


def test_closing_twice_closes_the_connections_and_ends_the_thread_once() -> None:
    # Nothing listens on port 9: the client never connects, it is only built and closed.
    client = CompletionsClient("http://127.0.0.1:9")
    assert client._thread.is_alive()
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        client.close()
        client.close()  # an engine closed by hand is closed again when it is collected
        client._thread.join(5)
        gc.collect()
    assert not client._thread.is_alive()
    assert client._client.is_closed and client._loop.is_closed()  # its sockets are freed
    assert not [w for w in seen if "never awaited" in str(w.message)], seen
    client.close()  # after the loop ended: still nothing to do, and no error
