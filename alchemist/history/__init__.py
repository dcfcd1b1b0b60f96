"""A session's history: every change as a revision with a small invertible patch, undo and redo,
restore, named snapshots, and the comparison of two states. The files they live in are kept by
alchemist.store.revisions; the store's public methods are on alchemist.persistence.SessionStore.

  patch      deltas between two state trees: diff, apply (checked), invert
  revisions  revision records, undo/redo stacks, the pruning budget
  diff       what a patch changed (kind and summary) and the comparison of two sessions
"""
