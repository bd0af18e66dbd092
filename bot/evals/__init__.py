"""`docdebate eval`: the debate run over cases with planted one-way doors, and scored by code."""
