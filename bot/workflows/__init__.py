"""Durable workflows (DBOS): a debate in a Slack thread, a follow-up question, and the digests.

Workflows orchestrate; the steps they call live beside them (`debate_steps`, `digest_steps`). Every model
call and every post is a step: DBOS records its result, and a restarted process resumes the workflow after
the last finished step, without paying for finished model calls again. Workflows write to Slack through
`bot.posting` only; nothing here knows how Slack requests arrive (`bot.slack`).
"""
