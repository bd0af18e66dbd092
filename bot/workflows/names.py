"""The names under which workflows are registered and queued: what any process may start by name, without
loading the workflows' code (`bot.workflows.client`). Renaming one strands its pending workflows."""

DEBATES = "debates"  # the queue of debates and follow-ups
DIGESTS = "digests"  # the queue of digests
LEDGER = "ledger"  # the queue of consolidation ticks, one at a time across all workers
DEBATE = "debate_workflow"
FOLLOW_UP = "follow_up_workflow"
REREVIEW = "rereview_workflow"
DIGEST = "digest_workflow"
CONSOLIDATION = "ledger_consolidation_workflow"  # the ledger's nightly tick
APPLICATION = "docdebate"
