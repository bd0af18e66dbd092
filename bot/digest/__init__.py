"""The pre-meeting silent-read digest: calendar polling, scheduling, digest writing."""
