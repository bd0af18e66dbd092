"""`docdebate worker`: a process that runs debates and digests from the queues, until SIGTERM or SIGINT.

`docdebate serve` starts `DOCDEBATE_WORKERS` of them, so the process that acknowledges Slack never shares
its interpreter with a debate; run `docdebate worker` on its own to scale workers apart from `serve`
(`DOCDEBATE_WORKERS=0` there). A worker that dies is recovered as a replica is: the next process with its
executor id resumes its pending work, and live replicas take over one that never comes back.
"""

from __future__ import annotations

import asyncio
import os

from bot import preflight
from bot.config import Settings
from bot.posting.auth_watch import AuthWatch, until_stopped
from bot.posting.poster import Poster, web_client
from bot.supervise import GO
from bot.workflows import queue

READY = b"ready\n"


def run_worker(settings: Settings, *, go_fd: int | None = None, ready_fd: int | None = None) -> None:
    """Launch the queues and run until stopped. Alone, it runs the start-up checks first; started by `serve`
    (`go_fd`), it waits instead for `serve`'s word that its checks passed, and exits if `serve` gives up.
    `ready_fd`: a pipe told once the queues are listened to."""
    if go_fd is None:
        preflight.verify(settings, socket_mode=False, receives_slack=False)
    elif not _told_to_go(go_fd):
        return
    watch = AuthWatch()
    queue.launch(
        settings, Poster(watch.attach(web_client(settings)), settings.slack_retry_s), poll_calendars=True
    )
    if ready_fd is not None:
        os.write(ready_fd, READY)
        os.close(ready_fd)
    try:
        asyncio.run(until_stopped(watch))
    finally:
        # After a rejected token nothing can be posted: leave running work pending for the next start.
        queue.shutdown(0 if watch.failure else settings.shutdown_grace_s)


def _told_to_go(go_fd: int) -> bool:
    with os.fdopen(go_fd, "rb") as go:
        return go.read(len(GO)) == GO
