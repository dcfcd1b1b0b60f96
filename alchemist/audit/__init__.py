"""The audit trail of a session: every fit, batch of suggestions and result entered, chained by hashes.

    entries     one entry (AuditEntry, AuditKind): inputs, outputs, a note, an origin
    chain       the hash chain: sealing an entry, finding the first broken one (AuditBreak, BreakReason)
    provenance  which entry produced each planned experiment; which results a table edit entered
    trail       AuditTrail: the entries of a session, their bound, notes, links, state
    hooks       what `Session` records at each step (one call per hook)
    export      Markdown and JSON for a lab notebook
"""

from alchemist.audit.chain import AuditBreak, BreakReason
from alchemist.audit.entries import AuditEntry, AuditKind
from alchemist.audit.provenance import ProvenanceLink
from alchemist.audit.trail import MAX_ENTRIES, AuditError, AuditTrail

__all__ = ["MAX_ENTRIES", "AuditBreak", "AuditEntry", "AuditError", "AuditKind", "AuditTrail", "BreakReason", "ProvenanceLink"]
