"""The debate: personas, prompts, the protocol, grounding of quotes, and reports."""
