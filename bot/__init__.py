"""docdebate: a panel of personas pressure-tests a document and names its one-way doors."""

__version__ = "0.1.0"
